// Building the OTLP exporters from the configuration: endpoint resolution per transport,
// start-up errors that name the setting, the OTEL_EXPORTER_OTLP_{TIMEOUT,COMPRESSION,
// CERTIFICATE} variables, and no exporter without an endpoint.
#include <gtest/gtest.h>

#include "export/otlp/factory.h"
#include "export/otlp/settings.h"

namespace obi::otlp {
namespace {

using namespace std::chrono_literals;
using config::OtlpProtocol;
using config::OtlpSignal;

std::optional<TransportOptions> traces(const config::Config& cfg, std::map<std::string, std::string> env = {},
                                       std::string* error = nullptr)
{
    std::string err;
    auto o = transport_options(cfg, OtlpSignal::Traces, config::map_env(std::move(env)), &err);
    if (error) *error = err;
    else EXPECT_EQ(err, "");
    return o;
}

TEST(OtlpFactory, NoEndpointNoExporter)
{
    config::Config cfg;
    MonoClock clock;
    std::string err;
    EXPECT_EQ(make_trace_exporter(cfg, clock, config::map_env({}), &err), nullptr);
    EXPECT_EQ(err, "");
    EXPECT_EQ(make_metrics_exporter(cfg, {}, config::map_env({}), &err), nullptr);
    EXPECT_EQ(err, "");
    cfg.otel_traces.protocol = OtlpProtocol::Debug;  // the debug printer is not an OTLP exporter
    EXPECT_EQ(make_trace_exporter(cfg, clock, config::map_env({}), &err), nullptr);
    EXPECT_EQ(err, "");
}

TEST(OtlpFactory, CommonEndpointGetsSignalPaths)
{
    config::Config cfg;
    cfg.otlp.endpoint = "http://otel:4318/";
    auto t = traces(cfg);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->protocol, OtlpProtocol::HttpProtobuf);
    EXPECT_EQ(t->url, "http://otel:4318/v1/traces");
    EXPECT_TRUE(t->plaintext);
    EXPECT_EQ(t->config_key, "OTEL_EXPORTER_OTLP_ENDPOINT");
    std::string err;
    auto m = transport_options(cfg, OtlpSignal::Metrics, config::map_env({}), &err);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->url, "http://otel:4318/v1/metrics");
}

TEST(OtlpFactory, SignalEndpointVerbatim)
{
    config::Config cfg;
    cfg.otlp.endpoint = "http://ignored:4318";
    cfg.otel_traces.endpoint = "https://otel.example.com/custom";
    cfg.otel_traces.insecure_skip_verify = true;
    cfg.otlp.headers = {{"a", "1"}, {"b", "2"}};
    cfg.otel_traces.headers = {{"b", "3"}};
    auto t = traces(cfg);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->url, "https://otel.example.com/custom");
    EXPECT_FALSE(t->plaintext);
    EXPECT_TRUE(t->skip_verify);
    EXPECT_EQ(t->headers, (std::map<std::string, std::string>{{"a", "1"}, {"b", "3"}}));
    EXPECT_EQ(t->config_key, "otel_traces_export.endpoint");
}

TEST(OtlpFactory, GrpcTargets)
{
    config::Config cfg;
    cfg.otlp.endpoint = "http://otel:14317";  // port suffix 4317 -> grpc
    auto t = traces(cfg);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->protocol, OtlpProtocol::Grpc);
    EXPECT_EQ(t->url, "otel:14317");
    EXPECT_TRUE(t->plaintext);

    cfg.otlp.endpoint = "otel:4317";  // bare host:port -> TLS
    t = traces(cfg);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->protocol, OtlpProtocol::Grpc);
    EXPECT_FALSE(t->plaintext);

    cfg.otlp.endpoint = "unix:///run/otlp.sock";
    cfg.otel_traces.protocol = OtlpProtocol::Grpc;
    t = traces(cfg);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->url, "unix:///run/otlp.sock");
    EXPECT_TRUE(t->plaintext);
}

TEST(OtlpFactory, HttpOverUnixSocketAndBareHost)
{
    config::Config cfg;
    cfg.otlp.endpoint = "unix:///run/otlp.sock";
    cfg.otel_traces.protocol = OtlpProtocol::HttpJson;
    auto t = traces(cfg);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->unix_socket, "/run/otlp.sock");
    EXPECT_EQ(t->url, "http://localhost/v1/traces");

    cfg.otlp.endpoint = "otel:4318";  // a bare host:port means TLS for HTTP too
    cfg.otel_traces.protocol = OtlpProtocol::Unset;
    t = traces(cfg);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->url, "https://otel:4318/v1/traces");
    EXPECT_FALSE(t->plaintext);
}

TEST(OtlpFactory, MalformedEndpointsNameTheKey)
{
    config::Config cfg;
    MonoClock clock;
    std::string err;
    cfg.otel_traces.endpoint = "http://:4318";
    EXPECT_EQ(make_trace_exporter(cfg, clock, config::map_env({}), &err), nullptr);
    EXPECT_EQ(err.rfind("otel_traces_export.endpoint: ", 0), 0u) << err;

    cfg.otel_traces.endpoint = "ftp://otel:21";
    EXPECT_EQ(make_trace_exporter(cfg, clock, config::map_env({}), &err), nullptr);
    EXPECT_EQ(err.rfind("otel_traces_export.endpoint: ", 0), 0u) << err;
    EXPECT_NE(err.find("'ftp"), std::string::npos) << err;

    cfg.otel_traces.endpoint.clear();
    cfg.otlp.endpoint = "http://otel:99999";
    EXPECT_EQ(make_metrics_exporter(cfg, {}, config::map_env({}), &err), nullptr);
    EXPECT_EQ(err.rfind("OTEL_EXPORTER_OTLP_ENDPOINT: ", 0), 0u) << err;

    cfg.otlp.endpoint.clear();
    cfg.otel_metrics.endpoint = "otel";
    EXPECT_EQ(make_metrics_exporter(cfg, {}, config::map_env({}), &err), nullptr);
    EXPECT_EQ(err.rfind("otel_metrics_export.endpoint: ", 0), 0u) << err;
}

TEST(OtlpFactory, SdkVariables)
{
    config::Config cfg;
    cfg.otlp.endpoint = "http://otel:4318";
    auto t = traces(cfg, {{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                          {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
                          {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none"}});
    ASSERT_TRUE(t);
    EXPECT_EQ(t->timeout, 2500ms);
    EXPECT_EQ(t->compression, Compression::None);  // the signal's variable wins
    t = traces(cfg, {{"OTEL_EXPORTER_OTLP_COMPRESSION", "GZIP"}});
    EXPECT_EQ(t->compression, Compression::Gzip);
    t = traces(cfg);
    EXPECT_EQ(t->timeout, 10000ms);
    EXPECT_EQ(t->compression, Compression::None);

    std::string err;
    EXPECT_FALSE(traces(cfg, {{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "10s"}}, &err));
    EXPECT_EQ(err.rfind("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: ", 0), 0u) << err;
    EXPECT_FALSE(traces(cfg, {{"OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"}}, &err));
    EXPECT_EQ(err.rfind("OTEL_EXPORTER_OTLP_COMPRESSION: ", 0), 0u) << err;
    EXPECT_FALSE(traces(cfg, {{"OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem"}}, &err));
    EXPECT_EQ(err.rfind("OTEL_EXPORTER_OTLP_CERTIFICATE: ", 0), 0u) << err;
}

TEST(OtlpFactory, ExporterTakesTheBatchingSettings)
{
    config::Config cfg;
    cfg.otel_traces.endpoint = "http://127.0.0.1:1/v1/traces";
    cfg.otel_traces.max_queue_size = 300;
    cfg.otel_traces.max_export_batch_size = 1000;  // larger than the queue: clamped
    cfg.otel_traces.batch_timeout = 2s;
    cfg.otel_traces.backoff_initial_interval = 1s;
    cfg.otel_traces.backoff_max_interval = 3s;
    cfg.otel_traces.backoff_max_elapsed_time = 1min;
    cfg.shutdown_timeout = 1s;
    MonoClock clock;
    std::string err;
    auto e = make_trace_exporter(cfg, clock, config::map_env({}), &err);
    ASSERT_TRUE(e) << err;
    EXPECT_EQ(e->options().max_queue_size, 300u);
    EXPECT_EQ(e->options().max_export_batch_size, 300u);
    EXPECT_EQ(e->options().batch_timeout, 2s);
    EXPECT_EQ(e->options().sender.retry.initial_interval, 1s);
    EXPECT_EQ(e->options().sender.retry.max_interval, 3s);
    EXPECT_EQ(e->options().sender.retry.max_elapsed_time, 1min);
    EXPECT_EQ(e->stats().queue_capacity, 300u);
    EXPECT_EQ(e->describe(), "http/protobuf http://127.0.0.1:1/v1/traces");

    cfg.otel_metrics.endpoint = "http://127.0.0.1:1/v1/metrics";
    cfg.otel_metrics.interval = 30s;
    auto m = make_metrics_exporter(cfg, [] { return metrics::Snapshot{}; }, config::map_env({}), &err);
    ASSERT_TRUE(m) << err;
    EXPECT_EQ(m->options().interval, 30s);
    m->shutdown(100ms);  // nothing to send: returns at once
}

}  // namespace
}  // namespace obi::otlp
