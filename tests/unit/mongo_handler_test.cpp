// MongoDB: the BSON reader (every type, every truncation, malformed sizes), message description
// and the connection handler on conversations captured from pymongo 3.11 against MockupDB
// (tests/data/corpus/mongo; no real MongoDB server exists here), split at random and with holes;
// OP_MSG sections and checksum, OP_QUERY/OP_REPLY handshakes, errors and writeErrors,
// moreToCome, exhaust replies, OP_COMPRESSED, legacy writes, lost events; and detection.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "protocols/mongo/bson.h"
#include "protocols/mongo/conn_handler.h"
#include "protocols/mongo/wire.h"

using namespace obi;
using namespace obi::conntrack;
using namespace obi::mongo;

namespace {

// ------------------------------------------------------------------------ a tiny BSON writer
std::string le32(int32_t v)
{
    std::string s(4, '\0');
    for (int i = 0; i < 4; i++) s[i] = static_cast<char>((static_cast<uint32_t>(v) >> (8 * i)) & 0xff);
    return s;
}
std::string el_str(const std::string& k, const std::string& v) { return "\x02" + k + '\0' + le32(int32_t(v.size() + 1)) + v + '\0'; }
std::string el_i32(const std::string& k, int32_t v) { return "\x10" + k + '\0' + le32(v); }
std::string el_dbl(const std::string& k, double d)
{
    std::string s = "\x01" + k + '\0';
    char b[8];
    std::memcpy(b, &d, 8);
    return s + std::string(b, 8);
}
std::string el_doc(const std::string& k, const std::string& d, char type = '\x03') { return std::string(1, type) + k + '\0' + d; }
std::string doc(const std::vector<std::string>& els)
{
    std::string body;
    for (const auto& e : els) body += e;
    return le32(int32_t(body.size() + 5)) + body + '\0';
}
std::string header(int32_t len, int32_t id, int32_t to, int32_t op) { return le32(len) + le32(id) + le32(to) + le32(op); }
std::string op_msg(int32_t id, int32_t to, const std::string& body, uint32_t flags = 0, const std::string& extra = "")
{
    std::string payload = le32(int32_t(flags)) + '\0' + body + extra;
    if (flags & kChecksumPresent) payload += le32(0x12345678);
    return header(int32_t(16 + payload.size()), id, to, OP_MSG) + payload;
}

// ------------------------------------------------------------------------------- BSON reader
TEST(MongoBson, EveryTypeAndTruncation)
{
    std::string oid(12, '\x07'), dec(16, '\x01');
    std::string d = doc({el_str("find", "orders"), el_i32("n", 3), el_dbl("ok", 1.0), std::string("\x08" "t\0\x01", 4),
                         std::string("\x12i64\0", 5) + std::string(8, '\x02'), el_doc("filter", doc({el_str("a", "b")})),
                         el_doc("arr", doc({el_i32("0", 1)}), '\x04'), std::string("\x07oid\0", 5) + oid,
                         std::string("\x0Anull\0", 6), std::string("\x05" "bin\0", 5) + le32(3) + std::string("\x00xyz", 4),
                         std::string("\x0B" "re\0", 4) + "^a" + '\0' + "i" + '\0', std::string("\x13" "dec\0", 5) + dec,
                         std::string("\x09" "dt\0", 4) + std::string(8, '\x03'), std::string("\xFFmin\0", 5),
                         el_str("$db", "shop")});
    std::vector<std::string> names;
    BsonReader r(d);
    ASSERT_TRUE(r.valid());
    BsonElement e;
    while (r.next(e)) names.emplace_back(e.name);
    EXPECT_FALSE(r.malformed());
    EXPECT_FALSE(r.truncated());
    EXPECT_EQ(names, (std::vector<std::string>{"find", "n", "ok", "t", "i64", "filter", "arr", "oid", "null", "bin", "re",
                                               "dec", "dt", "min", "$db"}));
    // Every prefix: complete elements only, never malformed, truncated unless whole.
    for (size_t n = 0; n < d.size(); n++) {
        BsonReader p(std::string_view(d).substr(0, n));
        size_t k = 0;
        while (p.next(e)) {
            EXPECT_EQ(e.name, names[k]) << n;
            k++;
        }
        EXPECT_FALSE(p.malformed()) << n;
        EXPECT_TRUE(p.truncated() || !p.valid()) << n;
        EXPECT_LE(k, names.size()) << n;
    }
}

TEST(MongoBson, MalformedInput)
{
    const std::vector<std::pair<const char*, std::string>> bad = {
        {"size below 5", le32(4) + '\0'},
        {"size huge", le32(0x7fffffff) + "\x10" + "a" + '\0' + le32(1)},
        {"negative size", le32(-5)},
        {"unknown type", le32(12) + "\x42" + "a" + '\0' + le32(1) + '\0'},
        {"string longer than doc", le32(14) + "\x02" + "a" + '\0' + le32(100) + "x" + '\0' + '\0'},
        {"string without NUL", le32(14) + "\x02" + "a" + '\0' + le32(2) + "xy" + '\0'},
        {"name runs off", le32(8) + "\x10" + "abc"},
        {"terminator missing", le32(11) + "\x10" + "a" + '\0' + le32(1)},
        {"trailing bytes", le32(13) + "\x10" + "a" + '\0' + le32(1) + '\0' + '\0'},
        {"nested larger than parent", le32(16) + "\x03" + "d" + '\0' + le32(50) + '\0' + '\0' + '\0' + '\0' + '\0' + '\0'},
        {"zero string length", le32(13) + "\x02" + "a" + '\0' + le32(0) + '\0'},
    };
    for (const auto& [what, bytes] : bad) {
        BsonReader r(bytes);
        BsonElement e;
        int n = 0;
        while (r.next(e) && n < 100) n++;
        EXPECT_TRUE(r.malformed() || !r.valid()) << what;
    }
}

// ------------------------------------------------------------------------------- sessions
struct Record {
    char dir;
    std::string data;
};

std::vector<Record> load_session(const std::string& name)
{
    std::ifstream f(std::string(OBI_TEST_DATA_DIR) + "/corpus/mongo/" + name + ".session", std::ios::binary);
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
    uint64_t ts = 1000000;
    bool have = false;
    Direction last = Direction::Ingress;
    size_t capture = 2048;
    explicit Conn(uint8_t role = OBI_ROLE_CLIENT)
    {
        info.pid = 11;
        info.local_addr = "127.0.0.1";
        info.remote_addr = "127.0.0.1";
        info.local_port = 51000;
        info.remote_port = 27017;
        info.kernel_role = role;
        HandlerEnv env{&info, &sink, &resolver, &counters, 0, {}, Direction::Egress};
        h = mongo::create_handler(env);
    }
    void call(char side, std::string_view data)
    {
        DataChunk c;
        c.dir = side == 'C' ? Direction::Egress : Direction::Ingress;
        c.msg_start = !have || c.dir != last;
        have = true;
        last = c.dir;
        c.ts_ns = ts += 1000;
        c.tid = 3;
        c.bytes = data.size();
        c.captured = data.substr(0, std::min(capture, data.size()));
        h->on_data(c);
    }
    void replay(const std::vector<Record>& recs, unsigned seed = 0)
    {
        std::mt19937 rng(seed);
        for (const auto& r : recs) {
            size_t pos = 0;
            while (pos < r.data.size()) {
                size_t n = seed == 0 ? r.data.size() : std::min<size_t>(1 + rng() % 50, r.data.size() - pos);
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

TEST(MongoHandler, CapturedSessionsAnySplit)
{
    const std::vector<std::pair<const char*, std::vector<std::string>>> sessions = {
        {"py_find.1", {"ismaster"}},
        {"py_find.2", {"ismaster", "find orders"}},
        {"py_crud.2", {"ismaster", "insert orders", "insert orders", "update orders", "delete orders", "aggregate orders"}},
        {"py_errors.2", {"ismaster", "find fail", "insert dup"}},
    };
    for (const auto& [name, expect] : sessions) {
        auto recs = load_session(name);
        ASSERT_FALSE(recs.empty()) << name;
        for (unsigned seed : {0u, 1u, 7u, 9u}) {
            Conn c;
            c.replay(recs, seed);
            c.h->on_close(c.ts);
            EXPECT_EQ(c.names(), expect) << name << " seed " << seed;
            EXPECT_EQ(c.counters.parse_errors, 0u) << name;
            EXPECT_EQ(c.counters.orphan_responses, 0u) << name;
            EXPECT_EQ(c.counters.unanswered, 0u) << name;
            for (const auto& s : c.sink.spans) {
                EXPECT_EQ(s.type, SpanType::MongoClient);
                EXPECT_EQ(s.db_system, "mongodb");
                EXPECT_EQ(s.host_port, 27017);
                EXPECT_EQ(s.peer_port, 51000);
                EXPECT_EQ(s.kind(), SpanKind::Client);
                EXPECT_LT(s.request_start_ns, s.end_ns);
            }
        }
    }
}

TEST(MongoHandler, SpanFieldsAndErrors)
{
    Conn c;
    c.replay(load_session("py_errors.2"));
    ASSERT_EQ(c.sink.spans.size(), 3u);
    const Span& hello = c.sink.spans[0];
    EXPECT_EQ(hello.operation, "ismaster");
    EXPECT_EQ(hello.db_namespace, "admin");  // OP_QUERY on admin.$cmd
    EXPECT_FALSE(hello.error);
    const Span& fail = c.sink.spans[1];
    EXPECT_EQ(fail.operation, "find");
    EXPECT_EQ(fail.collection, "fail");
    EXPECT_EQ(fail.db_namespace, "shop");
    EXPECT_TRUE(fail.error);
    EXPECT_EQ(fail.error_code, "2");
    EXPECT_EQ(fail.error_message, "BadValue: obi test failure");
    EXPECT_EQ(fail.status_code(), StatusCode::Error);
    const Span& dup = c.sink.spans[2];
    EXPECT_TRUE(dup.error);  // ok: 1 with writeErrors
    EXPECT_EQ(dup.error_code, "11000");
    EXPECT_EQ(dup.error_message.substr(0, 26), "E11000 duplicate key error");
    Conn ok;
    ok.replay(load_session("py_find.2"));
    ASSERT_EQ(ok.sink.spans.size(), 2u);
    EXPECT_FALSE(ok.sink.spans[1].error);
    EXPECT_EQ(ok.sink.spans[1].db_namespace, "shop");
}

TEST(MongoHandler, RepliesMatchedByResponseTo)
{
    Conn c;
    std::string q1 = op_msg(101, 0, doc({el_str("find", "a"), el_str("$db", "d")}));
    std::string q2 = op_msg(102, 0, doc({el_str("count", "b"), el_str("$db", "d")}));
    std::string r2 = op_msg(900, 102, doc({el_dbl("ok", 1)}));
    std::string r1 = op_msg(901, 101, doc({el_dbl("ok", 0), el_str("errmsg", "x"), el_i32("code", 50), el_str("codeName", "MaxTimeMSExpired")}));
    c.call('C', q1 + q2);
    c.call('S', r2);
    c.call('S', r1);
    ASSERT_EQ(c.names(), (std::vector<std::string>{"count b", "find a"}));
    EXPECT_FALSE(c.sink.spans[0].error);
    EXPECT_TRUE(c.sink.spans[1].error);
    EXPECT_EQ(c.sink.spans[1].error_code, "50");
    c.call('S', op_msg(902, 555, doc({el_dbl("ok", 1)})));  // answers nothing we sent
    EXPECT_EQ(c.counters.orphan_responses, 1u);
}

TEST(MongoHandler, ChecksumSequencesMoreToComeExhaust)
{
    Conn c;
    // Kind-1 section before the body, and a checksum.
    std::string seq_docs = doc({el_i32("_id", 1)}) + doc({el_i32("_id", 2)});
    std::string seq = std::string("\x01", 1) + le32(int32_t(4 + 10 + seq_docs.size())) + "documents" + '\0' + seq_docs;
    std::string payload = le32(kChecksumPresent) + seq + '\0' + doc({el_str("insert", "items"), el_str("$db", "inv")}) + le32(7);
    c.call('C', header(int32_t(16 + payload.size()), 5, 0, OP_MSG) + payload);
    c.call('S', op_msg(6, 5, doc({el_i32("n", 2), el_dbl("ok", 1)}), kChecksumPresent));
    // moreToCome on a request (w:0): no reply comes.
    c.call('C', op_msg(7, 0, doc({el_str("delete", "items"), el_str("$db", "inv")}), kMoreToCome));
    // exhaust: one getMore, three replies chained by responseTo.
    std::string cursor_id = std::string("\x12getMore\0", 9) + std::string("\x01\0\0\0\0\0\0\0", 8);
    c.call('C', op_msg(8, 0, doc({cursor_id, el_str("collection", "items"), el_str("$db", "inv")}), kExhaustAllowed));
    c.call('S', op_msg(20, 8, doc({el_dbl("ok", 1)}), kMoreToCome));
    c.call('S', op_msg(21, 20, doc({el_dbl("ok", 1)}), kMoreToCome));
    c.call('S', op_msg(22, 21, doc({el_dbl("ok", 1)})));
    EXPECT_EQ(c.names(), (std::vector<std::string>{"insert items", "delete items", "getMore items"}));
    EXPECT_EQ(c.counters.orphan_responses, 0u);
    EXPECT_EQ(c.counters.parse_errors, 0u);
}

TEST(MongoHandler, QueryWrapperLegacyAndCompressed)
{
    Conn c;
    // OP_QUERY with {$query: {...}, $readPreference: ...} on a command namespace.
    std::string q = doc({el_doc("$query", doc({el_str("count", "things")})), el_doc("$readPreference", doc({el_str("mode", "secondary")}))});
    std::string body = le32(0) + "reports.$cmd" + '\0' + le32(0) + le32(-1) + q;
    c.call('C', header(int32_t(16 + body.size()), 40, 0, OP_QUERY) + body);
    std::string rdoc = doc({el_dbl("ok", 1), el_i32("n", 3)});
    std::string rbody = le32(8) + std::string(8, '\0') + le32(0) + le32(1) + rdoc;
    c.call('S', header(int32_t(16 + rbody.size()), 41, 40, OP_REPLY) + rbody);
    // A legacy OP_INSERT: no reply.
    std::string ins = le32(0) + "reports.events" + '\0' + doc({el_i32("_id", 1)});
    c.call('C', header(int32_t(16 + ins.size()), 42, 0, OP_INSERT) + ins);
    // OP_COMPRESSED with snappy: counted, not decoded; its reply is also compressed.
    std::string comp = le32(OP_MSG) + le32(100) + std::string("\x01", 1) + std::string(30, '\x55');
    c.call('C', header(int32_t(16 + comp.size()), 43, 0, OP_COMPRESSED) + comp);
    c.call('S', header(int32_t(16 + comp.size()), 44, 43, OP_COMPRESSED) + comp);
    // OP_COMPRESSED with the noop compressor is read.
    std::string inner = le32(0) + '\0' + doc({el_str("ping", "x"), el_str("$db", "admin")});
    std::string noop = le32(OP_MSG) + le32(int32_t(inner.size())) + std::string("\x00", 1) + inner;
    c.call('C', header(int32_t(16 + noop.size()), 45, 0, OP_COMPRESSED) + noop);
    std::string rin = le32(0) + '\0' + doc({el_dbl("ok", 1)});
    std::string rnoop = le32(OP_MSG) + le32(int32_t(rin.size())) + std::string("\x00", 1) + rin;
    c.call('S', header(int32_t(16 + rnoop.size()), 46, 45, OP_COMPRESSED) + rnoop);
    EXPECT_EQ(c.names(), (std::vector<std::string>{"count things", "insert events", "ping x"}));
    EXPECT_EQ(c.sink.spans[0].db_namespace, "reports");
    EXPECT_EQ(c.counters.parse_errors, 2u);  // the two snappy messages
    EXPECT_EQ(c.counters.orphan_responses, 0u);
}

TEST(MongoHandler, BigDocumentsAcrossHolesAndLostEvents)
{
    Conn c;
    std::string big(200000, 'z');
    std::string q = op_msg(60, 0, doc({el_str("insert", "blobs"), el_str("$db", "d"), el_str("data", big)}));
    c.call('C', std::string_view(q).substr(0, 100000));  // 2 calls, 2048 bytes of each captured
    c.call('C', std::string_view(q).substr(100000));
    c.call('S', op_msg(61, 60, doc({el_dbl("ok", 1)})));
    ASSERT_EQ(c.names(), (std::vector<std::string>{"insert blobs"}));
    c.h->on_gap();
    EXPECT_EQ(c.counters.lost_sync, 1u);
    // After a gap, a burst that starts mid-message is skipped; the next message start resyncs.
    c.call('C', std::string_view(q).substr(5000, 3000));
    c.call('S', op_msg(62, 60, doc({el_dbl("ok", 1)})));
    c.call('C', op_msg(63, 0, doc({el_str("find", "blobs"), el_str("$db", "d")})));
    c.call('S', op_msg(64, 63, doc({el_dbl("ok", 1)})));
    EXPECT_EQ(c.names(), (std::vector<std::string>{"insert blobs", "find blobs"}));
}

TEST(MongoHandler, ServerSideEmitsNothing)
{
    Conn c(OBI_ROLE_SERVER);
    for (const auto& r : load_session("py_find.2")) c.call(r.dir == 'C' ? 'S' : 'C', r.data);
    EXPECT_TRUE(c.sink.spans.empty());
}

TEST(MongoHandler, GarbageIsCounted)
{
    Conn c;
    c.call('C', header(100, 1, 0, 9999) + std::string(84, 'x'));  // unknown opcode
    c.call('S', "garbage that is long enough for a header");
    EXPECT_TRUE(c.sink.spans.empty());
    EXPECT_GE(c.counters.parse_errors, 1u);
    c.call('C', op_msg(2, 0, doc({el_str("ping", "x")})));
    c.call('S', op_msg(3, 2, doc({el_dbl("ok", 1)})));
    EXPECT_EQ(c.names(), (std::vector<std::string>{"ping x"}));
}

// ------------------------------------------------------------------------------- detection
std::string read_file(const std::filesystem::path& p)
{
    std::ifstream f(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

TEST(MongoDetect, CapturedFirstBurstsAndEveryPrefix)
{
    ConnInfo ci;
    ci.kernel_role = OBI_ROLE_CLIENT;
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(std::string(OBI_TEST_DATA_DIR) + "/corpus/mongo")) {
        std::string name = e.path().filename().string();
        if (!name.ends_with(".c2s.bin") && !name.ends_with(".s2c.bin")) continue;
        files++;
        std::string b = read_file(e.path()).substr(0, kMaxDetectBytes);
        EXPECT_EQ(mongo::detect(b, Direction::Egress, ci), Detection::Yes) << name;
        bool yes = false;
        for (size_t n = 0; n < b.size(); n++) {
            Detection d = mongo::detect(b.substr(0, n), Direction::Egress, ci);
            if (d == Detection::Yes) yes = true;
            EXPECT_NE(d, Detection::No) << name << " prefix " << n;
            if (yes) {
                EXPECT_EQ(d, Detection::Yes) << name << " prefix " << n;
            }
        }
    }
    EXPECT_GE(files, 6u);
}

TEST(MongoDetect, OtherProtocolsAndBadHeaders)
{
    ConnInfo ci;
    const std::vector<std::pair<const char*, std::string>> others = {
        {"http", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
        {"redis", "*1\r\n$4\r\nPING\r\n"},
        {"tls", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + std::string(40, 'r')},
        {"postgres startup", std::string("\x00\x00\x00\x54\x00\x03\x00\x00user\0bob\0", 17) + std::string(40, '\0')},
        {"kafka", std::string("\x00\x00\x00\x40\x00\x12\x00\x03\x00\x00\x00\x01\x00\x07rdkafka", 21) + std::string(40, '\0')},
        {"mqtt connect", std::string("\x10\x18\x00\x04MQTT\x04\x02\x00\x3c\x00\x0cmosq-abcdefg", 26)},
        {"unknown opcode", header(60, 1, 0, 2010) + std::string(44, '\0')},
        {"too long", header(kMaxMessage + 1, 1, 0, OP_MSG) + std::string(20, '\0')},
        {"too short", header(20, 1, 0, OP_MSG) + std::string(4, '\0')},
        {"reserved flag bits", header(40, 1, 0, OP_MSG) + le32(0x4) + '\0' + doc({el_i32("a", 1)})},
        {"bad section kind", header(40, 1, 0, OP_MSG) + le32(0) + '\x05' + doc({el_i32("a", 1)})},
        {"doc larger than message", header(40, 1, 0, OP_MSG) + le32(0) + '\0' + le32(500) + std::string(20, '\x10')},
        {"bad element type", header(40, 1, 0, OP_MSG) + le32(0) + '\0' + le32(12) + "\x55" + "a" + '\0' + le32(1) + '\0'},
        {"query without dot", header(60, 1, 0, OP_QUERY) + le32(0) + "nodot" + '\0' + std::string(8, '\0') + doc({el_i32("a", 1)})},
        {"request id 0", header(40, 0, 0, OP_MSG) + le32(0) + '\0' + doc({el_i32("a", 1)})},
    };
    for (const auto& [what, b] : others) EXPECT_EQ(mongo::detect(b, Direction::Egress, ci), Detection::No) << what;
    ConnInfo udp;
    udp.udp = true;
    EXPECT_EQ(mongo::detect(op_msg(1, 0, doc({el_i32("ping", 1)})), Direction::Egress, udp), Detection::No);
    EXPECT_EQ(mongo::detect(op_msg(1, 0, doc({el_i32("ping", 1)})), Direction::Egress, ci), Detection::Yes);
}

}  // namespace
