// What a protocol handler sees of one socket call, as the kernel captures it and the tracker
// hands it over: the head up to the capture budget, the call's last OBI_TAIL_LEN bytes, and
// the whole call when head and tail meet (src/conntrack/tracker.cpp joins them).
#pragma once

#include <algorithm>
#include <string_view>

#include "conntrack/chunk.h"
#include "obi_events.h"

namespace obi::testing {

// tail_len 0: the kernel could not read the call's end (an iovec walk cut short).
inline void set_kernel_view(conntrack::DataChunk& c, std::string_view call, size_t capture,
                            size_t tail_len = OBI_TAIL_LEN)
{
    c.bytes = call.size();
    const bool whole = capture >= call.size() || (tail_len > 0 && capture + tail_len >= call.size());
    c.captured = call.substr(0, whole ? call.size() : capture);
    c.tail = call.substr(call.size() - std::min<size_t>(call.size(), tail_len));
}

}  // namespace obi::testing
