// HTTP/2 over one connection, either side (h2c with prior knowledge, h2c after an HTTP/1.1
// Upgrade, TLS plaintext from the libssl probes): frames per direction, HPACK per direction,
// one span per stream (HTTP or gRPC), many concurrent streams.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "conntrack/protocol.h"
#include "conntrack/span_context.h"

namespace obi::http2 {

// A burst start that is the client preface or a run of plausible frames (detection must be
// strict: a misclassified connection is worse than an unclassified one).
conntrack::Detection detect(std::string_view first_bytes, conntrack::Direction dir, const conntrack::ConnInfo& conn);
std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env);

inline conntrack::ProtocolDef protocol_def() { return {"http2", &detect, &create_handler}; }

// The HTTP/1.1 request that asked for the h2c upgrade: it becomes stream 1 of the HTTP/2
// connection (RFC 7540 section 3.2), answered in HTTP/2 frames after the 101.
struct UpgradedRequest {
    std::string method, path, query, host;
    uint16_t host_port = 0;
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    int64_t body_bytes = 0;
    conntrack::SpanContext ctx;
};

// The 101 response head (status line through the blank line) switches to h2c.
bool is_h2c_upgrade(std::string_view response_head);

// The handler that takes over a connection after "101 Switching Protocols" to h2c. `req_dir`
// is the direction requests travel. Every later call of the connection goes to it.
std::unique_ptr<conntrack::ProtocolHandler> create_after_upgrade(const conntrack::HandlerEnv& env,
                                                                 conntrack::Direction req_dir, UpgradedRequest req);

}  // namespace obi::http2
