// Go-compatible formatting used by the trace printer: time.Duration.String() and the
// timestamp layout OBI prints.
#pragma once

#include <cstdint>
#include <string>

namespace obi::printer {

// 0s, 850ns, 25µs, 1.234567ms, 1.5s, 2m3.5s, 1h0m0s: as Go prints a time.Duration.
std::string go_duration(int64_t ns);
// "2006-01-02 15:04:05.12345" in local time; the last part is a real fraction (5 digits).
std::string start_time(uint64_t unix_ns);

}  // namespace obi::printer
