// Shared span completion for the protocol handlers (see span_emit.h).
#include "conntrack/span_emit.h"

namespace obi::conntrack {

void set_endpoints(Span& sp, const ConnInfo& conn, bool server_side)
{
    sp.peer = server_side ? conn.remote_addr : conn.local_addr;
    sp.peer_port = server_side ? conn.remote_port : conn.local_port;
    sp.host = server_side ? conn.local_addr : conn.remote_addr;
    sp.host_port = server_side ? conn.local_port : conn.remote_port;
}

void emit_span(const HandlerEnv& env, Span&& sp, const SpanContext& ctx, uint64_t start_ns, uint64_t end_ns,
               uint32_t tid)
{
    sp.request_start_ns = sp.start_ns = start_ns;
    sp.end_ns = end_ns < start_ns ? start_ns : end_ns;
    ctx.apply_to(sp);
    sp.pid = env.conn->pid;
    sp.tid = tid;
    env.counters->spans++;
    env.sink->emit(std::move(sp));
}

}  // namespace obi::conntrack
