// TLS plaintext in the connection tracker, with records laid out as the kernel emits them:
// plaintext events (OBI_DF_TLS) give https spans identical to cleartext ones otherwise; a
// connection whose ciphertext reached user space before its probes were attached gets a new
// conn_id from the kernel, and its plaintext then starts a clean stream (no parse errors,
// no extra spans).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "conntrack/tracker.h"
#include "protocols/http1/conn_handler.h"

using namespace obi;
using namespace obi::conntrack;

namespace {

struct Collect : SpanSink {
    std::vector<Span> spans;
    void emit(Span&& s) override { spans.push_back(std::move(s)); }
};

struct Conn {
    ConnTracker& t;
    uint8_t role;
    uint64_t conn_id = 77;
    uint32_t seq = 0;
    uint64_t ts = 1000000;
    int last_dir = -1;

    void call(Direction dir, const std::string& data, uint8_t extra_flags)
    {
        std::vector<uint8_t> rec(sizeof(obi_data_event) + data.size());
        auto* ev = reinterpret_cast<obi_data_event*>(rec.data());
        ev->kind = OBI_EV_DATA;
        ev->direction = static_cast<uint8_t>(dir);
        ev->role = role;
        ev->flags = extra_flags | (last_dir != static_cast<int>(dir) ? OBI_DF_MSG_START : 0);
        last_dir = static_cast<int>(dir);
        ev->source = extra_flags & OBI_DF_TLS ? OBI_SRC_SSL_UPROBE : OBI_SRC_SOCK_TP;
        ev->pid = ev->tid = 4242;
        ev->seq = seq++;
        ev->captured_len = static_cast<uint32_t>(data.size());
        ev->bytes = static_cast<int64_t>(data.size());
        ev->ts_ns = ts += 1000;
        ev->sock_id = 0xfeed;
        ev->conn_id = conn_id;
        ev->tuple.local_addr[10] = ev->tuple.local_addr[11] = 0xff;
        ev->tuple.local_addr[12] = 127;
        ev->tuple.local_addr[15] = 1;
        std::memcpy(ev->tuple.remote_addr, ev->tuple.local_addr, 16);
        ev->tuple.local_port = role == OBI_ROLE_SERVER ? 8443 : 40000;
        ev->tuple.remote_port = role == OBI_ROLE_SERVER ? 40000 : 8443;
        std::memcpy(ev->data, data.data(), data.size());
        t.on_record(rec.data(), rec.size());
    }
    // What the kernel does when it learns late that the connection is TLS (ssl__mark_tls).
    void renew()
    {
        conn_id++;
        last_dir = -1;
    }
};

const std::string kGet = "GET /secure?q=1 HTTP/1.1\r\nHost: localhost:8443\r\n\r\n";
const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
// A TLS 1.3 application-data record header and some ciphertext.
const std::string kCipher = std::string("\x17\x03\x03\x00\x20", 5) + std::string(32, '\x9c');

struct SslTracker : ::testing::Test {
    Collect sink;
    ConnTracker tracker{TrackerOptions{}, sink, {http1::protocol_def()}};
    const ProtocolCounters& counters() { return tracker.counters()[0]; }
};

TEST_F(SslTracker, PlaintextGivesHttpsServerSpans)
{
    Conn c{tracker, OBI_ROLE_SERVER};
    for (int i = 0; i < 20; i++) {
        c.call(Direction::Ingress, kGet, OBI_DF_TLS);
        c.call(Direction::Egress, kOk, OBI_DF_TLS);
    }
    ASSERT_EQ(sink.spans.size(), 20u);
    for (const auto& s : sink.spans) {
        EXPECT_EQ(s.type, SpanType::HTTP);
        EXPECT_EQ(s.scheme, "https");
        EXPECT_EQ(s.path, "/secure");
        EXPECT_EQ(s.query, "q=1");
        EXPECT_EQ(s.status, 200);
        EXPECT_EQ(s.host_port, 8443);
        EXPECT_EQ(s.response_body_size, 2);
    }
    EXPECT_EQ(counters().parse_errors, 0u);
}

TEST_F(SslTracker, PlaintextClientSpansHaveAnHttpsUrl)
{
    Conn c{tracker, OBI_ROLE_CLIENT};
    c.call(Direction::Egress, kGet, OBI_DF_TLS);
    c.call(Direction::Ingress, kOk, OBI_DF_TLS);
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].type, SpanType::HTTPClient);
    EXPECT_EQ(sink.spans[0].url_full(), "https://localhost:8443/secure?q=1");
}

TEST_F(SslTracker, CleartextOnTheSameLayoutIsHttp)
{
    Conn c{tracker, OBI_ROLE_SERVER};
    c.call(Direction::Ingress, kGet, 0);
    c.call(Direction::Egress, kOk, 0);
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].scheme, "http");
}

TEST_F(SslTracker, LateTlsConnectionRestartsCleanly)
{
    Conn c{tracker, OBI_ROLE_SERVER};
    // Ciphertext seen before the libssl probes were attached: nobody claims it.
    for (int i = 0; i < 3; i++) {
        c.call(Direction::Ingress, kCipher, 0);
        c.call(Direction::Egress, kCipher, 0);
    }
    EXPECT_TRUE(sink.spans.empty());
    // The kernel ties an SSL* to the socket, renews conn_id and emits plaintext.
    c.renew();
    for (int i = 0; i < 5; i++) {
        c.call(Direction::Ingress, kGet, OBI_DF_TLS);
        c.call(Direction::Egress, kOk, OBI_DF_TLS);
    }
    ASSERT_EQ(sink.spans.size(), 5u);
    for (const auto& s : sink.spans) EXPECT_EQ(s.scheme, "https");
    EXPECT_EQ(counters().parse_errors, 0u);
    EXPECT_EQ(tracker.stats().gaps, 0u);  // the sequence continues across the renewal
}

}  // namespace
