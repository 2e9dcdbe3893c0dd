// "At most once per interval" for log lines that a dead collector would otherwise repeat.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace obi::otlp {

class RateLimit {
public:
    explicit RateLimit(std::chrono::nanoseconds interval) : interval_ns_(interval.count()) {}
    // True at most once per interval (thread-safe); `suppressed` gets how many were skipped.
    bool allow(uint64_t* suppressed = nullptr)
    {
        int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
        int64_t last = last_ns_.load(std::memory_order_relaxed);
        if (last != kNever && now - last < interval_ns_) {
            skipped_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        if (!last_ns_.compare_exchange_strong(last, now)) {
            skipped_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        uint64_t s = skipped_.exchange(0);
        if (suppressed) *suppressed = s;
        return true;
    }

private:
    static constexpr int64_t kNever = INT64_MIN;
    int64_t interval_ns_;
    std::atomic<int64_t> last_ns_{kNever};
    std::atomic<uint64_t> skipped_{0};
};

}  // namespace obi::otlp
