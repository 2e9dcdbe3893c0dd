// Compile-time checks that the C++ view of the kernel/user shared structs matches the
// layout the kernel programs write (bpf/shared/obi_events.h).
#include <cstddef>

#include "obi_events.h"

static_assert(sizeof(obi_conn_tuple) == 40);
static_assert(offsetof(obi_conn_tuple, local_port) == 32);
static_assert(sizeof(obi_trace_ctx) == 40);
static_assert(offsetof(obi_trace_ctx, flags) == 32);
static_assert(offsetof(obi_data_event, bytes) == 24);
static_assert(offsetof(obi_data_event, ts_ns) == 32);
static_assert(offsetof(obi_data_event, sock_id) == 40);
static_assert(offsetof(obi_data_event, tuple) == 56);
static_assert(offsetof(obi_data_event, tctx) == 96);
static_assert(sizeof(obi_data_event) == 136);
static_assert(offsetof(obi_data_event, data) == sizeof(obi_data_event));
static_assert(sizeof(obi_close_event) == 80);
static_assert(offsetof(obi_close_event, tuple) == 40);
static_assert(sizeof(obi_proc_event) == 40);
static_assert(sizeof(obi_exec_event) == 40 + 8 + OBI_EXEC_PATH_LEN + OBI_EXEC_ARGS_LEN);
static_assert(sizeof(obi_listen_key) == 8);
static_assert(sizeof(obi_pid_info) == 8);
static_assert((OBI_CAPTURE_MAX & (OBI_CAPTURE_MAX - 1)) == 0, "copy mask needs a power of two");
static_assert(sizeof(obi_data_event) + 3 * OBI_CAPTURE_MAX <= 32768, "per-CPU scratch value limit");
static_assert((OBI_TAIL_LEN & (OBI_TAIL_LEN - 1)) == 0 && 2 * OBI_TAIL_LEN - 1 <= 255, "tail_len is a __u8 and a mask");
static_assert(OBI_CAPTURE_MAX + OBI_TAIL_LEN < 2 * OBI_CAPTURE_MAX, "captured bytes and tail within the output mask");
