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
    bool tls = false;  // the bytes are TLS plaintext (from the libssl probes): url.scheme https
    bool udp = false;  // a UDP socket: every call is one datagram (DataChunk::datagram, peer_*)
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
    uint64_t dns_request_timeout_ns = 0;  // ebpf.dns_request_timeout; 0 = off
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

enum class Detection : uint8_t {
    No,        // these bytes are not this protocol
    NeedMore,  // a valid prefix: ask again when more bytes of the burst arrived
    Yes,
};

// A protocol known to the tracker.
struct ProtocolDef {
    const char* name;
    // Does this burst's start belong to the protocol? `first_bytes` are the burst's bytes up
    // to the first uncaptured hole (at most kMaxDetectBytes). Must be cheap and strict: bound
    // every length, count and opcode, because a misclassified connection is worse than an
    // unclassified one.
    Detection (*detect)(std::string_view first_bytes, Direction dir, const ConnInfo& conn);
    std::unique_ptr<ProtocolHandler> (*create)(const HandlerEnv& env);
};

// Bytes of a burst start the tracker collects at most before it gives up on detection.
inline constexpr size_t kMaxDetectBytes = 512;

}  // namespace obi::conntrack
