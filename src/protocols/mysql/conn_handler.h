// MySQL / MariaDB over one connection, client or server side: follows the handshake (no
// spans; the database and capabilities are noted), COM_QUERY, COM_STMT_PREPARE (statement id
// -> SQL text) / EXECUTE (MariaDB's id -1: the statement just prepared) / BULK_EXECUTE / CLOSE
// and the other commands' answers (OK, ERR, result sets of any size counted by packet, an ERR
// ending a result set larger than the capture, multi-packet payloads), and emits one span per
// query or execution.
#pragma once

#include <memory>

#include "conntrack/protocol.h"

namespace obi::mysql {

conntrack::Detection detect(std::string_view first_bytes, conntrack::Direction dir, const conntrack::ConnInfo& conn);
std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env);

inline conntrack::ProtocolDef protocol_def() { return {"mysql", &detect, &create_handler}; }

}  // namespace obi::mysql
