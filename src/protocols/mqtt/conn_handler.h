// MQTT over one connection, client or broker side: reassembles control packets across calls
// and holes, learns the protocol version and client id from CONNECT, and emits a publish span
// per PUBLISH the client sends (ending immediately for QoS 0, at PUBACK for QoS 1, at PUBCOMP
// for QoS 2) and a subscribe span per SUBSCRIBE (ending at SUBACK). PUBLISH deliveries to a
// subscriber produce no span, as in OBI.
#pragma once

#include <memory>

#include "conntrack/protocol.h"

namespace obi::mqtt {

// A new connection starts with CONNECT ("MQTT" level 4/5, or "MQIsdp" level 3); a connection
// seen mid-stream is accepted only when the burst starts with a complete, valid PUBLISH or
// SUBSCRIBE and every packet after it is valid.
conntrack::Detection detect(std::string_view first_bytes, conntrack::Direction dir, const conntrack::ConnInfo& conn);
std::unique_ptr<conntrack::ProtocolHandler> create_handler(const conntrack::HandlerEnv& env);

inline conntrack::ProtocolDef protocol_def() { return {"mqtt", &detect, &create_handler}; }

}  // namespace obi::mqtt
