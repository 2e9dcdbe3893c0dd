// Loads ../echo.proto with @grpc/proto-loader: the Echo service for server.js and client.js.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const def = protoLoader.loadSync(path.join(__dirname, '..', 'echo.proto'), {keepCase: true, defaults: true});
module.exports = {grpc, Echo: grpc.loadPackageDefinition(def).obitest.Echo};
