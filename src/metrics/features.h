// Which metric families are on (metrics.features) and which protocols feed the application
// metrics (<exporter>.instrumentations), as plain flags.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "spans/span.h"

namespace obi::metrics {

struct Features {
    bool application = false;            // RED histograms
    bool span = false;                   // application_span: traces_spanmetrics_*
    bool span_otel = false;              // application_span_otel: traces_span_metrics_*
    bool span_sizes = false;             // application_span_sizes
    bool service_graph = false;          // application_service_graph
    bool any_span() const { return span || span_otel || span_sizes || service_graph; }
    bool any() const { return application || any_span(); }

    static Features from(const config::MetricsConfig& metrics);
};

struct Instrumentations {
    bool http = true, grpc = true, sql = true, redis = true, kafka = true, mqtt = true, nats = true, amqp = true,
         mongo = true, couchbase = true, memcached = true, dns = true, gpu = true, genai = true, sunrpc = true;

    bool db() const { return sql || redis || mongo || couchbase || memcached; }
    bool messaging() const { return kafka || mqtt || nats || amqp; }
    bool rpc() const { return grpc || sunrpc; }
    bool covers(SpanType t) const;  // the instrumentation that produces spans of type t is on

    // "*" enables everything; otherwise only the listed names.
    static Instrumentations from(const std::vector<std::string>& names);
};

}  // namespace obi::metrics
