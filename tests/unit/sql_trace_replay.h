// Test support for the SQL protocol handlers: loads a recorded session (tests/data/corpus/
// {postgres,mysql}/*.trace, written by tests/apps/tcp_recorder.py from real clients and
// servers) and replays it through a handler as the kernel would deliver it: client or server
// side, each burst cut into calls, each call captured only up to a budget (the rest a hole).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "kernel_view.h"
#include "conntrack/protocol.h"
#include "conntrack/trace_resolver.h"

namespace obi::sqltest {

struct Record {
    bool c2s = true;
    std::string bytes;
};

inline std::vector<Record> load_trace(const std::string& relative)
{
    std::vector<Record> out;
    std::ifstream in(std::string(OBI_TEST_DATA_DIR) + "/corpus/" + relative);
    EXPECT_TRUE(in.good()) << "missing " << relative;
    std::string mark, hex;
    while (in >> mark >> hex) {
        Record r;
        r.c2s = mark == ">";
        for (size_t i = 0; i + 1 < hex.size(); i += 2) r.bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
        out.push_back(std::move(r));
    }
    return out;
}

struct CollectingSink final : conntrack::SpanSink {
    void emit(Span&& s) override { spans.push_back(std::move(s)); }
    std::vector<Span> spans;
};

struct ReplayOptions {
    bool server_side = false;
    size_t capture = 2048;       // bytes captured per call (ebpf.capture_size)
    unsigned split_seed = 0;     // 0: one call per record; else records are cut at random points
    size_t stop_after = SIZE_MAX;  // feed only this many bytes of the session, then close
    size_t skip_records = 0;     // start mid-stream: the first records happened before we watched
};

// Replays `records` through a fresh handler of `def` and returns what it emitted.
// One call as the kernel delivers it (1 us after the previous one, on *ts): its head, tail, and a
// fresh kernel trace context at a burst start.
inline void feed_call(conntrack::ProtocolHandler& handler, uint64_t& ts, conntrack::Direction dir, bool msg_start,
                      std::string_view call, size_t capture)
{
    conntrack::DataChunk c;
    c.dir = dir;
    c.msg_start = msg_start;
    c.ts_ns = ts += 1000;
    c.tid = 7;
    obi::testing::set_kernel_view(c, call, capture);
    obi_trace_ctx k{};
    k.valid = 1;
    for (int i = 0; i < 8; i++) k.span_id[i] = static_cast<uint8_t>(ts >> (i * 3)) | 1;
    k.trace_id[0] = 1;
    c.tctx = msg_start ? &k : nullptr;
    handler.on_data(c);
}

class Replay {
public:
    Replay(const conntrack::ProtocolDef& def, const std::vector<Record>& records, ReplayOptions opt = {})
        : resolver_(64)
    {
        conn_.pid = 42;
        conn_.local_addr = "127.0.0.1";
        conn_.remote_addr = "127.0.0.2";
        conn_.local_port = opt.server_side ? 5432 : 40000;
        conn_.remote_port = opt.server_side ? 40000 : 5432;
        conn_.kernel_role = opt.server_side ? OBI_ROLE_SERVER : OBI_ROLE_CLIENT;
        std::mt19937 rng(opt.split_seed);
        size_t fed = 0;
        bool prev_c2s = false;
        bool first = true;
        std::string first_burst;
        for (size_t i = opt.skip_records; i < records.size() && fed < opt.stop_after; i++) {
            const Record& r = records[i];
            std::string_view bytes(r.bytes);
            if (bytes.size() > opt.stop_after - fed) bytes = bytes.substr(0, opt.stop_after - fed);
            fed += bytes.size();
            bool burst_start = first || r.c2s != prev_c2s;
            prev_c2s = r.c2s;
            // The direction as the traced process sees it.
            conntrack::Direction dir = (r.c2s == opt.server_side) ? conntrack::Direction::Ingress : conntrack::Direction::Egress;
            if (first) {
                first = false;
                std::string_view head = bytes.substr(0, std::min(bytes.size(), std::min(opt.capture, conntrack::kMaxDetectBytes)));
                detection = def.detect(head, dir, conn_);
                conntrack::HandlerEnv env{&conn_, &sink, &resolver_, &counters, 0, head, dir};
                handler = def.create(env);
            }
            while (!bytes.empty()) {
                size_t n = bytes.size();
                if (opt.split_seed) n = 1 + rng() % std::min<size_t>(bytes.size(), 300);
                feed(dir, burst_start, bytes.substr(0, n), opt.capture);
                burst_start = false;
                bytes.remove_prefix(n);
            }
        }
        if (handler) handler->on_close(ts_ += 1000);
    }

    void feed(conntrack::Direction dir, bool msg_start, std::string_view call, size_t capture)
    {
        feed_call(*handler, ts_, dir, msg_start, call, capture);
    }

    conntrack::Detection detection = conntrack::Detection::No;
    CollectingSink sink;
    conntrack::ProtocolCounters counters;
    std::unique_ptr<conntrack::ProtocolHandler> handler;

private:
    conntrack::ConnInfo conn_;
    conntrack::TraceResolver resolver_;
    uint64_t ts_ = 1000000;
};

inline std::vector<std::string> names(const std::vector<Span>& spans)
{
    std::vector<std::string> out;
    for (const auto& s : spans) out.push_back(s.name());
    return out;
}

inline size_t total_bytes(const std::vector<Record>& records)
{
    size_t n = 0;
    for (const auto& r : records) n += r.bytes.size();
    return n;
}

}  // namespace obi::sqltest
