// gRPC Echo server on @grpc/grpc-js. Usage: node server.js PORT. Prints "ready grpc-node 127.0.0.1:PORT".
'use strict';
const {grpc, Echo} = require('./echo');

const server = new grpc.Server();
server.addService(Echo.service, {
  Say: (call, cb) => cb(null, {text: 'hi ' + call.request.text}),
  Fail: (call, cb) => cb({code: call.request.code, details: 'failed on purpose'}),
  Stream: (call) => {
    for (let i = 0; i < call.request.n; i++) call.write({text: 'part', n: i});
    call.end();
  },
});
const port = process.argv[2];
server.bindAsync('127.0.0.1:' + port, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  console.log('ready grpc-node 127.0.0.1:' + port);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
