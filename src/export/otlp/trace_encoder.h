// Spans -> ExportTraceServiceRequest: one ResourceSpans per service, one scope
// (go.opentelemetry.io/obi), typed attributes, W3C ids as bytes, Unix-time timestamps.
#pragma once

#include <cstdint>
#include <span>

#include "export/otlp/transport.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"
#include "spans/clock.h"
#include "spans/span.h"

namespace obi::otlp {

namespace pb_trace = opentelemetry::proto::trace::v1;

// Span.flags bits (trace.proto SpanFlags).
inline constexpr uint32_t kFlagHasIsRemote = 0x100;
inline constexpr uint32_t kFlagIsRemote = 0x200;

// The parent span was produced outside this agent: a server span that joined the trace of
// an incoming traceparent. Client spans are parented to the agent's own server span (or
// to the application's own context, which the agent also observed in this process).
bool parent_is_remote(const Span& span);

// Low 8 bits: the W3C trace flags; bit 8 always set (we know where the parent is); bit 9
// when parent_is_remote(). Root spans have bit 8 only.
uint32_t span_flags(const Span& span);

void encode_span(const Span& span, const MonoClock& clock, pb_trace::Span* out);

// Replaces the contents of `out` with `spans`, grouped by service in first-seen order.
void encode_traces(std::span<const Span> spans, const MonoClock& clock, TraceRequest* out);

}  // namespace obi::otlp
