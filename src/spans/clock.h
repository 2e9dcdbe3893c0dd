// Converts the kernel's CLOCK_MONOTONIC timestamps to Unix time for exporters.
#pragma once

#include <cstdint>

namespace obi {

class MonoClock {
public:
    MonoClock();
    // Re-reads the offset between CLOCK_REALTIME and CLOCK_MONOTONIC (after NTP steps).
    void refresh();
    uint64_t to_unix_ns(uint64_t mono_ns) const { return mono_ns + offset_ns_; }
    static uint64_t now_mono_ns();

private:
    uint64_t offset_ns_ = 0;
};

}  // namespace obi
