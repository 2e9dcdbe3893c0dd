// The `network` section (network flow metrics).
#include "config/fields.h"

namespace obi::config {
namespace {

std::string check_cidr(const std::string& cidr)
{
    size_t slash = cidr.find('/');
    if (slash == std::string::npos) return "'" + cidr + "' is not a CIDR (expected e.g. 10.0.0.0/8 or fd00::/8)";
    bool v6 = cidr.find(':') != std::string::npos;
    if (!parse_int(cidr.substr(slash + 1), 0, v6 ? 128 : 32))
        return "'" + cidr + "' has an invalid prefix length (0-" + (v6 ? "128" : "32") + ")";
    for (char c : cidr.substr(0, slash))
        if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != ':')
            return "'" + cidr + "' is not a CIDR (expected e.g. 10.0.0.0/8 or fd00::/8)";
    return "";
}

Field cidrs()
{
    return {"network.cidrs", {"OTEL_EBPF_NETWORK_CIDRS"}, "CIDRs reported as src.cidr/dst.cidr (narrowest wins)",
            [](Config& c, const Input& in) -> std::string {
                std::vector<CidrDefinition> out;
                if (in.shape == Shape::List && !in.scalar_items) {
                    // YAML entries may be plain strings or {cidr, name} maps.
                    for (size_t i = 0; i < in.node.size(); i++) {
                        const YAML::Node& item = in.node[i];
                        std::string item_path = in.key + "[" + std::to_string(i) + "]";
                        CidrDefinition d;
                        if (item.IsScalar()) {
                            d.cidr = trim(item.Scalar());
                        } else {
                            for_each_key(*in.ctx, item, item_path, {"cidr", "name"},
                                         [&](const std::string& key, const YAML::Node& v, const std::string&) {
                                             if (key != "cidr" && key != "name") return false;
                                             (key == "cidr" ? d.cidr : d.name) = v.IsScalar() ? trim(v.Scalar()) : "";
                                             return true;
                                         });
                        }
                        if (auto e = check_cidr(d.cidr); !e.empty()) in.ctx->error_at(item_path, e, item.Mark());
                        out.push_back(d);
                    }
                } else {
                    std::vector<std::string> items;
                    if (auto e = need_list(in, items); !e.empty()) return e;
                    for (const auto& item : items) {
                        if (auto e = check_cidr(item); !e.empty()) return e;
                        out.push_back({item, ""});
                    }
                }
                c.network.cidrs = std::move(out);
                return "";
            },
            [](const Config& c) {
                Json arr = Json::array();
                for (const auto& d : c.network.cidrs)
                    arr.push_back(d.name.empty() ? Json(d.cidr) : Json{{"cidr", d.cidr}, {"name", d.name}});
                return arr;
            }};
}

Field one_of(std::string path, Envs env, std::string help, std::string NetworkConfig::*member,
             std::vector<std::string> allowed)
{
    return {std::move(path), std::move(env), std::move(help),
            [member, allowed](Config& c, const Input& in) -> std::string {
                if (in.shape == Shape::Null) return "";
                std::string s;
                if (auto e = need_scalar(in, s); !e.empty()) return e;
                s = to_lower(trim(s));
                if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) return not_one_of(s, allowed);
                c.network.*member = s;
                return "";
            },
            [member](const Config& c) { return Json(c.network.*member); }};
}

}  // namespace

std::vector<Field> network_fields()
{
    std::vector<Field> f;
    f.push_back(f_bool("network.enable", {"OTEL_EBPF_NETWORK_METRICS"}, "deprecated: adds the network metrics feature",
                       OBI_AT(network.enable)));
    f.push_back(f_enum("network.source", {"OTEL_EBPF_NETWORK_SOURCE"}, "flow capture: socket_filter or tc",
                       OBI_AT(network.source)));
    f.push_back(f_string("network.agent_ip", {"OTEL_EBPF_NETWORK_AGENT_IP"}, "IP reported as the agent's",
                         OBI_AT(network.agent_ip)));
    Field iface{"network.agent_ip_iface", {"OTEL_EBPF_NETWORK_AGENT_IP_IFACE"},
                "interface of the agent IP: external, local or name:<iface>",
                [](Config& c, const Input& in) -> std::string {
                    std::string s;
                    if (auto e = need_scalar(in, s); !e.empty()) return e;
                    if (in.shape == Shape::Null) return "";
                    s = trim(s);
                    if (s != "external" && s != "local" && !(s.rfind("name:", 0) == 0 && s.size() > 5))
                        return "'" + s + "' is not one of external, local, name:<interface>";
                    c.network.agent_ip_iface = s;
                    return "";
                },
                [](const Config& c) { return Json(c.network.agent_ip_iface); }};
    f.push_back(std::move(iface));
    f.push_back(one_of("network.agent_ip_type", {"OTEL_EBPF_NETWORK_AGENT_IP_TYPE"}, "agent IP family: any, ipv4, ipv6",
                       &NetworkConfig::agent_ip_type, {"any", "ipv4", "ipv6"}));
    f.push_back(f_strings("network.interfaces", {"OTEL_EBPF_NETWORK_INTERFACES"}, "interfaces to capture (default all)",
                          OBI_AT(network.interfaces)));
    f.push_back(f_strings("network.exclude_interfaces", {"OTEL_EBPF_NETWORK_EXCLUDE_INTERFACES"},
                          "interfaces not to capture", OBI_AT(network.exclude_interfaces)));
    f.push_back(f_strings("network.protocols", {"OTEL_EBPF_NETWORK_PROTOCOLS"}, "transport protocols to keep",
                          OBI_AT(network.protocols)));
    f.push_back(f_strings("network.exclude_protocols", {"OTEL_EBPF_NETWORK_EXCLUDE_PROTOCOLS"},
                          "transport protocols to drop", OBI_AT(network.exclude_protocols)));
    f.push_back(f_int("network.cache_max_flows", {"OTEL_EBPF_NETWORK_CACHE_MAX_FLOWS"}, "flows kept before a flush",
                      OBI_AT(network.cache_max_flows), 0, 100000000));
    f.push_back(f_duration("network.cache_active_timeout", {"OTEL_EBPF_NETWORK_CACHE_ACTIVE_TIMEOUT"},
                           "longest time a flow is kept before a flush", OBI_AT(network.cache_active_timeout)));
    f.push_back(one_of("network.deduper", {"OTEL_EBPF_NETWORK_DEDUPER"}, "flow deduplication: first_come or none",
                       &NetworkConfig::deduper, {"first_come", "none"}));
    f.push_back(f_duration("network.deduper_fc_ttl", {"OTEL_EBPF_NETWORK_DEDUPER_FC_TTL"},
                           "first_come deduper memory (0 = twice cache_active_timeout)", OBI_AT(network.deduper_fc_ttl)));
    f.push_back(one_of("network.direction", {"OTEL_EBPF_NETWORK_DIRECTION"}, "flows to capture: ingress, egress, both",
                       &NetworkConfig::direction, {"ingress", "egress", "both"}));
    f.push_back(f_int("network.sampling", {"OTEL_EBPF_NETWORK_SAMPLING"}, "keep one packet in N (0 = all)",
                      OBI_AT(network.sampling), 0, 100000000));
    f.push_back(one_of("network.listen_interfaces", {"OTEL_EBPF_NETWORK_LISTEN_INTERFACES"},
                       "interface discovery: watch or poll", &NetworkConfig::listen_interfaces, {"watch", "poll"}));
    f.push_back(f_duration("network.listen_poll_period", {"OTEL_EBPF_NETWORK_LISTEN_POLL_PERIOD"},
                           "interface poll period", OBI_AT(network.listen_poll_period)));
    f.push_back(f_enum("network.reverse_dns.type", {"OTEL_EBPF_NETWORK_REVERSE_DNS_TYPE"},
                       "reverse DNS of flow addresses: none, local, ebpf", OBI_AT(network.reverse_dns_type)));
    f.push_back(f_int("network.reverse_dns.cache_len", {"OTEL_EBPF_NETWORK_REVERSE_DNS_CACHE_LEN"},
                      "reverse DNS cache entries", OBI_AT(network.reverse_dns_cache_len), 1, 100000000));
    f.push_back(f_duration("network.reverse_dns.cache_expiry", {"OTEL_EBPF_NETWORK_REVERSE_DNS_CACHE_TTL"},
                           "reverse DNS cache lifetime", OBI_AT(network.reverse_dns_cache_expiry)));
    f.push_back(f_bool("network.print_flows", {"OTEL_EBPF_NETWORK_PRINT_FLOWS"}, "print flows to stdout",
                       OBI_AT(network.print_flows)));
    f.push_back(cidrs());
    f.push_back(f_subtree("network.geo_ip", "GeoIP settings (accepted and stored)", OBI_AT(network.geo_ip_json)));
    return f;
}

}  // namespace obi::config
