// Kernel and privilege probes: reads BTF for the tracepoint types, checks tracefs,
// capabilities, ring buffer support, and explains every failure with a fix.
#include "ebpf/kernel_check.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace obi::ebpf {
namespace {

bool exists(const char* path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

const char* tracefs_root()
{
    if (exists("/sys/kernel/tracing/events")) return "/sys/kernel/tracing";
    if (exists("/sys/kernel/debug/tracing/events")) return "/sys/kernel/debug/tracing";
    return nullptr;
}

uint64_t effective_caps()
{
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (syscall(SYS_capget, &hdr, data) != 0) return 0;
    return static_cast<uint64_t>(data[1].effective) << 32 | data[0].effective;
}

bool has_cap(uint64_t caps, int cap) { return (caps >> cap) & 1; }

}  // namespace

bool KernelReport::fatal() const
{
    for (const auto& i : items)
        if (i.required && !i.ok) return true;
    return false;
}

std::string KernelReport::format() const
{
    std::ostringstream out;
    out << "kernel " << kernel_release << "\n";
    for (const auto& i : items)
        out << "  [" << (i.ok ? " ok " : (i.required ? "FAIL" : "warn")) << "] " << i.name << ": " << i.detail << "\n";
    return out.str();
}

KernelReport check_kernel()
{
    KernelReport r;
    struct utsname u;
    if (uname(&u) == 0) r.kernel_release = u.release;

    uint64_t caps = effective_caps();
    bool admin = has_cap(caps, CAP_SYS_ADMIN);
    bool bpf_ok = admin || (has_cap(caps, 39 /*CAP_BPF*/) && has_cap(caps, 38 /*CAP_PERFMON*/));
    r.items.push_back({"capabilities", bpf_ok, true,
                       bpf_ok ? (admin ? "CAP_SYS_ADMIN" : "CAP_BPF and CAP_PERFMON")
                              : "missing CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN): run as root, or grant them, e.g. "
                                "`setcap cap_bpf,cap_perfmon,cap_sys_ptrace,cap_dac_read_search,cap_net_admin+ep "
                                "ebpf-instrument`"});
    bool ptrace = admin || has_cap(caps, CAP_SYS_PTRACE);
    r.items.push_back({"process inspection", ptrace, false,
                       ptrace ? "can read /proc of other processes"
                              : "missing CAP_SYS_PTRACE: executable paths and environments of other users' processes "
                                "cannot be read, so discovery by executable or service name may miss them"});

    struct btf* vmlinux = btf__load_vmlinux_btf();
    r.btf = vmlinux != nullptr;
    r.items.push_back({"kernel BTF", r.btf, true,
                       r.btf ? "/sys/kernel/btf/vmlinux"
                             : "not found: the kernel must be built with CONFIG_DEBUG_INFO_BTF=y (most distribution "
                               "kernels since 5.8 are)"});
    if (vmlinux) {
        auto has_tp = [&](const char* name) { return btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) > 0; };
        r.sock_tracepoints = has_tp("btf_trace_sock_send_length") && has_tp("btf_trace_sock_recv_length");
        r.sched_tp_btf = has_tp("btf_trace_sched_process_exec") && has_tp("btf_trace_sched_process_fork") &&
                         has_tp("btf_trace_sched_process_exit");
        btf__free(vmlinux);
    }

    const char* tfs = tracefs_root();
    if (!tfs && bpf_ok) {
        mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr);
        tfs = tracefs_root();
    }
    r.tracefs = tfs != nullptr;
    r.items.push_back({"tracefs", r.tracefs, false,
                       r.tracefs ? std::string(tfs)
                                 : "not mounted and could not be mounted: `mount -t tracefs tracefs /sys/kernel/tracing` "
                                   "(needed only by the syscall tracepoint backend)"});
    if (tfs) {
        std::string base = std::string(tfs) + "/events/syscalls/sys_enter_read";
        r.syscall_tracepoints = exists(base.c_str());
    }

    r.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
    r.items.push_back({"BPF ring buffer", r.ringbuf, true,
                       r.ringbuf ? "available" : "not available: kernel 5.8 or newer is required"});
    r.items.push_back({"process tracepoints (tp_btf sched_process_*)", r.sched_tp_btf, true,
                       r.sched_tp_btf ? "available" : "not available: kernel 5.5 or newer with BTF is required"});
    r.items.push_back({"socket tracepoints (sock_send_length/sock_recv_length)", r.sock_tracepoints, false,
                       r.sock_tracepoints ? "available: probe backend sock_tracepoints (cheapest) can run"
                                          : "not available (kernel < 6.3): the syscall tracepoint backend is used"});
    r.items.push_back({"syscall tracepoints", r.syscall_tracepoints, false,
                       r.syscall_tracepoints ? "available: probe backend syscall_tracepoints can run"
                                             : "not available: needs CONFIG_FTRACE_SYSCALLS and tracefs"});
    r.items.push_back({"a probe backend", r.sock_tracepoints || r.syscall_tracepoints, true,
                       (r.sock_tracepoints || r.syscall_tracepoints)
                           ? "at least one can run"
                           : "neither socket tracepoints (kernel >= 6.3) nor syscall tracepoints are available"});
    return r;
}

}  // namespace obi::ebpf
