// Self-metrics of one OTLP exporter (spans or metric points): lock-free counters updated
// by the exporter threads and a consistent copy for the agent's internal metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace obi::otlp {

struct ExportStatsSnapshot {
    uint64_t exported = 0;        // items (spans / data points) the receiver accepted
    uint64_t rejected = 0;        // items refused by the receiver in a partial success
    uint64_t dropped = 0;         // items refused because the queue was full
    uint64_t failed = 0;          // items given up: permanent error, retries exhausted, shutdown
    uint64_t queue_length = 0;    // items waiting to be sent (traces only)
    uint64_t queue_capacity = 0;  // max_queue_size (traces only)
    uint64_t batches_sent = 0;    // requests the receiver accepted
    uint64_t attempts = 0;        // requests sent, including retries
    uint64_t bytes_sent = 0;      // request bytes of every attempt (HTTP: after compression)
    uint64_t last_export_duration_ns = 0;  // last delivery, first attempt to outcome, with retries
    std::map<std::string, uint64_t> errors;  // failed attempts and give-ups by reason
};

class ExportStats {
public:
    explicit ExportStats(uint64_t queue_capacity = 0) : queue_capacity_(queue_capacity) {}

    std::atomic<uint64_t> exported{0};
    std::atomic<uint64_t> rejected{0};
    std::atomic<uint64_t> dropped{0};
    std::atomic<uint64_t> failed{0};
    std::atomic<uint64_t> queue_length{0};
    std::atomic<uint64_t> batches_sent{0};
    std::atomic<uint64_t> attempts{0};
    std::atomic<uint64_t> bytes_sent{0};
    std::atomic<uint64_t> last_export_duration_ns{0};

    void add_error(const std::string& reason, uint64_t n = 1);
    ExportStatsSnapshot snapshot() const;

private:
    uint64_t queue_capacity_;
    mutable std::mutex mu_;
    std::map<std::string, uint64_t> errors_;
};

}  // namespace obi::otlp
