// Span and resource attribute sets (obi-compat.md sections 2.2 and 3.3).
#include "spans/attributes.h"

namespace obi {

const char* agent_version()
{
#ifdef OBI_VERSION
    return OBI_VERSION;
#else
    return "dev";
#endif
}

std::vector<Attribute> span_attributes(const Span& s)
{
    std::vector<Attribute> a;
    a.reserve(12);
    switch (s.type) {
    case SpanType::HTTP:
        a.push_back({"http.request.method", s.method});
        a.push_back({"http.response.status_code", int64_t{s.status}});
        a.push_back({"url.path", s.path});
        if (!s.query.empty()) a.push_back({"url.query", s.query});
        a.push_back({"url.scheme", s.scheme});
        a.push_back({"client.address", s.client_address()});
        a.push_back({"server.address", s.server_address()});
        a.push_back({"server.port", int64_t{s.server_port()}});
        a.push_back({"http.request.body.size", s.request_body_size});
        a.push_back({"http.response.body.size", s.response_body_size});
        if (!s.route.empty()) a.push_back({"http.route", s.route});
        break;
    case SpanType::HTTPClient:
        a.push_back({"http.request.method", s.method});
        a.push_back({"http.response.status_code", int64_t{s.status}});
        a.push_back({"url.full", s.url_full()});
        a.push_back({"url.scheme", s.scheme});
        a.push_back({"server.address", s.server_address()});
        a.push_back({"server.port", int64_t{s.server_port()}});
        a.push_back({"http.request.body.size", s.request_body_size});
        a.push_back({"http.response.body.size", s.response_body_size});
        if (!s.route.empty()) a.push_back({"http.route", s.route});
        break;
    default: break;
    }
    return a;
}

std::vector<Attribute> resource_attributes(const ServiceInfo& svc)
{
    std::vector<Attribute> a;
    a.push_back({"service.name", svc.name});
    if (!svc.namespace_.empty()) a.push_back({"service.namespace", svc.namespace_});
    a.push_back({"service.instance.id", svc.instance_id});
    a.push_back({"telemetry.sdk.language", svc.sdk_language});
    a.push_back({"telemetry.sdk.name", std::string(kSdkName)});
    a.push_back({"telemetry.sdk.version", std::string(agent_version())});
    a.push_back({"telemetry.distro.name", std::string(kDistroName)});
    a.push_back({"telemetry.distro.version", std::string(agent_version())});
    a.push_back({"host.name", svc.host_name});
    a.push_back({"host.id", svc.host_id});
    a.push_back({"os.type", std::string("linux")});
    for (const auto& [k, v] : svc.resource_attributes) a.push_back({k, v});
    return a;
}

}  // namespace obi
