// google.rpc.Status (the body of an OTLP/HTTP error response and the gRPC grpc-status-details-bin trailer)
// and google.rpc.RetryInfo (the throttling hint of OTLP/gRPC), declared with protobufjs reflection.
'use strict';

const protobuf = require('protobufjs');

const rootNs = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
            Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
          },
        },
        rpc: {
          nested: {
            Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 },
                                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 } } },
            RetryInfo: { fields: { retry_delay: { type: 'google.protobuf.Duration', id: 1 } } },
          },
        },
      },
    },
  },
});

const Status = rootNs.lookupType('google.rpc.Status');
const RetryInfo = rootNs.lookupType('google.rpc.RetryInfo');

// Encoded google.rpc.Status; retryAfterS adds a RetryInfo detail.
function encodeStatus(code, message, retryAfterS) {
  const details = [];
  if (retryAfterS !== undefined && retryAfterS !== null) {
    const secs = Math.floor(retryAfterS);
    const retry = RetryInfo.encode(RetryInfo.create({
      retry_delay: { seconds: secs, nanos: Math.round((retryAfterS - secs) * 1e9) } })).finish();
    details.push({ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value: retry });
  }
  return Buffer.from(Status.encode(Status.create({ code, message, details })).finish());
}

function statusJson(code, message) {
  return JSON.stringify({ code, message, details: [] });
}

module.exports = { encodeStatus, statusJson };
