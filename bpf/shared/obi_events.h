/* Structs and constants shared by the kernel programs and the C++ agent.
 * Fixed-width types only; the C++ side checks sizes and offsets (src/ebpf/event_layout.cpp),
 * so the two sides cannot drift. Every constant used on both sides is defined here once. */
#ifndef OBI_SHARED_EVENTS_H
#define OBI_SHARED_EVENTS_H

#ifdef __BPF__
/* kernel side: vmlinux.h provides __u8 ... __u64 */
#else
#include <linux/types.h>
#endif

/* Largest number of bytes copied from one message (one direction burst of a connection).
 * Kernel limit: the bytes are staged in one per-CPU scratch map value before
 * bpf_ringbuf_output, and a per-CPU value is at most 32 KiB (PCPU_MIN_UNIT_SIZE); the
 * value holds the header plus 3x this size so every masked copy is provably in bounds.
 * Must stay a power of two (it is also the copy mask). */
#define OBI_CAPTURE_MAX 8192u
#define OBI_CAPTURE_DEFAULT 2048u
/* At most this many bytes are copied from the end of a send/recv call larger than its
 * capture (and carried after the captured bytes), so user space sees how the call ends: the
 * end of a chunked HTTP body, the ErrorResponse / ERR packet that ends a long result set (a
 * PostgreSQL SQLSTATE sits about 54 bytes before the end), the acknowledgement after a large
 * delivery. A power of two. */
#define OBI_TAIL_LEN 128u
/* How many iovec entries of one readv/writev/sendmsg/recvmsg are walked (a verifier bound;
 * bytes of further entries are a hole that user space resynchronises after). */
#define OBI_MAX_IOVECS 64u
#define OBI_COMM_LEN 16u
/* What an exec event carries of the new program, so that discovery can identify a process
 * that exits before /proc/<pid> could be read (a CLI client that runs for milliseconds). */
#define OBI_EXEC_PATH_LEN 256u
#define OBI_EXEC_ARGS_LEN 256u

enum obi_event_kind {
    OBI_EV_DATA = 1,      /* struct obi_data_event: bytes sent or received on a socket */
    OBI_EV_CLOSE = 2,     /* struct obi_close_event: a tracked TCP connection closed */
    OBI_EV_PROC_EXEC = 3, /* struct obi_exec_event: a process called execve */
    OBI_EV_PROC_EXIT = 4, /* struct obi_proc_event: a traced process exited */
    OBI_EV_PROC_FORK = 5, /* struct obi_proc_event: a traced process forked a new process */
    OBI_EV_LISTEN = 6,    /* struct obi_proc_event: a process started listening on a TCP port */
    OBI_EV_LIB_LOAD = 7,  /* struct obi_proc_event: a traced process changed its loaded libraries (dlopen) */
};

enum obi_direction {
    OBI_DIR_INGRESS = 0, /* the traced process received the bytes */
    OBI_DIR_EGRESS = 1,  /* the traced process sent the bytes */
};

enum obi_role {
    OBI_ROLE_UNKNOWN = 0,
    OBI_ROLE_SERVER = 1, /* the local port is a listening port: the peer connected to us */
    OBI_ROLE_CLIENT = 2, /* we connected to the peer */
};

enum obi_data_flags {
    OBI_DF_MSG_START = 1 << 0, /* first call of a new direction burst on this connection */
    OBI_DF_SIZE_ONLY = 1 << 1, /* the bytes were not readable (sendfile, splice, io_uring) */
    OBI_DF_TRUNCATED = 1 << 2, /* fewer bytes captured than transferred (budget or iovec limit) */
    OBI_DF_NEW_CONN = 1 << 3,  /* first event the kernel saw on this socket */
    OBI_DF_TLS = 1 << 4,       /* plaintext of a TLS connection (libssl probes) */
    OBI_DF_DATAGRAM = 1 << 5,  /* one UDP datagram; tuple.remote_* is its peer (port 0: not known) */
};

/* Which way the bytes were observed: which hook produced the event. */
enum obi_source {
    OBI_SRC_SOCK_TP = 1,    /* tp_btf sock_send_length / sock_recv_length */
    OBI_SRC_SYSCALL_TP = 2, /* tracepoint/syscalls/sys_exit_* */
    OBI_SRC_SSL_UPROBE = 3, /* TLS plaintext: uretprobes of SSL_read/SSL_write (bpf/ssl.bpf.c) */
};

/* The shared structs that the kernel programs copy and clear are 8-byte aligned: clang
 * then moves them in 8-byte words, not byte by byte (BPF has no unaligned access). */
#define OBI_ALIGNED8 __attribute__((aligned(8)))

/* Addresses are IPv6 or IPv4-mapped IPv6 (::ffff:a.b.c.d); ports in host order. */
struct OBI_ALIGNED8 obi_conn_tuple {
    __u8 local_addr[16];
    __u8 remote_addr[16];
    __u16 local_port;
    __u16 remote_port;
    __u16 family; /* AF_INET or AF_INET6 as seen on the socket */
    __u16 _pad;
};

/* W3C trace context generated (or continued) in the kernel at a message start. */
struct OBI_ALIGNED8 obi_trace_ctx {
    __u8 trace_id[16];
    __u8 span_id[8];
    __u8 parent_span_id[8]; /* all zero: no parent known in the kernel */
    __u8 flags;             /* W3C trace-flags, 0x01 = sampled */
    __u8 valid;             /* 1 when the kernel filled this context */
    __u8 _pad[6];
};

struct obi_data_event {
    __u8 kind;      /* OBI_EV_DATA */
    __u8 direction; /* enum obi_direction */
    __u8 role;      /* enum obi_role */
    __u8 flags;     /* enum obi_data_flags */
    __u8 source;    /* enum obi_source */
    __u8 tail_len;  /* bytes of the call's end that follow the captured bytes in data[] */
    __u16 syscall_nr;
    __u32 pid; /* thread group id in the root pid namespace */
    __u32 tid;
    __u32 seq;          /* per-connection event counter: a gap means lost events */
    __u32 captured_len; /* bytes that follow in data[] */
    __s64 bytes;        /* bytes the call transferred (the syscall's return value) */
    __u64 ts_ns;        /* CLOCK_MONOTONIC when the call completed */
    __u64 sock_id;      /* kernel address of the struct sock: connection identity */
    __u64 conn_id;      /* distinguishes successive connections that reuse one sock */
    struct obi_conn_tuple tuple;
    struct obi_trace_ctx tctx; /* valid on message starts */
    __u8 data[]; /* captured_len bytes: the start of this call's buffer; then tail_len bytes: its end */
};

struct obi_close_event {
    __u8 kind; /* OBI_EV_CLOSE */
    __u8 role;
    __u8 _pad[2];
    __u32 pid;
    __u32 seq;
    __u32 _pad2;
    __u64 ts_ns;
    __u64 sock_id;
    __u64 conn_id;
    struct obi_conn_tuple tuple;
};

struct obi_proc_event {
    __u8 kind; /* OBI_EV_PROC_* or OBI_EV_LISTEN */
    __u8 _pad;
    __u16 port; /* OBI_EV_LISTEN: the local port */
    __u32 pid;
    __u32 ppid; /* OBI_EV_PROC_FORK: the parent */
    __u32 netns;
    __u64 ts_ns;
    char comm[OBI_COMM_LEN];
};

/* OBI_EV_PROC_EXEC: the process event, then the program as execve named it. */
struct obi_exec_event {
    struct obi_proc_event proc;
    __u32 args_len; /* bytes used in args[] */
    __u32 _pad;
    char path[OBI_EXEC_PATH_LEN]; /* the path given to execve (bprm->filename), NUL-terminated; may be relative */
    char args[OBI_EXEC_ARGS_LEN]; /* the start of the NUL-separated arguments (argv[0] first) */
};

/* Value of the pid filter map: why a process is traced. */
enum obi_pid_flags {
    /* Added by the kernel at exec or listen, before discovery decided: discovery confirms or
     * removes it within milliseconds, so a new process's first requests are not missed. */
    OBI_PID_PROVISIONAL = 1 << 0,
    /* Set by the libssl probes when a thread of the process enters an SSL call: only then
     * must its socket calls ask whether they are TLS ciphertext of an SSL call. */
    OBI_PID_SSL_CALLS = 1 << 1,
    /* Set by the socket programs when a thread of the process first serves a request: only
     * then may its client calls have a parent in the kernel (bpf/lib/trace_ctx.h). */
    OBI_PID_SERVES = 1 << 2,
    /* The flags the kernel learns; user space keeps them when it rewrites an entry. */
    OBI_PID_KERNEL_LEARNT = OBI_PID_SSL_CALLS | OBI_PID_SERVES,
};
/* A traced process: a slot of obi_pid_slots (indexed by the tgid's low bits) or, when
 * another traced process holds its slot, an entry of obi_pid_filter (bpf/lib/pids.h). */
struct obi_pid_info {
    __u32 flags; /* enum obi_pid_flags */
    __u32 tgid;  /* slots: the owner, 0 when free; OBI_PID_SLOT_SHARED: see obi_pid_filter */
};
/* Slots of the pid table: a power of two. 512 KiB; pid_max is 32768 on most hosts, so
 * there no two processes share a slot. */
#define OBI_PID_SLOTS_MAX 65536
/* In a slot's tgid: some process with this slot lives in obi_pid_filter. Never a tgid bit
 * (PID_MAX_LIMIT is 2^22). */
#define OBI_PID_SLOT_SHARED 0x80000000u

struct obi_listen_key {
    __u32 netns; /* network namespace inode */
    __u16 port;
    __u16 _pad;
};

/* Indexes of the per-CPU statistics array. */
enum obi_stat {
    OBI_STAT_RESERVED = 0,     /* unused: delivered events are counted in user space */
    OBI_STAT_DATA_LOST = 1,    /* data events dropped: ring buffer full */
    OBI_STAT_CTRL_LOST = 2,    /* process/close events dropped: ring buffer full */
    OBI_STAT_TRUNCATED = 3,    /* calls whose capture stopped at the budget */
    OBI_STAT_CONN_CREATED = 4, /* connection states created in the kernel */
    OBI_STAT_SKIPPED = 5,      /* socket calls of traced processes ignored (not TCP, nor a DNS UDP socket) */
    OBI_STAT_TLS_HIDDEN = 6,   /* TLS ciphertext calls not emitted (their plaintext is, from libssl) */
    OBI_STAT_TLS_UNTIED = 7,   /* TLS plaintext calls dropped: the SSL* was not tied to a socket yet */
    OBI_STAT_COUNT = 8,
};

/* Syscall numbers (x86_64) the data path decodes arguments for. */
#define OBI_NR_READ 0
#define OBI_NR_WRITE 1
#define OBI_NR_READV 19
#define OBI_NR_WRITEV 20
#define OBI_NR_SENDFILE 40
#define OBI_NR_SENDTO 44
#define OBI_NR_RECVFROM 45
#define OBI_NR_SENDMSG 46
#define OBI_NR_RECVMSG 47
#define OBI_NR_RECVMMSG 299
#define OBI_NR_SENDMMSG 307

#endif
