// Telemetry: builds and wires exporters, registries and internal metrics from the config.
#include "app/telemetry.h"

#include <spdlog/spdlog.h>

#include "config/otlp.h"
#include "export/otlp/factory.h"
#include "export/printer/trace_printer.h"
#include "export/prometheus/text_format.h"
#include "metrics/from_config.h"

namespace obi {
namespace {

std::unique_ptr<SpanExporter> make_printer(const config::Config& cfg, const MonoClock& clock)
{
    using TP = config::TracePrinter;
    printer::Mode mode;
    switch (cfg.trace_printer) {
    case TP::Disabled: return nullptr;
    case TP::Counter: mode = printer::Mode::Counter; break;
    case TP::Text: mode = printer::Mode::Text; break;
    case TP::Json: mode = printer::Mode::Json; break;
    case TP::JsonIndent: mode = printer::Mode::JsonIndent; break;
    default: return nullptr;
    }
    return std::make_unique<printer::TracePrinter>(mode, stdout, clock);
}

metrics::Temporality otlp_temporality(const config::Config& cfg)
{
    return cfg.otel_metrics.temporality == config::TemporalityPreference::Cumulative ? metrics::Temporality::Cumulative
                                                                                      : metrics::Temporality::Delta;
}

// Pushes the growth of a monotonic value into a counter.
void push_delta(metrics::InternalCounter* c, uint64_t now, uint64_t& last)
{
    if (c && now > last) c->add(now - last);
    last = std::max(last, now);
}

}  // namespace

Telemetry::Telemetry(const config::Config& cfg, const MonoClock& clock)
    : cfg_(cfg), clock_(clock), agent_(metrics::register_agent_metrics(internal_))
{
}

Telemetry::~Telemetry() { shutdown(std::chrono::steady_clock::now()); }

bool Telemetry::init(std::string* error)
{
    if (auto printer = make_printer(cfg_, clock_)) trace_exporters_.push_back(std::move(printer));
    auto traces = otlp::make_trace_exporter(cfg_, clock_, error);
    if (!traces && !error->empty()) return false;
    if (traces) {
        spdlog::info("exporting traces over OTLP: {}", traces->describe());
        otlp_traces_ = traces.get();
        trace_exporters_.push_back(std::move(traces));
    }

    bool app_metrics = cfg_.metrics.any_application();
    filter_ = std::make_unique<metrics::SpanFilter>(cfg_.filter.application);
    samplers_ = std::make_unique<pipeline::SamplerSet>(
        pipeline::Sampler(cfg_.otel_traces.sampler.name, cfg_.otel_traces.sampler.arg));

    if (app_metrics && config::otlp_target(cfg_, config::OtlpSignal::Metrics)) {
        otlp_registry_ = std::make_unique<metrics::MetricsRegistry>(metrics::otlp_registry_options(cfg_));
        otlp_spans_ = std::make_unique<metrics::SpanMetrics>(*otlp_registry_, metrics::otlp_span_metrics_options(cfg_));
        auto temporality = otlp_temporality(cfg_);
        otlp_metrics_ = otlp::make_metrics_exporter(
            cfg_, [this, temporality] { return otlp_registry_->collect(temporality); }, error);
        if (!otlp_metrics_) {
            if (error->empty()) *error = "the OTLP metrics exporter could not be created";
            return false;
        }
        metrics::observe_registry(internal_, *otlp_registry_, "otlp");
        spdlog::info("exporting metrics over OTLP every {} s",
                     std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.otel_metrics.interval).count() / 1000.0);
    }
    if (app_metrics && cfg_.prometheus.port != 0) {
        prom_registry_ = std::make_unique<metrics::MetricsRegistry>(metrics::prometheus_registry_options(cfg_));
        prom_spans_ = std::make_unique<metrics::SpanMetrics>(*prom_registry_, metrics::prometheus_span_metrics_options(cfg_));
        metrics::observe_registry(internal_, *prom_registry_, "prometheus");
    }
    using IME = config::InternalMetricsExporter;
    if (cfg_.internal_metrics.exporter == IME::Otel) {
        otlp_internal_ = otlp::make_metrics_exporter(cfg_, [this] { return internal_.collect(); }, error);
        if (!otlp_internal_ && !error->empty()) return false;
    }
    prometheus::RenderFn render_app, render_internal;
    if (prom_registry_) {
        auto opts = prometheus::render_options(cfg_);
        render_app = [this, opts] {
            return prometheus::render_text(prom_registry_->collect(metrics::Temporality::Cumulative), opts);
        };
    }
    if (cfg_.internal_metrics.exporter == IME::Prometheus) {
        prometheus::RenderOptions iopts;
        iopts.target_info = false;
        iopts.build_info = false;
        render_internal = [this, iopts] { return prometheus::render_text(internal_.collect(), iopts); };
    }
    if (render_app || render_internal)
        prom_endpoints_ = std::make_unique<prometheus::PrometheusEndpoints>(
            cfg_, render_app, render_internal, [this](uint16_t port, const std::string& path, int) {
                agent_.prometheus_requests->add({std::to_string(port), path});
            });
    return true;
}

std::vector<std::unique_ptr<SpanExporter>> Telemetry::take_trace_exporters() { return std::move(trace_exporters_); }

pipeline::ExportStages Telemetry::stages()
{
    pipeline::ExportStages st;
    metrics::SpanFilter* filter = filter_.get();
    st.filter = [filter](const Span& s) { return filter->passes(s); };
    if (otlp_spans_ || prom_spans_) {
        metrics::SpanMetrics* a = otlp_spans_.get();
        metrics::SpanMetrics* b = prom_spans_.get();
        st.record_metrics = [a, b](const Span& s) {
            if (a) a->record(s);
            if (b) b->record(s);
        };
    }
    pipeline::SamplerSet* samplers = samplers_.get();
    st.sample = [samplers](const Span& s) { return samplers->sample(s); };
    return st;
}

bool Telemetry::start(std::string* error)
{
    if (!prom_endpoints_) return true;
    if (!prom_endpoints_->start(error)) return false;
    spdlog::info("serving Prometheus metrics on port {} path {}", cfg_.prometheus.port, cfg_.prometheus.path);
    return true;
}

void Telemetry::shutdown(std::chrono::steady_clock::time_point deadline)
{
    auto left = [deadline] { return std::max(deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero()); };
    if (otlp_metrics_) otlp_metrics_->shutdown(left());
    if (otlp_internal_) otlp_internal_->shutdown(left());
    otlp_metrics_.reset();
    otlp_internal_.reset();
    if (prom_endpoints_) prom_endpoints_->stop();
}

void Telemetry::service_added(const ServicePtr& svc)
{
    if (otlp_registry_) otlp_registry_->add_service(svc);
    if (prom_registry_) prom_registry_->add_service(svc);
}

void Telemetry::service_exited(const ServiceInfo* svc)
{
    if (otlp_registry_) otlp_registry_->service_exited(svc);
    if (prom_registry_) prom_registry_->service_exited(svc);
}

void Telemetry::update_exporter_metrics(const pipeline::SpanPipeline& pipeline)
{
    const auto& ps = pipeline.stats();
    uint64_t dq = ps.dropped_queue.load(), inv = ps.dropped_invalid.load(), flt = ps.filtered.load();
    if (dq > last_dropped_queue_) agent_.spans_dropped->add({"pipeline_queue_full"}, double(dq - last_dropped_queue_));
    if (inv > last_invalid_) agent_.spans_dropped->add({"invalid"}, double(inv - last_invalid_));
    if (flt > last_filtered_) agent_.spans_dropped->add({"filtered"}, double(flt - last_filtered_));
    last_dropped_queue_ = dq, last_invalid_ = inv, last_filtered_ = flt;
    size_t queued = pipeline.queued_spans();
    double capacity = static_cast<double>(cfg_.otel_traces.max_queue_size);
    if (otlp_traces_) {
        auto st = otlp_traces_->stats();
        queued += st.queue_length;
        capacity += static_cast<double>(st.queue_capacity);
        push_delta(agent_.trace_exports, st.batches_sent, last_traces_.batches_sent);
        if (st.dropped > last_traces_.dropped)
            agent_.spans_dropped->add({"otlp_queue_full"}, double(st.dropped - last_traces_.dropped));
        if (st.failed > last_traces_.failed)
            agent_.spans_dropped->add({"otlp_export_failed"}, double(st.failed - last_traces_.failed));
        last_traces_.dropped = st.dropped;
        last_traces_.failed = st.failed;
        for (const auto& [reason, n] : st.errors) {
            uint64_t& last = last_traces_.errors[reason];
            if (n > last) agent_.trace_export_errors->add({reason}, double(n - last));
            last = n;
        }
    }
    if (otlp_metrics_) {
        auto st = otlp_metrics_->stats();
        push_delta(agent_.metric_exports, st.batches_sent, last_metrics_.batches_sent);
        for (const auto& [reason, n] : st.errors) {
            uint64_t& last = last_metrics_.errors[reason];
            if (n > last) agent_.metric_export_errors->add({reason}, double(n - last));
            last = n;
        }
    }
    agent_.export_queue_spans->set(static_cast<double>(queued));
    agent_.export_queue_capacity->set(capacity);
}

}  // namespace obi
