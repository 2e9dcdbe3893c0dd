// TraceResolver: a bounded FIFO map (span ids are random, so 8 bytes are a fine key).
#include "conntrack/trace_resolver.h"

#include <cstring>

namespace obi::conntrack {

uint64_t TraceResolver::key(const SpanId& s)
{
    uint64_t k;
    std::memcpy(&k, s.bytes.data(), sizeof(k));
    return k;
}

void TraceResolver::remember(const SpanId& kernel_span, const ResolvedParent& ids)
{
    uint64_t k = key(kernel_span);
    auto it = map_.find(k);
    if (it != map_.end()) {
        it->second.first = ids;
        return;
    }
    if (map_.size() >= capacity_) {
        map_.erase(order_.front());
        order_.pop_front();
    }
    order_.push_back(k);
    map_.emplace(k, std::make_pair(ids, std::prev(order_.end())));
}

std::optional<ResolvedParent> TraceResolver::resolve(const SpanId& kernel_span) const
{
    auto it = map_.find(key(kernel_span));
    if (it == map_.end()) return std::nullopt;
    return it->second.first;
}

}  // namespace obi::conntrack
