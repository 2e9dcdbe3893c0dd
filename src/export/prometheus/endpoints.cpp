// PrometheusEndpoints: planning the servers from the configuration, starting them together.
#include "export/prometheus/endpoints.h"

namespace obi::prometheus {

PrometheusEndpoints::PrometheusEndpoints(const config::Config& cfg, RenderFn render_app, RenderFn render_internal,
                                         RequestFn on_request)
    : on_request_(std::move(on_request))
{
    bool app = render_app && cfg.prometheus.port != 0 && cfg.metrics.any_application();
    bool internal = render_internal && cfg.internal_metrics.exporter == config::InternalMetricsExporter::Prometheus &&
                    cfg.internal_metrics.prometheus_port != 0;
    if (app) server_for(cfg.prometheus.port).add_endpoint({cfg.prometheus.path, std::move(render_app)});
    if (internal) {
        uint16_t port = cfg.internal_metrics.prometheus_port;
        if (app && port == cfg.prometheus.port && cfg.internal_metrics.prometheus_path == cfg.prometheus.path) {
            plan_error_ = "internal_metrics.prometheus.path and prometheus_export.path are both " +
                          cfg.prometheus.path + " on port " + std::to_string(port) + ": use different paths";
        } else {
            server_for(port).add_endpoint({cfg.internal_metrics.prometheus_path, std::move(render_internal)});
        }
    }
}

PrometheusEndpoints::~PrometheusEndpoints() { stop(); }

MetricsServer& PrometheusEndpoints::server_for(uint16_t port)
{
    for (size_t i = 0; i < ports_.size(); i++)
        if (ports_[i] == port) return *servers_[i];
    ServerOptions opts;
    opts.port = port;
    if (on_request_) {
        RequestFn cb = on_request_;
        opts.on_request = [cb, port](const std::string& path, int status) { cb(port, path, status); };
    }
    servers_.push_back(std::make_unique<MetricsServer>(opts, std::vector<Endpoint>{}));
    ports_.push_back(port);
    return *servers_.back();
}

bool PrometheusEndpoints::start(std::string* error)
{
    if (!plan_error_.empty()) {
        if (error) *error = plan_error_;
        return false;
    }
    for (auto& s : servers_) {
        if (!s->start(error)) {
            stop();
            return false;
        }
    }
    return true;
}

void PrometheusEndpoints::stop()
{
    for (auto& s : servers_) s->stop();
}

}  // namespace obi::prometheus
