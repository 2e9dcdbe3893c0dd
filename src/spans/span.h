// The span the pipeline produces from one request/response exchange, in OBI's model:
// protocol-independent fields plus the HTTP ones. Times are CLOCK_MONOTONIC ns from the
// kernel; exporters convert them with spans/clock.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "spans/ids.h"
#include "spans/service.h"

namespace obi {

// OBI's event types; the names are what the trace printer shows.
enum class SpanType : uint8_t {
    HTTP,        // HTTP server
    HTTPClient,  // HTTP client
    GRPC,
    GRPCClient,
    SQLClient,
    RedisClient,
    RedisServer,
    KafkaClient,
    KafkaServer,
    MQTTClient,
    MongoClient,
    DNS,
};
std::string_view span_type_name(SpanType t);

enum class SpanKind : uint8_t { Internal, Server, Client, Producer, Consumer };
std::string_view span_kind_name(SpanKind k);  // "SPAN_KIND_SERVER" ...

enum class StatusCode : uint8_t { Unset, Ok, Error };
std::string_view status_code_name(StatusCode s);  // "STATUS_CODE_UNSET" ...

struct Span {
    SpanType type = SpanType::HTTP;
    std::string method;  // HTTP method
    std::string path;    // URL path without the query string
    std::string query;   // query string without '?', "" when none
    std::string route;   // http.route, "" when no route
    std::string scheme = "http";
    int status = 0;  // HTTP status code; 0 = no response seen
    int64_t request_body_size = 0;
    int64_t response_body_size = 0;

    uint64_t request_start_ns = 0;  // first byte of the request seen
    uint64_t start_ns = 0;          // handler start (equal to request start for kernel spans)
    uint64_t end_ns = 0;            // last byte of the response seen

    // Addresses as text (IPv4 dotted, IPv6 RFC 5952); ports in host order. As in OBI, the
    // peer is always the client side of the connection and the host the server side, for
    // server and client spans alike.
    std::string peer;
    uint16_t peer_port = 0;
    std::string host;
    uint16_t host_port = 0;
    std::string host_header;  // Host header without port ("" when absent)
    uint16_t host_header_port = 0;

    TraceId trace_id;
    SpanId span_id;
    SpanId parent_span_id;
    uint8_t trace_flags = 1;
    // The trace was started outside this agent (an incoming traceparent, or the
    // application's own outgoing one): its sampled flag is the parent's decision.
    bool trace_from_remote = false;

    uint32_t pid = 0;
    uint32_t tid = 0;
    ServicePtr service;

    bool is_client() const { return type == SpanType::HTTPClient || type == SpanType::GRPCClient; }
    SpanKind kind() const;
    StatusCode status_code() const;  // OBI's status rules per protocol and side
    std::string name() const;        // "METHOD route" or "METHOD"
    std::string server_address() const;
    uint16_t server_port() const;
    std::string client_address() const;
    std::string url_full() const;  // client spans: scheme://host[:port]/path[?query]
};

}  // namespace obi
