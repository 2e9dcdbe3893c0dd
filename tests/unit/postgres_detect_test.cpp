// PostgreSQL detection (src/protocols/postgres/messages.h classify_burst): real first bursts
// say Yes, every prefix of them says NeedMore or Yes (never No), and near misses, other
// protocols and malformed messages say No.
#include <gtest/gtest.h>

#include <string>

#include "protocols/postgres/conn_handler.h"
#include "protocols/postgres/messages.h"

namespace obi::postgres {
namespace {

using conntrack::Detection;

std::string msg(char type, std::string body)
{
    uint32_t len = static_cast<uint32_t>(body.size() + 4);
    std::string m(1, type);
    for (int s = 24; s >= 0; s -= 8) m.push_back(static_cast<char>(len >> s));
    return m + body;
}

std::string startup(std::string params, uint32_t code = 196608)
{
    std::string body;
    for (int s = 24; s >= 0; s -= 8) body.push_back(static_cast<char>(code >> s));
    body += params;
    uint32_t len = static_cast<uint32_t>(body.size() + 4);
    std::string m;
    for (int s = 24; s >= 0; s -= 8) m.push_back(static_cast<char>(len >> s));
    return m + body;
}

Detection detect_bytes(std::string_view b)
{
    conntrack::ConnInfo c;
    return detect(b, conntrack::Direction::Egress, c);
}

const std::string kSsl("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8);
const std::string kStartup = startup(std::string("user\0postgres\0database\0shop\0\0", 29));
const std::string kQuery = msg('Q', std::string("SELECT 1\0", 9));
const std::string kParse = msg('P', std::string("s1\0SELECT $1\0\0\0", 15));
const std::string kBindExecSync = msg('B', std::string("\0P_1\0\0\0\0\0\0\0", 11)) + msg('E', std::string("\0\0\0\0\0", 5)) + msg('S', "");
const std::string kResponse = msg('C', std::string("BEGIN\0", 6)) + msg('Z', "T");

TEST(PostgresDetect, ValidBurstsAndTheirPrefixes)
{
    for (const std::string& b : {kSsl, kStartup, kQuery, kParse, kBindExecSync, kResponse}) {
        EXPECT_EQ(detect_bytes(b), Detection::Yes) << ::testing::PrintToString(b);
        for (size_t n = 1; n < b.size(); n++)
            EXPECT_NE(detect_bytes(std::string_view(b).substr(0, n)), Detection::No) << ::testing::PrintToString(b) << " prefix " << n;
    }
    // A long query cut by the detection window is still recognised from its start.
    std::string big = msg('Q', "SELECT " + std::string(2000, 'x') + std::string("\0", 1));
    EXPECT_EQ(detect_bytes(std::string_view(big).substr(0, 512)), Detection::Yes);
}

TEST(PostgresDetect, InvalidInputs)
{
    const std::string cases[] = {
        std::string("\x00\x00\x00\x09\x04\xd2\x16\x2f", 8),                // SSLRequest with a wrong length
        kSsl + "x",                                                       // bytes after an SSLRequest
        std::string("\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x00\x01\x00\x00\x00\x02", 16),  // CancelRequest: no spans
        startup(std::string("user\0postgres\0\0", 15), 0x00020000),       // protocol 2.0
        startup(std::string("user\0postgres\0\0", 15), 0x00030009),       // protocol 3.9
        startup(std::string("database\0shop\0\0", 15)),                   // no user
        startup(std::string("us er\0postgres\0\0", 16)),                  // a key with a blank
        startup(std::string("user\0postgres\0", 14)),                     // no terminator
        startup(std::string("user\0pg\x01\0\0", 10)),                     // a control byte in a value
        msg('Q', std::string("hello world\0", 12)),                       // not SQL
        msg('Q', std::string("SELECT 1", 8)) + "Z",                       // no NUL at the end, then junk
        msg('Q', std::string("SELECT\0 1\0", 10)),                        // NUL inside the text
        std::string("Q\x7f\xff\xff\xffSELECT 1", 13),                      // length over 1 GiB
        std::string("Q\x00\x00\x00\x03", 5),                               // length below the minimum
        msg('S', "x"),                                                    // Sync with a body
        msg('B', std::string("\0\0\0\0", 4)) + msg('S', ""),              // a Bind too short
        msg('E', std::string("\0\0\0\0\0", 5)),                           // Execute alone: not enough
        msg('C', std::string("select 1\0", 9)) + msg('Z', "I"),           // lower-case command tag
        msg('C', std::string("SELECT 1\0", 9)) + msg('Z', "X"),           // bad transaction status
        msg('Z', "I"),                                                    // ReadyForQuery alone
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /api HTTP/1.1\r\n",
        "*1\r\n$4\r\nPING\r\n",
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
        std::string("\x21\x00\x00\x00\x03SELECT * FROM t WHERE id = 1", 33),  // MySQL COM_QUERY
        std::string("\x00\x00\x00\x1d\x00\x03\x00\x00\x00\x00\x00\x01\x00\x07rdkafka", 21),  // Kafka Metadata v0
        std::string(1, '\0'),
    };
    for (const auto& c : cases) {
        EXPECT_NE(detect_bytes(c), Detection::Yes) << ::testing::PrintToString(c);
    }
}

TEST(PostgresDetect, StartupDatabaseAndErrorFields)
{
    const std::string p1("user\0bob\0database\0shop\0\0", 24), p2("user\0bob\0\0", 10), p3("user\0bo", 7);
    EXPECT_EQ(startup_database(p1), "shop");
    EXPECT_EQ(startup_database(p2), "bob");  // the default database
    EXPECT_EQ(startup_database(p3), "");
    const std::string e1("SERROR\0VERROR\0C42P01\0Mrelation \"x\" does not exist\0\0", 51);
    ErrorFields e = error_fields(e1);
    EXPECT_EQ(e.sqlstate, "42P01");
    EXPECT_EQ(e.message, "relation \"x\" does not exist");
    EXPECT_EQ(e.severity, "ERROR");
    const std::string e2("SERROR\0C42P01\0Mrelation \"x\" do", 30);
    ErrorFields cut = error_fields(e2);
    EXPECT_EQ(cut.sqlstate, "42P01");
    EXPECT_EQ(cut.message, "");  // cut by the capture: not reported half
}

}  // namespace
}  // namespace obi::postgres
