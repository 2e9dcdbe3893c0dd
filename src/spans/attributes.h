// The OpenTelemetry attributes of a span and of its resource, as OBI exports them:
// one definition shared by every exporter (trace printer JSON, OTLP).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "spans/span.h"

namespace obi {

struct Attribute {
    std::string key;
    std::variant<std::string, int64_t, double, bool, std::vector<std::string>> value;
};

std::vector<Attribute> span_attributes(const Span& span);
std::vector<Attribute> resource_attributes(const ServiceInfo& service);

// Constant identity of this agent in telemetry.sdk.* / telemetry.distro.*.
inline constexpr const char* kSdkName = "opentelemetry";
inline constexpr const char* kDistroName = "opentelemetry-ebpf-instrumentation";
inline constexpr const char* kScopeName = "go.opentelemetry.io/obi";
const char* agent_version();

}  // namespace obi
