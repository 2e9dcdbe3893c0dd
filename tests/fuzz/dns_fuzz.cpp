// libFuzzer target: the DNS handler on arbitrary input. Mode byte bit 2 clear: a TCP
// connection (the shared driver: length-prefixed stream cut into calls, holes, gaps,
// timers). Bit 2 set: a UDP socket, the rest cut into datagrams of random sizes and
// directions, some captured in part, some with a known peer, with gaps and timers.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "conntrack/trace_resolver.h"
#include "fuzz_driver.h"
#include "protocols/dns/conn_handler.h"

namespace {

struct Sink final : obi::conntrack::SpanSink {
    void emit(obi::Span&& s) override
    {
        if (s.end_ns < s.request_start_ns || s.collection.size() > 4 * 255 || s.dns_addresses.size() > 16) abort();
        (void)s.name();
    }
};

void drive_udp(const uint8_t* data, size_t size)
{
    using obi::conntrack::Direction;
    obi::conntrack::ConnInfo conn;
    conn.pid = 1;
    conn.local_addr = "0.0.0.0";
    conn.local_port = 40000;
    conn.remote_addr = "0.0.0.0";
    conn.kernel_role = OBI_ROLE_CLIENT;
    conn.udp = true;
    std::string_view all(reinterpret_cast<const char*>(data), size);
    (void)obi::dns::detect(all.substr(0, std::min<size_t>(all.size(), obi::conntrack::kMaxDetectBytes)),
                           Direction::Egress, conn);
    Sink sink;
    obi::conntrack::TraceResolver resolver(64);
    obi::conntrack::ProtocolCounters counters;
    obi::conntrack::HandlerEnv env{&conn, &sink, &resolver, &counters, 0, {}, Direction::Egress};
    env.dns_request_timeout_ns = 1000000000ull;
    auto handler = obi::dns::create_handler(env);
    uint64_t ts = 1000;
    size_t pos = 0;
    unsigned seed = size;
    while (pos < size) {
        seed = seed * 1103515245u + 12345u;
        size_t len = 1 + (seed >> 16) % 300;
        if (len > size - pos) len = size - pos;
        obi::conntrack::DataChunk c;
        c.dir = (seed >> 3) & 1 ? Direction::Egress : Direction::Ingress;
        c.msg_start = true;
        c.datagram = true;
        c.ts_ns = ts += 1000;
        c.tid = 7;
        c.bytes = len;
        bool hole = ((seed >> 11) & 7) == 0;
        c.captured = all.substr(pos, hole ? len / 2 : len);
        if ((seed >> 5) & 1) {
            c.peer_addr[10] = c.peer_addr[11] = 0xff;
            c.peer_addr[12] = 127;
            c.peer_addr[15] = 1;
            c.peer_port = 53;
        }
        handler->on_data(c);
        if (((seed >> 7) & 63) == 0) handler->on_gap();
        if (((seed >> 9) & 15) == 0) handler->on_timer(ts + 2000000000ull);
        pos += len;
    }
    handler->on_close(ts + 1000);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const obi::conntrack::ProtocolDef def = obi::dns::protocol_def();
    if (size >= 1 && (data[0] & 4)) drive_udp(data + 1, size - 1);
    else obi::fuzz::drive(def, data, size);
    return 0;
}
