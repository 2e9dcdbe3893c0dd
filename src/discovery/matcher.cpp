// Selector evaluation (AND within an entry), exclusion precedence, first-match-wins and
// inheritance by children.
#include "discovery/matcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>

#include "discovery/language.h"

namespace obi::discovery {

// The facts of one match() call, with the costly ones loaded on first use.
class Matcher::Evaluation {
public:
    Evaluation(const ProcessFacts& f, const LazyFacts& lazy) : facts(f), lazy_(lazy) {}

    const ProcessFacts& facts;

    const std::vector<uint16_t>& ports()
    {
        if (facts.ports_known) return facts.listen_ports;
        if (!ports_) ports_ = lazy_.listen_ports ? lazy_.listen_ports() : std::vector<uint16_t>{};
        return *ports_;
    }
    const std::string& language()
    {
        if (!facts.language.empty()) return facts.language;
        if (!language_) language_ = lazy_.language ? lazy_.language() : std::string("generic");
        return *language_;
    }

private:
    const LazyFacts& lazy_;
    std::optional<std::vector<uint16_t>> ports_;
    std::optional<std::string> language_;
};

namespace {

// Logged once per agent run, not per process or per configuration reload.
void warn_once(std::atomic<bool>& flag, const std::string& msg)
{
    if (!flag.exchange(true)) spdlog::warn("{}", msg);
}
std::atomic<bool> g_warned_k8s{false};
std::atomic<bool> g_warned_container{false};

}  // namespace

std::vector<Matcher::Compiled> Matcher::compile(const std::vector<Selector>& list, const char* what, bool warn)
{
    std::vector<Compiled> out(list.size());
    for (size_t i = 0; i < list.size(); i++) {
        const Selector& s = list[i];
        Compiled& c = out[i];
        std::string origin = s.origin.empty() ? std::string(what) + "[" + std::to_string(i) + "]" : s.origin;
        if (!s.k8s.empty() || !s.k8s_maps.empty()) {
            c.never = true;
            if (warn)
                warn_once(g_warned_k8s, "discovery: " + origin +
                                            " uses k8s_* selectors, but no Kubernetes metadata is available; entries "
                                            "with them never match");
        }
        if (s.container_name) {
            c.never = true;
            if (warn)
                warn_once(g_warned_container, "discovery: " + origin +
                                                  " uses container_name, but container runtime metadata is not "
                                                  "available; entries with it never match");
        }
        if (s.exe_path_regex) {
            try {
                c.exe_regex.emplace(*s.exe_path_regex, std::regex::ECMAScript | std::regex::optimize);
            } catch (const std::regex_error& e) {
                c.never = true;
                spdlog::error("discovery: {}: invalid exe_path regex '{}': {}; the entry never matches", origin,
                              *s.exe_path_regex, e.what());
            }
        }
    }
    return out;
}

Matcher::Matcher(std::vector<Selector> instrument, std::vector<Selector> exclude_instrument,
                 std::vector<Selector> default_exclude_instrument, uint32_t agent_pid)
    : instrument_(std::move(instrument)),
      exclude_(std::move(exclude_instrument)),
      default_exclude_(std::move(default_exclude_instrument)),
      agent_pid_(agent_pid)
{
    c_instrument_ = compile(instrument_, "discovery.instrument", true);
    c_exclude_ = compile(exclude_, "discovery.exclude_instrument", true);
    // The defaults list Kubernetes namespaces on every host: not worth a warning.
    c_default_exclude_ = compile(default_exclude_, "discovery.default_exclude_instrument", false);
    for (const auto* list : {&instrument_, &exclude_, &default_exclude_}) {
        for (const Selector& s : *list) {
            needs_ports_ = needs_ports_ || s.open_ports.has_value();
            needs_language_ = needs_language_ || s.languages.has_value();
        }
    }
}

bool Matcher::entry_matches(const Selector& s, const Compiled& c, Evaluation& ev)
{
    // An entry without selectors is a configuration error; never let it select everything.
    if (c.never || !s.has_selector()) return false;
    const ProcessFacts& f = ev.facts;
    // Cheap selectors first; the language and the ports are loaded only if still needed.
    if (!s.target_pids.empty() && std::find(s.target_pids.begin(), s.target_pids.end(), f.pid) == s.target_pids.end())
        return false;
    if (s.containers_only && !f.in_container) return false;
    if (s.exe_path && !s.exe_path->matches(f.exe_path)) return false;
    if (s.cmd_args && !s.cmd_args->matches(f.cmdline)) return false;
    if (c.exe_regex) {
        try {
            if (!std::regex_search(f.exe_path, *c.exe_regex)) return false;
        } catch (const std::regex_error&) {  // complexity limits: treat as no match
            return false;
        }
    }
    if (s.languages && !s.languages->matches(ev.language())) return false;
    if (s.open_ports) {
        const auto& ports = ev.ports();
        bool any = std::any_of(ports.begin(), ports.end(), [&](uint16_t p) { return s.open_ports->contains(p); });
        if (!any) return false;
    }
    return true;
}

bool Matcher::any_matches(const std::vector<Selector>& list, const std::vector<Compiled>& c, Evaluation& ev)
{
    for (size_t i = 0; i < list.size(); i++)
        if (entry_matches(list[i], c[i], ev)) return true;
    return false;
}

bool Matcher::excluded(Evaluation& ev) const
{
    const ProcessFacts& f = ev.facts;
    // The agent itself, and any of its threads (a thread's /proc entry has tgid = agent).
    if (f.pid == agent_pid_ || (f.tgid != 0 && f.tgid == agent_pid_)) return true;
    // Nothing to instrument without an executable (kernel threads, exited processes).
    if (f.exe_path.empty()) return true;
    return any_matches(exclude_, c_exclude_, ev) || any_matches(default_exclude_, c_default_exclude_, ev);
}

std::optional<size_t> Matcher::first_instrument(Evaluation& ev) const
{
    for (size_t i = 0; i < instrument_.size(); i++)
        if (entry_matches(instrument_[i], c_instrument_[i], ev)) return i;
    return std::nullopt;
}

std::optional<MatchResult> Matcher::match(const ProcessFacts& facts, const LazyFacts& lazy) const
{
    Evaluation ev(facts, lazy);
    // Try inclusion first: most processes match no entry, and then the exclusions (which
    // may need ports or the language) need not be evaluated at all.
    auto idx = first_instrument(ev);
    if (!idx || excluded(ev)) return std::nullopt;
    return MatchResult{*idx, &instrument_[*idx], false};
}

std::optional<MatchResult> Matcher::match_child(const ProcessFacts& facts, const MatchResult& parent,
                                                const LazyFacts& lazy) const
{
    if (parent.index >= instrument_.size()) return match(facts, lazy);
    Evaluation ev(facts, lazy);
    if (excluded(ev)) return std::nullopt;
    // A child matches whatever its parent matched, plus its own entries: the first wins.
    // Entries after the parent's cannot win, so only those before it are tried.
    for (size_t i = 0; i < parent.index; i++)
        if (entry_matches(instrument_[i], c_instrument_[i], ev)) return MatchResult{i, &instrument_[i], false};
    return MatchResult{parent.index, &instrument_[parent.index], true};
}

std::vector<Selector> default_exclude_instrument()
{
    std::vector<Selector> out;
    Selector exe;
    exe.origin = "default_exclude_instrument[0]";
    exe.exe_path =
        Glob::compile("{*/obi,obi,*/ebpf-instrument,ebpf-instrument,*otelcol,*otelcol-contrib,*otelcol-contrib[!/]*}");
    out.push_back(std::move(exe));

    Selector k8s;
    k8s.origin = "default_exclude_instrument[1]";
    k8s.k8s.emplace(
        "k8s_namespace",
        *Glob::compile(
            "{kube-system,kube-node-lease,local-path-storage,cert-manager,monitoring,gatekeeper-system,grafana-alloy,"
            "gke-connect,gke-gmp-system,gke-system,gke-managed-cim,gke-managed-filestorecsi,gke-managed-metrics-server,"
            "gke-managed-system,gke-managed-volumepopulator}"));
    out.push_back(std::move(k8s));
    return out;
}

LazyFacts lazy_from_proc(const ProcessFacts& facts, const ProcRoot& root, LanguageDetector* detector,
                         ListenSocketIndex* index)
{
    LazyFacts lazy;
    uint32_t pid = facts.pid;
    lazy.listen_ports = [pid, &root, index] { return read_listen_ports(pid, root, index); };
    if (detector) lazy.language = [&facts, &root, detector] { return detector->detect(facts, root); };
    return lazy;
}

}  // namespace obi::discovery
