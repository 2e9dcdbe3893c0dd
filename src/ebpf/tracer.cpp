// Tracer: open -> size maps and set rodata -> load -> attach, for the process tracker and
// the chosen I/O backend; the backend reuses the tracker's maps so all share one state.
#include "ebpf/tracer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>

#include <sys/mman.h>

#include "ebpf/ssl_probes.h"
#include "obi_events.h"
#include "proc.skel.h"
#include "sock_io.skel.h"
#include "ssl.skel.h"
#include "syscall_io.skel.h"

namespace obi::ebpf {
namespace {

std::string errno_text(int err)
{
    err = err < 0 ? -err : err;
    return std::string(strerror(err)) + " (errno " + std::to_string(err) + ")";
}

const char* const kProcShared[] = {"obi_pid_slots", "obi_pid_filter", "obi_listen_ports", "obi_ctrl_events", "obi_data_events",
                                   "obi_stats", "obi_proc_ctx", "obi_port_select"};
// Maps of the I/O backend the TLS object uses too: connection state, thread context, SSL ties.
const char* const kIoShared[] = {"obi_conns", "obi_thread_ctx", "obi_ssl_calls", "obi_ssl_socks", "obi_ssl_threads"};

// Makes `to`'s copy of each named map point at `from`'s map, so both objects share one.
int share_maps(bpf_object* from, bpf_object* to, std::span<const char* const> names = kProcShared)
{
    for (const char* name : names) {
        bpf_map* src = bpf_object__find_map_by_name(from, name);
        bpf_map* dst = bpf_object__find_map_by_name(to, name);
        if (!src || !dst) return -ENOENT;
        if (int err = bpf_map__set_max_entries(dst, bpf_map__max_entries(src))) return err;
        if (int err = bpf_map__reuse_fd(dst, bpf_map__fd(src))) return err;
    }
    return 0;
}

// The settings every data path object (socket I/O backend, libssl probes) takes before load.
template <class Rodata>
void set_data_path_rodata(Rodata& ro, const TracerOptions& opts)
{
    ro.obi_capture_size = opts.capture_size;
    ro.obi_wakeup_bytes = opts.wakeup_bytes;
    ro.obi_agent_pid = opts.agent_pid;
    ro.obi_pid_slot_mask = opts.pid_slots - 1;
    // Each CPU looks at the ring's fill every wakeup / (2 x CPUs) bytes it emits (bpf/lib/io.h).
    int cpus = libbpf_num_possible_cpus();
    ro.obi_query_bytes = std::max<uint32_t>(opts.wakeup_bytes / (2u * static_cast<uint32_t>(cpus > 0 ? cpus : 1)), 1u);
}

// The overflow of the traced-process table: the kernel's obi_pid_filter hash map.
class BpfPidOverflow : public PidOverflow {
public:
    explicit BpfPidOverflow(int fd) : fd_(fd) {}
    bool lookup(uint32_t pid, obi_pid_info* out) const override { return bpf_map_lookup_elem(fd_, &pid, out) == 0; }
    bool update(uint32_t pid, const obi_pid_info& info) override
    {
        return bpf_map_update_elem(fd_, &pid, &info, BPF_ANY) == 0;
    }
    void erase(uint32_t pid) override { bpf_map_delete_elem(fd_, &pid); }
    std::vector<uint32_t> keys() const override
    {
        std::vector<uint32_t> out;
        uint32_t key = 0, next = 0;
        const uint32_t* prev = nullptr;
        while (bpf_map_get_next_key(fd_, prev, &next) == 0) {
            out.push_back(next);
            key = next;
            prev = &key;
        }
        return out;
    }

private:
    int fd_;
};

}  // namespace

std::string_view backend_name(Backend b)
{
    return b == Backend::SockTracepoints ? "sock_tracepoints" : "syscall_tracepoints";
}

std::optional<Backend> parse_backend(std::string_view name)
{
    if (name == "sock_tracepoints") return Backend::SockTracepoints;
    if (name == "syscall_tracepoints") return Backend::SyscallTracepoints;
    return std::nullopt;
}

std::optional<Backend> choose_backend(const KernelReport& r, std::optional<Backend> forced, std::string* why)
{
    if (forced) {
        bool ok = *forced == Backend::SockTracepoints ? r.sock_tracepoints : r.syscall_tracepoints;
        if (!ok) {
            *why = "probe backend " + std::string(backend_name(*forced)) + " was requested but this kernel cannot run it";
            return std::nullopt;
        }
        *why = "requested by configuration";
        return forced;
    }
    if (r.sock_tracepoints) {
        *why = "socket tracepoints present (cheapest: no cost for non-socket syscalls)";
        return Backend::SockTracepoints;
    }
    if (r.syscall_tracepoints) {
        *why = "socket tracepoints absent (kernel < 6.3): falling back to syscall tracepoints";
        return Backend::SyscallTracepoints;
    }
    *why = "no probe backend can run on this kernel";
    return std::nullopt;
}

std::unique_ptr<Tracer> Tracer::start(const TracerOptions& opts, std::string* error)
{
    std::unique_ptr<Tracer> t(new Tracer());
    t->opts_ = opts;
    t->ncpus_ = libbpf_num_possible_cpus();
    if (t->ncpus_ <= 0) t->ncpus_ = 1;
    if (!t->load(error)) return nullptr;
    return t;
}

bool Tracer::load(std::string* error)
{
    proc_ = obi_proc::open();
    if (!proc_) {
        *error = "cannot open the process tracker BPF object: " + errno_text(errno);
        return false;
    }
    bpf_map__set_max_entries(proc_->maps.obi_data_events, opts_.ringbuf_size);
    proc_->rodata->obi_agent_pid = opts_.agent_pid;
    proc_->rodata->obi_trace_new_execs = opts_.trace_new_execs;
    if (opts_.pid_slots == 0 || opts_.pid_slots > OBI_PID_SLOTS_MAX || (opts_.pid_slots & (opts_.pid_slots - 1))) {
        *error = "internal: the traced-process table needs a power of two of slots up to " +
                 std::to_string(OBI_PID_SLOTS_MAX) + ", not " + std::to_string(opts_.pid_slots);
        return false;
    }
    bpf_map__set_max_entries(proc_->maps.obi_pid_slots, opts_.pid_slots);
    proc_->rodata->obi_pid_slot_mask = opts_.pid_slots - 1;
    if (int err = obi_proc::load(proc_)) {
        *error = "cannot load the process tracker into the kernel: " + errno_text(err) +
                 " (run with OTEL_EBPF_LOG_LEVEL=DEBUG for the verifier log)";
        return false;
    }
    if (int err = obi_proc::attach(proc_)) {
        *error = "cannot attach the process tracker: " + errno_text(err);
        return false;
    }
    pid_slots_len_ = static_cast<size_t>(opts_.pid_slots) * sizeof(obi_pid_info);
    void* slots = mmap(nullptr, pid_slots_len_, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(proc_->maps.obi_pid_slots), 0);
    if (slots == MAP_FAILED) {
        *error = "cannot map the traced-process table into memory: " + errno_text(errno);
        return false;
    }
    pid_slots_map_ = slots;
    pid_overflow_ = std::make_unique<BpfPidOverflow>(bpf_map__fd(proc_->maps.obi_pid_filter));
    pids_ = std::make_unique<PidTable>(std::span(static_cast<obi_pid_info*>(slots), opts_.pid_slots), *pid_overflow_);
    listen_fd_ = bpf_map__fd(proc_->maps.obi_listen_ports);
    stats_fd_ = bpf_map__fd(proc_->maps.obi_stats);
    return load_io(error);
}

bool Tracer::load_io(std::string* error)
{
    const char* what = opts_.backend == Backend::SockTracepoints ? "socket tracepoint" : "syscall tracepoint";
    int err = 0;
    if (opts_.backend == Backend::SockTracepoints) {
        sock_ = obi_sock_io::open();
        if (!sock_) err = -errno;
        if (!err) {
            set_data_path_rodata(*sock_->rodata, opts_);
            err = share_maps(proc_->obj, sock_->obj);
        }
        if (!err) err = obi_sock_io::load(sock_);
        if (!err) err = obi_sock_io::attach(sock_);
    } else {
        sys_ = obi_syscall_io::open();
        if (!sys_) err = -errno;
        if (!err) {
            set_data_path_rodata(*sys_->rodata, opts_);
            err = share_maps(proc_->obj, sys_->obj);
        }
        if (!err) err = obi_syscall_io::load(sys_);
        if (!err) err = obi_syscall_io::attach(sys_);
    }
    if (err) {
        *error = std::string("cannot load or attach the ") + what + " backend: " + errno_text(err);
        return false;
    }
    load_ssl();
    return true;
}

void Tracer::load_ssl()
{
    ssl_ = obi_ssl::open();
    int err = ssl_ ? 0 : -errno;
    if (!err) {
        set_data_path_rodata(*ssl_->rodata, opts_);
        err = share_maps(proc_->obj, ssl_->obj, kProcShared);
    }
    if (!err) err = share_maps(io_object(), ssl_->obj, kIoShared);
    if (!err) err = obi_ssl::load(ssl_);
    if (err) {
        spdlog::warn("TLS plaintext capture is off: cannot load the libssl probes: {}", errno_text(err));
        if (ssl_) obi_ssl::destroy(ssl_);
        ssl_ = nullptr;
        return;
    }
    auto& p = ssl_->progs;
    SslPrograms progs{p.obi_ssl_read,  p.obi_ssl_read_ex, p.obi_ssl_write, p.obi_ssl_write_ex,
                      p.obi_ssl_other, p.obi_ssl_free,    p.obi_ssl_ret,   p.obi_dl_state};
    ssl_probes_ = std::make_unique<SslProbes>(progs);
}

Tracer::~Tracer()
{
    ssl_probes_.reset();  // uprobe links first
    if (ssl_) obi_ssl::destroy(ssl_);
    if (sock_) obi_sock_io::destroy(sock_);
    if (sys_) obi_syscall_io::destroy(sys_);
    pids_.reset();
    if (pid_slots_map_) munmap(pid_slots_map_, pid_slots_len_);
    if (proc_) obi_proc::destroy(proc_);
}

bpf_object* Tracer::io_object() const { return sock_ ? sock_->obj : (sys_ ? sys_->obj : nullptr); }

int Tracer::data_ringbuf_fd() const { return bpf_map__fd(proc_->maps.obi_data_events); }
int Tracer::ctrl_ringbuf_fd() const { return bpf_map__fd(proc_->maps.obi_ctrl_events); }

bool Tracer::trace_pid(uint32_t pid) { return pids_->add(pid); }

void Tracer::untrace_pid(uint32_t pid)
{
    pids_->remove(pid);
    bpf_map_delete_elem(bpf_map__fd(proc_->maps.obi_proc_ctx), &pid);
}

bool Tracer::is_traced(uint32_t pid) const { return pids_->contains(pid); }

void Tracer::add_listen_port(uint32_t netns, uint16_t port)
{
    obi_listen_key key{};
    key.netns = netns;
    key.port = port;
    uint32_t count = 0;
    if (bpf_map_lookup_elem(listen_fd_, &key, &count) == 0) return;  // already known to the kernel
    count = 1;
    bpf_map_update_elem(listen_fd_, &key, &count, BPF_NOEXIST);
}

void Tracer::select_ports(const std::vector<std::pair<uint16_t, uint16_t>>& ranges)
{
    int fd = bpf_map__fd(proc_->maps.obi_port_select);
    uint8_t one = 1;
    for (const auto& [lo, hi] : ranges)
        for (uint32_t port = lo; port <= hi; port++) bpf_map_update_elem(fd, &port, &one, BPF_ANY);
}

std::vector<uint32_t> Tracer::kernel_pids() const { return pids_->pids(); }

KernelStats Tracer::read_stats() const
{
    KernelStats s;
    std::vector<uint64_t> values(ncpus_);
    auto total = [&](uint32_t idx) {
        uint64_t sum = 0;
        if (bpf_map_lookup_elem(stats_fd_, &idx, values.data()) == 0)
            for (uint64_t v : values) sum += v;
        return sum;
    };
    s.data_lost = total(OBI_STAT_DATA_LOST);
    s.ctrl_lost = total(OBI_STAT_CTRL_LOST);
    s.truncated = total(OBI_STAT_TRUNCATED);
    s.conns_created = total(OBI_STAT_CONN_CREATED);
    s.skipped = total(OBI_STAT_SKIPPED);
    s.tls_hidden = total(OBI_STAT_TLS_HIDDEN);
    s.tls_untied = total(OBI_STAT_TLS_UNTIED);
    return s;
}

std::vector<std::string> Tracer::attached_programs() const
{
    std::vector<std::string> out;
    for (bpf_object* obj : {proc_ ? proc_->obj : nullptr, io_object(), ssl_ ? ssl_->obj : nullptr}) {
        if (!obj) continue;
        bpf_program* prog;
        bpf_object__for_each_program(prog, obj)
        {
            out.push_back(std::string(bpf_program__name(prog)) + " (" + bpf_program__section_name(prog) + ")");
        }
    }
    return out;
}

}  // namespace obi::ebpf
