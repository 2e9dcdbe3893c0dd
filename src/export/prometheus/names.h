// OpenTelemetry -> Prometheus naming and text escaping: family names with unit and _total
// suffixes, label name sanitisation, label value escaping (invalid UTF-8 bytes dropped)
// and number formatting for the text exposition format 0.0.4.
#pragma once

#include <string>
#include <string_view>

#include "metrics/snapshot.h"

namespace obi::prometheus {

// "counter", "gauge" or "histogram".
std::string_view family_type(const metrics::MetricData& metric);
// http.server.request.duration (s, histogram) -> http_server_request_duration_seconds;
// monotonic sums end in _total; MetricData::prometheus_name wins when set.
std::string family_name(const metrics::MetricData& metric);
// The Prometheus suffix of a UCUM unit: s -> seconds, By -> bytes; "" for {annotations}.
std::string unit_suffix(std::string_view unit, bool gauge);

// Characters outside [a-zA-Z0-9_:] become '_', runs of '_' collapse, no leading digit.
std::string sanitize_metric_name(std::string_view name);
// Characters outside [a-zA-Z0-9_] become '_'; a leading digit or "__" gets a "key" prefix.
std::string sanitize_label_name(std::string_view name);

// Appends `value` escaped for a label value (\\, \", \n), without invalid UTF-8 bytes.
void append_label_value(std::string& out, std::string_view value);
// Appends HELP text escaped (\\, \n), without invalid UTF-8 bytes.
void append_help(std::string& out, std::string_view text);
// Shortest round-trip decimal form; +Inf, -Inf, NaN.
void append_number(std::string& out, double value);
std::string format_number(double value);

// Drops the bytes that are not part of a valid UTF-8 sequence.
std::string valid_utf8_only(std::string_view text);

}  // namespace obi::prometheus
