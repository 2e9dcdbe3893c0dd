// MonoClock: realtime - monotonic offset, sampled tightly between two monotonic reads.
#include "spans/clock.h"

#include <time.h>

namespace obi {
namespace {

uint64_t read(clockid_t id)
{
    timespec ts;
    clock_gettime(id, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

}  // namespace

MonoClock::MonoClock() { refresh(); }

void MonoClock::refresh()
{
    uint64_t m1 = read(CLOCK_MONOTONIC);
    uint64_t r = read(CLOCK_REALTIME);
    uint64_t m2 = read(CLOCK_MONOTONIC);
    offset_ns_ = r - (m1 + (m2 - m1) / 2);
}

uint64_t MonoClock::now_mono_ns() { return read(CLOCK_MONOTONIC); }

}  // namespace obi
