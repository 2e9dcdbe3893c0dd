// Shared pieces of the protocol fuzz targets: a connection driven through the tracker's
// contract (detect, create, on_data with the input split into calls), with a sink that
// checks every emitted span for basic sanity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "conntrack/protocol.h"

namespace obi::fuzz {

// Feeds `data` to `def` as one connection. The first byte chooses the side (server or client),
// the first direction and seeds the split pattern; the rest is the byte stream, cut into calls
// of 1-97 bytes, the direction switching now and then (a new burst), some calls captured only
// in part (holes), with gaps and timers in between. Aborts on an insane span.
void drive(const conntrack::ProtocolDef& def, const uint8_t* data, size_t size);

}  // namespace obi::fuzz
