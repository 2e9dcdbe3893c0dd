// Retry classification (HTTP statuses, gRPC codes, Retry-After, RetryInfo), the backoff
// schedule, gzip, and the HTTP response classification with partial success.
#include <gtest/gtest.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "export/otlp/backoff.h"
#include "export/otlp/classify.h"
#include "export/otlp/gzip.h"
#include "export/otlp/http_transport.h"

namespace obi::otlp {
namespace {

using namespace std::chrono_literals;

TEST(OtlpClassify, HttpStatuses)
{
    for (long s : {429L, 502L, 503L, 504L}) EXPECT_TRUE(http_status_retryable(s)) << s;
    for (long s : {400L, 401L, 403L, 404L, 405L, 413L, 415L, 500L, 501L}) EXPECT_FALSE(http_status_retryable(s)) << s;
}

TEST(OtlpClassify, GrpcCodes)
{
    for (int c : {1, 4, 10, 11, 14, 15}) EXPECT_TRUE(grpc_code_retryable(c, false)) << c;
    for (int c : {2, 3, 5, 6, 7, 9, 12, 13, 16}) EXPECT_FALSE(grpc_code_retryable(c, false)) << c;
    EXPECT_FALSE(grpc_code_retryable(8, false));  // RESOURCE_EXHAUSTED without RetryInfo
    EXPECT_TRUE(grpc_code_retryable(8, true));
    EXPECT_EQ(grpc_code_reason(14), "grpc_unavailable");
    EXPECT_EQ(grpc_code_reason(3), "grpc_invalid_argument");
    EXPECT_EQ(grpc_code_reason(99), "grpc_99");
}

TEST(OtlpClassify, RetryAfter)
{
    EXPECT_EQ(parse_retry_after("7", 0), 7000ms);
    EXPECT_EQ(parse_retry_after(" 0 ", 0), 0ms);
    EXPECT_FALSE(parse_retry_after("", 0));
    EXPECT_FALSE(parse_retry_after("soon", 0));
    EXPECT_FALSE(parse_retry_after("-3", 0));
    // HTTP-date: Sun, 06 Nov 1994 08:49:37 GMT is 784111777.
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7000ms);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111800), 0ms);  // in the past
}

// google.rpc.Status {code=14, message, details=[Any{RetryInfo{Duration{seconds, nanos}}}]}
std::string status_with_retry_info(int64_t seconds, int32_t nanos, const std::string& type_url)
{
    using google::protobuf::io::CodedOutputStream;
    using google::protobuf::io::StringOutputStream;
    auto encode = [](auto&& fill) {
        std::string out;
        {
            StringOutputStream sos(&out);
            CodedOutputStream cos(&sos);
            fill(cos);
        }
        return out;
    };
    auto ld = [](CodedOutputStream& c, uint32_t field, const std::string& v) {
        c.WriteTag(field << 3 | 2);
        c.WriteVarint32(static_cast<uint32_t>(v.size()));
        c.WriteString(v);
    };
    std::string duration = encode([&](CodedOutputStream& c) {
        c.WriteTag(1 << 3);
        c.WriteVarint64(static_cast<uint64_t>(seconds));
        c.WriteTag(2 << 3);
        c.WriteVarint32(static_cast<uint32_t>(nanos));
    });
    std::string retry_info = encode([&](CodedOutputStream& c) { ld(c, 1, duration); });
    std::string any = encode([&](CodedOutputStream& c) {
        ld(c, 1, type_url);
        ld(c, 2, retry_info);
    });
    return encode([&](CodedOutputStream& c) {
        c.WriteTag(1 << 3);
        c.WriteVarint32(14);
        ld(c, 2, "busy");
        ld(c, 3, any);
    });
}

TEST(OtlpClassify, RetryInfoAndStatusMessage)
{
    std::string st = status_with_retry_info(2, 500'000'000, "type.googleapis.com/google.rpc.RetryInfo");
    EXPECT_EQ(parse_retry_info(st), 2500ms);
    EXPECT_EQ(rpc_status_message(st), "busy");
    EXPECT_FALSE(parse_retry_info(status_with_retry_info(2, 0, "type.googleapis.com/google.rpc.DebugInfo")));
    EXPECT_FALSE(parse_retry_info(""));
    EXPECT_FALSE(parse_retry_info("\xff\xff\xff"));
    EXPECT_EQ(rpc_status_message("garbage\xff"), "");
}

TEST(OtlpClassify, HttpResponses)
{
    HttpTransport::Response r;
    r.status = 200;
    EXPECT_EQ(classify_http_response(r, false, true).outcome, Outcome::Success);

    opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse ok;
    ok.mutable_partial_success()->set_rejected_spans(3);
    ok.mutable_partial_success()->set_error_message("too old");
    r.body = ok.SerializeAsString();
    SendResult s = classify_http_response(r, false, true);
    EXPECT_EQ(s.outcome, Outcome::Success);
    EXPECT_EQ(s.rejected, 3);
    EXPECT_EQ(s.partial_message, "too old");

    r.body = R"({"partialSuccess":{"rejectedDataPoints":"5","errorMessage":"dup"}})";
    s = classify_http_response(r, true, false);
    EXPECT_EQ(s.rejected, 5);
    EXPECT_EQ(s.partial_message, "dup");

    r.status = 503;
    r.body.clear();
    r.retry_after = "3";
    s = classify_http_response(r, false, true);
    EXPECT_EQ(s.outcome, Outcome::Retryable);
    EXPECT_EQ(s.reason, "http_503");
    EXPECT_EQ(s.retry_after, 3000ms);

    r.status = 400;
    r.content_type = "application/x-protobuf";
    r.body = status_with_retry_info(0, 0, "x");
    s = classify_http_response(r, false, true);
    EXPECT_EQ(s.outcome, Outcome::Permanent);
    EXPECT_EQ(s.message, "HTTP 400: busy");
    EXPECT_FALSE(s.retry_after);  // never honoured on a permanent error
}

TEST(OtlpBackoff, GrowsWithJitterUpToTheCap)
{
    RetryPolicy p;
    p.initial_interval = 100ms;
    p.max_interval = 400ms;
    Backoff b(p, 42);
    // Intervals: 100, 150, 225, 337.5, 400, 400 ...; each delay within +-50 %.
    const double base[] = {100, 150, 225, 337.5, 400, 400, 400};
    for (double ms : base) {
        double d = std::chrono::duration<double, std::milli>(b.next()).count();
        EXPECT_GE(d, ms * 0.5 - 0.001);
        EXPECT_LE(d, ms * 1.5 + 0.001);
    }
    b.reset();
    EXPECT_LE(b.next(), 150ms);

    p.randomization = 0;
    Backoff exact(p);
    EXPECT_EQ(exact.next(), 100ms);
    EXPECT_EQ(exact.next(), 150ms);
}

TEST(OtlpGzip, RoundTrip)
{
    std::string data;
    for (int i = 0; i < 1000; i++) data += "span " + std::to_string(i) + ";";
    std::string gz = gzip_compress(data);
    ASSERT_GE(gz.size(), 10u);
    EXPECT_EQ(static_cast<uint8_t>(gz[0]), 0x1f);  // gzip magic
    EXPECT_EQ(static_cast<uint8_t>(gz[1]), 0x8b);
    EXPECT_LT(gz.size(), data.size() / 3);
    EXPECT_EQ(gzip_decompress(gz), data);
    EXPECT_FALSE(gzip_decompress(gz.substr(0, gz.size() / 2)));
    EXPECT_EQ(gzip_decompress(gzip_compress("")), "");
}

}  // namespace
}  // namespace obi::otlp
