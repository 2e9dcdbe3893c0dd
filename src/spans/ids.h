// W3C trace-context identifiers: trace id, span id, the traceparent header value, and
// a fast random source for ids generated in user space.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace obi {

struct TraceId {
    std::array<uint8_t, 16> bytes{};
    bool valid() const;
    std::string hex() const;
    friend bool operator==(const TraceId&, const TraceId&) = default;
};

struct SpanId {
    std::array<uint8_t, 8> bytes{};
    bool valid() const;
    std::string hex() const;
    friend bool operator==(const SpanId&, const SpanId&) = default;
};

// A parsed `traceparent` header value: version-traceid-parentid-flags.
struct TraceParent {
    TraceId trace_id;
    SpanId parent_id;
    uint8_t flags = 0;
};

// Parses "00-<32 hex>-<16 hex>-<2 hex>" (surrounding whitespace allowed). Rejects all-zero
// ids, version ff and malformed values, as the W3C specification requires.
std::optional<TraceParent> parse_traceparent(std::string_view value);

// Random ids for spans created in user space (xoshiro256**, seeded from the kernel).
TraceId random_trace_id();
SpanId random_span_id();

}  // namespace obi
