// SPDX-License-Identifier: GPL-2.0
/* Probe backend "sock_tp": socket data from the sock:sock_send_length and
 * sock:sock_recv_length tracepoints (kernel >= 6.3). They fire only for socket I/O, after
 * the data was copied; the syscall's own arguments come from the task's saved registers. */
#define OBI_IO_INLINE_CALL /* each program handles one call site */
#include "lib/io.h"

char LICENSE[] SEC("license") = "GPL";

/* sendmmsg/recvmmsg run the tracepoint once per message with the same registers: remember
 * per thread which message comes next. A state older than the window belongs to an
 * earlier call (the messages of one call follow each other within microseconds). */
#define OBI_MMSG_WINDOW_NS (10 * 1000 * 1000ull)
struct obi_mmsg_state {
    __u64 vec;
    __u64 ts_ns;
    __u32 next_idx;
    __u32 _pad;
};
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, __u64);
    __type(value, struct obi_mmsg_state);
} obi_mmsg SEC(".maps");

static __always_inline __u32 sock_io__mmsg_index(__u64 vec, __u64 vlen, __s64 ret)
{
    __u64 key = bpf_get_current_pid_tgid();
    __u64 now = bpf_ktime_get_ns();
    struct obi_mmsg_state *s = bpf_map_lookup_elem(&obi_mmsg, &key);
    __u32 idx = 0;
    if (s && s->vec == vec && now - s->ts_ns < OBI_MMSG_WINDOW_NS && s->next_idx < vlen)
        idx = s->next_idx;
    if (ret <= 0 || idx + 1 >= vlen) {
        bpf_map_delete_elem(&obi_mmsg, &key);
    } else {
        struct obi_mmsg_state ns = {.vec = vec, .ts_ns = now, .next_idx = idx + 1};
        bpf_map_update_elem(&obi_mmsg, &key, &ns, BPF_ANY);
    }
    return idx;
}

static __always_inline int sock_io__on_call(struct sock *sk, int ret, __u32 dir)
{
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    struct obi_pid_info *info = io__pid_info(pid_tgid >> 32);
    if (likely(!info))
        return 0;
    /* A trusted BTF pointer: direct (CO-RE relocated) loads, no helper call per field. */
    struct task_struct *task = bpf_get_current_task_btf();
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
    struct obi_io_args args = {};
    args.nr = regs->orig_ax;
    args.a1 = regs->si;
    args.a2 = regs->dx;
    args.proc_flags = info->flags;
    args.pid_tgid = pid_tgid;
    if (args.nr == OBI_NR_SENDMMSG || args.nr == OBI_NR_RECVMMSG)
        args.mmsg_idx = sock_io__mmsg_index(args.a1, args.a2, ret);
    if (ret <= 0) /* nothing moved (EAGAIN of a non-blocking socket, an error, EOF) */
        return 0;
    /* io__handle takes the socket as an address (a global function accepts no kernel
     * pointer). Pointer minus pointer is a number to a privileged program, so the address is
     * the socket's distance from the current task plus the task's address: no helper copy. */
    __u64 sk_addr = ((__u64)sk - (__u64)task) + bpf_get_current_task();
    return io__handle((const struct sock *)sk_addr, dir, ret, &args, OBI_SRC_SOCK_TP);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(obi_sock_send, struct sock *sk, int ret, int flags)
{
    return sock_io__on_call(sk, ret, OBI_DIR_EGRESS);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(obi_sock_recv, struct sock *sk, int ret, int flags)
{
    if (flags & MSG_PEEK) /* peeked bytes are read again later */
        return 0;
    return sock_io__on_call(sk, ret, OBI_DIR_INGRESS);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(obi_sock_state, const struct sock *sk, const int oldstate, const int newstate)
{
    io__state_change(sk, oldstate, newstate);
    return 0;
}
