// Internal metrics: counters, gauges, labelled values, observed callbacks, the agent's
// named set with OBI's names, and their Prometheus rendering.
#include <gtest/gtest.h>

#include "export/prometheus/text_format.h"
#include "metrics/agent_metrics.h"
#include "metrics/internal.h"

using namespace obi;
using namespace obi::metrics;

namespace {

const MetricData* find(const Snapshot& snap, std::string_view name)
{
    for (const auto& md : snap.resources.at(0).metrics)
        if (md.name == name) return &md;
    return nullptr;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

prometheus::RenderOptions internal_render()
{
    prometheus::RenderOptions o;
    o.target_info = false;
    o.build_info = false;
    return o;
}

}  // namespace

TEST(InternalMetrics, CountersGaugesAndLabels)
{
    InternalMetrics im;
    InternalCounter& c = im.counter("obi.test.events", "1", "Events.");
    c.add();
    c.add(4);
    EXPECT_EQ(&c, &im.counter("obi.test.events", "1", "Events."));
    im.gauge("obi.test.level", "{item}", "Level.").set(2.5);
    LabeledValues& errs = im.labeled_counter("obi.test.errors", "1", "Errors.", {"error"});
    errs.add({"timeout"});
    errs.add({"timeout"});
    errs.add({"refused"}, 3);

    Snapshot snap = im.collect();
    ASSERT_EQ(snap.resources.size(), 1u);
    EXPECT_EQ(snap.resources[0].service, nullptr);
    const MetricData* events = find(snap, "obi.test.events");
    ASSERT_NE(events, nullptr);
    EXPECT_EQ(events->kind, MetricKind::Sum);
    EXPECT_EQ(std::get<SumPoint>(events->points[0].value).int_value, 5);
    EXPECT_EQ(std::get<GaugePoint>(find(snap, "obi.test.level")->points[0].value).value, 2.5);
    const MetricData* e = find(snap, "obi.test.errors");
    ASSERT_EQ(e->points.size(), 2u);
    EXPECT_EQ(errs.value({"timeout"}), 2);
    EXPECT_EQ(errs.value({"refused"}), 3);
}

TEST(InternalMetrics, LabeledValuesAreBounded)
{
    InternalMetrics im;
    LabeledValues& v = im.labeled_counter("obi.test.bounded", "1", "x", {"k"});
    for (size_t i = 0; i < LabeledValues::kMaxLabelSets + 50; i++) v.add({std::to_string(i)});
    EXPECT_EQ(v.values().size(), LabeledValues::kMaxLabelSets + 1);
    EXPECT_EQ(v.value({"other"}), 50);
}

TEST(InternalMetrics, ObservedValuesAreReadAtCollection)
{
    InternalMetrics im;
    int calls = 0;
    im.observe("obi.test.observed", "{span}", "Observed.", false, [&](Observer& o) {
        calls++;
        o.record(7, {{"queue", "export"}});
    });
    im.observe("obi.test.observed", "{span}", "Observed.", false, [](Observer& o) { o.record(1, {{"queue", "b"}}); });
    Snapshot snap = im.collect();
    EXPECT_EQ(calls, 1);
    ASSERT_EQ(find(snap, "obi.test.observed")->points.size(), 2u);
    EXPECT_EQ(std::get<GaugePoint>(find(snap, "obi.test.observed")->points[0].value).value, 7);
}

TEST(InternalMetrics, AgentMetricsUseObiNamesInPrometheus)
{
    InternalMetrics im;
    AgentMetrics m = register_agent_metrics(im);
    m.tracer_flushes->add(3);
    m.trace_exports->add();
    m.trace_export_errors->add({"connection refused"});
    m.metric_exports->add(2);
    m.instrumented_processes->add({"python3.11"});
    m.parse_errors->add({"http1"});
    m.spans_dropped->add({"queue_full"}, 10);
    m.ringbuf_events_read->add(100);
    m.export_queue_spans->set(12);
    m.prometheus_requests->add({"9400", "/metrics"});
    MetricsRegistry reg;
    observe_registry(im, reg, "prometheus");

    std::string text = prometheus::render_text(im.collect(), internal_render());
    EXPECT_TRUE(contains(text, "# TYPE obi_ebpf_tracer_flushes_total counter\nobi_ebpf_tracer_flushes_total 3\n"))
        << text;
    EXPECT_TRUE(contains(text, "obi_otel_trace_exports_total 1\n"));
    EXPECT_TRUE(contains(text, "obi_otel_trace_export_errors_total{error=\"connection refused\"} 1\n"));
    EXPECT_TRUE(contains(text, "obi_otel_metric_exports_total 2\n"));
    EXPECT_TRUE(contains(text, "# TYPE obi_instrumented_processes gauge\n"
                               "obi_instrumented_processes{process_executable_name=\"python3.11\"} 1\n"));
    EXPECT_TRUE(contains(text, "obi_parse_errors_total{protocol=\"http1\"} 1\n"));
    EXPECT_TRUE(contains(text, "obi_spans_dropped_total{reason=\"queue_full\"} 10\n"));
    EXPECT_TRUE(contains(text, "obi_ebpf_ringbuf_events_read_total 100\n"));
    EXPECT_TRUE(contains(text, "obi_export_queue_spans 12\n"));
    EXPECT_TRUE(contains(text, "obi_prometheus_http_requests_total{port=\"9400\",path=\"/metrics\"} 1\n"));
    EXPECT_TRUE(contains(text, "obi_metric_series{exporter=\"prometheus\"} 0\n"));
    EXPECT_TRUE(contains(text, "obi_metric_series_overflows_total{exporter=\"prometheus\"} 0\n"));
    EXPECT_TRUE(contains(text, "# TYPE obi_internal_build_info gauge\nobi_internal_build_info{goarch=")) << text;
    EXPECT_FALSE(contains(text, "target_info"));
    // Labelled metrics with nothing recorded are not rendered.
    EXPECT_FALSE(contains(text, "obi_avoided_services"));
}
