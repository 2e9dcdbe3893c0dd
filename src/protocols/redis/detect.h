// Redis protocol detection from the first bytes of a burst: a RESP command array whose first
// bulk string is a command token, an inline command Redis knows (not one of the words other
// text protocols share), or, in the server-to-client direction, complete RESP replies.
#pragma once

#include <string_view>

#include "conntrack/protocol.h"

namespace obi::redis {

conntrack::Detection detect(std::string_view first_bytes, conntrack::Direction dir, const conntrack::ConnInfo& conn);

// Can a command start at the beginning of `bytes` (a RESP command array whose start is consistent,
// or an inline line starting with a command Redis knows)? Used to resynchronise after lost bytes:
// a burst may also begin in the middle of a command.
bool command_start(std::string_view bytes);

}  // namespace obi::redis
