// OtlpTraceExporter: the span exporter that sends OTLP. export_spans() only copies spans
// into a bounded queue (never blocks; a full queue drops and counts); a sender thread
// batches, encodes and delivers them with retries, so a slow or dead collector costs at
// most max_queue_size + max_export_batch_size spans of memory.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "export/exporter.h"
#include "export/otlp/rate_limit.h"
#include "export/otlp/retry_sender.h"
#include "export/otlp/stats.h"
#include "spans/clock.h"

namespace obi::otlp {

struct TraceExporterOptions {
    size_t max_queue_size = 16384;
    size_t max_export_batch_size = 4096;
    std::chrono::nanoseconds batch_timeout = std::chrono::seconds(15);  // longest wait of a partial batch
    std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds(10);  // for flush() and the destructor
    SenderOptions sender;  // retry policy, log key and interval
    // Span types exported (bit 1 << SpanType): otel_traces_export.instrumentations.
    uint32_t span_types = 0xffffffffu;
};

class OtlpTraceExporter final : public SpanExporter {
public:
    OtlpTraceExporter(std::unique_ptr<Transport> transport, TraceExporterOptions options, const MonoClock& clock);
    ~OtlpTraceExporter() override;  // shutdown(shutdown_timeout)
    OtlpTraceExporter(const OtlpTraceExporter&) = delete;
    OtlpTraceExporter& operator=(const OtlpTraceExporter&) = delete;

    // Copies the spans into the queue and returns; spans beyond max_queue_size are dropped.
    void export_spans(const std::vector<Span>& batch) override;
    // Sends everything queued now, waiting up to shutdown_timeout.
    void flush() override;
    // True when the queue was delivered (or given up on) within `timeout`; the sender keeps
    // retrying in the background after a false.
    bool flush(std::chrono::nanoseconds timeout);
    // Delivers what is queued within `timeout`, then cancels the rest (counted as failed)
    // and stops the sender thread. Idempotent; export_spans() drops afterwards.
    void shutdown(std::chrono::nanoseconds timeout);
    void finish(Deadline deadline) override { shutdown(std::max(deadline - SteadyClock::now(), SteadyClock::duration::zero())); }

    ExportStatsSnapshot stats() const { return stats_.snapshot(); }
    const TraceExporterOptions& options() const { return options_; }
    std::string describe() const;

private:
    void enqueue(const std::vector<Span>& batch);
    bool wanted(const Span& s) const { return options_.span_types & (1u << static_cast<unsigned>(s.type)); }
    void run();
    void run_loop();
    // Waits (lock held) until a batch should go out; false when the thread must end.
    bool wait_for_batch(std::unique_lock<std::mutex>& lock);
    void take_batch(std::vector<Span>& out);  // lock held
    void deliver(std::vector<Span>& batch, Deadline deadline);

    TraceExporterOptions options_;
    const MonoClock& clock_;
    ExportStats stats_;
    RetrySender sender_;
    RateLimit drop_log_;

    mutable std::mutex mu_;
    std::condition_variable work_cv_;  // sender thread: spans, flush or stop
    std::condition_variable idle_cv_;  // flush()/shutdown(): queue drained
    std::deque<Span> queue_;
    // When spans arrived, per export_spans() call: the oldest decides the batch timeout.
    std::deque<std::pair<SteadyClock::time_point, size_t>> arrivals_;
    size_t reserved_ = 0;   // slots promised to export_spans() calls copying outside the lock
    size_t in_flight_ = 0;  // spans of the batch being delivered
    // flush(): every span enqueued before it goes out without waiting for batch_timeout.
    uint64_t enqueued_total_ = 0;
    uint64_t taken_total_ = 0;
    uint64_t flush_target_ = 0;
    bool stopping_ = false;
    bool stopped_ = false;  // sender thread finished
    Deadline stop_deadline_ = Deadline::max();
    std::thread thread_;
    std::once_flag shutdown_once_;
};

}  // namespace obi::otlp
