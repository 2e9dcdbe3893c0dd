// Spans -> application RED metrics: OBI's names, units, default attributes and buckets
// (obi-compat.md 4.2-4.4), acceptance examples 1, 2, 9 and 16, instrumentation gating,
// and the recording API the other protocols will use.
#include <gtest/gtest.h>

#include "export/prometheus/text_format.h"
#include "metrics/span_metrics.h"

using namespace obi;
using namespace obi::metrics;

namespace {

ServicePtr python_service()
{
    auto s = std::make_shared<ServiceInfo>();
    s->name = "python3.11";
    s->instance_id = "node1:4242";
    s->sdk_language = "python";
    s->host_name = "node1";
    s->host_id = "abc123";
    s->pid = 4242;
    return s;
}

Span server_span(const ServicePtr& svc, std::string method, std::string path, std::string route, int status)
{
    Span s;
    s.type = SpanType::HTTP;
    s.method = std::move(method);
    s.path = std::move(path);
    s.route = std::move(route);
    s.status = status;
    s.request_start_ns = 1'000'000'000;
    s.start_ns = s.request_start_ns;
    s.end_ns = s.request_start_ns + 30'000'000;  // 30 ms
    s.peer = "10.0.0.9";
    s.peer_port = 51000;
    s.host = "10.0.0.1";
    s.host_port = 8080;
    s.request_body_size = 100;
    s.response_body_size = 3000;
    s.service = svc;
    return s;
}

const MetricData* find(const Snapshot& snap, std::string_view name)
{
    for (const auto& rm : snap.resources)
        for (const auto& md : rm.metrics)
            if (md.name == name) return &md;
    return nullptr;
}

std::string attr(const DataPoint& p, std::string_view key)
{
    for (const auto& a : p.attributes) {
        if (a.key != key) continue;
        if (auto* s = std::get_if<std::string>(&a.value)) return *s;
        if (auto* i = std::get_if<int64_t>(&a.value)) return std::to_string(*i);
    }
    return "<absent>";
}

SpanMetricsOptions application_only()
{
    SpanMetricsOptions o;
    o.features.application = true;
    return o;
}

RegistryOptions prometheus_flavor()
{
    RegistryOptions o;
    o.flavor = Flavor::Prometheus;
    return o;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(RedMetrics, HttpServerSpanRecordsDurationAndBodySizesWithDefaultAttributes)
{
    MetricsRegistry reg;  // OTLP flavor
    SpanMetrics sm(reg, application_only());
    auto svc = python_service();
    sm.record(server_span(svc, "GET", "/basic/123", "/basic/*", 200));
    Snapshot snap = reg.collect(Temporality::Cumulative);

    const MetricData* d = find(snap, "http.server.request.duration");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->unit, "s");
    EXPECT_EQ(d->kind, MetricKind::Histogram);
    ASSERT_EQ(d->points.size(), 1u);
    const DataPoint& p = d->points[0];
    EXPECT_EQ(attr(p, "http.request.method"), "GET");
    EXPECT_EQ(attr(p, "http.response.status_code"), "200");
    EXPECT_EQ(attr(p, "http.route"), "/basic/*");
    EXPECT_EQ(attr(p, "server.address"), "10.0.0.1");
    EXPECT_EQ(attr(p, "server.port"), "8080");
    EXPECT_EQ(attr(p, "service.name"), "python3.11");
    EXPECT_EQ(attr(p, "url.path"), "<absent>");        // opt-in
    EXPECT_EQ(attr(p, "client.address"), "<absent>");  // opt-in
    EXPECT_EQ(attr(p, "instance"), "<absent>");        // Prometheus only
    const auto& h = std::get<HistogramPoint>(p.value);
    EXPECT_EQ(h.bounds, (std::vector<double>{0, .005, .01, .025, .05, .075, .1, .25, .5, .75, 1, 2.5, 5, 7.5, 10}));
    EXPECT_EQ(h.count, 1u);
    EXPECT_DOUBLE_EQ(h.sum, 0.03);
    EXPECT_EQ(h.counts[4], 1u);  // (0.025, 0.05]

    const MetricData* req = find(snap, "http.server.request.body.size");
    ASSERT_NE(req, nullptr);
    EXPECT_EQ(req->unit, "By");
    const auto& rh = std::get<HistogramPoint>(req->points[0].value);
    EXPECT_EQ(rh.bounds, (std::vector<double>{0, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192}));
    EXPECT_EQ(rh.sum, 100);
    const MetricData* resp = find(snap, "http.server.response.body.size");
    ASSERT_NE(resp, nullptr);
    EXPECT_EQ(std::get<HistogramPoint>(resp->points[0].value).sum, 3000);
    EXPECT_EQ(find(snap, "http.client.request.duration"), nullptr);
}

TEST(RedMetrics, HttpClientSpanUsesTheClientMetricsAndTheHostHeader)
{
    MetricsRegistry reg;
    SpanMetrics sm(reg, application_only());
    Span s = server_span(python_service(), "POST", "/api/items", "", 201);
    s.type = SpanType::HTTPClient;
    s.host_header = "api.example.com";
    s.request_body_size = -1;  // unknown: recorded as 0
    sm.record(s);
    Snapshot snap = reg.collect(Temporality::Cumulative);
    const MetricData* d = find(snap, "http.client.request.duration");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(attr(d->points[0], "server.address"), "api.example.com");
    EXPECT_EQ(attr(d->points[0], "http.route"), "<absent>");  // no route: no attribute
    EXPECT_EQ(std::get<HistogramPoint>(find(snap, "http.client.request.body.size")->points[0].value).sum, 0);
    EXPECT_EQ(std::get<HistogramPoint>(find(snap, "http.client.request.body.size")->points[0].value).counts[0], 1u);
    EXPECT_NE(find(snap, "http.client.response.body.size"), nullptr);
    EXPECT_EQ(find(snap, "http.server.request.duration"), nullptr);
}

TEST(RedMetrics, AcceptanceExample1HeuristicRoute)
{
    MetricsRegistry reg(prometheus_flavor());
    SpanMetrics sm(reg, application_only());
    sm.record(server_span(python_service(), "GET", "/basic/123", "/basic/*", 200));
    std::string text = prometheus::render_text(reg.collect(Temporality::Cumulative));
    EXPECT_TRUE(contains(text, "# TYPE http_server_request_duration_seconds histogram\n")) << text;
    EXPECT_TRUE(contains(text,
                         "http_server_request_duration_seconds_count{http_request_method=\"GET\","
                         "http_response_status_code=\"200\",http_route=\"/basic/*\",server_address=\"10.0.0.1\","
                         "server_port=\"8080\",service_name=\"python3.11\",service_namespace=\"\","
                         "instance=\"node1:4242\",job=\"python3.11\"} 1\n"))
        << text;
    EXPECT_FALSE(contains(text, "url_path"));
}

TEST(RedMetrics, AcceptanceExample2ExplicitRouteAndStatus404)
{
    MetricsRegistry reg(prometheus_flavor());
    SpanMetrics sm(reg, application_only());
    Span s = server_span(python_service(), "GET", "/basic/42", "/basic/:rnd", 404);
    s.query = "delay=30ms&status=404";
    sm.record(s);
    std::string text = prometheus::render_text(reg.collect(Temporality::Cumulative));
    EXPECT_TRUE(contains(text, "http_route=\"/basic/:rnd\"")) << text;
    EXPECT_TRUE(contains(text, "http_response_status_code=\"404\"")) << text;
    EXPECT_FALSE(contains(text, "url_path"));
    EXPECT_FALSE(contains(text, "delay=30ms"));
    // 30 ms falls in (0.025, 0.05]: cumulative buckets from le=0.05 on.
    EXPECT_TRUE(contains(text, "le=\"0.025\"} 0\n")) << text;
    EXPECT_TRUE(contains(text, "le=\"0.05\"} 1\n")) << text;
    EXPECT_TRUE(contains(text, "le=\"+Inf\"} 1\n")) << text;
}

TEST(RedMetrics, AcceptanceExample16PythonServiceLabels)
{
    MetricsRegistry reg(prometheus_flavor());
    SpanMetrics sm(reg, application_only());
    sm.record(server_span(python_service(), "GET", "/", "/", 200));
    std::string text = prometheus::render_text(reg.collect(Temporality::Cumulative));
    EXPECT_TRUE(contains(text, "target_info{host_id=\"abc123\",host_name=\"node1\",service_name=\"python3.11\","
                               "service_namespace=\"\",instance=\"node1:4242\",job=\"python3.11\","
                               "telemetry_sdk_language=\"python\",telemetry_sdk_name=\"opentelemetry\","))
        << text;
    EXPECT_TRUE(contains(text, "telemetry_distro_name=\"opentelemetry-ebpf-instrumentation\""));
    EXPECT_TRUE(contains(text, "os_type=\"linux\"} 1\n"));
    EXPECT_TRUE(contains(text, "obi_build_info{goarch=")) << text;
    EXPECT_TRUE(contains(text, "target_lang=\"python\"")) << text;
}

TEST(RedMetrics, AcceptanceExample9DatabaseMetricThroughTheRecordingApi)
{
    MetricsRegistry reg(prometheus_flavor());
    SpanMetrics sm(reg, application_only());
    ASSERT_NE(sm.app(), nullptr);
    DbValues v;
    v.operation = "SELECT";
    v.system = "postgresql";
    v.error_type = "";
    v.server_address = "db.local";
    v.collection = "accounting.contacts";  // opt-in: not a default label
    v.duration_s = 0.002;
    sm.app()->db_client(python_service(), v);
    std::string text = prometheus::render_text(reg.collect(Temporality::Cumulative));
    EXPECT_TRUE(contains(text, "db_client_operation_duration_seconds_count{db_operation_name=\"SELECT\","
                               "db_system_name=\"postgresql\",error_type=\"\",server_address=\"db.local\","))
        << text;
    EXPECT_FALSE(contains(text, "db_collection_name"));
}

TEST(RedMetrics, RpcAndMessagingRecordingApi)
{
    MetricsRegistry reg;
    SpanMetrics sm(reg, application_only());
    RpcValues r;
    r.method = "/routeguide.RouteGuide/Debug";
    r.system = "grpc";
    r.status_code = "2";
    r.server_address = "10.0.0.1";
    r.server_port = 50051;
    r.duration_s = 0.1;
    sm.app()->rpc_server(python_service(), r);
    sm.app()->rpc_client(python_service(), r);
    MessagingValues m;
    m.system = "kafka";
    m.destination = "logging";
    m.server_address = "broker";
    m.duration_s = 0.01;
    sm.app()->messaging_process(python_service(), m);
    sm.app()->messaging_client(python_service(), m);
    Snapshot snap = reg.collect(Temporality::Cumulative);

    const MetricData* rs = find(snap, "rpc.server.call.duration");
    ASSERT_NE(rs, nullptr);
    EXPECT_EQ(attr(rs->points[0], "rpc.method"), "/routeguide.RouteGuide/Debug");
    EXPECT_EQ(attr(rs->points[0], "rpc.system.name"), "grpc");
    EXPECT_EQ(attr(rs->points[0], "rpc.response.status_code"), "2");
    EXPECT_EQ(attr(rs->points[0], "server.port"), "50051");
    const MetricData* rc = find(snap, "rpc.client.call.duration");
    ASSERT_NE(rc, nullptr);
    EXPECT_EQ(attr(rc->points[0], "server.port"), "<absent>");  // not a client attribute
    const MetricData* mp = find(snap, "messaging.process.duration");
    ASSERT_NE(mp, nullptr);
    EXPECT_EQ(attr(mp->points[0], "messaging.system"), "kafka");
    EXPECT_EQ(attr(mp->points[0], "messaging.destination.name"), "logging");
    EXPECT_NE(find(snap, "messaging.client.operation.duration"), nullptr);
}

TEST(RedMetrics, InstrumentationsGateTheProtocols)
{
    MetricsRegistry reg;
    SpanMetricsOptions o = application_only();
    o.instrumentations = Instrumentations::from({"grpc", "sql"});
    SpanMetrics sm(reg, o);
    sm.record(server_span(python_service(), "GET", "/", "/", 200));
    EXPECT_EQ(reg.find("http.server.request.duration"), nullptr);
    EXPECT_NE(reg.find("rpc.server.call.duration"), nullptr);
    EXPECT_NE(reg.find("db.client.operation.duration"), nullptr);
    EXPECT_EQ(reg.find("messaging.process.duration"), nullptr);
    EXPECT_TRUE(reg.collect(Temporality::Cumulative).resources.empty());
}

TEST(RedMetrics, ApplicationFeatureOffDeclaresNothing)
{
    MetricsRegistry reg;
    SpanMetricsOptions o;
    o.features.span = true;
    SpanMetrics sm(reg, o);
    EXPECT_EQ(sm.app(), nullptr);
    sm.record(server_span(python_service(), "GET", "/", "/", 200));
    EXPECT_EQ(reg.find("http.server.request.duration"), nullptr);
    EXPECT_NE(reg.find("traces_spanmetrics_latency"), nullptr);
}

TEST(RedMetrics, FeaturesFromConfigUniteTheLists)
{
    config::MetricsConfig mc;
    mc.features = {"application", "application_span_otel", "application_service_graph"};
    Features f = Features::from(mc);
    EXPECT_TRUE(f.application);
    EXPECT_FALSE(f.span);
    EXPECT_TRUE(f.span_otel);
    EXPECT_TRUE(f.service_graph);
    mc.features = {"all"};
    f = Features::from(mc);
    EXPECT_TRUE(f.span);
    EXPECT_FALSE(f.span_otel);  // legacy names win, as in OBI
    EXPECT_TRUE(f.span_sizes);
}
