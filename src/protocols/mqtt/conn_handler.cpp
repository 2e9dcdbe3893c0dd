// MqttHandler: one packet reassembler per direction, publishes and subscribes awaiting their
// acknowledgement by packet id, MQTT 5 topic aliases, span assembly; and detection.
#include "protocols/mqtt/conn_handler.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "conntrack/span_context.h"
#include "conntrack/span_emit.h"
#include "protocols/mqtt/packet.h"

namespace obi::mqtt {
namespace {

using conntrack::DataChunk;
using conntrack::Detection;
using conntrack::Direction;

constexpr size_t kKeep = 2048;        // bytes of a packet (after the fixed header) kept for parsing
constexpr size_t kMaxInflight = 256;  // publishes/subscribes awaiting acknowledgement
constexpr size_t kMaxAliases = 256;   // MQTT 5 topic aliases remembered
constexpr size_t kMaxText = 1024;     // topic and client id bytes kept

struct Inflight {
    uint8_t type = 0;  // PUBLISH or SUBSCRIBE
    uint8_t qos = 0;
    uint16_t packet_id = 0;
    std::string topic;
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    conntrack::SpanContext ctx;
};

struct Stream {
    enum class Phase : uint8_t { Header, Body, Lost } phase = Phase::Header;
    std::string header;  // fixed header bytes (<= 5)
    FixedHeader h;
    uint64_t remaining = 0;
    std::string body;
    bool body_cut = false;
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    std::optional<obi_trace_ctx> kctx;
};

class MqttHandler final : public conntrack::ProtocolHandler {
public:
    explicit MqttHandler(const conntrack::HandlerEnv& env) : env_(env)
    {
        const auto role = env.conn->kernel_role;
        if (role == OBI_ROLE_SERVER || role == OBI_ROLE_CLIENT) {
            server_ = role == OBI_ROLE_SERVER;
            c2b_dir_ = server_ ? Direction::Ingress : Direction::Egress;
        } else {  // CONNECT and SUBSCRIBE travel client -> broker
            FixedHeader h;
            bool c2b = parse_fixed_header(env.first_bytes, h) == Parse::Ok && (h.type == CONNECT || h.type == SUBSCRIBE);
            c2b_dir_ = c2b ? env.first_dir : opposite(env.first_dir);
            server_ = c2b_dir_ == Direction::Ingress;
        }
        env_.first_bytes = {};
    }

    void on_data(const DataChunk& c) override
    {
        const bool c2b = c.dir == c2b_dir_;
        feed(c2b ? c2b_ : b2c_, c, c2b);
    }

    void on_gap() override
    {
        env_.counters->lost_sync++;
        drop_inflight();
        c2b_.phase = b2c_.phase = Stream::Phase::Lost;
    }

    void on_close(uint64_t) override { drop_inflight(); }

private:

    void drop_inflight()
    {
        env_.counters->unanswered += inflight_.size();
        inflight_.clear();
    }

    static void restart(Stream& s)
    {
        s.phase = Stream::Phase::Header;
        s.header.clear();
        s.body.clear();
        s.body_cut = false;
    }

    // Does this call start at a packet boundary? At a direction change a valid fixed header is
    // enough (a write starts with a packet); within a burst (a publisher that only sends QoS 0)
    // the packets whose headers were captured must also end exactly where the call ends.
    static bool starts_packets(const DataChunk& c)
    {
        FixedHeader h;
        if (parse_fixed_header(c.captured, h) != Parse::Ok) return false;
        if (c.msg_start) return true;
        uint64_t pos = 0;
        while (pos < c.captured.size()) {
            if (parse_fixed_header(c.captured.substr(pos), h) != Parse::Ok) return false;
            pos += h.size + uint64_t{h.remaining};
        }
        return pos == c.bytes;
    }

    // The bytes of the call known from `pos` on: the captured head, or the tail the kernel
    // copies from the end of a call larger than the capture (a small acknowledgement after a
    // large delivery in one read).
    static std::string_view known_from(const DataChunk& c, uint64_t pos)
    {
        if (pos < c.captured.size()) return c.captured.substr(pos);
        uint64_t tail_at = c.bytes - std::min<uint64_t>(c.bytes, c.tail.size());
        if (pos >= tail_at && pos < c.bytes) return c.tail.substr(pos - tail_at);
        return {};
    }

    void feed(Stream& s, const DataChunk& c, bool c2b)
    {
        if (s.phase == Stream::Phase::Lost && starts_packets(c)) restart(s);
        const uint64_t total = c.bytes;
        uint64_t pos = 0;
        while (pos < total) {
            switch (s.phase) {
            case Stream::Phase::Lost: return;
            case Stream::Phase::Header: {
                std::string_view known = known_from(c, pos);
                if (known.empty()) {
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
                s.header.push_back(known[0]);
                pos++;
                Parse p = parse_fixed_header(s.header, s.h);
                if (p == Parse::NeedMore) break;
                if (p == Parse::Invalid) {
                    env_.counters->parse_errors++;
                    s.phase = Stream::Phase::Lost;
                    return;
                }
                s.remaining = s.h.remaining;
                s.body.clear();
                s.body_cut = false;
                s.phase = Stream::Phase::Body;
                if (s.remaining == 0) {
                    packet_done(s, c.ts_ns, c2b);
                    s.header.clear();
                    s.phase = Stream::Phase::Header;
                }
                break;
            }
            case Stream::Phase::Body: {
                uint64_t n = std::min(s.remaining, total - pos);
                if (s.body.size() < kKeep && !s.body_cut) {
                    std::string_view known = known_from(c, pos);
                    uint64_t take = std::min<uint64_t>({n, known.size(), kKeep - s.body.size()});
                    s.body.append(known.substr(0, take));
                    if (take < n && s.body.size() < kKeep) s.body_cut = true;
                }
                pos += n;
                s.remaining -= n;
                if (s.remaining == 0) {
                    packet_done(s, c.ts_ns, c2b);
                    s.header.clear();
                    s.phase = Stream::Phase::Header;
                }
                break;
            }
            }
        }
    }

    // A parse that needed bytes we did not keep is not an error of the peer.
    void count(Parse p)
    {
        if (p == Parse::Invalid) env_.counters->parse_errors++;
    }

    void packet_done(Stream& s, uint64_t ts, bool c2b)
    {
        const FixedHeader& h = s.h;
        std::string_view body = s.body;
        if (c2b) {
            switch (h.type) {
            case CONNECT: {
                Connect cn;
                Parse p = parse_connect(body, cn);
                if (p == Parse::Ok) {
                    level_ = cn.level;
                    client_id_.assign(cn.client_id.substr(0, kMaxText));
                } else {
                    count(p);
                }
                return;
            }
            case PUBLISH: {
                Publish pb;
                Parse p = parse_publish(h, body, level_, pb);
                if (p != Parse::Ok) return count(p);
                std::string topic(pb.topic.substr(0, kMaxText));
                if (pb.topic_alias) topic = alias(pb.topic_alias, topic);
                Inflight f{PUBLISH, pb.qos, pb.packet_id, std::move(topic), s.start_ns, s.tid, {}};
                f.ctx = conntrack::assign_span_context(s.kctx ? &*s.kctx : nullptr, {}, server_, *env_.resolver);
                if (pb.qos == 0) return emit(f, ts);
                if (pb.dup && find(PUBLISH, pb.packet_id)) return;  // a retransmission: the first one counts
                track(std::move(f));
                return;
            }
            case SUBSCRIBE: {
                Subscribe sb;
                Parse p = parse_subscribe(body, level_, sb);
                if (p == Parse::Invalid) return count(p);
                if (p == Parse::NeedMore && body.size() < 2) return;
                if (p == Parse::NeedMore) {  // the filter lies beyond what was captured
                    size_t at = 0;
                    sb.packet_id = static_cast<uint16_t>(static_cast<uint8_t>(body[at]) << 8 | static_cast<uint8_t>(body[at + 1]));
                    if (sb.packet_id == 0) return;
                }
                Inflight f{SUBSCRIBE, 0, sb.packet_id, std::string(sb.first_filter.substr(0, kMaxText)), s.start_ns, s.tid, {}};
                f.ctx = conntrack::assign_span_context(s.kctx ? &*s.kctx : nullptr, {}, server_, *env_.resolver);
                track(std::move(f));
                return;
            }
            default: return;  // PUBREL of our QoS 2 flow, acks of deliveries, PINGREQ, ...
            }
        }
        switch (h.type) {
        case PUBACK:
        case PUBREC:
        case PUBCOMP:
        case SUBACK: {
            Ack a;
            Parse p = parse_ack(h, body, a);
            if (p != Parse::Ok) return count(p);
            uint8_t want = h.type == SUBACK ? SUBSCRIBE : PUBLISH;
            Inflight* f = find(want, a.packet_id);
            if (!f) {
                if (h.type != PUBREC) env_.counters->orphan_responses++;
                return;
            }
            bool done = h.type == SUBACK || (h.type == PUBACK && f->qos == 1) || (h.type == PUBCOMP && f->qos == 2) ||
                        (h.type == PUBREC && a.reason >= 0x80);  // a refused QoS 2 publish ends at PUBREC
            if (!done) return;
            Inflight copy = std::move(*f);
            erase(want, a.packet_id);
            emit(copy, ts);
            return;
        }
        case CONNACK:
            if (level_ == 0 && h.remaining > 2) level_ = 5;  // MQTT 5 CONNACK carries properties
            return;
        default: return;  // PUBLISH deliveries (no span, as OBI), PUBREL, UNSUBACK, PINGRESP, ...
        }
    }

    // MQTT 5 topic alias of the client->broker direction: set by a PUBLISH with a topic.
    std::string alias(uint16_t id, const std::string& topic)
    {
        for (auto& [k, v] : aliases_)
            if (k == id) {
                if (!topic.empty()) v = topic;
                return v;
            }
        if (topic.empty()) return topic;
        if (aliases_.size() < kMaxAliases) aliases_.emplace_back(id, topic);
        return topic;
    }

    Inflight* find(uint8_t type, uint16_t id)
    {
        for (auto& f : inflight_)
            if (f.type == type && f.packet_id == id) return &f;
        return nullptr;
    }

    void erase(uint8_t type, uint16_t id)
    {
        for (auto it = inflight_.begin(); it != inflight_.end(); ++it)
            if (it->type == type && it->packet_id == id) {
                inflight_.erase(it);
                return;
            }
    }

    void track(Inflight&& f)
    {
        if (Inflight* old = find(f.type, f.packet_id)) {  // a packet id reused: the old one was never acknowledged
            env_.counters->unanswered++;
            *old = std::move(f);
            return;
        }
        if (inflight_.size() >= kMaxInflight) {
            env_.counters->unanswered++;
            inflight_.erase(inflight_.begin());
        }
        inflight_.push_back(std::move(f));
    }

    void emit(Inflight& f, uint64_t end_ns)
    {
        Span sp;
        const auto& conn = *env_.conn;
        sp.type = server_ ? SpanType::MQTTServer : SpanType::MQTTClient;
        sp.db_system = "mqtt";
        sp.operation = f.type == PUBLISH ? "publish" : "subscribe";
        sp.collection = std::move(f.topic);
        sp.client_id = client_id_;
        conntrack::set_endpoints(sp, conn, server_);
        conntrack::emit_span(env_, std::move(sp), f.ctx, f.start_ns, end_ns, f.tid);
    }

    conntrack::HandlerEnv env_;
    Direction c2b_dir_ = Direction::Egress;  // client -> broker
    bool server_ = false;                    // the traced process is the broker
    uint8_t level_ = 0;                      // protocol level from CONNECT (0: not seen)
    std::string client_id_;
    Stream c2b_, b2c_;
    std::vector<Inflight> inflight_;
    std::vector<std::pair<uint16_t, std::string>> aliases_;
};

// Every packet in `b` from `pos` is valid; the last may be cut short.
bool valid_packets(std::string_view b, size_t pos)
{
    while (pos < b.size()) {
        FixedHeader h;
        Parse p = parse_fixed_header(b.substr(pos), h);
        if (p == Parse::Invalid) return false;
        if (p == Parse::NeedMore) return true;
        pos += h.size + static_cast<size_t>(h.remaining);
    }
    return true;
}

}  // namespace

Detection detect(std::string_view b, Direction, const conntrack::ConnInfo& conn)
{
    if (conn.udp) return Detection::No;
    FixedHeader h;
    Parse p = parse_fixed_header(b, h);
    if (p == Parse::Invalid) return Detection::No;
    if (p == Parse::NeedMore) return Detection::NeedMore;
    std::string_view body = b.substr(h.size);
    const size_t end = h.size + static_cast<size_t>(h.remaining);
    if (h.type == CONNECT) {
        Connect cn;
        Parse q = parse_connect(body.substr(0, h.remaining), cn);
        if (q == Parse::Invalid) return Detection::No;
        if (q == Parse::NeedMore) return b.size() < end ? Detection::NeedMore : Detection::No;
        return Detection::Yes;
    }
    // Mid-stream: a whole PUBLISH or SUBSCRIBE first, then only valid packets.
    if (h.type != PUBLISH && h.type != SUBSCRIBE) return Detection::No;
    if (b.size() < end) return end <= conntrack::kMaxDetectBytes ? Detection::NeedMore : Detection::No;
    std::string_view pkt = body.substr(0, h.remaining);
    if (h.type == PUBLISH) {
        Publish pb;
        if (parse_publish(h, pkt, 0, pb) != Parse::Ok || pb.topic.empty()) return Detection::No;
    } else {
        Subscribe sb;
        if (parse_subscribe(pkt, 0, sb) != Parse::Ok) return Detection::No;
    }
    return valid_packets(b, end) ? Detection::Yes : Detection::No;
}

std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env)
{
    return std::make_unique<MqttHandler>(env);
}

}  // namespace obi::mqtt
