// Span metrics (application_span, application_span_otel, application_span_sizes), the
// service graph and traces_target_info, rendered as Prometheus text (acceptance example 6).
#include <gtest/gtest.h>

#include "export/prometheus/text_format.h"
#include "metrics/span_metrics.h"

using namespace obi;
using namespace obi::metrics;

namespace {

ServicePtr make_service(std::string name, std::string ns = "")
{
    auto s = std::make_shared<ServiceInfo>();
    s->name = std::move(name);
    s->namespace_ = std::move(ns);
    s->instance_id = "node1:77";
    s->sdk_language = "go";
    return s;
}

Span http_span(const ServicePtr& svc, SpanType type, int status, std::string route = "/items/{id}")
{
    Span s;
    s.type = type;
    s.method = "GET";
    s.path = "/items/1";
    s.route = std::move(route);
    s.status = status;
    s.request_start_ns = 10;
    s.end_ns = 10 + 200'000'000;  // 0.2 s
    s.peer = "10.1.1.1";
    s.host = "10.2.2.2";
    s.host_port = 80;
    s.request_body_size = 10;
    s.response_body_size = 20;
    s.service = svc;
    return s;
}

std::string render(MetricsRegistry& reg) { return prometheus::render_text(reg.collect(Temporality::Cumulative)); }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

RegistryOptions prom()
{
    RegistryOptions o;
    o.flavor = Flavor::Prometheus;
    return o;
}

}  // namespace

TEST(SpanMetrics, LegacySpanMetricsNamesAndLabels)
{
    MetricsRegistry reg(prom());
    SpanMetricsOptions o;
    o.features.span = true;
    SpanMetrics sm(reg, o);
    sm.record(http_span(make_service("cart", "shop"), SpanType::HTTP, 200));
    std::string text = render(reg);
    EXPECT_TRUE(contains(text, "# TYPE traces_spanmetrics_latency histogram\n")) << text;
    EXPECT_TRUE(contains(text, "# TYPE traces_spanmetrics_calls_total counter\n")) << text;
    EXPECT_TRUE(contains(text, "traces_spanmetrics_calls_total{span_name=\"GET /items/{id}\","
                               "span_kind=\"SPAN_KIND_SERVER\",status_code=\"STATUS_CODE_UNSET\","
                               "service_name=\"cart\",service_namespace=\"shop\","
                               "instance=\"node1:77\",job=\"shop/cart\",source=\"obi\","
                               "telemetry_sdk_language=\"go\"} 1\n"))
        << text;
    EXPECT_TRUE(contains(text, "traces_spanmetrics_latency_sum{")) << text;
    // traces_target_info carries the target_info labels.
    EXPECT_TRUE(contains(text, "# TYPE traces_target_info gauge\ntraces_target_info{host_id=")) << text;
    EXPECT_FALSE(contains(text, "http_server_request_duration"));
}

TEST(SpanMetrics, OtelSpanMetricsNames)
{
    MetricsRegistry reg(prom());
    SpanMetricsOptions o;
    o.features.span_otel = true;
    SpanMetrics sm(reg, o);
    sm.record(http_span(make_service("cart"), SpanType::HTTPClient, 200));
    std::string text = render(reg);
    EXPECT_TRUE(contains(text, "# TYPE traces_span_metrics_duration_seconds histogram\n")) << text;
    EXPECT_TRUE(contains(text, "traces_span_metrics_calls_total{span_name=\"GET /items/{id}\","
                               "span_kind=\"SPAN_KIND_CLIENT\""))
        << text;
}

TEST(SpanMetrics, AcceptanceExample6StatusCodes)
{
    MetricsRegistry reg(prom());
    SpanMetricsOptions o;
    o.features.span = true;
    SpanMetrics sm(reg, o);
    auto svc = make_service("svc");
    sm.record(http_span(svc, SpanType::HTTP, 503, "/a"));
    sm.record(http_span(svc, SpanType::HTTP, 404, "/b"));
    sm.record(http_span(svc, SpanType::HTTPClient, 404, "/c"));
    std::string text = render(reg);
    EXPECT_TRUE(contains(text, "span_name=\"GET /a\",span_kind=\"SPAN_KIND_SERVER\",status_code=\"STATUS_CODE_ERROR\""))
        << text;
    EXPECT_TRUE(
        contains(text, "span_name=\"GET /b\",span_kind=\"SPAN_KIND_SERVER\",status_code=\"STATUS_CODE_UNSET\""));
    EXPECT_TRUE(
        contains(text, "span_name=\"GET /c\",span_kind=\"SPAN_KIND_CLIENT\",status_code=\"STATUS_CODE_ERROR\""));
}

TEST(SpanMetrics, SpanSizesAreByteCounters)
{
    MetricsRegistry reg(prom());
    SpanMetricsOptions o;
    o.features.span_sizes = true;
    SpanMetrics sm(reg, o);
    auto svc = make_service("svc");
    sm.record(http_span(svc, SpanType::HTTP, 200));
    sm.record(http_span(svc, SpanType::HTTP, 200));
    std::string text = render(reg);
    EXPECT_TRUE(contains(text, "# TYPE traces_spanmetrics_size_total counter\n")) << text;
    EXPECT_TRUE(contains(text, "traces_spanmetrics_size_total{span_name=\"GET /items/{id}\"")) << text;
    EXPECT_TRUE(contains(text, "telemetry_sdk_language=\"go\"} 20\n")) << text;  // 2 x 10
    EXPECT_TRUE(contains(text, "# TYPE traces_spanmetrics_response_size_total counter\n"));
    EXPECT_TRUE(contains(text, "telemetry_sdk_language=\"go\"} 40\n"));  // 2 x 20
}

TEST(ServiceGraph, ServerAndClientSpans)
{
    MetricsRegistry reg(prom());
    SpanMetricsOptions o;
    o.features.service_graph = true;
    SpanMetrics sm(reg, o);
    auto svc = make_service("cart", "shop");
    sm.record(http_span(svc, SpanType::HTTP, 500));  // server, failed
    Span client = http_span(svc, SpanType::HTTPClient, 200);
    client.host_header = "payments";
    sm.record(client);
    std::string text = render(reg);
    std::string server_labels = "{client=\"10.1.1.1\",client_service_namespace=\"\",server=\"cart\","
                                "server_service_namespace=\"shop\",connection_type=\"\",source=\"obi\"}";
    std::string client_labels = "{client=\"cart\",client_service_namespace=\"shop\",server=\"payments\","
                                "server_service_namespace=\"\",connection_type=\"\",source=\"obi\"}";
    EXPECT_TRUE(contains(text, "traces_service_graph_request_server_seconds_count" + server_labels + " 1\n")) << text;
    EXPECT_TRUE(contains(text, "traces_service_graph_request_client_seconds_count" + client_labels + " 1\n")) << text;
    EXPECT_TRUE(contains(text, "traces_service_graph_request_total" + server_labels + " 1\n")) << text;
    EXPECT_TRUE(contains(text, "traces_service_graph_request_total" + client_labels + " 1\n")) << text;
    EXPECT_TRUE(contains(text, "traces_service_graph_request_failed_total" + server_labels + " 1\n")) << text;
    EXPECT_FALSE(contains(text, "traces_service_graph_request_failed_total" + client_labels)) << text;
    // No resource labels on the graph series.
    for (size_t pos = text.find("\ntraces_service_graph"); pos != std::string::npos;
         pos = text.find("\ntraces_service_graph", pos + 1)) {
        std::string line = text.substr(pos + 1, text.find('\n', pos + 1) - pos - 1);
        EXPECT_FALSE(contains(line, "service_name=") || contains(line, "instance=")) << line;
    }
}

TEST(ServiceGraph, ClientSpansToInstrumentedPeersAreNotCountedTwice)
{
    MetricsRegistry reg(prom());
    SpanMetricsOptions o;
    o.features.service_graph = true;
    o.peer_is_instrumented = [](const Span&) { return true; };
    SpanMetrics sm(reg, o);
    sm.record(http_span(make_service("cart"), SpanType::HTTPClient, 200));
    std::string text = render(reg);
    EXPECT_TRUE(contains(text, "traces_service_graph_request_client_seconds_count{")) << text;
    EXPECT_FALSE(contains(text, "traces_service_graph_request_total{")) << text;
}

TEST(ServiceGraph, SelfReferencesAreDroppedUnlessAllowed)
{
    auto svc = make_service("loop");
    Span self = http_span(svc, SpanType::HTTP, 200);
    self.peer = self.host = "127.0.0.1";

    MetricsRegistry reg(prom());
    SpanMetricsOptions o;
    o.features.service_graph = true;
    SpanMetrics sm(reg, o);
    sm.record(self);
    EXPECT_FALSE(contains(render(reg), "traces_service_graph_request_total{"));

    MetricsRegistry allowed_reg(prom());
    o.allow_service_graph_self_references = true;
    SpanMetrics allowed(allowed_reg, o);
    allowed.record(self);
    EXPECT_TRUE(contains(render(allowed_reg), "traces_service_graph_request_total{client=\"127.0.0.1\""));
}

TEST(SpanMetrics, OtlpFlavorUsesDottedAttributesAndTheInstanceId)
{
    MetricsRegistry reg;
    SpanMetricsOptions o;
    o.features.span = true;
    SpanMetrics sm(reg, o);
    sm.record(http_span(make_service("cart"), SpanType::HTTP, 200));
    Snapshot snap = reg.collect(Temporality::Cumulative);
    ASSERT_EQ(snap.resources.size(), 1u);
    const MetricData* calls = nullptr;
    for (const auto& md : snap.resources[0].metrics)
        if (md.name == "traces_spanmetrics_calls_total") calls = &md;
    ASSERT_NE(calls, nullptr);
    std::vector<std::string> keys;
    for (const auto& a : calls->points[0].attributes) keys.push_back(a.key);
    EXPECT_EQ(keys, (std::vector<std::string>{"span.name", "span.kind", "status.code", "service.name",
                                              "service.instance.id", "source", "telemetry.sdk.language"}));
}
