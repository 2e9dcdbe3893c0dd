// Span naming, kind and status rules as OBI applies them (obi-compat.md sections 3.1-3.3).
#include "spans/span.h"

namespace obi {

std::string_view span_type_name(SpanType t)
{
    switch (t) {
    case SpanType::HTTP: return "HTTP";
    case SpanType::HTTPClient: return "HTTPClient";
    case SpanType::GRPC: return "GRPC";
    case SpanType::GRPCClient: return "GRPCClient";
    case SpanType::SQLClient: return "SQLClient";
    case SpanType::RedisClient: return "RedisClient";
    case SpanType::RedisServer: return "RedisServer";
    case SpanType::KafkaClient: return "KafkaClient";
    case SpanType::KafkaServer: return "KafkaServer";
    case SpanType::MQTTClient: return "MQTTClient";
    case SpanType::MongoClient: return "MongoClient";
    case SpanType::DNS: return "DNS";
    }
    return "UNKNOWN";
}

std::string_view span_kind_name(SpanKind k)
{
    switch (k) {
    case SpanKind::Internal: return "SPAN_KIND_INTERNAL";
    case SpanKind::Server: return "SPAN_KIND_SERVER";
    case SpanKind::Client: return "SPAN_KIND_CLIENT";
    case SpanKind::Producer: return "SPAN_KIND_PRODUCER";
    case SpanKind::Consumer: return "SPAN_KIND_CONSUMER";
    }
    return "SPAN_KIND_UNSPECIFIED";
}

std::string_view status_code_name(StatusCode s)
{
    switch (s) {
    case StatusCode::Unset: return "STATUS_CODE_UNSET";
    case StatusCode::Ok: return "STATUS_CODE_OK";
    case StatusCode::Error: return "STATUS_CODE_ERROR";
    }
    return "STATUS_CODE_UNSET";
}

SpanKind Span::kind() const
{
    switch (type) {
    case SpanType::HTTP:
    case SpanType::GRPC:
    case SpanType::RedisServer:
    case SpanType::KafkaServer: return SpanKind::Server;
    default: return SpanKind::Client;
    }
}

StatusCode Span::status_code() const
{
    switch (type) {
    case SpanType::HTTP:  // server: 0 (no response) or 5xx
        return (status == 0 || status >= 500) ? StatusCode::Error : StatusCode::Unset;
    case SpanType::HTTPClient:  // client: 0 or >= 400
        return (status == 0 || status >= 400) ? StatusCode::Error : StatusCode::Unset;
    default: return StatusCode::Unset;
    }
}

std::string Span::name() const
{
    if (route.empty()) return method;
    std::string n;
    n.reserve(method.size() + 1 + route.size());
    n.append(method).append(" ").append(route);
    return n;
}

std::string Span::server_address() const { return host_header.empty() ? host : host_header; }

uint16_t Span::server_port() const { return host_port; }

std::string Span::client_address() const { return peer; }

std::string Span::url_full() const
{
    std::string out;
    if (host_header.empty() && host.empty()) {
        out = path;
    } else {
        std::string host_part = host_header.empty() ? host : host_header;
        if (host_part.find(':') != std::string::npos) host_part = "[" + host_part + "]";
        uint16_t port = host_header.empty() ? host_port : host_header_port;
        out = scheme + "://" + host_part;
        bool default_port = (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
        if (port != 0 && !default_port) out += ":" + std::to_string(port);
        out += path;
    }
    if (!query.empty()) out += "?" + query;
    return out;
}

}  // namespace obi
