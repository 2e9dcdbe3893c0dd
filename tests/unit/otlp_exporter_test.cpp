// OtlpTraceExporter and OtlpMetricsExporter logic against a scripted in-memory transport:
// batching, the bounded never-blocking queue, retries with backoff and Retry-After,
// permanent errors, give-up, resumption, and shutdown within its timeout.
#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "export/otlp/metrics_exporter.h"
#include "export/otlp/trace_exporter.h"

namespace obi::otlp {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Shared between the test and the transport the exporter owns.
struct Script {
    std::mutex mu;
    std::condition_variable cv;
    std::function<SendResult(int attempt)> next = [](int) { return SendResult{}; };
    bool hang = false;  // block every attempt until cancel() or its deadline
    bool cancelled = false;
    std::vector<Clock::time_point> attempt_times;
    std::vector<uint64_t> attempt_items;
    uint64_t delivered = 0;  // items of successful attempts

    size_t attempts()
    {
        std::lock_guard l(mu);
        return attempt_times.size();
    }
    void set_hang(bool h)
    {
        std::lock_guard l(mu);
        hang = h;
        cv.notify_all();
    }
};

uint64_t items_of(const TraceRequest& r)
{
    uint64_t n = 0;
    for (const auto& rs : r.resource_spans())
        for (const auto& ss : rs.scope_spans()) n += static_cast<uint64_t>(ss.spans_size());
    return n;
}

uint64_t items_of(const MetricsRequest& r)
{
    uint64_t n = 0;
    for (const auto& rm : r.resource_metrics())
        for (const auto& sm : rm.scope_metrics())
            for (const auto& m : sm.metrics()) n += static_cast<uint64_t>(m.sum().data_points_size());
    return n;
}

class FakeTransport final : public Transport {
public:
    explicit FakeTransport(std::shared_ptr<Script> s) : s_(std::move(s)) {}
    SendResult send(const TraceRequest& r, Deadline d) override { return attempt(items_of(r), d); }
    SendResult send(const MetricsRequest& r, Deadline d) override { return attempt(items_of(r), d); }
    void cancel() override
    {
        std::lock_guard l(s_->mu);
        s_->cancelled = true;
        s_->cv.notify_all();
    }
    std::string describe() const override { return "fake"; }

private:
    SendResult attempt(uint64_t items, Deadline d)
    {
        std::unique_lock l(s_->mu);
        int n = static_cast<int>(s_->attempt_times.size());
        s_->attempt_times.push_back(Clock::now());
        s_->attempt_items.push_back(items);
        s_->cv.wait_until(l, d, [&] { return !s_->hang || s_->cancelled; });
        if (s_->cancelled) return SendResult{Outcome::Retryable, "cancelled", "cancelled", {}, 0, "", 0};
        if (s_->hang) return SendResult{Outcome::Retryable, "timeout", "timed out", {}, 0, "", 0};
        auto fn = s_->next;
        l.unlock();
        SendResult r = fn(n);
        r.bytes_sent = items * 100;
        l.lock();
        if (r.outcome == Outcome::Success) s_->delivered += items - static_cast<uint64_t>(r.rejected);
        return r;
    }
    std::shared_ptr<Script> s_;
};

SendResult retryable(const char* reason = "connect")
{
    return SendResult{Outcome::Retryable, reason, "down", {}, 0, "", 0};
}

std::vector<Span> spans(size_t n)
{
    static auto svc = [] {
        auto s = std::make_shared<ServiceInfo>();
        s->name = "svc";
        return ServicePtr(s);
    }();
    std::vector<Span> v(n);
    for (auto& s : v) {
        s.method = "GET";
        s.path = "/";
        s.service = svc;
        s.request_start_ns = s.start_ns = 1;
        s.end_ns = 2;
    }
    return v;
}

TraceExporterOptions fast_options()
{
    TraceExporterOptions o;
    o.max_queue_size = 100;
    o.max_export_batch_size = 10;
    o.batch_timeout = 10s;
    o.shutdown_timeout = 2s;
    o.sender.retry.initial_interval = 20ms;
    o.sender.retry.max_interval = 80ms;
    o.sender.retry.max_elapsed_time = 10s;
    return o;
}

template <class Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = 3000ms)
{
    auto end = Clock::now() + limit;
    while (Clock::now() < end) {
        if (p()) return true;
        std::this_thread::sleep_for(2ms);
    }
    return p();
}

struct Fixture {
    std::shared_ptr<Script> script = std::make_shared<Script>();
    MonoClock clock;
    std::unique_ptr<OtlpTraceExporter> make(TraceExporterOptions o = fast_options())
    {
        return std::make_unique<OtlpTraceExporter>(std::make_unique<FakeTransport>(script), o, clock);
    }
};

TEST(OtlpTraceExporter, FullBatchesGoAtOnceAndFlushSendsTheRest)
{
    Fixture f;
    auto e = f.make();
    e->export_spans(spans(25));
    ASSERT_TRUE(eventually([&] { return f.script->attempts() == 2; }));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(f.script->attempts(), 2u);  // 5 spans wait for batch_timeout (10 s)
    EXPECT_EQ(e->stats().queue_length, 5u);
    EXPECT_TRUE(e->flush(1s));
    auto st = e->stats();
    EXPECT_EQ(st.exported, 25u);
    EXPECT_EQ(st.batches_sent, 3u);
    EXPECT_EQ(st.queue_length, 0u);
    EXPECT_EQ(st.queue_capacity, 100u);
    EXPECT_EQ(st.bytes_sent, 2500u);
    EXPECT_EQ(f.script->attempt_items, (std::vector<uint64_t>{10, 10, 5}));
}

TEST(OtlpTraceExporter, FlushWithoutWaitingStillSends)
{
    Fixture f;
    auto e = f.make();  // batch_timeout 10 s
    e->export_spans(spans(5));
    e->flush(0ms);  // returns at once, but the 5 spans must leave now
    ASSERT_TRUE(eventually([&] { return f.script->attempts() == 1; }, 1000ms));
    e->export_spans(spans(5));  // later spans wait for a full batch or the timeout again
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(f.script->attempts(), 1u);
}

TEST(OtlpTraceExporter, PartialBatchLeavesAfterBatchTimeout)
{
    Fixture f;
    auto o = fast_options();
    o.batch_timeout = 60ms;
    auto e = f.make(o);
    auto t0 = Clock::now();
    e->export_spans(spans(3));
    ASSERT_TRUE(eventually([&] { return f.script->attempts() == 1; }));
    auto waited = f.script->attempt_times[0] - t0;
    EXPECT_GE(waited, 55ms);
    EXPECT_LT(waited, 1000ms);
}

TEST(OtlpTraceExporter, FullQueueDropsWithoutBlocking)
{
    Fixture f;
    f.script->set_hang(true);  // the receiver never answers
    auto e = f.make();
    auto t0 = Clock::now();
    for (int i = 0; i < 40; i++) e->export_spans(spans(50));
    auto took = Clock::now() - t0;
    EXPECT_LT(took, 200ms);  // never waits for the sender
    ASSERT_TRUE(eventually([&] { return f.script->attempts() >= 1; }));
    auto st = e->stats();
    // Queue (100) plus the batch in flight (10) are kept, the rest is dropped.
    EXPECT_LE(st.queue_length, 100u);
    EXPECT_GE(st.dropped, 2000u - 110u);
    EXPECT_LE(st.dropped, 2000u - 100u);
    f.script->set_hang(false);
    EXPECT_TRUE(e->flush(2s));
    st = e->stats();
    EXPECT_EQ(st.exported + st.dropped, 2000u);
    EXPECT_EQ(st.failed, 0u);
}

TEST(OtlpTraceExporter, RetriesWithExponentialBackoff)
{
    Fixture f;
    f.script->next = [](int n) { return n < 4 ? retryable() : SendResult{}; };
    auto o = fast_options();
    o.sender.retry.initial_interval = 40ms;
    o.sender.retry.max_interval = 1s;
    o.sender.retry.randomization = 0;
    auto e = f.make(o);
    e->export_spans(spans(10));
    ASSERT_TRUE(eventually([&] { return e->stats().exported == 10; }));
    const auto& t = f.script->attempt_times;
    ASSERT_EQ(t.size(), 5u);
    // Delays 40, 60, 90, 135 ms.
    const std::chrono::milliseconds want[] = {40ms, 60ms, 90ms, 135ms};
    for (size_t i = 0; i < 4; i++) {
        auto gap = t[i + 1] - t[i];
        EXPECT_GE(gap, want[i] - 2ms) << i;
        EXPECT_LT(gap, want[i] + 150ms) << i;
    }
    auto st = e->stats();
    EXPECT_EQ(st.attempts, 5u);
    EXPECT_EQ(st.errors["connect"], 4u);
    EXPECT_EQ(st.failed, 0u);
    EXPECT_EQ(st.batches_sent, 1u);
    EXPECT_GE(st.last_export_duration_ns, 320'000'000u);
}

TEST(OtlpTraceExporter, RetryAfterIsHonoured)
{
    Fixture f;
    f.script->next = [](int n) {
        if (n > 0) return SendResult{};
        SendResult r = retryable("http_429");
        r.retry_after = 300ms;
        return r;
    };
    auto e = f.make();
    e->export_spans(spans(10));
    ASSERT_TRUE(eventually([&] { return e->stats().exported == 10; }));
    auto gap = f.script->attempt_times[1] - f.script->attempt_times[0];
    EXPECT_GE(gap, 299ms);
    EXPECT_LT(gap, 800ms);
}

TEST(OtlpTraceExporter, PermanentErrorsAreNotRetried)
{
    Fixture f;
    f.script->next = [](int) { return SendResult{Outcome::Permanent, "http_400", "HTTP 400", {}, 0, "", 0}; };
    auto e = f.make();
    e->export_spans(spans(10));
    ASSERT_TRUE(eventually([&] { return e->stats().failed == 10; }));
    std::this_thread::sleep_for(100ms);
    auto st = e->stats();
    EXPECT_EQ(f.script->attempts(), 1u);
    EXPECT_EQ(st.exported, 0u);
    EXPECT_EQ(st.errors["http_400"], 1u);
    EXPECT_EQ(st.errors.size(), 1u);
}

TEST(OtlpTraceExporter, PartialSuccessCountsRejected)
{
    Fixture f;
    f.script->next = [](int) { return SendResult{Outcome::Success, "", "", {}, 3, "bad spans", 0}; };
    auto e = f.make();
    e->export_spans(spans(10));
    ASSERT_TRUE(eventually([&] { return e->stats().batches_sent == 1; }));
    auto st = e->stats();
    EXPECT_EQ(st.exported, 7u);
    EXPECT_EQ(st.rejected, 3u);
    EXPECT_EQ(st.failed, 0u);
}

TEST(OtlpTraceExporter, GivesUpAfterMaxElapsedTimeAndGoesOn)
{
    Fixture f;
    f.script->next = [](int n) { return n < 3 ? retryable() : SendResult{}; };
    auto o = fast_options();
    o.sender.retry.initial_interval = 40ms;
    o.sender.retry.randomization = 0;
    o.sender.retry.max_elapsed_time = 70ms;  // 40 ms fits, 40 + 60 does not
    auto e = f.make(o);
    e->export_spans(spans(10));
    ASSERT_TRUE(eventually([&] { return e->stats().failed == 10; }));
    EXPECT_EQ(f.script->attempts(), 2u);
    EXPECT_EQ(e->stats().errors["retries_exhausted"], 1u);
    e->export_spans(spans(10));  // the next batch is tried afresh
    EXPECT_TRUE(e->flush(2s));
    EXPECT_EQ(e->stats().exported, 10u);
}

TEST(OtlpTraceExporter, BoundedWhileDownAndResumesByItself)
{
    Fixture f;
    std::atomic<bool> down{true};
    f.script->next = [&](int) { return down ? retryable() : SendResult{}; };
    auto o = fast_options();
    o.sender.retry.initial_interval = 5ms;
    o.sender.retry.max_interval = 20ms;
    o.sender.retry.max_elapsed_time = 0s;  // retry until it works
    auto e = f.make(o);
    size_t max_queue = 0;
    for (int i = 0; i < 200; i++) {
        e->export_spans(spans(64));
        max_queue = std::max<size_t>(max_queue, e->stats().queue_length);
        std::this_thread::sleep_for(1ms);
    }
    EXPECT_LE(max_queue, 100u);
    auto st = e->stats();
    EXPECT_EQ(st.exported, 0u);
    EXPECT_GT(st.dropped, 12000u);
    EXPECT_GT(st.attempts, 5u);
    down = false;
    EXPECT_TRUE(e->flush(3s));
    st = e->stats();
    EXPECT_EQ(st.exported + st.dropped, 200u * 64u);
    EXPECT_EQ(st.exported, f.script->delivered);
    EXPECT_EQ(st.failed, 0u);
}

TEST(OtlpTraceExporter, ShutdownFlushesQueuedSpans)
{
    Fixture f;
    auto e = f.make();  // batch_timeout 10 s: only shutdown sends them
    e->export_spans(spans(35));
    auto t0 = Clock::now();
    e->shutdown(2s);
    EXPECT_LT(Clock::now() - t0, 500ms);
    EXPECT_EQ(e->stats().exported, 35u);
    e->export_spans(spans(5));  // after shutdown: dropped, no crash
    EXPECT_EQ(e->stats().dropped, 5u);
}

TEST(OtlpTraceExporter, ShutdownGivesUpOnAHangingReceiver)
{
    Fixture f;
    f.script->set_hang(true);
    auto e = f.make();
    e->export_spans(spans(30));
    ASSERT_TRUE(eventually([&] { return f.script->attempts() >= 1; }));
    auto t0 = Clock::now();
    e->shutdown(200ms);
    auto took = Clock::now() - t0;
    EXPECT_GE(took, 190ms);
    EXPECT_LT(took, 700ms);
    auto st = e->stats();
    EXPECT_EQ(st.exported, 0u);
    EXPECT_EQ(st.failed, 30u);
    EXPECT_GE(st.errors["shutdown"], 1u);
}

TEST(OtlpTraceExporter, ShutdownCutsABackoffWait)
{
    Fixture f;
    f.script->next = [](int) { return retryable(); };
    auto o = fast_options();
    o.sender.retry.initial_interval = 10s;
    o.sender.retry.max_interval = 10s;
    auto e = f.make(o);
    e->export_spans(spans(10));
    ASSERT_TRUE(eventually([&] { return f.script->attempts() == 1; }));
    auto t0 = Clock::now();
    e->shutdown(150ms);
    EXPECT_LT(Clock::now() - t0, 600ms);
    EXPECT_EQ(e->stats().failed, 10u);
}

// A backoff shorter than the shutdown timeout used to be waited out (with a 10 s default timeout and
// backoffs of several seconds the agent could take ~10 s to exit): shutdown ends the wait and the batch
// gets one last attempt at once. `second` is that attempt's result.
struct BackoffShutdown {
    size_t attempts;
    Clock::duration took;
    ExportStatsSnapshot stats;
};
BackoffShutdown shutdown_during_a_3s_backoff(SendResult second)
{
    Fixture f;
    f.script->next = [second](int n) { return n == 0 ? retryable() : second; };
    auto o = fast_options();
    o.sender.retry.initial_interval = 3s;
    o.sender.retry.max_interval = 3s;
    auto e = f.make(o);
    e->export_spans(spans(10));
    EXPECT_TRUE(eventually([&] { return f.script->attempts() == 1; }));
    auto t0 = Clock::now();
    e->shutdown(5s);
    return {f.script->attempts(), Clock::now() - t0, e->stats()};
}

TEST(OtlpTraceExporter, ShutdownDuringABackoffShorterThanTheTimeoutTriesOnceMoreAtOnce)
{
    auto r = shutdown_during_a_3s_backoff(retryable());
    EXPECT_LT(r.took, 500ms);
    EXPECT_EQ(r.attempts, 2u);
    EXPECT_EQ(r.stats.failed, 10u);
    EXPECT_EQ(r.stats.exported, 0u);
}

TEST(OtlpTraceExporter, ShutdownDuringABackoffDeliversWhenTheCollectorIsBack)
{
    auto r = shutdown_during_a_3s_backoff(SendResult{});
    EXPECT_LT(r.took, 500ms);
    EXPECT_EQ(r.stats.exported, 10u);
    EXPECT_EQ(r.stats.failed, 0u);
}

TEST(OtlpTraceExporter, ShutdownWithADeadCollectorTriesEachBatchOnceAndExitsAtOnce)
{
    Fixture f;
    f.script->next = [](int) { return retryable(); };  // every attempt fails (collector gone)
    auto o = fast_options();
    o.max_export_batch_size = 50;  // the 35 spans wait for the batch timeout (10 s): only shutdown sends them
    auto e = f.make(o);
    e->export_spans(spans(35));
    auto t0 = Clock::now();
    e->shutdown(5s);
    // One attempt, no backoff waits, and far less than the 5 s allowed.
    EXPECT_LT(Clock::now() - t0, 500ms);
    EXPECT_EQ(f.script->attempts(), 1u);
    auto st = e->stats();
    EXPECT_EQ(st.exported, 0u);
    EXPECT_EQ(st.failed, 35u);
    EXPECT_EQ(st.errors["shutdown"], 1u);
}

TEST(OtlpTraceExporter, FlushTimesOutButSenderKeepsGoing)
{
    Fixture f;
    std::atomic<bool> down{true};
    f.script->next = [&](int) { return down ? retryable() : SendResult{}; };
    auto o = fast_options();
    o.sender.retry.initial_interval = 10ms;
    o.sender.retry.max_interval = 10ms;
    auto e = f.make(o);
    e->export_spans(spans(10));
    auto t0 = Clock::now();
    EXPECT_FALSE(e->flush(100ms));
    EXPECT_LT(Clock::now() - t0, 400ms);
    down = false;
    EXPECT_TRUE(eventually([&] { return e->stats().exported == 10; }));
}

// ---- metrics ----

metrics::Snapshot snapshot_with(int points)
{
    metrics::Snapshot s;
    metrics::ResourceMetrics rm;
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "svc";
    rm.service = svc;
    metrics::MetricData m;
    m.name = "calls";
    m.unit = "1";
    for (int i = 0; i < points; i++) {
        metrics::DataPoint p;
        p.attributes = {{"i", int64_t{i}}};
        p.value = metrics::SumPoint{0, true, i};
        m.points.push_back(p);
    }
    rm.metrics.push_back(m);
    s.resources.push_back(rm);
    return s;
}

MetricsExporterOptions metrics_options(std::chrono::milliseconds interval)
{
    MetricsExporterOptions o;
    o.interval = interval;
    o.shutdown_timeout = 1s;
    o.sender.retry.initial_interval = 10ms;
    o.sender.retry.max_interval = 20ms;
    o.sender.config_key = "otel_metrics_export.endpoint";
    o.sender.items = "data points";
    return o;
}

TEST(OtlpMetricsExporter, ExportsEveryIntervalAndOnceMoreAtShutdown)
{
    auto script = std::make_shared<Script>();
    std::atomic<int> calls{0};
    OtlpMetricsExporter e(std::make_unique<FakeTransport>(script), [&] {
        calls++;
        return snapshot_with(4);
    }, metrics_options(60ms));
    ASSERT_TRUE(eventually([&] { return script->attempts() >= 3; }));
    auto t = script->attempt_times;
    EXPECT_GE(t[1] - t[0], 50ms);
    EXPECT_LT(t[1] - t[0], 300ms);
    int before = calls.load();
    e.shutdown(1s);
    EXPECT_EQ(calls.load(), before + 1);  // the final export
    auto st = e.stats();
    EXPECT_EQ(st.exported, static_cast<uint64_t>(calls.load()) * 4u);
    EXPECT_EQ(st.batches_sent, static_cast<uint64_t>(calls.load()));
    EXPECT_EQ(e.collections(), static_cast<uint64_t>(calls.load()));
}

TEST(OtlpMetricsExporter, RetriesWithinTheIntervalThenMovesOn)
{
    auto script = std::make_shared<Script>();
    script->next = [](int) { return retryable("http_503"); };
    OtlpMetricsExporter e(std::make_unique<FakeTransport>(script), [] { return snapshot_with(2); },
                          metrics_options(100ms));
    ASSERT_TRUE(eventually([&] { return e.stats().failed >= 4; }, 2000ms));
    auto st = e.stats();
    EXPECT_GT(st.attempts, 4u);  // several attempts per snapshot
    EXPECT_GE(st.errors["deadline"], 1u);
    EXPECT_EQ(st.exported, 0u);
    auto t0 = Clock::now();
    e.shutdown(150ms);
    EXPECT_LT(Clock::now() - t0, 500ms);
}

TEST(OtlpMetricsExporter, ProviderExceptionsAreContained)
{
    auto script = std::make_shared<Script>();
    OtlpMetricsExporter e(std::make_unique<FakeTransport>(script),
                          []() -> metrics::Snapshot { throw std::runtime_error("boom"); }, metrics_options(30ms));
    ASSERT_TRUE(eventually([&] { return e.stats().errors["provider"] >= 2; }));
    EXPECT_EQ(script->attempts(), 0u);
}

TEST(OtlpMetricsExporter, EmptySnapshotsSendNothing)
{
    auto script = std::make_shared<Script>();
    OtlpMetricsExporter e(std::make_unique<FakeTransport>(script), [] { return metrics::Snapshot{}; },
                          metrics_options(20ms));
    ASSERT_TRUE(eventually([&] { return e.collections() >= 3; }));
    EXPECT_EQ(script->attempts(), 0u);
}

}  // namespace
}  // namespace obi::otlp
