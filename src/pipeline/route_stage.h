// The routes stage of the pipeline: sets http.route on HTTP spans from the `routes`
// configuration and drops spans of ignored routes from traces.
#pragma once

#include <string>
#include <unordered_map>

#include "config/config.h"
#include "routes/router.h"
#include "spans/span.h"

namespace obi::pipeline {

class RouteStage {
public:
    // The configuration was validated by the loader; a pattern it accepted cannot fail here.
    explicit RouteStage(const config::RoutesConfig& cfg);
    // Returns false when the span must not be exported as a trace (ignored_patterns).
    bool apply(Span& span);

private:
    routes::Router router_;
    // low-cardinality mode: one limiter per service name (bounded by kMaxServices).
    std::unordered_map<std::string, routes::CardinalityLimiter> limiters_;
};

routes::RouterOptions router_options(const config::RoutesConfig& cfg);

}  // namespace obi::pipeline
