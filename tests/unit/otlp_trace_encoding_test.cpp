// OTLP trace encoding: spans -> ExportTraceServiceRequest -> bytes -> parsed back with the
// generated classes; every field checked (resource, scope, ids, flags, kind, status,
// timestamps, typed attributes) plus grouping by service and UTF-8 repair.
#include <gtest/gtest.h>

#include <map>

#include "export/otlp/common_encoder.h"
#include "export/otlp/trace_encoder.h"
#include "spans/attributes.h"

namespace obi::otlp {
namespace {

namespace pbt = opentelemetry::proto::trace::v1;
namespace pbc = opentelemetry::proto::common::v1;

ServicePtr make_service(const std::string& name, const std::string& ns = "")
{
    auto s = std::make_shared<ServiceInfo>();
    s->name = name;
    s->namespace_ = ns;
    s->instance_id = "node1:4242";
    s->sdk_language = "python";
    s->host_name = "node1";
    s->host_id = "abc123";
    s->pid = 4242;
    s->resource_attributes["deployment.environment"] = "prod";
    return s;
}

template <size_t N>
std::array<uint8_t, N> seq(uint8_t first)
{
    std::array<uint8_t, N> a{};
    for (size_t i = 0; i < N; i++) a[i] = static_cast<uint8_t>(first + i);
    return a;
}

Span server_span(ServicePtr svc)
{
    Span s;
    s.type = SpanType::HTTP;
    s.method = "GET";
    s.path = "/basic/123";
    s.query = "delay=30ms";
    s.route = "/basic/*";
    s.status = 503;
    s.request_body_size = 10;
    s.response_body_size = 2048;
    s.request_start_ns = 1'000'000'000;
    s.start_ns = 1'000'000'500;
    s.end_ns = 1'250'000'000;
    s.peer = "10.0.0.2";
    s.peer_port = 51000;
    s.host = "10.0.0.1";
    s.host_port = 8080;
    s.trace_id.bytes = seq<16>(1);
    s.span_id.bytes = seq<8>(0x21);
    s.trace_flags = 1;
    s.service = std::move(svc);
    return s;
}

std::map<std::string, pbc::AnyValue> attr_map(const google::protobuf::RepeatedPtrField<pbc::KeyValue>& kvs)
{
    std::map<std::string, pbc::AnyValue> m;
    for (const auto& kv : kvs) m[kv.key()] = kv.value();
    return m;
}

TraceRequest round_trip(const std::vector<Span>& spans, const MonoClock& clock)
{
    TraceRequest req;
    encode_traces(spans, clock, &req);
    std::string bytes = req.SerializeAsString();
    TraceRequest parsed;
    EXPECT_TRUE(parsed.ParseFromString(bytes));
    return parsed;
}

TEST(OtlpTraceEncoding, ServerSpanEveryField)
{
    MonoClock clock;
    auto svc = make_service("checkout", "shop");
    Span s = server_span(svc);
    TraceRequest req = round_trip({s}, clock);

    ASSERT_EQ(req.resource_spans_size(), 1);
    const auto& rs = req.resource_spans(0);
    auto res = attr_map(rs.resource().attributes());
    EXPECT_EQ(res["service.name"].string_value(), "checkout");
    EXPECT_EQ(res["service.namespace"].string_value(), "shop");
    EXPECT_EQ(res["service.instance.id"].string_value(), "node1:4242");
    EXPECT_EQ(res["telemetry.sdk.language"].string_value(), "python");
    EXPECT_EQ(res["telemetry.sdk.name"].string_value(), "opentelemetry");
    EXPECT_EQ(res["telemetry.sdk.version"].string_value(), agent_version());
    EXPECT_EQ(res["telemetry.distro.name"].string_value(), "opentelemetry-ebpf-instrumentation");
    EXPECT_EQ(res["host.name"].string_value(), "node1");
    EXPECT_EQ(res["host.id"].string_value(), "abc123");
    EXPECT_EQ(res["os.type"].string_value(), "linux");
    EXPECT_EQ(res["deployment.environment"].string_value(), "prod");
    // The resource holds exactly what resource_attributes() lists, in that order.
    auto expected = resource_attributes(*svc);
    ASSERT_EQ(rs.resource().attributes_size(), static_cast<int>(expected.size()));
    for (size_t i = 0; i < expected.size(); i++) EXPECT_EQ(rs.resource().attributes(static_cast<int>(i)).key(), expected[i].key);

    ASSERT_EQ(rs.scope_spans_size(), 1);
    EXPECT_EQ(rs.scope_spans(0).scope().name(), "go.opentelemetry.io/obi");
    EXPECT_EQ(rs.scope_spans(0).scope().version(), agent_version());
    ASSERT_EQ(rs.scope_spans(0).spans_size(), 1);
    const pbt::Span& p = rs.scope_spans(0).spans(0);

    EXPECT_EQ(p.trace_id(), std::string(reinterpret_cast<const char*>(s.trace_id.bytes.data()), 16));
    EXPECT_EQ(p.span_id(), std::string(reinterpret_cast<const char*>(s.span_id.bytes.data()), 8));
    EXPECT_TRUE(p.parent_span_id().empty());
    EXPECT_EQ(p.flags(), 0x101u);  // sampled, parent-remoteness known: no parent
    EXPECT_EQ(p.name(), "GET /basic/*");
    EXPECT_EQ(p.kind(), pbt::Span::SPAN_KIND_SERVER);
    EXPECT_EQ(p.start_time_unix_nano(), clock.to_unix_ns(1'000'000'000));  // request start, not handler start
    EXPECT_EQ(p.end_time_unix_nano(), clock.to_unix_ns(1'250'000'000));
    EXPECT_GT(p.start_time_unix_nano(), 1'600'000'000ull * 1'000'000'000ull);  // Unix time, not monotonic
    EXPECT_EQ(p.status().code(), pbt::Status::STATUS_CODE_ERROR);  // server 503
    EXPECT_EQ(p.status().message(), "");
    EXPECT_TRUE(p.trace_state().empty());
    EXPECT_EQ(p.events_size(), 0);
    EXPECT_EQ(p.links_size(), 0);

    auto a = attr_map(p.attributes());
    EXPECT_EQ(a["http.request.method"].string_value(), "GET");
    ASSERT_EQ(a["http.response.status_code"].value_case(), pbc::AnyValue::kIntValue);
    EXPECT_EQ(a["http.response.status_code"].int_value(), 503);
    EXPECT_EQ(a["url.path"].string_value(), "/basic/123");
    EXPECT_EQ(a["url.query"].string_value(), "delay=30ms");
    EXPECT_EQ(a["url.scheme"].string_value(), "http");
    EXPECT_EQ(a["client.address"].string_value(), "10.0.0.2");
    EXPECT_EQ(a["server.address"].string_value(), "10.0.0.1");
    ASSERT_EQ(a["server.port"].value_case(), pbc::AnyValue::kIntValue);
    EXPECT_EQ(a["server.port"].int_value(), 8080);
    EXPECT_EQ(a["http.request.body.size"].int_value(), 10);
    EXPECT_EQ(a["http.response.body.size"].int_value(), 2048);
    EXPECT_EQ(a["http.route"].string_value(), "/basic/*");
    EXPECT_EQ(p.attributes_size(), static_cast<int>(span_attributes(s).size()));
}

TEST(OtlpTraceEncoding, ClientSpanKindStatusAndUrl)
{
    MonoClock clock;
    Span s = server_span(make_service("svc"));
    s.type = SpanType::HTTPClient;
    s.status = 404;
    s.route = "";
    s.host_header = "api.example.com";
    s.host_header_port = 8080;
    TraceRequest req = round_trip({s}, clock);
    const auto& p = req.resource_spans(0).scope_spans(0).spans(0);
    EXPECT_EQ(p.kind(), pbt::Span::SPAN_KIND_CLIENT);
    EXPECT_EQ(p.status().code(), pbt::Status::STATUS_CODE_ERROR);  // client 404
    EXPECT_EQ(p.name(), "GET");
    auto a = attr_map(p.attributes());
    EXPECT_EQ(a["url.full"].string_value(), s.url_full());
    EXPECT_EQ(a["server.address"].string_value(), "api.example.com");
    EXPECT_EQ(a.count("client.address"), 0u);

    s.status = 200;
    req = round_trip({s}, clock);
    EXPECT_EQ(req.resource_spans(0).scope_spans(0).spans(0).status().code(), pbt::Status::STATUS_CODE_UNSET);
}

TEST(OtlpTraceEncoding, FlagsAndRemoteParent)
{
    MonoClock clock;
    auto svc = make_service("svc");
    // Server span that joined an incoming traceparent: the parent is remote.
    Span remote = server_span(svc);
    remote.parent_span_id.bytes = seq<8>(0x41);
    remote.trace_from_remote = true;
    remote.trace_flags = 0;  // the caller did not sample
    EXPECT_TRUE(parent_is_remote(remote));
    EXPECT_EQ(span_flags(remote), 0x300u);

    // Client span whose parent is this agent's own server span (local), in a trace that
    // started remotely: the parent is not remote.
    Span child = server_span(svc);
    child.type = SpanType::HTTPClient;
    child.parent_span_id = remote.span_id;
    child.trace_from_remote = true;
    child.trace_flags = 1;
    EXPECT_FALSE(parent_is_remote(child));
    EXPECT_EQ(span_flags(child), 0x101u);

    // Root span: no parent at all.
    Span root = server_span(svc);
    EXPECT_EQ(span_flags(root), 0x101u);

    TraceRequest req = round_trip({remote, child, root}, clock);
    const auto& spans = req.resource_spans(0).scope_spans(0).spans();
    ASSERT_EQ(spans.size(), 3);
    EXPECT_EQ(spans[0].flags(), 0x300u);
    EXPECT_EQ(spans[0].parent_span_id(), std::string(reinterpret_cast<const char*>(remote.parent_span_id.bytes.data()), 8));
    EXPECT_EQ(spans[1].flags(), 0x101u);
    EXPECT_EQ(spans[1].parent_span_id(), spans[0].span_id());
    EXPECT_EQ(spans[2].flags(), 0x101u);
    EXPECT_EQ(spans[2].flags() & 0xff, 1u);
}

TEST(OtlpTraceEncoding, OneResourcePerServiceInFirstSeenOrder)
{
    MonoClock clock;
    auto a = make_service("a"), b = make_service("b");
    std::vector<Span> spans = {server_span(a), server_span(b), server_span(a), server_span(b), server_span(a)};
    for (size_t i = 0; i < spans.size(); i++) spans[i].span_id.bytes[7] = static_cast<uint8_t>(i);
    TraceRequest req = round_trip(spans, clock);
    ASSERT_EQ(req.resource_spans_size(), 2);
    EXPECT_EQ(attr_map(req.resource_spans(0).resource().attributes())["service.name"].string_value(), "a");
    EXPECT_EQ(attr_map(req.resource_spans(1).resource().attributes())["service.name"].string_value(), "b");
    ASSERT_EQ(req.resource_spans(0).scope_spans(0).spans_size(), 3);
    ASSERT_EQ(req.resource_spans(1).scope_spans(0).spans_size(), 2);
    EXPECT_EQ(req.resource_spans(0).scope_spans(0).spans(1).span_id()[7], 2);  // order kept within a service
}

TEST(OtlpTraceEncoding, SameNameDifferentInstancesStaySeparate)
{
    MonoClock clock;
    auto a1 = make_service("web"), a2 = make_service("web");
    std::const_pointer_cast<ServiceInfo>(a2)->instance_id = "node1:5000";
    TraceRequest req = round_trip({server_span(a1), server_span(a2)}, clock);
    ASSERT_EQ(req.resource_spans_size(), 2);
}

TEST(OtlpTraceEncoding, InvalidUtf8IsRepaired)
{
    MonoClock clock;
    Span s = server_span(make_service("svc"));
    s.path = std::string("/caf\xc3", 5) + "\xff/x";
    TraceRequest req;
    encode_traces(std::vector<Span>{s}, clock, &req);
    auto a = attr_map(req.resource_spans(0).scope_spans(0).spans(0).attributes());
    EXPECT_EQ(a["url.path"].string_value(), "/caf\xef\xbf\xbd\xef\xbf\xbd/x");
    EXPECT_TRUE(valid_utf8(a["url.path"].string_value()));
    // A receiver with UTF-8 validation (proto3 strings) accepts the whole request.
    TraceRequest parsed;
    EXPECT_TRUE(parsed.ParseFromString(req.SerializeAsString()));
}

TEST(OtlpTraceEncoding, Utf8Validation)
{
    EXPECT_TRUE(valid_utf8("plain ascii"));
    EXPECT_TRUE(valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
    EXPECT_FALSE(valid_utf8("\xc0\xaf"));                               // overlong '/'
    EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));                           // surrogate
    EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));                       // > U+10FFFF
    EXPECT_FALSE(valid_utf8("\xe2\x82"));                               // truncated
    EXPECT_EQ(to_utf8("a\xe2\x82" "b"), "a\xef\xbf\xbd\xef\xbf\xbd" "b");
}

TEST(OtlpTraceEncoding, EmptyBatchAndMissingService)
{
    MonoClock clock;
    TraceRequest req;
    encode_traces(std::vector<Span>{}, clock, &req);
    EXPECT_EQ(req.resource_spans_size(), 0);
    Span s = server_span(nullptr);
    encode_traces(std::vector<Span>{s}, clock, &req);
    ASSERT_EQ(req.resource_spans_size(), 1);
    EXPECT_FALSE(attr_map(req.resource_spans(0).resource().attributes())["service.name"].string_value().empty());
}

}  // namespace
}  // namespace obi::otlp
