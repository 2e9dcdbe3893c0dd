// Micro benchmarks of OTLP export: encoding cost per span (protobuf with and without an
// arena, OTLP/JSON) and end-to-end spans/s through the HTTP and gRPC exporters to an
// in-process receiver on loopback (receiver on the same 2 cores, so a lower bound).
#include <benchmark/benchmark.h>

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include <google/protobuf/arena.h>

#include "export/otlp/json_encoder.h"
#include "export/otlp/trace_encoder.h"
#include "export/otlp/trace_exporter.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

using namespace obi;
using namespace obi::otlp;

namespace {

// A typical server span: 11 attributes, one of a handful of services.
std::vector<Span> sample_spans(size_t n)
{
    std::vector<ServicePtr> services;
    for (int i = 0; i < 4; i++) {
        auto s = std::make_shared<ServiceInfo>();
        s->name = "service-" + std::to_string(i);
        s->instance_id = "node1:" + std::to_string(1000 + i);
        s->sdk_language = "python";
        s->host_name = "node1";
        s->host_id = "0123456789abcdef";
        services.push_back(s);
    }
    std::vector<Span> v(n);
    for (size_t i = 0; i < n; i++) {
        Span& s = v[i];
        s.method = "GET";
        s.path = "/api/users/" + std::to_string(i);
        s.route = "/api/users/{id}";
        s.status = 200;
        s.request_body_size = 0;
        s.response_body_size = 512;
        s.peer = "10.0.0.2";
        s.peer_port = 40000;
        s.host = "10.0.0.1";
        s.host_port = 8080;
        s.request_start_ns = s.start_ns = 1'000'000 + i;
        s.end_ns = 2'000'000 + i;
        s.trace_id = random_trace_id();
        s.span_id = random_span_id();
        s.service = services[i % services.size()];
    }
    return v;
}

void BM_EncodeProtobuf(benchmark::State& state)
{
    auto spans = sample_spans(static_cast<size_t>(state.range(0)));
    MonoClock clock;
    size_t bytes = 0;
    for (auto _ : state) {
        TraceRequest req;
        encode_traces(spans, clock, &req);
        std::string out = req.SerializeAsString();
        bytes = out.size();
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.counters["ns_per_span"] = benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                                                       benchmark::Counter::kIsRate | benchmark::Counter::kInvert,
                                                       benchmark::Counter::kIs1000);
    state.counters["bytes_per_span"] = static_cast<double>(bytes) / static_cast<double>(state.range(0));
}
BENCHMARK(BM_EncodeProtobuf)->Arg(4096)->Unit(benchmark::kMillisecond);

void BM_EncodeProtobufArena(benchmark::State& state)
{
    auto spans = sample_spans(static_cast<size_t>(state.range(0)));
    MonoClock clock;
    for (auto _ : state) {
        google::protobuf::ArenaOptions o;
        o.start_block_size = 64 * 1024;
        o.max_block_size = 1024 * 1024;
        google::protobuf::Arena arena(o);
        auto* req = google::protobuf::Arena::CreateMessage<TraceRequest>(&arena);
        encode_traces(spans, clock, req);
        std::string out = req->SerializeAsString();
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.counters["ns_per_span"] = benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                                                       benchmark::Counter::kIsRate | benchmark::Counter::kInvert,
                                                       benchmark::Counter::kIs1000);
}
BENCHMARK(BM_EncodeProtobufArena)->Arg(4096)->Unit(benchmark::kMillisecond);

void BM_EncodeJson(benchmark::State& state)
{
    auto spans = sample_spans(static_cast<size_t>(state.range(0)));
    MonoClock clock;
    TraceRequest req;
    encode_traces(spans, clock, &req);
    size_t bytes = 0;
    for (auto _ : state) {
        std::string out = to_otlp_json(req);
        bytes = out.size();
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.counters["ns_per_span"] = benchmark::Counter(static_cast<double>(state.iterations() * state.range(0)),
                                                       benchmark::Counter::kIsRate | benchmark::Counter::kInvert,
                                                       benchmark::Counter::kIs1000);
    state.counters["bytes_per_span"] = static_cast<double>(bytes) / static_cast<double>(state.range(0));
}
BENCHMARK(BM_EncodeJson)->Arg(4096)->Unit(benchmark::kMillisecond);  // JSON only (on top of protobuf encoding)

// Pushes `total` spans through an exporter in pipeline-sized batches and waits for them.
void push_through(benchmark::State& state, std::unique_ptr<Transport> transport, bool* ok)
{
    const size_t total = 65536, chunk = 1024;
    auto spans = sample_spans(chunk);
    MonoClock clock;
    TraceExporterOptions o;
    o.max_queue_size = 16384;
    o.max_export_batch_size = 4096;
    o.batch_timeout = std::chrono::milliseconds(5);
    OtlpTraceExporter e(std::move(transport), o, clock);
    for (auto _ : state) {
        for (size_t sent = 0; sent < total; sent += chunk) {
            while (e.stats().queue_length + chunk > o.max_queue_size) std::this_thread::yield();  // no drops
            e.export_spans(spans);
        }
        *ok = e.flush(std::chrono::seconds(30));
    }
    auto st = e.stats();
    state.SetItemsProcessed(static_cast<int64_t>(st.exported));
    state.counters["spans_per_s"] = benchmark::Counter(static_cast<double>(st.exported), benchmark::Counter::kIsRate);
    state.counters["wire_bytes_per_span"] = static_cast<double>(st.bytes_sent) / static_cast<double>(st.exported);
    state.counters["dropped"] = static_cast<double>(st.dropped + st.failed);
}

void BM_HttpExportThroughput(benchmark::State& state)
{
    httplib::Server server;
    std::atomic<uint64_t> bodies{0};
    server.Post("/v1/traces", [&](const httplib::Request& req, httplib::Response& res) {
        bodies += req.body.size();
        res.set_content("", "application/x-protobuf");
    });
    int port = server.bind_to_any_port("127.0.0.1");
    std::thread t([&] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    {
        TransportOptions opts;
        opts.protocol = config::OtlpProtocol::HttpProtobuf;
        opts.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
        opts.compression = state.range(0) ? Compression::Gzip : Compression::None;
        std::string err;
        bool ok = false;
        push_through(state, make_transport(opts, &err), &ok);
        if (!ok) state.SkipWithError("flush timed out");
    }
    server.stop();
    t.join();
}
BENCHMARK(BM_HttpExportThroughput)->Arg(0)->Arg(1)->ArgName("gzip")->Unit(benchmark::kMillisecond)->UseRealTime();

class NullTraceService final : public opentelemetry::proto::collector::trace::v1::TraceService::Service {
    grpc::Status Export(grpc::ServerContext*, const TraceRequest*,
                        opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse*) override
    {
        return grpc::Status::OK;
    }
};

void BM_GrpcExportThroughput(benchmark::State& state)
{
    NullTraceService svc;
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(&svc);
    auto server = b.BuildAndStart();
    {
        TransportOptions opts;
        opts.protocol = config::OtlpProtocol::Grpc;
        opts.url = "127.0.0.1:" + std::to_string(port);
        std::string err;
        bool ok = false;
        push_through(state, make_transport(opts, &err), &ok);
        if (!ok) state.SkipWithError("flush timed out");
    }
    server->Shutdown();
}
BENCHMARK(BM_GrpcExportThroughput)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
