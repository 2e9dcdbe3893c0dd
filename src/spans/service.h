// Identity of an instrumented service (one per traced process): what becomes the
// OpenTelemetry resource of its spans and metrics.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace obi {

struct ServiceInfo {
    std::string name;          // service.name, after OBI's naming priority
    std::string name_source;   // where the name came from (env, config, exe), for logs
    std::string namespace_;    // service.namespace ("" when unset)
    std::string instance_id;   // service.instance.id: <hostname>:<pid>
    std::string sdk_language;  // telemetry.sdk.language: go java nodejs python ruby php dotnet rust cpp generic
    std::string exe_path;      // /proc/<pid>/exe target
    std::string host_name;     // host.name
    std::string host_id;       // host.id
    uint32_t pid = 0;          // host pid
    // Extra resource attributes: the target's OTEL_RESOURCE_ATTRIBUTES (except service.*).
    std::map<std::string, std::string> resource_attributes;
    bool export_traces = true;
    bool export_metrics = true;
    // discovery.instrument[].sampler of the entry that selected the process ("" = global).
    std::string sampler_name, sampler_arg;
};

using ServicePtr = std::shared_ptr<const ServiceInfo>;

}  // namespace obi
