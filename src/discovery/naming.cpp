// service.name / namespace priority, resource attribute parsing, and the one-time hostname,
// FQDN and host id resolution.
#include "discovery/naming.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "discovery/proc_read.h"

namespace obi::discovery {
namespace {

constexpr std::string_view kWhitespace = " \t\r\n\f\v";

std::string_view trim(std::string_view s)
{
    size_t b = s.find_first_not_of(kWhitespace);
    if (b == std::string_view::npos) return {};
    size_t e = s.find_last_not_of(kWhitespace);
    return s.substr(b, e - b + 1);
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// "%41b" -> "Ab"; nullopt on a malformed escape. '+' stays '+' (path-style decoding).
std::optional<std::string> percent_decode(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] != '%') {
            out += s[i];
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::string system_hostname()
{
    char buf[256] = {};  // HOST_NAME_MAX is 64
    if (::gethostname(buf, sizeof(buf) - 1) != 0) return "";
    return buf;
}

std::string getaddrinfo_canonical(const std::string& host)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;  // one result per address instead of three
    hints.ai_flags = AI_CANONNAME;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) return "";
    std::string canon = res && res->ai_canonname ? res->ai_canonname : "";
    ::freeaddrinfo(res);
    return canon;
}

std::string read_machine_id(const std::vector<std::string>& paths)
{
    for (const auto& p : paths) {
        if (auto text = read_file_bounded(p, 256)) {
            std::string_view id = trim(*text);
            if (!id.empty()) return std::string(id);
        }
    }
    return "";
}

std::string basename_of(const std::string& path)
{
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string env_value(const ProcessFacts& f, const char* key)
{
    auto it = f.otel_env.find(key);
    return it == f.otel_env.end() ? "" : std::string(trim(it->second));
}

}  // namespace

std::map<std::string, std::string> parse_resource_attributes(std::string_view text)
{
    std::map<std::string, std::string> out;
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string_view entry = text.substr(0, comma);
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);

        size_t eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view key = trim(entry.substr(0, eq));
        if (key.empty()) continue;
        std::string_view raw = trim(entry.substr(eq + 1));
        auto value = percent_decode(raw);
        out[std::string(key)] = value ? std::move(*value) : std::string(raw);
    }
    return out;
}

std::string canonical_name_with_timeout(const std::string& host, std::chrono::milliseconds timeout,
                                        const std::function<std::string(const std::string&)>& lookup)
{
    // The helper thread may outlive this call (a hung resolver): everything it touches is
    // owned by this shared state, never by our stack.
    struct State {
        std::mutex mu;
        std::condition_variable cv;
        bool done = false;
        std::string result;
    };
    auto state = std::make_shared<State>();
    auto fn = lookup ? lookup : std::function<std::string(const std::string&)>(getaddrinfo_canonical);
    try {
        std::thread([state, fn, host] {
            std::string r = fn(host);
            std::lock_guard lock(state->mu);
            state->result = std::move(r);
            state->done = true;
            state->cv.notify_all();
        }).detach();
    } catch (const std::system_error&) {
        return "";  // no thread: skip the lookup rather than risk blocking
    }
    std::unique_lock lock(state->mu);
    if (!state->cv.wait_for(lock, timeout, [&] { return state->done; })) return "";
    return state->result;
}

NamingContext NamingContext::resolve(const NamingOptions& opts)
{
    NamingContext ctx;
    if (!opts.override_hostname.empty()) {
        ctx.hostname = opts.override_hostname;
    } else {
        std::string host = opts.get_hostname ? opts.get_hostname() : system_hostname();
        ctx.hostname = host;
        if (opts.dns_resolution && !host.empty()) {
            std::string fqdn = canonical_name_with_timeout(host, opts.dns_timeout, opts.canonical_name);
            if (!fqdn.empty()) ctx.hostname = fqdn;
        }
    }
    ctx.host_id = opts.host_id_override;
    if (ctx.host_id.empty()) ctx.host_id = read_machine_id(opts.machine_id_paths);
    if (ctx.host_id.empty()) ctx.host_id = ctx.hostname;
    return ctx;
}

ServiceInfo make_service_info(const ProcessFacts& facts, const Selector* matched, const NamingContext& ctx)
{
    ServiceInfo s;
    s.pid = facts.pid;
    s.exe_path = facts.exe_path;
    s.sdk_language = facts.language.empty() ? "generic" : facts.language;
    s.instance_id = ctx.hostname + ":" + std::to_string(facts.pid);
    s.host_name = ctx.hostname;
    s.host_id = ctx.host_id;

    auto attrs = parse_resource_attributes(env_value(facts, "OTEL_RESOURCE_ATTRIBUTES"));
    auto attr = [&](const char* key) {
        auto it = attrs.find(key);
        return it == attrs.end() ? std::string() : it->second;
    };

    struct Candidate {
        std::string value;
        const char* source;
    };
    const Candidate names[] = {
        {matched ? matched->name : std::string(), "config"},
        {env_value(facts, "OTEL_SERVICE_NAME"), "env:OTEL_SERVICE_NAME"},
        {attr("service.name"), "env:OTEL_RESOURCE_ATTRIBUTES"},
        {basename_of(facts.exe_path), "exe"},
        {facts.comm, "comm"},
    };
    for (const auto& c : names) {
        if (c.value.empty()) continue;
        s.name = c.value;
        s.name_source = c.source;
        break;
    }

    const std::string namespaces[] = {
        matched ? matched->namespace_ : std::string(),
        env_value(facts, "OTEL_SERVICE_NAMESPACE"),
        attr("service.namespace"),
    };
    for (const auto& ns : namespaces) {
        if (!ns.empty()) {
            s.namespace_ = ns;
            break;
        }
    }

    attrs.erase("service.name");
    attrs.erase("service.namespace");
    s.resource_attributes = std::move(attrs);

    if (matched && matched->exports) {
        const auto& e = *matched->exports;
        s.export_traces = std::find(e.begin(), e.end(), "traces") != e.end();
        s.export_metrics = std::find(e.begin(), e.end(), "metrics") != e.end();
    }
    return s;
}

}  // namespace obi::discovery
