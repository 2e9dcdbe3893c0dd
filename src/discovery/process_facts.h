// Reads what discovery needs to know about a process (obi::ProcessFacts) from /proc, with
// an injectable /proc root so tests can use a fake tree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "discovery/selector.h"

namespace obi::discovery {

class LanguageDetector;

// Where /proc is. Reads the agent's own network namespace once, at construction, from
// <base>/self/ns/net (0 when unreadable: then no process counts as in a container).
// Cheap to copy; not tied to any open file.
class ProcRoot {
public:
    explicit ProcRoot(std::string base = "/proc");

    const std::string& base() const { return base_; }
    // <base>/<pid>/<rel>
    std::string path(uint32_t pid, const char* rel) const;
    uint32_t agent_netns() const { return agent_netns_; }
    // A real procfs (not a test tree): the agent's own namespace can then be asked over
    // netlink instead of parsing <base>/<pid>/net/tcp.
    bool is_procfs() const { return procfs_; }

private:
    std::string base_;
    uint32_t agent_netns_ = 0;
    bool procfs_ = false;
};

// The LISTEN sockets of each network namespace, by socket inode: from netlink for the
// agent's own namespace, else from /proc/<pid>/net/tcp{,6} (which show the namespace of
// <pid>). Processes that share a namespace share one read. Valid for one scan: create a
// new one (or clear()) per scan, because sockets come and go.
class ListenSocketIndex {
public:
    // socket inode -> port, for the namespace `netns` as seen through process `pid`.
    const std::unordered_map<uint64_t, uint16_t>& listeners(uint32_t pid, uint32_t netns, const ProcRoot& root);
    void clear() { by_netns_.clear(); }

private:
    std::unordered_map<uint32_t, std::unordered_map<uint64_t, uint16_t>> by_netns_;
};

struct ReadOptions {
    // Listening ports need a readlink per open file descriptor: skip them when no selector
    // uses open_ports (Matcher::needs_ports()), or read them later with read_listen_ports().
    bool listen_ports = true;
    bool otel_env = true;
    // Shares /proc/<pid>/net/tcp reads between processes of one scan; optional.
    ListenSocketIndex* listen_index = nullptr;
    // Fills ProcessFacts::language when set.
    LanguageDetector* language = nullptr;
};

// nullopt when the process is gone (or <base>/<pid>/stat is unreadable). Any other file
// that cannot be read leaves its fields empty.
std::optional<ProcessFacts> read_process_facts(uint32_t pid, const ProcRoot& root, const ReadOptions& opts = {});

// TCP ports (v4 and v6) of the LISTEN sockets among the process's open files; sorted, unique.
std::vector<uint16_t> read_listen_ports(uint32_t pid, const ProcRoot& root, ListenSocketIndex* index = nullptr);

// Numeric entries of the /proc root (thread group ids), ascending.
std::vector<uint32_t> list_pids(const ProcRoot& root);

// --- parsers, exposed for tests -----------------------------------------------------------

struct StatFields {
    uint32_t ppid = 0;
    uint64_t start_time_ticks = 0;
};
// /proc/<pid>/stat: "pid (comm) state ppid ... starttime(22) ...". The comm may contain
// spaces and ')', so fields are counted after the LAST ')'.
std::optional<StatFields> parse_stat(std::string_view stat);

// "net:[4026531840]" -> 4026531840; 0 when malformed.
uint32_t parse_ns_link(std::string_view link);

// Rows of /proc/<pid>/net/tcp or tcp6 in state LISTEN (0A): inode -> local port.
void parse_tcp_listeners(std::string_view table, std::unordered_map<uint64_t, uint16_t>& out);

// NUL-separated arguments joined by single spaces (the trailing NUL dropped).
std::string join_cmdline(std::string_view raw);

// Keeps OTEL_SERVICE_NAME, OTEL_SERVICE_NAMESPACE and OTEL_RESOURCE_ATTRIBUTES from a
// NUL-separated environment block.
std::map<std::string, std::string> parse_otel_environ(std::string_view raw);

}  // namespace obi::discovery
