// QueryStage implementation.
#include "pipeline/query_stage.h"

#include <algorithm>

namespace obi::pipeline {

QueryStage::QueryStage(const config::AttributesConfig& cfg) : params_(http1::SensitiveParams::defaults())
{
    for (const auto& k : cfg.sensitive_query_params_add) params_.add(k);
    for (const auto& k : cfg.sensitive_query_params_remove) params_.remove(k);
    auto it = cfg.select.find("traces");
    if (it != cfg.select.end()) {
        const auto& ex = it->second.exclude;
        drop_ = std::find(ex.begin(), ex.end(), "url.query") != ex.end();
    }
}

void QueryStage::apply(Span& span) const
{
    if (span.query.empty()) return;
    if (drop_) span.query.clear();
    else span.query = http1::redact_query(span.query, params_);
}

}  // namespace obi::pipeline
