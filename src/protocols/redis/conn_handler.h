// Redis over one connection, client or server side: commands (RESP arrays or inline) are
// queued in order and paired with replies (pipelining); pub/sub deliveries, pushes and the
// MONITOR feed are recognised and never paired; SELECT (at EXEC when queued), HELLO, RESET and CLIENT REPLY
// change how later commands are named and answered. One span per command.
#pragma once

#include <memory>

#include "conntrack/protocol.h"
#include "protocols/redis/detect.h"

namespace obi::redis {

std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env);

inline conntrack::ProtocolDef protocol_def() { return {"redis", &detect, &create_handler}; }

}  // namespace obi::redis
