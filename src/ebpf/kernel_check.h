// What this kernel and these privileges allow: BTF, tracefs, capabilities, BPF features
// and which probe backends can run. Feeds --check and the start-up log.
#pragma once

#include <string>
#include <vector>

namespace obi::ebpf {

struct CheckItem {
    std::string name;
    bool ok = false;
    bool required = true;  // a failed required item stops the agent
    std::string detail;    // what was found, or what is missing and how to fix it
};

struct KernelReport {
    std::string kernel_release;
    bool btf = false;
    bool tracefs = false;
    bool ringbuf = false;
    bool sock_tracepoints = false;     // tp_btf sock_send_length / sock_recv_length
    bool syscall_tracepoints = false;  // tracepoint/syscalls/sys_{enter,exit}_*
    bool sched_tp_btf = false;
    std::vector<CheckItem> items;

    bool fatal() const;
    std::string format() const;  // human-readable, one line per item
};

// Probes the running kernel. Mounts tracefs at /sys/kernel/tracing when it is missing
// and we are allowed to (as OBI needs it for tracepoint ids).
KernelReport check_kernel();

}  // namespace obi::ebpf
