// Kafka primitives: SparseBytes with holes, the Reader (classic and compact encodings,
// varints, nullables, bounds), record batch summaries and the topic id cache.
#include <gtest/gtest.h>

#include <string>

#include "protocols/kafka/records.h"
#include "protocols/kafka/topic_cache.h"
#include "protocols/kafka/wire.h"

using namespace obi::kafka;

namespace {

std::string be32(uint32_t v)
{
    return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}
std::string be64(uint64_t v) { return be32(uint32_t(v >> 32)) + be32(uint32_t(v)); }

// A magic-2 batch header (61 bytes) followed by `body` filler bytes.
std::string batch(int64_t base, int32_t last_delta, int32_t count, size_t body, int16_t attrs = 0, int8_t magic = 2)
{
    std::string after_len = be32(0) + std::string(1, char(magic)) + be32(0x12345678) +
                            std::string{char(attrs >> 8), char(attrs)} + be32(uint32_t(last_delta)) + be64(1) +
                            be64(2) + be64(~0ull) + std::string("\xff\xff", 2) + be32(~0u) + be32(uint32_t(count)) +
                            std::string(body, 'r');
    return be64(uint64_t(base)) + be32(uint32_t(after_len.size())) + after_len;
}

}  // namespace

TEST(KafkaWire, SparseBytesMergesContiguousPiecesAndKnowsHoles)
{
    SparseBytes m;
    m.reset(20);
    m.append(0, "abcd");
    m.append(4, "efgh");   // contiguous: merged
    m.append(12, "mnop");  // after a hole of 4
    std::string_view v;
    ASSERT_TRUE(m.view(2, 4, v));
    EXPECT_EQ(v, "cdef");
    EXPECT_FALSE(m.view(6, 4, v));  // runs into the hole
    EXPECT_FALSE(m.view(8, 1, v));
    ASSERT_TRUE(m.view(13, 2, v));
    EXPECT_EQ(v, "no");
    EXPECT_FALSE(m.complete());
    m.append(16, "qrstuvwxyz");  // cut at the message length
    ASSERT_TRUE(m.view(16, 4, v));
    EXPECT_FALSE(m.view(19, 2, v));
}

TEST(KafkaWire, SparseBytesKeepsAtMostItsLimit)
{
    SparseBytes m(6);
    m.reset(100);
    m.append(0, "abcd");
    m.append(4, "efgh");
    std::string_view v;
    EXPECT_TRUE(m.view(0, 6, v));
    EXPECT_FALSE(m.view(5, 2, v));  // bytes past the limit were dropped
    m.reset(3);
    m.append(0, "xyz");
    EXPECT_TRUE(m.complete());
}

TEST(KafkaWire, ClassicAndCompactStrings)
{
    std::string data = std::string("\x00\x03" "abc", 5) + std::string("\xff\xff", 2) + std::string("\x04" "xyz\x00", 5);
    SparseBytes m;
    m.set_external(data, data.size());
    Reader r(m, 0, false);
    std::string_view s;
    bool null = false;
    ASSERT_TRUE(r.string(s, null));
    EXPECT_EQ(s, "abc");
    EXPECT_FALSE(null);
    ASSERT_TRUE(r.string(s, null));
    EXPECT_TRUE(null);
    r.set_flexible(true);
    ASSERT_TRUE(r.string(s, null));  // compact: length + 1 = 4
    EXPECT_EQ(s, "xyz");
    ASSERT_TRUE(r.string(s, null));  // compact null: 0
    EXPECT_TRUE(null);
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_FALSE(r.string(s, null));
    EXPECT_EQ(r.status(), ReadStatus::Invalid);  // past the message end
}

TEST(KafkaWire, VarintsAndTaggedFields)
{
    // uvarint 300 = ac 02; zig-zag -3 = 5; tags: 2 fields (tag 0 size 1, tag 5 size 2), then an int16
    std::string data = std::string("\xac\x02\x05\x02\x00\x01\x7f\x05\x02\x01\x02\x00\x2a", 13);
    SparseBytes m;
    m.set_external(data, data.size());
    Reader r(m, 0, true);
    uint32_t u = 0;
    int32_t s = 0;
    int16_t v = 0;
    ASSERT_TRUE(r.uvarint(u));
    EXPECT_EQ(u, 300u);
    ASSERT_TRUE(r.varint(s));
    EXPECT_EQ(s, -3);
    ASSERT_TRUE(r.skip_tags());
    ASSERT_TRUE(r.i16(v));
    EXPECT_EQ(v, 42);
}

TEST(KafkaWire, InvalidLengthsAndCounts)
{
    struct Case {
        const char* what;
        std::string bytes;
        bool flexible;
        int op;  // 0 string, 1 array, 2 bytes, 3 uvarint, 4 tags
    };
    const Case cases[] = {
        {"string length -2", std::string("\xff\xfe", 2), false, 0},
        {"string longer than the message", std::string("\x00\x09" "abc", 5), false, 0},
        {"array count -5", std::string("\xff\xff\xff\xfb", 4), false, 1},
        {"array count beyond the message", std::string("\x00\x00\x10\x00" "ab", 6), false, 1},
        {"compact array beyond the message", std::string("\x7f" "a", 2), true, 1},
        {"bytes length -7", std::string("\xff\xff\xff\xf9", 4), false, 2},
        {"bytes longer than the message", std::string("\x00\x00\x00\x08" "abc", 7), false, 2},
        {"varint of 6 bytes", std::string("\xff\xff\xff\xff\xff\x01", 6), true, 3},
        {"varint over 32 bits", std::string("\xff\xff\xff\xff\x1f", 5), true, 3},
        {"more tags than bytes", std::string("\x10\x00", 2), true, 4},
    };
    for (const auto& c : cases) {
        SparseBytes m;
        m.set_external(c.bytes, c.bytes.size());
        Reader r(m, 0, c.flexible);
        std::string_view s;
        int32_t n = 0;
        int64_t len = 0;
        uint32_t u = 0;
        bool ok = c.op == 0 ? r.string(s) : c.op == 1 ? r.array_length(n) : c.op == 2 ? r.bytes_length(len)
                : c.op == 3 ? r.uvarint(u) : r.skip_tags();
        EXPECT_FALSE(ok) << c.what;
        EXPECT_EQ(r.status(), ReadStatus::Invalid) << c.what;
    }
}

TEST(KafkaWire, ReadsIntoAHoleAreShortAndSkipsCrossIt)
{
    SparseBytes m;
    m.reset(16);
    m.append(0, std::string("\x00\x00\x00\x05", 4));
    m.append(12, std::string("\x00\x07\x00\x01", 4));
    Reader r(m, 0, false);
    int32_t n = 0;
    int16_t v = 0;
    ASSERT_TRUE(r.i32(n));
    EXPECT_EQ(n, 5);
    ASSERT_TRUE(r.skip(8));  // over the hole
    ASSERT_TRUE(r.i16(v));
    EXPECT_EQ(v, 7);
    Reader h(m, 6, false);
    EXPECT_FALSE(h.i16(v));
    EXPECT_EQ(h.status(), ReadStatus::Short);
    EXPECT_FALSE(h.i16(v));  // sticky
}

TEST(KafkaRecords, CountsBatchesAndSkipsControlBatches)
{
    std::string set = batch(10, 2, 3, 30) + batch(13, 0, 1, 12, 0x20) + batch(14, 1, 2, 20);
    SparseBytes m;
    m.set_external(set, set.size());
    RecordSetInfo info;
    ASSERT_EQ(summarize_records(m, 0, set.size(), info), ReadStatus::Ok);
    EXPECT_EQ(info.batches, 3u);
    EXPECT_EQ(info.records, 5u);  // the control batch (transaction marker) is not a record
    EXPECT_EQ(info.first_offset, 10);
    EXPECT_EQ(info.last_offset, 15);
    EXPECT_FALSE(info.cut);
    EXPECT_FALSE(info.uncaptured);
}

TEST(KafkaRecords, CutLastBatchAndUncapturedHeaders)
{
    std::string set = batch(0, 0, 1, 10) + batch(1, 0, 1, 40);
    SparseBytes m;
    m.set_external(set, set.size() - 5);  // a broker may cut the last batch at max bytes
    RecordSetInfo info;
    ASSERT_EQ(summarize_records(m, 0, set.size() - 5, info), ReadStatus::Ok);
    EXPECT_EQ(info.records, 1u);
    EXPECT_TRUE(info.cut);

    SparseBytes h;
    h.reset(set.size());
    h.append(0, set.substr(0, 20));  // first header cut by the capture
    ASSERT_EQ(summarize_records(h, 0, set.size(), info), ReadStatus::Ok);
    EXPECT_TRUE(info.uncaptured);
    EXPECT_TRUE(info.has_records());
    EXPECT_EQ(info.records, 0u);
}

TEST(KafkaRecords, LegacyMessageSets)
{
    // magic 1: offset, size, crc, magic, attributes, timestamp, key -1, value "v1"
    std::string msg = be32(0) + std::string("\x01\x00", 2) + be64(5) + be32(~0u) + be32(2) + "v1";
    std::string set = be64(7) + be32(uint32_t(msg.size())) + msg + be64(8) + be32(uint32_t(msg.size())) + msg;
    SparseBytes m;
    m.set_external(set, set.size());
    RecordSetInfo info;
    ASSERT_EQ(summarize_records(m, 0, set.size(), info), ReadStatus::Ok);
    EXPECT_EQ(info.records, 2u);
    EXPECT_EQ(info.first_offset, 7);
    EXPECT_EQ(info.last_offset, 8);
}

TEST(KafkaRecords, InvalidHeaders)
{
    const std::string cases[] = {
        batch(0, 0, 1, 10, 0, 3),                   // magic 3
        batch(-5, 0, 1, 10),                        // negative base offset
        batch(0, -1, 1, 10),                        // negative last offset delta
        batch(0, 0, 1000, 10),                      // more records than bytes
        be64(0) + be32(20) + std::string(20, 2),  // magic 2 batch shorter than its header
        be64(0) + be32(0) + std::string(20, 0),   // zero length
    };
    for (const auto& set : cases) {
        SparseBytes m;
        m.set_external(set, set.size());
        RecordSetInfo info;
        EXPECT_EQ(summarize_records(m, 0, set.size(), info), ReadStatus::Invalid);
    }
}

TEST(KafkaTopicCache, LruBoundAndUpdates)
{
    TopicIdCache c(2);
    Uuid a{}, b{}, d{};
    a[0] = 1;
    b[0] = 2;
    d[0] = 3;
    c.put(a, "alpha");
    c.put(b, "beta");
    std::string out;
    ASSERT_TRUE(c.get(a, out));  // a is now the most recent
    EXPECT_EQ(out, "alpha");
    c.put(d, "delta");  // evicts b
    EXPECT_FALSE(c.get(b, out));
    EXPECT_TRUE(c.get(d, out));
    c.put(a, "renamed");
    ASSERT_TRUE(c.get(a, out));
    EXPECT_EQ(out, "renamed");
    EXPECT_EQ(c.size(), 2u);
    c.set_capacity(1);
    EXPECT_EQ(c.size(), 1u);
}
