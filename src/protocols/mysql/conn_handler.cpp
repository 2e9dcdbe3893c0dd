// MysqlHandler: one FrameReader per direction (packets), the handshake phases, prepared
// statement ids, and a queue of commands each walking its answer (OK / ERR / result set /
// PREPARE_OK) packet by packet, checked by sequence id.
#include "protocols/mysql/conn_handler.h"

#include <deque>
#include <string>

#include "protocols/mysql/packets.h"
#include "protocols/sql/frame_reader.h"
#include "protocols/sql/sql_call.h"
#include "protocols/sql/statement_cache.h"

namespace obi::mysql {
namespace {

using conntrack::DataChunk;
using conntrack::Direction;

constexpr size_t kMaxPending = 64;
constexpr uint32_t kRequestKeep = 8192;  // the statement text (ebpf.capture_size is at most 8192)
constexpr uint32_t kResponseKeep = 1024;  // OK / ERR / PREPARE_OK / column count
constexpr uint32_t kRowKeep = 16;         // rows: enough to tell a terminator or an ERR
constexpr uint16_t kServerStatusCursorExists = 0x0040;
constexpr uint16_t kProgressReport = 0xffff;  // MariaDB's progress "error" packets are not errors

enum class Phase : uint8_t { Greeting, HandshakeResponse, Auth, Command };

// What the next answer packet of a command is.
enum class Await : uint8_t {
    Result,         // OK, ERR, LOCAL INFILE or a column count
    Columns,        // `left` column definitions
    ColumnsEof,     // the EOF after the column definitions
    Rows,           // rows until EOF/OK, ERR
    Infile,         // the client sends a file; then OK / ERR
    Simple,         // one OK / ERR / EOF
    Single,         // any one packet (COM_STATISTICS)
    FieldList,      // definitions until EOF
    PrepareOk,      // PREPARE_OK or ERR
    PrepareParams,  // `left` parameter definitions, then EOF
    PrepareParamsEof,
    PrepareColumns,
    PrepareColumnsEof,
};

struct Pending {
    uint8_t cmd = 0;
    Await await = Await::Result;
    uint8_t next_seq = 1;
    uint64_t left = 0;
    uint32_t prepare_columns = 0;
    bool span = false;  // this command becomes a span (query, execute; a prepare only on error)
    uint64_t prepare_serial = 0;  // a prepare: its number; an execute of id -1: the prepare it runs
    std::string init_db;  // COM_INIT_DB or a USE statement: the database once the server says OK
    sql::SqlCall call;
};


// The last bytes of a call end a result set: an EOF packet (05 00 00 seq fe w w s s) or, with
// CLIENT_DEPRECATE_EOF, an OK packet with the 0xfe header and no rows/insert id.
bool tail_ends_result(std::string_view t, bool deprecate_eof)
{
    if (t.size() < 8) return false;
    t = t.substr(t.size() - 8);
    auto u = [&](size_t i) { return static_cast<uint8_t>(t[i]); };
    if (u(0) == 0 && u(1) == 0 && u(3) == 0xfe) return ((u(6) | (u(7) << 8)) & kServerMoreResultsExist) == 0;
    if (deprecate_eof && u(1) == 0xfe && u(2) == 0 && u(3) == 0) return ((u(4) | (u(5) << 8)) & kServerMoreResultsExist) == 0;
    return false;
}

class MysqlHandler final : public conntrack::ProtocolHandler {
public:
    explicit MysqlHandler(const conntrack::HandlerEnv& env) : env_(env), req_(4), resp_(4)
    {
        BurstKind k = classify_burst(env.first_bytes);
        if (k == BurstKind::Greeting || k == BurstKind::Response) req_dir_ = opposite(env.first_dir);
        else if (k == BurstKind::Command) req_dir_ = env.first_dir;
        else req_dir_ = env.conn->kernel_role == OBI_ROLE_SERVER ? Direction::Ingress : Direction::Egress;
        server_side_ = req_dir_ == Direction::Ingress;
        phase_ = k == BurstKind::Greeting ? Phase::Greeting : Phase::Command;
        env_.first_bytes = {};
    }

    void on_data(const DataChunk& c) override
    {
        if (c.dir == req_dir_) on_request_chunk(c);
        else on_response_chunk(c);
    }

    void on_gap() override
    {
        env_.counters->lost_sync++;
        req_.lose();
        resp_.lose();
        req_cont_ = resp_cont_ = false;
        drop_pending();
        resp_lost_ = false;
        lost_tail_err_ = false;
        if (phase_ != Phase::Command && !tls_) phase_ = Phase::Command;  // the handshake is over by now
    }

    void on_close(uint64_t) override { drop_pending(); }

    void on_timer(uint64_t now_ns) override
    {
        if (env_.request_timeout_ns == 0) return;
        while (!pending_.empty() && pending_.front().call.start_ns + env_.request_timeout_ns < now_ns) {
            env_.counters->unanswered++;
            pending_.pop_front();
        }
    }

private:
    // ---- client to server
    void on_request_chunk(const DataChunk& c)
    {
        if (tls_) {
            // TLS after the SSL request: only TLS plaintext (libssl probes) resumes the protocol,
            // with the full handshake response (sequence id 2).
            if (!c.msg_start || c.captured.size() < 36 || static_cast<uint8_t>(c.captured[3]) != 2) return;
            HandshakeResponse hr;
            if (!parse_handshake_response(c.captured.substr(4, le24(c.captured, 0)), hr) || hr.ssl_request) return;
            tls_ = false;
            phase_ = Phase::HandshakeResponse;
        }
        if (c.msg_start) {
            if (!req_.in_sync()) req_cont_ = false;  // resynchronising: a new command starts here
            if (resp_lost_ && resp_seen_since_request_) finish_all(resp_last_ts_);  // the answer ended unseen
            resp_skip_ = false;
            resp_seen_since_request_ = false;
        }
        auto check = [](std::string_view h) {
            return sql::HeaderVerdict{true, le24(h, 0), kRequestKeep};
        };
        auto on_frame = [this](const sql::Frame& f) { on_request_frame(f); };
        count(req_.feed(c, check, on_frame));
    }

    void on_request_frame(const sql::Frame& f)
    {
        bool cont = req_cont_;
        req_cont_ = f.len == kMaxPayload;
        if (cont) return;  // the rest of a payload longer than 16 MiB
        uint8_t seq = static_cast<uint8_t>(f.header[3]);
        std::string_view p = f.body;
        switch (phase_) {
        case Phase::Greeting: return;  // the server speaks first
        case Phase::HandshakeResponse: {
            HandshakeResponse hr;
            if (!parse_handshake_response(p, hr)) {
                if (!f.body_cut) env_.counters->parse_errors++;
                phase_ = Phase::Auth;
                return;
            }
            if (hr.ssl_request) {
                tls_ = true;
                req_.lose();
                resp_.lose();
                return;
            }
            caps_ = hr.caps & (server_caps_ ? server_caps_ : ~0u);
            sql::assign_statement(db_namespace_, hr.database, 256);
            phase_ = Phase::Auth;
            return;
        }
        case Phase::Auth: return;  // authentication data
        case Phase::Command: break;
        }
        if (seq != 0 || p.empty()) return;  // LOCAL INFILE data, or an authentication exchange
        uint8_t cmd = static_cast<uint8_t>(p[0]);
        switch (cmd) {
        case kComQuery:
        case kComStmtPrepare: {
            Pending& q = push(cmd, cmd == kComQuery ? Await::Result : Await::PrepareOk, f);
            q.span = cmd == kComQuery;
            std::string_view text = query_text(p.substr(1), cmd == kComQuery);
            sql::assign_statement(q.call.text, text);
            if (cmd == kComQuery) sql::assign_statement(q.init_db, use_statement_db(text), 256);  // USE db
            if (cmd == kComStmtPrepare) {
                q.prepare_serial = ++prepare_serial_;
                last_prepare_text_ = q.call.text;
            }
            return;
        }
        case kComStmtExecute:
        case kComStmtBulkExecute: {
            Pending& q = push(cmd, Await::Result, f);
            q.span = true;
            if (p.size() < 5) return;
            uint32_t id = le32(p, 1);
            if (id == kLastPreparedStatement) {
                // Known from the prepare's request: its PREPARE_OK may not have arrived yet.
                if (prepare_serial_ == 0) return;  // prepared before we watched
                q.call.text = last_prepare_text_;
                q.prepare_serial = prepare_serial_;
            } else if (const std::string* text = statements_.get(id)) {
                q.call.text = *text;
            }
            return;
        }
        case kComStmtClose:
            if (p.size() >= 5) statements_.erase(le32(p, 1));
            return;
        case kComStmtSendLongData:
        case kComQuit: return;  // no answer
        case kComInitDb: {
            Pending& q = push(cmd, Await::Simple, f);
            sql::assign_statement(q.init_db, p.substr(1), 256);
            return;
        }
        case kComFieldList: push(cmd, Await::FieldList, f); return;
        case kComStatistics: push(cmd, Await::Single, f); return;
        case kComStmtFetch: push(cmd, Await::Rows, f); return;
        case kComChangeUser: {
            std::string_view db;
            change_user_ = parse_change_user_database(p, caps_, db);
            if (change_user_) sql::assign_statement(change_user_db_, db, 256);
            phase_ = Phase::Auth;
            return;
        }
        case kComPing:
        case kComStmtReset:
        case kComResetConnection:
        case kComSetOption:
        case 0x07:  // COM_REFRESH
        case 0x08:  // COM_SHUTDOWN
        case 0x0c:  // COM_PROCESS_KILL
        case 0x0d:  // COM_DEBUG
            push(cmd, Await::Simple, f);
            return;
        default:
            resp_skip_ = true;  // an answer we cannot walk: skip it until the next command
            return;
        }
    }

    // COM_QUERY with CLIENT_QUERY_ATTRIBUTES carries a parameter count and set count first.
    std::string_view query_text(std::string_view text, bool query) const
    {
        if (!query || !(caps_ & kClientQueryAttributes)) return text;
        size_t pos = 0;
        uint64_t nparams = 0, nsets = 0;
        if (!lenenc(text, pos, nparams) || !lenenc(text, pos, nsets) || nparams != 0) return {};
        return text.substr(pos);
    }

    Pending& push(uint8_t cmd, Await await, const sql::Frame& f)
    {
        if (pending_.size() >= kMaxPending) {
            env_.counters->unanswered++;
            pending_.pop_front();
        }
        Pending& q = pending_.emplace_back();
        q.cmd = cmd;
        q.await = await;
        q.call.start_ns = f.start_ts;
        q.call.tid = f.tid;
        bool span_kind =
            cmd == kComQuery || cmd == kComStmtExecute || cmd == kComStmtBulkExecute || cmd == kComStmtPrepare;
        if (span_kind)
            q.call.ctx = conntrack::assign_span_context(burst_ctx_.take(f.tctx, f.burst_start, server_side_), "",
                                                        server_side_, *env_.resolver);
        return q;
    }

    // ---- server to client
    void on_response_chunk(const DataChunk& c)
    {
        resp_last_ts_ = c.ts_ns;
        resp_seen_since_request_ = true;
        if (tls_) return;
        if (c.msg_start && !resp_.in_sync()) resp_cont_ = false;
        auto check = [this](std::string_view h) {
            bool rows = !pending_.empty() && (pending_.front().await == Await::Rows || pending_.front().await == Await::Columns);
            return sql::HeaderVerdict{true, le24(h, 0), rows ? kRowKeep : kResponseKeep};
        };
        auto on_frame = [this](const sql::Frame& f) { on_response_frame(f); };
        sql::FeedStatus st = resp_.feed(c, check, on_frame);
        count(st);
        if (st == sql::FeedStatus::Lost || st == sql::FeedStatus::Invalid) resp_lost_ = true;
        lost_tail_err_ = false;
        if (resp_.in_sync() || !resp_lost_ || pending_.empty() || !in_result(pending_.front().await)) return;
        // Lost inside a large result set: this call may end it, with its terminator or an ERR.
        ErrPacket e;
        if (tail_ends_result(c.tail, deprecate_eof())) {
            finish_front(c.ts_ns);
        } else if ((c.captured.size() == c.bytes && trailing_err(c.captured, e)) || trailing_err(c.tail, e)) {
            fail_front(e, c.ts_ns);  // the ERR that ends the call is known in full (the whole call, or its tail)
        } else {
            // Only the end of a long message is known: if the answer ends here (the next command
            // says so), text there is the end of an ERR's message.
            lost_tail_err_ = tail_looks_like_err_text(c.tail.substr(c.tail.size() - std::min<size_t>(8, c.tail.size())));
            return;
        }
        resp_.resync_after_call();
        resp_cont_ = false;
        resp_lost_ = false;
    }

    static bool in_result(Await a) { return a == Await::Columns || a == Await::ColumnsEof || a == Await::Rows; }
    bool deprecate_eof() const { return (caps_ & kClientDeprecateEof) != 0; }

    void on_response_frame(const sql::Frame& f)
    {
        uint8_t seq = static_cast<uint8_t>(f.header[3]);
        std::string_view p = f.body;
        uint8_t first = p.empty() ? 0 : static_cast<uint8_t>(p[0]);
        switch (phase_) {
        case Phase::Greeting: {
            uint32_t caps = 0;
            if (!greeting_capabilities(p, caps)) {
                env_.counters->parse_errors++;
                phase_ = Phase::Command;
                return;
            }
            server_caps_ = caps;
            phase_ = Phase::HandshakeResponse;
            return;
        }
        case Phase::HandshakeResponse: return;  // an ERR instead of a greeting: the connection closes
        case Phase::Auth:
            if (first == 0x00 || first == 0xff) {  // authenticated (or refused)
                if (first == 0x00 && change_user_) db_namespace_ = change_user_db_;
                change_user_ = false;
                phase_ = Phase::Command;
            }
            return;
        case Phase::Command: break;
        }
        if (resp_skip_) return;
        if (pending_.empty()) {
            env_.counters->orphan_responses++;
            return;
        }
        Pending& q = pending_.front();
        if (q.await != Await::Infile && seq != q.next_seq) {  // not the answer we expect: lost our place
            env_.counters->lost_sync++;
            resp_lost_ = true;
            resp_.lose();
            resp_cont_ = false;
            return;
        }
        q.next_seq = static_cast<uint8_t>(seq + 1);
        bool cont = resp_cont_;
        resp_cont_ = f.len == kMaxPayload;
        if (cont) return;  // the rest of a row longer than 16 MiB
        bool deprecate = deprecate_eof();
        uint16_t status = 0;
        switch (q.await) {
        case Await::Result:
            if (first == 0x00 && f.len >= 7) {
                if (ok_status(p, status) && (status & kServerMoreResultsExist)) return;  // another result follows
                if (!q.init_db.empty()) db_namespace_ = q.init_db;  // USE db succeeded
                return finish_front(f.end_ts);
            }
            if (first == 0xff) return on_err(f);
            if (first == 0xfb) {
                q.await = Await::Infile;
                return;
            }
            {
                size_t pos = 0;
                uint64_t n = 0;
                if (!lenenc(p, pos, n) || n == 0) {
                    env_.counters->parse_errors++;
                    return finish_front(f.end_ts);
                }
                q.left = n;
                q.await = Await::Columns;
                // MariaDB metadata caching: a 0 after the count means no column definitions follow
                if (pos < p.size() && pos + 1 == f.len && p[pos] == '\0') q.await = Await::Rows;
            }
            return;
        case Await::Columns:
            if (--q.left == 0) q.await = deprecate ? Await::Rows : Await::ColumnsEof;
            return;
        case Await::ColumnsEof:
            if (eof_status(p, f.len, status)) {
                q.await = Await::Rows;
                if (status & kServerStatusCursorExists) finish_front(f.end_ts);  // rows come by COM_STMT_FETCH
                return;
            }
            caps_ |= kClientDeprecateEof;  // a row right after the definitions: EOF is deprecated here
            q.await = Await::Rows;
            [[fallthrough]];
        case Await::Rows:
            if (first == 0xff && f.len >= 3) return on_err(f);
            if (is_result_terminator(p, f.len, deprecate_eof())) {
                bool ok = f.len < 9 ? eof_status(p, f.len, status) : ok_status(p, status);
                if (ok && (status & kServerMoreResultsExist)) {
                    q.await = Await::Result;
                    return;
                }
                return finish_front(f.end_ts);
            }
            return;  // a row
        case Await::Infile:
            if (first == 0x00 || first == 0xff) {
                q.next_seq = static_cast<uint8_t>(seq + 1);
                return first == 0xff ? on_err(f) : finish_front(f.end_ts);
            }
            return;
        case Await::Simple:
            if (first == 0xff) return on_err(f);
            if (first == 0x00 && q.cmd == kComInitDb) db_namespace_ = q.init_db;
            return finish_front(f.end_ts);
        case Await::Single: return finish_front(f.end_ts);
        case Await::FieldList:
            if (first == 0xff) return on_err(f);
            if (is_result_terminator(p, f.len, deprecate)) return finish_front(f.end_ts);
            return;
        case Await::PrepareOk:
            if (first == 0xff) {
                q.span = true;  // a statement that failed to prepare: its error is worth a span
                return on_err(f);
            }
            if (first != 0x00 || p.size() < 9) {
                env_.counters->parse_errors++;
                return finish_front(f.end_ts);
            }
            statements_.put(le32(p, 1), q.call.text);
            q.prepare_columns = le16(p, 5);
            q.left = le16(p, 7);
            if (q.left > 0) q.await = Await::PrepareParams;
            else enter_prepare_columns(q, f.end_ts);
            return;
        case Await::PrepareParams:
            if (--q.left == 0) {
                if (deprecate) enter_prepare_columns(q, f.end_ts);
                else q.await = Await::PrepareParamsEof;
            }
            return;
        case Await::PrepareParamsEof:
            if (eof_status(p, f.len, status)) return enter_prepare_columns(q, f.end_ts);
            caps_ |= kClientDeprecateEof;  // a definition where EOF was due: EOF is deprecated here
            if (q.prepare_columns == 0) return finish_front(f.end_ts);
            q.await = Await::PrepareColumns;
            q.left = q.prepare_columns;
            [[fallthrough]];
        case Await::PrepareColumns:
            if (--q.left == 0) {
                if (deprecate_eof()) return finish_front(f.end_ts);
                q.await = Await::PrepareColumnsEof;
            }
            return;
        case Await::PrepareColumnsEof: return finish_front(f.end_ts);
        }
    }

    // After PREPARE_OK and its parameter definitions: the column definitions, if any.
    void enter_prepare_columns(Pending& q, uint64_t end_ns)
    {
        if (q.prepare_columns == 0) return finish_front(end_ns);
        q.await = Await::PrepareColumns;
        q.left = q.prepare_columns;
    }

    void on_err(const sql::Frame& f)
    {
        ErrPacket e;
        if (!parse_err(f.body, e) || e.code == kProgressReport) return;
        fail_front(e, f.end_ts);
    }

    void fail_front(const ErrPacket& e, uint64_t end_ns)
    {
        Pending& q = pending_.front();
        q.call.error = true;
        if (!e.sqlstate.empty()) sql::assign_statement(q.call.error_code, e.sqlstate, 16);
        else q.call.error_code = std::to_string(e.code);
        q.call.server_code = std::to_string(e.code);  // db.response.status_code: the error number (1146)
        sql::assign_statement(q.call.error_message, e.message, 512);
        if (q.cmd == kComStmtPrepare) failed_prepare_serial_ = q.prepare_serial;
        finish_front(end_ns);
    }

    void finish_front(uint64_t end_ns)
    {
        Pending& q = pending_.front();
        // An execute of the statement "just prepared" whose prepare failed: that failure's span
        // is the statement's span (one span per statement).
        bool of_failed_prepare = q.cmd != kComStmtPrepare && q.prepare_serial != 0 && q.prepare_serial == failed_prepare_serial_;
        if (q.span && !of_failed_prepare)
            sql::emit_sql_span(env_, server_side_, "mysql", db_namespace_, std::move(q.call), end_ns);
        pending_.pop_front();
    }

    // Every command sent before the new one was answered in bytes we could not follow.
    void finish_all(uint64_t end_ns)
    {
        // One command whose result set we lost ended in text: an ERR, its SQL state unknown.
        if (lost_tail_err_ && pending_.size() == 1 && in_result(pending_.front().await)) pending_.front().call.error = true;
        lost_tail_err_ = false;
        while (!pending_.empty()) finish_front(end_ns);
        resp_lost_ = false;
        resp_cont_ = false;
    }

    void drop_pending()
    {
        env_.counters->unanswered += pending_.size();
        pending_.clear();
    }

    void count(sql::FeedStatus st)
    {
        if (st == sql::FeedStatus::Lost) env_.counters->lost_sync++;
        if (st == sql::FeedStatus::Invalid) env_.counters->parse_errors++;
    }

    conntrack::HandlerEnv env_;
    Direction req_dir_ = Direction::Egress;
    bool server_side_ = false;
    sql::FrameReader req_, resp_;
    Phase phase_ = Phase::Command;
    uint32_t server_caps_ = 0;
    uint32_t caps_ = 0;  // negotiated capabilities (as far as seen)
    bool tls_ = false;
    bool req_cont_ = false, resp_cont_ = false;  // the previous packet was 16 MiB - 1: this one continues it
    bool resp_skip_ = false;
    bool resp_lost_ = false;
    bool resp_seen_since_request_ = false;
    bool lost_tail_err_ = false;  // lost in a result set whose last call so far ends in text
    uint64_t prepare_serial_ = 0, failed_prepare_serial_ = 0;
    bool change_user_ = false;     // a COM_CHANGE_USER awaits its OK ...
    std::string change_user_db_;   // ... which switches to this database
    std::string last_prepare_text_;  // the latest COM_STMT_PREPARE's text (statement id -1)
    uint64_t resp_last_ts_ = 0;
    std::string db_namespace_;
    sql::StatementCache<uint32_t> statements_;
    sql::BurstContext burst_ctx_;
    std::deque<Pending> pending_;
};

}  // namespace

conntrack::Detection detect(std::string_view first_bytes, Direction, const conntrack::ConnInfo&)
{
    switch (classify_burst(first_bytes)) {
    case BurstKind::Greeting:
    case BurstKind::Command:
    case BurstKind::Response: return conntrack::Detection::Yes;
    case BurstKind::NeedMore: return conntrack::Detection::NeedMore;
    case BurstKind::None: break;
    }
    return conntrack::Detection::No;
}

std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env)
{
    return std::make_unique<MysqlHandler>(env);
}

}  // namespace obi::mysql
