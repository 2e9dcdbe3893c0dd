// One socket call as the protocol parsers see it: a byte count, the captured start of
// the bytes (possibly shorter: the rest is a "hole" of known length) and the last bytes.
#pragma once

#include <cstdint>
#include <string_view>

#include "obi_events.h"

namespace obi::conntrack {

enum class Direction : uint8_t { Ingress = OBI_DIR_INGRESS, Egress = OBI_DIR_EGRESS };
inline Direction opposite(Direction d) { return d == Direction::Ingress ? Direction::Egress : Direction::Ingress; }

struct DataChunk {
    Direction dir = Direction::Ingress;
    bool msg_start = false;    // first call of a new direction burst (kernel's view)
    uint64_t ts_ns = 0;        // CLOCK_MONOTONIC at completion of the call
    uint32_t tid = 0;
    uint64_t bytes = 0;        // bytes the call transferred
    std::string_view captured;  // the first captured.size() <= bytes of them
    std::string_view tail;      // the last tail.size() (<= OBI_TAIL_LEN) bytes of the call, when known
    const obi_trace_ctx* tctx = nullptr;  // the kernel's trace context on message starts
    // UDP (ConnInfo::udp): the call is one whole datagram, and this is its peer as the kernel
    // saw it, the destination of a send or the source of a receive (IPv6 or IPv4-mapped);
    // peer_port 0 when not known (a receive on an unconnected socket, socket tracepoints).
    bool datagram = false;
    uint8_t peer_addr[16] = {};
    uint16_t peer_port = 0;
};

}  // namespace obi::conntrack
