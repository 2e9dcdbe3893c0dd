// Backoff: splitmix64 for the jitter (no shared random state between exporters).
#include "export/otlp/backoff.h"

#include <algorithm>

namespace obi::otlp {

Backoff::Backoff(const RetryPolicy& policy, uint64_t seed)
    : policy_(policy),
      current_ns_(static_cast<double>(policy.initial_interval.count())),
      state_(seed ? seed : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()))
{
}

double Backoff::uniform()
{
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
}

std::chrono::nanoseconds Backoff::next()
{
    double r = std::clamp(policy_.randomization, 0.0, 1.0);
    double delay = current_ns_ * (1 - r + 2 * r * uniform());
    double max_ns = static_cast<double>(std::max(policy_.max_interval, policy_.initial_interval).count());
    current_ns_ = std::min(current_ns_ * std::max(1.0, policy_.multiplier), max_ns);
    return std::chrono::nanoseconds(static_cast<int64_t>(delay));
}

void Backoff::reset() { current_ns_ = static_cast<double>(policy_.initial_interval.count()); }

}  // namespace obi::otlp
