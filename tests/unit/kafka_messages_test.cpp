// Kafka message parsers on frames captured from real clients (tests/data/corpus/kafka/frames,
// see README.txt there): request headers, Produce and Fetch requests of every version the
// clients sent, Fetch and Metadata responses, flexible versions and topic ids; every prefix
// and every hole position of every frame, and corrupted fields.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "protocols/kafka/api.h"
#include "protocols/kafka/messages.h"

using namespace obi::kafka;

namespace {

const std::string kFrames = std::string(OBI_TEST_DATA_DIR) + "/corpus/kafka/frames/";

std::string frame(const std::string& rel)
{
    std::ifstream f(kFrames + rel, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    EXPECT_GT(s.size(), 4u) << rel;
    return s;
}

// The message after its length prefix, wholly captured.
struct Msg {
    explicit Msg(const std::string& f) : bytes(f)
    {
        m.set_external(std::string_view(bytes).substr(4), bytes.size() - 4);
    }
    std::string bytes;
    SparseBytes m;
};

RequestHeader header(const Msg& msg)
{
    RequestHeader h;
    EXPECT_EQ(parse_request_header(msg.m, h), ReadStatus::Ok);
    return h;
}

std::string uuid_hex(const Uuid& u)
{
    static const char* d = "0123456789abcdef";
    std::string s;
    for (uint8_t b : u) {
        s += d[b >> 4];
        s += d[b & 15];
    }
    return s;
}

std::vector<std::filesystem::path> all_frames()
{
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(kFrames))
        if (e.is_regular_file()) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string api_of(const std::filesystem::path& p)  // NNNN-cN-Api-vV.req
{
    std::string n = p.filename().string();
    size_t a = n.find('-', n.find('-') + 1) + 1;
    return n.substr(a, n.find("-v", a) - a);
}

int version_of(const std::filesystem::path& p)
{
    std::string n = p.filename().string();
    return std::stoi(n.substr(n.rfind("-v") + 2));
}

// Parses a response by the API of its file name; the status of the deepest parser.
ReadStatus parse_response(const SparseBytes& m, const std::string& api, int16_t v, FetchResponseInfo* fetch = nullptr)
{
    int16_t key = api == "Fetch" ? kFetch : api == "Metadata" ? kMetadata : -1;
    if (key < 0) return ReadStatus::Ok;
    uint64_t body = 0;
    ReadStatus st = response_body_offset(m, key, v, body);
    if (st != ReadStatus::Ok) return st;
    if (key == kFetch) {
        FetchResponseInfo local;
        return parse_fetch_response(m, body, v, fetch ? *fetch : local);
    }
    TopicIdCache cache;
    uint32_t learnt = 0;
    return parse_metadata_response(m, body, v, cache, learnt);
}

ReadStatus parse_request(const SparseBytes& m)
{
    RequestHeader h;
    ReadStatus st = parse_request_header(m, h);
    if (st != ReadStatus::Ok) return st;
    return check_request_body(m, h);
}

}  // namespace

TEST(KafkaMessages, RequestHeadersOfRealClients)
{
    Msg kcat(frame("kcat_produce/0001-c1-ApiVersions-v3.req"));
    RequestHeader h = header(kcat);
    EXPECT_EQ(h.api_key, kApiVersions);
    EXPECT_EQ(h.api_version, 3);
    EXPECT_TRUE(h.flexible);  // header v2: a tag section after the client id
    EXPECT_EQ(h.client_id, "rdkafka");
    EXPECT_EQ(check_request_body(kcat.m, h), ReadStatus::Ok);  // "librdkafka" "2.0.2"

    Msg kp(frame("kafka_python_produce/0001-c1-ApiVersions-v0.req"));
    h = header(kp);
    EXPECT_EQ(h.api_version, 0);
    EXPECT_FALSE(h.flexible);
    EXPECT_EQ(h.client_id, "kp-producer");
    EXPECT_EQ(h.body_offset, kp.m.length());  // v0: empty body
}

TEST(KafkaMessages, ProduceV7FromLibrdkafkaAndKafkaPython)
{
    Msg kcat(frame("kcat_produce/0005-c1-Produce-v7.req"));
    RequestHeader h = header(kcat);
    ProduceRequestInfo p;
    ASSERT_EQ(parse_produce_request(kcat.m, h, p), ReadStatus::Ok);
    EXPECT_EQ(p.acks, -1);  // librdkafka's default: all replicas
    EXPECT_EQ(p.topics, 1);
    EXPECT_EQ(p.topic.name, "logging");
    EXPECT_FALSE(p.topic.by_id);
    EXPECT_EQ(p.partition, 0);
    EXPECT_GE(p.records.records, 1u);
    EXPECT_EQ(p.records.first_offset, 0);  // producers send base offset 0

    Msg kp(frame("kafka_python_produce/0009-c2-Produce-v7.req"));
    h = header(kp);
    ASSERT_EQ(parse_produce_request(kp.m, h, p), ReadStatus::Ok);
    EXPECT_EQ(p.acks, 1);  // kafka-python's default
    EXPECT_EQ(p.topic.name, "events");
    EXPECT_EQ(h.client_id, "kp-producer");
    EXPECT_EQ(p.records.records, 1u);

    Msg zero(frame("kcat_acks0/0005-c1-Produce-v7.req"));
    h = header(zero);
    ASSERT_EQ(parse_produce_request(zero.m, h, p), ReadStatus::Ok);
    EXPECT_EQ(p.acks, 0);
}

TEST(KafkaMessages, FlexibleProduceAndTopicIds)
{
    Msg meta_req(frame("raw_flexible/0003-c1-Metadata-v12.req"));
    EXPECT_EQ(parse_request(meta_req.m), ReadStatus::Ok);
    Msg meta(frame("raw_flexible/0004-c1-Metadata-v12.resp"));
    uint64_t body = 0;
    ASSERT_EQ(response_body_offset(meta.m, kMetadata, 12, body), ReadStatus::Ok);
    EXPECT_EQ(body, 5u);  // correlation id + an empty tag section (response header v1)
    TopicIdCache cache;
    uint32_t learnt = 0;
    ASSERT_EQ(parse_metadata_response(meta.m, body, 12, cache, learnt), ReadStatus::Ok);
    EXPECT_EQ(learnt, 1u);

    Msg v9(frame("raw_flexible/0005-c1-Produce-v9.req"));
    RequestHeader h = header(v9);
    EXPECT_TRUE(h.flexible);
    ProduceRequestInfo p;
    ASSERT_EQ(parse_produce_request(v9.m, h, p), ReadStatus::Ok);
    EXPECT_EQ(p.topic.name, "logging");
    EXPECT_EQ(p.records.records, 2u);

    Msg v13(frame("raw_flexible/0007-c1-Produce-v13.req"));
    h = header(v13);
    ASSERT_EQ(parse_produce_request(v13.m, h, p), ReadStatus::Ok);
    ASSERT_TRUE(p.topic.by_id);
    std::string name;
    ASSERT_TRUE(cache.get(p.topic.id, name)) << uuid_hex(p.topic.id);
    EXPECT_EQ(name, "logging");
    EXPECT_EQ(p.records.records, 1u);
}

TEST(KafkaMessages, FetchRequestsOfEveryVersionSent)
{
    struct Case {
        const char* file;
        int16_t version;
        int64_t offset;
        const char* topic;  // nullptr: by id
    };
    const Case cases[] = {
        {"kafka_python_consume/0023-c4-Fetch-v4.req", 4, 0, "events"},
        {"kcat_consume/0021-c2-Fetch-v11.req", 11, 0, "logging"},
        {"raw_flexible/0010-c1-Fetch-v12.req", 12, 0, "logging"},
        {"raw_flexible/0012-c1-Fetch-v13.req", 13, 1, nullptr},
        {"raw_flexible/0014-c1-Fetch-v16.req", 16, 2, nullptr},
    };
    for (const auto& c : cases) {
        Msg m(frame(c.file));
        RequestHeader h = header(m);
        EXPECT_EQ(h.api_version, c.version);
        FetchRequestInfo f;
        ASSERT_EQ(parse_fetch_request(m.m, h, f), ReadStatus::Ok) << c.file;
        ASSERT_EQ(f.count, 1u) << c.file;
        EXPECT_EQ(f.offsets[0].partition, 0);
        EXPECT_EQ(f.offsets[0].offset, c.offset) << c.file;
        if (c.topic) {
            TopicRef t;
            t.name = c.topic;
            EXPECT_EQ(f.offsets[0].topic, t.hash()) << c.file;
            EXPECT_EQ(f.offset_of(t.hash(), 0), c.offset);
        }
        EXPECT_EQ(f.offset_of(12345, 0), -1);
    }
}

TEST(KafkaMessages, FetchResponsesWithAndWithoutRecords)
{
    struct Case {
        const char* file;
        int16_t version;
        bool found;
        uint32_t records;
        int64_t first_offset;
        const char* topic;  // nullptr: by id
    };
    const Case cases[] = {
        {"kafka_python_consume/0024-c4-Fetch-v4.resp", 4, true, 3, 0, "events"},
        {"kcat_consume/0022-c2-Fetch-v11.resp", 11, true, 3, 0, "logging"},
        {"raw_flexible/0011-c1-Fetch-v12.resp", 12, true, 4, 0, "logging"},
        {"raw_flexible/0013-c1-Fetch-v13.resp", 13, true, 4, 0, nullptr},
        {"raw_flexible/0015-c1-Fetch-v16.resp", 16, true, 2, 2, nullptr},
        {"raw_flexible/0017-c1-Fetch-v13.resp", 13, false, 0, -1, nullptr},  // the long poll ended empty
    };
    for (const auto& c : cases) {
        Msg m(frame(c.file));
        FetchResponseInfo info;
        ASSERT_EQ(parse_response(m.m, "Fetch", c.version, &info), ReadStatus::Ok) << c.file;
        EXPECT_EQ(info.found, c.found) << c.file;
        EXPECT_EQ(info.records_total, c.records) << c.file;
        if (!c.found) continue;
        EXPECT_EQ(info.partition, 0);
        EXPECT_EQ(info.records.first_offset, c.first_offset) << c.file;
        EXPECT_EQ(info.topic.by_id, c.topic == nullptr) << c.file;
        if (c.topic) {
            EXPECT_EQ(info.topic.name, c.topic) << c.file;
        }
    }
}

TEST(KafkaMessages, EveryCapturedFrameParses)
{
    size_t n = 0;
    for (const auto& p : all_frames()) {
        Msg m([&] {
            std::ifstream f(p, std::ios::binary);
            std::stringstream ss;
            ss << f.rdbuf();
            return ss.str();
        }());
        bool req = p.extension() == ".req";
        ReadStatus st = req ? parse_request(m.m) : parse_response(m.m, api_of(p), int16_t(version_of(p)));
        EXPECT_EQ(st, ReadStatus::Ok) << p;
        n++;
    }
    EXPECT_GE(n, 160u);
}

// A prefix of a frame (the rest not captured yet) is never a contradiction, and a hole
// anywhere never makes the parser read garbage: Short or Ok, never Invalid.
TEST(KafkaMessages, EveryPrefixAndEveryHoleIsShortOrOk)
{
    for (const auto& p : all_frames()) {
        std::ifstream f(p, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        std::string bytes = ss.str().substr(4);
        bool req = p.extension() == ".req";
        std::string api = api_of(p);
        int16_t v = int16_t(version_of(p));
        for (size_t n = 0; n < bytes.size(); n++) {
            SparseBytes m;
            m.set_external(std::string_view(bytes).substr(0, n), bytes.size());
            ReadStatus st = req ? parse_request(m) : parse_response(m, api, v);
            ASSERT_NE(st, ReadStatus::Invalid) << p << " prefix " << n;
        }
        for (size_t at = 0; at < bytes.size(); at += 3) {
            for (size_t len : {1u, 7u, 64u}) {
                SparseBytes m;
                m.reset(bytes.size());
                m.append(0, std::string_view(bytes).substr(0, at));
                if (at + len < bytes.size()) m.append(at + len, std::string_view(bytes).substr(at + len));
                ReadStatus st = req ? parse_request(m) : parse_response(m, api, v);
                ASSERT_NE(st, ReadStatus::Invalid) << p << " hole at " << at << "+" << len;
            }
        }
    }
}

TEST(KafkaMessages, AHoleInTheRecordsKeepsTopicAndPartition)
{
    Msg full(frame("kcat_consume/0022-c2-Fetch-v11.resp"));
    const std::string& b = full.bytes;
    size_t name = b.find("logging");
    ASSERT_NE(name, std::string::npos);
    SparseBytes m;
    m.reset(b.size() - 4);
    // name, partitions count, index, error, high watermark, last stable and log start offsets,
    // aborted transactions, preferred replica, records length: then 5 bytes of the records
    m.append(0, std::string_view(b).substr(4, name + 7 + 46 + 5 - 4));
    uint64_t body = 0;
    ASSERT_EQ(response_body_offset(m, kFetch, 11, body), ReadStatus::Ok);
    FetchResponseInfo info;
    parse_fetch_response(m, body, 11, info);
    ASSERT_TRUE(info.found);  // the records' bytes are known to be there
    EXPECT_EQ(info.topic.name, "logging");
    EXPECT_EQ(info.partition, 0);
    EXPECT_TRUE(info.records.uncaptured);
}

TEST(KafkaMessages, CorruptedFields)
{
    struct Case {
        const char* what;
        const char* file;
        std::string find;     // bytes to locate (after the length prefix)
        std::string replace;  // what they become, `skip` bytes after the match
        bool request;
        size_t skip = 0;
    };
    const Case cases[] = {
        {"Produce acks 7", "kcat_produce/0005-c1-Produce-v7.req", std::string("\xff\xff\x00\x00\x75\x30", 6),
         std::string("\x00\x07\x00\x00\x75\x30", 6), true},
        {"Produce topic name with a space", "kcat_produce/0005-c1-Produce-v7.req", "logging", "log ing", true},
        // name, partition count, index, records length, base offset, batch length, leader epoch, magic
        {"Produce records with magic 9", "kafka_python_produce/0009-c2-Produce-v7.req", "events",
         std::string("\x09", 1), true, 6 + 4 + 4 + 4 + 8 + 4 + 4},
        {"Fetch topic name with a slash", "kcat_consume/0021-c2-Fetch-v11.req", "logging", "log/ing", true},
        {"Fetch response topic count -3", "kcat_consume/0022-c2-Fetch-v11.resp",
         std::string("\x00\x00\x00\x01\x00\x07logging", 13), std::string("\xff\xff\xff\xfd\x00\x07logging", 13),
         false},
        {"Fetch response topic name too long", "kcat_consume/0022-c2-Fetch-v11.resp", std::string("\x00\x07logging", 9),
         std::string("\x7f\x07logging", 9), false},
        {"ApiVersions v3 software name with a newline", "kcat_produce/0001-c1-ApiVersions-v3.req", "librdkafka",
         "librdka\nka", true},
    };
    for (const auto& c : cases) {
        std::string b = frame(c.file);
        size_t at = b.find(c.find, 4);
        ASSERT_NE(at, std::string::npos) << c.what;
        if (c.skip) {
            ASSERT_EQ(b[at + c.skip], 2) << c.what;  // the magic byte of a record batch
        }
        b.replace(at + c.skip, c.replace.size(), c.replace);
        Msg m(b);
        ReadStatus st = c.request ? parse_request(m.m) : parse_response(m.m, "Fetch", 11);
        EXPECT_EQ(st, ReadStatus::Invalid) << c.what;
    }
}
