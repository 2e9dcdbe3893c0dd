// ExportStats: the error map under a mutex, everything else relaxed atomics.
#include "export/otlp/stats.h"

namespace obi::otlp {

void ExportStats::add_error(const std::string& reason, uint64_t n)
{
    std::lock_guard lock(mu_);
    errors_[reason] += n;
}

ExportStatsSnapshot ExportStats::snapshot() const
{
    constexpr auto r = std::memory_order_relaxed;
    ExportStatsSnapshot s;
    s.exported = exported.load(r);
    s.rejected = rejected.load(r);
    s.dropped = dropped.load(r);
    s.failed = failed.load(r);
    s.queue_length = queue_length.load(r);
    s.queue_capacity = queue_capacity_;
    s.batches_sent = batches_sent.load(r);
    s.attempts = attempts.load(r);
    s.bytes_sent = bytes_sent.load(r);
    s.last_export_duration_ns = last_export_duration_ns.load(r);
    std::lock_guard lock(mu_);
    s.errors = errors_;
    return s;
}

}  // namespace obi::otlp
