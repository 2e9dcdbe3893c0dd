// Span encoding, field by field, per trace.proto.
#include "export/otlp/trace_encoder.h"

#include <unordered_map>

#include "export/otlp/common_encoder.h"
#include "spans/attributes.h"

namespace obi::otlp {
namespace {

pb_trace::Span::SpanKind to_proto(SpanKind k)
{
    switch (k) {
    case SpanKind::Internal: return pb_trace::Span::SPAN_KIND_INTERNAL;
    case SpanKind::Server: return pb_trace::Span::SPAN_KIND_SERVER;
    case SpanKind::Client: return pb_trace::Span::SPAN_KIND_CLIENT;
    case SpanKind::Producer: return pb_trace::Span::SPAN_KIND_PRODUCER;
    case SpanKind::Consumer: return pb_trace::Span::SPAN_KIND_CONSUMER;
    }
    return pb_trace::Span::SPAN_KIND_UNSPECIFIED;
}

pb_trace::Status::StatusCode to_proto(StatusCode s)
{
    switch (s) {
    case StatusCode::Ok: return pb_trace::Status::STATUS_CODE_OK;
    case StatusCode::Error: return pb_trace::Status::STATUS_CODE_ERROR;
    case StatusCode::Unset: break;
    }
    return pb_trace::Status::STATUS_CODE_UNSET;
}

template <size_t N>
void set_bytes(std::string* field, const std::array<uint8_t, N>& b)
{
    field->assign(reinterpret_cast<const char*>(b.data()), N);
}

}  // namespace

bool parent_is_remote(const Span& span)
{
    return span.parent_span_id.valid() && span.trace_from_remote && span.kind() == SpanKind::Server;
}

uint32_t span_flags(const Span& span)
{
    uint32_t flags = span.trace_flags | kFlagHasIsRemote;
    if (parent_is_remote(span)) flags |= kFlagIsRemote;
    return flags;
}

void encode_span(const Span& span, const MonoClock& clock, pb_trace::Span* out)
{
    set_bytes(out->mutable_trace_id(), span.trace_id.bytes);
    set_bytes(out->mutable_span_id(), span.span_id.bytes);
    if (span.parent_span_id.valid()) set_bytes(out->mutable_parent_span_id(), span.parent_span_id.bytes);
    out->set_flags(span_flags(span));
    set_string(out->mutable_name(), span.name());
    out->set_kind(to_proto(span.kind()));
    uint64_t start = span.request_start_ns ? span.request_start_ns : span.start_ns;
    out->set_start_time_unix_nano(start ? clock.to_unix_ns(start) : 0);
    out->set_end_time_unix_nano(span.end_ns ? clock.to_unix_ns(span.end_ns) : 0);
    encode_attributes(span_attributes(span), out->mutable_attributes());
    out->mutable_status()->set_code(to_proto(span.status_code()));
}

void encode_traces(std::span<const Span> spans, const MonoClock& clock, TraceRequest* out)
{
    out->Clear();
    std::unordered_map<const ServiceInfo*, pb_trace::ScopeSpans*> by_service;
    for (const Span& span : spans) {
        const ServiceInfo* svc = span.service.get();
        auto [it, added] = by_service.try_emplace(svc, nullptr);
        if (added) {
            pb_trace::ResourceSpans* rs = out->add_resource_spans();
            encode_resource(svc, rs->mutable_resource());
            it->second = rs->add_scope_spans();
            encode_scope(it->second->mutable_scope());
        }
        encode_span(span, clock, it->second->add_spans());
    }
}

}  // namespace obi::otlp
