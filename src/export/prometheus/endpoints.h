// The Prometheus HTTP servers the configuration asks for: prometheus_export.{port,path}
// when an application feature is on, and internal_metrics.prometheus.{port,path} when the
// internal exporter is "prometheus" - one server when both use the same port.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "export/prometheus/server.h"

namespace obi::prometheus {

using RenderFn = std::function<std::string()>;
using RequestFn = std::function<void(uint16_t port, const std::string& path, int status)>;

class PrometheusEndpoints {
public:
    // `render_app` / `render_internal` may be empty when that side is not wanted.
    PrometheusEndpoints(const config::Config& cfg, RenderFn render_app, RenderFn render_internal,
                        RequestFn on_request = {});
    ~PrometheusEndpoints();

    bool empty() const { return servers_.empty(); }
    // Starts every server; on failure stops the ones started and explains in *error.
    bool start(std::string* error);
    void stop();
    const std::vector<std::unique_ptr<MetricsServer>>& servers() const { return servers_; }

private:
    MetricsServer& server_for(uint16_t port);
    RequestFn on_request_;
    std::vector<std::unique_ptr<MetricsServer>> servers_;
    std::vector<uint16_t> ports_;
    std::string plan_error_;  // e.g. both paths equal on one port
};

}  // namespace obi::prometheus
