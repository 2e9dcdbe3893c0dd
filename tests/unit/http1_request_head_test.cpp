// Request-head parsing against bytes captured from real clients (tests/data/http1, see its
// README for the peer and command of every file), every-prefix and split tests.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "protocols/http1/body_framing.h"
#include "protocols/http1/chunked_scanner.h"
#include "protocols/http1/request_head.h"

using namespace obi::http1;

namespace {

std::string load(const std::string& name)
{
    std::ifstream in(std::string(OBI_TEST_DATA_DIR) + "/http1/" + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << name;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct RequestCase {
    const char* file;
    const char* method;
    const char* path;
    const char* query;
    const char* host;
    int64_t content_length;
    bool chunked;
    bool expect_continue;
    bool connection_close;
    const char* user_agent;
    const char* traceparent;
    BodyFraming framing;
    int messages;  // whole requests in the file (pipelining); -1: the file is truncated
};

// clang-format off
const RequestCase kRequests[] = {
    {"req_curl_get.bin", "GET", "/users/42/orders", "status=open&token=abc123", "127.0.0.1:18901", -1, false, false, false,
     "curl/7.88.1", "", BodyFraming::None, 1},
    {"req_curl_head.bin", "HEAD", "/index.html", "", "127.0.0.1:18901", -1, false, false, false, "curl/7.88.1", "",
     BodyFraming::None, 1},
    {"req_curl_traceparent.bin", "GET", "/api/hello.world", "", "127.0.0.1:18901", -1, false, false, false, "curl/7.88.1",
     "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", BodyFraming::None, 1},
    {"req_curl_post_expect.bin", "POST", "/upload", "", "127.0.0.1:18901", 1500000, false, true, false, "curl/7.88.1", "",
     BodyFraming::ContentLength, -1},
    {"req_curl_post_chunked.bin", "POST", "/v1/items", "", "127.0.0.1:18901", -1, true, false, false, "curl/7.88.1", "",
     BodyFraming::Chunked, 1},
    {"req_curl_proxy_absolute.bin", "GET", "/v1/products/22", "x=1", "example.com:8080", -1, false, false, false,
     "curl/7.88.1", "", BodyFraming::None, 1},
    {"req_curl_ipv6.bin", "GET", "/products//org/3", "", "[::1]:18901", -1, false, false, false, "curl/7.88.1", "",
     BodyFraming::None, 1},
    {"req_wget_get.bin", "GET", "/u/2", "", "127.0.0.1:18901", -1, false, false, false, "Wget/1.21.3", "",
     BodyFraming::None, 1},
    {"req_urllib_get.bin", "GET", "/users/fdklsd/j4elk/23993/job/2", "", "127.0.0.1:18901", -1, false, false, true,
     "Python-urllib/3.11", "", BodyFraming::None, 1},
    {"req_httpclient_post.bin", "POST", "/orders", "", "127.0.0.1:18901", 8, false, false, false, "", "",
     BodyFraming::ContentLength, 1},
    {"req_node_get.bin", "GET", "/health", "", "127.0.0.1:18901", -1, false, false, false, "", "", BodyFraming::None, 1},
    {"req_node_post_chunked.bin", "POST", "/events", "", "127.0.0.1:18901", -1, true, false, false, "", "",
     BodyFraming::Chunked, 1},
    {"req_go_get.bin", "GET", "/v1/products/22j", "api_key=secret&page=2", "127.0.0.1:18902", -1, false, false, false,
     "Go-http-client/1.1", "", BodyFraming::None, 1},
    {"req_go_post.bin", "POST", "/customers", "", "127.0.0.1:18902", 14, false, false, false, "Go-http-client/1.1", "",
     BodyFraming::ContentLength, 1},
    {"req_go_post_chunked.bin", "POST", "/metrics/ingest", "", "127.0.0.1:18902", -1, true, false, false,
     "Go-http-client/1.1", "", BodyFraming::Chunked, 1},
    {"req_java_get_h2c_upgrade.bin", "GET", "/search", "q=shoes&password=hunter2", "127.0.0.1:18902", 0, false, false,
     false, "Java-http-client/17.0.15", "", BodyFraming::None, 1},
    {"req_java_get.bin", "GET", "/login", "", "127.0.0.1:18902", 0, false, false, false, "Java-http-client/17.0.15",
     "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", BodyFraming::None, 1},
    {"req_java_put.bin", "PUT", "/items", "", "127.0.0.1:18902", 9, false, false, false, "Java-http-client/17.0.15", "",
     BodyFraming::ContentLength, 1},
    {"req_h2load_pipelined.bin", "GET", "/items/1", "", "127.0.0.1:18902", -1, false, false, false,
     "h2load nghttp2/1.52.0", "", BodyFraming::None, 3},
};
// clang-format on

// Walks every request in `bytes`: head, then the body by its framing. Returns the number of
// requests, or -1 when the bytes end inside a message.
int count_requests(std::string_view bytes)
{
    int n = 0;
    while (!bytes.empty()) {
        RequestHead h;
        if (parse_request_head(bytes, h) != ParseStatus::Complete) return -1;
        bytes.remove_prefix(h.head_len);
        switch (request_framing(h)) {
        case BodyFraming::ContentLength:
            if (bytes.size() < static_cast<size_t>(h.content_length)) return -1;
            bytes.remove_prefix(static_cast<size_t>(h.content_length));
            break;
        case BodyFraming::Chunked: {
            ChunkedScanner s;
            bytes.remove_prefix(s.feed(bytes));
            if (!s.exact()) return -1;
            break;
        }
        case BodyFraming::UntilClose:
            bytes = {};
            break;
        case BodyFraming::None:
            break;
        }
        n++;
    }
    return n;
}

class CapturedRequest : public testing::TestWithParam<RequestCase> {};

TEST_P(CapturedRequest, ParsesFields)
{
    const RequestCase& c = GetParam();
    std::string bytes = load(c.file);
    RequestHead h;
    ASSERT_EQ(parse_request_head(bytes, h), ParseStatus::Complete);
    EXPECT_EQ(h.method, c.method);
    EXPECT_EQ(h.path, c.path);
    EXPECT_EQ(h.query, c.query);
    EXPECT_EQ(h.host, c.host);
    EXPECT_EQ(h.version_minor, 1);
    EXPECT_EQ(h.content_length, c.content_length);
    EXPECT_EQ(h.chunked, c.chunked);
    EXPECT_EQ(h.expect_continue, c.expect_continue);
    EXPECT_EQ(h.connection_close, c.connection_close);
    EXPECT_EQ(h.user_agent, c.user_agent);
    EXPECT_EQ(h.traceparent, c.traceparent);
    EXPECT_EQ(request_framing(h), c.framing);
    // head_len ends right after the first blank line.
    EXPECT_EQ(h.head_len, bytes.find("\r\n\r\n") + 4);
    // All views point into the buffer.
    EXPECT_GE(h.method.data(), bytes.data());
    EXPECT_LE(h.user_agent.data() + h.user_agent.size(), bytes.data() + bytes.size());
}

TEST_P(CapturedRequest, WholeFileIsMessages)
{
    const RequestCase& c = GetParam();
    EXPECT_EQ(count_requests(load(c.file)), c.messages);
}

TEST_P(CapturedRequest, EveryStrictPrefixNeedsMore)
{
    std::string bytes = load(GetParam().file);
    RequestHead first;
    ASSERT_EQ(parse_request_head(bytes, first), ParseStatus::Complete);
    for (size_t len = 0; len < first.head_len; len++) {
        RequestHead h;
        h.head_len = 12345;  // sentinel: must stay untouched
        ASSERT_EQ(parse_request_head(std::string_view(bytes).substr(0, len), h), ParseStatus::NeedMore) << "len " << len;
        ASSERT_EQ(h.head_len, 12345u);
    }
}

TEST_P(CapturedRequest, ParsesFromACopyOfEveryLength)
{
    // A separately allocated exact-size buffer per prefix, so that reading past the end
    // would show up under ASan/valgrind.
    std::string bytes = load(GetParam().file);
    RequestHead first;
    ASSERT_EQ(parse_request_head(bytes, first), ParseStatus::Complete);
    for (size_t len = first.head_len; len <= bytes.size(); len++) {
        std::vector<char> copy(bytes.begin(), bytes.begin() + static_cast<long>(len));
        RequestHead h;
        ASSERT_EQ(parse_request_head(std::string_view(copy.data(), copy.size()), h), ParseStatus::Complete);
        ASSERT_EQ(h.head_len, first.head_len);
    }
}

INSTANTIATE_TEST_SUITE_P(Http1, CapturedRequest, testing::ValuesIn(kRequests),
                         [](const testing::TestParamInfo<RequestCase>& info) {
                             std::string name = info.param.file;
                             name = name.substr(4, name.size() - 8);  // strip "req_" and ".bin"
                             return name;
                         });

TEST(Http1Request, AbsoluteFormKeepsAuthoritySeparately)
{
    std::string bytes = load("req_curl_proxy_absolute.bin");
    RequestHead h;
    ASSERT_EQ(parse_request_head(bytes, h), ParseStatus::Complete);
    EXPECT_EQ(h.target, "http://example.com:8080/v1/products/22?x=1");
    EXPECT_EQ(h.authority, "example.com:8080");
    EXPECT_EQ(h.path, "/v1/products/22");
}

TEST(Http1Request, TargetForms)
{
    struct Case {
        const char* bytes;
        const char* path;
        const char* query;
        const char* authority;
    };
    const Case cases[] = {
        {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "*", "", ""},
        {"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "example.com:443", "", "example.com:443"},
        {"GET http://example.com HTTP/1.1\r\n\r\n", "/", "", "example.com"},
        {"GET http://example.com?a=b HTTP/1.1\r\n\r\n", "/", "a=b", "example.com"},
        {"GET https://[::1]:8443/x/y?z HTTP/1.1\r\n\r\n", "/x/y", "z", "[::1]:8443"},
        {"GET /a?b?c HTTP/1.1\r\n\r\n", "/a", "b?c", ""},
        {"GET /search? HTTP/1.1\r\n\r\n", "/search", "", ""},
    };
    for (const Case& c : cases) {
        RequestHead h;
        ASSERT_EQ(parse_request_head(c.bytes, h), ParseStatus::Complete) << c.bytes;
        EXPECT_EQ(h.path, c.path) << c.bytes;
        EXPECT_EQ(h.query, c.query) << c.bytes;
        EXPECT_EQ(h.authority, c.authority) << c.bytes;
    }
}

TEST(Http1Request, ExtensionMethodsAndHttp10)
{
    RequestHead h;
    ASSERT_EQ(parse_request_head("PROPFIND /dav/ HTTP/1.1\r\nHost: h\r\nDepth: 1\r\n\r\n", h), ParseStatus::Complete);
    EXPECT_EQ(h.method, "PROPFIND");
    ASSERT_EQ(parse_request_head("GET / HTTP/1.0\r\n\r\n", h), ParseStatus::Complete);
    EXPECT_EQ(h.version_minor, 0);
    EXPECT_TRUE(h.connection_close);  // HTTP/1.0 default
    ASSERT_EQ(parse_request_head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", h), ParseStatus::Complete);
    EXPECT_FALSE(h.connection_close);
    ASSERT_EQ(parse_request_head("GET / HTTP/1.1\r\nConnection: keep-alive, Close\r\n\r\n", h), ParseStatus::Complete);
    EXPECT_TRUE(h.connection_close);
}

TEST(Http1Request, BareLfAndHeaderCaseAndWhitespace)
{
    RequestHead h;
    std::string_view bytes =
        "POST /x HTTP/1.1\nHOST:  example.org \ncontent-LENGTH:\t42\nTraceParent: 00-a-b-01\nEXPECT: 100-Continue\n\nBODY";
    ASSERT_EQ(parse_request_head(bytes, h), ParseStatus::Complete);
    EXPECT_EQ(h.host, "example.org");
    EXPECT_EQ(h.content_length, 42);
    EXPECT_EQ(h.traceparent, "00-a-b-01");
    EXPECT_TRUE(h.expect_continue);
    EXPECT_EQ(bytes.substr(h.head_len), "BODY");
}

TEST(Http1Request, ContentLengthListsAndDuplicates)
{
    RequestHead h;
    ASSERT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", h), ParseStatus::Complete);
    EXPECT_EQ(h.content_length, 5);
    ASSERT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", h),
              ParseStatus::Complete);
    EXPECT_EQ(h.content_length, 5);
    ASSERT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", h), ParseStatus::Complete);
    EXPECT_EQ(request_framing(h), BodyFraming::None);
}

TEST(Http1Request, TransferEncodingFinalCodingDecides)
{
    RequestHead h;
    ASSERT_EQ(parse_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", h),
              ParseStatus::Complete);
    EXPECT_TRUE(h.chunked);
    EXPECT_EQ(request_framing(h), BodyFraming::Chunked);
    ASSERT_EQ(parse_request_head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", h),
              ParseStatus::Complete);
    EXPECT_FALSE(h.chunked);
    EXPECT_EQ(request_framing(h), BodyFraming::UntilClose);
    // Transfer-Encoding wins over Content-Length.
    ASSERT_EQ(parse_request_head("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", h),
              ParseStatus::Complete);
    EXPECT_EQ(request_framing(h), BodyFraming::Chunked);
}

TEST(Http1Request, OneLeadingEmptyLineIsSkipped)
{
    // RFC 9112 2.2: a CRLF left over after a previous body.
    RequestHead h;
    ASSERT_EQ(parse_request_head("\r\nGET /a HTTP/1.1\r\n\r\n", h), ParseStatus::Complete);
    EXPECT_EQ(h.method, "GET");
    EXPECT_EQ(h.head_len, 21u);
    ASSERT_EQ(parse_request_head("\nGET /a HTTP/1.1\n\n", h), ParseStatus::Complete);
    EXPECT_EQ(h.path, "/a");
    RequestHead untouched;
    EXPECT_EQ(parse_request_head("\r", untouched), ParseStatus::NeedMore);
    EXPECT_EQ(parse_request_head("\r\n", untouched), ParseStatus::NeedMore);
    EXPECT_EQ(parse_request_head("\r\n\r\n", untouched), ParseStatus::Invalid);
}

TEST(Http1Request, PipelinedSplitAtEveryPoint)
{
    // Three pipelined requests (h2load) cut at every point into two pieces; a parser that
    // is handed the accumulated bytes finds the same three heads.
    std::string bytes = load("req_h2load_pipelined.bin");
    for (size_t cut = 0; cut <= bytes.size(); cut++) {
        std::string acc;
        int found = 0;
        size_t consumed = 0;
        for (std::string_view piece : {std::string_view(bytes).substr(0, cut), std::string_view(bytes).substr(cut)}) {
            acc.append(piece);
            while (true) {
                RequestHead h;
                ParseStatus st = parse_request_head(std::string_view(acc).substr(consumed), h);
                ASSERT_NE(st, ParseStatus::Invalid) << "cut " << cut;
                if (st == ParseStatus::NeedMore) break;
                EXPECT_EQ(h.path, "/items/1");
                consumed += h.head_len;
                found++;
            }
        }
        EXPECT_EQ(found, 3) << "cut " << cut;
        EXPECT_EQ(consumed, bytes.size());
    }
}

}  // namespace
