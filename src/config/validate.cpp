// Fatal cross-field validation: the checks that need the whole configuration.
#include <algorithm>

#include "config/normalize.h"
#include "config/otlp.h"

namespace obi::config {
namespace {

bool lists(const std::vector<std::string>& features, const char* name)
{
    return std::find(features.begin(), features.end(), name) != features.end();
}

}  // namespace

void validate(const Config& cfg, LoadContext& ctx)
{
    bool app = !cfg.discovery.instrument.empty();
    bool network = cfg.metrics.any_network();
    bool otlp_traces = otlp_target(cfg, OtlpSignal::Traces).has_value();
    bool otlp_metrics = otlp_target(cfg, OtlpSignal::Metrics).has_value();
    bool prometheus = cfg.prometheus.port != 0;

    if (!app && !network)
        ctx.error(
            "nothing to instrument: set OTEL_EBPF_OPEN_PORT (e.g. 8080), OTEL_EBPF_AUTO_TARGET_EXE (e.g. '*/server') "
            "or OTEL_EBPF_TARGET_PID, or add entries to discovery.instrument in the config file "
            "(e.g. discovery: {instrument: [{open_ports: 8080}]})");

    if (app && cfg.trace_printer == TracePrinter::Disabled && !otlp_traces && !otlp_metrics && !prometheus)
        ctx.error(
            "no exporter is enabled, so the data would go nowhere: set OTEL_EBPF_TRACE_PRINTER=text to print spans, "
            "OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://localhost:4318) to send OTLP, or OTEL_EBPF_PROMETHEUS_PORT to "
            "serve metrics (config file: trace_printer, otel_traces_export.endpoint, otel_metrics_export.endpoint, "
            "prometheus_export.port)");

    if (network && !otlp_metrics && !prometheus && !cfg.network.print_flows)
        ctx.error("network metrics need a metrics exporter: set OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, "
                  "OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EBPF_PROMETHEUS_PORT (or network.print_flows for debugging)");

    if (lists(cfg.metrics.features, "application_span") && lists(cfg.metrics.features, "application_span_otel"))
        ctx.error("metrics.features: application_span and application_span_otel cannot be enabled together; "
                  "choose one span metrics format");

    const auto& im = cfg.internal_metrics;
    if (im.exporter == InternalMetricsExporter::Otel && im.prometheus_port != 0)
        ctx.error("internal_metrics: exporter 'otel' and prometheus.port cannot be used together; choose one");
    if (im.exporter == InternalMetricsExporter::Otel && !otlp_metrics)
        ctx.error("internal_metrics.exporter 'otel' needs an OTLP metrics endpoint (otel_metrics_export.endpoint, "
                  "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT)");
    if (im.exporter == InternalMetricsExporter::Prometheus && im.prometheus_port == 0)
        ctx.error("internal_metrics.exporter 'prometheus' needs internal_metrics.prometheus.port "
                  "(OTEL_EBPF_INTERNAL_METRICS_PROMETHEUS_PORT)");

    if (cfg.attributes.kubernetes.informers_sync_timeout == Duration::zero())
        ctx.error("attributes.kubernetes.informers_sync_timeout (OTEL_EBPF_KUBE_INFORMERS_SYNC_TIMEOUT) must be "
                  "greater than 0s");

    for (const auto& [i, path] : {std::pair{cfg.prometheus.path, "prometheus_export.path"},
                                  std::pair{im.prometheus_path, "internal_metrics.prometheus.path"}})
        if (i.empty() || i.front() != '/') ctx.error(std::string(path) + ": '" + i + "' must start with '/'");
}

}  // namespace obi::config
