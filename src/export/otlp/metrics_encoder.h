// metrics::Snapshot -> ExportMetricsServiceRequest(s): sums, gauges, explicit and
// exponential histograms with their temporality, split so requests stay small.
#pragma once

#include <cstddef>
#include <vector>

#include "export/otlp/transport.h"
#include "metrics/snapshot.h"
#include "opentelemetry/proto/metrics/v1/metrics.pb.h"

namespace obi::otlp {

namespace pb_metrics = opentelemetry::proto::metrics::v1;

struct MetricsEncodeOptions {
    // Copy service.name / service.namespace from the resource onto points that lack them.
    // Off: the metrics registry already puts them on the points of the metrics that OBI
    // labels that way (obi-compat.md 4.4), and only those.
    bool point_service_attributes = false;
    // Start a new request once this many data points are in it (0 = one request). A
    // metric is never split, so one bigger than this travels alone.
    size_t max_points_per_request = 8192;
};

size_t count_points(const metrics::Snapshot& snapshot);

void encode_metric(const metrics::MetricData& metric, const ServiceInfo* service, const MetricsEncodeOptions& options,
                   pb_metrics::Metric* out);

// Empty when the snapshot has no data points.
std::vector<MetricsRequest> encode_metrics(const metrics::Snapshot& snapshot, const MetricsEncodeOptions& options = {});

}  // namespace obi::otlp
