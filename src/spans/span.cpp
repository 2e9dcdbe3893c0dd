// Span naming, kind and status rules as OBI applies them (obi-compat.md sections 3.1-3.3).
#include "spans/span.h"

#include <iterator>

namespace obi {

std::string_view span_type_name(SpanType t)
{
    switch (t) {
    case SpanType::HTTP: return "HTTP";
    case SpanType::HTTPClient: return "HTTPClient";
    case SpanType::GRPC: return "GRPC";
    case SpanType::GRPCClient: return "GRPCClient";
    case SpanType::SQLClient: return "SQLClient";
    case SpanType::SQLServer: return "SQLServer";
    case SpanType::RedisClient: return "RedisClient";
    case SpanType::RedisServer: return "RedisServer";
    case SpanType::KafkaClient: return "KafkaClient";
    case SpanType::KafkaServer: return "KafkaServer";
    case SpanType::MQTTClient: return "MQTTClient";
    case SpanType::MQTTServer: return "MQTTServer";
    case SpanType::MongoClient: return "MongoClient";
    case SpanType::DNS: return "DNS";
    }
    return "UNKNOWN";
}

std::string_view grpc_status_name(int code)
{
    static constexpr std::string_view kNames[] = {
        "OK",        "CANCELLED",          "UNKNOWN",   "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
        "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
    if (code < 0 || code >= static_cast<int>(std::size(kNames))) return {};
    return kNames[code];
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

bool Span::is_client() const
{
    switch (type) {
    case SpanType::HTTP:
    case SpanType::GRPC:
    case SpanType::SQLServer:
    case SpanType::RedisServer:
    case SpanType::KafkaServer:
    case SpanType::MQTTServer: return false;
    default: return true;
    }
}

bool Span::is_db() const
{
    switch (type) {
    case SpanType::SQLClient:
    case SpanType::SQLServer:
    case SpanType::RedisClient:
    case SpanType::RedisServer:
    case SpanType::MongoClient: return true;
    default: return false;
    }
}

bool Span::is_messaging() const
{
    switch (type) {
    case SpanType::KafkaClient:
    case SpanType::KafkaServer:
    case SpanType::MQTTClient:
    case SpanType::MQTTServer: return true;
    default: return false;
    }
}

SpanKind Span::kind() const
{
    switch (type) {
    case SpanType::KafkaClient:
    case SpanType::MQTTClient:
        return operation == "publish" ? SpanKind::Producer : SpanKind::Consumer;
    default: return is_client() ? SpanKind::Client : SpanKind::Server;
    }
}

StatusCode Span::status_code() const
{
    switch (type) {
    case SpanType::HTTP:  // server: 0 (no response) or 5xx
        return (status == 0 || status >= 500) ? StatusCode::Error : StatusCode::Unset;
    case SpanType::HTTPClient:  // client: 0 or >= 400
        return (status == 0 || status >= 400) ? StatusCode::Error : StatusCode::Unset;
    case SpanType::GRPC:  // server: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS
        switch (rpc_status) {
        case -1:
        case 2:
        case 4:
        case 12:
        case 13:
        case 14:
        case 15: return StatusCode::Error;
        default: return StatusCode::Unset;
        }
    case SpanType::GRPCClient: return rpc_status != 0 ? StatusCode::Error : StatusCode::Unset;
    case SpanType::KafkaClient:
    case SpanType::KafkaServer:
    case SpanType::MQTTClient:
    case SpanType::MQTTServer: return StatusCode::Unset;  // OBI: messaging spans are never errors
    default: return error ? StatusCode::Error : StatusCode::Unset;
    }
}

void Span::name_into(std::string& n) const
{
    n.clear();
    auto two = [&n](std::string_view a, std::string_view b) {
        n.append(a);
        if (!a.empty() && !b.empty()) n.push_back(' ');
        n.append(b);
    };
    switch (type) {
    case SpanType::HTTP:
    case SpanType::HTTPClient: two(method, route); return;
    case SpanType::GRPC:
    case SpanType::GRPCClient: n.append(path); return;
    case SpanType::SQLClient:
    case SpanType::SQLServer:
        two(operation, collection);
        if (n.empty()) n = "SQL";
        return;
    case SpanType::RedisClient:
    case SpanType::RedisServer: n.append(operation.empty() ? std::string_view("REDIS") : std::string_view(operation)); return;
    case SpanType::MongoClient:
        two(operation, collection);
        if (n.empty()) n = "mongodb";
        return;
    case SpanType::KafkaClient:
    case SpanType::KafkaServer:
    case SpanType::MQTTClient:
    case SpanType::MQTTServer: two(operation, collection); return;
    case SpanType::DNS:
        two(operation, collection);
        if (n.empty()) n = "DNS";
        return;
    }
}

std::string Span::name() const
{
    std::string n;
    name_into(n);
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
