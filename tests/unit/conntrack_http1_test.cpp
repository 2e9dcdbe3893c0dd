// Connection tracking + HTTP/1 stream handling, fed with kernel-format records: keep-alive,
// pipelining, split heads, uncaptured bodies, chunked ends, 100-continue, upgrades, lost
// events, closes, timeouts and trace-context propagation.
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

// Builds kernel records for one connection the way the kernel programs do.
class FakeConn {
public:
    FakeConn(ConnTracker& t, uint32_t pid, uint64_t sock, uint8_t role, uint32_t capture = 2048)
        : t_(t), pid_(pid), sock_(sock), role_(role), capture_(capture)
    {
        conn_id_ = sock * 7 + 1;
    }

    // One call; `total` > data.size() means only the first data.size() bytes were captured
    // (the rest is a hole). The kernel's per-burst budget is applied here as well.
    void call(Direction dir, std::string data, uint64_t total = 0, const obi_trace_ctx* tctx = nullptr)
    {
        if (total == 0) total = data.size();
        bool start = !have_dir_ || dir != last_dir_;
        if (start) burst_captured_ = 0;
        have_dir_ = true;
        last_dir_ = dir;
        uint32_t budget = capture_ > burst_captured_ ? capture_ - burst_captured_ : 0;
        std::string full = data;
        if (data.size() > budget) data.resize(budget);
        burst_captured_ += data.size();
        // The kernel carries the call's last bytes after the captured ones when it did not capture it all.
        size_t tail = full.size() == total && data.size() < total ? std::min<size_t>(OBI_TAIL_LEN, full.size()) : 0;
        std::vector<uint8_t> rec(sizeof(obi_data_event) + data.size() + tail);
        auto* ev = reinterpret_cast<obi_data_event*>(rec.data());
        ev->kind = OBI_EV_DATA;
        ev->direction = static_cast<uint8_t>(dir);
        ev->role = role_;
        ev->flags = start ? OBI_DF_MSG_START : 0;
        if (data.size() < total) ev->flags |= OBI_DF_TRUNCATED;
        ev->pid = pid_;
        ev->tid = pid_;
        ev->seq = skip_seq_ ? seq_ + 1 : seq_;
        seq_ = ev->seq + 1;
        skip_seq_ = false;
        ev->captured_len = data.size();
        ev->bytes = static_cast<int64_t>(total);
        ev->ts_ns = ts_ += 1000;
        ev->sock_id = sock_;
        ev->conn_id = conn_id_;
        ev->tuple.local_addr[10] = ev->tuple.local_addr[11] = 0xff;
        ev->tuple.local_addr[12] = 127;
        ev->tuple.local_addr[15] = 1;
        std::memcpy(ev->tuple.remote_addr, ev->tuple.local_addr, 16);
        ev->tuple.local_port = role_ == OBI_ROLE_SERVER ? 8080 : 40000;
        ev->tuple.remote_port = role_ == OBI_ROLE_SERVER ? 40000 : 8080;
        if (start && tctx) ev->tctx = *tctx;
        std::memcpy(ev->data, data.data(), data.size());
        std::memcpy(ev->data + data.size(), full.data() + full.size() - tail, tail);
        ev->tail_len = static_cast<uint8_t>(tail);
        t_.on_record(rec.data(), rec.size());
    }
    void in(std::string d, uint64_t total = 0, const obi_trace_ctx* k = nullptr) { call(Direction::Ingress, std::move(d), total, k); }
    void out(std::string d, uint64_t total = 0, const obi_trace_ctx* k = nullptr) { call(Direction::Egress, std::move(d), total, k); }
    void lose_next_event() { skip_seq_ = true; }
    void close()
    {
        obi_close_event ce{};
        ce.kind = OBI_EV_CLOSE;
        ce.pid = pid_;
        ce.seq = seq_;
        ce.ts_ns = ts_ += 1000;
        ce.sock_id = sock_;
        ce.conn_id = conn_id_;
        t_.on_record(&ce, sizeof(ce));
    }
    uint64_t now() const { return ts_; }

private:
    ConnTracker& t_;
    uint32_t pid_;
    uint64_t sock_, conn_id_;
    uint8_t role_;
    uint32_t capture_;
    uint32_t seq_ = 0;
    bool skip_seq_ = false;
    uint64_t ts_ = 1000000;
    bool have_dir_ = false;
    Direction last_dir_ = Direction::Ingress;
    uint32_t burst_captured_ = 0;
};

struct ConnTrackHttp1 : ::testing::Test {
    Collect sink;
    TrackerOptions opts;
    std::unique_ptr<ConnTracker> tracker;
    void SetUp() override { make(); }
    void make() { tracker = std::make_unique<ConnTracker>(opts, sink, std::vector<ProtocolDef>{http1::protocol_def()}); }
    const ProtocolCounters& counters() { return tracker->counters()[0]; }
};

const std::string kGet = "GET /users/42?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";
const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";

obi_trace_ctx kctx(uint8_t trace_seed, uint8_t span_seed, uint8_t parent_seed = 0)
{
    obi_trace_ctx k{};
    for (int i = 0; i < 16; i++) k.trace_id[i] = trace_seed + i;
    for (int i = 0; i < 8; i++) k.span_id[i] = span_seed + i;
    if (parent_seed)
        for (int i = 0; i < 8; i++) k.parent_span_id[i] = parent_seed + i;
    k.flags = 1;
    k.valid = 1;
    return k;
}

}  // namespace

TEST_F(ConnTrackHttp1, ServerKeepAliveProducesOneSpanPerRequest)
{
    FakeConn c(*tracker, 100, 0xabc, OBI_ROLE_SERVER);
    for (int i = 0; i < 50; i++) {
        c.in(kGet);
        c.out(kOk);
    }
    ASSERT_EQ(sink.spans.size(), 50u);
    const Span& s = sink.spans[0];
    EXPECT_EQ(s.type, SpanType::HTTP);
    EXPECT_EQ(s.method, "GET");
    EXPECT_EQ(s.path, "/users/42");
    EXPECT_EQ(s.query, "x=1");
    EXPECT_EQ(s.status, 200);
    EXPECT_EQ(s.response_body_size, 5);
    EXPECT_EQ(s.request_body_size, 0);
    EXPECT_EQ(s.host_header, "example.com");
    EXPECT_EQ(s.host_header_port, 8080);
    EXPECT_EQ(s.peer, "127.0.0.1");
    EXPECT_EQ(s.peer_port, 40000);
    EXPECT_EQ(s.host_port, 8080);
    EXPECT_EQ(s.pid, 100u);
    EXPECT_LT(s.request_start_ns, s.end_ns);
    EXPECT_TRUE(s.trace_id.valid());
    EXPECT_TRUE(s.span_id.valid());
    EXPECT_FALSE(s.parent_span_id.valid());
    EXPECT_EQ(counters().parse_errors, 0u);
}

TEST_F(ConnTrackHttp1, TimestampsAreFirstRequestByteAndLastResponseByte)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    c.in(kGet.substr(0, 10));
    uint64_t first = c.now();
    c.in(kGet.substr(10));
    c.out(kOk.substr(0, 20));
    c.out(kOk.substr(20));
    uint64_t last = c.now();
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].request_start_ns, first);
    EXPECT_EQ(sink.spans[0].end_ns, last);
}

TEST_F(ConnTrackHttp1, HeadSplitIntoManyReads)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    for (char ch : kGet) c.in(std::string(1, ch));
    c.out(kOk);
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].path, "/users/42");
}

TEST_F(ConnTrackHttp1, PipelinedRequestsInOneReadAndResponsesInOneWrite)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    c.in("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nPOST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
    c.out("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nBBHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
    ASSERT_EQ(sink.spans.size(), 3u);
    EXPECT_EQ(sink.spans[0].path, "/a");
    EXPECT_EQ(sink.spans[0].status, 200);
    EXPECT_EQ(sink.spans[1].path, "/b");
    EXPECT_EQ(sink.spans[1].status, 404);
    EXPECT_EQ(sink.spans[1].response_body_size, 2);
    EXPECT_EQ(sink.spans[2].method, "POST");
    EXPECT_EQ(sink.spans[2].request_body_size, 3);
    EXPECT_EQ(sink.spans[2].status, 201);
    // Distinct ids even though the kernel saw one message start.
    EXPECT_NE(sink.spans[0].span_id, sink.spans[1].span_id);
}

TEST_F(ConnTrackHttp1, LargeBodiesAreCountedNotCaptured)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER, 256);
    std::string head = "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n";
    c.in(head + std::string(100, 'x'), head.size() + 30000);  // captured prefix only
    c.in("", 40000);
    c.in("", 30000);
    std::string resp_head = "HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n";
    c.out(resp_head, resp_head.size() + 70000);
    c.in("GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    c.out(kOk);
    ASSERT_EQ(sink.spans.size(), 2u);
    EXPECT_EQ(sink.spans[0].request_body_size, 100000);
    EXPECT_EQ(sink.spans[0].response_body_size, 70000);
    EXPECT_EQ(sink.spans[1].path, "/next");
}

TEST_F(ConnTrackHttp1, ChunkedResponseFullyCaptured)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    c.in(kGet);
    c.out("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.out("5\r\nhello\r\n");
    EXPECT_TRUE(sink.spans.empty());
    c.out("6\r\n world\r\n0\r\n\r\n");
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].response_body_size, 11);
}

TEST_F(ConnTrackHttp1, ChunkedResponseEndSeenOnlyInTheWriteTail)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER, 128);
    c.in(kGet);
    std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    std::string body;
    for (int i = 0; i < 20; i++) body += "100\r\n" + std::string(256, 'a') + "\r\n";
    c.out(head + body);  // capture stops at 128 bytes: the scanner loses sync
    EXPECT_TRUE(sink.spans.empty());
    c.out("0\r\n\r\n");  // not captured (budget spent), but its tail is known
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].status, 200);
}

TEST_F(ConnTrackHttp1, ResponseUntilCloseEndsAtLastByteNotAtClose)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    c.in("GET /old HTTP/1.0\r\n\r\n");
    c.out("HTTP/1.0 200 OK\r\nServer: x\r\n\r\n");
    c.out("body bytes");
    uint64_t last = c.now();
    c.close();
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].end_ns, last);
    EXPECT_EQ(sink.spans[0].response_body_size, 10);
}

TEST_F(ConnTrackHttp1, ExpectContinue)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    auto k1 = kctx(1, 50), k2 = kctx(2, 60);
    c.in("PUT /f HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n", 0, &k1);
    c.out("HTTP/1.1 100 Continue\r\n\r\n");
    c.in("data", 0, &k2);
    c.out("HTTP/1.1 204 No Content\r\n\r\n");
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].status, 204);
    EXPECT_EQ(sink.spans[0].request_body_size, 4);
    // A client call the kernel parented to the second message start joins this span.
    FakeConn cl(*tracker, 1, 2, OBI_ROLE_CLIENT);
    auto kc = kctx(2, 90, 60);
    cl.out("GET /x HTTP/1.1\r\nHost: b\r\n\r\n", 0, &kc);
    cl.in(kOk);
    ASSERT_EQ(sink.spans.size(), 2u);
    EXPECT_EQ(sink.spans[1].trace_id, sink.spans[0].trace_id);
    EXPECT_EQ(sink.spans[1].parent_span_id, sink.spans[0].span_id);
}

TEST_F(ConnTrackHttp1, UpgradeStopsParsing)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    c.in("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    c.out("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
    c.in("\x81\x05hello");
    c.out("\x81\x05hello");
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].status, 101);
    EXPECT_EQ(counters().parse_errors, 0u);
}

TEST_F(ConnTrackHttp1, LostEventsResynchroniseAtNextRequest)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    c.in(kGet);
    c.lose_next_event();  // the response is lost
    c.out(kOk);
    c.in(kGet);
    c.out(kOk);
    ASSERT_EQ(sink.spans.size(), 1u);  // the first request is dropped, never mis-paired
    EXPECT_EQ(counters().lost_sync, 1u);
}

TEST_F(ConnTrackHttp1, CloseMidRequestDropsIt)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    c.in(kGet);
    c.close();
    EXPECT_TRUE(sink.spans.empty());
    EXPECT_EQ(counters().unanswered, 1u);
    EXPECT_EQ(tracker->size(), 0u);
}

TEST_F(ConnTrackHttp1, RequestTimeoutGives408)
{
    opts.request_timeout_ns = 5000000000ull;
    make();
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    c.in(kGet);
    tracker->on_timer(c.now() + 1000);
    EXPECT_TRUE(sink.spans.empty());
    tracker->on_timer(c.now() + 6000000000ull);
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].status, 408);
}

TEST_F(ConnTrackHttp1, MidStreamStartIsIgnoredUntilAHead)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    c.out("rest of a body from before the agent started");  // not HTTP: not classified
    c.in(kGet);
    c.out(kOk);
    ASSERT_EQ(sink.spans.size(), 1u);
}

TEST_F(ConnTrackHttp1, NonHttpConnectionsAreGivenUp)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_CLIENT);
    for (int i = 0; i < 10; i++) {
        c.out("*1\r\n$4\r\nPING\r\n");
        c.in("+PONG\r\n");
    }
    EXPECT_TRUE(sink.spans.empty());
    EXPECT_EQ(tracker->stats().unclassified, 1u);
}

TEST_F(ConnTrackHttp1, ClientSpanWithKernelParent)
{
    FakeConn srv(*tracker, 7, 1, OBI_ROLE_SERVER);
    auto ks = kctx(10, 20);
    srv.in("GET /call HTTP/1.1\r\nHost: a\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n", 0, &ks);
    FakeConn cl(*tracker, 7, 2, OBI_ROLE_CLIENT);
    auto kc = kctx(10, 30, 20);  // the kernel linked the call to the server request
    cl.out("GET /hello HTTP/1.1\r\nHost: 127.0.0.1:9000\r\n\r\n", 0, &kc);
    cl.in("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
    srv.out(kOk);
    ASSERT_EQ(sink.spans.size(), 2u);
    const Span& client = sink.spans[0];
    const Span& server = sink.spans[1];
    EXPECT_EQ(server.trace_id.hex(), "0af7651916cd43dd8448eb211c80319c");
    EXPECT_EQ(server.parent_span_id.hex(), "b7ad6b7169203331");
    EXPECT_EQ(client.type, SpanType::HTTPClient);
    EXPECT_EQ(client.trace_id, server.trace_id);
    EXPECT_EQ(client.parent_span_id, server.span_id);
    EXPECT_EQ(client.status, 500);
    EXPECT_EQ(client.url_full(), "http://127.0.0.1:9000/hello");
    EXPECT_EQ(client.status_code(), StatusCode::Error);
}

TEST_F(ConnTrackHttp1, ClientOwnTraceparentWins)
{
    FakeConn cl(*tracker, 7, 2, OBI_ROLE_CLIENT);
    auto kc = kctx(10, 30);
    cl.out("GET / HTTP/1.1\r\nHost: x\r\ntraceparent: 00-11111111111111111111111111111111-2222222222222222-01\r\n\r\n", 0, &kc);
    cl.in(kOk);
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].trace_id.hex(), "11111111111111111111111111111111");
    EXPECT_EQ(sink.spans[0].span_id.hex(), "2222222222222222");
}

TEST_F(ConnTrackHttp1, HeadResponseHasNoBody)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    c.in("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n");
    c.out("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
    c.in("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    c.out(kOk);
    ASSERT_EQ(sink.spans.size(), 2u);
    EXPECT_EQ(sink.spans[0].method, "HEAD");
    EXPECT_EQ(sink.spans[0].response_body_size, 0);
}

TEST_F(ConnTrackHttp1, HeadLargerThanCaptureKeepsRequestLine)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER, 64);
    std::string head = "GET /big/header HTTP/1.1\r\nHost: h\r\nCookie: " + std::string(500, 'c') + "\r\n\r\n";
    c.in(head);
    c.out(kOk);
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].path, "/big/header");
    EXPECT_EQ(sink.spans[0].status, 200);
}

// Found by the http1 fuzz target: an absolute-form target without a path ("/" from static
// storage) in a head cut by the capture budget.
TEST_F(ConnTrackHttp1, CutHeadWithAbsoluteTargetWithoutPath)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER, 64);
    std::string head = "GET http://example.com:8080 HTTP/1.1\r\nHost: h\r\nCookie: " + std::string(500, 'c') + "\r\n\r\n";
    c.in(head);
    c.out(kOk);
    ASSERT_EQ(sink.spans.size(), 1u);
    EXPECT_EQ(sink.spans[0].path, "/");
    EXPECT_EQ(sink.spans[0].status, 200);
}

TEST_F(ConnTrackHttp1, ConnectionCapEvictsLeastRecentlyUsed)
{
    opts.max_connections = 4;
    make();
    std::vector<std::unique_ptr<FakeConn>> conns;
    for (int i = 0; i < 10; i++) {
        conns.push_back(std::make_unique<FakeConn>(*tracker, 1, 100 + i, OBI_ROLE_SERVER));
        conns.back()->in(kGet);
    }
    EXPECT_EQ(tracker->size(), 4u);
    EXPECT_EQ(tracker->stats().evicted, 6u);
}

TEST_F(ConnTrackHttp1, GarbageNeverProducesSpans)
{
    FakeConn c(*tracker, 1, 1, OBI_ROLE_SERVER);
    c.in("GET /x HTTP/1.1\r\nHo\x01st: bad\r\n\r\n");
    c.out(kOk);
    c.in("GET \xff\xfe HTTP/9.9\r\n\r\n");
    c.out(kOk);
    EXPECT_TRUE(sink.spans.empty());
    EXPECT_GE(counters().parse_errors, 1u);
}

TEST_F(ConnTrackHttp1, IdleConnectionsExpire)
{
    opts.idle_timeout_ns = 1000000000ull;
    make();
    FakeConn a(*tracker, 1, 1, OBI_ROLE_SERVER), b(*tracker, 1, 2, OBI_ROLE_SERVER);
    a.in(kGet);
    b.in(kGet);
    EXPECT_EQ(tracker->size(), 2u);
    tracker->on_timer(b.now() + 500000000ull);
    EXPECT_EQ(tracker->size(), 2u);
    tracker->on_timer(b.now() + 2000000000ull);
    EXPECT_EQ(tracker->size(), 0u);
    EXPECT_EQ(tracker->stats().expired, 2u);
    EXPECT_TRUE(sink.spans.empty());  // requests without responses are not invented
}

TEST_F(ConnTrackHttp1, ForgettingAProcessDropsItsConnections)
{
    FakeConn a(*tracker, 1, 1, OBI_ROLE_SERVER), b(*tracker, 2, 2, OBI_ROLE_SERVER);
    a.in(kGet);
    b.in(kGet);
    tracker->forget_pid(1);
    EXPECT_EQ(tracker->size(), 1u);
}

TEST_F(ConnTrackHttp1, MalformedRecordsAreCounted)
{
    uint8_t junk[8] = {OBI_EV_DATA};
    tracker->on_record(junk, sizeof(junk));
    uint8_t unknown[64] = {99};
    tracker->on_record(unknown, sizeof(unknown));
    EXPECT_EQ(tracker->stats().malformed, 2u);
}
