// The application RED metrics (obi-compat.md 4.2-4.4) declared in one registry, with one
// recording call per protocol family. HTTP is fed by SpanMetrics; RPC, database and
// messaging recorders call the other functions as their parsers arrive.
#pragma once

#include <cstdint>
#include <string_view>

#include "metrics/features.h"
#include "metrics/registry.h"

namespace obi::metrics {

// Definitions with OBI's current names, units, default attributes and buckets.
MetricDef http_server_duration_def();
MetricDef http_server_request_size_def();
MetricDef http_server_response_size_def();
MetricDef http_client_duration_def();
MetricDef http_client_request_size_def();
MetricDef http_client_response_size_def();
MetricDef rpc_server_duration_def();
MetricDef rpc_client_duration_def();
MetricDef db_client_duration_def();
MetricDef messaging_client_duration_def();
MetricDef messaging_process_duration_def();
MetricDef dns_lookup_duration_def();

struct HttpValues {
    std::string_view method;
    int64_t status_code = 0;
    std::string_view route;  // "" = no http.route attribute
    std::string_view server_address;
    int64_t server_port = 0;
    std::string_view url_path;        // opt-in
    std::string_view client_address;  // opt-in, server side only
    double duration_s = 0;
    int64_t request_body_size = 0;  // < 0 (unknown) is recorded as 0
    int64_t response_body_size = 0;
};

struct RpcValues {
    std::string_view method;       // rpc.method: /package.Service/Method
    std::string_view system;       // rpc.system.name: grpc
    std::string_view status_code;  // rpc.response.status_code
    std::string_view server_address;
    int64_t server_port = 0;          // server side only
    std::string_view client_address;  // opt-in, server side only
    double duration_s = 0;
};

struct DbValues {
    std::string_view operation;   // db.operation.name
    std::string_view system;      // db.system.name
    std::string_view error_type;  // "" when the operation succeeded
    std::string_view server_address;
    std::string_view collection;  // db.collection.name, opt-in
    double duration_s = 0;
};

struct DnsValues {
    std::string_view question;    // dns.question.name
    std::string_view error_type;  // RCODE name or "timeout"; "" when answered without error
    double duration_s = 0;
};

struct MessagingValues {
    std::string_view system;       // messaging.system
    std::string_view destination;  // messaging.destination.name
    std::string_view server_address;
    double duration_s = 0;
};

class AppMetrics {
public:
    // Declares the metrics of the enabled instrumentations in `registry`.
    AppMetrics(MetricsRegistry& registry, const Instrumentations& instrumentations);

    void http_server(const ServicePtr& service, const HttpValues& v);
    void http_client(const ServicePtr& service, const HttpValues& v);
    void rpc_server(const ServicePtr& service, const RpcValues& v);
    void rpc_client(const ServicePtr& service, const RpcValues& v);
    void db_client(const ServicePtr& service, const DbValues& v);           // SQL, Redis, Mongo, ...
    void messaging_client(const ServicePtr& service, const MessagingValues& v);  // publish
    void messaging_process(const ServicePtr& service, const MessagingValues& v);
    void dns_lookup(const ServicePtr& service, const DnsValues& v);

private:
    Instrument* http_server_duration_ = nullptr;
    Instrument* http_server_request_size_ = nullptr;
    Instrument* http_server_response_size_ = nullptr;
    Instrument* http_client_duration_ = nullptr;
    Instrument* http_client_request_size_ = nullptr;
    Instrument* http_client_response_size_ = nullptr;
    Instrument* rpc_server_duration_ = nullptr;
    Instrument* rpc_client_duration_ = nullptr;
    Instrument* db_client_duration_ = nullptr;
    Instrument* messaging_client_duration_ = nullptr;
    Instrument* messaging_process_duration_ = nullptr;
    Instrument* dns_lookup_duration_ = nullptr;
};

}  // namespace obi::metrics
