// MetricsRegistry: series identity, counters/gauges/histograms, cumulative vs delta
// collection, TTL expiry, the overflow series, and known services (target_info).
#include <gtest/gtest.h>

#include <cmath>

#include "metrics/registry.h"

using namespace obi;
using namespace obi::metrics;

namespace {

struct FakeClock {
    ClockReading now{1'700'000'000'000'000'000ULL, 5'000'000'000ULL};
    void advance(std::chrono::nanoseconds d)
    {
        now.unix_ns += static_cast<uint64_t>(d.count());
        now.mono_ns += static_cast<uint64_t>(d.count());
    }
};

RegistryOptions options_with(FakeClock& clock)
{
    RegistryOptions o;
    o.clock = [&clock] { return clock.now; };
    return o;
}

ServicePtr service(std::string name, std::string ns = "")
{
    auto s = std::make_shared<ServiceInfo>();
    s->name = std::move(name);
    s->namespace_ = std::move(ns);
    s->instance_id = "host:1";
    return s;
}

MetricDef counter_def(std::string name = "test.calls")
{
    MetricDef d;
    d.name = std::move(name);
    d.unit = "1";
    d.kind = InstrumentKind::Counter;
    d.integer = true;
    d.attributes = {{"a", true}, {"b", true}};
    return d;
}

MetricDef histogram_def()
{
    MetricDef d;
    d.name = "test.duration";
    d.unit = "s";
    d.kind = InstrumentKind::Histogram;
    d.buckets = BucketSet::Duration;
    d.attributes = {{"a", true}};
    return d;
}

const MetricData* find(const Snapshot& snap, std::string_view name, const ServiceInfo* svc = nullptr)
{
    for (const auto& rm : snap.resources) {
        if (svc && rm.service.get() != svc) continue;
        for (const auto& md : rm.metrics)
            if (md.name == name) return &md;
    }
    return nullptr;
}

double sum_of(const DataPoint& p) { return std::get<SumPoint>(p.value).value; }

std::string attr(const DataPoint& p, std::string_view key)
{
    for (const auto& a : p.attributes) {
        if (a.key != key) continue;
        if (auto* s = std::get_if<std::string>(&a.value)) return *s;
        if (auto* i = std::get_if<int64_t>(&a.value)) return std::to_string(*i);
        if (auto* b = std::get_if<bool>(&a.value)) return *b ? "true" : "false";
    }
    return "<absent>";
}

}  // namespace

TEST(MetricsRegistry, SameAttributesShareOneSeriesPerService)
{
    FakeClock clock;
    MetricsRegistry reg(options_with(clock));
    Instrument& c = reg.declare(counter_def());
    auto s1 = service("one"), s2 = service("two");
    c.record(s1, {AttrValue::str("x"), AttrValue::integer(1)}, 1);
    c.record(s1, {AttrValue::str("x"), AttrValue::integer(1)}, 2);
    c.record(s1, {AttrValue::str("y"), AttrValue::integer(1)}, 1);
    c.record(s2, {AttrValue::str("x"), AttrValue::integer(1)}, 5);
    EXPECT_EQ(c.series_count(), 3u);

    Snapshot snap = reg.collect(Temporality::Cumulative);
    ASSERT_EQ(snap.resources.size(), 2u);
    EXPECT_EQ(snap.resources[0].service->name, "one");  // sorted by service name
    const MetricData* m = find(snap, "test.calls", s1.get());
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->kind, MetricKind::Sum);
    EXPECT_TRUE(m->monotonic);
    ASSERT_EQ(m->points.size(), 2u);
    EXPECT_EQ(attr(m->points[0], "a"), "x");
    EXPECT_EQ(attr(m->points[0], "b"), "1");
    EXPECT_EQ(sum_of(m->points[0]), 3);
    EXPECT_TRUE(std::get<SumPoint>(m->points[0].value).is_int);
    EXPECT_EQ(std::get<SumPoint>(m->points[0].value).int_value, 3);
    EXPECT_EQ(sum_of(find(snap, "test.calls", s2.get())->points[0]), 5);
}

TEST(MetricsRegistry, AbsentValuesAreLeftOffAndDifferFromEmptyStrings)
{
    FakeClock clock;
    MetricsRegistry reg(options_with(clock));
    Instrument& c = reg.declare(counter_def());
    auto s = service("svc");
    c.record(s, {AttrValue::str("x"), AttrValue::absent()}, 1);
    c.record(s, {AttrValue::str("x"), AttrValue::str("")}, 1);
    c.record(s, {AttrValue::str("x")}, 1);  // missing trailing value = absent
    Snapshot snap = reg.collect(Temporality::Cumulative);
    const MetricData* m = find(snap, "test.calls");
    ASSERT_EQ(m->points.size(), 2u);
    EXPECT_EQ(attr(m->points[0], "b"), "<absent>");
    EXPECT_EQ(sum_of(m->points[0]), 2);
    EXPECT_EQ(attr(m->points[1], "b"), "");
}

TEST(MetricsRegistry, CountersIgnoreNegativeAndNonFiniteValues)
{
    FakeClock clock;
    MetricsRegistry reg(options_with(clock));
    Instrument& c = reg.declare(counter_def());
    auto s = service("svc");
    c.record(s, {}, 2);
    c.record(s, {}, -1);
    c.record(s, {}, std::nan(""));
    c.record(s, {}, INFINITY);
    c.record(nullptr, {}, 1);
    EXPECT_EQ(sum_of(find(reg.collect(Temporality::Cumulative), "test.calls")->points[0]), 2);
}

TEST(MetricsRegistry, GaugeKeepsTheLastValue)
{
    FakeClock clock;
    MetricsRegistry reg(options_with(clock));
    MetricDef d = counter_def("test.gauge");
    d.kind = InstrumentKind::Gauge;
    d.integer = false;
    Instrument& g = reg.declare(d);
    auto s = service("svc");
    g.record(s, {}, 3);
    g.record(s, {}, -7.5);
    Snapshot snap = reg.collect(Temporality::Delta);
    const MetricData* m = find(snap, "test.gauge");
    EXPECT_EQ(m->kind, MetricKind::Gauge);
    EXPECT_EQ(std::get<GaugePoint>(m->points[0].value).value, -7.5);
}

TEST(MetricsRegistry, ExplicitHistogramUsesConfiguredBucketsWithUpperBoundsInclusive)
{
    FakeClock clock;
    RegistryOptions o = options_with(clock);
    o.buckets.duration_histogram = {0.1, 1, 0.5};  // unsorted in the config: sorted
    MetricsRegistry reg(o);
    Instrument& h = reg.declare(histogram_def());
    auto s = service("svc");
    for (double v : {0.05, 0.1, 0.3, 0.5, 0.9, 1.0, 7.0}) h.record(s, {AttrValue::str("x")}, v);
    Snapshot snap = reg.collect(Temporality::Cumulative);
    const MetricData* m = find(snap, "test.duration");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->kind, MetricKind::Histogram);
    const auto& p = std::get<HistogramPoint>(m->points[0].value);
    EXPECT_EQ(p.bounds, (std::vector<double>{0.1, 0.5, 1}));
    EXPECT_EQ(p.counts, (std::vector<uint64_t>{2, 2, 2, 1}));
    EXPECT_EQ(p.count, 7u);
    EXPECT_DOUBLE_EQ(p.sum, 0.05 + 0.1 + 0.3 + 0.5 + 0.9 + 1.0 + 7.0);
    EXPECT_EQ(p.min, 0.05);
    EXPECT_EQ(p.max, 7.0);
}

TEST(MetricsRegistry, ExponentialModeProducesExponentialHistograms)
{
    FakeClock clock;
    RegistryOptions o = options_with(clock);
    o.histograms = HistogramMode::Base2Exponential;
    o.exp_max_size = 160;
    o.exp_max_scale = 20;
    MetricsRegistry reg(o);
    Instrument& h = reg.declare(histogram_def());
    auto s = service("svc");
    h.record(s, {AttrValue::str("x")}, 0.25);
    h.record(s, {AttrValue::str("x")}, 4);
    Snapshot snap = reg.collect(Temporality::Cumulative);
    const MetricData* m = find(snap, "test.duration");
    EXPECT_EQ(m->kind, MetricKind::ExponentialHistogram);
    const auto& p = std::get<ExpHistogramPoint>(m->points[0].value);
    EXPECT_EQ(p.count, 2u);
    EXPECT_EQ(p.min, 0.25);
    EXPECT_EQ(p.max, 4);
    EXPECT_LE(p.positive_counts.size(), 160u);
}

TEST(MetricsRegistry, CumulativeKeepsStartTimeAndAccumulates)
{
    FakeClock clock;
    MetricsRegistry reg(options_with(clock));
    Instrument& c = reg.declare(counter_def());
    auto s = service("svc");
    uint64_t created = clock.now.unix_ns;
    c.record(s, {}, 1);
    clock.advance(std::chrono::seconds(10));
    Snapshot a = reg.collect(Temporality::Cumulative);
    c.record(s, {}, 1);
    clock.advance(std::chrono::seconds(10));
    Snapshot b = reg.collect(Temporality::Cumulative);
    const DataPoint& p = find(b, "test.calls")->points[0];
    EXPECT_EQ(sum_of(p), 2);
    EXPECT_EQ(p.start_unix_ns, created);
    EXPECT_EQ(p.time_unix_ns, clock.now.unix_ns);
    EXPECT_EQ(find(b, "test.calls")->temporality, Temporality::Cumulative);
}

TEST(MetricsRegistry, DeltaResetsAfterEachCollectionAndStartsAtThePreviousOne)
{
    FakeClock clock;
    MetricsRegistry reg(options_with(clock));
    Instrument& c = reg.declare(counter_def());
    Instrument& h = reg.declare(histogram_def());
    auto s = service("svc");
    c.record(s, {}, 2);
    h.record(s, {AttrValue::str("x")}, 0.2);
    clock.advance(std::chrono::seconds(10));
    uint64_t first_collection = clock.now.unix_ns;
    Snapshot a = reg.collect(Temporality::Delta);
    EXPECT_EQ(sum_of(find(a, "test.calls")->points[0]), 2);
    EXPECT_EQ(find(a, "test.calls")->temporality, Temporality::Delta);

    clock.advance(std::chrono::seconds(10));
    Snapshot empty = reg.collect(Temporality::Delta);  // nothing recorded: no points
    EXPECT_EQ(find(empty, "test.calls"), nullptr);
    uint64_t second_collection = clock.now.unix_ns;

    c.record(s, {}, 5);
    h.record(s, {AttrValue::str("x")}, 3);
    clock.advance(std::chrono::seconds(10));
    Snapshot b = reg.collect(Temporality::Delta);
    const DataPoint& p = find(b, "test.calls")->points[0];
    EXPECT_EQ(sum_of(p), 5);
    EXPECT_EQ(p.start_unix_ns, second_collection);
    EXPECT_GT(second_collection, first_collection);
    const auto& hp = std::get<HistogramPoint>(find(b, "test.duration")->points[0].value);
    EXPECT_EQ(hp.count, 1u);
    EXPECT_EQ(hp.sum, 3);
    EXPECT_EQ(hp.min, 3);
}

TEST(MetricsRegistry, SeriesNotUpdatedForTtlAreRemovedAtCollection)
{
    FakeClock clock;
    RegistryOptions o = options_with(clock);
    o.ttl = std::chrono::minutes(5);
    MetricsRegistry reg(o);
    Instrument& c = reg.declare(counter_def());
    auto s = service("svc");
    c.record(s, {AttrValue::str("old")}, 1);
    c.record(s, {AttrValue::str("fresh")}, 1);
    reg.collect(Temporality::Cumulative);
    clock.advance(std::chrono::minutes(4));
    c.record(s, {AttrValue::str("fresh")}, 1);
    Snapshot a = reg.collect(Temporality::Cumulative);
    EXPECT_EQ(find(a, "test.calls")->points.size(), 2u);  // "old" is 4 minutes old
    clock.advance(std::chrono::minutes(2));
    Snapshot b = reg.collect(Temporality::Cumulative);  // "old" 6 min, "fresh" 2 min
    ASSERT_EQ(find(b, "test.calls")->points.size(), 1u);
    EXPECT_EQ(attr(find(b, "test.calls")->points[0], "a"), "fresh");
    EXPECT_EQ(c.series_count(), 1u);

    // A series that comes back starts again from zero with a new start time.
    c.record(s, {AttrValue::str("old")}, 1);
    Snapshot d = reg.collect(Temporality::Cumulative);
    for (const auto& p : find(d, "test.calls")->points)
        if (attr(p, "a") == "old") {
            EXPECT_EQ(sum_of(p), 1);
            EXPECT_EQ(p.start_unix_ns, clock.now.unix_ns);
        }
    clock.advance(std::chrono::minutes(10));
    Snapshot gone = reg.collect(Temporality::Cumulative);
    EXPECT_TRUE(gone.resources.empty());  // all expired: the service is no longer reported
    EXPECT_EQ(reg.series_count(), 0u);
}

TEST(MetricsRegistry, ZeroTtlNeverExpires)
{
    FakeClock clock;
    RegistryOptions o = options_with(clock);
    o.ttl = std::chrono::nanoseconds(0);
    MetricsRegistry reg(o);
    Instrument& c = reg.declare(counter_def());
    c.record(service("svc"), {}, 1);
    clock.advance(std::chrono::hours(24));
    EXPECT_NE(find(reg.collect(Temporality::Cumulative), "test.calls"), nullptr);
}

TEST(MetricsRegistry, SeriesBeyondTheLimitFoldIntoOneOverflowSeriesPerService)
{
    FakeClock clock;
    RegistryOptions o = options_with(clock);
    o.series_limit = 3;
    MetricsRegistry reg(o);
    Instrument& c = reg.declare(counter_def());
    auto s = service("svc");
    for (int i = 0; i < 10; i++) c.record(s, {AttrValue::str("v" + std::to_string(i))}, 1);
    c.record(s, {AttrValue::str("v0")}, 1);  // existing series still update
    EXPECT_EQ(c.series_count(), 3u);
    EXPECT_EQ(c.overflowed(), 7u);
    EXPECT_EQ(reg.overflowed(), 7u);

    Snapshot snap = reg.collect(Temporality::Cumulative);
    const MetricData* m = find(snap, "test.calls");
    ASSERT_EQ(m->points.size(), 4u);
    EXPECT_EQ(sum_of(m->points[0]), 2);  // v0
    const DataPoint& overflow = m->points[3];
    ASSERT_EQ(overflow.attributes.size(), 1u);
    EXPECT_EQ(overflow.attributes[0].key, "otel.metric.overflow");
    EXPECT_EQ(std::get<bool>(overflow.attributes[0].value), true);
    EXPECT_EQ(sum_of(overflow), 7);

    // Once series expire there is room again.
    clock.advance(std::chrono::minutes(6));
    reg.collect(Temporality::Cumulative);
    c.record(s, {AttrValue::str("new")}, 1);
    EXPECT_EQ(c.series_count(), 1u);
    EXPECT_EQ(c.overflowed(), 7u);
}

TEST(MetricsRegistry, ServiceAttributesFollowTheFlavor)
{
    MetricDef d = counter_def();
    d.service_attributes = {{ServiceField::Name, "service.name", true, Flavors::Both},
                            {ServiceField::Namespace, "service.namespace", true, Flavors::Both},
                            {ServiceField::InstanceId, "instance", true, Flavors::PrometheusOnly},
                            {ServiceField::Job, "job", true, Flavors::PrometheusOnly}};
    auto s = service("cart", "shop");
    auto plain = service("api");

    MetricsRegistry otlp;
    otlp.declare(d).record(s, {}, 1);
    otlp.declare(d).record(plain, {}, 1);
    Snapshot a = otlp.collect(Temporality::Cumulative);
    const DataPoint& p = find(a, "test.calls", s.get())->points[0];
    EXPECT_EQ(attr(p, "service.name"), "cart");
    EXPECT_EQ(attr(p, "service.namespace"), "shop");
    EXPECT_EQ(attr(p, "instance"), "<absent>");
    EXPECT_EQ(attr(find(a, "test.calls", plain.get())->points[0], "service.namespace"), "<absent>");

    RegistryOptions po;
    po.flavor = Flavor::Prometheus;
    MetricsRegistry prom(po);
    prom.declare(d).record(s, {}, 1);
    prom.declare(d).record(plain, {}, 1);
    Snapshot b = prom.collect(Temporality::Cumulative);
    const DataPoint& q = find(b, "test.calls", s.get())->points[0];
    EXPECT_EQ(attr(q, "instance"), "host:1");
    EXPECT_EQ(attr(q, "job"), "shop/cart");
    const DataPoint& r = find(b, "test.calls", plain.get())->points[0];
    EXPECT_EQ(attr(r, "service.namespace"), "");  // Prometheus keeps the label, empty
    EXPECT_EQ(attr(r, "job"), "api");
}

TEST(MetricsRegistry, DeclaringTheSameNameTwiceReturnsTheFirstInstrument)
{
    MetricsRegistry reg;
    Instrument& a = reg.declare(counter_def());
    Instrument& b = reg.declare(counter_def());
    EXPECT_EQ(&a, &b);
    EXPECT_EQ(reg.find("test.calls"), &a);
    EXPECT_EQ(reg.find("nope"), nullptr);
}

TEST(MetricsRegistry, KnownServicesAreReportedUntilTheyExit)
{
    FakeClock clock;
    MetricsRegistry reg(options_with(clock));
    Instrument& c = reg.declare(counter_def());
    auto idle = service("idle"), busy = service("busy");
    reg.add_service(idle);
    reg.add_service(busy);
    c.record(busy, {}, 1);
    Snapshot a = reg.collect(Temporality::Cumulative);
    ASSERT_EQ(a.resources.size(), 2u);
    EXPECT_TRUE(a.resources[1].metrics.empty());  // "idle": a resource without metrics
    EXPECT_TRUE(a.resources[1].target_info);

    reg.service_exited(idle.get());
    reg.service_exited(busy.get());
    Snapshot b = reg.collect(Temporality::Cumulative);
    ASSERT_EQ(b.resources.size(), 1u);  // busy keeps its series until the TTL ...
    EXPECT_FALSE(b.resources[0].target_info);  // ... but its target_info is gone
    clock.advance(std::chrono::minutes(6));
    EXPECT_TRUE(reg.collect(Temporality::Cumulative).resources.empty());
}

TEST(MetricsRegistry, ExpireWithoutCollectingKeepsWhatWasRecorded)
{
    FakeClock clock;
    MetricsRegistry reg(options_with(clock));
    Instrument& c = reg.declare(counter_def());
    auto s = service("svc");
    c.record(s, {AttrValue::str("stale")}, 1);
    EXPECT_EQ(reg.expire(), 0u);  // TTL checks see the recording now
    clock.advance(std::chrono::minutes(3));
    EXPECT_EQ(reg.expire(), 0u);
    clock.advance(std::chrono::minutes(3));
    c.record(s, {AttrValue::str("fresh")}, 2);
    EXPECT_EQ(reg.expire(), 1u);  // "stale": 6 minutes without a recording
    EXPECT_EQ(c.series_count(), 1u);
    Snapshot snap = reg.collect(Temporality::Delta);  // "fresh" is still reported
    const MetricData* m = find(snap, "test.calls");
    ASSERT_NE(m, nullptr);
    ASSERT_EQ(m->points.size(), 1u);
    EXPECT_EQ(sum_of(m->points[0]), 2);
}
