// Exporter sections: otel_traces_export, otel_metrics_export, prometheus_export,
// internal_metrics, and the common OTLP environment variables.
#include "config/fields.h"
#include "config/otlp.h"
#include "config/sections.h"
#include "config/vocab.h"

namespace obi::config {
namespace {

Field endpoint(std::string path, Envs env, std::string help, std::function<std::string&(Config&)> get,
               std::function<const std::string&(const Config&)> cget)
{
    return {std::move(path), std::move(env), std::move(help),
            [get](Config& c, const Input& in) -> std::string {
                std::string s;
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                s = trim(s);
                if (!s.empty())
                    if (auto e = check_endpoint(s); !e.empty()) return e;
                get(c) = s;
                return "";
            },
            [cget](const Config& c) { return Json(cget(c)); }};
}

Field headers(std::string env, std::string help, std::function<std::map<std::string, std::string>&(Config&)> get,
              std::function<const std::map<std::string, std::string>&(const Config&)> cget)
{
    Field f{"", {std::move(env)}, std::move(help),
            [get](Config& c, const Input& in) -> std::string {
                std::string s;
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                return parse_headers(s, get(c));
            },
            [cget](const Config& c) { return Json(cget(c)); }};
    f.secret = true;
    return f;
}

// The six <exporter>.buckets.* lists.
void add_buckets(std::vector<Field>& f, const std::string& section, bool prometheus)
{
    using Member = std::vector<double> Buckets::*;
    const std::pair<const char*, Member> kinds[] = {
        {"duration_histogram", &Buckets::duration_histogram},
        {"request_size_histogram", &Buckets::request_size_histogram},
        {"response_size_histogram", &Buckets::response_size_histogram},
        {"stat_tcp_rtt_histogram", &Buckets::stat_tcp_rtt_histogram},
        {"gen_ai_client_token_usage_histogram", &Buckets::gen_ai_client_token_usage_histogram},
        {"gen_ai_client_operation_duration_histogram", &Buckets::gen_ai_client_operation_duration_histogram},
    };
    for (const auto& [name, member] : kinds) {
        f.push_back({section + ".buckets." + name, {}, std::string("bucket boundaries of the ") + name,
                     [prometheus, member](Config& c, const Input& in) -> std::string {
                         std::vector<std::string> items;
                         if (auto e = need_list(in, items); !e.empty()) return e;
                         std::vector<double> out;
                         for (const auto& item : items) {
                             std::string err;
                             auto d = parse_double(item, &err);
                             if (!d) return err;
                             if (!out.empty() && *d <= out.back())
                                 return "boundaries must be in increasing order ('" + item + "' follows " +
                                        Json(out.back()).dump() + ")";
                             out.push_back(*d);
                         }
                         (prometheus ? c.prometheus.buckets : c.otel_metrics.buckets).*member = std::move(out);
                         return "";
                     },
                     [prometheus, member](const Config& c) {
                         return Json((prometheus ? c.prometheus.buckets : c.otel_metrics.buckets).*member);
                     }});
    }
}

// Deprecated `features` of the exporters: merged into metrics.features by the loader.
template <class Get>
Field deprecated_features(std::string path, Envs env, Get get)
{
    Field f = f_strings(std::move(path), std::move(env), "deprecated: use metrics.features", get, metric_features());
    f.parse = [inner = f.parse](Config& c, const Input& in) {
        std::string e = inner(c, in);
        if (e.empty()) c.warn(in.key + " is deprecated; use metrics.features / OTEL_EBPF_METRICS_FEATURES");
        return e;
    };
    return f;
}

}  // namespace

std::vector<Field> export_fields()
{
    std::vector<Field> f;
    // Common OTLP variables (no YAML keys).
    f.push_back(endpoint("", {"OTEL_EXPORTER_OTLP_ENDPOINT"},
                         "OTLP endpoint of traces and metrics (/v1/traces, /v1/metrics appended for HTTP)",
                         [](Config& c) -> std::string& { return c.otlp.endpoint; },
                         [](const Config& c) -> const std::string& { return c.otlp.endpoint; }));
    f.push_back(headers("OTEL_EXPORTER_OTLP_HEADERS", "OTLP request headers: k=v,k2=v2",
                        [](Config& c) -> auto& { return c.otlp.headers; },
                        [](const Config& c) -> const auto& { return c.otlp.headers; }));

    // otel_traces_export
    f.push_back(endpoint("otel_traces_export.endpoint", {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
                         "OTLP traces endpoint, used verbatim",
                         [](Config& c) -> std::string& { return c.otel_traces.endpoint; },
                         [](const Config& c) -> const std::string& { return c.otel_traces.endpoint; }));
    f.push_back(f_enum("otel_traces_export.protocol", {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"},
                       "OTLP traces protocol: grpc, http/protobuf, http/json, debug (default: from the port)",
                       OBI_AT(otel_traces.protocol)));
    f.push_back(headers("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTLP traces headers (override the common ones per key)",
                        [](Config& c) -> auto& { return c.otel_traces.headers; },
                        [](const Config& c) -> const auto& { return c.otel_traces.headers; }));
    f.push_back(f_bool("otel_traces_export.insecure_skip_verify",
                       {"OTEL_EBPF_INSECURE_SKIP_VERIFY", "OTEL_EBPF_OTEL_INSECURE_SKIP_VERIFY"},
                       "accept any TLS certificate of the OTLP endpoint", OBI_AT(otel_traces.insecure_skip_verify)));
    f.push_back(f_strings("otel_traces_export.instrumentations",
                          {"OTEL_EBPF_TRACES_INSTRUMENTATIONS", "OTEL_EBPF_OTEL_TRACES_INSTRUMENTATIONS"},
                          "protocols exported as traces: *, http, grpc, sql, redis, kafka, ...",
                          OBI_AT(otel_traces.instrumentations), instrumentation_names()));
    f.push_back({"otel_traces_export.sampler", {}, "trace sampler {name, arg}",
                 [](Config& c, const Input& in) -> std::string {
                     parse_sampler(*in.ctx, in.node, in.key, c.otel_traces.sampler);
                     return "";
                 },
                 [](const Config& c) {
                     return Json{{"name", c.otel_traces.sampler.name}, {"arg", c.otel_traces.sampler.arg}};
                 }});
    f.push_back({"", {"OTEL_TRACES_SAMPLER"}, "trace sampler: parentbased_always_on, traceidratio, always_off, ...",
                 [](Config& c, const Input& in) -> std::string {
                     SamplerConfig s = c.otel_traces.sampler;
                     s.name = to_lower(trim(in.scalar));
                     if (auto e = check_sampler(SamplerConfig{s.name, ""}); !e.empty()) return e;
                     c.otel_traces.sampler.name = s.name;
                     return "";
                 },
                 [](const Config& c) { return Json(c.otel_traces.sampler.name); }});
    f.back().in_dump = false;  // shown as otel_traces_export.sampler
    f.push_back({"", {"OTEL_TRACES_SAMPLER_ARG"}, "sampler argument (the ratio of traceidratio samplers)",
                 [](Config& c, const Input& in) -> std::string {
                     std::string err;
                     if (!parse_double(in.scalar, &err)) return err + " (expected a ratio such as 0.25)";
                     c.otel_traces.sampler.arg = trim(in.scalar);
                     return "";
                 },
                 [](const Config& c) { return Json(c.otel_traces.sampler.arg); }});
    f.back().in_dump = false;
    f.push_back(f_int("otel_traces_export.max_export_batch_size", {"OTEL_EBPF_OTLP_TRACES_MAX_EXPORT_BATCH_SIZE"},
                      "spans per OTLP export request", OBI_AT(otel_traces.max_export_batch_size), 1, 10000000));
    f.push_back(f_int("otel_traces_export.max_queue_size", {"OTEL_EBPF_OTLP_TRACES_MAX_QUEUE_SIZE"},
                      "spans queued for export before dropping", OBI_AT(otel_traces.max_queue_size), 1, 100000000));
    f.push_back(f_duration("otel_traces_export.batch_timeout", {"OTEL_EBPF_OTLP_TRACES_BATCH_TIMEOUT"},
                           "longest wait before a partial batch is exported", OBI_AT(otel_traces.batch_timeout)));
    f.push_back(f_duration("otel_traces_export.backoff_initial_interval", {"OTEL_EBPF_BACKOFF_INITIAL_INTERVAL"},
                           "first retry delay after a failed export", OBI_AT(otel_traces.backoff_initial_interval)));
    f.push_back(f_duration("otel_traces_export.backoff_max_interval", {"OTEL_EBPF_BACKOFF_MAX_INTERVAL"},
                           "largest retry delay", OBI_AT(otel_traces.backoff_max_interval)));
    f.push_back(f_duration("otel_traces_export.backoff_max_elapsed_time", {"OTEL_EBPF_BACKOFF_MAX_ELAPSED_TIME"},
                           "give up retrying a batch after this time", OBI_AT(otel_traces.backoff_max_elapsed_time)));
    f.push_back(f_int("otel_traces_export.reporters_cache_len", {"OTEL_EBPF_TRACES_REPORT_CACHE_LEN"},
                      "cached per-service trace reporters", OBI_AT(otel_traces.reporters_cache_len), 1, 10000000));
    f.push_back(f_string("otel_traces_export.otel_sdk_log_level", {"OTEL_EBPF_SDK_LOG_LEVEL"},
                         "log level of the OTLP exporter internals", OBI_AT(otel_traces.sdk_log_level)));

    // otel_metrics_export
    f.push_back(endpoint("otel_metrics_export.endpoint", {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"},
                         "OTLP metrics endpoint, used verbatim",
                         [](Config& c) -> std::string& { return c.otel_metrics.endpoint; },
                         [](const Config& c) -> const std::string& { return c.otel_metrics.endpoint; }));
    Field mproto = f_enum("otel_metrics_export.protocol",
                          {"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"},
                          "OTLP metrics protocol: grpc, http/protobuf, http/json (default: from the port)",
                          OBI_AT(otel_metrics.protocol));
    mproto.parse = [inner = mproto.parse](Config& c, const Input& in) {
        std::string e = inner(c, in);
        if (e.empty() && c.otel_metrics.protocol == OtlpProtocol::Debug) {
            c.otel_metrics.protocol = OtlpProtocol::Unset;
            return std::string("'debug' is only a traces protocol (expected grpc, http/protobuf or http/json)");
        }
        return e;
    };
    f.push_back(std::move(mproto));
    f.push_back(headers("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "OTLP metrics headers (override the common ones per key)",
                        [](Config& c) -> auto& { return c.otel_metrics.headers; },
                        [](const Config& c) -> const auto& { return c.otel_metrics.headers; }));
    f.push_back({"otel_metrics_export.interval", {"OTEL_EBPF_METRICS_INTERVAL", "OTEL_METRIC_EXPORT_INTERVAL"},
                 "metrics export interval (OTEL_METRIC_EXPORT_INTERVAL is in milliseconds)",
                 [](Config& c, const Input& in) -> std::string {
                     if (in.shape == Shape::Null) return "";
                     std::string s, err;
                     if (auto e = need_scalar(in, s); !e.empty()) return e;
                     if (in.key == "OTEL_METRIC_EXPORT_INTERVAL") {
                         auto ms = parse_int(s, 1, INT64_MAX / 1000000, &err);
                         if (!ms) return err + " (expected milliseconds, e.g. 60000)";
                         c.otel_metrics.interval = std::chrono::milliseconds(*ms);
                         return "";
                     }
                     auto d = parse_duration(s, &err);
                     if (!d) return err;
                     if (*d == Duration::zero()) return "the interval must be greater than 0";
                     c.otel_metrics.interval = *d;
                     return "";
                 },
                 [](const Config& c) { return Json(format_duration(c.otel_metrics.interval)); }});
    f.push_back(f_bool("otel_metrics_export.insecure_skip_verify",
                       {"OTEL_EBPF_INSECURE_SKIP_VERIFY", "OTEL_EBPF_OTEL_INSECURE_SKIP_VERIFY"},
                       "accept any TLS certificate of the OTLP endpoint", OBI_AT(otel_metrics.insecure_skip_verify)));
    f.push_back(f_strings("otel_metrics_export.instrumentations",
                          {"OTEL_EBPF_METRICS_INSTRUMENTATIONS", "OTEL_EBPF_OTEL_METRICS_INSTRUMENTATIONS"},
                          "protocols exported as OTLP metrics: *, http, grpc, sql, ...",
                          OBI_AT(otel_metrics.instrumentations), instrumentation_names()));
    f.push_back(deprecated_features("otel_metrics_export.features",
                                    {"OTEL_EBPF_OTEL_METRICS_FEATURES", "OTEL_EBPF_OTEL_METRIC_FEATURES"},
                                    OBI_AT(otel_metrics.features)));
    f.push_back(f_bool("otel_metrics_export.allow_service_graph_self_references",
                       {"OTEL_EBPF_ALLOW_SERVICE_GRAPH_SELF_REFERENCES", "OTEL_EBPF_OTEL_ALLOW_SERVICE_GRAPH_SELF_REFERENCES"},
                       "keep service graph edges from a service to itself",
                       OBI_AT(otel_metrics.allow_service_graph_self_references)));
    f.push_back(f_duration("otel_metrics_export.ttl", {"OTEL_EBPF_METRICS_TTL", "OTEL_EBPF_OTEL_METRICS_TTL"},
                           "drop metric series not updated for this long", OBI_AT(otel_metrics.ttl)));
    add_buckets(f, "otel_metrics_export", false);
    f.push_back(f_enum("otel_metrics_export.histogram_aggregation",
                       {"OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION"},
                       "explicit_bucket_histogram or base2_exponential_bucket_histogram",
                       OBI_AT(otel_metrics.histogram_aggregation)));
    f.push_back(f_enum("", {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"},
                       "OTLP metrics temporality: cumulative, delta or lowmemory", OBI_AT(otel_metrics.temporality)));
    f.push_back(f_int("otel_metrics_export.exponential_histogram.max_size", {}, "buckets of exponential histograms",
                      OBI_AT(otel_metrics.exponential_max_size), 1, 100000));
    f.push_back(f_int("otel_metrics_export.exponential_histogram.max_scale", {}, "scale of exponential histograms",
                      OBI_AT(otel_metrics.exponential_max_scale), -10, 20));
    f.push_back(f_int("otel_metrics_export.reporters_cache_len", {"OTEL_EBPF_METRICS_REPORT_CACHE_LEN"},
                      "cached per-service metric reporters", OBI_AT(otel_metrics.reporters_cache_len), 1, 10000000));
    f.push_back(f_strings("otel_metrics_export.extra_span_resource_attributes",
                          {"OTEL_EBPF_EXTRA_SPAN_RESOURCE_ATTRIBUTES"},
                          "extra resource attributes on span metrics", OBI_AT(otel_metrics.extra_span_resource_attributes)));
    f.push_back(f_string("otel_metrics_export.otel_sdk_log_level", {"OTEL_EBPF_SDK_LOG_LEVEL"},
                         "log level of the OTLP exporter internals", OBI_AT(otel_metrics.sdk_log_level)));

    // prometheus_export
    f.push_back(f_port("prometheus_export.port", {"OTEL_EBPF_PROMETHEUS_PORT"},
                       "port of the Prometheus scrape endpoint (0 = off)", OBI_AT(prometheus.port)));
    f.push_back(f_string("prometheus_export.path", {"OTEL_EBPF_PROMETHEUS_PATH"}, "path of the Prometheus endpoint",
                         OBI_AT(prometheus.path)));
    f.push_back(f_bool("prometheus_export.disable_build_info", {"OTEL_EBPF_PROMETHEUS_DISABLE_BUILD_INFO"},
                       "do not export obi_build_info", OBI_AT(prometheus.disable_build_info)));
    f.push_back(deprecated_features("prometheus_export.features", {"OTEL_EBPF_PROMETHEUS_FEATURES"},
                                    OBI_AT(prometheus.features)));
    f.push_back(f_strings("prometheus_export.instrumentations", {"OTEL_EBPF_PROMETHEUS_INSTRUMENTATIONS"},
                          "protocols exported as Prometheus metrics: *, http, grpc, sql, ...",
                          OBI_AT(prometheus.instrumentations), instrumentation_names()));
    add_buckets(f, "prometheus_export", true);
    f.push_back(f_duration("prometheus_export.ttl", {"OTEL_EBPF_PROMETHEUS_TTL"},
                           "drop metric series not updated for this long", OBI_AT(prometheus.ttl)));
    f.push_back(f_int("prometheus_export.service_cache_size", {}, "services remembered for span metrics",
                      OBI_AT(prometheus.service_cache_size), 1, 100000000));
    f.push_back(f_bool("prometheus_export.allow_service_graph_self_references",
                       {"OTEL_EBPF_PROMETHEUS_ALLOW_SERVICE_GRAPH_SELF_REFERENCES"},
                       "keep service graph edges from a service to itself",
                       OBI_AT(prometheus.allow_service_graph_self_references)));
    f.push_back(f_strings("prometheus_export.extra_resource_attributes",
                          {"OTEL_EBPF_PROMETHEUS_EXTRA_RESOURCE_ATTRIBUTES"},
                          "runtime resource attributes added to target_info", OBI_AT(prometheus.extra_resource_attributes)));
    f.push_back(f_strings("prometheus_export.extra_span_resource_attributes",
                          {"OTEL_EBPF_PROMETHEUS_EXTRA_SPAN_RESOURCE_ATTRIBUTES"},
                          "extra resource attributes on span metrics", OBI_AT(prometheus.extra_span_resource_attributes)));
    f.push_back(f_enum("prometheus_export.exemplar_filter", {}, "exemplars: always_off, always_on, trace_based",
                       OBI_AT(prometheus.exemplar_filter)));
    f.push_back(f_double("prometheus_export.native_histogram.bucket_factor", {}, "native histogram growth factor",
                         OBI_AT(prometheus.native_bucket_factor), 1.0000001, 1000));
    f.push_back(f_int("prometheus_export.native_histogram.max_bucket_number", {}, "native histogram bucket limit",
                      OBI_AT(prometheus.native_max_bucket_number), 1, 100000));
    f.push_back(f_duration("prometheus_export.native_histogram.min_reset_duration", {},
                           "shortest time between native histogram resets",
                           OBI_AT(prometheus.native_min_reset_duration)));

    // internal_metrics
    f.push_back(f_enum("internal_metrics.exporter", {"OTEL_EBPF_INTERNAL_METRICS_EXPORTER"},
                       "agent self-metrics: disabled, prometheus, otel", OBI_AT(internal_metrics.exporter)));
    f.push_back(f_port("internal_metrics.prometheus.port", {"OTEL_EBPF_INTERNAL_METRICS_PROMETHEUS_PORT"},
                       "port of the internal metrics endpoint", OBI_AT(internal_metrics.prometheus_port)));
    f.push_back(f_string("internal_metrics.prometheus.path", {"OTEL_EBPF_INTERNAL_METRICS_PROMETHEUS_PATH"},
                         "path of the internal metrics endpoint", OBI_AT(internal_metrics.prometheus_path)));
    f.push_back(f_bool("internal_metrics.avoided_services.disabled", {}, "do not report obi_avoided_services",
                       OBI_AT(internal_metrics.avoided_services_disabled)));
    f.push_back(f_int("internal_metrics.avoided_services.limit", {}, "series limit of obi_avoided_services",
                      OBI_AT(internal_metrics.avoided_services_limit), 0, 100000000));
    f.push_back(f_duration("internal_metrics.bpf_metric_scrape_interval", {"OTEL_EBPF_BPF_METRIC_SCRAPE_INTERVAL"},
                           "how often eBPF probe and map statistics are read",
                           OBI_AT(internal_metrics.bpf_metric_scrape_interval)));
    return f;
}

}  // namespace obi::config
