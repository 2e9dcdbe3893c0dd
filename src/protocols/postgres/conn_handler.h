// PostgreSQL over one connection, client or server side: follows the startup handshake
// (SSLRequest, StartupMessage, authentication: no spans), simple Query, the extended
// protocol (Parse/Bind/Describe/Execute/Sync with named and unnamed statements and portals,
// pipelined), COPY, and emits one span per Query or Execute with its SQLSTATE on error.
#pragma once

#include <memory>

#include "conntrack/protocol.h"

namespace obi::postgres {

conntrack::Detection detect(std::string_view first_bytes, conntrack::Direction dir, const conntrack::ConnInfo& conn);
std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env);

inline conntrack::ProtocolDef protocol_def() { return {"postgres", &detect, &create_handler}; }

}  // namespace obi::postgres
