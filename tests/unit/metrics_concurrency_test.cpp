// Collecting while other threads record: no lost or doubled recordings (delta), series
// creation, overflow and TTL removal racing with collection. These tests are also run in a
// g++ -fsanitize=thread build of the metrics sources.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "export/prometheus/text_format.h"
#include "metrics/span_metrics.h"

using namespace obi;
using namespace obi::metrics;

namespace {

Span make_span(const ServicePtr& svc, int i)
{
    Span s;
    s.type = i % 3 == 0 ? SpanType::HTTPClient : SpanType::HTTP;
    s.method = i % 2 ? "GET" : "POST";
    s.path = "/p";
    s.route = "/r" + std::to_string(i % 17);
    s.status = 200 + i % 5;
    s.request_start_ns = 1;
    s.end_ns = 1 + static_cast<uint64_t>(i % 1000) * 1'000'000;
    s.host = "10.0.0.1";
    s.peer = "10.0.0.2";
    s.service = svc;
    return s;
}

uint64_t total_count(const Snapshot& snap, std::string_view metric)
{
    uint64_t n = 0;
    for (const auto& rm : snap.resources)
        for (const auto& md : rm.metrics)
            if (md.name == metric)
                for (const auto& p : md.points) n += std::get<HistogramPoint>(p.value).count;
    return n;
}

}  // namespace

TEST(MetricsConcurrency, DeltaCollectionsWhileRecordingSumToEveryRecording)
{
    MetricsRegistry reg;
    SpanMetricsOptions o;
    o.features.application = true;
    o.features.span = true;
    o.features.service_graph = true;
    SpanMetrics sm(reg, o);
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "svc";
    constexpr int kSpans = 20000;

    std::atomic<bool> done{false};
    uint64_t collected = 0;
    std::thread collector([&] {
        while (!done.load()) {
            Snapshot s = reg.collect(Temporality::Delta);
            collected +=
                total_count(s, "http.server.request.duration") + total_count(s, "http.client.request.duration");
        }
    });
    std::thread recorder([&] {
        for (int i = 0; i < kSpans; i++) sm.record(make_span(svc, i));
    });
    recorder.join();
    done = true;
    collector.join();
    Snapshot last = reg.collect(Temporality::Delta);
    collected += total_count(last, "http.server.request.duration") + total_count(last, "http.client.request.duration");
    EXPECT_EQ(collected, static_cast<uint64_t>(kSpans));
}

TEST(MetricsConcurrency, PrometheusRenderingWhileTwoThreadsRecordAndSeriesExpire)
{
    std::atomic<uint64_t> mono{1'000'000'000};
    RegistryOptions ro;
    ro.flavor = Flavor::Prometheus;
    ro.ttl = std::chrono::milliseconds(1);
    ro.series_limit = 50;
    ro.clock = [&mono] { return ClockReading{mono.load(), mono.fetch_add(100'000)}; };  // time moves on
    MetricsRegistry reg(ro);
    SpanMetricsOptions o;
    o.features.application = true;
    SpanMetrics a(reg, o), b(reg, o);
    auto s1 = std::make_shared<ServiceInfo>(), s2 = std::make_shared<ServiceInfo>();
    s1->name = "one";
    s2->name = "two";

    std::atomic<bool> done{false}, rendering{false};
    size_t renders = 0;
    std::thread collector([&] {
        while (!done.load()) {
            (void)prometheus::render_text(reg.collect(Temporality::Cumulative));
            renders++;
            rendering = true;
        }
    });
    // The recorders start once the collector renders, so the two really overlap even when
    // the test runs on a loaded machine.
    auto wait_for_collector = [&] {
        while (!rendering.load()) std::this_thread::yield();
    };
    std::thread r1([&] {
        wait_for_collector();
        for (int i = 0; i < 20000; i++) a.record(make_span(s1, i * 7));
    });
    std::thread r2([&] {
        wait_for_collector();
        for (int i = 0; i < 20000; i++) b.record(make_span(s2, i * 13));
    });
    r1.join();
    r2.join();
    done = true;
    collector.join();
    EXPECT_GT(renders, 0u);
    EXPECT_LE(reg.find("http.server.request.duration")->series_count(), 50u);
}
