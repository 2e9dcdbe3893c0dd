// OTLP/JSON golden cases: hex trace/span ids (not base64), enums as integers, 64-bit
// integers as strings, lowerCamelCase keys, defaults omitted, oneof zero values kept.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "export/otlp/json_encoder.h"
#include "export/otlp/metrics_encoder.h"
#include "export/otlp/trace_encoder.h"

namespace obi::otlp {
namespace {

namespace pbt = opentelemetry::proto::trace::v1;
namespace pbm = opentelemetry::proto::metrics::v1;

std::string bytes(std::initializer_list<uint8_t> b) { return std::string(b.begin(), b.end()); }

TEST(OtlpJson, TraceGolden)
{
    TraceRequest req;
    auto* rs = req.add_resource_spans();
    auto* kv = rs->mutable_resource()->add_attributes();
    kv->set_key("service.name");
    kv->mutable_value()->set_string_value("checkout");
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("go.opentelemetry.io/obi");
    ss->mutable_scope()->set_version("0.1.0");
    auto* s = ss->add_spans();
    s->set_trace_id(bytes({0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c}));
    s->set_span_id(bytes({0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74}));
    s->set_parent_span_id(bytes({0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07}));
    s->set_name("GET /users/{id}");
    s->set_kind(pbt::Span::SPAN_KIND_SERVER);
    s->set_start_time_unix_nano(1544712660000000000ull);
    s->set_end_time_unix_nano(1544712661000000000ull);
    auto* a1 = s->add_attributes();
    a1->set_key("http.response.status_code");
    a1->mutable_value()->set_int_value(200);
    auto* a2 = s->add_attributes();
    a2->set_key("http.request.method");
    a2->mutable_value()->set_string_value("GET");
    auto* a3 = s->add_attributes();
    a3->set_key("zero");
    a3->mutable_value()->set_int_value(0);  // a set oneof member is written even at 0
    s->mutable_status()->set_code(pbt::Status::STATUS_CODE_ERROR);
    s->set_flags(0x301);

    const std::string expected =
        R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},)"
        R"("scopeSpans":[{"scope":{"name":"go.opentelemetry.io/obi","version":"0.1.0"},"spans":[{)"
        R"("traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"0001020304050607",)"
        R"("name":"GET /users/{id}","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",)"
        R"("attributes":[{"key":"http.response.status_code","value":{"intValue":"200"}},)"
        R"({"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"zero","value":{"intValue":"0"}}],)"
        R"("status":{"code":2},"flags":769}]}]}]})";
    EXPECT_EQ(to_otlp_json(req), expected);
}

TEST(OtlpJson, MetricsGolden)
{
    MetricsRequest req;
    auto* sm = req.add_resource_metrics()->add_scope_metrics();
    auto* sum = sm->add_metrics();
    sum->set_name("calls");
    sum->set_unit("1");
    sum->mutable_sum()->set_aggregation_temporality(pbm::AGGREGATION_TEMPORALITY_CUMULATIVE);
    sum->mutable_sum()->set_is_monotonic(true);
    auto* np = sum->mutable_sum()->add_data_points();
    np->set_time_unix_nano(2);
    np->set_as_int(42);
    auto* h = sm->add_metrics();
    h->set_name("d");
    h->mutable_histogram()->set_aggregation_temporality(pbm::AGGREGATION_TEMPORALITY_DELTA);
    auto* hp = h->mutable_histogram()->add_data_points();
    hp->set_count(3);
    hp->set_sum(0);  // optional: present at 0
    hp->add_bucket_counts(1);
    hp->add_bucket_counts(2);
    hp->add_explicit_bounds(0.005);
    hp->set_min(0.001);
    hp->set_max(2.5);
    auto* e = sm->add_metrics();
    e->set_name("e");
    e->mutable_exponential_histogram()->set_aggregation_temporality(pbm::AGGREGATION_TEMPORALITY_CUMULATIVE);
    auto* ep = e->mutable_exponential_histogram()->add_data_points();
    ep->set_scale(-2);
    ep->set_zero_count(1);
    ep->mutable_positive()->set_offset(-3);
    ep->mutable_positive()->add_bucket_counts(7);
    auto* g = sm->add_metrics();
    g->set_name("g");
    g->mutable_gauge()->add_data_points()->set_as_double(-1.5);

    const std::string expected =
        R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[)"
        R"({"name":"calls","unit":"1","sum":{"dataPoints":[{"timeUnixNano":"2","asInt":"42"}],"aggregationTemporality":2,"isMonotonic":true}},)"
        R"({"name":"d","histogram":{"dataPoints":[{"count":"3","sum":0,"bucketCounts":["1","2"],"explicitBounds":[0.005],"min":0.001,"max":2.5}],"aggregationTemporality":1}},)"
        R"({"name":"e","exponentialHistogram":{"dataPoints":[{"scale":-2,"zeroCount":"1","positive":{"offset":-3,"bucketCounts":["7"]}}],"aggregationTemporality":2}},)"
        R"({"name":"g","gauge":{"dataPoints":[{"asDouble":-1.5}]}}]}]}]})";
    EXPECT_EQ(to_otlp_json(req), expected);
}

TEST(OtlpJson, EscapesSpecialValuesAndBase64)
{
    pbm::NumberDataPoint p;
    p.set_as_double(std::nan(""));
    EXPECT_EQ(to_otlp_json(p), R"({"asDouble":"NaN"})");
    p.set_as_double(-INFINITY);
    EXPECT_EQ(to_otlp_json(p), R"({"asDouble":"-Infinity"})");

    opentelemetry::proto::common::v1::KeyValue kv;
    kv.set_key("q\"\\\n\x01/é");
    kv.mutable_value()->set_bytes_value(bytes({0xff, 0x00, 0x10, 0x41}));  // not an id: base64
    EXPECT_EQ(to_otlp_json(kv), "{\"key\":\"q\\\"\\\\\\n\\u0001/é\",\"value\":{\"bytesValue\":\"/wAQQQ==\"}}");
    kv.mutable_value()->set_bytes_value(bytes({0x01, 0x02}));
    EXPECT_EQ(to_otlp_json(kv.value()), R"({"bytesValue":"AQI="})");
    kv.mutable_value()->set_double_value(0);
    EXPECT_EQ(to_otlp_json(kv.value()), R"({"doubleValue":0})");
    kv.mutable_value()->set_bool_value(false);
    EXPECT_EQ(to_otlp_json(kv.value()), R"({"boolValue":false})");
}

TEST(OtlpJson, ExemplarAndLinkIdsAreHex)
{
    pbm::Exemplar ex;
    ex.set_span_id(bytes({0xab, 0xcd, 0, 0, 0, 0, 0, 1}));
    ex.set_trace_id(bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}));
    EXPECT_EQ(to_otlp_json(ex), R"({"spanId":"abcd000000000001","traceId":"0102030405060708090a0b0c0d0e0f10"})");
    pbt::Span::Link link;
    link.set_trace_id(bytes({0xff}));
    link.set_flags(0x100);
    EXPECT_EQ(to_otlp_json(link), R"({"traceId":"ff","flags":256})");
}

TEST(OtlpJson, EncodedSpansParseAsJson)
{
    MonoClock clock;
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "svc";
    Span s;
    s.method = "POST";
    s.path = "/x";
    s.status = 201;
    s.request_start_ns = s.start_ns = 100;
    s.end_ns = 200;
    s.trace_id.bytes = {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    s.span_id.bytes = {0, 0, 0, 0, 0, 0, 0, 2};
    s.service = svc;
    TraceRequest req;
    encode_traces(std::vector<Span>{s}, clock, &req);
    auto j = nlohmann::json::parse(to_otlp_json(req));
    const auto& span = j["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    EXPECT_EQ(span["traceId"], "deadbeef000000000000000000000001");
    EXPECT_EQ(span["spanId"], "0000000000000002");
    EXPECT_FALSE(span.contains("parentSpanId"));
    EXPECT_EQ(span["kind"], 2);
    EXPECT_EQ(span["flags"], 0x101);
    EXPECT_EQ(span["startTimeUnixNano"], std::to_string(clock.to_unix_ns(100)));
    EXPECT_FALSE(span["status"].contains("code"));  // UNSET is the default: an empty status
    bool found = false;
    for (const auto& a : span["attributes"])
        if (a["key"] == "http.response.status_code") {
            EXPECT_EQ(a["value"]["intValue"], "201");
            found = true;
        }
    EXPECT_TRUE(found);
}

}  // namespace
}  // namespace obi::otlp
