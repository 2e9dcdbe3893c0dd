// The contract between the connection tracker and a protocol: detect a protocol from
// the first bytes of a burst, then feed every call of the connection to its handler,
// which emits finished spans. One handler instance per connection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "conntrack/chunk.h"
#include "conntrack/trace_resolver.h"
#include "spans/span.h"

namespace obi::conntrack {

// What a handler knows about its connection (owned by the tracker, outlives the handler).
struct ConnInfo {
    uint32_t pid = 0;
    std::string local_addr, remote_addr;
    uint16_t local_port = 0, remote_port = 0;
    uint8_t kernel_role = OBI_ROLE_UNKNOWN;
};

class SpanSink {
public:
    virtual ~SpanSink() = default;
    virtual void emit(Span&& span) = 0;
};

// Health counters of one protocol's parsing, reported as self-metrics.
struct ProtocolCounters {
    uint64_t spans = 0;
    uint64_t parse_errors = 0;      // bytes that could not be parsed as the protocol
    uint64_t lost_sync = 0;         // state dropped after lost events or uncaptured heads
    uint64_t orphan_responses = 0;  // responses without a request
    uint64_t unanswered = 0;        // requests dropped without a response (close, overflow)
};

struct HandlerEnv {
    const ConnInfo* conn = nullptr;
    SpanSink* sink = nullptr;
    TraceResolver* resolver = nullptr;
    ProtocolCounters* counters = nullptr;
    uint64_t request_timeout_ns = 0;  // ebpf.http_request_timeout; 0 = off
    // The burst that identified the protocol (valid only during create()).
    std::string_view first_bytes;
    Direction first_dir = Direction::Ingress;
};

class ProtocolHandler {
public:
    virtual ~ProtocolHandler() = default;
    virtual void on_data(const DataChunk& chunk) = 0;
    // Events of this connection were lost: drop partial messages, resynchronise.
    virtual void on_gap() = 0;
    virtual void on_close(uint64_t ts_ns) = 0;
    // Periodic: time out requests that never got a response.
    virtual void on_timer(uint64_t now_ns) { (void)now_ns; }
};

// A protocol known to the tracker.
struct ProtocolDef {
    const char* name;
    // Does this burst's start belong to the protocol? Must be cheap and strict: a
    // misclassified connection is worse than an unclassified one.
    bool (*detect)(std::string_view first_bytes, Direction dir);
    std::unique_ptr<ProtocolHandler> (*create)(const HandlerEnv& env);
};

}  // namespace obi::conntrack
