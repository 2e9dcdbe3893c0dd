// PostgreSQL responses whose end is seen without following every message: an ErrorResponse
// after thousands of rows (captured heads, tails, call boundaries anywhere) and a FATAL
// ErrorResponse followed by the server closing the connection. Real bytes from PostgreSQL 15.18
// and psycopg2 2.9.5 through tests/apps/tcp_recorder.py (tests/data/corpus/postgres/):
//   postgres_error_after_rows.trace   SELECT n, 1/(id-(n+1)) FROM items ORDER BY id for n = 5 and
//                                     2000 (22012 after 5 rows, then after 2000 rows: a 40127-byte
//                                     answer in one recv), then SELECT 1
//   postgres_terminate_backend.trace  SELECT pg_terminate_backend(pg_backend_pid()): RowDescription,
//                                     DataRow, ErrorResponse FATAL 57P01, then the server closes
#include <gtest/gtest.h>

#include "kernel_view.h"
#include "protocols/postgres/conn_handler.h"
#include "protocols/postgres/messages.h"
#include "sql_trace_replay.h"

namespace obi::postgres {
namespace {

using sqltest::load_trace;
using sqltest::names;
using sqltest::Record;
using sqltest::Replay;
using sqltest::ReplayOptions;

const conntrack::ProtocolDef kDef = protocol_def();

// Feeds records as the kernel would, with the response record `cut_record` cut into calls of
// the given sizes (the rest one call per record), each captured up to `capture` bytes with a
// tail (OBI_TAIL_LEN), then closes.
class Calls {
public:
    Calls(const std::vector<Record>& records, bool server_side, size_t capture, size_t cut_record,
          const std::vector<size_t>& cuts)
        : resolver_(64)
    {
        conn_.pid = 42;
        conn_.local_addr = "127.0.0.1";
        conn_.remote_addr = "127.0.0.2";
        conn_.local_port = server_side ? 5432 : 40000;
        conn_.remote_port = server_side ? 40000 : 5432;
        conn_.kernel_role = server_side ? OBI_ROLE_SERVER : OBI_ROLE_CLIENT;
        bool prev_c2s = false;
        for (size_t i = 0; i < records.size(); i++) {
            const Record& r = records[i];
            auto dir = (r.c2s == server_side) ? conntrack::Direction::Ingress : conntrack::Direction::Egress;
            bool start = i == 0 || r.c2s != prev_c2s;
            prev_c2s = r.c2s;
            std::string_view bytes(r.bytes);
            if (!handler) {
                std::string_view head = bytes.substr(0, std::min(bytes.size(), conntrack::kMaxDetectBytes));
                conntrack::HandlerEnv env{&conn_, &sink, &resolver_, &counters, 0, head, dir};
                handler = kDef.create(env);
            }
            std::vector<size_t> sizes;
            if (i == cut_record) {
                size_t left = bytes.size();
                for (size_t n : cuts) {
                    sizes.push_back(std::min(n, left));
                    left -= sizes.back();
                }
                if (left) sizes.push_back(left);
            } else {
                sizes.push_back(bytes.size());
            }
            for (size_t n : sizes) {
                if (n == 0) continue;
                feed(dir, start, bytes.substr(0, n), capture);
                start = false;
                bytes.remove_prefix(n);
            }
        }
        handler->on_close(ts_ += 1000);
    }

    sqltest::CollectingSink sink;
    conntrack::ProtocolCounters counters;
    std::unique_ptr<conntrack::ProtocolHandler> handler;

private:
    void feed(conntrack::Direction dir, bool msg_start, std::string_view call, size_t capture)
    {
        sqltest::feed_call(*handler, ts_, dir, msg_start, call, capture);
    }

    conntrack::ConnInfo conn_;
    conntrack::TraceResolver resolver_;
    uint64_t ts_ = 1000000;
};

const std::vector<Record>& error_after_rows()
{
    static const std::vector<Record> r = load_trace("postgres/postgres_error_after_rows.trace");
    return r;
}

// The record holding the 2000-row answer and the bytes of its end (ErrorResponse + ReadyForQuery).
size_t big_answer()
{
    const auto& r = error_after_rows();
    for (size_t i = 0; i < r.size(); i++)
        if (!r[i].c2s && r[i].bytes.size() > 30000) return i;
    ADD_FAILURE() << "no big answer in the trace";
    return 0;
}

constexpr size_t kErrorAndReady = 66 + 6;  // "E" len=65 (22012 "division by zero" ...) + ReadyForQuery
constexpr size_t kCodeFromEnd = 54;        // the NUL before "C22012" lies 54 bytes before the end
constexpr size_t kCodeFromHeader = 5 + 21;  // header, "SERROR\0VERROR\0C22012\0"

// The three spans of the session: 22012 after 5 rows, 22012 (or an unknown code) after 2000 rows, SELECT 1.
void expect_session(const Calls& c, const std::string& code_after_2000, const std::string& what)
{
    ASSERT_EQ(c.sink.spans.size(), 3u) << what << ::testing::PrintToString(names(c.sink.spans));
    EXPECT_TRUE(c.sink.spans[0].error) << what;
    EXPECT_EQ(c.sink.spans[0].error_code, "22012") << what;
    const Span& s = c.sink.spans[1];
    EXPECT_EQ(s.name(), "SELECT items") << what;
    EXPECT_TRUE(s.error) << what;
    EXPECT_EQ(s.status_code(), StatusCode::Error) << what;
    EXPECT_EQ(s.error_code, code_after_2000) << what;
    EXPECT_FALSE(c.sink.spans[2].error) << what;
    EXPECT_EQ(c.sink.spans[2].name(), "SELECT") << what;
}

TEST(PostgresResponseEnd, ErrorAfterRowsInTheUncapturedMiddleOfOneCall)
{
    // One 40127-byte call: 2048 bytes captured, the ErrorResponse lies past the head; the call's
    // tail (OBI_TAIL_LEN bytes) holds its end: the SQLSTATE field and ReadyForQuery.
    for (bool server : {false, true}) {
        Calls c(error_after_rows(), server, 2048, big_answer(), {});
        expect_session(c, "22012", server ? "server" : "client");
    }
}

TEST(PostgresResponseEnd, ErrorPartlyCapturedAtTheEndOfTheLastCall)
{
    // The last call is 2088 bytes with 2048 captured: the ErrorResponse starts in the captured
    // head and the tail holds the rest, so the whole call is known: SQLSTATE and message.
    size_t total = error_after_rows()[big_answer()].bytes.size();
    for (bool server : {false, true}) {
        Calls c(error_after_rows(), server, 2048, big_answer(), {total - 2088});
        expect_session(c, "22012", "partly captured");
        EXPECT_EQ(c.sink.spans[1].error_message, "division by zero");
    }
}

TEST(PostgresResponseEnd, ErrorInALaterRead)
{
    // The rows end a call; the next read is the ErrorResponse and ReadyForQuery, captured whole.
    size_t total = error_after_rows()[big_answer()].bytes.size();
    for (size_t last : {kErrorAndReady, kErrorAndReady + 200}) {
        Calls c(error_after_rows(), false, 2048, big_answer(), {total - last});
        expect_session(c, "22012", "later read " + std::to_string(last));
        EXPECT_EQ(c.sink.spans[1].error_message, "division by zero");
    }
}

TEST(PostgresResponseEnd, ErrorAcrossACallBoundary)
{
    size_t total = error_after_rows()[big_answer()].bytes.size();
    // The previous call (not captured whole) ends inside the ErrorResponse: the fields after its
    // severity are read back from the ReadyForQuery.
    Calls a(error_after_rows(), false, 2048, big_answer(), {total - 55});
    expect_session(a, "22012", "55-byte last call");
    EXPECT_EQ(a.sink.spans[1].error_message, "division by zero");
    // A small previous call captured whole holds the start of the ErrorResponse: the header is found.
    Calls b(error_after_rows(), true, 2048, big_answer(), {total - 300, 260});
    expect_session(b, "22012", "40-byte last call after a whole call");
    // ReadyForQuery itself cut between two calls.
    Calls z(error_after_rows(), false, 2048, big_answer(), {total - 3});
    expect_session(z, "22012", "ReadyForQuery split");  // the previous call's tail holds the code
}

TEST(PostgresResponseEnd, EveryLastCallSizeGivesTheError)
{
    size_t total = error_after_rows()[big_answer()].bytes.size();
    for (bool server : {false, true}) {
        for (size_t last = 1; last <= 2200; last++) {
            Calls c(error_after_rows(), server, 2048, big_answer(), {total - last});
            // The code is known when its field lies in bytes we have: the last call's captured head
            // (its header at `last` - 72, then 26 bytes up to the end of "C22012\0") or its tail, or
            // the previous call's tail. The tail (OBI_TAIL_LEN) reaches the field from the end.
            bool in_head = last <= 2048 || last - kErrorAndReady + kCodeFromHeader <= 2048;
            bool code = OBI_TAIL_LEN >= kCodeFromEnd || (last + OBI_TAIL_LEN >= kCodeFromEnd && in_head);
            expect_session(c, code ? "22012" : "", "last call " + std::to_string(last));
            if (::testing::Test::HasFailure()) return;
        }
    }
}

TEST(PostgresResponseEnd, LargeSuccessfulResultIsNeverAnError)
{
    // psql_big_result: 2000 rows ending with CommandComplete: whatever the last call, no error.
    auto records = load_trace("postgres/psql_big_result.trace");
    size_t rec = 0;
    for (size_t i = 0; i < records.size(); i++)
        if (!records[i].c2s && records[i].bytes.size() > records[rec].bytes.size()) rec = i;
    size_t total = records[rec].bytes.size();
    for (size_t cap : {size_t(64), size_t(2048)}) {
        for (size_t last = 1; last <= 400; last += 3) {
            Calls c(records, false, cap, rec, {total - last});
            ASSERT_EQ(c.sink.spans.size(), 1u);
            EXPECT_FALSE(c.sink.spans[0].error) << "last " << last << " capture " << cap;
        }
    }
}

TEST(PostgresResponseEnd, MessageBeforeReadyReadsFieldsBack)
{
    const std::string& big = error_after_rows()[big_answer()].bytes;
    std::string_view before = std::string_view(big).substr(0, big.size() - 6);
    // The whole ErrorResponse, with its header.
    TrailingMessage m = message_before_ready(before.substr(before.size() - 500), 0);
    EXPECT_EQ(m.kind, TrailingMessage::Kind::Error);
    EXPECT_EQ(m.fields.sqlstate, "22012");
    EXPECT_EQ(m.fields.severity, "ERROR");
    // Only the end of its fields.
    m = message_before_ready(before.substr(before.size() - 40), 0);
    EXPECT_EQ(m.kind, TrailingMessage::Kind::Error);
    EXPECT_EQ(m.fields.sqlstate, "");
    m = message_before_ready(before.substr(before.size() - 48), 0);
    EXPECT_EQ(m.fields.sqlstate, "22012");
    EXPECT_EQ(m.fields.message, "division by zero");
    // Bytes that stop before the end: the ErrorResponse starts 66 bytes before ReadyForQuery.
    m = message_before_ready(before.substr(before.size() - 200, 100), 100);
    EXPECT_EQ(m.kind, TrailingMessage::Kind::Unknown);  // only rows
    m = message_before_ready(before.substr(before.size() - 200, 150), 50);
    EXPECT_EQ(m.kind, TrailingMessage::Kind::Error);  // its header, the severity only
    EXPECT_EQ(m.fields.sqlstate, "");
    m = message_before_ready(before.substr(before.size() - 200, 180), 20);
    EXPECT_EQ(m.kind, TrailingMessage::Kind::Error);
    EXPECT_EQ(m.fields.sqlstate, "22012");
    // A CommandComplete before ReadyForQuery (the answer to SELECT 1).
    const auto& r = error_after_rows();
    const std::string& one = r[r.size() - 2].bytes;
    m = message_before_ready(std::string_view(one).substr(0, one.size() - 6), 0);
    EXPECT_EQ(m.kind, TrailingMessage::Kind::Other);
    // A NoticeResponse read back (a WARNING, SQLSTATE class 01) is not an error.
    const char raw[] = "SWARNING\0VWARNING\0C01000\0Mhello\0";  // and the array's own NUL
    std::string notice(raw, sizeof raw);
    m = message_before_ready(std::string_view(notice).substr(3), 0);
    EXPECT_EQ(m.kind, TrailingMessage::Kind::Other);
}

TEST(PostgresResponseEnd, FatalErrorThenCloseEndsTheStatement)
{
    for (bool server : {false, true}) {
        for (unsigned seed : {0u, 1u, 2u, 3u}) {
            ReplayOptions opt;
            opt.server_side = server;
            opt.split_seed = seed;
            Replay r(kDef, load_trace("postgres/postgres_terminate_backend.trace"), opt);
            ASSERT_EQ(r.sink.spans.size(), 1u) << "server " << server << " seed " << seed;
            const Span& s = r.sink.spans[0];
            EXPECT_EQ(s.name(), "SELECT");
            EXPECT_EQ(s.statement, "SELECT pg_terminate_backend(pg_backend_pid())");
            EXPECT_TRUE(s.error);
            EXPECT_EQ(s.status_code(), StatusCode::Error);
            EXPECT_EQ(s.error_code, "57P01");
            EXPECT_EQ(s.error_message, "terminating connection due to administrator command");
            EXPECT_GT(s.end_ns, s.request_start_ns);
            EXPECT_EQ(r.counters.unanswered, 0u);
        }
    }
}

TEST(PostgresResponseEnd, UnansweredStatementAtCloseIsDropped)
{
    // The connection closes right after the query, before any answer: no span, counted.
    auto records = load_trace("postgres/postgres_terminate_backend.trace");
    size_t through_query = 0;
    for (size_t i = 0; i < records.size(); i++) {
        through_query += records[i].bytes.size();
        if (records[i].c2s && records[i].bytes[0] == 'Q') break;
    }
    ReplayOptions opt;
    opt.stop_after = through_query;
    Replay r(kDef, records, opt);
    EXPECT_TRUE(r.sink.spans.empty());
    EXPECT_EQ(r.counters.unanswered, 1u);
    // Rows seen, then the close (no ErrorResponse): the statement ends without an error.
    opt.stop_after = through_query + 60;
    Replay rows(kDef, records, opt);
    ASSERT_EQ(rows.sink.spans.size(), 1u);
    EXPECT_FALSE(rows.sink.spans[0].error);
}

}  // namespace
}  // namespace obi::postgres
