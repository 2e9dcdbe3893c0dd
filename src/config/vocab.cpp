// The closed vocabularies of the configuration (obi-compat.md sections 3, 4.1, 4.6, 5.5).
#include "config/vocab.h"

#include <algorithm>

namespace obi::config {

const std::vector<std::string>& metric_features()
{
    static const std::vector<std::string> v = {
        "all", "*", "application", "application_span", "application_span_otel", "application_span_sizes",
        "application_host", "application_runtime", "application_jvm", "application_service_graph",
        "application_process", "network", "network_flow_packets", "network_inter_zone", "stats",
        "stats_tcp_rtt", "stats_tcp_failed_connections", "stats_tcp_retransmits", "stats_tcp_io", "ebpf",
    };
    return v;
}

const std::vector<std::string>& instrumentation_names()
{
    static const std::vector<std::string> v = {
        "*", "http", "grpc", "sql", "redis", "kafka", "mqtt", "nats", "amqp", "couchbase",
        "memcached", "genai", "gpu", "mongo", "dns", "sunrpc",
    };
    return v;
}

const std::vector<std::string>& sampler_names()
{
    static const std::vector<std::string> v = {
        "always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off",
        "parentbased_traceidratio",
    };
    return v;
}

const std::vector<std::string>& k8s_selector_keys()
{
    static const std::vector<std::string> v = {
        "k8s_namespace", "k8s_pod_name", "k8s_deployment_name", "k8s_replicaset_name", "k8s_statefulset_name",
        "k8s_daemonset_name", "k8s_job_name", "k8s_cronjob_name", "k8s_owner_name", "k8s_container_name",
    };
    return v;
}

const std::vector<std::string>& name_resolver_sources()
{
    static const std::vector<std::string> v = {"k8s", "kube", "kubernetes", "dns", "rdns"};
    return v;
}

namespace {

// Attribute names in OTel form. Prefix families (k8s., cloud., container., host.,
// http.request.header., ...) are accepted as a whole below.
const std::vector<std::string>& application_attributes()
{
    static const std::vector<std::string> v = {
        "http.request.method", "http.response.status_code", "http.route", "url.path", "url.full", "url.query",
        "url.scheme", "http.scheme", "client.address", "client.port", "server.address", "server.port",
        "http.request.body.size", "http.response.body.size", "user_agent.original", "http.request.method_original",
        "service.name", "service.namespace", "service.instance.id", "service.version", "peer.service",
        "span.name", "span.kind", "status.code", "source", "client", "server", "client_service_namespace",
        "server_service_namespace", "connection_type", "rpc.method", "rpc.system", "rpc.system.name",
        "rpc.grpc.status_code", "rpc.response.status_code", "db.operation.name", "db.collection.name",
        "db.system.name", "db.system", "db.query.text", "db.query.summary", "db.namespace",
        "db.response.status_code", "error.type", "error.message", "messaging.system",
        "messaging.destination.name", "messaging.operation.type", "messaging.operation.name",
        "messaging.client.id", "messaging.destination.partition.id", "messaging.kafka.offset",
        "messaging.consumer.group.name", "messaging.message.id", "graphql.document", "graphql.operation.name",
        "graphql.operation.type", "dns.question.name", "dns.answers", "process.executable.name",
        "process.executable.path", "process.command", "process.pid", "telemetry.sdk.language",
        "telemetry.sdk.name", "instance", "job", "network.peer.address", "network.peer.port",
        "network.protocol.version", "network.protocol.name", "network.type", "transport",
        "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
        "gen_ai.token.type", "os.type", "obi.ip",
    };
    return v;
}

const std::vector<std::string>& network_attributes()
{
    static const std::vector<std::string> v = {
        "obi.ip", "beyla.ip", "transport", "network.type", "network.protocol.name", "src.address", "dst.address",
        "src.port", "dst.port", "src.name", "dst.name", "src.zone", "dst.zone", "src.cidr", "dst.cidr",
        "src.country", "dst.country", "src.asn", "dst.asn", "iface", "iface.direction", "direction",
        "client.port", "server.port", "client.address", "server.address", "network.io.direction", "reason",
        "network.tcp.handshake.role",
    };
    return v;
}

const std::vector<std::string>& attribute_prefixes()
{
    static const std::vector<std::string> v = {"k8s.", "cloud.", "container.", "host.", "http.request.header.",
                                               "http.response.header.", "aws.", "onc_rpc.", "mcp.", "jsonrpc.",
                                               "gen_ai.", "cuda."};
    return v;
}

// OTel and Prometheus forms compare equal once '_' and '.' are the same character.
std::string fold(std::string_view s)
{
    std::string out(s);
    std::replace(out.begin(), out.end(), '_', '.');
    return out;
}

}  // namespace

bool known_filter_attribute(std::string_view name, bool network)
{
    std::string f = fold(name);
    for (const auto& a : network ? network_attributes() : application_attributes())
        if (fold(a) == f) return true;
    for (const auto& p : attribute_prefixes())
        if (f.size() > p.size() && f.compare(0, p.size(), fold(p)) == 0) return true;
    return false;
}

std::string filter_attribute_examples(bool network)
{
    return network ? "src.address, dst.port, transport, k8s.src.namespace, direction"
                   : "url.path, http.request.method, http.response.status_code, server.port, k8s.namespace.name";
}

}  // namespace obi::config
