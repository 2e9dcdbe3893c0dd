// Trace context of a span from the kernel's context at its message start and an optional
// W3C traceparent seen in the message: shared by every protocol handler so that server
// spans join incoming traces and client calls become children of the request being served.
#pragma once

#include <optional>
#include <string_view>

#include "conntrack/trace_resolver.h"
#include "obi_events.h"
#include "spans/ids.h"
#include "spans/span.h"

namespace obi::conntrack {

struct SpanContext {
    TraceId trace_id;
    SpanId span_id, parent_id;
    uint8_t flags = 1;
    bool from_remote = false;  // see Span::trace_from_remote

    void apply_to(Span& s) const
    {
        s.trace_id = trace_id;
        s.span_id = span_id;
        s.parent_span_id = parent_id;
        s.trace_flags = flags;
        s.trace_from_remote = from_remote;
    }
};

// `kctx`: the kernel's context of the request's first bytes (nullptr when none: a request
// that did not start a burst, or a connection the kernel saw first mid-stream).
// `traceparent`: the header value carried by the request ("" when none).
// Server side: an incoming traceparent wins; the kernel span id is remembered in `resolver`
// so client calls the kernel parented to it resolve to this span. Client side: the kernel's
// parent is resolved; an outgoing traceparent the application wrote itself wins.
SpanContext assign_span_context(const obi_trace_ctx* kctx, std::string_view traceparent, bool server_side,
                                TraceResolver& resolver);

// A second kernel context for a request already being read (e.g. its body after a
// 100 Continue, or the next call of a long request): children linked to it resolve to `ctx`.
void alias_kernel_context(const obi_trace_ctx& kctx, const SpanContext& ctx, TraceResolver& resolver);

}  // namespace obi::conntrack
