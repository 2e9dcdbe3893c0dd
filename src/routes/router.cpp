// Route selection: pattern match, else the unmatched mode (heuristic, path, wildcard, unset,
// low-cardinality).
#include "routes/router.h"

#include "routes/heuristic.h"

namespace obi::routes {

std::optional<Unmatched> parse_unmatched(std::string_view text)
{
    if (text == "heuristic") return Unmatched::Heuristic;
    if (text == "path") return Unmatched::Path;
    if (text == "wildcard" || text.empty()) return Unmatched::Wildcard;
    if (text == "unset") return Unmatched::Unset;
    if (text == "low-cardinality") return Unmatched::LowCardinality;
    return std::nullopt;
}

std::optional<IgnoreMode> parse_ignore_mode(std::string_view text)
{
    if (text == "all") return IgnoreMode::All;
    if (text == "traces") return IgnoreMode::Traces;
    if (text == "metrics") return IgnoreMode::Metrics;
    return std::nullopt;
}

std::optional<Router> Router::create(const RouterOptions& options, std::string* error)
{
    auto patterns = RouteMatcher::compile(options.patterns, error);
    if (!patterns) return std::nullopt;
    auto ignored = RouteMatcher::compile(options.ignored_patterns, error);
    if (!ignored) return std::nullopt;
    Router r;
    r.options_ = options;
    r.patterns_ = std::move(*patterns);
    r.ignored_ = std::move(*ignored);
    return r;
}

bool Router::route(std::string_view path, std::string& out, CardinalityLimiter* limiter) const
{
    if (const std::string* p = patterns_.match(path)) {
        out.assign(*p);
        return true;
    }
    switch (options_.unmatched) {
    case Unmatched::Unset:
        out.clear();
        return false;
    case Unmatched::Path:
        out.assign(path.substr(0, path.find_first_of("?#")));
        return true;
    case Unmatched::Wildcard:
        out.assign(kWildcardRoute);
        return true;
    case Unmatched::Heuristic:
        heuristic_route(path, options_.wildcard_char, out);
        return true;
    case Unmatched::LowCardinality:
        heuristic_route(path, options_.wildcard_char, out);
        if (limiter != nullptr) limiter->apply(out);
        return true;
    }
    return false;
}

}  // namespace obi::routes
