// The end of every protocol handler's span: the fields all protocols share, then the sink.
#pragma once

#include <cstdint>

#include "conntrack/protocol.h"
#include "conntrack/span_context.h"

namespace obi::conntrack {

// The endpoints in OBI's convention: peer = the client side, host = the server side;
// `server_side` says which of the two this process is.
void set_endpoints(Span& sp, const ConnInfo& conn, bool server_side);

// Sets the request start and the end (never before the start), the trace context, the
// process and thread; counts the span and hands it to the sink.
void emit_span(const HandlerEnv& env, Span&& sp, const SpanContext& ctx, uint64_t start_ns, uint64_t end_ns,
               uint32_t tid);

}  // namespace obi::conntrack
