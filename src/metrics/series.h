// One time series of an instrument: the service it belongs to, its attribute values and its
// aggregation state. Internal to the registry.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "metrics/attr_value.h"
#include "metrics/exp_histogram.h"
#include "spans/service.h"

namespace obi::metrics {

struct HistogramState {
    std::vector<uint64_t> counts;  // bounds + 1 (last: +Inf)
    uint64_t count = 0;
    double sum = 0, min = 0, max = 0;
};

struct Series {
    uint64_t hash = 0;
    Series* next = nullptr;  // next series with the same hash
    ServicePtr service;
    std::vector<OwnedValue> values;  // the selected attributes, in selection order
    bool overflow = false;           // the otel.metric.overflow=true series of its service
    bool touched = false;            // recorded since the last collection (delta)
    bool fresh = false;              // recorded since the last TTL check (collect or expire)
    uint64_t start_unix_ns = 0;      // cumulative: creation; delta: last collection
    uint64_t last_seen_mono_ns = 0;  // for the TTL
    std::variant<double, HistogramState, ExpHistogram> agg;  // sums and gauges: double
};

}  // namespace obi::metrics
