// InternalMetrics: registration, labelled values and collection.
#include "metrics/internal.h"

#include <chrono>

namespace obi::metrics {
namespace {

uint64_t unix_now_ns()
{
    using namespace std::chrono;
    return static_cast<uint64_t>(duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count());
}

DataPoint make_point(double value, bool counter, uint64_t start_ns, uint64_t now_ns)
{
    DataPoint p;
    p.start_unix_ns = start_ns;
    p.time_unix_ns = now_ns;
    if (counter) p.value = SumPoint{value, false, 0};
    else p.value = GaugePoint{value, false, 0};
    return p;
}

}  // namespace

std::vector<std::string> LabeledValues::key(std::initializer_list<std::string_view> labels) const
{
    std::vector<std::string> k;
    k.reserve(label_count_);
    for (auto l : labels) {
        if (k.size() == label_count_) break;
        k.emplace_back(l);
    }
    while (k.size() < label_count_) k.emplace_back();
    return k;
}

double& LabeledValues::slot(std::vector<std::string> k)
{
    auto it = values_.find(k);
    if (it != values_.end()) return it->second;
    if (values_.size() >= kMaxLabelSets) k.assign(label_count_, "other");
    return values_[std::move(k)];
}

void LabeledValues::add(std::initializer_list<std::string_view> labels, double delta)
{
    auto k = key(labels);
    std::lock_guard lock(mu_);
    slot(std::move(k)) += delta;
}

void LabeledValues::set(std::initializer_list<std::string_view> labels, double value)
{
    auto k = key(labels);
    std::lock_guard lock(mu_);
    slot(std::move(k)) = value;
}

void LabeledValues::remove(std::initializer_list<std::string_view> labels)
{
    auto k = key(labels);
    std::lock_guard lock(mu_);
    values_.erase(k);
}

double LabeledValues::value(std::initializer_list<std::string_view> labels) const
{
    auto k = key(labels);
    std::lock_guard lock(mu_);
    auto it = values_.find(k);
    return it == values_.end() ? 0 : it->second;
}

std::vector<std::pair<std::vector<std::string>, double>> LabeledValues::values() const
{
    std::lock_guard lock(mu_);
    return {values_.begin(), values_.end()};
}

void Observer::record(double value, std::initializer_list<std::pair<std::string_view, std::string_view>> labels)
{
    if (!points_) return;
    DataPoint p = make_point(value, counter_, start_ns_, now_ns_);
    for (const auto& [k, v] : labels) p.attributes.push_back({std::string(k), std::string(v)});
    points_->push_back(std::move(p));
}

InternalMetrics::InternalMetrics() : start_unix_ns_(unix_now_ns()) {}

InternalMetrics::Entry* InternalMetrics::find(const std::string& name)
{
    for (auto& e : entries_)
        if (e->name == name) return e.get();
    return nullptr;
}

InternalMetrics::Entry& InternalMetrics::add(const std::string& name, const std::string& unit,
                                             const std::string& description, Kind kind)
{
    auto e = std::make_unique<Entry>();
    e->name = name;
    e->unit = unit;
    e->description = description;
    e->kind = kind;
    entries_.push_back(std::move(e));
    return *entries_.back();
}

InternalCounter& InternalMetrics::counter(const std::string& name, const std::string& unit,
                                          const std::string& description)
{
    std::lock_guard lock(mu_);
    if (Entry* e = find(name); e && e->counter) return *e->counter;
    Entry& e = add(name, unit, description, Kind::Counter);
    e.counter = std::make_unique<InternalCounter>();
    return *e.counter;
}

InternalGauge& InternalMetrics::gauge(const std::string& name, const std::string& unit, const std::string& description)
{
    std::lock_guard lock(mu_);
    if (Entry* e = find(name); e && e->gauge) return *e->gauge;
    Entry& e = add(name, unit, description, Kind::Gauge);
    e.gauge = std::make_unique<InternalGauge>();
    return *e.gauge;
}

LabeledValues& InternalMetrics::labeled_counter(const std::string& name, const std::string& unit,
                                                const std::string& description, std::vector<std::string> label_keys)
{
    std::lock_guard lock(mu_);
    if (Entry* e = find(name); e && e->labeled) return *e->labeled;
    Entry& e = add(name, unit, description, Kind::LabeledCounter);
    e.labeled = std::make_unique<LabeledValues>(label_keys.size());
    e.label_keys = std::move(label_keys);
    return *e.labeled;
}

LabeledValues& InternalMetrics::labeled_gauge(const std::string& name, const std::string& unit,
                                              const std::string& description, std::vector<std::string> label_keys)
{
    std::lock_guard lock(mu_);
    if (Entry* e = find(name); e && e->labeled) return *e->labeled;
    Entry& e = add(name, unit, description, Kind::LabeledGauge);
    e.labeled = std::make_unique<LabeledValues>(label_keys.size());
    e.label_keys = std::move(label_keys);
    return *e.labeled;
}

void InternalMetrics::observe(const std::string& name, const std::string& unit, const std::string& description,
                              bool counter, std::function<void(Observer&)> callback)
{
    std::lock_guard lock(mu_);
    Entry* e = find(name);
    if (!e) e = &add(name, unit, description, counter ? Kind::ObservedCounter : Kind::ObservedGauge);
    e->callbacks.push_back(std::move(callback));
}

MetricData InternalMetrics::collect_entry(const Entry& e, uint64_t now_ns) const
{
    MetricData md;
    md.name = e.name;
    md.unit = e.unit;
    md.description = e.description;
    bool counter = e.kind == Kind::Counter || e.kind == Kind::LabeledCounter || e.kind == Kind::ObservedCounter;
    md.kind = counter ? MetricKind::Sum : MetricKind::Gauge;
    md.monotonic = counter;
    switch (e.kind) {
    case Kind::Counter: {
        DataPoint p = make_point(0, true, start_unix_ns_, now_ns);
        uint64_t v = e.counter->value();
        p.value = SumPoint{static_cast<double>(v), true, static_cast<int64_t>(v)};
        md.points.push_back(std::move(p));
        break;
    }
    case Kind::Gauge: md.points.push_back(make_point(e.gauge->value(), false, start_unix_ns_, now_ns)); break;
    case Kind::LabeledCounter:
    case Kind::LabeledGauge:
        for (const auto& [labels, value] : e.labeled->values()) {
            DataPoint p = make_point(value, counter, start_unix_ns_, now_ns);
            for (size_t i = 0; i < labels.size() && i < e.label_keys.size(); i++)
                p.attributes.push_back({e.label_keys[i], labels[i]});
            md.points.push_back(std::move(p));
        }
        break;
    case Kind::ObservedCounter:
    case Kind::ObservedGauge: {
        Observer obs;
        obs.points_ = &md.points;
        obs.start_ns_ = start_unix_ns_;
        obs.now_ns_ = now_ns;
        obs.counter_ = counter;
        for (const auto& cb : e.callbacks)
            if (cb) cb(obs);
        break;
    }
    }
    return md;
}

Snapshot InternalMetrics::collect() const
{
    uint64_t now = unix_now_ns();
    ResourceMetrics rm;
    std::lock_guard lock(mu_);
    for (const auto& e : entries_) {
        MetricData md = collect_entry(*e, now);
        if (!md.points.empty()) rm.metrics.push_back(std::move(md));
    }
    Snapshot snap;
    snap.resources.push_back(std::move(rm));
    return snap;
}

}  // namespace obi::metrics
