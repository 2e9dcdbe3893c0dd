// RouteStage implementation.
#include "pipeline/route_stage.h"

#include <spdlog/spdlog.h>

namespace obi::pipeline {
namespace {

constexpr size_t kMaxServices = 4096;

routes::Router make_router(const config::RoutesConfig& cfg)
{
    std::string error;
    auto r = routes::Router::create(router_options(cfg), &error);
    if (r) return std::move(*r);
    spdlog::error("routes: {}; routes are disabled", error);
    routes::RouterOptions none;
    none.unmatched = routes::Unmatched::Unset;
    return std::move(*routes::Router::create(none));
}

}  // namespace

routes::RouterOptions router_options(const config::RoutesConfig& cfg)
{
    routes::RouterOptions o;
    o.patterns = cfg.patterns;
    o.ignored_patterns = cfg.ignored_patterns;
    o.ignore_mode = static_cast<routes::IgnoreMode>(cfg.ignore_mode);
    o.unmatched = static_cast<routes::Unmatched>(cfg.unmatched);
    o.wildcard_char = cfg.wildcard_char;
    o.max_path_segment_cardinality = static_cast<size_t>(std::max(0, cfg.max_path_segment_cardinality));
    return o;
}

RouteStage::RouteStage(const config::RoutesConfig& cfg) : router_(make_router(cfg)) {}

bool RouteStage::apply(Span& span)
{
    if (span.type != SpanType::HTTP && span.type != SpanType::HTTPClient) return true;
    routes::CardinalityLimiter* limiter = nullptr;
    if (router_.options().unmatched == routes::Unmatched::LowCardinality && span.service) {
        auto it = limiters_.find(span.service->name);
        if (it == limiters_.end()) {
            if (limiters_.size() >= kMaxServices) limiters_.clear();
            it = limiters_.emplace(span.service->name, router_.make_limiter()).first;
        }
        limiter = &it->second;
    }
    if (!router_.route(span.path, span.route, limiter)) span.route.clear();
    return !router_.drop_from_traces(span.path);
}

}  // namespace obi::pipeline
