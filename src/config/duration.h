// Go-syntax durations ("500ms", "5s", "1m30s", "1.5h"), as OBI's YAML and env vars use them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace obi::config {

// Parses a Go duration. Accepts the units ns, us, µs, ms, s, m, h, fractions ("1.5s") and
// sequences ("1h2m3s"); a plain "0" is zero. Negative durations and numbers without a unit
// are rejected: *error says why and what to write instead.
std::optional<Duration> parse_duration(std::string_view text, std::string* error = nullptr);

// Go's time.Duration.String(): "0s", "250ms", "1.5s", "1m30s", "2h0m0s", "25µs".
std::string format_duration(Duration d);

}  // namespace obi::config
