// The span the pipeline produces from one request/response exchange, in OBI's model:
// protocol-independent fields, the HTTP ones, and those of RPC, database, messaging and
// DNS. Times are CLOCK_MONOTONIC ns from the kernel; exporters convert them (spans/clock.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spans/ids.h"
#include "spans/service.h"

namespace obi {

// OBI's event types; the names are what the trace printer shows.
enum class SpanType : uint8_t {
    HTTP,        // HTTP server (HTTP/1.x and HTTP/2)
    HTTPClient,  // HTTP client
    GRPC,        // gRPC server
    GRPCClient,
    SQLClient,  // PostgreSQL, MySQL (db_system tells)
    SQLServer,
    RedisClient,
    RedisServer,
    KafkaClient,  // operation publish (PRODUCER) or process (CONSUMER)
    KafkaServer,
    MQTTClient,  // operation publish (PRODUCER) or process / subscribe (CONSUMER)
    MQTTServer,
    MongoClient,
    DNS,  // a DNS lookup, client side
};
inline constexpr unsigned kSpanTypeCount = static_cast<unsigned>(SpanType::DNS) + 1;  // DNS stays last
std::string_view span_type_name(SpanType t);

enum class SpanKind : uint8_t { Internal, Server, Client, Producer, Consumer };
std::string_view span_kind_name(SpanKind k);  // "SPAN_KIND_SERVER" ...

enum class StatusCode : uint8_t { Unset, Ok, Error };
std::string_view status_code_name(StatusCode s);  // "STATUS_CODE_UNSET" ...

// gRPC status codes by number ("OK", "CANCELLED", ... "UNAUTHENTICATED"); "" outside 0-16.
std::string_view grpc_status_name(int code);

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

    // gRPC (GRPC, GRPCClient): `path` is the full method /package.Service/Method, `method`
    // is the HTTP/2 method, `status` the HTTP/2 :status; this is the grpc-status (-1: none seen).
    int rpc_status = -1;

    // Databases, caches, messaging and DNS (see SpanType). Strings are empty when unknown.
    std::string db_system;      // db.system.name (postgresql mysql redis mongodb) or messaging.system (kafka mqtt)
    std::string operation;      // db.operation.name (SELECT, SET, find), messaging op (publish, process), DNS op
    std::string collection;     // db.collection.name, messaging.destination.name, dns.question.name
    std::string db_namespace;   // db.namespace: database name, Redis DB index
    std::string statement;      // db.query.text: sanitised unless the user asked for raw text
    std::string error_code;     // db.response.status_code / error.type: SQLSTATE, Redis error prefix, Mongo code
    std::string server_code;    // db.response.status_code when it is not error_code: MySQL's error number
    std::string error_message;  // the server's error text (status message, when allowed)
    bool error = false;         // the protocol reported an error for this operation
    std::string client_id;      // messaging.client.id
    int64_t partition = -1;     // messaging.destination.partition.id (-1: none)
    int64_t offset = -1;        // messaging.kafka.offset (process only; -1: none)
    int dns_answers = -1;       // answer records in the response (-1: no response seen)
    uint16_t dns_qtype = 0;     // question type (1 A, 28 AAAA, ...)
    std::vector<std::string> dns_addresses;  // dns.answers: A/AAAA answers as text (at most 16)

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

    // The instrumented process is the client side (it opened the connection / sent the query).
    bool is_client() const;
    bool is_http() const { return type == SpanType::HTTP || type == SpanType::HTTPClient; }
    bool is_grpc() const { return type == SpanType::GRPC || type == SpanType::GRPCClient; }
    bool is_db() const;         // SQL, Redis, MongoDB
    bool is_messaging() const;  // Kafka, MQTT
    SpanKind kind() const;
    StatusCode status_code() const;  // OBI's status rules per protocol and side
    // OBI's span names: "METHOD route" / "METHOD" (HTTP), the full method (gRPC), "OP table"
    // (SQL), the command (Redis), "op collection" (MongoDB), "op topic" (messaging), ...
    std::string name() const;
    void name_into(std::string& out) const;  // the same, into a reused buffer
    std::string server_address() const;
    uint16_t server_port() const;
    std::string client_address() const;
    std::string url_full() const;  // client spans: scheme://host[:port]/path[?query]
};

}  // namespace obi
