// The HTTP endpoint Prometheus scrapes: one listening socket (prometheus_export.port, all
// interfaces by default) serving one or more paths (/metrics, and /internal/metrics when
// internal_metrics.prometheus.port is the same port), each rendered on request.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
}

namespace obi::prometheus {

struct Endpoint {
    std::string path;                    // e.g. /metrics
    std::function<std::string()> render;  // text exposition; must not throw
};

struct ServerOptions {
    std::string bind_address = "0.0.0.0";
    uint16_t port = 0;         // 0: an ephemeral port (tests); see MetricsServer::port()
    size_t worker_threads = 2;  // concurrent scrapes
    // Called after each request with the path and status (obi.prometheus.http.requests).
    std::function<void(const std::string& path, int status)> on_request;
};

class MetricsServer {
public:
    MetricsServer(ServerOptions options, std::vector<Endpoint> endpoints);
    ~MetricsServer();  // stops
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // Binds now (so a taken port is reported here, with the reason in *error) and serves
    // on a thread of its own. False when it could not listen.
    bool start(std::string* error = nullptr);
    void stop();  // idempotent; waits for the serving thread
    bool running() const { return thread_.joinable(); }
    uint16_t port() const { return bound_port_; }
    // Adds a path before start() (e.g. the internal metrics sharing this port).
    void add_endpoint(Endpoint endpoint);

private:
    ServerOptions options_;
    std::vector<Endpoint> endpoints_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::atomic<bool> listen_done_{false};
    uint16_t bound_port_ = 0;
};

}  // namespace obi::prometheus
