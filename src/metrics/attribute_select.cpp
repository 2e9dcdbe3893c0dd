// attributes.select: name normalisation, entry ordering and include/exclude resolution.
#include "metrics/attribute_select.h"

#include <algorithm>

namespace obi::metrics {
namespace {

bool ends_with(std::string_view s, std::string_view suffix)
{
    return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool has_wildcards(std::string_view s) { return s.find_first_of("*?[{") != std::string_view::npos; }

// Literal characters of a glob: the more, the narrower the pattern.
size_t literal_chars(std::string_view s)
{
    constexpr std::string_view kSpecial = "*?[]{},!";
    return static_cast<size_t>(
        std::count_if(s.begin(), s.end(), [&](char c) { return kSpecial.find(c) == std::string_view::npos; }));
}

}  // namespace

std::string normalize_metric_name(std::string_view name)
{
    std::string n(name);
    std::replace(n.begin(), n.end(), '_', '.');
    for (std::string_view suffix : {".ratio", ".bucket", ".sum", ".count", ".total"}) {
        if (ends_with(n, suffix)) {
            n.resize(n.size() - suffix.size());
            break;
        }
    }
    for (std::string_view suffix : {".bytes", ".seconds"}) {
        if (ends_with(n, suffix)) {
            n.resize(n.size() - suffix.size());
            break;
        }
    }
    return n;
}

std::string fold_attribute_name(std::string_view name)
{
    std::string n(name);
    std::replace(n.begin(), n.end(), '_', '.');
    return n;
}

AttributeSelector::Lists AttributeSelector::compile(const config::AttributeSelection& sel)
{
    auto globs = [](const std::vector<std::string>& items) {
        std::vector<Glob> out;
        for (const auto& item : items)
            if (auto g = Glob::compile(fold_attribute_name(item))) out.push_back(std::move(*g));
        return out;
    };
    Lists lists;
    if (sel.include) lists.include = globs(*sel.include);
    lists.exclude = globs(sel.exclude);
    return lists;
}

AttributeSelector::AttributeSelector(const std::map<std::string, config::AttributeSelection>& select)
{
    for (const auto& [key, sel] : select) {
        if (key == "traces") continue;  // span attributes, handled by the trace side
        if (key == "resource") {
            resource_ = compile(sel);
            continue;
        }
        Entry e;
        e.key = normalize_metric_name(key);
        if (has_wildcards(e.key)) e.glob = Glob::compile(e.key);
        if (has_wildcards(e.key) && !e.glob) continue;  // rejected by the config loader already
        e.lists = compile(sel);
        entries_.push_back(std::move(e));
    }
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
        if (a.glob.has_value() != b.glob.has_value()) return a.glob.has_value();  // globs before exact keys
        if (!a.glob) return a.key < b.key;
        size_t la = literal_chars(a.key), lb = literal_chars(b.key);
        if (la != lb) return la < lb;  // broader (fewer literal characters) first
        return a.key < b.key;
    });
}

bool AttributeSelector::any_matches(const std::vector<Glob>& globs, std::string_view folded)
{
    return std::any_of(globs.begin(), globs.end(), [&](const Glob& g) { return g.matches(folded); });
}

std::vector<bool> AttributeSelector::select(std::string_view metric, const std::vector<std::string>& aliases,
                                            const std::vector<SelectableAttribute>& available) const
{
    std::vector<std::string> names = {normalize_metric_name(metric)};
    for (const auto& a : aliases) names.push_back(normalize_metric_name(a));
    std::vector<std::string> folded;
    for (const auto& a : available) folded.push_back(fold_attribute_name(a.key));

    std::vector<bool> on(available.size(), false);
    bool matched_any = false;
    for (const Entry& e : entries_) {
        bool matches = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
            return e.glob ? e.glob->matches(n) : e.key == n;
        });
        if (!matches) continue;
        bool first = !matched_any;
        matched_any = true;
        if (e.lists.include)
            for (size_t i = 0; i < available.size(); i++)
                if (any_matches(*e.lists.include, folded[i])) on[i] = true;
        // The broadest matching entry without includes starts from the defaults.
        if (first && std::none_of(on.begin(), on.end(), [](bool b) { return b; }))
            for (size_t i = 0; i < available.size(); i++) on[i] = available[i].on_by_default;
        for (size_t i = 0; i < available.size(); i++)
            if (any_matches(e.lists.exclude, folded[i])) on[i] = false;
    }
    if (!matched_any)
        for (size_t i = 0; i < available.size(); i++) on[i] = available[i].on_by_default;
    return on;
}

bool AttributeSelector::resource_attribute_enabled(std::string_view key) const
{
    if (!resource_) return true;
    std::string folded = fold_attribute_name(key);
    if (resource_->include && !any_matches(*resource_->include, folded)) return false;
    return !any_matches(resource_->exclude, folded);
}

}  // namespace obi::metrics
