// Micro benchmarks of the HTTP/1 hot path: head parsing, classification, chunked scanning,
// the route heuristic and pattern matching. Inputs are copies of captured bytes
// (tests/data/http1) with the capturing peer named.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "protocols/http1/chunked_scanner.h"
#include "protocols/http1/classify.h"
#include "protocols/http1/request_head.h"
#include "protocols/http1/response_head.h"
#include "routes/heuristic.h"
#include "routes/route_matcher.h"

using namespace obi;

namespace {

// curl 7.88.1 (req_curl_traceparent.bin)
constexpr std::string_view kCurlRequest =
    "GET /api/hello.world HTTP/1.1\r\nHost: 127.0.0.1:18901\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
    "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n";

// A browser-sized head (Chrome-style header set, 13 fields, about 800 bytes).
constexpr std::string_view kBrowserRequest =
    "GET /v1/products/22?page=2&sort=price HTTP/1.1\r\nHost: shop.example.com\r\nConnection: keep-alive\r\n"
    "sec-ch-ua: \"Chromium\";v=\"118\", \"Google Chrome\";v=\"118\", \"Not=A?Brand\";v=\"99\"\r\n"
    "sec-ch-ua-mobile: ?0\r\nsec-ch-ua-platform: \"Linux\"\r\nUpgrade-Insecure-Requests: 1\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 "
    "Safari/537.36\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8\r\n"
    "Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Dest: document\r\n"
    "Accept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n"
    "Cookie: session=3f2a9c1e7b; theme=dark; consent=yes; cart=17\r\n\r\n";

// nginx 1.22.1 (resp_nginx_api.bin, head only)
constexpr std::string_view kNginxResponse =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sun, 22 Nov 2026 01:48:53 GMT\r\nContent-Type: text/plain\r\n"
    "Content-Length: 3\r\nConnection: keep-alive\r\n\r\n";

// Node 20 (resp_node_chunked.bin, body only)
constexpr std::string_view kNodeChunkedBody = "6\r\nfirst,\r\n7\r\nsecond,\r\n4\r\nlast\r\n0\r\n\r\n";

void BM_ParseRequestHeadCurl(benchmark::State& state)
{
    http1::RequestHead h;
    for (auto _ : state) {
        auto st = http1::parse_request_head(kCurlRequest, h);
        benchmark::DoNotOptimize(st);
        benchmark::DoNotOptimize(h);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kCurlRequest.size()));
}
BENCHMARK(BM_ParseRequestHeadCurl);

void BM_ParseRequestHeadBrowser(benchmark::State& state)
{
    http1::RequestHead h;
    for (auto _ : state) {
        auto st = http1::parse_request_head(kBrowserRequest, h);
        benchmark::DoNotOptimize(st);
        benchmark::DoNotOptimize(h);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBrowserRequest.size()));
}
BENCHMARK(BM_ParseRequestHeadBrowser);

void BM_ParseResponseHeadNginx(benchmark::State& state)
{
    http1::ResponseHead h;
    for (auto _ : state) {
        auto st = http1::parse_response_head(kNginxResponse, h);
        benchmark::DoNotOptimize(st);
        benchmark::DoNotOptimize(h);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kNginxResponse.size()));
}
BENCHMARK(BM_ParseResponseHeadNginx);

void BM_RejectTlsClientHello(benchmark::State& state)
{
    const std::string hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    http1::RequestHead h;
    for (auto _ : state) benchmark::DoNotOptimize(http1::parse_request_head(hello, h));
}
BENCHMARK(BM_RejectTlsClientHello);

void BM_LooksLikeRequest(benchmark::State& state)
{
    for (auto _ : state) {
        benchmark::DoNotOptimize(http1::looks_like_request(kCurlRequest));
        benchmark::DoNotOptimize(http1::looks_like_response(kNginxResponse));
    }
}
BENCHMARK(BM_LooksLikeRequest);

void BM_ChunkedScanNode(benchmark::State& state)
{
    for (auto _ : state) {
        http1::ChunkedScanner s;
        benchmark::DoNotOptimize(s.feed(kNodeChunkedBody));
        benchmark::DoNotOptimize(s.body_bytes());
    }
}
BENCHMARK(BM_ChunkedScanNode);

void BM_HeuristicRoute(benchmark::State& state)
{
    const std::string_view path = "/users/fdklsd/j4elk/23993/job/2";
    std::string out;
    for (auto _ : state) {
        routes::heuristic_route(path, '*', out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_HeuristicRoute);

void BM_HeuristicRouteWords(benchmark::State& state)
{
    const std::string_view path = "/api/v1/customers/orders/items?page=2";
    std::string out;
    for (auto _ : state) {
        routes::heuristic_route(path, '*', out);
        benchmark::DoNotOptimize(out.data());
    }
}
BENCHMARK(BM_HeuristicRouteWords);

void BM_RouteMatcher20Patterns(benchmark::State& state)
{
    std::vector<std::string> patterns;
    for (const char* p : {"/users", "/users/{id}", "/users/{id}/orders", "/users/{id}/orders/:order", "/products",
                          "/products/{id}", "/products/{id}/reviews", "/cart", "/cart/items/{id}", "/checkout",
                          "/search", "/login", "/logout", "/health", "/metrics", "/static/*", "/api/v1/*",
                          "/admin/{section}/{id}", "/basic/:rnd", "/files/img*"}) {
        patterns.emplace_back(p);
    }
    auto m = routes::RouteMatcher::compile(patterns);
    const std::string_view path = "/users/42/orders/7?expand=items";
    for (auto _ : state) benchmark::DoNotOptimize(m->match(path));
}
BENCHMARK(BM_RouteMatcher20Patterns);

}  // namespace
