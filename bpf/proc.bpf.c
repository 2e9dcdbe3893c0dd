// SPDX-License-Identifier: GPL-2.0
/* Process tracker: reports exec to discovery, follows forks of traced processes in the
 * kernel (a forked worker is traced from its first instruction), and forgets processes
 * that exit. Owns the maps the I/O backends share. */
#include "lib/maps.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline void proc__emit(__u8 kind, __u32 pid, __u32 ppid)
{
    struct obi_proc_event ev = {.kind = kind, .pid = pid, .ppid = ppid};
    ev.ts_ns = bpf_ktime_get_ns();
    bpf_get_current_comm(ev.comm, sizeof(ev.comm));
    if (bpf_ringbuf_output(&obi_ctrl_events, &ev, sizeof(ev), 0) != 0)
        stats__inc(OBI_STAT_CTRL_LOST);
}

/* Built in the ring (too large for the stack). Runs in the new program's context, so its
 * arguments are the current task's user memory, written by exec just before. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(obi_proc_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
    __u32 tgid = BPF_CORE_READ(p, tgid);
    if (obi_trace_new_execs && tgid != obi_agent_pid)
        maps__trace_provisionally(tgid);
    struct obi_exec_event *ev = bpf_ringbuf_reserve(&obi_ctrl_events, sizeof(*ev), 0);
    if (!ev) {
        stats__inc(OBI_STAT_CTRL_LOST);
        return 0;
    }
    ev->proc.kind = OBI_EV_PROC_EXEC;
    ev->proc._pad = 0;
    ev->proc.port = 0;
    ev->proc.pid = tgid;
    ev->proc.ppid = BPF_CORE_READ(p, real_parent, tgid);
    ev->proc.netns = 0;
    ev->proc.ts_ns = bpf_ktime_get_ns();
    bpf_get_current_comm(ev->proc.comm, sizeof(ev->proc.comm));
    ev->_pad = 0;
    if (bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), BPF_CORE_READ(bprm, filename)) < 0)
        ev->path[0] = 0;
    __u64 start = BPF_CORE_READ(p, mm, arg_start), end = BPF_CORE_READ(p, mm, arg_end);
    __u32 len = end > start ? (end - start > OBI_EXEC_ARGS_LEN ? OBI_EXEC_ARGS_LEN : end - start) : 0;
    if (len == 0 || bpf_probe_read_user(ev->args, len, (const void *)start) != 0)
        len = 0;
    ev->args_len = len;
    bpf_ringbuf_submit(ev, 0);
    return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(obi_proc_fork, struct task_struct *parent, struct task_struct *child)
{
    __u32 child_pid = BPF_CORE_READ(child, pid);
    __u32 child_tgid = BPF_CORE_READ(child, tgid);
    if (child_pid != child_tgid) /* a new thread, not a new process */
        return 0;
    __u32 parent_tgid = BPF_CORE_READ(parent, tgid);
    struct obi_pid_info *info = pids__find(parent_tgid);
    if (!info)
        return 0;
    pids__add(child_tgid, info->flags, false);
    proc__emit(OBI_EV_PROC_FORK, child_tgid, parent_tgid);
    return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(obi_proc_exit, struct task_struct *p)
{
    __u32 tgid = BPF_CORE_READ(p, tgid);
    if (!pids__find(tgid))
        return 0;
    if (BPF_CORE_READ(p, signal, live.counter) != 0) /* other threads still run */
        return 0;
    pids__remove(tgid);
    bpf_map_delete_elem(&obi_proc_ctx, &tgid);
    proc__emit(OBI_EV_PROC_EXIT, tgid, 0);
    return 0;
}
