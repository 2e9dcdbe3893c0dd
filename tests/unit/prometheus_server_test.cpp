// The Prometheus HTTP endpoint serving real requests: paths, content type, the internal
// path on the same port, 404s, request callbacks, a taken port, stop/start.
#include <gtest/gtest.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "export/prometheus/endpoints.h"
#include "export/prometheus/server.h"
#include "export/prometheus/text_format.h"
#include "metrics/span_metrics.h"

using namespace obi;
using namespace obi::metrics;
using namespace obi::prometheus;

namespace {

// A port nobody listens on right now (bind to 0, read it, close).
uint16_t free_port()
{
    ServerOptions opts;
    opts.bind_address = "127.0.0.1";
    MetricsServer probe(opts, {{"/", [] { return std::string(); }}});
    if (!probe.start()) return 0;
    uint16_t port = probe.port();
    probe.stop();
    return port;
}

}  // namespace

TEST(MetricsServer, ServesTheRegistryAndInternalPaths)
{
    RegistryOptions ro;
    ro.flavor = Flavor::Prometheus;
    MetricsRegistry reg(ro);
    SpanMetricsOptions so;
    so.features.application = true;
    SpanMetrics sm(reg, so);
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "web";
    Span s;
    s.method = "GET";
    s.route = "/";
    s.status = 200;
    s.end_ns = 1000;
    s.service = svc;
    sm.record(s);

    std::atomic<int> requests{0};
    ServerOptions opts;
    opts.bind_address = "127.0.0.1";
    opts.on_request = [&](const std::string&, int) { requests++; };
    MetricsServer server(opts, {{"/metrics", [&] { return render_text(reg.collect(Temporality::Cumulative)); }}});
    server.add_endpoint({"/internal/metrics", [] { return std::string("# HELP x X.\n# TYPE x gauge\nx 1\n"); }});
    std::string error;
    ASSERT_TRUE(server.start(&error)) << error;
    ASSERT_NE(server.port(), 0);

    httplib::Client client("127.0.0.1", server.port());
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(res->body.find("http_server_request_duration_seconds_count{"), std::string::npos) << res->body;

    // A second scrape sees new recordings.
    sm.record(s);
    res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_NE(res->body.find("service_name=\"web\",service_namespace=\"\",instance=\"\",job=\"web\"} 2\n"),
              std::string::npos)
        << res->body;

    res = client.Get("/internal/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->body, "# HELP x X.\n# TYPE x gauge\nx 1\n");
    res = client.Get("/metricsX");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404);
    // The callback runs once the response is written: give the last one a moment.
    for (int i = 0; i < 100 && requests.load() < 4; i++) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(requests.load(), 4);

    server.stop();
    server.stop();  // idempotent
    EXPECT_FALSE(server.running());
    EXPECT_FALSE(client.Get("/metrics"));
}

TEST(MetricsServer, ATakenPortIsAClearError)
{
    ServerOptions opts;
    opts.bind_address = "127.0.0.1";
    MetricsServer first(opts, {{"/metrics", [] { return std::string(); }}});
    ASSERT_TRUE(first.start());
    ServerOptions same = opts;
    same.port = first.port();
    MetricsServer second(same, {{"/metrics", [] { return std::string(); }}});
    std::string error;
    EXPECT_FALSE(second.start(&error));
    EXPECT_NE(error.find("127.0.0.1:" + std::to_string(first.port())), std::string::npos) << error;
    EXPECT_NE(error.find("already in use"), std::string::npos) << error;
    EXPECT_FALSE(second.running());
}

TEST(MetricsServer, RenderErrorsBecome500AndTheServerRestarts)
{
    ServerOptions opts;
    opts.bind_address = "127.0.0.1";
    MetricsServer server(opts, {{"/metrics", []() -> std::string { throw std::runtime_error("boom"); }}});
    ASSERT_TRUE(server.start());
    httplib::Client client("127.0.0.1", server.port());
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 500);
    server.stop();
    ASSERT_TRUE(server.start());  // a stopped server can start again (port 0: a new port)
    httplib::Client again("127.0.0.1", server.port());
    EXPECT_TRUE(again.Get("/metrics"));
    server.stop();
}

TEST(MetricsServer, StopRightAfterStartDoesNotHang)
{
    for (int i = 0; i < 20; i++) {
        ServerOptions opts;
        opts.bind_address = "127.0.0.1";
        MetricsServer server(opts, {{"/metrics", [] { return std::string(); }}});
        ASSERT_TRUE(server.start());
        server.stop();
    }
}

TEST(PrometheusEndpoints, InternalMetricsShareTheApplicationPort)
{
    config::Config cfg;
    cfg.prometheus.port = free_port();
    ASSERT_NE(cfg.prometheus.port, 0);
    cfg.internal_metrics.exporter = config::InternalMetricsExporter::Prometheus;
    cfg.internal_metrics.prometheus_port = cfg.prometheus.port;
    std::atomic<int> seen_port{0};
    PrometheusEndpoints eps(
        cfg, [] { return std::string("app\n"); }, [] { return std::string("internal\n"); },
        [&](uint16_t port, const std::string&, int) { seen_port = port; });
    ASSERT_EQ(eps.servers().size(), 1u);
    std::string error;
    ASSERT_TRUE(eps.start(&error)) << error;
    httplib::Client client("127.0.0.1", cfg.prometheus.port);
    auto a = client.Get("/metrics");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->body, "app\n");
    auto b = client.Get("/internal/metrics");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->body, "internal\n");
    for (int i = 0; i < 100 && seen_port.load() == 0; i++) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(seen_port.load(), cfg.prometheus.port);
    eps.stop();
}

TEST(PrometheusEndpoints, SeparatePortsAndWhatIsOff)
{
    config::Config cfg;
    cfg.prometheus.port = 9400;
    cfg.internal_metrics.exporter = config::InternalMetricsExporter::Prometheus;
    cfg.internal_metrics.prometheus_port = 9401;
    auto render = [] { return std::string(); };
    EXPECT_EQ(PrometheusEndpoints(cfg, render, render).servers().size(), 2u);
    EXPECT_EQ(PrometheusEndpoints(cfg, render, {}).servers().size(), 1u);

    cfg.metrics.features = {"network"};  // no application feature: no /metrics
    EXPECT_EQ(PrometheusEndpoints(cfg, render, {}).servers().size(), 0u);
    cfg.internal_metrics.exporter = config::InternalMetricsExporter::Disabled;
    EXPECT_TRUE(PrometheusEndpoints(cfg, render, render).empty());
}

TEST(PrometheusEndpoints, SamePathOnOnePortIsAnError)
{
    config::Config cfg;
    cfg.prometheus.port = 9400;
    cfg.internal_metrics.exporter = config::InternalMetricsExporter::Prometheus;
    cfg.internal_metrics.prometheus_port = 9400;
    cfg.internal_metrics.prometheus_path = "/metrics";
    auto render = [] { return std::string(); };
    PrometheusEndpoints eps(cfg, render, render);
    std::string error;
    EXPECT_FALSE(eps.start(&error));
    EXPECT_NE(error.find("use different paths"), std::string::npos) << error;
}
