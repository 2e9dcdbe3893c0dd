// HTTP/1.x over one connection, either side: reassembles request and response heads from
// captured bytes, follows bodies by length, chunking or close across uncaptured bytes,
// pairs responses with requests (keep-alive, pipelining, 100-continue) and emits spans.
#pragma once

#include <memory>

#include "conntrack/protocol.h"

namespace obi::http1 {

// First bytes of a burst that start an HTTP/1 request or response.
conntrack::Detection detect(std::string_view first_bytes, conntrack::Direction dir, const conntrack::ConnInfo& conn);
std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env);

inline conntrack::ProtocolDef protocol_def() { return {"http1", &detect, &create_handler}; }

}  // namespace obi::http1
