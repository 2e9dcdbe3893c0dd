// Every protocol the connection tracker can detect, in detection order: the strictest
// binary magic first, text protocols after. One line per protocol in registry.cpp.
#pragma once

#include <vector>

#include "conntrack/protocol.h"

namespace obi::protocols {

std::vector<conntrack::ProtocolDef> all();

}  // namespace obi::protocols
