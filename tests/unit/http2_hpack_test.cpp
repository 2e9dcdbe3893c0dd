// HeaderDecoder (nghttp2's inflater behind index checks) against blocks from nghttp2's own
// encoder: Huffman, dynamic table insertion and eviction, table size updates, and decoders
// that join late or miss blocks - which must report fields as unknown, never decode them from
// a stale table. Plus the representation walker and the captured-bytes header blocks.
#include <gtest/gtest.h>

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "protocols/http2/header_capture.h"
#include "protocols/http2/header_decoder.h"
#include "protocols/http2/hpack_walk.h"

using namespace obi::http2;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Gather : HeaderVisitor {
    Fields got;
    void header(std::string_view n, std::string_view v) override { got.emplace_back(n, v); }
};

// nghttp2's encoder, as a peer would run it.
class Encoder {
public:
    explicit Encoder(size_t table = 4096)
    {
        EXPECT_EQ(nghttp2_hd_deflate_new(&d_, table), 0);
    }
    ~Encoder() { nghttp2_hd_deflate_del(d_); }
    std::string block(const Fields& f, bool no_index = false)
    {
        std::vector<nghttp2_nv> nv;
        for (const auto& [n, v] : f)
            nv.push_back({(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(),
                          static_cast<uint8_t>(no_index ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE)});
        std::string out(nghttp2_hd_deflate_bound(d_, nv.data(), nv.size()), '\0');
        ssize_t n = nghttp2_hd_deflate_hd(d_, (uint8_t*)out.data(), out.size(), nv.data(), nv.size());
        EXPECT_GE(n, 0);
        out.resize(static_cast<size_t>(n));
        return out;
    }
    void resize(size_t table) { EXPECT_EQ(nghttp2_hd_deflate_change_table_size(d_, table), 0); }

private:
    nghttp2_hd_deflater* d_ = nullptr;
};

// `got` is `sent` with some fields left out, in order (a field is decoded right or not at all).
bool subsequence(const Fields& got, const Fields& sent)
{
    size_t j = 0;
    for (const auto& f : sent)
        if (j < got.size() && got[j] == f) j++;
    return j == got.size();
}

Fields request(int i)
{
    return {{":method", i % 3 ? "GET" : "POST"},
            {":path", "/api/v1/items/" + std::to_string(i % 7) + "?page=" + std::to_string(i % 5)},
            {":scheme", "http"},
            {":authority", "svc.example:8080"},
            {"user-agent", "test-agent/1.0"},
            {"x-request-id", "req-" + std::to_string(i)},  // new every time: inserts and evicts
            {"x-big", std::string(200 + (i % 4) * 300, static_cast<char>('a' + i % 26))}};
}

TEST(Http2Hpack, DecodesEncoderOutputOverManyBlocksWithEviction)
{
    for (size_t table : {4096u, 256u, 0u}) {
        Encoder enc(table);
        HeaderDecoder dec;
        for (int i = 0; i < 200; i++) {
            Fields f = request(i);
            if (i == 50) enc.resize(table / 2);  // a size update at the start of the next block
            if (i == 120) enc.resize(table);
            std::string b = enc.block(f);
            Gather g;
            DecodeResult r = dec.decode(b, true, g);
            ASSERT_TRUE(r.clean()) << "table " << table << " block " << i;
            ASSERT_EQ(g.got, f) << "table " << table << " block " << i;
        }
    }
}

TEST(Http2Hpack, HuffmanAndNeverIndexed)
{
    Encoder enc;
    HeaderDecoder dec;
    Fields f = {{":status", "200"}, {"set-cookie", "session=0123456789abcdef; HttpOnly"}, {"date", "Fri, 04 Dec 2026"}};
    std::string b = enc.block(f, true);  // literal never indexed, Huffman-coded by nghttp2
    Gather g;
    ASSERT_TRUE(dec.decode(b, true, g).clean());
    EXPECT_EQ(g.got, f);
    EXPECT_EQ(dec.dynamic_entries(), 0u);  // never-indexed fields are not inserted
}

// RFC 7541 C.4.1: the first request with Huffman coding, byte for byte.
TEST(Http2Hpack, Rfc7541HuffmanExample)
{
    const std::string b("\x82\x86\x84\x41\x8c\xf1\xe3\xc2\xe5\xf2\x3a\x6b\xa0\xab\x90\xf4\xff", 17);
    HeaderDecoder dec;
    Gather g;
    ASSERT_TRUE(dec.decode(b, true, g).clean());
    EXPECT_EQ(g.got, (Fields{{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":authority", "www.example.com"}}));
    EXPECT_EQ(dec.dynamic_entries(), 1u);
}

TEST(Http2Hpack, LateJoinNeverDecodesAStaleEntry)
{
    // The decoder starts at block k of a connection (the agent started late). Every field it
    // decodes must be exactly the field the encoder sent; what refers to entries inserted
    // before k is unknown - until those entries are inserted again.
    for (size_t table : {4096u, 512u}) {
        for (int k : {1, 5, 17, 60}) {
            Encoder enc(table);
            HeaderDecoder dec;
            size_t unknown = 0, decoded = 0;
            for (int i = 0; i < 150; i++) {
                Fields f = request(i);
                std::string b = enc.block(f);
                if (i < k) continue;
                Gather g;
                DecodeResult r = dec.decode(b, true, g);
                ASSERT_FALSE(r.corrupt) << k << " " << i;
                unknown += r.unknown;
                decoded += r.fields;
                ASSERT_EQ(g.got.size() + r.unknown, f.size());
                ASSERT_TRUE(subsequence(g.got, f)) << "table " << table << " join " << k << " block " << i;
            }
            EXPECT_GT(unknown, 0u) << "table " << table << " join " << k;
            EXPECT_GT(decoded, unknown) << "table " << table << " join " << k;
        }
    }
}

TEST(Http2Hpack, MissedBlockResetsTheTable)
{
    Encoder enc;
    HeaderDecoder dec;
    Gather g;
    dec.decode(enc.block(request(0)), true, g);
    dec.decode(enc.block(request(1)), true, g);
    std::string b2 = enc.block(request(2));
    // Only the start of block 2 was captured: what it inserted later is unknown to us.
    DecodeResult r = dec.decode(std::string_view(b2).substr(0, b2.size() / 2), false, g);
    EXPECT_TRUE(r.truncated);
    EXPECT_EQ(dec.dynamic_entries(), 0u);
    EXPECT_FALSE(dec.from_start());
    for (int i = 3; i < 40; i++) {
        Fields f = request(i);
        Gather gi;
        DecodeResult ri = dec.decode(enc.block(f), true, gi);
        ASSERT_TRUE(subsequence(gi.got, f)) << i;
        ASSERT_EQ(gi.got.size() + ri.unknown, f.size());
    }
}

TEST(Http2Hpack, PlaceholderKeepsIndicesInStep)
{
    // Block 1 inserts "x-a: 1"; we miss it. Block 2 inserts a literal whose *name* is that
    // entry (unknown to us) and then refers to the entry block 2 inserted before it.
    Encoder enc;
    Gather g;
    enc.block({{"x-a", "1"}});
    std::string b2 = enc.block({{"x-a", "2"}, {"x-b", "3"}});
    std::string b3 = enc.block({{"x-a", "2"}, {"x-b", "3"}, {"x-a", "1"}});
    HeaderDecoder dec;
    DecodeResult r2 = dec.decode(b2, true, g);
    EXPECT_EQ(r2.unknown, 1u);  // x-a: its name is the entry we never saw
    EXPECT_EQ(g.got, (Fields{{"x-b", "3"}}));
    g.got.clear();
    DecodeResult r3 = dec.decode(b3, true, g);
    // x-a: 2 is our placeholder entry (unknown), x-b: 3 decodes, x-a: 1 is beyond our table.
    EXPECT_EQ(r3.unknown, 2u);
    EXPECT_EQ(g.got, (Fields{{"x-b", "3"}}));
}

TEST(Http2Hpack, CorruptBlocksAreReportedAndReset)
{
    HeaderDecoder dec;
    Gather g;
    EXPECT_TRUE(dec.decode(std::string("\x80", 1), true, g).corrupt);                  // index 0
    EXPECT_TRUE(dec.decode(std::string("\xff\xff\xff\xff\xff\xff\x01", 7), true, g).corrupt);  // integer overflow
    EXPECT_TRUE(dec.decode(std::string("\x41\x85\xff\xff", 4), true, g).corrupt);     // string runs past the block
    EXPECT_TRUE(dec.decode(std::string("\x40\x81\xff\x81\xff", 5), true, g).corrupt);  // invalid Huffman (EOS)
    EXPECT_TRUE(dec.decode(std::string("\x3f\xe1\xff\x04", 4), true, g).corrupt);     // size update above our bound (81920)
    EXPECT_TRUE(dec.decode(std::string("\x82\x20", 2), true, g).corrupt);             // size update after a field
    g.got.clear();
    EXPECT_TRUE(dec.decode(std::string("\x82\x84", 2), true, g).clean());  // and then it works again
    EXPECT_EQ(g.got, (Fields{{":method", "GET"}, {":path", "/"}}));
}

TEST(Http2Hpack, RandomBytesNeverCrash)
{
    std::mt19937 rng(7);
    HeaderDecoder dec;
    for (int i = 0; i < 3000; i++) {
        std::string b(rng() % 64, '\0');
        for (char& c : b) c = static_cast<char>(rng());
        Gather g;
        DecodeResult r = dec.decode(b, rng() & 1, g);
        EXPECT_EQ(r.fields, g.got.size());
    }
}

TEST(Http2HpackWalk, RepresentationBoundaries)
{
    Representation r;
    std::string b("\x82", 1);
    ASSERT_EQ(walk_representation(b, 0, r), WalkStatus::Ok);
    EXPECT_EQ(r.kind, RepKind::Indexed);
    EXPECT_EQ(r.index, 2u);
    EXPECT_EQ(r.len, 1u);
    b = std::string("\x44\x03/ab", 5);  // literal, incremental, name :path (4), value "/ab"
    ASSERT_EQ(walk_representation(b, 0, r), WalkStatus::Ok);
    EXPECT_EQ(r.kind, RepKind::LiteralIncremental);
    EXPECT_EQ(r.index, 4u);
    EXPECT_EQ(r.value_off, 1u);
    EXPECT_EQ(r.len, 5u);
    b = std::string("\x10\x01x\x01y", 5);  // never indexed, new name
    ASSERT_EQ(walk_representation(b, 0, r), WalkStatus::Ok);
    EXPECT_EQ(r.kind, RepKind::LiteralNeverIndexed);
    EXPECT_EQ(r.index, 0u);
    EXPECT_EQ(r.value_off, 3u);
    b = std::string("\x3f\xe1\x1f", 3);  // size update 4096
    ASSERT_EQ(walk_representation(b, 0, r), WalkStatus::Ok);
    EXPECT_EQ(r.kind, RepKind::SizeUpdate);
    EXPECT_EQ(r.index, 4096u);
    b = std::string("\xff\x80", 2);
    EXPECT_EQ(walk_representation(b, 0, r), WalkStatus::Truncated);
    // Every prefix of a valid representation is Truncated.
    b = std::string("\x40\x09my-header\x05value", 17);
    for (size_t n = 1; n < b.size(); n++) EXPECT_EQ(walk_representation(b.substr(0, n), 0, r), WalkStatus::Truncated) << n;
    EXPECT_EQ(walk_representation(b, 0, r), WalkStatus::Ok);
}

TEST(Http2HeaderCapture, PicksSpanFields)
{
    HeaderCapture c;
    c.header(":method", "POST");
    c.header(":path", "/pkg.Svc/Call");
    c.header(":authority", "grpc.test:50051");
    c.header("content-type", "application/grpc+proto");
    c.header("grpc-status", "14");
    c.header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    EXPECT_TRUE(c.grpc_content());
    EXPECT_EQ(c.grpc_status, 14);
    EXPECT_EQ(c.path, "/pkg.Svc/Call");
    c.clear();
    c.header("content-type", "application/grpc-web");  // not gRPC over HTTP/2
    c.header("grpc-status", "99");
    c.header(":status", "2000");
    EXPECT_FALSE(c.grpc_content());
    EXPECT_EQ(c.grpc_status, 2);  // out of range: UNKNOWN
    EXPECT_FALSE(c.has_status);
    c.clear();
    c.header("Content-Type", "application/grpc");  // HTTP/2 names are lower case: not ours
    EXPECT_FALSE(c.has_content_type);
}

}  // namespace
