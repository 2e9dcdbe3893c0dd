// Delivery of one OTLP request: attempts with exponential backoff until success, a
// permanent error, the retry budget (max_elapsed_time) or the caller's deadline; keeps
// the exporter's stats and rate-limited logs. Shared by the trace and metrics exporters.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "export/otlp/backoff.h"
#include "export/otlp/rate_limit.h"
#include "export/otlp/stats.h"
#include "export/otlp/transport.h"

namespace obi::otlp {

enum class Delivery : uint8_t {
    Delivered,  // accepted (perhaps partially: see stats.rejected)
    Rejected,   // permanent error
    GaveUp,     // retry budget or deadline exhausted
    Aborted,    // abort(), or the shutdown cap reached
};

struct SenderOptions {
    RetryPolicy retry;
    std::string config_key = "otel_traces_export.endpoint";  // named in log lines
    std::string items = "spans";                             // "spans" / "data points"
    std::chrono::nanoseconds log_interval = std::chrono::seconds(10);
};

class RetrySender {
public:
    RetrySender(std::unique_ptr<Transport> transport, SenderOptions options, ExportStats& stats);

    // `items` is how many spans or data points `request` holds. Never throws.
    Delivery deliver(const TraceRequest& request, uint64_t items, Deadline deadline);
    Delivery deliver(const MetricsRequest& request, uint64_t items, Deadline deadline);

    // Any thread: shutdown. No attempt goes beyond `cap` from now on, and a failed attempt is
    // not retried (a collector that is down must not hold the agent's exit).
    void cap_deadline(Deadline cap);
    // Any thread: stop waiting, cancel the call in flight, fail every later delivery.
    void abort();
    bool aborted() const;

    Transport& transport() { return *transport_; }
    const Transport& transport() const { return *transport_; }

private:
    template <class Request>
    Delivery deliver_impl(const Request& request, uint64_t items, Deadline deadline);
    // Sleeps until `until` (a backoff wait). Returns at once when shutdown begins (the cap is set), so the batch
    // gets its one last attempt now instead of after the backoff; false when aborted.
    bool wait_until(Deadline until);
    void give_up(uint64_t items, const std::string& reason, const std::string& why);

    std::unique_ptr<Transport> transport_;
    SenderOptions options_;
    ExportStats& stats_;
    Backoff backoff_;
    RateLimit error_log_;
    RateLimit partial_log_;
    bool failing_ = false;  // the last delivery failed (log recovery once)

    mutable std::mutex mu_;
    std::condition_variable cv_;
    Deadline cap_ = Deadline::max();
    bool aborted_ = false;
};

}  // namespace obi::otlp
