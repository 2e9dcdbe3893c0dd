// Redis connection handler: spans from the captured conversations (tests/data/corpus/redis, real
// redis-server 7 with redis-cli and redis-py) on the client and the server side, with the calls
// split at random; pipelining, errors, SELECT, RESP3, pub/sub and MONITOR modes, CLIENT REPLY,
// holes in big values, lost events, and the tracker's detection path.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "kernel_view.h"
#include "conntrack/tracker.h"
#include "protocols/redis/conn_handler.h"
#include "protocols/redis/sanitize.h"

using namespace obi;
using namespace obi::conntrack;

namespace {

struct Collect final : SpanSink {
    std::vector<Span> spans;
    void emit(Span&& s) override { spans.push_back(std::move(s)); }
};

struct Record {
    char dir;  // 'C' client to server, 'S' server to client
    std::string data;
};

std::vector<Record> load_session(const std::string& name)
{
    std::ifstream f(std::string(OBI_TEST_DATA_DIR) + "/corpus/redis/" + name + ".session", std::ios::binary);
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

// One connection driven through the handler contract, as the tracker would.
struct Conn {
    ConnInfo info;
    Collect sink;
    TraceResolver resolver{64};
    ProtocolCounters counters;
    std::unique_ptr<ProtocolHandler> h;
    bool server;
    uint64_t ts = 1000000;
    bool have_dir = false;
    Direction last = Direction::Ingress;
    size_t capture = 2048;  // the kernel's per-call capture for non-HTTP/1 connections

    explicit Conn(bool server_side) : server(server_side)
    {
        info.pid = 42;
        info.local_addr = "127.0.0.1";
        info.remote_addr = "127.0.0.1";
        info.local_port = server ? 6379 : 50000;
        info.remote_port = server ? 50000 : 6379;
        info.kernel_role = server ? OBI_ROLE_SERVER : OBI_ROLE_CLIENT;
        HandlerEnv env{&info, &sink, &resolver, &counters, 0, {}, Direction::Egress};
        h = redis::create_handler(env);
    }
    Direction dir_of(char side) const
    {
        bool to_server = side == 'C';
        return to_server == server ? Direction::Ingress : Direction::Egress;
    }
    // One call of `data` (only the first `capture` bytes captured).
    void call(char side, std::string_view data, const obi_trace_ctx* tctx = nullptr)
    {
        DataChunk c;
        c.dir = dir_of(side);
        c.msg_start = !have_dir || c.dir != last;
        have_dir = true;
        last = c.dir;
        c.ts_ns = ts += 1000;
        c.tid = 7;
        obi::testing::set_kernel_view(c, data, capture);
        c.tctx = c.msg_start ? tctx : nullptr;
        h->on_data(c);
    }
    // A session's records, each cut into calls at random (seed 0: one call per record).
    void replay(const std::vector<Record>& recs, unsigned seed = 0)
    {
        std::mt19937 rng(seed);
        for (const auto& r : recs) {
            if (seed == 0) {
                call(r.dir, r.data);
                continue;
            }
            size_t pos = 0;
            while (pos < r.data.size()) {
                size_t n = std::min<size_t>(1 + rng() % 40, r.data.size() - pos);
                call(r.dir, std::string_view(r.data).substr(pos, n));
                pos += n;
            }
        }
    }
    std::vector<std::string> ops() const
    {
        std::vector<std::string> v;
        for (const auto& s : sink.spans) v.push_back(s.operation);
        return v;
    }
};

struct Expect {
    const char* session;
    std::vector<std::string> ops;
};

const std::vector<Expect>& expectations()
{
    static const std::vector<Expect> k = {
        {"cli_set", {"SET"}},
        {"cli_get_missing", {"GET"}},
        {"cli_wrongtype", {"LPUSH"}},
        {"cli_select", {"SELECT", "SET"}},
        {"cli_client_setname", {"CLIENT SETNAME"}},
        {"cli_resp3_hgetall", {"HELLO", "HGETALL"}},
        {"raw_resp3_types",
         {"HELLO", "DEBUG PROTOCOL", "DEBUG PROTOCOL", "DEBUG PROTOCOL", "DEBUG PROTOCOL", "DEBUG PROTOCOL",
          "DEBUG PROTOCOL", "DEBUG PROTOCOL", "DEBUG PROTOCOL", "DEBUG PROTOCOL", "DEBUG PROTOCOL", "DEBUG PROTOCOL",
          "DEBUG PROTOCOL", "DEBUG PROTOCOL"}},
        {"cli_resp3_smembers_zscore", {"HELLO", "COMMAND DOCS", "SMEMBERS", "ZSCORE", "GET", "INFO"}},
        {"py_transaction", {"MULTI", "SET", "INCRBY", "GET", "EXEC"}},
        {"py_errors", {"LPUSH", "NOSUCHCMD", "SET"}},
        {"py_pubsub", {"SUBSCRIBE", "PSUBSCRIBE", "PING", "UNSUBSCRIBE", "PUNSUBSCRIBE"}},
        {"cli_monitor", {"MONITOR"}},
        {"inline", {"PING", "SET", "GET", "ECHO"}},
        {"big_value", {"SET", "GET"}},
        {"cli_resp3_subscribe", {"HELLO", "SUBSCRIBE"}},
    };
    return k;
}

TEST(RedisHandler, CapturedSessionsBothSidesAnySplit)
{
    for (const auto& e : expectations()) {
        auto recs = load_session(e.session);
        ASSERT_FALSE(recs.empty()) << e.session;
        for (bool server : {false, true}) {
            for (unsigned seed : {0u, 1u, 2u, 3u}) {
                Conn c(server);
                c.replay(recs, seed);
                EXPECT_EQ(c.ops(), e.ops) << e.session << (server ? " server" : " client") << " seed " << seed;
                EXPECT_EQ(c.counters.parse_errors, 0u) << e.session;
                // One call per record: replies bigger than the capture (COMMAND DOCS) lose their framing.
                bool big = false;
                for (const auto& r : recs) big = big || r.data.size() > c.capture;
                if (seed != 0 || !big) {
                    EXPECT_EQ(c.counters.lost_sync, 0u) << e.session;
                }
                EXPECT_EQ(c.counters.orphan_responses, 0u) << e.session;
                for (const auto& s : c.sink.spans) {
                    EXPECT_EQ(s.type, server ? SpanType::RedisServer : SpanType::RedisClient);
                    EXPECT_EQ(s.db_system, "redis");
                    EXPECT_EQ(s.host_port, 6379);
                    EXPECT_EQ(s.peer_port, 50000);
                    EXPECT_LE(s.request_start_ns, s.end_ns);
                    EXPECT_EQ(s.pid, 42u);
                }
            }
        }
    }
}

TEST(RedisHandler, SpanFields)
{
    Conn c(false);
    c.replay(load_session("cli_set"));
    ASSERT_EQ(c.sink.spans.size(), 1u);
    const Span& s = c.sink.spans[0];
    EXPECT_EQ(s.name(), "SET");
    EXPECT_EQ(s.statement, "SET beyla rocks");
    EXPECT_EQ(s.db_namespace, "0");
    EXPECT_FALSE(s.error);
    EXPECT_EQ(s.kind(), SpanKind::Client);
    EXPECT_EQ(s.status_code(), StatusCode::Unset);
    EXPECT_EQ(s.host, "127.0.0.1");
    EXPECT_GT(s.end_ns, s.request_start_ns);  // ends at the reply
}

TEST(RedisHandler, ErrorsCarryTheirPrefix)
{
    Conn c(false);
    c.replay(load_session("py_errors"));
    ASSERT_EQ(c.sink.spans.size(), 3u);
    EXPECT_TRUE(c.sink.spans[0].error);
    EXPECT_EQ(c.sink.spans[0].error_code, "WRONGTYPE");
    EXPECT_EQ(c.sink.spans[0].error_message, "WRONGTYPE Operation against a key holding the wrong kind of value");
    EXPECT_EQ(c.sink.spans[0].status_code(), StatusCode::Error);
    EXPECT_EQ(c.sink.spans[1].error_code, "ERR");  // unknown command
    EXPECT_EQ(c.sink.spans[2].error_code, "ERR");  // wrong number of arguments
    EXPECT_EQ(c.sink.spans[1].statement, "NOSUCHCMD a");
}

TEST(RedisHandler, PipelineOneSpanPerCommandInOrder)
{
    Conn c(false);
    c.replay(load_session("py_pipeline"));
    ASSERT_EQ(c.sink.spans.size(), 21u);
    for (int i = 0; i < 10; i++) {
        EXPECT_EQ(c.sink.spans[2 * i].operation, "SET");
        EXPECT_EQ(c.sink.spans[2 * i].statement, "SET key:" + std::to_string(i) + " value-" + std::to_string(i));
        EXPECT_EQ(c.sink.spans[2 * i + 1].statement, "GET key:" + std::to_string(i));
        EXPECT_FALSE(c.sink.spans[2 * i + 1].error);
    }
    EXPECT_EQ(c.sink.spans[20].operation, "INCRBY");  // redis-py sends INCR as INCRBY k 1
    EXPECT_TRUE(c.sink.spans[20].error);
    EXPECT_EQ(c.counters.spans, 21u);
}

TEST(RedisHandler, RedisCliPipeMode)
{
    Conn c(false);
    c.replay(load_session("cli_pipe"));
    ASSERT_EQ(c.sink.spans.size(), 21u);
    EXPECT_EQ(c.sink.spans[0].statement, "SET pk0 v");
    EXPECT_EQ(c.sink.spans[20].operation, "ECHO");  // redis-cli --pipe's end marker (20 random bytes)
}

TEST(RedisHandler, SelectSetsNamespace)
{
    Conn c(true);
    c.replay(load_session("cli_select"));
    ASSERT_EQ(c.sink.spans.size(), 2u);
    EXPECT_EQ(c.sink.spans[0].db_namespace, "2");
    EXPECT_EQ(c.sink.spans[1].db_namespace, "2");
    // A failed SELECT keeps the database.
    Conn d(false);
    d.call('C', "*2\r\n$6\r\nSELECT\r\n$3\r\n999\r\n");
    d.call('S', "-ERR DB index is out of range\r\n");
    d.call('C', "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    d.call('S', "$-1\r\n");
    ASSERT_EQ(d.sink.spans.size(), 2u);
    EXPECT_EQ(d.sink.spans[1].db_namespace, "0");
    // RESET goes back to 0.
    d.call('C', "*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n*1\r\n$5\r\nRESET\r\n*1\r\n$4\r\nPING\r\n");
    d.call('S', "+OK\r\n+RESET\r\n+PONG\r\n");
    ASSERT_EQ(d.sink.spans.size(), 5u);
    EXPECT_EQ(d.sink.spans[2].db_namespace, "5");
    EXPECT_EQ(d.sink.spans[4].db_namespace, "0");
}

TEST(RedisHandler, PubSubDeliveriesProduceNoSpans)
{
    for (bool server : {false, true}) {
        Conn c(server);
        c.replay(load_session("py_pubsub"));
        // SUBSCRIBE news sport (2 confirmations), PSUBSCRIBE, PING (pong in subscribe mode), UNSUBSCRIBE (all),
        // PUNSUBSCRIBE; the messages between them are deliveries.
        EXPECT_EQ(c.ops(), (std::vector<std::string>{"SUBSCRIBE", "PSUBSCRIBE", "PING", "UNSUBSCRIBE", "PUNSUBSCRIBE"}));
        EXPECT_EQ(c.counters.orphan_responses, 0u);
        // After leaving subscribe mode, normal pairing again.
        c.call('C', "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
        c.call('S', "*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n");  // an array reply that merely looks like one
        ASSERT_EQ(c.sink.spans.size(), 6u);
        EXPECT_EQ(c.sink.spans[5].operation, "GET");
    }
}

TEST(RedisHandler, Resp3PushesAreNotReplies)
{
    Conn c(false);
    c.replay(load_session("cli_resp3_subscribe"));
    EXPECT_EQ(c.ops(), (std::vector<std::string>{"HELLO", "SUBSCRIBE"}));
    // DEBUG PROTOCOL push: a push, then the real reply.
    Conn d(false);
    d.call('C', "*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$4\r\npush\r\n*1\r\n$4\r\nPING\r\n");
    d.call('S', ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n");
    d.call('S', ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nx\r\n+PONG\r\n");
    EXPECT_EQ(d.ops(), (std::vector<std::string>{"DEBUG PROTOCOL", "PING"}));
    EXPECT_EQ(d.counters.orphan_responses, 0u);
}

TEST(RedisHandler, MonitorFeedIsIgnored)
{
    Conn c(false);
    c.replay(load_session("cli_monitor"));
    EXPECT_EQ(c.ops(), (std::vector<std::string>{"MONITOR"}));
    EXPECT_EQ(c.counters.orphan_responses, 0u);
    c.call('C', "*1\r\n$5\r\nRESET\r\n");
    c.call('S', "+1796418919.5 [0 127.0.0.1:1] \"GET\" \"x\"\r\n+RESET\r\n");
    c.call('C', "*1\r\n$4\r\nPING\r\n");
    c.call('S', "+PONG\r\n");
    EXPECT_EQ(c.ops(), (std::vector<std::string>{"MONITOR", "RESET", "PING"}));
}

TEST(RedisHandler, ClientReplyOffAndSkip)
{
    Conn c(false);
    c.call('C', "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\nb\r\n");
    EXPECT_EQ(c.ops(), (std::vector<std::string>{"CLIENT REPLY", "SET"}));  // no replies will come
    c.call('C', "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n");
    c.call('S', "+OK\r\n");
    c.call('C', "*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
    c.call('S', "+PONG\r\n");
    EXPECT_EQ(c.ops(), (std::vector<std::string>{"CLIENT REPLY", "SET", "CLIENT REPLY", "CLIENT REPLY", "PING", "PING"}));
    EXPECT_EQ(c.counters.orphan_responses, 0u);
}

TEST(RedisHandler, BigValuesAcrossHoles)
{
    for (bool server : {false, true}) {
        Conn c(server);
        std::string value(100000, 'v');
        std::string set = "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$100000\r\n" + value + "\r\n";
        // Sent in 3 calls, each captured only 2048 bytes.
        c.call('C', std::string_view(set).substr(0, 40000));
        c.call('C', std::string_view(set).substr(40000, 40000));
        c.call('C', std::string_view(set).substr(80000));
        c.call('S', "+OK\r\n");
        c.call('C', "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n");
        c.call('S', "$100000\r\n" + value + "\r\n");
        c.call('C', "*1\r\n$4\r\nPING\r\n");
        c.call('S', "+PONG\r\n");
        EXPECT_EQ(c.ops(), (std::vector<std::string>{"SET", "GET", "PING"}));
        EXPECT_EQ(c.counters.lost_sync, 0u);
        // The statement keeps the start of the value, bounded.
        EXPECT_LE(c.sink.spans[0].statement.size(), 1024u);
        EXPECT_EQ(c.sink.spans[0].statement.substr(0, 12), "SET big vvvv");
    }
}

TEST(RedisHandler, HugePipelineBeyondCaptureLosesOnlyTheUncapturedPart)
{
    Conn c(false);
    std::string req, rep;
    for (int i = 0; i < 1000; i++) {
        std::string k = "key:" + std::to_string(i);
        req += "*2\r\n$3\r\nGET\r\n$" + std::to_string(k.size()) + "\r\n" + k + "\r\n";
        rep += "$5\r\nvalue\r\n";
    }
    c.call('C', req);  // one write: 2048 bytes captured, the rest a hole
    c.call('S', rep);
    size_t first = c.sink.spans.size();
    EXPECT_GT(first, 50u);
    EXPECT_LT(first, 1000u);
    for (size_t i = 0; i < first; i++) EXPECT_EQ(c.sink.spans[i].statement, "GET key:" + std::to_string(i));
    // The next exchange pairs again.
    c.call('C', "*1\r\n$4\r\nPING\r\n");
    c.call('S', "+PONG\r\n");
    ASSERT_EQ(c.sink.spans.size(), first + 1);
    EXPECT_EQ(c.sink.spans.back().operation, "PING");
    EXPECT_FALSE(c.sink.spans.back().error);
}

TEST(RedisHandler, ServerReadsAPipelineInPiecesBeyondCapture)
{
    // redis-server reads a 600-command pipeline 16 KB at a time (2048 bytes of each read captured) and
    // answers each read's commands before the next read, which starts in the middle of a command.
    Conn c(true);
    std::string req, rep;
    std::vector<size_t> ends;  // where each command ends
    for (int i = 0; i < 300; i++) {
        std::string k = "p:" + std::to_string(i);
        req += "*3\r\n$3\r\nSET\r\n$" + std::to_string(k.size()) + "\r\n" + k + "\r\n$1\r\nv\r\n";
        ends.push_back(req.size());
        req += "*2\r\n$3\r\nGET\r\n$5\r\nnokey\r\n";
        ends.push_back(req.size());
    }
    size_t first = 16384;
    size_t done1 = std::count_if(ends.begin(), ends.end(), [&](size_t e) { return e <= first; });
    auto replies = [](size_t from, size_t to) {
        std::string r;
        for (size_t i = from; i < to; i++) r += i % 2 == 0 ? "+OK\r\n" : "$-1\r\n";
        return r;
    };
    c.call('C', std::string_view(req).substr(0, first));
    c.call('S', replies(0, done1));
    c.call('C', std::string_view(req).substr(first));
    c.call('S', replies(done1, 600));
    c.call('C', "*2\r\n$4\r\nECHO\r\n$5\r\nafter\r\n");
    c.call('S', "$5\r\nafter\r\n");
    auto ops = c.ops();
    ASSERT_GE(ops.size(), 20u);
    EXPECT_EQ(ops.back(), "ECHO");
    ops.pop_back();
    for (size_t i = 0; i < ops.size(); i++) EXPECT_EQ(ops[i], i % 2 == 0 ? "SET" : "GET") << i;
    for (size_t i = 0; i + 1 < c.sink.spans.size(); i++)
        EXPECT_EQ(c.sink.spans[i].statement, i % 2 == 0 ? "SET p:" + std::to_string(i / 2) + " v" : "GET nokey") << i;
}

TEST(RedisHandler, BigArrayReplyBeyondCapture)
{
    Conn c(false);
    std::string rep = "*2000\r\n";
    for (int i = 0; i < 2000; i++) rep += "$6\r\nmember\r\n";
    c.call('C', "*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n");
    c.call('S', rep);
    ASSERT_EQ(c.sink.spans.size(), 1u);
    EXPECT_EQ(c.sink.spans[0].operation, "LRANGE");
    c.call('C', "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    c.call('S', "$1\r\nv\r\n");
    EXPECT_EQ(c.ops(), (std::vector<std::string>{"LRANGE", "GET"}));
}

TEST(RedisHandler, LostEventsResynchronise)
{
    Conn c(false);
    c.call('C', "*2\r\n$3\r\nGET\r\n$1\r\na\r\n");
    c.h->on_gap();
    c.call('S', "$1\r\n1\r\n");  // the reply of a command we no longer track
    c.call('C', "*2\r\n$3\r\nGET\r\n$1\r\nb\r\n");
    c.call('S', "$1\r\n2\r\n");
    ASSERT_EQ(c.ops(), (std::vector<std::string>{"GET"}));
    EXPECT_EQ(c.sink.spans[0].statement, "GET b");
    EXPECT_EQ(c.counters.lost_sync, 1u);
    EXPECT_EQ(c.counters.unanswered, 1u);
}

TEST(RedisHandler, GarbageIsCountedNotSpanned)
{
    Conn c(false);
    c.call('C', std::string("\x16\x03\x01\x02\x00\x01", 6));
    c.call('S', "garbage\r\n");
    EXPECT_TRUE(c.sink.spans.empty());
    EXPECT_GE(c.counters.parse_errors, 1u);
    c.call('C', "*1\r\n$4\r\nPING\r\n");
    c.call('S', "+PONG\r\n");
    EXPECT_EQ(c.ops(), (std::vector<std::string>{"PING"}));
}

TEST(RedisHandler, AuthPasswordNeverInStatement)
{
    Conn c(false);
    c.call('C', "*3\r\n$4\r\nAUTH\r\n$4\r\nuser\r\n$6\r\nsecret\r\n*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$2\r\npw\r\n");
    c.call('S', "+OK\r\n-NOPROTO sorry\r\n");
    ASSERT_EQ(c.sink.spans.size(), 2u);
    EXPECT_EQ(c.sink.spans[0].statement, "AUTH ? ?");
    EXPECT_EQ(c.sink.spans[1].statement, "HELLO 3 AUTH ? ?");
    EXPECT_EQ(c.sink.spans[1].error_code, "NOPROTO");
}

TEST(RedisHandler, ClientCallsAreChildrenOfTheKernelParent)
{
    obi_trace_ctx k{};
    for (int i = 0; i < 16; i++) k.trace_id[i] = static_cast<uint8_t>(i + 1);
    for (int i = 0; i < 8; i++) k.span_id[i] = static_cast<uint8_t>(0x40 + i);
    for (int i = 0; i < 8; i++) k.parent_span_id[i] = static_cast<uint8_t>(0x70 + i);
    k.flags = 1;
    k.valid = 1;
    Conn c(false);
    c.call('C', "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", &k);
    c.call('S', "+PONG\r\n+PONG\r\n");
    ASSERT_EQ(c.sink.spans.size(), 2u);
    for (const auto& s : c.sink.spans) {
        EXPECT_EQ(s.trace_id.bytes[0], 1);
        EXPECT_EQ(s.parent_span_id.bytes[0], 0x70);
    }
    EXPECT_EQ(c.sink.spans[0].span_id.bytes[0], 0x40);
    EXPECT_NE(c.sink.spans[0].span_id, c.sink.spans[1].span_id);
}

// -------------------------------------------------------------------------- via the tracker
// One socket call of a Redis connection (pid 9, port 41000 <-> 6379) as the kernel reports it.
void tracker_call(ConnTracker& t, uint8_t role, bool to_server, std::string_view data, uint32_t seq, uint64_t ts,
                  bool msg_start)
{
    std::vector<uint8_t> rec(sizeof(obi_data_event) + data.size());
    auto* ev = reinterpret_cast<obi_data_event*>(rec.data());
    ev->kind = OBI_EV_DATA;
    ev->direction = (to_server == (role == OBI_ROLE_SERVER)) ? OBI_DIR_INGRESS : OBI_DIR_EGRESS;
    ev->role = role;
    ev->flags = msg_start ? OBI_DF_MSG_START : 0;
    ev->pid = 9;
    ev->tid = 9;
    ev->seq = seq;
    ev->captured_len = data.size();
    ev->bytes = static_cast<int64_t>(data.size());
    ev->ts_ns = ts;
    ev->sock_id = 5;
    ev->conn_id = 6;
    ev->tuple.local_port = role == OBI_ROLE_SERVER ? 6379 : 41000;
    ev->tuple.remote_port = role == OBI_ROLE_SERVER ? 41000 : 6379;
    std::memcpy(ev->data, data.data(), data.size());
    t.on_record(rec.data(), rec.size());
}

TEST(RedisHandler, TrackerDetectsAndTracesBothSides)
{
    for (uint8_t role : {uint8_t(OBI_ROLE_CLIENT), uint8_t(OBI_ROLE_SERVER)}) {
        Collect sink;
        ConnTracker t(TrackerOptions{}, sink, std::vector<ProtocolDef>{redis::protocol_def()});
        uint32_t seq = 0;
        std::optional<bool> last;
        for (const auto& r : load_session("py_transaction")) {
            bool to_server = r.dir == 'C';
            tracker_call(t, role, to_server, r.data, seq, 1000 * (seq + 1), last != to_server);
            seq++;
            last = to_server;
        }
        ASSERT_EQ(sink.spans.size(), 5u);
        EXPECT_EQ(sink.spans[4].operation, "EXEC");
        EXPECT_EQ(sink.spans[0].type, role == OBI_ROLE_SERVER ? SpanType::RedisServer : SpanType::RedisClient);
        EXPECT_EQ(sink.spans[0].host_port, 6379);
    }
}

// An inline PING alone does not tell Redis from other text protocols; its +PONG does, and the
// PING before it is not lost (redis-benchmark's PING_INLINE, `echo PING | nc` health checks).
TEST(RedisHandler, TrackerKeepsTheInlineRequestItsReplyDetected)
{
    for (uint8_t role : {uint8_t(OBI_ROLE_CLIENT), uint8_t(OBI_ROLE_SERVER)}) {
        Collect sink;
        ConnTracker t(TrackerOptions{}, sink, std::vector<ProtocolDef>{redis::protocol_def()});
        for (uint32_t seq = 0; seq < 6; seq++)
            tracker_call(t, role, seq % 2 == 0, seq % 2 == 0 ? "PING\r\n" : "+PONG\r\n", seq, 1000 * (seq + 1), true);
        ASSERT_EQ(sink.spans.size(), 3u);
        for (const auto& s : sink.spans) EXPECT_EQ(s.operation, "PING");
        EXPECT_EQ(sink.spans[0].request_start_ns, 1000u);  // the replayed request's own time
    }
}

}  // namespace

namespace {

// A command as redis-py and ioredis put it on the wire: an array of bulk strings.
std::string resp_command(const std::vector<std::string>& args)
{
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return out;
}

std::vector<std::string> rpush_args(int n)
{
    std::vector<std::string> v = {"RPUSH", "biglist"};
    for (int i = 0; i < n; i++) v.push_back("item" + std::to_string(i));
    return v;
}

std::vector<std::string> mset_args(int pairs)
{
    std::vector<std::string> v = {"MSET"};
    for (int i = 0; i < pairs; i++) {
        v.push_back("mk" + std::to_string(i));
        v.push_back("v");
    }
    return v;
}

std::vector<std::string> hset_args(int fields)
{
    std::vector<std::string> v = {"HSET", "bighash"};
    for (int i = 0; i < fields; i++) {
        v.push_back("field" + std::to_string(i));
        v.push_back(std::string(50, 'x'));
    }
    return v;
}

// Sends `data` as one client write, or, on the server side, as redis-server reads it (16 KB reads).
void send_command(Conn& c, std::string_view data)
{
    size_t step = c.server ? 16384 : data.size();
    for (size_t pos = 0; pos < data.size(); pos += step) c.call('C', data.substr(pos, step));
}

}  // namespace

// D1: a request bigger than the capture (many arguments, a long key) still gives its span, named
// from its start, paired with its own reply; the next commands pair again.
TEST(RedisHandler, CommandsBiggerThanTheCaptureGetOneSpanEach)
{
    struct Big {
        std::vector<std::string> args;
        const char* op;
        std::string statement_start;
    };
    const std::vector<Big> bigs = {
        {rpush_args(300), "RPUSH", "RPUSH biglist item0 item1"},
        {rpush_args(2000), "RPUSH", "RPUSH biglist item0 item1"},
        {mset_args(400), "MSET", "MSET mk0 v mk1 v"},
        {hset_args(100), "HSET", "HSET bighash field0 xxxx"},
        {{"SET", std::string(3000, 'K'), "v"}, "SET", "SET KKKK"},
    };
    for (bool server : {false, true}) {
        for (size_t b = 0; b < bigs.size(); b++) {
            Conn c(server);
            std::string big = resp_command(bigs[b].args);
            ASSERT_GT(big.size(), c.capture);
            c.call('C', resp_command({"PING"}));
            c.call('S', "+PONG\r\n");
            send_command(c, big);
            c.call('S', "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");  // tells pairings apart
            c.call('C', resp_command({"GET", "k"}));
            c.call('S', "$1\r\nv\r\n");
            c.call('C', resp_command({"ECHO", "after"}));
            c.call('S', "$5\r\nafter\r\n");
            const std::string what = std::string(bigs[b].op) + " #" + std::to_string(b) + (server ? " server" : " client");
            ASSERT_EQ(c.ops(), (std::vector<std::string>{"PING", bigs[b].op, "GET", "ECHO"})) << what;
            const Span& s = c.sink.spans[1];
            EXPECT_TRUE(s.error) << what;
            EXPECT_EQ(s.error_code, "WRONGTYPE") << what;
            EXPECT_EQ(s.statement.substr(0, bigs[b].statement_start.size()), bigs[b].statement_start) << what;
            EXPECT_LE(s.statement.size(), 1024u) << what;
            EXPECT_FALSE(c.sink.spans[2].error) << what;
            EXPECT_FALSE(c.sink.spans[3].error) << what;
            EXPECT_EQ(c.counters.orphan_responses, 0u) << what;
        }
    }
}

// Every capture size of a big command followed in the same write by a GET: a span for the big
// command as soon as its name is captured, the GET's span only when its framing is known, never a
// mispaired one; the next exchange always pairs.
TEST(RedisHandler, EveryCaptureOfABigCommandNeverMispairs)
{
    const std::string big = resp_command(mset_args(20));
    const std::string get = resp_command({"GET", "k"});
    const size_t named = std::string("*41\r\n$4\r\nMSET").size();  // its name's bytes are captured
    const size_t get_named = big.size() + std::string("*2\r\n$3\r\nGET").size();  // (the tail has the rest)
    for (size_t cap = 1; cap <= big.size() + get.size(); cap++) {
        for (bool server : {false, true}) {
            Conn c(server);
            c.capture = cap;
            c.call('C', big + get);
            c.call('S', "-ERR mset failed\r\n$1\r\nv\r\n");
            c.capture = 2048;
            c.call('C', resp_command({"ECHO", "after"}));
            c.call('S', "$5\r\nafter\r\n");
            const std::string what = "capture " + std::to_string(cap) + (server ? " server" : " client");
            auto ops = c.ops();
            ASSERT_FALSE(ops.empty()) << what;
            EXPECT_EQ(ops.back(), "ECHO") << what;
            EXPECT_FALSE(c.sink.spans.back().error) << what;
            std::vector<std::string> want;
            if (cap >= named) want.push_back("MSET");
            if (cap >= get_named || cap + OBI_TAIL_LEN >= big.size() + get.size()) want.push_back("GET");  // or whole
            want.push_back("ECHO");
            EXPECT_EQ(ops, want) << what;
            EXPECT_EQ(c.counters.orphan_responses, 0u) << what;
            for (const auto& s : c.sink.spans) EXPECT_EQ(s.error, s.operation == "MSET") << what << " " << s.operation;
        }
    }
}

// The call's last bytes (the tail) complete the framing after a long key: nothing is lost, and a
// GET pipelined in the next write of the same burst keeps its span.
TEST(RedisHandler, TailCompletesACommandWithALongKey)
{
    for (bool server : {false, true}) {
        Conn c(server);
        std::string set = resp_command({"SET", std::string(3000, 'K'), "v"});
        c.call('C', set);
        c.call('C', resp_command({"GET", "k"}));
        c.call('S', "+OK\r\n$1\r\nv\r\n");
        EXPECT_EQ(c.counters.lost_sync, 0u);
        ASSERT_EQ(c.ops(), (std::vector<std::string>{"SET", "GET"}));
        EXPECT_EQ(c.sink.spans[0].statement.substr(0, 8), "SET KKKK");
        EXPECT_LE(c.sink.spans[0].statement.size(), 1024u);
    }
}

// D2: a SELECT queued in MULTI changes the database only when EXEC runs it and it succeeds.
TEST(RedisHandler, QueuedSelectTakesEffectOnlyWhenExecRunsIt)
{
    for (bool server : {false, true}) {
        Conn c(server);
        auto exchange = [&](const std::vector<std::string>& cmd, const std::string& reply) {
            c.call('C', resp_command(cmd));
            c.call('S', reply);
        };
        auto last_db = [&] { return c.sink.spans.back().db_namespace; };
        // MULTI / SELECT 7 / DISCARD
        exchange({"MULTI"}, "+OK\r\n");
        exchange({"SELECT", "7"}, "+QUEUED\r\n");
        exchange({"DISCARD"}, "+OK\r\n");
        exchange({"GET", "k"}, "$-1\r\n");
        EXPECT_EQ(last_db(), "0");
        // WATCH aborts the transaction: EXEC answers a null array.
        exchange({"WATCH", "wk"}, "+OK\r\n");
        exchange({"MULTI"}, "+OK\r\n");
        exchange({"SELECT", "8"}, "+QUEUED\r\n");
        exchange({"EXEC"}, "*-1\r\n");
        exchange({"GET", "k"}, "$-1\r\n");
        EXPECT_EQ(last_db(), "0");
        // RESP3 null: the same.
        exchange({"MULTI"}, "+OK\r\n");
        exchange({"SELECT", "8"}, "+QUEUED\r\n");
        exchange({"EXEC"}, "_\r\n");
        exchange({"GET", "k"}, "$-1\r\n");
        EXPECT_EQ(last_db(), "0");
        // EXECABORT (a command refused while queueing).
        exchange({"MULTI"}, "+OK\r\n");
        exchange({"SELECT", "8"}, "+QUEUED\r\n");
        exchange({"NOSUCH"}, "-ERR unknown command 'NOSUCH', with args beginning with: \r\n");
        exchange({"EXEC"}, "-EXECABORT Transaction discarded because of previous errors.\r\n");
        exchange({"GET", "k"}, "$-1\r\n");
        EXPECT_EQ(last_db(), "0");
        // EXEC runs it, but the SELECT itself fails.
        exchange({"MULTI"}, "+OK\r\n");
        exchange({"SET", "a", "1"}, "+QUEUED\r\n");
        exchange({"SELECT", "99"}, "+QUEUED\r\n");
        exchange({"EXEC"}, "*2\r\n+OK\r\n-ERR DB index is out of range\r\n");
        exchange({"GET", "k"}, "$-1\r\n");
        EXPECT_EQ(last_db(), "0");
        // EXEC runs it and it succeeds: the next commands are in db 9 (the last successful SELECT).
        exchange({"MULTI"}, "+OK\r\n");
        exchange({"SELECT", "5"}, "+QUEUED\r\n");
        exchange({"SET", "a", "1"}, "+QUEUED\r\n");
        exchange({"SELECT", "9"}, "+QUEUED\r\n");
        exchange({"INCR", "a"}, "+QUEUED\r\n");
        exchange({"EXEC"}, "*4\r\n+OK\r\n+OK\r\n+OK\r\n:2\r\n");
        exchange({"GET", "k"}, "$-1\r\n");
        EXPECT_EQ(last_db(), "9");
        // Pipelined the way redis-py sends a transaction: one write, one read.
        c.call('C', resp_command({"MULTI"}) + resp_command({"SELECT", "3"}) + resp_command({"EXEC"}));
        c.call('S', "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n");
        exchange({"GET", "k"}, "$-1\r\n");
        EXPECT_EQ(last_db(), "3");
        c.call('C', resp_command({"MULTI"}) + resp_command({"SELECT", "4"}) + resp_command({"DISCARD"}));
        c.call('S', "+OK\r\n+QUEUED\r\n+OK\r\n");
        exchange({"GET", "k"}, "$-1\r\n");
        EXPECT_EQ(last_db(), "3");
        EXPECT_EQ(c.counters.orphan_responses, 0u);
    }
}

// D3: one token per argument in db.query.text, whatever the argument holds; no raw control bytes.
TEST(RedisHandler, ArgumentsKeepTheirBoundaries)
{
    Conn c(false);
    c.call('C', resp_command({"SET", "k sp", "secret one two"}));
    c.call('C', resp_command({"APPEND", "k\r\nSECRET", "SECRETVAL9"}));
    c.call('C', resp_command({"SET", "q\"k", "a\tb\x01"}));
    c.call('C', resp_command({"AUTH", "user name", "pass word"}));
    c.call('S', "+OK\r\n:10\r\n+OK\r\n+OK\r\n");
    ASSERT_EQ(c.sink.spans.size(), 4u);
    EXPECT_EQ(c.sink.spans[0].statement, "SET \"k sp\" \"secret one two\"");
    EXPECT_EQ(c.sink.spans[1].statement, "APPEND \"k\\r\\nSECRET\" SECRETVAL9");
    EXPECT_EQ(c.sink.spans[2].statement, "SET \"q\\\"k\" \"a\\tb\\x01\"");
    EXPECT_EQ(c.sink.spans[3].statement, "AUTH ? ?");
    for (const auto& s : c.sink.spans)
        for (char ch : s.statement) EXPECT_GE(static_cast<unsigned char>(ch), 0x20u) << s.statement;
    EXPECT_EQ(redis::sanitize(c.sink.spans[0].statement), "SET \"k sp\" ?");
    EXPECT_EQ(redis::sanitize(c.sink.spans[1].statement), "APPEND \"k\\r\\nSECRET\" ?");
    EXPECT_EQ(redis::sanitize(c.sink.spans[2].statement), "SET \"q\\\"k\" ?");
}
