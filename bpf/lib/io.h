/* The data path shared by every probe backend: given a socket, a direction, the byte
 * count and the syscall's arguments, update the connection state and emit one event. */
#ifndef OBI_BPF_IO_H
#define OBI_BPF_IO_H

#include "capture.h"
#include "trace_ctx.h"
#include "ssl.h"

static __always_inline struct obi_pid_info *io__pid_info(__u32 pid)
{
    return pids__find(pid);
}

static __always_inline bool io__pid_traced(__u32 pid)
{
    return io__pid_info(pid) != NULL;
}

static __always_inline __u64 io__wakeup_flag(void)
{
    __u64 queued = bpf_ringbuf_query(&obi_data_events, BPF_RB_AVAIL_DATA);
    return queued >= obi_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* The wakeup flag of a data event of `size` bytes built in the CPU's scratch: the ring's
 * fill is looked at only every obi_query_bytes of this CPU's output (a helper call saved
 * on almost every event; user space also drains on a timer). */
static __always_inline __u64 io__wakeup_flag_every(struct obi_scratch *scratch, __u64 size)
{
    scratch->unqueried += size;
    if (scratch->unqueried < obi_query_bytes)
        return BPF_RB_NO_WAKEUP;
    scratch->unqueried = 0;
    return io__wakeup_flag();
}

/* Sets the trace context of a message start (see trace_ctx.h). */
static __always_inline void io__message_start(struct obi_conn_state *st, __u64 sock_id, __u64 pid_tgid, __u32 dir,
                                              __u32 proc_flags, struct obi_trace_ctx *out)
{
    if (dir == OBI_DIR_INGRESS && st->role == OBI_ROLE_SERVER) {
        if (!(proc_flags & OBI_PID_SERVES)) {
            struct obi_pid_info *info = io__pid_info(pid_tgid >> 32);
            /* Not atomic (a 32-bit atomic OR needs a newer BPF ISA than the syscall backend's
             * kernels): a flag lost to a concurrent setter is set again by its next setter. */
            if (info)
                info->flags |= OBI_PID_SERVES;
        }
        tctx__server_request(st, sock_id, pid_tgid, out);
        return;
    }
    if (dir == OBI_DIR_EGRESS && st->role == OBI_ROLE_CLIENT) {
        tctx__client_request(pid_tgid, proc_flags & OBI_PID_SERVES, out);
        return;
    }
    if (dir == OBI_DIR_EGRESS && st->role == OBI_ROLE_SERVER)
        tctx__server_response(st, pid_tgid);
    __builtin_memset(out, 0, sizeof(*out));
}

/* The message header of a sendmsg/recvmsg call, or of message mmsg_idx of a sendmmsg/recvmmsg. */
static __always_inline bool io__msghdr(const struct obi_io_args *a, struct user_msghdr *m)
{
    __u64 hdr = a->a1;
    if (a->nr == OBI_NR_SENDMMSG || a->nr == OBI_NR_RECVMMSG) {
        if (a->mmsg_idx >= a->a2)
            return false;
        hdr += (__u64)a->mmsg_idx * sizeof(struct mmsghdr);
    } else if (a->nr != OBI_NR_SENDMSG && a->nr != OBI_NR_RECVMSG) {
        return false;
    }
    return bpf_probe_read_user(m, sizeof(*m), (const void *)hdr) == 0;
}

/* UDP sockets are captured from their first send that starts like a DNS query (RFC 1035
 * header: a query, opcode QUERY/NOTIFY/UPDATE, one question, plausible counts), on any
 * port: resolvers listen on 53, but local, test and split-horizon resolvers anywhere. For
 * other UDP traffic of a traced process this costs a map lookup per call and one 13-byte
 * read per send, and only DNS sockets reach user space, which parses them strictly. */
static __always_inline int io__dns_query_start(const struct obi_io_args *a, __s64 ret)
{
    if (ret < 17 || ret > 65535) /* header, root name, type and class; the UDP payload limit */
        return 0;
    const void *p = (const void *)a->a1;
    __u64 seg = ret;
    struct iovec v;
    struct user_msghdr m;
    switch (a->nr) {
    case OBI_NR_WRITE:
    case OBI_NR_SENDTO:
        break;
    case OBI_NR_WRITEV:
        if (a->a2 == 0 || bpf_probe_read_user(&v, sizeof(v), p) != 0)
            return 0;
        p = v.iov_base;
        seg = v.iov_len;
        break;
    case OBI_NR_SENDMSG:
    case OBI_NR_SENDMMSG:
        if (!io__msghdr(a, &m) || m.msg_iovlen == 0 || bpf_probe_read_user(&v, sizeof(v), m.msg_iov) != 0)
            return 0;
        p = v.iov_base;
        seg = v.iov_len;
        break;
    default:
        return 0;
    }
    __u8 h[13]; /* the header and the first label's length */
    if (seg < sizeof(h) || bpf_probe_read_user(h, sizeof(h), p) != 0)
        return 0;
    /* flags: QR and TC clear (h[2] 0x82); Z and RCODE zero (h[3] 0x4f) */
    if ((h[2] & 0x82) || (h[3] & 0x4f) || h[4] != 0 || h[5] != 1 || h[10] != 0 || h[11] > 2 || h[12] > 63)
        return 0;
    __u8 opcode = (h[2] >> 3) & 0xf;
    __u16 an = ((__u16)h[6] << 8) | h[7], ns = ((__u16)h[8] << 8) | h[9];
    if (opcode == 0)
        return an == 0 && ns == 0;
    return (opcode == 4 || opcode == 5) && an <= 16 && ns <= 64;
}

/* The state of a UDP socket; created by a send that starts a DNS query. */
static __always_inline struct obi_conn_state *io__udp_state(const struct sock *sk, __u32 pid, __u32 dir, __s64 ret,
                                                            const struct obi_io_args *args, __u32 source,
                                                            bool *created)
{
    *created = false;
    if (conn__ip_proto(sk) != IPPROTO_UDP)
        return NULL;
    struct obi_conn_state *st = conn__udp_find(sk, created);
    if (st || dir != OBI_DIR_EGRESS || source == OBI_SRC_SSL_UPROBE || !io__dns_query_start(args, ret))
        return st;
    return conn__udp_create(sk, pid, created);
}

/* The peer of one datagram, into t->remote_*: the destination of a send (sendto's
 * dest_addr, msg_name), or the source of a receive when it is in user memory already, at
 * syscall exit (the kernel writes src_addr / msg_name after the socket tracepoints fired,
 * just before the syscall returns). Otherwise the connected peer stays, and a receive on
 * an unconnected socket has port 0: user space takes the resolver from the query the
 * response answers. */
static __always_inline int io__udp_peer(const struct obi_io_args *a, __u32 dir, __u32 source, struct obi_conn_tuple *t)
{
    if (dir == OBI_DIR_INGRESS && source != OBI_SRC_SYSCALL_TP)
        return 0;
    __u64 name = 0;
    struct user_msghdr m;
    if (a->nr == OBI_NR_SENDTO || a->nr == OBI_NR_RECVFROM) {
        /* dest_addr / src_addr: the 5th syscall argument, in the task's saved registers */
        struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
        name = BPF_CORE_READ(regs, r8);
    } else if (io__msghdr(a, &m) && m.msg_namelen >= 8) {
        name = (__u64)m.msg_name;
    }
    if (!name)
        return 0;
    struct {
        __u16 family;
        __be16 port;
        __be32 addr4;
    } sa;
    __u8 addr6[16];
    if (bpf_probe_read_user(&sa, sizeof(sa), (const void *)name) != 0)
        return 0;
    if (sa.family == AF_INET) {
        conn__v4_mapped(t->remote_addr, sa.addr4);
    } else if (sa.family == AF_INET6 && bpf_probe_read_user(addr6, sizeof(addr6), (const void *)(name + 8)) == 0) {
        __builtin_memcpy(t->remote_addr, addr6, sizeof(addr6));
    } else {
        return 0;
    }
    t->remote_port = bpf_ntohs(sa.port);
    return 0;
}

/* One socket call of a traced process. A global function: the syscall backend and the
 * libssl probes call it from several programs and the mmsg loops call it per message, and a
 * global function is verified once per program, not once per call site (the syscall
 * backend's exit programs would exceed the verifier's 1M-instruction budget). A backend
 * whose programs call it once each (sock_io.bpf.c) defines OBI_IO_INLINE_CALL first: inlined,
 * it saves the call and the spills of its arguments. It takes the socket as an address
 * (a global function accepts no kernel pointer). */
#ifdef OBI_IO_INLINE_CALL
#define OBI_IO_CALL_ATTR static __always_inline
#else
#define OBI_IO_CALL_ATTR __noinline
#endif
OBI_IO_CALL_ATTR int io__handle_call(__u64 sk_addr, __u32 dir, __s64 ret, const struct obi_io_args *args, __u32 source)
{
    const struct sock *sk = (const struct sock *)sk_addr;
    if (ret <= 0 || sk == NULL || args == NULL)
        return 0;
    __u64 pid_tgid = args->pid_tgid;
    __u32 pid = pid_tgid >> 32;
    bool created = false;
    struct obi_conn_state *st = conn__get(sk, pid, &created);
    if (unlikely(!st))
        st = io__udp_state(sk, pid, dir, ret, args, source, &created);
    if (unlikely(!st)) {
        stats__inc(OBI_STAT_SKIPPED);
        return 0;
    }
    /* TLS ciphertext is not emitted: its plaintext comes from the libssl probes. Only a
     * connection already known as TLS, one whose first bytes are still to be seen (a TLS
     * handshake?) or a process that made SSL calls needs the check. */
    bool maybe_tls = (st->tls & OBI_CONN_TLS) || st->capture_mode == OBI_CAPTURE_UNDECIDED ||
                     (args->proc_flags & OBI_PID_SSL_CALLS);
    if (unlikely(source != OBI_SRC_SSL_UPROBE && maybe_tls) && ssl__hide_ciphertext(st, (__u64)sk, args, dir, ret))
        return 0;
    __u32 zero = 0;
    struct obi_scratch *scratch = bpf_map_lookup_elem(&obi_scratch, &zero);
    if (!scratch)
        return 0;
    struct obi_data_event *ev = (struct obi_data_event *)scratch->buf;
    __u8 *data = scratch->buf + sizeof(struct obi_data_event);
    __u64 sock_id = (__u64)sk;

    __u8 flags = created ? OBI_DF_NEW_CONN : 0;
    flags |= st->tls & OBI_DF_TLS; /* only the plaintext of a TLS connection gets here (no branch: see conn.h) */
    if (unlikely(st->datagram)) { /* every datagram is a message */
        flags |= OBI_DF_DATAGRAM;
        st->last_dir = OBI_DIR_NONE;
    }
    if (st->last_dir != dir) {
        flags |= OBI_DF_MSG_START;
        st->last_dir = dir;
        st->msg_captured = 0;
        io__message_start(st, sock_id, pid_tgid, dir, args->proc_flags, &ev->tctx);
    } else {
        __builtin_memset(&ev->tctx, 0, sizeof(ev->tctx));
    }

    ev->kind = OBI_EV_DATA;
    ev->direction = dir;
    ev->role = st->role;
    ev->source = source;
    ev->tail_len = 0;
    ev->syscall_nr = args->nr;
    ev->pid = pid;
    ev->tid = (__u32)pid_tgid;
    ev->seq = st->seq++;
    ev->bytes = ret;
    ev->ts_ns = bpf_ktime_get_ns();
    ev->sock_id = sock_id;
    ev->conn_id = st->conn_id;
    ev->tuple = st->tuple;
    if (unlikely(st->datagram))
        io__udp_peer(args, dir, source, &ev->tuple);

    __u32 cap_size = obi_capture_size;
    __u32 budget = cap_size;
    if (st->capture_mode != OBI_CAPTURE_PER_CALL)
        budget = cap_size > st->msg_captured ? cap_size - st->msg_captured : 0;
    __u32 len = ret > 0x7fffffff ? 0x7fffffff : (__u32)ret;
    bool readable = true;
    __u32 captured = cap__call(ev, data, budget, args, len, &readable);
    if (captured > OBI_CAPTURE_MAX)
        captured = OBI_CAPTURE_MAX;
    st->msg_captured += captured;
    if (unlikely(st->capture_mode == OBI_CAPTURE_UNDECIDED && captured > 0)) {
        OBI_BARRIER_VAR(captured);
        st->capture_mode = conn__http1_start(data, captured) ? OBI_CAPTURE_PER_BURST : OBI_CAPTURE_PER_CALL;
    }
    if (unlikely(!readable))
        flags |= OBI_DF_SIZE_ONLY;
    else if (captured < len) {
        flags |= OBI_DF_TRUNCATED;
        stats__inc(OBI_STAT_TRUNCATED);
    }
    ev->flags = flags;
    ev->captured_len = captured;

    __u32 carried = captured + ev->tail_len; /* the tail follows the captured bytes */
    OBI_BARRIER_VAR(carried);
    __u64 size = sizeof(struct obi_data_event) + (carried & (2 * OBI_CAPTURE_MAX - 1));
    if (bpf_ringbuf_output(&obi_data_events, ev, size, io__wakeup_flag_every(scratch, size)) != 0)
        stats__inc(OBI_STAT_DATA_LOST); /* delivered events are counted in user space */
    return 0;
}

static __always_inline int io__handle(const struct sock *sk, __u32 dir, __s64 ret, const struct obi_io_args *args,
                                      __u32 source)
{
    return io__handle_call((__u64)sk, dir, ret, args, source);
}

/* TCP state changes: listening ports (for the server/client role) and connection close. */
static __always_inline void io__state_change(const struct sock *sk, int oldstate, int newstate)
{
    /* Accepted sockets are cloned from their listener and report LISTEN -> SYN_RECV:
     * only LISTEN -> CLOSE ends a listener. */
    if (newstate == OBI_TCP_LISTEN || (oldstate == OBI_TCP_LISTEN && newstate == OBI_TCP_CLOSE)) {
        __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
        if (family != AF_INET && family != AF_INET6)
            return;
        struct obi_listen_key key = {.netns = conn__netns(sk), .port = BPF_CORE_READ(sk, __sk_common.skc_num)};
        __u32 *count = bpf_map_lookup_elem(&obi_listen_ports, &key);
        if (newstate == OBI_TCP_LISTEN) {
            if (count) {
                __sync_fetch_and_add(count, 1);
            } else {
                __u32 one = 1;
                bpf_map_update_elem(&obi_listen_ports, &key, &one, BPF_ANY);
            }
            struct obi_proc_event pe = {.kind = OBI_EV_LISTEN, .port = key.port, .netns = key.netns};
            pe.pid = bpf_get_current_pid_tgid() >> 32;
            __u32 port = key.port;
            __u8 *selected = bpf_map_lookup_elem(&obi_port_select, &port);
            if (selected && *selected && pe.pid != obi_agent_pid)
                maps__trace_provisionally(pe.pid);
            pe.ts_ns = bpf_ktime_get_ns();
            bpf_get_current_comm(pe.comm, sizeof(pe.comm));
            if (bpf_ringbuf_output(&obi_ctrl_events, &pe, sizeof(pe), 0) != 0)
                stats__inc(OBI_STAT_CTRL_LOST);
        } else if (count) {
            __sync_fetch_and_add(count, -1);
            if (*count == 0 || *count > 0x7fffffff)
                bpf_map_delete_elem(&obi_listen_ports, &key);
        }
        return;
    }
    if (newstate != OBI_TCP_CLOSE)
        return;
    __u64 key = (__u64)sk;
    struct obi_conn_state *st = bpf_map_lookup_elem(&obi_conns, &key);
    if (!st)
        return;
    struct obi_close_event ce = {.kind = OBI_EV_CLOSE, .role = st->role, .pid = st->pid, .seq = st->seq};
    ce.ts_ns = bpf_ktime_get_ns();
    ce.sock_id = key;
    ce.conn_id = st->conn_id;
    ce.tuple = st->tuple;
    tctx__server_closed(st);
    bpf_map_delete_elem(&obi_conns, &key);
    if (bpf_ringbuf_output(&obi_data_events, &ce, sizeof(ce), io__wakeup_flag()) != 0)
        stats__inc(OBI_STAT_DATA_LOST);
}

#endif
