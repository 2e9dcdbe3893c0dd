// Cost of turning spans into metrics on the export thread (ns per span recorded), of one
// instrument recording, and of collecting/rendering for a scrape.
#include <benchmark/benchmark.h>

#include "export/prometheus/text_format.h"
#include "metrics/span_metrics.h"

using namespace obi;
using namespace obi::metrics;

namespace {

std::vector<Span> make_spans(size_t routes)
{
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "checkout";
    svc->namespace_ = "shop";
    svc->instance_id = "node1:4242";
    std::vector<Span> spans;
    for (size_t i = 0; i < 1024; i++) {
        Span s;
        s.type = i % 4 == 0 ? SpanType::HTTPClient : SpanType::HTTP;
        s.method = i % 3 ? "GET" : "POST";
        s.path = "/api/v1/items/" + std::to_string(i);
        s.route = "/api/v1/items/{id}/" + std::to_string(i % routes);
        s.status = i % 11 ? 200 : 503;
        s.request_start_ns = 1000;
        s.end_ns = 1000 + (i % 200) * 1'000'000;
        s.host = "10.0.0.1";
        s.host_port = 8080;
        s.peer = "10.0.0.2";
        s.request_body_size = static_cast<int64_t>(i);
        s.response_body_size = static_cast<int64_t>(i * 10);
        s.service = svc;
        spans.push_back(std::move(s));
    }
    return spans;
}

void run(benchmark::State& state, Features features, Flavor flavor, HistogramMode mode = HistogramMode::ExplicitBuckets)
{
    RegistryOptions ro;
    ro.flavor = flavor;
    ro.histograms = mode;
    MetricsRegistry reg(ro);
    SpanMetricsOptions o;
    o.features = features;
    SpanMetrics sm(reg, o);
    auto spans = make_spans(static_cast<size_t>(state.range(0)));
    for (const auto& s : spans) sm.record(s);  // series exist: the steady state
    size_t i = 0;
    for (auto _ : state) {
        sm.record(spans[i++ & 1023]);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["series"] = static_cast<double>(reg.series_count());
}

}  // namespace

// The default: metrics.features=[application] (3 histograms per HTTP span).
static void BM_RecordSpan_Application(benchmark::State& state)
{
    run(state, Features{true, false, false, false, false}, Flavor::Otlp);
}
BENCHMARK(BM_RecordSpan_Application)->Arg(10)->Arg(500);

static void BM_RecordSpan_ApplicationPrometheus(benchmark::State& state)
{
    run(state, Features{true, false, false, false, false}, Flavor::Prometheus);
}
BENCHMARK(BM_RecordSpan_ApplicationPrometheus)->Arg(10);

static void BM_RecordSpan_ApplicationExponential(benchmark::State& state)
{
    run(state, Features{true, false, false, false, false}, Flavor::Otlp, HistogramMode::Base2Exponential);
}
BENCHMARK(BM_RecordSpan_ApplicationExponential)->Arg(10);

// Every span feature: RED + span metrics + sizes + service graph + traces_target_info.
static void BM_RecordSpan_AllFeatures(benchmark::State& state)
{
    run(state, Features{true, true, false, true, true}, Flavor::Prometheus);
}
BENCHMARK(BM_RecordSpan_AllFeatures)->Arg(10);

static void BM_InstrumentRecord(benchmark::State& state)
{
    MetricsRegistry reg;
    Instrument& h = reg.declare(http_server_duration_def());
    auto svc = std::make_shared<ServiceInfo>();
    AttrValue values[] = {AttrValue::str("GET"), AttrValue::integer(200), AttrValue::str("/api/v1/items/{id}"),
                          AttrValue::str("10.0.0.1"), AttrValue::integer(8080)};
    h.record(svc, values, 0.01);
    double v = 0;
    for (auto _ : state) {
        h.record(svc, values, v);
        v += 0.0001;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InstrumentRecord);

// A scrape: collect + render, 500 routes x 2 methods x 2 statuses x 2 sides.
static void BM_CollectAndRender(benchmark::State& state)
{
    RegistryOptions ro;
    ro.flavor = Flavor::Prometheus;
    MetricsRegistry reg(ro);
    SpanMetricsOptions o;
    o.features.application = true;
    SpanMetrics sm(reg, o);
    for (const auto& s : make_spans(500)) sm.record(s);
    size_t bytes = 0;
    for (auto _ : state) {
        std::string text = prometheus::render_text(reg.collect(Temporality::Cumulative));
        bytes = text.size();
        benchmark::DoNotOptimize(text);
    }
    state.counters["series"] = static_cast<double>(reg.series_count());
    state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_CollectAndRender)->Unit(benchmark::kMillisecond);
