// Test peer for tests/data/http1: Node http server (chunked, 204, 503, JSON); listens on 127.0.0.1:18913.
const http = require('http');
http.createServer((req, res) => {
  if (req.url === '/chunked') { res.write('first,'); res.write('second,'); res.end('last'); }
  else if (req.url === '/nocontent') { res.statusCode = 204; res.end(); }
  else if (req.url === '/error') { res.statusCode = 503; res.end('unavailable'); }
  else { res.setHeader('Content-Type', 'application/json'); res.end('{"ok":true}'); }
}).listen(18913, '127.0.0.1', () => console.log('ready'));
