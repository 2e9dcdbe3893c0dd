// HTTP/2 framing: header decoding, validity and plausibility rules, frame chains, the
// detector on captured first bursts (tests/data/corpus/http2), and FrameReader following
// frames across calls and uncaptured bytes and resynchronising after a loss.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "http2_replay.h"
#include "protocols/http2/frame_reader.h"

using namespace obi;
using namespace obi::http2;
using conntrack::DataChunk;
using conntrack::Detection;
using conntrack::Direction;

namespace {

std::string frame(uint8_t type, uint8_t flags, uint32_t stream, std::string payload)
{
    std::string h(9, '\0');
    h[0] = static_cast<char>(payload.size() >> 16);
    h[1] = static_cast<char>(payload.size() >> 8);
    h[2] = static_cast<char>(payload.size());
    h[3] = static_cast<char>(type);
    h[4] = static_cast<char>(flags);
    h[5] = static_cast<char>(stream >> 24);
    h[6] = static_cast<char>(stream >> 16);
    h[7] = static_cast<char>(stream >> 8);
    h[8] = static_cast<char>(stream);
    return h + payload;
}

conntrack::ConnInfo server_conn()
{
    conntrack::ConnInfo c;
    c.kernel_role = OBI_ROLE_SERVER;
    return c;
}

TEST(Http2Frame, HeaderFields)
{
    std::string f = frame(kHeaders, kEndHeaders | kEndStream, 0x7fffffff, "abc");
    FrameHeader h = parse_frame_header(f);
    EXPECT_EQ(h.length, 3u);
    EXPECT_EQ(h.type, kHeaders);
    EXPECT_EQ(h.flags, kEndHeaders | kEndStream);
    EXPECT_EQ(h.stream, 0x7fffffffu);
    EXPECT_FALSE(h.reserved);
    f[5] = static_cast<char>(0xff);
    EXPECT_TRUE(parse_frame_header(f).reserved);
}

TEST(Http2Frame, ValidityRules)
{
    auto valid = [](uint8_t t, uint8_t fl, uint32_t s, uint32_t len) {
        FrameHeader h{len, t, fl, false, s};
        return header_valid(h, kDefaultMaxFrameSize);
    };
    EXPECT_TRUE(valid(kData, 0, 1, 100));
    EXPECT_FALSE(valid(kData, 0, 0, 100));         // DATA on stream 0
    EXPECT_FALSE(valid(kData, kPadded, 1, 0));     // no room for the pad length
    EXPECT_FALSE(valid(kData, 0, 1, 16385));       // beyond SETTINGS_MAX_FRAME_SIZE
    EXPECT_TRUE(valid(kSettings, 0, 0, 12));
    EXPECT_FALSE(valid(kSettings, 0, 0, 7));       // not a multiple of 6
    EXPECT_FALSE(valid(kSettings, kAck, 0, 6));    // an ACK has no payload
    EXPECT_FALSE(valid(kSettings, 0, 3, 6));       // connection frame on a stream
    EXPECT_TRUE(valid(kPing, 0, 0, 8));
    EXPECT_FALSE(valid(kPing, 0, 0, 4));
    EXPECT_FALSE(valid(kRstStream, 0, 1, 5));
    EXPECT_FALSE(valid(kPriority, 0, 1, 4));
    EXPECT_FALSE(valid(kWindowUpdate, 0, 0, 3));
    EXPECT_FALSE(valid(kHeaders, kPriorityFlag, 1, 4));
    EXPECT_TRUE(valid(0x10, 0xff, 0, 30));  // extension frames are skipped, whatever their flags
    FrameHeader ext{30, 0x10, 0, false, 0};
    EXPECT_FALSE(header_plausible(ext, kDefaultMaxFrameSize));  // but never start a chain
    FrameHeader flags{4, kData, 0x20, false, 1};
    EXPECT_TRUE(header_valid(flags, kDefaultMaxFrameSize));
    EXPECT_FALSE(header_plausible(flags, kDefaultMaxFrameSize));
}

TEST(Http2Frame, PayloadPlausibility)
{
    FrameHeader s{6, kSettings, 0, false, 0};
    EXPECT_TRUE(payload_plausible(s, std::string("\x00\x05\x00\x00\x40\x00", 6)));   // MAX_FRAME_SIZE 16384
    EXPECT_FALSE(payload_plausible(s, std::string("\x00\x05\x00\x00\x10\x00", 6)));  // below the minimum
    EXPECT_FALSE(payload_plausible(s, std::string("\x00\x02\x00\x00\x00\x02", 6)));  // ENABLE_PUSH 2
    EXPECT_FALSE(payload_plausible(s, std::string("\x00\x00\x00\x00\x00\x00", 6)));  // id 0
    EXPECT_TRUE(payload_plausible(s, std::string("\x3a\x3a\x00\x00\x00\x00", 6)));   // GREASE id
    EXPECT_TRUE(payload_plausible(s, std::string("\xfe\x03\x00\x00\x00\x01", 6)));   // grpc's private setting
    FrameHeader w{4, kWindowUpdate, 0, false, 0};
    EXPECT_FALSE(payload_plausible(w, std::string(4, '\0')));  // a zero increment
    FrameHeader r{4, kRstStream, 0, false, 1};
    EXPECT_FALSE(payload_plausible(r, std::string("\x00\x00\x00\x20", 4)));
    FrameHeader d{5, kData, kPadded, false, 1};
    EXPECT_TRUE(payload_plausible(d, std::string("\x04", 1)));
    EXPECT_FALSE(payload_plausible(d, std::string("\x05", 1)));  // padding longer than the frame
}

TEST(Http2Frame, ChainWalk)
{
    std::string b = frame(kSettings, 0, 0, std::string("\x00\x03\x00\x00\x00\x64", 6)) +
                    frame(kWindowUpdate, 0, 0, std::string("\x00\x0f\x00\x01", 4)) + frame(kHeaders, kEndHeaders, 1, "xy");
    Chain c = walk_chain(b, b.size(), kDefaultMaxFrameSize);
    EXPECT_TRUE(c.ok);
    EXPECT_EQ(c.frames, 3u);
    EXPECT_EQ(c.end, b.size());
    EXPECT_TRUE(c.first_settings);
    // A frame running past the captured bytes is fine; an implausible one anywhere is not.
    c = walk_chain(frame(kData, 0, 1, std::string(100, 'd')).substr(0, 40), 109, kDefaultMaxFrameSize);
    EXPECT_TRUE(c.ok);
    EXPECT_EQ(c.frames, 1u);
    EXPECT_FALSE(walk_chain(b + frame(kData, 0x40, 1, "z"), UINT64_MAX, kDefaultMaxFrameSize).ok);
}

TEST(Http2Detect, PrefaceAndFrames)
{
    auto conn = server_conn();
    std::string p(kPreface);
    for (size_t n = 1; n < p.size(); n++) EXPECT_EQ(detect(p.substr(0, n), Direction::Ingress, conn), Detection::NeedMore);
    EXPECT_EQ(detect(p, Direction::Ingress, conn), Detection::Yes);
    EXPECT_EQ(detect("PRI * HTTP/1.1\r\n", Direction::Ingress, conn), Detection::No);
    std::string settings = frame(kSettings, 0, 0, std::string("\x00\x04\x00\x00\xff\xff", 6));
    for (size_t n = 1; n < 9; n++) EXPECT_EQ(detect(settings.substr(0, n), Direction::Egress, conn), Detection::NeedMore);
    EXPECT_EQ(detect(settings, Direction::Egress, conn), Detection::Yes);
    // One frame that does not end with the bytes is not enough evidence.
    std::string data = frame(kData, 0, 1, std::string(3000, 'x'));
    EXPECT_EQ(detect(data.substr(0, 100), Direction::Egress, conn), Detection::NeedMore);
    EXPECT_EQ(detect(data.substr(0, 512), Direction::Egress, conn), Detection::No);
    EXPECT_EQ(detect(frame(kHeaders, kEndHeaders, 3, "\x82\x84") + frame(kData, kEndStream, 3, "hi"),
                     Direction::Ingress, conn),
              Detection::Yes);
    // DNS over TCP: a 2-byte length and a random id can look like a frame header.
    std::string dns("\x00\x2c\x1a\x01\x01\x20\x00\x01\x00\x00\x00\x00\x00\x01\x03svc\x04test\x00\x00\x01\x00\x01", 30);
    EXPECT_NE(detect(dns, Direction::Egress, conn), Detection::Yes);
    EXPECT_EQ(detect("GET / HTTP/1.1\r\n", Direction::Ingress, conn), Detection::No);
    EXPECT_EQ(detect(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), Direction::Ingress, conn),
              Detection::No);  // TLS ClientHello
}

TEST(Http2Detect, CapturedFirstBursts)
{
    auto conn = server_conn();
    for (const char* f : {"curl_prior_knowledge.c2s.bin", "curl_prior_knowledge.s2c.bin", "h2load_m10.c2s.bin",
                          "grpc_python.c2s.bin", "grpc_python.s2c.bin", "grpc_python_midstream.c2s.bin",
                          "grpc_python_midstream.s2c.bin", "h2load_m10_midstream.c2s.bin", "h2load_m10_midstream.s2c.bin",
                          "nghttp_multi_midstream.c2s.bin"}) {
        std::string b = h2test::read_file(std::string("corpus/http2/") + f);
        ASSERT_FALSE(b.empty()) << f;
        b = b.substr(0, conntrack::kMaxDetectBytes);
        EXPECT_EQ(detect(b, Direction::Ingress, conn), Detection::Yes) << f;
    }
}

// FrameReader with a recording sink.
struct Rec : FrameSink {
    std::vector<Frame> frames;
    std::vector<std::string> payloads;
    int lost = 0;
    void on_frame(Direction, const Frame& f) override
    {
        frames.push_back(f);
        payloads.emplace_back(f.payload);
    }
    void on_sync_lost(Direction, SyncLoss, uint64_t) override { lost++; }
};

DataChunk chunk(std::string_view captured, uint64_t bytes, bool start, uint64_t ts)
{
    DataChunk c;
    c.dir = Direction::Ingress;
    c.msg_start = start;
    c.ts_ns = ts;
    c.bytes = bytes;
    c.captured = captured;
    return c;
}

TEST(Http2FrameReader, FramesAcrossCallsAndHoles)
{
    std::string stream = std::string(kPreface) + frame(kSettings, 0, 0, "") +
                         frame(kData, 0, 1, std::string(5000, 'd')) + frame(kHeaders, kEndHeaders, 1, "hdr") +
                         frame(kData, kPadded | kEndStream, 1, std::string("\x02xy\0\0", 5));
    // Every split into two calls gives the same frames.
    for (size_t cut = 0; cut <= stream.size(); cut += 7) {
        FrameReader r(Direction::Ingress, FrameReader::Start::Preface);
        Rec rec;
        std::string a = stream.substr(0, cut), b = stream.substr(cut);
        r.feed(chunk(a, a.size(), true, 1), rec);
        if (!b.empty()) r.feed(chunk(b, b.size(), false, 2), rec);
        ASSERT_EQ(rec.frames.size(), 4u) << cut;
        EXPECT_EQ(rec.payloads[2], "hdr");
        EXPECT_EQ(rec.payloads[3], std::string("\x02", 1));  // DATA: only the pad length is collected
        EXPECT_EQ(rec.lost, 0);
    }
    // The DATA payload not captured (a hole inside it): the next frame is still found.
    FrameReader r(Direction::Ingress, FrameReader::Start::Preface);
    Rec rec;
    size_t data_end = kPreface.size() + 9 + 9 + 5000;
    r.feed(chunk(std::string_view(stream).substr(0, 100), data_end, true, 1), rec);
    std::string rest = stream.substr(data_end);
    r.feed(chunk(rest, rest.size(), false, 2), rec);
    EXPECT_EQ(rec.frames.size(), 4u);
    EXPECT_EQ(rec.lost, 0);
}

TEST(Http2FrameReader, HeaderInAHoleLosesSyncUntilAPlausibleCallStart)
{
    std::string a = frame(kData, 0, 1, std::string(100, 'd')) + frame(kData, kEndStream, 1, "zz");
    FrameReader r(Direction::Ingress, FrameReader::Start::Frames);
    Rec rec;
    r.feed(chunk(std::string_view(a).substr(0, 50), a.size(), true, 1), rec);  // second header uncaptured
    EXPECT_EQ(rec.frames.size(), 1u);
    EXPECT_EQ(rec.lost, 1);
    EXPECT_FALSE(r.synced());
    std::string junk = "not a frame at all, just bytes";
    r.feed(chunk(junk, junk.size(), false, 2), rec);
    EXPECT_FALSE(r.synced());
    std::string next = frame(kHeaders, kEndHeaders | kEndStream, 3, "\x82");
    r.feed(chunk(next, next.size(), false, 3), rec);
    EXPECT_TRUE(r.synced());
    EXPECT_EQ(rec.frames.size(), 2u);
    EXPECT_EQ(rec.frames.back().hdr.stream, 3u);
}

TEST(Http2FrameReader, OversizedFrameIsInvalid)
{
    FrameReader r(Direction::Ingress, FrameReader::Start::Frames);
    Rec rec;
    std::string big = frame(kData, 0, 1, std::string(20000, 'x'));
    r.feed(chunk(big, big.size(), true, 1), rec);
    EXPECT_EQ(rec.lost, 1);
    r.set_max_frame_size(1 << 20);  // the receiver allowed bigger frames in its SETTINGS
    FrameReader r2(Direction::Ingress, FrameReader::Start::Frames);
    r2.set_max_frame_size(1 << 20);
    Rec rec2;
    r2.feed(chunk(big, big.size(), true, 1), rec2);
    EXPECT_EQ(rec2.frames.size(), 1u);
}

TEST(Http2FrameReader, RandomBytesNeverCrash)
{
    std::mt19937 rng(11);
    for (int i = 0; i < 2000; i++) {
        FrameReader r(Direction::Ingress, (i & 1) ? FrameReader::Start::Frames : FrameReader::Start::Unknown);
        Rec rec;
        for (int k = 0; k < 5; k++) {
            std::string b(rng() % 200, '\0');
            for (char& c : b) c = static_cast<char>(rng() % 4 ? 0 : rng());
            r.feed(chunk(b, b.size() + (rng() % 3 ? 0 : rng() % 50000), k == 0, k), rec);
        }
    }
}

}  // namespace
