/* Connection state kept in the kernel per traced socket: its 4-tuple, role, event
 * sequence and the capture budget of the current message burst. */
#ifndef OBI_BPF_CONN_H
#define OBI_BPF_CONN_H

#include "maps.h"

#define OBI_DIR_NONE 0xff

struct obi_conn_state {
    struct obi_conn_tuple tuple;
    struct obi_trace_ctx server_ctx; /* context of the request this server connection serves */
    __u64 conn_id;
    __u64 sock_ino; /* UDP: the socket's inode number, unique per socket (its address is reused) */
    __u32 pid;
    __u32 seq;
    __u32 msg_captured; /* bytes captured so far in the current burst */
    __u8 role;
    __u8 last_dir; /* OBI_DIR_NONE before the first event */
    __u8 awaiting_response; /* server side: a request was read, no response started yet */
    __u8 capture_mode;      /* enum obi_capture_mode */
    __u8 tls;               /* enum obi_conn_tls (bpf/lib/ssl.h) */
    __u8 datagram;          /* a UDP socket (obi_udp_conns): every datagram is a message */
};

enum obi_conn_tls {
    /* TLS: its ciphertext is not emitted, its plaintext comes from the libssl probes. The
     * same bit as OBI_DF_TLS, so the data path copies it into the event without a branch. */
    OBI_CONN_TLS = OBI_DF_TLS,
    OBI_CONN_SSL_TIED = 1 << 0, /* an SSL* is tied to this socket */
};

/* How much of a connection's bytes are copied. HTTP/1 bodies can be large and carry nothing
 * we parse: its budget is per direction burst. Binary and multiplexed protocols (HTTP/2,
 * database and broker protocols) have message boundaries anywhere in a burst: every call
 * gets the full budget, so a frame header after a large frame is still seen. */
enum obi_capture_mode {
    OBI_CAPTURE_UNDECIDED = 0, /* no readable bytes seen yet */
    OBI_CAPTURE_PER_BURST = 1,
    OBI_CAPTURE_PER_CALL = 2,
};

/* The first bytes of a connection start an HTTP/1 message: a method or "HTTP/". */
static __always_inline bool conn__http1_start(const __u8 *d, __u32 len)
{
    if (len < 4)
        return false;
    __u32 w = (__u32)d[0] | ((__u32)d[1] << 8) | ((__u32)d[2] << 16) | ((__u32)d[3] << 24);
#define OBI_W(a, b, c, e) ((__u32)(a) | ((__u32)(b) << 8) | ((__u32)(c) << 16) | ((__u32)(e) << 24))
    switch (w) {
    case OBI_W('G', 'E', 'T', ' '):
    case OBI_W('P', 'O', 'S', 'T'):
    case OBI_W('P', 'U', 'T', ' '):
    case OBI_W('H', 'E', 'A', 'D'):
    case OBI_W('D', 'E', 'L', 'E'):
    case OBI_W('O', 'P', 'T', 'I'):
    case OBI_W('P', 'A', 'T', 'C'):
    case OBI_W('C', 'O', 'N', 'N'):
    case OBI_W('T', 'R', 'A', 'C'):
    case OBI_W('H', 'T', 'T', 'P'): return true;
    }
#undef OBI_W
    return false;
}

/* Keyed by the struct sock address. LRU: states of connections whose close we missed age out. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 32768);
    __type(key, __u64);
    __type(value, struct obi_conn_state);
} obi_conns SEC(".maps");

static __always_inline __u32 conn__netns(const struct sock *sk)
{
    return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline void conn__v4_mapped(__u8 *dst, __be32 addr)
{
    __builtin_memset(dst, 0, 10);
    dst[10] = 0xff;
    dst[11] = 0xff;
    __builtin_memcpy(dst + 12, &addr, 4);
}

#ifndef IPPROTO_UDP
#define IPPROTO_UDP 17
#endif

/* IPPROTO_TCP or IPPROTO_UDP for an IPv4/IPv6 socket, -1 for anything else. */
static __always_inline int conn__ip_proto(const struct sock *sk)
{
    __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
    if (family != AF_INET && family != AF_INET6)
        return -1;
    __u16 proto = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
    return proto == IPPROTO_TCP || proto == IPPROTO_UDP ? proto : -1;
}

/* Returns the protocol (IPPROTO_TCP, IPPROTO_UDP) of an IPv4/IPv6 socket with the tuple
 * filled (an unconnected UDP socket has no remote: zeros), -1 for anything else. */
static __always_inline int conn__read_tuple(const struct sock *sk, struct obi_conn_tuple *t)
{
    int proto = conn__ip_proto(sk);
    if (proto < 0)
        return -1;
    __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
    t->family = family;
    t->_pad = 0;
    t->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
    t->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
    if (family == AF_INET) {
        conn__v4_mapped(t->local_addr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
        conn__v4_mapped(t->remote_addr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
    } else {
        BPF_CORE_READ_INTO(&t->local_addr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
        BPF_CORE_READ_INTO(&t->remote_addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
    }
    return proto;
}

/* Finds the state of a socket, creating it on the first event. NULL when the socket is
 * not TCP or the map is full. *created tells the caller this is the first event. */
static __always_inline struct obi_conn_state *conn__get(const struct sock *sk, __u32 pid, bool *created)
{
    __u64 key = (__u64)sk;
    struct obi_conn_state *st = bpf_map_lookup_elem(&obi_conns, &key);
    *created = false;
    if (likely(st != NULL))
        return st;

    struct obi_conn_state fresh = {};
    if (conn__read_tuple(sk, &fresh.tuple) != IPPROTO_TCP)
        return NULL;
    /* Local port 0: the socket was closed and unhashed (bytes still read after a reset). Its
     * close was seen already, so a state made now would outlive it and be inherited by the
     * next socket allocated at this address. */
    if (fresh.tuple.local_port == 0)
        return NULL;
    struct obi_listen_key lk = {.netns = conn__netns(sk), .port = fresh.tuple.local_port};
    fresh.role = bpf_map_lookup_elem(&obi_listen_ports, &lk) ? OBI_ROLE_SERVER : OBI_ROLE_CLIENT;
    fresh.last_dir = OBI_DIR_NONE;
    fresh.pid = pid;
    fresh.conn_id = bpf_ktime_get_ns() ^ ((__u64)bpf_get_prandom_u32() << 32);
    if (bpf_map_update_elem(&obi_conns, &key, &fresh, BPF_NOEXIST) != 0 &&
        bpf_map_lookup_elem(&obi_conns, &key) == NULL)
        return NULL;
    stats__inc(OBI_STAT_CONN_CREATED);
    *created = true;
    return bpf_map_lookup_elem(&obi_conns, &key);
}

/* UDP sockets that sent a DNS query (io__udp_state). A map of their own: UDP has no close
 * the kernel programs see and a resolver opens a socket per lookup, so these states only
 * age out, and here they never push TCP states out of obi_conns. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8192);
    __type(key, __u64);
    __type(value, struct obi_conn_state);
} obi_udp_conns SEC(".maps");

/* The inode number of a socket's file: unlike the socket's address, never reused by the
 * next socket (inode numbers come from a counter). */
static __always_inline __u64 conn__sock_ino(const struct sock *sk)
{
    return BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino);
}

/* The state of a UDP socket, its tuple read again (a connected socket may connect
 * elsewhere; an unconnected one has no remote). A state left by a closed socket at the
 * same address (UDP has no close we see) is dropped: the new socket must send a DNS query
 * of its own to be captured. NULL: no state. */
static __always_inline struct obi_conn_state *conn__udp_find(const struct sock *sk, bool *created)
{
    __u64 key = (__u64)sk;
    struct obi_conn_state *st = bpf_map_lookup_elem(&obi_udp_conns, &key);
    *created = false;
    if (!st)
        return NULL;
    struct obi_conn_tuple t = {};
    if (conn__read_tuple(sk, &t) != IPPROTO_UDP || st->sock_ino != conn__sock_ino(sk)) {
        bpf_map_delete_elem(&obi_udp_conns, &key);
        return NULL;
    }
    st->tuple = t;
    return st;
}

/* A new UDP socket state: client role, one capture budget per datagram. */
static __always_inline struct obi_conn_state *conn__udp_create(const struct sock *sk, __u32 pid, bool *created)
{
    __u64 key = (__u64)sk;
    struct obi_conn_state fresh = {.pid = pid, .role = OBI_ROLE_CLIENT, .last_dir = OBI_DIR_NONE,
                                   .capture_mode = OBI_CAPTURE_PER_CALL, .datagram = 1};
    *created = false;
    if (conn__read_tuple(sk, &fresh.tuple) != IPPROTO_UDP)
        return NULL;
    fresh.sock_ino = conn__sock_ino(sk);
    fresh.conn_id = bpf_ktime_get_ns() ^ ((__u64)bpf_get_prandom_u32() << 32);
    if (bpf_map_update_elem(&obi_udp_conns, &key, &fresh, BPF_NOEXIST) != 0 &&
        bpf_map_lookup_elem(&obi_udp_conns, &key) == NULL)
        return NULL;
    stats__inc(OBI_STAT_CONN_CREATED);
    *created = true;
    return bpf_map_lookup_elem(&obi_udp_conns, &key);
}

#endif
