// Http2Handler: two FrameReaders (one per direction) feed frames; HEADERS/CONTINUATION are
// assembled into header blocks and decoded with the direction's HeaderDecoder; streams are
// opened by request headers and emitted as spans when the response ends (END_STREAM) or the
// stream is reset. Losses (holes, lost events) reset what they may have invalidated.
#include "protocols/http2/conn_handler.h"

#include <algorithm>
#include <cstring>

#include "conntrack/span_emit.h"
#include "protocols/http1/host_port.h"
#include "protocols/http2/frame_reader.h"
#include "protocols/http2/grpc_status.h"
#include "protocols/http2/header_capture.h"
#include "protocols/http2/header_decoder.h"
#include "protocols/http2/stream.h"

namespace obi::http2 {
namespace {

using conntrack::DataChunk;
using conntrack::Direction;


uint32_t be32(const char* p)
{
    const auto* u = reinterpret_cast<const uint8_t*>(p);
    return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

// A header block (HEADERS or PUSH_PROMISE plus CONTINUATIONs) and where it came from.
struct BlockMeta {
    uint8_t type = kHeaders;
    uint32_t stream = 0;
    bool end_stream = false;
    uint64_t start_ts = 0, end_ts = 0;
    uint32_t tid = 0;
    uint64_t start_burst = 0;
};

// One direction of the connection.
struct Side {
    Side(Direction d, FrameReader::Start s) : reader(d, s) {}
    FrameReader reader;
    HeaderDecoder hpack;
    bool any_frame = false;  // a frame of this direction has been delivered
    uint32_t losses = 0;     // times this direction lost sync
    bool started = false;    // its first frame was a SETTINGS: seen from the connection's start
    // A header block waiting for its CONTINUATION frames.
    bool block_active = false;
    bool block_complete = true;
    BlockMeta block;
    std::string block_buf;
    // The kernel's trace context of the current burst; it belongs to the first request started in it.
    obi_trace_ctx kctx{};
    bool kctx_valid = false, kctx_used = false;
    uint64_t kctx_burst = 0;
};

class Http2Handler final : public conntrack::ProtocolHandler, public FrameSink {
public:
    Http2Handler(const conntrack::HandlerEnv& env, Direction req_dir, FrameReader::Start in_start,
                 FrameReader::Start out_start)
        : env_(env), req_dir_(req_dir), in_(Direction::Ingress, in_start), out_(Direction::Egress, out_start)
    {
        env_.first_bytes = {};
    }

    // Stream 1 of an h2c upgrade: the HTTP/1.1 request, already complete.
    // The connection is followed from its start (the preface or the h2c upgrade was seen).
    void set_from_start() { from_start_ = true; }

    void adopt(UpgradedRequest&& r)
    {
        from_start_ = true;
        in_.hpack.set_from_start();
        out_.hpack.set_from_start();
        bool evicted = false;
        Stream& s = streams_.open(1, evicted);
        s.method_known = s.path_known = true;
        s.method = std::move(r.method);
        s.path = std::move(r.path);
        s.query = std::move(r.query);
        s.authority = std::move(r.host);
        if (r.host_port) s.authority += ":" + std::to_string(r.host_port);
        s.req_end = true;
        s.start_ns = s.last_ts = r.start_ns;
        s.tid = r.tid;
        s.req_body = r.body_bytes;
        s.ctx = r.ctx;
    }

    void on_data(const DataChunk& c) override
    {
        Side& s = side(c.dir);
        cur_ts_ = c.ts_ns;
        if (c.msg_start) {
            s.kctx_valid = c.tctx != nullptr;
            if (c.tctx) s.kctx = *c.tctx;
            s.kctx_used = false;
            s.kctx_burst = s.reader.burst() + 1;  // feed() counts this burst
        }
        s.reader.feed(c, *this);
    }

    void on_gap() override
    {
        env_.counters->lost_sync++;
        for (Side* s : {&in_, &out_}) {
            salvage_block(*s);
            s->losses++;
            s->reader.lose_sync();
            forget_side(*s);
        }
        flush_responses();
    }

    void on_close(uint64_t) override
    {
        streams_.remove_if([this](Stream& s) {
            if (s.orphan) return true;
            if (reportable(s, false))
                emit(s, s.last_ts, s.status);
            else
                env_.counters->unanswered++;
            return true;
        });
        streams_.clear();
    }

    void on_timer(uint64_t now_ns) override
    {
        if (env_.request_timeout_ns == 0) return;
        streams_.remove_if([&](Stream& s) {
            // gRPC calls may legitimately stream for long: only plain HTTP requests time out.
            if (s.orphan || s.grpc || s.resp_final || s.start_ns + env_.request_timeout_ns >= now_ns) return false;
            emit(s, s.start_ns + env_.request_timeout_ns, 408);
            return true;
        });
    }

    // FrameSink.
    void on_frame(Direction dir, const Frame& f) override
    {
        Side& s = side(dir);
        if (!s.any_frame) {
            s.any_frame = true;
            // A connection's first frame in each direction is a SETTINGS frame: this decoder
            // has followed its table from the start.
            if (f.hdr.type == kSettings && !(f.hdr.flags & kAck)) {
                s.hpack.set_from_start();
                s.started = true;
            }
        }
        if (s.block_active && f.hdr.type != kContinuation) {  // RFC 9113 6.10: only CONTINUATION may follow
            env_.counters->parse_errors++;
            s.block_active = false;
            s.hpack.reset();
        }
        switch (f.hdr.type) {
        case kData: on_data_frame(dir, f); break;
        case kHeaders:
        case kPushPromise: on_block_start(dir, s, f); break;
        case kContinuation: on_continuation(dir, s, f); break;
        case kSettings: on_settings(dir, f); break;
        case kRstStream: on_reset(f); break;
        default: break;  // PRIORITY, PING, GOAWAY, WINDOW_UPDATE, extensions: nothing for spans
        }
    }

    void on_sync_lost(Direction dir, SyncLoss why, uint64_t skipped) override
    {
        salvage_block(side(dir));
        side(dir).losses++;
        if (why == SyncLoss::Hole) {
            env_.counters->lost_sync++;
            attribute_hole(dir, skipped);
        } else {
            env_.counters->parse_errors++;
        }
        forget_side(side(dir));
        if (dir != req_dir_) flush_responses();
    }

private:
    Side& side(Direction d) { return d == Direction::Ingress ? in_ : out_; }
    bool server_side() const { return req_dir_ == Direction::Ingress; }

    // A header block whose CONTINUATIONs were lost: what its start decodes to is still right
    // (the request's pseudo-headers come first); the decoder resets after a partial block.
    void salvage_block(Side& s)
    {
        if (!s.block_active) return;
        s.block_active = false;
        s.block.end_ts = std::max(s.block.end_ts, cur_ts_);
        decode_block(s.reader.dir(), s.block, s.block_buf, false);
    }

    // The direction lost bytes: its header table and any half-assembled block are unusable.
    static void forget_side(Side& s)
    {
        s.hpack.reset();
        s.block_active = false;
        s.block_buf.clear();
    }

    // Uncaptured bytes we could not follow frame by frame: when the connection has a single
    // open stream and its body is flowing in that direction (a large response or upload
    // written in one call), they are taken as its DATA, less a frame header per frame of the
    // largest size. With other streams open, the bytes may be theirs: nothing is attributed.
    void attribute_hole(Direction dir, uint64_t skipped)
    {
        // Only when every stream is known: the connection was followed from its start and the
        // other direction (where requests or responses open streams) never lost bytes.
        const bool from_start = from_start_ || (in_.started && out_.started);
        if (!from_start || side(opposite(dir)).losses > 0 || streams_.size() != 1) return;
        Stream* only = streams_.first();
        if (only->orphan || !(dir == req_dir_ ? !only->req_end : only->resp_final)) return;
        const uint64_t frame = uint64_t{side(dir).reader.max_frame_size()} + kFrameHeaderLen;
        const auto body = static_cast<int64_t>(skipped - kFrameHeaderLen * ((skipped + frame - 1) / frame));
        if (body > 0) (dir == req_dir_ ? only->req_body : only->resp_body) += body;
    }

    // Response bytes were lost: a response whose headers we have may have ended in them, so
    // it ends here (at the call where sync was lost). Those whose status is still to come
    // (gRPC trailers) stay open: their end may yet be seen.
    void flush_responses()
    {
        streams_.remove_if([this](Stream& s) {
            if (s.orphan || !reportable(s, false)) return false;
            emit(s, std::max(s.last_ts, cur_ts_), s.status);
            return true;
        });
    }

    // The fragment of a HEADERS / PUSH_PROMISE payload: without pad length, priority fields,
    // promised stream id and padding. Returns false for a frame whose padding does not fit.
    bool fragment(const Frame& f, std::string_view& frag, bool& complete)
    {
        const std::string_view p = f.payload;
        size_t skip = 0, pad = 0;
        if (f.hdr.flags & kPadded) {
            if (p.empty()) {  // pad length not captured
                frag = {};
                complete = false;
                return true;
            }
            pad = static_cast<uint8_t>(p[0]);
            skip = 1;
        }
        if (f.hdr.type == kHeaders && (f.hdr.flags & kPriorityFlag)) skip += 5;
        if (f.hdr.type == kPushPromise) skip += 4;
        if (f.hdr.length < skip + pad) return false;
        size_t len = f.hdr.length - skip - pad;
        frag = skip < p.size() ? p.substr(skip, len) : std::string_view();
        complete = f.complete && frag.size() == len;
        return true;
    }

    void on_block_start(Direction dir, Side& s, const Frame& f)
    {
        std::string_view frag;
        bool complete = true;
        if (!fragment(f, frag, complete)) {
            env_.counters->parse_errors++;
            s.hpack.reset();
            return;
        }
        BlockMeta m;
        m.type = f.hdr.type;
        m.stream = f.hdr.stream;
        m.end_stream = f.hdr.type == kHeaders && (f.hdr.flags & kEndStream);
        m.start_ts = f.start_ts;
        m.end_ts = f.end_ts;
        m.tid = f.tid;
        m.start_burst = f.start_burst;
        if (f.hdr.flags & kEndHeaders) {
            decode_block(dir, m, frag, complete);
            return;
        }
        s.block_active = true;
        s.block = m;
        s.block_buf.assign(frag);
        s.block_complete = complete;
    }

    void on_continuation(Direction dir, Side& s, const Frame& f)
    {
        if (!s.block_active || f.hdr.stream != s.block.stream) {
            env_.counters->parse_errors++;
            s.block_active = false;
            s.hpack.reset();
            return;
        }
        if (s.block_complete) {  // after a hole in the block the rest cannot be used
            if (s.block_buf.size() + f.payload.size() > kMaxCollect) {
                s.block_complete = false;
            } else {
                s.block_buf.append(f.payload);
                if (!f.complete || f.payload.size() < f.hdr.length) s.block_complete = false;
            }
        }
        if (!(f.hdr.flags & kEndHeaders)) return;
        s.block_active = false;
        s.block.end_ts = f.end_ts;
        decode_block(dir, s.block, s.block_buf, s.block_complete);
    }

    void decode_block(Direction dir, const BlockMeta& m, std::string_view frag, bool complete)
    {
        Side& s = side(dir);
        const bool from_start = s.hpack.from_start();
        cap_.clear();
        DecodeResult r = s.hpack.decode(frag, complete, cap_);
        if (r.corrupt || (r.unknown > 0 && from_start)) env_.counters->parse_errors++;
        else if (!r.clean()) env_.counters->lost_sync++;  // joined late or lost bytes: fields unknown
        if (m.type == kPushPromise) return;  // decoded only to keep the table in step
        if (dir == req_dir_) request_headers(s, m);
        else response_headers(m, r);
    }

    // The kernel context for a request that started in burst `burst` of side `s`.
    const obi_trace_ctx* take_kctx(Side& s, uint64_t burst)
    {
        if (!s.kctx_valid || burst != s.kctx_burst) return nullptr;
        if (!s.kctx_used) {
            s.kctx_used = true;
            return &s.kctx;
        }
        if (server_side()) return nullptr;  // another request of the burst: a trace of its own
        // Client: another call made by the same thread in the same burst has the same parent,
        // but a span id of its own.
        spare_kctx_ = s.kctx;
        SpanId id = random_span_id();
        std::memcpy(spare_kctx_.span_id, id.bytes.data(), sizeof(spare_kctx_.span_id));
        return &spare_kctx_;
    }

    void request_headers(Side& s, const BlockMeta& m)
    {
        if ((m.stream & 1) == 0) return;  // clients open odd streams only
        Stream* st = streams_.find(m.stream);
        if (st) {  // trailers of the request
            if (m.end_stream) st->req_end = true;
            return;
        }
        bool evicted = false;
        Stream& n = streams_.open(m.stream, evicted);
        if (evicted) env_.counters->unanswered++;
        n.method_known = cap_.has_method;
        if (cap_.has_method) n.method = cap_.method;
        n.path_known = cap_.has_path;
        if (cap_.has_path) {
            std::string_view p = cap_.path;
            size_t q = p.find('?');
            n.path.assign(p.substr(0, q));
            if (q != std::string_view::npos) n.query.assign(p.substr(q + 1));
        }
        if (cap_.has_authority) n.authority = cap_.authority;
        n.grpc = cap_.grpc_content();
        n.plain_type = cap_.has_content_type && !n.grpc;
        n.req_end = m.end_stream;
        n.start_ns = m.start_ts;
        n.last_ts = m.end_ts;
        n.tid = m.tid;
        n.ctx = conntrack::assign_span_context(take_kctx(s, m.start_burst),
                                               cap_.has_traceparent ? std::string_view(cap_.traceparent) : "",
                                               server_side(), *env_.resolver);
    }

    void response_headers(const BlockMeta& m, const DecodeResult& r)
    {
        Stream* st = streams_.find(m.stream);
        if (!st) {
            if ((m.stream & 1) == 0) return;  // a pushed response: no request of the client
            env_.counters->orphan_responses++;
            if (m.end_stream) return;
            bool evicted = false;
            Stream& o = streams_.open(m.stream, evicted);
            if (evicted) env_.counters->unanswered++;
            o.orphan = true;
            o.start_ns = o.last_ts = m.start_ts;
            return;
        }
        if (st->orphan) {
            if (m.end_stream) streams_.remove(st);
            return;
        }
        st->last_ts = m.end_ts;
        if (!st->resp_final) {
            if (cap_.has_status && cap_.status < 200 && !m.end_stream) return;  // interim (100 Continue, 103)
            st->resp_final = true;
            st->status_known = cap_.has_status;
            st->status = cap_.status;
            if (cap_.grpc_content()) st->grpc = true;
            else if (cap_.has_content_type) st->plain_type = true;
            if (!r.clean()) st->resp_unknown = true;
        } else {
            st->trailers = true;
            if (!r.clean()) st->trailers_unknown = true;
        }
        if (cap_.has_grpc_status) {
            st->grpc = true;
            st->grpc_status = cap_.grpc_status;
        }
        if (m.end_stream) complete(st, m.end_ts);
    }

    void on_data_frame(Direction dir, const Frame& f)
    {
        Stream* st = streams_.find(f.hdr.stream);
        if (!st) return;
        const bool end = f.hdr.flags & kEndStream;
        if (st->orphan) {
            if (end && dir != req_dir_) streams_.remove(st);
            return;
        }
        int64_t body = f.hdr.length;
        if (f.hdr.flags & kPadded) body -= 1 + (f.payload.empty() ? 0 : static_cast<uint8_t>(f.payload[0]));
        if (body < 0) body = 0;
        if (dir == req_dir_) {
            st->req_body += body;
            if (end) st->req_end = true;
            return;
        }
        st->resp_body += body;
        st->last_ts = f.end_ts;
        if (end) complete(st, f.end_ts);
    }

    void on_settings(Direction dir, const Frame& f)
    {
        if (f.hdr.flags & kAck) return;
        for (size_t i = 0; i + 6 <= f.payload.size(); i += 6) {
            uint16_t id = static_cast<uint16_t>((static_cast<uint8_t>(f.payload[i]) << 8) |
                                                static_cast<uint8_t>(f.payload[i + 1]));
            // The sender's limit on the frames it receives: frames of the other direction.
            if (id == kSettingMaxFrameSize) side(opposite(dir)).reader.set_max_frame_size(be32(f.payload.data() + i + 2));
        }
    }

    void on_reset(const Frame& f)
    {
        Stream* st = streams_.find(f.hdr.stream);
        if (!st) return;  // already complete (a reset after END_STREAM stops the request body)
        if (!st->orphan) {
            if (st->grpc) {
                if (st->grpc_status < 0) st->grpc_status = kGrpcUnknown;  // cancelled without a status
                emit(*st, f.end_ts, st->status);
            } else if (st->resp_final && st->status_known) {
                emit(*st, f.end_ts, st->status);
            } else {
                env_.counters->unanswered++;
            }
        }
        streams_.remove(st);
    }

    // A span needs a status we could read. `end_seen`: the response's END_STREAM was seen
    // (else it may lie in lost bytes, with gRPC trailers).
    static bool reportable(const Stream& s, bool end_seen)
    {
        if (!s.resp_final) return false;
        if (s.grpc) return s.grpc_status >= 0;
        if (!s.status_known) return false;
        // Nothing says gRPC, but what would have may be unknown: a POST (or unknown method)
        // without a readable content-type whose trailers were unreadable or lost is not
        // reported as plain HTTP.
        bool maybe_grpc = !s.plain_type && (!s.method_known || s.method == "POST") &&
                          (!end_seen || (s.trailers && s.trailers_unknown));
        return !maybe_grpc;
    }

    // The response ended (END_STREAM).
    void complete(Stream* st, uint64_t end_ts)
    {
        bool ok = st->resp_final;
        // Where a grpc-status could have been but was not readable.
        const bool status_hidden = st->trailers ? st->trailers_unknown : st->resp_unknown;
        if (ok && st->grpc && st->grpc_status < 0) {
            // No grpc-status: the server answered without gRPC trailers (a proxy error, an
            // HTTP status) - unless the status was in a block we could not decode.
            if (status_hidden) ok = false;
            else st->grpc_status = grpc_status_from_http(st->status_known ? st->status : 0);
        }
        if (ok && reportable(*st, true)) emit(*st, end_ts, st->status);
        else env_.counters->unanswered++;
        streams_.remove(st);
    }

    void emit(Stream& st, uint64_t end_ns, int status)
    {
        Span sp;
        const auto& conn = *env_.conn;
        const bool server = server_side();
        if (st.grpc) sp.type = server ? SpanType::GRPC : SpanType::GRPCClient;
        else sp.type = server ? SpanType::HTTP : SpanType::HTTPClient;
        // Fields we could not decode get honest placeholders, never a guess from a stale table.
        if (st.method_known) sp.method = std::move(st.method);
        else sp.method = st.grpc ? "POST" : "_OTHER";
        if (st.path_known) sp.path = std::move(st.path);
        else sp.path = "*";
        sp.query = std::move(st.query);
        if (conn.tls) sp.scheme = "https";
        sp.status = status;
        sp.rpc_status = st.grpc ? st.grpc_status : -1;
        sp.request_body_size = st.req_body;
        sp.response_body_size = st.resp_body;
        conntrack::set_endpoints(sp, conn, server);
        if (!st.authority.empty()) {
            std::string_view name;
            uint16_t port = 0;
            if (http1::split_host_port(st.authority, name, port)) {
                sp.host_header.assign(name);
                sp.host_header_port = port;
            }
        }
        conntrack::emit_span(env_, std::move(sp), st.ctx, st.start_ns, end_ns, st.tid);
    }

    conntrack::HandlerEnv env_;
    Direction req_dir_;  // the direction requests travel: Ingress on the server side
    Side in_, out_;
    StreamTable streams_;
    HeaderCapture cap_;
    obi_trace_ctx spare_kctx_{};
    uint64_t cur_ts_ = 0;
    bool from_start_ = false;
};

// The preface, or (for fewer bytes) a prefix of it.
bool preface_prefix(std::string_view b)
{
    size_t n = std::min(b.size(), kPreface.size());
    return b.substr(0, n) == kPreface.substr(0, n);
}

}  // namespace

conntrack::Detection detect(std::string_view b, Direction, const conntrack::ConnInfo&)
{
    using conntrack::Detection;
    if (b.empty()) return Detection::NeedMore;
    if (preface_prefix(b)) return b.size() >= kPreface.size() ? Detection::Yes : Detection::NeedMore;
    if (b.size() < kFrameHeaderLen) {
        // A frame header prefix: a length below 64 KiB, a known type.
        bool plausible = b[0] == 0 && (b.size() < 2 || static_cast<uint8_t>(b[1]) <= (kDefaultMaxFrameSize >> 8)) &&
                         (b.size() < 4 || static_cast<uint8_t>(b[3]) <= kContinuation);
        return plausible ? Detection::NeedMore : Detection::No;
    }
    // Joined mid-connection (or the server's SETTINGS came first): every frame header of
    // the burst's start must be one a real peer sends. The peer may have raised its maximum
    // frame size; a first frame larger than the default is not taken as a start.
    // One header alone is weak evidence (a length-prefixed protocol with a random id can look
    // like one): a second frame must follow it, or the frame must end exactly with the bytes.
    Chain ch = walk_chain(b, UINT64_MAX, kDefaultMaxFrameSize);
    if (!ch.ok) return Detection::No;
    if (ch.frames >= 2 || ch.end == b.size()) return Detection::Yes;
    return b.size() < conntrack::kMaxDetectBytes ? Detection::NeedMore : Detection::No;
}

std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env)
{
    const bool preface = env.first_bytes.substr(0, kPreface.size()) == kPreface;
    Direction req_dir;
    if (preface) req_dir = env.first_dir;  // the client sends the preface
    else req_dir = env.conn->kernel_role == OBI_ROLE_CLIENT ? Direction::Egress : Direction::Ingress;
    using Start = FrameReader::Start;
    // After the preface the other side's first bytes are its SETTINGS: both are in sync from
    // the start. Otherwise the burst detect() accepted starts with frames, and the other
    // direction waits for a call that starts with plausible frames (or the preface).
    Start in, out;
    if (preface) {
        in = req_dir == Direction::Ingress ? Start::Preface : Start::Frames;
        out = req_dir == Direction::Egress ? Start::Preface : Start::Frames;
    } else {
        in = env.first_dir == Direction::Ingress ? Start::Frames : Start::Unknown;
        out = env.first_dir == Direction::Egress ? Start::Frames : Start::Unknown;
    }
    auto h = std::make_unique<Http2Handler>(env, req_dir, in, out);
    if (preface) h->set_from_start();
    return h;
}

std::unique_ptr<conntrack::ProtocolHandler> create_after_upgrade(const conntrack::HandlerEnv& env, Direction req_dir,
                                                                 UpgradedRequest req)
{
    using Start = FrameReader::Start;
    // After the 101 the server sends frames at once; the client first sends the preface.
    Start in = req_dir == Direction::Ingress ? Start::Preface : Start::Frames;
    Start out = req_dir == Direction::Egress ? Start::Preface : Start::Frames;
    auto h = std::make_unique<Http2Handler>(env, req_dir, in, out);
    h->adopt(std::move(req));
    return h;
}

}  // namespace obi::http2
