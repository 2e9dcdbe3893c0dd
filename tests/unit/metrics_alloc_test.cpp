// Recording into existing series allocates nothing: counts global operator new calls made
// by this thread while spans are recorded (every feature on, both registry flavors).
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "metrics/span_metrics.h"

namespace {
thread_local bool g_counting = false;
thread_local size_t g_allocations = 0;
// Out of line so that the compiler does not pair an inlined free() with operator new.
[[gnu::noinline]] void release(void* p) noexcept { std::free(p); }
}  // namespace

void* operator new(std::size_t size)
{
    if (g_counting) g_allocations++;
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }

using namespace obi;
using namespace obi::metrics;

namespace {

std::vector<Span> spans(const ServicePtr& svc)
{
    std::vector<Span> out;
    for (int i = 0; i < 64; i++) {
        Span s;
        s.type = i % 2 ? SpanType::HTTP : SpanType::HTTPClient;
        s.method = "GET";
        s.path = "/a/very/long/path/that/does/not/fit/in/a/small/string/" + std::to_string(i);
        s.route = "/a/very/long/route/that/does/not/fit/in/a/small/string/{id}/" + std::to_string(i % 8);
        s.status = 200 + i % 3;
        s.end_ns = 1000;
        s.host = "10.0.0.1";
        s.host_header = "a-rather-long-virtual-host-name.example.com";
        s.peer = "10.0.0.2";
        s.service = svc;
        out.push_back(std::move(s));
    }
    return out;
}

size_t allocations_while_recording(Flavor flavor, HistogramMode mode)
{
    RegistryOptions ro;
    ro.flavor = flavor;
    ro.histograms = mode;
    MetricsRegistry reg(ro);
    SpanMetricsOptions o;
    o.features = {true, true, false, true, true};
    o.allow_service_graph_self_references = true;
    SpanMetrics sm(reg, o);
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "svc";
    auto batch = spans(svc);
    for (int round = 0; round < 3; round++)
        for (const auto& s : batch) sm.record(s);  // creates the series, grows buffers
    g_allocations = 0;
    g_counting = true;
    for (int round = 0; round < 10; round++)
        for (const auto& s : batch) sm.record(s);
    g_counting = false;
    return g_allocations;
}

}  // namespace

TEST(MetricsAllocations, NoneWhenTheSeriesExist)
{
    EXPECT_EQ(allocations_while_recording(Flavor::Otlp, HistogramMode::ExplicitBuckets), 0u);
    EXPECT_EQ(allocations_while_recording(Flavor::Prometheus, HistogramMode::ExplicitBuckets), 0u);
}

TEST(MetricsAllocations, NoneForExponentialHistogramsOnceTheirRangeIsSeen)
{
    EXPECT_EQ(allocations_while_recording(Flavor::Otlp, HistogramMode::Base2Exponential), 0u);
}

TEST(MetricsAllocations, TheCounterSeesAllocations)
{
    g_allocations = 0;
    g_counting = true;
    auto p = std::make_unique<std::string>(100, 'x');
    g_counting = false;
    EXPECT_GE(g_allocations, 2u);
}
