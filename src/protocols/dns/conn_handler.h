// DNS lookups over one UDP socket or TCP connection, client side: every query the process
// sends is kept until the response with its transaction id and question arrives (or the
// DNS request timeout passes), and becomes one DNS span: question name and type, opcode,
// response code, answer count and A/AAAA addresses, the resolver's address.
#pragma once

#include <memory>

#include "conntrack/protocol.h"
#include "protocols/dns/detect.h"

namespace obi::dns {

std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env);

inline conntrack::ProtocolDef protocol_def() { return {"dns", &detect, &create_handler}; }

}  // namespace obi::dns
