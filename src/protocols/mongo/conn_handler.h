// MongoDB over one connection, client side (OBI has no Mongo server spans): reassembles
// messages from their 16-byte headers across calls and holes, pairs replies with requests
// by responseTo, follows moreToCome (no reply / exhaust streams) and emits a MongoClient
// span per command with its name, collection, database and error.
#pragma once

#include <memory>

#include "conntrack/protocol.h"

namespace obi::mongo {

// The burst starts with a plausible message: known opcode, sane length, and the structure
// its opcode requires in the bytes available.
conntrack::Detection detect(std::string_view first_bytes, conntrack::Direction dir, const conntrack::ConnInfo& conn);
std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env);

inline conntrack::ProtocolDef protocol_def() { return {"mongo", &detect, &create_handler}; }

}  // namespace obi::mongo
