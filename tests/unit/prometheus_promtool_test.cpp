// `promtool check metrics` (Prometheus 2.42) must accept our exposition with no lint
// warning: every feature on, many series, hostile label values, internal metrics.
// Skipped when /usr/bin/promtool is absent.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "export/prometheus/text_format.h"
#include "metrics/agent_metrics.h"
#include "metrics/span_metrics.h"

using namespace obi;
using namespace obi::metrics;

namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";

struct CheckResult {
    int exit_code = -1;
    std::string output;
};

CheckResult promtool_check(const std::string& exposition)
{
    char path[] = "/tmp/obi_promtool_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return {};
    close(fd);
    {
        std::ofstream f(path, std::ios::binary);
        f << exposition;
    }
    std::string cmd = std::string(kPromtool) + " check metrics < " + path + " 2>&1";
    CheckResult r;
    if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
        int status = pclose(p);
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    unlink(path);
    return r;
}

ServicePtr make_service(int i)
{
    auto s = std::make_shared<ServiceInfo>();
    s->name = "svc-" + std::to_string(i);
    s->namespace_ = i % 2 ? "shop" : "";
    s->instance_id = "host:" + std::to_string(1000 + i);
    s->sdk_language = i % 3 ? "go" : "python";
    s->host_name = "host";
    s->host_id = "0123456789abcdef";
    s->resource_attributes = {{"deployment.environment", "prod \"eu\"\n"}};
    return s;
}

Span make_span(const ServicePtr& svc, int i)
{
    static const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
    Span s;
    s.type = i % 4 == 0 ? SpanType::HTTPClient : SpanType::HTTP;
    s.method = kMethods[i % 4];
    s.path = "/items/" + std::to_string(i);
    s.route = i % 10 == 0 ? "" : "/items/{id}/" + std::to_string(i % 40);
    if (i % 97 == 0) s.route = "/weird \"quoted\" \\ path\n\xff\xfe/x";  // escaped, invalid bytes dropped
    s.status = (i % 7 == 0) ? 503 : (i % 5 == 0 ? 404 : 200);
    s.request_start_ns = 1;
    s.end_ns = 1 + static_cast<uint64_t>(i % 500) * 3'000'000;
    s.peer = "10.0.0." + std::to_string(i % 200);
    s.host = "10.1.0.1";
    s.host_port = 8080;
    s.request_body_size = i % 3 ? i * 10 : -1;
    s.response_body_size = i * 33;
    s.service = svc;
    return s;
}

}  // namespace

TEST(Promtool, ApplicationSpanAndGraphMetricsPassWithoutWarnings)
{
    if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << kPromtool << " not installed";
    RegistryOptions ro;
    ro.flavor = Flavor::Prometheus;
    MetricsRegistry reg(ro);
    SpanMetricsOptions o;
    o.features = {true, true, false, true, true};
    o.allow_service_graph_self_references = true;
    SpanMetrics sm(reg, o);
    std::vector<ServicePtr> services;
    for (int i = 0; i < 6; i++) services.push_back(make_service(i));
    for (int i = 0; i < 5000; i++) sm.record(make_span(services[static_cast<size_t>(i) % services.size()], i));
    DbValues db{"SELECT", "postgresql", "", "db", "", 0.01};
    sm.app()->db_client(services[0], db);
    RpcValues rpc{"/pkg.Svc/Call", "grpc", "0", "10.0.0.1", 50051, "", 0.02};
    sm.app()->rpc_server(services[1], rpc);
    reg.add_service(make_service(99));  // target_info without metrics

    prometheus::RenderOptions render;
    render.extra_resource_attributes = {"deployment.environment"};
    std::string text = prometheus::render_text(reg.collect(Temporality::Cumulative), render);
    ASSERT_GT(text.size(), 100000u);
    CheckResult r = promtool_check(text);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "");
}

TEST(Promtool, OtelSpanMetricsAndOverflowSeriesPass)
{
    if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << kPromtool << " not installed";
    RegistryOptions ro;
    ro.flavor = Flavor::Prometheus;
    ro.series_limit = 20;
    MetricsRegistry reg(ro);
    SpanMetricsOptions o;
    o.features.application = true;
    o.features.span_otel = true;
    SpanMetrics sm(reg, o);
    auto svc = make_service(1);
    for (int i = 0; i < 500; i++) sm.record(make_span(svc, i));
    ASSERT_GT(reg.overflowed(), 0u);
    std::string text = prometheus::render_text(reg.collect(Temporality::Cumulative));
    ASSERT_NE(text.find("otel_metric_overflow=\"true\""), std::string::npos);
    CheckResult r = promtool_check(text);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "");
}

TEST(Promtool, InternalMetricsPass)
{
    if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << kPromtool << " not installed";
    InternalMetrics im;
    AgentMetrics m = register_agent_metrics(im);
    m.tracer_flushes->add(2);
    m.trace_export_errors->add({"deadline exceeded"});
    m.metric_export_errors->add({"http 503"});
    m.instrumented_processes->add({"nginx"});
    m.instrumentation_errors->add({"java", "attach failed"});
    m.avoided_services->set({"otel-app", "", "h:1"}, 1);
    m.parse_errors->add({"http1"});
    m.spans_dropped->add({"queue_full"});
    m.prometheus_requests->add({"9400", "/metrics"});
    MetricsRegistry reg;
    observe_registry(im, reg, "otlp");
    prometheus::RenderOptions o;
    o.target_info = false;
    o.build_info = false;
    CheckResult r = promtool_check(prometheus::render_text(im.collect(), o));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, "");
}
