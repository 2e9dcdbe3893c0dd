// service.name / namespace priority, OTEL_RESOURCE_ATTRIBUTES parsing, instance id, host id
// and the bounded FQDN lookup.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "discovery/naming.h"

using obi::ProcessFacts;
using obi::Selector;
using obi::discovery::canonical_name_with_timeout;
using obi::discovery::make_service_info;
using obi::discovery::NamingContext;
using obi::discovery::NamingOptions;
using obi::discovery::parse_resource_attributes;

namespace {

NamingContext host(const char* name)
{
    NamingContext ctx;
    ctx.hostname = name;
    ctx.host_id = "machine-1";
    return ctx;
}

ProcessFacts facts(uint32_t pid, std::string exe, std::map<std::string, std::string> env = {})
{
    ProcessFacts f;
    f.pid = pid;
    f.exe_path = std::move(exe);
    f.comm = "comm-name";
    f.otel_env = std::move(env);
    return f;
}

}  // namespace

// Acceptance example 15.
TEST(DiscoveryNaming, Acceptance15EnvNameAndResourceAttributes)
{
    auto f = facts(31, "/usr/bin/ruby3.1",
                   {{"OTEL_SERVICE_NAME", "my-ruby-app"}, {"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod"}});
    f.language = "ruby";
    auto s = make_service_info(f, nullptr, host("node1"));
    EXPECT_EQ(s.name, "my-ruby-app");
    EXPECT_EQ(s.name_source, "env:OTEL_SERVICE_NAME");
    EXPECT_EQ(s.namespace_, "");
    EXPECT_EQ(s.resource_attributes, (std::map<std::string, std::string>{{"deployment.environment", "prod"}}));
    EXPECT_EQ(s.sdk_language, "ruby");
}

// Acceptance example 16.
TEST(DiscoveryNaming, Acceptance16ExecutableBasenameAndInstanceId)
{
    auto f = facts(4242, "/usr/bin/python3.11");
    f.language = "python";
    NamingOptions opts;
    opts.dns_resolution = false;
    opts.get_hostname = [] { return std::string("node1"); };
    opts.machine_id_paths = {};
    NamingContext ctx = NamingContext::resolve(opts);
    auto s = make_service_info(f, nullptr, ctx);
    EXPECT_EQ(s.name, "python3.11");
    EXPECT_EQ(s.name_source, "exe");
    EXPECT_EQ(s.instance_id, "node1:4242");
    EXPECT_EQ(s.sdk_language, "python");
    EXPECT_EQ(s.host_name, "node1");
    EXPECT_EQ(s.host_id, "node1");  // no machine-id: the hostname
    EXPECT_EQ(s.pid, 4242u);
    EXPECT_EQ(s.exe_path, "/usr/bin/python3.11");
    EXPECT_TRUE(s.export_traces);
    EXPECT_TRUE(s.export_metrics);
}

TEST(DiscoveryNaming, NamePriority)
{
    Selector named;
    named.name = "from-config";
    Selector unnamed;
    const std::map<std::string, std::string> all = {
        {"OTEL_SERVICE_NAME", "from-env"},
        {"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"},
    };
    struct Case {
        const char* what;
        const Selector* matched;
        std::map<std::string, std::string> env;
        std::string exe;
        std::string name, source;
    };
    const Case cases[] = {
        {"config beats env", &named, all, "/bin/app", "from-config", "config"},
        {"entry without name", &unnamed, all, "/bin/app", "from-env", "env:OTEL_SERVICE_NAME"},
        {"env", nullptr, all, "/bin/app", "from-env", "env:OTEL_SERVICE_NAME"},
        {"attrs",
         nullptr,
         {{"OTEL_RESOURCE_ATTRIBUTES", "a=b, service.name = from-attrs "}},
         "/bin/app",
         "from-attrs",
         "env:OTEL_RESOURCE_ATTRIBUTES"},
        {"empty env name is ignored",
         nullptr,
         {{"OTEL_SERVICE_NAME", " "}, {"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"}},
         "/bin/app",
         "from-attrs",
         "env:OTEL_RESOURCE_ATTRIBUTES"},
        {"encoded attrs",
         nullptr,
         {{"OTEL_RESOURCE_ATTRIBUTES", "service.name=my%20svc"}},
         "/bin/app",
         "my svc",
         "env:OTEL_RESOURCE_ATTRIBUTES"},
        {"exe basename", nullptr, {{"OTEL_RESOURCE_ATTRIBUTES", "service.name="}}, "/opt/app/server", "server", "exe"},
        {"deleted exe already stripped", nullptr, {}, "/tmp/build/server", "server", "exe"},
        {"no exe: comm", nullptr, {}, "", "comm-name", "comm"},
    };
    for (const auto& c : cases) {
        auto s = make_service_info(facts(1, c.exe, c.env), c.matched, host("h"));
        EXPECT_EQ(s.name, c.name) << c.what;
        EXPECT_EQ(s.name_source, c.source) << c.what;
    }
}

TEST(DiscoveryNaming, NamespacePriority)
{
    Selector ns;
    ns.namespace_ = "cfg-ns";
    const std::map<std::string, std::string> both = {
        {"OTEL_SERVICE_NAMESPACE", "env-ns"},
        {"OTEL_RESOURCE_ATTRIBUTES", "service.namespace=attr-ns,team=a"},
    };
    EXPECT_EQ(make_service_info(facts(1, "/a", both), &ns, host("h")).namespace_, "cfg-ns");
    EXPECT_EQ(make_service_info(facts(1, "/a", both), nullptr, host("h")).namespace_, "env-ns");
    auto s = make_service_info(facts(1, "/a", {{"OTEL_RESOURCE_ATTRIBUTES", "service.namespace=attr-ns,team=a"}}),
                               nullptr, host("h"));
    EXPECT_EQ(s.namespace_, "attr-ns");
    // service.* are not repeated among the extra resource attributes.
    EXPECT_EQ(s.resource_attributes, (std::map<std::string, std::string>{{"team", "a"}}));
    EXPECT_EQ(make_service_info(facts(1, "/a"), nullptr, host("h")).namespace_, "");
}

TEST(DiscoveryNaming, ExportsOfTheMatchedEntry)
{
    Selector s;
    s.exports = std::vector<std::string>{"metrics"};
    auto info = make_service_info(facts(1, "/a"), &s, host("h"));
    EXPECT_FALSE(info.export_traces);
    EXPECT_TRUE(info.export_metrics);
    s.exports = std::vector<std::string>{};
    info = make_service_info(facts(1, "/a"), &s, host("h"));
    EXPECT_FALSE(info.export_traces);
    EXPECT_FALSE(info.export_metrics);
    s.exports.reset();
    info = make_service_info(facts(1, "/a"), &s, host("h"));
    EXPECT_TRUE(info.export_traces);
    EXPECT_TRUE(info.export_metrics);
    EXPECT_EQ(make_service_info(facts(1, "/a"), nullptr, host("h")).sdk_language, "generic");
}

TEST(DiscoveryNaming, ResourceAttributesParsing)
{
    using Map = std::map<std::string, std::string>;
    struct Case {
        const char* input;
        Map expected;
    };
    const Case cases[] = {
        {"", {}},
        {"a=b", {{"a", "b"}}},
        {" a = b , c=d ", {{"a", "b"}, {"c", "d"}}},
        {"a=b,,c=d,", {{"a", "b"}, {"c", "d"}}},
        {"novalue,a=b", {{"a", "b"}}},
        {"=orphan,a=b", {{"a", "b"}}},
        {"a=", {{"a", ""}}},
        {"a=b=c", {{"a", "b=c"}}},
        {"a=1,a=2", {{"a", "2"}}},
        {"k=hello%20world%2C%3D", {{"k", "hello world,="}}},
        {"k=a+b", {{"k", "a+b"}}},
        {"k=%zz,j=%4", {{"k", "%zz"}, {"j", "%4"}}},  // undecodable: kept as written
        {"k=%C3%A9", {{"k", "\xC3\xA9"}}},
        {"deployment.environment=prod,service.version=1.2",
         {{"deployment.environment", "prod"}, {"service.version", "1.2"}}},
    };
    for (const auto& c : cases) EXPECT_EQ(parse_resource_attributes(c.input), c.expected) << c.input;
}

TEST(DiscoveryNaming, HostnameOverrideAndFqdn)
{
    NamingOptions opts;
    opts.get_hostname = [] { return std::string("vm"); };
    opts.canonical_name = [](const std::string& h) { return h + ".example.net"; };
    opts.machine_id_paths = {};
    EXPECT_EQ(NamingContext::resolve(opts).hostname, "vm.example.net");

    opts.dns_resolution = false;
    EXPECT_EQ(NamingContext::resolve(opts).hostname, "vm");

    opts.override_hostname = "custom";
    opts.dns_resolution = true;
    NamingContext ctx = NamingContext::resolve(opts);
    EXPECT_EQ(ctx.hostname, "custom");
    EXPECT_EQ(make_service_info(facts(9, "/a"), nullptr, ctx).instance_id, "custom:9");

    // A failed lookup falls back to the plain hostname.
    opts.override_hostname.clear();
    opts.canonical_name = [](const std::string&) { return std::string(); };
    EXPECT_EQ(NamingContext::resolve(opts).hostname, "vm");
}

TEST(DiscoveryNaming, HungResolverDoesNotBlock)
{
    NamingOptions opts;
    opts.get_hostname = [] { return std::string("vm"); };
    opts.canonical_name = [](const std::string& h) {
        std::this_thread::sleep_for(std::chrono::seconds(3));
        return h + ".late";
    };
    opts.dns_timeout = std::chrono::milliseconds(100);
    opts.machine_id_paths = {};
    auto start = std::chrono::steady_clock::now();
    NamingContext ctx = NamingContext::resolve(opts);
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(ctx.hostname, "vm");
    EXPECT_LT(elapsed, std::chrono::milliseconds(1000));
}

TEST(DiscoveryNaming, RealResolverAnswersOrTimesOut)
{
    char name[256] = {};
    ASSERT_EQ(gethostname(name, sizeof(name) - 1), 0);
    auto start = std::chrono::steady_clock::now();
    std::string fqdn = canonical_name_with_timeout(name, std::chrono::milliseconds(2000));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
    // This host's resolver knows its own name (/etc/hosts): the canonical name starts with it.
    if (!fqdn.empty()) {
        EXPECT_EQ(fqdn.rfind(name, 0), 0u) << fqdn;
    }
}

TEST(DiscoveryNaming, HostIdSources)
{
    char dir_template[] = "/tmp/obi-naming-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    std::string dir = dir_template;
    std::string empty_id = dir + "/empty-machine-id", id = dir + "/machine-id";
    std::ofstream(empty_id) << "\n";
    std::ofstream(id) << "  3d1219c7c4c5404aaa1f6d2a48adfda4\n";

    NamingOptions opts;
    opts.dns_resolution = false;
    opts.get_hostname = [] { return std::string("vm"); };
    opts.machine_id_paths = {dir + "/missing", empty_id, id};
    EXPECT_EQ(NamingContext::resolve(opts).host_id, "3d1219c7c4c5404aaa1f6d2a48adfda4");
    opts.host_id_override = "my-host-id";
    EXPECT_EQ(NamingContext::resolve(opts).host_id, "my-host-id");
    opts.host_id_override.clear();
    opts.machine_id_paths = {empty_id};
    EXPECT_EQ(NamingContext::resolve(opts).host_id, "vm");

    std::filesystem::remove_all(dir);
}
