// The agent's internal metrics by name: OBI's (obi-compat.md 4.8) and ours, registered in
// one call so that the agent wires handles instead of strings.
#pragma once

#include <string>

#include "metrics/internal.h"
#include "metrics/registry.h"

namespace obi::metrics {

// OBI's names.
inline constexpr const char* kTracerFlushes = "obi.ebpf.tracer.flushes";
inline constexpr const char* kTraceExports = "obi.otel.trace.exports";
inline constexpr const char* kTraceExportErrors = "obi.otel.trace.export.errors";  // {error}
inline constexpr const char* kMetricExports = "obi.otel.metric.exports";
inline constexpr const char* kMetricExportErrors = "obi.otel.metric.export.errors";  // {error}
inline constexpr const char* kPrometheusRequests = "obi.prometheus.http.requests";  // {port, path}
inline constexpr const char* kInstrumentedProcesses = "obi.instrumented.processes";  // {process_executable_name}
inline constexpr const char* kInstrumentationErrors = "obi.instrumentation.errors";  // {process_executable_name, error}
inline constexpr const char* kAvoidedServices = "obi.avoided.services";  // {service_name, service_namespace, instance}
inline constexpr const char* kBuildInfo = "obi.internal.build.info";
// Ours (obi-cpp).
inline constexpr const char* kRingbufEventsRead = "obi.ebpf.ringbuf.events.read";
inline constexpr const char* kRingbufEventsLost = "obi.ebpf.ringbuf.events.lost";
inline constexpr const char* kParseErrors = "obi.parse.errors";        // {protocol}
inline constexpr const char* kSpansDropped = "obi.spans.dropped";      // {reason}
inline constexpr const char* kExportQueueSpans = "obi.export.queue.spans";
inline constexpr const char* kExportQueueCapacity = "obi.export.queue.capacity";
inline constexpr const char* kMetricSeries = "obi.metric.series";                      // {exporter}
inline constexpr const char* kMetricSeriesOverflows = "obi.metric.series.overflows";  // {exporter}
inline constexpr const char* kTlsCallsHidden = "obi.tls.calls.hidden";  // ciphertext socket calls not emitted
inline constexpr const char* kTlsCallsUntied = "obi.tls.calls.untied";  // plaintext calls without a known socket

struct AgentMetrics {
    InternalCounter* tracer_flushes = nullptr;
    InternalCounter* trace_exports = nullptr;
    LabeledValues* trace_export_errors = nullptr;  // add({error})
    InternalCounter* metric_exports = nullptr;
    LabeledValues* metric_export_errors = nullptr;    // add({error})
    LabeledValues* prometheus_requests = nullptr;     // add({port, path})
    LabeledValues* instrumented_processes = nullptr;  // add({exe}, +1 / -1)
    LabeledValues* instrumentation_errors = nullptr;  // add({exe, error})
    LabeledValues* avoided_services = nullptr;        // set({name, namespace, instance}, 1)
    InternalCounter* ringbuf_events_read = nullptr;
    InternalCounter* ringbuf_events_lost = nullptr;
    LabeledValues* parse_errors = nullptr;   // add({protocol})
    LabeledValues* spans_dropped = nullptr;  // add({reason}, n): queue_full, invalid, filtered, ...
    InternalGauge* export_queue_spans = nullptr;
    InternalGauge* export_queue_capacity = nullptr;
    InternalCounter* tls_calls_hidden = nullptr;
    InternalCounter* tls_calls_untied = nullptr;
};

// Registers every metric above (and obi.internal.build.info = 1 with the build labels).
AgentMetrics register_agent_metrics(InternalMetrics& internal);

// obi.metric.series{exporter} and obi.metric.series.overflows{exporter}, read from
// `registry` at collection time; the registry must outlive `internal`'s collections.
void observe_registry(InternalMetrics& internal, const MetricsRegistry& registry, const std::string& exporter);

}  // namespace obi::metrics
