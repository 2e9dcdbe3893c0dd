// A realistic OBI configuration file loads cleanly; the dump, the --help text and the
// OTLP endpoint resolution built on top of a loaded config.
#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "config/dump.h"
#include "config/help.h"
#include "config/loader.h"
#include "config/otlp.h"
#include "config/schema.h"
#include "config/values.h"

using namespace obi::config;
using namespace std::chrono_literals;

namespace {

const std::string kFullConfig = std::string(OBI_TEST_DATA_DIR) + "/config/full.yaml";

LoadResult load_file(const std::string& path, std::map<std::string, std::string> env = {})
{
    LoadOptions o;
    o.config_path = path;
    o.env = map_env(std::move(env));
    return load_config(o);
}

Config load_env(std::map<std::string, std::string> env)
{
    env.emplace("OTEL_EBPF_OPEN_PORT", "80");
    LoadOptions o;
    o.env = map_env(std::move(env));
    auto r = load_config(o);
    EXPECT_TRUE(r.ok()) << join(r.errors, "\n");
    return r.config.value_or(Config{});
}

}  // namespace

TEST(ConfigFull, RealisticFileLoadsWithoutErrors)
{
    auto r = load_file(kFullConfig);
    ASSERT_TRUE(r.ok()) << join(r.errors, "\n");
    EXPECT_TRUE(r.warnings.empty()) << join(r.warnings, "\n");
    const Config& c = *r.config;
    EXPECT_EQ(c.config_path, kFullConfig);
    EXPECT_EQ(c.log_level, LogLevel::Debug);
    EXPECT_EQ(c.log_format, LogFormat::Json);
    EXPECT_EQ(c.log_config, LogConfigFormat::Yaml);
    EXPECT_EQ(c.shutdown_timeout, 30s);
    ASSERT_EQ(c.discovery.instrument.size(), 5u);
    EXPECT_TRUE(c.discovery.instrument[0].open_ports->contains(9090));
    EXPECT_TRUE(c.discovery.instrument[0].exe_path->matches("/opt/bin/api"));
    EXPECT_EQ(c.discovery.instrument_overrides[0].sampler->arg, "0.25");
    EXPECT_EQ(c.discovery.instrument_overrides[0].routes->unmatched, RouteUnmatched::LowCardinality);
    EXPECT_TRUE(c.discovery.instrument[1].exports->empty());
    EXPECT_TRUE(c.discovery.instrument[2].k8s_maps.at("k8s_pod_labels").at("tier").matches("edge"));
    EXPECT_EQ(c.discovery.instrument[3].target_pids, (std::vector<uint32_t>{1234, 5678}));
    EXPECT_EQ(c.discovery.exclude_instrument.size(), 2u);
    EXPECT_EQ(c.discovery.default_exclude_instrument.size(), 2u);
    EXPECT_EQ(c.discovery.poll_interval, 10s);
    EXPECT_EQ(c.routes.patterns.size(), 3u);
    EXPECT_EQ(c.routes.ignore_mode, RouteIgnoreMode::Traces);
    EXPECT_EQ(c.routes.max_path_segment_cardinality, 20);
    EXPECT_EQ(c.ebpf.batch_timeout, 500ms);
    EXPECT_TRUE(c.ebpf.context_propagation.headers && c.ebpf.context_propagation.tcp);
    EXPECT_EQ(c.ebpf.traffic_control_backend, TcBackend::Tcx);
    EXPECT_EQ(c.ebpf.capture_size, 4096u);  // from buffer_sizes.http
    EXPECT_EQ(c.ebpf.ringbuf_size, 16u << 20);
    EXPECT_EQ(c.ebpf.maps_global_scale_factor, 1);
    EXPECT_NE(c.ebpf.payload_extraction_json.find("graphql"), std::string::npos);
    EXPECT_FALSE(c.attributes.instance_id_dns);
    EXPECT_EQ(c.attributes.override_hostname, "node-a");
    EXPECT_EQ(c.attributes.kubernetes.cluster_name, "prod-eu");
    EXPECT_EQ(c.attributes.kubernetes.resource_labels.at("service.name").front(), "override-svc-name");
    EXPECT_EQ(c.attributes.select.at("http_server_request_duration").exclude, std::vector<std::string>{"url.path"});
    EXPECT_FALSE(c.attributes.select.at("traces").exclude.size());
    EXPECT_EQ(c.attributes.sensitive_query_params_add, std::vector<std::string>{"session_id"});
    EXPECT_TRUE(c.filter.application.at("url_path").not_match->matches("/metrics"));
    EXPECT_EQ(c.filter.application.at("http.response.status_code").less_than, 600);
    EXPECT_TRUE(c.filter.network.at("dst_port").match->matches("53"));
    EXPECT_EQ(c.otel_traces.protocol, OtlpProtocol::HttpProtobuf);
    EXPECT_EQ(c.otel_traces.sampler.name, "parentbased_traceidratio");
    EXPECT_EQ(c.otel_metrics.interval, 30s);
    EXPECT_EQ(c.otel_metrics.histogram_aggregation, HistogramAggregation::Base2Exponential);
    EXPECT_EQ(c.otel_metrics.buckets.duration_histogram.size(), 5u);
    EXPECT_EQ(c.prometheus.port, 9400);
    EXPECT_EQ(c.prometheus.buckets.request_size_histogram, (std::vector<double>{0, 1024, 65536}));
    EXPECT_DOUBLE_EQ(c.prometheus.native_bucket_factor, 1.2);
    EXPECT_TRUE(c.metrics.has("application_service_graph"));
    EXPECT_EQ(c.internal_metrics.exporter, InternalMetricsExporter::Prometheus);
    EXPECT_EQ(c.internal_metrics.prometheus_port, 6060);
    ASSERT_EQ(c.network.cidrs.size(), 2u);
    EXPECT_EQ(c.network.cidrs[1].name, "office");
    EXPECT_EQ(c.health_check.port, 8081);
    EXPECT_FALSE(c.javaagent_enabled);
}

TEST(ConfigFull, EnvOverridesTheFile)
{
    auto r = load_file(kFullConfig, {{"OTEL_EBPF_PROMETHEUS_PORT", "9500"},
                                     {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://elsewhere:4318/t"},
                                     {"OTEL_EBPF_BPF_WAKEUP_LEN", "1"}});
    ASSERT_TRUE(r.ok()) << join(r.errors, "\n");
    EXPECT_EQ(r.config->prometheus.port, 9500);
    EXPECT_EQ(r.config->otel_traces.endpoint, "http://elsewhere:4318/t");
    EXPECT_EQ(r.config->ebpf.wakeup_len, 1u);
}

TEST(ConfigFull, DumpAsJsonAndYaml)
{
    auto r = load_file(kFullConfig, {{"OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20secret"}});
    ASSERT_TRUE(r.ok()) << join(r.errors, "\n");
    EXPECT_EQ(r.config->otlp.headers.at("Authorization"), "Bearer secret");

    auto json = nlohmann::json::parse(dump_config(*r.config, "json"));
    EXPECT_EQ(json["log_level"], "DEBUG");
    EXPECT_EQ(json["ebpf"]["batch_timeout"], "500ms");
    EXPECT_EQ(json["discovery"]["instrument"][0]["open_ports"], "8080-8089,9090");
    EXPECT_EQ(json["prometheus_export"]["port"], 9400);
    EXPECT_EQ(json["environment"]["OTEL_EXPORTER_OTLP_HEADERS"]["Authorization"], "***");

    std::string yaml = dump_config(*r.config, "yaml");
    EXPECT_EQ(yaml.find("secret"), std::string::npos);
    YAML::Node node = YAML::Load(yaml);
    EXPECT_EQ(node["otel_metrics_export"]["interval"].as<std::string>(), "30s");
    EXPECT_EQ(node["discovery"]["instrument"][0]["sampler"]["arg"].as<std::string>(), "0.25");
    EXPECT_EQ(node["routes"]["patterns"].size(), 3u);
}

TEST(ConfigFull, HelpListsEveryEnvironmentVariable)
{
    std::string help = config_help_text();
    size_t vars = 0;
    for (const auto& f : all_fields())
        for (const auto& name : f.env) {
            EXPECT_NE(help.find("  " + name + " "), std::string::npos) << name;
            vars++;
        }
    EXPECT_GT(vars, 100u);
    for (const char* expected : {"OTEL_EBPF_CONFIG_PATH", "OTEL_EBPF_OPEN_PORT", "OTEL_EBPF_AUTO_TARGET_EXE",
                                 "OTEL_GO_AUTO_TARGET_EXE", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_SAMPLER",
                                 "OTEL_EBPF_BPF_PROBE_BACKEND", "OTEL_EBPF_BPF_RINGBUF_SIZE",
                                 "OTEL_EBPF_BPF_CAPTURE_SIZE"})
        EXPECT_NE(help.find(expected), std::string::npos) << expected;
    // Defaults come from the Config struct itself.
    EXPECT_NE(help.find("[ebpf.capture_size] (default: 2048)"), std::string::npos);
    EXPECT_NE(help.find("[ebpf.batch_timeout] (default: 1s)"), std::string::npos);
    EXPECT_NE(help.find("[log_level] (default: INFO)"), std::string::npos);
    EXPECT_NE(help.find("alternative to OTEL_EBPF_AUTO_TARGET_EXE"), std::string::npos);
    for (size_t start = 0, end; (end = help.find('\n', start)) != std::string::npos; start = end + 1)
        EXPECT_EQ(help.find('\t', start) < end, false);
}

TEST(ConfigFull, EveryYamlPathIsReachable)
{
    // Each field's YAML path loads on its own without an "unknown key" error.
    for (const auto& f : all_fields()) {
        if (f.path.empty()) continue;
        std::string yaml, indent;
        size_t start = 0;
        while (true) {
            size_t dot = f.path.find('.', start);
            yaml += indent + f.path.substr(start, dot == std::string::npos ? std::string::npos : dot - start) + ":";
            if (dot == std::string::npos) break;
            yaml += "\n";
            indent += "  ";
            start = dot + 1;
        }
        yaml += "\n";
        LoadOptions o;
        o.yaml_text = yaml;
        o.env = map_env({{"OTEL_EBPF_OPEN_PORT", "80"}, {"OTEL_EBPF_TRACE_PRINTER", "text"}});
        auto r = load_config(o);
        for (const auto& e : r.errors) EXPECT_EQ(e.find("unknown key"), std::string::npos) << f.path << ": " << e;
    }
}

TEST(ConfigOtlp, EndpointResolutionAcceptanceExample18)
{
    // Common endpoint: plaintext http/protobuf with the signal paths appended.
    Config c = load_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318"}});
    auto t = otlp_target(c, OtlpSignal::Traces);
    auto m = otlp_target(c, OtlpSignal::Metrics);
    ASSERT_TRUE(t && m);
    EXPECT_EQ(t->url, "http://otel:4318/v1/traces");
    EXPECT_EQ(m->url, "http://otel:4318/v1/metrics");
    EXPECT_EQ(t->protocol, OtlpProtocol::HttpProtobuf);
    EXPECT_TRUE(t->plaintext);
    EXPECT_TRUE(t->from_common);
    // No doubled slash.
    c = load_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel:4318/otlp/"}});
    EXPECT_EQ(otlp_target(c, OtlpSignal::Traces)->url, "https://otel:4318/otlp/v1/traces");
    EXPECT_FALSE(otlp_target(c, OtlpSignal::Traces)->plaintext);
    // A per-signal endpoint is used verbatim and beats the common one.
    c = load_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318"},
                  {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://otel:4318/custom"}});
    EXPECT_EQ(otlp_target(c, OtlpSignal::Traces)->url, "http://otel:4318/custom");
    EXPECT_EQ(otlp_target(c, OtlpSignal::Metrics)->url, "http://otel:4318/v1/metrics");
    // Protocol guessed from the port suffix; gRPC uses host:port.
    c = load_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:14317"}});
    EXPECT_EQ(otlp_target(c, OtlpSignal::Traces)->protocol, OtlpProtocol::Grpc);
    EXPECT_EQ(otlp_target(c, OtlpSignal::Traces)->url, "otel:14317");
    c = load_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:9999"}});
    EXPECT_EQ(otlp_target(c, OtlpSignal::Traces)->protocol, OtlpProtocol::HttpProtobuf);
    // Explicit protocols: per-signal, then common.
    c = load_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318"}, {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                  {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json"}});
    EXPECT_EQ(otlp_target(c, OtlpSignal::Traces)->protocol, OtlpProtocol::Grpc);
    EXPECT_EQ(otlp_target(c, OtlpSignal::Metrics)->protocol, OtlpProtocol::HttpJson);
    // A bare gRPC host:port means TLS.
    c = load_env({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4317"}});
    EXPECT_FALSE(otlp_target(c, OtlpSignal::Traces)->plaintext);
    EXPECT_FALSE(otlp_target(c, OtlpSignal::Metrics));
    // Headers: the signal's override the common ones per key.
    c = load_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318"},
                  {"OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=2"},
                  {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=3,c=x=y"}});
    auto h = otlp_target(c, OtlpSignal::Traces)->headers;
    EXPECT_EQ(h, (std::map<std::string, std::string>{{"a", "1"}, {"b", "3"}, {"c", "x=y"}}));
    EXPECT_EQ(otlp_target(c, OtlpSignal::Metrics)->headers.at("b"), "2");
}

TEST(ConfigOtlp, EndpointChecks)
{
    EXPECT_EQ(check_endpoint("http://localhost:4318"), "");
    EXPECT_EQ(check_endpoint("https://otlp.example.com/otlp"), "");
    EXPECT_EQ(check_endpoint("collector:4317"), "");
    EXPECT_EQ(check_endpoint("http://[::1]:4318"), "");
    EXPECT_EQ(check_endpoint("unix:///run/otlp.sock"), "");
    EXPECT_NE(check_endpoint("localhost"), "");
    EXPECT_NE(check_endpoint("http://:4318"), "");
    EXPECT_NE(check_endpoint("http://host:port"), "");
}
