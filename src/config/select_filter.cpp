// attributes.select (metric -> include/exclude) and filter.application / filter.network
// (attribute -> matcher).
#include "config/sections.h"
#include "config/vocab.h"

namespace obi::config {
namespace {

std::string check_globs(const std::vector<std::string>& items)
{
    for (const auto& item : items) {
        std::optional<Glob> g;
        if (auto e = parse_glob(item, g); !e.empty()) return "'" + item + "': " + e;
    }
    return "";
}

}  // namespace

void parse_select(LoadContext& ctx, const YAML::Node& node, const std::string& path,
                  std::map<std::string, AttributeSelection>& out)
{
    for_each_key(ctx, node, path, {}, [&](const std::string& metric, const YAML::Node& value,
                                          const std::string& metric_path) {
        std::optional<Glob> g;
        if (auto e = parse_glob(metric, g); !e.empty()) {
            ctx.error_at(metric_path, "the metric name is not a valid glob: " + e, value.Mark());
            return true;
        }
        AttributeSelection sel;
        for_each_key(ctx, value, metric_path, {"include", "exclude"},
                     [&](const std::string& key, const YAML::Node& v, const std::string& key_path) {
                         if (key != "include" && key != "exclude") return false;
                         std::vector<std::string> items;
                         std::string e = need_list(Input::from_yaml(key_path, v, ctx), items);
                         if (e.empty()) e = check_globs(items);
                         if (!e.empty()) ctx.error_at(key_path, e, v.Mark());
                         else if (key == "include") sel.include = items;
                         else sel.exclude = items;
                         return true;
                     });
        out[metric] = std::move(sel);
        return true;
    });
}

Json select_to_json(const std::map<std::string, AttributeSelection>& select)
{
    Json j = Json::object();
    for (const auto& [metric, sel] : select) {
        Json e = Json::object();
        if (sel.include) e["include"] = *sel.include;
        e["exclude"] = sel.exclude;
        j[metric] = e;
    }
    return j;
}

void parse_filter_map(LoadContext& ctx, const YAML::Node& node, const std::string& path, bool network,
                      std::map<std::string, AttributeMatcher>& out)
{
    static const std::vector<std::string> kMatchers = {"match",          "not_match",  "greater_than", "greater_equals",
                                                      "equals",         "not_equals", "less_equals",  "less_than"};
    for_each_key(ctx, node, path, {}, [&](const std::string& attr, const YAML::Node& value,
                                          const std::string& attr_path) {
        if (!known_filter_attribute(attr, network)) {
            ctx.error_at(attr_path,
                         "unknown " + std::string(network ? "network" : "application") +
                             " attribute (use an attribute name in OTel or Prometheus form, e.g. " +
                             filter_attribute_examples(network) + ")",
                         value.Mark());
            return true;
        }
        AttributeMatcher m;
        bool any = false;
        for_each_key(ctx, value, attr_path, kMatchers,
                     [&](const std::string& key, const YAML::Node& v, const std::string& key_path) {
                         if (std::find(kMatchers.begin(), kMatchers.end(), key) == kMatchers.end()) return false;
                         std::string s, e;
                         e = need_scalar(Input::from_yaml(key_path, v, ctx), s);
                         if (e.empty() && (key == "match" || key == "not_match")) {
                             e = parse_glob(s, key == "match" ? m.match : m.not_match);
                         } else if (e.empty()) {
                             auto d = parse_double(s, &e);
                             if (d) {
                                 if (key == "greater_than") m.greater_than = d;
                                 else if (key == "greater_equals") m.greater_equals = d;
                                 else if (key == "equals") m.equals = d;
                                 else if (key == "not_equals") m.not_equals = d;
                                 else if (key == "less_equals") m.less_equals = d;
                                 else m.less_than = d;
                             }
                         }
                         if (!e.empty()) ctx.error_at(key_path, e, v.Mark());
                         any = true;
                         return true;
                     });
        if (!any && (value.IsMap() || value.IsNull()))
            ctx.error_at(attr_path, "no matcher given (expected one of " + join(kMatchers) + ")", value.Mark());
        out[attr] = std::move(m);
        return true;
    });
}

Json filter_to_json(const std::map<std::string, AttributeMatcher>& filter)
{
    Json j = Json::object();
    for (const auto& [attr, m] : filter) {
        Json e = Json::object();
        if (m.match) e["match"] = m.match->pattern();
        if (m.not_match) e["not_match"] = m.not_match->pattern();
        if (m.greater_than) e["greater_than"] = *m.greater_than;
        if (m.greater_equals) e["greater_equals"] = *m.greater_equals;
        if (m.equals) e["equals"] = *m.equals;
        if (m.not_equals) e["not_equals"] = *m.not_equals;
        if (m.less_equals) e["less_equals"] = *m.less_equals;
        if (m.less_than) e["less_than"] = *m.less_than;
        j[attr] = e;
    }
    return j;
}

}  // namespace obi::config
