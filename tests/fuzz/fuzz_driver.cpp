// fuzz::drive: one fuzzed connection through a protocol handler.
#include "fuzz_driver.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "conntrack/trace_resolver.h"

namespace obi::fuzz {
namespace {

struct CheckingSink final : conntrack::SpanSink {
    void emit(Span&& s) override
    {
        // What the pipeline relies on: times ordered, bounded strings.
        if (s.end_ns < s.request_start_ns) abort();
        constexpr size_t kMax = 1 << 20;
        if (s.method.size() > kMax || s.path.size() > kMax || s.statement.size() > kMax ||
            s.collection.size() > kMax || s.operation.size() > kMax)
            abort();
        (void)s.name();
        spans++;
    }
    size_t spans = 0;
};

}  // namespace

void drive(const conntrack::ProtocolDef& def, const uint8_t* data, size_t size)
{
    if (size < 2) return;
    const uint8_t mode = data[0];
    const uint8_t* p = data + 1;
    size_t n = size - 1;
    conntrack::ConnInfo conn;
    conn.pid = 1;
    conn.local_addr = "127.0.0.1";
    conn.remote_addr = "127.0.0.2";
    conn.local_port = (mode & 1) ? 5432 : 40000;
    conn.remote_port = (mode & 1) ? 40000 : 5432;
    conn.kernel_role = (mode & 1) ? OBI_ROLE_SERVER : OBI_ROLE_CLIENT;
    conntrack::Direction first = (mode & 2) ? conntrack::Direction::Egress : conntrack::Direction::Ingress;
    std::string_view all(reinterpret_cast<const char*>(p), n);
    (void)def.detect(all.substr(0, std::min<size_t>(all.size(), conntrack::kMaxDetectBytes)), first, conn);

    CheckingSink sink;
    conntrack::TraceResolver resolver(64);
    conntrack::ProtocolCounters counters;
    conntrack::HandlerEnv env{&conn, &sink, &resolver, &counters, 1000000000ull, all.substr(0, 64), first};
    auto handler = def.create(env);
    if (!handler) return;
    uint64_t ts = 1000;
    size_t pos = 0;
    conntrack::Direction dir = first;
    unsigned seed = mode;
    while (pos < n) {
        seed = seed * 1103515245u + 12345u;
        size_t len = 1 + (seed >> 16) % 97;
        if (len > n - pos) len = n - pos;
        bool flip = pos > 0 && ((seed >> 8) & 7) == 0;  // the other side starts a burst
        bool hole = ((seed >> 11) & 15) == 0 && len > 4;
        if (flip)
            dir = dir == conntrack::Direction::Ingress ? conntrack::Direction::Egress : conntrack::Direction::Ingress;
        conntrack::DataChunk c;
        c.dir = dir;
        c.msg_start = pos == 0 || flip;
        c.ts_ns = ts += 1000;
        c.tid = 7;
        c.bytes = len;
        c.captured = std::string_view(reinterpret_cast<const char*>(p + pos), hole ? len / 2 : len);
        size_t tail = std::min<size_t>(len, OBI_TAIL_LEN);
        c.tail = std::string_view(reinterpret_cast<const char*>(p + pos + len - tail), tail);
        handler->on_data(c);
        if (((seed >> 4) & 63) == 0) handler->on_gap();
        if (((seed >> 5) & 31) == 0) handler->on_timer(ts + 5000000000ull);
        pos += len;
    }
    handler->on_close(ts + 1000);
}

}  // namespace obi::fuzz
