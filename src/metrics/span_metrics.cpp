// SpanMetrics: span-derived metric definitions and the per-span recording.
#include "metrics/span_metrics.h"

#include "metrics/span_values.h"

namespace obi::metrics {
namespace {

// Span metrics carry the service identity as labels (Prometheus: service_name,
// service_namespace, instance, job, source, telemetry_sdk_language).
std::vector<ServiceAttributeDef> span_service_attributes()
{
    return {
        {ServiceField::Name, "service.name", true, Flavors::Both},
        {ServiceField::Namespace, "service.namespace", true, Flavors::Both},
        {ServiceField::InstanceId, "service.instance.id", true, Flavors::OtlpOnly},
        {ServiceField::InstanceId, "instance", true, Flavors::PrometheusOnly},
        {ServiceField::Job, "job", true, Flavors::PrometheusOnly},
        {ServiceField::Source, "source", true, Flavors::Both},
        {ServiceField::SdkLanguage, "telemetry.sdk.language", true, Flavors::Both},
    };
}

MetricDef fixed(std::string name, std::string prom_name, std::string unit, std::string description,
                InstrumentKind kind)
{
    MetricDef d;
    d.name = std::move(name);
    d.prometheus_name = std::move(prom_name);
    d.unit = std::move(unit);
    d.description = std::move(description);
    d.kind = kind;
    d.integer = kind == InstrumentKind::Counter;
    d.selectable = false;  // as in OBI: fixed label sets
    return d;
}

MetricDef span_metric(std::string name, std::string prom_name, std::string unit, std::string description,
                      InstrumentKind kind)
{
    MetricDef d = fixed(std::move(name), std::move(prom_name), std::move(unit), std::move(description), kind);
    d.attributes = {{"span.name", true}, {"span.kind", true}, {"status.code", true}};
    d.service_attributes = span_service_attributes();
    return d;
}

MetricDef graph_metric(std::string name, std::string prom_name, std::string unit, std::string description,
                       InstrumentKind kind)
{
    MetricDef d = fixed(std::move(name), std::move(prom_name), std::move(unit), std::move(description), kind);
    d.attributes = {{"client", true},
                    {"client_service_namespace", true},
                    {"server", true},
                    {"server_service_namespace", true},
                    {"connection_type", true}};
    d.service_attributes = {{ServiceField::Source, "source", true, Flavors::Both}};
    return d;
}

// connection_type: database and messaging peers are marked; HTTP and RPC peers are "".
std::string_view connection_type(SpanType t)
{
    switch (t) {
    case SpanType::SQLClient:
    case SpanType::RedisClient:
    case SpanType::RedisServer:
    case SpanType::MongoClient: return "database";
    case SpanType::KafkaClient:
    case SpanType::KafkaServer:
    case SpanType::MQTTClient: return "messaging_system";
    default: return "";
    }
}

}  // namespace

MetricDef span_latency_def(bool legacy)
{
    if (legacy)
        return span_metric("traces_spanmetrics_latency", "traces_spanmetrics_latency", "s",
                           "Duration of client and server calls, in the span metrics format.",
                           InstrumentKind::Histogram);
    return span_metric("traces_span_metrics_duration", "traces_span_metrics_duration_seconds", "s",
                       "Duration of client and server calls, in the span metrics format.", InstrumentKind::Histogram);
}

MetricDef span_calls_def(bool legacy)
{
    const char* name = legacy ? "traces_spanmetrics_calls_total" : "traces_span_metrics_calls_total";
    return span_metric(name, name, "1", "Number of client and server calls, in the span metrics format.",
                       InstrumentKind::Counter);
}

MetricDef span_request_size_def()
{
    return span_metric("traces_spanmetrics_size_total", "traces_spanmetrics_size_total", "By",
                       "Request body bytes of client and server calls, in the span metrics format.",
                       InstrumentKind::Counter);
}

MetricDef span_response_size_def()
{
    return span_metric("traces_spanmetrics_response_size_total", "traces_spanmetrics_response_size_total", "By",
                       "Response body bytes of client and server calls, in the span metrics format.",
                       InstrumentKind::Counter);
}

MetricDef service_graph_client_def()
{
    return graph_metric("traces_service_graph_request_client", "traces_service_graph_request_client_seconds", "s",
                        "Duration of calls seen from the client, in the service graph format.",
                        InstrumentKind::Histogram);
}

MetricDef service_graph_server_def()
{
    return graph_metric("traces_service_graph_request_server", "traces_service_graph_request_server_seconds", "s",
                        "Duration of calls seen from the server, in the service graph format.",
                        InstrumentKind::Histogram);
}

MetricDef service_graph_failed_def()
{
    return graph_metric("traces_service_graph_request_failed_total", "traces_service_graph_request_failed_total", "1",
                        "Number of failed calls between services, in the service graph format.",
                        InstrumentKind::Counter);
}

MetricDef service_graph_total_def()
{
    return graph_metric("traces_service_graph_request_total", "traces_service_graph_request_total", "1",
                        "Number of calls between services, in the service graph format.", InstrumentKind::Counter);
}

MetricDef traces_target_info_def()
{
    MetricDef d = fixed("traces_target_info", "traces_target_info", "1",
                        "Target service information in the span metrics format.", InstrumentKind::Gauge);
    d.integer = true;
    d.prometheus_resource_info = true;
    return d;
}

SpanMetrics::SpanMetrics(MetricsRegistry& registry, SpanMetricsOptions options)
    : registry_(registry), options_(std::move(options))
{
    const Features& f = options_.features;
    if (f.application) app_ = std::make_unique<AppMetrics>(registry_, options_.instrumentations);
    if (f.span || f.span_otel) {
        latency_ = &registry_.declare(span_latency_def(f.span));
        calls_ = &registry_.declare(span_calls_def(f.span));
    }
    if (f.span_sizes) {
        request_size_ = &registry_.declare(span_request_size_def());
        response_size_ = &registry_.declare(span_response_size_def());
    }
    if (f.service_graph) {
        graph_client_ = &registry_.declare(service_graph_client_def());
        graph_server_ = &registry_.declare(service_graph_server_def());
        graph_failed_ = &registry_.declare(service_graph_failed_def());
        graph_total_ = &registry_.declare(service_graph_total_def());
    }
    if (f.any_span()) target_info_ = &registry_.declare(traces_target_info_def());
}

void SpanMetrics::record(const Span& span)
{
    if (!span.service) return;
    double duration = span_duration_s(span);
    if (app_ && options_.instrumentations.covers(span.type)) record_red(span, duration);
    if (latency_ || request_size_) record_span_metrics(span, duration);
    if (graph_client_) record_service_graph(span, duration);
    if (target_info_) target_info_->record(span.service, std::span<const AttrValue>(), 1);
}

void SpanMetrics::record_red(const Span& span, double duration_s)
{
    switch (span.type) {
    case SpanType::HTTP:
    case SpanType::HTTPClient: {
        HttpValues v;
        v.method = span.method;
        v.status_code = span.status;
        v.route = span.route;
        v.server_address = span_server_address(span);
        v.server_port = span.server_port();
        v.url_path = span.path;
        v.client_address = span.peer;
        v.duration_s = duration_s;
        v.request_body_size = span.request_body_size;
        v.response_body_size = span.response_body_size;
        if (span.type == SpanType::HTTP) app_->http_server(span.service, v);
        else app_->http_client(span.service, v);
        return;
    }
    case SpanType::GRPC:
    case SpanType::GRPCClient: {
        RpcValues v;
        v.method = span.path;
        v.system = "grpc";
        v.status_code = grpc_status_name(span.rpc_status);
        v.server_address = span_server_address(span);
        v.server_port = span.server_port();
        v.client_address = span.peer;
        v.duration_s = duration_s;
        if (span.type == SpanType::GRPC) app_->rpc_server(span.service, v);
        else app_->rpc_client(span.service, v);
        return;
    }
    case SpanType::SQLClient:
    case SpanType::SQLServer:
    case SpanType::RedisClient:
    case SpanType::RedisServer:
    case SpanType::MongoClient: {  // OBI: client and server side both go to db.client.operation.duration
        DbValues v;
        v.operation = span.operation;
        v.system = span.db_system;
        v.error_type = span.error ? std::string_view(span.error_code.empty() ? "error" : span.error_code) : "";
        v.server_address = span_server_address(span);
        v.collection = span.collection;
        v.duration_s = duration_s;
        app_->db_client(span.service, v);
        return;
    }
    case SpanType::KafkaClient:
    case SpanType::KafkaServer:
    case SpanType::MQTTClient:
    case SpanType::MQTTServer: {
        MessagingValues v;
        v.system = span.db_system;
        v.destination = span.collection;
        v.server_address = span_server_address(span);
        v.duration_s = duration_s;
        if (span.operation == "process") app_->messaging_process(span.service, v);
        else app_->messaging_client(span.service, v);  // publish, subscribe
        return;
    }
    case SpanType::DNS: {  // OBI's later dns.lookup.duration
        DnsValues v;
        v.question = span.collection;
        v.error_type = span.error ? std::string_view(span.error_code.empty() ? "error" : span.error_code) : "";
        v.duration_s = duration_s;
        app_->dns_lookup(span.service, v);
        return;
    }
    }
}

void SpanMetrics::record_span_metrics(const Span& span, double duration_s)
{
    span.name_into(name_scratch_);
    AttrValue attrs[] = {AttrValue::str(name_scratch_), AttrValue::str(span_kind_name(span.kind())),
                         AttrValue::str(status_code_name(span.status_code()))};
    std::span<const AttrValue> values(attrs);
    if (latency_) {
        latency_->record(span.service, values, duration_s);
        calls_->record(span.service, values, 1);
    }
    if (request_size_) {
        request_size_->record(span.service, values, span.request_body_size < 0 ? 0 : span.request_body_size);
        response_size_->record(span.service, values, span.response_body_size < 0 ? 0 : span.response_body_size);
    }
}

void SpanMetrics::record_service_graph(const Span& span, double duration_s)
{
    bool self = !span.peer.empty() && span.peer == span.host;
    if (self && !options_.allow_service_graph_self_references) return;
    const ServiceInfo& svc = *span.service;
    bool client = span.kind() == SpanKind::Client || span.kind() == SpanKind::Producer;
    AttrValue attrs[5];
    if (client) {
        attrs[0] = AttrValue::str(svc.name);
        attrs[1] = AttrValue::str(svc.namespace_);
        attrs[2] = AttrValue::str(span_server_address(span));
        attrs[3] = AttrValue::str("");
    } else {
        attrs[0] = AttrValue::str(span.peer);
        attrs[1] = AttrValue::str("");
        attrs[2] = AttrValue::str(svc.name);
        attrs[3] = AttrValue::str(svc.namespace_);
    }
    attrs[4] = AttrValue::str(connection_type(span.type));
    std::span<const AttrValue> values(attrs);
    if (client) {
        graph_client_->record(span.service, values, duration_s);
        if (!options_.peer_is_instrumented || !options_.peer_is_instrumented(span))
            graph_total_->record(span.service, values, 1);
    } else {
        graph_server_->record(span.service, values, duration_s);
        graph_total_->record(span.service, values, 1);
    }
    if (span.status_code() == StatusCode::Error) graph_failed_->record(span.service, values, 1);
}

}  // namespace obi::metrics
