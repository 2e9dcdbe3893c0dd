// Derivation of the effective configuration from what the user wrote.
#include "config/normalize.h"

#include <algorithm>

#include "config/values.h"
#include "obi_events.h"

namespace obi::config {
namespace {

// Maximum capture per message: the per-event scratch buffer of the kernel programs.
constexpr uint32_t kMaxCaptureSize = OBI_CAPTURE_MAX;  // the kernel limit (bpf/shared/obi_events.h)
constexpr uint32_t kMinCaptureSize = 64;

void add_unique(std::vector<std::string>& out, const std::vector<std::string>& items)
{
    for (auto item : items) {
        if (item == "*") item = "all";
        if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
    }
}

void merge_features(Config& cfg, const LoadContext& ctx)
{
    bool deprecated = !cfg.otel_metrics.features.empty() || !cfg.prometheus.features.empty();
    std::vector<std::string> out;
    // The default [application] only applies when no features list was written at all.
    if (ctx.was_set("metrics.features") || !deprecated) add_unique(out, cfg.metrics.features);
    add_unique(out, cfg.otel_metrics.features);
    add_unique(out, cfg.prometheus.features);
    if (cfg.network.enable) {
        add_unique(out, {"network"});
        cfg.warn("network.enable / OTEL_EBPF_NETWORK_METRICS is deprecated; add 'network' to metrics.features");
    }
    cfg.metrics.features = std::move(out);
}

void resolve_capture_size(Config& cfg, const LoadContext& ctx)
{
    uint32_t http = cfg.ebpf.buffer_sizes.http;
    if (ctx.was_set("ebpf.capture_size") || http == 0) return;
    uint32_t size = std::clamp(http, kMinCaptureSize, kMaxCaptureSize);
    if (size != http)
        cfg.warn("ebpf.buffer_sizes.http is " + std::to_string(http) + " bytes; this agent captures " +
                 std::to_string(size) + " bytes per message (ebpf.capture_size, limit " + std::to_string(kMaxCaptureSize) + ")");
    cfg.ebpf.capture_size = size;
}

void merge_deprecated_services(Config& cfg, LoadContext& ctx)
{
    auto& d = cfg.discovery;
    bool any = ctx.services || ctx.exclude_services || ctx.default_exclude_services;
    if (!any) return;
    if (ctx.instrument_given) {
        cfg.warn("discovery.services, exclude_services and default_exclude_services are ignored because "
                 "discovery.instrument is set");
        return;
    }
    cfg.warn("discovery.services / exclude_services / default_exclude_services are deprecated; use "
             "discovery.instrument / exclude_instrument / default_exclude_instrument (exe_path is a glob there)");
    d.used_deprecated_services = true;
    if (ctx.services) {
        d.instrument = *ctx.services;
        d.instrument_overrides = ctx.services_overrides;
    }
    if (ctx.exclude_services)
        d.exclude_instrument.insert(d.exclude_instrument.end(), ctx.exclude_services->begin(),
                                    ctx.exclude_services->end());
    if (ctx.default_exclude_services && !d.default_exclude_instrument_set) {
        d.default_exclude_instrument = *ctx.default_exclude_services;
        d.default_exclude_instrument_set = true;
    }
}

// The selector of the top-level options (OTEL_EBPF_AUTO_TARGET_EXE, OTEL_EBPF_OPEN_PORT, ...).
void add_global_selector(Config& cfg, const LoadContext& ctx)
{
    const GlobalSelectors& g = cfg.global;
    if (!g.any()) {
        if (!g.service_name.empty() || !g.service_namespace.empty())
            cfg.warn("service_name / service_namespace only name the processes selected by OTEL_EBPF_AUTO_TARGET_EXE, "
                     "OTEL_EBPF_OPEN_PORT, target_pids or executable_path; none is set, so they are ignored");
        return;
    }
    // Name the entry after the variables (or YAML keys) that built it.
    std::vector<std::string> origin;
    auto source = [&](std::initializer_list<const char*> names) {
        for (const char* n : names)
            if (ctx.was_set(n)) {
                origin.push_back(n);
                return;
            }
    };
    Selector s;
    if (g.auto_target_exe) {
        s.exe_path = g.auto_target_exe;
        source({"OTEL_EBPF_AUTO_TARGET_EXE", "OTEL_GO_AUTO_TARGET_EXE"});
    }
    if (g.auto_target_language) {
        s.languages = g.auto_target_language;
        source({"OTEL_EBPF_AUTO_TARGET_LANGUAGE"});
    }
    if (g.open_port) {
        s.open_ports = g.open_port;
        source({"OTEL_EBPF_OPEN_PORT", "open_port"});
    }
    if (!g.target_pids.empty()) {
        s.target_pids = g.target_pids;
        source({"OTEL_EBPF_TARGET_PID", "target_pids"});
    }
    if (g.executable_path) {
        s.exe_path_regex = g.executable_path;
        source({"OTEL_EBPF_EXECUTABLE_PATH", "executable_path"});
    }
    s.origin = join(origin, " + ");
    s.name = g.service_name;
    s.namespace_ = g.service_namespace;
    cfg.discovery.instrument.push_back(std::move(s));
}

}  // namespace

void normalize(Config& cfg, LoadContext& ctx)
{
    auto& d = cfg.discovery;
    if (d.poll_interval == Duration::zero()) d.poll_interval = 5s;
    if (ctx.was_set("legacy:enable_context_propagation") && !ctx.was_set("ebpf.context_propagation"))
        cfg.ebpf.context_propagation = {true, true};
    resolve_capture_size(cfg, ctx);
    merge_features(cfg, ctx);
    merge_deprecated_services(cfg, ctx);
    if (!d.default_exclude_instrument_set) d.default_exclude_instrument = default_exclusions();
    d.instrument_overrides.resize(d.instrument.size());
    if (d.system_wide) {
        Selector all;
        all.origin = "discovery.system_wide";
        all.exe_path = Glob::compile("*");
        d.instrument.push_back(std::move(all));
    }
    add_global_selector(cfg, ctx);
    d.instrument_overrides.resize(d.instrument.size());
}

}  // namespace obi::config
