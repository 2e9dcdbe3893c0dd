// DiscoveryLoop implementation.
#include "app/discovery_loop.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "ebpf/ssl_probes.h"
#include "pipeline/service_registry.h"
#include "spans/clock.h"

namespace obi {
namespace {

discovery::NamingContext make_naming(const config::Config& cfg)
{
    discovery::NamingOptions o;
    o.override_hostname = cfg.attributes.override_hostname;
    o.dns_resolution = cfg.attributes.instance_id_dns;
    o.host_id_override = cfg.attributes.host_id_override;
    return discovery::NamingContext::resolve(o);
}

}  // namespace

DiscoveryLoop::DiscoveryLoop(const config::Config& cfg, ebpf::Tracer& tracer, pipeline::ServiceRegistry& registry,
                             const StopSignal& stop)
    : cfg_(cfg), tracer_(tracer), registry_(registry), stop_(stop),
      matcher_(cfg.discovery.instrument, cfg.discovery.exclude_instrument, cfg.discovery.default_exclude_instrument,
               static_cast<uint32_t>(getpid())),
      naming_(make_naming(cfg))
{
}

DiscoveryLoop::~DiscoveryLoop() { join(); }

bool DiscoveryLoop::open(std::string* error)
{
    reader_ = ebpf::RingReader::open(tracer_.ctrl_ringbuf_fd(), this, error);
    return reader_ != nullptr;
}

void DiscoveryLoop::on_record(const void* data, size_t size)
{
    if (size < sizeof(obi_proc_event)) return;
    Event& e = inbox_.emplace_back();
    e.ev = *static_cast<const obi_proc_event*>(data);
    if (e.ev.kind == OBI_EV_PROC_EXEC && size >= sizeof(obi_exec_event)) {
        const auto* x = static_cast<const obi_exec_event*>(data);
        e.exec_path.assign(x->path, ::strnlen(x->path, sizeof(x->path)));
        e.exec_args.assign(x->args, std::min<size_t>(x->args_len, sizeof(x->args)));
    }
}

std::optional<ProcessFacts> DiscoveryLoop::facts(uint32_t pid)
{
    discovery::ReadOptions ro;
    ro.listen_ports = false;  // read lazily, only when a selector needs them
    return discovery::read_process_facts(pid, root_, ro);
}

const DiscoveryLoop::Traced* DiscoveryLoop::traced_ancestor(uint32_t pid, int max_depth) const
{
    uint32_t p = pipeline::read_ppid(pid);
    for (int i = 0; p > 1 && i < max_depth; i++) {
        auto it = traced_.find(p);
        if (it != traced_.end()) return &it->second;
        p = pipeline::read_ppid(p);
    }
    return nullptr;
}

void DiscoveryLoop::initial_scan()
{
    auto pids = discovery::list_pids(root_);
    std::vector<uint32_t> unmatched;
    for (uint32_t pid : pids) {
        consider(pid, nullptr);
        if (!traced_.count(pid)) unmatched.push_back(pid);
    }
    // Workers forked before the agent started (nginx, gunicorn) inherit their parent's selection.
    for (uint32_t pid : unmatched)
        if (const Traced* anc = traced_ancestor(pid)) consider(pid, anc);
    if (traced_.empty())
        spdlog::info("no process matches the discovery criteria yet; waiting for one to start");
}

void DiscoveryLoop::consider(uint32_t pid, const Traced* parent, const Event* exec)
{
    auto f = facts(pid);
    if ((!f || f->exe_path.empty()) && exec && !exec->exec_path.empty()) {
        identify_exited(*exec, parent);
        return;
    }
    if (!f) return;
    auto lazy = discovery::lazy_from_proc(*f, root_, &lang_);
    std::optional<discovery::MatchResult> m =
        parent ? matcher_.match_child(*f, parent->match, lazy) : matcher_.match(*f, lazy);
    auto it = traced_.find(pid);
    if (!m) {
        if (it != traced_.end()) uninstrument(pid, "no longer matches the discovery criteria");
        else tracer_.untrace_pid(pid);  // drop a provisional kernel entry (exec, listen)
        return;
    }
    if (it != traced_.end() && it->second.start_time == f->start_time_ticks && it->second.match.index == m->index &&
        it->second.service && it->second.service->exe_path == f->exe_path)
        return;  // unchanged
    instrument(*f, *m, parent != nullptr);
}

void DiscoveryLoop::identify_exited(const Event& exec, const Traced* parent)
{
    const obi_proc_event& ev = exec.ev;
    if (exec.exec_path.front() != '/') return;  // relative to a working directory we cannot know now
    ProcessFacts f;
    f.pid = f.tgid = ev.pid;
    f.ppid = ev.ppid;
    std::error_code ec;
    auto resolved = std::filesystem::weakly_canonical(exec.exec_path, ec);  // as /proc/<pid>/exe shows it
    f.exe_path = ec ? exec.exec_path : resolved.string();
    f.comm.assign(ev.comm, ::strnlen(ev.comm, sizeof(ev.comm)));
    f.cmdline = discovery::join_cmdline(exec.exec_args);
    auto lazy = discovery::lazy_from_proc(f, root_, &lang_);
    auto m = parent ? matcher_.match_child(f, parent->match, lazy) : matcher_.match(f, lazy);
    if (!m) return;
    f.language = lang_.detect(f, root_);
    auto svc = make_service(f, *m);
    registry_.put(f.pid, svc);
    registry_.mark_exited(f.pid, MonoClock::now_mono_ns());
    spdlog::info("identified pid={} exe={} service.name={} from its exec: it exited before /proc/{} could be read",
                 f.pid, f.exe_path, svc->name, f.pid);
}

ServicePtr DiscoveryLoop::make_service(const ProcessFacts& f, const discovery::MatchResult& m) const
{
    auto svc = std::make_shared<ServiceInfo>(discovery::make_service_info(f, m.selector, naming_));
    const auto& overrides = cfg_.discovery.instrument_overrides;
    if (m.index < overrides.size() && overrides[m.index].sampler) {
        svc->sampler_name = overrides[m.index].sampler->name;
        svc->sampler_arg = overrides[m.index].sampler->arg;
    }
    return svc;
}

void DiscoveryLoop::instrument(const ProcessFacts& f0, const discovery::MatchResult& m, bool inherited)
{
    ProcessFacts f = f0;
    if (f.language.empty()) f.language = lang_.detect(f, root_);
    if (!tracer_.trace_pid(f.pid)) {
        spdlog::warn("cannot add pid {} to the kernel filter (map full?): it is not traced", f.pid);
        return;
    }
    // The server role of a connection comes from its local port being a listening port.
    for (uint16_t port : discovery::read_listen_ports(f.pid, root_)) tracer_.add_listen_port(f.netns, port);
    if (auto* ssl = tracer_.ssl_probes()) ssl->attach_process(f.pid);  // its libssl (TLS plaintext)
    auto svc = make_service(f, m);
    bool fresh = !traced_.count(f.pid);
    traced_[f.pid] = Traced{f.start_time_ticks, m, svc};
    registry_.put(f.pid, svc);
    count_ = traced_.size();
    auto level = inherited ? spdlog::level::debug : spdlog::level::info;
    spdlog::log(level, "instrumenting process pid={} exe={} service.name={} (from {}) language={} selected by {}{}",
                f.pid, f.exe_path, svc->name, svc->name_source, svc->sdk_language,
                m.selector ? m.selector->origin : "?", fresh ? "" : " (updated)");
}

void DiscoveryLoop::uninstrument(uint32_t pid, const char* why)
{
    tracer_.untrace_pid(pid);
    traced_.erase(pid);
    registry_.mark_exited(pid, MonoClock::now_mono_ns());
    count_ = traced_.size();
    spdlog::info("stopped instrumenting pid={}: {}", pid, why);
}

void DiscoveryLoop::handle(const Event& e)
{
    const obi_proc_event& ev = e.ev;
    switch (ev.kind) {
    case OBI_EV_PROC_EXEC: {
        auto pit = traced_.find(ev.ppid);
        consider(ev.pid, pit == traced_.end() ? nullptr : &pit->second, &e);
        break;
    }
    case OBI_EV_PROC_FORK: {
        // The kernel already traces the child; decide whether it keeps being traced.
        auto pit = traced_.find(ev.ppid);
        if (pit == traced_.end()) {
            tracer_.untrace_pid(ev.pid);
            consider(ev.pid, nullptr);
        } else {
            Traced parent = pit->second;
            consider(ev.pid, &parent);
            if (!traced_.count(ev.pid)) tracer_.untrace_pid(ev.pid);
        }
        break;
    }
    case OBI_EV_PROC_EXIT:
        if (traced_.erase(ev.pid)) {
            registry_.mark_exited(ev.pid, MonoClock::now_mono_ns());
            count_ = traced_.size();
            spdlog::debug("instrumented process pid={} exited", ev.pid);
        }
        break;
    case OBI_EV_LIB_LOAD:  // dlopen in a traced process: maybe a TLS library
        if (traced_.count(ev.pid))
            if (auto* ssl = tracer_.ssl_probes()) ssl->attach_process(ev.pid);
        break;
    case OBI_EV_LISTEN:
        if (!traced_.count(ev.pid) && ev.pid != static_cast<uint32_t>(getpid())) consider(ev.pid, nullptr);
        break;
    default: break;
    }
}

void DiscoveryLoop::rescan()
{
    // Processes that vanished without an exit event (lost events) are forgotten.
    for (auto it = traced_.begin(); it != traced_.end();) {
        auto f = facts(it->first);
        if (!f || f->start_time_ticks != it->second.start_time) {
            uint32_t pid = it->first;
            ++it;
            uninstrument(pid, "process is gone");
        } else {
            ++it;
        }
    }
    for (uint32_t pid : discovery::list_pids(root_)) {
        if (traced_.count(pid)) continue;
        consider(pid, traced_ancestor(pid));
    }
    // TLS libraries loaded since (dlopen): cheap when nothing changed.
    if (auto* ssl = tracer_.ssl_probes())
        for (const auto& [pid, t] : traced_) ssl->attach_process(pid);
    // Provisional kernel entries whose exec or exit events were lost.
    for (uint32_t pid : tracer_.kernel_pids())
        if (!traced_.count(pid)) tracer_.untrace_pid(pid);
}

void DiscoveryLoop::start()
{
    thread_ = std::thread([this] { run(); });
}

void DiscoveryLoop::join()
{
    if (thread_.joinable()) thread_.join();
}

void DiscoveryLoop::run()
{
    Waiter waiter;
    waiter.add(reader_->epoll_fd());
    waiter.add(stop_.fd());
    auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.discovery.poll_interval);
    if (interval.count() <= 0) interval = std::chrono::seconds(5);
    auto next_scan = std::chrono::steady_clock::now() + interval;
    while (!stop_.stopped()) {
        auto now = std::chrono::steady_clock::now();
        int timeout = static_cast<int>(
            std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(next_scan - now).count()));
        waiter.wait(std::min(timeout, 200));
        reader_->consume();
        std::vector<Event> events;
        events.swap(inbox_);
        for (const auto& ev : events) handle(ev);
        if (std::chrono::steady_clock::now() >= next_scan) {
            rescan();
            next_scan = std::chrono::steady_clock::now() + interval;
        }
    }
}

}  // namespace obi
