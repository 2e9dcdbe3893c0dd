// DnsHandler: framing (one datagram per call over UDP, length-prefixed over TCP), pairing
// of responses with pending queries by id and question, timeouts, span assembly.
#include "protocols/dns/conn_handler.h"

#include <deque>
#include <string>

#include "conntrack/address.h"
#include "conntrack/span_context.h"
#include "conntrack/span_emit.h"
#include "protocols/dns/names.h"
#include "protocols/dns/stream_framer.h"
#include "protocols/dns/wire.h"

namespace obi::dns {
namespace {

using conntrack::DataChunk;
using conntrack::Direction;

// Queries in flight on one socket: a stub resolver sends 1-2, but c-ares (Node's dns.Resolver) and other
// asynchronous resolvers put hundreds of parallel lookups on one socket.
constexpr size_t kMaxPending = 1024;
constexpr const char* kTimeoutError = "timeout";

struct Pending {
    uint16_t id = 0, qtype = 0, qclass = 0;
    uint8_t opcode = 0;
    std::string name;
    std::string server;  // the resolver the query was sent to
    uint16_t server_port = 0;
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    conntrack::SpanContext ctx;
};

// Where one message went to or came from (unknown: port 0).
struct Peer {
    const uint8_t* addr = nullptr;
    uint16_t port = 0;
};

class DnsHandler final : public conntrack::ProtocolHandler {
public:
    explicit DnsHandler(const conntrack::HandlerEnv& env) : env_(env), udp_(env.conn->udp) { env_.first_bytes = {}; }

    void on_data(const DataChunk& c) override
    {
        if (udp_) {  // one datagram per call
            Peer peer{c.peer_addr, c.peer_port};
            on_message(c.dir, c.captured, c.bytes, c.ts_ns, c.ts_ns, c.tid, c.msg_start ? c.tctx : nullptr, peer);
            return;
        }
        StreamFramer& f = c.dir == Direction::Egress ? egress_ : ingress_;
        f.feed(c, *env_.counters, [this, &c](const FramedMessage& m) {
            on_message(c.dir, m.bytes, m.full_len, m.start_ns, m.end_ns, m.tid, m.kctx, Peer{});
        });
    }

    // Responses may have been lost with the events: waiting for them would report timeouts
    // that did not happen.
    void on_gap() override
    {
        env_.counters->lost_sync++;
        drop_pending();
        egress_.lose();
        ingress_.lose();
    }

    void on_close(uint64_t ts_ns) override
    {
        if (env_.dns_request_timeout_ns == 0) {
            drop_pending();
            return;
        }
        while (!pending_.empty()) {  // the socket went away unanswered: the client gave up
            Pending& p = pending_.front();
            uint64_t end = std::min(ts_ns, p.start_ns + env_.dns_request_timeout_ns);
            emit_timeout(std::move(p), end);
            pending_.pop_front();
        }
    }

    void on_timer(uint64_t now_ns) override
    {
        const uint64_t timeout = env_.dns_request_timeout_ns;
        if (timeout == 0) return;
        for (auto it = pending_.begin(); it != pending_.end();) {
            if (it->start_ns + timeout > now_ns) {
                ++it;
                continue;
            }
            uint64_t end = it->start_ns + timeout;
            emit_timeout(std::move(*it), end);
            it = pending_.erase(it);
        }
    }

private:
    void drop_pending()
    {
        env_.counters->unanswered += pending_.size();
        pending_.clear();
    }

    void on_message(Direction dir, std::string_view bytes, uint64_t full_len, uint64_t start_ns, uint64_t end_ns,
                    uint32_t tid, const obi_trace_ctx* kctx, Peer peer)
    {
        Header h;
        if (!read_header(bytes, h)) {  // the header was not captured
            env_.counters->lost_sync++;
            return;
        }
        // Client side only: the queries we send and the responses we receive. A traced DNS
        // server's traffic (queries in, responses out) is not a lookup of this process.
        if (h.qr() != (dir == Direction::Ingress)) return;
        Message msg;
        Status st = parse_message(bytes, static_cast<size_t>(full_len), h.qr(), msg);
        if (h.qr()) {
            on_response(msg, st, end_ns);
        } else if (st == Status::Invalid || !msg.has_question) {
            env_.counters->parse_errors++;
        } else {
            on_query(msg, start_ns, tid, kctx, peer);
        }
    }

    void on_query(Message& msg, uint64_t start_ns, uint32_t tid, const obi_trace_ctx* kctx, Peer peer)
    {
        const Question& q = msg.question;
        for (const Pending& p : pending_)  // a retransmission: the lookup is still the first query's
            if (p.id == msg.header.id && p.qtype == q.qtype && p.qclass == q.qclass && same_name(p.name, q.name)) return;
        if (pending_.size() >= kMaxPending) {
            env_.counters->unanswered++;
            pending_.pop_front();
        }
        Pending& p = pending_.emplace_back();
        p.id = msg.header.id;
        p.qtype = q.qtype;
        p.qclass = q.qclass;
        p.opcode = msg.header.opcode();
        p.name = std::move(msg.question.name);
        const conntrack::ConnInfo& conn = *env_.conn;
        if (peer.port != 0 && peer.addr) {
            p.server = conntrack::format_address(peer.addr);
            p.server_port = peer.port;
        } else {
            p.server = conn.remote_addr;
            p.server_port = conn.remote_port;
        }
        p.start_ns = start_ns;
        p.tid = tid;
        p.ctx = conntrack::assign_span_context(kctx, {}, false, *env_.resolver);
    }

    void on_response(Message& msg, Status st, uint64_t end_ns)
    {
        // The question, when we have it, must be the query's: an id alone is 16 bits.
        const bool check_question = msg.has_question;
        if (st == Status::Invalid) {
            env_.counters->parse_errors++;
            if (!check_question) return;
        }
        for (auto it = pending_.begin(); it != pending_.end(); ++it) {
            if (it->id != msg.header.id) continue;
            if (check_question && (it->qtype != msg.question.qtype || it->qclass != msg.question.qclass ||
                                   !same_name(it->name, msg.question.name)))
                continue;
            emit(std::move(*it), &msg, end_ns);
            pending_.erase(it);
            return;
        }
        env_.counters->orphan_responses++;
    }

    void emit_timeout(Pending&& p, uint64_t end_ns) { emit(std::move(p), nullptr, end_ns); }

    // `resp` null: no response came (timeout).
    void emit(Pending&& p, Message* resp, uint64_t end_ns)
    {
        Span sp;
        const conntrack::ConnInfo& conn = *env_.conn;
        sp.type = SpanType::DNS;
        sp.operation = opcode_name(p.opcode);
        sp.collection = std::move(p.name);
        sp.dns_qtype = p.qtype;
        if (resp) {
            sp.dns_answers = resp->header.ancount;
            sp.dns_addresses = std::move(resp->addresses);
            if (resp->rcode != 0) {
                sp.error = true;
                sp.error_code = rcode_name(resp->rcode);
                sp.error_message = sp.error_code;
            }
        } else {
            sp.error = true;
            sp.error_code = kTimeoutError;
        }
        // OBI's convention: peer = the client side (this process), host = the server side: the
        // resolver this query went to (a UDP socket may send to several).
        sp.peer = conn.local_addr;
        sp.peer_port = conn.local_port;
        sp.host = std::move(p.server);
        sp.host_port = p.server_port;
        conntrack::emit_span(env_, std::move(sp), p.ctx, p.start_ns, end_ns, p.tid);
    }

    conntrack::HandlerEnv env_;
    const bool udp_;
    StreamFramer egress_, ingress_;  // TCP only
    std::deque<Pending> pending_;
};

}  // namespace

std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env)
{
    return std::make_unique<DnsHandler>(env);
}

}  // namespace obi::dns
