// Trace printer renderings (text line, JSON fields), Go duration formatting and the span
// naming, kind, status and attribute rules they show.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "export/printer/go_format.h"
#include "export/printer/trace_printer.h"
#include "spans/attributes.h"

using namespace obi;
using obi::printer::go_duration;


TEST(GoDuration, MatchesGoFormatting)
{
    EXPECT_EQ(go_duration(0), "0s");
    EXPECT_EQ(go_duration(850), "850ns");
    EXPECT_EQ(go_duration(25000), "25µs");
    EXPECT_EQ(go_duration(25100), "25.1µs");
    EXPECT_EQ(go_duration(1234567), "1.234567ms");
    EXPECT_EQ(go_duration(1500000000), "1.5s");
    EXPECT_EQ(go_duration(123500000000), "2m3.5s");
    EXPECT_EQ(go_duration(3600000000000), "1h0m0s");
    EXPECT_EQ(go_duration(-1000), "-1µs");
}

TEST(SpanRules, NamesKindsAndStatus)
{
    Span s;
    s.method = "POST";
    EXPECT_EQ(s.name(), "POST");
    s.route = "/orders";
    EXPECT_EQ(s.name(), "POST /orders");
    s.type = SpanType::HTTP;
    s.status = 404;
    EXPECT_EQ(s.kind(), SpanKind::Server);
    EXPECT_EQ(s.status_code(), StatusCode::Unset);
    s.status = 503;
    EXPECT_EQ(s.status_code(), StatusCode::Error);
    s.status = 0;
    EXPECT_EQ(s.status_code(), StatusCode::Error);
    s.type = SpanType::HTTPClient;
    s.status = 404;
    EXPECT_EQ(s.kind(), SpanKind::Client);
    EXPECT_EQ(s.status_code(), StatusCode::Error);
    s.status = 302;
    EXPECT_EQ(s.status_code(), StatusCode::Unset);
}

TEST(SpanRules, ClientUrlFull)
{
    Span s;
    s.type = SpanType::HTTPClient;
    s.path = "/v1/x";
    s.host = "10.1.1.1";
    s.host_port = 9000;
    EXPECT_EQ(s.url_full(), "http://10.1.1.1:9000/v1/x");
    s.host_header = "svc.local";
    s.host_header_port = 80;
    s.query = "a=b";
    EXPECT_EQ(s.url_full(), "http://svc.local/v1/x?a=b");
    s.host_header = "::1";
    s.host_header_port = 8080;
    s.query.clear();
    EXPECT_EQ(s.url_full(), "http://[::1]:8080/v1/x");
}

TEST(TracePrinter, TextLine)
{
    MonoClock clock;
    printer::TracePrinter p(printer::Mode::Text, stdout, clock);
    Span s;
    s.type = SpanType::HTTP;
    s.method = "GET";
    s.path = "/users/42";
    s.status = 200;
    s.response_body_size = 5;
    s.request_start_ns = s.start_ns = 1000000000;
    s.end_ns = 1000250000;
    s.peer = "10.0.0.2";
    s.peer_port = 51000;
    s.host = "10.0.0.1";
    s.host_port = 8080;
    s.trace_id = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")->trace_id;
    s.span_id = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-1111111111111111-01")->parent_id;
    s.parent_span_id = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")->parent_id;
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "shop";
    svc->namespace_ = "prod";
    svc->sdk_language = "python";
    s.service = svc;
    std::string line = p.text_line(s);
    std::string expected_tail =
        " (250µs[250µs]) HTTP 200 GET /users/42 [10.0.0.2 as 10.0.0.2:51000]->[10.0.0.1 as 10.0.0.1.prod:8080] "
        "contentLen:0B responseLen:5B svc=[prod/shop python] "
        "traceparent=[00-0af7651916cd43dd8448eb211c80319c-1111111111111111[b7ad6b7169203331]-01]";
    ASSERT_GT(line.size(), expected_tail.size());
    EXPECT_EQ(line.substr(line.size() - expected_tail.size()), expected_tail);
    EXPECT_EQ(line[4], '-');
    EXPECT_EQ(line[19], '.');  // "2006-01-02 15:04:05.12345"
}

TEST(TracePrinter, JsonCarriesObiFieldsAndOtelAttributes)
{
    MonoClock clock;
    printer::TracePrinter p(printer::Mode::Json, stdout, clock);
    Span s;
    s.type = SpanType::HTTP;
    s.method = "POST";
    s.path = "/echo";
    s.query = "v=1";
    s.route = "/echo";
    s.status = 201;
    s.request_body_size = 10;
    s.response_body_size = 3;
    s.request_start_ns = s.start_ns = 5000;
    s.end_ns = 9000;
    s.peer = "127.0.0.1";
    s.peer_port = 40000;
    s.host = "127.0.0.1";
    s.host_port = 8080;
    s.host_header = "localhost";
    s.pid = 77;
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "echo";
    svc->instance_id = "host1:77";
    svc->sdk_language = "go";
    svc->host_name = "host1";
    svc->host_id = "abc";
    svc->resource_attributes["deployment.environment"] = "prod";
    s.service = svc;
    auto arr = nlohmann::json::parse(p.json_batch({s}, false));
    ASSERT_EQ(arr.size(), 1u);
    const auto& j = arr[0];
    for (const char* f : {"type", "peer", "peerPort", "host", "hostPort", "traceID", "spanID", "parentSpanID", "flags",
                          "peerName", "hostName", "kind", "start", "handlerStart", "end", "duration", "durationUSec",
                          "handlerDuration", "handlerDurationUSec"})
        EXPECT_TRUE(j.contains(f) && j[f].is_string()) << f;
    EXPECT_EQ(j["type"], "HTTP");
    EXPECT_EQ(j["kind"], "SPAN_KIND_SERVER");
    EXPECT_EQ(j["durationUSec"], "4");
    EXPECT_EQ(j["attributes"]["method"], "POST");
    EXPECT_EQ(j["attributes"]["status"], "201");
    EXPECT_EQ(j["attributes"]["url"], "/echo?v=1");
    EXPECT_EQ(j["attributes"]["route"], "/echo");
    EXPECT_EQ(j["name"], "POST /echo");
    EXPECT_EQ(j["statusCode"], "STATUS_CODE_UNSET");
    const auto& a = j["spanAttributes"];
    EXPECT_EQ(a["http.request.method"], "POST");
    EXPECT_EQ(a["http.response.status_code"], 201);
    EXPECT_EQ(a["url.path"], "/echo");
    EXPECT_EQ(a["url.query"], "v=1");
    EXPECT_EQ(a["http.route"], "/echo");
    EXPECT_EQ(a["server.address"], "localhost");
    EXPECT_EQ(a["server.port"], 8080);
    EXPECT_EQ(a["client.address"], "127.0.0.1");
    EXPECT_EQ(a["http.request.body.size"], 10);
    EXPECT_EQ(a["http.response.body.size"], 3);
    const auto& r = j["resource"];
    EXPECT_EQ(r["service.name"], "echo");
    EXPECT_FALSE(r.contains("service.namespace"));
    EXPECT_EQ(r["service.instance.id"], "host1:77");
    EXPECT_EQ(r["telemetry.sdk.language"], "go");
    EXPECT_EQ(r["telemetry.sdk.name"], kSdkName);
    EXPECT_EQ(r["telemetry.distro.name"], kDistroName);
    EXPECT_EQ(r["host.name"], "host1");
    EXPECT_EQ(r["host.id"], "abc");
    EXPECT_EQ(r["os.type"], "linux");
    EXPECT_EQ(r["deployment.environment"], "prod");
}

TEST(TracePrinter, InvalidUtf8NeverThrows)
{
    MonoClock clock;
    printer::TracePrinter p(printer::Mode::Json, stdout, clock);
    Span s;
    s.method = "GET";
    s.path = "/\xff\xfe";
    EXPECT_NO_THROW(p.json_batch({s}, true));
}

TEST(TraceParent, W3CRules)
{
    auto tp = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    ASSERT_TRUE(tp);
    EXPECT_EQ(tp->trace_id.hex(), "0af7651916cd43dd8448eb211c80319c");
    EXPECT_EQ(tp->parent_id.hex(), "b7ad6b7169203331");
    EXPECT_EQ(tp->flags, 1);
    EXPECT_TRUE(parse_traceparent(" 00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-00 "));
    EXPECT_TRUE(parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"));
    for (const char* bad : {"", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0",
                            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
                            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
                            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",
                            "00-0af7651916cd43dd8448eb211c8031zz-b7ad6b7169203331-01"})
        EXPECT_FALSE(parse_traceparent(bad)) << bad;
    EXPECT_TRUE(random_trace_id().valid());
    EXPECT_NE(random_span_id(), random_span_id());
}

TEST(TracePrinter, CounterAndIndentedJson)
{
    MonoClock clock;
    FILE* f = tmpfile();
    ASSERT_NE(f, nullptr);
    Span s;
    s.method = "GET";
    s.path = "/";
    {
        printer::TracePrinter counter(printer::Mode::Counter, f, clock);
        counter.export_spans({s, s});
        counter.export_spans({s});
        printer::TracePrinter indented(printer::Mode::JsonIndent, f, clock);
        indented.export_spans({s});
    }
    rewind(f);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
    fclose(f);
    EXPECT_EQ(out.rfind("Processed 2 requests\nProcessed 3 requests\n[\n  {\n", 0), 0u) << out;
    auto arr = nlohmann::json::parse(out.substr(out.find('[')));
    EXPECT_EQ(arr.size(), 1u);
}
