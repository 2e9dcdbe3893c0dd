// The `attributes` section (instance id, host id, Kubernetes, select, ...) and `filter`.
#include "config/fields.h"
#include "config/sections.h"

namespace obi::config {
namespace {

// A map of name -> list of strings (extra_group_attributes, kubernetes.resource_labels).
Field string_list_map(std::string path, std::string help,
                      std::function<std::map<std::string, std::vector<std::string>>&(Config&)> get,
                      std::function<const std::map<std::string, std::vector<std::string>>&(const Config&)> cget)
{
    return {std::move(path), {}, std::move(help),
            [get](Config& c, const Input& in) -> std::string {
                std::map<std::string, std::vector<std::string>> out;
                for_each_key(*in.ctx, in.node, in.key, {}, [&](const std::string& key, const YAML::Node& value,
                                                                const std::string& key_path) {
                    std::vector<std::string> items;
                    if (auto e = need_list(Input::from_yaml(key_path, value, *in.ctx), items); !e.empty())
                        in.ctx->error_at(key_path, e, value.Mark());
                    out[key] = std::move(items);
                    return true;
                });
                if (in.shape != Shape::Null) get(c) = std::move(out);
                return "";
            },
            [cget](const Config& c) { return Json(cget(c)); }};
}

Field filter(std::string path, bool network)
{
    return {path, {}, std::string("drop ") + (network ? "network" : "application") + " data whose attributes do not match",
            [network](Config& c, const Input& in) -> std::string {
                parse_filter_map(*in.ctx, in.node, in.key, network, network ? c.filter.network : c.filter.application);
                return "";
            },
            [network](const Config& c) { return filter_to_json(network ? c.filter.network : c.filter.application); }};
}

}  // namespace

std::vector<Field> attribute_fields()
{
    std::vector<Field> f;
    f.push_back(f_bool("attributes.instance_id.dns", {"OTEL_EBPF_HOSTNAME_DNS_RESOLUTION"},
                       "resolve the host name through DNS for service.instance.id", OBI_AT(attributes.instance_id_dns)));
    f.push_back(f_string("attributes.instance_id.override_hostname", {"OTEL_EBPF_HOSTNAME"},
                         "host name used in service.instance.id", OBI_AT(attributes.override_hostname)));
    f.push_back(f_string("attributes.host_id.override", {"OTEL_EBPF_HOST_ID"}, "host.id of all telemetry",
                         OBI_AT(attributes.host_id_override)));
    f.push_back(f_duration("attributes.host_id.fetch_timeout", {"OTEL_EBPF_HOST_ID_FETCH_TIMEOUT"},
                           "time allowed to read the host id from cloud metadata",
                           OBI_AT(attributes.host_id_fetch_timeout)));

    f.push_back(f_enum("attributes.kubernetes.enable", {"OTEL_EBPF_KUBE_METADATA_ENABLE"},
                       "Kubernetes metadata: true, false, autodetect", OBI_AT(attributes.kubernetes.enable)));
    f.push_back(f_string("attributes.kubernetes.cluster_name", {"OTEL_EBPF_KUBE_CLUSTER_NAME"}, "k8s.cluster.name",
                         OBI_AT(attributes.kubernetes.cluster_name)));
    f.push_back(f_string("attributes.kubernetes.kubeconfig_path", {"KUBECONFIG"}, "kubeconfig file",
                         OBI_AT(attributes.kubernetes.kubeconfig_path)));
    f.push_back(f_duration("attributes.kubernetes.informers_sync_timeout", {"OTEL_EBPF_KUBE_INFORMERS_SYNC_TIMEOUT"},
                           "wait for Kubernetes metadata at start", OBI_AT(attributes.kubernetes.informers_sync_timeout)));
    f.push_back(f_duration("attributes.kubernetes.informers_resync_period", {"OTEL_EBPF_KUBE_INFORMERS_RESYNC_PERIOD"},
                           "full Kubernetes metadata resync period",
                           OBI_AT(attributes.kubernetes.informers_resync_period)));
    f.push_back(f_duration("attributes.kubernetes.reconnect_initial_interval",
                           {}, "first reconnect delay to the metadata cache",
                           OBI_AT(attributes.kubernetes.reconnect_initial_interval)));
    f.push_back(f_bool("attributes.kubernetes.drop_external", {"OTEL_EBPF_NETWORK_DROP_EXTERNAL"},
                       "drop network flows with no Kubernetes entity", OBI_AT(attributes.kubernetes.drop_external)));
    f.push_back(f_strings("attributes.kubernetes.disable_informers", {"OTEL_EBPF_KUBE_DISABLE_INFORMERS"},
                          "informers to disable: node, service", OBI_AT(attributes.kubernetes.disable_informers),
                          {"node", "service"}));
    f.push_back(f_string("attributes.kubernetes.meta_cache_address", {"OTEL_EBPF_KUBE_META_CACHE_ADDRESS"},
                         "host:port of a shared metadata cache", OBI_AT(attributes.kubernetes.meta_cache_address)));
    f.push_back(f_bool("attributes.kubernetes.meta_restrict_local_node", {"OTEL_EBPF_KUBE_META_RESTRICT_LOCAL_NODE"},
                       "keep metadata of the local node only", OBI_AT(attributes.kubernetes.meta_restrict_local_node)));
    f.push_back(f_subtree("attributes.kubernetes.meta_source_labels", "deprecated label overrides (accepted and stored)",
                          OBI_AT(attributes.kubernetes.meta_source_labels_json)));
    f.push_back(string_list_map(
        "attributes.kubernetes.resource_labels", "pod labels that set resource attributes (first present wins)",
        [](Config& c) -> auto& { return c.attributes.kubernetes.resource_labels; },
        [](const Config& c) -> const auto& { return c.attributes.kubernetes.resource_labels; }));
    f.push_back(f_string("attributes.kubernetes.service_name_template", {"OTEL_EBPF_SERVICE_NAME_TEMPLATE"},
                         "Go template for service.name from Kubernetes metadata",
                         OBI_AT(attributes.kubernetes.service_name_template)));

    f.push_back({"attributes.select", {}, "per-metric attribute include/exclude lists",
                 [](Config& c, const Input& in) -> std::string {
                     parse_select(*in.ctx, in.node, in.key, c.attributes.select);
                     return "";
                 },
                 [](const Config& c) { return select_to_json(c.attributes.select); }});
    f.push_back(string_list_map(
        "attributes.extra_group_attributes", "extra attributes per group (k8s_app_meta)",
        [](Config& c) -> auto& { return c.attributes.extra_group_attributes; },
        [](const Config& c) -> const auto& { return c.attributes.extra_group_attributes; }));
    f.push_back(f_strings("attributes.sensitive_query_params.add", {"OTEL_EBPF_SENSITIVE_QUERY_PARAMS_ADD"},
                          "query parameters redacted in url.query besides the built-in ones",
                          OBI_AT(attributes.sensitive_query_params_add)));
    f.push_back(f_strings("attributes.sensitive_query_params.remove", {"OTEL_EBPF_SENSITIVE_QUERY_PARAMS_REMOVE"},
                          "built-in sensitive query parameters not to redact",
                          OBI_AT(attributes.sensitive_query_params_remove)));
    f.push_back(f_bool("attributes.db_query_text_raw", {"OTEL_EBPF_DB_QUERY_TEXT_RAW"},
                       "export db.query.text as captured, literals included (default: literals become ?); "
                       "db.query.text itself is opt-in via attributes.select.traces.include",
                       OBI_AT(attributes.db_query_text_raw)));
    f.push_back(f_string("attributes.rename_unresolved_hosts", {"OTEL_EBPF_RENAME_UNRESOLVED_HOSTS"},
                         "name for unresolved peer and host names ('' keeps the IP)",
                         OBI_AT(attributes.rename_unresolved_hosts)));
    f.push_back(f_string("attributes.rename_unresolved_hosts_outgoing", {"OTEL_EBPF_RENAME_UNRESOLVED_HOSTS_OUTGOING"},
                         "name for unresolved outgoing hosts", OBI_AT(attributes.rename_unresolved_hosts_outgoing)));
    f.push_back(f_string("attributes.rename_unresolved_hosts_incoming", {"OTEL_EBPF_RENAME_UNRESOLVED_HOSTS_INCOMING"},
                         "name for unresolved incoming hosts", OBI_AT(attributes.rename_unresolved_hosts_incoming)));
    f.push_back(f_int("attributes.metric_span_names_limit", {"OTEL_EBPF_METRIC_SPAN_NAMES_LIMIT"},
                      "distinct span names per service in span metrics before AGGREGATED (0 = no limit)",
                      OBI_AT(attributes.metric_span_names_limit), INT32_MIN, INT32_MAX));

    f.push_back(filter("filter.application", false));
    f.push_back(filter("filter.network", true));
    return f;
}

}  // namespace obi::config
