// attributes.select (obi-compat.md 6.2): which attributes each metric reports. Keys are metric
// names or globs in OTel or Prometheus form; every matching entry applies, broader first and
// exact last, so that an exact key beats a glob and a narrower glob beats a broader one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "util/glob.h"

namespace obi::metrics {

// "http_server_request_duration_seconds_bucket" -> "http.server.request.duration":
// '_' -> '.', strip one of .ratio .bucket .sum .count .total, then .bytes or .seconds.
std::string normalize_metric_name(std::string_view name);
// Attribute names compare with '_' and '.' as the same character.
std::string fold_attribute_name(std::string_view name);

struct SelectableAttribute {
    std::string_view key;  // OTel name
    bool on_by_default = true;
};

class AttributeSelector {
public:
    AttributeSelector() = default;
    explicit AttributeSelector(const std::map<std::string, config::AttributeSelection>& select);

    // For each attribute of `available`, whether metric `metric` (OTel name; `aliases` are
    // older names of the same metric) reports it.
    std::vector<bool> select(std::string_view metric, const std::vector<std::string>& aliases,
                             const std::vector<SelectableAttribute>& available) const;

    // attributes.select.resource: whether a resource attribute (target_info label) is kept.
    bool resource_attribute_enabled(std::string_view key) const;

private:
    struct Lists {
        std::optional<std::vector<Glob>> include;
        std::vector<Glob> exclude;
    };
    struct Entry {
        std::string key;           // normalised
        std::optional<Glob> glob;  // set when the key has wildcards
        Lists lists;
    };
    static Lists compile(const config::AttributeSelection& sel);
    static bool any_matches(const std::vector<Glob>& globs, std::string_view folded);

    std::vector<Entry> entries_;  // broadest first; exact keys last
    std::optional<Lists> resource_;
};

}  // namespace obi::metrics
