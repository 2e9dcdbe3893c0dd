// Instrument: attribute selection at declaration and the recording path (hash the selected
// values, find or create the series under the instrument's lock, update its aggregation).
#include <algorithm>
#include <cmath>

#include "metrics/registry.h"

namespace obi::metrics {
namespace {

const std::vector<double>& bucket_bounds(const config::Buckets& b, BucketSet set)
{
    switch (set) {
    case BucketSet::Duration: return b.duration_histogram;
    case BucketSet::RequestSize: return b.request_size_histogram;
    case BucketSet::ResponseSize: return b.response_size_histogram;
    case BucketSet::TcpRtt: return b.stat_tcp_rtt_histogram;
    case BucketSet::GenAiTokenUsage: return b.gen_ai_client_token_usage_histogram;
    case BucketSet::GenAiDuration: return b.gen_ai_client_operation_duration_histogram;
    }
    return b.duration_histogram;
}

bool in_flavor(Flavors f, Flavor flavor)
{
    if (f == Flavors::Both) return true;
    return (f == Flavors::PrometheusOnly) == (flavor == Flavor::Prometheus);
}

}  // namespace

Instrument::Instrument(MetricsRegistry& registry, MetricDef def) : registry_(registry), def_(std::move(def))
{
    const RegistryOptions& opts = registry_.options_;
    std::vector<ServiceAttributeDef> service_attrs;
    for (const auto& sa : def_.service_attributes)
        if (in_flavor(sa.flavors, opts.flavor)) service_attrs.push_back(sa);

    std::vector<SelectableAttribute> available;
    for (const auto& a : def_.attributes) available.push_back({a.key, a.on_by_default});
    for (const auto& sa : service_attrs) available.push_back({sa.key, sa.on_by_default});
    std::vector<bool> on;
    if (def_.selectable) {
        on = registry_.selector_.select(def_.name, def_.select_aliases, available);
    } else {
        for (const auto& a : available) on.push_back(a.on_by_default);
    }
    for (size_t i = 0; i < def_.attributes.size(); i++)
        if (on[i]) selected_.push_back(static_cast<uint16_t>(i));
    for (size_t i = 0; i < service_attrs.size(); i++)
        if (on[def_.attributes.size() + i]) service_attrs_.push_back(service_attrs[i]);

    if (def_.kind == InstrumentKind::Histogram) {
        exponential_ = opts.histograms == HistogramMode::Base2Exponential;
        bounds_ = bucket_bounds(opts.buckets, def_.buckets);
        std::sort(bounds_.begin(), bounds_.end());
        bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
    }
}

Instrument::~Instrument() = default;

bool Instrument::selected(size_t attribute_index) const
{
    return std::find(selected_.begin(), selected_.end(), attribute_index) != selected_.end();
}

size_t Instrument::series_count() const
{
    std::lock_guard lock(mu_);
    return regular_series_;
}

void Instrument::record(const ServicePtr& service, std::span<const AttrValue> values, double value)
{
    if (!service || !std::isfinite(value)) return;
    if (value < 0 && def_.kind == InstrumentKind::Counter) return;
    uint64_t hash = hash_mix(reinterpret_cast<uintptr_t>(service.get()));
    static const AttrValue kAbsent;
    for (uint16_t idx : selected_) hash = hash_value(hash, idx < values.size() ? values[idx] : kAbsent);

    std::lock_guard lock(mu_);
    Series* s = find(hash, service.get(), values);
    if (!s) s = create(hash, service, values);
    s->touched = true;
    s->fresh = true;
    apply(*s, value);
}

Series* Instrument::find(uint64_t hash, const ServiceInfo* service, std::span<const AttrValue> values) const
{
    static const AttrValue kAbsent;
    for (Series* s = index_.find(hash); s; s = s->next) {
        if (s->service.get() != service) continue;
        bool same = true;
        for (size_t k = 0; k < selected_.size() && same; k++) {
            uint16_t idx = selected_[k];
            same = s->values[k].equals(idx < values.size() ? values[idx] : kAbsent);
        }
        if (same) return s;
    }
    return nullptr;
}

Series* Instrument::create(uint64_t hash, const ServicePtr& service, std::span<const AttrValue> values)
{
    if (regular_series_ >= registry_.options_.series_limit) {
        overflowed_.fetch_add(1, std::memory_order_relaxed);
        return overflow_series(service);
    }
    auto s = std::make_unique<Series>();
    s->hash = hash;
    s->service = service;
    s->values.reserve(selected_.size());
    for (uint16_t idx : selected_) s->values.emplace_back(idx < values.size() ? values[idx] : AttrValue{});
    ClockReading now = registry_.now();
    s->start_unix_ns = now.unix_ns;
    s->last_seen_mono_ns = now.mono_ns;
    init_aggregation(*s);
    Series* raw = s.get();
    raw->next = index_.find(hash);
    index_.set(hash, raw);
    series_.push_back(std::move(s));
    regular_series_++;
    return raw;
}

Series* Instrument::overflow_series(const ServicePtr& service)
{
    auto it = overflow_.find(service.get());
    if (it != overflow_.end()) return it->second;
    auto s = std::make_unique<Series>();
    s->service = service;
    s->overflow = true;
    ClockReading now = registry_.now();
    s->start_unix_ns = now.unix_ns;
    s->last_seen_mono_ns = now.mono_ns;
    init_aggregation(*s);
    Series* raw = s.get();
    overflow_.emplace(service.get(), raw);
    series_.push_back(std::move(s));
    return raw;
}

void Instrument::init_aggregation(Series& s) const
{
    if (def_.kind != InstrumentKind::Histogram) {
        s.agg = 0.0;
    } else if (exponential_) {
        s.agg = ExpHistogram(registry_.options_.exp_max_size, registry_.options_.exp_max_scale);
    } else {
        HistogramState h;
        h.counts.assign(bounds_.size() + 1, 0);
        s.agg = std::move(h);
    }
}

void Instrument::apply(Series& s, double value) const
{
    switch (def_.kind) {
    case InstrumentKind::Counter:
    case InstrumentKind::UpDownCounter: std::get<double>(s.agg) += value; return;
    case InstrumentKind::Gauge: std::get<double>(s.agg) = value; return;
    case InstrumentKind::Histogram: break;
    }
    if (auto* e = std::get_if<ExpHistogram>(&s.agg)) {
        e->record(value);
        return;
    }
    auto& h = std::get<HistogramState>(s.agg);
    if (std::isinf(value)) return;
    // Bucket i counts bounds[i-1] < v <= bounds[i]; the last one everything above.
    size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
    h.counts[i]++;
    if (h.count == 0) {
        h.min = h.max = value;
    } else {
        h.min = std::min(h.min, value);
        h.max = std::max(h.max, value);
    }
    h.count++;
    h.sum += value;
}

void Instrument::unlink(Series* s)
{
    if (s->overflow) {
        overflow_.erase(s->service.get());
        return;
    }
    Series* head = index_.find(s->hash);
    if (head == s) {
        if (s->next) index_.set(s->hash, s->next);
        else index_.erase(s->hash);
    } else {
        for (Series* p = head; p; p = p->next) {
            if (p->next == s) {
                p->next = s->next;
                break;
            }
        }
    }
    regular_series_--;
}

}  // namespace obi::metrics
