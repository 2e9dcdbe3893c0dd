// Registration of the agent's internal metrics.
#include "metrics/agent_metrics.h"

#include <memory>
#include <vector>

#include "metrics/build_info.h"

namespace obi::metrics {

AgentMetrics register_agent_metrics(InternalMetrics& im)
{
    AgentMetrics m;
    m.tracer_flushes = &im.counter(kTracerFlushes, "1", "Times the eBPF tracer flushed its buffered events.");
    m.trace_exports = &im.counter(kTraceExports, "1", "OTLP trace export requests sent.");
    m.trace_export_errors =
        &im.labeled_counter(kTraceExportErrors, "1", "OTLP trace export requests that failed.", {"error"});
    m.metric_exports = &im.counter(kMetricExports, "1", "OTLP metric export requests sent.");
    m.metric_export_errors =
        &im.labeled_counter(kMetricExportErrors, "1", "OTLP metric export requests that failed.", {"error"});
    m.prometheus_requests = &im.labeled_counter(kPrometheusRequests, "1", "Requests to the Prometheus endpoints.",
                                                {"port", "path"});
    m.instrumented_processes = &im.labeled_gauge(kInstrumentedProcesses, "{process}",
                                                  "Processes instrumented now, by executable name.",
                                                  {"process_executable_name"});
    m.instrumentation_errors =
        &im.labeled_counter(kInstrumentationErrors, "1", "Processes that could not be instrumented.",
                            {"process_executable_name", "error"});
    m.avoided_services = &im.labeled_gauge(kAvoidedServices, "{service}",
                                           "Services whose traces are not exported because they export their own.",
                                           {"service_name", "service_namespace", "instance"});
    m.ringbuf_events_read = &im.counter(kRingbufEventsRead, "1", "Events read from the eBPF ring buffers.");
    m.ringbuf_events_lost =
        &im.counter(kRingbufEventsLost, "1", "Events the kernel could not write because a ring buffer was full.");
    m.parse_errors = &im.labeled_counter(kParseErrors, "1", "Messages a protocol parser rejected.", {"protocol"});
    m.spans_dropped = &im.labeled_counter(kSpansDropped, "1", "Spans dropped before export, by reason.", {"reason"});
    m.export_queue_spans = &im.gauge(kExportQueueSpans, "{span}", "Spans waiting in the export queue.");
    m.export_queue_capacity = &im.gauge(kExportQueueCapacity, "{span}", "Capacity of the export queue.");
    m.tls_calls_hidden = &im.counter(kTlsCallsHidden, "1",
                                     "Socket calls of TLS connections whose ciphertext was not emitted (the "
                                     "plaintext comes from the libssl probes, or the TLS library is not probed).");
    m.tls_calls_untied = &im.counter(kTlsCallsUntied, "1",
                                     "TLS plaintext calls dropped because their SSL session was not tied to a socket.");

    auto labels = std::make_shared<std::vector<std::pair<std::string, std::string>>>(build_info_labels());
    im.observe(kBuildInfo, "", "Build of the instrumentation agent (value 1).", false, [labels](Observer& o) {
        const auto& l = *labels;
        o.record(1, {{l[0].first, l[0].second},
                     {l[1].first, l[1].second},
                     {l[2].first, l[2].second},
                     {l[3].first, l[3].second},
                     {l[4].first, l[4].second}});
    });
    return m;
}

void observe_registry(InternalMetrics& im, const MetricsRegistry& registry, const std::string& exporter)
{
    const MetricsRegistry* reg = &registry;
    im.observe(kMetricSeries, "{series}", "Metric series held in memory, by exporter.", false,
               [reg, exporter](Observer& o) {
                   o.record(static_cast<double>(reg->series_count()), {{"exporter", exporter}});
               });
    im.observe(kMetricSeriesOverflows, "1",
               "Recordings folded into an otel.metric.overflow series because a metric reached its series limit.",
               true, [reg, exporter](Observer& o) {
                   o.record(static_cast<double>(reg->overflowed()), {{"exporter", exporter}});
               });
}

}  // namespace obi::metrics
