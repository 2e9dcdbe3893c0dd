// KafkaHandler: two Framers (requests, responses), the requests awaiting a response in
// correlation-id order, and span assembly with the kernel's trace context.
#include "protocols/kafka/conn_handler.h"

#include <deque>
#include <string>

#include "conntrack/span_context.h"
#include "conntrack/span_emit.h"
#include "protocols/kafka/framing.h"
#include "protocols/kafka/messages.h"

namespace obi::kafka {
namespace {

using conntrack::DataChunk;
using conntrack::Detection;
using conntrack::Direction;

constexpr size_t kMaxPending = 128;    // requests in flight per connection (librdkafka pipelines several)
constexpr uint32_t kMinResponse = 4;   // the correlation id

uint32_t be32(std::string_view b)
{
    return (uint32_t(uint8_t(b[0])) << 24) | (uint32_t(uint8_t(b[1])) << 16) | (uint32_t(uint8_t(b[2])) << 8) |
           uint32_t(uint8_t(b[3]));
}

struct Pending {
    int32_t corr = 0;
    int16_t key = 0;
    int16_t version = 0;
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    conntrack::SpanContext ctx;
    std::string topic;  // Produce
    int32_t partition = -1;
    FetchRequestInfo fetch;  // Fetch
};

class KafkaHandler final : public conntrack::ProtocolHandler {
public:
    explicit KafkaHandler(const conntrack::HandlerEnv& env)
        : env_(env),
          req_dir_(env.first_dir),
          requests_(kMinRequest, env.counters),
          responses_(kMinResponse, env.counters),
          req_sink_(*this),
          resp_sink_(*this)
    {
        env_.first_bytes = {};
    }

    void on_data(const DataChunk& c) override
    {
        if (c.dir == req_dir_)
            requests_.feed(c, req_sink_);
        else
            responses_.feed(c, resp_sink_);
    }

    void on_gap() override
    {
        env_.counters->lost_sync++;
        requests_.lose();
        responses_.lose();
    }

    void on_close(uint64_t) override
    {
        env_.counters->unanswered += pending_.size();
        pending_.clear();
    }

private:
    struct RequestSink final : FrameSink {
        explicit RequestSink(KafkaHandler& h) : h(h) {}
        void on_frame(const Frame& f) override { h.on_request(f); }
        bool resync_at(std::string_view b) override { return h.request_starts_at(b); }
        KafkaHandler& h;
    };
    struct ResponseSink final : FrameSink {
        explicit ResponseSink(KafkaHandler& h) : h(h) {}
        void on_frame(const Frame& f) override { h.on_response(f); }
        bool resync_at(std::string_view b) override { return h.response_starts_at(b); }
        KafkaHandler& h;
    };

    bool server_side() const { return req_dir_ == Direction::Ingress; }

    // A request of this connection's client starts here: a valid header with the client id
    // seen before and a later correlation id.
    bool request_starts_at(std::string_view b) const
    {
        uint32_t len = be32(b);
        if (len < kMinRequest || len > kMaxMessage) return false;
        SparseBytes m(0);
        m.set_external(b.substr(4), len);
        RequestHeader h;
        if (parse_request_header(m, h) != ReadStatus::Ok) return false;
        if (have_client_id_ && (h.client_id_null || h.client_id != client_id_)) return false;
        return last_corr_ < 0 || h.correlation_id > last_corr_;
    }

    // A response to a request in flight starts here.
    bool response_starts_at(std::string_view b) const
    {
        uint32_t len = be32(b);
        if (len < kMinResponse || len > kMaxMessage) return false;
        int32_t corr = static_cast<int32_t>(be32(b.substr(4)));
        for (const auto& p : pending_)
            if (p.corr == corr) return true;
        return false;
    }

    void on_request(const Frame& f)
    {
        RequestHeader h;
        ReadStatus st = parse_request_header(*f.bytes, h);
        if (st != ReadStatus::Ok) {  // framing holds, the message is not one we can read
            if (st == ReadStatus::Invalid) env_.counters->parse_errors++;
            else env_.counters->lost_sync++;
            return;
        }
        if (!h.client_id_null && (!have_client_id_ || h.client_id != client_id_)) {
            client_id_.assign(h.client_id);
            have_client_id_ = true;
        }
        last_corr_ = h.correlation_id;
        Pending p;
        p.corr = h.correlation_id;
        p.key = h.api_key;
        p.version = h.api_version;
        p.start_ns = f.start_ns;
        p.tid = f.tid;
        if (h.api_key == kProduce) {
            ProduceRequestInfo info;
            if (parse_produce_request(*f.bytes, h, info) == ReadStatus::Invalid) {
                env_.counters->parse_errors++;
                return enqueue(std::move(p));  // its response is still expected
            }
            if (info.partition >= 0 || info.topics > 0) {
                topic_name(info.topic, p.topic);
                p.partition = info.partition;
                p.ctx = conntrack::assign_span_context(f.tctx, {}, server_side(), *env_.resolver);
                if (info.acks == 0) {  // no response will come: the span ends with the request
                    emit(p, "publish", p.topic, p.partition, -1, f.end_ns);
                    return;
                }
            } else {
                p.key = -1;  // nothing to report
            }
        } else if (h.api_key == kFetch) {
            if (parse_fetch_request(*f.bytes, h, p.fetch) == ReadStatus::Invalid) env_.counters->parse_errors++;
            p.ctx = conntrack::assign_span_context(f.tctx, {}, server_side(), *env_.resolver);
        }
        enqueue(std::move(p));
    }

    void enqueue(Pending&& p)
    {
        if (pending_.size() >= kMaxPending) {
            env_.counters->unanswered++;
            pending_.pop_front();
        }
        pending_.push_back(std::move(p));
    }

    void on_response(const Frame& f)
    {
        std::string_view cb;
        if (!f.bytes->view(0, 4, cb)) {  // its correlation id fell into a hole
            env_.counters->lost_sync++;
            return;
        }
        const int32_t corr = static_cast<int32_t>(be32(cb));
        size_t i = 0;
        while (i < pending_.size() && pending_[i].corr != corr) i++;
        if (i == pending_.size()) {
            env_.counters->orphan_responses++;
            return;
        }
        // Brokers answer in request order: the requests before this one were not answered.
        env_.counters->unanswered += i;
        pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(i));
        Pending p = std::move(pending_.front());
        pending_.pop_front();
        switch (p.key) {
        case kProduce: emit(p, "publish", p.topic, p.partition, -1, f.end_ns); break;
        case kFetch: on_fetch_response(p, f); break;
        case kMetadata: on_metadata_response(p, f); break;
        default: break;
        }
    }

    void on_fetch_response(const Pending& p, const Frame& f)
    {
        uint64_t body = 0;
        FetchResponseInfo info;
        ReadStatus st = response_body_offset(*f.bytes, kFetch, p.version, body);
        if (st == ReadStatus::Ok) st = parse_fetch_response(*f.bytes, body, p.version, info);
        if (st == ReadStatus::Invalid) {
            env_.counters->parse_errors++;
            return;
        }
        if (!info.found) {  // a long poll that ended without records
            stats().empty_fetches++;
            return;
        }
        int64_t offset = info.records.first_offset;
        int64_t asked = p.fetch.offset_of(info.topic.hash(), info.partition);
        // The broker returns whole batches: the first record the client gets is the one it asked for.
        if (asked >= 0 && (offset < 0 || (asked > offset && asked <= info.records.last_offset))) offset = asked;
        std::string topic;
        topic_name(info.topic, topic);
        emit(p, "process", topic, info.partition, offset, f.end_ns);
    }

    void on_metadata_response(const Pending& p, const Frame& f)
    {
        if (p.version < 10) return;  // no topic ids before v10
        uint64_t body = 0;
        uint32_t learnt = 0;
        ReadStatus st = response_body_offset(*f.bytes, kMetadata, p.version, body);
        if (st == ReadStatus::Ok) st = parse_metadata_response(*f.bytes, body, p.version, TopicIdCache::shared(), learnt);
        if (st == ReadStatus::Invalid) env_.counters->parse_errors++;
        stats().topic_ids_learnt += learnt;
    }

    void topic_name(const TopicRef& t, std::string& out)
    {
        out.clear();
        if (!t.by_id) {
            out.assign(t.name);
        } else if (!TopicIdCache::shared().get(t.id, out)) {
            stats().unknown_topic_ids++;
        }
    }

    void emit(const Pending& p, const char* op, const std::string& topic, int32_t partition, int64_t offset,
              uint64_t end_ns)
    {
        Span sp;
        const auto& conn = *env_.conn;
        const bool server = server_side();
        sp.type = server ? SpanType::KafkaServer : SpanType::KafkaClient;
        sp.db_system = "kafka";
        sp.operation = op;
        sp.collection = topic;
        sp.client_id = client_id_;
        sp.partition = partition;
        sp.offset = offset;
        conntrack::set_endpoints(sp, conn, server);
        conntrack::emit_span(env_, std::move(sp), p.ctx, p.start_ns, end_ns, p.tid);
    }

    conntrack::HandlerEnv env_;
    Direction req_dir_;  // the direction requests travel: Ingress on the broker side
    Framer requests_, responses_;
    RequestSink req_sink_;
    ResponseSink resp_sink_;
    std::deque<Pending> pending_;
    std::string client_id_;
    bool have_client_id_ = false;
    int32_t last_corr_ = -1;
};

}  // namespace

KafkaStats& stats()
{
    static KafkaStats s;
    return s;
}

Detection detect(std::string_view b, Direction dir, const conntrack::ConnInfo& conn)
{
    // Only a request classifies: a response alone is too weakly structured to be sure.
    if (conn.kernel_role == OBI_ROLE_CLIENT && dir == Direction::Ingress) return Detection::No;
    if (conn.kernel_role == OBI_ROLE_SERVER && dir == Direction::Egress) return Detection::No;
    if (b.size() < 4) {  // a length below kMaxMessage starts with 0x00-0x06
        return b.empty() || static_cast<uint8_t>(b[0]) <= (kMaxMessage >> 24) ? Detection::NeedMore : Detection::No;
    }
    const uint32_t len = be32(b);
    if (len < kMinRequest || len > kMaxMessage) return Detection::No;
    SparseBytes m(0);
    m.set_external(b.substr(4), len);
    RequestHeader h;
    switch (parse_request_header(m, h)) {
    case ReadStatus::Invalid: return Detection::No;
    case ReadStatus::Short: return b.size() - 4 < len ? Detection::NeedMore : Detection::No;
    case ReadStatus::Ok: break;
    }
    // The body must fit the layout of its key and version. A prefix that fits is trusted only
    // once the detector sees all it will ever get: a header alone is too easily made of zeros.
    switch (check_request_body(m, h)) {
    case ReadStatus::Invalid: return Detection::No;
    case ReadStatus::Short: return b.size() >= conntrack::kMaxDetectBytes ? Detection::Yes : Detection::NeedMore;
    case ReadStatus::Ok: break;
    }
    return b.size() - 4 < len ? (b.size() >= conntrack::kMaxDetectBytes ? Detection::Yes : Detection::NeedMore) : Detection::Yes;
}

std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env)
{
    return std::make_unique<KafkaHandler>(env);
}

}  // namespace obi::kafka
