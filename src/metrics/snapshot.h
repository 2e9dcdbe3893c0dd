// The metrics data model handed from the metrics registry to exporters (OTLP, Prometheus):
// an immutable snapshot of every series, grouped by the service (resource) it belongs to.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "spans/attributes.h"
#include "spans/service.h"

namespace obi::metrics {

enum class Temporality : uint8_t { Cumulative, Delta };

struct SumPoint {
    double value = 0;  // counters are exported as doubles or ints per `is_int`
    bool is_int = false;
    int64_t int_value = 0;
};

struct GaugePoint {
    double value = 0;
    bool is_int = false;
    int64_t int_value = 0;
};

// Explicit-bucket histogram: counts.size() == bounds.size() + 1 (last = +Inf).
struct HistogramPoint {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;
    uint64_t count = 0;
    double sum = 0;
    double min = 0, max = 0;  // valid when count > 0
};

// Base-2 exponential histogram (OpenTelemetry data model): bucket index i covers
// (base^i, base^(i+1)] with base = 2^(2^-scale); counts[k] is bucket offset + k.
struct ExpHistogramPoint {
    int32_t scale = 0;
    uint64_t zero_count = 0;
    int32_t positive_offset = 0;
    std::vector<uint64_t> positive_counts;
    int32_t negative_offset = 0;
    std::vector<uint64_t> negative_counts;
    uint64_t count = 0;
    double sum = 0;
    double min = 0, max = 0;
};

struct DataPoint {
    std::vector<Attribute> attributes;  // already selected (attributes.select), in a stable order
    uint64_t start_unix_ns = 0;         // cumulative: series start; delta: previous collection
    uint64_t time_unix_ns = 0;
    std::variant<SumPoint, GaugePoint, HistogramPoint, ExpHistogramPoint> value;
};

enum class MetricKind : uint8_t { Sum, Gauge, Histogram, ExponentialHistogram };

struct MetricData {
    std::string name;  // OpenTelemetry name, e.g. http.server.request.duration
    std::string description;
    std::string unit;  // UCUM: s, By, 1
    MetricKind kind = MetricKind::Sum;
    Temporality temporality = Temporality::Cumulative;
    bool monotonic = true;  // sums
    std::vector<DataPoint> points;
    // Prometheus only: the family name when it is not derived from name, unit and kind
    // (OBI's fixed names such as traces_spanmetrics_latency), and whether each point also
    // carries the resource's target_info labels (traces_target_info).
    std::string prometheus_name;
    bool prometheus_resource_info = false;
};

struct ResourceMetrics {
    ServicePtr service;  // the resource; nullptr for the agent's own (internal) metrics
    std::vector<MetricData> metrics;  // may be empty: a known process that recorded nothing yet
    bool target_info = true;          // false once the process exited (Prometheus target_info goes)
};

struct Snapshot {
    std::vector<ResourceMetrics> resources;
};

}  // namespace obi::metrics
