// Agent::run and the --check report.
#include "app/agent.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "app/capture_loop.h"
#include "app/telemetry.h"
#include "app/discovery_loop.h"
#include "conntrack/tracker.h"
#include "ebpf/kernel_check.h"
#include "ebpf/tracer.h"
#include "pipeline/query_stage.h"
#include "pipeline/route_stage.h"
#include "pipeline/span_pipeline.h"
#include "protocols/kafka/topic_cache.h"
#include "protocols/registry.h"

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
    // Testing only: a smaller traced-process table, so that processes share its slots.
    if (const char* slots = std::getenv("OBI_TEST_PID_SLOTS")) topts.pid_slots = static_cast<uint32_t>(std::strtoul(slots, nullptr, 10));
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
    Telemetry telemetry(cfg_, clock);
    if (!telemetry.init(&error) || !telemetry.start(&error)) {
        spdlog::error("{}", error);
        return 1;
    }
    pipeline::ServiceRegistry registry;
    registry.set_listener([&telemetry](const ServicePtr& svc, bool added) {
        std::string exe = svc->exe_path.substr(svc->exe_path.rfind('/') + 1);
        telemetry.agent().instrumented_processes->add({exe}, added ? 1 : -1);
        if (added) telemetry.service_added(svc);
        else telemetry.service_exited(svc.get());
    });
    pipeline::RouteStage routes(cfg_.routes);
    pipeline::QueryStage query(cfg_.attributes);
    auto decorate = [&routes, &query](Span& s) {
        query.apply(s);
        return routes.apply(s);
    };
    pipeline::SpanPipeline spans({cfg_.otel_traces.max_export_batch_size, cfg_.otel_traces.max_queue_size}, registry,
                                 decorate, telemetry.take_trace_exporters(), telemetry.stages());
    conntrack::TrackerOptions copts;
    copts.request_timeout_ns = to_ns(cfg_.ebpf.http_request_timeout);
    copts.dns_request_timeout_ns = to_ns(cfg_.ebpf.dns_request_timeout);
    kafka::TopicIdCache::shared().set_capacity(cfg_.ebpf.kafka_topic_uuid_cache_size);
    conntrack::ConnTracker tracker(copts, spans, protocols::all());

    DiscoveryLoop discovery(cfg_, *tracer, registry, stop_);
    CaptureLoop capture(*tracer, tracker, spans, registry, telemetry,
                        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.ebpf.batch_timeout).count()),
                        stop_);
    if (!discovery.open(&error) || !capture.open(&error)) {
        spdlog::error("{}", error);
        return 1;
    }
    discovery.initial_scan();
    spans.start();
    discovery.start();
    spdlog::info("ready: instrumenting {} processes", discovery.instrumented());

    capture.run();  // until stop()

    spdlog::info("stopping: detaching probes and flushing spans");
    discovery.join();
    // One deadline for the whole shutdown (shutdown_timeout), however many exporters there are.
    auto deadline = std::chrono::steady_clock::now() + cfg_.shutdown_timeout;
    tracer.reset();              // detaches every program and frees every map
    spans.shutdown(deadline);    // drains into the trace exporters and finishes them
    telemetry.shutdown(deadline);  // last metric export, endpoints down
    const auto& ps = spans.stats();
    spdlog::info("stopped: {} spans exported, {} dropped (queue full {}, invalid {}, of a process "
                 "discovery could not identify, e.g. one that exited at once {})",
                 ps.exported.load(), ps.dropped_queue.load() + ps.dropped_invalid.load() + ps.dropped_unknown.load(),
                 ps.dropped_queue.load(), ps.dropped_invalid.load(), ps.dropped_unknown.load());
    return 0;
}

}  // namespace obi
