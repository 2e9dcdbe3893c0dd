// Sampler decisions: root samplers, ratio on the trace id, parent-based flags.
#include <gtest/gtest.h>

#include "pipeline/sampler.h"

using namespace obi;
using obi::pipeline::Sampler;

namespace {
Span with_trace(uint64_t low, bool parent = false, uint8_t flags = 1)
{
    Span s;
    for (int i = 0; i < 8; i++) s.trace_id.bytes[15 - i] = static_cast<uint8_t>(low >> (8 * i));
    s.trace_id.bytes[0] = 1;
    if (parent) {
        s.parent_span_id.bytes[0] = 7;
        s.trace_from_remote = true;
    }
    s.trace_flags = flags;
    return s;
}
}  // namespace

TEST(Sampler, RootSamplers)
{
    EXPECT_TRUE(Sampler("always_on").sample(with_trace(5)));
    EXPECT_FALSE(Sampler("always_off").sample(with_trace(5)));
    EXPECT_TRUE(Sampler().sample(with_trace(5)));        // parentbased_always_on
    EXPECT_TRUE(Sampler("bogus").sample(with_trace(5)));  // falls back to the default
}

TEST(Sampler, RatioIsDeterministicPerTraceAndRoughlyRight)
{
    Sampler half("traceidratio", "0.5");
    EXPECT_TRUE(half.sample(with_trace(0)));
    EXPECT_FALSE(half.sample(with_trace(0x7fffffffffffffffull)));
    int hits = 0;
    for (uint64_t i = 0; i < 10000; i++) hits += half.sample(with_trace(i * 0x9e3779b97f4a7c15ull));
    EXPECT_NEAR(hits, 5000, 300);
    EXPECT_TRUE(Sampler("traceidratio", "1").sample(with_trace(0x7fffffffffffffffull)));
    EXPECT_TRUE(Sampler("traceidratio", "7").sample(with_trace(0x7fffffffffffffffull)));
    EXPECT_FALSE(Sampler("traceidratio", "-1").sample(with_trace(0)));
    EXPECT_FALSE(Sampler("traceidratio", "0").sample(with_trace(0)));
}

TEST(Sampler, ParentBasedFollowsTheParentFlag)
{
    Sampler pb;  // parentbased_always_on
    EXPECT_FALSE(pb.sample(with_trace(1, true, 0x00)));
    EXPECT_TRUE(pb.sample(with_trace(1, true, 0x01)));
    Sampler pboff("parentbased_always_off");
    EXPECT_FALSE(pboff.sample(with_trace(1)));             // root: off
    EXPECT_TRUE(pboff.sample(with_trace(1, true, 0x01)));  // sampled parent wins
    Sampler plain("always_on");
    EXPECT_TRUE(plain.sample(with_trace(1, true, 0x00)));  // not parent-based: ignores the flag
}

TEST(Sampler, LocalChildrenShareTheRootDecision)
{
    Sampler ratio("parentbased_traceidratio", "0.5");
    for (uint64_t i = 0; i < 200; i++) {
        Span root = with_trace(i * 0x9e3779b97f4a7c15ull);
        Span child = root;  // a client call linked to the root by the kernel: local parent
        child.parent_span_id.bytes[0] = 3;
        EXPECT_EQ(ratio.sample(root), ratio.sample(child));
    }
}
