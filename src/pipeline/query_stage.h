// The url.query stage: values of sensitive query parameters become REDACTED (OBI's
// attributes.sensitive_query_params), or the query is dropped entirely when
// attributes.select.traces.exclude names url.query.
#pragma once

#include "config/config.h"
#include "protocols/http1/query_redaction.h"
#include "spans/span.h"

namespace obi::pipeline {

class QueryStage {
public:
    explicit QueryStage(const config::AttributesConfig& cfg);
    void apply(Span& span) const;

private:
    http1::SensitiveParams params_;
    bool drop_ = false;
};

}  // namespace obi::pipeline
