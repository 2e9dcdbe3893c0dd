// Everything that turns finished spans into exported telemetry: the trace exporters (trace
// printer, OTLP), the metric registries (OTLP, Prometheus) fed on the export thread, the
// agent's own metrics, the OTLP metrics exporters and the Prometheus endpoints.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "export/exporter.h"
#include "export/otlp/metrics_exporter.h"
#include "export/otlp/trace_exporter.h"
#include "export/prometheus/endpoints.h"
#include "metrics/agent_metrics.h"
#include "metrics/internal.h"
#include "metrics/registry.h"
#include "metrics/span_filter.h"
#include "metrics/span_metrics.h"
#include "pipeline/sampler.h"
#include "pipeline/span_pipeline.h"
#include "spans/clock.h"

namespace obi {

class Telemetry {
public:
    Telemetry(const config::Config& cfg, const MonoClock& clock);
    ~Telemetry();

    // Builds the exporters the configuration asks for. False with *error for what cannot
    // work (a malformed endpoint, a taken Prometheus port): the agent does not start.
    bool init(std::string* error);
    // The trace exporters for the span pipeline (ownership moves; the OTLP one stays
    // observable through stats()).
    std::vector<std::unique_ptr<SpanExporter>> take_trace_exporters();
    // The export-thread stages: filter.application, metric recording, sampling.
    pipeline::ExportStages stages();
    // Starts the Prometheus endpoints; the OTLP exporters run from init.
    bool start(std::string* error);
    // Final metric export and endpoint shutdown (after the span pipeline has drained), done
    // or abandoned by `deadline`.
    void shutdown(std::chrono::steady_clock::time_point deadline);

    // A process was instrumented / exited: target_info appears / goes at once.
    void service_added(const ServicePtr& svc);
    void service_exited(const ServiceInfo* svc);

    metrics::AgentMetrics& agent() { return agent_; }
    metrics::InternalMetrics& internal() { return internal_; }
    // Periodic (capture thread, once a second): gauges of queues and exporter results.
    void update_exporter_metrics(const pipeline::SpanPipeline& pipeline);

    bool any_metrics() const { return otlp_registry_ || prom_registry_; }

private:
    const config::Config& cfg_;
    const MonoClock& clock_;
    std::vector<std::unique_ptr<SpanExporter>> trace_exporters_;
    otlp::OtlpTraceExporter* otlp_traces_ = nullptr;  // owned by the pipeline
    std::unique_ptr<metrics::MetricsRegistry> otlp_registry_, prom_registry_;
    std::unique_ptr<metrics::SpanMetrics> otlp_spans_, prom_spans_;
    std::unique_ptr<metrics::SpanFilter> filter_;
    std::unique_ptr<pipeline::SamplerSet> samplers_;
    metrics::InternalMetrics internal_;
    metrics::AgentMetrics agent_;
    std::unique_ptr<otlp::OtlpMetricsExporter> otlp_metrics_, otlp_internal_;
    std::unique_ptr<prometheus::PrometheusEndpoints> prom_endpoints_;
    // Last values pushed into the internal counters (they count deltas).
    otlp::ExportStatsSnapshot last_traces_, last_metrics_;
    uint64_t last_dropped_queue_ = 0, last_invalid_ = 0, last_filtered_ = 0;
};

}  // namespace obi
