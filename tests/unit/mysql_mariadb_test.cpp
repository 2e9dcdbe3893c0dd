// MySQL handler on MariaDB connector sessions and late errors (tests/data/corpus/mysql/mysql_traces.txt):
// execute of the statement just prepared (id -1, pipelined with its prepare), COM_STMT_BULK_EXECUTE,
// and an ERR that ends a result set larger than the capture, in the call's tail or a later call.
#include <gtest/gtest.h>

#include "protocols/mysql/conn_handler.h"
#include "protocols/mysql/packets.h"
#include "sql_trace_replay.h"

namespace obi::mysql {
namespace {

using sqltest::load_trace;
using sqltest::names;
using sqltest::Record;
using sqltest::Replay;
using sqltest::ReplayOptions;

const conntrack::ProtocolDef kDef = protocol_def();
using Names = std::vector<std::string>;

std::vector<Span> replay(const std::vector<Record>& records, ReplayOptions opt = {})
{
    Replay r(kDef, records, opt);
    EXPECT_EQ(r.detection, conntrack::Detection::Yes);
    EXPECT_EQ(r.counters.parse_errors, 0u);
    return std::move(r.sink.spans);
}

std::vector<Span> run(const std::string& trace, ReplayOptions opt = {}) { return replay(load_trace("mysql/" + trace), opt); }

bool starts_with_cmd(const Record& r, uint8_t cmd) { return r.bytes.size() > 4 && static_cast<uint8_t>(r.bytes[4]) == cmd; }

TEST(MysqlMariadb, PipelinedExecuteOfTheStatementJustPrepared)
{
    auto records = load_trace("mysql/mysql_mariadb_pipelined.trace");
    // The connector's one write: COM_STMT_PREPARE, then COM_STMT_EXECUTE of statement -1.
    ASSERT_TRUE(starts_with_cmd(records[5], kComStmtPrepare));
    ASSERT_NE(records[5].bytes.find(std::string("\x17\xff\xff\xff\xff", 5)), std::string::npos);
    for (bool server : {false, true}) {
        ReplayOptions opt;
        opt.server_side = server;
        auto spans = replay(records, opt);
        ASSERT_EQ(names(spans), (Names{"SET", "SELECT items", "SELECT items", "UPDATE items", "SELECT nosuch2"}));
        EXPECT_EQ(spans[1].statement, "SELECT label FROM items WHERE id = ?");
        EXPECT_EQ(spans[1].operation, "SELECT");
        EXPECT_EQ(spans[1].collection, "items");
        EXPECT_FALSE(spans[1].error);
        EXPECT_EQ(spans[2].statement, "SELECT label FROM items WHERE id = ?");  // by its id from PREPARE_OK
        EXPECT_EQ(spans[3].statement, "UPDATE items SET qty = ? WHERE id = ?");
        EXPECT_FALSE(spans[3].error);
        // The failed prepare is the statement's one span; its id -1 execute (HY000) adds none.
        EXPECT_TRUE(spans[4].error);
        EXPECT_EQ(spans[4].error_code, "42S02");
    }
}

TEST(MysqlMariadb, FailedPrepareAndItsExecuteInOneWrite)
{
    // The failing prepare and its execute in one write, both ERRs in one answer.
    auto rec = load_trace("mysql/mysql_mariadb_pipelined.trace");
    size_t k = 0;
    while (k < rec.size() && !(starts_with_cmd(rec[k], kComStmtPrepare) && rec[k].bytes.find("nosuch2") != std::string::npos)) k++;
    ASSERT_LT(k + 4, rec.size());
    ASSERT_TRUE(starts_with_cmd(rec[k + 2], kComStmtExecute));
    std::vector<Record> records(rec.begin(), rec.begin() + static_cast<long>(k));
    records.push_back({true, rec[k].bytes + rec[k + 2].bytes});
    records.push_back({false, rec[k + 1].bytes + rec[k + 4].bytes});
    records.push_back({true, rec[k + 3].bytes});  // COM_QUIT
    auto spans = replay(records);
    ASSERT_EQ(names(spans), (Names{"SET", "SELECT items", "SELECT items", "UPDATE items", "SELECT nosuch2"}));
    EXPECT_EQ(spans[4].error_code, "42S02");
}

TEST(MysqlMariadb, ExecuteOfLastPreparedWithoutThePrepareSeen)
{
    // Watching starts after the prepare: the execute of statement -1 is a span without text.
    auto rec = load_trace("mysql/mysql_mariadb_pipelined.trace");
    std::vector<Record> records(rec.begin() + 7, rec.end());  // from the second execute (id 1)
    ASSERT_TRUE(starts_with_cmd(records[0], kComStmtExecute));
    auto spans = replay(records);
    ASSERT_GE(spans.size(), 1u);
    EXPECT_EQ(spans[0].name(), "SQL");
}

TEST(MysqlMariadb, BulkExecute)
{
    for (bool server : {false, true}) {
        ReplayOptions opt;
        opt.server_side = server;
        auto spans = run("mysql_mariadb_bulk.trace", opt);
        ASSERT_EQ(names(spans), (Names{"SET", "SELECT contacts", "INSERT items", "SELECT contacts", "UPDATE items",
                                       "SELECT contacts"}));
        EXPECT_EQ(spans[2].statement, "INSERT INTO items(label, qty) VALUES (?, ?)");
        EXPECT_EQ(spans[2].type, server ? SpanType::SQLServer : SpanType::SQLClient);
        EXPECT_FALSE(spans[2].error);
        EXPECT_GT(spans[2].end_ns, spans[2].request_start_ns);
    }
}

TEST(MysqlMariadb, BulkExecuteErrorAndExecutesOfLastPrepared)
{
    auto spans = run("mysql_mariadb_bulk_err.trace");
    ASSERT_EQ(names(spans), (Names{"SET", "INSERT items", "INSERT contacts", "SELECT nosuch3", "SELECT contacts"}));
    EXPECT_FALSE(spans[1].error);
    EXPECT_TRUE(spans[2].error);  // the bulk insert hits a duplicate key
    EXPECT_EQ(spans[2].error_code, "23000");
    EXPECT_EQ(spans[2].status_code(), StatusCode::Error);
    EXPECT_EQ(spans[2].statement, "INSERT INTO contacts(id, name) VALUES (?, ?)");
    EXPECT_EQ(spans[3].error_code, "42S02");  // the prepare; its execute of id -1 adds no span
    EXPECT_EQ(spans[4].statement, "SELECT id FROM contacts WHERE id = ?");
    EXPECT_FALSE(spans[4].error);
}

TEST(MysqlMariadb, NewTracesSurviveRandomSplitsAndHoles)
{
    for (const char* t : {"mysql_mariadb_pipelined.trace", "mysql_mariadb_bulk.trace", "mysql_mariadb_bulk_err.trace",
                          "mysql_pymysql_err_after_rows.trace"}) {
        ReplayOptions big;
        big.capture = 1 << 20;
        auto ref = run(t, big);
        for (unsigned seed = 1; seed <= 20; seed++) {
            ReplayOptions opt;
            opt.split_seed = seed;
            opt.server_side = seed % 2 == 0;
            auto got = run(t, opt);
            ASSERT_EQ(names(got), names(ref)) << t << " seed " << seed;
            for (size_t i = 0; i < got.size(); i++) {
                EXPECT_EQ(got[i].statement, ref[i].statement) << t;
                EXPECT_EQ(got[i].error_code, ref[i].error_code) << t << " seed " << seed << " span " << i;
            }
        }
        for (size_t cap : {size_t(9), size_t(30), size_t(100)}) {
            ReplayOptions opt;
            opt.capture = cap;
            Replay r(kDef, load_trace(std::string("mysql/") + t), opt);
            EXPECT_LE(r.sink.spans.size(), ref.size()) << t << " capture " << cap;
        }
    }
}

// ---- an ERR after many rows

const char kSubquery[] = "SELECT id, IF(id <= 300, id, (SELECT a FROM (SELECT 1 a UNION SELECT 2) x)) FROM items ORDER BY id";

TEST(MysqlMariadb, ErrorAfterRowsWithinTheCapture)
{
    ReplayOptions opt;
    opt.capture = 1 << 20;
    auto spans = run("mysql_pymysql_err_after_rows.trace", opt);
    ASSERT_EQ(names(spans), (Names{"SELECT items", "SELECT items", "SELECT contacts"}));
    EXPECT_EQ(spans[0].statement, kSubquery);
    for (int i = 0; i < 2; i++) {
        EXPECT_TRUE(spans[i].error);
        EXPECT_EQ(spans[i].error_code, "21000");
        EXPECT_TRUE(std::string("Subquery returns more than 1 row").starts_with(spans[i].error_message));
    }
    EXPECT_FALSE(spans[2].error);
}

TEST(MysqlMariadb, ErrorAfterRowsInTheTailOfALargeCall)
{
    // The server writes 300 rows and the ERR in one call of 3577 bytes (1000 rows: 11980): with
    // the default capture of 2048 the ERR is known from the call's tail.
    auto records = load_trace("mysql/mysql_pymysql_err_after_rows.trace");
    ASSERT_EQ(records[4].bytes.size(), 3577u);
    ASSERT_EQ(records[6].bytes.size(), 11980u);
    for (size_t cap : {size_t(2048), size_t(8192)}) {
        for (bool server : {false, true}) {
            ReplayOptions opt;
            opt.capture = cap;
            opt.server_side = server;
            Replay r(kDef, records, opt);
            ASSERT_EQ(names(r.sink.spans), (Names{"SELECT items", "SELECT items", "SELECT contacts"})) << cap;
            const auto& s = r.sink.spans;
            // 300 rows: lost at 2048, complete at 8192; 1000 rows: lost at both. Either way the ERR
            // (45 bytes) that ends the call lies in its tail: the SQL state is read.
            for (size_t i : {0, 1}) {
                EXPECT_TRUE(s[i].error) << cap;
                EXPECT_EQ(s[i].status_code(), StatusCode::Error);
                EXPECT_EQ(s[i].error_code, "21000") << cap << " " << i;
            }
            EXPECT_FALSE(s[2].error);
            EXPECT_EQ(s[2].statement, "SELECT id FROM contacts WHERE id = 1");
        }
    }
}

TEST(MysqlMariadb, ErrorAfterRowsInALaterCall)
{
    // The rows arrive in a large call, the ERR in a later call of the same answer (the server
    // flushed its buffer before the error): that call is captured whole, the SQL state is read.
    auto rec = load_trace("mysql/mysql_pymysql_err_after_rows.trace");
    for (size_t last : {size_t(45), size_t(500), size_t(1900)}) {  // the ERR alone, or rows then the ERR
        std::vector<Record> records;
        for (size_t i = 0; i < rec.size(); i++) {
            const std::string& b = rec[i].bytes;
            if (!rec[i].c2s && b.size() > 3000) {
                ASSERT_EQ(static_cast<uint8_t>(b[b.size() - 41]), 0xff);  // the ERR: 4 + 41 bytes
                records.push_back({false, b.substr(0, b.size() - last)});
                records.push_back({false, b.substr(b.size() - last)});
            } else {
                records.push_back(rec[i]);
            }
        }
        for (bool server : {false, true}) {
            ReplayOptions opt;
            opt.capture = 2048;
            opt.server_side = server;
            auto spans = replay(records, opt);
            ASSERT_EQ(names(spans), (Names{"SELECT items", "SELECT items", "SELECT contacts"})) << last;
            for (int i = 0; i < 2; i++) {
                EXPECT_TRUE(spans[i].error) << last;
                EXPECT_EQ(spans[i].error_code, "21000") << last << " span " << i;
                EXPECT_TRUE(std::string("Subquery returns more than 1 row").starts_with(spans[i].error_message));
            }
            EXPECT_FALSE(spans[2].error);
        }
    }
}

TEST(MysqlMariadb, LargeResultWithoutErrorStaysUnset)
{
    for (size_t cap : {size_t(64), size_t(2048), size_t(8192)}) {
        ReplayOptions opt;
        opt.capture = cap;
        Replay r(kDef, load_trace("mysql/cli_big_result.trace"), opt);
        ASSERT_EQ(r.sink.spans.size(), 1u);
        EXPECT_FALSE(r.sink.spans[0].error) << cap;
    }
}

TEST(MysqlMariadb, TrailingErrPacket)
{
    std::string err = std::string("\x29\x00\x00\x31\xff\xda\x04#21000", 13) + "Subquery returns more than 1 row";
    std::string rows = std::string("\x08\x00\x00\x30\x03" "300\x03" "300", 12);
    ErrPacket e;
    ASSERT_TRUE(trailing_err(rows + err, e));
    EXPECT_EQ(e.code, 1242);
    EXPECT_EQ(e.sqlstate, "21000");
    EXPECT_EQ(e.message, "Subquery returns more than 1 row");
    EXPECT_TRUE(trailing_err(err, e));
    EXPECT_FALSE(trailing_err(rows, e));
    EXPECT_FALSE(trailing_err(err.substr(0, err.size() - 1), e));            // cut
    EXPECT_FALSE(trailing_err(err + std::string("\x05\x00\x00\x32\xfe\x00\x00\x02\x00", 9), e));  // not last
    std::string bad_state = err;
    bad_state[9] = 'x';
    EXPECT_FALSE(trailing_err(bad_state, e));

    EXPECT_TRUE(tail_looks_like_err_text("an 1 row"));
    EXPECT_FALSE(tail_looks_like_err_text("nings: 0"));   // an OK packet's info
    EXPECT_FALSE(tail_looks_like_err_text("ngs: 12"));    // too short
    EXPECT_FALSE(tail_looks_like_err_text(std::string("\xfe\x00\x00\x02\x00\x00\x00\x00", 8)));
    EXPECT_FALSE(tail_looks_like_err_text(std::string("\x03" "299\x03" "29", 8)));
}

}  // namespace
}  // namespace obi::mysql
