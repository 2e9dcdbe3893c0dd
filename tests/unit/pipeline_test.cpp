// Pipeline stages: span decoration (service, route, query redaction), dropping rules,
// batching through the export thread, and the service registry.
#include <gtest/gtest.h>

#include <unistd.h>

#include <mutex>
#include <thread>

#include "pipeline/query_stage.h"
#include "pipeline/route_stage.h"
#include "pipeline/span_pipeline.h"

using namespace obi;
using namespace obi::pipeline;

namespace {

struct Capture : SpanExporter {
    std::mutex mu;
    std::vector<Span> got;
    void export_spans(const std::vector<Span>& batch) override
    {
        std::lock_guard l(mu);
        got.insert(got.end(), batch.begin(), batch.end());
    }
};

Span http_span(uint32_t pid, std::string path)
{
    Span s;
    s.type = SpanType::HTTP;
    s.method = "GET";
    s.path = std::move(path);
    s.pid = pid;
    s.request_start_ns = 1;
    s.end_ns = 2;
    return s;
}

// A started pipeline whose one exporter captures what it gets.
struct CapturedPipeline {
    ServiceRegistry reg;
    Capture* got = nullptr;
    std::unique_ptr<SpanPipeline> p;
    explicit CapturedPipeline(PipelineOptions opts = {}, RouteFn routes = nullptr)
    {
        auto cap = std::make_unique<Capture>();
        got = cap.get();
        std::vector<std::unique_ptr<SpanExporter>> ex;
        ex.push_back(std::move(cap));
        p = std::make_unique<SpanPipeline>(opts, reg, std::move(routes), std::move(ex));
        p->start();
    }
    void stop() { p->shutdown(std::chrono::steady_clock::now() + std::chrono::milliseconds(2000)); }
};

}  // namespace

TEST(QueryStage, RedactsSensitiveParametersAndHonoursAddRemove)
{
    config::AttributesConfig cfg;
    cfg.sensitive_query_params_add = {"session"};
    cfg.sensitive_query_params_remove = {"key"};
    QueryStage q(cfg);
    Span s;
    s.query = "token=abc&session=xyz&key=k&page=2";
    q.apply(s);
    EXPECT_EQ(s.query, "token=REDACTED&session=REDACTED&key=k&page=2");
}

TEST(QueryStage, DroppedWhenExcludedFromTraces)
{
    config::AttributesConfig cfg;
    cfg.select["traces"].exclude = {"url.query"};
    QueryStage q(cfg);
    Span s;
    s.query = "a=1";
    q.apply(s);
    EXPECT_TRUE(s.query.empty());
}

TEST(RouteStage, PatternsUnmatchedModesAndIgnored)
{
    config::RoutesConfig cfg;
    cfg.patterns = {"/users/{id}"};
    cfg.ignored_patterns = {"/health"};
    RouteStage r(cfg);
    Span a = http_span(1, "/users/42");
    EXPECT_TRUE(r.apply(a));
    EXPECT_EQ(a.route, "/users/{id}");
    Span b = http_span(1, "/orders/123");
    EXPECT_TRUE(r.apply(b));
    EXPECT_EQ(b.route, "/orders/*");  // heuristic by default
    Span c = http_span(1, "/health");
    EXPECT_FALSE(r.apply(c));

    config::RoutesConfig unset;
    unset.unmatched = config::RouteUnmatched::Unset;
    RouteStage u(unset);
    Span d = http_span(1, "/orders/77");
    EXPECT_TRUE(u.apply(d));
    EXPECT_EQ(d.route, "");
    EXPECT_EQ(d.name(), "GET");
}

TEST(SpanPipeline, DecoratesBatchesAndDrops)
{
    CapturedPipeline cp({}, [](Span& s) { s.route = "/r"; return s.path != "/ignored"; });
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "a";
    cp.reg.put(10, svc);
    SpanPipeline& p = *cp.p;
    p.emit(http_span(10, "/ok"));
    p.emit(http_span(10, "/ignored"));
    p.emit(http_span(99999999, "/unknown-pid"));
    p.emit(http_span(10, "/bad\xff"));
    Span backwards = http_span(10, "/x");
    backwards.end_ns = 0;
    p.emit(std::move(backwards));
    p.flush();
    cp.stop();
    ASSERT_EQ(cp.got->got.size(), 1u);
    EXPECT_EQ(cp.got->got[0].route, "/r");
    EXPECT_EQ(cp.got->got[0].service->name, "a");
    EXPECT_EQ(p.stats().dropped_ignored.load(), 1u);
    EXPECT_EQ(p.stats().dropped_unknown.load(), 1u);  // never registered: counted at shutdown
    EXPECT_EQ(p.stats().dropped_invalid.load(), 2u);
}

// A process traced by the kernel before discovery registered it (provisional: a new exec or
// listener): its first spans wait for its identity instead of being dropped.
TEST(SpanPipeline, HoldsSpansOfAProcessUntilDiscoveryRegistersIt)
{
    PipelineOptions opts;
    opts.unknown_hold = std::chrono::milliseconds(60000);
    CapturedPipeline cp(opts);
    SpanPipeline& p = *cp.p;
    p.emit(http_span(42, "/first"));
    p.emit(http_span(42, "/second"));
    p.flush();  // not registered yet: still held
    EXPECT_EQ(p.stats().dropped_unknown.load(), 0u);
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "late";
    cp.reg.put(42, svc);
    p.emit(http_span(42, "/third"));
    p.flush();
    cp.stop();
    ASSERT_EQ(cp.got->got.size(), 3u);
    std::vector<std::string> paths;
    for (const auto& s : cp.got->got) paths.push_back(s.path);
    EXPECT_EQ(paths, (std::vector<std::string>{"/first", "/second", "/third"}));  // in their order
    EXPECT_EQ(cp.got->got[0].service->name, "late");
    EXPECT_EQ(p.stats().held_unknown.load(), 2u);
    EXPECT_EQ(p.stats().dropped_unknown.load(), 0u);
}

TEST(SpanPipeline, HeldSpansAreBoundedInTimeAndNumber)
{
    PipelineOptions opts;
    opts.unknown_hold = std::chrono::milliseconds(20);
    opts.max_unknown_held = 3;
    CapturedPipeline cp(opts);
    SpanPipeline& p = *cp.p;
    for (int i = 0; i < 5; i++) p.emit(http_span(7, "/x"));
    EXPECT_EQ(p.stats().dropped_unknown.load(), 2u);  // beyond the bound at once
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    p.flush();  // older than the hold: dropped
    EXPECT_EQ(p.stats().dropped_unknown.load(), 5u);
    cp.reg.put(7, std::make_shared<ServiceInfo>());
    p.flush();
    cp.stop();
    EXPECT_TRUE(cp.got->got.empty());
}

TEST(SpanPipeline, FullQueueDropsAndCountsInsteadOfBlocking)
{
    ServiceRegistry reg;
    reg.put(1, std::make_shared<ServiceInfo>());
    SpanPipeline p({4, 8}, reg, nullptr, {});  // export thread not started: nothing drains
    for (int i = 0; i < 20; i++) p.emit(http_span(1, "/x"));
    p.flush();
    EXPECT_LE(p.queued_spans(), 8u);
    EXPECT_EQ(p.stats().dropped_queue.load(), 20u - p.queued_spans());
}

TEST(ServiceRegistry, ChildInheritsParentIdentityAndExitsLinger)
{
    ServiceRegistry reg;
    auto parent = std::make_shared<ServiceInfo>();
    parent->name = "tests";
    parent->instance_id = "host:1";
    reg.put(static_cast<uint32_t>(getppid()), parent);
    auto me = reg.find_or_inherit(static_cast<uint32_t>(getpid()));
    ASSERT_TRUE(me);
    EXPECT_EQ(me->name, "tests");
    EXPECT_EQ(me->instance_id, "host:" + std::to_string(getpid()));
    reg.mark_exited(static_cast<uint32_t>(getpid()), 100);
    reg.purge(105, 10);
    EXPECT_TRUE(reg.find(static_cast<uint32_t>(getpid())));
    reg.purge(111, 10);
    EXPECT_FALSE(reg.find(static_cast<uint32_t>(getpid())));
}

TEST(Utf8, Validation)
{
    EXPECT_TRUE(valid_utf8("/caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80"));
    EXPECT_FALSE(valid_utf8("\xc3"));
    EXPECT_FALSE(valid_utf8("\xc0\xaf"));       // overlong
    EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));   // surrogate
    EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}
