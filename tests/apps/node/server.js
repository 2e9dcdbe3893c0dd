// Uninstrumented sample HTTP/1.1 API (Node stdlib `http`) used as a tracing target.
// Usage: node server.js [PORT]   (else env PORT, else 8080); listens on 127.0.0.1.
// Same endpoints as tests/apps/python/server.py. Prints "ready node 127.0.0.1:<port> pid=<pid>".
'use strict';
const http = require('http');

const CHUNK = Buffer.from('0123456789abcdef'.repeat(32)); // 512 bytes per chunk
const CHUNK_COUNT = 8; // 4 KiB in total

function send(res, status, body, ctype) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body || '');
  const noBody = status < 200 || status === 204 || status === 304;
  const headers = { 'Content-Type': ctype || 'text/plain' };
  if (!noBody) headers['Content-Length'] = buf.length;
  res.writeHead(status, headers);
  res.end(noBody ? undefined : buf);
}

function callDownstream(target, res) {
  let req;
  try {
    // agent:false -> a fresh connection with "Connection: close" (no keep-alive pool).
    req = http.get(target, { agent: false }, (down) => {
      down.resume();
      down.on('end', () => send(res, 200, `downstream status ${down.statusCode}\n`));
    });
  } catch (e) {
    send(res, 502, `downstream error ${e.message}\n`);
    return;
  }
  req.setTimeout(10000, () => req.destroy(new Error('timeout')));
  req.on('error', (e) => { if (!res.headersSent) send(res, 502, `downstream error ${e.message}\n`); });
}

function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const path = url.pathname;
  if (req.method === 'POST') {
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', () => {
      if (path === '/echo') send(res, 200, Buffer.concat(parts), 'application/octet-stream');
      else send(res, 404, 'not found\n');
    });
    return;
  }
  req.resume();
  if (path === '/hello') return send(res, 200, 'hello');
  if (path.startsWith('/users/') && path.length > '/users/'.length) {
    const id = path.slice('/users/'.length);
    return send(res, 200, JSON.stringify({ id, name: `user-${id}` }), 'application/json');
  }
  if (path.startsWith('/status/')) {
    const code = Number(path.slice('/status/'.length));
    if (!Number.isInteger(code) || code < 100 || code > 599) return send(res, 400, 'bad status\n');
    return send(res, code, `status ${code}\n`);
  }
  if (path === '/chunked') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }); // no length -> chunked
    for (let i = 0; i < CHUNK_COUNT; i++) res.write(CHUNK);
    return res.end();
  }
  if (path === '/call') {
    const target = url.searchParams.get('url');
    if (!target) return send(res, 400, 'missing url\n');
    return callDownstream(target, res);
  }
  if (path === '/slow') {
    const ms = Number(url.searchParams.get('ms') || '100');
    return setTimeout(() => send(res, 200, `slept ${ms}\n`), ms);
  }
  return send(res, 404, 'not found\n');
}

const port = Number(process.argv[2] || process.env.PORT || 8080);
const server = http.createServer(handle);
server.listen(port, '127.0.0.1', () => {
  console.log(`ready node 127.0.0.1:${port} pid=${process.pid}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => { server.close(); process.exit(0); });
}
