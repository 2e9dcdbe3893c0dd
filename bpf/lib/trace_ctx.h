/* Trace context in the kernel: ids for every request start, and the context of the
 * server request a thread is serving, so that a client call made by that thread is its
 * child (and, later, so a Traceparent header can be written into it at send time). */
#ifndef OBI_BPF_TRACE_CTX_H
#define OBI_BPF_TRACE_CTX_H

#include "conn.h"

struct obi_thread_ctx {
    struct obi_trace_ctx ctx;
    __u64 sock_id; /* server connection the request came in on */
};

/* Keyed by pid_tgid (the thread). */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);
    __type(value, struct obi_thread_ctx);
} obi_thread_ctx SEC(".maps");

static __always_inline void tctx__random(__u8 *dst, int words)
{
#pragma unroll
    for (int i = 0; i < 4; i++) {
        if (i < words) {
            __u32 r = bpf_get_prandom_u32();
            __builtin_memcpy(dst + 4 * i, &r, 4);
        }
    }
}

/* A request arrived on a server connection: new trace, new span, remembered for the thread. */
static __always_inline void tctx__server_request(struct obi_conn_state *st, __u64 sock_id, __u64 pid_tgid,
                                                 struct obi_trace_ctx *out)
{
    tctx__random(out->trace_id, 4);
    tctx__random(out->span_id, 2);
    __builtin_memset(out->parent_span_id, 0, sizeof(out->parent_span_id));
    out->flags = 1;
    out->valid = 1;
    st->server_ctx = *out;
    struct obi_thread_ctx tc = {.ctx = *out, .sock_id = sock_id};
    bpf_map_update_elem(&obi_thread_ctx, &pid_tgid, &tc, BPF_ANY);
}

/* The server answers: the thread is no longer serving that request. */
static __always_inline void tctx__server_response(__u64 sock_id, __u64 pid_tgid)
{
    struct obi_thread_ctx *tc = bpf_map_lookup_elem(&obi_thread_ctx, &pid_tgid);
    if (tc && tc->sock_id == sock_id)
        bpf_map_delete_elem(&obi_thread_ctx, &pid_tgid);
}

/* A request leaves on a client connection: a child of the thread's server request, if any. */
static __always_inline void tctx__client_request(__u64 pid_tgid, struct obi_trace_ctx *out)
{
    struct obi_thread_ctx *tc = bpf_map_lookup_elem(&obi_thread_ctx, &pid_tgid);
    if (tc) {
        __builtin_memcpy(out->trace_id, tc->ctx.trace_id, sizeof(out->trace_id));
        __builtin_memcpy(out->parent_span_id, tc->ctx.span_id, sizeof(out->parent_span_id));
        out->flags = tc->ctx.flags;
    } else {
        tctx__random(out->trace_id, 4);
        __builtin_memset(out->parent_span_id, 0, sizeof(out->parent_span_id));
        out->flags = 1;
    }
    tctx__random(out->span_id, 2);
    out->valid = 1;
}

#endif
