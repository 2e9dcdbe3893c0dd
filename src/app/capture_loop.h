// The capture thread: drains the data ring buffer into the connection tracker, hands span
// batches to the pipeline, and runs the periodic work (timeouts, expiry, loss reports).
#pragma once

#include <memory>
#include <string>

#include "app/telemetry.h"
#include "app/waiter.h"
#include "conntrack/tracker.h"
#include "ebpf/ring_reader.h"
#include "ebpf/tracer.h"
#include "pipeline/span_pipeline.h"

namespace obi {

class CaptureLoop final : public ebpf::RingSink {
public:
    CaptureLoop(ebpf::Tracer& tracer, conntrack::ConnTracker& tracker, pipeline::SpanPipeline& pipeline,
                pipeline::ServiceRegistry& registry, Telemetry& telemetry, int batch_timeout_ms,
                const StopSignal& stop);
    bool open(std::string* error);
    // Runs until the stop signal; drains what is queued before returning.
    void run();
    void on_record(const void* data, size_t size) override;

private:
    void periodic(uint64_t now_ns);
    void update_self_metrics(const ebpf::KernelStats& ks);

    ebpf::Tracer& tracer_;
    conntrack::ConnTracker& tracker_;
    pipeline::SpanPipeline& pipeline_;
    pipeline::ServiceRegistry& registry_;
    Telemetry& telemetry_;
    int batch_timeout_ms_;
    const StopSignal& stop_;
    std::unique_ptr<ebpf::RingReader> reader_;
    uint64_t last_lost_ = 0;
    uint64_t last_gaps_ = 0;
    uint64_t last_stats_log_ns_ = 0;
    // Values already pushed into the internal counters.
    uint64_t pushed_events_ = 0, pushed_lost_ = 0, pushed_flushes_ = 0;
    std::vector<uint64_t> pushed_parse_errors_;
    uint64_t flushes_ = 0;  // ring buffer drains
};

}  // namespace obi
