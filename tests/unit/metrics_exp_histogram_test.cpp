// Base-2 exponential histogram: bucket placement at several scales (exact at powers of two),
// downscaling when max_size is exceeded, zero and negative values, min/max/sum, reset.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "metrics/exp_histogram.h"

using namespace obi::metrics;

namespace {

uint64_t total(const std::vector<uint64_t>& v) { return std::accumulate(v.begin(), v.end(), uint64_t{0}); }

}  // namespace

TEST(ExpHistogramIndex, ScaleZeroBucketsArePowersOfTwoWithInclusiveUpperBounds)
{
    // Bucket i is (2^i, 2^(i+1)].
    EXPECT_EQ(exp_bucket_index(1, 0), -1);
    EXPECT_EQ(exp_bucket_index(1.5, 0), 0);
    EXPECT_EQ(exp_bucket_index(2, 0), 0);
    EXPECT_EQ(exp_bucket_index(3, 0), 1);
    EXPECT_EQ(exp_bucket_index(4, 0), 1);
    EXPECT_EQ(exp_bucket_index(4.0000001, 0), 2);
    EXPECT_EQ(exp_bucket_index(0.5, 0), -2);
    EXPECT_EQ(exp_bucket_index(0.75, 0), -1);
}

TEST(ExpHistogramIndex, NegativeScalesMergeOctaves)
{
    // scale -1: base 4, bucket i is (4^i, 4^(i+1)].
    EXPECT_EQ(exp_bucket_index(1, -1), -1);
    EXPECT_EQ(exp_bucket_index(4, -1), 0);
    EXPECT_EQ(exp_bucket_index(5, -1), 1);
    EXPECT_EQ(exp_bucket_index(16, -1), 1);
    EXPECT_EQ(exp_bucket_index(17, -1), 2);
    // scale -2: base 16.
    EXPECT_EQ(exp_bucket_index(16, -2), 0);
    EXPECT_EQ(exp_bucket_index(17, -2), 1);
    EXPECT_EQ(exp_bucket_index(0.01, -2), -2);  // (1/256, 1/16]
}

TEST(ExpHistogramIndex, PositiveScalesSplitOctaves)
{
    // scale 1: base sqrt(2).
    EXPECT_EQ(exp_bucket_index(1, 1), -1);
    EXPECT_EQ(exp_bucket_index(1.2, 1), 0);    // (1, 1.414]
    EXPECT_EQ(exp_bucket_index(1.5, 1), 1);    // (1.414, 2]
    EXPECT_EQ(exp_bucket_index(2, 1), 1);
    EXPECT_EQ(exp_bucket_index(2.5, 1), 2);    // (2, 2.83]
    // Exact powers of two at scale 20 land at the top of their bucket.
    EXPECT_EQ(exp_bucket_index(1, 20), -1);
    EXPECT_EQ(exp_bucket_index(2, 20), (1 << 20) - 1);
    EXPECT_EQ(exp_bucket_index(0.25, 20), -2 * (1 << 20) - 1);
}

TEST(ExpHistogramIndex, EveryValueLiesWithinItsBucketBoundaries)
{
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> exponent(-30, 30);
    for (int scale : {-3, 0, 1, 3, 8, 14, 20}) {
        for (int i = 0; i < 2000; i++) {
            double v = std::exp2(exponent(rng));
            int32_t idx = exp_bucket_index(v, scale);
            EXPECT_LT(exp_bucket_lower_bound(idx, scale), v) << "scale " << scale << " v " << v;
            EXPECT_GE(exp_bucket_lower_bound(idx + 1, scale), v) << "scale " << scale << " v " << v;
        }
    }
}

TEST(ExpHistogram, KeepsMaxScaleWhileValuesFit)
{
    ExpHistogram h(160, 20);
    h.record(1.5);
    h.record(1.5);
    ExpHistogramPoint p = h.point();
    EXPECT_EQ(p.scale, 20);
    EXPECT_EQ(p.positive_offset, exp_bucket_index(1.5, 20));
    EXPECT_EQ(p.positive_counts, (std::vector<uint64_t>{2}));
    EXPECT_EQ(p.count, 2u);
}

TEST(ExpHistogram, DownscalesJustEnoughToFitMaxSize)
{
    ExpHistogram h(4, 0);
    for (double v : {1.0, 2.0, 4.0, 8.0}) h.record(v);  // indices -1..2 at scale 0: 4 buckets
    EXPECT_EQ(h.scale(), 0);
    h.record(16);  // index 3 needs a fifth bucket: scale -1, base 4
    ExpHistogramPoint p = h.point();
    EXPECT_EQ(p.scale, -1);
    EXPECT_EQ(p.positive_offset, -1);
    EXPECT_EQ(p.positive_counts, (std::vector<uint64_t>{1, 2, 2}));  // (1/4,1] (1,4] (4,16]
}

TEST(ExpHistogram, DefaultSizeCoversSixOrdersOfMagnitudeAtScaleTwo)
{
    ExpHistogram h(160, 20);
    h.record(1);
    h.record(1e6);
    // log2(1e6) = 19.93 octaves: 2^2 buckets per octave need 81 buckets, 2^3 would need 161.
    ExpHistogramPoint p = h.point();
    EXPECT_EQ(p.scale, 2);
    EXPECT_LE(p.positive_counts.size(), 160u);
    EXPECT_EQ(p.positive_counts.front(), 1u);
    EXPECT_EQ(p.positive_counts.back(), 1u);
    EXPECT_EQ(p.positive_offset, exp_bucket_index(1, 2));
    EXPECT_EQ(p.positive_offset + static_cast<int32_t>(p.positive_counts.size()) - 1, exp_bucket_index(1e6, 2));
}

TEST(ExpHistogram, ManyValuesNeverExceedMaxSizeAndKeepEveryCount)
{
    ExpHistogram h(20, 20);
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> dist(0, 3);
    double sum = 0;
    for (int i = 0; i < 10000; i++) {
        double v = dist(rng);
        sum += v;
        h.record(v);
    }
    ExpHistogramPoint p = h.point();
    EXPECT_LE(p.positive_counts.size(), 20u);
    EXPECT_EQ(total(p.positive_counts), 10000u);
    EXPECT_EQ(p.count, 10000u);
    EXPECT_NEAR(p.sum, sum, 1e-6 * sum);
    EXPECT_LT(p.scale, 20);
}

TEST(ExpHistogram, ZeroAndNegativeValues)
{
    ExpHistogram h(160, 20);
    h.record(0);
    h.record(0);
    h.record(-2);
    h.record(-2);
    h.record(3);
    ExpHistogramPoint p = h.point();
    EXPECT_EQ(p.zero_count, 2u);
    EXPECT_EQ(total(p.negative_counts), 2u);
    EXPECT_EQ(p.negative_offset, exp_bucket_index(2, p.scale));
    EXPECT_EQ(total(p.positive_counts), 1u);
    EXPECT_EQ(p.count, 5u);
    EXPECT_EQ(p.sum, -1);
    EXPECT_EQ(p.min, -2);
    EXPECT_EQ(p.max, 3);
}

TEST(ExpHistogram, NegativeAndPositiveSidesShareOneScale)
{
    ExpHistogram h(4, 0);
    h.record(-1);
    h.record(1);
    h.record(1024);  // forces a downscale that the negative side follows
    ExpHistogramPoint p = h.point();
    EXPECT_LT(p.scale, 0);
    EXPECT_EQ(p.negative_offset, exp_bucket_index(1, p.scale));
    EXPECT_EQ(total(p.negative_counts), 1u);
}

TEST(ExpHistogram, IgnoresNonFiniteValues)
{
    ExpHistogram h;
    h.record(std::nan(""));
    h.record(INFINITY);
    h.record(-INFINITY);
    EXPECT_EQ(h.count(), 0u);
    h.record(1e-300);  // tiny but finite
    h.record(1e300);
    ExpHistogramPoint p = h.point();
    EXPECT_EQ(p.count, 2u);
    EXPECT_LE(p.positive_counts.size(), 160u);
    EXPECT_EQ(total(p.positive_counts), 2u);
}

TEST(ExpHistogram, ResetReturnsToMaxScale)
{
    ExpHistogram h(4, 10);
    for (double v : {1.0, 100.0, 1e5}) h.record(v);
    EXPECT_LT(h.scale(), 10);
    h.reset();
    ExpHistogramPoint p = h.point();
    EXPECT_EQ(p.scale, 10);
    EXPECT_EQ(p.count, 0u);
    EXPECT_TRUE(p.positive_counts.empty());
    h.record(5);
    EXPECT_EQ(h.point().min, 5);
    EXPECT_EQ(h.point().max, 5);
}
