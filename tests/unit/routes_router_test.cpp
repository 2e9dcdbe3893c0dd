// The routes stage: unmatched modes (heuristic, path, wildcard, unset, low-cardinality),
// wildcard_char, ignored_patterns with ignore_mode, and obi-compat.md acceptance examples 1-5.
#include <gtest/gtest.h>

#include <string>

#include "routes/router.h"

using namespace obi::routes;

namespace {

Router make(RouterOptions o)
{
    std::string error;
    auto r = Router::create(o, &error);
    EXPECT_TRUE(r.has_value()) << error;
    return std::move(*r);
}

std::string route(const Router& r, std::string_view path, CardinalityLimiter* limiter = nullptr)
{
    std::string out;
    return r.route(path, out, limiter) ? out : "<unset>";
}

TEST(RoutesRouter, Example1DefaultHeuristic)
{
    Router r = make({});
    EXPECT_EQ(route(r, "/basic/123"), "/basic/*");
}

TEST(RoutesRouter, Example2PatternWithPathFallback)
{
    RouterOptions o;
    o.patterns = {"/basic/:rnd"};
    o.unmatched = Unmatched::Path;
    Router r = make(o);
    EXPECT_EQ(route(r, "/basic/42?delay=30ms&status=404"), "/basic/:rnd");
    EXPECT_EQ(route(r, "/other/42?x=1"), "/other/42");
}

TEST(RoutesRouter, Example3Unset)
{
    RouterOptions o;
    o.unmatched = Unmatched::Unset;
    Router r = make(o);
    EXPECT_EQ(route(r, "/orders/77"), "<unset>");
    o.patterns = {"/orders/{id}"};
    EXPECT_EQ(route(make(o), "/orders/77"), "/orders/{id}");
}

TEST(RoutesRouter, Example4Wildcard)
{
    RouterOptions o;
    o.unmatched = Unmatched::Wildcard;
    o.wildcard_char = '#';  // does not change the wildcard route
    EXPECT_EQ(route(make(o), "/orders/77"), "/**");
}

TEST(RoutesRouter, Example5Heuristic)
{
    Router r = make({});
    EXPECT_EQ(route(r, "/users/fdklsd/j4elk/23993/job/2"), "/users/*/j4elk/*/job/*");
    EXPECT_EQ(route(r, "/v1/products/22"), "/v1/products/*");
}

TEST(RoutesRouter, WildcardCharInHeuristic)
{
    RouterOptions o;
    o.wildcard_char = '_';
    EXPECT_EQ(route(make(o), "/users/fdklsd/j4elk/23993/job/2"), "/users/_/j4elk/_/job/_");
}

TEST(RoutesRouter, ParseModeNames)
{
    EXPECT_EQ(parse_unmatched("heuristic"), Unmatched::Heuristic);
    EXPECT_EQ(parse_unmatched("path"), Unmatched::Path);
    EXPECT_EQ(parse_unmatched("wildcard"), Unmatched::Wildcard);
    EXPECT_EQ(parse_unmatched(""), Unmatched::Wildcard);  // explicit '' means wildcard
    EXPECT_EQ(parse_unmatched("unset"), Unmatched::Unset);
    EXPECT_EQ(parse_unmatched("low-cardinality"), Unmatched::LowCardinality);
    EXPECT_EQ(parse_unmatched("Heuristic"), std::nullopt);
    EXPECT_EQ(parse_ignore_mode("all"), IgnoreMode::All);
    EXPECT_EQ(parse_ignore_mode("traces"), IgnoreMode::Traces);
    EXPECT_EQ(parse_ignore_mode("metrics"), IgnoreMode::Metrics);
    EXPECT_EQ(parse_ignore_mode("none"), std::nullopt);
}

TEST(RoutesRouter, IgnoredPatternsPerSignal)
{
    RouterOptions o;
    o.ignored_patterns = {"/health", "/metrics/*", "/internal/{id}"};
    Router all = make(o);
    EXPECT_TRUE(all.ignored("/health"));
    EXPECT_TRUE(all.ignored("/health?verbose=1"));
    EXPECT_TRUE(all.ignored("/metrics"));
    EXPECT_TRUE(all.ignored("/metrics/prometheus"));
    EXPECT_TRUE(all.ignored("/internal/7"));
    EXPECT_FALSE(all.ignored("/healthz"));
    EXPECT_TRUE(all.drop_from_traces("/health"));
    EXPECT_TRUE(all.drop_from_metrics("/health"));
    o.ignore_mode = IgnoreMode::Traces;
    Router traces = make(o);
    EXPECT_TRUE(traces.drop_from_traces("/health"));
    EXPECT_FALSE(traces.drop_from_metrics("/health"));
    o.ignore_mode = IgnoreMode::Metrics;
    Router metrics = make(o);
    EXPECT_FALSE(metrics.drop_from_traces("/health"));
    EXPECT_TRUE(metrics.drop_from_metrics("/health"));
    EXPECT_FALSE(metrics.drop_from_metrics("/users"));
}

TEST(RoutesRouter, BadPatternIsAnError)
{
    RouterOptions o;
    o.ignored_patterns = {"health"};
    std::string error;
    EXPECT_FALSE(Router::create(o, &error));
    EXPECT_NE(error.find("health"), std::string::npos);
}

TEST(RoutesRouter, LowCardinalityBoundsEachPosition)
{
    RouterOptions o;
    o.unmatched = Unmatched::LowCardinality;
    o.max_path_segment_cardinality = 3;
    Router r = make(o);
    CardinalityLimiter service_a = r.make_limiter();
    // Word-like segments that the heuristic keeps: /shop/<category>.
    const char* categories[] = {"books", "games", "music", "garden", "tools", "books"};
    std::vector<std::string> routes;
    for (const char* c : categories) routes.push_back(route(r, std::string("/shop/") + c, &service_a));
    EXPECT_EQ(routes, (std::vector<std::string>{"/shop/books", "/shop/games", "/shop/music", "/shop/*", "/shop/*",
                                                "/shop/books"}));
    EXPECT_EQ(service_a.distinct_values(0), 1u);  // "shop"
    EXPECT_EQ(service_a.distinct_values(1), 3u);  // bounded
    // The heuristic's own wildcards do not use up the budget.
    EXPECT_EQ(route(r, "/shop/123", &service_a), "/shop/*");
    EXPECT_EQ(service_a.distinct_values(1), 3u);
    // Another service has its own budget.
    CardinalityLimiter service_b = r.make_limiter();
    EXPECT_EQ(route(r, "/shop/tools", &service_b), "/shop/tools");
    // Without a limiter the heuristic route is used as is.
    EXPECT_EQ(route(r, "/shop/tools"), "/shop/tools");
    // Patterns still win.
    o.patterns = {"/shop/{category}"};
    EXPECT_EQ(route(make(o), "/shop/anything", &service_a), "/shop/{category}");
}

TEST(RoutesRouter, LowCardinalityPerPositionAndUnlimited)
{
    CardinalityLimiter lim(2, '*');
    std::string a = "/a/x/p", b = "/b/y/q", c = "/c/z/r", d = "/a/z/r";
    lim.apply(a);
    lim.apply(b);
    lim.apply(c);
    lim.apply(d);
    EXPECT_EQ(a, "/a/x/p");
    EXPECT_EQ(b, "/b/y/q");
    EXPECT_EQ(c, "/*/*/*");
    EXPECT_EQ(d, "/a/*/*");
    std::string empty_segments = "/a//x/";
    lim.apply(empty_segments);
    EXPECT_EQ(empty_segments, "/a//*/");  // empty segments pass; position 2 is full

    CardinalityLimiter unlimited(0, '*');
    for (int i = 0; i < 100; i++) {
        std::string r = "/v" + std::string(static_cast<size_t>(i % 26 + 1), 'a');
        std::string before = r;
        unlimited.apply(r);
        EXPECT_EQ(r, before);
    }
}

TEST(RoutesRouter, LowCardinalityMemoryIsBounded)
{
    CardinalityLimiter lim(10, '*');
    for (int i = 0; i < 10000; i++) {
        std::string r = "/word" + std::to_string(i) + "/x" + std::to_string(i);
        lim.apply(r);
    }
    for (size_t pos = 0; pos < kHeuristicMaxSegments; pos++) EXPECT_LE(lim.distinct_values(pos), 10u);
    std::string long_segment = "/" + std::string(CardinalityLimiter::kMaxRememberedSegmentLen + 1, 'a');
    CardinalityLimiter fresh(10, '*');
    fresh.apply(long_segment);
    EXPECT_EQ(long_segment, "/*");
}

}  // namespace
