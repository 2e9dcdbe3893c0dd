/* Base includes, kernel constants missing from vmlinux.h, and load-time configuration
 * shared by every kernel program of the agent. */
#ifndef OBI_BPF_COMMON_H
#define OBI_BPF_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "obi_events.h"

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define MSG_PEEK 2
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* enum tcp_state values (include/net/tcp_states.h): stable kernel ABI. */
#define OBI_TCP_ESTABLISHED 1
#define OBI_TCP_CLOSE 7
#define OBI_TCP_LISTEN 10

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* Hides a value's known range from the compiler, so that a following mask is kept and the
 * verifier sees the bound (clang drops masks it can prove redundant). */
#define OBI_BARRIER_VAR(v) asm volatile("" : "+r"(v))

/* Set by the agent before load (rodata): see src/ebpf/. */
const volatile __u32 obi_capture_size = OBI_CAPTURE_DEFAULT; /* bytes per message burst */
const volatile __u32 obi_wakeup_bytes = 65536; /* wake user space once this much is queued */
/* How many bytes a CPU emits between two looks at the ring's fill: wakeup bytes / (2 x CPUs),
 * so all CPUs together overshoot the wakeup point by at most half of it. */
const volatile __u32 obi_query_bytes = 4096;
const volatile __u32 obi_agent_pid = 0;          /* never traced */
const volatile bool obi_trace_new_execs = false; /* trace every new exec until discovery decides */
const volatile __u32 obi_pid_slot_mask = OBI_PID_SLOTS_MAX - 1; /* slots of obi_pid_slots - 1 */

#endif
