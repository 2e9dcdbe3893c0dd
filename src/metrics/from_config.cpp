// Per-exporter metrics options from config::Config.
#include "metrics/from_config.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace obi::metrics {

RegistryOptions prometheus_registry_options(const config::Config& cfg)
{
    RegistryOptions o;
    o.flavor = Flavor::Prometheus;
    o.ttl = cfg.prometheus.ttl;
    o.histograms = HistogramMode::ExplicitBuckets;  // the text format has classic buckets only
    o.buckets = cfg.prometheus.buckets;
    o.select = cfg.attributes.select;
    return o;
}

SpanMetricsOptions prometheus_span_metrics_options(const config::Config& cfg)
{
    SpanMetricsOptions o;
    o.features = Features::from(cfg.metrics);
    o.instrumentations = Instrumentations::from(cfg.prometheus.instrumentations);
    o.allow_service_graph_self_references = cfg.prometheus.allow_service_graph_self_references;
    return o;
}

RegistryOptions otlp_registry_options(const config::Config& cfg)
{
    RegistryOptions o;
    o.flavor = Flavor::Otlp;
    o.ttl = cfg.otel_metrics.ttl;
    o.histograms = cfg.otel_metrics.histogram_aggregation == config::HistogramAggregation::Base2Exponential
                       ? HistogramMode::Base2Exponential
                       : HistogramMode::ExplicitBuckets;
    o.exp_max_size = cfg.otel_metrics.exponential_max_size;
    o.exp_max_scale = cfg.otel_metrics.exponential_max_scale;
    o.buckets = cfg.otel_metrics.buckets;
    o.select = cfg.attributes.select;
    return o;
}

SpanMetricsOptions otlp_span_metrics_options(const config::Config& cfg)
{
    SpanMetricsOptions o;
    o.features = Features::from(cfg.metrics);
    o.instrumentations = Instrumentations::from(cfg.otel_metrics.instrumentations);
    o.allow_service_graph_self_references = cfg.otel_metrics.allow_service_graph_self_references;
    return o;
}

Temporality temporality_preference(std::string_view value)
{
    std::string v(value);
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    return v == "delta" || v == "lowmemory" ? Temporality::Delta : Temporality::Cumulative;
}

}  // namespace obi::metrics
