// Application RED metric definitions and their recording calls.
#include "metrics/app_metrics.h"

#include <algorithm>

namespace obi::metrics {
namespace {

// service.name and service.namespace on every point (OTLP too); Prometheus adds instance
// and job.
std::vector<ServiceAttributeDef> app_service_attributes()
{
    return {
        {ServiceField::Name, "service.name", true, Flavors::Both},
        {ServiceField::Namespace, "service.namespace", true, Flavors::Both},
        {ServiceField::InstanceId, "instance", true, Flavors::PrometheusOnly},
        {ServiceField::Job, "job", true, Flavors::PrometheusOnly},
    };
}

MetricDef histogram(std::string name, std::string unit, std::string description, BucketSet buckets,
                    std::vector<AttributeDef> attributes, std::vector<std::string> aliases = {})
{
    MetricDef d;
    d.name = std::move(name);
    d.unit = std::move(unit);
    d.description = std::move(description);
    d.kind = InstrumentKind::Histogram;
    d.buckets = buckets;
    d.attributes = std::move(attributes);
    d.service_attributes = app_service_attributes();
    d.select_aliases = std::move(aliases);
    return d;
}

// Attribute order shared by every HTTP metric (the client ones stop before client.address).
std::vector<AttributeDef> http_attributes(bool server)
{
    std::vector<AttributeDef> a = {
        {"http.request.method", true}, {"http.response.status_code", true}, {"http.route", true},
        {"server.address", true},      {"server.port", true},              {"url.path", false},
    };
    if (server) a.push_back({"client.address", false});
    return a;
}

std::vector<AttributeDef> rpc_attributes(bool server)
{
    std::vector<AttributeDef> a = {
        {"rpc.method", true}, {"rpc.system.name", true}, {"rpc.response.status_code", true}, {"server.address", true}};
    if (server) {
        a.push_back({"server.port", true});
        a.push_back({"client.address", false});
    }
    return a;
}

std::vector<AttributeDef> db_attributes()
{
    return {{"db.operation.name", true},
            {"db.system.name", true},
            {"error.type", true},
            {"server.address", true},
            {"db.collection.name", false}};
}

std::vector<AttributeDef> messaging_attributes()
{
    return {{"messaging.system", true}, {"messaging.destination.name", true}, {"server.address", true}};
}

double non_negative(int64_t size) { return size < 0 ? 0.0 : static_cast<double>(size); }

void http_values(const HttpValues& v, AttrValue (&out)[7])
{
    out[0] = AttrValue::str(v.method);
    out[1] = AttrValue::integer(v.status_code);
    out[2] = AttrValue::str_or_absent(v.route);
    out[3] = AttrValue::str(v.server_address);
    out[4] = AttrValue::integer(v.server_port);
    out[5] = AttrValue::str(v.url_path);
    out[6] = AttrValue::str(v.client_address);
}

void record_http(Instrument* duration, Instrument* req, Instrument* resp, const ServicePtr& service,
                 const HttpValues& v)
{
    AttrValue attrs[7];
    http_values(v, attrs);
    std::span<const AttrValue> values(attrs);
    if (duration) duration->record(service, values, v.duration_s);
    if (req) req->record(service, values, non_negative(v.request_body_size));
    if (resp) resp->record(service, values, non_negative(v.response_body_size));
}

void record_rpc(Instrument* inst, const ServicePtr& service, const RpcValues& v)
{
    if (!inst) return;
    inst->record(service,
                 {AttrValue::str(v.method), AttrValue::str(v.system), AttrValue::str(v.status_code),
                  AttrValue::str(v.server_address), AttrValue::integer(v.server_port),
                  AttrValue::str(v.client_address)},
                 v.duration_s);
}

void record_messaging(Instrument* inst, const ServicePtr& service, const MessagingValues& v)
{
    if (!inst) return;
    inst->record(service, {AttrValue::str(v.system), AttrValue::str(v.destination), AttrValue::str(v.server_address)},
                 v.duration_s);
}

}  // namespace

MetricDef http_server_duration_def()
{
    return histogram("http.server.request.duration", "s", "Duration of HTTP server requests.", BucketSet::Duration,
                     http_attributes(true));
}

MetricDef http_server_request_size_def()
{
    return histogram("http.server.request.body.size", "By", "Size of HTTP server request bodies.",
                     BucketSet::RequestSize, http_attributes(true));
}

MetricDef http_server_response_size_def()
{
    return histogram("http.server.response.body.size", "By", "Size of HTTP server response bodies.",
                     BucketSet::ResponseSize, http_attributes(true));
}

MetricDef http_client_duration_def()
{
    return histogram("http.client.request.duration", "s", "Duration of HTTP client requests.", BucketSet::Duration,
                     http_attributes(false));
}

MetricDef http_client_request_size_def()
{
    return histogram("http.client.request.body.size", "By", "Size of HTTP client request bodies.",
                     BucketSet::RequestSize, http_attributes(false));
}

MetricDef http_client_response_size_def()
{
    return histogram("http.client.response.body.size", "By", "Size of HTTP client response bodies.",
                     BucketSet::ResponseSize, http_attributes(false));
}

MetricDef rpc_server_duration_def()
{
    return histogram("rpc.server.call.duration", "s", "Duration of RPC calls handled by the server.",
                     BucketSet::Duration, rpc_attributes(true), {"rpc.server.duration"});
}

MetricDef rpc_client_duration_def()
{
    return histogram("rpc.client.call.duration", "s", "Duration of RPC calls made by the client.", BucketSet::Duration,
                     rpc_attributes(false), {"rpc.client.duration"});
}

MetricDef db_client_duration_def()
{
    return histogram("db.client.operation.duration", "s", "Duration of database client operations.",
                     BucketSet::Duration, db_attributes(), {"sql.client.duration", "redis.client.duration"});
}

MetricDef messaging_client_duration_def()
{
    return histogram("messaging.client.operation.duration", "s", "Duration of messaging client operations.",
                     BucketSet::Duration, messaging_attributes(), {"messaging.publish.duration"});
}

MetricDef messaging_process_duration_def()
{
    return histogram("messaging.process.duration", "s", "Duration of processing received messages.",
                     BucketSet::Duration, messaging_attributes());
}

MetricDef dns_lookup_duration_def()
{
    return histogram("dns.lookup.duration", "s", "Duration of DNS lookups.", BucketSet::Duration,
                     {{"dns.question.name", true}, {"error.type", true}});
}

AppMetrics::AppMetrics(MetricsRegistry& registry, const Instrumentations& inst)
{
    if (inst.http) {
        http_server_duration_ = &registry.declare(http_server_duration_def());
        http_server_request_size_ = &registry.declare(http_server_request_size_def());
        http_server_response_size_ = &registry.declare(http_server_response_size_def());
        http_client_duration_ = &registry.declare(http_client_duration_def());
        http_client_request_size_ = &registry.declare(http_client_request_size_def());
        http_client_response_size_ = &registry.declare(http_client_response_size_def());
    }
    if (inst.rpc()) {
        rpc_server_duration_ = &registry.declare(rpc_server_duration_def());
        rpc_client_duration_ = &registry.declare(rpc_client_duration_def());
    }
    if (inst.db()) db_client_duration_ = &registry.declare(db_client_duration_def());
    if (inst.dns) dns_lookup_duration_ = &registry.declare(dns_lookup_duration_def());
    if (inst.messaging()) {
        messaging_client_duration_ = &registry.declare(messaging_client_duration_def());
        messaging_process_duration_ = &registry.declare(messaging_process_duration_def());
    }
}

void AppMetrics::http_server(const ServicePtr& service, const HttpValues& v)
{
    record_http(http_server_duration_, http_server_request_size_, http_server_response_size_, service, v);
}

void AppMetrics::http_client(const ServicePtr& service, const HttpValues& v)
{
    record_http(http_client_duration_, http_client_request_size_, http_client_response_size_, service, v);
}

void AppMetrics::rpc_server(const ServicePtr& service, const RpcValues& v)
{
    record_rpc(rpc_server_duration_, service, v);
}

void AppMetrics::rpc_client(const ServicePtr& service, const RpcValues& v)
{
    record_rpc(rpc_client_duration_, service, v);
}

void AppMetrics::db_client(const ServicePtr& service, const DbValues& v)
{
    if (!db_client_duration_) return;
    db_client_duration_->record(service,
                                {AttrValue::str(v.operation), AttrValue::str(v.system), AttrValue::str(v.error_type),
                                 AttrValue::str(v.server_address), AttrValue::str_or_absent(v.collection)},
                                v.duration_s);
}

void AppMetrics::messaging_client(const ServicePtr& service, const MessagingValues& v)
{
    record_messaging(messaging_client_duration_, service, v);
}

void AppMetrics::messaging_process(const ServicePtr& service, const MessagingValues& v)
{
    record_messaging(messaging_process_duration_, service, v);
}

void AppMetrics::dns_lookup(const ServicePtr& service, const DnsValues& v)
{
    if (!dns_lookup_duration_) return;
    dns_lookup_duration_->record(service, {AttrValue::str(v.question), AttrValue::str(v.error_type)}, v.duration_s);
}

}  // namespace obi::metrics
