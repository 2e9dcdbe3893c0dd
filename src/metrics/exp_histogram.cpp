// Base-2 exponential histogram: index mapping, recording and downscaling.
#include "metrics/exp_histogram.h"

#include <algorithm>
#include <cmath>

namespace obi::metrics {

int32_t exp_bucket_index(double value, int scale)
{
    int exp = 0;
    double frac = std::frexp(value, &exp);  // value = frac * 2^exp, frac in [0.5, 1)
    bool power_of_two = frac == 0.5;
    if (scale <= 0) {
        // At scale 0 bucket i is (2^i, 2^(i+1)]: floor(log2 v), minus one for exact powers.
        int32_t index = power_of_two ? exp - 2 : exp - 1;
        return index >> -scale;  // arithmetic shift: floor division by 2^-scale
    }
    if (power_of_two) return static_cast<int32_t>((static_cast<int64_t>(exp - 1) << scale) - 1);
    double scaled = std::log2(value) * std::ldexp(1.0, scale);
    double up = std::ceil(scaled);
    auto index = static_cast<int32_t>(up) - 1;
    // log2 may be a few ulps off: next to a boundary (|error| < 2^-52 * 1100 * 2^20 < 1e-6)
    // check against the boundaries themselves.
    if (up - scaled < 1e-6 || scaled - (up - 1) < 1e-6) {
        if (exp_bucket_lower_bound(index, scale) >= value) index--;
        else if (exp_bucket_lower_bound(index + 1, scale) < value) index++;
    }
    return index;
}

double exp_bucket_lower_bound(int32_t index, int scale)
{
    if (scale <= 0) return std::ldexp(1.0, index * (1 << -scale));
    // base^index = 2^(index / 2^scale) = 2^whole * 2^(rest / 2^scale)
    int32_t per_octave = 1 << scale;
    int32_t whole = index >= 0 ? index / per_octave : -((-index + per_octave - 1) / per_octave);
    int32_t rest = index - whole * per_octave;
    return std::ldexp(std::exp2(static_cast<double>(rest) / per_octave), whole);
}

ExpHistogram::ExpHistogram(uint32_t max_size, int max_scale)
    : max_size_(std::max<uint32_t>(max_size, 2)), max_scale_(std::clamp(max_scale, kMinScale, kMaxScale)),
      scale_(max_scale_)
{
}

void ExpHistogram::record(double value)
{
    if (!std::isfinite(value)) return;
    if (count_ == 0) {
        min_ = max_ = value;
    } else {
        min_ = std::min(min_, value);
        max_ = std::max(max_, value);
    }
    count_++;
    sum_ += value;
    if (value == 0) {
        zero_count_++;
        return;
    }
    Side& side = value > 0 ? positive_ : negative_;
    double magnitude = std::fabs(value);
    int32_t index = exp_bucket_index(magnitude, scale_);
    int change = scale_change_for(side, index);
    if (change > 0) {
        downscale(change);
        index = exp_bucket_index(magnitude, scale_);
    }
    increment(side, index);
}

// How many times the scale must drop so that `index` and every index already in `side`
// fit into max_size buckets.
int ExpHistogram::scale_change_for(const Side& side, int32_t index) const
{
    if (side.counts.empty()) return 0;
    int64_t low = std::min<int64_t>(side.offset, index);
    int64_t high = std::max<int64_t>(side.offset + static_cast<int64_t>(side.counts.size()) - 1, index);
    int change = 0;
    while (high - low >= max_size_ && scale_ - change > kMinScale) {
        low >>= 1;
        high >>= 1;
        change++;
    }
    return change;
}

void ExpHistogram::downscale(int change)
{
    downscale_side(positive_, change);
    downscale_side(negative_, change);
    scale_ -= change;
}

void ExpHistogram::downscale_side(Side& side, int change)
{
    if (side.counts.empty()) return;
    int32_t new_offset = side.offset >> change;
    int32_t last = (side.offset + static_cast<int32_t>(side.counts.size()) - 1) >> change;
    std::vector<uint64_t> merged(static_cast<size_t>(last - new_offset + 1), 0);
    for (size_t k = 0; k < side.counts.size(); k++)
        merged[static_cast<size_t>(((side.offset + static_cast<int32_t>(k)) >> change) - new_offset)] += side.counts[k];
    side.offset = new_offset;
    side.counts = std::move(merged);
}

void ExpHistogram::increment(Side& side, int32_t index)
{
    if (side.counts.empty()) {
        side.offset = index;
        side.counts.assign(1, 1);
        return;
    }
    if (index < side.offset) {
        side.counts.insert(side.counts.begin(), static_cast<size_t>(side.offset - index), 0);
        side.offset = index;
    } else if (index >= side.offset + static_cast<int32_t>(side.counts.size())) {
        side.counts.resize(static_cast<size_t>(index - side.offset + 1), 0);
    }
    side.counts[static_cast<size_t>(index - side.offset)]++;
}

void ExpHistogram::reset()
{
    scale_ = max_scale_;
    positive_ = Side{};
    negative_ = Side{};
    zero_count_ = count_ = 0;
    sum_ = min_ = max_ = 0;
}

ExpHistogramPoint ExpHistogram::point() const
{
    ExpHistogramPoint p;
    p.scale = scale_;
    p.zero_count = zero_count_;
    p.positive_offset = positive_.offset;
    p.positive_counts = positive_.counts;
    p.negative_offset = negative_.offset;
    p.negative_counts = negative_.counts;
    p.count = count_;
    p.sum = sum_;
    p.min = min_;
    p.max = max_;
    return p;
}

}  // namespace obi::metrics
