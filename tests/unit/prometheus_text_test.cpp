// Prometheus text exposition: a golden rendering, OTel -> Prometheus names, label
// sanitisation and escaping (invalid UTF-8 dropped), numbers, exponential histograms as
// classic buckets, target_info / obi_build_info rules, acceptance example 15.
#include <gtest/gtest.h>

#include <cmath>

#include "export/prometheus/names.h"
#include "export/prometheus/text_format.h"
#include "spans/attributes.h"

using namespace obi;
using namespace obi::metrics;
using namespace obi::prometheus;

namespace {

ServicePtr cart_service()
{
    auto s = std::make_shared<ServiceInfo>();
    s->name = "cart";
    s->namespace_ = "shop";
    s->instance_id = "h:1";
    s->sdk_language = "go";
    s->host_name = "h";
    s->host_id = "hid";
    s->resource_attributes = {{"deployment.environment", "prod"}, {"team", "core"}};
    return s;
}

MetricData metric(std::string name, std::string unit, MetricKind kind, std::string description = "")
{
    MetricData md;
    md.name = std::move(name);
    md.unit = std::move(unit);
    md.kind = kind;
    md.description = std::move(description);
    return md;
}

DataPoint sum_point(double v, std::vector<Attribute> attrs = {})
{
    DataPoint p;
    p.attributes = std::move(attrs);
    p.value = SumPoint{v, false, 0};
    return p;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST(PrometheusText, GoldenRendering)
{
    Snapshot snap;
    ResourceMetrics rm;
    rm.service = cart_service();
    MetricData requests = metric("test.requests", "1", MetricKind::Sum, "Requests.");
    DataPoint rp;
    rp.attributes = {{"method", std::string("GET")}};
    rp.value = SumPoint{42, true, 42};
    requests.points.push_back(rp);
    MetricData duration = metric("http.server.request.duration", "s", MetricKind::Histogram, "Duration of requests.");
    DataPoint hp;
    hp.attributes = {{"http.request.method", std::string("GET")}, {"http.response.status_code", int64_t{200}}};
    HistogramPoint h;
    h.bounds = {0.1, 1};
    h.counts = {1, 0, 2};
    h.count = 3;
    h.sum = 3.5;
    hp.value = h;
    duration.points.push_back(hp);
    rm.metrics = {requests, duration};
    snap.resources.push_back(rm);

    RenderOptions o;
    o.build_info = false;
    o.extra_resource_attributes = {"deployment_environment"};
    std::string v = agent_version();
    std::string expected =
        "# HELP http_server_request_duration_seconds Duration of requests.\n"
        "# TYPE http_server_request_duration_seconds histogram\n"
        "http_server_request_duration_seconds_bucket{http_request_method=\"GET\",http_response_status_code=\"200\","
        "le=\"0.1\"} 1\n"
        "http_server_request_duration_seconds_bucket{http_request_method=\"GET\",http_response_status_code=\"200\","
        "le=\"1\"} 1\n"
        "http_server_request_duration_seconds_bucket{http_request_method=\"GET\",http_response_status_code=\"200\","
        "le=\"+Inf\"} 3\n"
        "http_server_request_duration_seconds_sum{http_request_method=\"GET\",http_response_status_code=\"200\"} 3.5\n"
        "http_server_request_duration_seconds_count{http_request_method=\"GET\",http_response_status_code=\"200\"} 3\n"
        "# HELP target_info Attributes of an instrumented process.\n"
        "# TYPE target_info gauge\n"
        "target_info{host_id=\"hid\",host_name=\"h\",service_name=\"cart\",service_namespace=\"shop\",instance=\"h:1\","
        "job=\"shop/cart\",telemetry_sdk_language=\"go\",telemetry_sdk_name=\"opentelemetry\","
        "telemetry_sdk_version=\"" +
        v +
        "\",telemetry_distro_name=\"opentelemetry-ebpf-instrumentation\",telemetry_distro_version=\"" + v +
        "\",source=\"obi\",os_type=\"linux\",deployment_environment=\"prod\"} 1\n"
        "# HELP test_requests_total Requests.\n"
        "# TYPE test_requests_total counter\n"
        "test_requests_total{method=\"GET\"} 42\n";
    EXPECT_EQ(render_text(snap, o), expected);
}

TEST(PrometheusText, AcceptanceExample15ExtraResourceAttributesOnlyWhenListed)
{
    Snapshot snap;
    snap.resources.push_back(ResourceMetrics{cart_service(), {}});
    RenderOptions o;
    std::string plain = render_text(snap, o);
    EXPECT_TRUE(contains(plain, "target_info{")) << plain;
    EXPECT_FALSE(contains(plain, "deployment_environment"));
    o.extra_resource_attributes = {"deployment.environment"};
    EXPECT_TRUE(contains(render_text(snap, o), "deployment_environment=\"prod\"} 1\n"));
}

TEST(PrometheusText, FamilyNames)
{
    EXPECT_EQ(family_name(metric("http.server.request.duration", "s", MetricKind::Histogram)),
              "http_server_request_duration_seconds");
    EXPECT_EQ(family_name(metric("http.client.response.body.size", "By", MetricKind::Histogram)),
              "http_client_response_body_size_bytes");
    EXPECT_EQ(family_name(metric("obi.otel.trace.exports", "1", MetricKind::Sum)), "obi_otel_trace_exports_total");
    EXPECT_EQ(family_name(metric("net.io", "By", MetricKind::Sum)), "net_io_bytes_total");
    EXPECT_EQ(family_name(metric("calls_total", "1", MetricKind::Sum)), "calls_total");
    EXPECT_EQ(family_name(metric("queue.fill", "1", MetricKind::Gauge)), "queue_fill_ratio");
    EXPECT_EQ(family_name(metric("queue.spans", "{span}", MetricKind::Gauge)), "queue_spans");
    EXPECT_EQ(family_name(metric("latency_seconds", "s", MetricKind::Gauge)), "latency_seconds");
    EXPECT_EQ(family_name(metric("my-metric/name..x", "", MetricKind::Gauge)), "my_metric_name_x");
    EXPECT_EQ(family_name(metric("1abc", "", MetricKind::Gauge)), "_1abc");
    MetricData updown = metric("active.requests", "{request}", MetricKind::Sum);
    updown.monotonic = false;
    EXPECT_EQ(family_type(updown), "gauge");
    EXPECT_EQ(family_name(updown), "active_requests");
    MetricData fixed = metric("traces_spanmetrics_latency", "s", MetricKind::Histogram);
    fixed.prometheus_name = "traces_spanmetrics_latency";
    EXPECT_EQ(family_name(fixed), "traces_spanmetrics_latency");
}

TEST(PrometheusText, LabelNames)
{
    EXPECT_EQ(sanitize_label_name("http.request.method"), "http_request_method");
    EXPECT_EQ(sanitize_label_name("a-b/c"), "a_b_c");
    EXPECT_EQ(sanitize_label_name("1abc"), "key_1abc");
    EXPECT_EQ(sanitize_label_name("__reserved"), "key__reserved");
    EXPECT_EQ(sanitize_label_name("_ok"), "_ok");
}

TEST(PrometheusText, LabelValuesAreEscapedAndInvalidUtf8Dropped)
{
    std::string out;
    append_label_value(out, "a\"b\\c\nd \xc3\xa9 \xff\xfe end \xe2\x82");
    EXPECT_EQ(out, "a\\\"b\\\\c\\nd \xc3\xa9  end ");
    EXPECT_EQ(valid_utf8_only("ok\xc0\xafx"), "okx");  // overlong encoding dropped
}

TEST(PrometheusText, CollidingLabelNamesAreMerged)
{
    Snapshot snap;
    ResourceMetrics rm;
    MetricData m = metric("x", "", MetricKind::Gauge, "X.");
    DataPoint p;
    p.attributes = {{"a.b", std::string("1")}, {"a_b", std::string("2")}, {"le", std::string("bad")}};
    p.value = GaugePoint{1, false, 0};
    m.points.push_back(p);
    rm.metrics.push_back(m);
    snap.resources.push_back(rm);
    std::string text = render_text(snap);
    EXPECT_TRUE(contains(text, "x{a_b=\"1;2\"} 1\n")) << text;
}

TEST(PrometheusText, Numbers)
{
    EXPECT_EQ(format_number(0.005), "0.005");
    EXPECT_EQ(format_number(1), "1");
    EXPECT_EQ(format_number(2.5), "2.5");
    EXPECT_EQ(format_number(1e21), "1e+21");
    EXPECT_EQ(format_number(INFINITY), "+Inf");
    EXPECT_EQ(format_number(-INFINITY), "-Inf");
    EXPECT_EQ(format_number(std::nan("")), "NaN");
}

TEST(PrometheusText, HelpIsEscapedAndNeverEmpty)
{
    Snapshot snap;
    ResourceMetrics rm;
    MetricData a = metric("a", "", MetricKind::Gauge, "line one\nline \\ two");
    a.points.push_back(sum_point(1));
    a.points[0].value = GaugePoint{1, false, 0};
    MetricData b = metric("b", "", MetricKind::Gauge);
    b.points.push_back(a.points[0]);
    rm.metrics = {a, b};
    snap.resources.push_back(rm);
    std::string text = render_text(snap);
    EXPECT_TRUE(contains(text, "# HELP a line one\\nline \\\\ two\n")) << text;
    EXPECT_TRUE(contains(text, "# HELP b b\n")) << text;
}

TEST(PrometheusText, ExponentialHistogramsBecomeClassicBuckets)
{
    Snapshot snap;
    ResourceMetrics rm;
    MetricData m = metric("lat", "s", MetricKind::ExponentialHistogram, "Latency.");
    DataPoint p;
    ExpHistogramPoint e;
    e.scale = 0;
    e.zero_count = 1;
    e.negative_offset = 0;
    e.negative_counts = {2};  // [-2, -1)
    e.positive_offset = 1;
    e.positive_counts = {3, 0, 4};  // (2,4] (4,8] (8,16]
    e.count = 10;
    e.sum = 50;
    p.value = e;
    m.points.push_back(p);
    rm.metrics.push_back(m);
    snap.resources.push_back(rm);
    std::string text = render_text(snap);
    std::string expected = "# HELP lat_seconds Latency.\n# TYPE lat_seconds histogram\n"
                           "lat_seconds_bucket{le=\"-1\"} 2\n"
                           "lat_seconds_bucket{le=\"0\"} 3\n"
                           "lat_seconds_bucket{le=\"4\"} 6\n"
                           "lat_seconds_bucket{le=\"8\"} 6\n"
                           "lat_seconds_bucket{le=\"16\"} 10\n"
                           "lat_seconds_bucket{le=\"+Inf\"} 10\n"
                           "lat_seconds_sum 50\n"
                           "lat_seconds_count 10\n";
    EXPECT_EQ(text, expected);
}

TEST(PrometheusText, TargetInfoAndBuildInfoRules)
{
    Snapshot snap;
    auto go = cart_service();
    auto py = std::make_shared<ServiceInfo>(*go);
    py->name = "worker";
    py->sdk_language = "python";
    snap.resources.push_back(ResourceMetrics{go, {}});
    ResourceMetrics exited{py, {}};
    exited.target_info = false;
    snap.resources.push_back(exited);
    std::string text = render_text(snap);
    EXPECT_TRUE(contains(text, "service_name=\"cart\"")) << text;
    EXPECT_FALSE(contains(text, "target_info{host_id=\"hid\",host_name=\"h\",service_name=\"worker\""));
    EXPECT_TRUE(contains(text, "# TYPE obi_build_info gauge\n")) << text;
    EXPECT_TRUE(contains(text, "target_lang=\"go\"")) << text;
    EXPECT_TRUE(contains(text, "target_lang=\"python\"")) << text;
    EXPECT_TRUE(contains(text, "version=\"" + std::string(agent_version()) + "\"")) << text;

    RenderOptions off;
    off.build_info = false;
    off.select = {{"resource", config::AttributeSelection{std::nullopt, {"host_*", "telemetry.*"}}}};
    std::string plain = render_text(snap, off);
    EXPECT_FALSE(contains(plain, "obi_build_info"));
    EXPECT_TRUE(contains(plain, "target_info{service_name=\"cart\",service_namespace=\"shop\",instance=\"h:1\","
                                "job=\"shop/cart\",source=\"obi\",os_type=\"linux\"} 1\n"))
        << plain;
}

TEST(PrometheusText, FamiliesAreGroupedAcrossResourcesAndTypeConflictsSkipped)
{
    Snapshot snap;
    for (const char* name : {"a", "b"}) {
        auto svc = std::make_shared<ServiceInfo>();
        svc->name = name;
        ResourceMetrics rm{svc, {}};
        MetricData m = metric("calls", "1", MetricKind::Sum, "Calls.");
        m.points.push_back(sum_point(1, {{"svc", std::string(name)}}));
        rm.metrics.push_back(m);
        MetricData clash = metric("calls_total", "", MetricKind::Gauge, "Clash.");
        clash.points.push_back(sum_point(9));
        clash.points[0].value = GaugePoint{9, false, 0};
        rm.metrics.push_back(clash);
        snap.resources.push_back(rm);
    }
    RenderOptions o;
    o.build_info = false;
    o.target_info = false;
    std::string text = render_text(snap, o);
    EXPECT_EQ(text,
              "# HELP calls_total Calls.\n# TYPE calls_total counter\n"
              "calls_total{svc=\"a\"} 1\ncalls_total{svc=\"b\"} 1\n");
}
