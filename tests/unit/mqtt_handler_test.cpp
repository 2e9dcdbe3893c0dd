// MQTT: packet parsing (fixed header and variable byte integer bounds, per-type flag rules,
// CONNECT/PUBLISH/SUBSCRIBE/acks of 3.1, 3.1.1 and 5 with properties), the connection handler on
// conversations captured from mosquitto 2.0 with mosquitto_pub/mosquitto_sub and paho-mqtt 1.6
// (tests/data/corpus/mqtt) on the client and the broker side with random splits, QoS 0/1/2 flows,
// subscriptions, deliveries without spans, topic aliases, holes and lost events; and detection.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "kernel_view.h"
#include "protocols/mqtt/conn_handler.h"
#include "protocols/mqtt/packet.h"

using namespace obi;
using namespace obi::conntrack;
using namespace obi::mqtt;

namespace {

std::string bytes(std::initializer_list<int> b)
{
    std::string s;
    for (int c : b) s.push_back(static_cast<char>(c));
    return s;
}

// ----------------------------------------------------------------------------- packets
TEST(MqttPacket, VariableByteIntegerIsBoundedToFourBytes)
{
    const std::vector<std::pair<std::string, uint32_t>> ok = {
        {bytes({0x00}), 0}, {bytes({0x7f}), 127}, {bytes({0x80, 0x01}), 128}, {bytes({0xff, 0x7f}), 16383},
        {bytes({0x80, 0x80, 0x01}), 16384}, {bytes({0xff, 0xff, 0xff, 0x7f}), kMaxRemaining}};
    for (const auto& [b, v] : ok) {
        size_t pos = 0;
        uint32_t out = 0;
        ASSERT_EQ(read_varint(b, pos, out), Parse::Ok);
        EXPECT_EQ(out, v);
        EXPECT_EQ(pos, b.size());
        for (size_t n = 0; n < b.size(); n++) {
            size_t p = 0;
            EXPECT_EQ(read_varint(b.substr(0, n), p, out), Parse::NeedMore);
        }
    }
    size_t pos = 0;
    uint32_t out = 0;
    EXPECT_EQ(read_varint(bytes({0xff, 0xff, 0xff, 0xff, 0x01}), pos, out), Parse::Invalid);
}

TEST(MqttPacket, FixedHeaderRules)
{
    const std::vector<std::pair<const char*, std::string>> bad = {
        {"reserved type 0", bytes({0x00, 0x00})},
        {"publish qos 3", bytes({0x36, 0x05, 0, 1, 'a', 0, 1})},
        {"dup with qos 0", bytes({0x38, 0x03, 0, 1, 'a'})},
        {"subscribe flags", bytes({0x80, 0x05, 0, 1, 0, 1, 'a'})},
        {"pubrel flags", bytes({0x60, 0x02, 0, 1})},
        {"puback flags", bytes({0x41, 0x02, 0, 1})},
        {"pingreq with body", bytes({0xc0, 0x01, 0x00})},
        {"connect too short", bytes({0x10, 0x02, 0, 0})},
        {"publish too short for a packet id", bytes({0x32, 0x02, 0, 0})},
        {"five-byte length", bytes({0x30, 0xff, 0xff, 0xff, 0xff, 0x01})},
    };
    for (const auto& [what, b] : bad) {
        FixedHeader h;
        EXPECT_EQ(parse_fixed_header(b, h), Parse::Invalid) << what;
    }
    FixedHeader h;
    ASSERT_EQ(parse_fixed_header(bytes({0x34, 0x95, 0x01}), h), Parse::Ok);
    EXPECT_EQ(h.type, PUBLISH);
    EXPECT_EQ(h.remaining, 149u);
    EXPECT_EQ(h.size, 3);
}

TEST(MqttPacket, TopicsAndProperties)
{
    EXPECT_TRUE(plausible_topic("sensors/temp", false));
    EXPECT_TRUE(plausible_topic("\xc3\xa9t\xc3\xa9/x", false));
    EXPECT_FALSE(plausible_topic("sensors/#", false));
    EXPECT_TRUE(plausible_topic("sensors/#", true));
    EXPECT_FALSE(plausible_topic("", true));
    EXPECT_FALSE(plausible_topic(std::string("a\0b", 3), true));
    EXPECT_FALSE(plausible_topic("\xc3(", true));
    EXPECT_FALSE(plausible_topic("\xff", true));
    // PUBLISH v5 with properties: message expiry, content type, user property, topic alias.
    std::string props = bytes({0x02, 0, 0, 0, 60, 0x03, 0, 4}) + "text" + bytes({0x26, 0, 1}) + "k" + bytes({0, 1}) + "v" +
                        bytes({0x23, 0, 7});
    std::string body = bytes({0, 3}) + "a/b" + bytes({0, 9}) + std::string(1, char(props.size())) + props + "payload";
    FixedHeader h;
    h.type = PUBLISH;
    h.flags = 0x2;
    h.remaining = static_cast<uint32_t>(body.size());
    Publish p;
    ASSERT_EQ(parse_publish(h, body, 5, p), Parse::Ok);
    EXPECT_EQ(p.topic, "a/b");
    EXPECT_EQ(p.packet_id, 9);
    EXPECT_EQ(p.topic_alias, 7);
    EXPECT_EQ(p.qos, 1);
    // A property that is not defined, and properties longer than the packet.
    std::string bad = bytes({0, 3}) + "a/b" + bytes({0, 9, 2, 0x7e, 0});
    h.remaining = static_cast<uint32_t>(bad.size());
    EXPECT_EQ(parse_publish(h, bad, 5, p), Parse::Invalid);
    std::string longp = bytes({0, 3}) + "a/b" + bytes({0, 9, 40, 0x23, 0, 1});
    h.remaining = static_cast<uint32_t>(longp.size());
    EXPECT_EQ(parse_publish(h, longp, 5, p), Parse::Invalid);
    // An empty topic without an alias is invalid.
    std::string empty = bytes({0, 0, 0, 9, 0});
    h.remaining = static_cast<uint32_t>(empty.size());
    EXPECT_EQ(parse_publish(h, empty, 5, p), Parse::Invalid);
}

TEST(MqttPacket, SubscribeOfUnknownVersion)
{
    Subscribe s;
    ASSERT_EQ(parse_subscribe(bytes({0, 1, 0, 5}) + "a/b/c" + bytes({1}), 0, s), Parse::Ok);  // 3.1.1
    EXPECT_EQ(s.first_filter, "a/b/c");
    ASSERT_EQ(parse_subscribe(bytes({0, 2, 0, 0, 5}) + "x/y/#" + bytes({1}), 0, s), Parse::Ok);  // 5, no properties
    EXPECT_EQ(s.first_filter, "x/y/#");
    ASSERT_EQ(parse_subscribe(bytes({0, 3, 2, 0x0b, 5, 0, 1}) + "z" + bytes({0}), 0, s), Parse::Ok);  // 5, subscription id
    EXPECT_EQ(s.first_filter, "z");
    EXPECT_EQ(parse_subscribe(bytes({0, 0, 0, 1}) + "a" + bytes({0}), 0, s), Parse::Invalid);  // packet id 0
}

// ------------------------------------------------------------------------------- sessions
struct Record {
    char dir;
    std::string data;
};

std::vector<Record> load_session(const std::string& name)
{
    std::ifstream f(std::string(OBI_TEST_DATA_DIR) + "/corpus/mqtt/" + name + ".session", std::ios::binary);
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::vector<Record> out;
    size_t i = 0;
    while (i + 5 <= all.size()) {
        uint32_t n = static_cast<uint8_t>(all[i + 1]) | static_cast<uint8_t>(all[i + 2]) << 8 |
                     static_cast<uint8_t>(all[i + 3]) << 16 | static_cast<uint32_t>(static_cast<uint8_t>(all[i + 4])) << 24;
        out.push_back({all[i], all.substr(i + 5, n)});
        i += 5 + n;
    }
    return out;
}

struct Collect final : SpanSink {
    std::vector<Span> spans;
    void emit(Span&& s) override { spans.push_back(std::move(s)); }
};

struct Conn {
    ConnInfo info;
    Collect sink;
    TraceResolver resolver{64};
    ProtocolCounters counters;
    std::unique_ptr<ProtocolHandler> h;
    bool broker;
    uint64_t ts = 1000000;
    bool have = false;
    Direction last = Direction::Ingress;
    size_t capture = 2048;
    explicit Conn(bool broker_side) : broker(broker_side)
    {
        info.pid = 13;
        info.local_addr = "127.0.0.1";
        info.remote_addr = "127.0.0.1";
        info.local_port = broker ? 1883 : 52000;
        info.remote_port = broker ? 52000 : 1883;
        info.kernel_role = broker ? OBI_ROLE_SERVER : OBI_ROLE_CLIENT;
        HandlerEnv env{&info, &sink, &resolver, &counters, 0, {}, Direction::Egress};
        h = mqtt::create_handler(env);
    }
    void call(char side, std::string_view data)
    {
        DataChunk c;
        bool to_broker = side == 'C';
        c.dir = to_broker == broker ? Direction::Ingress : Direction::Egress;
        c.msg_start = !have || c.dir != last;
        have = true;
        last = c.dir;
        c.ts_ns = ts += 1000;
        c.tid = 4;
        obi::testing::set_kernel_view(c, data, capture);
        h->on_data(c);
    }
    void replay(const std::vector<Record>& recs, unsigned seed = 0)
    {
        std::mt19937 rng(seed);
        for (const auto& r : recs) {
            size_t pos = 0;
            while (pos < r.data.size()) {
                size_t n = seed == 0 ? r.data.size() : std::min<size_t>(1 + rng() % 7, r.data.size() - pos);
                call(r.dir, std::string_view(r.data).substr(pos, n));
                pos += n;
            }
        }
    }
    std::vector<std::string> names() const
    {
        std::vector<std::string> v;
        for (const auto& s : sink.spans) v.push_back(s.name());
        return v;
    }
};

TEST(MqttHandler, CapturedSessionsBothSidesAnySplit)
{
    std::vector<std::pair<std::string, std::vector<std::string>>> sessions;
    for (const char* v : {"mqttv311", "mqttv5", "mqttv31"})
        for (int q = 0; q < 3; q++)
            sessions.push_back({std::string("pub_") + v + "_qos" + std::to_string(q) + ".1", {"publish sensors/temp"}});
    sessions.push_back({"sub_mqttv311.1", {"subscribe sensors/#"}});
    sessions.push_back({"sub_mqttv5.1", {"subscribe sensors/#"}});
    sessions.push_back({"paho_v311.1", {"subscribe orders/new", "publish orders/new", "publish orders/new", "publish orders/new"}});
    sessions.push_back({"paho_v5.1", {"subscribe orders/new", "publish orders/new", "publish orders/new", "publish orders/new",
                                      "publish metrics/cpu", "publish metrics/cpu"}});
    for (const auto& [name, expect] : sessions) {
        auto recs = load_session(name);
        ASSERT_FALSE(recs.empty()) << name;
        for (bool broker : {false, true}) {
            for (unsigned seed : {0u, 1u, 2u, 5u}) {
                Conn c(broker);
                c.replay(recs, seed);
                EXPECT_EQ(c.names(), expect) << name << (broker ? " broker" : " client") << " seed " << seed;
                EXPECT_EQ(c.counters.parse_errors, 0u) << name;
                EXPECT_EQ(c.counters.orphan_responses, 0u) << name;
                EXPECT_EQ(c.counters.lost_sync, 0u) << name;
                for (const auto& s : c.sink.spans) {
                    EXPECT_EQ(s.type, broker ? SpanType::MQTTServer : SpanType::MQTTClient);
                    EXPECT_EQ(s.db_system, "mqtt");
                    EXPECT_EQ(s.host_port, 1883);
                    EXPECT_EQ(s.peer_port, 52000);
                    EXPECT_FALSE(s.client_id.empty()) << name;
                    EXPECT_EQ(s.status_code(), StatusCode::Unset);
                    if (!broker) {
                        EXPECT_EQ(s.kind(), s.operation == "publish" ? SpanKind::Producer : SpanKind::Consumer);
                    } else {
                        EXPECT_EQ(s.kind(), SpanKind::Server);
                    }
                }
            }
        }
    }
}

TEST(MqttHandler, QosFlowsEndAtTheRightPacket)
{
    for (int q = 0; q < 3; q++) {
        Conn c(false);
        auto recs = load_session("pub_mqttv311_qos" + std::to_string(q) + ".1");
        // CONNECT, CONNACK, PUBLISH, then the acks: the span ends at PUBACK (1), PUBCOMP (2), or the PUBLISH (0).
        std::vector<uint64_t> ts;
        for (const auto& r : recs) {
            c.call(r.dir, r.data);
            ts.push_back(c.ts);
        }
        ASSERT_EQ(c.sink.spans.size(), 1u) << q;
        const Span& s = c.sink.spans[0];
        EXPECT_EQ(s.request_start_ns, ts[2]);
        size_t end_rec = q == 0 ? 2 : q == 1 ? 3 : 5;
        EXPECT_EQ(s.end_ns, ts[end_rec]) << q;
        EXPECT_EQ(s.client_id, "obi-pub-mqttv311-" + std::to_string(q));
        EXPECT_EQ(s.collection, "sensors/temp");
        EXPECT_EQ(s.operation, "publish");
    }
}

TEST(MqttHandler, DeliveriesAndTheirAcksProduceNoSpans)
{
    Conn c(false);
    c.replay(load_session("sub_mqttv5.1"));
    ASSERT_EQ(c.sink.spans.size(), 1u);  // the SUBSCRIBE; three deliveries, two PUBACKs from us
    EXPECT_EQ(c.sink.spans[0].collection, "sensors/#");
    EXPECT_EQ(c.sink.spans[0].client_id, "obi-sub-mqttv5");
}

TEST(MqttHandler, TopicAliasResolved)
{
    Conn c(false);
    c.replay(load_session("paho_v5.1"));
    ASSERT_EQ(c.sink.spans.size(), 6u);
    EXPECT_EQ(c.sink.spans[5].collection, "metrics/cpu");  // sent with an empty topic and alias 3
}

TEST(MqttHandler, MidStreamWithoutConnect)
{
    // A connection seen after its CONNECT: PUBLISH QoS 1 and its PUBACK still pair.
    Conn c(false);
    c.call('C', bytes({0x32, 0x0a, 0, 3}) + "a/b" + bytes({0, 7}) + "xyz");
    c.call('S', bytes({0x40, 0x02, 0, 7}));
    ASSERT_EQ(c.names(), (std::vector<std::string>{"publish a/b"}));
    EXPECT_TRUE(c.sink.spans[0].client_id.empty());
}

TEST(MqttHandler, HolesInPayloadsAndLostEvents)
{
    Conn c(false);
    std::string payload(100000, 'p');
    std::string pub = bytes({0x32, 0xa7, 0x8d, 0x06, 0, 3}) + "big" + bytes({0, 1}) + payload;  // remaining 100007
    ASSERT_EQ(pub.size(), 4u + 100007u);
    c.call('C', std::string_view(pub).substr(0, 60000));  // 2 calls, 2048 bytes of each captured
    c.call('C', std::string_view(pub).substr(60000));
    c.call('S', bytes({0x40, 0x02, 0, 1}));
    ASSERT_EQ(c.names(), (std::vector<std::string>{"publish big"}));
    c.call('C', bytes({0x32, 0x05, 0, 1, 'x', 0, 2}));
    c.h->on_gap();
    EXPECT_EQ(c.counters.unanswered, 1u);
    c.call('S', bytes({0x40, 0x02, 0, 2}));  // the ack of a publish we dropped
    c.call('C', bytes({0x30, 0x03, 0, 1, 'y'}));
    EXPECT_EQ(c.names(), (std::vector<std::string>{"publish big", "publish y"}));
}

// A publisher that only sends QoS 0 never changes direction: after a write whose packets were not
// all captured (Node coalesces hundreds of publishes into one writev of more iovecs than the kernel
// walks), the next write that holds whole packets resynchronises.
TEST(MqttHandler, QosZeroPublisherResynchronisesAtTheNextWholeWrite)
{
    Conn c(false);
    c.call('C', bytes({0x10, 0x10, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 4, 'c', 'l', 'i', 'd'}));
    c.call('S', bytes({0x20, 0x02, 0, 0}));
    std::string burst;
    for (int i = 0; i < 10; i++) burst += bytes({0x30, 0x1c, 0, 2, 't', char('0' + i)}) + std::string(26, 'x');
    c.capture = 40;  // the first packet and part of the second
    c.call('C', burst);
    c.capture = 2048;
    c.call('C', bytes({0x30, 0x03, 0, 1, 'a'}));
    c.call('C', bytes({0x30, 0x03, 0, 1, 'b'}) + bytes({0x30, 0x03, 0, 1, 'c'}));
    EXPECT_EQ(c.names(), (std::vector<std::string>{"publish t0", "publish a", "publish b", "publish c"}));
    // Mid-packet bytes of a later call do not resynchronise on a lookalike header.
    c.capture = 10;
    c.call('C', burst);
    c.capture = 2048;
    c.call('C', bytes({0x30, 0x03, 0, 1}));  // a header whose packet would end past the call
    EXPECT_EQ(c.names().size(), 5u);
}

// mosquitto sends a large delivery to a client subscribed to its own topic before the PUBACK,
// in one read: the PUBACK lies past the capture but in the call's tail.
TEST(MqttHandler, AckAfterALargeDeliveryInOneReadComesFromTheTail)
{
    Conn c(false);
    std::string payload(8192, 'p');
    std::string topic = "ss/8k";
    auto publish = [&](uint8_t first, bool with_id) {
        std::string body = bytes({0, uint8_t(topic.size())}) + topic + (with_id ? bytes({0, 7}) : "") + payload;
        size_t n = body.size();
        return bytes({first, uint8_t(0x80 | (n & 0x7f)), uint8_t(n >> 7)}) + body;
    };
    c.call('C', publish(0x32, true));                                  // QoS 1, packet id 7
    c.call('S', publish(0x30, false) + bytes({0x40, 0x02, 0, 7}));     // the delivery, then PUBACK 7
    EXPECT_EQ(c.names(), (std::vector<std::string>{"publish ss/8k"}));
    EXPECT_EQ(c.counters.lost_sync, 0u);
}

TEST(MqttHandler, GarbageIsCounted)
{
    Conn c(false);
    c.call('C', bytes({0x00, 0x01, 0x02}));
    EXPECT_EQ(c.counters.parse_errors, 1u);
    c.call('S', bytes({0x20, 0x02, 0, 0}));
    c.call('C', bytes({0x30, 0x03, 0, 1, 'z'}));
    EXPECT_EQ(c.names(), (std::vector<std::string>{"publish z"}));
}

// ------------------------------------------------------------------------------- detection
std::string read_file(const std::filesystem::path& p)
{
    std::ifstream f(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

TEST(MqttDetect, CapturedConnectsAndEveryPrefix)
{
    ConnInfo ci;
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(std::string(OBI_TEST_DATA_DIR) + "/corpus/mqtt")) {
        std::string name = e.path().filename().string();
        if (!name.ends_with(".c2s.bin")) continue;
        files++;
        std::string b = read_file(e.path()).substr(0, kMaxDetectBytes);
        EXPECT_EQ(mqtt::detect(b, Direction::Egress, ci), Detection::Yes) << name;
        for (size_t n = 0; n < b.size(); n++) {
            Detection d = mqtt::detect(b.substr(0, n), Direction::Egress, ci);
            EXPECT_NE(d, Detection::No) << name << " prefix " << n;
        }
    }
    EXPECT_GE(files, 13u);
}

TEST(MqttDetect, MidStreamIsStrict)
{
    ConnInfo ci;
    // A delivery burst from the captured subscriber session.
    auto recs = load_session("sub_mqttv311.1");
    std::string deliveries;
    for (size_t i = 4; i < recs.size() && recs[i].dir == 'S'; i++) deliveries += recs[i].data;
    ASSERT_FALSE(deliveries.empty());
    EXPECT_EQ(mqtt::detect(deliveries, Direction::Ingress, ci), Detection::Yes);
    const std::vector<std::pair<const char*, std::string>> no = {
        {"connack", bytes({0x20, 0x02, 0, 0})},
        {"pingreq", bytes({0xc0, 0x00})},
        {"puback", bytes({0x40, 0x02, 0, 1})},
        {"publish wildcard topic", bytes({0x30, 0x05, 0, 3}) + "a/#"},
        {"publish topic longer than packet", bytes({0x30, 0x05, 0, 9}) + "abc"},
        {"publish control char", bytes({0x30, 0x05, 0, 3, 'a', 1, 'b'})},
        {"publish then junk", bytes({0x30, 0x03, 0, 1, 'a', 0x00, 0x00})},
        {"text starting with a digit", "32 bottles of beer on the wall\r\n"},
        {"connect with another protocol name", bytes({0x10, 0x10, 0, 4}) + "HTTP" + bytes({4, 2, 0, 60, 0, 4}) + "abcd"},
        {"connect reserved flag", bytes({0x10, 0x10, 0, 4}) + "MQTT" + bytes({4, 3, 0, 60, 0, 4}) + "abcd"},
        {"connect bad level", bytes({0x10, 0x10, 0, 4}) + "MQTT" + bytes({3, 2, 0, 60, 0, 4}) + "abcd"},
        {"http", "GET / HTTP/1.1\r\n\r\n"},
        {"redis", "*1\r\n$4\r\nPING\r\n"},
        {"tls", bytes({0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03})},
    };
    for (const auto& [what, b] : no) EXPECT_NE(mqtt::detect(b, Direction::Egress, ci), Detection::Yes) << what;
    EXPECT_EQ(mqtt::detect(bytes({0x30, 0x03, 0, 1, 'a', 0xc0, 0x00}), Direction::Egress, ci), Detection::Yes);
    ConnInfo udp;
    udp.udp = true;
    EXPECT_EQ(mqtt::detect(read_file(std::string(OBI_TEST_DATA_DIR) + "/corpus/mqtt/pub_mqttv5_qos1.1.c2s.bin"), Direction::Egress, udp),
              Detection::No);
}

}  // namespace
