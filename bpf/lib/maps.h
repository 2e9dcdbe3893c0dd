/* Maps shared by the kernel programs. Every object that includes this file declares the
 * same maps; the agent loads the process tracker first and hands its map fds to the I/O
 * backends (bpf_map__reuse_fd), so all programs see one copy. Sizes are bounded. */
#ifndef OBI_BPF_MAPS_H
#define OBI_BPF_MAPS_H

#include "common.h"
#include "pids.h"

/* Listening TCP ports per network namespace (value: number of listening sockets):
 * a connection whose local port is listed is the server side. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, struct obi_listen_key);
    __type(value, __u32);
} obi_listen_ports SEC(".maps");

/* Ports named by open_ports selectors (index = port, value 1): a process that starts
 * listening on one is traced at once, provisionally (see OBI_PID_PROVISIONAL). */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 65536);
    __type(key, __u32);
    __type(value, __u8);
} obi_port_select SEC(".maps");

static __always_inline void maps__trace_provisionally(__u32 pid)
{
    pids__add(pid, OBI_PID_PROVISIONAL, true);
}

/* Process and connection lifecycle events (rare; woken per event). */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} obi_ctrl_events SEC(".maps");

/* Socket data events (hot; user space drains on a timer or a byte threshold).
 * The size is set by the agent before load. */
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 8 * 1024 * 1024);
} obi_data_events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, OBI_STAT_COUNT);
    __type(key, __u32);
    __type(value, __u64);
} obi_stats SEC(".maps");

/* A server request in the trace context of a thread (see trace_ctx.h). */
struct obi_thread_ctx {
    struct obi_trace_ctx ctx;
    __u64 sock_id; /* server connection the request came in on */
};

/* Per process: its latest server request and how many requests await a response. Shared so
 * that the process tracker deletes a process's entry when it exits. */
struct obi_proc_ctx {
    struct obi_thread_ctx last;
    __s32 inflight;
    __u32 _pad;
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);
    __type(value, struct obi_proc_ctx);
} obi_proc_ctx SEC(".maps");

static __always_inline void stats__inc(__u32 idx)
{
    __u64 *v = bpf_map_lookup_elem(&obi_stats, &idx);
    if (v)
        *v += 1;
}

#endif
