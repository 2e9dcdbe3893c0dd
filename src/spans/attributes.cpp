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

namespace {

std::string dns_type_name(uint16_t t)  // the IANA "Resource Record (RR) TYPEs" registry's mnemonics
{
    static constexpr std::pair<uint16_t, const char*> kNames[] = {
        {1, "A"},       {2, "NS"},      {5, "CNAME"},   {6, "SOA"},    {12, "PTR"},   {13, "HINFO"},
        {15, "MX"},     {16, "TXT"},    {28, "AAAA"},   {33, "SRV"},   {35, "NAPTR"}, {39, "DNAME"},
        {43, "DS"},     {46, "RRSIG"},  {47, "NSEC"},   {48, "DNSKEY"}, {50, "NSEC3"}, {52, "TLSA"},
        {64, "SVCB"},   {65, "HTTPS"},  {99, "SPF"},    {251, "IXFR"}, {252, "AXFR"}, {255, "ANY"},
        {257, "CAA"}};
    for (const auto& [type, name] : kNames)
        if (type == t) return name;
    return std::to_string(t);
}

void server_endpoint(const Span& s, std::vector<Attribute>& a)
{
    a.push_back({"server.address", s.server_address()});
    a.push_back({"server.port", int64_t{s.server_port()}});
}

void db_common(const Span& s, std::vector<Attribute>& a)
{
    a.push_back({"db.system.name", s.db_system});
    if (!s.operation.empty()) a.push_back({"db.operation.name", s.operation});
    if (!s.collection.empty()) a.push_back({"db.collection.name", s.collection});
    if (!s.db_namespace.empty()) a.push_back({"db.namespace", s.db_namespace});
    if (!s.statement.empty()) a.push_back({"db.query.text", s.statement});  // opt-in: see QueryStage
    server_endpoint(s, a);
    if (!s.is_client()) a.push_back({"client.address", s.client_address()});
    if (s.error && !s.server_code.empty()) a.push_back({"db.response.status_code", s.server_code});
    else if (s.error && !s.error_code.empty()) a.push_back({"db.response.status_code", s.error_code});
    if (s.error && !s.error_code.empty()) a.push_back({"error.type", s.error_code});
}

}  // namespace

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
        server_endpoint(s, a);
        a.push_back({"http.request.body.size", s.request_body_size});
        a.push_back({"http.response.body.size", s.response_body_size});
        if (!s.route.empty()) a.push_back({"http.route", s.route});
        break;
    case SpanType::HTTPClient:
        a.push_back({"http.request.method", s.method});
        a.push_back({"http.response.status_code", int64_t{s.status}});
        a.push_back({"url.full", s.url_full()});
        a.push_back({"url.scheme", s.scheme});
        server_endpoint(s, a);
        a.push_back({"http.request.body.size", s.request_body_size});
        a.push_back({"http.response.body.size", s.response_body_size});
        if (!s.route.empty()) a.push_back({"http.route", s.route});
        break;
    case SpanType::GRPC:
    case SpanType::GRPCClient: {
        a.push_back({"rpc.method", s.path});
        a.push_back({"rpc.system.name", std::string("grpc")});
        std::string_view code = grpc_status_name(s.rpc_status);
        if (!code.empty()) a.push_back({"rpc.response.status_code", std::string(code)});
        server_endpoint(s, a);
        if (s.type == SpanType::GRPC) a.push_back({"client.address", s.client_address()});
        break;
    }
    case SpanType::SQLClient:
    case SpanType::SQLServer:
    case SpanType::RedisClient:
    case SpanType::RedisServer:
    case SpanType::MongoClient: db_common(s, a); break;
    case SpanType::KafkaClient:
    case SpanType::KafkaServer:
    case SpanType::MQTTClient:
    case SpanType::MQTTServer:
        a.push_back({"messaging.system", s.db_system});
        a.push_back({"messaging.operation.type", s.operation});
        if (!s.collection.empty()) a.push_back({"messaging.destination.name", s.collection});
        if (!s.client_id.empty()) a.push_back({"messaging.client.id", s.client_id});
        if (s.partition >= 0) a.push_back({"messaging.destination.partition.id", std::to_string(s.partition)});
        if (s.offset >= 0 && s.operation == "process") a.push_back({"messaging.kafka.offset", s.offset});
        server_endpoint(s, a);
        if (!s.is_client()) a.push_back({"client.address", s.client_address()});
        break;
    case SpanType::DNS:
        a.push_back({"dns.question.name", s.collection});
        a.push_back({"client.address", s.client_address()});
        server_endpoint(s, a);
        if (s.dns_qtype) a.push_back({"dns.question.type", dns_type_name(s.dns_qtype)});
        if (s.dns_answers >= 0) a.push_back({"dns.answers", s.dns_addresses});
        if (s.error && !s.error_code.empty()) {
            a.push_back({"error.type", s.error_code});
            a.push_back({"error.message", s.error_message.empty() ? s.error_code : s.error_message});
        }
        break;
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
