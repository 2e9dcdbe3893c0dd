// OTLP/gRPC end to end: the exporters and the grpc++ transport against in-process
// TraceService / MetricsService servers on 127.0.0.1:0 (and a unix socket) that record
// requests and metadata and answer with scripted status codes, RetryInfo, partial
// success or delays; TLS with a throwaway self-signed certificate.
#include <gtest/gtest.h>

#include <grpcpp/grpcpp.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "export/otlp/grpc_transport.h"
#include "export/otlp/metrics_exporter.h"
#include "export/otlp/trace_exporter.h"

namespace obi::otlp {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace coltrace = opentelemetry::proto::collector::trace::v1;
namespace colmetrics = opentelemetry::proto::collector::metrics::v1;

struct Call {
    std::map<std::string, std::string> metadata;
    size_t items = 0;
    Clock::time_point at;
};

struct Reply {
    grpc::StatusCode code = grpc::StatusCode::OK;
    std::string message;
    std::string details;  // serialized google.rpc.Status
    int64_t rejected = 0;
    std::chrono::milliseconds delay{0};
};

struct Recorder {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<Call> calls;
    std::vector<Reply> script;
    Reply always;
    bool released = false;

    Reply record(grpc::ServerContext* ctx, size_t items)
    {
        std::unique_lock l(mu);
        Call c;
        for (const auto& [k, v] : ctx->client_metadata())
            c.metadata[std::string(k.data(), k.size())] = std::string(v.data(), v.size());
        c.items = items;
        c.at = Clock::now();
        calls.push_back(c);
        cv.notify_all();
        Reply r = script.empty() ? always : script.front();
        if (!script.empty()) script.erase(script.begin());
        if (r.delay.count() > 0) cv.wait_for(l, r.delay, [&] { return released; });
        return r;
    }
    std::vector<Call> snapshot()
    {
        std::lock_guard l(mu);
        return calls;
    }
    bool wait_for(size_t n, std::chrono::milliseconds limit = 3000ms)
    {
        std::unique_lock l(mu);
        return cv.wait_for(l, limit, [&] { return calls.size() >= n; });
    }
};

grpc::Status status_of(const Reply& r)
{
    if (r.code == grpc::StatusCode::OK) return grpc::Status::OK;
    return grpc::Status(r.code, r.message, r.details);
}

class TraceSvc final : public coltrace::TraceService::Service {
public:
    explicit TraceSvc(Recorder& r) : rec_(r) {}
    grpc::Status Export(grpc::ServerContext* ctx, const coltrace::ExportTraceServiceRequest* req,
                        coltrace::ExportTraceServiceResponse* resp) override
    {
        size_t n = 0;
        for (const auto& rs : req->resource_spans())
            for (const auto& ss : rs.scope_spans()) n += static_cast<size_t>(ss.spans_size());
        Reply r = rec_.record(ctx, n);
        if (r.rejected) {
            resp->mutable_partial_success()->set_rejected_spans(r.rejected);
            resp->mutable_partial_success()->set_error_message("some spans were refused");
        }
        return status_of(r);
    }

private:
    Recorder& rec_;
};

class MetricsSvc final : public colmetrics::MetricsService::Service {
public:
    explicit MetricsSvc(Recorder& r) : rec_(r) {}
    grpc::Status Export(grpc::ServerContext* ctx, const colmetrics::ExportMetricsServiceRequest* req,
                        colmetrics::ExportMetricsServiceResponse*) override
    {
        size_t n = 0;
        for (const auto& rm : req->resource_metrics())
            for (const auto& sm : rm.scope_metrics())
                for (const auto& m : sm.metrics()) n += static_cast<size_t>(m.histogram().data_points_size());
        return status_of(rec_.record(ctx, n));
    }

private:
    Recorder& rec_;
};

class GrpcReceiver {
public:
    explicit GrpcReceiver(std::string address = "127.0.0.1:0",
                          std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials())
        : traces_(rec), metrics_(rec)
    {
        grpc::ServerBuilder b;
        b.AddListeningPort(address, creds, &port_);
        b.RegisterService(&traces_);
        b.RegisterService(&metrics_);
        server_ = b.BuildAndStart();
    }
    ~GrpcReceiver()
    {
        {
            std::lock_guard l(rec.mu);
            rec.released = true;
        }
        rec.cv.notify_all();
        if (server_) server_->Shutdown(std::chrono::system_clock::now() + 200ms);
    }
    int port() const { return port_; }
    bool ok() const { return server_ != nullptr; }
    Recorder rec;

private:
    TraceSvc traces_;
    MetricsSvc metrics_;
    std::unique_ptr<grpc::Server> server_;
    int port_ = 0;
};

TransportOptions grpc_options(const std::string& target)
{
    TransportOptions o;
    o.protocol = config::OtlpProtocol::Grpc;
    o.url = target;
    o.plaintext = true;
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
        v[i].path = "/";
        v[i].status = 200;
        v[i].service = svc;
        v[i].span_id.bytes[7] = static_cast<uint8_t>(i + 1);
        v[i].request_start_ns = v[i].start_ns = 1000;
        v[i].end_ns = 2000;
    }
    return v;
}

std::string local(int port) { return "127.0.0.1:" + std::to_string(port); }

// google.rpc.Status with one RetryInfo detail.
std::string retry_info_status(int64_t millis)
{
    using google::protobuf::io::CodedOutputStream;
    using google::protobuf::io::StringOutputStream;
    auto encode = [](auto&& fill) {
        std::string out;
        {
            StringOutputStream sos(&out);
            CodedOutputStream c(&sos);
            fill(c);
        }
        return out;
    };
    auto ld = [](CodedOutputStream& c, uint32_t f, const std::string& v) {
        c.WriteTag(f << 3 | 2);
        c.WriteVarint32(static_cast<uint32_t>(v.size()));
        c.WriteString(v);
    };
    std::string duration = encode([&](CodedOutputStream& c) {
        c.WriteTag(1 << 3);
        c.WriteVarint64(static_cast<uint64_t>(millis / 1000));
        c.WriteTag(2 << 3);
        c.WriteVarint32(static_cast<uint32_t>((millis % 1000) * 1000000));
    });
    std::string info = encode([&](CodedOutputStream& c) { ld(c, 1, duration); });
    std::string any = encode([&](CodedOutputStream& c) {
        ld(c, 1, "type.googleapis.com/google.rpc.RetryInfo");
        ld(c, 2, info);
    });
    return encode([&](CodedOutputStream& c) { ld(c, 3, any); });
}

TEST(OtlpGrpc, DeliversWithMetadata)
{
    GrpcReceiver rx;
    ASSERT_TRUE(rx.ok());
    MonoClock clock;
    auto e = exporter(grpc_options(local(rx.port())), clock);
    e->export_spans(spans(5));
    ASSERT_TRUE(e->flush(3s));
    auto calls = rx.rec.snapshot();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].items, 5u);
    EXPECT_EQ(calls[0].metadata["authorization"], "Bearer s3cret");
    EXPECT_EQ(calls[0].metadata["x-tenant"], "acme");
    EXPECT_EQ(calls[0].metadata["user-agent"].rfind("OTel-OTLP-Exporter-obi-cpp/", 0), 0u) << calls[0].metadata["user-agent"];
    auto st = e->stats();
    EXPECT_EQ(st.exported, 5u);
    EXPECT_EQ(st.batches_sent, 1u);
    EXPECT_GT(st.bytes_sent, 0u);
}

// Forwards one TCP connection to `upstream_port` and counts the client's bytes, to see
// what compression does on the wire (gRPC strips grpc-encoding before the handler).
class CountingProxy {
public:
    explicit CountingProxy(int upstream_port) : upstream_(upstream_port)
    {
        listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
        socklen_t len = sizeof(a);
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        listen(listen_fd_, 4);
        thread_ = std::thread([this] { run(); });
    }
    ~CountingProxy()
    {
        stop_ = true;
        thread_.join();
        close(listen_fd_);
    }
    int port() const { return port_; }
    uint64_t client_bytes() const { return client_bytes_; }

private:
    void run()
    {
        pollfd lp{listen_fd_, POLLIN, 0};
        while (!stop_ && poll(&lp, 1, 20) <= 0) {}
        if (stop_) return;
        int c = accept(listen_fd_, nullptr, nullptr);
        int u = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<uint16_t>(upstream_));
        connect(u, reinterpret_cast<sockaddr*>(&a), sizeof(a));
        char buf[65536];
        while (!stop_) {
            pollfd p[2] = {{c, POLLIN, 0}, {u, POLLIN, 0}};
            if (poll(p, 2, 20) <= 0) continue;
            if (p[0].revents) {
                ssize_t n = read(c, buf, sizeof(buf));
                if (n <= 0) break;
                client_bytes_ += static_cast<uint64_t>(n);
                if (write(u, buf, static_cast<size_t>(n)) != n) break;
            }
            if (p[1].revents) {
                ssize_t n = read(u, buf, sizeof(buf));
                if (n <= 0 || write(c, buf, static_cast<size_t>(n)) != n) break;
            }
        }
        close(c);
        close(u);
    }
    int upstream_, listen_fd_ = -1, port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> client_bytes_{0};
    std::thread thread_;
};

TEST(OtlpGrpc, GzipShrinksTheWireBytes)
{
    GrpcReceiver rx;
    MonoClock clock;
    uint64_t wire[2];
    for (int gz = 0; gz < 2; gz++) {
        CountingProxy proxy(rx.port());
        auto t = grpc_options(local(proxy.port()));
        t.compression = gz ? Compression::Gzip : Compression::None;
        auto e = exporter(t, clock);
        e->export_spans(spans(100));
        ASSERT_TRUE(e->flush(3s));
        EXPECT_EQ(e->stats().exported, 100u);
        e.reset();
        wire[gz] = proxy.client_bytes();
    }
    auto calls = rx.rec.snapshot();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls[1].items, 100u);  // the server inflated it
    EXPECT_LT(wire[1] * 3, wire[0]) << "plain " << wire[0] << " gzip " << wire[1];
}

TEST(OtlpGrpc, UnavailableIsRetriedHonouringRetryInfo)
{
    GrpcReceiver rx;
    rx.rec.script.push_back({grpc::StatusCode::UNAVAILABLE, "busy", retry_info_status(300), 0, 0ms});
    rx.rec.script.push_back({grpc::StatusCode::ABORTED, "again", "", 0, 0ms});
    MonoClock clock;
    auto e = exporter(grpc_options(local(rx.port())), clock);
    e->export_spans(spans(3));
    ASSERT_TRUE(e->flush(3s));
    auto calls = rx.rec.snapshot();
    ASSERT_EQ(calls.size(), 3u);
    EXPECT_GE(calls[1].at - calls[0].at, 295ms);
    EXPECT_LT(calls[1].at - calls[0].at, 1000ms);
    EXPECT_LT(calls[2].at - calls[1].at, 200ms);  // plain backoff: 20 ms +- 50 %
    auto st = e->stats();
    EXPECT_EQ(st.errors["grpc_unavailable"], 1u);
    EXPECT_EQ(st.errors["grpc_aborted"], 1u);
    EXPECT_EQ(st.exported, 3u);
}

TEST(OtlpGrpc, PermanentCodesAreNotRetried)
{
    for (auto code : {grpc::StatusCode::INVALID_ARGUMENT, grpc::StatusCode::UNAUTHENTICATED,
                      grpc::StatusCode::RESOURCE_EXHAUSTED /* without RetryInfo */}) {
        GrpcReceiver rx;
        rx.rec.always = {code, "no", "", 0, 0ms};
        MonoClock clock;
        auto e = exporter(grpc_options(local(rx.port())), clock);
        e->export_spans(spans(4));
        ASSERT_TRUE(e->flush(3s));
        std::this_thread::sleep_for(60ms);
        EXPECT_EQ(rx.rec.snapshot().size(), 1u) << code;
        EXPECT_EQ(e->stats().failed, 4u);
        EXPECT_EQ(e->stats().errors.size(), 1u);
    }
}

TEST(OtlpGrpc, ResourceExhaustedWithRetryInfoIsRetried)
{
    GrpcReceiver rx;
    rx.rec.script.push_back({grpc::StatusCode::RESOURCE_EXHAUSTED, "slow down", retry_info_status(50), 0, 0ms});
    MonoClock clock;
    auto e = exporter(grpc_options(local(rx.port())), clock);
    e->export_spans(spans(2));
    ASSERT_TRUE(e->flush(3s));
    EXPECT_EQ(rx.rec.snapshot().size(), 2u);
    EXPECT_EQ(e->stats().exported, 2u);
    EXPECT_EQ(e->stats().errors["grpc_resource_exhausted"], 1u);
}

TEST(OtlpGrpc, PartialSuccess)
{
    GrpcReceiver rx;
    rx.rec.always.rejected = 1;
    MonoClock clock;
    auto e = exporter(grpc_options(local(rx.port())), clock);
    e->export_spans(spans(4));
    ASSERT_TRUE(e->flush(3s));
    EXPECT_EQ(e->stats().exported, 3u);
    EXPECT_EQ(e->stats().rejected, 1u);
}

TEST(OtlpGrpc, DeadlineExceededIsRetried)
{
    GrpcReceiver rx;
    rx.rec.script.push_back({grpc::StatusCode::OK, "", "", 0, 1000ms});  // slower than the timeout
    MonoClock clock;
    auto t = grpc_options(local(rx.port()));
    t.timeout = 150ms;
    auto e = exporter(t, clock);
    e->export_spans(spans(2));
    ASSERT_TRUE(e->flush(3s));
    EXPECT_EQ(e->stats().errors["grpc_deadline_exceeded"], 1u);
    EXPECT_EQ(e->stats().exported, 2u);
}

TEST(OtlpGrpc, ServerDownThenUpResumes)
{
    int port;
    {
        GrpcReceiver probe;
        port = probe.port();
    }
    MonoClock clock;
    auto e = exporter(grpc_options(local(port)), clock);
    e->export_spans(spans(10));
    e->flush(0ms);  // wake the sender
    std::this_thread::sleep_for(150ms);
    EXPECT_GE(e->stats().errors["grpc_unavailable"], 1u);
    EXPECT_EQ(e->stats().exported, 0u);
    GrpcReceiver rx(local(port));
    ASSERT_EQ(rx.port(), port);
    ASSERT_TRUE(e->flush(8s));
    EXPECT_EQ(e->stats().exported, 10u);
    EXPECT_EQ(rx.rec.snapshot().back().items, 10u);
}

TEST(OtlpGrpc, ShutdownCancelsAHangingCall)
{
    GrpcReceiver rx;
    rx.rec.always.delay = 10s;
    MonoClock clock;
    auto t = grpc_options(local(rx.port()));
    t.timeout = 10s;
    auto e = exporter(t, clock);
    e->export_spans(spans(6));
    e->flush(0ms);
    ASSERT_TRUE(rx.rec.wait_for(1));
    auto t0 = Clock::now();
    e->shutdown(250ms);
    auto took = Clock::now() - t0;
    EXPECT_GE(took, 240ms);
    EXPECT_LT(took, 800ms);
    EXPECT_EQ(e->stats().failed, 6u);
}

TEST(OtlpGrpc, UnixSocket)
{
    std::string path = "/tmp/otlp-grpc-test-" + std::to_string(getpid()) + ".sock";
    GrpcReceiver rx("unix:" + path);
    ASSERT_TRUE(rx.ok());
    MonoClock clock;
    auto e = exporter(grpc_options("unix://" + path), clock);
    e->export_spans(spans(2));
    ASSERT_TRUE(e->flush(3s));
    EXPECT_EQ(e->stats().exported, 2u);
    e.reset();
    unlink(path.c_str());
}

TEST(OtlpGrpc, Targets)
{
    EXPECT_EQ(grpc_target("collector:4317"), "collector:4317");
    EXPECT_EQ(grpc_target("unix:///run/otlp.sock"), "unix:/run/otlp.sock");
    EXPECT_EQ(grpc_target("unix://@otlp"), "unix-abstract:otlp");
}

TEST(OtlpGrpc, Metrics)
{
    GrpcReceiver rx;
    metrics::Snapshot snap;
    metrics::ResourceMetrics rm;
    metrics::MetricData m;
    m.name = "http.server.request.duration";
    m.kind = metrics::MetricKind::Histogram;
    metrics::DataPoint p;
    metrics::HistogramPoint h;
    h.bounds = {1};
    h.counts = {1, 0};
    h.count = 1;
    p.value = h;
    m.points = {p, p, p};
    rm.metrics.push_back(m);
    snap.resources.push_back(rm);
    MetricsExporterOptions o;
    o.interval = 40ms;
    std::string err;
    OtlpMetricsExporter e(make_transport(grpc_options(local(rx.port())), &err), [&] { return snap; }, o);
    ASSERT_TRUE(rx.rec.wait_for(2));
    e.shutdown(1s);
    auto calls = rx.rec.snapshot();
    ASSERT_GE(calls.size(), 3u);
    EXPECT_EQ(calls[0].items, 3u);
    EXPECT_EQ(e.stats().exported, 3u * calls.size());
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(OtlpGrpc, Tls)
{
    char tmpl[] = "/tmp/otlp-grpc-tls-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    std::string dir = tmpl, cert = dir + "/cert.pem", key = dir + "/key.pem";
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key + " -out " + cert +
                      " -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) {
        std::filesystem::remove_all(dir);
        GTEST_SKIP() << "openssl command not available";
    }
    grpc::SslServerCredentialsOptions sopts;
    sopts.pem_key_cert_pairs.push_back({read_file(key), read_file(cert)});
    {
        GrpcReceiver rx("127.0.0.1:0", grpc::SslServerCredentials(sopts));
        ASSERT_TRUE(rx.ok());
        MonoClock clock;
        auto base = grpc_options(local(rx.port()));
        base.plaintext = false;
        auto o = fast_options();
        o.sender.retry.max_elapsed_time = 30ms;
        {  // untrusted certificate
            auto e = exporter(base, clock, o);
            e->export_spans(spans(1));
            e->flush(3s);
            EXPECT_EQ(e->stats().exported, 0u);
            EXPECT_GE(e->stats().errors["grpc_unavailable"], 1u);
        }
        {  // insecure_skip_verify
            auto t = base;
            t.skip_verify = true;
            auto e = exporter(t, clock, o);
            e->export_spans(spans(1));
            ASSERT_TRUE(e->flush(3s));
            EXPECT_EQ(e->stats().exported, 1u);
        }
        {  // trusted CA file
            auto t = base;
            t.ca_file = cert;
            auto e = exporter(t, clock, o);
            e->export_spans(spans(1));
            ASSERT_TRUE(e->flush(3s));
            EXPECT_EQ(e->stats().exported, 1u);
        }
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace obi::otlp
