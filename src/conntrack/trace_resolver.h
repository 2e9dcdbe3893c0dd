// Maps the span ids the kernel generated for server requests to the ids their spans
// finally got (an incoming traceparent replaces the kernel's trace id), so that client
// calls the kernel parented to a server request join that request's real trace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "spans/ids.h"

namespace obi::conntrack {

struct ResolvedParent {
    TraceId trace_id;
    SpanId span_id;
    uint8_t flags = 1;
    bool from_remote = false;  // the trace came from an incoming traceparent
};

// A direct-mapped table: O(1) with one cache line touched per call; a newer entry
// overwrites an older one in its slot (span ids are random, so slots are uniform). Only
// requests still in flight are looked up, so the table needs to hold just those.
class TraceResolver {
public:
    explicit TraceResolver(size_t slots = 16384);
    void remember(const SpanId& kernel_span, const ResolvedParent& final_ids);
    std::optional<ResolvedParent> resolve(const SpanId& kernel_span) const;

private:
    struct Slot {
        uint64_t key = 0;  // 0 = empty (span ids are never all zero)
        ResolvedParent ids;
    };
    static uint64_t key(const SpanId& s);
    size_t index(uint64_t k) const { return (k ^ (k >> 29)) & mask_; }
    std::vector<Slot> slots_;
    size_t mask_;
};

}  // namespace obi::conntrack
