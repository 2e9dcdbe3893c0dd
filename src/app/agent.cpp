// Agent::run and the --check report.
#include "app/agent.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "app/capture_loop.h"
#include "config/otlp.h"
#include "app/discovery_loop.h"
#include "conntrack/tracker.h"
#include "ebpf/kernel_check.h"
#include "ebpf/tracer.h"
#include "export/printer/trace_printer.h"
#include "pipeline/query_stage.h"
#include "pipeline/route_stage.h"
#include "pipeline/sampler.h"
#include "pipeline/span_pipeline.h"
#include "protocols/http1/conn_handler.h"

namespace obi {
namespace {

std::optional<ebpf::Backend> forced_backend(const config::Config& cfg)
{
    switch (cfg.ebpf.probe_backend) {
    case config::ProbeBackend::SockTracepoints: return ebpf::Backend::SockTracepoints;
    case config::ProbeBackend::SyscallTracepoints: return ebpf::Backend::SyscallTracepoints;
    default: return std::nullopt;
    }
}

std::vector<std::unique_ptr<SpanExporter>> make_exporters(const config::Config& cfg, const MonoClock& clock)
{
    std::vector<std::unique_ptr<SpanExporter>> out;
    using TP = config::TracePrinter;
    printer::Mode mode = printer::Mode::Text;
    switch (cfg.trace_printer) {
    case TP::Disabled: break;
    case TP::Counter: mode = printer::Mode::Counter; break;
    case TP::Text: mode = printer::Mode::Text; break;
    case TP::Json: mode = printer::Mode::Json; break;
    case TP::JsonIndent: mode = printer::Mode::JsonIndent; break;
    }
    if (cfg.trace_printer != TP::Disabled) out.push_back(std::make_unique<printer::TracePrinter>(mode, stdout, clock));
    return out;
}

uint64_t to_ns(config::Duration d) { return static_cast<uint64_t>(std::max<int64_t>(0, d.count())); }

}  // namespace

int run_check(const config::Config& cfg)
{
    ebpf::KernelReport report = ebpf::check_kernel();
    printf("%s", report.format().c_str());
    std::string why;
    auto backend = ebpf::choose_backend(report, forced_backend(cfg), &why);
    if (backend)
        printf("probe backend: %s (%s)\n", std::string(ebpf::backend_name(*backend)).c_str(), why.c_str());
    else
        printf("probe backend: none (%s)\n", why.c_str());
    bool ok = !report.fatal() && backend.has_value();
    printf("%s\n", ok ? "ebpf-instrument can run on this host" : "ebpf-instrument cannot run on this host");
    return ok ? 0 : 1;
}

int Agent::run()
{
    ebpf::KernelReport report = ebpf::check_kernel();
    for (const auto& item : report.items) {
        if (!item.ok && item.required) spdlog::error("{}: {}", item.name, item.detail);
        else if (!item.ok) spdlog::warn("{}: {}", item.name, item.detail);
        else spdlog::debug("{}: {}", item.name, item.detail);
    }
    if (report.fatal()) {
        spdlog::error("this host cannot run ebpf-instrument (see above); `ebpf-instrument --check` prints the full report");
        return 1;
    }
    std::string why;
    auto backend = ebpf::choose_backend(report, forced_backend(cfg_), &why);
    if (!backend) {
        spdlog::error("{}", why);
        return 1;
    }

    ebpf::TracerOptions topts;
    topts.backend = *backend;
    topts.capture_size = cfg_.ebpf.capture_size;
    topts.ringbuf_size = static_cast<uint32_t>(cfg_.ebpf.ringbuf_size);
    // OBI's ebpf.wakeup_len counts events; the kernel counts queued bytes (about 512 per
    // event), and never more than a quarter of the ring.
    topts.wakeup_bytes = std::clamp<uint32_t>(cfg_.ebpf.wakeup_len * 512u, 4096u, topts.ringbuf_size / 4);
    topts.agent_pid = static_cast<uint32_t>(getpid());
    std::vector<std::pair<uint16_t, uint16_t>> selected_ports;
    for (const auto& sel : cfg_.discovery.instrument) {
        if (!sel.open_ports) topts.trace_new_execs = true;  // it can match at exec time
        else
            for (const auto& r : sel.open_ports->ranges()) selected_ports.emplace_back(r.lo, r.hi);
    }
    std::string error;
    std::unique_ptr<ebpf::Tracer> tracer = ebpf::Tracer::start(topts, &error);
    if (!tracer) {
        spdlog::error("{}", error);
        return 1;
    }
    tracer->select_ports(selected_ports);
    spdlog::info("probe backend: {} ({})", ebpf::backend_name(*backend), why);
    for (const auto& p : tracer->attached_programs()) spdlog::debug("attached {}", p);

    MonoClock clock;
    pipeline::ServiceRegistry registry;
    pipeline::RouteStage routes(cfg_.routes);
    pipeline::QueryStage query(cfg_.attributes);
    auto decorate = [&routes, &query](Span& s) {
        query.apply(s);
        return routes.apply(s);
    };
    pipeline::SamplerSet samplers(pipeline::Sampler(cfg_.otel_traces.sampler.name, cfg_.otel_traces.sampler.arg));
    pipeline::ExportStages stages;
    stages.sample = [&samplers](const Span& s) { return samplers.sample(s); };
    pipeline::SpanPipeline spans({cfg_.otel_traces.max_export_batch_size, cfg_.otel_traces.max_queue_size}, registry,
                                 decorate, make_exporters(cfg_, clock), std::move(stages));
    conntrack::TrackerOptions copts;
    copts.request_timeout_ns = to_ns(cfg_.ebpf.http_request_timeout);
    conntrack::ConnTracker tracker(copts, spans, {http1::protocol_def()});

    DiscoveryLoop discovery(cfg_, *tracer, registry, stop_);
    CaptureLoop capture(*tracer, tracker, spans, registry,
                        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.ebpf.batch_timeout).count()),
                        stop_);
    if (!discovery.open(&error) || !capture.open(&error)) {
        spdlog::error("{}", error);
        return 1;
    }
    discovery.initial_scan();
    spans.start();
    discovery.start();
    // Until the OTLP and Prometheus exporters land, say so instead of dropping data silently.
    if (config::otlp_target(cfg_, config::OtlpSignal::Traces) || config::otlp_target(cfg_, config::OtlpSignal::Metrics))
        spdlog::warn("an OTLP endpoint is configured, but this version does not export OTLP yet: spans go only to the "
                     "trace printer (set OTEL_EBPF_TRACE_PRINTER to see them)");
    if (cfg_.prometheus.port != 0)
        spdlog::warn("prometheus_export.port is set, but this version does not serve Prometheus metrics yet");
    spdlog::info("ready: instrumenting {} processes", discovery.instrumented());

    capture.run();  // until stop()

    spdlog::info("stopping: detaching probes and flushing spans");
    discovery.join();
    spans.shutdown(std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.shutdown_timeout));
    tracer.reset();  // detaches every program and frees every map
    const auto& ps = spans.stats();
    spdlog::info("stopped: {} spans exported, {} dropped", ps.exported.load(),
                 ps.dropped_queue.load() + ps.dropped_invalid.load());
    return 0;
}

}  // namespace obi
