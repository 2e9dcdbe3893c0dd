// OTLP/HTTP end to end: the exporters and the libcurl transport against an in-process
// cpp-httplib receiver that decodes what arrives and can answer 200, 503 + Retry-After,
// 429, 400, a partial success, or hang; plus TLS with a throwaway self-signed certificate.
#include <gtest/gtest.h>

#include <httplib.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "export/otlp/metrics_exporter.h"
#include "export/otlp/trace_exporter.h"

namespace obi::otlp {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using config::OtlpProtocol;

struct Received {
    std::string path, content_type, content_encoding, user_agent, authorization, tenant, body;
    int remote_port = 0;
    Clock::time_point at;
};

struct Reply {
    int status = 200;
    std::string retry_after;
    std::string body;
    std::string content_type = "application/x-protobuf";
    bool hang = false;
};

class HttpReceiver {
public:
    explicit HttpReceiver(int port = 0, const char* cert = nullptr, const char* key = nullptr)
    {
        server_ = cert ? std::make_unique<httplib::SSLServer>(cert, key) : std::make_unique<httplib::Server>();
        auto handler = [this](const httplib::Request& req, httplib::Response& res) {
            std::unique_lock l(mu_);
            Received r{req.path,
                       req.get_header_value("Content-Type"),
                       req.get_header_value("Content-Encoding"),
                       req.get_header_value("User-Agent"),
                       req.get_header_value("Authorization"),
                       req.get_header_value("X-Tenant"),
                       req.body,
                       req.remote_port,
                       Clock::now()};
            received_.push_back(r);
            cv_.notify_all();
            Reply reply = replies_.empty() ? default_reply_ : replies_.front();
            if (!replies_.empty()) replies_.erase(replies_.begin());
            if (reply.hang) cv_.wait_for(l, 10s, [&] { return released_; });
            res.status = reply.status;
            if (!reply.retry_after.empty()) res.set_header("Retry-After", reply.retry_after);
            res.set_content(reply.body, reply.content_type.c_str());
            cv_.notify_all();
        };
        server_->set_keep_alive_timeout(1);  // fast stop() while a client keeps its connection
        server_->set_read_timeout(0, 200000);
        server_->Post("/v1/traces", handler);
        server_->Post("/v1/metrics", handler);
        port_ = port ? (server_->bind_to_port("127.0.0.1", port) ? port : -1) : server_->bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_->listen_after_bind(); });
        while (!server_->is_running()) std::this_thread::sleep_for(1ms);
    }
    ~HttpReceiver()
    {
        {
            std::lock_guard l(mu_);
            released_ = true;
        }
        cv_.notify_all();
        server_->stop();
        thread_.join();
    }
    int port() const { return port_; }
    void reply_next(Reply r)
    {
        std::lock_guard l(mu_);
        replies_.push_back(std::move(r));
    }
    void reply_always(Reply r)
    {
        std::lock_guard l(mu_);
        default_reply_ = std::move(r);
    }
    std::vector<Received> received()
    {
        std::lock_guard l(mu_);
        return received_;
    }
    bool wait_for(size_t n, std::chrono::milliseconds limit = 3000ms)
    {
        std::unique_lock l(mu_);
        return cv_.wait_for(l, limit, [&] { return received_.size() >= n; });
    }

private:
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    int port_ = -1;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Received> received_;
    std::vector<Reply> replies_;
    Reply default_reply_;
    bool released_ = false;
};

TransportOptions http_options(int port, OtlpProtocol protocol = OtlpProtocol::HttpProtobuf,
                              const std::string& path = "/v1/traces")
{
    TransportOptions o;
    o.protocol = protocol;
    o.url = "http://127.0.0.1:" + std::to_string(port) + path;
    o.timeout = 2000ms;
    o.headers = {{"Authorization", "Bearer s3cret"}, {"X-Tenant", "acme"}};
    return o;
}

TraceExporterOptions fast_options()
{
    TraceExporterOptions o;
    o.max_queue_size = 1000;
    o.max_export_batch_size = 100;
    o.batch_timeout = 10s;
    o.shutdown_timeout = 2s;
    o.sender.retry.initial_interval = 20ms;
    o.sender.retry.max_interval = 50ms;
    o.sender.retry.max_elapsed_time = 10s;
    return o;
}

std::unique_ptr<OtlpTraceExporter> exporter(const TransportOptions& t, const MonoClock& clock,
                                            TraceExporterOptions o = fast_options())
{
    std::string err;
    auto transport = make_transport(t, &err);
    EXPECT_TRUE(transport) << err;
    return std::make_unique<OtlpTraceExporter>(std::move(transport), o, clock);
}

std::vector<Span> spans(size_t n)
{
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "web";
    std::vector<Span> v(n);
    for (size_t i = 0; i < n; i++) {
        v[i].method = "GET";
        v[i].path = "/item/" + std::to_string(i);
        v[i].status = 200;
        v[i].service = svc;
        v[i].trace_id.bytes[15] = static_cast<uint8_t>(i + 1);
        v[i].span_id.bytes[7] = static_cast<uint8_t>(i + 1);
        v[i].request_start_ns = v[i].start_ns = 1000;
        v[i].end_ns = 2000;
    }
    return v;
}

size_t spans_in(const std::string& body)
{
    TraceRequest req;
    if (!req.ParseFromString(body)) return 0;
    size_t n = 0;
    for (const auto& rs : req.resource_spans())
        for (const auto& ss : rs.scope_spans()) n += static_cast<size_t>(ss.spans_size());
    return n;
}

TEST(OtlpHttp, ProtobufBodyHeadersAndPath)
{
    HttpReceiver rx;
    MonoClock clock;
    auto e = exporter(http_options(rx.port()), clock);
    e->export_spans(spans(5));
    ASSERT_TRUE(e->flush(3s));
    auto got = rx.received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].path, "/v1/traces");
    EXPECT_EQ(got[0].content_type, "application/x-protobuf");
    EXPECT_EQ(got[0].content_encoding, "");
    EXPECT_EQ(got[0].authorization, "Bearer s3cret");
    EXPECT_EQ(got[0].tenant, "acme");
    EXPECT_EQ(got[0].user_agent.rfind("OTel-OTLP-Exporter-obi-cpp/", 0), 0u) << got[0].user_agent;
    EXPECT_EQ(spans_in(got[0].body), 5u);
    auto st = e->stats();
    EXPECT_EQ(st.exported, 5u);
    EXPECT_EQ(st.bytes_sent, got[0].body.size());
}

TEST(OtlpHttp, JsonBody)
{
    HttpReceiver rx;
    MonoClock clock;
    auto e = exporter(http_options(rx.port(), OtlpProtocol::HttpJson), clock);
    e->export_spans(spans(2));
    ASSERT_TRUE(e->flush(3s));
    auto got = rx.received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].content_type, "application/json");
    auto j = nlohmann::json::parse(got[0].body);
    const auto& s = j["resourceSpans"][0]["scopeSpans"][0]["spans"];
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0]["traceId"], "00000000000000000000000000000001");
    EXPECT_EQ(s[1]["spanId"], "0000000000000002");
    EXPECT_EQ(s[0]["kind"], 2);
}

TEST(OtlpHttp, GzipBody)
{
    HttpReceiver rx;
    MonoClock clock;
    auto t = http_options(rx.port());
    t.compression = Compression::Gzip;
    auto e = exporter(t, clock);
    e->export_spans(spans(50));
    ASSERT_TRUE(e->flush(3s));
    auto got = rx.received();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].content_encoding, "gzip");
    // The receiver inflated the body (it is valid gzip) and it decodes.
    EXPECT_EQ(spans_in(got[0].body), 50u);
    EXPECT_LT(e->stats().bytes_sent, got[0].body.size() / 2);  // what went on the wire was compressed
}

TEST(OtlpHttp, RetryAfterOn503IsHonoured)
{
    HttpReceiver rx;
    rx.reply_next({503, "1", "", "text/plain", false});
    MonoClock clock;
    auto e = exporter(http_options(rx.port()), clock);
    e->export_spans(spans(3));
    ASSERT_TRUE(e->flush(4s));
    auto got = rx.received();
    ASSERT_EQ(got.size(), 2u);
    auto gap = got[1].at - got[0].at;
    EXPECT_GE(gap, 990ms);
    EXPECT_LT(gap, 1800ms);
    auto st = e->stats();
    EXPECT_EQ(st.errors["http_503"], 1u);
    EXPECT_EQ(st.exported, 3u);
    EXPECT_EQ(spans_in(got[1].body), 3u);
}

TEST(OtlpHttp, Retries429And502WithBackoff)
{
    HttpReceiver rx;
    rx.reply_next({429, "", "", "text/plain", false});
    rx.reply_next({502, "", "", "text/plain", false});
    rx.reply_next({504, "", "", "text/plain", false});
    MonoClock clock;
    auto e = exporter(http_options(rx.port()), clock);
    e->export_spans(spans(3));
    ASSERT_TRUE(e->flush(3s));
    auto got = rx.received();
    ASSERT_EQ(got.size(), 4u);
    for (size_t i = 1; i < got.size(); i++) EXPECT_GE(got[i].at - got[i - 1].at, 9ms);  // >= 50 % of 20 ms
    auto st = e->stats();
    EXPECT_EQ(st.errors["http_429"], 1u);
    EXPECT_EQ(st.errors["http_502"], 1u);
    EXPECT_EQ(st.errors["http_504"], 1u);
    EXPECT_EQ(st.exported, 3u);
    EXPECT_EQ(st.attempts, 4u);
}

TEST(OtlpHttp, BadRequestIsNotRetried)
{
    HttpReceiver rx;
    rx.reply_always({400, "1", "bad payload", "text/plain", false});
    MonoClock clock;
    auto e = exporter(http_options(rx.port()), clock);
    e->export_spans(spans(4));
    ASSERT_TRUE(e->flush(3s));
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(rx.received().size(), 1u);
    auto st = e->stats();
    EXPECT_EQ(st.failed, 4u);
    EXPECT_EQ(st.exported, 0u);
    EXPECT_EQ(st.errors["http_400"], 1u);
}

TEST(OtlpHttp, PartialSuccess)
{
    HttpReceiver rx;
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse resp;
    resp.mutable_partial_success()->set_rejected_spans(2);
    resp.mutable_partial_success()->set_error_message("2 spans too old");
    rx.reply_always({200, "", resp.SerializeAsString(), "application/x-protobuf", false});
    MonoClock clock;
    auto e = exporter(http_options(rx.port()), clock);
    e->export_spans(spans(6));
    ASSERT_TRUE(e->flush(3s));
    auto st = e->stats();
    EXPECT_EQ(st.exported, 4u);
    EXPECT_EQ(st.rejected, 2u);
    EXPECT_EQ(st.failed, 0u);
}

TEST(OtlpHttp, HangingReceiverTimesOutAndIsRetried)
{
    HttpReceiver rx;
    rx.reply_next({200, "", "", "application/x-protobuf", true});
    MonoClock clock;
    auto t = http_options(rx.port());
    t.timeout = 200ms;
    auto e = exporter(t, clock);
    auto t0 = Clock::now();
    e->export_spans(spans(2));
    ASSERT_TRUE(e->flush(3s));
    EXPECT_GE(Clock::now() - t0, 190ms);
    auto st = e->stats();
    EXPECT_EQ(st.errors["timeout"], 1u);
    EXPECT_EQ(st.exported, 2u);
}

TEST(OtlpHttp, ShutdownWithinTimeoutAgainstAHangingReceiver)
{
    HttpReceiver rx;
    rx.reply_always({200, "", "", "application/x-protobuf", true});
    MonoClock clock;
    auto t = http_options(rx.port());
    t.timeout = 10s;
    auto e = exporter(t, clock);
    e->export_spans(spans(7));
    e->flush(0ms);  // wake the sender: the request goes out and hangs
    ASSERT_TRUE(rx.wait_for(1));
    auto t0 = Clock::now();
    e->shutdown(300ms);
    auto took = Clock::now() - t0;
    EXPECT_GE(took, 290ms);
    EXPECT_LT(took, 800ms);
    auto st = e->stats();
    EXPECT_EQ(st.failed, 7u);
    EXPECT_EQ(st.exported, 0u);
}

TEST(OtlpHttp, ReceiverDownThenUpResumes)
{
    int port;
    {
        HttpReceiver probe;  // find a free port, then close it
        port = probe.port();
    }
    MonoClock clock;
    auto o = fast_options();
    o.max_queue_size = 200;
    o.max_export_batch_size = 50;
    auto e = exporter(http_options(port), clock, o);
    for (int i = 0; i < 20; i++) e->export_spans(spans(50));  // 1000 spans, 250 fit
    std::this_thread::sleep_for(150ms);
    auto st = e->stats();
    EXPECT_GE(st.errors["connect"], 2u);
    EXPECT_EQ(st.exported, 0u);
    EXPECT_LE(st.queue_length, 200u);
    EXPECT_GE(st.dropped, 750u);
    HttpReceiver rx(port);
    ASSERT_EQ(rx.port(), port);
    ASSERT_TRUE(e->flush(3s));
    st = e->stats();
    EXPECT_EQ(st.exported + st.dropped, 1000u);
    EXPECT_EQ(st.failed, 0u);
    size_t received = 0;
    for (const auto& r : rx.received()) received += spans_in(r.body);
    EXPECT_EQ(received, st.exported);
    e.reset();  // close the kept-alive connection before the receiver stops
}

TEST(OtlpHttp, OneConnectionIsReused)
{
    HttpReceiver rx;
    MonoClock clock;
    auto o = fast_options();
    o.max_export_batch_size = 10;
    auto e = exporter(http_options(rx.port()), clock, o);
    e->export_spans(spans(40));
    ASSERT_TRUE(e->flush(3s));
    auto got = rx.received();
    ASSERT_EQ(got.size(), 4u);
    for (const auto& r : got) EXPECT_EQ(r.remote_port, got[0].remote_port);
}

metrics::Snapshot small_snapshot()
{
    metrics::Snapshot s;
    metrics::ResourceMetrics rm;
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "web";
    rm.service = svc;
    metrics::MetricData m;
    m.name = "http.server.request.duration";
    m.unit = "s";
    m.kind = metrics::MetricKind::Histogram;
    metrics::DataPoint p;
    metrics::HistogramPoint h;
    h.bounds = {0.1};
    h.counts = {1, 1};
    h.count = 2;
    h.sum = 0.3;
    p.value = h;
    m.points.push_back(p);
    rm.metrics.push_back(m);
    s.resources.push_back(rm);
    return s;
}

TEST(OtlpHttp, MetricsExport)
{
    for (auto protocol : {OtlpProtocol::HttpProtobuf, OtlpProtocol::HttpJson}) {
        HttpReceiver rx;
        std::string err;
        MetricsExporterOptions o;
        o.interval = 50ms;
        OtlpMetricsExporter e(make_transport(http_options(rx.port(), protocol, "/v1/metrics"), &err), small_snapshot, o);
        ASSERT_TRUE(rx.wait_for(2));
        e.shutdown(1s);
        auto got = rx.received();
        ASSERT_GE(got.size(), 3u);  // periodic ones plus the final export
        EXPECT_EQ(got[0].path, "/v1/metrics");
        if (protocol == OtlpProtocol::HttpProtobuf) {
            MetricsRequest req;
            ASSERT_TRUE(req.ParseFromString(got[0].body));
            const auto& m = req.resource_metrics(0).scope_metrics(0).metrics(0);
            EXPECT_EQ(m.name(), "http.server.request.duration");
            EXPECT_EQ(m.histogram().data_points(0).count(), 2u);
        } else {
            auto j = nlohmann::json::parse(got[0].body);
            const auto& m = j["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0];
            EXPECT_EQ(m["histogram"]["dataPoints"][0]["count"], "2");
            EXPECT_EQ(m["histogram"]["aggregationTemporality"], 2);
        }
        EXPECT_EQ(e.stats().exported, got.size());
    }
}

// A self-signed certificate for 127.0.0.1 made with the openssl command line tool.
struct TempCert {
    std::string dir, cert, key;
    bool ok = false;
    TempCert()
    {
        char tmpl[] = "/tmp/otlp-tls-XXXXXX";
        if (!mkdtemp(tmpl)) return;
        dir = tmpl;
        cert = dir + "/cert.pem";
        key = dir + "/key.pem";
        std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + cert +
                          " -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
                          ">/dev/null 2>&1";
        ok = std::system(cmd.c_str()) == 0;
    }
    ~TempCert()
    {
        if (!dir.empty()) std::filesystem::remove_all(dir);
    }
};

TEST(OtlpHttp, Tls)
{
    TempCert tc;
    if (!tc.ok) GTEST_SKIP() << "openssl command not available";
    HttpReceiver rx(0, tc.cert.c_str(), tc.key.c_str());
    MonoClock clock;
    auto base = http_options(rx.port());
    base.url = "https://127.0.0.1:" + std::to_string(rx.port()) + "/v1/traces";
    base.plaintext = false;

    auto o = fast_options();
    o.sender.retry.max_elapsed_time = 30ms;  // fail fast for the untrusted case
    {  // untrusted self-signed certificate: refused
        auto e = exporter(base, clock, o);
        e->export_spans(spans(1));
        e->flush(2s);
        EXPECT_EQ(e->stats().exported, 0u);
        EXPECT_GE(e->stats().errors["tls"], 1u);
    }
    {  // insecure_skip_verify
        auto t = base;
        t.skip_verify = true;
        auto e = exporter(t, clock, o);
        e->export_spans(spans(1));
        ASSERT_TRUE(e->flush(2s));
        EXPECT_EQ(e->stats().exported, 1u);
    }
    {  // trusted through OTEL_EXPORTER_OTLP_CERTIFICATE
        auto t = base;
        t.ca_file = tc.cert;
        auto e = exporter(t, clock, o);
        e->export_spans(spans(1));
        ASSERT_TRUE(e->flush(2s));
        EXPECT_EQ(e->stats().exported, 1u);
    }
}

}  // namespace
}  // namespace obi::otlp
