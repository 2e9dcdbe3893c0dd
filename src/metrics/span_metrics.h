// Turns finished spans into metric recordings in one registry: the application RED metrics,
// span metrics (application_span / application_span_otel / application_span_sizes), the
// service graph, and traces_target_info (obi-compat.md 4.2-4.5).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "metrics/app_metrics.h"
#include "metrics/features.h"
#include "metrics/registry.h"
#include "spans/span.h"

namespace obi::metrics {

struct SpanMetricsOptions {
    Features features;
    Instrumentations instrumentations;  // gates the RED metrics per protocol
    bool allow_service_graph_self_references = false;
    // Service graph: true when a client span's peer is itself instrumented, so that the call
    // is counted once (by the peer's server span) in traces_service_graph_request_total.
    // Empty: peers count as uninstrumented.
    std::function<bool(const Span&)> peer_is_instrumented;
};

// Definitions of the span-derived metrics (legacy = application_span names).
MetricDef span_latency_def(bool legacy);
MetricDef span_calls_def(bool legacy);
MetricDef span_request_size_def();
MetricDef span_response_size_def();
MetricDef service_graph_client_def();
MetricDef service_graph_server_def();
MetricDef service_graph_failed_def();
MetricDef service_graph_total_def();
MetricDef traces_target_info_def();

class SpanMetrics {
public:
    SpanMetrics(MetricsRegistry& registry, SpanMetricsOptions options);

    // Call from one thread at a time (the export thread): reuses internal buffers.
    void record(const Span& span);

    AppMetrics* app() { return app_.get(); }  // nullptr when the application feature is off
    MetricsRegistry& registry() { return registry_; }

private:
    void record_red(const Span& span, double duration_s);
    void record_span_metrics(const Span& span, double duration_s);
    void record_service_graph(const Span& span, double duration_s);

    MetricsRegistry& registry_;
    SpanMetricsOptions options_;
    std::unique_ptr<AppMetrics> app_;
    Instrument* latency_ = nullptr;
    Instrument* calls_ = nullptr;
    Instrument* request_size_ = nullptr;
    Instrument* response_size_ = nullptr;
    Instrument* graph_client_ = nullptr;
    Instrument* graph_server_ = nullptr;
    Instrument* graph_failed_ = nullptr;
    Instrument* graph_total_ = nullptr;
    Instrument* target_info_ = nullptr;
    std::string name_scratch_;
};

}  // namespace obi::metrics
