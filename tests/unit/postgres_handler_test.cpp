// PostgreSQL handler on sessions recorded from real clients and PostgreSQL 15.18 (psql,
// psycopg2, node pg, pgbench; tests/data/corpus/postgres/README.txt): span fields, client and
// server side, capture holes, random splits, every prefix, connections seen mid-stream.
#include <gtest/gtest.h>

#include "protocols/postgres/conn_handler.h"
#include "protocols/sql/statement.h"
#include "sql_trace_replay.h"

namespace obi::postgres {
namespace {

using sqltest::load_trace;
using sqltest::names;
using sqltest::Replay;
using sqltest::ReplayOptions;

const conntrack::ProtocolDef kDef = protocol_def();

std::vector<Span> run(const std::string& trace, ReplayOptions opt = {})
{
    Replay r(kDef, load_trace("postgres/" + trace), opt);
    EXPECT_EQ(r.detection, conntrack::Detection::Yes) << trace;
    return std::move(r.sink.spans);
}

TEST(PostgresHandler, SimpleQueryClientSide)
{
    Replay r(kDef, load_trace("postgres/psql_select.trace"));
    ASSERT_EQ(r.sink.spans.size(), 1u);
    const Span& s = r.sink.spans[0];
    EXPECT_EQ(s.type, SpanType::SQLClient);
    EXPECT_EQ(s.name(), "SELECT accounting.contacts");
    EXPECT_EQ(s.db_system, "postgresql");
    EXPECT_EQ(s.operation, "SELECT");
    EXPECT_EQ(s.collection, "accounting.contacts");
    EXPECT_EQ(s.db_namespace, "shop");
    EXPECT_EQ(s.statement, "SELECT * from accounting.contacts WHERE id=1");
    EXPECT_FALSE(s.error);
    EXPECT_EQ(s.status_code(), StatusCode::Unset);
    EXPECT_EQ(s.kind(), SpanKind::Client);
    // peer = client side (us), host = the server
    EXPECT_EQ(s.peer_port, 40000);
    EXPECT_EQ(s.host_port, 5432);
    EXPECT_EQ(s.pid, 42u);
    EXPECT_GT(s.end_ns, s.request_start_ns);
    EXPECT_EQ(s.start_ns, s.request_start_ns);
    EXPECT_TRUE(s.trace_id.valid());
    EXPECT_EQ(r.counters.parse_errors, 0u);
    EXPECT_EQ(r.counters.lost_sync, 0u);
    EXPECT_EQ(r.counters.orphan_responses, 0u);
    EXPECT_EQ(r.counters.spans, 1u);
}

TEST(PostgresHandler, SimpleQueryServerSide)
{
    ReplayOptions opt;
    opt.server_side = true;
    auto spans = run("psql_select.trace", opt);
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].type, SpanType::SQLServer);
    EXPECT_EQ(spans[0].kind(), SpanKind::Server);
    EXPECT_EQ(spans[0].name(), "SELECT accounting.contacts");
    EXPECT_EQ(spans[0].host_port, 5432);  // host = the server side: us
    EXPECT_EQ(spans[0].peer_port, 40000);
    EXPECT_EQ(spans[0].db_namespace, "shop");
}

TEST(PostgresHandler, ErrorResponseGivesSqlstate)
{
    auto spans = run("psql_error.trace");
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_TRUE(spans[0].error);
    EXPECT_EQ(spans[0].status_code(), StatusCode::Error);
    EXPECT_EQ(spans[0].error_code, "42P01");
    EXPECT_EQ(spans[0].error_message, "relation \"nosuchtable\" does not exist");
    EXPECT_EQ(spans[0].name(), "SELECT nosuchtable");
}

TEST(PostgresHandler, LargeResultAcrossHoles)
{
    for (size_t cap : {size_t(16), size_t(64), size_t(512), size_t(2048), size_t(8192)}) {
        ReplayOptions opt;
        opt.capture = cap;
        Replay r(kDef, load_trace("postgres/psql_big_result.trace"), opt);
        ASSERT_EQ(r.sink.spans.size(), 1u) << "capture " << cap;
        const Span& s = r.sink.spans[0];
        EXPECT_EQ(s.operation, "SELECT");
        std::string full = "SELECT id, label, qty FROM items";
        EXPECT_EQ(full.substr(0, s.statement.size()), s.statement) << "capture " << cap;
        if (cap >= 64) {
            EXPECT_EQ(s.collection, "items");
        }
        EXPECT_EQ(r.counters.parse_errors, 0u);
    }
}

TEST(PostgresHandler, TransactionStatements)
{
    auto spans = run("psql_transaction.trace");
    EXPECT_EQ(names(spans), (std::vector<std::string>{"BEGIN", "INSERT items", "UPDATE items", "DELETE items", "COMMIT"}));
    ASSERT_EQ(spans.size(), 5u);
    EXPECT_EQ(spans[1].statement, "INSERT INTO items(label, qty) VALUES ($$its$$, 5);");
}

TEST(PostgresHandler, CopyKeepsSync)
{
    EXPECT_EQ(names(run("psql_copy_out.trace")), (std::vector<std::string>{"COPY"}));
    EXPECT_EQ(names(run("psql_copy_in.trace")), (std::vector<std::string>{"CREATE t", "COPY t", "SELECT t"}));
}

TEST(PostgresHandler, MultiStatementQueryIsOneSpan)
{
    auto spans = run("psql_multi_statement.trace");
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].statement, "SELECT 1; SELECT 2");
    EXPECT_EQ(spans[0].name(), "SELECT");
}

TEST(PostgresHandler, ExtendedProtocolNamedAndUnnamed)
{
    auto spans = run("node_pg_extended.trace");
    ASSERT_EQ(spans.size(), 6u) << ::testing::PrintToString(names(spans));
    const std::string named = "SELECT id, name FROM accounting.contacts WHERE id = $1";
    for (int i = 0; i < 3; i++) {  // Parse once, then Bind/Execute of the named statement
        EXPECT_EQ(spans[i].statement, named) << i;
        EXPECT_EQ(spans[i].name(), "SELECT accounting.contacts");
        EXPECT_FALSE(spans[i].error);
    }
    EXPECT_EQ(spans[3].statement, "UPDATE items SET qty = $1 WHERE id = $2");
    EXPECT_EQ(spans[3].name(), "UPDATE items");
    EXPECT_TRUE(spans[4].error);
    EXPECT_EQ(spans[4].error_code, "42P01");
    EXPECT_EQ(spans[4].name(), "SELECT missing_table");
    EXPECT_EQ(spans[5].name(), "SELECT items");
    for (const auto& s : spans) EXPECT_EQ(s.db_namespace, "shop");
}

TEST(PostgresHandler, Psycopg2Transactions)
{
    auto spans = run("psycopg2.trace");
    EXPECT_EQ(names(spans),
              (std::vector<std::string>{"BEGIN", "SELECT accounting.contacts", "COMMIT", "BEGIN", "INSERT nosuch", "ROLLBACK"}));
    ASSERT_EQ(spans.size(), 6u);
    EXPECT_EQ(spans[1].statement, "SELECT name FROM accounting.contacts WHERE id = 2 AND name <> 'O''Brien'");
    EXPECT_TRUE(spans[4].error);
    EXPECT_EQ(spans[4].error_code, "42P01");
}

TEST(PostgresHandler, PgbenchPreparedCountsTransactionsTimesStatements)
{
    auto spans = run("pgbench_prepared.trace");  // 2 transactions of the 7-statement TPC-B script
    ASSERT_EQ(spans.size(), 14u) << ::testing::PrintToString(names(spans));
    EXPECT_EQ(spans[0].name(), "BEGIN");
    EXPECT_EQ(spans[1].name(), "UPDATE pgbench_accounts");
    EXPECT_EQ(spans[2].name(), "SELECT pgbench_accounts");
    EXPECT_EQ(spans[5].name(), "INSERT pgbench_history");
    EXPECT_EQ(spans[6].name(), "END");
    EXPECT_EQ(spans[1].statement.substr(0, 29), "UPDATE pgbench_accounts SET a");
    EXPECT_EQ(run("pgbench_simple.trace").size(), 14u);
}

TEST(PostgresHandler, PipelinedExecutes)
{
    auto spans = run("pgbench_pipeline.trace");
    EXPECT_EQ(names(spans), (std::vector<std::string>{"SELECT pgbench_accounts", "UPDATE pgbench_accounts", "SELECT",
                                                      "SELECT pgbench_accounts", "UPDATE pgbench_accounts", "SELECT"}));
    // Each execute ends at its own CommandComplete; they start in the same burst.
    ASSERT_EQ(spans.size(), 6u);
    EXPECT_EQ(spans[0].request_start_ns, spans[1].request_start_ns);
    EXPECT_NE(spans[0].span_id, spans[1].span_id);
    EXPECT_EQ(spans[0].parent_span_id, spans[1].parent_span_id);
}

const char* const kTraces[] = {
    "psql_select.trace",     "psql_error.trace",      "psql_big_result.trace",    "psql_transaction.trace",
    "psql_copy_out.trace",   "psql_copy_in.trace",    "psql_multi_statement.trace", "node_pg_extended.trace",
    "psycopg2.trace",        "pgbench_prepared.trace", "pgbench_simple.trace",    "pgbench_pipeline.trace",
};

TEST(PostgresHandler, RandomSplitsGiveTheSameSpans)
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
                for (size_t i = 0; i < got.size(); i++) {
                    EXPECT_EQ(got[i].statement, ref[i].statement) << t;
                    EXPECT_EQ(got[i].error_code, ref[i].error_code) << t;
                }
            }
        }
    }
}

TEST(PostgresHandler, EveryPrefixGivesAPrefixOfTheSpans)
{
    for (const char* t : kTraces) {
        auto records = load_trace(std::string("postgres/") + t);
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

TEST(PostgresHandler, HolesNeverGiveGarbage)
{
    for (const char* t : kTraces) {
        auto ref = run(t);
        for (size_t cap : {size_t(5), size_t(16), size_t(40), size_t(100), size_t(300)}) {
            for (unsigned seed : {0u, 3u}) {
                ReplayOptions opt;
                opt.capture = cap;
                opt.split_seed = seed;
                Replay r(kDef, load_trace(std::string("postgres/") + t), opt);
                for (const auto& s : r.sink.spans) {
                    EXPECT_EQ(sql::clean_text_prefix(s.statement), s.statement);
                    bool prefix_of_some = s.statement.empty();
                    for (const auto& f : ref) prefix_of_some |= f.statement.compare(0, s.statement.size(), s.statement) == 0;
                    EXPECT_TRUE(prefix_of_some) << t << " capture " << cap << ": " << s.statement;
                    EXPECT_GE(s.end_ns, s.request_start_ns);
                }
                EXPECT_LE(r.sink.spans.size(), ref.size() + 0) << t << " capture " << cap;
            }
        }
    }
}

TEST(PostgresHandler, MidStreamConnection)
{
    // The agent started after authentication: the first bytes seen are a query.
    auto records = load_trace("postgres/psql_transaction.trace");
    size_t first_query = 0;
    while (first_query < records.size() && !(records[first_query].c2s && records[first_query].bytes[0] == 'Q')) first_query++;
    ReplayOptions opt;
    opt.skip_records = first_query;
    Replay r(kDef, records, opt);
    EXPECT_EQ(r.detection, conntrack::Detection::Yes);
    EXPECT_EQ(names(r.sink.spans), (std::vector<std::string>{"BEGIN", "INSERT items", "UPDATE items", "DELETE items", "COMMIT"}));
    EXPECT_TRUE(r.sink.spans.empty() || r.sink.spans[0].db_namespace.empty());

    // Seen first from a response: that response is an orphan, the rest is followed.
    opt.skip_records = first_query + 1;
    Replay r2(kDef, records, opt);
    EXPECT_EQ(r2.detection, conntrack::Detection::Yes);
    EXPECT_EQ(names(r2.sink.spans), (std::vector<std::string>{"INSERT items", "UPDATE items", "DELETE items", "COMMIT"}));
    EXPECT_EQ(r2.counters.orphan_responses, 1u);
}

TEST(PostgresHandler, MidStreamPreparedStatementsWithoutText)
{
    // pgbench -M prepared seen after its statements were prepared: Bind/Execute only.
    auto records = load_trace("postgres/pgbench_prepared.trace");
    size_t i = 0;
    int binds = 0;
    for (; i < records.size(); i++)
        if (records[i].c2s && records[i].bytes[0] == 'B' && ++binds == 8) break;  // second transaction
    ReplayOptions opt;
    opt.skip_records = i;
    Replay r(kDef, records, opt);
    EXPECT_EQ(r.detection, conntrack::Detection::Yes);
    ASSERT_EQ(r.sink.spans.size(), 7u);
    for (const auto& s : r.sink.spans) EXPECT_EQ(s.name(), "SQL");  // the text was prepared before we watched
    EXPECT_EQ(r.counters.parse_errors, 0u);
}

TEST(PostgresHandler, GarbageAfterStartupIsCountedNotCrashing)
{
    auto records = load_trace("postgres/psql_select.trace");
    records.resize(4);  // SSLRequest, N, StartupMessage, authentication
    records.push_back({true, std::string("\x01\x02garbage that is not postgres at all", 37)});
    records.push_back({false, std::string("\xff\xfe\xfd\xfc\xfb\xfa", 6)});
    Replay r(kDef, records);
    EXPECT_TRUE(r.sink.spans.empty());
    EXPECT_GE(r.counters.parse_errors, 2u);
}

TEST(PostgresHandler, SslAcceptedStopsParsing)
{
    std::vector<sqltest::Record> records = {
        {true, std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8)},
        {false, "S"},
        {true, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)},  // a TLS ClientHello
        {false, std::string("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03", 11)},
    };
    Replay r(kDef, records);
    EXPECT_EQ(r.detection, conntrack::Detection::Yes);
    EXPECT_TRUE(r.sink.spans.empty());
    EXPECT_EQ(r.counters.parse_errors, 0u);
}

TEST(PostgresHandler, AsyncpgPrepareErrorBeforeSync)
{
    // asyncpg prepares with Parse + Describe + Flush: the ErrorResponse comes before any Sync
    // (then Sync, ReadyForQuery). The failed statement still gets its span, and only one.
    for (bool server_side : {false, true}) {
        ReplayOptions opt;
        opt.server_side = server_side;
        Replay r(kDef, load_trace("postgres/asyncpg_prepare_error.trace"), opt);
        ASSERT_EQ(r.sink.spans.size(), 2u) << server_side;
        const Span& s = r.sink.spans[0];
        EXPECT_EQ(s.name(), "SELECT apg_missing");
        EXPECT_TRUE(s.error);
        EXPECT_EQ(s.status_code(), StatusCode::Error);
        EXPECT_EQ(s.error_code, "42P01");
        EXPECT_EQ(s.error_message, "relation \"apg_missing\" does not exist");
        EXPECT_EQ(s.statement, "SELECT * FROM apg_missing");
        EXPECT_EQ(r.sink.spans[1].name(), "SELECT");
        EXPECT_FALSE(r.sink.spans[1].error);
        EXPECT_EQ(r.counters.orphan_responses, 0u);
    }
}

TEST(PostgresHandler, StatementCacheIsBounded)
{
    // 5000 named statements never closed: the handler keeps at most its cache's worth.
    std::vector<sqltest::Record> records;
    auto msg = [](char type, std::string body) {
        uint32_t len = static_cast<uint32_t>(body.size() + 4);
        std::string m(1, type);
        for (int s = 24; s >= 0; s -= 8) m.push_back(static_cast<char>(len >> s));
        return m + body;
    };
    for (int i = 0; i < 5000; i++) {
        std::string name = "s" + std::to_string(i);
        std::string parse = msg('P', name + '\0' + "SELECT " + std::to_string(i) + " FROM t" + std::to_string(i) + '\0' +
                                         std::string("\0\0", 2));
        std::string bind = msg('B', std::string("\0", 1) + name + '\0' + std::string("\0\0\0\0\0\0", 6));
        std::string exec = msg('E', std::string("\0\0\0\0\0", 5));
        records.push_back({true, parse + bind + exec + msg('S', "")});
        records.push_back({false, msg('1', "") + msg('2', "") + msg('C', std::string("SELECT 1\0", 9)) + msg('Z', "I")});
    }
    Replay r(kDef, records);
    ASSERT_EQ(r.sink.spans.size(), 5000u);
    EXPECT_EQ(r.sink.spans[4999].name(), "SELECT t4999");
    EXPECT_EQ(r.counters.parse_errors, 0u);
}

}  // namespace
}  // namespace obi::postgres
