/* TLS in the kernel: which thread is inside an SSL call, which socket each SSL* talks
 * through, and the hook the socket data path calls so that a TLS connection's ciphertext
 * is never emitted (its plaintext comes from the libssl uprobes, bpf/ssl.bpf.c). */
#ifndef OBI_BPF_SSL_H
#define OBI_BPF_SSL_H

#include "capture.h"
#include "ssl_detect.h"
#include "trace_ctx.h"

/* How long a socket call and an SSL call of one thread may be apart to be tied together
 * when the SSL* uses memory BIOs (Node): the runtime reads the socket and calls SSL_read,
 * or calls SSL_write and writes the socket, in one synchronous chain (microseconds). */
#define OBI_SSL_TIE_WINDOW_NS (5 * 1000 * 1000ull)

enum obi_ssl_call_kind {
    OBI_SSL_CALL_READ = 1,  /* SSL_read, SSL_read_ex: plaintext received */
    OBI_SSL_CALL_WRITE = 2, /* SSL_write, SSL_write_ex: plaintext sent */
    OBI_SSL_CALL_OTHER = 3, /* SSL_do_handshake, SSL_shutdown: socket I/O, no plaintext */
};

/* An SSL call in progress on a thread (set at entry, consumed at return). */
struct obi_ssl_call {
    __u64 ssl;
    __u64 buf;     /* plaintext buffer */
    __u64 out_len; /* _ex variants: size_t * receiving the byte count; 0 otherwise */
    __u32 depth;   /* nested probed calls on the same SSL* (a build whose SSL_read calls SSL_read_ex) */
    __u8 kind;     /* enum obi_ssl_call_kind */
    __u8 ex;       /* SSL_read_ex/SSL_write_ex: returns 1 on success, the count in *out_len */
    __u8 _pad[2];
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64); /* pid_tgid */
    __type(value, struct obi_ssl_call);
} obi_ssl_calls SEC(".maps");

struct obi_ssl_key {
    __u64 ssl; /* the SSL* (a user-space address of process pid) */
    __u32 pid;
    __u32 _pad;
};

struct obi_ssl_sock {
    __u64 sock_id; /* struct sock address (obi_conns key) */
    __u64 conn_id; /* the connection it was tied to: a reused sock does not inherit the tie */
};

/* SSL* -> socket. Tied by the socket calls an SSL call makes (authoritative) or, for memory
 * BIOs, by a socket call of the same thread next to the SSL call; untied by SSL_free. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 32768);
    __type(key, struct obi_ssl_key);
    __type(value, struct obi_ssl_sock);
} obi_ssl_socks SEC(".maps");

/* Per thread, for memory BIOs: its last ciphertext read of a TLS connection that no SSL*
 * is tied to yet (claimed by the SSL call that follows), and the last SSL call that
 * returned without a known socket (claimed by the ciphertext write that follows). */
struct obi_ssl_thread {
    __u64 io_sock;
    __u64 io_conn_id;
    __u64 io_ts;
    __u64 pending_ssl;
    __u64 pending_ts;
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64); /* pid_tgid */
    __type(value, struct obi_ssl_thread);
} obi_ssl_threads SEC(".maps");

/* A new obi_ssl_threads entry (from .rodata: no stack bytes at the bottom of the data path). */
static const struct obi_ssl_thread obi_ssl_thread_zero = {};

/* Marks a connection as TLS: from now on only its plaintext is emitted. When ciphertext of
 * it already reached user space (its probes were attached late), the connection gets a new
 * identity there so the plaintext starts a fresh stream instead of continuing garbage. */
static __always_inline void ssl__mark_tls(struct obi_conn_state *st)
{
    if (st->tls & OBI_CONN_TLS)
        return;
    st->tls |= OBI_CONN_TLS;
    if (st->seq == 0)
        return;
    st->conn_id = bpf_ktime_get_ns() ^ ((__u64)bpf_get_prandom_u32() << 32);
    tctx__server_closed(st);
    st->last_dir = OBI_DIR_NONE;
    st->msg_captured = 0;
    st->capture_mode = OBI_CAPTURE_UNDECIDED;
}

static __always_inline void ssl__tie(__u32 pid, __u64 ssl, __u64 sock_id, struct obi_conn_state *st)
{
    struct obi_ssl_key key = {.ssl = ssl, .pid = pid};
    struct obi_ssl_sock val = {.sock_id = sock_id};
    ssl__mark_tls(st); /* may renew conn_id: read it after */
    val.conn_id = st->conn_id;
    st->tls |= OBI_CONN_SSL_TIED;
    bpf_map_update_elem(&obi_ssl_socks, &key, &val, BPF_ANY);
}

/* Reads the first OBI_TLS_PEEK_LEN bytes of a socket call's buffer (only the first segment of vectored
 * calls: a record header is never split by the runtimes we know). */
static __always_inline bool ssl__peek_head(const struct obi_io_args *a, __u8 *out)
{
    /* Few stack bytes: this runs at the bottom of the data path's call chain (512 in all). */
    __u64 iov = 0, cur[2] = {a->a1, OBI_TLS_PEEK_LEN}; /* buffer, its length */
    switch (a->nr) {
    case OBI_NR_READ:
    case OBI_NR_WRITE:
    case OBI_NR_RECVFROM:
    case OBI_NR_SENDTO:
        break;
    case OBI_NR_READV:
    case OBI_NR_WRITEV:
        iov = a->a2 ? a->a1 : 0;
        break;
    case OBI_NR_RECVMSG:
    case OBI_NR_SENDMSG: { /* msg_iov and msg_iovlen of struct user_msghdr */
        const struct user_msghdr *m = (const struct user_msghdr *)a->a1;
        if (bpf_probe_read_user(cur, sizeof(cur), &m->msg_iov) != 0 || cur[1] == 0)
            return false;
        iov = cur[0];
        break;
    }
    default:
        return false;
    }
    if (iov && bpf_probe_read_user(cur, sizeof(cur), (const void *)iov) != 0) /* iov_base, iov_len */
        return false;
    return cur[1] >= OBI_TLS_PEEK_LEN && bpf_probe_read_user(out, OBI_TLS_PEEK_LEN, (const void *)cur[0]) == 0;
}

/* Memory BIOs: a ciphertext call outside any SSL call, on a TLS connection. A write claims
 * the SSL call that just returned without a socket; a read waits for the SSL call that
 * follows. Only connections no SSL* is tied to take part, so a tied connection's traffic
 * never captures another session. */
static __always_inline void ssl__thread_io(__u64 pid_tgid, __u64 sock_id, struct obi_conn_state *st, __u32 dir)
{
    if (st->tls & OBI_CONN_SSL_TIED)
        return;
    __u64 now = bpf_ktime_get_ns();
    struct obi_ssl_thread *th = bpf_map_lookup_elem(&obi_ssl_threads, &pid_tgid);
    if (dir == OBI_DIR_EGRESS) {
        if (th && th->pending_ssl && now - th->pending_ts < OBI_SSL_TIE_WINDOW_NS) {
            ssl__tie(pid_tgid >> 32, th->pending_ssl, sock_id, st);
            th->pending_ssl = 0;
        }
        return;
    }
    if (!th) {
        bpf_map_update_elem(&obi_ssl_threads, &pid_tgid, &obi_ssl_thread_zero, BPF_NOEXIST);
        th = bpf_map_lookup_elem(&obi_ssl_threads, &pid_tgid);
        if (!th)
            return;
    }
    th->io_sock = sock_id;
    th->io_conn_id = st->conn_id;
    th->io_ts = now;
}

/* Hook of the socket data path (io__handle), for every socket call that is not TLS
 * plaintext: 1 when the call is TLS ciphertext, which is then not emitted. A call made
 * inside an SSL call ties that SSL* to the socket; a connection whose first bytes are a
 * TLS handshake is TLS even when its SSL library is not probed (Go, Java): its ciphertext
 * is useless to every parser. A global function, verified once on its own: inlined, its
 * branches would multiply the verifier's paths through the rest of io__handle. */
__noinline int ssl__hide_ciphertext(struct obi_conn_state *st, __u64 sock_id, const struct obi_io_args *args,
                                    __u32 dir, __s64 ret)
{
    if (!st || !args)
        return 0;
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    struct obi_ssl_call *call = bpf_map_lookup_elem(&obi_ssl_calls, &pid_tgid);
    if (call) {
        ssl__tie(pid_tgid >> 32, call->ssl, sock_id, st);
        stats__inc(OBI_STAT_TLS_HIDDEN);
        return 1;
    }
    if (!(st->tls & OBI_CONN_TLS)) {
        __u8 head[OBI_TLS_PEEK_LEN];
        if (st->capture_mode != OBI_CAPTURE_UNDECIDED || ret < OBI_TLS_PEEK_LEN || !ssl__peek_head(args, head) ||
            !obi_tls_handshake_start(head))
            return 0;
        ssl__mark_tls(st);
    }
    ssl__thread_io(pid_tgid, sock_id, st, dir);
    stats__inc(OBI_STAT_TLS_HIDDEN);
    return 1;
}

#endif
