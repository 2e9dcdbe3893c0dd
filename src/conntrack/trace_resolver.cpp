// TraceResolver: direct-mapped table of kernel span id -> final ids.
#include "conntrack/trace_resolver.h"

#include <cstring>

namespace obi::conntrack {

TraceResolver::TraceResolver(size_t slots)
{
    size_t n = 1;
    while (n < slots) n <<= 1;
    slots_.resize(n);
    mask_ = n - 1;
}

uint64_t TraceResolver::key(const SpanId& s)
{
    uint64_t k;
    std::memcpy(&k, s.bytes.data(), sizeof(k));
    return k;
}

void TraceResolver::remember(const SpanId& kernel_span, const ResolvedParent& ids)
{
    uint64_t k = key(kernel_span);
    if (k == 0) return;
    Slot& s = slots_[index(k)];
    s.key = k;
    s.ids = ids;
}

std::optional<ResolvedParent> TraceResolver::resolve(const SpanId& kernel_span) const
{
    uint64_t k = key(kernel_span);
    const Slot& s = slots_[index(k)];
    if (k == 0 || s.key != k) return std::nullopt;
    return s.ids;
}

}  // namespace obi::conntrack
