// Features and Instrumentations from the configuration lists.
#include "metrics/features.h"

#include <algorithm>

namespace obi::metrics {

Features Features::from(const config::MetricsConfig& metrics)
{
    Features f;
    f.application = metrics.has("application");
    f.span = metrics.has("application_span");
    f.span_otel = metrics.has("application_span_otel") && !f.span;  // OBI: the legacy names win
    f.span_sizes = metrics.has("application_span_sizes");
    f.service_graph = metrics.has("application_service_graph");
    return f;
}

bool Instrumentations::covers(SpanType t) const
{
    switch (t) {
    case SpanType::HTTP:
    case SpanType::HTTPClient: return http;
    case SpanType::GRPC:
    case SpanType::GRPCClient: return grpc;
    case SpanType::SQLClient:
    case SpanType::SQLServer: return sql;
    case SpanType::RedisClient:
    case SpanType::RedisServer: return redis;
    case SpanType::KafkaClient:
    case SpanType::KafkaServer: return kafka;
    case SpanType::MQTTClient:
    case SpanType::MQTTServer: return mqtt;
    case SpanType::MongoClient: return mongo;
    case SpanType::DNS: return dns;
    }
    return false;
}

Instrumentations Instrumentations::from(const std::vector<std::string>& names)
{
    if (std::find(names.begin(), names.end(), "*") != names.end()) return Instrumentations{};
    auto on = [&](const char* n) { return std::find(names.begin(), names.end(), n) != names.end(); };
    Instrumentations i;
    i.http = on("http");
    i.grpc = on("grpc");
    i.sql = on("sql");
    i.redis = on("redis");
    i.kafka = on("kafka");
    i.mqtt = on("mqtt");
    i.nats = on("nats");
    i.amqp = on("amqp");
    i.mongo = on("mongo");
    i.couchbase = on("couchbase");
    i.memcached = on("memcached");
    i.dns = on("dns");
    i.gpu = on("gpu");
    i.genai = on("genai");
    i.sunrpc = on("sunrpc");
    return i;
}

}  // namespace obi::metrics
