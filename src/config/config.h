// Everything the agent reads from its YAML file and environment, with OBI's defaults.
// Filled by config::load_config (loader.h); key names and defaults follow
// shared/reference/obi-compat.md. Keys marked "obi-cpp" are our own extensions.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "obi_events.h"
#include "discovery/selector.h"
#include "util/glob.h"
#include "util/port_enum.h"

namespace obi::config {

using Duration = std::chrono::nanoseconds;
using namespace std::chrono_literals;

enum class LogLevel { Debug, Info, Warn, Error };
enum class LogFormat { Text, Json };
enum class LogConfigFormat { None, Yaml, Json };  // log_config: print the merged config at start
enum class TracePrinter { Disabled, Counter, Text, Json, JsonIndent };
enum class ProbeBackend { Auto, SockTracepoints, SyscallTracepoints };  // obi-cpp
enum class TcBackend { Auto, Tc, Tcx };
enum class CudaMode { Off, On, Auto };
enum class MapReader { Auto, Batch, Legacy };
enum class RouteUnmatched { Heuristic, Path, Wildcard, Unset, LowCardinality };
enum class RouteIgnoreMode { All, Traces, Metrics };
enum class OtlpProtocol { Unset, Grpc, HttpProtobuf, HttpJson, Debug };  // Debug: traces only
enum class HistogramAggregation { ExplicitBucket, Base2Exponential };
// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (lowmemory: delta for counters and histograms, as
// the OTel SDK defines it for synchronous instruments, which are all we have).
enum class TemporalityPreference { Cumulative, Delta, LowMemory };
enum class ExemplarFilter { AlwaysOff, AlwaysOn, TraceBased };
enum class InternalMetricsExporter { Disabled, Prometheus, Otel };
enum class KubeEnable { False, True, Autodetect };
enum class NetworkSource { SocketFilter, Tc };
enum class ReverseDnsType { None, Local, Ebpf };

// Bit set of ebpf.context_propagation: "disabled", "headers", "tcp", "all" or "headers,tcp".
struct ContextPropagation {
    bool headers = false;
    bool tcp = false;
    bool enabled() const { return headers || tcp; }
};

struct SamplerConfig {
    // always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off,
    // parentbased_traceidratio.
    std::string name = "parentbased_always_on";
    std::string arg;  // the ratio for the *traceidratio samplers, as written
};

struct RoutesConfig {
    std::vector<std::string> patterns;          // /user/{id}, /user/:id, /static/*
    std::vector<std::string> ignored_patterns;  // matching requests are dropped
    RouteIgnoreMode ignore_mode = RouteIgnoreMode::All;
    RouteUnmatched unmatched = RouteUnmatched::Heuristic;
    char wildcard_char = '*';
    int max_path_segment_cardinality = 10;  // low-cardinality mode; 0 = unlimited
    // Per-entry routes only (discovery.instrument[].routes): LATER-SRC spelling.
    std::vector<std::string> incoming;
    std::vector<std::string> outgoing;
};

// Per-entry settings that obi::Selector has no field for. discovery.instrument_overrides[i]
// belongs to discovery.instrument[i] (same for the exclude lists, where they are unused).
struct EntryOverrides {
    std::optional<SamplerConfig> sampler;
    std::optional<RoutesConfig> routes;
    // Deprecated discovery.services entries match k8s_* metadata with regexes; they are kept
    // here (the Selector gets an escaped literal glob so that it still has a selector).
    std::map<std::string, std::string> k8s_regex;
};

struct DiscoveryConfig {
    // Effective lists after the loader normalised everything: deprecated `services` lists are
    // converted into these, and the global env selector is the LAST instrument entry.
    std::vector<Selector> instrument;
    std::vector<EntryOverrides> instrument_overrides;  // same length as `instrument`
    std::vector<Selector> exclude_instrument;
    std::vector<Selector> default_exclude_instrument;  // defaults: see default_exclusions()
    bool default_exclude_instrument_set = false;       // the user replaced the defaults
    bool used_deprecated_services = false;             // entries came from discovery.services

    Duration poll_interval = 5s;  // 0 in the input also means 5s
    Duration min_process_age = 5s;
    bool skip_go_specific_tracers = false;
    bool bpf_pid_filter_off = false;
    bool exclude_otel_instrumented_services = true;
    bool exclude_otel_instrumented_services_span_metrics = false;
    int default_otlp_grpc_port = 4317;
    Duration route_harvester_timeout = 10s;
    std::vector<std::string> disabled_route_harvesters;  // java, nodejs, go
    Duration java_harvest_delay = 60s;                    // route_harvester_advanced.java_harvest_delay
    std::vector<std::string> excluded_linux_system_paths = {"/lib/systemd/", "/usr/lib/systemd/", "/usr/libexec/",
                                                            "/sbin/", "/usr/sbin/"};
    bool system_wide = false;  // SNAPSHOT: instrument everything (adds an exe_path "*" entry)
};

// Top-level selectors that apply to one extra instrument entry (obi-compat.md 1.1).
struct GlobalSelectors {
    std::optional<Glob> auto_target_exe;       // OTEL_EBPF_AUTO_TARGET_EXE / OTEL_GO_AUTO_TARGET_EXE
    std::optional<Glob> auto_target_language;  // OTEL_EBPF_AUTO_TARGET_LANGUAGE
    std::optional<PortEnum> open_port;         // open_port / OTEL_EBPF_OPEN_PORT
    std::vector<uint32_t> target_pids;         // target_pids / OTEL_EBPF_TARGET_PID
    std::optional<std::string> executable_path;  // deprecated regex
    std::string service_name;                    // apply to the env entry only
    std::string service_namespace;
    bool any() const
    {
        return auto_target_exe || auto_target_language || open_port || !target_pids.empty() || executable_path;
    }
};

struct BufferSizes {  // ebpf.buffer_sizes: bytes of payload kept beyond the 256-byte heads; 0 = default
    uint32_t http = 0, mysql = 0, postgres = 0, kafka = 0, mssql = 0, tcp = 0, aerospike = 0;
};

struct EbpfConfig {
    uint32_t wakeup_len = 500;
    uint32_t stats_wakeup_data_bytes = 4096;
    uint32_t batch_length = 100;
    Duration batch_timeout = 1s;
    Duration http_request_timeout = 0s;  // 0 = off; > 0 turns unanswered requests into 408
    bool high_request_volume = false;
    bool track_request_headers = false;
    ContextPropagation context_propagation;
    TcBackend traffic_control_backend = TcBackend::Auto;
    bool disable_black_box_cp = false;
    bool heuristic_sql_detect = false;
    bool bpf_debug = false;
    bool protocol_debug_print = false;
    bool override_bpfloop_enabled = false;
    bool instrument_gpu = false;
    CudaMode instrument_cuda = CudaMode::Auto;
    BufferSizes buffer_sizes;
    int maps_global_scale_factor = 0;  // maps_config.global_scale_factor, -3..3
    uint32_t mysql_prepared_statements_cache_size = 1024;
    uint32_t postgres_prepared_statements_cache_size = 1024;
    uint32_t mssql_prepared_statements_cache_size = 1024;
    uint32_t mongo_requests_cache_size = 1024;
    uint32_t kafka_topic_uuid_cache_size = 1024;
    uint32_t couchbase_db_cache_size = 1024;
    bool redis_db_cache_enabled = false;  // redis_db_cache.enabled
    uint32_t redis_db_cache_max_size = 1000;
    Duration max_transaction_time = 5min;
    Duration dns_request_timeout = 5s;
    std::string bpf_fs_path;
    MapReader force_bpf_map_reader = MapReader::Auto;
    std::string payload_extraction_json;  // payload_extraction subtree, as compact JSON ("" = unset)
    std::string log_enricher_json;        // log_enricher subtree, as compact JSON

    // obi-cpp extensions.
    ProbeBackend probe_backend = ProbeBackend::Auto;  // ebpf.probe_backend
    uint64_t ringbuf_size = 8ull << 20;               // ebpf.ringbuf_size: power of two, 64 KiB..1 GiB
    uint32_t capture_size = OBI_CAPTURE_DEFAULT;      // ebpf.capture_size: bytes per message, <= OBI_CAPTURE_MAX
};

struct KubernetesConfig {
    KubeEnable enable = KubeEnable::Autodetect;
    std::string cluster_name;
    std::string kubeconfig_path;
    Duration informers_sync_timeout = 30s;
    Duration informers_resync_period = 30min;
    Duration reconnect_initial_interval = 5s;
    bool drop_external = false;
    std::vector<std::string> disable_informers;  // node, service
    std::string meta_cache_address;
    bool meta_restrict_local_node = false;
    std::map<std::string, std::vector<std::string>> resource_labels = {
        {"service.name", {"app.kubernetes.io/name"}},
        {"service.namespace", {"app.kubernetes.io/part-of"}},
        {"service.version", {"app.kubernetes.io/version"}},
    };
    std::string meta_source_labels_json;  // deprecated subtree, kept as JSON
    std::string service_name_template;
};

struct AttributeSelection {
    std::optional<std::vector<std::string>> include;  // unset = the metric's defaults
    std::vector<std::string> exclude;
};

struct AttributesConfig {
    bool instance_id_dns = true;         // instance_id.dns
    std::string override_hostname;       // instance_id.override_hostname
    std::string host_id_override;        // host_id.override
    Duration host_id_fetch_timeout = 500ms;
    KubernetesConfig kubernetes;
    // Metric name (OTel or Prometheus form, may be a glob; also "traces", "resource") ->
    // include/exclude. Kept as written; consumers normalise names (obi-compat.md 6.2).
    std::map<std::string, AttributeSelection> select;
    std::map<std::string, std::vector<std::string>> extra_group_attributes;  // k8s_app_meta: [...]
    std::vector<std::string> sensitive_query_params_add;
    std::vector<std::string> sensitive_query_params_remove;
    bool db_query_text_raw = false;  // obi-cpp: db.query.text without literal sanitisation
    std::string rename_unresolved_hosts = "unresolved";
    std::string rename_unresolved_hosts_outgoing = "outgoing";
    std::string rename_unresolved_hosts_incoming = "incoming";
    int metric_span_names_limit = 100;
};

struct Buckets {  // <exporter>.buckets.* histogram boundaries
    std::vector<double> duration_histogram = {0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};
    std::vector<double> request_size_histogram = {0, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};
    std::vector<double> response_size_histogram = {0, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};
    std::vector<double> stat_tcp_rtt_histogram = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};
    std::vector<double> gen_ai_client_token_usage_histogram = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536,
                                                               262144, 1048576, 4194304, 16777216, 67108864};
    std::vector<double> gen_ai_client_operation_duration_histogram = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64,
                                                                      1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
};

// Common OTLP settings that only exist as environment variables.
struct OtlpCommon {
    std::string endpoint;  // OTEL_EXPORTER_OTLP_ENDPOINT: /v1/traces and /v1/metrics get appended (HTTP)
    std::map<std::string, std::string> headers;  // OTEL_EXPORTER_OTLP_HEADERS
};

struct OtelTracesExport {
    std::string endpoint;  // endpoint / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: used verbatim
    OtlpProtocol protocol = OtlpProtocol::Unset;
    std::map<std::string, std::string> headers;  // OTEL_EXPORTER_OTLP_TRACES_HEADERS (override common per key)
    bool insecure_skip_verify = false;
    std::vector<std::string> instrumentations = {"http", "grpc",  "sql",   "redis",     "kafka", "mqtt",
                                                 "nats", "amqp", "mongo", "couchbase", "memcached", "sunrpc"};
    SamplerConfig sampler;
    uint32_t max_export_batch_size = 4096;
    uint32_t max_queue_size = 16384;
    Duration batch_timeout = 15s;
    Duration backoff_initial_interval = 5s;
    Duration backoff_max_interval = 30s;
    Duration backoff_max_elapsed_time = 5min;
    uint32_t reporters_cache_len = 256;
    std::string sdk_log_level;  // otel_sdk_log_level
};

struct OtelMetricsExport {
    std::string endpoint;  // endpoint / OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: used verbatim
    OtlpProtocol protocol = OtlpProtocol::Unset;
    std::map<std::string, std::string> headers;  // OTEL_EXPORTER_OTLP_METRICS_HEADERS
    Duration interval = 60s;
    bool insecure_skip_verify = false;
    std::vector<std::string> instrumentations = {"*"};
    std::vector<std::string> features;  // deprecated: merged into metrics.features
    bool allow_service_graph_self_references = false;
    Duration ttl = 5min;
    Buckets buckets;
    HistogramAggregation histogram_aggregation = HistogramAggregation::ExplicitBucket;
    TemporalityPreference temporality = TemporalityPreference::Cumulative;
    uint32_t exponential_max_size = 160;  // exponential_histogram.max_size
    int exponential_max_scale = 20;       // exponential_histogram.max_scale
    uint32_t reporters_cache_len = 256;
    std::vector<std::string> extra_span_resource_attributes;
    std::string sdk_log_level;
};

struct PrometheusExport {
    uint16_t port = 0;  // 0 = no endpoint
    std::string path = "/metrics";
    bool disable_build_info = false;
    std::vector<std::string> features;  // deprecated: merged into metrics.features
    std::vector<std::string> instrumentations = {"*"};
    Buckets buckets;
    Duration ttl = 5min;
    uint32_t service_cache_size = 10000;
    bool allow_service_graph_self_references = false;
    std::vector<std::string> extra_resource_attributes;
    std::vector<std::string> extra_span_resource_attributes;
    ExemplarFilter exemplar_filter = ExemplarFilter::AlwaysOff;
    double native_bucket_factor = 1.1;  // native_histogram.bucket_factor
    uint32_t native_max_bucket_number = 100;
    Duration native_min_reset_duration = 1h;
};

struct InternalMetricsConfig {
    InternalMetricsExporter exporter = InternalMetricsExporter::Disabled;
    uint16_t prometheus_port = 0;  // prometheus.port
    std::string prometheus_path = "/internal/metrics";
    bool avoided_services_disabled = false;  // avoided_services.disabled
    uint32_t avoided_services_limit = 2000;
    Duration bpf_metric_scrape_interval = 15s;
};

struct MetricsConfig {
    // Effective features: metrics.features united with the deprecated exporter `features`
    // lists and `network` from network.enable. "*" is stored as "all".
    std::vector<std::string> features = {"application"};
    bool has(std::string_view feature) const;  // "all" enables every feature
    bool any_application() const;              // application or any application_* feature
    bool any_network() const;                  // network, network_*
};

// filter.application / filter.network: attribute -> matcher; every listed attribute must pass.
struct AttributeMatcher {
    std::optional<Glob> match;
    std::optional<Glob> not_match;
    std::optional<double> greater_than, greater_equals, equals, not_equals, less_equals, less_than;
};

struct FilterConfig {
    std::map<std::string, AttributeMatcher> application;
    std::map<std::string, AttributeMatcher> network;
};

struct NameResolverConfig {
    std::vector<std::string> sources = {"k8s"};  // k8s (kube, kubernetes), dns, rdns
    uint32_t cache_len = 1024;
    Duration cache_expiry = 5min;
};

struct CidrDefinition {
    std::string cidr;
    std::string name;
};

struct NetworkConfig {
    bool enable = false;  // deprecated: adds the `network` feature
    NetworkSource source = NetworkSource::SocketFilter;
    std::string agent_ip;
    std::string agent_ip_iface = "external";  // external, local or name:<iface>
    std::string agent_ip_type = "any";        // any, ipv4, ipv6
    std::vector<std::string> interfaces;
    std::vector<std::string> exclude_interfaces = {"lo"};
    std::vector<std::string> protocols;
    std::vector<std::string> exclude_protocols;
    uint32_t cache_max_flows = 5000;
    Duration cache_active_timeout = 5s;
    std::string deduper = "first_come";  // first_come, none
    Duration deduper_fc_ttl = 0s;
    std::string direction = "both";  // ingress, egress, both
    uint32_t sampling = 0;
    std::string listen_interfaces = "watch";  // watch, poll
    Duration listen_poll_period = 10s;
    ReverseDnsType reverse_dns_type = ReverseDnsType::None;
    uint32_t reverse_dns_cache_len = 256;
    Duration reverse_dns_cache_expiry = 1h;
    bool print_flows = false;
    std::vector<CidrDefinition> cidrs;
    std::string geo_ip_json;  // geo_ip subtree, as JSON
};

struct HealthCheckConfig {
    uint16_t port = 0;  // 0 = off; serves /healthz
    std::string unix_socket_path;
};

struct Config {
    LogLevel log_level = LogLevel::Info;
    LogFormat log_format = LogFormat::Text;
    LogConfigFormat log_config = LogConfigFormat::None;
    Duration shutdown_timeout = 10s;
    bool enforce_sys_caps = false;
    uint32_t channel_buffer_len = 50;
    Duration channel_send_timeout = 1min;
    bool channel_send_timeout_panic = false;
    uint16_t profile_port = 0;
    TracePrinter trace_printer = TracePrinter::Disabled;

    GlobalSelectors global;
    DiscoveryConfig discovery;
    EbpfConfig ebpf;
    AttributesConfig attributes;
    RoutesConfig routes;
    bool routes_set = false;  // a top-level `routes` section was given
    NameResolverConfig name_resolver;
    OtlpCommon otlp;
    OtelTracesExport otel_traces;       // otel_traces_export
    OtelMetricsExport otel_metrics;     // otel_metrics_export
    PrometheusExport prometheus;        // prometheus_export
    InternalMetricsConfig internal_metrics;
    MetricsConfig metrics;
    FilterConfig filter;
    NetworkConfig network;
    HealthCheckConfig health_check;
    bool nodejs_enabled = true;  // nodejs.enabled
    bool javaagent_enabled = true;
    bool javaagent_debug = false;
    bool javaagent_debug_instrumentation = false;
    Duration javaagent_attach_timeout = 10s;
    std::string stats_json;  // top-level `stats` subtree (LATER-SRC), as JSON

    std::string config_path;  // the file that was loaded ("" = none)
    std::vector<std::string> warnings;  // deprecations and adjustments, for the log at start
    void warn(std::string message) { warnings.push_back(std::move(message)); }
};

// OBI CURRENT's default_exclude_instrument plus our own binary (*/ebpf-instrument).
std::vector<Selector> default_exclusions();

}  // namespace obi::config
