// The `discovery` section: selector lists (current and deprecated) and discovery timing.
#include "config/fields.h"
#include "config/sections.h"

namespace obi::config {
namespace {

// A current-style (glob) list stored in the config.
Field glob_list(std::string path, std::string help, std::vector<Selector> DiscoveryConfig::*list,
                std::vector<EntryOverrides> DiscoveryConfig::*overrides)
{
    return {path, {}, std::move(help),
            [list, overrides](Config& c, const Input& in) -> std::string {
                std::vector<EntryOverrides> ov;
                parse_selector_list(*in.ctx, in.node, in.key, false, c.discovery.*list, ov);
                if (overrides) c.discovery.*overrides = std::move(ov);
                return "";
            },
            [list, overrides](const Config& c) {
                return selectors_to_json(c.discovery.*list, overrides ? &(c.discovery.*overrides) : nullptr);
            }};
}

// A deprecated (regex) list, kept in the load context until the loader converts it.
Field regex_list(std::string path, std::string help,
                 std::optional<std::vector<Selector>> LoadContext::*into, bool keep_overrides)
{
    return {path, {}, std::move(help),
            [into, keep_overrides](Config&, const Input& in) -> std::string {
                std::vector<Selector> list;
                std::vector<EntryOverrides> ov;
                parse_selector_list(*in.ctx, in.node, in.key, true, list, ov);
                in.ctx->*into = std::move(list);
                if (keep_overrides) in.ctx->services_overrides = std::move(ov);
                return "";
            },
            {}};
}

}  // namespace

std::vector<Field> discovery_fields()
{
    std::vector<Field> f;
    f.push_back(glob_list("discovery.instrument", "processes to instrument (first matching entry wins)",
                          &DiscoveryConfig::instrument, &DiscoveryConfig::instrument_overrides));
    f.back().parse = [inner = f.back().parse](Config& c, const Input& in) {
        in.ctx->instrument_given = true;
        return inner(c, in);
    };
    f.push_back(glob_list("discovery.exclude_instrument", "processes never to instrument",
                          &DiscoveryConfig::exclude_instrument, nullptr));
    f.push_back(glob_list("discovery.default_exclude_instrument",
                          "built-in exclusions (OBI itself, collectors, system namespaces); [] turns them off",
                          &DiscoveryConfig::default_exclude_instrument, nullptr));
    f.back().parse = [inner = f.back().parse](Config& c, const Input& in) {
        c.discovery.default_exclude_instrument_set = true;
        return inner(c, in);
    };
    f.push_back(regex_list("discovery.services", "deprecated: like instrument, with exe_path as a regex",
                           &LoadContext::services, true));
    f.push_back(regex_list("discovery.exclude_services", "deprecated: like exclude_instrument, with regexes",
                           &LoadContext::exclude_services, false));
    f.push_back(regex_list("discovery.default_exclude_services",
                           "deprecated: like default_exclude_instrument, with regexes",
                           &LoadContext::default_exclude_services, false));

    f.push_back(f_duration("discovery.poll_interval", {"OTEL_EBPF_DISCOVERY_POLL_INTERVAL"},
                           "how often processes are scanned (0 means 5s)", OBI_AT(discovery.poll_interval)));
    f.push_back(f_duration("discovery.min_process_age", {"OTEL_EBPF_MIN_PROCESS_AGE"},
                           "processes younger than this are not inspected yet", OBI_AT(discovery.min_process_age)));
    f.push_back(f_bool("discovery.skip_go_specific_tracers", {"OTEL_EBPF_SKIP_GO_SPECIFIC_TRACERS"},
                       "use the generic tracers for Go programs too", OBI_AT(discovery.skip_go_specific_tracers)));
    f.push_back(f_bool("discovery.bpf_pid_filter_off", {"OTEL_EBPF_BPF_PID_FILTER_OFF"},
                       "debugging: filter processes in user space only", OBI_AT(discovery.bpf_pid_filter_off)));
    f.push_back(f_bool("discovery.exclude_otel_instrumented_services", {"OTEL_EBPF_EXCLUDE_OTEL_INSTRUMENTED_SERVICES"},
                       "stop exporting a service's signals once it exports its own OTLP data",
                       OBI_AT(discovery.exclude_otel_instrumented_services)));
    f.push_back(f_bool("discovery.exclude_otel_instrumented_services_span_metrics",
                       {"OTEL_EBPF_EXCLUDE_OTEL_INSTRUMENTED_SERVICES_SPAN_METRICS"},
                       "also stop span metrics of services that export their own traces",
                       OBI_AT(discovery.exclude_otel_instrumented_services_span_metrics)));
    f.push_back(f_port("discovery.default_otlp_grpc_port", {"OTEL_EBPF_DEFAULT_OTLP_GRPC_PORT"},
                       "OTLP gRPC port assumed for applications that do not set one",
                       OBI_AT(discovery.default_otlp_grpc_port)));
    f.push_back(f_duration("discovery.route_harvester_timeout", {"OTEL_EBPF_ROUTE_HARVESTER_TIMEOUT"},
                           "time limit of route harvesting per process", OBI_AT(discovery.route_harvester_timeout)));
    f.push_back(f_strings("discovery.disabled_route_harvesters", {}, "route harvesters to skip: java, nodejs, go",
                          OBI_AT(discovery.disabled_route_harvesters), {"java", "nodejs", "go"}));
    f.push_back(f_duration("discovery.route_harvester_advanced.java_harvest_delay",
                           {"OTEL_EBPF_JAVA_ROUTE_HARVEST_DELAY"}, "delay before harvesting Java routes",
                           OBI_AT(discovery.java_harvest_delay)));
    f.push_back(f_strings("discovery.excluded_linux_system_paths", {},
                          "executables under these directories are never instrumented",
                          OBI_AT(discovery.excluded_linux_system_paths)));
    f.push_back(f_bool("discovery.system_wide", {},
                       "deprecated: instrument every process (same as an exe_path '*' entry)",
                       OBI_AT(discovery.system_wide)));
    return f;
}

}  // namespace obi::config
