// PgHandler: one FrameReader per direction, the connection's prepared statements and
// portals, and a queue of requests (Query, Execute, Sync) answered in order by the server.
#include "protocols/postgres/conn_handler.h"

#include <algorithm>
#include <deque>
#include <string>

#include "protocols/postgres/messages.h"
#include "protocols/sql/frame_reader.h"
#include "protocols/sql/sql_call.h"
#include "protocols/sql/statement.h"
#include "protocols/sql/statement_cache.h"

namespace obi::postgres {
namespace {

using conntrack::DataChunk;
using conntrack::Direction;

constexpr size_t kMaxPending = 256;    // requests sent and not yet answered (pipelining)
constexpr size_t kMaxPortals = 64;     // named portals per connection (the unnamed one is extra)
constexpr uint32_t kStartupKeep = 4096;
constexpr size_t kRecentKeep = 1024;   // response bytes kept while lost: an ErrorResponse's usual size

enum class Kind : uint8_t {
    Simple,   // Query: answered by ... ReadyForQuery
    Execute,  // answered by CommandComplete / EmptyQueryResponse / PortalSuspended / ErrorResponse
    Sync,     // answered by ReadyForQuery; carries a failed Parse/Bind of its group
    Other,    // FunctionCall: answered by ReadyForQuery, no span
};

struct Pending {
    Kind kind = Kind::Simple;
    bool responded = false;  // response bytes for it were seen
    sql::SqlCall call;
};

// `Z` 00 00 00 05 + transaction status: the end of every response.
bool ends_with_ready(std::string_view tail)
{
    if (tail.size() < 6) return false;
    std::string_view z = tail.substr(tail.size() - 6);
    char st = z[5];
    return z.substr(0, 5) == std::string_view("Z\0\0\0\x05", 5) && (st == 'I' || st == 'T' || st == 'E');
}

// Keeps the last `kRecentKeep` bytes of `s`.
void trim_recent(std::string& s)
{
    if (s.size() > kRecentKeep) s.erase(0, s.size() - kRecentKeep);
}


class PgHandler final : public conntrack::ProtocolHandler {
public:
    explicit PgHandler(const conntrack::HandlerEnv& env) : env_(env), req_(5), resp_(5), portals_(kMaxPortals, 64 * 1024)
    {
        BurstKind k = classify_burst(env.first_bytes);
        if (k == BurstKind::Backend) req_dir_ = opposite(env.first_dir);
        else if (k == BurstKind::Startup || k == BurstKind::Frontend) req_dir_ = env.first_dir;
        else req_dir_ = env.conn->kernel_role == OBI_ROLE_SERVER ? Direction::Ingress : Direction::Egress;
        server_side_ = req_dir_ == Direction::Ingress;
        if (k == BurstKind::Startup || (k != BurstKind::Frontend && k != BurstKind::Backend && !env.first_bytes.empty() &&
                                        env.first_bytes[0] == '\0'))
            req_.set_header_len(4);
        else
            ready_seen_ = true;  // mid-stream: the handshake happened before we watched
        env_.first_bytes = {};
    }

    void on_data(const DataChunk& c) override
    {
        if (ignored_) return;
        if (c.dir == req_dir_) on_request_chunk(c);
        else on_response_chunk(c);
    }

    void on_gap() override
    {
        env_.counters->lost_sync++;
        req_.lose();
        resp_.lose();
        if (!tls_) {
            req_.set_header_len(5);
            resp_.set_header_len(5);
        }
        drop_pending();
        group_active_ = group_has_execute_ = false;
        resp_lost_ = false;
        resp_recent_.clear();
    }

    // A request already answered in part (rows, an ErrorResponse: a FATAL one is followed by the
    // server closing the connection, never by ReadyForQuery) ends at the last response bytes;
    // requests without any answer are dropped as unanswered.
    void on_close(uint64_t) override
    {
        while (!pending_.empty()) {
            const Pending& p = pending_.front();
            bool spans = p.kind == Kind::Simple || p.kind == Kind::Execute || (p.kind == Kind::Sync && p.call.error);
            if (spans && (p.responded || p.call.error)) {
                finish_front(std::max(resp_last_ts_, p.call.start_ns));
            } else {
                env_.counters->unanswered++;
                pending_.pop_front();
            }
        }
    }

    void on_timer(uint64_t now_ns) override
    {
        if (env_.request_timeout_ns == 0) return;
        while (!pending_.empty() && pending_.front().call.start_ns + env_.request_timeout_ns < now_ns) {
            env_.counters->unanswered++;
            pending_.pop_front();
        }
    }

private:
    // ---- requests
    void on_request_chunk(const DataChunk& c)
    {
        if (tls_) {
            // After SSLRequest/GSSENCRequest was accepted the socket carries TLS records; only
            // TLS plaintext (from the libssl probes) starts with a startup message again.
            if (!c.msg_start || classify_burst(c.captured) != BurstKind::Startup) return;
            tls_ = false;
            req_.set_header_len(4);
            resp_.set_header_len(5);
        }
        // A new request while the response stream is lost: the previous response ended in
        // bytes we could not follow; its requests end at the last response bytes seen.
        if (c.msg_start && resp_lost_ && resp_seen_since_request_) ready(resp_last_ts_);
        resp_seen_since_request_ = false;
        auto check = [this](std::string_view h) { return check_request_header(h); };
        auto on_frame = [this](const sql::Frame& f) { on_request_frame(f); };
        count(req_.feed(c, check, on_frame));
    }

    sql::HeaderVerdict check_request_header(std::string_view h) const
    {
        sql::HeaderVerdict v;
        if (h.size() == 4) {  // untyped startup packet
            uint32_t len = be32(h, 0);
            v.ok = len >= 8 && len <= kMaxStartupLen;
            v.body_len = v.ok ? len - 4 : 0;
            v.keep = kStartupKeep;
            return v;
        }
        char t = h[0];
        uint32_t len = be32(h, 1);
        v.ok = is_frontend_type(t) && plausible_length(t, len, true);
        v.body_len = v.ok ? len - 4 : 0;
        v.keep = frontend_keep(t);
        return v;
    }

    void on_request_frame(const sql::Frame& f)
    {
        if (f.header.size() == 4) return on_startup_frame(f);
        std::string_view body = f.body;
        size_t pos = 0;
        std::string_view a, b;
        switch (f.header[0]) {
        case 'Q': {
            Pending& p = push(Kind::Simple, f);
            size_t nul = body.find('\0');
            sql::assign_statement(p.call.text, body.substr(0, nul));
            group_active_ = false;
            break;
        }
        case 'P':
            begin_group(f);
            if (!cstring(body, pos, a, kMaxNameLen)) break;
            b = body.substr(pos);
            b = b.substr(0, b.find('\0'));  // a text cut by the capture budget has no NUL
            if (a.empty()) sql::assign_statement(unnamed_stmt_, b);
            else statements_.put(std::string(a), sql::clean_text_prefix(b.substr(0, 8192)));
            sql::assign_statement(group_.text, b);
            break;
        case 'B': {
            begin_group(f);
            if (!cstring(body, pos, a, kMaxNameLen) || !cstring(body, pos, b, kMaxNameLen)) break;
            const std::string* text = b.empty() ? &unnamed_stmt_ : statements_.get(std::string(b));
            std::string_view t = text ? std::string_view(*text) : std::string_view();
            if (a.empty()) unnamed_portal_.assign(t);
            else portals_.put(std::string(a), t);
            if (group_.text.empty()) group_.text.assign(t);
            break;
        }
        case 'E': {
            begin_group(f);
            if (!cstring(body, pos, a, kMaxNameLen)) a = {};
            const std::string* text = a.empty() ? &unnamed_portal_ : portals_.get(std::string(a));
            Pending& p = push_call(Kind::Execute, std::move(group_));
            p.call.text.assign(text ? std::string_view(*text) : std::string_view());
            group_ = sql::SqlCall();
            group_active_ = false;
            group_has_execute_ = true;
            break;
        }
        case 'S': {
            sql::SqlCall call = group_active_ ? std::move(group_) : start_call(f);
            Pending& p = push_call(Kind::Sync, std::move(call));
            if (group_has_execute_) p.call.text.clear();  // its executions have spans of their own
            group_ = sql::SqlCall();
            group_active_ = group_has_execute_ = false;
            break;
        }
        case 'C':  // Close a statement or a portal
            if (body.empty()) break;
            pos = 1;
            if (!cstring(body, pos, a, kMaxNameLen)) break;
            if (body[0] == 'S') {
                if (a.empty()) unnamed_stmt_.clear();
                else statements_.erase(std::string(a));
            } else if (body[0] == 'P') {
                if (a.empty()) unnamed_portal_.clear();
                else portals_.erase(std::string(a));
            }
            break;
        case 'F': push(Kind::Other, f); break;
        case 'D': begin_group(f); break;
        default: break;  // Flush, CopyData/Done/Fail, password, Terminate
        }
    }

    void on_startup_frame(const sql::Frame& f)
    {
        if (f.body.size() < 4) {
            env_.counters->parse_errors++;
            req_.lose();
            return;
        }
        uint32_t code = be32(f.body, 0);
        if (code == kSslRequest || code == kGssEncRequest) {
            expect_ssl_reply_ = true;
            resp_.set_header_len(1);
        } else if ((code >> 16) == kProtocolMajor) {
            sql::assign_statement(db_namespace_, startup_database(f.body.substr(4)), 256);
            req_.set_header_len(5);
        } else if (code == kCancelRequest) {
            ignored_ = true;  // a cancel connection carries nothing else
        } else {
            env_.counters->parse_errors++;
            req_.lose();
        }
    }

    sql::SqlCall start_call(const sql::Frame& f)
    {
        sql::SqlCall call;
        call.start_ns = f.start_ts;
        call.tid = f.tid;
        call.ctx = conntrack::assign_span_context(burst_ctx_.take(f.tctx, f.burst_start, server_side_), "",
                                                  server_side_, *env_.resolver);
        return call;
    }

    // The first message of an extended-protocol request (Parse, Bind, Describe or Execute
    // after the previous Execute or Sync) starts its span.
    void begin_group(const sql::Frame& f)
    {
        if (group_active_) return;
        group_ = start_call(f);
        group_active_ = true;
    }

    Pending& push(Kind kind, const sql::Frame& f) { return push_call(kind, start_call(f)); }

    Pending& push_call(Kind kind, sql::SqlCall&& call)
    {
        if (pending_.size() >= kMaxPending) {
            env_.counters->unanswered++;
            pending_.pop_front();
        }
        Pending& p = pending_.emplace_back();
        p.kind = kind;
        p.call = std::move(call);
        return p;
    }

    // ---- responses
    void on_response_chunk(const DataChunk& c)
    {
        resp_last_ts_ = c.ts_ns;
        resp_seen_since_request_ = true;
        if (tls_) return;
        if (!pending_.empty() && !expect_ssl_reply_) pending_.front().responded = true;
        // The bytes before this call matter only when the stream is lost across calls.
        if (c.msg_start || resp_.in_sync()) resp_recent_.clear();
        auto check = [this](std::string_view h) { return check_response_header(h); };
        auto on_frame = [this](const sql::Frame& f) { on_response_frame(f); };
        sql::FeedStatus st = resp_.feed(c, check, on_frame);
        count(st);
        if (st == sql::FeedStatus::Lost || st == sql::FeedStatus::Invalid) resp_lost_ = true;
        if (resp_.in_sync() || tls_ || expect_ssl_reply_) {
            resp_recent_.clear();
            return;
        }
        // Out of sync inside a long response: the end of the response is found from the call's
        // last bytes, with the bytes of the previous calls when they were captured whole.
        const bool whole = c.captured.size() >= c.bytes;
        const size_t prev = resp_recent_.size();
        std::string head = resp_recent_;  // contiguous: the previous calls' end, then this call's start
        head.append(c.captured.substr(0, std::min<uint64_t>(c.captured.size(), c.bytes)));
        if (whole) resp_recent_ = head;
        else resp_recent_.assign(c.tail);
        trim_recent(resp_recent_);
        std::string_view end = whole ? std::string_view(head) : c.tail;  // ends where the call ends
        if (!ends_with_ready(end)) return;
        end_lost_response(head, prev + c.bytes - 6, end, c.ts_ns);
        resp_recent_.clear();
        resp_.resync_after_call();
    }

    // A response followed by length until bytes were missing ends with ReadyForQuery at offset
    // `z` of `head` (possibly past its end, in uncaptured bytes); `end` holds the call's last
    // bytes. An ErrorResponse just before it fails the request it answers.
    void end_lost_response(std::string_view head, uint64_t z, std::string_view end, uint64_t ts)
    {
        std::string_view before = head.substr(0, std::min<uint64_t>(z, head.size()));
        TrailingMessage m = message_before_ready(before, z - before.size());
        if (m.kind == TrailingMessage::Kind::Unknown && z > head.size())
            m = message_before_ready(end.substr(0, end.size() - 6), 0);  // the tail only
        char status = end.back();
        if (m.kind == TrailingMessage::Kind::Error && status != 'T' && !pending_.empty() &&
            pending_.front().kind != Kind::Other) {
            // (An error inside a transaction block leaves it failed: status 'E', never 'T'.)
            Pending& p = pending_.front();
            if (!p.call.error) {
                p.call.error = true;
                sql::assign_statement(p.call.error_code, m.fields.sqlstate, 16);
                sql::assign_statement(p.call.error_message, m.fields.message, 512);
            }
            if (p.kind == Kind::Execute) {
                finish_front(ts);
                resp_lost_ = false;  // the server skipped the rest up to Sync
            }
        }
        ready(ts);
    }

    sql::HeaderVerdict check_response_header(std::string_view h) const
    {
        sql::HeaderVerdict v;
        if (h.size() == 1) {  // the answer to SSLRequest / GSSENCRequest
            v.ok = h[0] == 'N' || h[0] == 'S' || h[0] == 'G';
            return v;
        }
        char t = h[0];
        uint32_t len = be32(h, 1);
        v.ok = is_backend_type(t) && plausible_length(t, len, false);
        v.body_len = v.ok ? len - 4 : 0;
        v.keep = backend_keep(t);
        return v;
    }

    void on_response_frame(const sql::Frame& f)
    {
        if (f.header.size() == 1) {
            expect_ssl_reply_ = false;
            resp_.set_header_len(5);
            if (f.header[0] != 'N') {  // encryption accepted: TLS or GSSAPI from here on
                tls_ = true;
                req_.lose();
                resp_.lose();
            }
            return;
        }
        if (!pending_.empty()) pending_.front().responded = true;
        switch (f.header[0]) {
        case 'E': on_error(f); break;
        case 'C':
        case 'I':
        case 's': complete_execute(f.end_ts); break;
        case 'Z': ready(f.end_ts); break;
        default: break;
        }
    }

    void on_error(const sql::Frame& f)
    {
        ErrorFields e = error_fields(f.body);
        if (pending_.empty() && group_active_ && ready_seen_) {
            // Parse/Bind/Describe + Flush (asyncpg's prepare): the error answers the group
            // before its Sync; the Sync that follows gets no span of its own.
            group_.error = true;
            sql::assign_statement(group_.error_code, e.sqlstate, 16);
            sql::assign_statement(group_.error_message, e.message, 512);
            sql::emit_sql_span(env_, server_side_, "postgresql", db_namespace_, std::move(group_), f.end_ts);
            group_ = sql::SqlCall();
            group_active_ = false;
            return;
        }
        if (pending_.empty()) {
            if (ready_seen_) env_.counters->orphan_responses++;
            return;
        }
        Pending& p = pending_.front();
        if (p.kind == Kind::Other) return;
        if (!p.call.error) {
            p.call.error = true;
            sql::assign_statement(p.call.error_code, e.sqlstate, 16);
            sql::assign_statement(p.call.error_message, e.message, 512);
        }
        if (p.kind == Kind::Execute) {
            finish_front(f.end_ts);
            // The server skips every message up to Sync: later Executes get no answer.
        }
    }

    void complete_execute(uint64_t end_ns)
    {
        if (pending_.empty()) {
            if (ready_seen_) env_.counters->orphan_responses++;
            return;
        }
        Kind k = pending_.front().kind;
        if (k == Kind::Execute) finish_front(end_ns);
        else if (k != Kind::Simple) env_.counters->orphan_responses++;
    }

    // ReadyForQuery: everything up to the request it answers (a Query, a Sync) is done.
    void ready(uint64_t end_ns)
    {
        ready_seen_ = true;
        while (!pending_.empty()) {
            Kind k = pending_.front().kind;
            if (k == Kind::Execute) {
                if (resp_lost_) finish_front(end_ns);  // answered in bytes we could not follow
                else {
                    env_.counters->unanswered++;  // skipped by the server after an error
                    pending_.pop_front();
                }
                continue;
            }
            if (k == Kind::Simple || (k == Kind::Sync && pending_.front().call.error)) finish_front(end_ns);
            else pending_.pop_front();
            break;
        }
        resp_lost_ = false;
    }

    void finish_front(uint64_t end_ns)
    {
        sql::emit_sql_span(env_, server_side_, "postgresql", db_namespace_, std::move(pending_.front().call), end_ns);
        pending_.pop_front();
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
    bool ignored_ = false;
    bool tls_ = false;
    bool expect_ssl_reply_ = false;
    bool ready_seen_ = false;  // authentication is over: unmatched responses are orphans
    bool resp_lost_ = false;   // the response stream lost its place since the last ReadyForQuery
    bool resp_seen_since_request_ = false;
    uint64_t resp_last_ts_ = 0;
    std::string resp_recent_;  // while lost: the last bytes of the response stream, when known
    std::string db_namespace_;

    sql::StatementCache<std::string> statements_;
    sql::StatementCache<std::string> portals_;
    std::string unnamed_stmt_, unnamed_portal_;

    sql::SqlCall group_;  // the extended-protocol request being assembled
    bool group_active_ = false;
    bool group_has_execute_ = false;  // an Execute since the last Sync
    sql::BurstContext burst_ctx_;
    std::deque<Pending> pending_;
};

}  // namespace

conntrack::Detection detect(std::string_view first_bytes, Direction, const conntrack::ConnInfo&)
{
    switch (classify_burst(first_bytes)) {
    case BurstKind::Startup:
    case BurstKind::Frontend:
    case BurstKind::Backend: return conntrack::Detection::Yes;
    case BurstKind::NeedMore: return conntrack::Detection::NeedMore;
    case BurstKind::None: break;
    }
    return conntrack::Detection::No;
}

std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env)
{
    return std::make_unique<PgHandler>(env);
}

}  // namespace obi::postgres
