// /proc parsing on a fake tree under a temporary folder: stat with ") " in comm, deleted
// executables, unreadable environ, sockets matched against LISTEN rows, namespaces.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "discovery/language.h"
#include "discovery/process_facts.h"

namespace fs = std::filesystem;
using namespace obi::discovery;
using namespace std::string_literals;

namespace {

// A stat line with real-looking fields; `comm` is written between the parentheses as is.
std::string stat_line(uint32_t pid, const std::string& comm, uint32_t ppid, uint64_t start)
{
    std::string s = std::to_string(pid) + " (" + comm + ") S " + std::to_string(ppid);
    for (int field = 5; field <= 52; field++) {
        s += ' ';
        s += field == 22 ? std::to_string(start) : (field == 20 ? "1" : "0");
    }
    return s + "\n";
}

const char* kTcpHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

std::string tcp_row(int sl, const char* local, const char* remote, const char* state, uint64_t inode)
{
    char buf[256];
    snprintf(buf, sizeof(buf),
             "%4d: %s %s %s 00000000:00000000 00:00000000 00000000     0        0 %llu 1 0000000000000000 100 0 0 "
             "10 0\n",
             sl, local, remote, state, static_cast<unsigned long long>(inode));
    return buf;
}

class DiscoveryFakeProc : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/obi-fakeproc-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        base_ = tmpl;
        fs::create_directories(base_ + "/self/ns");
        fs::create_symlink("net:[4026531840]", base_ + "/self/ns/net");
    }
    void TearDown() override { fs::remove_all(base_); }

    std::string dir(uint32_t pid) { return base_ + "/" + std::to_string(pid); }
    void write(uint32_t pid, const std::string& rel, const std::string& content)
    {
        fs::path p = dir(pid) + "/" + rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << content;
    }
    void link(uint32_t pid, const std::string& rel, const std::string& target)
    {
        fs::path p = dir(pid) + "/" + rel;
        fs::create_directories(p.parent_path());
        fs::create_symlink(target, p);
    }
    // A minimal process: stat, comm, exe, cmdline, namespaces.
    void add(uint32_t pid, const std::string& comm, const std::string& exe, uint32_t netns = 4026531840u)
    {
        write(pid, "stat", stat_line(pid, comm, 1, 1000 + pid));
        write(
            pid, "status",
            "Name:\t" + comm + "\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t" + std::to_string(pid) + "\nNgid:\t0\n");
        write(pid, "comm", comm + "\n");
        link(pid, "exe", exe);
        write(pid, "cmdline", std::string(exe) + '\0');
        link(pid, "ns/net", "net:[" + std::to_string(netns) + "]");
        link(pid, "ns/pid", "pid:[4026531836]");
    }

    std::string base_;
};

}  // namespace

TEST(DiscoveryProcParse, StatWithHostileComm)
{
    for (std::string comm : {"bash", "my) proc) x", "a b", "(", ")", ") S 99 ", ""}) {
        auto f = parse_stat(stat_line(123, comm, 45, 987654321));
        ASSERT_TRUE(f) << comm;
        EXPECT_EQ(f->ppid, 45u) << comm;
        EXPECT_EQ(f->start_time_ticks, 987654321u) << comm;
    }
    EXPECT_FALSE(parse_stat(""));
    EXPECT_FALSE(parse_stat("123 bash S 1 2 3"));        // no parentheses
    EXPECT_FALSE(parse_stat("123 (bash) S 1 2 3 4 5"));  // truncated
    EXPECT_FALSE(parse_stat("123 (bash) S x" + std::string(200, ' ')));
}

TEST(DiscoveryProcParse, NamespaceLinksCmdlineEnviron)
{
    EXPECT_EQ(parse_ns_link("net:[4026531840]"), 4026531840u);
    EXPECT_EQ(parse_ns_link("pid:[1]"), 1u);
    EXPECT_EQ(parse_ns_link("net:4026531840"), 0u);
    EXPECT_EQ(parse_ns_link("net:[]"), 0u);
    EXPECT_EQ(parse_ns_link("net:[99999999999]"), 0u);  // does not fit

    EXPECT_EQ(join_cmdline("python3\0-m\0http.server\0"s), "python3 -m http.server");
    EXPECT_EQ(join_cmdline("a\0\0b\0"s), "a  b");
    EXPECT_EQ(join_cmdline("nginx: master process nginx"), "nginx: master process nginx");  // rewritten argv
    EXPECT_EQ(join_cmdline("x\0\0\0"s), "x");
    EXPECT_EQ(join_cmdline(""), "");

    std::string env =
        "PATH=/bin\0OTEL_SERVICE_NAME=svc\0OTEL_SERVICE_NAMESPACE=ns\0OTEL_EXPORTER_OTLP_ENDPOINT=x\0"
        "OTEL_RESOURCE_ATTRIBUTES=a=b,c=d\0OTEL_SERVICE_NAME_X=no\0BROKEN\0OTEL_SERVICE_NAME"s;
    auto otel = parse_otel_environ(env);
    EXPECT_EQ(otel, (std::map<std::string, std::string>{{"OTEL_SERVICE_NAME", "svc"},
                                                        {"OTEL_SERVICE_NAMESPACE", "ns"},
                                                        {"OTEL_RESOURCE_ATTRIBUTES", "a=b,c=d"}}));
}

TEST(DiscoveryProcParse, TcpListenRows)
{
    std::string table = kTcpHeader;
    table += tcp_row(0, "00000000:1F90", "00000000:0000", "0A", 1001);  // *:8080 LISTEN
    table += tcp_row(1, "0100007F:0050", "00000000:0000", "0A", 1002);  // 127.0.0.1:80 LISTEN
    table += tcp_row(2, "0100007F:1F90", "0100007F:C350", "01", 1003);  // ESTABLISHED
    table += tcp_row(3, "0100007F:1F91", "00000000:0000", "0A", 0);     // no inode
    table += "   4: garbage\n";
    std::unordered_map<uint64_t, uint16_t> out;
    parse_tcp_listeners(table, out);
    EXPECT_EQ(out, (std::unordered_map<uint64_t, uint16_t>{{1001, 8080}, {1002, 80}}));

    std::string table6 = kTcpHeader;
    table6 += tcp_row(0, "00000000000000000000000001000000:1F92", "00000000000000000000000000000000:0000", "0A", 2001);
    parse_tcp_listeners(table6, out);
    EXPECT_EQ(out.at(2001), 8082);
}

TEST_F(DiscoveryFakeProc, FullFactsOfAContainerProcessWithDeletedExe)
{
    add(100, "my) proc) x", "/opt/app/server (deleted)", 4026532000u);
    write(100, "cmdline",
          "/opt/app/server\0--port\0"
          "8080\0"s);
    fs::create_directories(dir(100) + "/environ");  // unreadable environ: skipped quietly
    link(100, "fd/0", "/dev/null");
    link(100, "fd/3", "socket:[555]");
    link(100, "fd/4", "socket:[556]");
    link(100, "fd/5", "socket:[557]");
    link(100, "fd/6", "pipe:[558]");
    write(100, "net/tcp",
          std::string(kTcpHeader) + tcp_row(0, "00000000:1F90", "00000000:0000", "0A", 555) +
              tcp_row(1, "00000000:0016", "00000000:0000", "0A", 999) +  // another process's listener
              tcp_row(2, "0100007F:1F90", "0100007F:C350", "01", 557));  // our accepted connection
    write(100, "net/tcp6",
          std::string(kTcpHeader) +
              tcp_row(0, "00000000000000000000000000000000:0050", "00000000000000000000000000000000:0000", "0A", 556));

    ProcRoot root(base_);
    EXPECT_EQ(root.agent_netns(), 4026531840u);
    auto f = read_process_facts(100, root);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->pid, 100u);
    EXPECT_EQ(f->tgid, 100u);
    EXPECT_EQ(f->ppid, 1u);
    EXPECT_EQ(f->start_time_ticks, 1100u);
    EXPECT_EQ(f->comm, "my) proc) x");
    EXPECT_EQ(f->exe_path, "/opt/app/server");
    EXPECT_TRUE(f->exe_deleted);
    EXPECT_EQ(f->cmdline, "/opt/app/server --port 8080");
    EXPECT_EQ(f->netns, 4026532000u);
    EXPECT_EQ(f->pidns, 4026531836u);
    EXPECT_TRUE(f->in_container);
    EXPECT_TRUE(f->otel_env.empty());
    EXPECT_TRUE(f->ports_known);
    EXPECT_EQ(f->listen_ports, (std::vector<uint16_t>{80, 8080}));
    EXPECT_EQ(f->language, "");  // no detector given

    // Ports are optional, and can be read later.
    ReadOptions cheap;
    cheap.listen_ports = false;
    auto g = read_process_facts(100, root, cheap);
    ASSERT_TRUE(g);
    EXPECT_FALSE(g->ports_known);
    EXPECT_TRUE(g->listen_ports.empty());
    EXPECT_EQ(read_listen_ports(100, root), (std::vector<uint16_t>{80, 8080}));
}

TEST_F(DiscoveryFakeProc, HostProcessWithOtelEnvironment)
{
    add(101, "python3", "/usr/bin/python3.11");
    write(101, "environ", "HOME=/root\0OTEL_SERVICE_NAME=checkout\0OTEL_RESOURCE_ATTRIBUTES=service.namespace=shop\0"s);
    ProcRoot root(base_);
    auto f = read_process_facts(101, root);
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->in_container);
    EXPECT_FALSE(f->exe_deleted);
    EXPECT_EQ(f->otel_env.at("OTEL_SERVICE_NAME"), "checkout");
    EXPECT_EQ(f->otel_env.at("OTEL_RESOURCE_ATTRIBUTES"), "service.namespace=shop");
    EXPECT_TRUE(f->listen_ports.empty());  // no fd folder at all
    EXPECT_TRUE(f->ports_known);
}

TEST_F(DiscoveryFakeProc, MissingFilesAndListing)
{
    add(5, "a", "/bin/a");
    add(42, "b", "/bin/b");
    fs::create_directories(dir(77));  // a process that exited while we listed it: no stat
    fs::create_directories(base_ + "/net");
    fs::create_directories(base_ + "/sys");
    write(9, "stat", "garbage\n");

    ProcRoot root(base_);
    EXPECT_EQ(list_pids(root), (std::vector<uint32_t>{5, 9, 42, 77}));
    EXPECT_FALSE(read_process_facts(77, root));
    EXPECT_FALSE(read_process_facts(9, root));
    EXPECT_FALSE(read_process_facts(12345, root));

    // A kernel thread: stat but no exe, empty cmdline.
    write(2, "stat", stat_line(2, "kthreadd", 0, 5));
    auto k = read_process_facts(2, root);
    ASSERT_TRUE(k);
    EXPECT_EQ(k->exe_path, "");
    EXPECT_EQ(k->tgid, 2u);  // no status file: the pid

    // No self/ns/net: the agent's namespace is unknown, nobody is "in a container".
    fs::remove(base_ + "/self/ns/net");
    ProcRoot unknown(base_);
    EXPECT_EQ(unknown.agent_netns(), 0u);
    add(6, "c", "/bin/c", 4026532000u);
    EXPECT_FALSE(read_process_facts(6, unknown)->in_container);

    EXPECT_TRUE(list_pids(ProcRoot(base_ + "/does-not-exist")).empty());
}

TEST_F(DiscoveryFakeProc, ThreadEntryReportsItsProcess)
{
    add(300, "worker", "/bin/app");
    write(300, "status", "Name:\tworker\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t299\nNgid:\t0\n");
    auto f = read_process_facts(300, ProcRoot(base_));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->tgid, 299u);
}

TEST_F(DiscoveryFakeProc, ListenIndexSharesOneReadPerNamespace)
{
    const std::string listen_8080 = std::string(kTcpHeader) + tcp_row(0, "00000000:1F90", "00000000:0000", "0A", 555);
    add(200, "a", "/bin/a");
    add(201, "b", "/bin/b");
    link(200, "fd/3", "socket:[555]");
    link(201, "fd/3", "socket:[555]");  // an inherited listening socket
    write(200, "net/tcp", listen_8080);
    write(201, "net/tcp", std::string(kTcpHeader));  // would say "nothing" if it were read

    ProcRoot root(base_);
    ListenSocketIndex index;
    ReadOptions opts;
    opts.listen_index = &index;
    EXPECT_EQ(read_process_facts(200, root, opts)->listen_ports, (std::vector<uint16_t>{8080}));
    EXPECT_EQ(read_process_facts(201, root, opts)->listen_ports, (std::vector<uint16_t>{8080}));
    index.clear();
    EXPECT_TRUE(read_process_facts(201, root, opts)->listen_ports.empty());
}

TEST_F(DiscoveryFakeProc, LanguageThroughTheFakeTree)
{
    // exe links to real binaries, maps are written by hand.
    const std::string libc =
        "7f0000000000-7f0000022000 r--p 00000000 08:01 1234    /usr/lib/x86_64-linux-gnu/libc.so.6\n";
    const std::string libstdcxx =
        "7f0000100000-7f0000200000 r-xp 00000000 08:01 1235    /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30\n";
    const std::string libjvm =
        "7f0000300000-7f0000400000 r-xp 00000000 08:01 1236    /usr/lib/jvm/java-17/lib/server/libjvm.so\n";
    add(400, "nginx", "/usr/sbin/nginx");
    write(400, "maps", libc);
    add(401, "envoy", "/usr/sbin/nginx");  // a C++ program (stand-in binary, hand-written maps)
    write(401, "maps", libc + libstdcxx);
    add(402, "launcher", "/usr/sbin/nginx");  // a custom launcher embedding a JVM
    write(402, "maps", libc + libstdcxx + libjvm);
    add(403, "python3", "/usr/bin/python3.11");
    add(404, "server", "/opt/app/server (deleted)");           // unreadable executable, no maps: generic
    add(405, "php-fpm8.2", "/usr/sbin/php-fpm8.2 (deleted)");  // the name still counts

    ProcRoot root(base_);
    LanguageDetector det;
    ReadOptions opts;
    opts.language = &det;
    auto lang = [&](uint32_t pid) { return read_process_facts(pid, root, opts)->language; };
    if (!fs::exists("/usr/sbin/nginx") || !fs::exists("/usr/bin/python3.11")) GTEST_SKIP() << "needs nginx, python3.11";
    EXPECT_EQ(lang(400), "generic");
    EXPECT_EQ(lang(401), "cpp");
    EXPECT_EQ(lang(402), "java");
    EXPECT_EQ(lang(403), "python");
    EXPECT_EQ(lang(404), "generic");
    EXPECT_EQ(lang(405), "php");
    // nginx's ELF was analysed once, then answered from the cache.
    EXPECT_EQ(det.stats().elf_reads, 2u);  // nginx, python3.11
    EXPECT_EQ(det.stats().cache_hits, 2u);
}
