/* Copies the bytes of one socket call from user memory into the event being built:
 * the start of the buffer up to the message's capture budget, and, when that is not the
 * whole call, its last bytes (the tail, right after the captured bytes). */
#ifndef OBI_BPF_CAPTURE_H
#define OBI_BPF_CAPTURE_H

#include "common.h"

/* What the syscall passed: decoded from saved registers or from syscall tracepoint args. */
struct obi_io_args {
    __u64 nr;       /* syscall number */
    __u64 a1;       /* buffer, iovec array, msghdr or mmsghdr vector */
    __u64 a2;       /* length, iovec count or vector length */
    __u64 pid_tgid; /* the calling thread (bpf_get_current_pid_tgid) */
    __u32 mmsg_idx;   /* message index inside a sendmmsg/recvmmsg vector */
    __u32 proc_flags; /* the process's obi_pid_info flags */
};

/* Room for the header, plus slack so that (offset < MAX) + (length <= 2*MAX) is provably
 * in bounds for the verifier. */
#define OBI_SCRATCH_SIZE (sizeof(struct obi_data_event) + 3 * OBI_CAPTURE_MAX)

/* Where a walk over a call's iovecs is (cap__iovec): kept beside the event, so the step
 * function finds it without taking pointers. */
struct obi_iov_walk {
    __u64 iov;    /* user address of the iovec array */
    __u64 iovcnt; /* its entries */
    __u32 ret;    /* bytes the call transferred */
    __u32 budget; /* bytes that may be copied */
    __u32 done;   /* bytes of the call covered by the entries walked */
    __u32 copied; /* bytes copied into the event's data */
};

struct obi_scratch {
    __u8 buf[OBI_SCRATCH_SIZE]; /* the event being built: header, then data */
    struct obi_iov_walk walk;
    __u64 unqueried; /* bytes this CPU emitted since it last looked at the ring's fill */
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct obi_scratch);
} obi_scratch SEC(".maps");

static __always_inline void cap__copy(__u8 *data, __u32 off, const void *src, __u32 len)
{
    if (len > OBI_CAPTURE_MAX)
        len = OBI_CAPTURE_MAX;
    OBI_BARRIER_VAR(len);
    OBI_BARRIER_VAR(off);
    bpf_probe_read_user(data + (off & (OBI_CAPTURE_MAX - 1)), len & (2 * OBI_CAPTURE_MAX - 1), src);
}

/* The call's last bytes, after the captured ones at data + at: seg_len bytes of this segment
 * end at `end` (a tail never reaches back into an earlier iovec entry). */
static __always_inline void cap__tail(struct obi_data_event *ev, __u8 *data, __u32 at, const __u8 *end,
                                      __u32 seg_len)
{
    __u32 n = seg_len < OBI_TAIL_LEN ? seg_len : OBI_TAIL_LEN;
    if (n == 0)
        return;
    OBI_BARRIER_VAR(n);
    OBI_BARRIER_VAR(at);
    if (bpf_probe_read_user(data + (at & (2 * OBI_CAPTURE_MAX - 1)), n & (2 * OBI_TAIL_LEN - 1), end - n) == 0)
        ev->tail_len = n;
}

static __always_inline __u32 cap__plain(struct obi_data_event *ev, __u8 *data, __u32 budget, const __u8 *buf,
                                        __u32 ret)
{
    __u32 n = ret < budget ? ret : budget;
    if (n)
        cap__copy(data, 0, buf, n);
    if (n < ret) /* fully captured calls: user space takes the tail from the data */
        cap__tail(ev, data, n, buf + ret, ret);
    return n;
}

/* One iovec entry of the walk in the CPU's scratch: copies its bytes within the budget and,
 * at the call's last byte, its tail. Returns nonzero when the walk is over. A global
 * function, so the verifier checks it once, not once per entry and path: the walk covers
 * OBI_MAX_IOVECS entries (gRPC's C core writes a unary response as 12 of them: each frame
 * header, header field and payload separately). */
__noinline int cap__iov_step(__u32 i)
{
    __u32 zero = 0;
    struct obi_scratch *s = bpf_map_lookup_elem(&obi_scratch, &zero);
    if (!s)
        return 1;
    struct obi_iov_walk *w = &s->walk;
    if (i >= w->iovcnt || w->done >= w->ret)
        return 1;
    struct iovec v;
    if (bpf_probe_read_user(&v, sizeof(v), (const void *)(w->iov + (__u64)i * sizeof(struct iovec))) != 0)
        return 1;
    __u32 seg = v.iov_len > w->ret - w->done ? w->ret - w->done : (__u32)v.iov_len;
    __u32 copied = w->copied, budget = w->budget;
    if (copied < budget && seg > 0) {
        __u32 n = seg < budget - copied ? seg : budget - copied;
        cap__copy(s->buf + sizeof(struct obi_data_event), copied, v.iov_base, n);
        w->copied = copied + n;
    }
    w->done += seg;
    if (w->done >= w->ret && w->copied < w->ret)
        cap__tail((struct obi_data_event *)s->buf, s->buf + sizeof(struct obi_data_event), w->copied,
                  (const __u8 *)v.iov_base + seg, seg);
    return 0;
}

/* Walks at most OBI_MAX_IOVECS entries; *walked_all is false when the call used more. `ev`
 * is the start of the CPU's scratch (io__handle_call), where the walk keeps its state. */
static __always_inline __u32 cap__iovec(struct obi_data_event *ev, __u32 budget, const struct iovec *iov,
                                        __u64 iovcnt, __u32 ret, bool *walked_all)
{
    struct obi_iov_walk *w = &((struct obi_scratch *)ev)->walk;
    w->iov = (__u64)iov;
    w->iovcnt = iovcnt;
    w->ret = ret;
    w->budget = budget;
    w->done = 0;
    w->copied = 0;
    for (__u32 i = 0; i < OBI_MAX_IOVECS; i++)
        if (cap__iov_step(i))
            break;
    *walked_all = w->done >= ret;
    return w->copied;
}

static __always_inline __u32 cap__msghdr(struct obi_data_event *ev, __u32 budget, const struct user_msghdr *msg,
                                         __u32 ret, bool *walked_all)
{
    struct user_msghdr m;
    *walked_all = false;
    if (bpf_probe_read_user(&m, sizeof(m), msg) != 0)
        return 0;
    return cap__iovec(ev, budget, m.msg_iov, m.msg_iovlen, ret, walked_all);
}

/* Captures the call's bytes into data[]; returns the number captured. *readable is false
 * for calls whose bytes are not in user memory (sendfile, splice, io_uring). */
static __always_inline __u32 cap__call(struct obi_data_event *ev, __u8 *data, __u32 budget,
                                       const struct obi_io_args *a, __u32 ret, bool *readable)
{
    bool walked_all = true;
    __u32 n = 0;
    *readable = true;
    switch (a->nr) {
    case OBI_NR_READ:
    case OBI_NR_WRITE:
    case OBI_NR_RECVFROM:
    case OBI_NR_SENDTO:
        n = cap__plain(ev, data, budget, (const __u8 *)a->a1, ret);
        break;
    case OBI_NR_READV:
    case OBI_NR_WRITEV:
        n = cap__iovec(ev, budget, (const struct iovec *)a->a1, a->a2, ret, &walked_all);
        break;
    case OBI_NR_RECVMSG:
    case OBI_NR_SENDMSG:
        n = cap__msghdr(ev, budget, (const struct user_msghdr *)a->a1, ret, &walked_all);
        break;
    case OBI_NR_RECVMMSG:
    case OBI_NR_SENDMMSG:
        if (a->mmsg_idx < a->a2)
            n = cap__msghdr(ev, budget,
                            (const struct user_msghdr *)(a->a1 + (__u64)a->mmsg_idx * sizeof(struct mmsghdr)), ret,
                            &walked_all);
        break;
    default:
        *readable = false;
        return 0;
    }
    (void)walked_all; /* a call with more iovecs than walked is reported as truncated */
    return n;
}

#endif
