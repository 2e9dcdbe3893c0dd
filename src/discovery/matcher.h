// Decides whether a process is instrumented, and by which discovery entry: exclusions
// first, then the instrument entries in order, first match wins; children of a selected
// process inherit its selection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "discovery/process_facts.h"
#include "discovery/selector.h"

namespace obi::discovery {

struct MatchResult {
    size_t index = 0;                    // position in the instrument list
    const Selector* selector = nullptr;  // that entry (owned by the Matcher: name, namespace, exports)
    bool inherited = false;              // selected because its parent (or an ancestor) was
};

// Facts that are costly to read, computed on demand: at most once per match() call and only
// when an entry that needs them has matched on everything else.
struct LazyFacts {
    std::function<std::vector<uint16_t>()> listen_ports;  // used when !facts.ports_known
    std::function<std::string()> language;                // used when facts.language is empty
};

class Matcher {
public:
    // agent_pid: this agent's own process; it and its threads are never matched.
    Matcher(std::vector<Selector> instrument, std::vector<Selector> exclude_instrument,
            std::vector<Selector> default_exclude_instrument, uint32_t agent_pid);
    Matcher(Matcher&&) = default;
    Matcher& operator=(Matcher&&) = default;
    Matcher(const Matcher&) = delete;  // MatchResult::selector points into this object
    Matcher& operator=(const Matcher&) = delete;

    // The process on its own. nullopt: not selected (excluded, no entry matched, no
    // executable, or it is the agent).
    std::optional<MatchResult> match(const ProcessFacts& facts, const LazyFacts& lazy = {}) const;

    // A child (fork, or fork+exec) of a process selected as `parent`: it is selected by the
    // better (lower index) of its own match and its parent's entry, unless an exclusion
    // matches the child itself. Grandchildren work by passing the child's result on.
    std::optional<MatchResult> match_child(const ProcessFacts& facts, const MatchResult& parent,
                                           const LazyFacts& lazy = {}) const;

    // True when some entry (instrument or exclusion) uses open_ports / languages, i.e.
    // when reading ports / detecting the language can change a decision.
    bool needs_ports() const { return needs_ports_; }
    bool needs_language() const { return needs_language_; }

    const std::vector<Selector>& instrument() const { return instrument_; }

private:
    // What a Selector needs beyond itself; parallel to its list.
    struct Compiled {
        std::optional<std::regex> exe_regex;  // compiled exe_path_regex
        bool never = false;                   // k8s_* / container_name / invalid regex
    };
    class Evaluation;  // one match() call: lazily loaded facts

    static std::vector<Compiled> compile(const std::vector<Selector>& list, const char* what, bool warn);
    static bool entry_matches(const Selector& s, const Compiled& c, Evaluation& ev);
    static bool any_matches(const std::vector<Selector>& list, const std::vector<Compiled>& c, Evaluation& ev);
    bool excluded(Evaluation& ev) const;
    std::optional<size_t> first_instrument(Evaluation& ev) const;

    std::vector<Selector> instrument_, exclude_, default_exclude_;
    std::vector<Compiled> c_instrument_, c_exclude_, c_default_exclude_;
    uint32_t agent_pid_;
    bool needs_ports_ = false;
    bool needs_language_ = false;
};

// The CURRENT default_exclude_instrument (obi-compat.md 1.4): OBI itself and collectors by
// executable path, plus this agent's own binary (ebpf-instrument) and the system
// Kubernetes namespaces (which never match here: no Kubernetes metadata).
std::vector<Selector> default_exclude_instrument();

// A LazyFacts that reads ports (sharing `index` if given) and detects the language
// (through `detector` if given) of facts.pid under `root`. The referenced objects must
// outlive the returned value.
class LanguageDetector;
LazyFacts lazy_from_proc(const ProcessFacts& facts, const ProcRoot& root, LanguageDetector* detector,
                         ListenSocketIndex* index = nullptr);

}  // namespace obi::discovery
