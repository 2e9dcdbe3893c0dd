// Http1Handler: one Stream per direction (head -> body -> head ...), a queue of parsed
// requests awaiting responses, and span assembly with kernel-provided trace context.
#include "protocols/http1/conn_handler.h"

#include <deque>
#include <optional>
#include <string>

#include "conntrack/span_context.h"
#include "conntrack/span_emit.h"
#include "protocols/http1/parser.h"
#include "protocols/http2/conn_handler.h"

namespace obi::http1 {
namespace {

using conntrack::DataChunk;
using conntrack::Direction;

constexpr size_t kMaxHead = 64 * 1024;  // larger heads are not HTTP we can follow
constexpr size_t kMaxPending = 64;      // pipelined requests awaiting a response

// A request whose head has been parsed.
struct Pending {
    std::string method, path, query, host;
    uint16_t host_port = 0;
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    int64_t body_bytes = 0;
    // Final ids of the span (computed when the head is parsed, so that children the
    // kernel links to it resolve to the same trace while it is still in flight).
    conntrack::SpanContext ctx;
};

enum class Phase { Head, Body, Lost };

struct Stream {
    Phase phase = Phase::Head;
    std::string head;  // captured head bytes accumulated so far
    uint64_t head_start_ns = 0;
    uint32_t head_tid = 0;
    std::optional<obi_trace_ctx> head_kctx;
    BodyFraming framing = BodyFraming::None;
    uint64_t body_remaining = 0;
    ChunkedScanner chunked;
    int64_t body_bytes = 0;
    uint64_t last_ts = 0;
};

// The first line of a head, terminated as a complete head, for re-parsing.
bool first_line_as_head(std::string_view buf, std::string& line)
{
    size_t eol = buf.find('\n');
    if (eol == std::string_view::npos) return false;
    line.assign(buf.substr(0, eol));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    line += "\r\n\r\n";
    return true;
}

// Request line or status line of a head that was cut by the capture budget.
bool salvage_request_line(std::string_view buf, RequestHead& out)
{
    std::string line;
    if (!first_line_as_head(buf, line)) return false;
    RequestHead h;
    if (parse_request_head(line, h) != ParseStatus::Complete) return false;
    // The views point into `line`, a copy of buf's first line, or at static storage (the "/"
    // of an absolute-form target without a path): move the former onto buf.
    auto onto_buf = [&](std::string_view v) {
        const char* lo = line.data();
        if (v.empty() || v.data() < lo || v.data() + v.size() > lo + line.size()) return v;
        return buf.substr(static_cast<size_t>(v.data() - lo), v.size());
    };
    out.method = buf.substr(0, h.method.size());
    out.path = onto_buf(h.path);
    out.query = h.query.empty() ? std::string_view() : onto_buf(h.query);
    return true;
}

bool salvage_status_line(std::string_view buf, int& status)
{
    std::string line;
    if (!first_line_as_head(buf, line)) return false;
    ResponseHead h;
    if (parse_response_head(line, h) != ParseStatus::Complete) return false;
    status = h.status;
    return true;
}

class Http1Handler final : public conntrack::ProtocolHandler {
public:
    explicit Http1Handler(const conntrack::HandlerEnv& env)
        : env_(env), req_dir_(looks_like_request(env.first_bytes) ? env.first_dir : opposite(env.first_dir))
    {
        env_.first_bytes = {};
    }

    void on_data(const DataChunk& c) override
    {
        if (h2_) return h2_->on_data(c);
        if (upgraded_) return;
        if (c.dir == req_dir_) {
            if (c.msg_start) finish_open_response();
            feed(req_, c, true);
        } else {
            feed(resp_, c, false);
        }
    }

    void on_gap() override
    {
        if (h2_) return h2_->on_gap();
        env_.counters->lost_sync++;
        drop_pending();
        reset(req_);
        reset(resp_);
        req_.phase = resp_.phase = Phase::Lost;
        response_open_ = false;
    }

    void on_close(uint64_t ts) override
    {
        if (h2_) return h2_->on_close(ts);
        finish_open_response();
        drop_pending();
    }

    void on_timer(uint64_t now_ns) override
    {
        if (h2_) return h2_->on_timer(now_ns);
        if (env_.request_timeout_ns == 0) return;
        while (!pending_.empty() && !response_open_ && pending_.front().start_ns + env_.request_timeout_ns < now_ns) {
            uint64_t end = pending_.front().start_ns + env_.request_timeout_ns;
            emit(std::move(pending_.front()), 408, 0, end);
            pending_.pop_front();
        }
    }

private:
    bool server_side() const { return req_dir_ == Direction::Ingress; }

    static void reset(Stream& s)
    {
        s.phase = Phase::Head;
        s.head.clear();
        s.head_kctx.reset();
        s.body_bytes = 0;
        s.body_remaining = 0;
    }

    void drop_pending()
    {
        env_.counters->unanswered += pending_.size();
        pending_.clear();
    }

    // Walks one call's bytes through the stream's phases; a call may hold several messages.
    void feed(Stream& s, const DataChunk& c, bool is_req)
    {
        if (c.msg_start) {
            if (s.phase == Phase::Lost) reset(s);
            if (s.phase == Phase::Head && !s.head.empty()) {  // an unfinished head from an earlier burst
                env_.counters->parse_errors++;
                reset(s);
            }
            if (is_req && s.phase == Phase::Body && c.tctx && !pending_.empty()) alias_kernel_ctx(*c.tctx);
        }
        s.last_ts = c.ts_ns;
        const uint64_t total = c.bytes;
        const uint64_t cap = c.captured.size();
        uint64_t pos = 0;
        while (pos < total) {
            switch (s.phase) {
            case Phase::Lost: return;
            case Phase::Head: {
                if (pos >= cap) {  // the next head lies in bytes that were not captured
                    env_.counters->lost_sync++;
                    s.phase = Phase::Lost;
                    return;
                }
                if (s.head.empty()) {
                    s.head_start_ns = c.ts_ns;
                    s.head_tid = c.tid;
                    if (pos == 0 && c.msg_start && c.tctx) s.head_kctx = *c.tctx;
                    else s.head_kctx.reset();
                }
                // A head that starts in this call is parsed in place; only a head split
                // across calls is accumulated in s.head.
                size_t prev = s.head.size();
                std::string_view piece = c.captured.substr(pos);
                if (prev + piece.size() > kMaxHead && prev > 0) {
                    env_.counters->parse_errors++;
                    s.phase = Phase::Lost;
                    return;
                }
                if (prev > 0) s.head.append(piece);
                std::string_view buf = prev > 0 ? std::string_view(s.head) : piece;
                size_t head_len = 0;
                ParseStatus st = is_req ? on_request_head(s, buf, head_len) : on_response_head(s, buf, c, head_len);
                if (st == ParseStatus::Complete) {  // the rest of the call is a body or the next head
                    pos += head_len - prev;
                    s.head.clear();
                    if (h2_) return hand_over(c, pos);  // h2c: the rest of the call is HTTP/2
                    break;
                }
                if (st == ParseStatus::NeedMore && prev == 0) s.head.assign(piece);
                if (st == ParseStatus::Invalid) {
                    env_.counters->parse_errors++;
                    s.phase = Phase::Lost;
                    return;
                }
                pos = cap;
                if (cap < total) {  // head cut by the capture budget: keep what the first line says
                    salvage(s, c, is_req);
                    return;
                }
                break;
            }
            case Phase::Body: pos += consume_body(s, c, pos, is_req); break;
            }
        }
    }

    // Returns bytes of the call consumed by the body, completing the message when done.
    uint64_t consume_body(Stream& s, const DataChunk& c, uint64_t pos, bool is_req)
    {
        const uint64_t total = c.bytes, cap = c.captured.size();
        uint64_t used = 0;
        switch (s.framing) {
        case BodyFraming::ContentLength: {
            used = std::min<uint64_t>(s.body_remaining, total - pos);
            s.body_remaining -= used;
            s.body_bytes += static_cast<int64_t>(used);
            if (s.body_remaining == 0) body_done(s, c.ts_ns, is_req);
            return used;
        }
        case BodyFraming::Chunked: {
            if (pos < cap) {
                used = s.chunked.feed(c.captured.substr(pos));
                if (s.chunked.failed()) {
                    env_.counters->parse_errors++;
                    s.phase = Phase::Lost;
                    return total - pos;
                }
            }
            if (!s.chunked.done() && pos + used < total) {  // the rest of the call was not captured
                uint64_t rest = total - pos - used;
                s.chunked.skip(rest);
                used += rest;
            }
            // Out of sync (bytes skipped across chunk framing): the write's last bytes tell the end.
            if (!s.chunked.done() && !s.chunked.in_sync()) s.chunked.observe_write_tail(c.tail);
            if (s.chunked.done()) {
                // Out of sync, only the bytes on the wire are known (framing included).
                s.body_bytes = static_cast<int64_t>(s.chunked.exact() ? s.chunked.body_bytes() : s.chunked.wire_bytes());
                body_done(s, c.ts_ns, is_req);
            }
            return used == 0 ? total - pos : used;
        }
        case BodyFraming::UntilClose:
            s.body_bytes += static_cast<int64_t>(total - pos);
            return total - pos;
        case BodyFraming::None: body_done(s, c.ts_ns, is_req); return 0;
        }
        return total - pos;
    }

    ParseStatus on_request_head(Stream& s, std::string_view buf, size_t& head_len)
    {
        RequestHead h;
        ParseStatus st = parse_request_head(buf, h);
        if (st != ParseStatus::Complete) return st;
        head_len = h.head_len;
        start_request(s, h.method, h.path, h.query, h.host, h.traceparent);
        s.framing = request_framing(h);
        s.body_bytes = 0;
        if (s.framing == BodyFraming::ContentLength) s.body_remaining = static_cast<uint64_t>(h.content_length);
        if (s.framing == BodyFraming::Chunked) s.chunked = ChunkedScanner();
        s.phase = s.framing == BodyFraming::None ? Phase::Head : Phase::Body;
        if (s.framing == BodyFraming::ContentLength && s.body_remaining == 0) s.phase = Phase::Head;
        return st;
    }

    ParseStatus on_response_head(Stream& s, std::string_view buf, const DataChunk& c, size_t& head_len)
    {
        ResponseHead h;
        ParseStatus st = parse_response_head(buf, h);
        if (st != ParseStatus::Complete) return st;
        head_len = h.head_len;
        if (h.status >= 100 && h.status < 200 && h.status != 101) {  // interim (100 Continue): no pairing
            s.phase = Phase::Head;
            return st;
        }
        std::string_view method = pending_.empty() ? std::string_view() : std::string_view(pending_.front().method);
        if (pending_.empty()) env_.counters->orphan_responses++;
        response_open_ = !pending_.empty();
        status_ = h.status;
        s.framing = response_framing(h, method);
        s.body_bytes = 0;
        if (h.status == 101 && !pending_.empty() && http2::is_h2c_upgrade(buf.substr(0, h.head_len))) {
            start_h2(std::move(pending_.front()));  // the request becomes HTTP/2 stream 1
            pending_.pop_front();
            response_open_ = false;
            upgraded_ = true;
            return st;
        }
        if (h.status == 101) {  // protocol switch: the rest is not HTTP/1
            body_done(s, c.ts_ns, false);
            upgraded_ = true;
            return st;
        }
        if (s.framing == BodyFraming::ContentLength) s.body_remaining = static_cast<uint64_t>(h.content_length);
        if (s.framing == BodyFraming::Chunked) s.chunked = ChunkedScanner();
        bool empty = s.framing == BodyFraming::None || (s.framing == BodyFraming::ContentLength && s.body_remaining == 0);
        if (empty) {
            body_done(s, c.ts_ns, false);
            s.phase = Phase::Head;
        } else {
            s.phase = Phase::Body;
        }
        return st;
    }

    void salvage(Stream& s, const DataChunk& c, bool is_req)
    {
        env_.counters->lost_sync++;
        if (is_req) {
            RequestHead h;
            if (salvage_request_line(s.head, h)) start_request(s, h.method, h.path, h.query, {}, {});
        } else {
            int status = 0;
            if (salvage_status_line(s.head, status) && !pending_.empty()) {
                status_ = status;
                response_open_ = true;
                resp_body_unknown_ = true;
                s.body_bytes = static_cast<int64_t>(c.bytes);
            }
        }
        s.head.clear();
        s.phase = Phase::Lost;
    }

    void start_request(Stream& s, std::string_view method, std::string_view path, std::string_view query,
                       std::string_view host, std::string_view traceparent)
    {
        if (pending_.size() >= kMaxPending) {
            env_.counters->unanswered++;
            pending_.pop_front();
        }
        Pending& p = pending_.emplace_back();
        p.method.assign(method);
        p.path.assign(path);
        p.query.assign(query);
        if (!host.empty()) {
            std::string_view name;
            uint16_t port = 0;
            split_host_port(host, name, port);
            p.host.assign(name);
            p.host_port = port;
        }
        p.start_ns = s.head_start_ns;
        p.tid = s.head_tid;
        p.ctx = conntrack::assign_span_context(s.head_kctx ? &*s.head_kctx : nullptr, traceparent, server_side(),
                                               *env_.resolver);
    }

    // A second kernel context for a request already being read (e.g. the body after a
    // 100 Continue): children linked to it belong to the same span.
    void alias_kernel_ctx(const obi_trace_ctx& k)
    {
        if (server_side()) conntrack::alias_kernel_context(k, pending_.back().ctx, *env_.resolver);
    }

    void body_done(Stream& s, uint64_t ts_ns, bool is_req)
    {
        s.phase = Phase::Head;
        if (is_req) {
            if (!pending_.empty()) pending_.back().body_bytes = s.body_bytes;
            return;
        }
        if (response_open_ && !pending_.empty()) {
            emit(std::move(pending_.front()), status_, s.body_bytes, ts_ns);
            pending_.pop_front();
        }
        response_open_ = false;
        resp_body_unknown_ = false;
    }

    // A response whose end had no marker (read until close, or lost sync) ends at the
    // last byte we saw of it.
    void finish_open_response()
    {
        if (!response_open_) return;
        if (resp_.phase == Phase::Body && resp_.framing == BodyFraming::UntilClose) {
            body_done(resp_, resp_.last_ts, false);
        } else if (resp_.phase == Phase::Body || resp_body_unknown_) {
            body_done(resp_, resp_.last_ts, false);
        }
        resp_.phase = Phase::Head;
        response_open_ = false;
    }

    void emit(Pending&& p, int status, int64_t response_bytes, uint64_t end_ns)
    {
        Span sp;
        const auto& conn = *env_.conn;
        sp.type = server_side() ? SpanType::HTTP : SpanType::HTTPClient;
        sp.method = std::move(p.method);
        sp.path = std::move(p.path);
        if (conn.tls) sp.scheme = "https";
        sp.query = std::move(p.query);
        sp.status = status;
        sp.request_body_size = p.body_bytes;
        sp.response_body_size = response_bytes;
        conntrack::set_endpoints(sp, conn, server_side());
        sp.host_header = std::move(p.host);
        sp.host_header_port = p.host_port;
        conntrack::emit_span(env_, std::move(sp), p.ctx, p.start_ns, end_ns, p.tid);
    }

    // After "101 Switching Protocols" to h2c the HTTP/2 handler takes every later call.
    void start_h2(Pending&& p)
    {
        h2_ = http2::create_after_upgrade(env_, req_dir_,
                                          {std::move(p.method), std::move(p.path), std::move(p.query), std::move(p.host),
                                           p.host_port, p.start_ns, p.tid, p.body_bytes, p.ctx});
    }
    void hand_over(const DataChunk& c, uint64_t pos)
    {
        DataChunk rest = c;
        rest.msg_start = false;
        rest.tctx = nullptr;
        rest.bytes = c.bytes - pos;
        rest.captured = pos < c.captured.size() ? c.captured.substr(pos) : std::string_view();
        rest.tail = rest.bytes >= c.tail.size() ? c.tail : c.tail.substr(c.tail.size() - rest.bytes);
        if (rest.bytes) h2_->on_data(rest);
    }

    conntrack::HandlerEnv env_;
    Direction req_dir_;  // the direction requests travel: Ingress on the server side
    std::unique_ptr<conntrack::ProtocolHandler> h2_;
    bool upgraded_ = false;
    bool response_open_ = false;     // a response head was paired with pending_.front()
    bool resp_body_unknown_ = false;  // its end can only be inferred
    int status_ = 0;
    Stream req_, resp_;
    std::deque<Pending> pending_;
};

}  // namespace

conntrack::Detection detect(std::string_view first_bytes, Direction, const conntrack::ConnInfo&)
{
    if (looks_like_request(first_bytes) || looks_like_response(first_bytes)) return conntrack::Detection::Yes;
    // Enough for "OPTIONS " or "HTTP/1.1": shorter heads may still become one.
    return first_bytes.size() < 16 ? conntrack::Detection::NeedMore : conntrack::Detection::No;
}

std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env)
{
    return std::make_unique<Http1Handler>(env);
}

}  // namespace obi::http1
