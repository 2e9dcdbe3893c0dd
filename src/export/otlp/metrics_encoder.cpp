// Metric encoding per metrics.proto; one ResourceMetrics per service and request.
#include "export/otlp/metrics_encoder.h"

#include <algorithm>

#include "export/otlp/common_encoder.h"

namespace obi::otlp {
namespace {

pb_metrics::AggregationTemporality to_proto(metrics::Temporality t)
{
    return t == metrics::Temporality::Delta ? pb_metrics::AGGREGATION_TEMPORALITY_DELTA
                                            : pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE;
}

bool has_key(const std::vector<Attribute>& attrs, std::string_view key)
{
    return std::any_of(attrs.begin(), attrs.end(), [&](const Attribute& a) { return a.key == key; });
}

template <class Point>
void encode_point_common(const metrics::DataPoint& dp, const ServiceInfo* svc, const MetricsEncodeOptions& o,
                         Point* out)
{
    encode_attributes(dp.attributes, out->mutable_attributes());
    if (svc && o.point_service_attributes) {
        if (!has_key(dp.attributes, "service.name")) encode_attribute({"service.name", svc->name}, out->add_attributes());
        if (!svc->namespace_.empty() && !has_key(dp.attributes, "service.namespace"))
            encode_attribute({"service.namespace", svc->namespace_}, out->add_attributes());
    }
    out->set_start_time_unix_nano(dp.start_unix_ns);
    out->set_time_unix_nano(dp.time_unix_ns);
}

template <class P>
void encode_number(const P& v, pb_metrics::NumberDataPoint* out)
{
    if (v.is_int) out->set_as_int(v.int_value);
    else out->set_as_double(v.value);
}

void encode_buckets(int32_t offset, const std::vector<uint64_t>& counts,
                    pb_metrics::ExponentialHistogramDataPoint::Buckets* out)
{
    out->set_offset(offset);
    out->mutable_bucket_counts()->Add(counts.begin(), counts.end());
}

void encode_point(const metrics::DataPoint& dp, const metrics::MetricData& m, const ServiceInfo* svc,
                  const MetricsEncodeOptions& o, pb_metrics::Metric* out)
{
    using namespace metrics;
    switch (m.kind) {
    case MetricKind::Sum: {
        auto* p = out->mutable_sum()->add_data_points();
        encode_point_common(dp, svc, o, p);
        if (auto* v = std::get_if<SumPoint>(&dp.value)) encode_number(*v, p);
        else if (auto* g = std::get_if<GaugePoint>(&dp.value)) encode_number(*g, p);
        break;
    }
    case MetricKind::Gauge: {
        auto* p = out->mutable_gauge()->add_data_points();
        encode_point_common(dp, svc, o, p);
        if (auto* v = std::get_if<GaugePoint>(&dp.value)) encode_number(*v, p);
        else if (auto* s = std::get_if<SumPoint>(&dp.value)) encode_number(*s, p);
        break;
    }
    case MetricKind::Histogram: {
        auto* p = out->mutable_histogram()->add_data_points();
        encode_point_common(dp, svc, o, p);
        const auto* h = std::get_if<HistogramPoint>(&dp.value);
        if (!h) break;
        p->set_count(h->count);
        p->set_sum(h->sum);
        p->mutable_explicit_bounds()->Add(h->bounds.begin(), h->bounds.end());
        p->mutable_bucket_counts()->Add(h->counts.begin(), h->counts.end());
        if (h->count > 0) {
            p->set_min(h->min);
            p->set_max(h->max);
        }
        break;
    }
    case MetricKind::ExponentialHistogram: {
        auto* p = out->mutable_exponential_histogram()->add_data_points();
        encode_point_common(dp, svc, o, p);
        const auto* h = std::get_if<ExpHistogramPoint>(&dp.value);
        if (!h) break;
        p->set_count(h->count);
        p->set_sum(h->sum);
        p->set_scale(h->scale);
        p->set_zero_count(h->zero_count);
        encode_buckets(h->positive_offset, h->positive_counts, p->mutable_positive());
        encode_buckets(h->negative_offset, h->negative_counts, p->mutable_negative());
        if (h->count > 0) {
            p->set_min(h->min);
            p->set_max(h->max);
        }
        break;
    }
    }
}

}  // namespace

size_t count_points(const metrics::Snapshot& snapshot)
{
    size_t n = 0;
    for (const auto& r : snapshot.resources)
        for (const auto& m : r.metrics) n += m.points.size();
    return n;
}

void encode_metric(const metrics::MetricData& m, const ServiceInfo* svc, const MetricsEncodeOptions& o,
                   pb_metrics::Metric* out)
{
    set_string(out->mutable_name(), m.name);
    set_string(out->mutable_description(), m.description);
    set_string(out->mutable_unit(), m.unit);
    // The oneof member exists even without points, so the receiver sees the kind.
    switch (m.kind) {
    case metrics::MetricKind::Sum:
        out->mutable_sum()->set_aggregation_temporality(to_proto(m.temporality));
        out->mutable_sum()->set_is_monotonic(m.monotonic);
        break;
    case metrics::MetricKind::Gauge: out->mutable_gauge(); break;
    case metrics::MetricKind::Histogram:
        out->mutable_histogram()->set_aggregation_temporality(to_proto(m.temporality));
        break;
    case metrics::MetricKind::ExponentialHistogram:
        out->mutable_exponential_histogram()->set_aggregation_temporality(to_proto(m.temporality));
        break;
    }
    for (const auto& dp : m.points) encode_point(dp, m, svc, o, out);
}

std::vector<MetricsRequest> encode_metrics(const metrics::Snapshot& snapshot, const MetricsEncodeOptions& o)
{
    std::vector<MetricsRequest> out;
    size_t in_request = 0;
    for (const auto& res : snapshot.resources) {
        pb_metrics::ScopeMetrics* scope = nullptr;  // of the current request
        for (const auto& m : res.metrics) {
            if (m.points.empty()) continue;
            bool full = o.max_points_per_request && in_request > 0 &&
                        in_request + m.points.size() > o.max_points_per_request;
            if (out.empty() || full) {
                out.emplace_back();
                in_request = 0;
                scope = nullptr;
            }
            if (!scope) {
                pb_metrics::ResourceMetrics* rm = out.back().add_resource_metrics();
                encode_resource(res.service.get(), rm->mutable_resource());
                scope = rm->add_scope_metrics();
                encode_scope(scope->mutable_scope());
            }
            encode_metric(m, res.service.get(), o, scope->add_metrics());
            in_request += m.points.size();
        }
    }
    return out;
}

}  // namespace obi::otlp
