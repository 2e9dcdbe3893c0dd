// /proc readers and parsers behind read_process_facts() and list_pids().
#include "discovery/process_facts.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string_view>

#include "discovery/language.h"
#include "discovery/proc_read.h"
#include "discovery/sock_diag.h"

namespace obi::discovery {
namespace {

// Bounds on what one process may make us read.
constexpr size_t kStatMax = 4096;          // one line; comm is at most 64 bytes escaped
constexpr size_t kStatusHeadMax = 512;     // Name, Umask, State, Tgid are the first lines
constexpr size_t kCommMax = 64;            // TASK_COMM_LEN is 16
constexpr size_t kCmdlineMax = 64 * 1024;  // cmd_args globs do not need more
constexpr size_t kEnvironMax = 1024 * 1024;
constexpr size_t kTcpTableMax = 64 * 1024 * 1024;  // ~150 bytes a row: ~400k sockets
constexpr size_t kMaxFds = 1 << 20;                // fs.nr_open default

constexpr std::string_view kDeletedSuffix = " (deleted)";

template <typename T>
bool parse_uint(std::string_view s, T& out, int base = 10)
{
    if (s.empty()) return false;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    return ec == std::errc() && ptr == s.data() + s.size();
}

bool all_digits(const char* s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return false;
    return true;
}

// Splits on runs of spaces/tabs; returns the n-th token (0-based) or "".
std::string_view nth_token(std::string_view s, size_t n)
{
    size_t i = 0, idx = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) i++;
        if (i >= s.size()) break;
        size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t') i++;
        if (idx++ == n) return s.substr(start, i - start);
    }
    return {};
}

std::string strip_newline(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
    return s;
}

uint32_t read_ns(const ProcRoot& root, uint32_t pid, const char* rel)
{
    auto link = read_link(root.path(pid, rel));
    return link ? parse_ns_link(*link) : 0;
}

uint32_t read_tgid(const ProcRoot& root, uint32_t pid)
{
    auto status = read_file_bounded(root.path(pid, "status"), kStatusHeadMax);
    if (!status) return 0;
    std::string_view s = *status;
    size_t at = s.find("\nTgid:");
    if (at == std::string_view::npos) return 0;
    s.remove_prefix(at + 6);
    size_t end = s.find('\n');
    uint32_t tgid = 0;
    return parse_uint(nth_token(s.substr(0, end), 0), tgid) ? tgid : 0;
}

void read_tcp_listeners(const ProcRoot& root, uint32_t pid, uint32_t netns, std::unordered_map<uint64_t, uint16_t>& out)
{
    // In our own namespace netlink answers with the listeners only, far cheaper than the
    // text tables (which walk every socket bucket). Not for a fake tree, nor another netns.
    if (root.is_procfs() && netns != 0 && netns == root.agent_netns()) {
        std::unordered_map<uint64_t, uint16_t> dumped;
        if (dump_tcp_listeners(dumped)) {
            out.merge(dumped);
            return;
        }
    }
    for (const char* table : {"net/tcp", "net/tcp6"}) {
        auto text = read_file_bounded(root.path(pid, table), kTcpTableMax);
        if (text) parse_tcp_listeners(*text, out);
    }
}

// Socket inodes among the open files of `pid` ("socket:[12345]").
std::vector<uint64_t> socket_inodes(const ProcRoot& root, uint32_t pid)
{
    std::vector<uint64_t> inodes;
    std::string dir = root.path(pid, "fd");
    DIR* d = ::opendir(dir.c_str());
    if (!d) return inodes;
    int dfd = ::dirfd(d);
    size_t seen = 0;
    constexpr std::string_view kSocket = "socket:[";
    while (dirent* e = ::readdir(d)) {
        if (!all_digits(e->d_name)) continue;
        if (++seen > kMaxFds) break;
        char buf[64];
        ssize_t n = ::readlinkat(dfd, e->d_name, buf, sizeof(buf));
        if (n <= 0) continue;
        std::string_view link(buf, static_cast<size_t>(n));
        if (!link.starts_with(kSocket) || !link.ends_with(']')) continue;
        uint64_t ino = 0;
        if (parse_uint(link.substr(kSocket.size(), link.size() - kSocket.size() - 1), ino)) inodes.push_back(ino);
    }
    ::closedir(d);
    return inodes;
}

std::vector<uint16_t> listen_ports_of(uint32_t pid, uint32_t netns, const ProcRoot& root, ListenSocketIndex* index)
{
    std::vector<uint16_t> ports;
    std::vector<uint64_t> inodes = socket_inodes(root, pid);
    if (inodes.empty()) return ports;  // most processes: no need to read the tcp tables

    std::unordered_map<uint64_t, uint16_t> local;
    const std::unordered_map<uint64_t, uint16_t>* listeners = &local;
    if (index) {
        listeners = &index->listeners(pid, netns, root);
    } else {
        read_tcp_listeners(root, pid, netns, local);
    }
    for (uint64_t ino : inodes) {
        auto it = listeners->find(ino);
        if (it != listeners->end()) ports.push_back(it->second);
    }
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    return ports;
}

}  // namespace

ProcRoot::ProcRoot(std::string base) : base_(std::move(base))
{
    auto link = read_link(base_ + "/self/ns/net");
    agent_netns_ = link ? parse_ns_link(*link) : 0;
    struct statfs fs {};
    procfs_ = ::statfs(base_.c_str(), &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
}

std::string ProcRoot::path(uint32_t pid, const char* rel) const
{
    std::string p = base_;
    p += '/';
    p += std::to_string(pid);
    p += '/';
    p += rel;
    return p;
}

const std::unordered_map<uint64_t, uint16_t>& ListenSocketIndex::listeners(uint32_t pid, uint32_t netns,
                                                                           const ProcRoot& root)
{
    auto it = by_netns_.find(netns);
    if (it != by_netns_.end() && netns != 0) return it->second;
    // Namespace 0 (unknown) is never shared: re-read it for every process.
    auto& table = by_netns_[netns];
    table.clear();
    read_tcp_listeners(root, pid, netns, table);
    return table;
}

std::optional<StatFields> parse_stat(std::string_view stat)
{
    size_t close = stat.rfind(')');
    if (close == std::string_view::npos || stat.find('(') > close) return std::nullopt;
    std::string_view rest = stat.substr(close + 1);
    // Fields after the comm start at field 3 (state): ppid is field 4, starttime field 22.
    StatFields f;
    if (!parse_uint(nth_token(rest, 1), f.ppid)) return std::nullopt;
    if (!parse_uint(nth_token(rest, 19), f.start_time_ticks)) return std::nullopt;
    return f;
}

uint32_t parse_ns_link(std::string_view link)
{
    size_t open = link.find(":[");
    if (open == std::string_view::npos || !link.ends_with(']')) return 0;
    uint32_t ino = 0;
    return parse_uint(link.substr(open + 2, link.size() - open - 3), ino) ? ino : 0;
}

void parse_tcp_listeners(std::string_view table, std::unordered_map<uint64_t, uint16_t>& out)
{
    // "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
    //  "0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 ..."
    while (!table.empty()) {
        size_t nl = table.find('\n');
        std::string_view line = table.substr(0, nl);
        table = nl == std::string_view::npos ? std::string_view{} : table.substr(nl + 1);

        if (nth_token(line, 3) != "0A") continue;  // TCP_LISTEN; also skips the header
        std::string_view local = nth_token(line, 1);
        size_t colon = local.rfind(':');
        uint16_t port = 0;
        uint64_t inode = 0;
        if (colon == std::string_view::npos || !parse_uint(local.substr(colon + 1), port, 16)) continue;
        if (!parse_uint(nth_token(line, 9), inode) || inode == 0) continue;
        out[inode] = port;
    }
}

std::string join_cmdline(std::string_view raw)
{
    while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
    std::string out(raw);
    std::replace(out.begin(), out.end(), '\0', ' ');
    return out;
}

std::map<std::string, std::string> parse_otel_environ(std::string_view raw)
{
    static constexpr std::string_view kKeys[] = {"OTEL_SERVICE_NAME", "OTEL_SERVICE_NAMESPACE",
                                                 "OTEL_RESOURCE_ATTRIBUTES"};
    std::map<std::string, std::string> out;
    while (!raw.empty()) {
        size_t nul = raw.find('\0');
        std::string_view entry = raw.substr(0, nul);
        raw = nul == std::string_view::npos ? std::string_view{} : raw.substr(nul + 1);
        if (!entry.starts_with("OTEL_")) continue;
        size_t eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view key = entry.substr(0, eq);
        for (std::string_view k : kKeys) {
            if (key == k) out[std::string(key)] = std::string(entry.substr(eq + 1));
        }
    }
    return out;
}

std::optional<ProcessFacts> read_process_facts(uint32_t pid, const ProcRoot& root, const ReadOptions& opts)
{
    auto stat_text = read_file_bounded(root.path(pid, "stat"), kStatMax);
    if (!stat_text) return std::nullopt;
    auto stat = parse_stat(*stat_text);
    if (!stat) return std::nullopt;

    ProcessFacts f;
    f.pid = pid;
    f.ppid = stat->ppid;
    f.start_time_ticks = stat->start_time_ticks;
    f.tgid = read_tgid(root, pid);
    if (f.tgid == 0) f.tgid = pid;

    if (auto exe = read_link(root.path(pid, "exe"))) {
        std::string_view e = *exe;
        if (e.ends_with(kDeletedSuffix)) {
            e.remove_suffix(kDeletedSuffix.size());
            f.exe_deleted = true;
        }
        f.exe_path = std::string(e);
    }
    if (auto comm = read_file_bounded(root.path(pid, "comm"), kCommMax)) f.comm = strip_newline(std::move(*comm));
    if (auto cmd = read_file_bounded(root.path(pid, "cmdline"), kCmdlineMax)) f.cmdline = join_cmdline(*cmd);

    f.netns = read_ns(root, pid, "ns/net");
    f.pidns = read_ns(root, pid, "ns/pid");
    f.in_container = f.netns != 0 && root.agent_netns() != 0 && f.netns != root.agent_netns();

    if (opts.otel_env) {
        // environ may be unreadable (another user's process without ptrace rights): skip it.
        if (auto env = read_file_bounded(root.path(pid, "environ"), kEnvironMax)) f.otel_env = parse_otel_environ(*env);
    }
    if (opts.listen_ports) {
        f.listen_ports = listen_ports_of(pid, f.netns, root, opts.listen_index);
        f.ports_known = true;
    }
    if (opts.language) f.language = opts.language->detect(f, root);
    return f;
}

std::vector<uint16_t> read_listen_ports(uint32_t pid, const ProcRoot& root, ListenSocketIndex* index)
{
    return listen_ports_of(pid, read_ns(root, pid, "ns/net"), root, index);
}

std::vector<uint32_t> list_pids(const ProcRoot& root)
{
    std::vector<uint32_t> pids;
    DIR* d = ::opendir(root.base().c_str());
    if (!d) return pids;
    while (dirent* e = ::readdir(d)) {
        uint32_t pid = 0;
        if (all_digits(e->d_name) && parse_uint(std::string_view(e->d_name), pid) && pid != 0) pids.push_back(pid);
    }
    ::closedir(d);
    std::sort(pids.begin(), pids.end());
    return pids;
}

}  // namespace obi::discovery
