// Maps the span ids the kernel generated for server requests to the ids their spans
// finally got (an incoming traceparent replaces the kernel's trace id), so that client
// calls the kernel parented to a server request join that request's real trace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>

#include "spans/ids.h"

namespace obi::conntrack {

struct ResolvedParent {
    TraceId trace_id;
    SpanId span_id;
    uint8_t flags = 1;
};

class TraceResolver {
public:
    explicit TraceResolver(size_t capacity = 16384) : capacity_(capacity) {}
    void remember(const SpanId& kernel_span, const ResolvedParent& final_ids);
    std::optional<ResolvedParent> resolve(const SpanId& kernel_span) const;
    size_t size() const { return map_.size(); }

private:
    static uint64_t key(const SpanId& s);
    size_t capacity_;
    std::list<uint64_t> order_;  // insertion order, oldest first
    std::unordered_map<uint64_t, std::pair<ResolvedParent, std::list<uint64_t>::iterator>> map_;
};

}  // namespace obi::conntrack
