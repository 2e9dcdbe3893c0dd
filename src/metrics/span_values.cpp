// Span attribute accessors by OpenTelemetry name.
#include "metrics/span_values.h"

#include <algorithm>
#include <array>
#include <utility>

#include "metrics/attribute_select.h"

namespace obi::metrics {
namespace {

bool is_http(const Span& s) { return s.type == SpanType::HTTP || s.type == SpanType::HTTPClient; }

AttrValue service_str(const Span& s, const std::string ServiceInfo::*field)
{
    if (!s.service) return AttrValue::absent();
    return AttrValue::str((*s.service).*field);
}

using Entry = std::pair<std::string_view, SpanValueFn>;

// Folded names ('_' -> '.'), see fold_attribute_name.
const std::array<Entry, 27> kValues = {{
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
         scratch.assign(s.method);
         if (!s.route.empty()) scratch.append(" ").append(s.route);
         return AttrValue::str(scratch);
     }},
    {"span.kind", [](const Span& s, std::string&) { return AttrValue::str(span_kind_name(s.kind())); }},
    {"status.code", [](const Span& s, std::string&) { return AttrValue::str(status_code_name(s.status_code())); }},
    {"source", [](const Span&, std::string&) { return AttrValue::str("obi"); }},
    {"os.type", [](const Span&, std::string&) { return AttrValue::str("linux"); }},
    {"process.pid", [](const Span& s, std::string&) { return AttrValue::integer(s.pid); }},
}};

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
