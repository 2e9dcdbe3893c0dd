// MetricsRegistry: declaration, known services, and collection (TTL expiry, delta reset,
// grouping of data points by service into a Snapshot).
#include "metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace obi::metrics {

ClockReading system_clock_reading()
{
    using namespace std::chrono;
    return {static_cast<uint64_t>(duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count()),
            static_cast<uint64_t>(duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count())};
}

std::string service_field_value(const ServiceInfo& svc, ServiceField field)
{
    switch (field) {
    case ServiceField::Name: return svc.name;
    case ServiceField::Namespace: return svc.namespace_;
    case ServiceField::InstanceId: return svc.instance_id;
    case ServiceField::Job: return svc.namespace_.empty() ? svc.name : svc.namespace_ + "/" + svc.name;
    case ServiceField::SdkLanguage: return svc.sdk_language;
    case ServiceField::Source: return "obi";
    }
    return "";
}

struct Instrument::CollectContext {
    Temporality temporality = Temporality::Cumulative;
    ClockReading now;
    uint64_t ttl_ns = 0;
    Flavor flavor = Flavor::Otlp;
    Snapshot* snapshot = nullptr;
    std::unordered_map<const ServiceInfo*, size_t>* resource_index = nullptr;
    std::unordered_set<const ServiceInfo*>* alive = nullptr;

    ResourceMetrics& resource(const ServicePtr& service)
    {
        auto [it, inserted] = resource_index->try_emplace(service.get(), snapshot->resources.size());
        if (inserted) snapshot->resources.push_back(ResourceMetrics{service, {}});
        return snapshot->resources[it->second];
    }
};

namespace {

MetricData metric_header(const MetricDef& def, Temporality temporality, bool exponential)
{
    MetricData md;
    md.name = def.name;
    md.description = def.description;
    md.unit = def.unit;
    md.prometheus_name = def.prometheus_name;
    md.prometheus_resource_info = def.prometheus_resource_info;
    md.temporality = temporality;
    switch (def.kind) {
    case InstrumentKind::Counter: md.kind = MetricKind::Sum; break;
    case InstrumentKind::UpDownCounter:
        md.kind = MetricKind::Sum;
        md.monotonic = false;
        break;
    case InstrumentKind::Gauge:
        md.kind = MetricKind::Gauge;
        md.temporality = Temporality::Cumulative;
        md.monotonic = false;
        break;
    case InstrumentKind::Histogram:
        md.kind = exponential ? MetricKind::ExponentialHistogram : MetricKind::Histogram;
        break;
    }
    return md;
}

void reset_aggregation(Series& s, InstrumentKind kind)
{
    if (kind == InstrumentKind::Gauge) return;  // a gauge keeps its last value
    if (auto* d = std::get_if<double>(&s.agg)) *d = 0;
    else if (auto* e = std::get_if<ExpHistogram>(&s.agg)) e->reset();
    else if (auto* h = std::get_if<HistogramState>(&s.agg)) {
        std::fill(h->counts.begin(), h->counts.end(), 0);
        h->count = 0;
        h->sum = h->min = h->max = 0;
    }
}

}  // namespace

DataPoint Instrument::point(const Series& s, const CollectContext& ctx) const
{
    DataPoint p;
    p.start_unix_ns = s.start_unix_ns;
    p.time_unix_ns = ctx.now.unix_ns;
    p.attributes.reserve(s.values.size() + service_attrs_.size() + 1);
    if (s.overflow) {
        p.attributes.push_back({kOverflowAttribute, true});
    } else {
        for (size_t k = 0; k < s.values.size(); k++)
            if (s.values[k].type != ValueType::Absent)
                p.attributes.push_back(to_attribute(def_.attributes[selected_[k]].key, s.values[k]));
    }
    for (const auto& sa : service_attrs_) {
        std::string v = service_field_value(*s.service, sa.field);
        if (v.empty() && ctx.flavor == Flavor::Otlp) continue;
        p.attributes.push_back({sa.key, std::move(v)});
    }
    if (const auto* d = std::get_if<double>(&s.agg)) {
        if (def_.kind == InstrumentKind::Gauge) {
            GaugePoint g{*d, def_.integer, def_.integer ? static_cast<int64_t>(std::llround(*d)) : 0};
            p.value = g;
        } else {
            SumPoint sum{*d, def_.integer, def_.integer ? static_cast<int64_t>(std::llround(*d)) : 0};
            p.value = sum;
        }
    } else if (const auto* e = std::get_if<ExpHistogram>(&s.agg)) {
        p.value = e->point();
    } else {
        const auto& h = std::get<HistogramState>(s.agg);
        HistogramPoint hp;
        hp.bounds = bounds_;
        hp.counts = h.counts;
        hp.count = h.count;
        hp.sum = h.sum;
        hp.min = h.min;
        hp.max = h.max;
        p.value = std::move(hp);
    }
    return p;
}

void Instrument::collect(CollectContext& ctx)
{
    std::lock_guard lock(mu_);
    bool delta = ctx.temporality == Temporality::Delta;
    std::unordered_map<const ServiceInfo*, size_t> metric_of;  // service -> index in its resource
    std::vector<Series*> expired;
    for (auto& owned : series_) {
        Series& s = *owned;
        bool touched = s.touched;
        s.touched = false;
        if (s.fresh) {
            s.last_seen_mono_ns = ctx.now.mono_ns;
            s.fresh = false;
        } else if (ctx.ttl_ns > 0 && ctx.now.mono_ns > s.last_seen_mono_ns &&
                   ctx.now.mono_ns - s.last_seen_mono_ns > ctx.ttl_ns) {
            expired.push_back(&s);
            continue;
        }
        ctx.alive->insert(s.service.get());
        if (!delta || touched) {
            ResourceMetrics& rm = ctx.resource(s.service);
            auto [it, inserted] = metric_of.try_emplace(s.service.get(), rm.metrics.size());
            if (inserted) rm.metrics.push_back(metric_header(def_, ctx.temporality, exponential_));
            rm.metrics[it->second].points.push_back(point(s, ctx));
        }
        if (delta) {
            reset_aggregation(s, def_.kind);
            s.start_unix_ns = ctx.now.unix_ns;
        }
    }
    remove(expired);
}

void Instrument::remove(const std::vector<Series*>& expired)
{
    if (expired.empty()) return;
    std::unordered_set<Series*> gone(expired.begin(), expired.end());
    for (Series* s : expired) unlink(s);
    std::erase_if(series_, [&](const std::unique_ptr<Series>& s) { return gone.count(s.get()) > 0; });
}

size_t Instrument::expire(ClockReading now, uint64_t ttl_ns)
{
    std::lock_guard lock(mu_);
    std::vector<Series*> expired;
    for (auto& owned : series_) {
        Series& s = *owned;
        if (s.fresh) {
            s.last_seen_mono_ns = now.mono_ns;  // `touched` stays for the next (delta) collection
            s.fresh = false;
        } else if (now.mono_ns > s.last_seen_mono_ns && now.mono_ns - s.last_seen_mono_ns > ttl_ns) {
            expired.push_back(&s);
        }
    }
    remove(expired);
    return expired.size();
}

MetricsRegistry::MetricsRegistry(RegistryOptions options)
    : options_(std::move(options)), selector_(options_.select)
{
}

MetricsRegistry::~MetricsRegistry() = default;

ClockReading MetricsRegistry::now() const { return options_.clock ? options_.clock() : system_clock_reading(); }

Instrument& MetricsRegistry::declare(const MetricDef& def)
{
    std::lock_guard lock(mu_);
    for (auto& i : instruments_)
        if (i->def().name == def.name) return *i;
    instruments_.push_back(std::make_unique<Instrument>(*this, def));
    return *instruments_.back();
}

Instrument* MetricsRegistry::find(std::string_view name) const
{
    std::lock_guard lock(mu_);
    for (auto& i : instruments_)
        if (i->def().name == name) return i.get();
    return nullptr;
}

void MetricsRegistry::add_service(ServicePtr service)
{
    if (!service) return;
    std::lock_guard lock(mu_);
    const ServiceInfo* key = service.get();
    services_[key] = KnownService{std::move(service), false};
}

void MetricsRegistry::service_exited(const ServiceInfo* service)
{
    std::lock_guard lock(mu_);
    auto it = services_.find(service);
    if (it != services_.end()) it->second.exited = true;
}

uint64_t MetricsRegistry::overflowed() const
{
    std::lock_guard lock(mu_);
    uint64_t n = 0;
    for (auto& i : instruments_) n += i->overflowed();
    return n;
}

size_t MetricsRegistry::series_count() const
{
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (auto& i : instruments_) n += i->series_count();
    return n;
}

Snapshot MetricsRegistry::collect(Temporality temporality) { return collect(temporality, now()); }

size_t MetricsRegistry::expire() { return expire(now()); }

size_t MetricsRegistry::expire(ClockReading now)
{
    auto ttl = static_cast<uint64_t>(std::max<int64_t>(0, options_.ttl.count()));
    if (ttl == 0) return 0;
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (auto& i : instruments_) n += i->expire(now, ttl);
    return n;
}

Snapshot MetricsRegistry::collect(Temporality temporality, ClockReading now)
{
    std::lock_guard lock(mu_);
    Snapshot snap;
    std::unordered_map<const ServiceInfo*, size_t> resource_index;
    std::unordered_set<const ServiceInfo*> alive;
    Instrument::CollectContext ctx;
    ctx.temporality = temporality;
    ctx.now = now;
    ctx.ttl_ns = static_cast<uint64_t>(std::max<int64_t>(0, options_.ttl.count()));
    ctx.flavor = options_.flavor;
    ctx.snapshot = &snap;
    ctx.resource_index = &resource_index;
    ctx.alive = &alive;

    for (auto& [key, known] : services_)
        if (!known.exited) ctx.resource(known.service);
    for (auto& i : instruments_) i->collect(ctx);

    for (auto& rm : snap.resources) {
        auto it = services_.find(rm.service.get());
        rm.target_info = it == services_.end() || !it->second.exited;
    }
    std::erase_if(services_, [&](const auto& kv) { return kv.second.exited && !alive.count(kv.first); });
    std::sort(snap.resources.begin(), snap.resources.end(), [](const ResourceMetrics& a, const ResourceMetrics& b) {
        const ServiceInfo& x = *a.service;
        const ServiceInfo& y = *b.service;
        if (x.name != y.name) return x.name < y.name;
        if (x.namespace_ != y.namespace_) return x.namespace_ < y.namespace_;
        if (x.instance_id != y.instance_id) return x.instance_id < y.instance_id;
        return a.service.get() < b.service.get();
    });
    return snap;
}

}  // namespace obi::metrics
