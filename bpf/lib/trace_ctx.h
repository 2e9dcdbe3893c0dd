/* Trace context in the kernel: ids for every request start, and the context of the
 * server request a thread is serving, so that a client call made by that thread is its
 * child (and, later, so a Traceparent header can be written into it at send time).
 * Runtimes that move work between threads (Go goroutines, thread pools) break the thread
 * link; for them the process's in-flight request is used when it is the only one. A
 * context is used only while its server connection still awaits its response, so a stale
 * context never becomes a wrong parent. */
#ifndef OBI_BPF_TRACE_CTX_H
#define OBI_BPF_TRACE_CTX_H

#include "conn.h"

/* Per thread, in task-local storage: cheaper than a hash lookup, freed with the thread. */
struct {
    __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, int);
    __type(value, struct obi_thread_ctx);
} obi_thread_ctx SEC(".maps");

/* Random ids from a per-CPU splitmix64 stream (seeded from the kernel's PRNG): one atomic
 * add and a few multiplies per id word instead of two helper calls. The add is atomic so
 * that two programs interleaved on one CPU still draw different values. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} obi_id_seed SEC(".maps");

#define OBI_SPLITMIX_GAMMA 0x9e3779b97f4a7c15ull

static __always_inline __u64 tctx__mix(__u64 z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Fills `words` (at most 3) 8-byte words at dst (8-byte aligned: see OBI_ALIGNED8). */
static __always_inline void tctx__random(__u8 *dst, int words)
{
    __u32 zero = 0;
    __u64 *seed = bpf_map_lookup_elem(&obi_id_seed, &zero);
    if (!seed)
        return;
    if (*seed == 0)
        *seed = ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32();
    __u64 base = __sync_fetch_and_add(seed, OBI_SPLITMIX_GAMMA * words);
#pragma unroll
    for (int i = 0; i < 3; i++)
        if (i < words)
            *(__u64 *)(dst + 8 * i) = tctx__mix(base + OBI_SPLITMIX_GAMMA * (i + 1));
}

static __always_inline void tctx__inflight_add(__u32 pid, __s32 delta, const struct obi_thread_ctx *latest)
{
    struct obi_proc_ctx *pc = bpf_map_lookup_elem(&obi_proc_ctx, &pid);
    if (!pc) {
        if (!latest)
            return;
        struct obi_proc_ctx fresh = {.last = *latest, .inflight = delta > 0 ? delta : 0};
        bpf_map_update_elem(&obi_proc_ctx, &pid, &fresh, BPF_ANY);
        return;
    }
    if (latest)
        pc->last = *latest;
    /* Plain arithmetic: a lost update between two CPUs only disables the fallback. */
    __s32 n = pc->inflight + delta;
    pc->inflight = n < 0 ? 0 : n;
}

/* A request arrived on a server connection: new trace, new span, remembered for the thread. */
static __always_inline void tctx__server_request(struct obi_conn_state *st, __u64 sock_id, __u64 pid_tgid,
                                                 struct obi_trace_ctx *out)
{
    tctx__random(out->trace_id, 3); /* trace_id and span_id follow each other */
    __builtin_memset(out->parent_span_id, 0, sizeof(out->parent_span_id));
    out->flags = 1;
    out->valid = 1;
    st->server_ctx = *out;
    struct obi_thread_ctx tc = {.ctx = *out, .sock_id = sock_id};
    struct obi_thread_ctx *cur =
        bpf_task_storage_get(&obi_thread_ctx, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (cur)
        *cur = tc;
    tctx__inflight_add(pid_tgid >> 32, st->awaiting_response ? 0 : 1, &tc);
    st->awaiting_response = 1;
}

/* The server answers: the request is no longer being served. The thread's entry stays
 * (tctx__still_serving rejects it from now on), which saves a map delete per request. */
static __always_inline void tctx__server_response(struct obi_conn_state *st, __u64 pid_tgid)
{
    if (st->awaiting_response) {
        st->awaiting_response = 0;
        tctx__inflight_add(pid_tgid >> 32, -1, NULL);
    }
}

/* A server connection closed while its request awaited a response. */
static __always_inline void tctx__server_closed(struct obi_conn_state *st)
{
    if (st->awaiting_response) {
        st->awaiting_response = 0;
        tctx__inflight_add(st->pid, -1, NULL);
    }
}

/* Is this server request still being served (its connection awaits the response)? */
static __always_inline bool tctx__still_serving(const struct obi_thread_ctx *tc)
{
    __u64 key = tc->sock_id;
    struct obi_conn_state *st = bpf_map_lookup_elem(&obi_conns, &key);
    return st && st->awaiting_response &&
           __builtin_memcmp(st->server_ctx.span_id, tc->ctx.span_id, sizeof(tc->ctx.span_id)) == 0;
}

/* A request leaves on a client connection: a child of the server request being served. */
static __always_inline void tctx__client_request(__u64 pid_tgid, bool proc_serves, struct obi_trace_ctx *out)
{
    const struct obi_thread_ctx *parent = NULL;
    struct obi_thread_ctx *tc = NULL;
    if (proc_serves) /* a process that never served a request has no parent to look for */
        tc = bpf_task_storage_get(&obi_thread_ctx, bpf_get_current_task_btf(), 0, 0);
    if (tc && tctx__still_serving(tc)) {
        parent = tc;
    } else if (proc_serves) {
        __u32 pid = pid_tgid >> 32;
        struct obi_proc_ctx *pc = bpf_map_lookup_elem(&obi_proc_ctx, &pid);
        if (pc && pc->inflight == 1 && tctx__still_serving(&pc->last))
            parent = &pc->last;
    }
    if (parent) {
        __builtin_memcpy(out->trace_id, parent->ctx.trace_id, sizeof(out->trace_id));
        __builtin_memcpy(out->parent_span_id, parent->ctx.span_id, sizeof(out->parent_span_id));
        out->flags = parent->ctx.flags;
    } else {
        tctx__random(out->trace_id, 2);
        __builtin_memset(out->parent_span_id, 0, sizeof(out->parent_span_id));
        out->flags = 1;
    }
    tctx__random(out->span_id, 1);
    out->valid = 1;
}

#endif
