// Exponential backoff with jitter for export retries (the shape of OBI's Go exporters:
// multiplier 1.5, +-50 % randomisation, capped interval, total time limit).
#pragma once

#include <chrono>
#include <cstdint>

namespace obi::otlp {

struct RetryPolicy {
    std::chrono::nanoseconds initial_interval = std::chrono::seconds(5);
    std::chrono::nanoseconds max_interval = std::chrono::seconds(30);
    std::chrono::nanoseconds max_elapsed_time = std::chrono::minutes(5);  // 0 = retry until stopped
    double multiplier = 1.5;
    double randomization = 0.5;  // each delay is uniform in interval * [1 - r, 1 + r]
};

class Backoff {
public:
    explicit Backoff(const RetryPolicy& policy, uint64_t seed = 0);
    // The next delay; the interval behind it grows by `multiplier` up to `max_interval`.
    std::chrono::nanoseconds next();
    void reset();

private:
    double uniform();  // [0, 1)

    RetryPolicy policy_;
    double current_ns_;
    uint64_t state_;
};

}  // namespace obi::otlp
