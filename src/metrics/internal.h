// The agent's own (internal) metrics: counters and gauges it updates directly (atomics on
// the hot path), labelled ones, and values observed through callbacks at collection time.
// Collected into a Snapshot whose single resource has no service (OTLP: the agent's own
// resource; Prometheus: internal_metrics.prometheus.path).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/snapshot.h"

namespace obi::metrics {

class InternalCounter {
public:
    void add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
    uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> value_{0};
};

class InternalGauge {
public:
    void set(double v) { value_.store(v, std::memory_order_relaxed); }
    void add(double d) { value_.fetch_add(d, std::memory_order_relaxed); }
    double value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

// Values per label set, in the order of the label keys given at registration. At most
// kMaxLabelSets sets; further ones are counted under the values "other".
class LabeledValues {
public:
    static constexpr size_t kMaxLabelSets = 500;
    explicit LabeledValues(size_t label_count) : label_count_(label_count) {}

    void add(std::initializer_list<std::string_view> labels, double delta = 1);
    void set(std::initializer_list<std::string_view> labels, double value);
    void remove(std::initializer_list<std::string_view> labels);
    double value(std::initializer_list<std::string_view> labels) const;
    std::vector<std::pair<std::vector<std::string>, double>> values() const;

private:
    std::vector<std::string> key(std::initializer_list<std::string_view> labels) const;
    double& slot(std::vector<std::string> key);
    size_t label_count_;
    mutable std::mutex mu_;
    std::map<std::vector<std::string>, double> values_;
};

// Receives the values of an observed metric at collection time.
class Observer {
public:
    void record(double value, std::initializer_list<std::pair<std::string_view, std::string_view>> labels = {});

private:
    friend class InternalMetrics;
    std::vector<DataPoint>* points_ = nullptr;
    uint64_t start_ns_ = 0, now_ns_ = 0;
    bool counter_ = false;
};

class InternalMetrics {
public:
    InternalMetrics();

    // Registration returns the existing metric when the name is already taken.
    InternalCounter& counter(const std::string& name, const std::string& unit, const std::string& description);
    InternalGauge& gauge(const std::string& name, const std::string& unit, const std::string& description);
    LabeledValues& labeled_counter(const std::string& name, const std::string& unit, const std::string& description,
                                   std::vector<std::string> label_keys);
    LabeledValues& labeled_gauge(const std::string& name, const std::string& unit, const std::string& description,
                                 std::vector<std::string> label_keys);
    // Values read when collecting (the callback runs on the collecting thread and must not
    // register metrics). Observing a name again adds a callback: each reports its own points.
    void observe(const std::string& name, const std::string& unit, const std::string& description, bool counter,
                 std::function<void(Observer&)> callback);

    Snapshot collect() const;

private:
    enum class Kind : uint8_t { Counter, Gauge, LabeledCounter, LabeledGauge, ObservedCounter, ObservedGauge };
    struct Entry {
        std::string name, unit, description;
        Kind kind = Kind::Counter;
        std::vector<std::string> label_keys;
        std::unique_ptr<InternalCounter> counter;
        std::unique_ptr<InternalGauge> gauge;
        std::unique_ptr<LabeledValues> labeled;
        std::vector<std::function<void(Observer&)>> callbacks;
    };
    Entry* find(const std::string& name);
    Entry& add(const std::string& name, const std::string& unit, const std::string& description, Kind kind);
    MetricData collect_entry(const Entry& e, uint64_t now_ns) const;

    uint64_t start_unix_ns_;
    mutable std::mutex mu_;
    std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace obi::metrics
