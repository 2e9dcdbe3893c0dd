// The stages after parsing. On the capture thread: decorate each span (service identity,
// route, query) and batch. Through a bounded queue (full: the batch is dropped and counted,
// never blocking) to the export thread: filter, record metrics (every request), sample, and
// hand the sampled spans to the trace exporters.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "conntrack/protocol.h"
#include "export/exporter.h"
#include "pipeline/service_registry.h"

namespace obi::pipeline {

struct PipelineOptions {
    size_t max_batch = 4096;          // spans per batch handed to exporters
    size_t max_queue_spans = 16384;   // spans waiting for the export thread
    // Spans of a process the kernel traces before discovery has registered it (a new exec or
    // listener, traced provisionally) wait this long for its identity, at most this many.
    std::chrono::milliseconds unknown_hold{3000};
    size_t max_unknown_held = 8192;
};

struct PipelineStats {
    std::atomic<uint64_t> spans{0};             // spans produced by the parsers
    std::atomic<uint64_t> exported{0};          // spans handed to trace exporters
    std::atomic<uint64_t> filtered{0};          // filter.application: dropped from metrics and traces
    std::atomic<uint64_t> unsampled{0};         // not exported as traces by the sampler
    std::atomic<uint64_t> dropped_queue{0};     // export queue full
    std::atomic<uint64_t> dropped_invalid{0};   // invalid UTF-8 method/path, end before start
    std::atomic<uint64_t> dropped_ignored{0};   // routes.ignored_patterns, service exports
    std::atomic<uint64_t> dropped_unknown{0};   // process not (or no longer) instrumented
    std::atomic<uint64_t> held_unknown{0};      // waited for discovery to register their process
};

// Sets span.route; returns false when the span must not be exported as a trace.
using RouteFn = std::function<bool(Span&)>;

// Export-thread stages; any may be empty.
struct ExportStages {
    std::function<bool(const Span&)> filter;          // false: dropped from metrics and traces
    std::function<void(const Span&)> record_metrics;  // every span that passed the filter
    std::function<bool(const Span&)> sample;          // false: not exported as a trace
};

class SpanPipeline final : public conntrack::SpanSink {
public:
    SpanPipeline(PipelineOptions opts, ServiceRegistry& registry, RouteFn routes,
                 std::vector<std::unique_ptr<SpanExporter>> exporters, ExportStages stages = {});
    ~SpanPipeline() override;

    void emit(Span&& span) override;  // capture thread
    void flush();                     // capture thread: queue the current batch
    void start();
    // Stops the export thread after exporting what is queued and finishing every exporter,
    // all by `deadline` (what is left then is dropped and counted).
    void shutdown(std::chrono::steady_clock::time_point deadline);
    const PipelineStats& stats() const { return stats_; }
    size_t queued_spans() const;

private:
    void admit(Span&& span);  // decorated: routes, then the batch
    void release_held(std::chrono::steady_clock::time_point now, bool final);
    void export_loop();
    void export_batch(std::vector<Span>& batch);

    PipelineOptions opts_;
    ServiceRegistry& registry_;
    RouteFn routes_;
    std::vector<std::unique_ptr<SpanExporter>> exporters_;
    ExportStages stages_;
    std::vector<Span> batch_;
    struct Held {
        Span span;
        std::chrono::steady_clock::time_point since;
    };
    std::deque<Held> held_;  // capture thread: spans whose process has no identity yet, oldest first
    uint64_t held_generation_ = 0;  // the registry's generation when held_ was last looked up
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::vector<Span>> queue_;
    size_t queued_spans_ = 0;
    bool stopping_ = false;
    std::chrono::steady_clock::time_point deadline_{};  // of shutdown(); set before stopping_
    std::thread thread_;
    PipelineStats stats_;
};

// OBI drops spans whose method or path are not valid UTF-8.
bool valid_utf8(std::string_view s);

}  // namespace obi::pipeline
