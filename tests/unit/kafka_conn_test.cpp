// Kafka through the connection tracker, fed with kernel-format records: the conversations
// captured from kcat (librdkafka) and kafka-python (tests/data/corpus/kafka/frames) replayed
// whole, in random splits, coalesced, with capture holes; big messages skipped by length;
// lost sync and resynchronisation; acks=0; empty long polls; topic ids across connections;
// the broker side; correlation and trace context.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "conntrack/tracker.h"
#include "protocols/http1/conn_handler.h"
#include "protocols/kafka/conn_handler.h"
#include "protocols/kafka/topic_cache.h"

using namespace obi;
using namespace obi::conntrack;

namespace {

const std::string kFrames = std::string(OBI_TEST_DATA_DIR) + "/corpus/kafka/frames/";
constexpr uint16_t kBrokerPort = 9092;

struct Collect : SpanSink {
    std::vector<Span> spans;
    void emit(Span&& s) override { spans.push_back(std::move(s)); }
};

// Kernel records of one connection, as the kernel programs make them for a non-HTTP/1
// connection: the capture budget applies per call.
class FakeConn {
public:
    FakeConn(ConnTracker& t, uint64_t sock, uint8_t role = OBI_ROLE_CLIENT, uint32_t pid = 4242)
        : t_(t), sock_(sock), role_(role), pid_(pid)
    {
    }
    // Connections of one test share a clock, so that spans of several order by time.
    FakeConn(ConnTracker& t, uint64_t sock, uint64_t* clock, uint8_t role) : FakeConn(t, sock, role)
    {
        clock_ = clock;
    }
    uint32_t capture = 2048;

    void call(Direction dir, std::string_view data, uint64_t total = 0, const obi_trace_ctx* tctx = nullptr)
    {
        if (total == 0) total = data.size();
        bool start = !have_dir_ || dir != last_dir_;
        have_dir_ = true;
        last_dir_ = dir;
        std::string_view cap = data.substr(0, std::min<size_t>(data.size(), capture));
        // The kernel carries the call's last bytes after the captured ones when it did not capture it all.
        size_t tail = data.size() == total && cap.size() < total ? std::min<size_t>(OBI_TAIL_LEN, data.size()) : 0;
        std::vector<uint8_t> rec(sizeof(obi_data_event) + cap.size() + tail);
        auto* ev = reinterpret_cast<obi_data_event*>(rec.data());
        ev->kind = OBI_EV_DATA;
        ev->direction = static_cast<uint8_t>(dir);
        ev->role = role_;
        ev->flags = start ? OBI_DF_MSG_START : 0;
        if (cap.size() < total) ev->flags |= OBI_DF_TRUNCATED;
        ev->pid = pid_;
        ev->tid = pid_ + 1;
        ev->seq = skip_ ? seq_ + 1 : seq_;
        seq_ = ev->seq + 1;
        skip_ = false;
        ev->captured_len = cap.size();
        ev->bytes = static_cast<int64_t>(total);
        ev->ts_ns = *clock_ += 1000;
        ev->sock_id = sock_;
        ev->conn_id = sock_ * 3 + 1;
        uint8_t local[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
        std::memcpy(ev->tuple.local_addr, local, 16);
        std::memcpy(ev->tuple.remote_addr, local, 16);
        ev->tuple.remote_addr[15] = 2;
        bool server = role_ == OBI_ROLE_SERVER;
        ev->tuple.local_port = server ? kBrokerPort : 40000;
        ev->tuple.remote_port = server ? 40000 : kBrokerPort;
        if (start && tctx) ev->tctx = *tctx;
        std::memcpy(ev->data, cap.data(), cap.size());
        std::memcpy(ev->data + cap.size(), data.data() + data.size() - tail, tail);
        ev->tail_len = static_cast<uint8_t>(tail);
        t_.on_record(rec.data(), rec.size());
    }
    // Client side: requests go out; broker side: they come in.
    void req(std::string_view d, uint64_t total = 0, const obi_trace_ctx* k = nullptr)
    {
        call(role_ == OBI_ROLE_SERVER ? Direction::Ingress : Direction::Egress, d, total, k);
    }
    void resp(std::string_view d, uint64_t total = 0)
    {
        call(role_ == OBI_ROLE_SERVER ? Direction::Egress : Direction::Ingress, d, total);
    }
    void lose_next_event() { skip_ = true; }
    void close()
    {
        obi_close_event ev{};
        ev.kind = OBI_EV_CLOSE;
        ev.pid = pid_;
        ev.sock_id = sock_;
        ev.conn_id = sock_ * 3 + 1;
        ev.seq = seq_;
        ev.ts_ns = *clock_ += 1000;
        t_.on_record(&ev, sizeof(ev));
    }
    uint64_t now() const { return *clock_; }

private:
    ConnTracker& t_;
    uint64_t sock_;
    uint8_t role_;
    uint32_t pid_;
    uint32_t seq_ = 1;
    bool skip_ = false;
    bool have_dir_ = false;
    Direction last_dir_ = Direction::Egress;
    uint64_t own_clock_ = 1000000;
    uint64_t* clock_ = &own_clock_;
};

struct Frame {
    std::string conn;
    bool request;
    std::string bytes;
};

std::vector<Frame> scenario(const std::string& name)
{
    std::vector<std::filesystem::path> paths;
    for (const auto& e : std::filesystem::directory_iterator(kFrames + name)) paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    std::vector<Frame> out;
    for (const auto& p : paths) {
        std::ifstream f(p, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        std::string n = p.filename().string();
        size_t a = n.find('-') + 1;
        out.push_back({n.substr(a, n.find('-', a) - a), p.extension() == ".req", ss.str()});
    }
    EXPECT_FALSE(out.empty()) << name;
    return out;
}

struct Harness {
    Collect sink;
    ConnTracker tracker{TrackerOptions{}, sink, {http1::protocol_def(), kafka::protocol_def()}};
    const ProtocolCounters& counters() const { return tracker.counters()[1]; }
};

// How the frames of a scenario are cut into calls.
enum class Cut { Whole, Random, Coalesced };

void replay(Harness& h, const std::vector<Frame>& frames, Cut cut, unsigned seed = 1, uint32_t capture = 2048,
            uint8_t role = OBI_ROLE_CLIENT)
{
    std::map<std::string, std::unique_ptr<FakeConn>> conns;
    std::mt19937 rng(seed);
    uint64_t sock = 100, clock = 1000000;
    for (size_t i = 0; i < frames.size(); i++) {
        const Frame& f = frames[i];
        auto& c = conns[f.conn];
        if (!c) {
            c = std::make_unique<FakeConn>(h.tracker, sock++, &clock, role);
            c->capture = capture;
        }
        std::string data = f.bytes;
        if (cut == Cut::Coalesced)  // what follows in the same direction on the same connection
            while (i + 1 < frames.size() && frames[i + 1].conn == f.conn && frames[i + 1].request == f.request)
                data += frames[++i].bytes;
        if (cut == Cut::Random) {
            for (size_t pos = 0; pos < data.size();) {
                size_t n = std::min<size_t>(data.size() - pos, 1 + rng() % 40);
                f.request ? c->req(std::string_view(data).substr(pos, n)) : c->resp(std::string_view(data).substr(pos, n));
                pos += n;
            }
        } else {
            f.request ? c->req(data) : c->resp(data);
        }
    }
    for (auto& [name, c] : conns) c->close();
}

struct Want {
    const char* op;
    const char* topic;
    int64_t partition;
    int64_t offset;
    const char* client;
};

void expect_spans(const std::vector<Span>& got, const std::vector<Want>& want, const std::string& what,
                  SpanType type = SpanType::KafkaClient)
{
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < want.size(); i++) {
        const Span& s = got[i];
        const Want& w = want[i];
        EXPECT_EQ(s.type, type) << what << " #" << i;
        EXPECT_EQ(s.operation, w.op) << what << " #" << i;
        EXPECT_EQ(s.collection, w.topic) << what << " #" << i;
        EXPECT_EQ(s.partition, w.partition) << what << " #" << i;
        EXPECT_EQ(s.offset, w.offset) << what << " #" << i;
        EXPECT_EQ(s.client_id, w.client) << what << " #" << i;
        EXPECT_EQ(s.db_system, "kafka");
        EXPECT_EQ(s.name(), std::string(w.op) + (w.topic[0] ? std::string(" ") + w.topic : ""));
        EXPECT_EQ(s.status_code(), StatusCode::Unset);
        if (type == SpanType::KafkaClient)
            EXPECT_EQ(s.kind(), std::string(w.op) == "publish" ? SpanKind::Producer : SpanKind::Consumer);
        else
            EXPECT_EQ(s.kind(), SpanKind::Server);
        EXPECT_LE(s.request_start_ns, s.end_ns) << what << " #" << i;
        EXPECT_EQ(s.start_ns, s.request_start_ns);
        // peer = the client side, host = the broker
        uint16_t client_port = 40000;
        EXPECT_EQ(s.peer_port, client_port);
        EXPECT_EQ(s.host_port, kBrokerPort);
        EXPECT_EQ(s.host, type == SpanType::KafkaClient ? "127.0.0.2" : "127.0.0.1");
        EXPECT_EQ(s.pid, 4242u);
        EXPECT_TRUE(s.trace_id.valid() && s.span_id.valid());
    }
}

// What each captured scenario must produce (README.txt of the corpus: the clients' actions).
const std::map<std::string, std::vector<Want>>& expected()
{
    static const std::map<std::string, std::vector<Want>> m = {
        {"kcat_produce",
         {{"publish", "logging", 0, -1, "rdkafka"}, {"publish", "logging", 0, -1, "rdkafka"},
          {"publish", "logging", 0, -1, "rdkafka"}}},
        {"kcat_consume",
         {{"publish", "logging", 0, -1, "rdkafka"}, {"publish", "logging", 0, -1, "rdkafka"},
          {"publish", "logging", 0, -1, "rdkafka"}, {"process", "logging", 0, 0, "rdkafka"}}},
        {"kcat_acks0", {{"publish", "logging", 0, -1, "rdkafka"}, {"publish", "logging", 0, -1, "rdkafka"}}},
        {"kcat_group", {{"publish", "logging", 0, -1, "rdkafka"}, {"process", "logging", 0, 0, "rdkafka"}}},
        {"kafka_python_produce",
         {{"publish", "events", 0, -1, "kp-producer"}, {"publish", "events", 0, -1, "kp-producer"},
          {"publish", "events", 0, -1, "kp-producer"}}},
        {"kafka_python_consume",
         {{"publish", "events", 0, -1, "kafka-python-producer-1"},
          {"publish", "events", 0, -1, "kafka-python-producer-1"},
          {"publish", "events", 0, -1, "kafka-python-producer-1"},
          {"process", "events", 0, 0, "kp-consumer"}}},
        {"kafka_python_group",
         {{"publish", "events", 0, -1, "kafka-python-producer-1"}, {"process", "events", 0, 0, "kp-consumer"}}},
        {"raw_flexible",
         {{"publish", "logging", 0, -1, "obi-raw-client"},   // Produce v9
          {"publish", "logging", 0, -1, "obi-raw-client"},   // Produce v13: topic id from Metadata v12
          {"publish", "logging", 0, -1, "obi-raw-client"},   // Produce v9 acks=0
          {"process", "logging", 0, 0, "obi-raw-client"},    // Fetch v12 from 0
          {"process", "logging", 0, 1, "obi-raw-client"},    // Fetch v13 from 1: the batch starts at 0
          {"process", "logging", 0, 2, "obi-raw-client"}}},  // Fetch v16 from 2
    };
    return m;
}

// Spans in the order a single-threaded client would see them (per connection order is
// kept; the tracker emits per connection as frames arrive).
std::vector<Span> sorted(std::vector<Span> s)
{
    std::stable_sort(s.begin(), s.end(), [](const Span& a, const Span& b) { return a.end_ns < b.end_ns; });
    return s;
}

std::string be16(uint16_t v) { return {char(v >> 8), char(v)}; }
std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }
std::string be64(uint64_t v) { return be32(uint32_t(v >> 32)) + be32(uint32_t(v)); }
std::string kstr(std::string_view s) { return be16(uint16_t(s.size())) + std::string(s); }
std::string framed(const std::string& payload) { return be32(uint32_t(payload.size())) + payload; }

// A magic-2 record batch of `count` records padded to `body` bytes of records.
std::string batch(int64_t base, int32_t count, size_t body)
{
    std::string after = be32(0) + "\x02" + be32(0) + be16(0) + be32(uint32_t(count - 1)) + be64(1) + be64(1) +
                        be64(~0ull) + be16(0xffff) + be32(~0u) + be32(uint32_t(count)) + std::string(body, 'v');
    return be64(uint64_t(base)) + be32(uint32_t(after.size())) + after;
}

std::string produce_v7(int32_t corr, std::string_view topic, const std::string& records, int16_t acks = -1)
{
    return framed(be16(0) + be16(7) + be32(uint32_t(corr)) + kstr("bigclient") + be16(0xffff) + be16(uint16_t(acks)) +
                  be32(30000) + be32(1) + kstr(topic) + be32(1) + be32(0) + be32(uint32_t(records.size())) + records);
}

std::string produce_resp_v7(int32_t corr, std::string_view topic)
{
    return framed(be32(uint32_t(corr)) + be32(1) + kstr(topic) + be32(1) + be32(0) + be16(0) + be64(0) + be64(~0ull) +
                  be64(0) + be32(0));
}

std::string fetch_v11(int32_t corr, std::string_view topic, int64_t offset)
{
    return framed(be16(1) + be16(11) + be32(uint32_t(corr)) + kstr("bigclient") + be32(~0u) + be32(500) + be32(1) +
                  be32(1 << 20) + std::string(1, '\0') + be32(0) + be32(~0u) + be32(1) + kstr(topic) + be32(1) +
                  be32(0) + be32(~0u) + be64(uint64_t(offset)) + be64(~0ull) + be32(1 << 20) + be32(0) + kstr(""));
}

struct Part {
    std::string topic;
    int32_t partition;
    std::string records;
};

std::string fetch_resp_v11(int32_t corr, const std::vector<Part>& parts)
{
    std::string p = be32(uint32_t(corr)) + be32(0) + be16(0) + be32(0) + be32(uint32_t(parts.size()));
    for (const auto& x : parts)
        p += kstr(x.topic) + be32(1) + be32(uint32_t(x.partition)) + be16(0) + be64(100) + be64(100) + be64(0) +
             be32(~0u) + be32(~0u) + be32(uint32_t(x.records.size())) + x.records;
    return framed(p);
}

std::string heartbeat_v3(int32_t corr)
{
    return framed(be16(12) + be16(3) + be32(uint32_t(corr)) + kstr("bigclient") + kstr("g") + be32(1) + kstr("m") +
                  be16(0xffff));
}

}  // namespace

TEST(KafkaConn, CapturedConversationsWholeFrames)
{
    kafka::TopicIdCache::shared().clear();
    for (const auto& [name, want] : expected()) {
        Harness h;
        replay(h, scenario(name), Cut::Whole);
        expect_spans(sorted(h.sink.spans), want, name);
        EXPECT_EQ(h.counters().parse_errors, 0u) << name;
        EXPECT_EQ(h.counters().lost_sync, 0u) << name;
        EXPECT_EQ(h.counters().orphan_responses, 0u) << name;
    }
}

TEST(KafkaConn, CapturedConversationsInRandomSplits)
{
    for (unsigned seed = 1; seed <= 25; seed++) {
        for (const auto& [name, want] : expected()) {
            kafka::TopicIdCache::shared().clear();
            Harness h;
            replay(h, scenario(name), Cut::Random, seed);
            expect_spans(sorted(h.sink.spans), want, name + " seed " + std::to_string(seed));
            EXPECT_EQ(h.counters().parse_errors + h.counters().lost_sync, 0u) << name << " seed " << seed;
        }
    }
}

TEST(KafkaConn, CapturedConversationsCoalescedIntoFewerCalls)
{
    for (const auto& [name, want] : expected()) {
        kafka::TopicIdCache::shared().clear();
        Harness h;
        replay(h, scenario(name), Cut::Coalesced);
        expect_spans(sorted(h.sink.spans), want, name + " coalesced");
    }
}

TEST(KafkaConn, SmallCaptureBudgetKeepsSpans)
{
    // 128 bytes per call: Produce topics and Fetch partition headers are early in their frames.
    for (const auto& [name, want] : expected()) {
        kafka::TopicIdCache::shared().clear();
        Harness h;
        replay(h, scenario(name), Cut::Whole, 1, 128);
        expect_spans(sorted(h.sink.spans), want, name + " capture 128");
        EXPECT_EQ(h.counters().parse_errors, 0u) << name;
    }
}

TEST(KafkaConn, BrokerSideSpans)
{
    Harness h;
    replay(h, scenario("kcat_consume"), Cut::Whole, 1, 2048, OBI_ROLE_SERVER);
    expect_spans(sorted(h.sink.spans), expected().at("kcat_consume"), "broker side", SpanType::KafkaServer);
    for (const auto& s : h.sink.spans) EXPECT_EQ(s.peer, "127.0.0.2");  // the client
}

TEST(KafkaConn, TimesComeFromTheRequestAndResponseCalls)
{
    Harness h;
    FakeConn c(h.tracker, 1);
    std::string req = produce_v7(1, "timed", batch(0, 1, 10));
    c.req(std::string_view(req).substr(0, 20));
    uint64_t first = c.now();
    c.req(std::string_view(req).substr(20));
    std::string resp = produce_resp_v7(1, "timed");
    c.resp(std::string_view(resp).substr(0, 3));  // even the length prefix is split
    c.resp(std::string_view(resp).substr(3));
    uint64_t last = c.now();
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].request_start_ns, first);
    EXPECT_EQ(h.sink.spans[0].end_ns, last);
    EXPECT_EQ(h.sink.spans[0].tid, 4243u);
}

TEST(KafkaConn, BigMessagesAreSkippedByLength)
{
    Harness h;
    FakeConn c(h.tracker, 1);
    // A 1 MB produce written in 64 KiB calls: only the first 2048 bytes of each are captured.
    std::string big = produce_v7(1, "bulk", batch(0, 5000, 1 << 20));
    for (size_t pos = 0; pos < big.size(); pos += 65536) c.req(std::string_view(big).substr(pos, 65536));
    c.resp(produce_resp_v7(1, "bulk"));
    // A fetch answered with two big partitions: the second partition header is not captured.
    c.req(fetch_v11(2, "bulk", 0));
    std::string fr = fetch_resp_v11(2, {{"bulk", 0, batch(0, 5000, 300000)}, {"bulk", 1, batch(0, 7, 300000)}});
    for (size_t pos = 0; pos < fr.size(); pos += 100000) c.resp(std::string_view(fr).substr(pos, 100000));
    // and the connection is still in sync afterwards
    c.req(produce_v7(3, "after", batch(0, 1, 10)));
    c.resp(produce_resp_v7(3, "after"));
    ASSERT_EQ(h.sink.spans.size(), 3u);
    EXPECT_EQ(h.sink.spans[0].name(), "publish bulk");
    EXPECT_EQ(h.sink.spans[1].name(), "process bulk");
    EXPECT_EQ(h.sink.spans[1].offset, 0);
    EXPECT_EQ(h.sink.spans[1].partition, 0);
    EXPECT_EQ(h.sink.spans[2].name(), "publish after");
    EXPECT_EQ(h.counters().lost_sync + h.counters().parse_errors, 0u);
}

TEST(KafkaConn, PipelinedRequestsAndResponsesInOneCall)
{
    Harness h;
    FakeConn c(h.tracker, 1);
    c.req(produce_v7(1, "a", batch(0, 1, 10)) + heartbeat_v3(2) + produce_v7(3, "b", batch(0, 1, 10)));
    c.resp(produce_resp_v7(1, "a") + framed(be32(2) + be32(0) + be16(0)) + produce_resp_v7(3, "b"));
    ASSERT_EQ(h.sink.spans.size(), 2u);
    EXPECT_EQ(h.sink.spans[0].collection, "a");
    EXPECT_EQ(h.sink.spans[1].collection, "b");
    EXPECT_EQ(h.counters().unanswered + h.counters().orphan_responses, 0u);
}

TEST(KafkaConn, LengthPrefixInAHoleLosesSyncUntilTheNextResponse)
{
    Harness h;
    FakeConn c(h.tracker, 1);
    c.req(fetch_v11(1, "t", 0) + produce_v7(2, "t", batch(0, 1, 10)));
    // one read: a 5000-byte fetch response, then the produce response past the 2048 captured bytes
    c.resp(fetch_resp_v11(1, {{"t", 0, batch(0, 3, 4800)}}) + produce_resp_v7(2, "t"));
    EXPECT_EQ(h.counters().lost_sync, 1u);
    c.req(produce_v7(3, "t", batch(0, 1, 10)));
    c.resp(produce_resp_v7(3, "t"));  // a new read starting with a response to a request in flight
    ASSERT_EQ(h.sink.spans.size(), 2u);
    EXPECT_EQ(h.sink.spans[0].operation, "process");
    EXPECT_EQ(h.sink.spans[1].operation, "publish");
    EXPECT_EQ(h.counters().unanswered, 1u);  // request 2: its response was never seen
}

TEST(KafkaConn, LostEventsResynchronise)
{
    Harness h;
    FakeConn c(h.tracker, 1);
    c.req(heartbeat_v3(0));  // classifies the connection
    c.resp(framed(be32(0) + be32(0) + be16(0)));
    std::string r1 = produce_v7(1, "t", batch(0, 1, 10));
    c.req(r1.substr(0, 30));
    c.lose_next_event();  // the rest of request 1 is lost
    c.req(r1.substr(30));
    c.resp(produce_resp_v7(1, "t"));
    EXPECT_GE(h.counters().lost_sync, 1u);
    c.req(produce_v7(2, "t2", batch(0, 1, 10)));
    c.resp(produce_resp_v7(2, "t2"));
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].collection, "t2");
}

TEST(KafkaConn, ResyncRejectsAnotherClientIdOrAnOlderCorrelationId)
{
    Harness h;
    FakeConn c(h.tracker, 1);
    c.req(produce_v7(5, "t", batch(0, 1, 10)));
    c.resp(produce_resp_v7(5, "t"));
    // request 6 was in an event that got lost: its response arrives after the gap
    c.lose_next_event();
    c.resp(produce_resp_v7(6, "lost"));
    // bytes that look like a request with an older correlation id: not a resync point
    c.req(produce_v7(4, "old", batch(0, 1, 10)));
    c.resp(produce_resp_v7(4, "old"));
    c.req(produce_v7(7, "new", batch(0, 1, 10)));
    c.resp(produce_resp_v7(7, "new"));
    ASSERT_EQ(h.sink.spans.size(), 2u);
    EXPECT_EQ(h.sink.spans[0].collection, "t");
    EXPECT_EQ(h.sink.spans[1].collection, "new");
}

TEST(KafkaConn, EmptyFetchesAreCountedNotEmitted)
{
    Harness h;
    FakeConn c(h.tracker, 1);
    uint64_t before = kafka::stats().empty_fetches;
    for (int i = 1; i <= 50; i++) {
        c.req(fetch_v11(i, "quiet", 7));
        c.resp(fetch_resp_v11(i, {{"quiet", 0, ""}}));
    }
    EXPECT_TRUE(h.sink.spans.empty());
    EXPECT_EQ(kafka::stats().empty_fetches - before, 50u);
    c.req(fetch_v11(51, "quiet", 7));
    c.resp(fetch_resp_v11(51, {{"quiet", 0, ""}, {"quiet", 3, batch(5, 4, 40)}}));
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].partition, 3);  // the partition that returned records
    EXPECT_EQ(h.sink.spans[0].offset, 5);     // its first batch (the request asked partition 0 only)
}

TEST(KafkaConn, TopicIdsLearntOnOneConnectionServeAnother)
{
    auto frames = scenario("raw_flexible");
    std::string meta_req, meta_resp, fetch13, fetch13_resp;
    for (size_t i = 0; i < frames.size(); i++) {
        if (frames[i].bytes.size() > 8 && frames[i].request && frames[i].bytes[5] == 3) {
            meta_req = frames[i].bytes;
            meta_resp = frames[i + 1].bytes;
        }
        if (frames[i].request && frames[i].bytes[5] == 1 && frames[i].bytes[7] == 13 && fetch13.empty()) {
            fetch13 = frames[i].bytes;
            fetch13_resp = frames[i + 1].bytes;
        }
    }
    ASSERT_FALSE(meta_resp.empty());
    ASSERT_FALSE(fetch13_resp.empty());

    kafka::TopicIdCache::shared().clear();
    uint64_t unknown = kafka::stats().unknown_topic_ids;
    Harness h;
    FakeConn fetcher(h.tracker, 1);
    fetcher.req(fetch13);
    fetcher.resp(fetch13_resp);
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].name(), "process");  // the id is not known yet
    EXPECT_GT(kafka::stats().unknown_topic_ids, unknown);

    FakeConn bootstrap(h.tracker, 2);
    bootstrap.req(meta_req);
    bootstrap.resp(meta_resp);
    fetcher.req(fetch13.substr(0, 8) + std::string("\x00\x00\x00\x7f", 4) + fetch13.substr(12));  // a new request (127)
    fetcher.resp(fetch13_resp.substr(0, 4) + std::string("\x00\x00\x00\x7f", 4) + fetch13_resp.substr(8));
    ASSERT_EQ(h.sink.spans.size(), 2u);
    EXPECT_EQ(h.sink.spans[1].name(), "process logging");
}

TEST(KafkaConn, OrphanResponsesAndThePendingBound)
{
    Harness h;
    FakeConn c(h.tracker, 1);
    c.req(produce_v7(1, "t", batch(0, 1, 10)));
    c.resp(produce_resp_v7(99, "t"));  // no such request
    EXPECT_EQ(h.counters().orphan_responses, 1u);
    for (int i = 2; i < 400; i++) c.req(heartbeat_v3(i));
    c.close();
    EXPECT_EQ(h.counters().unanswered, 399u);  // beyond the bound of 128, or left at close; and the orphan's request
    EXPECT_TRUE(h.sink.spans.empty());
}

TEST(KafkaConn, KernelTraceContextOfTheRequest)
{
    Harness h;
    FakeConn c(h.tracker, 1);
    obi_trace_ctx k{};
    for (int i = 0; i < 16; i++) k.trace_id[i] = uint8_t(i + 1);
    for (int i = 0; i < 8; i++) k.span_id[i] = uint8_t(0xa0 + i);
    k.flags = 1;
    k.valid = 1;
    c.req(produce_v7(1, "traced", batch(0, 1, 10)), 0, &k);
    c.resp(produce_resp_v7(1, "traced"));
    ASSERT_EQ(h.sink.spans.size(), 1u);
    const Span& s = h.sink.spans[0];
    EXPECT_EQ(s.trace_id.bytes[0], 1);
    EXPECT_EQ(s.trace_id.bytes[15], 16);
    EXPECT_EQ(s.span_id.bytes[0], 0xa0);
    EXPECT_FALSE(s.parent_span_id.valid());
}

TEST(KafkaConn, AcksZeroSpanEndsWithTheRequest)
{
    Harness h;
    FakeConn c(h.tracker, 1);
    std::string r = produce_v7(1, "fire", batch(0, 2, 10), 0);
    c.req(r.substr(0, 10));
    c.req(r.substr(10));
    uint64_t end = c.now();
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].end_ns, end);
    c.req(heartbeat_v3(2));
    c.resp(framed(be32(2) + be32(0) + be16(0)));  // correlation ids continue after an unanswered produce
    EXPECT_EQ(h.counters().orphan_responses, 0u);
}

TEST(KafkaConn, ConnectionSeenMidStreamClassifiesOnItsNextRequest)
{
    Harness h;
    FakeConn c(h.tracker, 1);
    c.resp(fetch_resp_v11(41, {{"t", 0, batch(9, 2, 20)}}));  // the agent came in during a long poll
    EXPECT_TRUE(h.sink.spans.empty());
    c.req(fetch_v11(42, "t", 11));
    c.resp(fetch_resp_v11(42, {{"t", 0, batch(11, 1, 20)}}));
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].name(), "process t");
    EXPECT_EQ(h.sink.spans[0].offset, 11);
    EXPECT_EQ(h.counters().orphan_responses, 0u);
}
