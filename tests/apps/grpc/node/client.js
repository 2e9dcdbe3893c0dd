// gRPC Echo client on @grpc/grpc-js. Usage: node client.js PORT [wait]: Say, Fail(5), Fail(2),
// Stream(3) on one channel; prints "done" and exits 0 when every call gave what was expected.
// With "wait" it prints "waiting" and reads a line from stdin first.
'use strict';
const {grpc, Echo} = require('./echo');

function unary(client, method, req) {
  return new Promise((resolve) => client[method](req, (err, res) => resolve({err, res})));
}

async function main() {
  const client = new Echo('127.0.0.1:' + process.argv[2], grpc.credentials.createInsecure());
  const say = await unary(client, 'Say', {text: 'node'});
  if (say.err || say.res.text !== 'hi node') throw new Error('Say: ' + say.err);
  for (const code of [5, 2]) {
    const r = await unary(client, 'Fail', {code});
    if (!r.err || r.err.code !== code) throw new Error('Fail(' + code + '): ' + (r.err && r.err.code));
  }
  const got = await new Promise((resolve, reject) => {
    const n = [];
    const call = client.Stream({n: 3});
    call.on('data', (m) => n.push(m.n));
    call.on('end', () => resolve(n));
    call.on('error', reject);
  });
  if (got.join(',') !== '0,1,2') throw new Error('Stream: ' + got);
  client.close();
  console.log('done');
}

function start() {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

if (process.argv[3] === 'wait') {
  console.log('waiting');
  process.stdin.once('data', start);
} else {
  start();
}
