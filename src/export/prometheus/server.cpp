// MetricsServer on cpp-httplib: binds with SO_REUSEADDR only (httplib's default also sets
// SO_REUSEPORT, which would let a second agent share the port silently), a small worker
// pool, and one GET handler per path.
#include "export/prometheus/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "export/prometheus/text_format.h"

namespace obi::prometheus {
namespace {

// httplib routes are regular expressions: match the path literally.
std::string regex_literal(const std::string& path)
{
    std::string out;
    for (char c : path) {
        if (std::strchr("\\^$.|?*+()[]{}", c)) out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

}  // namespace

MetricsServer::MetricsServer(ServerOptions options, std::vector<Endpoint> endpoints)
    : options_(std::move(options)), endpoints_(std::move(endpoints))
{
}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::add_endpoint(Endpoint endpoint) { endpoints_.push_back(std::move(endpoint)); }

bool MetricsServer::start(std::string* error)
{
    if (running()) return true;
    server_ = std::make_unique<httplib::Server>();
    size_t workers = options_.worker_threads == 0 ? 1 : options_.worker_threads;
    server_->new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
    server_->set_socket_options([](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    for (const auto& ep : endpoints_) {
        auto render = ep.render;
        server_->Get(regex_literal(ep.path), [render](const httplib::Request&, httplib::Response& res) {
            try {
                res.set_content(render ? render() : std::string(), kContentType);
            } catch (const std::exception& e) {
                res.status = 500;
                res.set_content(std::string("cannot render metrics: ") + e.what() + "\n", "text/plain");
            } catch (...) {
                res.status = 500;
                res.set_content("cannot render metrics\n", "text/plain");
            }
        });
    }
    if (options_.on_request) {
        auto cb = options_.on_request;
        server_->set_logger(
            [cb](const httplib::Request& req, const httplib::Response& res) { cb(req.path, res.status); });
    }

    errno = 0;
    bool bound = false;
    if (options_.port == 0) {
        int p = server_->bind_to_any_port(options_.bind_address);
        bound = p > 0;
        if (bound) bound_port_ = static_cast<uint16_t>(p);
    } else {
        bound = server_->bind_to_port(options_.bind_address, options_.port);
        if (bound) bound_port_ = options_.port;
    }
    if (!bound) {
        int err = errno;
        if (error) {
            *error = "cannot serve Prometheus metrics on " + options_.bind_address + ":" +
                     std::to_string(options_.port) + ": " +
                     (err == EADDRINUSE ? std::string("the port is already in use (prometheus_export.port)")
                      : err != 0        ? std::string(std::strerror(err))
                                        : std::string("cannot bind the address"));
        }
        server_.reset();
        return false;
    }
    listen_done_ = false;
    thread_ = std::thread([this, srv = server_.get()] {
        srv->listen_after_bind();
        listen_done_ = true;
    });
    // stop() only takes effect once the server runs: wait for it (a few ms at most).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!server_->is_running() && !listen_done_ && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return true;
}

void MetricsServer::stop()
{
    if (!thread_.joinable()) return;
    server_->stop();
    thread_.join();
    server_.reset();
}

}  // namespace obi::prometheus
