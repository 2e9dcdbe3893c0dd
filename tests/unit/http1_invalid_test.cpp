// Inputs that are not HTTP/1 heads: both parsers must answer Invalid (or NeedMore while the
// bytes could still become valid), never Complete, and reject early.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "protocols/http1/classify.h"
#include "protocols/http1/request_head.h"
#include "protocols/http1/response_head.h"

using namespace obi::http1;
using namespace std::string_literals;

namespace {

std::string load(const std::string& name)
{
    std::ifstream in(std::string(OBI_TEST_DATA_DIR) + "/http1/" + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << name;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

ParseStatus req(std::string_view b)
{
    RequestHead h;
    return parse_request_head(b, h);
}

ParseStatus resp(std::string_view b)
{
    ResponseHead h;
    return parse_response_head(b, h);
}

struct InvalidCase {
    const char* what;
    std::string bytes;
};

// Invalid as requests.
const InvalidCase kInvalidRequests[] = {
    {"redis RESP", "*1\r\n$4\r\nPING\r\n"},
    {"http2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"},
    {"http/0.9", "GET /\r\n"},
    {"missing version", "GET /index.html\r\n\r\n"},
    {"http/2 version", "GET / HTTP/2\r\n\r\n"},
    {"version 2.0", "GET / HTTP/2.0\r\n\r\n"},
    {"lowercase version", "GET / http/1.1\r\n\r\n"},
    {"version letter", "GET / HTTP/1.x\r\n\r\n"},
    {"junk after version", "GET / HTTP/1.1 extra\r\n\r\n"},
    {"leading space", " GET / HTTP/1.1\r\n\r\n"},
    {"two leading CRLFs", "\r\n\r\nGET / HTTP/1.1\r\n\r\n"},
    {"leading CR junk", "\rGET / HTTP/1.1\r\n\r\n"},
    {"double space", "GET  / HTTP/1.1\r\n\r\n"},
    {"space in target", "GET /a b HTTP/1.1\r\n\r\n"},
    {"tab separator", "GET\t/ HTTP/1.1\r\n\r\n"},
    {"bad method char", "GE(T / HTTP/1.1\r\n\r\n"},
    {"method too long", std::string(33, 'A') + " / HTTP/1.1\r\n\r\n"},
    {"control byte in target", "GET /a\x01 HTTP/1.1\r\n\r\n"},
    {"NUL in target", "GET /a\0b HTTP/1.1\r\n\r\n"s},
    {"bare CR after version", "GET / HTTP/1.1\rHost: a\r\n\r\n"},
    {"header without colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n"},
    {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n"},
    {"empty header name", "GET / HTTP/1.1\r\n: a\r\n\r\n"},
    {"obs-fold", "GET / HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n"},
    {"bare CR in header", "GET / HTTP/1.1\r\nX-A: b\rc\r\n\r\n"},
    {"CR then junk at end of head", "GET / HTTP/1.1\r\nHost: a\r\n\rX"},
    {"NUL in value", "GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n"s},
    {"non-digit content-length", "POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n"},
    {"negative content-length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"},
    {"hex content-length", "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n"},
    {"empty content-length", "POST / HTTP/1.1\r\nContent-Length: \r\n\r\n"},
    {"absurd content-length", "POST / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n"},
    {"conflicting content-lengths", "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"},
    {"conflicting content-length list", "POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n"},
    {"json", "{\"jsonrpc\":\"2.0\"}\n"},
    {"ssh banner", "SSH-2.0-OpenSSH_9.2\r\n"},
    {"postgres startup", "\x00\x00\x00\x08\x04\xd2\x16\x2f"s},
    {"mysql greeting", "\x4a\x00\x00\x00\x0a\x38\x2e\x30"s},
    {"response as request", "HTTP/1.1 200 OK\r\n\r\n"},
};

// Invalid as responses.
const InvalidCase kInvalidResponses[] = {
    {"request as response", "GET / HTTP/1.1\r\n\r\n"},
    {"http/2", "HTTP/2 200\r\n\r\n"},
    {"http/1.x", "HTTP/1.x 200 OK\r\n\r\n"},
    {"no space before status", "HTTP/1.1200 OK\r\n\r\n"},
    {"two-digit status", "HTTP/1.1 20 OK\r\n\r\n"},
    {"four-digit status", "HTTP/1.1 2000 OK\r\n\r\n"},
    {"status letter", "HTTP/1.1 2x0 OK\r\n\r\n"},
    {"status below 100", "HTTP/1.1 099 Odd\r\n\r\n"},
    {"control byte in reason", "HTTP/1.1 200 O\x01K\r\n\r\n"},
    {"bare CR in status line", "HTTP/1.1 200 OK\rX\r\n\r\n"},
    {"header without colon", "HTTP/1.1 200 OK\r\nServer nginx\r\n\r\n"},
    {"conflicting content-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"},
    {"non-digit content-length", "HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n"},
    {"redis reply", "+PONG\r\n"},
    {"redis bulk", "$5\r\nhello\r\n"},
    {"ICY (shoutcast)", "ICY 200 OK\r\n\r\n"},
};

TEST(Http1Invalid, RequestTable)
{
    for (const InvalidCase& c : kInvalidRequests) EXPECT_EQ(req(c.bytes), ParseStatus::Invalid) << c.what;
}

TEST(Http1Invalid, ResponseTable)
{
    for (const InvalidCase& c : kInvalidResponses) EXPECT_EQ(resp(c.bytes), ParseStatus::Invalid) << c.what;
}

TEST(Http1Invalid, NoPrefixOfInvalidInputIsComplete)
{
    for (const InvalidCase& c : kInvalidRequests) {
        for (size_t len = 0; len <= c.bytes.size(); len++)
            ASSERT_NE(req(std::string_view(c.bytes).substr(0, len)), ParseStatus::Complete) << c.what << " len " << len;
    }
    for (const InvalidCase& c : kInvalidResponses) {
        for (size_t len = 0; len <= c.bytes.size(); len++)
            ASSERT_NE(resp(std::string_view(c.bytes).substr(0, len)), ParseStatus::Complete) << c.what << " len " << len;
    }
}

TEST(Http1Invalid, RejectsEarly)
{
    // The decision comes as soon as the offending byte is seen, without waiting for CRLFCRLF.
    EXPECT_EQ(req("\x16\x03\x01"), ParseStatus::Invalid);  // TLS record header
    EXPECT_EQ(req("*1\r"), ParseStatus::Invalid);
    EXPECT_EQ(req("PRI * HTTP/2"), ParseStatus::Invalid);
    EXPECT_EQ(req("GET / HTTP/1.1\r\nHo st"), ParseStatus::Invalid);
    EXPECT_EQ(req("GET / HTTP/1.1\r\nHost: a\x01"), ParseStatus::Invalid);
    EXPECT_EQ(req(std::string(33, 'G')), ParseStatus::Invalid);
    EXPECT_EQ(resp("HTTP/1.1 2x"), ParseStatus::Invalid);
    EXPECT_EQ(resp("HTTX"), ParseStatus::Invalid);
    EXPECT_EQ(resp("+"), ParseStatus::Invalid);
    // ...but not before: these are still prefixes of valid heads.
    EXPECT_EQ(req(std::string(32, 'G')), ParseStatus::NeedMore);
    EXPECT_EQ(req("GET / HTTP/1.1\r\nHost: a\r"), ParseStatus::NeedMore);
    EXPECT_EQ(resp("HTTP/1.1 20"), ParseStatus::NeedMore);
}

TEST(Http1Invalid, CapturedTlsClientHello)
{
    std::string hello = load("invalid_curl_tls_client_hello.bin");
    ASSERT_GT(hello.size(), 100u);
    EXPECT_EQ(req(hello), ParseStatus::Invalid);
    EXPECT_EQ(resp(hello), ParseStatus::Invalid);
    EXPECT_FALSE(looks_like_request(hello));
    EXPECT_FALSE(looks_like_response(hello));
}

TEST(Http1Invalid, CapturedHttp2Preface)
{
    std::string h2 = load("invalid_curl_h2_prior_knowledge.bin");
    ASSERT_EQ(h2.rfind("PRI * HTTP/2.0\r\n", 0), 0u);
    EXPECT_EQ(req(h2), ParseStatus::Invalid);
    EXPECT_EQ(resp(h2), ParseStatus::Invalid);
    EXPECT_FALSE(looks_like_request(h2));
}

TEST(Http1Invalid, OversizedHeadIsInvalid)
{
    // A valid request line followed by an endless header: NeedMore until the head bound.
    std::string big = "GET / HTTP/1.1\r\nX-Big: ";
    big.append(kMaxHeadLen, 'a');
    EXPECT_EQ(req(std::string_view(big).substr(0, kMaxHeadLen - 1)), ParseStatus::NeedMore);
    EXPECT_EQ(req(big), ParseStatus::Invalid);
    // A head of exactly the bound still parses.
    std::string exact = "GET / HTTP/1.1\r\nX-Big: ";
    exact.append(kMaxHeadLen - exact.size() - 4, 'a');
    exact += "\r\n\r\n";
    ASSERT_EQ(exact.size(), kMaxHeadLen);
    EXPECT_EQ(req(exact), ParseStatus::Complete);
    EXPECT_EQ(req(exact + "x"), ParseStatus::Complete);
    std::string over = exact;
    over.insert(20, "a");
    EXPECT_EQ(req(over), ParseStatus::Invalid);
    // Same for responses.
    std::string rbig = "HTTP/1.1 200 OK\r\nX: ";
    rbig.append(kMaxHeadLen, 'b');
    EXPECT_EQ(resp(rbig), ParseStatus::Invalid);
    // Many headers, no end.
    std::string many = "GET / HTTP/1.1\r\n";
    while (many.size() <= kMaxHeadLen) many += "X-Repeat: 1\r\n";
    EXPECT_EQ(req(many), ParseStatus::Invalid);
}

TEST(Http1Invalid, TruncatedHeadsNeedMore)
{
    EXPECT_EQ(req("GET /users/42 HTTP/1.1\r\nHost: localhost\r\n"), ParseStatus::NeedMore);
    EXPECT_EQ(req("GET /users/42 HTTP/1.1\r\nHost: localhost\r\n\r"), ParseStatus::NeedMore);
    EXPECT_EQ(resp("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"), ParseStatus::NeedMore);
    EXPECT_EQ(req(""), ParseStatus::NeedMore);
    EXPECT_EQ(resp(""), ParseStatus::NeedMore);
}

TEST(Http1Invalid, SeededRandomBytesNeverComplete)
{
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int> byte(0, 255), len(1, 600);
    int invalid_requests = 0, invalid_responses = 0;
    const int kRuns = 5000;
    for (int i = 0; i < kRuns; i++) {
        std::string b(static_cast<size_t>(len(rng)), '\0');
        for (char& c : b) c = static_cast<char>(byte(rng));
        ParseStatus r = req(b), s = resp(b);
        ASSERT_NE(r, ParseStatus::Complete);
        ASSERT_NE(s, ParseStatus::Complete);
        invalid_requests += r == ParseStatus::Invalid;
        invalid_responses += s == ParseStatus::Invalid;
    }
    // Random bytes are rejected, almost always at once (a random byte is rarely a tchar run
    // followed by a space).
    EXPECT_GT(invalid_requests, kRuns * 99 / 100);
    EXPECT_EQ(invalid_responses, kRuns);
}

TEST(Http1Invalid, RandomMutationsOfValidHeadsAreHandled)
{
    // Flip one byte of a captured head at a time: any answer is fine, but the parser must
    // not crash, and a Complete answer must still describe a head inside the buffer.
    std::string base = load("req_curl_traceparent.bin");
    std::mt19937 rng(99);
    for (size_t i = 0; i < base.size(); i++) {
        std::string m = base;
        m[i] = static_cast<char>(rng() & 0xff);
        RequestHead h;
        if (parse_request_head(m, h) == ParseStatus::Complete) {
            EXPECT_LE(h.head_len, m.size());
            EXPECT_FALSE(h.method.empty());
        }
    }
}

}  // namespace
