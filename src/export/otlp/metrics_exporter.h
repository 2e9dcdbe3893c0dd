// OtlpMetricsExporter: a thread that every `interval` takes a metrics::Snapshot from the
// provider and delivers it (retrying until the next interval is due), plus one last
// export at shutdown.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "export/otlp/metrics_encoder.h"
#include "export/otlp/retry_sender.h"
#include "export/otlp/stats.h"
#include "metrics/snapshot.h"

namespace obi::otlp {

// Called on the exporter's thread; must be thread-safe with respect to the recorders.
using SnapshotProvider = std::function<metrics::Snapshot()>;

struct MetricsExporterOptions {
    std::chrono::nanoseconds interval = std::chrono::seconds(60);
    std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds(10);  // for the destructor
    bool final_export = true;  // export once more at shutdown
    MetricsEncodeOptions encode;
    SenderOptions sender;
};

class OtlpMetricsExporter {
public:
    OtlpMetricsExporter(std::unique_ptr<Transport> transport, SnapshotProvider provider,
                        MetricsExporterOptions options);
    ~OtlpMetricsExporter();  // shutdown(shutdown_timeout)
    OtlpMetricsExporter(const OtlpMetricsExporter&) = delete;
    OtlpMetricsExporter& operator=(const OtlpMetricsExporter&) = delete;

    // Stops the periodic exports and sends a final snapshot within `timeout`. Idempotent.
    void shutdown(std::chrono::nanoseconds timeout);

    ExportStatsSnapshot stats() const { return stats_.snapshot(); }
    const MetricsExporterOptions& options() const { return options_; }
    std::string describe() const { return sender_.transport().describe(); }
    uint64_t collections() const { return collections_.load(std::memory_order_relaxed); }

private:
    void run();
    void export_snapshot(Deadline deadline);

    MetricsExporterOptions options_;
    SnapshotProvider provider_;
    ExportStats stats_;
    RetrySender sender_;
    std::atomic<uint64_t> collections_{0};

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool stopped_ = false;
    Deadline stop_deadline_ = Deadline::max();
    std::thread thread_;
    std::once_flag shutdown_once_;
};

}  // namespace obi::otlp
