// assign_span_context: the id rules of server and client spans.
#include "conntrack/span_context.h"

#include <algorithm>

namespace obi::conntrack {
namespace {

SpanId kernel_span(const uint8_t* b)
{
    SpanId s;
    std::copy(b, b + 8, s.bytes.begin());
    return s;
}

TraceId kernel_trace(const uint8_t* b)
{
    TraceId t;
    std::copy(b, b + 16, t.bytes.begin());
    return t;
}

}  // namespace

SpanContext assign_span_context(const obi_trace_ctx* k, std::string_view traceparent, bool server_side,
                                TraceResolver& resolver)
{
    SpanContext p;
    std::optional<TraceParent> tp;
    if (!traceparent.empty()) tp = parse_traceparent(traceparent);
    p.span_id = k ? kernel_span(k->span_id) : random_span_id();
    if (!p.span_id.valid()) p.span_id = random_span_id();
    if (server_side) {
        if (tp) {
            p.trace_id = tp->trace_id;
            p.parent_id = tp->parent_id;
            p.flags = tp->flags;
            p.from_remote = true;
        } else {
            p.trace_id = k ? kernel_trace(k->trace_id) : random_trace_id();
            if (!p.trace_id.valid()) p.trace_id = random_trace_id();
        }
        if (k) resolver.remember(kernel_span(k->span_id), {p.trace_id, p.span_id, p.flags, p.from_remote});
        return p;
    }
    // Client: the kernel parented the call to the thread's in-flight server request.
    p.trace_id = k ? kernel_trace(k->trace_id) : random_trace_id();
    if (k) {
        SpanId kparent = kernel_span(k->parent_span_id);
        if (kparent.valid()) {
            if (auto r = resolver.resolve(kparent)) {
                p.trace_id = r->trace_id;
                p.parent_id = r->span_id;
                p.flags = r->flags;
                p.from_remote = r->from_remote;
            } else {
                p.parent_id = kparent;
            }
        }
    }
    if (!p.trace_id.valid()) p.trace_id = random_trace_id();
    if (tp) {  // the application propagates its own context: it wins
        if (tp->trace_id != p.trace_id) p.parent_id = SpanId();
        p.trace_id = tp->trace_id;
        p.span_id = tp->parent_id;
        p.flags = tp->flags;
        p.from_remote = true;
    }
    return p;
}

void alias_kernel_context(const obi_trace_ctx& k, const SpanContext& ctx, TraceResolver& resolver)
{
    resolver.remember(kernel_span(k.span_id), {ctx.trace_id, ctx.span_id, ctx.flags, ctx.from_remote});
}

}  // namespace obi::conntrack
