// ConnTracker: record dispatch, sequence-gap detection, protocol detection, LRU/idle bounds.
#include "conntrack/tracker.h"

#include <cstring>

#include "conntrack/address.h"

namespace obi::conntrack {

ConnTracker::ConnTracker(TrackerOptions opts, SpanSink& sink, std::vector<ProtocolDef> protocols)
    : opts_(opts), sink_(sink), protocols_(std::move(protocols)), counters_(protocols_.size())
{
    conns_.reserve(opts_.max_connections);
}

ConnTracker::~ConnTracker() = default;

void ConnTracker::on_record(const void* data, size_t size)
{
    if (size < 1) return;
    uint8_t kind = *static_cast<const uint8_t*>(data);
    if (kind == OBI_EV_DATA && size >= sizeof(obi_data_event)) {
        on_data(*static_cast<const obi_data_event*>(data), size);
    } else if (kind == OBI_EV_CLOSE && size >= sizeof(obi_close_event)) {
        on_close(*static_cast<const obi_close_event*>(data));
    } else {
        stats_.malformed++;
    }
}

ConnTracker::Connection& ConnTracker::open(const Key& key, const obi_data_event& ev)
{
    if (conns_.size() >= opts_.max_connections && !lru_.empty()) {
        stats_.evicted++;
        erase(conns_.find(lru_.front()));
    }
    stats_.opened++;
    lru_.push_back(key);
    Connection& c = conns_[key];
    c.conn_id = ev.conn_id;
    c.info.pid = ev.pid;
    c.info.local_addr = format_address(ev.tuple.local_addr);
    c.info.remote_addr = format_address(ev.tuple.remote_addr);
    c.info.local_port = ev.tuple.local_port;
    c.info.remote_port = ev.tuple.remote_port;
    c.info.kernel_role = ev.role;
    c.info.tls = ev.flags & OBI_DF_TLS;
    c.info.udp = ev.flags & OBI_DF_DATAGRAM;
    c.next_seq = ev.seq;
    c.lru = std::prev(lru_.end());
    return c;
}

void ConnTracker::erase(std::unordered_map<Key, Connection, KeyHash>::iterator it)
{
    if (it == conns_.end()) return;
    lru_.erase(it->second.lru);
    conns_.erase(it);
}

namespace {
constexpr size_t kMaxProbeChunks = 16;
}  // namespace

void ConnTracker::give_up_burst(Connection& c)
{
    c.probe.clear();
    if (++c.attempts >= opts_.max_detect_attempts) {
        c.ignored = true;
        stats_.unclassified++;
    }
}

// A burst's first bytes, up to its first uncaptured hole (*hole, when given: there is one), at
// most kMaxDetectBytes.
std::string ConnTracker::burst_head(const std::vector<ProbeChunk>& burst, bool* hole)
{
    std::string head;
    if (hole) *hole = false;
    for (const auto& pc : burst) {
        head += pc.data;
        if (pc.data.size() < pc.chunk.bytes) {
            if (hole) *hole = true;
            break;
        }
    }
    if (head.size() > kMaxDetectBytes) head.resize(kMaxDetectBytes);
    return head;
}

void ConnTracker::detect(Connection& c, const DataChunk& chunk)
{
    if (chunk.msg_start && !c.probe.empty()) {  // the previous burst ended undecided
        std::vector<ProbeChunk> ended = std::move(c.probe);
        give_up_burst(c);
        if (c.ignored) return;
        if (ended.front().chunk.dir != chunk.dir) c.prev_probe = std::move(ended);
        else c.prev_probe.clear();
    }
    if (!chunk.msg_start && c.probe.empty()) return;  // inside a burst whose start we did not see
    ProbeChunk& p = c.probe.emplace_back();
    p.chunk = chunk;
    p.data.assign(chunk.captured);
    p.tail.assign(chunk.tail);
    if (chunk.tctx) p.tctx = *chunk.tctx;

    bool hole = false;
    std::string head = burst_head(c.probe, &hole);
    bool need_more = false;
    for (size_t i = 0; i < protocols_.size(); i++) {
        if (head.empty()) break;
        Detection d = protocols_[i].detect(head, c.probe.front().chunk.dir, c.info);
        if (d == Detection::NeedMore) need_more = true;
        if (d != Detection::Yes) continue;
        // The request before this reply, if this protocol found it plausible but not conclusive.
        std::vector<ProbeChunk> replay;
        if (!c.prev_probe.empty()) {
            std::string prev = burst_head(c.prev_probe);
            if (protocols_[i].detect(prev, c.prev_probe.front().chunk.dir, c.info) == Detection::NeedMore) {
                replay = std::move(c.prev_probe);
                head = std::move(prev);
            }
            c.prev_probe.clear();
        }
        HandlerEnv env{&c.info, &sink_, &resolver_, &counters_[i], opts_.request_timeout_ns, head,
                       replay.empty() ? c.probe.front().chunk.dir : replay.front().chunk.dir};
        env.dns_request_timeout_ns = opts_.dns_request_timeout_ns;
        c.handler = protocols_[i].create(env);
        c.protocol = static_cast<int>(i);
        for (auto& pc : c.probe) replay.push_back(std::move(pc));
        c.probe.clear();
        for (auto& pc : replay) {
            pc.chunk.captured = pc.data;
            pc.chunk.tail = pc.tail;
            pc.chunk.tctx = pc.chunk.tctx ? &pc.tctx : nullptr;
            c.handler->on_data(pc.chunk);
        }
        return;
    }
    if (!need_more || hole || head.size() >= kMaxDetectBytes || c.probe.size() >= kMaxProbeChunks) give_up_burst(c);
}

void ConnTracker::on_data(const obi_data_event& ev, size_t size)
{
    stats_.data_events++;
    size_t captured = ev.captured_len, tail_len = ev.tail_len;
    if (sizeof(obi_data_event) + captured + tail_len > size || captured > OBI_CAPTURE_MAX || tail_len > OBI_TAIL_LEN ||
        ev.bytes <= 0) {
        stats_.malformed++;
        return;
    }
    Key key{ev.pid, ev.sock_id};
    auto it = conns_.find(key);
    if (it != conns_.end() && it->second.conn_id != ev.conn_id) {  // the socket was reused
        if (it->second.handler) it->second.handler->on_close(ev.ts_ns);
        erase(it);
        it = conns_.end();
    }
    Connection* c;
    if (it == conns_.end()) {
        c = &open(key, ev);
    } else {
        c = &it->second;
        lru_.splice(lru_.end(), lru_, c->lru);
    }
    c->last_ts = ev.ts_ns;
    bool gap = ev.seq != c->next_seq;
    c->next_seq = ev.seq + 1;
    if (c->ignored) return;
    if (gap) {
        stats_.gaps++;
        if (c->handler) c->handler->on_gap();
    }

    DataChunk chunk;
    chunk.dir = static_cast<Direction>(ev.direction);
    chunk.msg_start = ev.flags & OBI_DF_MSG_START;
    chunk.ts_ns = ev.ts_ns;
    chunk.tid = ev.tid;
    chunk.bytes = static_cast<uint64_t>(ev.bytes);
    chunk.captured = std::string_view(reinterpret_cast<const char*>(ev.data), captured);
    if (captured == static_cast<uint64_t>(ev.bytes)) {  // the kernel sends no tail for complete calls
        size_t n = std::min<size_t>(captured, OBI_TAIL_LEN);
        chunk.tail = chunk.captured.substr(captured - n);
    } else {
        chunk.tail = std::string_view(reinterpret_cast<const char*>(ev.data) + captured, tail_len);  // after the head
        const uint64_t total = static_cast<uint64_t>(ev.bytes);
        if (captured + tail_len >= total) {  // head and tail meet: the whole call is known
            joined_.assign(chunk.captured);
            joined_.append(chunk.tail.substr(captured - (total - tail_len)));
            chunk.captured = joined_;
        }
    }
    chunk.tctx = ev.tctx.valid ? &ev.tctx : nullptr;
    if (ev.flags & OBI_DF_DATAGRAM) {
        chunk.datagram = true;
        std::memcpy(chunk.peer_addr, ev.tuple.remote_addr, sizeof(chunk.peer_addr));
        chunk.peer_port = ev.tuple.remote_port;
    }

    if (c->handler)
        c->handler->on_data(chunk);
    else
        detect(*c, chunk);
}

void ConnTracker::on_close(const obi_close_event& ev)
{
    stats_.close_events++;
    auto it = conns_.find(Key{ev.pid, ev.sock_id});
    if (it == conns_.end() || it->second.conn_id != ev.conn_id) return;
    if (it->second.handler) {
        if (ev.seq != it->second.next_seq) it->second.handler->on_gap();
        it->second.handler->on_close(ev.ts_ns);
    }
    erase(it);
}

void ConnTracker::on_timer(uint64_t now_ns)
{
    while (!lru_.empty()) {
        auto it = conns_.find(lru_.front());
        if (it == conns_.end() || now_ns < it->second.last_ts + opts_.idle_timeout_ns) break;
        if (it->second.handler) it->second.handler->on_close(now_ns);
        stats_.expired++;
        erase(it);
    }
    if (opts_.request_timeout_ns == 0 && opts_.dns_request_timeout_ns == 0) return;
    for (auto& [key, c] : conns_)
        if (c.handler) c.handler->on_timer(now_ns);
}

void ConnTracker::forget_pid(uint32_t pid)
{
    for (auto it = conns_.begin(); it != conns_.end();) {
        auto next = std::next(it);
        if (it->first.pid == pid) erase(it);
        it = next;
    }
}

}  // namespace obi::conntrack
