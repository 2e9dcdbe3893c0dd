#!/usr/bin/env node
// OTLP test receiver: gRPC TraceService/MetricsService and HTTP /v1/traces, /v1/metrics (application/x-protobuf
// and application/json, optionally gzip), writing one JSON line per decoded export, with fault injection.
//
// Decoding is done only by the official OpenTelemetry artifacts: gRPC requests by @grpc/proto-loader over the
// .proto files shipped in @opentelemetry/otlp-grpc-exporter-base@0.38.0; HTTP bodies by the protobufjs
// classes of @opentelemetry/otlp-transformer@0.57.2 (see lib/decode.js). See README.md for the record format,
// the command line and the admin endpoints.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const zlib = require('zlib');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const decode = require('./lib/decode');
const { encodeStatus, statusJson } = require('./lib/rpc_status');

const PROTO_DIR = path.join(path.dirname(require.resolve('@opentelemetry/otlp-grpc-exporter-base/package.json')),
                            'build', 'protos');
const SIGNALS = ['traces', 'metrics'];
const MODES = ['ok', 'unavailable', 'throttle', 'bad_request', 'partial', 'delay', 'hang', 'drop'];
const GRPC = grpc.status;

// ------------------------------------------------------------------------------------------ command line
function usage(msg) {
  if (msg) process.stderr.write('otlp-receiver: ' + msg + '\n');
  process.stderr.write(`usage: node receiver.js --out-dir DIR [options]
  --out-dir DIR          traces.jsonl, metrics.jsonl and requests.jsonl are appended there
  --host H               listen address (127.0.0.1)
  --grpc-port N          gRPC port (0 = any free port; default 0)
  --http-port N          HTTP port (0 = any free port; default 0)
  --route PATH=SIGNAL    also accept SIGNAL (traces|metrics) on HTTP PATH (repeatable)
  --fault SPEC           initial fault, e.g. mode=unavailable,signal=traces,count=3,retry_after_s=1 (repeatable)
  --grpc-max-recv-mib N  largest gRPC message accepted (4, like the Collector)
  --http-max-body-mib N  largest HTTP body accepted (20, like the Collector)
`);
  process.exit(2);
}

function parseFaultSpec(text) {
  const f = {};
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) usage('bad --fault item ' + JSON.stringify(part) + ' (want key=value)');
    f[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return f;
}

function parseArgs(argv) {
  const a = { host: '127.0.0.1', grpcPort: 0, httpPort: 0, outDir: null, routes: {}, faults: [],
              grpcMaxRecvMib: 4, httpMaxBodyMib: 20 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const name = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const val = () => (eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : (i + 1 < argv.length ? argv[++i] : usage(name + ' needs a value')));
    switch (name) {
      case '--out-dir': a.outDir = val(); break;
      case '--host': a.host = val(); break;
      case '--grpc-port': a.grpcPort = Number(val()); break;
      case '--http-port': a.httpPort = Number(val()); break;
      case '--grpc-max-recv-mib': a.grpcMaxRecvMib = Number(val()); break;
      case '--http-max-body-mib': a.httpMaxBodyMib = Number(val()); break;
      case '--route': {
        const [p, s] = val().split('=');
        if (!p || !SIGNALS.includes(s)) usage('--route wants PATH=traces|metrics');
        a.routes[p] = s;
        break;
      }
      case '--fault': a.faults.push(parseFaultSpec(val())); break;
      case '-h': case '--help': usage();
      // falls through (usage exits)
      default: usage('unknown argument ' + arg);
    }
  }
  if (!a.outDir) usage('--out-dir is required');
  for (const p of [a.grpcPort, a.httpPort])
    if (!Number.isInteger(p) || p < 0 || p > 65535) usage('bad port ' + p);
  return a;
}

// ------------------------------------------------------------------------------------------------ state
const args = parseArgs(process.argv.slice(2));
fs.mkdirSync(args.outDir, { recursive: true });
const files = {};
for (const name of ['traces', 'metrics', 'requests'])
  files[name] = fs.openSync(path.join(args.outDir, name + '.jsonl'), 'a');

let seq = 0;
const startedAt = Date.now();
function emptyStats() {
  const s = { unknown_paths: {} };
  for (const sig of SIGNALS)
    s[sig] = { requests: 0, items: 0, bytes: 0, accepted_requests: 0, accepted_items: 0, written_records: 0,
               refused_requests: 0, refused_items: 0, decode_errors: 0, outcomes: {} };
  return s;
}
let stats = emptyStats();
const faults = { traces: null, metrics: null };  // active rule per signal

// A fault rule: {mode, count (null = until cleared), retry_after_s, delay_ms, rejected, message}.
function normalizeFault(spec) {
  const mode = spec.mode || 'ok';
  if (!MODES.includes(mode)) throw new Error('unknown fault mode ' + JSON.stringify(mode) + ' (one of ' + MODES.join(', ') + ')');
  const num = (v, d) => (v === undefined || v === null || v === '' ? d : Number(v));
  const rule = {
    mode,
    remaining: num(spec.count, null),
    retry_after_s: num(spec.retry_after_s, null),
    delay_ms: num(spec.delay_ms, mode === 'delay' ? 1000 : 0),
    rejected: num(spec.rejected, 1),
    message: spec.message || (mode === 'partial' ? 'rejected by the test receiver' : 'fault injected by the test receiver'),
  };
  for (const k of ['remaining', 'retry_after_s', 'delay_ms', 'rejected'])
    if (rule[k] !== null && !Number.isFinite(rule[k])) throw new Error('fault ' + k + ' is not a number');
  return rule;
}

function setFault(spec) {
  const signal = spec.signal || 'all';
  const targets = signal === 'all' ? SIGNALS : [signal];
  if (!targets.every((s) => SIGNALS.includes(s))) throw new Error('fault signal must be traces, metrics or all');
  const rule = normalizeFault(spec);
  for (const s of targets) faults[s] = rule.mode === 'ok' ? null : Object.assign({}, rule);
}

function takeFault(signal) {
  const rule = faults[signal];
  if (!rule) return { mode: 'ok' };
  if (rule.remaining !== null) {
    rule.remaining -= 1;
    if (rule.remaining <= 0) faults[signal] = null;
  }
  return rule;
}

for (const f of args.faults) {
  try { setFault(f); } catch (e) { usage(e.message); }
}

function writeLine(fd, obj) {
  fs.writeSync(fd, JSON.stringify(obj) + '\n');
}

// ------------------------------------------------------------------------------------- common handling
// meta: {transport, encoding, compression, path, headers, peer, bytes}. Returns the fault rule that decides
// the reply, after recording what was received.
function accept(signal, decoded, meta) {
  const norm = decode.NORMALIZE[signal](decoded.object);
  const rule = takeFault(signal);
  const st = stats[signal];
  const n = ++seq;
  st.requests += 1;
  st.items += norm.items;
  st.bytes += meta.bytes;
  st.outcomes[rule.mode] = (st.outcomes[rule.mode] || 0) + 1;
  const refused = ['unavailable', 'throttle', 'bad_request', 'hang'].includes(rule.mode);
  if (refused) {
    st.refused_requests += 1;
    st.refused_items += norm.items;
  } else {
    st.accepted_requests += 1;
    st.accepted_items += norm.items;
  }
  const common = {
    seq: n, signal, received_unix_ms: Date.now(), transport: meta.transport, encoding: meta.encoding,
    compression: meta.compression, path: meta.path, peer: meta.peer, bytes: meta.bytes, items: norm.items,
  };
  if (meta.wire_bytes !== undefined) common.wire_bytes = meta.wire_bytes;
  writeLine(files.requests, Object.assign({}, common, { outcome: rule.mode, headers: meta.headers,
                                                        warnings: decoded.warnings }));
  if (!refused && rule.mode !== 'drop') {
    const rec = Object.assign(common, { headers: meta.headers, warnings: decoded.warnings,
                                        newer_fields: decoded.newerFields || [], duplicate_attribute_keys: norm.dups });
    if (rule.mode === 'partial') rec.partial_success = { rejected: rule.rejected, message: rule.message };
    Object.assign(rec, norm.body);
    writeLine(files[signal], rec);
    st.written_records += 1;
  }
  return rule;
}

function decodeError(signal, meta, message) {
  stats[signal].decode_errors += 1;
  writeLine(files.requests, { seq: ++seq, signal, received_unix_ms: Date.now(), transport: meta.transport,
                              encoding: meta.encoding, compression: meta.compression, path: meta.path,
                              peer: meta.peer, bytes: meta.bytes, outcome: 'decode_error', error: message,
                              headers: meta.headers });
  process.stderr.write('otlp-receiver: ' + signal + ' decode error: ' + message + '\n');
}

// -------------------------------------------------------------------------------------------------- gRPC
const loaderOptions = { includeDirs: [PROTO_DIR], keepCase: false, longs: String, enums: String, defaults: false,
                        oneofs: true };
const pkg = grpc.loadPackageDefinition(protoLoader.loadSync([
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
  'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
], loaderOptions));
const grpcServices = {
  traces: pkg.opentelemetry.proto.collector.trace.v1.TraceService.service,
  metrics: pkg.opentelemetry.proto.collector.metrics.v1.MetricsService.service,
};

function grpcHeaders(metadata) {
  const out = {};
  for (const [k, v] of Object.entries(metadata.getMap())) out[k] = Buffer.isBuffer(v) ? v.toString('base64') : v;
  return out;
}

// grpc-js removes grpc-encoding from the metadata it hands to handlers, so the header is read from the HTTP/2
// streams of its servers and looked up by the client's address (one encoding per connection).
const wireEncoding = new Map();
function watchGrpcEncoding(server) {
  const h2servers = server.http2Servers instanceof Map ? [...server.http2Servers.keys()] : [];
  for (const h2 of h2servers) {
    h2.on('session', (session) => {
      const sock = session.socket;
      const peer = sock && sock.remoteAddress + ':' + sock.remotePort;
      session.on('close', () => wireEncoding.delete(peer));
    });
    h2.on('stream', (stream, headers) => {
      const sock = stream.session && stream.session.socket;
      if (sock) wireEncoding.set(sock.remoteAddress + ':' + sock.remotePort, headers['grpc-encoding'] || 'identity');
    });
  }
  return h2servers.length > 0;
}
function grpcEncodingOf(peer) {
  return wireEncoding.get(peer) || 'unknown';
}

function grpcError(code, message, retryAfterS) {
  const md = new grpc.Metadata();
  md.set('grpc-status-details-bin', encodeStatus(code, message, retryAfterS));
  return { code, details: message, metadata: md };
}

function grpcService(signal) {
  const def = grpcServices[signal];
  const method = Object.keys(def)[0];  // Export
  // The request is decoded by proto-loader (0.38.0 protos); the byte size is kept for the stats. Responses are
  // encoded with the newer generated classes because the 0.38.0 protos predate partial_success.
  const orig = def[method];
  const wrapped = Object.assign({}, orig, {
    requestDeserialize: (buf) => {
      const obj = orig.requestDeserialize(buf);
      Object.defineProperty(obj, '__bytes', { value: buf.length, enumerable: false });
      return obj;
    },
    responseSerialize: (obj) => decode.encodeResponse(signal, obj && obj.__partial),
  });
  const service = { [method]: wrapped };
  const impl = {
    [method]: (call, callback) => {
      const headers = grpcHeaders(call.metadata);
      const meta = { transport: 'grpc', encoding: 'protobuf', compression: grpcEncodingOf(call.getPeer()),
                     path: wrapped.path, headers, peer: call.getPeer(), bytes: call.request.__bytes || 0 };
      let rule;
      try {
        rule = accept(signal, { object: call.request, warnings: [] }, meta);
      } catch (e) {
        decodeError(signal, meta, e.message);
        callback({ code: GRPC.INTERNAL, details: 'receiver error: ' + e.message });
        return;
      }
      const ok = () => callback(null, rule.mode === 'partial'
        ? { __partial: { rejected: rule.rejected, message: rule.message } } : {});
      switch (rule.mode) {
        case 'unavailable': callback(grpcError(GRPC.UNAVAILABLE, rule.message, rule.retry_after_s)); break;
        case 'throttle': callback(grpcError(GRPC.RESOURCE_EXHAUSTED, rule.message, rule.retry_after_s === null ? 1 : rule.retry_after_s)); break;
        case 'bad_request': callback(grpcError(GRPC.INVALID_ARGUMENT, rule.message)); break;
        case 'hang': break;  // never answered; the client's deadline ends it
        case 'delay': setTimeout(ok, rule.delay_ms); break;
        default: ok();
      }
    },
  };
  return { service, impl };
}

// -------------------------------------------------------------------------------------------------- HTTP
function httpSignal(urlPath) {
  if (urlPath === '/v1/traces') return 'traces';
  if (urlPath === '/v1/metrics') return 'metrics';
  return args.routes[urlPath] || null;
}

function reply(res, status, headers, body) {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, headers);
  res.end(body);
}

function httpError(res, isJson, httpStatus, grpcCode, message, extraHeaders) {
  const h = Object.assign({ 'Content-Type': isJson ? 'application/json' : 'application/x-protobuf' }, extraHeaders || {});
  reply(res, httpStatus, h, isJson ? statusJson(grpcCode, message) : encodeStatus(grpcCode, message));
}

function admin(req, res, urlPath, body) {
  const json = (status, obj) => reply(res, status, { 'Content-Type': 'application/json' }, JSON.stringify(obj) + '\n');
  try {
    if (urlPath === '/admin/stats' && req.method === 'GET') return json(200, Object.assign({ uptime_ms: Date.now() - startedAt, seq }, stats));
    if (urlPath === '/admin/fault' && req.method === 'GET') return json(200, faults);
    if (urlPath === '/admin/fault' && req.method === 'POST') {
      const spec = body.length ? JSON.parse(body.toString('utf8')) : { mode: 'ok' };
      for (const s of Array.isArray(spec) ? spec : [spec]) setFault(s);
      return json(200, faults);
    }
    if (urlPath === '/admin/reset' && req.method === 'POST') {
      stats = emptyStats();
      faults.traces = faults.metrics = null;
      return json(200, { reset: true });
    }
    return json(404, { error: 'no such admin endpoint' });
  } catch (e) {
    return json(400, { error: e.message });
  }
}

function handleHttp(req, res, body) {
  const urlPath = req.url.split('?')[0];
  if (urlPath.startsWith('/admin/')) return admin(req, res, urlPath, body);
  const signal = httpSignal(urlPath);
  if (!signal) {
    stats.unknown_paths[urlPath] = (stats.unknown_paths[urlPath] || 0) + 1;
    return reply(res, 404, { 'Content-Type': 'text/plain' }, 'no OTLP signal at ' + urlPath + '\n');
  }
  const ctype = String(req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
  const isJson = ctype === 'application/json';
  const cenc = String(req.headers['content-encoding'] || 'identity').trim().toLowerCase();
  const meta = { transport: 'http', encoding: isJson ? 'json' : 'protobuf', compression: cenc, path: urlPath,
                 headers: req.headers, peer: req.socket.remoteAddress + ':' + req.socket.remotePort, bytes: body.length,
                 wire_bytes: body.length };
  if (req.method !== 'POST') return reply(res, 405, { Allow: 'POST' }, '');
  if (!isJson && ctype !== 'application/x-protobuf') {
    decodeError(signal, meta, 'unsupported Content-Type ' + JSON.stringify(req.headers['content-type']));
    return reply(res, 415, { 'Content-Type': 'text/plain' }, 'want application/x-protobuf or application/json\n');
  }
  let raw = body;
  try {
    if (cenc === 'gzip') raw = zlib.gunzipSync(body);
    else if (cenc === 'deflate') raw = zlib.inflateSync(body);
    else if (cenc !== 'identity') {
      decodeError(signal, meta, 'unsupported Content-Encoding ' + cenc);
      return httpError(res, isJson, 415, GRPC.UNIMPLEMENTED, 'unsupported Content-Encoding ' + cenc);
    }
  } catch (e) {
    decodeError(signal, meta, cenc + ' body does not decompress: ' + e.message);
    return httpError(res, isJson, 400, GRPC.INVALID_ARGUMENT, 'bad ' + cenc + ' body: ' + e.message);
  }
  meta.bytes = raw.length;
  let decoded;
  try {
    decoded = isJson ? decode.decodeJson(signal, raw) : { object: decode.decodeProtobuf(signal, raw), warnings: [] };
  } catch (e) {
    decodeError(signal, meta, e.message);
    return httpError(res, isJson, 400, GRPC.INVALID_ARGUMENT, e.message);
  }
  const rule = accept(signal, decoded, meta);
  const retryAfter = rule.retry_after_s !== null && rule.retry_after_s !== undefined
    ? { 'Retry-After': String(Math.ceil(rule.retry_after_s)) } : {};
  const ok = () => {
    const partial = rule.mode === 'partial' ? { rejected: rule.rejected, message: rule.message } : null;
    if (isJson) reply(res, 200, { 'Content-Type': 'application/json' }, decode.jsonResponse(signal, partial));
    else reply(res, 200, { 'Content-Type': 'application/x-protobuf' }, decode.encodeResponse(signal, partial));
  };
  switch (rule.mode) {
    case 'unavailable': return httpError(res, isJson, 503, GRPC.UNAVAILABLE, rule.message, retryAfter);
    case 'throttle': return httpError(res, isJson, 429, GRPC.RESOURCE_EXHAUSTED, rule.message, retryAfter);
    case 'bad_request': return httpError(res, isJson, 400, GRPC.INVALID_ARGUMENT, rule.message);
    case 'hang': return undefined;  // never answered
    case 'delay': setTimeout(ok, rule.delay_ms); return undefined;
    default: return ok();
  }
}

const maxBody = args.httpMaxBodyMib * 1024 * 1024;
const httpServer = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  let tooBig = false;
  req.on('data', (c) => {
    size += c.length;
    if (size > maxBody) tooBig = true;
    else chunks.push(c);
  });
  req.on('end', () => {
    if (tooBig) return reply(res, 413, { 'Content-Type': 'text/plain' }, 'body larger than ' + maxBody + ' bytes\n');
    try {
      return handleHttp(req, res, Buffer.concat(chunks));
    } catch (e) {
      process.stderr.write('otlp-receiver: internal error: ' + (e.stack || e) + '\n');
      return reply(res, 500, { 'Content-Type': 'text/plain' }, 'receiver error\n');
    }
  });
});
httpServer.keepAliveTimeout = 65000;

// -------------------------------------------------------------------------------------------------- start
const grpcServer = new grpc.Server({
  'grpc.max_receive_message_length': args.grpcMaxRecvMib * 1024 * 1024,
});
for (const signal of SIGNALS) {
  const { service, impl } = grpcService(signal);
  grpcServer.addService(service, impl);
}

function fail(msg) {
  process.stderr.write('otlp-receiver: ' + msg + '\n');
  process.exit(1);
}

grpcServer.bindAsync(args.host + ':' + args.grpcPort, grpc.ServerCredentials.createInsecure(), (err, grpcPort) => {
  if (err) fail('gRPC bind ' + args.host + ':' + args.grpcPort + ': ' + err.message);
  if (!watchGrpcEncoding(grpcServer)) process.stderr.write('otlp-receiver: cannot see grpc-encoding (grpc-js internals changed)\n');
  httpServer.on('error', (e) => fail('HTTP listen ' + args.host + ':' + args.httpPort + ': ' + e.message));
  httpServer.listen(args.httpPort, args.host, () => {
    const httpPort = httpServer.address().port;
    process.stdout.write('ready otlp-receiver grpc=' + args.host + ':' + grpcPort + ' http=' + args.host + ':' +
                         httpPort + ' pid=' + process.pid + '\n');
  });
});

function shutdown() {
  grpcServer.forceShutdown();
  httpServer.close();
  for (const fd of Object.values(files)) fs.closeSync(fd);
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
