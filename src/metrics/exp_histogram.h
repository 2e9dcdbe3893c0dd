// Base-2 exponential histogram aggregation as the OpenTelemetry SDK specification defines
// it: buckets (base^i, base^(i+1)] with base = 2^(2^-scale), starting at max_scale and
// halving resolution (scale - 1 merges bucket pairs) whenever the indices recorded on one
// side would need more than max_size buckets.
#pragma once

#include <cstdint>
#include <vector>

#include "metrics/snapshot.h"

namespace obi::metrics {

// The bucket index of |value| > 0 at `scale` (exact for powers of two).
int32_t exp_bucket_index(double value, int scale);
// The lower boundary base^index of bucket `index` at `scale`.
double exp_bucket_lower_bound(int32_t index, int scale);

class ExpHistogram {
public:
    static constexpr int kMinScale = -10;
    static constexpr int kMaxScale = 20;

    ExpHistogram(uint32_t max_size = 160, int max_scale = 20);

    void record(double value);  // NaN and infinities are ignored
    void reset();               // delta collection: empty, back to max_scale
    ExpHistogramPoint point() const;

    int scale() const { return scale_; }
    uint64_t count() const { return count_; }

private:
    struct Side {
        int32_t offset = 0;             // bucket index of counts[0]
        std::vector<uint64_t> counts;   // dense from the lowest to the highest index seen
    };
    int scale_change_for(const Side& side, int32_t index) const;
    void downscale(int change);
    static void downscale_side(Side& side, int change);
    static void increment(Side& side, int32_t index);

    uint32_t max_size_;
    int max_scale_;
    int scale_;
    Side positive_, negative_;
    uint64_t zero_count_ = 0;
    uint64_t count_ = 0;
    double sum_ = 0, min_ = 0, max_ = 0;
};

}  // namespace obi::metrics
