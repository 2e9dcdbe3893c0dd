// Builds the OTLP exporters from the agent's configuration: nullptr (and no error) when
// the signal has no endpoint; nullptr and an error naming the setting when it is unusable.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "config/env.h"
#include "export/otlp/metrics_exporter.h"
#include "export/otlp/trace_exporter.h"
#include "spans/clock.h"

namespace obi::otlp {

std::unique_ptr<OtlpTraceExporter> make_trace_exporter(const config::Config& cfg, const MonoClock& clock,
                                                       std::string* error);
std::unique_ptr<OtlpTraceExporter> make_trace_exporter(const config::Config& cfg, const MonoClock& clock,
                                                       const config::EnvLookup& env, std::string* error);

// The caller decides whether metrics are wanted at all (features, internal metrics).
std::unique_ptr<OtlpMetricsExporter> make_metrics_exporter(const config::Config& cfg, SnapshotProvider provider,
                                                           std::string* error);
std::unique_ptr<OtlpMetricsExporter> make_metrics_exporter(const config::Config& cfg, SnapshotProvider provider,
                                                           const config::EnvLookup& env, std::string* error);

}  // namespace obi::otlp
