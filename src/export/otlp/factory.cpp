// Exporter construction from config::Config plus the OTEL_EXPORTER_OTLP_* SDK variables.
#include "export/otlp/factory.h"

#include <spdlog/spdlog.h>

#include "export/otlp/settings.h"
#include "metrics/features.h"

namespace obi::otlp {

std::unique_ptr<OtlpTraceExporter> make_trace_exporter(const config::Config& cfg, const MonoClock& clock,
                                                       std::string* error)
{
    return make_trace_exporter(cfg, clock, config::process_env(), error);
}

std::unique_ptr<OtlpTraceExporter> make_trace_exporter(const config::Config& cfg, const MonoClock& clock,
                                                       const config::EnvLookup& env, std::string* error)
{
    std::string err;
    auto topts = transport_options(cfg, config::OtlpSignal::Traces, env, &err);
    if (!topts) {
        if (error) *error = err;
        return nullptr;
    }
    auto transport = make_transport(*topts, &err);
    if (!transport) {
        if (error) *error = topts->config_key + ": " + err;
        return nullptr;
    }
    TraceExporterOptions o;
    o.max_queue_size = cfg.otel_traces.max_queue_size;
    o.max_export_batch_size = cfg.otel_traces.max_export_batch_size;
    o.batch_timeout = cfg.otel_traces.batch_timeout;
    o.shutdown_timeout = cfg.shutdown_timeout;
    o.sender.retry = retry_policy(cfg);
    o.sender.config_key = topts->config_key;
    o.sender.items = "spans";
    auto inst = metrics::Instrumentations::from(cfg.otel_traces.instrumentations);  // OBI: no dns by default
    o.span_types = 0;
    for (unsigned t = 0; t < kSpanTypeCount; t++)
        if (inst.covers(static_cast<SpanType>(t))) o.span_types |= 1u << t;
    auto exporter = std::make_unique<OtlpTraceExporter>(std::move(transport), o, clock);
    spdlog::info("OTLP traces to {}", exporter->describe());
    return exporter;
}

std::unique_ptr<OtlpMetricsExporter> make_metrics_exporter(const config::Config& cfg, SnapshotProvider provider,
                                                           std::string* error)
{
    return make_metrics_exporter(cfg, std::move(provider), config::process_env(), error);
}

std::unique_ptr<OtlpMetricsExporter> make_metrics_exporter(const config::Config& cfg, SnapshotProvider provider,
                                                           const config::EnvLookup& env, std::string* error)
{
    std::string err;
    auto topts = transport_options(cfg, config::OtlpSignal::Metrics, env, &err);
    if (!topts) {
        if (error) *error = err;
        return nullptr;
    }
    auto transport = make_transport(*topts, &err);
    if (!transport) {
        if (error) *error = topts->config_key + ": " + err;
        return nullptr;
    }
    MetricsExporterOptions o;
    o.interval = cfg.otel_metrics.interval;
    o.shutdown_timeout = cfg.shutdown_timeout;
    o.sender.retry = retry_policy(cfg);
    o.sender.config_key = topts->config_key;
    o.sender.items = "data points";
    auto exporter = std::make_unique<OtlpMetricsExporter>(std::move(transport), std::move(provider), o);
    spdlog::info("OTLP metrics to {} every {} s", exporter->describe(),
                 std::chrono::duration_cast<std::chrono::seconds>(o.interval).count());
    return exporter;
}

}  // namespace obi::otlp
