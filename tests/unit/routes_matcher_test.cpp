// RouteMatcher: {id} and :id parameters, trailing and prefix wildcards, specificity order,
// trailing slashes, query handling and pattern validation.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "routes/route_matcher.h"

using obi::routes::RouteMatcher;

namespace {

RouteMatcher compile(const std::vector<std::string>& patterns)
{
    std::string error;
    auto m = RouteMatcher::compile(patterns, &error);
    EXPECT_TRUE(m.has_value()) << error;
    return m ? std::move(*m) : RouteMatcher();
}

std::string route_of(const RouteMatcher& m, std::string_view path)
{
    const std::string* r = m.match(path);
    return r ? *r : "<none>";
}

TEST(RoutesMatcher, BracesAndColonParameters)
{
    RouteMatcher m = compile({"/users/{id}", "/basic/:rnd", "/users/{id}/orders/:order"});
    EXPECT_EQ(route_of(m, "/users/42"), "/users/{id}");
    EXPECT_EQ(route_of(m, "/basic/42?delay=30ms&status=404"), "/basic/:rnd");  // acceptance example 2
    EXPECT_EQ(route_of(m, "/users/42/orders/7"), "/users/{id}/orders/:order");
    EXPECT_EQ(route_of(m, "/users/42/"), "/users/{id}");  // trailing slash ignored
    EXPECT_EQ(route_of(m, "/users"), "<none>");
    EXPECT_EQ(route_of(m, "/users/"), "<none>");  // a parameter needs a non-empty segment
    EXPECT_EQ(route_of(m, "/users//orders/7"), "<none>");
    EXPECT_EQ(route_of(m, "/users/42/orders"), "<none>");
    EXPECT_EQ(route_of(m, "/users/42/7"), "<none>");
    EXPECT_EQ(route_of(m, "/Users/42"), "<none>");  // case-sensitive
}

TEST(RoutesMatcher, TrailingStarMatchesThePrefixIncludingTheBarePrefix)
{
    RouteMatcher m = compile({"/user/*"});
    EXPECT_EQ(route_of(m, "/user"), "/user/*");
    EXPECT_EQ(route_of(m, "/user/"), "/user/*");
    EXPECT_EQ(route_of(m, "/user/1"), "/user/*");
    EXPECT_EQ(route_of(m, "/user/1/profile/edit"), "/user/*");
    EXPECT_EQ(route_of(m, "/users"), "<none>");
    EXPECT_EQ(route_of(m, "/"), "<none>");
}

TEST(RoutesMatcher, PrefixStarAndMiddleStar)
{
    RouteMatcher m = compile({"/static/img*", "/api/*/status"});
    EXPECT_EQ(route_of(m, "/static/img"), "/static/img*");
    EXPECT_EQ(route_of(m, "/static/img123.png"), "/static/img*");
    EXPECT_EQ(route_of(m, "/static/img/a/b"), "/static/img*");
    EXPECT_EQ(route_of(m, "/static/im"), "<none>");
    EXPECT_EQ(route_of(m, "/api/v1/status"), "/api/*/status");  // '*' before the end: one segment
    EXPECT_EQ(route_of(m, "/api/v1/v2/status"), "<none>");
}

TEST(RoutesMatcher, MostSpecificWins)
{
    RouteMatcher m = compile({"/users/*", "/users/{id}", "/users/me", "/users/{id}/orders"});
    EXPECT_EQ(route_of(m, "/users/me"), "/users/me");
    EXPECT_EQ(route_of(m, "/users/42"), "/users/{id}");
    EXPECT_EQ(route_of(m, "/users/42/orders"), "/users/{id}/orders");
    EXPECT_EQ(route_of(m, "/users/42/payments"), "/users/*");
    EXPECT_EQ(route_of(m, "/users"), "/users/*");
    // Equal specificity: the first configured wins.
    RouteMatcher n = compile({"/a/{x}", "/a/:y"});
    EXPECT_EQ(route_of(n, "/a/1"), "/a/{x}");
}

TEST(RoutesMatcher, RootEmptySegmentsAndVerbatimPatterns)
{
    RouteMatcher m = compile({"/", "/products//org/{id}", "/health/"});
    EXPECT_EQ(route_of(m, "/"), "/");
    EXPECT_EQ(route_of(m, "/?x=1"), "/");
    EXPECT_EQ(route_of(m, "/products//org/3"), "/products//org/{id}");
    EXPECT_EQ(route_of(m, "/products/org/3"), "<none>");
    EXPECT_EQ(route_of(m, "/health"), "/health/");  // reported verbatim, trailing slash included
}

TEST(RoutesMatcher, RejectsBadPatterns)
{
    std::string error;
    EXPECT_FALSE(RouteMatcher::compile({"users/{id}"}, &error));
    EXPECT_NE(error.find("users/{id}"), std::string::npos);
    EXPECT_FALSE(RouteMatcher::compile({""}, &error));
    auto empty = RouteMatcher::compile({}, &error);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->empty());
    EXPECT_EQ(empty->match("/x"), nullptr);
}

}  // namespace
