// SqlCall to Span, and the per-burst kernel context rule (see sql_call.h).
#include "protocols/sql/sql_call.h"

#include <algorithm>
#include <cstring>

#include "conntrack/span_emit.h"
#include "protocols/sql/statement.h"

namespace obi::sql {

const obi_trace_ctx* BurstContext::take(const obi_trace_ctx* tctx, bool burst_start, bool server_side)
{
    if (!tctx) return nullptr;
    // A context not handed out yet (a new burst) goes to this request whole.
    bool fresh = burst_start || std::memcmp(tctx->span_id, last_span_, sizeof(last_span_)) != 0;
    copy_ = *tctx;
    if (fresh) {
        std::memcpy(last_span_, tctx->span_id, sizeof(last_span_));
        return &copy_;
    }
    if (server_side) return nullptr;
    std::memset(copy_.span_id, 0, sizeof(copy_.span_id));  // a fresh span id, the same parent
    return &copy_;
}

void assign_statement(std::string& out, std::string_view raw, size_t max)
{
    out.assign(clean_text_prefix(raw.substr(0, std::min(raw.size(), max))));
}

void emit_sql_span(const conntrack::HandlerEnv& env, bool server_side, std::string_view db_system,
                   std::string_view db_namespace, SqlCall&& call, uint64_t end_ns)
{
    const conntrack::ConnInfo& conn = *env.conn;
    Span sp;
    sp.type = server_side ? SpanType::SQLServer : SpanType::SQLClient;
    sp.db_system.assign(db_system);
    sp.db_namespace.assign(db_namespace);
    StatementSummary sum = summarize(call.text);
    sp.operation = std::move(sum.operation);
    sp.collection = std::move(sum.collection);
    sp.statement = std::move(call.text);
    sp.error = call.error;
    sp.error_code = std::move(call.error_code);
    sp.server_code = std::move(call.server_code);
    sp.error_message = std::move(call.error_message);
    conntrack::set_endpoints(sp, conn, server_side);
    conntrack::emit_span(env, std::move(sp), call.ctx, call.start_ns, end_ns, call.tid);
}

}  // namespace obi::sql
