// Matcher tables: AND within an entry, first match wins, exclusion precedence, default
// exclusions, the agent itself, lazy facts, and children inheriting their parent's entry.
#include <gtest/gtest.h>

#include "discovery/matcher.h"

using obi::Glob;
using obi::PortEnum;
using obi::ProcessFacts;
using obi::Selector;
using obi::discovery::default_exclude_instrument;
using obi::discovery::LazyFacts;
using obi::discovery::Matcher;
using obi::discovery::MatchResult;

namespace {

constexpr uint32_t kAgentPid = 7;

ProcessFacts proc(uint32_t pid, std::string exe, std::vector<uint16_t> ports = {}, std::string language = "generic")
{
    ProcessFacts f;
    f.pid = pid;
    f.tgid = pid;
    f.ppid = 1;
    f.exe_path = std::move(exe);
    f.comm = f.exe_path.substr(f.exe_path.rfind('/') + 1);
    f.cmdline = f.exe_path;
    f.listen_ports = std::move(ports);
    f.ports_known = true;
    f.language = std::move(language);
    return f;
}

Selector exe(const char* glob, std::string name = "")
{
    Selector s;
    s.exe_path = Glob::compile(glob);
    s.name = std::move(name);
    return s;
}

Selector port(const char* ports, std::string name = "")
{
    Selector s;
    s.open_ports = PortEnum::parse(ports);
    s.name = std::move(name);
    return s;
}

Matcher matcher(std::vector<Selector> instrument, std::vector<Selector> exclude = {},
                std::vector<Selector> default_exclude = default_exclude_instrument())
{
    return Matcher(std::move(instrument), std::move(exclude), std::move(default_exclude), kAgentPid);
}

std::optional<size_t> index_of(const std::optional<MatchResult>& r)
{
    return r ? std::optional<size_t>(r->index) : std::nullopt;
}

}  // namespace

// Acceptance example 13: OTEL_EBPF_OPEN_PORT=8080 + OTEL_EBPF_AUTO_TARGET_EXE=*/server are
// ANDed into one criterion.
TEST(DiscoveryMatcher, Acceptance13GlobalSelectorsAreAnded)
{
    Selector env;
    env.origin = "OTEL_EBPF_OPEN_PORT";
    env.open_ports = PortEnum::parse("8080");
    env.exe_path = Glob::compile("*/server");
    Matcher m = matcher({env});

    EXPECT_TRUE(m.match(proc(100, "/opt/app/server", {8080})));
    EXPECT_FALSE(m.match(proc(101, "/usr/sbin/nginx", {8080})));
    EXPECT_FALSE(m.match(proc(102, "/opt/app/server", {9090})));
    // Traced on all its ports when one of them matches.
    EXPECT_TRUE(m.match(proc(103, "/opt/app/server", {9090, 8080, 22})));
    // OTEL_EBPF_OPEN_PORT=http is a configuration error.
    EXPECT_FALSE(PortEnum::parse("http"));
}

TEST(DiscoveryMatcher, EverySelectorOfAnEntryMustMatch)
{
    struct Case {
        const char* what;
        Selector sel;
        bool expected;
    };
    ProcessFacts f = proc(4242, "/usr/bin/python3.11", {8000}, "python");
    f.cmdline = "/usr/bin/python3.11 -m gunicorn app:wsgi";
    f.in_container = false;

    auto with = [](auto fn) {
        Selector s;
        fn(s);
        return s;
    };
    std::vector<Case> cases = {
        {"exe glob", with([](Selector& s) { s.exe_path = Glob::compile("*python3*"); }), true},
        {"exe glob miss", with([](Selector& s) { s.exe_path = Glob::compile("*/java"); }), false},
        {"cmd_args glob", with([](Selector& s) { s.cmd_args = Glob::compile("*gunicorn*"); }), true},
        {"cmd_args miss", with([](Selector& s) { s.cmd_args = Glob::compile("*uvicorn*"); }), false},
        {"language", with([](Selector& s) { s.languages = Glob::compile("{python,ruby}"); }), true},
        {"language miss", with([](Selector& s) { s.languages = Glob::compile("go"); }), false},
        {"port range", with([](Selector& s) { s.open_ports = PortEnum::parse("7000-8999"); }), true},
        {"pid", with([](Selector& s) {
             s.target_pids = {1, 4242};
         }),
         true},
        {"pid miss", with([](Selector& s) {
             s.target_pids = {1, 2};
         }),
         false},
        {"containers_only on host", with([](Selector& s) { s.containers_only = true; }), false},
        {"regex contains", with([](Selector& s) { s.exe_path_regex = "python3\\.1[0-9]"; }), true},
        {"regex anchored miss", with([](Selector& s) { s.exe_path_regex = "^python"; }), false},
        {"all set, all match", with([](Selector& s) {
             s.exe_path = Glob::compile("/usr/bin/*");
             s.cmd_args = Glob::compile("*app:wsgi");
             s.languages = Glob::compile("python");
             s.open_ports = PortEnum::parse("8000");
             s.target_pids = {4242};
         }),
         true},
        {"all set, port misses", with([](Selector& s) {
             s.exe_path = Glob::compile("/usr/bin/*");
             s.languages = Glob::compile("python");
             s.open_ports = PortEnum::parse("9000");
         }),
         false},
        // No container runtime or Kubernetes metadata on this agent: these never match.
        {"container_name", with([](Selector& s) { s.container_name = Glob::compile("*"); }), false},
        {"k8s_namespace", with([](Selector& s) { s.k8s.emplace("k8s_namespace", *Glob::compile("*")); }), false},
        {"k8s_pod_labels", with([](Selector& s) { s.k8s_maps["k8s_pod_labels"].emplace("app", *Glob::compile("*")); }),
         false},
        {"exe + k8s", with([](Selector& s) {
             s.exe_path = Glob::compile("*");
             s.k8s.emplace("k8s_pod_name", *Glob::compile("*"));
         }),
         false},
        {"invalid regex never matches", with([](Selector& s) { s.exe_path_regex = "python("; }), false},
        {"no selector at all", Selector{}, false},
    };
    for (auto& c : cases) {
        Matcher m = matcher({c.sel}, {}, {});
        EXPECT_EQ(m.match(f).has_value(), c.expected) << c.what;
    }

    ProcessFacts in_container = f;
    in_container.in_container = true;
    Selector containers;
    containers.containers_only = true;
    EXPECT_TRUE(matcher({containers}, {}, {}).match(in_container));
}

TEST(DiscoveryMatcher, FirstMatchWinsInOrder)
{
    Matcher m = matcher({exe("*/java", "java-app"), port("8000-8100", "by-port"), exe("*python*", "any-python")});
    struct Case {
        ProcessFacts facts;
        std::optional<size_t> expected;
    };
    std::vector<Case> cases = {
        {proc(10, "/usr/bin/python3.11", {8000}), 1},  // also matches entry 2: the first wins
        {proc(11, "/usr/bin/python3.11", {}), 2},
        {proc(12, "/opt/jdk/bin/java", {8000}), 0},
        {proc(13, "/usr/sbin/nginx", {80}), std::nullopt},
    };
    for (auto& c : cases) {
        auto r = m.match(c.facts);
        EXPECT_EQ(index_of(r), c.expected) << c.facts.exe_path;
        if (r) {
            EXPECT_EQ(r->selector, &m.instrument()[r->index]);
            EXPECT_FALSE(r->inherited);
        }
    }
    EXPECT_EQ(m.match(proc(10, "/usr/bin/python3.11", {8000}))->selector->name, "by-port");
}

TEST(DiscoveryMatcher, ExclusionBeatsInclusion)
{
    Matcher m = matcher({exe("*"), port("8080")}, {exe("*/nginx"), port("22")});
    EXPECT_FALSE(m.match(proc(10, "/usr/sbin/nginx", {8080})));
    EXPECT_FALSE(m.match(proc(11, "/usr/sbin/sshd", {22})));
    EXPECT_TRUE(m.match(proc(12, "/usr/bin/redis-server", {6379})));

    // default_exclude_instrument also excludes, independently of exclude_instrument.
    Matcher d = matcher({exe("*")}, {}, {exe("*/redis-server")});
    EXPECT_FALSE(d.match(proc(12, "/usr/bin/redis-server", {6379})));
    EXPECT_TRUE(d.match(proc(13, "/usr/sbin/nginx", {80})));
}

TEST(DiscoveryMatcher, DefaultExclusionsCoverObiCollectorsAndThisAgent)
{
    Matcher m = matcher({exe("*")});
    struct Case {
        const char* exe;
        bool selected;
    };
    const Case cases[] = {
        {"/usr/bin/obi", false},
        {"/opt/otel/otelcol", false},
        {"/usr/local/bin/otelcol-contrib", false},
        {"/usr/local/bin/otelcol-contrib2", false},
        {"/usr/local/bin/ebpf-instrument", false},
        {"/work/main/build/ebpf-instrument", false},
        {"/usr/bin/obiwan", true},
        {"/usr/sbin/nginx", true},
        {"/usr/bin/otelcol-contrib/child", true},  // [!/] keeps the glob on the last element
    };
    for (const auto& c : cases) EXPECT_EQ(m.match(proc(100, c.exe)).has_value(), c.selected) << c.exe;

    // default_exclude_instrument: [] turns the defaults off...
    Matcher none = matcher({exe("*")}, {}, {});
    EXPECT_TRUE(none.match(proc(100, "/opt/otel/otelcol")));
    // ...but never this agent (by pid) or one of its threads (by tgid).
    EXPECT_FALSE(none.match(proc(kAgentPid, "/usr/local/bin/ebpf-instrument")));
    ProcessFacts thread = proc(kAgentPid + 1, "/usr/local/bin/ebpf-instrument");
    thread.tgid = kAgentPid;
    EXPECT_FALSE(none.match(thread));
    // Removing a default does not select a process by itself.
    EXPECT_FALSE(matcher({exe("*/nginx")}, {}, {}).match(proc(100, "/opt/otel/otelcol")));
}

TEST(DiscoveryMatcher, ProcessWithoutExecutableIsNeverSelected)
{
    Selector pid;
    pid.target_pids = {2};
    Matcher m = matcher({exe("*"), pid}, {}, {});
    ProcessFacts kthread = proc(2, "");
    EXPECT_FALSE(m.match(kthread));
}

TEST(DiscoveryMatcher, CostlyFactsAreLoadedLazilyAndOnce)
{
    Selector s;
    s.exe_path = Glob::compile("*/server");
    s.languages = Glob::compile("go");
    s.open_ports = PortEnum::parse("8080");
    Matcher m = matcher({s}, {port("22")}, {});
    EXPECT_TRUE(m.needs_ports());
    EXPECT_TRUE(m.needs_language());
    EXPECT_FALSE(matcher({exe("*")}, {}, {}).needs_ports());

    int port_loads = 0, language_loads = 0;
    LazyFacts lazy;
    lazy.listen_ports = [&] {
        port_loads++;
        return std::vector<uint16_t>{8080};
    };
    lazy.language = [&] {
        language_loads++;
        return std::string("go");
    };

    ProcessFacts nginx = proc(10, "/usr/sbin/nginx");
    nginx.ports_known = false;
    nginx.language.clear();
    EXPECT_FALSE(m.match(nginx, lazy));
    EXPECT_EQ(port_loads, 0);  // the exe glob already failed
    EXPECT_EQ(language_loads, 0);

    ProcessFacts server = proc(11, "/opt/app/server");
    server.ports_known = false;
    server.language.clear();
    EXPECT_TRUE(m.match(server, lazy));  // entry and exclusion both look at the ports
    EXPECT_EQ(port_loads, 1);
    EXPECT_EQ(language_loads, 1);

    // Without a loader the unknown ports are empty, and the language is "generic".
    EXPECT_FALSE(m.match(server));
}

TEST(DiscoveryMatcher, ChildrenInheritTheirParentsEntry)
{
    // A gunicorn/nginx-style master selected through its port; its forked workers hold no
    // listening socket of their own.
    Matcher m = matcher({port("8000", "api"), exe("*python*", "other-python")}, {exe("*/sh")});
    ProcessFacts master = proc(100, "/usr/bin/python3.11", {8000});
    auto parent = m.match(master);
    ASSERT_TRUE(parent);
    EXPECT_EQ(parent->index, 0u);

    ProcessFacts worker = proc(101, "/usr/bin/python3.11");
    worker.ppid = 100;
    EXPECT_EQ(index_of(m.match(worker)), 1u);  // on its own it would be "other-python"
    auto child = m.match_child(worker, *parent);
    ASSERT_TRUE(child);
    EXPECT_EQ(child->index, 0u);
    EXPECT_TRUE(child->inherited);
    EXPECT_EQ(child->selector->name, "api");

    // Grandchildren: pass the child's result on.
    ProcessFacts grandchild = proc(102, "/usr/bin/python3.11");
    grandchild.ppid = 101;
    auto gc = m.match_child(grandchild, *child);
    ASSERT_TRUE(gc);
    EXPECT_EQ(gc->index, 0u);
    EXPECT_TRUE(gc->inherited);

    // A child excluded on its own stays excluded (e.g. a shell the service spawns).
    ProcessFacts shell = proc(103, "/bin/sh");
    shell.ppid = 100;
    EXPECT_FALSE(m.match_child(shell, *parent));

    // A child that matches an earlier entry by itself takes that entry.
    auto second = m.match(proc(200, "/usr/bin/python3.11"));  // entry 1
    ASSERT_TRUE(second);
    ProcessFacts own_port = proc(201, "/usr/bin/python3.11", {8000});
    auto better = m.match_child(own_port, *second);
    ASSERT_TRUE(better);
    EXPECT_EQ(better->index, 0u);
    EXPECT_FALSE(better->inherited);

    // The default exclusions and the agent apply to children too.
    ProcessFacts collector = proc(104, "/usr/bin/otelcol");
    EXPECT_FALSE(m.match_child(collector, *parent));
    EXPECT_FALSE(m.match_child(proc(kAgentPid, "/usr/bin/python3.11"), *parent));
}
