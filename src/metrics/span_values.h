// A span's attribute values by name, as views into the span (no allocation on the common
// path): shared by the span-to-metrics recorder and filter.application.
#pragma once

#include <string>
#include <string_view>

#include "metrics/attr_value.h"
#include "spans/span.h"

namespace obi::metrics {

// server.address as Span::server_address() computes it, without a copy.
std::string_view span_server_address(const Span& s);
// Duration End - RequestStart in seconds (0 when the clock went backwards).
double span_duration_s(const Span& s);

// Returns the value of attribute `name` (OTel or Prometheus form). `scratch` holds values
// that must be built (span.name, url.full, job). Absent for attributes the span model has
// no value for.
using SpanValueFn = AttrValue (*)(const Span& s, std::string& scratch);
SpanValueFn span_value_fn(std::string_view name);  // nullptr: unknown to the span model

}  // namespace obi::metrics
