// RespScanner: every RESP2/RESP3 type (bytes captured from redis-server 7.0.15, see
// tests/data/corpus/redis/README.txt, plus the spec's streamed types that Redis never sends),
// every prefix needing more bytes, every two-way and random split, holes in bulk payloads,
// invalid input, bounds, and the replies of every captured session.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "protocols/redis/resp_scanner.h"

using namespace obi::redis;

namespace {

struct Got {
    char type;
    int64_t count;
    bool null;
    std::string text;
    std::vector<std::string> args;
};

struct Collect final : RespVisitor {
    std::vector<Got> msgs;
    size_t begins = 0;
    void on_begin(uint64_t) override { begins++; }
    void on_message(const RespMessage& m, uint64_t) override
    {
        Got g{m.type, m.count, m.null, std::string(m.text), {}};
        for (size_t i = 0; i < m.nargs; i++) g.args.emplace_back(m.arg(i));
        msgs.push_back(std::move(g));
    }
};

RespScanner::Result feed_all(RespScanner& s, std::string_view bytes, Collect& c)
{
    return s.feed(bytes, bytes.size(), c);
}

struct Case {
    const char* what;
    std::string bytes;
    char type;
    int64_t count;
    std::string text;
    std::vector<std::string> args;
};

// Replies captured from redis-server 7.0.15 (raw_resp3_types, cli_resp3_smembers_zscore,
// py_pipeline, py_transaction, py_pubsub, cli_wrongtype sessions).
const std::vector<Case>& replies()
{
    static const std::vector<Case> k = {
        {"simple", "+OK\r\n", '+', -1, "OK", {}},
        {"error", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", '-', -1,
         "WRONGTYPE Operation against a key holding the wrong kind of value", {}},
        {"integer", ":12345\r\n", ':', -1, "12345", {}},
        {"negative integer", ":-1\r\n", ':', -1, "-1", {}},
        {"bulk", "$11\r\nHello World\r\n", '$', -1, "Hello World", {}},
        {"empty bulk", "$0\r\n\r\n", '$', -1, "", {}},
        {"null bulk", "$-1\r\n", '$', -1, "", {}},
        {"null array", "*-1\r\n", '*', -1, "", {}},
        {"resp3 null", "_\r\n", '_', -1, "", {}},
        {"double", ",3.141\r\n", ',', -1, "3.141", {}},
        {"double inf", ",-inf\r\n", ',', -1, "-inf", {}},
        {"bignum", "(1234567999999999999999999999999999999\r\n", '(', -1, "1234567999999999999999999999999999999", {}},
        {"true", "#t\r\n", '#', -1, "t", {}},
        {"false", "#f\r\n", '#', -1, "f", {}},
        {"verbatim", "=29\r\ntxt:This is a verbatim\nstring\r\n", '=', -1, "txt:This is a verbatim\nstring", {}},
        {"blob error", "!21\r\nSYNTAX invalid syntax\r\n", '!', -1, "SYNTAX invalid syntax", {}},
        {"array", "*3\r\n:0\r\n:1\r\n:2\r\n", '*', 3, "", {"0", "1", "2"}},
        {"empty array", "*0\r\n", '*', 0, "", {}},
        {"set", "~2\r\n$1\r\nb\r\n$1\r\na\r\n", '~', 2, "", {"b", "a"}},
        {"map", "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n", '%', 3, "", {"0", "f", "1", "t", "2", "f"}},
        {"attribute then reply",
         "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the "
         "attribute\r\n",
         '$', -1, "Some real reply following the attribute", {}},
        {"attribute inside array", "*2\r\n|1\r\n+ttl\r\n:3600\r\n$1\r\na\r\n:7\r\n", '*', 2, "", {"a", "7"}},
        {"push", ">3\r\n$7\r\nmessage\r\n$3\r\nch3\r\n$6\r\npushed\r\n", '>', 3, "", {"message", "ch3", "pushed"}},
        {"pubsub confirmation", "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n", '*', 3, "", {"subscribe", "news", "1"}},
        {"exec", "*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n", '*', 3, "", {"OK", "2", "2"}},
        {"nested", "*2\r\n*2\r\n:1\r\n:2\r\n$1\r\nx\r\n", '*', 2, "", {"", "x"}},
        {"hello map",
         "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:11\r\n"
         "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n",
         '%', 7, "", {"server", "redis", "version", "7.0.15", "proto", "3", "id", "11", "mode", "standalone", "role", "master", "modules", ""}},
        // RESP3 streamed types (in the spec; Redis 7 never sends them).
        {"streamed string", "$?\r\n;4\r\nHell\r\n;6\r\no worl\r\n;1\r\nd\r\n;0\r\n", '$', -1, "Hello world", {}},
        {"streamed array", "*?\r\n:1\r\n$2\r\nab\r\n.\r\n", '*', -1, "", {"1", "ab"}},
        {"streamed map", "%?\r\n+a\r\n:1\r\n.\r\n", '%', -1, "", {"a", "1"}},
        {"streamed string in array", "*1\r\n$?\r\n;2\r\nab\r\n;0\r\n", '*', 1, "", {"ab"}},
    };
    return k;
}

void expect_case(const Case& c, const Collect& col)
{
    ASSERT_EQ(col.msgs.size(), 1u) << c.what;
    const Got& g = col.msgs[0];
    EXPECT_EQ(g.type, c.type) << c.what;
    EXPECT_EQ(g.count, c.count) << c.what;
    EXPECT_EQ(g.text, c.text) << c.what;
    EXPECT_EQ(g.args, c.args) << c.what;
}

TEST(RedisResp, EveryTypeParsesToOneValue)
{
    for (const auto& c : replies()) {
        RespScanner s;
        Collect col;
        ASSERT_EQ(feed_all(s, c.bytes, col), RespScanner::Result::Ok) << c.what;
        expect_case(c, col);
        EXPECT_FALSE(s.in_message()) << c.what;
        EXPECT_EQ(col.begins, 1u) << c.what;
    }
}

TEST(RedisResp, NullsAreFlagged)
{
    for (std::string b : {"$-1\r\n", "*-1\r\n", "_\r\n"}) {
        RespScanner s;
        Collect col;
        feed_all(s, b, col);
        ASSERT_EQ(col.msgs.size(), 1u);
        EXPECT_TRUE(col.msgs[0].null) << b;
    }
}

TEST(RedisResp, EveryPrefixNeedsMore)
{
    for (const auto& c : replies()) {
        for (size_t n = 0; n < c.bytes.size(); n++) {
            RespScanner s;
            Collect col;
            ASSERT_EQ(feed_all(s, c.bytes.substr(0, n), col), RespScanner::Result::Ok) << c.what << " prefix " << n;
            EXPECT_TRUE(col.msgs.empty()) << c.what << " prefix " << n;
            EXPECT_EQ(s.in_message(), n > 0) << c.what << " prefix " << n;
        }
    }
}

TEST(RedisResp, EveryTwoWaySplit)
{
    for (const auto& c : replies()) {
        for (size_t n = 1; n < c.bytes.size(); n++) {
            RespScanner s;
            Collect col;
            ASSERT_EQ(feed_all(s, c.bytes.substr(0, n), col), RespScanner::Result::Ok);
            ASSERT_EQ(feed_all(s, c.bytes.substr(n), col), RespScanner::Result::Ok) << c.what << " split " << n;
            expect_case(c, col);
        }
    }
}

TEST(RedisResp, RandomSplitsOfAllRepliesBackToBack)
{
    std::string all;
    for (const auto& c : replies()) all += c.bytes;
    std::mt19937 rng(42);
    for (int round = 0; round < 200; round++) {
        RespScanner s;
        Collect col;
        size_t pos = 0;
        while (pos < all.size()) {
            size_t n = 1 + rng() % 23;
            n = std::min(n, all.size() - pos);
            ASSERT_EQ(feed_all(s, std::string_view(all).substr(pos, n), col), RespScanner::Result::Ok);
            pos += n;
        }
        ASSERT_EQ(col.msgs.size(), replies().size());
        for (size_t i = 0; i < replies().size(); i++) {
            EXPECT_EQ(col.msgs[i].type, replies()[i].type) << replies()[i].what;
            EXPECT_EQ(col.msgs[i].text, replies()[i].text) << replies()[i].what;
            EXPECT_EQ(col.msgs[i].args, replies()[i].args) << replies()[i].what;
        }
    }
}

TEST(RedisResp, BulkPayloadAcrossHoles)
{
    // SET big <100000 x> as redis-py sent it (big_value session), captured 2048 bytes per call.
    std::string value(100000, 'x');
    std::string cmd = "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$100000\r\n" + value + "\r\n";
    RespScanner s(true);
    Collect col;
    size_t pos = 0;
    while (pos < cmd.size()) {  // calls of 30000 bytes, 2048 of each captured
        size_t n = std::min<size_t>(30000, cmd.size() - pos);
        std::string_view call = std::string_view(cmd).substr(pos, n);
        ASSERT_EQ(s.feed(call.substr(0, std::min<size_t>(2048, n)), n, col), RespScanner::Result::Ok);
        pos += n;
    }
    std::string get = "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
    ASSERT_EQ(feed_all(s, get, col), RespScanner::Result::Ok);
    ASSERT_EQ(col.msgs.size(), 2u);
    EXPECT_EQ(col.msgs[0].args.size(), 3u);
    EXPECT_EQ(col.msgs[0].args[0], "SET");
    EXPECT_EQ(col.msgs[1].args[0], "GET");
    // The trailing CRLF of a payload may fall into a hole too.
    RespScanner t;
    Collect c2;
    std::string reply = "$10\r\n0123456789\r\n+OK\r\n";
    ASSERT_EQ(t.feed(std::string_view(reply).substr(0, 8), 17, c2), RespScanner::Result::Ok);
    ASSERT_EQ(t.feed(std::string_view(reply).substr(17), 5, c2), RespScanner::Result::Ok);
    ASSERT_EQ(c2.msgs.size(), 2u);
    EXPECT_EQ(c2.msgs[1].text, "OK");
}

TEST(RedisResp, HoleInFramingIsReported)
{
    RespScanner s;
    Collect col;
    std::string reply = "*3\r\n:1\r\n:2\r\n:3\r\n";
    EXPECT_EQ(s.feed(std::string_view(reply).substr(0, 6), reply.size(), col), RespScanner::Result::Hole);
    EXPECT_TRUE(col.msgs.empty());
    EXPECT_TRUE(s.in_message());
    EXPECT_EQ(s.message_type(), '*');
}

// A command bigger than the capture (RPUSH of 2000 items as redis-py sends it): the framing is lost,
// but partial() tells what it is from its start, for every capture size.
TEST(RedisResp, PartialCommandAfterAHole)
{
    std::string cmd = "*2002\r\n$5\r\nRPUSH\r\n$7\r\nbiglist\r\n";
    for (int i = 0; i < 2000; i++) cmd += "$" + std::to_string(std::to_string(i).size() + 4) + "\r\nitem" + std::to_string(i) + "\r\n";
    for (size_t cap = 0; cap <= 2048; cap++) {
        RespScanner s(true);
        Collect col;
        ASSERT_EQ(s.feed(std::string_view(cmd).substr(0, cap), cmd.size(), col, std::string_view(cmd).substr(cmd.size() - 8)),
                  RespScanner::Result::Hole) << cap;
        EXPECT_TRUE(col.msgs.empty());
        RespMessage m;
        if (cap < 7) {  // "*2002\r\n": an array from here on
            EXPECT_FALSE(s.partial(m)) << cap;
            continue;
        }
        ASSERT_TRUE(s.partial(m)) << cap;
        EXPECT_EQ(m.count, 2002) << cap;
        if (cap >= 11) {  // "*2002\r\n$5\r\n": the name's bytes follow
            ASSERT_GE(m.nargs, 1u) << cap;
            EXPECT_EQ(m.arg(0), std::string("RPUSH").substr(0, cap - 11)) << cap;
            EXPECT_EQ(m.arg_truncated(0), cap < 16) << cap;  // all 5 bytes captured: the name is whole
        }
        if (cap >= 36) {
            ASSERT_GE(m.nargs, 3u) << cap;
            EXPECT_EQ(m.arg(1), "biglist") << cap;
            EXPECT_FALSE(m.arg_truncated(1)) << cap;
        }
        EXPECT_LE(m.nargs, kMaxArgs);
    }
    // A reply in progress is not a command.
    RespScanner r;
    Collect col;
    ASSERT_EQ(r.feed("$100\r\nabc", 50, col), RespScanner::Result::Ok);
    RespMessage m;
    EXPECT_FALSE(r.partial(m));
}

// The call's last bytes complete the framing that follows a hole (a long key, then a short value),
// for every capture size: the command is whole, its key cut to what was captured.
TEST(RedisResp, TailCompletesTheFramingAfterAHole)
{
    const std::string key(3000, 'K');
    const std::string cmd = "*3\r\n$3\r\nSET\r\n$3000\r\n" + key + "\r\n$1\r\nv\r\n";
    const std::string_view tail = std::string_view(cmd).substr(cmd.size() - 8);
    const size_t key_start = cmd.find('K');
    for (size_t cap = key_start; cap <= cmd.size(); cap++) {
        RespScanner s(true);
        Collect col;
        ASSERT_EQ(s.feed(std::string_view(cmd).substr(0, cap), cmd.size(), col, tail), RespScanner::Result::Ok) << cap;
        ASSERT_EQ(col.msgs.size(), 1u) << cap;
        ASSERT_EQ(col.msgs[0].args.size(), 3u) << cap;
        EXPECT_EQ(col.msgs[0].args[0], "SET");
        if (cap <= 2048) {  // beyond, the key fills the text kept per value
            EXPECT_EQ(col.msgs[0].args[2], "v") << cap;
        }
        EXPECT_FALSE(s.in_message());
        ASSERT_EQ(feed_all(s, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", col), RespScanner::Result::Ok);
        ASSERT_EQ(col.msgs.size(), 2u);
    }
    // Without the tail the value's framing is lost.
    RespScanner s(true);
    Collect col;
    EXPECT_EQ(s.feed(std::string_view(cmd).substr(0, 2048), cmd.size(), col), RespScanner::Result::Hole);
    // A tail that contradicts the framing is invalid.
    std::string bad = cmd;
    bad[bad.size() - 6] = '#';
    RespScanner t(true);
    EXPECT_EQ(t.feed(std::string_view(bad).substr(0, 2048), bad.size(), col, std::string_view(bad).substr(bad.size() - 8)),
              RespScanner::Result::Invalid);
}

TEST(RedisResp, InvalidInput)
{
    const std::vector<std::pair<const char*, std::string>> bad = {
        {"unknown type", "?x\r\n"},
        {"bare LF", "+OK\n"},
        {"CR without LF", "+OK\rX"},
        {"bad count", "*abc\r\n"},
        {"negative bulk", "$-2\r\n"},
        {"bulk without CRLF", "$3\r\nabcd\r\n"},
        {"bad integer", ":12a\r\n"},
        {"bad boolean", "#x\r\n"},
        {"bad double", ",1.2.x\r\n"},
        {"null with payload", "_x\r\n"},
        {"short verbatim", "=2\r\nab\r\n"},
        {"chunk outside streamed string", ";3\r\nabc\r\n"},
        {"end outside streamed aggregate", ".\r\n"},
        {"streamed string needs chunks", "$?\r\n+OK\r\n"},
        {"bulk too long", "$9999999999999\r\n"},
        {"count too large", "*99999999999\r\n"},
        {"length with sign", "$+3\r\nabc\r\n"},
        {"empty length", "*\r\n"},
        {"integer too long", ":" + std::string(30, '1') + "\r\n"},
        {"binary", std::string("\x16\x03\x01\x00\xa5", 5)},
    };
    for (const auto& [what, bytes] : bad) {
        RespScanner s;
        Collect col;
        EXPECT_EQ(feed_all(s, bytes, col), RespScanner::Result::Invalid) << what;
        EXPECT_TRUE(col.msgs.empty()) << what;
    }
}

TEST(RedisResp, DepthAndLineAreBounded)
{
    std::string deep;
    for (size_t i = 0; i <= kMaxDepth; i++) deep += "*1\r\n";
    RespScanner s;
    Collect col;
    EXPECT_EQ(feed_all(s, deep, col), RespScanner::Result::Invalid);
    std::string ok;
    for (size_t i = 0; i < kMaxDepth; i++) ok += "*1\r\n";
    ok += ":1\r\n";
    RespScanner t;
    EXPECT_EQ(feed_all(t, ok, col), RespScanner::Result::Ok);
    EXPECT_EQ(col.msgs.size(), 1u);
    // A simple string longer than Redis' own line limit is not RESP.
    RespScanner u;
    Collect c3;
    std::string longline = "+" + std::string(kMaxLine + 1, 'a');
    EXPECT_EQ(feed_all(u, longline, c3), RespScanner::Result::Invalid);
}

TEST(RedisResp, KeptTextIsBounded)
{
    std::string big = "*100\r\n";
    for (int i = 0; i < 100; i++) big += "$100\r\n" + std::string(100, 'a' + i % 26) + "\r\n";
    RespScanner s;
    Collect col;
    ASSERT_EQ(feed_all(s, big, col), RespScanner::Result::Ok);
    ASSERT_EQ(col.msgs.size(), 1u);
    EXPECT_EQ(col.msgs[0].count, 100);
    EXPECT_EQ(col.msgs[0].args.size(), kMaxArgs);
    size_t kept = 0;
    for (const auto& a : col.msgs[0].args) kept += a.size();
    EXPECT_LE(kept, kMaxArgBytes);
}

TEST(RedisResp, InlineCommands)
{
    // inline session: what a raw socket client sent.
    RespScanner s(true);
    Collect col;
    ASSERT_EQ(feed_all(s, "PING\r\nSET inl value\r\nGET inl\r\nECHO \"two words\"\r\n\r\nset 'it''s' x\n", col),
              RespScanner::Result::Invalid);  // 'it''s': a closing quote must end the word
    ASSERT_EQ(col.msgs.size(), 4u);
    EXPECT_EQ(col.msgs[0].type, 'i');
    EXPECT_EQ(col.msgs[0].args, (std::vector<std::string>{"PING"}));
    EXPECT_EQ(col.msgs[1].args, (std::vector<std::string>{"SET", "inl", "value"}));
    EXPECT_EQ(col.msgs[3].args, (std::vector<std::string>{"ECHO", "two words"}));
    RespScanner t(true);
    Collect c2;
    ASSERT_EQ(feed_all(t, "set \"a\\x41\\n\" 'b\\'c'\n", c2), RespScanner::Result::Ok);
    ASSERT_EQ(c2.msgs.size(), 1u);
    EXPECT_EQ(c2.msgs[0].args, (std::vector<std::string>{"set", "aA\n", "b'c"}));
    RespScanner u(true);
    Collect c3;
    EXPECT_EQ(feed_all(u, "SET \"unbalanced\r\n", c3), RespScanner::Result::Invalid);
    RespScanner w(true);
    EXPECT_EQ(feed_all(w, "+OK\r\n", c3), RespScanner::Result::Invalid);  // requests are arrays or inline
}

// ---------------------------------------------------------------------------------- sessions
struct Record {
    char dir;
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

TEST(RedisResp, CapturedSessionsParseCompletely)
{
    // session -> (commands, replies) in the captured bytes.
    const std::vector<std::tuple<const char*, size_t, size_t>> sessions = {
        {"cli_set", 1, 1},           {"cli_get_missing", 1, 1},        {"cli_wrongtype", 1, 1},
        {"cli_select", 2, 2},        {"cli_client_setname", 1, 1},     {"cli_resp3_hgetall", 2, 2},
        {"raw_resp3_types", 14, 15}, {"cli_resp3_smembers_zscore", 6, 6}, {"cli_pipe", 21, 21},
        {"py_pipeline", 21, 21},     {"py_transaction", 5, 5},         {"py_errors", 3, 3},
        {"py_pubsub", 5, 3 + 10 + 4}, {"cli_monitor", 1, 4},           {"inline", 4, 4},
        {"big_value", 2, 2},         {"cli_resp3_subscribe", 2, 3},
    };
    for (const auto& [name, ncmd, nrep] : sessions) {
        auto recs = load_session(name);
        ASSERT_FALSE(recs.empty()) << name;
        RespScanner req(true), resp;
        Collect creq, cresp;
        for (const auto& r : recs) {
            auto res = (r.dir == 'C' ? req : resp).feed(r.data, r.data.size(), r.dir == 'C' ? creq : cresp);
            ASSERT_EQ(res, RespScanner::Result::Ok) << name;
        }
        EXPECT_EQ(creq.msgs.size(), ncmd) << name;
        EXPECT_GE(cresp.msgs.size(), nrep) << name;
        if (std::string(name) != "py_pubsub") {
            EXPECT_EQ(cresp.msgs.size(), nrep) << name;
        }
        EXPECT_FALSE(req.in_message()) << name;
        EXPECT_FALSE(resp.in_message()) << name;
    }
}

}  // namespace
