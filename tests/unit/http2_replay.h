// Test support for the HTTP/2 unit tests: loads the captured sessions of
// tests/data/corpus/http2/*.trace (see the README there) and replays them through a real
// ConnTracker (HTTP/1 + HTTP/2 registered) as kernel records, from the server's or the
// client's side, with the kernel's capture budget, optional random splits of calls, a late
// start (joined mid-connection), cuts and lost events. Also compares span sets.
#pragma once

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "conntrack/tracker.h"
#include "protocols/http1/conn_handler.h"
#include "protocols/http2/conn_handler.h"

namespace obi::h2test {

struct Call {
    bool c2s = true;  // client to server
    std::string bytes;
};

inline std::string hex_decode(const std::string& h)
{
    std::string out;
    out.reserve(h.size() / 2);
    for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
    return out;
}

// One line per recv() of the recording proxy: "> hex" (client to server) or "< hex".
inline std::vector<Call> load_trace(const std::string& name)
{
    std::ifstream in(std::string(OBI_TEST_DATA_DIR) + "/corpus/http2/" + name + ".trace");
    std::vector<Call> calls;
    std::string line;
    while (std::getline(in, line)) {
        if (line.size() < 3 || line[0] == '#') continue;
        calls.push_back({line[0] == '>', hex_decode(line.substr(2))});
    }
    return calls;
}

inline std::string read_file(const std::string& rel)
{
    std::ifstream in(std::string(OBI_TEST_DATA_DIR) + "/" + rel, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct Collect : conntrack::SpanSink {
    std::vector<Span> spans;
    void emit(Span&& s) override { spans.push_back(std::move(s)); }
};

struct ReplayOptions {
    bool server = true;         // replay as the server (else as the client)
    // ebpf.capture_size. Above the kernel's limit (OBI_CAPTURE_MAX) it means "everything":
    // calls are cut into pieces of that limit, each captured whole.
    uint32_t capture = 2048;
    unsigned split_seed = 0;    // != 0: split every call at random points into several calls
    size_t start_call = 0;      // calls before this are not seen (the agent started late)
    uint64_t cut_bytes = UINT64_MAX;  // stop after this many bytes (a connection cut short)
    size_t lose_call = SIZE_MAX;      // this call's event is lost (a sequence gap)
    bool close = true;                // end with a close event
};

struct ReplayResult {
    std::vector<Span> spans;
    conntrack::ProtocolCounters http1, http2;
    conntrack::TrackerStats stats;
};

// Kernel records for one connection, built the way bpf/lib/io.h does (capture budget per
// call, or per burst when the connection started with HTTP/1 bytes).
class Replayer {
public:
    explicit Replayer(const ReplayOptions& o)
        : o_(o), tracker_(conntrack::TrackerOptions{}, sink_, {http1::protocol_def(), http2::protocol_def()})
    {
    }

    void call(bool c2s, std::string_view data, bool lost = false)
    {
        // Client to server is ingress on the server side, egress on the client side.
        auto dir = (c2s == o_.server) ? conntrack::Direction::Ingress : conntrack::Direction::Egress;
        bool start = !have_dir_ || dir != last_dir_;
        have_dir_ = true;
        last_dir_ = dir;
        if (start) burst_captured_ = 0;
        if (mode_ == 0) mode_ = (data.starts_with("GET ") || data.starts_with("POST") || data.starts_with("HTTP")) ? 1 : 2;
        uint32_t budget = std::min(o_.capture, OBI_CAPTURE_MAX);
        if (mode_ == 1) budget = o_.capture > burst_captured_ ? o_.capture - burst_captured_ : 0;
        size_t cap = std::min<size_t>(data.size(), budget);
        burst_captured_ += cap;
        // The kernel carries the call's last bytes after the captured ones when it did not capture it all.
        size_t tail = cap < data.size() ? std::min<size_t>(OBI_TAIL_LEN, data.size()) : 0;
        std::vector<uint8_t> rec(sizeof(obi_data_event) + cap + tail);
        auto* ev = reinterpret_cast<obi_data_event*>(rec.data());
        ev->kind = OBI_EV_DATA;
        ev->direction = static_cast<uint8_t>(dir);
        ev->role = o_.server ? OBI_ROLE_SERVER : OBI_ROLE_CLIENT;
        ev->flags = start ? OBI_DF_MSG_START : 0;
        ev->pid = 42;
        ev->tid = 43;
        ev->seq = seq_++;
        if (lost) return;  // the event never reached user space: its sequence number is skipped
        ev->captured_len = static_cast<uint32_t>(cap);
        ev->bytes = static_cast<int64_t>(data.size());
        ev->ts_ns = ts_ += 1000;
        ev->sock_id = 0x1234;
        ev->conn_id = 99;
        ev->tuple.local_addr[10] = ev->tuple.local_addr[11] = 0xff;
        ev->tuple.local_addr[12] = 127;
        ev->tuple.local_addr[15] = 1;
        std::memcpy(ev->tuple.remote_addr, ev->tuple.local_addr, 16);
        ev->tuple.local_port = o_.server ? 8443 : 50000;
        ev->tuple.remote_port = o_.server ? 50000 : 8443;
        if (start) {
            ev->tctx.valid = 1;
            for (int i = 0; i < 16; i++) ev->tctx.trace_id[i] = static_cast<uint8_t>(ts_ >> (i % 8)) | 1;
            for (int i = 0; i < 8; i++) ev->tctx.span_id[i] = static_cast<uint8_t>(seq_ + i) | 1;
            ev->tctx.flags = 1;
        }
        std::memcpy(ev->data, data.data(), cap);
        std::memcpy(ev->data + cap, data.data() + data.size() - tail, tail);
        ev->tail_len = static_cast<uint8_t>(tail);
        tracker_.on_record(rec.data(), rec.size());
    }

    void close()
    {
        obi_close_event ce{};
        ce.kind = OBI_EV_CLOSE;
        ce.pid = 42;
        ce.seq = seq_;
        ce.ts_ns = ts_ += 1000;
        ce.sock_id = 0x1234;
        ce.conn_id = 99;
        tracker_.on_record(&ce, sizeof(ce));
    }

    ReplayResult result()
    {
        ReplayResult r;
        r.spans = sink_.spans;
        r.http1 = tracker_.counters()[0];
        r.http2 = tracker_.counters()[1];
        r.stats = tracker_.stats();
        return r;
    }

private:
    ReplayOptions o_;
    Collect sink_;
    conntrack::ConnTracker tracker_;
    uint32_t seq_ = 0;
    uint64_t ts_ = 1000000;
    bool have_dir_ = false;
    conntrack::Direction last_dir_ = conntrack::Direction::Ingress;
    uint32_t burst_captured_ = 0;
    int mode_ = 0;  // 0 undecided, 1 per burst (HTTP/1 start), 2 per call
};

inline ReplayResult replay(const std::vector<Call>& calls, const ReplayOptions& o)
{
    Replayer r(o);
    std::mt19937 rng(o.split_seed);
    uint64_t sent = 0;
    for (size_t i = o.start_call; i < calls.size() && sent < o.cut_bytes; i++) {
        std::string_view b = calls[i].bytes;
        if (b.size() > o.cut_bytes - sent) b = b.substr(0, o.cut_bytes - sent);
        sent += b.size();
        if (i == o.lose_call) {
            r.call(calls[i].c2s, b, true);
            continue;
        }
        if (!o.split_seed) {
            for (size_t max = o.capture > OBI_CAPTURE_MAX ? OBI_CAPTURE_MAX : b.size(); !b.empty();) {
                size_t n = std::min(max, b.size());
                r.call(calls[i].c2s, b.substr(0, n));
                b.remove_prefix(n);
            }
            continue;
        }
        while (!b.empty()) {  // pieces of 1..(size) bytes, biased small
            size_t n = 1 + rng() % std::min<size_t>(b.size(), (rng() & 1) ? 7 : 600);
            r.call(calls[i].c2s, b.substr(0, n));
            b.remove_prefix(n);
        }
    }
    if (o.close) r.close();
    return r.result();
}

inline uint64_t total_bytes(const std::vector<Call>& calls)
{
    uint64_t n = 0;
    for (const auto& c : calls) n += c.bytes.size();
    return n;
}

// What identifies a span in these tests.
struct Sig {
    SpanType type;
    std::string method, path, query;
    int status, rpc_status;
    int64_t req_body, resp_body;
    std::string authority;
    bool operator==(const Sig&) const = default;
    bool operator<(const Sig& o) const
    {
        return std::tie(path, query, method, status, rpc_status, req_body, resp_body) <
               std::tie(o.path, o.query, o.method, o.status, o.rpc_status, o.req_body, o.resp_body);
    }
};

inline Sig sig(const Span& s)
{
    return {s.type, s.method, s.path, s.query, s.status, s.rpc_status, s.request_body_size, s.response_body_size,
            s.host_header};
}

inline std::vector<Sig> sigs(const std::vector<Span>& spans)
{
    std::vector<Sig> out;
    for (const auto& s : spans) out.push_back(sig(s));
    std::sort(out.begin(), out.end());
    return out;
}

// A span seen with less of the connection (late start, holes, cuts) is compatible with the
// span of the full replay when nothing it says is wrong: placeholders ("*", "_OTHER") for
// what could not be decoded, body sizes no larger, the same status.
inline bool compatible(const Sig& partial, const Sig& full)
{
    bool server = partial.type == SpanType::HTTP || partial.type == SpanType::GRPC;
    bool full_server = full.type == SpanType::HTTP || full.type == SpanType::GRPC;
    if (server != full_server) return false;
    if (partial.type != full.type) return false;
    if (partial.path != full.path && partial.path != "*") return false;
    if (partial.path != "*" && partial.query != full.query) return false;
    bool grpc = partial.type == SpanType::GRPC || partial.type == SpanType::GRPCClient;
    if (partial.method != full.method && partial.method != "_OTHER" && !(grpc && partial.method == "POST")) return false;
    if (partial.status != full.status || partial.rpc_status != full.rpc_status) return false;
    // Bodies: no more than the full replay's, but for the estimate of bytes lost in holes.
    auto fits = [](int64_t p, int64_t f) { return p <= f + 64 + f / 50; };
    if (!fits(partial.req_body, full.req_body) || !fits(partial.resp_body, full.resp_body)) return false;
    if (!partial.authority.empty() && partial.authority != full.authority) return false;
    return true;
}

// Every partial span matches a distinct full span (greedy on sorted lists is enough here:
// spans of one session differ in path or status, or are identical).
inline std::string unmatched(const std::vector<Span>& partial, const std::vector<Span>& full)
{
    std::vector<Sig> f = sigs(full);
    std::vector<bool> used(f.size());
    for (const Sig& p : sigs(partial)) {
        bool ok = false;
        for (size_t i = 0; i < f.size() && !ok; i++)
            if (!used[i] && compatible(p, f[i])) used[i] = ok = true;
        if (!ok)
            return p.method + " " + p.path + "?" + p.query + " status " + std::to_string(p.status) + " rpc " +
                   std::to_string(p.rpc_status) + " body " + std::to_string(p.req_body) + "/" +
                   std::to_string(p.resp_body);
    }
    return "";
}

}  // namespace obi::h2test
