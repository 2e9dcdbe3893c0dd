// RetrySender: the attempt / classify / back off loop and its bookkeeping.
#include "export/otlp/retry_sender.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace obi::otlp {
namespace {

std::string human(std::chrono::nanoseconds d)
{
    double ms = std::chrono::duration<double, std::milli>(d).count();
    if (ms < 1000) return fmt::format("{:.0f}ms", ms);
    return fmt::format("{:.1f}s", ms / 1000);
}

}  // namespace

RetrySender::RetrySender(std::unique_ptr<Transport> transport, SenderOptions options, ExportStats& stats)
    : transport_(std::move(transport)),
      options_(std::move(options)),
      stats_(stats),
      backoff_(options_.retry),
      error_log_(options_.log_interval),
      partial_log_(options_.log_interval)
{
}

void RetrySender::cap_deadline(Deadline cap)
{
    {
        std::lock_guard lock(mu_);
        cap_ = std::min(cap_, cap);
    }
    cv_.notify_all();
}

void RetrySender::abort()
{
    {
        std::lock_guard lock(mu_);
        aborted_ = true;
    }
    cv_.notify_all();
    transport_->cancel();
}

bool RetrySender::aborted() const
{
    std::lock_guard lock(mu_);
    return aborted_;
}

bool RetrySender::wait_until(Deadline until)
{
    std::unique_lock lock(mu_);
    // A backoff of a few seconds must not hold the exit: shutdown (cap_ lowered) ends the wait.
    while (!aborted_ && cap_ == Deadline::max() && SteadyClock::now() < until) cv_.wait_until(lock, until);
    return !aborted_;
}

void RetrySender::give_up(uint64_t items, const std::string& reason, const std::string& why)
{
    stats_.failed.fetch_add(items, std::memory_order_relaxed);
    if (reason != "permanent") stats_.add_error(reason);
    failing_ = true;
    uint64_t skipped = 0;
    if (error_log_.allow(&skipped))
        spdlog::error("{}: {}: {}; {} {} dropped{}", options_.config_key, transport_->describe(), why, items,
                      options_.items, skipped ? fmt::format(" ({} similar messages suppressed)", skipped) : "");
}

Delivery RetrySender::deliver(const TraceRequest& request, uint64_t items, Deadline deadline)
{
    return deliver_impl(request, items, deadline);
}

Delivery RetrySender::deliver(const MetricsRequest& request, uint64_t items, Deadline deadline)
{
    return deliver_impl(request, items, deadline);
}

template <class Request>
Delivery RetrySender::deliver_impl(const Request& request, uint64_t items, Deadline deadline)
{
    const auto start = SteadyClock::now();
    const Deadline budget_end = options_.retry.max_elapsed_time.count() > 0
                                    ? start + std::chrono::duration_cast<SteadyClock::duration>(options_.retry.max_elapsed_time)
                                    : Deadline::max();
    backoff_.reset();
    auto finish = [&](Delivery d) {
        stats_.last_export_duration_ns.store(
            static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start).count()),
            std::memory_order_relaxed);
        return d;
    };
    while (true) {
        Deadline cap;
        {
            std::lock_guard lock(mu_);
            if (aborted_) {
                give_up(items, "shutdown", "export stopped at shutdown");
                return finish(Delivery::Aborted);
            }
            cap = std::min(deadline, cap_);
        }
        SendResult r;
        try {
            r = transport_->send(request, cap);
        } catch (const std::exception& e) {
            r.outcome = Outcome::Permanent;
            r.reason = "internal";
            r.message = e.what();
        }
        stats_.attempts.fetch_add(1, std::memory_order_relaxed);
        stats_.bytes_sent.fetch_add(r.bytes_sent, std::memory_order_relaxed);

        if (r.outcome == Outcome::Success) {
            uint64_t rejected = static_cast<uint64_t>(std::clamp<int64_t>(r.rejected, 0, static_cast<int64_t>(items)));
            stats_.exported.fetch_add(items - rejected, std::memory_order_relaxed);
            stats_.rejected.fetch_add(rejected, std::memory_order_relaxed);
            stats_.batches_sent.fetch_add(1, std::memory_order_relaxed);
            if (failing_) spdlog::info("{}: {}: export works again", options_.config_key, transport_->describe());
            failing_ = false;
            uint64_t skipped = 0;
            if ((rejected || !r.partial_message.empty()) && partial_log_.allow(&skipped))
                spdlog::warn("{}: {}: the receiver rejected {} of {} {}: {}{}", options_.config_key,
                             transport_->describe(), rejected, items, options_.items, r.partial_message,
                             skipped ? fmt::format(" ({} similar messages suppressed)", skipped) : "");
            return finish(Delivery::Delivered);
        }

        stats_.add_error(r.reason.empty() ? "unknown" : r.reason);
        if (r.outcome == Outcome::Permanent) {
            give_up(items, "permanent", "export failed, not retryable (" + r.message + ")");
            return finish(Delivery::Rejected);
        }
        if (r.reason == "cancelled" || aborted()) {
            give_up(items, "shutdown", "export stopped at shutdown");
            return finish(Delivery::Aborted);
        }
        bool shutting_down;
        {
            std::lock_guard lock(mu_);
            shutting_down = cap_ != Deadline::max();
        }
        if (shutting_down) {  // at shutdown every batch gets one attempt: a dead collector must not hold the exit
            give_up(items, "shutdown", "export failed at shutdown (" + r.message + "), not retried");
            return finish(Delivery::Aborted);
        }
        auto delay = backoff_.next();
        if (r.retry_after) delay = std::max<std::chrono::nanoseconds>(delay, *r.retry_after);
        const Deadline next = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(delay);
        if (next > budget_end) {
            give_up(items, "retries_exhausted",
                    "export failed (" + r.message + "), giving up after " + human(SteadyClock::now() - start));
            return finish(Delivery::GaveUp);
        }
        {
            std::lock_guard lock(mu_);
            cap = std::min(deadline, cap_);
        }
        if (next > cap) {
            bool shutdown = cap < deadline;
            give_up(items, shutdown ? "shutdown" : "deadline",
                    "export failed (" + r.message + ") and no time is left to retry");
            return finish(shutdown ? Delivery::Aborted : Delivery::GaveUp);
        }
        failing_ = true;
        uint64_t skipped = 0;
        if (error_log_.allow(&skipped))
            spdlog::warn("{}: {}: export failed ({}); retrying in {}{}", options_.config_key, transport_->describe(),
                         r.message, human(delay),
                         skipped ? fmt::format(" ({} similar messages suppressed)", skipped) : "");
        if (!wait_until(next)) {
            give_up(items, "shutdown", "export stopped at shutdown");
            return finish(Delivery::Aborted);
        }
    }
}

}  // namespace obi::otlp
