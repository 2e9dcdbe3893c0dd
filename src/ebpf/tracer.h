// Loads and attaches the kernel programs: the process tracker plus one probe backend
// (socket tracepoints or syscall tracepoints), sharing one set of maps. Owns every
// program, link and map; destroying the Tracer detaches and frees all of them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "obi_events.h"
#include "ebpf/kernel_check.h"
#include "ebpf/pid_table.h"

struct obi_proc;
struct obi_sock_io;
struct obi_syscall_io;
struct obi_ssl;
struct bpf_object;

namespace obi::ebpf {

class SslProbes;

enum class Backend { SockTracepoints, SyscallTracepoints };
std::string_view backend_name(Backend b);
std::optional<Backend> parse_backend(std::string_view name);  // sock_tracepoints | syscall_tracepoints

// Picks the cheapest backend this kernel runs (socket tracepoints when present).
std::optional<Backend> choose_backend(const KernelReport& report, std::optional<Backend> forced, std::string* why);

struct TracerOptions {
    Backend backend = Backend::SockTracepoints;
    uint32_t capture_size = OBI_CAPTURE_DEFAULT;  // bytes captured per message burst
    uint32_t wakeup_bytes = 64 * 1024;     // ring buffer fill that wakes the reader early
    uint32_t ringbuf_size = 8 << 20;       // data ring buffer size (power of two)
    uint32_t agent_pid = 0;                // never traced
    // Trace every new exec provisionally until discovery decides (when some selector can
    // match a process at exec time, i.e. does not need a listening port).
    bool trace_new_execs = false;
    // Slots of the kernel's traced-process table (a power of two, at most OBI_PID_SLOTS_MAX).
    // Fewer only in tests, to make processes share slots.
    uint32_t pid_slots = OBI_PID_SLOTS_MAX;
};

struct KernelStats {
    uint64_t data_lost = 0;
    uint64_t ctrl_lost = 0;
    uint64_t truncated = 0;
    uint64_t conns_created = 0;
    uint64_t skipped = 0;
    uint64_t tls_hidden = 0;  // TLS ciphertext calls not emitted
    uint64_t tls_untied = 0;  // TLS plaintext calls dropped (SSL* not tied to a socket)
};

class Tracer {
public:
    // Loads and attaches everything; nullptr with *error explaining what failed and why.
    static std::unique_ptr<Tracer> start(const TracerOptions& opts, std::string* error);
    ~Tracer();
    Tracer(const Tracer&) = delete;
    Tracer& operator=(const Tracer&) = delete;

    Backend backend() const { return opts_.backend; }
    int data_ringbuf_fd() const;
    int ctrl_ringbuf_fd() const;

    // The kernel-side process filter: only these processes (and their forks) are traced.
    bool trace_pid(uint32_t pid);
    void untrace_pid(uint32_t pid);
    bool is_traced(uint32_t pid) const;
    // Seeds a listening port that existed before the agent started (role detection).
    void add_listen_port(uint32_t netns, uint16_t port);
    // Ports of open_ports selectors: a process that starts listening on one is traced at once.
    void select_ports(const std::vector<std::pair<uint16_t, uint16_t>>& ranges);
    // Every process in the kernel filter (including provisional entries).
    std::vector<uint32_t> kernel_pids() const;

    KernelStats read_stats() const;
    // The TLS uprobes (attach per library file), or nullptr when they could not be loaded.
    SslProbes* ssl_probes() const { return ssl_probes_.get(); }
    // "name (section)" of every attached program, for the start-up log.
    std::vector<std::string> attached_programs() const;

private:
    Tracer() = default;
    bool load(std::string* error);
    bool load_io(std::string* error);
    void load_ssl();  // optional: a failure only disables TLS plaintext
    bpf_object* io_object() const;

    TracerOptions opts_;
    obi_proc* proc_ = nullptr;
    obi_sock_io* sock_ = nullptr;
    obi_syscall_io* sys_ = nullptr;
    obi_ssl* ssl_ = nullptr;
    std::unique_ptr<SslProbes> ssl_probes_;
    std::unique_ptr<PidOverflow> pid_overflow_;
    std::unique_ptr<PidTable> pids_;
    void* pid_slots_map_ = nullptr;  // the mmap of obi_pid_slots
    size_t pid_slots_len_ = 0;
    int listen_fd_ = -1;
    int stats_fd_ = -1;
    int ncpus_ = 1;
};

}  // namespace obi::ebpf
