// OtlpMetricsExporter: the periodic loop, the final export and the shutdown handshake.
#include "export/otlp/metrics_exporter.h"

#include <spdlog/spdlog.h>

namespace obi::otlp {
namespace {

uint64_t request_points(const MetricsRequest& request)
{
    uint64_t n = 0;
    for (const auto& rm : request.resource_metrics())
        for (const auto& sm : rm.scope_metrics())
            for (const auto& m : sm.metrics()) {
                n += static_cast<uint64_t>(m.sum().data_points_size() + m.gauge().data_points_size() +
                                           m.histogram().data_points_size() +
                                           m.exponential_histogram().data_points_size() + m.summary().data_points_size());
            }
    return n;
}

}  // namespace

OtlpMetricsExporter::OtlpMetricsExporter(std::unique_ptr<Transport> transport, SnapshotProvider provider,
                                         MetricsExporterOptions options)
    : options_(std::move(options)), provider_(std::move(provider)), sender_(std::move(transport), options_.sender, stats_)
{
    if (options_.interval.count() <= 0) options_.interval = std::chrono::seconds(60);
    thread_ = std::thread([this] { run(); });
}

OtlpMetricsExporter::~OtlpMetricsExporter() { shutdown(options_.shutdown_timeout); }

void OtlpMetricsExporter::export_snapshot(Deadline deadline)
{
    metrics::Snapshot snapshot;
    try {
        snapshot = provider_ ? provider_() : metrics::Snapshot{};
    } catch (const std::exception& e) {
        stats_.add_error("provider");
        spdlog::error("{}: cannot collect metrics: {}", options_.sender.config_key, e.what());
        return;
    }
    collections_.fetch_add(1, std::memory_order_relaxed);
    std::vector<MetricsRequest> requests;
    try {
        requests = encode_metrics(snapshot, options_.encode);
    } catch (const std::exception& e) {
        stats_.failed.fetch_add(count_points(snapshot), std::memory_order_relaxed);
        stats_.add_error("internal");
        spdlog::error("{}: cannot encode metrics: {}", options_.sender.config_key, e.what());
        return;
    }
    for (const auto& request : requests) sender_.deliver(request, request_points(request), deadline);
}

void OtlpMetricsExporter::run()
{
    try {
        auto next = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(options_.interval);
        std::unique_lock lock(mu_);
        while (true) {
            cv_.wait_until(lock, next, [&] { return stopping_; });
            if (stopping_) break;
            // Retries of this snapshot may use the time until the next one is due.
            next += std::chrono::duration_cast<SteadyClock::duration>(options_.interval);
            lock.unlock();
            export_snapshot(next);
            lock.lock();
            if (auto now = SteadyClock::now(); next <= now)  // we fell behind: skip the missed ticks
                next = now + std::chrono::duration_cast<SteadyClock::duration>(options_.interval);
        }
        Deadline deadline = stop_deadline_;
        lock.unlock();
        if (options_.final_export && !sender_.aborted()) export_snapshot(deadline);
    } catch (const std::exception& e) {
        spdlog::error("{}: the metrics export thread stopped: {}", options_.sender.config_key, e.what());
    }
    std::lock_guard lock(mu_);
    stopped_ = true;
    cv_.notify_all();
}

void OtlpMetricsExporter::shutdown(std::chrono::nanoseconds timeout)
{
    std::call_once(shutdown_once_, [&] {
        const Deadline deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(timeout);
        {
            std::lock_guard lock(mu_);
            stopping_ = true;
            stop_deadline_ = deadline;
        }
        sender_.cap_deadline(deadline);
        cv_.notify_all();
        bool finished;
        {
            std::unique_lock lock(mu_);
            finished = cv_.wait_until(lock, deadline, [this] { return stopped_; });
        }
        if (!finished) sender_.abort();
        if (thread_.joinable()) thread_.join();
    });
}

}  // namespace obi::otlp
