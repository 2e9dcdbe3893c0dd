// SPDX-License-Identifier: GPL-2.0
/* Probe backend "syscall_tp": socket data from the syscall enter/exit tracepoints, for
 * kernels without the socket tracepoints (< 6.3). Costlier: once any syscall tracepoint is
 * enabled every syscall of every process takes the kernel's slow path. Enter saves the
 * arguments of traced processes; exit resolves the fd to its socket and emits the event. */
#include "lib/io.h"

char LICENSE[] SEC("license") = "GPL";

struct obi_pending_call {
    struct obi_io_args args;
    __s32 fd;
    __u32 dir;
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, struct obi_pending_call);
} obi_pending SEC(".maps");

/* Max messages of one sendmmsg/recvmmsg reported (verifier bound). */
#define OBI_MAX_MMSG 8

static __always_inline int sys_io__enter(struct trace_event_raw_sys_enter *ctx, __u64 nr, __u32 dir)
{
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    struct obi_pid_info *info = io__pid_info(pid_tgid >> 32);
    if (likely(!info))
        return 0;
    struct obi_pending_call call = {.fd = (__s32)ctx->args[0], .dir = dir};
    call.args.proc_flags = info->flags;
    call.args.nr = nr;
    call.args.a1 = ctx->args[1];
    call.args.a2 = ctx->args[2];
    bpf_map_update_elem(&obi_pending, &pid_tgid, &call, BPF_ANY);
    return 0;
}

static __always_inline struct sock *sys_io__fd_sock(__s32 fd)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
    if (fd < 0 || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
        return NULL;
    struct file **fds = BPF_CORE_READ(fdt, fd);
    struct file *file = NULL;
    bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
    if (!file)
        return NULL;
    __u16 mode = BPF_CORE_READ(file, f_inode, i_mode);
    if ((mode & S_IFMT) != S_IFSOCK)
        return NULL;
    struct socket *sock = BPF_CORE_READ(file, private_data);
    return BPF_CORE_READ(sock, sk);
}

static __always_inline int sys_io__exit(struct trace_event_raw_sys_exit *ctx)
{
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    struct obi_pending_call *p = bpf_map_lookup_elem(&obi_pending, &pid_tgid);
    if (!p)
        return 0;
    struct obi_pending_call call = *p;
    bpf_map_delete_elem(&obi_pending, &pid_tgid);
    call.args.pid_tgid = pid_tgid;
    long ret = ctx->ret;
    if (ret <= 0)
        return 0;
    struct sock *sk = sys_io__fd_sock(call.fd);
    if (!sk)
        return 0;
    if (call.args.nr != OBI_NR_SENDMMSG && call.args.nr != OBI_NR_RECVMMSG)
        return io__handle(sk, call.dir, ret, &call.args, OBI_SRC_SYSCALL_TP);
    /* ret is the number of messages; each message's length is in its msg_len. */
    for (__u32 i = 0; i < OBI_MAX_MMSG; i++) {
        if (i >= ret)
            break;
        struct mmsghdr *m = (struct mmsghdr *)(call.args.a1 + (__u64)i * sizeof(struct mmsghdr));
        __u32 len = 0;
        bpf_probe_read_user(&len, sizeof(len), &m->msg_len);
        call.args.mmsg_idx = i;
        io__handle(sk, call.dir, len, &call.args, OBI_SRC_SYSCALL_TP);
    }
    return 0;
}

#define OBI_SYSCALL(name, nr, dir)                                                                                     \
    SEC("tracepoint/syscalls/sys_enter_" #name)                                                                         \
    int obi_enter_##name(struct trace_event_raw_sys_enter *ctx) { return sys_io__enter(ctx, nr, dir); }               \
    SEC("tracepoint/syscalls/sys_exit_" #name)                                                                          \
    int obi_exit_##name(struct trace_event_raw_sys_exit *ctx) { return sys_io__exit(ctx); }

OBI_SYSCALL(read, OBI_NR_READ, OBI_DIR_INGRESS)
OBI_SYSCALL(write, OBI_NR_WRITE, OBI_DIR_EGRESS)
OBI_SYSCALL(readv, OBI_NR_READV, OBI_DIR_INGRESS)
OBI_SYSCALL(writev, OBI_NR_WRITEV, OBI_DIR_EGRESS)
OBI_SYSCALL(recvfrom, OBI_NR_RECVFROM, OBI_DIR_INGRESS)
OBI_SYSCALL(sendto, OBI_NR_SENDTO, OBI_DIR_EGRESS)
OBI_SYSCALL(recvmsg, OBI_NR_RECVMSG, OBI_DIR_INGRESS)
OBI_SYSCALL(sendmsg, OBI_NR_SENDMSG, OBI_DIR_EGRESS)
OBI_SYSCALL(recvmmsg, OBI_NR_RECVMMSG, OBI_DIR_INGRESS)
OBI_SYSCALL(sendmmsg, OBI_NR_SENDMMSG, OBI_DIR_EGRESS)
OBI_SYSCALL(sendfile64, OBI_NR_SENDFILE, OBI_DIR_EGRESS)

SEC("tracepoint/sock/inet_sock_set_state")
int obi_sys_sock_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
    if (ctx->protocol != IPPROTO_TCP)
        return 0;
    io__state_change((const struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate);
    return 0;
}
