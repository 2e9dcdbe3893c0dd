// The routes stage (OBI `routes` section): configured patterns first, then the `unmatched`
// mode; plus the ignored_patterns decision per signal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "routes/cardinality_limiter.h"
#include "routes/route_matcher.h"

namespace obi::routes {

// Same values as config::RouteUnmatched / config::RouteIgnoreMode (kept separate so that
// routes/ does not depend on the config layer).
enum class Unmatched : uint8_t { Heuristic, Path, Wildcard, Unset, LowCardinality };
enum class IgnoreMode : uint8_t { All, Traces, Metrics };

// "heuristic", "path", "wildcard", "unset", "low-cardinality"; "" means wildcard (OBI).
std::optional<Unmatched> parse_unmatched(std::string_view text);
// "all", "traces", "metrics".
std::optional<IgnoreMode> parse_ignore_mode(std::string_view text);

constexpr std::string_view kWildcardRoute = "/**";  // unmatched: wildcard

struct RouterOptions {
    std::vector<std::string> patterns;
    std::vector<std::string> ignored_patterns;
    IgnoreMode ignore_mode = IgnoreMode::All;
    Unmatched unmatched = Unmatched::Heuristic;
    char wildcard_char = '*';
    size_t max_path_segment_cardinality = 10;  // low-cardinality only; 0 = unlimited
};

class Router {
public:
    // nullopt with *error for a bad pattern.
    static std::optional<Router> create(const RouterOptions& options, std::string* error = nullptr);

    // Computes http.route for `path` (query allowed, it is ignored) into `out`. Returns false
    // when the span gets no route (unmatched: unset). A matching pattern is returned
    // verbatim; otherwise the unmatched mode decides. In low-cardinality mode `limiter` is
    // the service's limiter (make_limiter()); with nullptr the heuristic route is used as is.
    bool route(std::string_view path, std::string& out, CardinalityLimiter* limiter = nullptr) const;

    // ignored_patterns: should a request with this path be dropped from traces / metrics?
    bool ignored(std::string_view path) const { return ignored_.matches(path); }
    bool drop_from_traces(std::string_view path) const
    {
        return options_.ignore_mode != IgnoreMode::Metrics && ignored(path);
    }
    bool drop_from_metrics(std::string_view path) const
    {
        return options_.ignore_mode != IgnoreMode::Traces && ignored(path);
    }

    CardinalityLimiter make_limiter() const
    {
        return CardinalityLimiter(options_.max_path_segment_cardinality, options_.wildcard_char);
    }
    const RouterOptions& options() const { return options_; }

private:
    RouterOptions options_;
    RouteMatcher patterns_;
    RouteMatcher ignored_;
};

}  // namespace obi::routes
