// Response-head parsing and body framing against bytes captured from real servers
// (tests/data/http1, see its README): python http.server, nginx, Node, Go net/http and
// Java com.sun.net.httpserver; every-prefix and split tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "protocols/http1/body_framing.h"
#include "protocols/http1/chunked_scanner.h"
#include "protocols/http1/response_head.h"

using namespace obi::http1;

namespace {

std::string load(const std::string& name)
{
    std::ifstream in(std::string(OBI_TEST_DATA_DIR) + "/http1/" + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << name;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct ResponseCase {
    const char* file;
    const char* methods;  // the request method of each final response, space-separated
    int status;           // of the first response
    const char* reason;
    int version_minor;
    int64_t content_length;
    bool chunked;
    bool connection_close;
    BodyFraming framing;
    int64_t body_bytes;  // payload of the last final response (chunk framing excluded)
};

// clang-format off
const ResponseCase kResponses[] = {
    {"resp_pyhttp_get_file.bin", "GET", 200, "OK", 0, 16, false, true, BodyFraming::ContentLength, 16},
    {"resp_pyhttp_404.bin", "GET", 404, "File not found", 0, 335, false, true, BodyFraming::ContentLength, 335},
    {"resp_pyhttp_head.bin", "HEAD", 200, "OK", 0, 16, false, true, BodyFraming::None, 0},
    {"resp_nginx_api.bin", "GET", 200, "OK", 1, 3, false, false, BodyFraming::ContentLength, 3},
    {"resp_nginx_head.bin", "HEAD", 200, "OK", 1, 16, false, false, BodyFraming::None, 0},
    {"resp_nginx_304.bin", "GET", 304, "Not Modified", 1, -1, false, false, BodyFraming::None, 0},
    {"resp_nginx_204.bin", "GET", 204, "No Content", 1, -1, false, false, BodyFraming::None, 0},
    {"resp_nginx_404.bin", "GET", 404, "Not Found", 1, 153, false, false, BodyFraming::ContentLength, 153},
    {"resp_nginx_gzip_chunked.bin", "GET", 200, "OK", 1, -1, true, false, BodyFraming::Chunked, 100},
    {"resp_nginx_pipelined.bin", "GET GET HEAD", 200, "OK", 1, 3, false, false, BodyFraming::ContentLength, 0},
    {"resp_nginx_100_continue.bin", "POST", 100, "Continue", 1, -1, false, false, BodyFraming::None, 7},
    {"resp_nginx_http10.bin", "GET", 200, "OK", 1, 3, false, true, BodyFraming::ContentLength, 3},
    {"resp_node_chunked.bin", "GET", 200, "OK", 1, -1, true, false, BodyFraming::Chunked, 17},
    {"resp_node_head_chunked.bin", "HEAD", 200, "OK", 1, -1, false, false, BodyFraming::None, 0},
    {"resp_node_204.bin", "GET", 204, "No Content", 1, -1, false, false, BodyFraming::None, 0},
    {"resp_node_503.bin", "GET", 503, "Service Unavailable", 1, 11, false, true, BodyFraming::ContentLength, 11},
    {"resp_node_json.bin", "GET", 200, "OK", 1, 11, false, false, BodyFraming::ContentLength, 11},
    {"resp_go_big_chunked.bin", "GET", 200, "OK", 1, -1, true, false, BodyFraming::Chunked, 5000},
    {"resp_go_flush_chunked.bin", "GET", 200, "OK", 1, -1, true, false, BodyFraming::Chunked, 17},
    {"resp_go_204.bin", "GET", 204, "No Content", 1, -1, false, false, BodyFraming::None, 0},
    {"resp_go_304.bin", "GET", 304, "Not Modified", 1, -1, false, false, BodyFraming::None, 0},
    {"resp_go_100_continue.bin", "POST", 100, "Continue", 1, -1, false, false, BodyFraming::None, 8},
    {"resp_go_json.bin", "GET", 200, "OK", 1, 12, false, false, BodyFraming::ContentLength, 12},
    {"resp_go_head.bin", "HEAD", 200, "OK", 1, 12, false, false, BodyFraming::None, 0},
    {"resp_go_400.bin", "GET", 400, "Bad Request: missing required Host header", 1, -1, false, true,
     BodyFraming::UntilClose, 45},
    {"resp_java_fixed.bin", "GET", 200, "OK", 1, 10, false, false, BodyFraming::ContentLength, 10},
    {"resp_java_chunked.bin", "GET", 200, "OK", 1, -1, true, false, BodyFraming::Chunked, 12},
    {"resp_java_404_nobody.bin", "GET", 404, "Not Found", 1, 0, false, false, BodyFraming::None, 0},
};
// clang-format on

std::vector<std::string> split_methods(const char* methods)
{
    std::vector<std::string> out;
    std::string_view s = methods;
    while (!s.empty()) {
        size_t sp = s.find(' ');
        out.emplace_back(s.substr(0, sp));
        if (sp == std::string_view::npos) break;
        s.remove_prefix(sp + 1);
    }
    return out;
}

struct Walk {
    int final_responses = 0;
    int interim_responses = 0;
    int64_t last_body = 0;
    bool ok = true;
};

// Walks every response in `bytes` as a client would: interim 1xx responses keep waiting for
// the final one; bodies are skipped by their framing.
Walk walk_responses(std::string_view bytes, const std::vector<std::string>& methods)
{
    Walk w;
    while (!bytes.empty()) {
        ResponseHead h;
        if (parse_response_head(bytes, h) != ParseStatus::Complete) {
            w.ok = false;
            return w;
        }
        bytes.remove_prefix(h.head_len);
        if (h.status < 200) {
            w.interim_responses++;
            continue;
        }
        std::string method = w.final_responses < static_cast<int>(methods.size()) ? methods[w.final_responses] : "GET";
        w.last_body = 0;
        switch (response_framing(h, method)) {
        case BodyFraming::ContentLength:
            if (bytes.size() < static_cast<size_t>(h.content_length)) w.ok = false;
            w.last_body = h.content_length;
            bytes.remove_prefix(std::min(bytes.size(), static_cast<size_t>(h.content_length)));
            break;
        case BodyFraming::Chunked: {
            ChunkedScanner s;
            bytes.remove_prefix(s.feed(bytes));
            if (!s.exact()) w.ok = false;
            w.last_body = static_cast<int64_t>(s.body_bytes());
            break;
        }
        case BodyFraming::UntilClose:
            w.last_body = static_cast<int64_t>(bytes.size());
            bytes = {};
            break;
        case BodyFraming::None:
            break;
        }
        w.final_responses++;
    }
    return w;
}

class CapturedResponse : public testing::TestWithParam<ResponseCase> {};

TEST_P(CapturedResponse, ParsesFields)
{
    const ResponseCase& c = GetParam();
    std::string bytes = load(c.file);
    ResponseHead h;
    ASSERT_EQ(parse_response_head(bytes, h), ParseStatus::Complete);
    EXPECT_EQ(h.status, c.status);
    EXPECT_EQ(h.reason, c.reason);
    EXPECT_EQ(h.version_minor, c.version_minor);
    EXPECT_EQ(h.content_length, c.content_length);
    EXPECT_EQ(h.chunked, c.chunked);
    EXPECT_EQ(h.connection_close, c.connection_close);
    EXPECT_EQ(response_framing(h, split_methods(c.methods)[0]), c.framing);
    EXPECT_EQ(h.head_len, bytes.find("\r\n\r\n") + 4);
}

TEST_P(CapturedResponse, WholeFileIsMessages)
{
    const ResponseCase& c = GetParam();
    std::vector<std::string> methods = split_methods(c.methods);
    Walk w = walk_responses(load(c.file), methods);
    EXPECT_TRUE(w.ok);
    EXPECT_EQ(w.final_responses, static_cast<int>(methods.size()));
    EXPECT_EQ(w.interim_responses, c.status < 200 ? 1 : 0);
    EXPECT_EQ(w.last_body, c.body_bytes);
}

TEST_P(CapturedResponse, EveryStrictPrefixNeedsMore)
{
    std::string bytes = load(GetParam().file);
    std::string_view rest = bytes;
    // Every head in the file, not only the first (pipelined and 100-continue files).
    while (!rest.empty()) {
        ResponseHead first;
        if (parse_response_head(rest, first) != ParseStatus::Complete) break;
        for (size_t len = 0; len < first.head_len; len++) {
            ResponseHead h;
            h.head_len = 777;
            ASSERT_EQ(parse_response_head(rest.substr(0, len), h), ParseStatus::NeedMore) << "len " << len;
            ASSERT_EQ(h.head_len, 777u);
        }
        size_t next = rest.find("HTTP/1.", first.head_len);
        if (next == std::string_view::npos) break;
        rest.remove_prefix(next);
    }
}

TEST_P(CapturedResponse, ParsesFromACopyOfEveryLength)
{
    std::string bytes = load(GetParam().file);
    ResponseHead first;
    ASSERT_EQ(parse_response_head(bytes, first), ParseStatus::Complete);
    for (size_t len = first.head_len; len <= bytes.size(); len++) {
        std::vector<char> copy(bytes.begin(), bytes.begin() + static_cast<long>(len));
        ResponseHead h;
        ASSERT_EQ(parse_response_head(std::string_view(copy.data(), copy.size()), h), ParseStatus::Complete);
        ASSERT_EQ(h.head_len, first.head_len);
    }
}

INSTANTIATE_TEST_SUITE_P(Http1, CapturedResponse, testing::ValuesIn(kResponses),
                         [](const testing::TestParamInfo<ResponseCase>& info) {
                             std::string name = info.param.file;
                             return name.substr(5, name.size() - 9);  // strip "resp_" and ".bin"
                         });

TEST(Http1Response, StatusLineVariants)
{
    ResponseHead h;
    ASSERT_EQ(parse_response_head("HTTP/1.1 200\r\n\r\n", h), ParseStatus::Complete);  // no reason, no SP
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.reason, "");
    ASSERT_EQ(parse_response_head("HTTP/1.1 404 \r\n\r\n", h), ParseStatus::Complete);  // empty reason
    EXPECT_EQ(h.reason, "");
    ASSERT_EQ(parse_response_head("HTTP/1.1 999 Request denied\n\n", h), ParseStatus::Complete);
    EXPECT_EQ(h.status, 999);
    EXPECT_EQ(h.head_len, 29u);
    ASSERT_EQ(parse_response_head("HTTP/1.1 200 \xc3\x9c\x62\x65r\tall\r\n\r\n", h), ParseStatus::Complete);
}

TEST(Http1Response, FramingRules)
{
    ResponseHead h;
    h.status = 200;
    EXPECT_EQ(response_framing(h, "GET"), BodyFraming::UntilClose);  // no length at all
    EXPECT_EQ(response_framing(h, "HEAD"), BodyFraming::None);
    EXPECT_EQ(response_framing(h, "CONNECT"), BodyFraming::UntilClose);  // tunnel
    h.content_length = 10;
    EXPECT_EQ(response_framing(h, "GET"), BodyFraming::ContentLength);
    EXPECT_EQ(response_framing(h, "CONNECT"), BodyFraming::UntilClose);
    h.status = 407;
    EXPECT_EQ(response_framing(h, "CONNECT"), BodyFraming::ContentLength);  // a refused CONNECT has a body
    h.status = 101;
    EXPECT_EQ(response_framing(h, "GET"), BodyFraming::None);
    h.status = 204;
    EXPECT_EQ(response_framing(h, "GET"), BodyFraming::None);
    h.status = 304;
    EXPECT_EQ(response_framing(h, "GET"), BodyFraming::None);
    h.status = 200;
    h.content_length = 0;
    EXPECT_EQ(response_framing(h, "GET"), BodyFraming::None);
    h.has_transfer_encoding = true;
    h.chunked = true;
    EXPECT_EQ(response_framing(h, "GET"), BodyFraming::Chunked);
    h.chunked = false;  // "Transfer-Encoding: gzip" alone: read until close
    EXPECT_EQ(response_framing(h, "GET"), BodyFraming::UntilClose);
    EXPECT_EQ(response_framing(h, ""), BodyFraming::UntilClose);
}

TEST(Http1Response, SplitIntoTwoPiecesAtEveryPoint)
{
    // Go's 100-continue exchange: an interim and a final response, fed in two pieces.
    std::string bytes = load("resp_go_100_continue.bin");
    for (size_t cut = 0; cut <= bytes.size(); cut++) {
        std::string acc;
        std::vector<int> statuses;
        size_t consumed = 0;
        for (std::string_view piece : {std::string_view(bytes).substr(0, cut), std::string_view(bytes).substr(cut)}) {
            acc.append(piece);
            while (consumed < acc.size()) {
                ResponseHead h;
                ParseStatus st = parse_response_head(std::string_view(acc).substr(consumed), h);
                ASSERT_NE(st, ParseStatus::Invalid) << "cut " << cut;
                if (st == ParseStatus::NeedMore) break;
                statuses.push_back(h.status);
                consumed += h.head_len + (h.content_length > 0 ? static_cast<size_t>(h.content_length) : 0);
                if (consumed > acc.size()) break;  // body still arriving
            }
        }
        EXPECT_EQ(statuses, (std::vector<int>{100, 200})) << "cut " << cut;
    }
}

}  // namespace
