// SPDX-License-Identifier: GPL-2.0
/* TLS plaintext from OpenSSL's API (libssl.so, or binaries carrying it, like node): uprobes
 * remember which SSL call a thread is in; uretprobes hand the plaintext to the common data
 * path (io__handle) under the socket the SSL* is tied to, so it gets that connection's
 * 4-tuple, role, sequence and trace context. Attached once per library file by the agent
 * (src/ebpf/ssl_probes.cpp); the pid filter selects the traced processes. */
#include "lib/io.h"

char LICENSE[] SEC("license") = "GPL";

static __always_inline int ssl__enter(__u64 ssl, __u64 buf, __u64 out_len, __u8 kind, __u8 ex)
{
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    struct obi_pid_info *info = io__pid_info(pid_tgid >> 32);
    if (likely(!info) || ssl == 0)
        return 0;
    if (!(info->flags & OBI_PID_SSL_CALLS))
        info->flags |= OBI_PID_SSL_CALLS; /* its socket calls may be TLS from now on */
    struct obi_ssl_call *cur = bpf_map_lookup_elem(&obi_ssl_calls, &pid_tgid);
    if (cur && cur->ssl == ssl && cur->kind == kind && cur->depth < 8) {
        cur->depth++; /* nested: the outermost call reports */
        return 0;
    }
    struct obi_ssl_call call = {.ssl = ssl, .buf = buf, .out_len = out_len, .kind = kind, .ex = ex};
    bpf_map_update_elem(&obi_ssl_calls, &pid_tgid, &call, BPF_ANY);
    return 0;
}

/* The socket the SSL* talks through, or 0. Memory BIOs (no socket call inside SSL calls):
 * the thread's ciphertext read just before this call, else the write just after it. A
 * global function: its stack is not part of the data path's call chain. */
__noinline __u64 ssl__socket(__u64 pid_tgid, __u64 ssl)
{
    struct obi_ssl_key key = {.ssl = ssl, .pid = pid_tgid >> 32};
    struct obi_ssl_thread *th = bpf_map_lookup_elem(&obi_ssl_threads, &pid_tgid);
    struct obi_ssl_sock *tie = bpf_map_lookup_elem(&obi_ssl_socks, &key);
    if (tie) {
        __u64 sock_id = tie->sock_id;
        struct obi_conn_state *st = bpf_map_lookup_elem(&obi_conns, &sock_id);
        if (st && st->conn_id == tie->conn_id) {
            if (th)
                th->io_sock = 0; /* this call consumed the thread's last read */
            return sock_id;
        }
        bpf_map_delete_elem(&obi_ssl_socks, &key); /* the socket closed or was reused */
    }
    __u64 now = bpf_ktime_get_ns();
    if (!th) {
        struct obi_ssl_thread fresh = {.pending_ssl = ssl, .pending_ts = now};
        bpf_map_update_elem(&obi_ssl_threads, &pid_tgid, &fresh, BPF_ANY);
        return 0;
    }
    __u64 sock_id = th->io_sock;
    if (sock_id && now - th->io_ts < OBI_SSL_TIE_WINDOW_NS) {
        th->io_sock = 0;
        struct obi_conn_state *st = bpf_map_lookup_elem(&obi_conns, &sock_id);
        if (st && st->conn_id == th->io_conn_id && !(st->tls & OBI_CONN_SSL_TIED)) {
            ssl__tie(pid_tgid >> 32, ssl, sock_id, st);
            return sock_id;
        }
    }
    th->pending_ssl = ssl;
    th->pending_ts = now;
    return 0;
}

/* Every probed function returns here: one program, so the data path (io__handle) is
 * verified once. The entry programs below may sit at OpenSSL's public functions or at the
 * internal function a public pair calls (then with the _ex programs), as the agent decides
 * per file from its code. */
SEC("uretprobe")
int BPF_KRETPROBE(obi_ssl_ret, int ret)
{
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    struct obi_ssl_call *cur = bpf_map_lookup_elem(&obi_ssl_calls, &pid_tgid);
    if (!cur)
        return 0;
    if (cur->depth > 0) {
        cur->depth--;
        return 0;
    }
    __u64 ssl = cur->ssl, buf = cur->buf, out_len = cur->ex ? cur->out_len : 0;
    bool read = cur->kind == OBI_SSL_CALL_READ, data = cur->kind != OBI_SSL_CALL_OTHER;
    __s64 n = cur->ex ? 0 : ret;
    bpf_map_delete_elem(&obi_ssl_calls, &pid_tgid);
    /* _ex semantics (SSL_read_ex/SSL_write_ex, or the internal function both public functions
     * call, where the probes may be placed instead: src/ebpf/ssl_placement.h): > 0 on success
     * (the public ones return 1), the count in *out_len. */
    if (out_len && ret > 0) {
        __u64 v = 0;
        if (bpf_probe_read_user(&v, sizeof(v), (const void *)out_len) == 0)
            n = v > 0x7fffffff ? 0x7fffffff : (__s64)v;
    }
    __u64 sock_id = ssl__socket(pid_tgid, ssl);
    if (!data || n <= 0 || buf == 0)
        return 0;
    if (!sock_id) {
        stats__inc(OBI_STAT_TLS_UNTIED);
        return 0;
    }
    struct obi_io_args args = {.nr = read ? OBI_NR_READ : OBI_NR_WRITE, .a1 = buf, .pid_tgid = pid_tgid};
    struct obi_pid_info *info = io__pid_info(pid_tgid >> 32);
    args.proc_flags = info ? info->flags : 0; /* OBI_PID_SERVES: its client calls may have a parent */
    return io__handle((const struct sock *)sock_id, read ? OBI_DIR_INGRESS : OBI_DIR_EGRESS, n, &args,
                      OBI_SRC_SSL_UPROBE);
}

SEC("uprobe")
int BPF_KPROBE(obi_ssl_read, void *ssl, void *buf, int num)
{
    return ssl__enter((__u64)ssl, (__u64)buf, 0, OBI_SSL_CALL_READ, 0);
}

SEC("uprobe")
int BPF_KPROBE(obi_ssl_read_ex, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
    return ssl__enter((__u64)ssl, (__u64)buf, (__u64)readbytes, OBI_SSL_CALL_READ, 1);
}

SEC("uprobe")
int BPF_KPROBE(obi_ssl_write, void *ssl, const void *buf, int num)
{
    return ssl__enter((__u64)ssl, (__u64)buf, 0, OBI_SSL_CALL_WRITE, 0);
}

SEC("uprobe")
int BPF_KPROBE(obi_ssl_write_ex, void *ssl, const void *buf, __u64 num, __u64 *written)
{
    return ssl__enter((__u64)ssl, (__u64)buf, (__u64)written, OBI_SSL_CALL_WRITE, 1);
}

/* SSL_do_handshake (SSL_accept and SSL_connect call it) and SSL_shutdown: their socket
 * calls tie the SSL* and are hidden like every ciphertext call. */
SEC("uprobe")
int BPF_KPROBE(obi_ssl_other, void *ssl)
{
    return ssl__enter((__u64)ssl, 0, 0, OBI_SSL_CALL_OTHER, 0);
}

/* SSL_free: the session ends; its address may be reused for another connection. */
SEC("uprobe")
int BPF_KPROBE(obi_ssl_free, void *ssl)
{
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    if (likely(!io__pid_traced(pid_tgid >> 32)) || ssl == NULL)
        return 0;
    struct obi_ssl_key key = {.ssl = (__u64)ssl, .pid = pid_tgid >> 32};
    struct obi_ssl_sock *tie = bpf_map_lookup_elem(&obi_ssl_socks, &key);
    if (!tie)
        return 0;
    __u64 sock_id = tie->sock_id;
    struct obi_conn_state *st = bpf_map_lookup_elem(&obi_conns, &sock_id);
    if (st && st->conn_id == tie->conn_id)
        st->tls &= ~OBI_CONN_SSL_TIED;
    bpf_map_delete_elem(&obi_ssl_socks, &key);
    return 0;
}

/* The dynamic loader's _dl_debug_state (the debugger hook): called whenever a process's set
 * of loaded objects changed (start-up, dlopen, dlclose). Tells discovery to look at once for
 * a TLS library the process just loaded, e.g. Python's `import ssl`. */
SEC("uprobe")
int BPF_KPROBE(obi_dl_state)
{
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (likely(!io__pid_traced(pid)))
        return 0;
    struct obi_proc_event ev = {.kind = OBI_EV_LIB_LOAD, .pid = pid};
    ev.ts_ns = bpf_ktime_get_ns();
    bpf_get_current_comm(ev.comm, sizeof(ev.comm));
    if (bpf_ringbuf_output(&obi_ctrl_events, &ev, sizeof(ev), 0) != 0)
        stats__inc(OBI_STAT_CTRL_LOST);
    return 0;
}
