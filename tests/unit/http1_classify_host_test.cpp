// Connection classification from first bytes (looks_like_request/response) and Host header
// splitting, including bracketed IPv6 literals.
#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

#include "protocols/http1/classify.h"
#include "protocols/http1/host_port.h"

using namespace obi::http1;

namespace {

TEST(Http1Classify, KnownMethodsFollowedBySpace)
{
    for (std::string_view m : {"GET /", "POST /", "PUT /", "DELETE /", "HEAD /", "OPTIONS *", "PATCH /",
                               "CONNECT h:443", "TRACE /"}) {
        EXPECT_TRUE(looks_like_request(m)) << m;
    }
    EXPECT_TRUE(looks_like_request("GET "));
    for (std::string_view b : {"GET", "GE", "", "GETX /", "get /", "PROPFIND /", "POSTS /", "PRI * HTTP/2.0",
                               "\x16\x03\x01\x02", "*1\r\n$4\r\nPING", "HTTP/1.1 200 OK", " GET /"}) {
        EXPECT_FALSE(looks_like_request(b)) << b;
    }
}

TEST(Http1Classify, StatusLinePrefix)
{
    EXPECT_TRUE(looks_like_response("HTTP/1.1 200 OK\r\n"));
    EXPECT_TRUE(looks_like_response("HTTP/1.0 404"));
    EXPECT_TRUE(looks_like_response("HTTP/1."));
    EXPECT_FALSE(looks_like_response("HTTP/1"));
    EXPECT_FALSE(looks_like_response("HTTP/2 200"));
    EXPECT_FALSE(looks_like_response("HTTP/1.x"));
    EXPECT_FALSE(looks_like_response("http/1.1 200"));
    EXPECT_FALSE(looks_like_response("GET / HTTP/1.1"));
}

TEST(Http1HostPort, Forms)
{
    struct Case {
        std::string_view host;
        std::string_view name;
        uint16_t port;
    };
    const Case cases[] = {
        {"example.com", "example.com", 0},
        {"example.com:8080", "example.com", 8080},
        {"127.0.0.1:18901", "127.0.0.1", 18901},
        {"[::1]:18901", "::1", 18901},  // curl -g http://[::1]:18901/ (req_curl_ipv6.bin)
        {"[::1]", "::1", 0},
        {"[fe80::1%25eth0]:80", "fe80::1%25eth0", 80},
        {"::1", "::1", 0},  // unbracketed IPv6 literal: no port can be told apart
        {"2001:db8::7", "2001:db8::7", 0},
        {"host:", "host", 0},
        {"host:65535", "host", 65535},
        {"host:0", "host", 0},
    };
    for (const Case& c : cases) {
        std::string_view name = "unset";
        uint16_t port = 1;
        ASSERT_TRUE(split_host_port(c.host, name, port)) << c.host;
        EXPECT_EQ(name, c.name) << c.host;
        EXPECT_EQ(port, c.port) << c.host;
    }
}

TEST(Http1HostPort, Rejects)
{
    for (std::string_view bad : {"", ":80", "[]:80", "[::1", "[::1]x", "[::1]:", "host:65536", "host:123456",
                                 "host:8o", "host:-1", "[::1]:99999"}) {
        std::string_view name = "unset";
        uint16_t port = 7;
        bool ok = split_host_port(bad, name, port);
        if (bad == "[::1]:") {  // an empty port after the bracket is allowed like "host:"
            EXPECT_TRUE(ok);
            continue;
        }
        EXPECT_FALSE(ok) << bad;
        EXPECT_EQ(name, "unset") << bad;
        EXPECT_EQ(port, 7) << bad;
    }
}

}  // namespace
