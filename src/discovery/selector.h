// What discovery knows about a process, and the selector entries (discovery.instrument,
// exclude_instrument, default_exclude_instrument, global env selectors) matched against it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/glob.h"
#include "util/port_enum.h"

namespace obi {

// Facts read from /proc for one process (see discovery/process_facts.h).
struct ProcessFacts {
    uint32_t pid = 0;
    uint32_t ppid = 0;
    uint32_t tgid = 0;         // thread group (process) id; differs from pid for a thread's /proc entry
    std::string exe_path;      // readlink /proc/<pid>/exe ("" if unreadable, e.g. kernel thread)
    bool exe_deleted = false;  // the link ended in " (deleted)" (stripped from exe_path)
    std::string comm;
    std::string cmdline;                 // arguments joined by single spaces
    std::vector<uint16_t> listen_ports;  // TCP ports the process listens on (v4 and v6), sorted
    bool ports_known = false;            // listen_ports was read (reading it is optional: costly)
    std::string language;                // go java nodejs python ruby php dotnet rust cpp generic
    uint64_t start_time_ticks = 0;       // /proc/<pid>/stat field 22: identity across pid reuse
    uint32_t netns = 0;                  // network namespace inode
    uint32_t pidns = 0;                  // pid namespace inode
    bool in_container = false;           // net namespace differs from the agent's
    // The process's own OTEL_* environment: OTEL_SERVICE_NAME, OTEL_SERVICE_NAMESPACE,
    // OTEL_RESOURCE_ATTRIBUTES (only these keys are kept).
    std::map<std::string, std::string> otel_env;
};

// One selector entry. Every selector that is set must match (AND); an entry with no
// selector is rejected by the configuration loader.
struct Selector {
    std::string origin;  // where it came from, for messages: "discovery.instrument[1]", "OTEL_EBPF_OPEN_PORT"

    std::optional<PortEnum> open_ports;
    std::optional<Glob> exe_path;               // glob on the full executable path
    std::optional<std::string> exe_path_regex;  // deprecated forms (executable_path, services[].exe_path)
    std::optional<Glob> cmd_args;
    std::optional<Glob> languages;
    std::vector<uint32_t> target_pids;
    bool containers_only = false;
    std::optional<Glob> container_name;
    // k8s_* selectors (k8s_namespace, k8s_pod_name, ...): need Kubernetes metadata, which
    // this agent does not have yet; an entry with one never matches a host process.
    std::map<std::string, Glob> k8s;
    std::map<std::string, std::map<std::string, Glob>> k8s_maps;  // k8s_pod_labels, k8s_pod_annotations

    // Per-entry overrides.
    std::string name;        // service.name override
    std::string namespace_;  // service.namespace override
    std::optional<std::vector<std::string>> exports;  // "metrics", "traces"; unset = both
    std::vector<std::string> metrics_features;

    bool has_selector() const
    {
        return open_ports || exe_path || exe_path_regex || cmd_args || languages || !target_pids.empty() ||
               containers_only || container_name || !k8s.empty() || !k8s_maps.empty();
    }
};

}  // namespace obi
