// OTLP metrics encoding: a Snapshot with every metric kind -> ExportMetricsServiceRequest
// -> bytes -> parsed back; points, temporality, attributes, resource and request splitting.
#include <gtest/gtest.h>

#include <map>

#include "export/otlp/metrics_encoder.h"

namespace obi::otlp {
namespace {

namespace pbm = opentelemetry::proto::metrics::v1;
namespace pbc = opentelemetry::proto::common::v1;
using namespace obi::metrics;

ServicePtr make_service(const std::string& name, const std::string& ns)
{
    auto s = std::make_shared<ServiceInfo>();
    s->name = name;
    s->namespace_ = ns;
    s->instance_id = "node1:7";
    s->sdk_language = "go";
    return s;
}

std::map<std::string, pbc::AnyValue> attr_map(const google::protobuf::RepeatedPtrField<pbc::KeyValue>& kvs)
{
    std::map<std::string, pbc::AnyValue> m;
    for (const auto& kv : kvs) m[kv.key()] = kv.value();
    return m;
}

MetricData metric(std::string name, std::string unit, MetricKind kind, Temporality temporality)
{
    MetricData m;
    m.name = std::move(name);
    m.unit = std::move(unit);
    m.kind = kind;
    m.temporality = temporality;
    return m;
}

DataPoint point(std::vector<Attribute> attrs, decltype(DataPoint::value) v)
{
    DataPoint p;
    p.attributes = std::move(attrs);
    p.start_unix_ns = 1'700'000'000'000'000'000ull;
    p.time_unix_ns = 1'700'000'060'000'000'000ull;
    p.value = std::move(v);
    return p;
}

Snapshot sample_snapshot()
{
    Snapshot snap;
    ResourceMetrics rm;
    rm.service = make_service("checkout", "shop");

    MetricData hist = metric("http.server.request.duration", "s", MetricKind::Histogram, Temporality::Cumulative);
    hist.description = "Duration of HTTP server requests";
    HistogramPoint h;
    h.bounds = {0, 0.005, 0.01};
    h.counts = {0, 3, 1, 2};
    h.count = 6;
    h.sum = 1.25;
    h.min = 0.001;
    h.max = 0.9;
    hist.points.push_back(point({{"http.request.method", std::string("GET")}, {"http.response.status_code", int64_t{200}}}, h));
    rm.metrics.push_back(hist);

    MetricData sum = metric("obi.stat.tcp.retransmits", "1", MetricKind::Sum, Temporality::Delta);
    sum.points.push_back(point({}, SumPoint{0, true, 42}));
    sum.points.push_back(point({{"direction", std::string("request")}}, SumPoint{2.5, false, 0}));
    rm.metrics.push_back(sum);

    MetricData gauge = metric("process.threads", "1", MetricKind::Gauge, Temporality::Cumulative);
    gauge.monotonic = false;
    gauge.points.push_back(point({{"ratio", 0.5}, {"up", true}}, GaugePoint{7.5, false, 0}));
    gauge.points.push_back(point({}, GaugePoint{0, true, -3}));
    rm.metrics.push_back(gauge);

    MetricData exp = metric("rpc.server.call.duration", "s", MetricKind::ExponentialHistogram, Temporality::Cumulative);
    ExpHistogramPoint e;
    e.scale = 3;
    e.zero_count = 1;
    e.positive_offset = -5;
    e.positive_counts = {1, 0, 4};
    e.negative_offset = 2;
    e.negative_counts = {2};
    e.count = 8;
    e.sum = 0.75;
    e.min = -0.5;
    e.max = 0.3;
    exp.points.push_back(point({}, e));
    rm.metrics.push_back(exp);

    snap.resources.push_back(std::move(rm));
    return snap;
}

MetricsRequest round_trip(const Snapshot& snap, MetricsEncodeOptions o = {})
{
    auto reqs = encode_metrics(snap, o);
    EXPECT_EQ(reqs.size(), 1u);
    MetricsRequest parsed;
    if (!reqs.empty()) {
        EXPECT_TRUE(parsed.ParseFromString(reqs[0].SerializeAsString()));
    }
    return parsed;
}

TEST(OtlpMetricsEncoding, EveryKind)
{
    MetricsRequest req = round_trip(sample_snapshot());
    ASSERT_EQ(req.resource_metrics_size(), 1);
    const auto& rm = req.resource_metrics(0);
    auto res = attr_map(rm.resource().attributes());
    EXPECT_EQ(res["service.name"].string_value(), "checkout");
    EXPECT_EQ(res["service.namespace"].string_value(), "shop");
    EXPECT_EQ(res["telemetry.sdk.language"].string_value(), "go");
    ASSERT_EQ(rm.scope_metrics_size(), 1);
    EXPECT_EQ(rm.scope_metrics(0).scope().name(), "go.opentelemetry.io/obi");
    const auto& ms = rm.scope_metrics(0).metrics();
    ASSERT_EQ(ms.size(), 4);

    // Explicit histogram.
    const pbm::Metric& hm = ms[0];
    EXPECT_EQ(hm.name(), "http.server.request.duration");
    EXPECT_EQ(hm.description(), "Duration of HTTP server requests");
    EXPECT_EQ(hm.unit(), "s");
    ASSERT_EQ(hm.data_case(), pbm::Metric::kHistogram);
    EXPECT_EQ(hm.histogram().aggregation_temporality(), pbm::AGGREGATION_TEMPORALITY_CUMULATIVE);
    ASSERT_EQ(hm.histogram().data_points_size(), 1);
    const auto& hp = hm.histogram().data_points(0);
    EXPECT_EQ(hp.start_time_unix_nano(), 1'700'000'000'000'000'000ull);
    EXPECT_EQ(hp.time_unix_nano(), 1'700'000'060'000'000'000ull);
    EXPECT_EQ(hp.count(), 6u);
    ASSERT_TRUE(hp.has_sum());
    EXPECT_DOUBLE_EQ(hp.sum(), 1.25);
    ASSERT_TRUE(hp.has_min() && hp.has_max());
    EXPECT_DOUBLE_EQ(hp.min(), 0.001);
    EXPECT_DOUBLE_EQ(hp.max(), 0.9);
    EXPECT_EQ(std::vector<double>(hp.explicit_bounds().begin(), hp.explicit_bounds().end()), (std::vector<double>{0, 0.005, 0.01}));
    EXPECT_EQ(std::vector<uint64_t>(hp.bucket_counts().begin(), hp.bucket_counts().end()), (std::vector<uint64_t>{0, 3, 1, 2}));
    auto ha = attr_map(hp.attributes());
    EXPECT_EQ(ha["http.request.method"].string_value(), "GET");
    EXPECT_EQ(ha["http.response.status_code"].int_value(), 200);
    EXPECT_EQ(hp.attributes_size(), 2);  // the registry's attributes, nothing added

    // Sum, delta, int and double points.
    const pbm::Metric& sm = ms[1];
    ASSERT_EQ(sm.data_case(), pbm::Metric::kSum);
    EXPECT_EQ(sm.sum().aggregation_temporality(), pbm::AGGREGATION_TEMPORALITY_DELTA);
    EXPECT_TRUE(sm.sum().is_monotonic());
    ASSERT_EQ(sm.sum().data_points_size(), 2);
    EXPECT_EQ(sm.sum().data_points(0).value_case(), pbm::NumberDataPoint::kAsInt);
    EXPECT_EQ(sm.sum().data_points(0).as_int(), 42);
    EXPECT_EQ(sm.sum().data_points(1).value_case(), pbm::NumberDataPoint::kAsDouble);
    EXPECT_DOUBLE_EQ(sm.sum().data_points(1).as_double(), 2.5);
    EXPECT_EQ(attr_map(sm.sum().data_points(1).attributes())["direction"].string_value(), "request");

    // Gauge with typed attributes.
    const pbm::Metric& gm = ms[2];
    ASSERT_EQ(gm.data_case(), pbm::Metric::kGauge);
    ASSERT_EQ(gm.gauge().data_points_size(), 2);
    EXPECT_DOUBLE_EQ(gm.gauge().data_points(0).as_double(), 7.5);
    auto ga = attr_map(gm.gauge().data_points(0).attributes());
    EXPECT_DOUBLE_EQ(ga["ratio"].double_value(), 0.5);
    EXPECT_EQ(ga["up"].value_case(), pbc::AnyValue::kBoolValue);
    EXPECT_TRUE(ga["up"].bool_value());
    EXPECT_EQ(gm.gauge().data_points(1).as_int(), -3);

    // Exponential histogram.
    const pbm::Metric& em = ms[3];
    ASSERT_EQ(em.data_case(), pbm::Metric::kExponentialHistogram);
    EXPECT_EQ(em.exponential_histogram().aggregation_temporality(), pbm::AGGREGATION_TEMPORALITY_CUMULATIVE);
    const auto& ep = em.exponential_histogram().data_points(0);
    EXPECT_EQ(ep.scale(), 3);
    EXPECT_EQ(ep.zero_count(), 1u);
    EXPECT_EQ(ep.count(), 8u);
    EXPECT_DOUBLE_EQ(ep.sum(), 0.75);
    EXPECT_DOUBLE_EQ(ep.min(), -0.5);
    EXPECT_DOUBLE_EQ(ep.max(), 0.3);
    EXPECT_EQ(ep.positive().offset(), -5);
    EXPECT_EQ(std::vector<uint64_t>(ep.positive().bucket_counts().begin(), ep.positive().bucket_counts().end()),
              (std::vector<uint64_t>{1, 0, 4}));
    EXPECT_EQ(ep.negative().offset(), 2);
    ASSERT_EQ(ep.negative().bucket_counts_size(), 1);
    EXPECT_EQ(ep.negative().bucket_counts(0), 2u);
}

TEST(OtlpMetricsEncoding, EmptyHistogramHasNoMinMax)
{
    Snapshot snap;
    ResourceMetrics rm;
    rm.service = make_service("a", "");
    MetricData hist = metric("h", "s", MetricKind::Histogram, Temporality::Delta);
    HistogramPoint h;
    h.bounds = {1};
    h.counts = {0, 0};
    hist.points.push_back(point({}, h));
    rm.metrics.push_back(hist);
    snap.resources.push_back(rm);
    MetricsRequest req = round_trip(snap);
    const auto& hp = req.resource_metrics(0).scope_metrics(0).metrics(0).histogram().data_points(0);
    EXPECT_FALSE(hp.has_min());
    EXPECT_FALSE(hp.has_max());
    EXPECT_TRUE(hp.has_sum());
}

TEST(OtlpMetricsEncoding, OptionalPointServiceAttributesNotDuplicated)
{
    MetricsEncodeOptions on;
    on.point_service_attributes = true;
    Snapshot snap = sample_snapshot();
    MetricsRequest req = round_trip(snap, on);
    auto pa = attr_map(req.resource_metrics(0).scope_metrics(0).metrics(0).histogram().data_points(0).attributes());
    EXPECT_EQ(pa["service.name"].string_value(), "checkout");
    EXPECT_EQ(pa["service.namespace"].string_value(), "shop");

    snap.resources[0].metrics[0].points[0].attributes.push_back({"service.name", std::string("checkout")});
    req = round_trip(snap, on);
    const auto& hp = req.resource_metrics(0).scope_metrics(0).metrics(0).histogram().data_points(0);
    int n = 0;
    for (const auto& kv : hp.attributes()) n += kv.key() == "service.name";
    EXPECT_EQ(n, 1);
}

TEST(OtlpMetricsEncoding, AgentResourceWithoutService)
{
    Snapshot snap;
    ResourceMetrics rm;  // service == nullptr: the agent's own metrics
    MetricData c = metric("obi.otel.trace.exports", "1", MetricKind::Sum, Temporality::Cumulative);
    c.points.push_back(point({}, SumPoint{0, true, 5}));
    rm.metrics.push_back(c);
    snap.resources.push_back(rm);
    MetricsRequest req = round_trip(snap);
    auto res = attr_map(req.resource_metrics(0).resource().attributes());
    EXPECT_EQ(res["service.name"].string_value(), "opentelemetry-ebpf-instrumentation");
    EXPECT_EQ(req.resource_metrics(0).scope_metrics(0).metrics(0).sum().data_points(0).attributes_size(), 0);
}

TEST(OtlpMetricsEncoding, SplitsLargeSnapshotsAtMetricBoundaries)
{
    Snapshot snap;
    for (int r = 0; r < 3; r++) {
        ResourceMetrics rm;
        rm.service = make_service("svc" + std::to_string(r), "");
        for (int m = 0; m < 4; m++) {
            MetricData md = metric("m" + std::to_string(m), "1", MetricKind::Sum, Temporality::Cumulative);
            for (int p = 0; p < 10; p++) md.points.push_back(point({{"i", int64_t{p}}}, SumPoint{0, true, p}));
            rm.metrics.push_back(md);
        }
        snap.resources.push_back(rm);
    }
    ASSERT_EQ(count_points(snap), 120u);
    MetricsEncodeOptions o;
    o.max_points_per_request = 25;  // two metrics (20 points) per request
    auto reqs = encode_metrics(snap, o);
    ASSERT_EQ(reqs.size(), 6u);
    size_t total = 0;
    for (const auto& req : reqs) {
        size_t n = 0;
        for (const auto& rm : req.resource_metrics())
            for (const auto& m : rm.scope_metrics(0).metrics()) n += static_cast<size_t>(m.sum().data_points_size());
        EXPECT_LE(n, 25u);
        total += n;
    }
    EXPECT_EQ(total, 120u);
    o.max_points_per_request = 0;
    EXPECT_EQ(encode_metrics(snap, o).size(), 1u);
    EXPECT_TRUE(encode_metrics(Snapshot{}).empty());
}

}  // namespace
}  // namespace obi::otlp
