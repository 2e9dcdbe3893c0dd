// Loading: defaults, precedence (defaults < YAML < env), file selection, the global env
// selector, default exclusions, deprecated spellings and derived settings.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "config/loader.h"
#include "config/values.h"

using namespace obi::config;
using namespace std::chrono_literals;
using obi::Selector;

namespace {

const std::map<std::string, std::string> kValidEnv = {{"OTEL_EBPF_OPEN_PORT", "8080"},
                                                      {"OTEL_EBPF_TRACE_PRINTER", "text"}};

Config load_ok(const std::string& yaml, std::map<std::string, std::string> env = kValidEnv)
{
    LoadOptions o;
    o.yaml_text = yaml;
    o.env = map_env(std::move(env));
    auto r = load_config(o);
    EXPECT_TRUE(r.ok()) << join(r.errors, "\n");
    return r.config.value_or(Config{});
}

std::map<std::string, std::string> with(std::map<std::string, std::string> extra)
{
    auto env = kValidEnv;
    for (auto& [k, v] : extra) env[k] = v;
    return env;
}

bool has_warning(const Config& c, const std::string& part)
{
    for (const auto& w : c.warnings)
        if (w.find(part) != std::string::npos) return true;
    return false;
}

// A temporary file removed at scope end.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& text)
    {
        char tmpl[] = "/tmp/obi_cfg_XXXXXX";
        int fd = mkstemp(tmpl);
        close(fd);
        path = tmpl;
        std::ofstream(path) << text;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST(ConfigLoader, Defaults)
{
    Config c = load_ok("");
    EXPECT_EQ(c.log_level, LogLevel::Info);
    EXPECT_EQ(c.log_format, LogFormat::Text);
    EXPECT_EQ(c.log_config, LogConfigFormat::None);
    EXPECT_EQ(c.shutdown_timeout, 10s);
    EXPECT_FALSE(c.enforce_sys_caps);
    EXPECT_EQ(c.channel_buffer_len, 50u);
    EXPECT_EQ(c.discovery.poll_interval, 5s);
    EXPECT_TRUE(c.discovery.exclude_otel_instrumented_services);
    EXPECT_FALSE(c.discovery.exclude_otel_instrumented_services_span_metrics);
    EXPECT_EQ(c.discovery.default_otlp_grpc_port, 4317);
    EXPECT_EQ(c.ebpf.wakeup_len, 500u);
    EXPECT_EQ(c.ebpf.batch_length, 100u);
    EXPECT_EQ(c.ebpf.batch_timeout, 1s);
    EXPECT_EQ(c.ebpf.http_request_timeout, 0s);
    EXPECT_FALSE(c.ebpf.context_propagation.enabled());
    EXPECT_EQ(c.ebpf.traffic_control_backend, TcBackend::Auto);
    EXPECT_EQ(c.ebpf.probe_backend, ProbeBackend::Auto);
    EXPECT_EQ(c.ebpf.ringbuf_size, 8u << 20);
    EXPECT_EQ(c.ebpf.capture_size, 2048u);
    EXPECT_TRUE(c.attributes.instance_id_dns);
    EXPECT_EQ(c.attributes.host_id_fetch_timeout, 500ms);
    EXPECT_EQ(c.attributes.kubernetes.enable, KubeEnable::Autodetect);
    EXPECT_EQ(c.routes.unmatched, RouteUnmatched::Heuristic);
    EXPECT_EQ(c.routes.wildcard_char, '*');
    EXPECT_EQ(c.routes.max_path_segment_cardinality, 10);
    EXPECT_FALSE(c.routes_set);
    EXPECT_EQ(c.metrics.features, std::vector<std::string>{"application"});
    EXPECT_EQ(c.otel_metrics.interval, 60s);
    EXPECT_EQ(c.otel_metrics.ttl, 5min);
    EXPECT_EQ(c.otel_traces.sampler.name, "parentbased_always_on");
    EXPECT_EQ(c.otel_traces.max_queue_size, 16384u);
    EXPECT_EQ(c.otel_traces.max_export_batch_size, 4096u);
    EXPECT_EQ(c.otel_traces.batch_timeout, 15s);
    EXPECT_EQ(c.prometheus.port, 0);
    EXPECT_EQ(c.prometheus.path, "/metrics");
    EXPECT_EQ(c.prometheus.ttl, 5min);
    EXPECT_EQ(c.internal_metrics.exporter, InternalMetricsExporter::Disabled);
    EXPECT_EQ(c.internal_metrics.prometheus_path, "/internal/metrics");
    EXPECT_EQ(c.name_resolver.sources, std::vector<std::string>{"k8s"});
    EXPECT_EQ(c.network.exclude_interfaces, std::vector<std::string>{"lo"});
    EXPECT_TRUE(c.warnings.empty());
}

TEST(ConfigLoader, PrecedenceDefaultsYamlEnv)
{
    struct Case {
        const char* name;
        std::string yaml;
        std::map<std::string, std::string> env;
        LogLevel want;
    };
    const Case cases[] = {
        {"default", "", {}, LogLevel::Info},
        {"yaml", "log_level: debug\n", {}, LogLevel::Debug},
        {"env over yaml", "log_level: debug\n", {{"OTEL_EBPF_LOG_LEVEL", "ERROR"}}, LogLevel::Error},
        {"empty env is unset", "log_level: debug\n", {{"OTEL_EBPF_LOG_LEVEL", ""}}, LogLevel::Debug},
        {"case-insensitive, warning alias", "log_level: Warning\n", {}, LogLevel::Warn},
    };
    for (const auto& tc : cases) {
        SCOPED_TRACE(tc.name);
        EXPECT_EQ(load_ok(tc.yaml, with(tc.env)).log_level, tc.want);
    }
    // The same for a nested key and a list.
    Config c = load_ok("ebpf:\n  batch_length: 7\nname_resolver:\n  sources: [dns]\n",
                       with({{"OTEL_EBPF_BPF_BATCH_LENGTH", "9"}, {"OTEL_EBPF_NAME_RESOLVER_SOURCES", "k8s, rdns"}}));
    EXPECT_EQ(c.ebpf.batch_length, 9u);
    EXPECT_EQ(c.name_resolver.sources, (std::vector<std::string>{"k8s", "rdns"}));
}

TEST(ConfigLoader, ConfigFileFlagWinsOverEnv)
{
    TempFile from_flag("log_level: DEBUG\n");
    TempFile from_env("log_level: ERROR\n");
    LoadOptions o;
    o.config_path = from_flag.path;
    o.env = map_env(with({{"OTEL_EBPF_CONFIG_PATH", from_env.path}}));
    auto r = load_config(o);
    ASSERT_TRUE(r.ok()) << join(r.errors, "\n");
    EXPECT_EQ(r.config->log_level, LogLevel::Debug);
    EXPECT_EQ(r.config->config_path, from_flag.path);

    o.config_path.reset();
    r = load_config(o);
    ASSERT_TRUE(r.ok()) << join(r.errors, "\n");
    EXPECT_EQ(r.config->log_level, LogLevel::Error);
}

TEST(ConfigLoader, ErrorsNameTheFile)
{
    TempFile f("ebpf:\n  wakeup_len: many\n");
    LoadOptions o;
    o.config_path = f.path;
    o.env = map_env(kValidEnv);
    auto r = load_config(o);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("(" + f.path + " line 2)"), std::string::npos) << r.errors[0];
}

TEST(ConfigLoader, ExpansionAcceptanceExample20)
{
    const std::string yaml =
        "otel_traces_export:\n"
        "  endpoint: \"${COLLECTOR:-http://localhost:4318}\"\n"
        "attributes:\n"
        "  kubernetes:\n"
        "    service_name_template: \"$${X}\"\n";
    EXPECT_EQ(load_ok(yaml).otel_traces.endpoint, "http://localhost:4318");
    EXPECT_EQ(load_ok(yaml, with({{"COLLECTOR", ""}})).otel_traces.endpoint, "http://localhost:4318");
    EXPECT_EQ(load_ok(yaml, with({{"COLLECTOR", "http://otel:4318"}})).otel_traces.endpoint, "http://otel:4318");
    EXPECT_EQ(load_ok(yaml).attributes.kubernetes.service_name_template, "${X}");
    // The env var still wins over the expanded YAML.
    Config c = load_ok(yaml, with({{"COLLECTOR", "http://otel:4318"},
                                   {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://other:4318/custom"}}));
    EXPECT_EQ(c.otel_traces.endpoint, "http://other:4318/custom");
}

TEST(ConfigLoader, GlobalSelectorsAreAndedIntoTheLastEntry)
{
    Config c = load_ok("discovery:\n  instrument:\n    - open_ports: 9000\n    - exe_path: '*/java'\n",
                       with({{"OTEL_EBPF_AUTO_TARGET_EXE", "*/server"},
                             {"OTEL_EBPF_AUTO_TARGET_LANGUAGE", "go"},
                             {"OTEL_EBPF_TARGET_PID", "10,20"},
                             {"OTEL_SERVICE_NAME", "svc"},
                             {"OTEL_EBPF_SERVICE_NAMESPACE", "ns"}}));
    ASSERT_EQ(c.discovery.instrument.size(), 3u);
    ASSERT_EQ(c.discovery.instrument_overrides.size(), 3u);
    EXPECT_EQ(c.discovery.instrument[0].origin, "discovery.instrument[0]");
    const Selector& g = c.discovery.instrument.back();
    EXPECT_EQ(g.origin, "OTEL_EBPF_AUTO_TARGET_EXE + OTEL_EBPF_AUTO_TARGET_LANGUAGE + OTEL_EBPF_OPEN_PORT + "
                        "OTEL_EBPF_TARGET_PID");
    ASSERT_TRUE(g.exe_path && g.open_ports && g.languages);
    EXPECT_TRUE(g.exe_path->matches("/opt/app/server"));
    EXPECT_FALSE(g.exe_path->matches("/usr/sbin/nginx"));
    EXPECT_TRUE(g.open_ports->contains(8080));
    EXPECT_FALSE(g.open_ports->contains(9090));
    EXPECT_TRUE(g.languages->matches("go"));
    EXPECT_EQ(g.target_pids, (std::vector<uint32_t>{10, 20}));
    EXPECT_EQ(g.name, "svc");
    EXPECT_EQ(g.namespace_, "ns");
    // Names apply to the env entry only.
    EXPECT_EQ(c.discovery.instrument[0].name, "");
}

TEST(ConfigLoader, GlobalSelectorSpellings)
{
    // YAML open_port / target_pids (list or scalar); the Go-instrumentation fallback variable.
    Config c = load_ok("open_port: 80,443\ntarget_pids: [7]\n",
                       {{"OTEL_GO_AUTO_TARGET_EXE", "*/app"}, {"OTEL_EBPF_TRACE_PRINTER", "json"}});
    ASSERT_EQ(c.discovery.instrument.size(), 1u);
    EXPECT_EQ(c.discovery.instrument[0].origin, "OTEL_GO_AUTO_TARGET_EXE + open_port + target_pids");
    EXPECT_TRUE(c.discovery.instrument[0].open_ports->contains(443));
    EXPECT_EQ(load_ok("target_pids: 42\n").global.target_pids, std::vector<uint32_t>{42});
    // OTEL_EBPF_AUTO_TARGET_EXE wins over the fallback; OTEL_SERVICE_NAME over OTEL_EBPF_SERVICE_NAME.
    c = load_ok("", with({{"OTEL_EBPF_AUTO_TARGET_EXE", "*/a"}, {"OTEL_GO_AUTO_TARGET_EXE", "*/b"},
                          {"OTEL_SERVICE_NAME", "one"}, {"OTEL_EBPF_SERVICE_NAME", "two"}}));
    EXPECT_EQ(c.global.auto_target_exe->pattern(), "*/a");
    EXPECT_EQ(c.global.service_name, "one");
    EXPECT_EQ(load_ok("", with({{"OTEL_EBPF_SERVICE_NAME", "two"}})).global.service_name, "two");
    // Deprecated regex form.
    c = load_ok("", {{"OTEL_EBPF_EXECUTABLE_PATH", "server$"}, {"OTEL_EBPF_TRACE_PRINTER", "text"}});
    EXPECT_EQ(c.discovery.instrument.back().exe_path_regex.value_or(""), "server$");
    EXPECT_TRUE(has_warning(c, "OTEL_EBPF_EXECUTABLE_PATH is deprecated"));
    // service_name without a global selector is ignored with a warning.
    c = load_ok("service_name: x\ndiscovery:\n  instrument:\n    - open_ports: 80\n", {{"OTEL_EBPF_TRACE_PRINTER", "text"}});
    EXPECT_EQ(c.discovery.instrument.size(), 1u);
    EXPECT_TRUE(has_warning(c, "they are ignored"));
}

TEST(ConfigLoader, DefaultExcludeInstrument)
{
    Config c = load_ok("");
    ASSERT_EQ(c.discovery.default_exclude_instrument.size(), 2u);
    EXPECT_FALSE(c.discovery.default_exclude_instrument_set);
    const auto& exe = *c.discovery.default_exclude_instrument[0].exe_path;
    for (const char* p : {"/usr/bin/obi", "obi", "/usr/local/bin/ebpf-instrument", "/otelcol", "/bin/otelcol-contrib",
                          "/bin/otelcol-contrib2"})
        EXPECT_TRUE(exe.matches(p)) << p;
    for (const char* p : {"/usr/bin/obiwan", "/usr/bin/python3", "/bin/otelcol-contrib/x"})
        EXPECT_FALSE(exe.matches(p)) << p;
    const auto& ns = c.discovery.default_exclude_instrument[1].k8s.at("k8s_namespace");
    for (const char* n : {"kube-system", "kube-node-lease", "local-path-storage", "cert-manager", "monitoring",
                          "gatekeeper-system", "gke-connect", "gke-gmp-system", "gke-system", "gke-managed-cim",
                          "gke-managed-filestorecsi", "gke-managed-metrics-server", "gke-managed-system",
                          "gke-managed-volumepopulator"})
        EXPECT_TRUE(ns.matches(n)) << n;
    EXPECT_FALSE(ns.matches("default"));

    c = load_ok("discovery:\n  default_exclude_instrument: []\n");
    EXPECT_TRUE(c.discovery.default_exclude_instrument.empty());
    EXPECT_TRUE(c.discovery.default_exclude_instrument_set);

    c = load_ok("discovery:\n  default_exclude_instrument:\n    - k8s_namespace: kube-system\n");
    ASSERT_EQ(c.discovery.default_exclude_instrument.size(), 1u);
    EXPECT_TRUE(c.discovery.default_exclude_instrument[0].k8s.count("k8s_namespace"));
}

TEST(ConfigLoader, AcceptanceExample14)
{
    Config c = load_ok(
        "discovery:\n  instrument:\n    - k8s_namespace: '*'\n  exclude_instrument:\n    - k8s_namespace: staging\n",
        {{"OTEL_EBPF_TRACE_PRINTER", "text"}});
    ASSERT_EQ(c.discovery.instrument.size(), 1u);
    EXPECT_TRUE(c.discovery.instrument[0].k8s.at("k8s_namespace").matches("anything"));
    EXPECT_TRUE(c.discovery.exclude_instrument[0].k8s.at("k8s_namespace").matches("staging"));
    EXPECT_EQ(c.discovery.default_exclude_instrument.size(), 2u);
}

TEST(ConfigLoader, EntryKeys)
{
    Config c = load_ok(
        "discovery:\n"
        "  instrument:\n"
        "    - open_ports: 8000-8999\n"
        "      exe_path: '*/srv'\n"
        "      languages: python\n"
        "      cmd_args: '*--serve*'\n"
        "      target_pids: 99\n"
        "      containers_only: yes\n"
        "      container_name: 'api-*'\n"
        "      k8s_owner_name: web\n"
        "      k8s_container_name: app\n"
        "      k8s_pod_labels: {app: web, 'app.kubernetes.io/name': 'w*'}\n"
        "      name: renamed\n"
        "      namespace: space\n"
        "      exports: traces\n"
        "      sampler: {name: traceidratio, arg: '0.1'}\n"
        "      routes: {patterns: [/a/:id], incoming: [/in/:x]}\n"
        "      metrics: {features: [application_span]}\n",
        {{"OTEL_EBPF_TRACE_PRINTER", "text"}});
    ASSERT_EQ(c.discovery.instrument.size(), 1u);
    const Selector& s = c.discovery.instrument[0];
    EXPECT_TRUE(s.open_ports->contains(8500));
    EXPECT_EQ(s.exe_path->pattern(), "*/srv");
    EXPECT_TRUE(s.languages->matches("python"));
    EXPECT_TRUE(s.cmd_args->matches("gunicorn --serve now"));
    EXPECT_EQ(s.target_pids, std::vector<uint32_t>{99});
    EXPECT_TRUE(s.containers_only);
    EXPECT_TRUE(s.container_name->matches("api-1"));
    EXPECT_EQ(s.k8s.size(), 2u);
    EXPECT_TRUE(s.k8s_maps.at("k8s_pod_labels").at("app.kubernetes.io/name").matches("web"));
    EXPECT_EQ(s.name, "renamed");
    EXPECT_EQ(s.namespace_, "space");
    EXPECT_EQ(s.exports, std::vector<std::string>{"traces"});
    EXPECT_EQ(s.metrics_features, std::vector<std::string>{"application_span"});
    const EntryOverrides& ov = c.discovery.instrument_overrides[0];
    ASSERT_TRUE(ov.sampler && ov.routes);
    EXPECT_EQ(ov.sampler->name, "traceidratio");
    EXPECT_EQ(ov.sampler->arg, "0.1");
    EXPECT_EQ(ov.routes->patterns, std::vector<std::string>{"/a/:id"});
    EXPECT_EQ(ov.routes->incoming, std::vector<std::string>{"/in/:x"});

    // exports: [] = none; unset = both.
    c = load_ok("discovery:\n  instrument:\n    - open_ports: 80\n      exports: []\n    - open_ports: 81\n",
                {{"OTEL_EBPF_TRACE_PRINTER", "text"}});
    EXPECT_TRUE(c.discovery.instrument[0].exports && c.discovery.instrument[0].exports->empty());
    EXPECT_FALSE(c.discovery.instrument[1].exports);
}

TEST(ConfigLoader, DeprecatedServices)
{
    Config c = load_ok(
        "discovery:\n  services:\n    - exe_path: 'server$'\n      name: old\n"
        "    - k8s_namespace: '^prod-.*'\n  exclude_services:\n    - exe_path: nginx\n",
        {{"OTEL_EBPF_TRACE_PRINTER", "text"}});
    ASSERT_EQ(c.discovery.instrument.size(), 2u);
    EXPECT_TRUE(c.discovery.used_deprecated_services);
    EXPECT_EQ(c.discovery.instrument[0].exe_path_regex.value_or(""), "server$");
    EXPECT_FALSE(c.discovery.instrument[0].exe_path);
    EXPECT_EQ(c.discovery.instrument[0].name, "old");
    EXPECT_EQ(c.discovery.instrument_overrides[1].k8s_regex.at("k8s_namespace"), "^prod-.*");
    EXPECT_TRUE(c.discovery.instrument[1].has_selector());
    ASSERT_EQ(c.discovery.exclude_instrument.size(), 1u);
    EXPECT_EQ(c.discovery.exclude_instrument[0].exe_path_regex.value_or(""), "nginx");
    EXPECT_TRUE(has_warning(c, "deprecated"));

    // Ignored when instrument is set.
    c = load_ok("discovery:\n  instrument:\n    - open_ports: 80\n  services:\n    - exe_path: x\n",
                {{"OTEL_EBPF_TRACE_PRINTER", "text"}});
    ASSERT_EQ(c.discovery.instrument.size(), 1u);
    EXPECT_TRUE(c.discovery.instrument[0].open_ports.has_value());
    EXPECT_TRUE(has_warning(c, "ignored because discovery.instrument is set"));

    // default_exclude_services replaces the defaults (when services are in use).
    c = load_ok("discovery:\n  services:\n    - exe_path: x\n  default_exclude_services: []\n",
                {{"OTEL_EBPF_TRACE_PRINTER", "text"}});
    EXPECT_TRUE(c.discovery.default_exclude_instrument.empty());
}

TEST(ConfigLoader, DeprecatedSpellings)
{
    // enable_context_propagation: true means all, unless context_propagation is set.
    Config c = load_ok("ebpf:\n  enable_context_propagation: true\n");
    EXPECT_TRUE(c.ebpf.context_propagation.headers && c.ebpf.context_propagation.tcp);
    EXPECT_TRUE(has_warning(c, "enable_context_propagation is deprecated"));
    c = load_ok("ebpf:\n  enable_context_propagation: true\n  context_propagation: headers\n");
    EXPECT_TRUE(c.ebpf.context_propagation.headers);
    EXPECT_FALSE(c.ebpf.context_propagation.tcp);
    // 'ip' accepted and ignored.
    c = load_ok("", with({{"OTEL_EBPF_BPF_CONTEXT_PROPAGATION", "headers,ip"}}));
    EXPECT_TRUE(c.ebpf.context_propagation.headers);
    EXPECT_FALSE(c.ebpf.context_propagation.tcp);
    EXPECT_TRUE(has_warning(c, "'ip'"));
    c = load_ok("ebpf:\n  context_propagation: tcp,headers\n");
    EXPECT_TRUE(c.ebpf.context_propagation.headers && c.ebpf.context_propagation.tcp);

    // Exporter `features` lists and network.enable are merged into metrics.features.
    c = load_ok("otel_metrics_export:\n  features: [application_span]\nprometheus_export:\n"
                "  features: [application_service_graph]\n  port: 9090\n");
    EXPECT_EQ(c.metrics.features, (std::vector<std::string>{"application_span", "application_service_graph"}));
    c = load_ok("metrics:\n  features: [application]\nprometheus_export:\n  features: [network]\n  port: 9090\n");
    EXPECT_EQ(c.metrics.features, (std::vector<std::string>{"application", "network"}));
    c = load_ok("network:\n  enable: true\nprometheus_export:\n  port: 9090\n");
    EXPECT_TRUE(c.metrics.has("network"));
    EXPECT_TRUE(c.metrics.has("application"));
    c = load_ok("", with({{"OTEL_EBPF_METRICS_FEATURES", "*"}, {"OTEL_EBPF_PROMETHEUS_PORT", "9090"}}));
    EXPECT_EQ(c.metrics.features, std::vector<std::string>{"all"});
    EXPECT_TRUE(c.metrics.has("application_host"));
}

TEST(ConfigLoader, DerivedSettings)
{
    // poll_interval 0 means 5s.
    EXPECT_EQ(load_ok("discovery:\n  poll_interval: 0\n").discovery.poll_interval, 5s);
    // buffer_sizes.http sets the capture size when capture_size is not given, clamped to 8192.
    EXPECT_EQ(load_ok("ebpf:\n  buffer_sizes:\n    http: 4096\n").ebpf.capture_size, 4096u);
    Config c = load_ok("ebpf:\n  buffer_sizes:\n    http: 65536\n");
    EXPECT_EQ(c.ebpf.capture_size, 8192u);
    EXPECT_TRUE(has_warning(c, "captures 8192 bytes"));
    EXPECT_EQ(load_ok("ebpf:\n  buffer_sizes:\n    http: 65536\n  capture_size: 1024\n").ebpf.capture_size, 1024u);
    EXPECT_EQ(load_ok("", with({{"OTEL_EBPF_BPF_CAPTURE_SIZE", "4096"}, {"OTEL_EBPF_BPF_BUFFER_SIZE_HTTP", "100"}}))
                  .ebpf.capture_size,
              4096u);
    // Sizes accept binary suffixes.
    EXPECT_EQ(load_ok("", with({{"OTEL_EBPF_BPF_RINGBUF_SIZE", "64KiB"}})).ebpf.ringbuf_size, 65536u);
    EXPECT_EQ(load_ok("ebpf:\n  ringbuf_size: 1073741824\n").ebpf.ringbuf_size, 1u << 30);
    // OTEL_METRIC_EXPORT_INTERVAL is milliseconds; OTEL_EBPF_METRICS_INTERVAL wins over it.
    EXPECT_EQ(load_ok("", with({{"OTEL_METRIC_EXPORT_INTERVAL", "15000"}})).otel_metrics.interval, 15s);
    EXPECT_EQ(load_ok("", with({{"OTEL_METRIC_EXPORT_INTERVAL", "15000"}, {"OTEL_EBPF_METRICS_INTERVAL", "2s"}}))
                  .otel_metrics.interval,
              2s);
    // Routes: a given section is flagged; '' means wildcard.
    c = load_ok("routes:\n  unmatched: ''\n");
    EXPECT_TRUE(c.routes_set);
    EXPECT_EQ(c.routes.unmatched, RouteUnmatched::Wildcard);
    EXPECT_EQ(load_ok("routes:\n  unmatched: low-cardinality\n").routes.unmatched, RouteUnmatched::LowCardinality);
    // Sampler from the standard variables.
    c = load_ok("", with({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.3"}}));
    EXPECT_EQ(c.otel_traces.sampler.name, "traceidratio");
    EXPECT_EQ(c.otel_traces.sampler.arg, "0.3");
    // Trace printer values.
    EXPECT_EQ(load_ok("", with({{"OTEL_EBPF_TRACE_PRINTER", "json_indent"}})).trace_printer, TracePrinter::JsonIndent);
    EXPECT_EQ(load_ok("", with({{"OTEL_EBPF_TRACE_PRINTER", "counter"}})).trace_printer, TracePrinter::Counter);
}

TEST(ConfigLoader, ExporterAloneSatisfiesValidation)
{
    for (const auto& [var, value] : std::map<std::string, std::string>{
             {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"},
             {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/v1/traces"},
             {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "c:4317"},
             {"OTEL_EBPF_PROMETHEUS_PORT", "9090"},
             {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "debug"}}) {
        SCOPED_TRACE(var);
        LoadOptions o;
        o.env = map_env({{"OTEL_EBPF_OPEN_PORT", "80"}, {var, value}});
        auto r = load_config(o);
        EXPECT_TRUE(r.ok()) << join(r.errors, "\n");
    }
    // Network metrics alone (no application selector) are something to do.
    LoadOptions o;
    o.env = map_env({{"OTEL_EBPF_METRICS_FEATURES", "network"}, {"OTEL_EBPF_PROMETHEUS_PORT", "9090"}});
    EXPECT_TRUE(load_config(o).ok());
}

TEST(ConfigLoader, EmptyAndCommentOnlyFiles)
{
    EXPECT_TRUE(load_ok("# nothing here\n").discovery.instrument.size() == 1);
    EXPECT_EQ(load_ok("discovery:\nebpf:\n").ebpf.wakeup_len, 500u);  // empty sections
}

TEST(ConfigLoader, YamlAnchorsAndMergeKeys)
{
    LoadOptions o;
    o.yaml_text = "discovery:\n  instrument:\n    - &web {open_ports: 80, name: web}\n"
                  "    - <<: *web\n      name: web2\n";
    o.env = map_env({{"OTEL_EBPF_TRACE_PRINTER", "text"}});
    auto r = load_config(o);
    ASSERT_TRUE(r.ok()) << join(r.errors, "\n");
    ASSERT_EQ(r.config->discovery.instrument.size(), 2u);
    EXPECT_TRUE(r.config->discovery.instrument[1].open_ports->contains(80));
    EXPECT_EQ(r.config->discovery.instrument[1].name, "web2");  // own keys win over merged ones
}
