// The metrics registry of one exporter: declared instruments, their series (one per service
// and attribute values), the series cap and TTL that bound memory, and thread-safe
// collection into a Snapshot (cumulative, or delta: reset after each collection).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "metrics/attr_value.h"
#include "metrics/attribute_select.h"
#include "metrics/metric_def.h"
#include "metrics/series.h"
#include "metrics/series_index.h"
#include "metrics/snapshot.h"

namespace obi::metrics {

// Series per metric before new attribute sets fold into the overflow series (the
// OpenTelemetry SDK's default cardinality limit).
inline constexpr size_t kDefaultSeriesLimit = 2000;
inline constexpr const char* kOverflowAttribute = "otel.metric.overflow";

// Prometheus adds the instance and job labels; OTLP leaves empty service fields out.
enum class Flavor : uint8_t { Otlp, Prometheus };
enum class HistogramMode : uint8_t { ExplicitBuckets, Base2Exponential };

struct ClockReading {
    uint64_t unix_ns = 0;  // data point timestamps
    uint64_t mono_ns = 0;  // TTL
};
ClockReading system_clock_reading();

struct RegistryOptions {
    Flavor flavor = Flavor::Otlp;
    std::chrono::nanoseconds ttl = std::chrono::minutes(5);  // 0: series never expire
    size_t series_limit = kDefaultSeriesLimit;                // per metric, overflow series excluded
    HistogramMode histograms = HistogramMode::ExplicitBuckets;
    uint32_t exp_max_size = 160;
    int exp_max_scale = 20;
    config::Buckets buckets;
    std::map<std::string, config::AttributeSelection> select;  // attributes.select
    std::function<ClockReading()> clock;                       // empty: the system clocks
};

class MetricsRegistry;

// A declared metric. Record from any thread; each instrument has its own lock.
class Instrument {
public:
    const MetricDef& def() const { return def_; }

    // One value for `service`, with one attribute value per def().attributes entry, in that
    // order (missing trailing values count as absent). Histograms observe the value, counters
    // add it (negative values are ignored), gauges take it. NaN and infinities are ignored.
    void record(const ServicePtr& service, std::span<const AttrValue> values, double value);
    void record(const ServicePtr& service, std::initializer_list<AttrValue> values, double value)
    {
        record(service, std::span<const AttrValue>(values.begin(), values.size()), value);
    }

    bool selected(size_t attribute_index) const;  // attributes.select kept def().attributes[i]
    uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }
    size_t series_count() const;  // overflow series excluded

    Instrument(MetricsRegistry& registry, MetricDef def);  // use MetricsRegistry::declare
    ~Instrument();

private:
    friend class MetricsRegistry;
    struct CollectContext;
    Series* find(uint64_t hash, const ServiceInfo* service, std::span<const AttrValue> values) const;
    Series* create(uint64_t hash, const ServicePtr& service, std::span<const AttrValue> values);
    Series* overflow_series(const ServicePtr& service);
    void init_aggregation(Series& s) const;
    void apply(Series& s, double value) const;
    void collect(CollectContext& ctx);
    size_t expire(ClockReading now, uint64_t ttl_ns);
    void remove(const std::vector<Series*>& expired);
    DataPoint point(const Series& s, const CollectContext& ctx) const;
    void unlink(Series* s);

    MetricsRegistry& registry_;
    MetricDef def_;
    std::vector<uint16_t> selected_;                  // indices into def_.attributes
    std::vector<ServiceAttributeDef> service_attrs_;  // selected, for this flavor
    std::vector<double> bounds_;                      // explicit-bucket histograms
    bool exponential_ = false;

    mutable std::mutex mu_;
    SeriesIndex index_;                            // hash -> chain (Series::next)
    std::vector<std::unique_ptr<Series>> series_;  // creation order, overflow series included
    std::unordered_map<const ServiceInfo*, Series*> overflow_;
    size_t regular_series_ = 0;
    std::atomic<uint64_t> overflowed_{0};
};

class MetricsRegistry {
public:
    explicit MetricsRegistry(RegistryOptions options = {});
    ~MetricsRegistry();
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    // Declares a metric (attributes.select resolved now). A name declared again returns the
    // first instrument. The reference stays valid for the registry's life.
    Instrument& declare(const MetricDef& def);
    Instrument* find(std::string_view name) const;

    // A discovered process: its resource (Prometheus target_info) is reported before it
    // records anything. After service_exited, target_info goes; its series age out by TTL.
    void add_service(ServicePtr service);
    void service_exited(const ServiceInfo* service);

    // Every series, grouped by service (sorted by name, namespace, instance). Delta: only the
    // series recorded since the previous collection, which start at that collection and are
    // reset. Series not recorded for `ttl` are removed. Safe while other threads record.
    Snapshot collect(Temporality temporality);
    Snapshot collect(Temporality temporality, ClockReading now);

    // Removes the series not recorded for `ttl` without collecting (what is recorded stays
    // for the next collection). For a registry nobody may collect for long (no scrapes):
    // call it every ttl/2 or so. The TTL is only as precise as these calls. Returns the
    // number of series removed.
    size_t expire();
    size_t expire(ClockReading now);

    const RegistryOptions& options() const { return options_; }
    uint64_t overflowed() const;  // recordings folded into overflow series, all metrics
    size_t series_count() const;
    ClockReading now() const;

private:
    friend class Instrument;
    RegistryOptions options_;
    AttributeSelector selector_;
    mutable std::mutex mu_;  // instruments_, services_, collection
    std::vector<std::unique_ptr<Instrument>> instruments_;
    struct KnownService {
        ServicePtr service;
        bool exited = false;
    };
    std::unordered_map<const ServiceInfo*, KnownService> services_;
};

// The value of a service-derived attribute (job = namespace/name or name).
std::string service_field_value(const ServiceInfo& service, ServiceField field);

}  // namespace obi::metrics
