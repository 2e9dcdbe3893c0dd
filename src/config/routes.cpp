// The `routes` section (top level and per discovery entry): patterns and the unmatched policy.
#include "config/sections.h"

namespace obi::config {

void parse_routes(LoadContext& ctx, const YAML::Node& node, const std::string& path, bool per_entry,
                  RoutesConfig& out)
{
    std::vector<std::string> valid = {"patterns", "ignored_patterns", "ignore_mode", "unmatched", "wildcard_char",
                                      "max_path_segment_cardinality"};
    if (per_entry) {
        valid.push_back("incoming");
        valid.push_back("outgoing");
    }
    for_each_key(ctx, node, path, valid, [&](const std::string& key, const YAML::Node& value,
                                             const std::string& key_path) {
        if (std::find(valid.begin(), valid.end(), key) == valid.end()) return false;
        Input in = Input::from_yaml(key_path, value, ctx);
        std::string err, s;
        if (key == "patterns" || key == "ignored_patterns" || key == "incoming" || key == "outgoing") {
            std::vector<std::string> items;
            err = need_list(in, items);
            for (const auto& p : items)
                if (err.empty() && p.front() != '/' && p.front() != '*')
                    err = "route pattern '" + p + "' must start with '/' (e.g. /users/{id})";
            if (err.empty()) {
                if (key == "patterns") out.patterns = items;
                else if (key == "ignored_patterns") out.ignored_patterns = items;
                else if (key == "incoming") out.incoming = items;
                else out.outgoing = items;
            }
        } else if ((err = need_scalar(in, s)).empty()) {
            if (key == "ignore_mode") {
                err = s.empty() ? "" : parse_enum(s, out.ignore_mode);
            } else if (key == "unmatched") {
                // An explicit '' (or no value) means wildcard, as in OBI.
                if (s.empty()) out.unmatched = RouteUnmatched::Wildcard;
                else err = parse_enum(s, out.unmatched);
            } else if (key == "wildcard_char") {
                if (s.size() > 1) err = "'" + s + "' must be a single character, e.g. '*'";
                else out.wildcard_char = s.empty() ? '*' : s[0];
            } else if (key == "max_path_segment_cardinality") {
                if (auto v = parse_int(s, 0, 1000000, &err)) out.max_path_segment_cardinality = static_cast<int>(*v);
            }
        }
        if (!err.empty()) ctx.error_at(key_path, err, value.Mark());
        return true;
    });
}

Json routes_to_json(const RoutesConfig& r)
{
    Json j = Json::object();
    j["patterns"] = r.patterns;
    j["ignored_patterns"] = r.ignored_patterns;
    j["ignore_mode"] = std::string(to_string(r.ignore_mode));
    j["unmatched"] = std::string(to_string(r.unmatched));
    j["wildcard_char"] = std::string(1, r.wildcard_char);
    j["max_path_segment_cardinality"] = r.max_path_segment_cardinality;
    if (!r.incoming.empty()) j["incoming"] = r.incoming;
    if (!r.outgoing.empty()) j["outgoing"] = r.outgoing;
    return j;
}

}  // namespace obi::config
