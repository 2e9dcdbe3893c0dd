// MongoHandler: one message reassembler per direction (header -> kept body start -> skip),
// requests awaiting replies keyed by requestID, span assembly; and detection.
#include "protocols/mongo/conn_handler.h"

#include <deque>
#include <optional>
#include <string>

#include "conntrack/span_context.h"
#include "conntrack/span_emit.h"
#include "protocols/mongo/bson.h"
#include "protocols/mongo/wire.h"

namespace obi::mongo {
namespace {

using conntrack::DataChunk;
using conntrack::Detection;
using conntrack::Direction;

constexpr size_t kKeep = 4096;       // body bytes kept per message (command documents are small)
constexpr size_t kMaxPending = 256;  // requests awaiting replies (drivers send one at a time per connection)
constexpr size_t kMaxExhaust = 8;    // exhaust streams followed
constexpr size_t kMaxText = 256;     // operation/collection/database/error text kept

struct Pending {
    int32_t request_id = 0;
    std::string op, collection, db;
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    conntrack::SpanContext ctx;
};

// Reassembles one direction's messages.
struct Stream {
    enum class Phase : uint8_t { Header, Body, Lost } phase = Phase::Header;
    std::string header;  // up to 16 bytes
    Header h;
    uint64_t remaining = 0;
    std::string body;  // the first kKeep bytes of the body that were captured
    bool body_cut = false;  // a hole inside the kept part
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    std::optional<obi_trace_ctx> kctx;
};

std::string bounded(std::string_view s) { return std::string(s.substr(0, kMaxText)); }

class MongoHandler final : public conntrack::ProtocolHandler {
public:
    explicit MongoHandler(const conntrack::HandlerEnv& env) : env_(env)
    {
        const auto role = env.conn->kernel_role;
        if (role == OBI_ROLE_SERVER || role == OBI_ROLE_CLIENT) {
            server_ = role == OBI_ROLE_SERVER;
            req_dir_ = server_ ? Direction::Ingress : Direction::Egress;
        } else {  // a request has responseTo 0
            Header h;
            bool request = parse_header(env.first_bytes, h) && h.response_to == 0 && h.opcode != OP_REPLY;
            req_dir_ = request ? env.first_dir : opposite(env.first_dir);
            server_ = req_dir_ == Direction::Ingress;
        }
        env_.first_bytes = {};
    }

    void on_data(const DataChunk& c) override
    {
        if (server_) return;  // OBI has no MongoDB server spans
        const bool req = c.dir == req_dir_;
        feed(req ? req_ : resp_, c, req);
    }

    void on_gap() override
    {
        env_.counters->lost_sync++;
        drop_pending();
        req_.phase = resp_.phase = Stream::Phase::Lost;
    }

    void on_close(uint64_t) override { drop_pending(); }

private:

    void drop_pending()
    {
        env_.counters->unanswered += pending_.size();
        pending_.clear();
        exhaust_.clear();
    }

    static void restart(Stream& s)
    {
        s.phase = Stream::Phase::Header;
        s.header.clear();
        s.body.clear();
        s.body_cut = false;
        s.remaining = 0;
    }

    void feed(Stream& s, const DataChunk& c, bool req)
    {
        if (c.msg_start && s.phase == Stream::Phase::Lost) {  // resynchronise at a burst that starts a message
            Header h;
            if (parse_header(c.captured, h)) restart(s);
        }
        const uint64_t total = c.bytes, cap = c.captured.size();
        uint64_t pos = 0;
        while (pos < total) {
            switch (s.phase) {
            case Stream::Phase::Lost: return;
            case Stream::Phase::Header: {
                if (pos >= cap) {  // the next header was not captured
                    env_.counters->lost_sync++;
                    s.phase = Stream::Phase::Lost;
                    return;
                }
                if (s.header.empty()) {
                    s.start_ns = c.ts_ns;
                    s.tid = c.tid;
                    s.kctx.reset();
                    if (pos == 0 && c.msg_start && c.tctx) s.kctx = *c.tctx;
                }
                size_t n = std::min<uint64_t>(kHeaderSize - s.header.size(), cap - pos);
                s.header.append(c.captured.substr(pos, n));
                pos += n;
                if (s.header.size() < kHeaderSize) break;
                if (!parse_header(s.header, s.h)) {
                    env_.counters->parse_errors++;
                    s.phase = Stream::Phase::Lost;
                    return;
                }
                s.remaining = static_cast<uint64_t>(s.h.length) - kHeaderSize;
                s.body.clear();
                s.body_cut = false;
                s.phase = Stream::Phase::Body;
                break;
            }
            case Stream::Phase::Body: {
                uint64_t n = std::min(s.remaining, total - pos);
                if (s.body.size() < kKeep && !s.body_cut) {
                    uint64_t avail = pos < cap ? std::min(n, cap - pos) : 0;
                    uint64_t take = std::min<uint64_t>(avail, kKeep - s.body.size());
                    s.body.append(c.captured.substr(pos, take));
                    if (take < n && s.body.size() < kKeep) s.body_cut = true;  // bytes after a hole are unknown
                }
                pos += n;
                s.remaining -= n;
                if (s.remaining == 0) {
                    message_done(s, c.ts_ns, req);
                    s.header.clear();
                    s.phase = Stream::Phase::Header;
                }
                break;
            }
            }
        }
    }

    void message_done(Stream& s, uint64_t ts, bool req)
    {
        Message m = describe(s.h, s.body);
        if (!m.parsed) {
            env_.counters->parse_errors++;
            return;
        }
        if (m.compressed) {  // counted: we do not decode snappy/zlib/zstd
            env_.counters->parse_errors++;
            if (!req) erase_pending(s.h.response_to);
            return;
        }
        if (req) on_request(s, m, ts);
        else on_reply(s, m, ts);
    }

    void on_request(Stream& s, const Message& m, uint64_t ts)
    {
        if (m.opcode == OP_REPLY) {
            env_.counters->parse_errors++;
            return;
        }
        Pending p;
        p.request_id = s.h.request_id;
        p.op = bounded(m.command);
        p.collection = bounded(m.collection);
        p.db = bounded(m.database);
        p.start_ns = s.start_ns;
        p.tid = s.tid;
        p.ctx = conntrack::assign_span_context(s.kctx ? &*s.kctx : nullptr, {}, false, *env_.resolver);
        if (m.no_reply || m.more_to_come) {  // fire-and-forget: the span ends with the request
            emit(p, nullptr, ts);
            return;
        }
        if (pending_.size() >= kMaxPending) {
            env_.counters->unanswered++;
            pending_.pop_front();
        }
        pending_.push_back(std::move(p));
    }

    void erase_pending(int32_t id)
    {
        for (auto it = pending_.begin(); it != pending_.end(); ++it)
            if (it->request_id == id) {
                pending_.erase(it);
                return;
            }
    }

    void on_reply(Stream& s, const Message& m, uint64_t ts)
    {
        const int32_t to = s.h.response_to;
        for (auto it = pending_.begin(); it != pending_.end(); ++it) {
            if (it->request_id != to) continue;
            emit(*it, &m, ts);
            pending_.erase(it);
            if (m.more_to_come) remember_exhaust(s.h.request_id);
            return;
        }
        for (auto& id : exhaust_) {  // a further reply of an exhaust cursor
            if (id != to) continue;
            if (m.more_to_come) id = s.h.request_id;
            else id = 0;
            return;
        }
        env_.counters->orphan_responses++;
    }

    void remember_exhaust(int32_t id)
    {
        for (auto& e : exhaust_)
            if (e == 0) {
                e = id;
                return;
            }
        if (exhaust_.size() < kMaxExhaust) exhaust_.push_back(id);
        else exhaust_[0] = id;
    }

    void emit(Pending& p, const Message* reply, uint64_t end_ns)
    {
        Span sp;
        const auto& conn = *env_.conn;
        sp.type = SpanType::MongoClient;
        sp.db_system = "mongodb";
        sp.operation = std::move(p.op);
        sp.collection = std::move(p.collection);
        sp.db_namespace = std::move(p.db);
        if (reply && reply->error) {
            sp.error = true;
            if (reply->have_code) sp.error_code = std::to_string(reply->code);
            else if (!reply->code_name.empty()) sp.error_code = bounded(reply->code_name);
            std::string msg;
            if (!reply->code_name.empty()) msg = bounded(reply->code_name);
            if (!reply->errmsg.empty()) {
                if (!msg.empty()) msg += ": ";
                msg += bounded(reply->errmsg);
            }
            sp.error_message = std::move(msg);
        }
        conntrack::set_endpoints(sp, conn, false);  // client side only
        conntrack::emit_span(env_, std::move(sp), p.ctx, p.start_ns, end_ns, p.tid);
    }

    conntrack::HandlerEnv env_;
    Direction req_dir_ = Direction::Egress;
    bool server_ = false;
    Stream req_, resp_;
    std::deque<Pending> pending_;
    std::vector<int32_t> exhaust_;  // requestIDs of the last reply of each exhaust stream (0: free)
};

// A cstring of printable ASCII that is a plausible element name or namespace.
bool plausible_name(std::string_view b, size_t pos, size_t max, bool need_dot, Detection& d)
{
    bool dot = false;
    for (size_t i = pos; i < b.size(); i++) {
        char c = b[i];
        if (c == 0) {
            if (i == pos || (need_dot && !dot)) {
                d = Detection::No;
                return false;
            }
            return true;
        }
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e || i - pos >= max) {
            d = Detection::No;
            return false;
        }
        if (c == '.') dot = true;
    }
    d = Detection::NeedMore;
    return false;
}

// A BSON document starting at `pos`: plausible size within the message and a first element
// of a known type with a printable name (or the empty document).
Detection plausible_doc(std::string_view b, size_t pos, int32_t room)
{
    if (b.size() < pos + 5) return Detection::NeedMore;
    int32_t size = read_i32(b.data() + pos);
    if (size < 5 || size > room) return Detection::No;
    uint8_t type = static_cast<uint8_t>(b[pos + 4]);
    if (type == 0) return size == 5 ? Detection::Yes : Detection::No;
    if (!bson_known_type(type)) return Detection::No;
    Detection d = Detection::Yes;
    if (!plausible_name(b, pos + 5, 64, false, d)) return d;
    return Detection::Yes;
}

}  // namespace

Detection detect(std::string_view b, Direction, const conntrack::ConnInfo& conn)
{
    if (conn.udp) return Detection::No;
    if (b.size() >= 4) {
        int32_t len = read_i32(b.data());
        if (len < 16 + 9 || len > kMaxMessage) return Detection::No;
    }
    if (b.size() < kHeaderSize) return Detection::NeedMore;
    Header h;
    if (!parse_header(b, h)) return Detection::No;
    const int32_t body = h.length - static_cast<int32_t>(kHeaderSize);
    const bool request = h.response_to == 0;
    if (h.request_id == 0 && request) return Detection::No;  // drivers number requests from 1
    switch (h.opcode) {
    case OP_MSG: {
        if (b.size() < kHeaderSize + 5) return Detection::NeedMore;
        uint32_t flags = static_cast<uint32_t>(read_i32(b.data() + 16));
        if (flags & 0xFFFCu) return Detection::No;  // unknown required flag bits
        uint8_t kind = static_cast<uint8_t>(b[20]);
        if (kind == 0) return plausible_doc(b, 21, body - 5);
        if (kind != 1) return Detection::No;
        if (b.size() < 25) return Detection::NeedMore;
        int32_t size = read_i32(b.data() + 21);
        if (size < 4 + 2 || size > body - 5) return Detection::No;
        Detection d = Detection::Yes;
        if (!plausible_name(b, 25, 64, false, d)) return d;
        return Detection::Yes;
    }
    case OP_QUERY: {
        if (!request) return Detection::No;
        if (b.size() < 20) return Detection::NeedMore;
        uint32_t flags = static_cast<uint32_t>(read_i32(b.data() + 16));
        if (flags & ~0xFEu) return Detection::No;  // bit 0 reserved, bits 1-7 defined
        Detection d = Detection::Yes;
        if (!plausible_name(b, 20, 255, true, d)) return d;
        size_t after = b.find('\0', 20) + 1 + 8;  // plausible_name found the NUL
        if (after + 5 > static_cast<size_t>(h.length)) return Detection::No;
        return plausible_doc(b, after, h.length - static_cast<int32_t>(after));
    }
    case OP_REPLY: {
        if (request) return Detection::No;
        if (b.size() < 36) return Detection::NeedMore;
        uint32_t flags = static_cast<uint32_t>(read_i32(b.data() + 16));
        int32_t returned = read_i32(b.data() + 32);
        if ((flags & ~0xFu) || returned < 0 || returned > body / 5) return Detection::No;
        if (returned == 0) return body == 20 ? Detection::Yes : Detection::No;
        return plausible_doc(b, 36, body - 20);
    }
    case OP_COMPRESSED: {
        if (b.size() < 25) return Detection::NeedMore;
        int32_t original = read_i32(b.data() + 16), size = read_i32(b.data() + 20);
        uint8_t compressor = static_cast<uint8_t>(b[24]);
        bool known = original == OP_MSG || original == OP_QUERY || original == OP_REPLY;
        return known && size > 0 && size <= kMaxMessage && compressor <= 3 ? Detection::Yes : Detection::No;
    }
    case OP_INSERT:
    case OP_UPDATE:
    case OP_DELETE:
    case OP_GET_MORE: {
        if (!request) return Detection::No;
        if (b.size() < 20) return Detection::NeedMore;
        if (h.opcode != OP_INSERT && read_i32(b.data() + 16) != 0) return Detection::No;  // ZERO
        Detection d = Detection::Yes;
        if (!plausible_name(b, 20, 255, true, d)) return d;
        return Detection::Yes;
    }
    default: return Detection::No;  // OP_KILL_CURSORS alone is too little to go on
    }
}

std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env)
{
    return std::make_unique<MongoHandler>(env);
}

}  // namespace obi::mongo
