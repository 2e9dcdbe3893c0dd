// Service identity of a selected process (obi::ServiceInfo): service.name and namespace by
// OBI's priority, service.instance.id, host.name / host.id and the target's own resource
// attributes.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/selector.h"
#include "spans/service.h"

namespace obi::discovery {

struct NamingOptions {
    std::string override_hostname;  // attributes.override_hostname / OTEL_EBPF_HOSTNAME
    bool dns_resolution = true;     // attributes.instance_id.dns / OTEL_EBPF_HOSTNAME_DNS_RESOLUTION
    std::string host_id_override;   // attributes.host_id.override / OTEL_EBPF_HOST_ID
    // The FQDN lookup (getaddrinfo with AI_CANONNAME) can hang on a broken resolver; after
    // this long the plain hostname is used and the lookup is abandoned in the background.
    std::chrono::milliseconds dns_timeout{1000};
    std::vector<std::string> machine_id_paths{"/etc/machine-id", "/var/lib/dbus/machine-id"};
    // Injection points for tests; empty = gethostname() / getaddrinfo.
    std::function<std::string()> get_hostname;
    std::function<std::string(const std::string&)> canonical_name;
};

// Resolved once at startup and shared by every service.
struct NamingContext {
    std::string hostname;  // for service.instance.id and host.name
    std::string host_id;   // host.id

    static NamingContext resolve(const NamingOptions& opts = {});
};

// `matched`: the discovery entry that selected the process (nullptr: none). Its `name` /
// `namespace_` override everything, its `exports` decide export_traces / export_metrics.
// service.name: entry name > env OTEL_SERVICE_NAME > service.name in the process's
// OTEL_RESOURCE_ATTRIBUTES > executable basename > comm. name_source says which:
// "config", "env:OTEL_SERVICE_NAME", "env:OTEL_RESOURCE_ATTRIBUTES", "exe", "comm".
// service.namespace: entry namespace > env OTEL_SERVICE_NAMESPACE > service.namespace in
// OTEL_RESOURCE_ATTRIBUTES > "".
ServiceInfo make_service_info(const ProcessFacts& facts, const Selector* matched, const NamingContext& ctx);

// OTEL_RESOURCE_ATTRIBUTES per the OpenTelemetry spec: "k1=v1,k2=v2", keys and values
// trimmed of whitespace, values percent-decoded (kept as written when the decoding fails),
// entries without '=' or with an empty key skipped, the last of duplicate keys wins.
std::map<std::string, std::string> parse_resource_attributes(std::string_view text);

// getaddrinfo(AI_CANONNAME) of `host` run on a helper thread; "" on failure or timeout.
std::string canonical_name_with_timeout(const std::string& host, std::chrono::milliseconds timeout,
                                        const std::function<std::string(const std::string&)>& lookup = {});

}  // namespace obi::discovery
