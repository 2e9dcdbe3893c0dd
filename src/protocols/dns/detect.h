// Does a burst start a DNS message? Over UDP the burst is one datagram; over TCP it starts
// with the two-byte message length. Strict: header flags and counts a real client or server
// sends, a printable question name, a known class, and (when the whole message is there)
// every record parsed to its exact end.
#pragma once

#include <cstddef>
#include <string_view>

#include "conntrack/protocol.h"

namespace obi::dns {

// A message's first m.size() bytes; `complete` when they are all of its full_len bytes.
conntrack::Detection classify_message(std::string_view m, size_t full_len, bool complete);

conntrack::Detection detect(std::string_view first_bytes, conntrack::Direction dir, const conntrack::ConnInfo& conn);

}  // namespace obi::dns
