// filter.application: glob match/not_match, numeric matchers, attribute names in both
// forms, missing attributes, and acceptance example 19 (GET /metrics filtered out).
#include <gtest/gtest.h>

#include "metrics/span_filter.h"

using namespace obi;
using namespace obi::metrics;

namespace {

config::AttributeMatcher glob_match(const char* pattern, bool negate = false)
{
    config::AttributeMatcher m;
    (negate ? m.not_match : m.match) = Glob::compile(pattern);
    return m;
}

Span span(std::string method, std::string path, int status = 200)
{
    Span s;
    s.type = SpanType::HTTP;
    s.method = std::move(method);
    s.path = std::move(path);
    s.status = status;
    s.host = "10.0.0.1";
    s.host_port = 8080;
    s.peer = "10.0.0.2";
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "frontend";
    svc->namespace_ = "shop";
    s.service = svc;
    return s;
}

}  // namespace

TEST(SpanFilter, AcceptanceExample19UrlPathNotMatch)
{
    SpanFilter f({{"url_path", glob_match("/metrics", true)}});
    EXPECT_FALSE(f.passes(span("GET", "/metrics")));
    EXPECT_TRUE(f.passes(span("GET", "/metrics/extra")));
    EXPECT_TRUE(f.passes(span("GET", "/api")));
}

TEST(SpanFilter, EmptyFilterPassesEverything)
{
    SpanFilter f;
    EXPECT_TRUE(f.empty());
    EXPECT_TRUE(f.passes(span("GET", "/")));
}

TEST(SpanFilter, MatchGlobsOnStringsAndNumbers)
{
    SpanFilter methods({{"http.request.method", glob_match("{GET,HEAD}")}});
    EXPECT_TRUE(methods.passes(span("GET", "/")));
    EXPECT_FALSE(methods.passes(span("POST", "/")));
    SpanFilter status({{"http_response_status_code", glob_match("5*")}});
    EXPECT_TRUE(status.passes(span("GET", "/", 503)));
    EXPECT_FALSE(status.passes(span("GET", "/", 200)));
}

TEST(SpanFilter, EveryAttributeMustPass)
{
    SpanFilter f({{"url.path", glob_match("/api/*")}, {"service.namespace", glob_match("shop")}});
    EXPECT_TRUE(f.passes(span("GET", "/api/x")));
    Span other = span("GET", "/api/x");
    auto svc = std::make_shared<ServiceInfo>(*other.service);
    svc->namespace_ = "billing";
    other.service = svc;
    EXPECT_FALSE(f.passes(other));
    EXPECT_FALSE(f.passes(span("GET", "/web")));
}

TEST(SpanFilter, NumericMatchers)
{
    config::AttributeMatcher errors;
    errors.greater_equals = 400;
    errors.less_than = 500;
    SpanFilter f({{"http.response.status_code", errors}});
    EXPECT_TRUE(f.passes(span("GET", "/", 404)));
    EXPECT_TRUE(f.passes(span("GET", "/", 400)));
    EXPECT_FALSE(f.passes(span("GET", "/", 500)));
    EXPECT_FALSE(f.passes(span("GET", "/", 200)));

    config::AttributeMatcher port;
    port.equals = 8080;
    EXPECT_TRUE(SpanFilter({{"server.port", port}}).passes(span("GET", "/")));
    port.equals.reset();
    port.not_equals = 8080;
    EXPECT_FALSE(SpanFilter({{"server.port", port}}).passes(span("GET", "/")));
    config::AttributeMatcher gt;
    gt.greater_than = 8080;
    EXPECT_FALSE(SpanFilter({{"server_port", gt}}).passes(span("GET", "/")));
    gt.greater_than.reset();
    gt.less_equals = 8080;
    EXPECT_TRUE(SpanFilter({{"server_port", gt}}).passes(span("GET", "/")));
}

TEST(SpanFilter, NumericMatchersFailOnTextValues)
{
    config::AttributeMatcher m;
    m.greater_than = 0;
    EXPECT_FALSE(SpanFilter({{"http.request.method", m}}).passes(span("GET", "/")));
}

TEST(SpanFilter, AttributesWithoutValueCompareAsEmpty)
{
    // No Kubernetes metadata on host processes: k8s.namespace.name is "".
    SpanFilter drop_empty({{"k8s.namespace.name", glob_match("?*")}});
    EXPECT_FALSE(drop_empty.passes(span("GET", "/")));
    SpanFilter not_staging({{"k8s_namespace_name", glob_match("staging", true)}});
    EXPECT_TRUE(not_staging.passes(span("GET", "/")));
    SpanFilter route({{"http.route", glob_match("")}});
    EXPECT_TRUE(route.passes(span("GET", "/")));  // no route decided
}

TEST(SpanFilter, SpanLevelAttributes)
{
    SpanFilter kind({{"span.kind", glob_match("SPAN_KIND_SERVER")}});
    EXPECT_TRUE(kind.passes(span("GET", "/")));
    SpanFilter client({{"client.address", glob_match("10.0.0.*")}});
    EXPECT_TRUE(client.passes(span("GET", "/")));
    SpanFilter name({{"service_name", glob_match("front*")}});
    EXPECT_TRUE(name.passes(span("GET", "/")));
}
