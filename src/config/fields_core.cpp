// Top-level settings: logging, trace printer, the global process selectors, routes, name
// resolution, health check, language agents.
#include "config/fields.h"
#include "config/sections.h"
#include "config/vocab.h"

namespace obi::config {
namespace {

Field global_glob(Envs env, std::string help, std::optional<Glob> GlobalSelectors::*member)
{
    return {"", std::move(env), std::move(help),
            [member](Config& c, const Input& in) -> std::string {
                std::string s;
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                return parse_glob(trim(s), c.global.*member);
            },
            [member](const Config& c) {
                const auto& g = c.global.*member;
                return g ? Json(g->pattern()) : Json(nullptr);
            }};
}

}  // namespace

std::vector<Field> core_fields()
{
    std::vector<Field> f;
    // The config file itself: read by the loader before anything else; listed for --help.
    f.push_back({"", {"OTEL_EBPF_CONFIG_PATH"}, "YAML configuration file (the --config flag wins)",
                 [](Config&, const Input&) { return std::string(); }, {}});

    f.push_back(f_enum("log_level", {"OTEL_EBPF_LOG_LEVEL"}, "log verbosity: DEBUG, INFO, WARN, ERROR",
                       OBI_AT(log_level)));
    f.push_back(f_enum("log_format", {"OTEL_EBPF_LOG_FORMAT"}, "log line format: text or json", OBI_AT(log_format)));
    f.push_back(f_enum("log_config", {"OTEL_EBPF_LOG_CONFIG"}, "print the merged configuration at start: yaml or json",
                       OBI_AT(log_config)));
    f.push_back(f_duration("shutdown_timeout", {"OTEL_EBPF_SHUTDOWN_TIMEOUT"}, "time allowed for a graceful shutdown",
                           OBI_AT(shutdown_timeout)));
    f.push_back(f_bool("enforce_sys_caps", {"OTEL_EBPF_ENFORCE_SYS_CAPS"},
                       "fail at start when capabilities are missing (false: only log them)", OBI_AT(enforce_sys_caps)));
    f.push_back(f_int("channel_buffer_len", {"OTEL_EBPF_CHANNEL_BUFFER_LEN"}, "length of the internal queues",
                      OBI_AT(channel_buffer_len), 1, 1000000));
    f.push_back(f_duration("channel_send_timeout", {"OTEL_EBPF_CHANNEL_SEND_TIMEOUT"},
                           "how long a pipeline stage waits on a full queue", OBI_AT(channel_send_timeout)));
    f.push_back(f_bool("channel_send_timeout_panic", {"OTEL_EBPF_CHANNEL_SEND_TIMEOUT_PANIC"},
                       "abort when a queue send times out (debugging)", OBI_AT(channel_send_timeout_panic)));
    f.push_back(f_port("profile_port", {"OTEL_EBPF_PROFILE_PORT"}, "port of the profiling endpoint (0 = off)",
                       OBI_AT(profile_port)));
    f.push_back(f_enum("trace_printer", {"OTEL_EBPF_TRACE_PRINTER"},
                       "print spans to stdout: disabled, counter, text, json, json_indent", OBI_AT(trace_printer)));

    // Global selectors: ANDed into one instrument entry, appended last.
    f.push_back(global_glob({"OTEL_EBPF_AUTO_TARGET_EXE", "OTEL_GO_AUTO_TARGET_EXE"},
                            "glob on the executable path of processes to instrument (e.g. */server)",
                            &GlobalSelectors::auto_target_exe));
    f.push_back(global_glob({"OTEL_EBPF_AUTO_TARGET_LANGUAGE"},
                            "glob on the detected language (go, java, nodejs, python, ruby, dotnet, rust, php, ...)",
                            &GlobalSelectors::auto_target_language));
    f.push_back({"open_port", {"OTEL_EBPF_OPEN_PORT"}, "instrument processes listening on these ports (80,443,8000-8999)",
                 [](Config& c, const Input& in) -> std::string {
                     std::string s;
                     if (auto e = need_scalar(in, s); !e.empty()) return e;
                     if (in.shape == Shape::Null) return "";
                     return parse_ports(s, c.global.open_port);
                 },
                 [](const Config& c) { return c.global.open_port ? Json(c.global.open_port->to_string()) : Json(nullptr); }});
    f.push_back({"target_pids", {"OTEL_EBPF_TARGET_PID"}, "instrument these process ids (comma-separated)",
                 [](Config& c, const Input& in) -> std::string {
                     std::vector<std::string> items;
                     if (auto e = need_list(in, items); !e.empty()) return e;
                     return parse_pids(items, c.global.target_pids);
                 },
                 [](const Config& c) { return Json(c.global.target_pids); }});
    f.push_back({"executable_path", {"OTEL_EBPF_EXECUTABLE_PATH"},
                 "deprecated: regex the executable path must contain (use OTEL_EBPF_AUTO_TARGET_EXE)",
                 [](Config& c, const Input& in) -> std::string {
                     std::string s;
                     if (auto e = need_scalar(in, s); !e.empty()) return e;
                     if (s.empty()) return "";
                     if (auto e = check_regex(s); !e.empty()) return e;
                     c.global.executable_path = s;
                     c.warn("executable_path / OTEL_EBPF_EXECUTABLE_PATH is deprecated; use OTEL_EBPF_AUTO_TARGET_EXE "
                            "(a glob) or discovery.instrument");
                     return "";
                 },
                 [](const Config& c) { return c.global.executable_path ? Json(*c.global.executable_path) : Json(nullptr); }});
    f.push_back(f_string("service_name", {"OTEL_SERVICE_NAME", "OTEL_EBPF_SERVICE_NAME"},
                         "deprecated: service.name of the processes selected by the global selectors",
                         OBI_AT(global.service_name)));
    f.push_back(f_string("service_namespace", {"OTEL_EBPF_SERVICE_NAMESPACE"},
                         "deprecated: service.namespace of the processes selected by the global selectors",
                         OBI_AT(global.service_namespace)));

    f.push_back({"routes", {}, "HTTP route patterns and the policy for unmatched paths",
                 [](Config& c, const Input& in) -> std::string {
                     c.routes_set = true;
                     parse_routes(*in.ctx, in.node, in.key, false, c.routes);
                     return "";
                 },
                 [](const Config& c) { return routes_to_json(c.routes); }});

    f.push_back(f_strings("metrics.features", {"OTEL_EBPF_METRICS_FEATURES"},
                          "metric groups: application, application_span, application_service_graph, network, ...",
                          OBI_AT(metrics.features), metric_features()));

    f.push_back(f_strings("name_resolver.sources", {"OTEL_EBPF_NAME_RESOLVER_SOURCES"},
                          "where peer and host names come from: k8s, dns, rdns", OBI_AT(name_resolver.sources),
                          name_resolver_sources()));
    f.push_back(f_int("name_resolver.cache_len", {"OTEL_EBPF_NAME_RESOLVER_CACHE_LEN"}, "name cache entries",
                      OBI_AT(name_resolver.cache_len), 1, 100000000));
    f.push_back(f_duration("name_resolver.cache_expiry", {"OTEL_EBPF_NAME_RESOLVER_CACHE_TTL"}, "name cache lifetime",
                           OBI_AT(name_resolver.cache_expiry)));

    f.push_back(f_port("health_check.port", {}, "port of the /healthz endpoint (0 = off)", OBI_AT(health_check.port)));
    f.push_back(f_string("health_check.unix_socket_path", {}, "unix socket of the /healthz endpoint",
                         OBI_AT(health_check.unix_socket_path)));

    f.push_back(f_bool("nodejs.enabled", {"OTEL_EBPF_NODEJS_ENABLED"}, "Node.js agent injection", OBI_AT(nodejs_enabled)));
    f.push_back(f_bool("javaagent.enabled", {"OTEL_EBPF_JAVAAGENT_ENABLED"}, "Java agent injection",
                       OBI_AT(javaagent_enabled)));
    f.push_back(f_bool("javaagent.debug", {"OTEL_EBPF_JAVAAGENT_DEBUG"}, "Java agent debug output", OBI_AT(javaagent_debug)));
    f.push_back(f_bool("javaagent.debug_instrumentation", {"OTEL_EBPF_JAVAAGENT_DEBUG_INSTRUMENTATION"},
                       "Java agent instrumentation debug output", OBI_AT(javaagent_debug_instrumentation)));
    f.push_back(f_duration("javaagent.attach_timeout", {"OTEL_EBPF_JAVAAGENT_ATTACH_TIMEOUT"},
                           "Java agent attach timeout", OBI_AT(javaagent_attach_timeout)));
    f.push_back(f_subtree("stats", "stats section (accepted and stored)", OBI_AT(stats_json)));
    return f;
}

}  // namespace obi::config
