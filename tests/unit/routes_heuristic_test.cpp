// The route heuristic of obi-compat.md 6.1 and acceptance examples 1 and 5.
#include <gtest/gtest.h>

#include <string>

#include "routes/heuristic.h"

using obi::routes::heuristic_keeps_segment;
using obi::routes::heuristic_route;

namespace {

struct Case {
    const char* path;
    const char* route;
};

// clang-format off
const Case kDocumented[] = {
    {"/users/fdklsd/j4elk/23993/job/2", "/users/*/j4elk/*/job/*"},
    {"/v1/products/22j", "/v1/products/*"},
    {"/u/2", "/u/*"},
    {"/api/hello.world", "/api/hello.world"},
    {"/products//org/3", "/products//org/*"},
    {"/v1/products/22", "/v1/products/*"},  // acceptance example 5
    {"/basic/123", "/basic/*"},             // acceptance example 1
};

const Case kMore[] = {
    {"/index.html", "/index.html"},          // web tokens (html, json) are words here
    {"/api/data.json", "/api/data.json"},
    {"/", "/"},
    {"", ""},
    {"/users/", "/users/"},                  // trailing '/' kept
    {"/users//", "/users//"},
    {"//", "//"},
    {"/k6-test-runs/42", "/k6-test-runs/*"},  // one non-letter as the 2nd character
    {"/a1b2/x", "/*/x"},                     // a second non-letter
    {"/1a/x", "/*/x"},                       // a non-letter first
    {"/v12/x", "/*/x"},
    {"/snake_case/kebab-case/dot.ted", "/snake_case/kebab-case/dot.ted"},
    {"/users/42?token=x&page=2", "/users/*"},  // query removed
    {"/users/42#frag", "/users/*"},
    {"/search?q=/a/b", "/search"},
    {"/files/%20name", "/files/*"},
    {"/users/550e8400-e29b-41d4-a716-446655440000", "/users/*"},  // UUID
    {"/blob/da39a3ee5e6b4b0d3255bfef95601890afd80709", "/blob/*"},  // SHA-1
    {"/orders/ABCDEF", "/orders/*"},        // letters-only hex is gibberish
    {"/users/fdklsd", "/users/*"},
    {"/api/getUserById", "/api/getUserById"},
    {"/a/b/c/d/e/f/g/h/i/j/k/l", "/a/b/c/d/e/f/g/h/i/j"},  // at most 10 segments
    {"/a/b/c/d/e/f/g/h/i/j", "/a/b/c/d/e/f/g/h/i/j"},
    {"/a/b/c/d/e/f/g/h/i/j/", "/a/b/c/d/e/f/g/h/i/j"},     // the trailing '/' is an 11th segment
    {"/1/2/3/4/5/6/7/8/9/10/11", "/*/*/*/*/*/*/*/*/*/*"},
    {"relative/42", "relative/*"},
    {"*", "*"},  // OPTIONS *
};
// clang-format on

TEST(RoutesHeuristic, DocumentedExamples)
{
    for (const Case& c : kDocumented) EXPECT_EQ(heuristic_route(c.path), c.route) << c.path;
}

TEST(RoutesHeuristic, MoreCases)
{
    for (const Case& c : kMore) EXPECT_EQ(heuristic_route(c.path), c.route) << c.path;
}

TEST(RoutesHeuristic, WildcardChar)
{
    EXPECT_EQ(heuristic_route("/users/fdklsd/j4elk/23993/job/2", '#'), "/users/#/j4elk/#/job/#");
    EXPECT_EQ(heuristic_route("/u/2", '_'), "/u/_");
}

TEST(RoutesHeuristic, ReusesTheOutputBuffer)
{
    std::string out = "previous content that is long";
    heuristic_route("/u/2", '*', out);
    EXPECT_EQ(out, "/u/*");
    const char* data = out.data();
    heuristic_route("/v1/x", '*', out);
    EXPECT_EQ(out, "/v1/x");
    EXPECT_EQ(out.data(), data);  // no reallocation
}

TEST(RoutesHeuristic, SegmentRule)
{
    EXPECT_TRUE(heuristic_keeps_segment("v1"));
    EXPECT_TRUE(heuristic_keeps_segment("j4elk"));
    EXPECT_TRUE(heuristic_keeps_segment("x"));
    EXPECT_TRUE(heuristic_keeps_segment("a.b-c_d"));
    EXPECT_FALSE(heuristic_keeps_segment("2"));
    EXPECT_FALSE(heuristic_keeps_segment("22j"));
    EXPECT_FALSE(heuristic_keeps_segment("fdklsd"));
    EXPECT_FALSE(heuristic_keeps_segment("ab~"));
}

}  // namespace
