// Every class of configuration error: the message must name the key or variable, the bad
// value and the expected form (and the line for YAML).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "config/loader.h"
#include "config/values.h"

using namespace obi::config;

namespace {

// A minimal valid setup that individual cases extend: something to instrument and an exporter.
const std::map<std::string, std::string> kValidEnv = {{"OTEL_EBPF_OPEN_PORT", "8080"},
                                                      {"OTEL_EBPF_TRACE_PRINTER", "text"}};

LoadResult load(const std::string& yaml, std::map<std::string, std::string> env)
{
    LoadOptions o;
    o.yaml_text = yaml;
    o.source_name = "test.yaml";
    o.env = map_env(std::move(env));
    return load_config(o);
}

struct ErrorCase {
    const char* name;
    std::string yaml;
    std::map<std::string, std::string> env;  // added to kValidEnv (same key replaces)
    std::vector<std::string> expected;       // substrings of one error message
};

std::vector<ErrorCase> error_cases()
{
    return {
        {"unknown top-level key",
         "trace_printr: text\n",
         {},
         {"trace_printr: unknown key", "did you mean 'trace_printer'", "Valid keys at the top level",
          "test.yaml line 1"}},
        {"unknown key in a section",
         "ebpf:\n  batch_length: 10\n  wakeup_lenn: 3\n",
         {},
         {"ebpf.wakeup_lenn: unknown key", "did you mean 'wakeup_len'", "Valid keys under ebpf:", "batch_timeout",
          "test.yaml line 3"}},
        {"unknown key in a discovery entry",
         "discovery:\n  instrument:\n    - open_ports: 80\n    - exe_pth: '*/x'\n",
         {},
         {"discovery.instrument[1].exe_pth: unknown key", "did you mean 'exe_path'",
          "Valid keys under discovery.instrument[1]", "test.yaml line 4"}},
        {"unknown k8s selector key",
         "discovery:\n  instrument:\n    - k8s_pod_nme: web\n",
         {},
         {"discovery.instrument[0].k8s_pod_nme: unknown key", "did you mean 'k8s_pod_name'", "k8s_namespace"}},
        {"entry without a selector",
         "discovery:\n  instrument:\n    - name: lonely\n",
         {},
         {"discovery.instrument[0]: this entry has no selector", "open_ports, exe_path", "test.yaml line 3"}},
        {"bad glob in an entry",
         "discovery:\n  instrument:\n    - exe_path: '/ab[c'\n",
         {},
         {"discovery.instrument[0].exe_path: the '[' at position 4 has no closing ']'", "test.yaml line 3"}},
        {"bad port enum in an entry",
         "discovery:\n  instrument:\n    - open_ports: 80-x\n",
         {},
         {"discovery.instrument[0].open_ports: invalid port list '80-x'", "e.g. 80,443,8000-8999"}},
        {"bad port enum in env", "", {{"OTEL_EBPF_OPEN_PORT", "http"}},
         {"OTEL_EBPF_OPEN_PORT: invalid port list 'http'", "80,443,8000-8999"}},
        {"bad glob in env", "", {{"OTEL_EBPF_AUTO_TARGET_EXE", "{a,b"}},
         {"OTEL_EBPF_AUTO_TARGET_EXE: a '{' has no closing '}'"}},
        {"bad PID list", "", {{"OTEL_EBPF_TARGET_PID", "12,abc"}},
         {"OTEL_EBPF_TARGET_PID: invalid PID list", "'abc' is not a whole number"}},
        {"bad enum value", "trace_printer: jsn\n", {{"OTEL_EBPF_TRACE_PRINTER", ""}},
         {"trace_printer: 'jsn' is not one of disabled, counter, text, json, json_indent", "did you mean 'json'"}},
        {"bad enum value in env", "", {{"OTEL_EBPF_LOG_LEVEL", "verbose"}},
         {"OTEL_EBPF_LOG_LEVEL: 'verbose' is not one of INFO, DEBUG, WARN, ERROR"}},
        {"bad duration unit", "ebpf:\n  batch_timeout: 5x\n", {},
         {"ebpf.batch_timeout: '5x': unknown unit 'x'", "ns, us, ms, s, m or h"}},
        {"duration without unit", "", {{"OTEL_EBPF_BPF_BATCH_TIMEOUT", "5"}},
         {"OTEL_EBPF_BPF_BATCH_TIMEOUT: '5' has no unit", "5s"}},
        {"negative duration", "shutdown_timeout: -3s\n", {}, {"shutdown_timeout: '-3s' is negative"}},
        {"bad boolean", "enforce_sys_caps: maybe\n", {},
         {"enforce_sys_caps: 'maybe' is not a boolean (expected true or false)"}},
        {"integer out of range", "ebpf:\n  maps_config:\n    global_scale_factor: 5\n", {},
         {"ebpf.maps_config.global_scale_factor: '5' is out of range (expected -3 to 3)", "line 3"}},
        {"not a number", "", {{"OTEL_EBPF_BPF_WAKEUP_LEN", "lots"}},
         {"OTEL_EBPF_BPF_WAKEUP_LEN: 'lots' is not a whole number"}},
        {"list where a value is expected", "log_level: [debug]\n", {},
         {"log_level: expected a single value, not a list"}},
        {"value where a section is expected", "discovery: 5\n", {}, {"discovery: expected a map of keys"}},
        {"value where a list is expected", "discovery:\n  instrument: {open_ports: 80}\n", {},
         {"discovery.instrument: expected a list of entries"}},
        {"bad context propagation", "ebpf:\n  context_propagation: foo\n", {},
         {"ebpf.context_propagation: 'foo' is not one of disabled, headers, tcp, all"}},
        {"bad instrumentation", "", {{"OTEL_EBPF_TRACES_INSTRUMENTATIONS", "http,htp"}},
         {"OTEL_EBPF_TRACES_INSTRUMENTATIONS: 'htp' is not one of", "did you mean 'http'"}},
        {"bad feature", "", {{"OTEL_EBPF_METRICS_FEATURES", "aplication"}},
         {"OTEL_EBPF_METRICS_FEATURES: 'aplication' is not one of", "did you mean 'application'"}},
        {"endpoint without host", "", {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://"}},
         {"OTEL_EXPORTER_OTLP_ENDPOINT: 'http://' has no host"}},
        {"endpoint with a bad port", "otel_traces_export:\n  endpoint: http://collector:99999\n", {},
         {"otel_traces_export.endpoint: 'http://collector:99999' has an invalid port"}},
        {"bad headers", "", {{"OTEL_EXPORTER_OTLP_HEADERS", "a=1,broken"}},
         {"OTEL_EXPORTER_OTLP_HEADERS: 'broken' is not a key=value pair"}},
        {"bad sampler name", "otel_traces_export:\n  sampler:\n    name: bogus\n", {},
         {"otel_traces_export.sampler: 'bogus' is not one of", "parentbased_always_on"}},
        {"bad sampler in env", "", {{"OTEL_TRACES_SAMPLER", "traceidratoi"}},
         {"OTEL_TRACES_SAMPLER: 'traceidratoi' is not one of", "did you mean 'traceidratio'"}},
        {"bad sampler argument", "", {{"OTEL_TRACES_SAMPLER_ARG", "half"}},
         {"OTEL_TRACES_SAMPLER_ARG: 'half' is not a number", "ratio"}},
        {"metrics protocol debug", "", {{"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "debug"}},
         {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'debug' is only a traces protocol"}},
        {"bad protocol", "otel_traces_export:\n  protocol: http\n", {},
         {"otel_traces_export.protocol: 'http' is not one of", "http/protobuf"}},
        {"wildcard_char too long", "routes:\n  wildcard_char: ab\n", {},
         {"routes.wildcard_char: 'ab' must be a single character"}},
        {"unmatched policy", "routes:\n  unmatched: heuristics\n", {},
         {"routes.unmatched: 'heuristics' is not one of heuristic, path, wildcard, unset, low-cardinality",
          "did you mean 'heuristic'"}},
        {"route pattern without slash", "routes:\n  patterns:\n    - users/{id}\n", {},
         {"routes.patterns: route pattern 'users/{id}' must start with '/'"}},
        {"bad exports", "discovery:\n  instrument:\n    - open_ports: 80\n      exports: [logs]\n", {},
         {"discovery.instrument[0].exports: 'logs' is not one of metrics, traces"}},
        {"unknown filter attribute", "filter:\n  application:\n    foo_bar:\n      match: x\n", {},
         {"filter.application.foo_bar: unknown application attribute", "url.path", "line 4"}},
        {"filter without matcher", "filter:\n  application:\n    url_path: {}\n", {},
         {"filter.application.url_path: no matcher given", "not_match"}},
        {"bad filter number", "filter:\n  application:\n    http.response.status_code:\n      greater_than: big\n", {},
         {"filter.application.http.response.status_code.greater_than: 'big' is not a number"}},
        {"bad select glob", "attributes:\n  select:\n    http_*:\n      include: ['[x']\n", {},
         {"attributes.select.http_*.include: '[x': the '[' at position 1 has no closing ']'"}},
        {"ringbuf size not a power of two", "", {{"OTEL_EBPF_BPF_RINGBUF_SIZE", "100000"}},
         {"OTEL_EBPF_BPF_RINGBUF_SIZE: '100000' must be a power of two between 64KiB"}},
        {"capture size above the kernel limit", "ebpf:\n  capture_size: 10000\n", {},
         {"ebpf.capture_size: '10000' must be between 64 and 8KiB (8192) bytes"}},
        {"probe backend", "", {{"OTEL_EBPF_BPF_PROBE_BACKEND", "kprobes"}},
         {"OTEL_EBPF_BPF_PROBE_BACKEND: 'kprobes' is not one of auto, sock_tracepoints, syscall_tracepoints"}},
        {"buffer size too large", "ebpf:\n  buffer_sizes:\n    http: 1000000\n", {},
         {"ebpf.buffer_sizes.http: '1000000' is too large"}},
        {"decreasing buckets", "prometheus_export:\n  buckets:\n    duration_histogram: [0.1, 0.05]\n", {},
         {"prometheus_export.buckets.duration_histogram: boundaries must be in increasing order"}},
        {"bad CIDR", "network:\n  cidrs: [10.0.0.0/40]\n", {},
         {"network.cidrs: '10.0.0.0/40' has an invalid prefix length"}},
        {"bad regex in deprecated services", "discovery:\n  services:\n    - exe_path: '(unclosed'\n", {},
         {"discovery.services[0].exe_path: '(unclosed' is not a valid regular expression"}},
        {"bad port number", "", {{"OTEL_EBPF_PROMETHEUS_PORT", "70000"}},
         {"OTEL_EBPF_PROMETHEUS_PORT: '70000' is out of range (expected 0 to 65535)"}},
        {"interval of zero", "otel_metrics_export:\n  interval: 0s\n", {},
         {"otel_metrics_export.interval: the interval must be greater than 0"}},
        {"OTEL_METRIC_EXPORT_INTERVAL in milliseconds", "", {{"OTEL_METRIC_EXPORT_INTERVAL", "5s"}},
         {"OTEL_METRIC_EXPORT_INTERVAL: '5s' is not a whole number", "milliseconds"}},
        // Fatal cross-field validations.
        {"nothing to instrument", "", {{"OTEL_EBPF_OPEN_PORT", ""}},
         {"nothing to instrument", "OTEL_EBPF_OPEN_PORT", "OTEL_EBPF_AUTO_TARGET_EXE", "discovery.instrument"}},
        {"no exporter", "", {{"OTEL_EBPF_TRACE_PRINTER", ""}},
         {"no exporter is enabled", "OTEL_EBPF_TRACE_PRINTER=text", "OTEL_EXPORTER_OTLP_ENDPOINT",
          "OTEL_EBPF_PROMETHEUS_PORT"}},
        {"both span metric flavours", "metrics:\n  features: [application_span, application_span_otel]\n", {},
         {"application_span and application_span_otel cannot be enabled together"}},
        {"network without a metrics exporter", "metrics:\n  features: [network]\n", {},
         {"network metrics need a metrics exporter"}},
        {"internal otel metrics without endpoint", "internal_metrics:\n  exporter: otel\n", {},
         {"internal_metrics.exporter 'otel' needs an OTLP metrics endpoint"}},
        // File-level problems.
        {"malformed YAML", "discovery:\n  instrument: [\n    - open_ports: 80\n", {},
         {"malformed YAML in test.yaml at line", "column"}},
        {"config v2", "file_format: '1.0'\nresource: {}\n", {},
         {"Config v2", "'file_format'", "not supported yet", "v1 format"}},
        {"not a map at the top", "- a\n- b\n", {}, {"must be a map of keys"}},
    };
}

}  // namespace

TEST(ConfigErrors, EachClassNamesKeyValueAndExpectedForm)
{
    for (const auto& tc : error_cases()) {
        SCOPED_TRACE(tc.name);
        auto env = kValidEnv;
        for (const auto& [k, v] : tc.env) env[k] = v;
        auto r = load(tc.yaml, env);
        ASSERT_FALSE(r.ok()) << "expected an error";
        EXPECT_FALSE(r.config.has_value());
        bool found = false;
        for (const auto& e : r.errors) {
            bool all = true;
            for (const auto& part : tc.expected) all = all && e.find(part) != std::string::npos;
            found = found || all;
        }
        EXPECT_TRUE(found) << "no error contains all of the expected parts; errors:\n" << join(r.errors, "\n");
    }
}

TEST(ConfigErrors, AllProblemsAreReportedAtOnce)
{
    auto r = load("log_level: loud\nebpf:\n  wakeup_len: x\n", {{"OTEL_EBPF_OPEN_PORT", "http"}});
    ASSERT_EQ(r.errors.size(), 3u) << join(r.errors, "\n");
}

TEST(ConfigErrors, MissingConfigFile)
{
    LoadOptions o;
    o.config_path = "/nonexistent/obi.yaml";
    o.env = map_env(kValidEnv);
    auto r = load_config(o);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("config file '/nonexistent/obi.yaml' does not exist"), std::string::npos);
}

TEST(ConfigErrors, ConfigPathIsADirectory)
{
    LoadOptions o;
    o.env = map_env({{"OTEL_EBPF_CONFIG_PATH", "/tmp"}, {"OTEL_EBPF_OPEN_PORT", "80"}});
    auto r = load_config(o);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("'/tmp' is a directory"), std::string::npos);
}

TEST(ConfigErrors, ErrorAfterExpansionKeepsTheLine)
{
    auto r = load("log_level: INFO\nshutdown_timeout: ${TIMEOUT:-ten}\n", kValidEnv);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].find("shutdown_timeout: 'ten'"), std::string::npos) << r.errors[0];
    EXPECT_NE(r.errors[0].find("line 2"), std::string::npos) << r.errors[0];
}
