/* Copies the bytes of one socket call from user memory into the event being built:
 * the start of the buffer up to the message's capture budget, and, when that is not the
 * whole call, its last bytes (tail). */
#ifndef OBI_BPF_CAPTURE_H
#define OBI_BPF_CAPTURE_H

#include "common.h"

/* What the syscall passed: decoded from saved registers or from syscall tracepoint args. */
struct obi_io_args {
    __u64 nr;       /* syscall number */
    __u64 a1;       /* buffer, iovec array, msghdr or mmsghdr vector */
    __u64 a2;       /* length, iovec count or vector length */
    __u32 mmsg_idx; /* message index inside a sendmmsg/recvmmsg vector */
    __u32 _pad;
};

/* Room for the header, plus slack so that (offset < MAX) + (length <= 2*MAX) is provably
 * in bounds for the verifier. */
#define OBI_SCRATCH_SIZE (sizeof(struct obi_data_event) + 3 * OBI_CAPTURE_MAX)

struct obi_scratch {
    __u8 buf[OBI_SCRATCH_SIZE];
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

/* seg_len: bytes of this segment that end at `end`. */
static __always_inline void cap__tail(struct obi_data_event *ev, const __u8 *end, __u32 seg_len)
{
    if (seg_len >= OBI_TAIL_LEN) {
        if (bpf_probe_read_user(ev->tail, OBI_TAIL_LEN, end - OBI_TAIL_LEN) == 0)
            ev->tail_len = OBI_TAIL_LEN;
    } else if (seg_len > 0) {
        OBI_BARRIER_VAR(seg_len);
        if (bpf_probe_read_user(ev->tail, seg_len & (OBI_TAIL_LEN - 1), end - seg_len) == 0)
            ev->tail_len = seg_len;
    }
}

static __always_inline __u32 cap__plain(struct obi_data_event *ev, __u8 *data, __u32 budget, const __u8 *buf,
                                        __u32 ret)
{
    __u32 n = ret < budget ? ret : budget;
    if (n)
        cap__copy(data, 0, buf, n);
    if (n < ret) /* fully captured calls: user space takes the tail from the data */
        cap__tail(ev, buf + ret, ret);
    return n;
}

/* Walks at most OBI_MAX_IOVECS entries; *walked_all is false when the call used more. */
static __always_inline __u32 cap__iovec(struct obi_data_event *ev, __u8 *data, __u32 budget,
                                        const struct iovec *iov, __u64 iovcnt, __u32 ret, bool *walked_all)
{
    __u32 done = 0, copied = 0;
#pragma unroll
    for (int i = 0; i < OBI_MAX_IOVECS; i++) {
        if (i >= iovcnt || done >= ret)
            break;
        struct iovec v;
        if (bpf_probe_read_user(&v, sizeof(v), &iov[i]) != 0)
            break;
        __u32 seg = v.iov_len;
        if (seg > ret - done)
            seg = ret - done;
        if (copied < budget && seg > 0) {
            __u32 n = seg < budget - copied ? seg : budget - copied;
            cap__copy(data, copied, v.iov_base, n);
            copied += n;
        }
        done += seg;
        if (done >= ret && copied < ret)
            cap__tail(ev, (const __u8 *)v.iov_base + seg, seg);
    }
    *walked_all = done >= ret;
    return copied;
}

static __always_inline __u32 cap__msghdr(struct obi_data_event *ev, __u8 *data, __u32 budget,
                                         const struct user_msghdr *msg, __u32 ret, bool *walked_all)
{
    struct user_msghdr m;
    *walked_all = false;
    if (bpf_probe_read_user(&m, sizeof(m), msg) != 0)
        return 0;
    return cap__iovec(ev, data, budget, m.msg_iov, m.msg_iovlen, ret, walked_all);
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
        n = cap__iovec(ev, data, budget, (const struct iovec *)a->a1, a->a2, ret, &walked_all);
        break;
    case OBI_NR_RECVMSG:
    case OBI_NR_SENDMSG:
        n = cap__msghdr(ev, data, budget, (const struct user_msghdr *)a->a1, ret, &walked_all);
        break;
    case OBI_NR_RECVMMSG:
    case OBI_NR_SENDMMSG:
        if (a->mmsg_idx < a->a2)
            n = cap__msghdr(ev, data, budget,
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
