// MySQL detection (src/protocols/mysql/packets.h classify_burst) and packet decoding: real
// first bursts say Yes, their prefixes never No, near misses and other protocols No.
#include <gtest/gtest.h>

#include <string>

#include "protocols/mysql/conn_handler.h"
#include "protocols/mysql/packets.h"

namespace obi::mysql {
namespace {

using conntrack::Detection;

std::string packet(uint8_t seq, std::string payload)
{
    uint32_t n = static_cast<uint32_t>(payload.size());
    std::string p{static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16), static_cast<char>(seq)};
    return p + payload;
}

Detection detect_bytes(std::string_view b)
{
    conntrack::ConnInfo c;
    return detect(b, conntrack::Direction::Ingress, c);
}

// MariaDB 10.11.19's greeting as captured (tests/data/corpus/mysql/*_greeting.s2c.bin).
std::string greeting()
{
    std::string p = "\x0a" "5.5.5-10.11.19-MariaDB-0+deb12u1";
    p += std::string("\0\x08\0\0\0", 5) + "abcdefgh" + std::string("\0\xfe\xf7\x2d\x02\0\xff\x81\x15", 9);
    p += std::string(6, '\0') + std::string("\x1d\0\0\0", 4) + "ijklmnopqrst" + std::string("\0", 1) +
         "mysql_native_password" + std::string("\0", 1);
    return packet(0, p);
}

TEST(MysqlDetect, ValidBurstsAndTheirPrefixes)
{
    const std::string coldef = packet(2, "\x03" "def\x04shop\x08" "contacts\x08" "contacts\x02id\x02id");
    const std::string bursts[] = {
        greeting(),
        packet(0, "\x03SELECT * FROM contacts WHERE id=1"),
        packet(0, "\x16SELECT id FROM contacts WHERE id = ?"),
        packet(0, std::string("\x17\x01\0\0\0\0\x01\0\0\0\0\x01\x05\0\0\0\0\0\0\0\xf0?", 22)),  // COM_STMT_EXECUTE
        packet(0, "\x02shop"),
        packet(1, "\x03") + coldef,                                                // result set head
        packet(1, "\xff\x7a\x04#42S02Table 'shop.x' doesn't exist"),  // ERR
        packet(1, std::string("\x00\x01\0\0\0\x02\0\x01\0\0\0\0", 12)) + coldef,   // PREPARE_OK
    };
    for (const auto& b : bursts) {
        EXPECT_EQ(detect_bytes(b), Detection::Yes) << ::testing::PrintToString(b);
        for (size_t n = 1; n < b.size(); n++)
            EXPECT_NE(detect_bytes(std::string_view(b).substr(0, n)), Detection::No) << ::testing::PrintToString(b) << " prefix " << n;
    }
}

TEST(MysqlDetect, InvalidInputs)
{
    std::string g = greeting();
    std::string bad_version = g;
    bad_version[5] = 'x';  // version must start with a digit
    std::string no41 = g;
    no41[4 + 1 + 32 + 1 + 4 + 8 + 1 + 1] &= ~0x02;  // CLIENT_PROTOCOL_41 cleared
    const std::string cases[] = {
        bad_version,
        no41,
        g + "x",                                                   // bytes after the greeting
        packet(0, "\x03hello world"),                             // not SQL
        packet(1, "\x03SELECT 1"),                                // a command with sequence id 1
        packet(0, "\x03SELECT 1") + "x",                          // a client sends one command and waits
        packet(0, std::string("\x17\x01\0\0\0\0\x02\0\0\0", 10)), // iteration count 2
        packet(0, "\x02not a db name!"),
        packet(0, "\x0e"),                                        // COM_PING: too weak to claim
        packet(0, "\x01"),                                        // COM_QUIT
        packet(1, std::string("\xff\x7a\x04#42S0", 8)) + "zzz",   // ERR with junk after
        packet(1, "\x03") + packet(2, "\x03" "abc"),              // column count, then no "def"
        packet(1, std::string("\x00\x00\x00\x02\x00\x00\x00", 7)),  // a bare OK: too weak
        packet(0, ""),
        "GET / HTTP/1.1\r\n\r\n",
        "*1\r\n$4\r\nPING\r\n",
        std::string("Q\x00\x00\x00\x0dSELECT 1\x00", 14),          // PostgreSQL Query
        std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8),        // PostgreSQL SSLRequest
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
    };
    for (const auto& c : cases) EXPECT_EQ(detect_bytes(c), Detection::No) << ::testing::PrintToString(c);
}

TEST(MysqlDetect, PacketDecoding)
{
    size_t pos = 0;
    uint64_t v = 0;
    std::string enc("\xfc\x34\x12\xfd\x01\x02\x03\xfe\x01\0\0\0\0\0\0\x80\x05", 17);
    ASSERT_TRUE(lenenc(enc, pos, v));
    EXPECT_EQ(v, 0x1234u);
    ASSERT_TRUE(lenenc(enc, pos, v));
    EXPECT_EQ(v, 0x030201u);
    ASSERT_TRUE(lenenc(enc, pos, v));
    EXPECT_EQ(v, 0x8000000000000001ull);
    ASSERT_TRUE(lenenc(enc, pos, v));
    EXPECT_EQ(v, 5u);
    EXPECT_FALSE(lenenc(enc, pos, v));
    pos = 0;
    EXPECT_FALSE(lenenc(std::string("\xfc\x01", 2), pos, v));  // cut

    ErrPacket e;
    const std::string err1 = "\xff\x7a\x04#42S02Table 'shop.x' doesn't exist";
    ASSERT_TRUE(parse_err(err1, e));
    EXPECT_EQ(e.code, 1146);
    EXPECT_EQ(e.sqlstate, "42S02");
    EXPECT_EQ(e.message, "Table 'shop.x' doesn't exist");
    const std::string err2("\xff\x15\x04no state", 11);
    ASSERT_TRUE(parse_err(err2, e));
    EXPECT_EQ(e.sqlstate, "");

    uint16_t st = 0;
    EXPECT_TRUE(eof_status(std::string("\xfe\x00\x00\x22\x00", 5), 5, st));
    EXPECT_EQ(st, 0x22);
    EXPECT_TRUE(ok_status(std::string("\x00\x01\x00\x0a\x00\x00\x00", 7), st));
    EXPECT_EQ(st, 0x0a);
    EXPECT_TRUE(is_result_terminator(std::string("\xfe\x00\x00\x02\x00", 5), 5, false));
    EXPECT_FALSE(is_result_terminator(std::string("\xfe\x00\x00\x02\x00\x00\x00\x00\x00\x00", 10), 10, false));
    EXPECT_TRUE(is_result_terminator(std::string("\xfe\x00\x00\x02\x00\x00\x00\x00\x00\x00", 10), 10, true));

    HandshakeResponse hr;
    std::string resp(32, '\0');
    uint32_t caps = kClientProtocol41 | kClientSecureConnection | kClientConnectWithDb;
    for (int i = 0; i < 4; i++) resp[i] = static_cast<char>(caps >> (8 * i));
    resp += std::string("app\0\x03xyzshop\0", 13);
    ASSERT_TRUE(parse_handshake_response(resp, hr));
    EXPECT_FALSE(hr.ssl_request);
    EXPECT_EQ(hr.database, "shop");
}

}  // namespace
}  // namespace obi::mysql
