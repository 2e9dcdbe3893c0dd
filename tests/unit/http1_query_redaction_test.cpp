// url.query redaction: the built-in sensitive keys, add/remove, case-sensitive matching
// and the untouched parts of the query.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "protocols/http1/query_redaction.h"

using namespace obi::http1;

namespace {

TEST(Http1QueryRedaction, DefaultKeys)
{
    SensitiveParams p = SensitiveParams::defaults();
    EXPECT_EQ(redact_query("status=open&token=abc123", p), "status=open&token=REDACTED");  // req_curl_get.bin
    EXPECT_EQ(redact_query("api_key=secret&page=2", p), "api_key=REDACTED&page=2");        // req_go_get.bin
    EXPECT_EQ(redact_query("q=shoes&password=hunter2", p), "q=shoes&password=REDACTED");   // req_java_get_h2c_upgrade
    EXPECT_EQ(redact_query("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20260101&X-Amz-Date=20260101T000000Z"
                           "&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeef",
                           p),
              "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Date=20260101T000000Z"
              "&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=REDACTED");
    EXPECT_EQ(redact_query("GoogleAccessId=svc&Expires=1&Signature=abc", p),
              "GoogleAccessId=REDACTED&Expires=1&Signature=REDACTED");
    EXPECT_EQ(redact_query("sv=2021&sig=xyz", p), "sv=2021&sig=REDACTED");
    for (std::string_view k : kDefaultSensitiveQueryParams) EXPECT_TRUE(p.contains(k)) << k;
}

TEST(Http1QueryRedaction, CaseSensitiveAndExact)
{
    SensitiveParams p = SensitiveParams::defaults();
    EXPECT_EQ(redact_query("Token=a&TOKEN=b&token=c", p), "Token=a&TOKEN=b&token=REDACTED");
    EXPECT_EQ(redact_query("x-amz-signature=a", p), "x-amz-signature=a");
    EXPECT_EQ(redact_query("tokens=a&mytoken=b", p), "tokens=a&mytoken=b");
}

TEST(Http1QueryRedaction, ShapeIsKept)
{
    SensitiveParams p = SensitiveParams::defaults();
    EXPECT_EQ(redact_query("", p), "");
    EXPECT_EQ(redact_query("token", p), "token");  // no value
    EXPECT_EQ(redact_query("token=", p), "token=REDACTED");
    EXPECT_EQ(redact_query("a=1&&token=x&", p), "a=1&&token=REDACTED&");
    EXPECT_EQ(redact_query("token=a=b&c", p), "token=REDACTED&c");
    EXPECT_EQ(redact_query("x=token=y", p), "x=token=y");
    EXPECT_EQ(redact_query("password=p%26q&next=%2F", p), "password=REDACTED&next=%2F");
}

TEST(Http1QueryRedaction, AddAndRemove)
{
    SensitiveParams p = SensitiveParams::defaults();
    p.add("session");
    p.add("session");  // idempotent
    p.remove("key");
    p.remove("not-there");
    EXPECT_EQ(redact_query("session=s&key=k", p), "session=REDACTED&key=k");
    SensitiveParams none = SensitiveParams::none();
    EXPECT_EQ(redact_query("token=t", none), "token=t");
    none.add("id");
    EXPECT_EQ(redact_query("id=1&token=t", none), "id=REDACTED&token=t");
    EXPECT_TRUE(std::is_sorted(p.keys().begin(), p.keys().end()));
}

}  // namespace
