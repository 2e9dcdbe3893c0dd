// Redis detection: the first bursts captured from redis-cli, redis-py and redis-server
// (tests/data/corpus/redis) are Redis in their direction, every prefix of a command asks for
// more, and other protocols' first bytes (HTTP, memcached, IRC, POP3, NATS, TLS, binary) are not.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "protocols/redis/detect.h"

using namespace obi;
using namespace obi::conntrack;

namespace {

ConnInfo conn(uint8_t role)
{
    ConnInfo c;
    c.kernel_role = role;
    return c;
}

std::string read_file(const std::filesystem::path& p)
{
    std::ifstream f(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string head(std::string s) { return s.substr(0, std::min(s.size(), kMaxDetectBytes)); }

TEST(RedisDetect, CapturedFirstBursts)
{
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(std::string(OBI_TEST_DATA_DIR) + "/corpus/redis")) {
        std::string name = e.path().filename().string();
        bool c2s = name.ends_with(".c2s.bin"), s2c = name.ends_with(".s2c.bin");
        if (!c2s && !s2c) continue;
        files++;
        std::string b = head(read_file(e.path()));
        // Client to server: Egress on the client, Ingress on the server.
        if (c2s) {
            EXPECT_EQ(redis::detect(b, Direction::Egress, conn(OBI_ROLE_CLIENT)), Detection::Yes) << name;
            EXPECT_EQ(redis::detect(b, Direction::Ingress, conn(OBI_ROLE_SERVER)), Detection::Yes) << name;
            EXPECT_EQ(redis::detect(b, Direction::Egress, conn(OBI_ROLE_UNKNOWN)), Detection::Yes) << name;
        } else {
            // Replies are recognised only when the role says they travel server -> client; the MONITOR
            // feed and the bare "+OK" of some exchanges are deliberately not enough.
            Detection d = redis::detect(b, Direction::Ingress, conn(OBI_ROLE_CLIENT));
            EXPECT_NE(d, Detection::NeedMore) << name;
            EXPECT_EQ(redis::detect(b, Direction::Egress, conn(OBI_ROLE_SERVER)), d) << name;
        }
    }
    EXPECT_GE(files, 30u);
}

TEST(RedisDetect, RepliesInTheirDirection)
{
    const ConnInfo cl = conn(OBI_ROLE_CLIENT);
    for (std::string r : {"+OK\r\n", "+PONG\r\n", "$5\r\nvalue\r\n", ":1\r\n", "-WRONGTYPE Operation\r\n",
                          "*2\r\n:1\r\n:2\r\n", "%1\r\n+a\r\n:1\r\n", "_\r\n", "+OK\r\n+OK\r\n"})
        EXPECT_EQ(redis::detect(r, Direction::Ingress, cl), Detection::Yes) << r;
    EXPECT_EQ(redis::detect("$5\r\nval", Direction::Ingress, cl), Detection::NeedMore);
    for (std::string r : {"+OK POP3 server ready\r\n", "-ERR unknown command\r\n", "+1796418919.39 [0 1.2.3.4:5] \"GET\"\r\n",
                          "$5\r\nvalue!!\r\n", "HTTP/1.1 200 OK\r\n"})
        EXPECT_EQ(redis::detect(r, Direction::Ingress, cl), Detection::No) << r;
}

TEST(RedisDetect, EveryPrefixOfACommandNeedsMore)
{
    std::string cmd = "*3\r\n$3\r\nSET\r\n$5\r\nbeyla\r\n$5\r\nrocks\r\n";
    const ConnInfo cl = conn(OBI_ROLE_CLIENT);
    size_t yes_at = 0;
    for (size_t n = 1; n <= cmd.size(); n++) {
        Detection d = redis::detect(cmd.substr(0, n), Direction::Egress, cl);
        if (d == Detection::Yes && yes_at == 0) yes_at = n;
        if (yes_at == 0) EXPECT_EQ(d, Detection::NeedMore) << n;
        else EXPECT_EQ(d, Detection::Yes) << n;
    }
    EXPECT_EQ(yes_at, std::string("*3\r\n$3\r\nSET\r\n").size());
    EXPECT_EQ(redis::detect("PING\r\n", Direction::Egress, cl), Detection::NeedMore);  // NATS says PING too
    EXPECT_EQ(redis::detect("PING\r\nLPUSH q job\r\n", Direction::Egress, cl), Detection::Yes);
    std::string inl2 = "LPUSH q job\r\n";
    for (size_t n = 1; n < inl2.size() - 1; n++)
        EXPECT_EQ(redis::detect(inl2.substr(0, n), Direction::Egress, cl), Detection::NeedMore) << n;
    EXPECT_EQ(redis::detect(inl2, Direction::Egress, cl), Detection::Yes);
    EXPECT_EQ(redis::detect("SELECT 2\r\n", Direction::Egress, cl), Detection::Yes);
}

TEST(RedisDetect, OtherProtocolsAreNot)
{
    const ConnInfo cl = conn(OBI_ROLE_CLIENT);
    const std::vector<std::string> others = {
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",          // HTTP/1
        "POST /api HTTP/1.1\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",           // HTTP/2 preface
        "get foo\r\n",                                 // memcached text
        "set foo 0 0 3\r\nbar\r\n",
        "set foo 0 -1 3 noreply\r\nbar\r\n",
        "SET foo 1 0 3\r\nbar\r\n",
        "incr counter 5\r\n",
        "quit\r\n",
        "NICK bob\r\nUSER bob 0 * :Bob\r\n",          // IRC
        "PING :irc.example.net\r\n",
        "PING\r\n",                                    // NATS / generic keepalive
        "CONNECT {\"verbose\":false}\r\n",             // NATS
        "USER alice\r\n",                              // POP3
        "EHLO mail.example.com\r\n",                   // SMTP
        "* OK IMAP4rev1 ready\r\n",
        "*abc\r\n",
        "*0\r\n",
        "*1\r\n$3\r\n123\r\n",                         // a "command" that is not a token
        "*1\r\n$100\r\nSET\r\n",
        "*99999999\r\n",
        std::string("\x16\x03\x01\x00\xa5\x01\x00\x00", 8),  // TLS ClientHello
        std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8),  // PostgreSQL SSLRequest
        std::string("\x10\x10\x00\x04MQTT\x04\x02\x00\x3c", 12),
    };
    for (const auto& o : others) EXPECT_NE(redis::detect(o, Direction::Egress, cl), Detection::Yes) << o;
}

// redis-cli --pipe with inline input: a burst of `SET key value` lines (more than the 256 bytes
// that shared words may fill) is Redis from its first line, as memcached's set needs 5-6 words.
TEST(RedisDetect, InlineSetPipeIsRedis)
{
    const ConnInfo sv = conn(OBI_ROLE_SERVER);
    std::string pipe;
    for (int i = 0; i < 50; i++) pipe += "SET mk" + std::to_string(i) + " " + std::to_string(i) + "\r\n";
    EXPECT_EQ(redis::detect(head(pipe), Direction::Ingress, sv), Detection::Yes);
    EXPECT_EQ(redis::detect("set k v EX 10\r\n", Direction::Ingress, sv), Detection::Yes);
    EXPECT_EQ(redis::detect("SET k 0 0 1 x y\r\n", Direction::Ingress, sv), Detection::Yes);
}

}  // namespace
