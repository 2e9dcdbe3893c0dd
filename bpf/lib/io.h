/* The data path shared by every probe backend: given a socket, a direction, the byte
 * count and the syscall's arguments, update the connection state and emit one event. */
#ifndef OBI_BPF_IO_H
#define OBI_BPF_IO_H

#include "capture.h"
#include "trace_ctx.h"

static __always_inline bool io__pid_traced(__u32 pid)
{
    return bpf_map_lookup_elem(&obi_pid_filter, &pid) != NULL;
}

static __always_inline __u64 io__wakeup_flag(void)
{
    __u64 queued = bpf_ringbuf_query(&obi_data_events, BPF_RB_AVAIL_DATA);
    return queued >= obi_wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* Sets the trace context of a message start (see trace_ctx.h). */
static __always_inline void io__message_start(struct obi_conn_state *st, __u64 sock_id, __u64 pid_tgid, __u32 dir,
                                              struct obi_trace_ctx *out)
{
    if (dir == OBI_DIR_INGRESS && st->role == OBI_ROLE_SERVER) {
        tctx__server_request(st, sock_id, pid_tgid, out);
        return;
    }
    if (dir == OBI_DIR_EGRESS && st->role == OBI_ROLE_CLIENT) {
        tctx__client_request(pid_tgid, out);
        return;
    }
    if (dir == OBI_DIR_EGRESS && st->role == OBI_ROLE_SERVER)
        tctx__server_response(st, pid_tgid);
    __builtin_memset(out, 0, sizeof(*out));
}

/* One socket call of a traced process. Not inlined: each backend calls it from several
 * programs, and the mmsg loops call it per message. */
static __noinline int io__handle(const struct sock *sk, __u32 dir, __s64 ret, const struct obi_io_args *args,
                                 __u32 source)
{
    if (ret <= 0 || sk == NULL)
        return 0;
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    __u32 pid = pid_tgid >> 32;
    bool created = false;
    struct obi_conn_state *st = conn__get(sk, pid, &created);
    if (!st) {
        stats__inc(OBI_STAT_SKIPPED);
        return 0;
    }
    __u32 zero = 0;
    struct obi_scratch *scratch = bpf_map_lookup_elem(&obi_scratch, &zero);
    if (!scratch)
        return 0;
    struct obi_data_event *ev = (struct obi_data_event *)scratch->buf;
    __u8 *data = scratch->buf + sizeof(struct obi_data_event);
    __u64 sock_id = (__u64)sk;

    __u8 flags = created ? OBI_DF_NEW_CONN : 0;
    if (st->last_dir != dir) {
        flags |= OBI_DF_MSG_START;
        st->last_dir = dir;
        st->msg_captured = 0;
        io__message_start(st, sock_id, pid_tgid, dir, &ev->tctx);
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
    if (st->capture_mode == OBI_CAPTURE_UNDECIDED && captured > 0) {
        OBI_BARRIER_VAR(captured);
        st->capture_mode = conn__http1_start(data, captured) ? OBI_CAPTURE_PER_BURST : OBI_CAPTURE_PER_CALL;
    }
    if (!readable)
        flags |= OBI_DF_SIZE_ONLY;
    else if (captured < len) {
        flags |= OBI_DF_TRUNCATED;
        stats__inc(OBI_STAT_TRUNCATED);
    }
    ev->flags = flags;
    ev->captured_len = captured;

    OBI_BARRIER_VAR(captured);
    __u64 size = sizeof(struct obi_data_event) + (captured & (2 * OBI_CAPTURE_MAX - 1));
    if (bpf_ringbuf_output(&obi_data_events, ev, size, io__wakeup_flag()) != 0)
        stats__inc(OBI_STAT_DATA_LOST); /* delivered events are counted in user space */
    return 0;
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
