// RedisHandler: one RespScanner per direction, the queue of commands awaiting replies
// (with barriers where commands were lost), the connection's modes (pub/sub, MONITOR,
// CLIENT REPLY, RESP3, selected DB) and span assembly.
#include "protocols/redis/conn_handler.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conntrack/span_context.h"
#include "conntrack/span_emit.h"
#include "protocols/redis/commands.h"
#include "protocols/redis/resp_scanner.h"
#include "protocols/redis/sanitize.h"

namespace obi::redis {
namespace {

using conntrack::DataChunk;
using conntrack::Direction;

constexpr size_t kMaxPending = 1024;    // pipelined commands awaiting replies
constexpr size_t kMaxStatement = 1024;  // db.query.text bytes
constexpr size_t kDeepQueue = 64;       // beyond this many queued commands, statements are kept shorter
constexpr size_t kDeepStatement = 128;  // (bounds a connection's queue to about 200 KB)
constexpr size_t kMaxErrorText = 256;

constexpr size_t kMaxQueuedSelects = 64;  // an EXEC reply's elements past the scanner's first 64 are not kept

enum class Kind : uint8_t {
    Normal,
    Subscribe,  // (P|S)(UN)SUBSCRIBE: answered by one confirmation per channel
    Monitor,
    Select,
    Reset,
    Hello,
    Multi,
    Exec,
    Discard,
    Unnamed,  // a command whose name fell into a hole: its reply is consumed, no span
    Barrier,  // commands were lost here: their replies are discarded up to a response burst
};

struct Pending {
    Kind kind = Kind::Normal;
    std::string op, statement, select_db;
    std::string confirm;  // pub/sub confirmation word ("subscribe", ...)
    int64_t expect = 1;   // confirmations still due
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    uint32_t req_burst = 0;
    bool hit = false;  // barrier: a reply was discarded at it
    conntrack::SpanContext ctx;
};

bool ieq(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); i++)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

bool digits(std::string_view s, size_t max)
{
    if (s.empty() || s.size() > max) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

bool parse_int(std::string_view s, int64_t& out)
{
    bool neg = !s.empty() && s[0] == '-';
    if (neg) s.remove_prefix(1);
    if (!digits(s, 18)) return false;
    int64_t v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    out = neg ? -v : v;
    return true;
}

// "subscribe" ... for pub/sub confirmations; "message" ... for deliveries.
bool confirmation_word(std::string_view w)
{
    return ieq(w, "subscribe") || ieq(w, "psubscribe") || ieq(w, "ssubscribe") || ieq(w, "unsubscribe") ||
           ieq(w, "punsubscribe") || ieq(w, "sunsubscribe");
}

bool delivery_word(std::string_view w) { return ieq(w, "message") || ieq(w, "pmessage") || ieq(w, "smessage"); }

// The error prefix Redis puts first ("ERR", "WRONGTYPE"); "ERR" when there is none.
std::string error_code(std::string_view text)
{
    size_t sp = text.find(' ');
    std::string_view w = text.substr(0, sp);
    if (w.empty() || w.size() > 32) return "ERR";
    for (char c : w)
        if (!(std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
              c == '-'))
            return "ERR";
    return std::string(w);
}

class RedisHandler final : public conntrack::ProtocolHandler {
public:
    explicit RedisHandler(const conntrack::HandlerEnv& env) : env_(env), req_visitor_(*this), resp_visitor_(*this)
    {
        const auto role = env.conn->kernel_role;
        if (role == OBI_ROLE_SERVER || role == OBI_ROLE_CLIENT) {
            server_ = role == OBI_ROLE_SERVER;
            req_dir_ = server_ ? Direction::Ingress : Direction::Egress;
        } else {  // unknown: the burst that was detected tells which way commands travel
            std::string_view f = env.first_bytes;
            bool command = !f.empty() && (f[0] == '*' || std::isalpha(static_cast<unsigned char>(f[0])));
            req_dir_ = command ? env.first_dir : opposite(env.first_dir);
            server_ = req_dir_ == Direction::Ingress;
        }
        env_.first_bytes = {};
    }

    void on_data(const DataChunk& c) override
    {
        if (c.dir == req_dir_) on_request_call(c);
        else on_response_call(c);
        cur_ = nullptr;
    }

    void on_gap() override
    {
        env_.counters->lost_sync++;
        drop_all();
        req_scan_.reset();
        resp_scan_.reset();
        req_lost_ = resp_lost_ = true;
    }

    void on_close(uint64_t) override { drop_all(); }

private:

    struct ReqVisitor final : RespVisitor {
        explicit ReqVisitor(RedisHandler& h) : h(h) {}
        void on_begin(uint64_t offset) override { h.command_begins(offset); }
        void on_message(const RespMessage& m, uint64_t) override { h.on_command(m); }
        RedisHandler& h;
    };
    struct RespVisitorImpl final : RespVisitor {
        explicit RespVisitorImpl(RedisHandler& h) : h(h) {}
        void on_begin(uint64_t) override {}
        void on_message(const RespMessage& m, uint64_t) override { h.on_reply(m); }
        RedisHandler& h;
    };

    // ---------------------------------------------------------------------------- requests
    void on_request_call(const DataChunk& c)
    {
        if (c.msg_start) {
            req_burst_++;
            burst_kctx_.reset();
            if (c.tctx) burst_kctx_ = *c.tctx;
            if (req_lost_ && command_start(c.captured)) {  // resynchronise where a command starts
                req_scan_.reset();
                req_lost_ = false;
                if (!pending_.empty() && pending_.back().kind != Kind::Barrier) push_barrier();
            }
        }
        if (req_lost_) return;
        cur_ = &c;
        first_in_call_ = true;
        auto r = req_scan_.feed(c.captured, c.bytes, req_visitor_, c.tail);
        if (r != RespScanner::Result::Ok || overflow_) {
            if (r == RespScanner::Result::Invalid) env_.counters->parse_errors++;
            else env_.counters->lost_sync++;
            // A command bigger than the capture (many arguments, a long key): its start names it and
            // its reply is the next one, but where it ends, and what follows it, is lost.
            RespMessage cut;
            if (r == RespScanner::Result::Hole && !overflow_ && req_scan_.partial(cut)) on_command(cut);
            req_scan_.reset();
            req_lost_ = true;
            overflow_ = false;
        }
    }

    void command_begins(uint64_t offset)
    {
        msg_ts_ = cur_->ts_ns;
        msg_tid_ = cur_->tid;
        msg_kctx_valid_ = false;
        if (first_in_call_ && offset == 0 && cur_->msg_start && cur_->tctx) {
            msg_kctx_ = *cur_->tctx;
            msg_kctx_valid_ = true;
        } else if (!server_ && burst_kctx_) {  // later commands of a pipeline: same parent, own span id
            msg_kctx_ = *burst_kctx_;
            std::fill(std::begin(msg_kctx_.span_id), std::end(msg_kctx_.span_id), 0);
            msg_kctx_valid_ = true;
        }
        first_in_call_ = false;
    }

    void on_command(const RespMessage& m)
    {
        if (m.count <= 0 || m.nargs == 0) return;  // "*0", "*-1": Redis skips them without a reply
        if (overflow_) return;
        if (pending_.size() >= kMaxPending) {  // the queue no longer maps replies 1:1 past here
            env_.counters->unanswered++;
            overflow_ = true;
            return;
        }
        std::array<std::string_view, kMaxArgs> words;
        const size_t n = m.nargs;
        for (size_t i = 0; i < n; i++) words[i] = m.arg(i);
        const std::string_view cmd = words[0];

        Pending p;
        operation_name(cmd, n > 1 ? words[1] : std::string_view(), n > 1, p.op);
        build_statement(m, std::span<const std::string_view>(words.data(), n), p.statement);
        if (pending_.size() >= kDeepQueue && p.statement.size() > kDeepStatement) p.statement.resize(kDeepStatement);
        p.start_ns = msg_ts_;
        p.tid = msg_tid_;
        p.req_burst = req_burst_;
        p.ctx = conntrack::assign_span_context(msg_kctx_valid_ ? &msg_kctx_ : nullptr, {}, server_, *env_.resolver);

        const int64_t argc = m.count;
        if (m.arg_truncated(0)) {  // not all of its name was captured
            p.kind = Kind::Unnamed;
        } else if (ieq(cmd, "subscribe") || ieq(cmd, "psubscribe") || ieq(cmd, "ssubscribe")) {
            p.kind = Kind::Subscribe;
            p.expect = argc > 1 ? argc - 1 : 1;
        } else if (ieq(cmd, "unsubscribe") || ieq(cmd, "punsubscribe") || ieq(cmd, "sunsubscribe")) {
            // Without arguments: one confirmation per subscription of that kind (one when there is none).
            p.kind = Kind::Subscribe;
            int64_t subs = ieq(cmd, "unsubscribe") ? channels_ : ieq(cmd, "punsubscribe") ? patterns_ : shards_;
            p.expect = argc > 1 ? argc - 1 : std::max<int64_t>(1, subs);
        } else if (ieq(cmd, "monitor")) {
            p.kind = Kind::Monitor;
        } else if (ieq(cmd, "select")) {
            p.kind = Kind::Select;
            if (n > 1 && digits(words[1], 5)) p.select_db.assign(words[1]);
        } else if (ieq(cmd, "reset")) {
            p.kind = Kind::Reset;
        } else if (ieq(cmd, "hello")) {
            p.kind = Kind::Hello;
        } else if (ieq(cmd, "multi")) {
            p.kind = Kind::Multi;
        } else if (ieq(cmd, "exec")) {
            p.kind = Kind::Exec;
        } else if (ieq(cmd, "discard")) {
            p.kind = Kind::Discard;
        }
        if (p.kind == Kind::Subscribe) {
            p.confirm.assign(cmd);
            for (char& ch : p.confirm) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        }

        // CLIENT REPLY OFF|SKIP: no reply for this command (and the next / all following).
        bool reply_cmd = ieq(cmd, "client") && n > 2 && ieq(words[1], "reply");
        if (reply_cmd && ieq(words[2], "on")) {
            reply_off_ = false;
        } else if (reply_cmd && (ieq(words[2], "off") || ieq(words[2], "skip"))) {
            if (ieq(words[2], "off")) reply_off_ = true;
            else skip_next_ = true;
            emit(p, nullptr, cur_->ts_ns);
            return;
        } else if (reply_off_ || skip_next_) {
            skip_next_ = false;
            emit(p, nullptr, cur_->ts_ns);
            return;
        }
        pending_.push_back(std::move(p));
    }

    // The command and its arguments joined by spaces, credentials masked, bounded.
    static void build_statement(const RespMessage& m, std::span<const std::string_view> words, std::string& out)
    {
        out.clear();
        for (size_t i = 0; i < words.size() && out.size() < kMaxStatement; i++) {
            if (i > 0) out.push_back(' ');
            if (secret_argument(words, i)) {
                out.push_back('?');
                continue;
            }
            append_word(words[i].substr(0, kMaxStatement - std::min(out.size(), kMaxStatement)), out);
            if (m.arg_truncated(i)) out.append("...");
        }
        if (static_cast<int64_t>(words.size()) < m.count && out.size() < kMaxStatement) out.append(" ...");
        if (out.size() > kMaxStatement) out.resize(kMaxStatement);
    }

    // One argument as one token: "double quoted" with \" \\ \r \n \t \xHH escapes (as redis-cli
    // shows them) when it holds a blank, a quote or a control byte.
    static void append_word(std::string_view w, std::string& out)
    {
        const bool plain = std::none_of(w.begin(), w.end(), [](char ch) {
            unsigned char u = static_cast<unsigned char>(ch);
            return u <= ' ' || u == 0x7f || ch == '"';
        });
        if (plain) {
            out.append(w);
            return;
        }
        static constexpr char kHex[] = "0123456789abcdef";
        out.push_back('"');
        for (char ch : w) {
            unsigned char u = static_cast<unsigned char>(ch);
            switch (ch) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\r': out.append("\\r"); break;
            case '\n': out.append("\\n"); break;
            case '\t': out.append("\\t"); break;
            default:
                if (u < ' ' || u == 0x7f) {
                    out.append("\\x");
                    out.push_back(kHex[u >> 4]);
                    out.push_back(kHex[u & 15]);
                } else {
                    out.push_back(ch);
                }
            }
        }
        out.push_back('"');
    }

    void push_barrier()
    {
        Pending b;
        b.kind = Kind::Barrier;
        b.req_burst = req_burst_;
        pending_.push_back(std::move(b));
    }

    // ----------------------------------------------------------------------------- replies
    void on_response_call(const DataChunk& c)
    {
        if (c.msg_start) {
            req_burst_at_resp_start_ = req_burst_;
            if (!pending_.empty() && pending_.front().kind == Kind::Barrier && pending_.front().hit) pending_.pop_front();
            if (resp_lost_) {
                resp_scan_.reset();
                resp_lost_ = false;
            }
        }
        if (resp_lost_) return;
        cur_ = &c;
        auto r = resp_scan_.feed(c.captured, c.bytes, resp_visitor_);
        if (r == RespScanner::Result::Ok) return;
        if (r == RespScanner::Result::Invalid) env_.counters->parse_errors++;
        else env_.counters->lost_sync++;
        // The reply in progress answers the oldest command: it ends where we lost it.
        char type = resp_scan_.message_type();
        if (resp_scan_.in_message() && !monitor_ && type != '>' && !pending_.empty() &&
            pending_.front().kind != Kind::Barrier) {
            RespMessage partial;
            partial.type = type;
            finish_front(partial, c.ts_ns);
        }
        // Replies of the commands sent before this reply burst may be in the lost bytes.
        while (!pending_.empty() && pending_.front().req_burst <= req_burst_at_resp_start_) {
            if (pending_.front().kind != Kind::Barrier) env_.counters->unanswered++;
            pending_.pop_front();
        }
        resp_scan_.reset();
        resp_lost_ = true;
    }

    void on_reply(const RespMessage& m)
    {
        const uint64_t ts = cur_->ts_ns;
        if (monitor_) {  // the feed of other clients' commands; only our RESET/QUIT are answered
            if (m.type == '+' && !pending_.empty()) {
                Pending& h = pending_.front();
                if ((h.kind == Kind::Reset && m.text == "RESET") || (h.op == "QUIT" && m.text == "OK")) finish_front(m, ts);
            }
            return;
        }
        const bool push = m.type == '>';
        const bool head_sub = !pending_.empty() && pending_.front().kind == Kind::Subscribe;
        const bool pubsub_shape = (push || (m.type == '*' && !resp3_)) && m.nargs >= 1 &&
                                  (m.arg_type(0) == '$' || m.arg_type(0) == '+');
        if (pubsub_shape) {
            std::string_view word = m.arg(0);
            if (confirmation_word(word) && (push || pubsub_ || head_sub)) {
                int64_t count = -1;
                if (m.nargs >= 3 && m.arg_type(2) == ':') parse_int(m.arg(2), count);
                if (count >= 0) track_subscriptions(word, count);
                if (head_sub && ieq(pending_.front().confirm, word)) {
                    Pending& h = pending_.front();
                    if (--h.expect <= 0) finish_front(m, ts);
                }
                return;  // an extra confirmation (e.g. of UNSUBSCRIBE without arguments)
            }
            if (delivery_word(word) && (push || pubsub_ || head_sub || pending_.empty())) {
                if (!push && !resp3_) pubsub_ = true;  // a subscriber seen mid-stream
                return;                                // a delivery: no span (as OBI)
            }
        }
        if (push) return;  // invalidations, tracking and other out-of-band data
        if (pending_.empty()) {
            if (!req_lost_) env_.counters->orphan_responses++;
            return;
        }
        Pending& h = pending_.front();
        if (h.kind == Kind::Barrier) {
            h.hit = true;
            return;
        }
        finish_front(m, ts);
    }

    // A confirmation's count is the connection's subscriptions after it: channels and patterns
    // together, shard channels on their own.
    void track_subscriptions(std::string_view word, int64_t count)
    {
        if (ieq(word, "ssubscribe") || ieq(word, "sunsubscribe")) {
            shards_ = count;
        } else {
            int64_t delta = count - (channels_ + patterns_);
            int64_t& n = (ieq(word, "psubscribe") || ieq(word, "punsubscribe")) ? patterns_ : channels_;
            n = std::max<int64_t>(0, n + delta);
        }
        pubsub_ = channels_ + patterns_ + shards_ > 0;
    }

    // Completes the oldest command with reply `m` (only its type is known when cut short).
    void finish_front(const RespMessage& m, uint64_t end_ns)
    {
        Pending& h = pending_.front();
        const bool ok = !m.is_error();
        const bool queued = multi_ && m.type == '+' && m.text == "QUEUED";
        if (queued) {  // runs at EXEC, if ever: a SELECT takes effect then
            if (h.kind == Kind::Select && !h.select_db.empty() && queued_selects_.size() < kMaxQueuedSelects)
                queued_selects_.push_back({queued_, h.select_db});
            queued_++;
        }
        switch (queued ? Kind::Normal : h.kind) {
        case Kind::Select:
            if (ok && m.type == '+' && m.text == "OK" && !h.select_db.empty()) db_ = h.select_db;
            break;
        case Kind::Reset:
            if (m.type == '+') {
                db_ = "0";
                pubsub_ = monitor_ = reply_off_ = skip_next_ = resp3_ = false;
                channels_ = patterns_ = shards_ = 0;
                end_transaction();
            }
            break;
        case Kind::Multi:
            if (m.type == '+' && m.text == "OK") {
                end_transaction();
                multi_ = true;
            }
            break;
        case Kind::Exec:
            // An array: the transaction ran, each queued command's reply at its index. A null
            // (WATCH) or an error (EXECABORT, EXEC without MULTI): nothing ran.
            if (multi_ && m.type == '*' && !m.null) {
                for (const auto& [index, db] : queued_selects_) {
                    const size_t i = static_cast<size_t>(index);
                    if (i < m.nargs && m.arg_type(i) == '+' && m.arg(i) == "OK") db_ = db;
                }
            }
            end_transaction();
            break;
        case Kind::Discard:
            if (ok) end_transaction();
            break;
        case Kind::Hello:
            if (ok) resp3_ = m.type == '%';
            break;
        case Kind::Monitor:
            if (ok && m.type == '+') monitor_ = true;
            break;
        default: break;
        }
        emit(h, &m, end_ns);
        pending_.pop_front();
    }

    void emit(Pending& p, const RespMessage* reply, uint64_t end_ns)
    {
        if (p.kind == Kind::Unnamed) return;
        Span sp;
        const auto& conn = *env_.conn;
        sp.type = server_ ? SpanType::RedisServer : SpanType::RedisClient;
        sp.db_system = "redis";
        sp.operation = std::move(p.op);
        sp.statement = std::move(p.statement);
        sp.db_namespace = db_;
        if (reply && reply->is_error()) {
            sp.error = true;
            sp.error_code = error_code(reply->text);
            sp.error_message.assign(reply->text.substr(0, kMaxErrorText));
        }
        conntrack::set_endpoints(sp, conn, server_);
        conntrack::emit_span(env_, std::move(sp), p.ctx, p.start_ns, end_ns, p.tid);
    }

    void end_transaction()
    {
        multi_ = false;
        queued_ = 0;
        queued_selects_.clear();
    }

    void drop_all()
    {
        for (const auto& p : pending_)
            if (p.kind != Kind::Barrier) env_.counters->unanswered++;
        pending_.clear();
    }

    conntrack::HandlerEnv env_;
    Direction req_dir_ = Direction::Egress;
    bool server_ = false;
    ReqVisitor req_visitor_;
    RespVisitorImpl resp_visitor_;
    RespScanner req_scan_{true};
    RespScanner resp_scan_{false};
    bool req_lost_ = false, resp_lost_ = false, overflow_ = false;
    std::deque<Pending> pending_;
    std::string db_ = "0";
    bool monitor_ = false, pubsub_ = false, resp3_ = false, reply_off_ = false, skip_next_ = false;
    int64_t channels_ = 0, patterns_ = 0, shards_ = 0;  // subscriptions, from the confirmations
    // MULTI ... EXEC: commands queued so far, and the queued SELECTs (index, db) EXEC may run.
    bool multi_ = false;
    int64_t queued_ = 0;
    std::vector<std::pair<int64_t, std::string>> queued_selects_;
    uint32_t req_burst_ = 0, req_burst_at_resp_start_ = 0;
    // The call being fed and the command being read.
    const DataChunk* cur_ = nullptr;
    bool first_in_call_ = false;
    std::optional<obi_trace_ctx> burst_kctx_;
    uint64_t msg_ts_ = 0;
    uint32_t msg_tid_ = 0;
    obi_trace_ctx msg_kctx_{};
    bool msg_kctx_valid_ = false;
};

}  // namespace

std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env)
{
    return std::make_unique<RedisHandler>(env);
}

}  // namespace obi::redis
