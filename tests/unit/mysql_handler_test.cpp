// MySQL/MariaDB handler on sessions recorded from real clients and MariaDB 10.11.19 (mariadb
// CLI, pymysql, node mysql2 prepared statements; tests/data/corpus/mysql/README.txt): span
// fields, client and server side, holes in large result sets, random splits, every prefix,
// connections seen mid-stream, multi-packet payloads, invalid input.
#include <gtest/gtest.h>

#include "protocols/mysql/conn_handler.h"
#include "protocols/mysql/packets.h"
#include "protocols/sql/statement.h"
#include "sql_trace_replay.h"

namespace obi::mysql {
namespace {

using sqltest::load_trace;
using sqltest::names;
using sqltest::Record;
using sqltest::Replay;
using sqltest::ReplayOptions;

const conntrack::ProtocolDef kDef = protocol_def();

std::vector<Span> run(const std::string& trace, ReplayOptions opt = {})
{
    Replay r(kDef, load_trace("mysql/" + trace), opt);
    EXPECT_EQ(r.detection, conntrack::Detection::Yes) << trace;
    EXPECT_EQ(r.counters.parse_errors, 0u) << trace;
    return std::move(r.sink.spans);
}

std::string packet(uint8_t seq, std::string payload)
{
    uint32_t n = static_cast<uint32_t>(payload.size());
    std::string p{static_cast<char>(n), static_cast<char>(n >> 8), static_cast<char>(n >> 16), static_cast<char>(seq)};
    return p + payload;
}

// cli_select.trace up to its login OK (database shop): a session to append commands to.
std::vector<Record> logged_in_session()
{
    auto records = load_trace("mysql/cli_select.trace");
    records.resize(3);  // greeting, handshake response, OK
    return records;
}

const std::string kOkPacket = packet(1, std::string("\x00\x00\x00\x02\x00\x00\x00", 7));
const std::string kUnknownDbErr = packet(1, std::string("\xff\x19\x04#42000Unknown database 'nosuch'", 30));

TEST(MysqlHandler, QueryClientSide)
{
    Replay r(kDef, load_trace("mysql/cli_select.trace"));
    ASSERT_EQ(r.sink.spans.size(), 1u);
    const Span& s = r.sink.spans[0];
    EXPECT_EQ(s.type, SpanType::SQLClient);
    EXPECT_EQ(s.db_system, "mysql");
    EXPECT_EQ(s.name(), "SELECT contacts");
    EXPECT_EQ(s.operation, "SELECT");
    EXPECT_EQ(s.collection, "contacts");
    EXPECT_EQ(s.db_namespace, "shop");  // from the handshake response
    EXPECT_EQ(s.statement, "SELECT * FROM contacts WHERE id=1");
    EXPECT_FALSE(s.error);
    EXPECT_EQ(s.peer_port, 40000);
    EXPECT_EQ(s.host_port, 5432);
    EXPECT_GT(s.end_ns, s.request_start_ns);
    EXPECT_EQ(r.counters.lost_sync, 0u);
    EXPECT_EQ(r.counters.orphan_responses, 0u);
}

TEST(MysqlHandler, QueryServerSide)
{
    ReplayOptions opt;
    opt.server_side = true;
    auto spans = run("cli_select.trace", opt);
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].type, SpanType::SQLServer);
    EXPECT_EQ(spans[0].name(), "SELECT contacts");
    EXPECT_EQ(spans[0].db_namespace, "shop");
}

TEST(MysqlHandler, ErrorPacket)
{
    auto spans = run("cli_error.trace");
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_TRUE(spans[0].error);
    EXPECT_EQ(spans[0].status_code(), StatusCode::Error);
    EXPECT_EQ(spans[0].error_code, "42S02");  // error.type: the SQLSTATE
    EXPECT_EQ(spans[0].server_code, "1146");  // db.response.status_code: the server's error number
    EXPECT_EQ(spans[0].error_message, "Table 'shop.nosuchtable' doesn't exist");
    EXPECT_EQ(spans[0].name(), "SELECT nosuchtable");
}

TEST(MysqlHandler, LargeResultSetAcrossHoles)
{
    for (size_t cap : {size_t(16), size_t(64), size_t(512), size_t(2048), size_t(8192), size_t(1) << 20}) {
        for (unsigned seed : {0u, 5u}) {
            ReplayOptions opt;
            opt.capture = cap;
            opt.split_seed = seed;
            Replay r(kDef, load_trace("mysql/cli_big_result.trace"), opt);
            ASSERT_EQ(r.sink.spans.size(), 1u) << "capture " << cap;
            EXPECT_EQ(r.sink.spans[0].operation, "SELECT");
            if (cap >= 64) {
                EXPECT_EQ(r.sink.spans[0].statement, "SELECT id, label, qty FROM items");
            }
            if (cap >= (size_t(1) << 20)) {
                EXPECT_EQ(r.counters.lost_sync, 0u);
            }
        }
    }
}

TEST(MysqlHandler, TransactionStatements)
{
    auto spans = run("cli_transaction.trace");
    EXPECT_EQ(names(spans), (std::vector<std::string>{"BEGIN", "INSERT items", "UPDATE items", "DELETE items", "COMMIT"}));
    ASSERT_EQ(spans.size(), 5u);
    EXPECT_EQ(spans[1].statement, "INSERT INTO items(label,qty) VALUES ('it\\'s \"q\"', 5)");
}

TEST(MysqlHandler, InitDbSetsNamespace)
{
    auto spans = run("cli_use_db.trace");
    EXPECT_EQ(names(spans), (std::vector<std::string>{"SELECT", "SELECT items"}));
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[0].db_namespace, "");
    EXPECT_EQ(spans[1].db_namespace, "shop");  // COM_INIT_DB answered OK
}

TEST(MysqlHandler, UseStatementSetsNamespace)
{
    // mysqlclient's `cursor.execute("USE mysql")` is a COM_QUERY, not COM_INIT_DB.
    auto records = logged_in_session();
    const std::string& ok = kOkPacket;
    records.push_back({true, packet(0, "\x03USE `mysql` ;")});
    records.push_back({false, ok});
    records.push_back({true, packet(0, "\x03SELECT 1 FROM user")});
    records.push_back({false, ok});
    records.push_back({true, packet(0, "\x03use nosuch")});  // refused: the namespace stays
    records.push_back({false, kUnknownDbErr});
    records.push_back({true, packet(0, "\x03SELECT 2 FROM user")});
    records.push_back({false, ok});
    Replay r(kDef, records);
    ASSERT_EQ(r.sink.spans.size(), 4u) << ::testing::PrintToString(names(r.sink.spans));
    EXPECT_EQ(r.sink.spans[0].db_namespace, "mysql");
    EXPECT_EQ(r.sink.spans[1].db_namespace, "mysql");
    EXPECT_TRUE(r.sink.spans[2].error);
    EXPECT_EQ(r.sink.spans[3].db_namespace, "mysql");
}

TEST(MysqlHandler, ChangeUserSetsNamespace)
{
    // node mysql's connection.changeUser({database}): COM_CHANGE_USER names the new database.
    auto records = logged_in_session();
    const std::string& ok = kOkPacket;
    std::string auth(20, 'a');
    std::string change = std::string("\x11root\0\x14", 7) + auth + std::string("mysql\0\x21\x00", 8) +
                         std::string("mysql_native_password\0", 22);
    records.push_back({true, packet(0, change)});
    records.push_back({false, ok});
    records.push_back({true, packet(0, "\x03SELECT 1 FROM db")});
    records.push_back({false, ok});
    std::string refused = std::string("\x11root\0\x14", 7) + auth + std::string("nosuch\0\x21\x00", 9);
    records.push_back({true, packet(0, refused)});
    records.push_back({false, kUnknownDbErr});
    records.push_back({true, packet(0, "\x03SELECT 2 FROM db")});
    records.push_back({false, ok});
    Replay r(kDef, records);
    ASSERT_EQ(r.sink.spans.size(), 2u) << ::testing::PrintToString(names(r.sink.spans));
    EXPECT_EQ(r.sink.spans[0].db_namespace, "mysql");
    EXPECT_EQ(r.sink.spans[1].db_namespace, "mysql");  // the refused change kept it
}

TEST(MysqlPackets, ChangeUserDatabase)
{
    std::string_view db;
    std::string with_db = std::string("\x11u\0\x02xy", 6) + std::string("shop\0", 5);
    EXPECT_TRUE(parse_change_user_database(with_db, kClientSecureConnection, db));
    EXPECT_EQ(db, "shop");
    EXPECT_TRUE(parse_change_user_database(std::string("\x11u\0pw\0\0", 7), 0, db));  // old auth, no database
    EXPECT_EQ(db, "");
    EXPECT_FALSE(parse_change_user_database(with_db.substr(0, 7), kClientSecureConnection, db));  // cut
    EXPECT_FALSE(parse_change_user_database(std::string("\x11u\0\x09xy", 5), kClientSecureConnection, db));
}

TEST(MysqlPackets, UseStatementDb)
{
    EXPECT_EQ(use_statement_db("USE shop"), "shop");
    EXPECT_EQ(use_statement_db("  use\t`my db`;\n"), "my db");
    EXPECT_EQ(use_statement_db("USE shop; SELECT 1"), "");
    EXPECT_EQ(use_statement_db("USER x"), "");
    EXPECT_EQ(use_statement_db("USE"), "");
    EXPECT_EQ(use_statement_db("SELECT 1"), "");
}

TEST(MysqlHandler, Pymysql)
{
    auto spans = run("pymysql.trace");
    EXPECT_EQ(names(spans), (std::vector<std::string>{"SET", "SELECT contacts", "INSERT nosuch"}));
    ASSERT_EQ(spans.size(), 3u);
    EXPECT_EQ(spans[1].statement, "SELECT name FROM contacts WHERE id = 2 AND name <> 'O\\'Brien'");
    EXPECT_TRUE(spans[2].error);
    EXPECT_EQ(spans[2].error_code, "42S02");
    EXPECT_EQ(spans[2].db_namespace, "shop");
}

TEST(MysqlHandler, PreparedStatementsBinaryProtocol)
{
    auto spans = run("node_mysql2_prepared.trace");
    ASSERT_EQ(spans.size(), 5u) << ::testing::PrintToString(names(spans));
    for (int i = 0; i < 3; i++) {  // COM_STMT_EXECUTE resolved to the COM_STMT_PREPARE text
        EXPECT_EQ(spans[i].statement, "SELECT id, name FROM contacts WHERE id = ?");
        EXPECT_EQ(spans[i].name(), "SELECT contacts");
        EXPECT_FALSE(spans[i].error);
    }
    // A statement that fails to prepare: the error span of the prepare.
    EXPECT_TRUE(spans[3].error);
    EXPECT_EQ(spans[3].error_code, "42S02");
    EXPECT_EQ(spans[3].name(), "SELECT missing_table");
    EXPECT_EQ(spans[4].name(), "SELECT items");
    EXPECT_FALSE(spans[4].error);
}

const char* const kTraces[] = {"cli_select.trace",      "cli_error.trace",  "cli_big_result.trace",
                               "cli_transaction.trace", "cli_use_db.trace", "pymysql.trace",
                               "node_mysql2_prepared.trace"};

TEST(MysqlHandler, RandomSplitsGiveTheSameSpans)
{
    for (const char* t : kTraces) {
        auto ref = run(t);
        for (unsigned seed = 1; seed <= 20; seed++) {
            for (bool server : {false, true}) {
                ReplayOptions opt;
                opt.split_seed = seed;
                opt.server_side = server;
                auto got = run(t, opt);
                ASSERT_EQ(names(got), names(ref)) << t << " seed " << seed;
                for (size_t i = 0; i < got.size(); i++) EXPECT_EQ(got[i].statement, ref[i].statement) << t;
            }
        }
    }
}

TEST(MysqlHandler, EveryPrefixGivesAPrefixOfTheSpans)
{
    for (const char* t : kTraces) {
        auto records = load_trace(std::string("mysql/") + t);
        auto ref = names(run(t));
        size_t total = sqltest::total_bytes(records);
        size_t step = total > 4000 ? 7 : 1;
        for (size_t n = 0; n <= total; n += step) {
            ReplayOptions opt;
            opt.stop_after = n;
            Replay r(kDef, records, opt);
            auto got = names(r.sink.spans);
            ASSERT_LE(got.size(), ref.size()) << t << " prefix " << n;
            for (size_t i = 0; i < got.size(); i++) ASSERT_EQ(got[i], ref[i]) << t << " prefix " << n;
        }
    }
}

TEST(MysqlHandler, HolesNeverGiveGarbage)
{
    for (const char* t : kTraces) {
        auto ref = run(t);
        for (size_t cap : {size_t(4), size_t(9), size_t(30), size_t(100), size_t(300)}) {
            ReplayOptions opt;
            opt.capture = cap;
            Replay r(kDef, load_trace(std::string("mysql/") + t), opt);
            for (const auto& s : r.sink.spans) {
                EXPECT_EQ(sql::clean_text_prefix(s.statement), s.statement);
                bool prefix_of_some = s.statement.empty();
                for (const auto& f : ref) prefix_of_some |= f.statement.compare(0, s.statement.size(), s.statement) == 0;
                EXPECT_TRUE(prefix_of_some) << t << " capture " << cap << ": " << s.statement;
            }
            EXPECT_LE(r.sink.spans.size(), ref.size()) << t << " capture " << cap;
        }
    }
}

TEST(MysqlHandler, MidStreamConnection)
{
    auto records = load_trace("mysql/cli_transaction.trace");
    ReplayOptions opt;
    opt.skip_records = 3;  // greeting, handshake response, OK: start at BEGIN
    ASSERT_EQ(records[3].bytes[4], 0x03);
    Replay r(kDef, records, opt);
    EXPECT_EQ(r.detection, conntrack::Detection::Yes);
    EXPECT_EQ(names(r.sink.spans), (std::vector<std::string>{"BEGIN", "INSERT items", "UPDATE items", "DELETE items", "COMMIT"}));

    // Prepared before we watched: executions are spans without text.
    auto prep = load_trace("mysql/node_mysql2_prepared.trace");
    ReplayOptions o2;
    int executes = 0;
    for (o2.skip_records = 0; o2.skip_records < prep.size(); o2.skip_records++) {
        const auto& rec = prep[o2.skip_records];
        if (rec.c2s && rec.bytes.size() > 4 && static_cast<uint8_t>(rec.bytes[4]) == 0x17 && ++executes == 2) break;
    }
    Replay r2(kDef, prep, o2);
    EXPECT_EQ(r2.detection, conntrack::Detection::Yes);
    ASSERT_GE(r2.sink.spans.size(), 2u);
    EXPECT_EQ(r2.sink.spans[0].name(), "SQL");
}

TEST(MysqlHandler, MultiPacketPayloads)
{
    // A 16 MiB + 10 byte COM_QUERY: a full packet of 0xffffff bytes, then the rest (seq 1).
    std::string text = "SELECT '" + std::string(0xffffff, 'x');
    std::vector<Record> records;
    records.push_back({true, packet(0, "\x03" + text.substr(0, 0xfffffe))});
    std::string rest = text.substr(0xfffffe) + "' FROM dual";
    records.back().bytes += packet(1, rest);
    // Answer: one column, one 16 MiB row split in two packets, EOF.
    std::string coldef = "\x03" "def" + std::string("\x00\x00\x00\x01x\x00\x0c\x21\x00\x00\x00\x00\x00\xfd\x00\x00\x00\x00\x00", 20);
    std::string resp = packet(1, "\x01") + packet(2, coldef) + packet(3, std::string("\xfe\x00\x00\x02\x00", 5));
    std::string row(0xffffff, 'r');
    row[0] = '\xfe';  // looks like a terminator, but it is a row continuing in the next packet
    resp += packet(4, row) + packet(5, std::string("\xfe\x00\x00\x02\x00", 5)) + packet(6, std::string("\xfe\x00\x00\x02\x00", 5));
    records.push_back({false, resp});
    records.push_back({true, packet(0, "\x03SELECT 1")});
    records.push_back({false, packet(1, std::string("\x00\x00\x00\x02\x00\x00\x00", 7))});
    ReplayOptions opt;  // mid-stream (no handshake), capture 2048 per call
    Replay r(kDef, records, opt);
    ASSERT_EQ(r.sink.spans.size(), 2u) << ::testing::PrintToString(names(r.sink.spans));
    EXPECT_EQ(r.sink.spans[0].operation, "SELECT");
    EXPECT_EQ(r.sink.spans[0].statement.size(), 2043u);  // truncated by the capture, never garbage
    EXPECT_EQ(r.sink.spans[1].statement, "SELECT 1");
}

TEST(MysqlHandler, InvalidInputIsCounted)
{
    auto records = load_trace("mysql/cli_select.trace");
    records.resize(3);  // greeting, handshake response, OK
    records.push_back({true, packet(0, "\x03SELECT 1")});
    records.push_back({false, packet(7, std::string("\x00\x00\x00\x02\x00\x00\x00", 7))});  // wrong sequence id
    records.push_back({true, packet(0, "\x03SELECT 2")});
    records.push_back({false, packet(1, std::string("\x00\x00\x00\x02\x00\x00\x00", 7))});
    Replay r(kDef, records);
    // The first answer is not trusted; the second query is followed again.
    EXPECT_GE(r.counters.lost_sync, 1u);
    ASSERT_GE(r.sink.spans.size(), 1u);
    EXPECT_EQ(r.sink.spans.back().statement, "SELECT 2");
}

TEST(MysqlHandler, SslRequestStopsParsing)
{
    auto records = load_trace("mysql/cli_select.trace");
    records.resize(1);  // greeting
    std::string ssl(32, '\0');
    uint32_t caps = kClientProtocol41 | kClientSsl | kClientSecureConnection;
    for (int i = 0; i < 4; i++) ssl[i] = static_cast<char>(caps >> (8 * i));
    records.push_back({true, packet(1, ssl)});
    records.push_back({true, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)});
    records.push_back({false, std::string("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03", 11)});
    Replay r(kDef, records);
    EXPECT_TRUE(r.sink.spans.empty());
    EXPECT_EQ(r.counters.parse_errors, 0u);
}

}  // namespace
}  // namespace obi::mysql
