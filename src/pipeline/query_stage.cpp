// QueryStage implementation.
#include "pipeline/query_stage.h"

#include <algorithm>

#include "protocols/redis/sanitize.h"
#include "protocols/sql/sanitize.h"
#include "util/glob.h"

namespace obi::pipeline {
namespace {

bool names(const std::vector<std::string>& patterns, std::string_view attr)
{
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
        auto g = Glob::compile(p);
        return g && g->matches(attr);
    });
}

std::string sanitized(const Span& span)
{
    if (span.db_system == "redis") return redis::sanitize(span.statement);
    if (span.db_system == "mysql") return sql::sanitize(span.statement, sql::Dialect::MySQL);
    if (span.db_system == "postgresql" || span.type == SpanType::SQLClient || span.type == SpanType::SQLServer)
        return sql::sanitize(span.statement, sql::Dialect::Postgres);
    return "?";  // a protocol whose statements we cannot sanitise: keep nothing of them
}

}  // namespace

QueryStage::QueryStage(const config::AttributesConfig& cfg) : params_(http1::SensitiveParams::defaults())
{
    for (const auto& k : cfg.sensitive_query_params_add) params_.add(k);
    for (const auto& k : cfg.sensitive_query_params_remove) params_.remove(k);
    raw_query_text_ = cfg.db_query_text_raw;
    auto it = cfg.select.find("traces");
    if (it == cfg.select.end()) return;
    const auto& ex = it->second.exclude;
    drop_query_ = std::find(ex.begin(), ex.end(), "url.query") != ex.end();
    if (it->second.include) {
        query_text_ = names(*it->second.include, "db.query.text") && !names(ex, "db.query.text");
        error_text_ = names(*it->second.include, "db.response.error") && !names(ex, "db.response.error");
    }
}

void QueryStage::apply(Span& span) const
{
    if (!span.query.empty()) {
        if (drop_query_) span.query.clear();
        else span.query = http1::redact_query(span.query, params_);
    }
    if (!span.statement.empty()) {
        if (!query_text_) span.statement.clear();
        else if (!raw_query_text_) span.statement = sanitized(span);
    }
    if (!error_text_) span.error_message.clear();
}

}  // namespace obi::pipeline
