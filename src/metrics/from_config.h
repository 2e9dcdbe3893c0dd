// Registry and span-metrics options for each exporter, from the loaded configuration: one
// registry per exporter, because buckets, TTL, histogram kind, instrumentations and the
// service graph self-reference rule are configured per exporter.
#pragma once

#include <string_view>

#include "config/config.h"
#include "metrics/registry.h"
#include "metrics/span_metrics.h"

namespace obi::metrics {

RegistryOptions prometheus_registry_options(const config::Config& cfg);
SpanMetricsOptions prometheus_span_metrics_options(const config::Config& cfg);

RegistryOptions otlp_registry_options(const config::Config& cfg);
SpanMetricsOptions otlp_span_metrics_options(const config::Config& cfg);

// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: "cumulative" (default), "delta", or
// "lowmemory" (delta: every instrument we declare is a counter or a histogram).
// Case-insensitive; anything else is cumulative.
Temporality temporality_preference(std::string_view value);

}  // namespace obi::metrics
