// discovery.instrument / exclude_instrument / default_exclude_instrument entries (and the
// deprecated discovery.services lists), plus the default exclusions.
#include <regex>

#include "config/sections.h"
#include "config/vocab.h"
#include "discovery/matcher.h"

namespace obi::config {

std::string parse_glob(const std::string& text, std::optional<Glob>& out)
{
    if (text.empty()) {
        out.reset();
        return "";
    }
    std::string err;
    out = Glob::compile(text, &err);
    return out ? "" : err;
}

std::string parse_ports(const std::string& text, std::optional<PortEnum>& out)
{
    std::string err;
    out = PortEnum::parse(text, &err);
    return out ? "" : err;
}

std::string parse_pids(const std::vector<std::string>& items, std::vector<uint32_t>& out)
{
    out.clear();
    for (const auto& item : items) {
        std::string err;
        auto pid = parse_int(item, 1, 4194304, &err);  // 4194304 = PID_MAX_LIMIT on 64-bit kernels
        if (!pid) return "invalid PID list: " + err + " (expected process ids, e.g. 1234,5678)";
        out.push_back(static_cast<uint32_t>(*pid));
    }
    return "";
}

std::string check_regex(const std::string& text)
{
    try {
        std::regex re(text, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        return "'" + text + "' is not a valid regular expression: " + e.what();
    }
    return "";
}

std::string check_sampler(const SamplerConfig& s)
{
    const auto& names = sampler_names();
    if (std::find(names.begin(), names.end(), s.name) == names.end()) return not_one_of(s.name, names);
    if (s.name.find("traceidratio") != std::string::npos && !s.arg.empty()) {
        std::string err;
        if (!parse_double(s.arg, &err)) return "sampler arg " + err + " (expected a ratio such as 0.25)";
    }
    return "";
}

void parse_sampler(LoadContext& ctx, const YAML::Node& node, const std::string& path, SamplerConfig& out)
{
    for_each_key(ctx, node, path, {"name", "arg"},
                 [&](const std::string& key, const YAML::Node& value, const std::string& key_path) {
                     if (key != "name" && key != "arg") return false;
                     if (!value.IsScalar() && !value.IsNull()) {
                         ctx.error_at(key_path, "expected a single value", value.Mark());
                         return true;
                     }
                     (key == "name" ? out.name : out.arg) = value.IsNull() ? "" : trim(value.Scalar());
                     return true;
                 });
    if (out.name.empty()) out.name = SamplerConfig{}.name;
    if (auto e = check_sampler(out); !e.empty()) ctx.error_at(path, e, node.Mark());
}

namespace {

const std::vector<std::string>& entry_keys()
{
    static const std::vector<std::string> v = [] {
        std::vector<std::string> keys = {"open_ports", "exe_path", "languages", "cmd_args", "target_pids",
                                         "containers_only", "container_name", "k8s_pod_labels",
                                         "k8s_pod_annotations", "name", "namespace", "exports", "sampler",
                                         "routes", "metrics"};
        for (const auto& k : k8s_selector_keys()) keys.push_back(k);
        return keys;
    }();
    return v;
}

// A literal glob for a regex kept in EntryOverrides::k8s_regex (see config.h).
Glob literal_glob(const std::string& text)
{
    std::string escaped;
    for (char c : text) {
        if (std::string_view("*?[]{}\\").find(c) != std::string_view::npos) escaped += '\\';
        escaped += c;
    }
    return *Glob::compile(escaped);
}

struct EntryParser {
    LoadContext& ctx;
    bool regex_mode;

    // A scalar value, or an error. Returns false if the value is not a scalar.
    bool scalar(const YAML::Node& value, const std::string& key_path, std::string& out)
    {
        if (value.IsNull()) {
            out.clear();
            return true;
        }
        if (!value.IsScalar()) {
            ctx.error_at(key_path, "expected a single value, not a " + std::string(value.IsMap() ? "map" : "list"),
                         value.Mark());
            return false;
        }
        out = value.Scalar();
        return true;
    }

    void glob(const YAML::Node& value, const std::string& key_path, std::optional<Glob>& out)
    {
        std::string s;
        if (!scalar(value, key_path, s)) return;
        if (auto e = parse_glob(s, out); !e.empty()) ctx.error_at(key_path, e, value.Mark());
    }

    // A k8s value stored under `map_key`: a glob, or (regex mode) a regex kept aside under
    // `regex_key` with a literal glob in its place.
    void k8s_value(const YAML::Node& value, const std::string& key_path, const std::string& map_key,
                   const std::string& regex_key, EntryOverrides& ov, std::map<std::string, Glob>& into)
    {
        std::string s;
        if (!scalar(value, key_path, s) || s.empty()) return;
        if (regex_mode) {
            if (auto e = check_regex(s); !e.empty()) return ctx.error_at(key_path, e, value.Mark());
            ov.k8s_regex[regex_key] = s;
            into.insert_or_assign(map_key, literal_glob(s));
            return;
        }
        std::optional<Glob> g;
        if (auto e = parse_glob(s, g); !e.empty()) return ctx.error_at(key_path, e, value.Mark());
        into.insert_or_assign(map_key, *g);
    }

    void entry(const YAML::Node& node, const std::string& path, Selector& sel, EntryOverrides& ov)
    {
        sel.origin = path;
        if (!node.IsMap()) {
            ctx.error_at(path, "expected a map of selectors, e.g. {open_ports: 8080} or {exe_path: '*/server'}",
                         node.Mark());
            return;
        }
        size_t errors_before = ctx.errors.size();
        for_each_key(ctx, node, path, entry_keys(), [&](const std::string& key, const YAML::Node& value,
                                                        const std::string& key_path) {
            std::string s;
            if (key == "open_ports") {
                if (scalar(value, key_path, s) && !s.empty())
                    if (auto e = parse_ports(s, sel.open_ports); !e.empty()) ctx.error_at(key_path, e, value.Mark());
            } else if (key == "exe_path" && !regex_mode) {
                glob(value, key_path, sel.exe_path);
            } else if (key == "exe_path") {
                if (scalar(value, key_path, s) && !s.empty()) {
                    if (auto e = check_regex(s); !e.empty()) ctx.error_at(key_path, e, value.Mark());
                    sel.exe_path_regex = s;
                }
            } else if (key == "languages") {
                glob(value, key_path, sel.languages);
            } else if (key == "cmd_args") {
                glob(value, key_path, sel.cmd_args);
            } else if (key == "container_name") {
                glob(value, key_path, sel.container_name);
            } else if (key == "target_pids") {
                Input in = Input::from_yaml(key_path, value, ctx);
                std::vector<std::string> items;
                std::string e = need_list(in, items);
                if (e.empty()) e = parse_pids(items, sel.target_pids);
                if (!e.empty()) ctx.error_at(key_path, e, value.Mark());
            } else if (key == "containers_only") {
                if (scalar(value, key_path, s) && !s.empty()) {
                    std::string err;
                    if (auto b = parse_bool(s, &err)) sel.containers_only = *b;
                    else ctx.error_at(key_path, err, value.Mark());
                }
            } else if (key == "name") {
                scalar(value, key_path, sel.name);
            } else if (key == "namespace") {
                scalar(value, key_path, sel.namespace_);
            } else if (key == "exports") {
                exports(value, key_path, sel);
            } else if (key == "sampler") {
                SamplerConfig sc;
                parse_sampler(ctx, value, key_path, sc);
                ov.sampler = sc;
            } else if (key == "routes") {
                RoutesConfig rc;
                parse_routes(ctx, value, key_path, true, rc);
                ov.routes = rc;
            } else if (key == "metrics") {
                metrics(value, key_path, sel);
            } else if (key == "k8s_pod_labels" || key == "k8s_pod_annotations") {
                auto& into = sel.k8s_maps[key];
                for_each_key(ctx, value, key_path, {}, [&](const std::string& label, const YAML::Node& v,
                                                           const std::string& label_path) {
                    k8s_value(v, label_path, label, key + "." + label, ov, into);
                    return true;
                });
                if (into.empty()) sel.k8s_maps.erase(key);
            } else if (std::find(k8s_selector_keys().begin(), k8s_selector_keys().end(), key) !=
                       k8s_selector_keys().end()) {
                k8s_value(value, key_path, key, key, ov, sel.k8s);
            } else {
                return false;
            }
            return true;
        });
        // A misspelt selector key was already reported; "no selector" would only repeat it.
        if (!sel.has_selector() && ctx.errors.size() == errors_before)
            ctx.error_at(path,
                         "this entry has no selector; add at least one of open_ports, exe_path, languages, "
                         "cmd_args, target_pids, containers_only, container_name or a k8s_* key",
                         node.Mark());
    }

    void exports(const YAML::Node& value, const std::string& key_path, Selector& sel)
    {
        Input in = Input::from_yaml(key_path, value, ctx);
        std::vector<std::string> items;
        if (auto e = need_list(in, items); !e.empty()) return ctx.error_at(key_path, e, value.Mark());
        for (auto& item : items) {
            item = to_lower(item);
            if (item != "metrics" && item != "traces")
                return ctx.error_at(key_path, not_one_of(item, {"metrics", "traces"}) + " (use [] to export nothing)",
                                    value.Mark());
        }
        sel.exports = items;
    }

    void metrics(const YAML::Node& value, const std::string& key_path, Selector& sel)
    {
        for_each_key(ctx, value, key_path, {"features"},
                     [&](const std::string& key, const YAML::Node& v, const std::string& features_path) {
                         if (key != "features") return false;
                         Input in = Input::from_yaml(features_path, v, ctx);
                         std::vector<std::string> items;
                         std::string e = need_list(in, items);
                         for (auto& item : items) {
                             item = to_lower(item);
                             const auto& known = metric_features();
                             if (e.empty() && std::find(known.begin(), known.end(), item) == known.end())
                                 e = not_one_of(item, known);
                         }
                         if (!e.empty()) ctx.error_at(features_path, e, v.Mark());
                         else sel.metrics_features = items;
                         return true;
                     });
    }
};

}  // namespace

void parse_selector_list(LoadContext& ctx, const YAML::Node& node, const std::string& path, bool regex_mode,
                         std::vector<Selector>& out, std::vector<EntryOverrides>& overrides)
{
    out.clear();
    overrides.clear();
    if (node.IsNull()) return;
    if (!node.IsSequence()) {
        ctx.error_at(path, "expected a list of entries, e.g. [{open_ports: 8080}]", node.Mark());
        return;
    }
    EntryParser parser{ctx, regex_mode};
    for (size_t i = 0; i < node.size(); i++) {
        Selector sel;
        EntryOverrides ov;
        parser.entry(node[i], path + "[" + std::to_string(i) + "]", sel, ov);
        out.push_back(std::move(sel));
        overrides.push_back(std::move(ov));
    }
}

Json selectors_to_json(const std::vector<Selector>& list, const std::vector<EntryOverrides>* overrides)
{
    Json arr = Json::array();
    for (size_t i = 0; i < list.size(); i++) {
        const Selector& s = list[i];
        Json e = Json::object();
        e["origin"] = s.origin;
        if (s.open_ports) e["open_ports"] = s.open_ports->to_string();
        if (s.exe_path) e["exe_path"] = s.exe_path->pattern();
        if (s.exe_path_regex) e["exe_path_regex"] = *s.exe_path_regex;
        if (s.languages) e["languages"] = s.languages->pattern();
        if (s.cmd_args) e["cmd_args"] = s.cmd_args->pattern();
        if (!s.target_pids.empty()) e["target_pids"] = s.target_pids;
        if (s.containers_only) e["containers_only"] = true;
        if (s.container_name) e["container_name"] = s.container_name->pattern();
        for (const auto& [k, g] : s.k8s) e[k] = g.pattern();
        for (const auto& [k, m] : s.k8s_maps) {
            Json obj = Json::object();
            for (const auto& [label, g] : m) obj[label] = g.pattern();
            e[k] = obj;
        }
        if (!s.name.empty()) e["name"] = s.name;
        if (!s.namespace_.empty()) e["namespace"] = s.namespace_;
        if (s.exports) e["exports"] = *s.exports;
        if (!s.metrics_features.empty()) e["metrics"] = {{"features", s.metrics_features}};
        if (overrides && i < overrides->size()) {
            const auto& ov = (*overrides)[i];
            if (ov.sampler) e["sampler"] = {{"name", ov.sampler->name}, {"arg", ov.sampler->arg}};
            if (ov.routes) e["routes"] = routes_to_json(*ov.routes);
            for (const auto& [k, re] : ov.k8s_regex) e["regex:" + k] = re;
        }
        arr.push_back(std::move(e));
    }
    return arr;
}

std::vector<Selector> default_exclusions()
{
    // One definition, shared with the discovery matcher.
    return discovery::default_exclude_instrument();
}

}  // namespace obi::config
