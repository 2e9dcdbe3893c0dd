// One SQL request in flight (a query, an execution of a prepared statement) and the span it
// becomes: shared by the PostgreSQL and MySQL handlers so both fill spans the same way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "conntrack/protocol.h"
#include "conntrack/span_context.h"

namespace obi::sql {

struct SqlCall {
    std::string text;       // the statement (clean prefix of what was captured)
    uint64_t start_ns = 0;  // the call that carried the request's first byte
    uint32_t tid = 0;
    conntrack::SpanContext ctx;
    bool error = false;
    std::string error_code;     // SQLSTATE (or MySQL's error number when no state was sent)
    std::string server_code;    // the server's own code when it is not the SQLSTATE (MySQL's error number)
    std::string error_message;  // the server's text
};

// Kernel trace contexts are per burst: the first request of a burst takes the burst's
// context; later requests in the same burst (pipelining) keep the client-side parent but get
// span ids of their own, and on the server side start traces of their own.
class BurstContext {
public:
    // The context for a request whose first frame arrived with `tctx` / `burst_start`.
    const obi_trace_ctx* take(const obi_trace_ctx* tctx, bool burst_start, bool server_side);

private:
    obi_trace_ctx copy_{};
    uint8_t last_span_[8] = {};  // span id of the last context handed out whole
};

// Builds the span of a finished call (peer = the client side, host = the server side, as OBI).
void emit_sql_span(const conntrack::HandlerEnv& env, bool server_side, std::string_view db_system,
                   std::string_view db_namespace, SqlCall&& call, uint64_t end_ns);

// Copies at most `max` bytes of `raw` that form clean text (see clean_text_prefix).
void assign_statement(std::string& out, std::string_view raw, size_t max = 8192);

}  // namespace obi::sql
