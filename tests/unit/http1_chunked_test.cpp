// ChunkedScanner: captured chunked bodies (Go, Node, nginx, Java, curl), seeded random
// splits, uncaptured holes (skip) and the fallback end signal, framing errors and bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "protocols/http1/chunked_scanner.h"
#include "protocols/http1/request_head.h"
#include "protocols/http1/response_head.h"

using namespace obi::http1;
using State = ChunkedScanner::State;

namespace {

std::string load(const std::string& name)
{
    std::ifstream in(std::string(OBI_TEST_DATA_DIR) + "/http1/" + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << name;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The chunked body of a captured message (everything after its head).
std::string body_of(const std::string& file)
{
    std::string bytes = load(file);
    size_t head_len = 0;
    if (file.rfind("resp_", 0) == 0) {
        ResponseHead h;
        EXPECT_EQ(parse_response_head(bytes, h), ParseStatus::Complete);
        EXPECT_TRUE(h.chunked);
        head_len = h.head_len;
    } else {
        RequestHead h;
        EXPECT_EQ(parse_request_head(bytes, h), ParseStatus::Complete);
        EXPECT_TRUE(h.chunked);
        head_len = h.head_len;
    }
    return bytes.substr(head_len);
}

struct BodyCase {
    const char* file;
    uint64_t payload;  // decoded body bytes
};

const BodyCase kBodies[] = {
    {"resp_go_big_chunked.bin", 5000},      // one 0x1388 chunk
    {"resp_go_flush_chunked.bin", 17},      // two chunks
    {"resp_node_chunked.bin", 17},          // three chunks
    {"resp_nginx_gzip_chunked.bin", 100},   // binary gzip data
    {"resp_java_chunked.bin", 12},
    {"req_curl_post_chunked.bin", 12},
    {"req_node_post_chunked.bin", 16},
    {"req_go_post_chunked.bin", 26},
};

TEST(Http1Chunked, CapturedBodiesInOnePiece)
{
    for (const BodyCase& c : kBodies) {
        std::string body = body_of(c.file);
        std::string with_next = body + "GET /next HTTP/1.1\r\n\r\n";  // a pipelined message follows
        ChunkedScanner s;
        EXPECT_EQ(s.feed(with_next), body.size()) << c.file;
        EXPECT_TRUE(s.exact()) << c.file;
        EXPECT_EQ(s.body_bytes(), c.payload) << c.file;
        EXPECT_EQ(s.wire_bytes(), body.size()) << c.file;
        EXPECT_EQ(s.feed("more"), 0u) << "nothing is consumed after Done";
    }
}

TEST(Http1Chunked, CapturedBodiesByteByByte)
{
    for (const BodyCase& c : kBodies) {
        std::string body = body_of(c.file);
        ChunkedScanner s;
        for (size_t i = 0; i < body.size(); i++) {
            ASSERT_FALSE(s.done()) << c.file << " done early at " << i;
            ASSERT_EQ(s.feed(std::string_view(body).substr(i, 1)), 1u) << c.file << " at " << i;
        }
        EXPECT_TRUE(s.exact()) << c.file;
        EXPECT_EQ(s.body_bytes(), c.payload) << c.file;
    }
}

TEST(Http1Chunked, SeededRandomSplits)
{
    std::mt19937 rng(42);
    for (const BodyCase& c : kBodies) {
        std::string body = body_of(c.file);
        for (int run = 0; run < 200; run++) {
            ChunkedScanner s;
            size_t pos = 0;
            while (pos < body.size()) {
                size_t n = std::uniform_int_distribution<size_t>(1, std::min<size_t>(body.size() - pos, 64))(rng);
                ASSERT_FALSE(s.done());
                ASSERT_EQ(s.feed(std::string_view(body).substr(pos, n)), n) << c.file << " run " << run;
                pos += n;
            }
            ASSERT_TRUE(s.exact()) << c.file << " run " << run;
            ASSERT_EQ(s.body_bytes(), c.payload);
        }
    }
}

TEST(Http1Chunked, SkipInsideChunkDataStaysInSync)
{
    // Go's 5000-byte chunk: the agent captured the size line and 100 bytes, then only learned
    // that 4900 more bytes were written, then captured the rest.
    std::string body = body_of("resp_go_big_chunked.bin");
    ASSERT_EQ(body.substr(0, 6), "1388\r\n");
    ChunkedScanner s;
    EXPECT_EQ(s.feed(std::string_view(body).substr(0, 106)), 106u);
    EXPECT_EQ(s.state(), State::Data);
    EXPECT_EQ(s.data_left(), 4900u);
    s.skip(4900);
    EXPECT_TRUE(s.in_sync());
    EXPECT_EQ(s.state(), State::DataCR);
    EXPECT_EQ(s.feed(std::string_view(body).substr(5006)), body.size() - 5006);
    EXPECT_TRUE(s.exact());
    EXPECT_EQ(s.body_bytes(), 5000u);
    EXPECT_EQ(s.wire_bytes(), body.size());
}

TEST(Http1Chunked, SkipAcrossFramingLosesSyncAndUsesTheTail)
{
    std::string body = body_of("resp_node_chunked.bin");  // 6 first, 7 second, 4 last, 0
    ChunkedScanner s;
    s.feed(std::string_view(body).substr(0, 5));  // "6\r\nfi"
    s.skip(20);                                   // crosses the end of the first chunk
    EXPECT_EQ(s.state(), State::Unknown);
    EXPECT_FALSE(s.in_sync());
    EXPECT_FALSE(s.done());
    // Out of sync, every byte is consumed without interpretation...
    EXPECT_EQ(s.feed("garbage that is not framing"), 27u);
    EXPECT_FALSE(s.done());
    // ...until the tail of a write shows the last chunk.
    EXPECT_FALSE(s.observe_write_tail("4\r\nlast"));
    EXPECT_TRUE(s.observe_write_tail(std::string_view(body).substr(body.size() - 8)));
    EXPECT_TRUE(s.done());
    EXPECT_FALSE(s.exact());
    EXPECT_GE(s.body_bytes(), 4u);  // a lower bound: the rest of the first chunk
}

TEST(Http1Chunked, SkipInFramingStates)
{
    ChunkedScanner s;
    s.feed("1");  // inside the size line
    s.skip(1);
    EXPECT_EQ(s.state(), State::Unknown);

    ChunkedScanner t;
    t.feed("3\r\nabc");  // data complete, the CRLF is next
    t.skip(2);
    EXPECT_EQ(t.state(), State::Unknown);

    ChunkedScanner u;
    u.skip(0);  // a zero-length hole changes nothing
    EXPECT_EQ(u.state(), State::Size);
    EXPECT_TRUE(u.in_sync());
}

TEST(Http1Chunked, LastChunkTail)
{
    EXPECT_TRUE(ChunkedScanner::is_last_chunk_tail("0\r\n\r\n"));         // its own write
    EXPECT_TRUE(ChunkedScanner::is_last_chunk_tail("ast\r\n0\r\n\r\n"));  // 8+ byte tail
    EXPECT_TRUE(ChunkedScanner::is_last_chunk_tail("\r\n0\r\n\r\n"));
    EXPECT_FALSE(ChunkedScanner::is_last_chunk_tail("10\r\n\r\n"));  // not after a chunk's CRLF
    EXPECT_FALSE(ChunkedScanner::is_last_chunk_tail("\r\n\r\n"));
    EXPECT_FALSE(ChunkedScanner::is_last_chunk_tail(""));
    // observe_write_tail is ignored while in sync.
    ChunkedScanner s;
    s.feed("5\r\nab");
    EXPECT_FALSE(s.observe_write_tail("\r\n0\r\n\r\n"));
    EXPECT_EQ(s.state(), State::Data);
}

TEST(Http1Chunked, ExtensionsTrailersAndBareLf)
{
    struct Case {
        std::string_view body;
        uint64_t payload;
    };
    const Case cases[] = {
        {"5;name=value\r\nhello\r\n0\r\n\r\n", 5},
        {"5 ; quoted=\"a b\"\r\nhello\r\n0;last\r\n\r\n", 5},
        {"5\r\nhello\r\n0\r\nExpires: never\r\nX-Checksum: abc\r\n\r\n", 5},
        {"5\nhello\n0\n\n", 5},               // bare LF everywhere
        {"A\r\n0123456789\r\n0\r\n\r\n", 10},  // upper-case hex
        {"000a\r\n0123456789\r\n0000\r\n\r\n", 10},
        {"0\r\n\r\n", 0},                     // empty body
    };
    for (const Case& c : cases) {
        ChunkedScanner s;
        EXPECT_EQ(s.feed(c.body), c.body.size()) << c.body;
        EXPECT_TRUE(s.exact()) << c.body;
        EXPECT_EQ(s.body_bytes(), c.payload) << c.body;
        // And split at every point.
        for (size_t cut = 0; cut <= c.body.size(); cut++) {
            ChunkedScanner t;
            size_t used = t.feed(c.body.substr(0, cut));
            used += t.feed(c.body.substr(cut));
            ASSERT_EQ(used, c.body.size()) << c.body << " cut " << cut;
            ASSERT_TRUE(t.exact());
            ASSERT_EQ(t.body_bytes(), c.payload);
        }
    }
}

TEST(Http1Chunked, InvalidFraming)
{
    const std::string_view cases[] = {
        "\r\n",                         // no size
        "x\r\n",                        // not hex
        "-1\r\n",
        "5\r\nhelloXX",                 // data not followed by CRLF
        "5\rX",                         // bare CR after the size
        "5;ext\x01\r\n",                // control byte in an extension
        "0\r\n\x01",                    // junk where a trailer or the final CRLF belongs
        "0\r\n\rX",
        "10000000001\r\n",              // 2^40 + 1: absurd
        "00000000000000001\r\n",        // 17 hex digits
        "5\r\nhello\r\n0\r\n:bad\r\n\r\n",  // trailer line without a name
    };
    for (std::string_view c : cases) {
        ChunkedScanner s;
        size_t used = s.feed(c);
        EXPECT_TRUE(s.failed()) << c;
        EXPECT_LT(used, c.size()) << c;
        EXPECT_EQ(s.feed("5\r\nhello"), 0u) << "stays Invalid";
        s.skip(10);
        EXPECT_TRUE(s.failed());
    }
}

TEST(Http1Chunked, BoundsAreEnforcedIncrementally)
{
    ChunkedScanner s;
    std::string ext = "1;" + std::string(ChunkedScanner::kMaxExtensionLen + 1, 'e');
    s.feed(ext);
    EXPECT_TRUE(s.failed());

    ChunkedScanner t;
    t.feed("0\r\n");
    std::string trailer = "X-Long: " + std::string(ChunkedScanner::kMaxTrailerLen, 't');
    t.feed(trailer);
    EXPECT_TRUE(t.failed());

    ChunkedScanner u;  // the largest plausible chunk is accepted
    u.feed("10000000000\r\n");
    EXPECT_EQ(u.state(), State::Data);
    EXPECT_EQ(u.data_left(), ChunkedScanner::kMaxChunkSize);
}

TEST(Http1Chunked, ResetStartsOver)
{
    ChunkedScanner s;
    s.feed("zz");
    EXPECT_TRUE(s.failed());
    s.reset();
    EXPECT_EQ(s.feed("0\r\n\r\n"), 5u);
    EXPECT_TRUE(s.exact());
}

}  // namespace
