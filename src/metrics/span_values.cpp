// Span attribute accessors by OpenTelemetry name.
#include "metrics/span_values.h"

#include <algorithm>
#include <array>
#include <utility>

#include "metrics/attribute_select.h"

namespace obi::metrics {
namespace {

bool is_http(const Span& s) { return s.is_http(); }

AttrValue db_str(const Span& s, const std::string Span::*field)
{
    return s.is_db() ? AttrValue::str_or_absent(s.*field) : AttrValue::absent();
}

AttrValue messaging_str(const Span& s, const std::string Span::*field)
{
    return s.is_messaging() ? AttrValue::str_or_absent(s.*field) : AttrValue::absent();
}

AttrValue service_str(const Span& s, const std::string ServiceInfo::*field)
{
    if (!s.service) return AttrValue::absent();
    return AttrValue::str((*s.service).*field);
}

using Entry = std::pair<std::string_view, SpanValueFn>;

// Folded names ('_' -> '.'), see fold_attribute_name.
const auto kValues = std::to_array<Entry>({
    {"http.request.method",
     [](const Span& s, std::string&) { return is_http(s) ? AttrValue::str(s.method) : AttrValue{}; }},
    {"http.response.status.code",
     [](const Span& s, std::string&) { return is_http(s) ? AttrValue::integer(s.status) : AttrValue{}; }},
    {"http.route", [](const Span& s, std::string&) { return AttrValue::str_or_absent(s.route); }},
    {"url.path", [](const Span& s, std::string&) { return is_http(s) ? AttrValue::str(s.path) : AttrValue{}; }},
    {"url.query", [](const Span& s, std::string&) { return AttrValue::str_or_absent(s.query); }},
    {"url.scheme", [](const Span& s, std::string&) { return is_http(s) ? AttrValue::str(s.scheme) : AttrValue{}; }},
    {"url.full",
     [](const Span& s, std::string& scratch) {
         scratch = s.url_full();
         return AttrValue::str(scratch);
     }},
    {"server.address", [](const Span& s, std::string&) { return AttrValue::str(span_server_address(s)); }},
    {"server.port", [](const Span& s, std::string&) { return AttrValue::integer(s.server_port()); }},
    {"client.address", [](const Span& s, std::string&) { return AttrValue::str(s.peer); }},
    {"client.port", [](const Span& s, std::string&) { return AttrValue::integer(s.peer_port); }},
    {"http.request.body.size", [](const Span& s, std::string&) { return AttrValue::integer(s.request_body_size); }},
    {"http.response.body.size", [](const Span& s, std::string&) { return AttrValue::integer(s.response_body_size); }},
    {"service.name", [](const Span& s, std::string&) { return service_str(s, &ServiceInfo::name); }},
    {"service.namespace", [](const Span& s, std::string&) { return service_str(s, &ServiceInfo::namespace_); }},
    {"service.instance.id", [](const Span& s, std::string&) { return service_str(s, &ServiceInfo::instance_id); }},
    {"instance", [](const Span& s, std::string&) { return service_str(s, &ServiceInfo::instance_id); }},
    {"telemetry.sdk.language", [](const Span& s, std::string&) { return service_str(s, &ServiceInfo::sdk_language); }},
    {"host.name", [](const Span& s, std::string&) { return service_str(s, &ServiceInfo::host_name); }},
    {"host.id", [](const Span& s, std::string&) { return service_str(s, &ServiceInfo::host_id); }},
    {"job",
     [](const Span& s, std::string& scratch) {
         if (!s.service) return AttrValue::absent();
         scratch = s.service->namespace_.empty() ? s.service->name : s.service->namespace_ + "/" + s.service->name;
         return AttrValue::str(scratch);
     }},
    {"span.name",
     [](const Span& s, std::string& scratch) {
         s.name_into(scratch);
         return AttrValue::str(scratch);
     }},
    {"rpc.method", [](const Span& s, std::string&) { return s.is_grpc() ? AttrValue::str(s.path) : AttrValue{}; }},
    {"rpc.system.name",
     [](const Span& s, std::string&) { return s.is_grpc() ? AttrValue::str("grpc") : AttrValue{}; }},
    {"rpc.response.status.code",
     [](const Span& s, std::string&) {
         return s.is_grpc() ? AttrValue::str_or_absent(grpc_status_name(s.rpc_status)) : AttrValue{};
     }},
    {"db.system.name", [](const Span& s, std::string&) { return db_str(s, &Span::db_system); }},
    {"db.operation.name", [](const Span& s, std::string&) { return db_str(s, &Span::operation); }},
    {"db.collection.name", [](const Span& s, std::string&) { return db_str(s, &Span::collection); }},
    {"db.namespace", [](const Span& s, std::string&) { return db_str(s, &Span::db_namespace); }},
    {"error.type",
     [](const Span& s, std::string&) { return s.error ? AttrValue::str_or_absent(s.error_code) : AttrValue{}; }},
    {"messaging.system", [](const Span& s, std::string&) { return messaging_str(s, &Span::db_system); }},
    {"messaging.destination.name", [](const Span& s, std::string&) { return messaging_str(s, &Span::collection); }},
    {"messaging.operation.type", [](const Span& s, std::string&) { return messaging_str(s, &Span::operation); }},
    {"dns.question.name",
     [](const Span& s, std::string&) { return s.type == SpanType::DNS ? AttrValue::str(s.collection) : AttrValue{}; }},
    {"span.kind", [](const Span& s, std::string&) { return AttrValue::str(span_kind_name(s.kind())); }},
    {"status.code", [](const Span& s, std::string&) { return AttrValue::str(status_code_name(s.status_code())); }},
    {"source", [](const Span&, std::string&) { return AttrValue::str("obi"); }},
    {"os.type", [](const Span&, std::string&) { return AttrValue::str("linux"); }},
    {"process.pid", [](const Span& s, std::string&) { return AttrValue::integer(s.pid); }},
});

}  // namespace

std::string_view span_server_address(const Span& s) { return s.host_header.empty() ? s.host : s.host_header; }

double span_duration_s(const Span& s)
{
    if (s.end_ns <= s.request_start_ns) return 0;
    return static_cast<double>(s.end_ns - s.request_start_ns) / 1e9;
}

SpanValueFn span_value_fn(std::string_view name)
{
    std::string folded = fold_attribute_name(name);
    auto it = std::find_if(kValues.begin(), kValues.end(), [&](const Entry& e) { return e.first == folded; });
    return it == kValues.end() ? nullptr : it->second;
}

}  // namespace obi::metrics
