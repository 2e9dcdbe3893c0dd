// The attribute-privacy stage, on the capture thread before export:
// - url.query: values of sensitive query parameters become REDACTED (OBI's
//   attributes.sensitive_query_params), or the query is dropped when
//   attributes.select.traces.exclude names url.query;
// - db.query.text is kept only when attributes.select.traces.include names it (OBI's
//   opt-in), and then sanitised (literals -> ?) unless attributes.db_query_text_raw is set;
// - the database error text (the status message) is kept only when the include names
//   db.response.error.
#pragma once

#include "config/config.h"
#include "protocols/http1/query_redaction.h"
#include "spans/span.h"

namespace obi::pipeline {

class QueryStage {
public:
    explicit QueryStage(const config::AttributesConfig& cfg);
    void apply(Span& span) const;

    bool query_text_enabled() const { return query_text_; }

private:
    http1::SensitiveParams params_;
    bool drop_query_ = false;
    bool query_text_ = false;  // db.query.text selected
    bool raw_query_text_ = false;
    bool error_text_ = false;  // db.response.error selected
};

}  // namespace obi::pipeline
