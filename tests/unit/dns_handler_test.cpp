// The DNS handler driven like the tracker drives it, with messages captured from dig,
// dnspython, glibc and dnsmasq (tests/data/corpus/dns): UDP datagrams with and without a
// known peer, TCP streams split at every byte, captured holes, pipelining, retransmissions,
// mismatched answers, timeouts, gaps, the pending bound and a traced DNS server's traffic.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kernel_view.h"
#include "conntrack/trace_resolver.h"
#include "protocols/dns/conn_handler.h"

namespace obi::dns {
namespace {

using conntrack::DataChunk;
using conntrack::Direction;

std::string corpus_file(const std::string& name)
{
    std::ifstream in(std::string(OBI_TEST_DATA_DIR) + "/corpus/dns/" + name, std::ios::binary);
    EXPECT_TRUE(in.good()) << name;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Sets the transaction id of a message (bytes 0-1), so one capture can stand for many queries.
std::string with_id(std::string m, uint16_t id)
{
    m[0] = static_cast<char>(id >> 8);
    m[1] = static_cast<char>(id & 0xff);
    return m;
}

struct Sink final : conntrack::SpanSink {
    void emit(Span&& s) override { spans.push_back(std::move(s)); }
    std::vector<Span> spans;
};

constexpr uint64_t kSecond = 1000000000ull;

struct Harness {
    explicit Harness(bool udp, uint64_t timeout_ns = 5 * kSecond)
    {
        conn.pid = 4242;
        conn.local_addr = udp ? "0.0.0.0" : "127.0.0.1";
        conn.local_port = 40001;
        conn.remote_addr = udp ? "0.0.0.0" : "127.0.0.1";
        conn.remote_port = udp ? 0 : 5353;
        conn.kernel_role = OBI_ROLE_CLIENT;
        conn.udp = udp;
        conntrack::HandlerEnv env{&conn, &sink, &resolver, &counters, 0, {}, Direction::Egress};
        env.dns_request_timeout_ns = timeout_ns;
        handler = create_handler(env);
    }

    // One call; `peer` "a.b.c.d" (IPv4-mapped like the kernel's) or "" for an unknown peer.
    bool tail = true;  // false: calls larger than the capture come without their end
    void call(Direction dir, std::string_view bytes, uint64_t ts, const std::string& peer = "", uint16_t port = 0,
              size_t captured = std::string::npos, bool msg_start = true, const obi_trace_ctx* tctx = nullptr)
    {
        DataChunk c;
        c.dir = dir;
        c.msg_start = msg_start;
        c.ts_ns = ts;
        c.tid = 77;
        obi::testing::set_kernel_view(c, bytes, captured, tail ? OBI_TAIL_LEN : 0);
        c.tctx = tctx;
        c.datagram = conn.udp;
        if (!peer.empty()) {
            c.peer_addr[10] = c.peer_addr[11] = 0xff;
            inet_pton(AF_INET, peer.c_str(), c.peer_addr + 12);
            c.peer_port = port;
        }
        handler->on_data(c);
    }

    conntrack::ConnInfo conn;
    Sink sink;
    conntrack::TraceResolver resolver{64};
    conntrack::ProtocolCounters counters;
    std::unique_ptr<conntrack::ProtocolHandler> handler;
};

TEST(DnsHandlerUdp, DigQueryAndDnsmasqAnswer)
{
    Harness h(true);
    obi_trace_ctx k{};
    for (int i = 0; i < 16; i++) k.trace_id[i] = static_cast<uint8_t>(0x10 + i);
    for (int i = 0; i < 8; i++) k.span_id[i] = static_cast<uint8_t>(0xa0 + i);
    k.flags = 1;
    k.valid = 1;
    h.call(Direction::Egress, corpus_file("udp/dig_a_svc.c2s.bin"), 1000, "127.0.0.1", 53, std::string::npos, true, &k);
    EXPECT_TRUE(h.sink.spans.empty());
    h.call(Direction::Ingress, corpus_file("udp/dnsmasq_a_svc.s2c.bin"), 251000);  // unconnected: source unknown
    ASSERT_EQ(h.sink.spans.size(), 1u);
    const Span& s = h.sink.spans[0];
    EXPECT_EQ(s.type, SpanType::DNS);
    EXPECT_EQ(s.name(), "QUERY svc.test");
    EXPECT_EQ(s.kind(), SpanKind::Client);
    EXPECT_EQ(s.status_code(), StatusCode::Unset);
    EXPECT_EQ(s.operation, "QUERY");
    EXPECT_EQ(s.collection, "svc.test");
    EXPECT_EQ(s.dns_qtype, 1);
    EXPECT_EQ(s.dns_answers, 1);
    EXPECT_EQ(s.dns_addresses, std::vector<std::string>{"127.0.0.7"});
    EXPECT_FALSE(s.error);
    EXPECT_EQ(s.request_start_ns, 1000u);
    EXPECT_EQ(s.start_ns, 1000u);
    EXPECT_EQ(s.end_ns, 251000u);
    EXPECT_EQ(s.host, "127.0.0.1");  // the resolver the query went to
    EXPECT_EQ(s.host_port, 53);
    EXPECT_EQ(s.peer, "0.0.0.0");
    EXPECT_EQ(s.peer_port, 40001);
    EXPECT_EQ(s.pid, 4242u);
    EXPECT_EQ(s.tid, 77u);
    EXPECT_EQ(s.trace_id.hex(), "101112131415161718191a1b1c1d1e1f");
    EXPECT_EQ(s.span_id.hex(), "a0a1a2a3a4a5a6a7");
    EXPECT_EQ(h.counters.spans, 1u);
    EXPECT_EQ(h.counters.parse_errors + h.counters.orphan_responses + h.counters.unanswered, 0u);
}

struct ErrorCase {
    const char* query;
    const char* response;
    const char* name;
    const char* rcode;
};

TEST(DnsHandlerUdp, ErrorResponses)
{
    const ErrorCase cases[] = {
        {"udp/dig_nxdomain.c2s.bin", "udp/dnsmasq_nxdomain.s2c.bin", "nope.test", "NXDOMAIN"},
        {"udp/dnspython_nxdomain.c2s.bin", "udp/dnsmasq_nxdomain_noedns.s2c.bin", "nope.test", "NXDOMAIN"},
        {"udp/dig_servfail.c2s.bin", "udp/dnsmasq_servfail.s2c.bin", "x.fail.test", "SERVFAIL"},
        {"udp/dig_refused.c2s.bin", "udp/dnsmasq_refused.s2c.bin", "example.com", "REFUSED"},
        {"udp/glibc_aaaa_svc.c2s.bin", "udp/dnsmasq_aaaa_svc_nxdomain.s2c.bin", "svc.test", "NXDOMAIN"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.query);
        Harness h(true);
        h.call(Direction::Egress, corpus_file(c.query), 10, "10.1.2.3", 53);
        h.call(Direction::Ingress, corpus_file(c.response), 20, "10.1.2.3", 53);
        ASSERT_EQ(h.sink.spans.size(), 1u);
        const Span& s = h.sink.spans[0];
        EXPECT_EQ(s.collection, c.name);
        EXPECT_TRUE(s.error);
        EXPECT_EQ(s.status_code(), StatusCode::Error);
        EXPECT_EQ(s.error_code, c.rcode);
        EXPECT_EQ(s.error_message, c.rcode);
        EXPECT_EQ(s.dns_answers, 0);
        EXPECT_TRUE(s.dns_addresses.empty());
        EXPECT_EQ(s.host, "10.1.2.3");
    }
}

TEST(DnsHandlerUdp, AnswersAndAddresses)
{
    struct Case {
        const char *query, *response;
        int answers;
        std::vector<std::string> addresses;
        uint16_t qtype;
    };
    const std::vector<Case> cases = {
        {"udp/dig_a_multi.c2s.bin", "udp/dnsmasq_a_multi.s2c.bin", 2, {"127.0.0.8", "127.0.0.9"}, 1},
        {"udp/dig_aaaa_multi.c2s.bin", "udp/dnsmasq_aaaa_multi.s2c.bin", 1, {"::8"}, 28},
        {"udp/dig_cname_alias.c2s.bin", "udp/dnsmasq_cname_alias.s2c.bin", 3, {"127.0.0.9", "127.0.0.8"}, 1},
        {"udp/dnspython_a_svc.c2s.bin", "udp/dnsmasq_a_svc_noedns.s2c.bin", 1, {"127.0.0.7"}, 1},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.query);
        Harness h(true);
        h.call(Direction::Egress, corpus_file(c.query), 10, "127.0.0.1", 15353);
        h.call(Direction::Ingress, corpus_file(c.response), 20, "127.0.0.1", 15353);
        ASSERT_EQ(h.sink.spans.size(), 1u);
        EXPECT_EQ(h.sink.spans[0].dns_answers, c.answers);
        EXPECT_EQ(h.sink.spans[0].dns_addresses, c.addresses);
        EXPECT_EQ(h.sink.spans[0].dns_qtype, c.qtype);
        EXPECT_EQ(h.sink.spans[0].host_port, 15353);
    }
}

// glibc's getaddrinfo: A and AAAA with sendmmsg on a connected socket; answers in any order.
TEST(DnsHandlerUdp, ParallelQueriesPairedByIdAndQuestion)
{
    Harness h(true);
    std::string qa = corpus_file("udp/glibc_a_svc.c2s.bin"), qaaaa = corpus_file("udp/glibc_aaaa_svc.c2s.bin");
    std::string ra = with_id(corpus_file("udp/dnsmasq_a_svc_noedns.s2c.bin"), static_cast<uint16_t>(
                                                                                 (uint8_t(qa[0]) << 8) | uint8_t(qa[1])));
    std::string raaaa = corpus_file("udp/dnsmasq_aaaa_svc_nxdomain.s2c.bin");
    raaaa = with_id(raaaa, static_cast<uint16_t>((uint8_t(qaaaa[0]) << 8) | uint8_t(qaaaa[1])));
    h.call(Direction::Egress, qa, 100, "127.0.0.1", 53);
    h.call(Direction::Egress, qaaaa, 101, "127.0.0.1", 53);
    h.call(Direction::Ingress, raaaa, 300, "127.0.0.1", 53);
    h.call(Direction::Ingress, ra, 400, "127.0.0.1", 53);
    ASSERT_EQ(h.sink.spans.size(), 2u);
    EXPECT_EQ(h.sink.spans[0].dns_qtype, 28);
    EXPECT_EQ(h.sink.spans[0].error_code, "NXDOMAIN");
    EXPECT_EQ(h.sink.spans[0].start_ns, 101u);
    EXPECT_EQ(h.sink.spans[0].end_ns, 300u);
    EXPECT_EQ(h.sink.spans[1].dns_qtype, 1);
    EXPECT_FALSE(h.sink.spans[1].error);
    EXPECT_EQ(h.sink.spans[1].start_ns, 100u);
    EXPECT_EQ(h.sink.spans[1].end_ns, 400u);
}

TEST(DnsHandlerUdp, SameIdOtherQuestionIsNotTheAnswer)
{
    Harness h(true);
    std::string q = corpus_file("udp/dig_a_svc.c2s.bin");
    uint16_t id = static_cast<uint16_t>((uint8_t(q[0]) << 8) | uint8_t(q[1]));
    h.call(Direction::Egress, q, 10, "127.0.0.1", 53);
    h.call(Direction::Ingress, with_id(corpus_file("udp/dnsmasq_nxdomain.s2c.bin"), id), 20);  // nope.test
    EXPECT_TRUE(h.sink.spans.empty());
    EXPECT_EQ(h.counters.orphan_responses, 1u);
    h.call(Direction::Ingress, corpus_file("udp/dnsmasq_a_svc.s2c.bin"), 30);
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].collection, "svc.test");
    EXPECT_EQ(h.sink.spans[0].end_ns, 30u);
}

TEST(DnsHandlerUdp, RetransmissionKeepsTheFirstQuery)
{
    Harness h(true);
    std::string q = corpus_file("udp/dig_a_svc.c2s.bin");
    h.call(Direction::Egress, q, 10, "127.0.0.1", 53);
    h.call(Direction::Egress, q, 1000010, "127.0.0.1", 53);
    h.call(Direction::Ingress, corpus_file("udp/dnsmasq_a_svc.s2c.bin"), 1000020);
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].start_ns, 10u);
    h.handler->on_timer(100 * kSecond);
    EXPECT_EQ(h.sink.spans.size(), 1u);  // nothing left to time out
}

TEST(DnsHandlerUdp, UnansweredQueryTimesOut)
{
    Harness h(true, 5 * kSecond);
    h.call(Direction::Egress, corpus_file("udp/dig_a_svc.c2s.bin"), kSecond, "127.0.0.1", 53);
    h.handler->on_timer(5 * kSecond);
    EXPECT_TRUE(h.sink.spans.empty());
    h.handler->on_timer(6 * kSecond);
    ASSERT_EQ(h.sink.spans.size(), 1u);
    const Span& s = h.sink.spans[0];
    EXPECT_TRUE(s.error);
    EXPECT_EQ(s.error_code, "timeout");
    EXPECT_EQ(s.dns_answers, -1);
    EXPECT_EQ(s.start_ns, kSecond);
    EXPECT_EQ(s.end_ns, 6 * kSecond);
    EXPECT_EQ(s.name(), "QUERY svc.test");
    // A late answer is an orphan now.
    h.call(Direction::Ingress, corpus_file("udp/dnsmasq_a_svc.s2c.bin"), 7 * kSecond);
    EXPECT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.counters.orphan_responses, 1u);
}

TEST(DnsHandlerUdp, TimeoutOffDropsOnClose)
{
    Harness h(true, 0);
    h.call(Direction::Egress, corpus_file("udp/dig_a_svc.c2s.bin"), kSecond, "127.0.0.1", 53);
    h.handler->on_timer(1000 * kSecond);
    h.handler->on_close(1000 * kSecond);
    EXPECT_TRUE(h.sink.spans.empty());
    EXPECT_EQ(h.counters.unanswered, 1u);
}

TEST(DnsHandlerUdp, CloseEndsPendingQueriesAtTheEarlierOfCloseAndTimeout)
{
    Harness h(true, 5 * kSecond);
    h.call(Direction::Egress, corpus_file("udp/dig_a_svc.c2s.bin"), kSecond, "127.0.0.1", 53);
    h.call(Direction::Egress, corpus_file("udp/dig_nxdomain.c2s.bin"), 2 * kSecond, "127.0.0.1", 53);
    h.handler->on_close(3 * kSecond);
    ASSERT_EQ(h.sink.spans.size(), 2u);
    EXPECT_EQ(h.sink.spans[0].end_ns, 3 * kSecond);
    EXPECT_EQ(h.sink.spans[0].error_code, "timeout");
    Harness late(true, 5 * kSecond);
    late.call(Direction::Egress, corpus_file("udp/dig_a_svc.c2s.bin"), kSecond, "127.0.0.1", 53);
    late.handler->on_close(100 * kSecond);
    ASSERT_EQ(late.sink.spans.size(), 1u);
    EXPECT_EQ(late.sink.spans[0].end_ns, 6 * kSecond);
}

TEST(DnsHandlerUdp, GapDropsPendingWithoutFalseTimeouts)
{
    Harness h(true);
    h.call(Direction::Egress, corpus_file("udp/dig_a_svc.c2s.bin"), kSecond, "127.0.0.1", 53);
    h.handler->on_gap();
    h.handler->on_timer(100 * kSecond);
    EXPECT_TRUE(h.sink.spans.empty());
    EXPECT_EQ(h.counters.unanswered, 1u);
    EXPECT_EQ(h.counters.lost_sync, 1u);
    // The socket goes on working after the gap.
    h.call(Direction::Egress, corpus_file("udp/dig_a_svc.c2s.bin"), 101 * kSecond, "127.0.0.1", 53);
    h.call(Direction::Ingress, corpus_file("udp/dnsmasq_a_svc.s2c.bin"), 102 * kSecond);
    EXPECT_EQ(h.sink.spans.size(), 1u);
}

// c-ares (Node's dns.Resolver) puts every parallel lookup on one socket: 100 in flight were cut to 64.
TEST(DnsHandlerUdp, HundredsOfQueriesInFlightOnOneSocketAreAllPaired)
{
    Harness h(true);
    std::string q = corpus_file("udp/dig_a_svc.c2s.bin"), r = corpus_file("udp/dnsmasq_a_svc.s2c.bin");
    for (uint16_t id = 1; id <= 300; id++) h.call(Direction::Egress, with_id(q, id), id, "127.0.0.1", 53);
    for (uint16_t id = 1; id <= 300; id++) h.call(Direction::Ingress, with_id(r, id), 1000 + id, "127.0.0.1", 53);
    ASSERT_EQ(h.sink.spans.size(), 300u);
    EXPECT_EQ(h.counters.unanswered, 0u);
    EXPECT_EQ(h.counters.orphan_responses, 0u);
    EXPECT_EQ(h.sink.spans[0].start_ns, 1u);
    EXPECT_EQ(h.sink.spans[299].end_ns, 1300u);
}

TEST(DnsHandlerUdp, PendingQueriesAreBounded)
{
    Harness h(true);
    std::string q = corpus_file("udp/dig_a_svc.c2s.bin");
    for (uint16_t id = 1; id <= 1100; id++) h.call(Direction::Egress, with_id(q, id), id, "127.0.0.1", 53);
    EXPECT_EQ(h.counters.unanswered, 76u);
    // The oldest were dropped: id 1's answer is an orphan, id 1100's is paired.
    std::string r = corpus_file("udp/dnsmasq_a_svc.s2c.bin");
    h.call(Direction::Ingress, with_id(r, 1), 10000);
    h.call(Direction::Ingress, with_id(r, 1100), 10001);
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].start_ns, 1100u);
    EXPECT_EQ(h.counters.orphan_responses, 1u);
    h.handler->on_timer(100 * kSecond);
    EXPECT_EQ(h.sink.spans.size(), 1024u);  // the 1023 others time out
}

TEST(DnsHandlerUdp, TracedServerTrafficIsNotALookup)
{
    Harness h(true);
    h.call(Direction::Ingress, corpus_file("udp/dig_a_svc.c2s.bin"), 10, "127.0.0.1", 40000);
    h.call(Direction::Egress, corpus_file("udp/dnsmasq_a_svc.s2c.bin"), 20, "127.0.0.1", 40000);
    h.handler->on_timer(100 * kSecond);
    EXPECT_TRUE(h.sink.spans.empty());
    EXPECT_EQ(h.counters.parse_errors + h.counters.orphan_responses, 0u);
}

TEST(DnsHandlerUdp, ResponseLargerThanTheCapture)
{
    Harness h(true);
    h.tail = false;  // a 95-byte response: with its tail the whole of it would be known
    std::string q = corpus_file("udp/dig_cname_alias.c2s.bin"), r = corpus_file("udp/dnsmasq_cname_alias.s2c.bin");
    h.call(Direction::Egress, q, 10, "127.0.0.1", 53);
    // Only the header, question, the CNAME and the first A record were captured.
    h.call(Direction::Ingress, r, 20, "", 0, 68);
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].dns_answers, 3);
    EXPECT_EQ(h.sink.spans[0].dns_addresses, std::vector<std::string>{"127.0.0.9"});
    // A response whose header was not captured says nothing.
    h.call(Direction::Egress, q, 30, "127.0.0.1", 53);
    h.call(Direction::Ingress, r, 40, "", 0, 5);
    EXPECT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.counters.lost_sync, 1u);
}

TEST(DnsHandlerUdp, GarbageDatagramsAreCounted)
{
    Harness h(true);
    h.call(Direction::Egress, corpus_file("udp/dig_a_svc.c2s.bin"), 10, "127.0.0.1", 53);
    std::string junk = corpus_file("udp/dnsmasq_a_svc.s2c.bin");
    junk[12] = '\x7f';  // the question's first label now runs past the end
    h.call(Direction::Ingress, junk, 20);
    std::string q = corpus_file("udp/dig_a_svc.c2s.bin");
    q[12] = '\xc0';  // a query whose name is a pointer into the header
    h.call(Direction::Egress, q, 30, "127.0.0.1", 53);
    EXPECT_TRUE(h.sink.spans.empty());
    EXPECT_EQ(h.counters.parse_errors, 2u);
}

// ------------------------------------------------------------------------------------ TCP
struct TcpExchange {
    const char *query, *response, *name;
    int answers;
};

const TcpExchange kTcp[] = {
    {"dig_tcp_a_svc.c2s.bin", "dnsmasq_tcp_a_svc.s2c.bin", "svc.test", 1},
    {"dig_tcp_aaaa_multi.c2s.bin", "dnsmasq_tcp_aaaa_multi.s2c.bin", "multi.test", 1},
    {"dig_tcp_nxdomain.c2s.bin", "dnsmasq_tcp_nxdomain.s2c.bin", "nope.test", 0},
    {"dig_tcp_cname_alias.c2s.bin", "dnsmasq_tcp_cname_alias.s2c.bin", "alias.test", 3},
    {"dnspython_tcp_a_multi.c2s.bin", "dnsmasq_tcp_a_multi.s2c.bin", "multi.test", 2},
};

// Every way to cut the query and the response into two calls gives the same one span.
TEST(DnsHandlerTcp, EverySplitOfQueryAndResponse)
{
    for (const auto& x : kTcp) {
        SCOPED_TRACE(x.query);
        std::string q = corpus_file(x.query), r = corpus_file(x.response);
        for (size_t qs = 1; qs <= q.size(); qs++) {
            for (size_t rs = 1; rs <= r.size(); rs += 3) {
                Harness h(false);
                h.call(Direction::Egress, std::string_view(q).substr(0, qs), 10);
                if (qs < q.size()) h.call(Direction::Egress, std::string_view(q).substr(qs), 11, "", 0, std::string::npos, false);
                h.call(Direction::Ingress, std::string_view(r).substr(0, rs), 20);
                if (rs < r.size()) h.call(Direction::Ingress, std::string_view(r).substr(rs), 21, "", 0, std::string::npos, false);
                ASSERT_EQ(h.sink.spans.size(), 1u) << qs << " " << rs;
                const Span& s = h.sink.spans[0];
                EXPECT_EQ(s.collection, x.name);
                EXPECT_EQ(s.dns_answers, x.answers);
                EXPECT_EQ(s.start_ns, 10u);
                EXPECT_EQ(s.end_ns, rs < r.size() ? 21u : 20u);
                EXPECT_EQ(s.host, "127.0.0.1");
                EXPECT_EQ(s.host_port, 5353);
                EXPECT_EQ(s.peer, "127.0.0.1");
                EXPECT_EQ(s.peer_port, 40001);
                ASSERT_EQ(h.counters.parse_errors + h.counters.lost_sync, 0u);
            }
        }
    }
}

TEST(DnsHandlerTcp, ByteByByte)
{
    std::string q = corpus_file("dig_tcp_cname_alias.c2s.bin"), r = corpus_file("dnsmasq_tcp_cname_alias.s2c.bin");
    Harness h(false);
    for (size_t i = 0; i < q.size(); i++) h.call(Direction::Egress, std::string_view(q).substr(i, 1), 10 + i, "", 0, 1, i == 0);
    for (size_t i = 0; i < r.size(); i++) h.call(Direction::Ingress, std::string_view(r).substr(i, 1), 100 + i, "", 0, 1, i == 0);
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].dns_addresses, (std::vector<std::string>{"127.0.0.8", "127.0.0.9"}));
    EXPECT_EQ(h.sink.spans[0].start_ns, 10u);
    EXPECT_EQ(h.sink.spans[0].end_ns, 100 + r.size() - 1);
}

TEST(DnsHandlerTcp, PipelinedQueriesAndResponses)
{
    std::string q1 = corpus_file("dig_tcp_a_svc.c2s.bin"), q2 = corpus_file("dig_tcp_nxdomain.c2s.bin");
    std::string r1 = corpus_file("dnsmasq_tcp_a_svc.s2c.bin"), r2 = corpus_file("dnsmasq_tcp_nxdomain.s2c.bin");
    Harness h(false);
    h.call(Direction::Egress, q1 + q2, 10);
    h.call(Direction::Ingress, r2 + r1, 20);
    ASSERT_EQ(h.sink.spans.size(), 2u);
    EXPECT_EQ(h.sink.spans[0].collection, "nope.test");
    EXPECT_EQ(h.sink.spans[0].error_code, "NXDOMAIN");
    EXPECT_EQ(h.sink.spans[1].collection, "svc.test");
    EXPECT_FALSE(h.sink.spans[1].error);
}

TEST(DnsHandlerTcp, UncapturedBodyIsSkippedByLength)
{
    std::string q = corpus_file("dig_tcp_cname_alias.c2s.bin"), r = corpus_file("dnsmasq_tcp_cname_alias.s2c.bin");
    std::string q2 = corpus_file("dig_tcp_a_svc.c2s.bin"), r2 = corpus_file("dnsmasq_tcp_a_svc.s2c.bin");
    Harness h(false);
    h.call(Direction::Egress, q + q2, 10);
    // The first response's last 20 bytes and the second response were not captured, except
    // that the second sits in the next call, fully captured.
    h.call(Direction::Ingress, r, 20, "", 0, r.size() - 20);
    h.call(Direction::Ingress, r2, 21, "", 0, std::string::npos, false);
    ASSERT_EQ(h.sink.spans.size(), 2u);
    EXPECT_EQ(h.sink.spans[0].collection, "alias.test");
    EXPECT_EQ(h.sink.spans[0].dns_answers, 3);
    EXPECT_EQ(h.sink.spans[1].collection, "svc.test");
    EXPECT_EQ(h.sink.spans[1].dns_addresses, std::vector<std::string>{"127.0.0.7"});
}

TEST(DnsHandlerTcp, LostLengthResynchronisesAtTheNextBurst)
{
    std::string q = corpus_file("dig_tcp_a_svc.c2s.bin"), r = corpus_file("dnsmasq_tcp_a_svc.s2c.bin");
    Harness h(false);
    h.tail = false;  // the call's end is not known either
    h.call(Direction::Egress, q, 10);
    // Response and the next length prefix in one call, the prefix not captured.
    h.call(Direction::Ingress, r + r, 20, "", 0, r.size());
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.counters.lost_sync, 1u);
    h.call(Direction::Egress, q, 30);
    h.call(Direction::Ingress, r, 40);
    EXPECT_EQ(h.sink.spans.size(), 2u);
}

TEST(DnsHandlerTcp, GapThenNewBurst)
{
    std::string q = corpus_file("dig_tcp_a_svc.c2s.bin"), r = corpus_file("dnsmasq_tcp_a_svc.s2c.bin");
    Harness h(false);
    h.call(Direction::Egress, std::string_view(q).substr(0, 10), 10);
    h.handler->on_gap();
    h.call(Direction::Egress, std::string_view(q).substr(10), 11, "", 0, std::string::npos, false);  // rest: ignored
    h.call(Direction::Ingress, r, 20);
    EXPECT_TRUE(h.sink.spans.empty());
    h.call(Direction::Egress, q, 30);
    h.call(Direction::Ingress, r, 40);
    ASSERT_EQ(h.sink.spans.size(), 1u);
    EXPECT_EQ(h.sink.spans[0].start_ns, 30u);
}

TEST(DnsHandlerTcp, ImpossibleLengthLosesSync)
{
    Harness h(false);
    h.call(Direction::Egress, std::string("\0\5hello", 7), 10);
    EXPECT_EQ(h.counters.parse_errors, 1u);
    EXPECT_TRUE(h.sink.spans.empty());
}

}  // namespace
}  // namespace obi::dns
