// Discovery against the real /proc: servers started here (Python, Node, Java, Go, nginx),
// their facts, language, selection and service name; the agent never selects itself; the
// cost of a full scan of this host. Every process started is stopped by its PID.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "discovery/language.h"
#include "discovery/matcher.h"
#include "discovery/naming.h"
#include "discovery/proc_read.h"
#include "discovery/process_facts.h"
#include "discovery/sock_diag.h"

namespace fs = std::filesystem;
using namespace obi::discovery;
using obi::Glob;
using obi::PortEnum;
using obi::ProcessFacts;
using obi::Selector;
using Clock = std::chrono::steady_clock;

namespace {

// A child process started with fork+execve; stopped (SIGTERM, then SIGKILL) and reaped by
// its PID when the object goes away.
class Child {
public:
    Child(std::vector<std::string> argv, std::vector<std::string> extra_env = {}, std::string cwd = "")
    {
        std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8"};
        env.insert(env.end(), extra_env.begin(), extra_env.end());
        // Everything the child needs is prepared before fork (the test binary has threads).
        std::vector<char*> cargv, cenv;
        for (auto& a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        for (auto& e : env) cenv.push_back(e.data());
        cenv.push_back(nullptr);
        int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        pid_ = ::fork();
        if (pid_ == 0) {
            if (devnull >= 0) {
                ::dup2(devnull, 0);
                ::dup2(devnull, 1);
                ::dup2(devnull, 2);
            }
            if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
            ::execve(cargv[0], cargv.data(), cenv.data());
            ::_exit(127);
        }
        if (devnull >= 0) ::close(devnull);
    }
    ~Child() { stop(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    uint32_t pid() const { return static_cast<uint32_t>(pid_); }
    bool alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

    void stop()
    {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        auto deadline = Clock::now() + std::chrono::seconds(5);
        while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
            if (Clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, nullptr, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
};

// Kills a process that is not our child (a grandchild) by PID and waits for it to go.
void kill_and_wait_gone(uint32_t pid, uint64_t start_ticks)
{
    ProcRoot root;
    // Gone, or a zombie waiting for init to reap it (it holds nothing any more).
    auto same = [&] {
        auto stat = read_file_bounded(root.path(pid, "stat"), 4096);
        auto f = stat ? parse_stat(*stat) : std::nullopt;
        size_t close = stat ? stat->rfind(')') : std::string::npos;
        bool zombie = close != std::string::npos && stat->compare(close, 3, ") Z") == 0;
        return f && f->start_time_ticks == start_ticks && !zombie;
    };
    if (!same()) return;
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    auto deadline = Clock::now() + std::chrono::seconds(5);
    while (same() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

uint16_t free_port(int family = AF_INET)
{
    int s = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof(*a);
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*a);
    }
    uint16_t port = 0;
    if (::bind(s, reinterpret_cast<sockaddr*>(&ss), len) == 0 &&
        ::getsockname(s, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
        port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    ::close(s);
    return port;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout)
{
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pred();
}

bool listens_on(uint32_t pid, uint16_t port)
{
    auto ports = read_listen_ports(pid, ProcRoot());
    return std::find(ports.begin(), ports.end(), port) != ports.end();
}

class TempDir {
public:
    TempDir()
    {
        char tmpl[] = "/tmp/obi-live-XXXXXX";
        path_ = ::mkdtemp(tmpl) ? tmpl : "";
    }
    ~TempDir()
    {
        std::error_code ec;
        if (!path_.empty()) fs::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// A Go net/http server built once per test run (stdlib only, no network). "" if go is missing.
const std::string& go_server_binary()
{
    static TempDir dir;
    static std::string binary = [] {
        if (!fs::exists("/usr/bin/go") || dir.path().empty()) return std::string();
        std::ofstream(dir.path() + "/main.go") << "package main\n"
                                                  "import (\"net/http\"; \"os\")\n"
                                                  "func main() { http.ListenAndServe(os.Args[1], nil) }\n";
        std::ofstream(dir.path() + "/go.mod") << "module example.com/srv\ngo 1.19\n";
        std::string cmd = "cd " + dir.path() +
                          " && GOFLAGS=-mod=mod GOPROXY=off GOCACHE=/tmp/obi-test-gocache go build -o server . "
                          ">/dev/null 2>&1";
        return std::system(cmd.c_str()) == 0 ? dir.path() + "/server" : std::string();
    }();
    return binary;
}

}  // namespace

TEST(DiscoveryLive, PythonHttpServerEndToEnd)
{
    if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "needs /usr/bin/python3";
    uint16_t port = free_port();
    std::string p = std::to_string(port);
    Child py(
        {"/usr/bin/python3", "-m", "http.server", p, "--bind", "127.0.0.1"},
        {"OTEL_SERVICE_NAME=live-py", "OTEL_RESOURCE_ATTRIBUTES=deployment.environment=test,service.namespace=shop",
         "OTEL_EXPORTER_OTLP_ENDPOINT=http://x:4318"});
    ASSERT_TRUE(wait_until([&] { return listens_on(py.pid(), port); }, std::chrono::seconds(10)));

    ProcRoot root;
    LanguageDetector det;
    ReadOptions opts;
    opts.language = &det;
    auto f = read_process_facts(py.pid(), root, opts);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->pid, py.pid());
    EXPECT_EQ(f->tgid, py.pid());
    EXPECT_EQ(f->ppid, static_cast<uint32_t>(getpid()));
    EXPECT_EQ(f->exe_path, fs::canonical("/usr/bin/python3").string());  // /usr/bin/python3.11
    EXPECT_FALSE(f->exe_deleted);
    EXPECT_EQ(f->comm, "python3");
    EXPECT_EQ(f->cmdline, "/usr/bin/python3 -m http.server " + p + " --bind 127.0.0.1");
    EXPECT_GT(f->start_time_ticks, 0u);
    EXPECT_FALSE(f->in_container);
    EXPECT_EQ(f->netns, root.agent_netns());
    EXPECT_NE(f->pidns, 0u);
    EXPECT_EQ(f->listen_ports, std::vector<uint16_t>{port});
    EXPECT_EQ(f->language, "python");
    EXPECT_EQ(f->otel_env.size(), 2u);  // OTEL_EXPORTER_OTLP_ENDPOINT is not kept
    EXPECT_EQ(f->otel_env["OTEL_SERVICE_NAME"], "live-py");

    Selector env_criterion;
    env_criterion.open_ports = PortEnum::parse(p);
    env_criterion.exe_path = Glob::compile("*/python3*");
    Matcher m({env_criterion}, {}, default_exclude_instrument(), static_cast<uint32_t>(getpid()));
    auto r = m.match(*f);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->index, 0u);

    NamingOptions nopts;
    nopts.dns_resolution = false;
    nopts.get_hostname = [] { return std::string("node1"); };
    auto svc = make_service_info(*f, r->selector, NamingContext::resolve(nopts));
    EXPECT_EQ(svc.name, "live-py");
    EXPECT_EQ(svc.namespace_, "shop");
    EXPECT_EQ(svc.instance_id, "node1:" + std::to_string(py.pid()));
    EXPECT_EQ(svc.sdk_language, "python");
    EXPECT_EQ(svc.resource_attributes, (std::map<std::string, std::string>{{"deployment.environment", "test"}}));

    // Lazily: the matcher reads the ports itself when the facts were read without them.
    auto cheap = read_process_facts(py.pid(), root, ReadOptions{false, true});
    ASSERT_TRUE(cheap);
    EXPECT_FALSE(cheap->ports_known);
    EXPECT_FALSE(m.match(*cheap));
    EXPECT_TRUE(m.match(*cheap, lazy_from_proc(*cheap, root, &det)));

    py.stop();
    EXPECT_FALSE(read_process_facts(f->pid, root));  // gone once reaped
}

TEST(DiscoveryLive, NetlinkListenersAgreeWithProcNetTcp)
{
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), len), 0);
    ASSERT_EQ(::listen(s, 4), 0);
    ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len), 0);
    struct stat st {};
    ASSERT_EQ(::fstat(s, &st), 0);

    std::unordered_map<uint64_t, uint16_t> netlink, text;
    ASSERT_TRUE(dump_tcp_listeners(netlink));
    for (const char* table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"})
        if (auto t = read_file_bounded(table, 64 << 20)) parse_tcp_listeners(*t, text);
    EXPECT_EQ(netlink, text);
    EXPECT_EQ(netlink[st.st_ino], ntohs(a.sin_port));
    EXPECT_EQ(read_listen_ports(static_cast<uint32_t>(getpid()), ProcRoot()), std::vector<uint16_t>{ntohs(a.sin_port)});
    EXPECT_TRUE(ProcRoot().is_procfs());
    ::close(s);
}

TEST(DiscoveryLive, Ipv6Listener)
{
    if (!fs::exists("/usr/bin/python3") || !fs::exists("/proc/net/if_inet6")) GTEST_SKIP() << "needs python3, IPv6";
    uint16_t port = free_port(AF_INET6);
    Child py({"/usr/bin/python3", "-m", "http.server", std::to_string(port), "--bind", "::1"});
    ASSERT_TRUE(wait_until([&] { return listens_on(py.pid(), port); }, std::chrono::seconds(10)));
}

TEST(DiscoveryLive, ForkedWorkerInheritsItsParentsSelection)
{
    if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "needs /usr/bin/python3";
    uint16_t port = free_port();
    // The master listens; its forked worker closes the socket (like a worker that does not
    // serve on the port) and exits with its parent.
    const char* script =
        "import socket, os, sys, time\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n"
        "parent = os.getpid()\n"
        "if os.fork() == 0:\n"
        "    s.close()\n"
        "    while os.getppid() == parent: time.sleep(0.1)\n"
        "    os._exit(0)\n"
        "time.sleep(120)\n";
    Child master({"/usr/bin/python3", "-c", script, std::to_string(port)});
    ASSERT_TRUE(wait_until([&] { return listens_on(master.pid(), port); }, std::chrono::seconds(10)));

    ProcRoot root;
    uint32_t worker_pid = 0;
    ASSERT_TRUE(wait_until(
        [&] {
            for (uint32_t pid : list_pids(root)) {
                auto f = read_process_facts(pid, root, ReadOptions{false, false});
                if (f && f->ppid == master.pid()) worker_pid = pid;
            }
            return worker_pid != 0 && read_listen_ports(worker_pid, root).empty();
        },
        std::chrono::seconds(10)));

    Selector by_port;
    by_port.open_ports = PortEnum::parse(std::to_string(port));
    by_port.name = "py-master";
    Matcher m({by_port}, {}, default_exclude_instrument(), static_cast<uint32_t>(getpid()));

    auto mf = read_process_facts(master.pid(), root);
    auto wf = read_process_facts(worker_pid, root);
    ASSERT_TRUE(mf && wf);
    uint64_t worker_start = wf->start_time_ticks;
    auto parent = m.match(*mf);
    ASSERT_TRUE(parent);
    EXPECT_FALSE(m.match(*wf));  // on its own the worker listens on nothing
    auto child = m.match_child(*wf, *parent);
    ASSERT_TRUE(child);
    EXPECT_TRUE(child->inherited);
    EXPECT_EQ(child->selector->name, "py-master");

    master.stop();
    kill_and_wait_gone(worker_pid, worker_start);
}

TEST(DiscoveryLive, NodeServer)
{
    if (!fs::exists("/usr/bin/node")) GTEST_SKIP() << "needs /usr/bin/node";
    uint16_t port = free_port();
    Child node(
        {"/usr/bin/node", "-e",
         "require('http').createServer((q, s) => s.end('ok')).listen(" + std::to_string(port) + ", '127.0.0.1')"});
    ASSERT_TRUE(wait_until([&] { return listens_on(node.pid(), port); }, std::chrono::seconds(15)));
    LanguageDetector det;
    ReadOptions opts;
    opts.language = &det;
    auto f = read_process_facts(node.pid(), ProcRoot(), opts);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->language, "nodejs");
    EXPECT_EQ(f->exe_path, "/usr/bin/node");
    EXPECT_EQ(f->listen_ports, std::vector<uint16_t>{port});
}

TEST(DiscoveryLive, JavaServer)
{
    if (!fs::exists("/usr/bin/java")) GTEST_SKIP() << "needs java";
    TempDir dir;
    uint16_t port = free_port();
    // Single-file source launch (JDK 11+): no separate javac step.
    std::ofstream(dir.path() + "/Srv.java")
        << "import com.sun.net.httpserver.HttpServer;\n"
           "import java.net.InetSocketAddress;\n"
           "public class Srv { public static void main(String[] a) throws Exception {\n"
           "  HttpServer s = HttpServer.create(new InetSocketAddress(\"127.0.0.1\", Integer.parseInt(a[0])), 0);\n"
           "  s.start(); Thread.sleep(120000); } }\n";
    std::string java = fs::canonical("/usr/bin/java").string();
    Child jvm({java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", dir.path() + "/Srv.java", std::to_string(port)});
    ASSERT_TRUE(wait_until([&] { return listens_on(jvm.pid(), port); }, std::chrono::seconds(60)));

    ProcRoot root;
    LanguageDetector det;
    ReadOptions opts;
    opts.language = &det;
    auto f = read_process_facts(jvm.pid(), root, opts);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->language, "java");
    EXPECT_EQ(f->exe_path, java);
    EXPECT_NE(std::find(f->listen_ports.begin(), f->listen_ports.end(), port), f->listen_ports.end());
    // The libjvm.so rule alone agrees (a launcher with another name would be found this way).
    auto maps = std::ifstream("/proc/" + std::to_string(jvm.pid()) + "/maps");
    std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
    EXPECT_EQ(language_from_maps(text), "java");
}

TEST(DiscoveryLive, GoServerEvenWhenNamedNode)
{
    const std::string& server = go_server_binary();
    if (server.empty()) GTEST_SKIP() << "go build failed or go missing";
    TempDir dir;
    // A Go program called "node": the ELF check comes before the name check.
    std::string fake_node = dir.path() + "/node";
    fs::copy_file(server, fake_node);
    fs::permissions(fake_node, fs::perms::owner_all);

    for (const std::string& bin : {server, fake_node}) {
        uint16_t port = free_port();
        Child go({bin, "127.0.0.1:" + std::to_string(port)});
        ASSERT_TRUE(wait_until([&] { return listens_on(go.pid(), port); }, std::chrono::seconds(10))) << bin;
        LanguageDetector det;
        ReadOptions opts;
        opts.language = &det;
        auto f = read_process_facts(go.pid(), ProcRoot(), opts);
        ASSERT_TRUE(f);
        EXPECT_EQ(f->language, "go") << bin;
        EXPECT_EQ(f->exe_path, bin);

        // Deleting the running executable: exe gets " (deleted)", the ELF is still readable.
        if (bin == fake_node) {
            fs::remove(fake_node);
            auto g = read_process_facts(go.pid(), ProcRoot(), opts);
            ASSERT_TRUE(g);
            EXPECT_TRUE(g->exe_deleted);
            EXPECT_EQ(g->exe_path, fake_node);
            EXPECT_EQ(g->language, "go");
        }
    }
}

TEST(DiscoveryLive, NginxMasterAndWorkers)
{
    if (!fs::exists("/usr/sbin/nginx")) GTEST_SKIP() << "needs nginx";
    TempDir dir;
    uint16_t port = free_port();
    const std::string& d = dir.path();
    std::ofstream(d + "/nginx.conf") << "worker_processes 2;\n"
                                        "pid "
                                     << d
                                     << "/nginx.pid;\n"
                                        "error_log "
                                     << d
                                     << "/error.log;\n"
                                        "events { worker_connections 64; }\n"
                                        "http { access_log off; client_body_temp_path "
                                     << d << "/cbt; proxy_temp_path " << d << "/pt; fastcgi_temp_path " << d
                                     << "/ft; uwsgi_temp_path " << d << "/ut; scgi_temp_path " << d
                                     << "/st;\n"
                                        "  server { listen 127.0.0.1:"
                                     << port << "; return 200 \"ok\\n\"; } }\n";
    Child nginx({"/usr/sbin/nginx", "-p", d, "-c", d + "/nginx.conf", "-e", d + "/error.log", "-g", "daemon off;"});
    ASSERT_TRUE(wait_until([&] { return listens_on(nginx.pid(), port); }, std::chrono::seconds(10)));

    ProcRoot root;
    LanguageDetector det;
    ReadOptions opts;
    opts.language = &det;
    std::vector<ProcessFacts> workers;
    ASSERT_TRUE(wait_until(
        [&] {
            workers.clear();
            for (uint32_t pid : list_pids(root)) {
                auto f = read_process_facts(pid, root, opts);
                if (f && f->ppid == nginx.pid()) workers.push_back(*f);
            }
            return workers.size() == 2;
        },
        std::chrono::seconds(10)));
    auto master = read_process_facts(nginx.pid(), root, opts);
    ASSERT_TRUE(master);
    EXPECT_EQ(master->language, "generic");  // C
    EXPECT_EQ(master->listen_ports, std::vector<uint16_t>{port});
    EXPECT_EQ(master->cmdline.rfind("nginx: master process", 0), 0u) << master->cmdline;  // rewritten argv

    Selector by_port;
    by_port.open_ports = PortEnum::parse(std::to_string(port));
    Matcher m({by_port}, {}, default_exclude_instrument(), static_cast<uint32_t>(getpid()));
    auto parent = m.match(*master);
    ASSERT_TRUE(parent);
    for (const auto& w : workers) {
        EXPECT_EQ(w.exe_path, "/usr/sbin/nginx");
        EXPECT_EQ(w.language, "generic");
        // nginx workers inherit the listening socket: selected on their own as well.
        EXPECT_EQ(w.listen_ports, std::vector<uint16_t>{port});
        auto r = m.match_child(w, *parent);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->index, 0u);
    }
    std::vector<std::pair<uint32_t, uint64_t>> worker_ids;
    for (const auto& w : workers) worker_ids.emplace_back(w.pid, w.start_time_ticks);
    nginx.stop();
    for (auto [pid, start] : worker_ids) kill_and_wait_gone(pid, start);
}

TEST(DiscoveryLive, AgentAndItsThreadsAreNeverSelected)
{
    ProcRoot root;
    Selector any;
    any.exe_path = Glob::compile("*");
    Matcher m({any}, {}, {}, static_cast<uint32_t>(getpid()));

    auto self = read_process_facts(static_cast<uint32_t>(getpid()), root);
    ASSERT_TRUE(self);
    EXPECT_FALSE(m.match(*self));

    std::atomic<pid_t> tid{0};
    std::atomic<bool> done{false};
    std::thread t([&] {
        tid = static_cast<pid_t>(::syscall(SYS_gettid));
        while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
    while (tid == 0) std::this_thread::yield();
    auto thread_facts = read_process_facts(static_cast<uint32_t>(tid.load()), root);
    done = true;
    t.join();
    ASSERT_TRUE(thread_facts);
    EXPECT_EQ(thread_facts->tgid, static_cast<uint32_t>(getpid()));
    EXPECT_NE(thread_facts->pid, thread_facts->tgid);
    EXPECT_FALSE(m.match(*thread_facts));

    // The same matcher does select an ordinary process.
    Child sleeper({"/bin/sleep", "30"});
    ASSERT_TRUE(
        wait_until([&] { return read_process_facts(sleeper.pid(), root).has_value(); }, std::chrono::seconds(5)));
    EXPECT_TRUE(wait_until(
        [&] {
            auto f = read_process_facts(sleeper.pid(), root);
            return f && f->exe_path == "/usr/bin/sleep" && m.match(*f).has_value();
        },
        std::chrono::seconds(5)));
}

// Measures what a full scan of this host costs with each option; prints the numbers.
TEST(DiscoveryLive, FullScanCost)
{
    ProcRoot root;
    struct Mode {
        const char* name;
        bool ports, env, index, language;
    };
    const Mode modes[] = {
        {"stat+exe+comm+cmdline+ns", false, false, false, false},    {"+ environ", false, true, false, false},
        {"+ ports (ListenSocketIndex)", true, true, true, false},    {"+ ports (no index)", true, true, false, false},
        {"+ ports + language (warm cache)", true, true, true, true},
    };
    constexpr int kRounds = 7;
    LanguageDetector warm;
    size_t processes = 0;
    for (const auto& mode : modes) {
        std::vector<double> ms;
        for (int round = 0; round < kRounds; round++) {
            ListenSocketIndex index;
            ReadOptions opts;
            opts.listen_ports = mode.ports;
            opts.otel_env = mode.env;
            opts.listen_index = mode.index ? &index : nullptr;
            opts.language = mode.language ? &warm : nullptr;
            auto t0 = Clock::now();
            auto pids = list_pids(root);
            size_t n = 0;
            for (uint32_t pid : pids)
                if (read_process_facts(pid, root, opts)) n++;
            ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            processes = n;
        }
        std::sort(ms.begin(), ms.end());
        std::printf("[scan] %-34s %3zu processes: median %.2f ms (%.1f us/process), min %.2f ms\n", mode.name,
                    processes, ms[kRounds / 2], ms[kRounds / 2] * 1000 / std::max<size_t>(processes, 1), ms[0]);
        ::testing::Test::RecordProperty(mode.name, std::to_string(ms[kRounds / 2]));
    }

    // Cold language detection: every executable analysed once.
    LanguageDetector cold;
    ReadOptions opts;
    opts.listen_ports = false;
    opts.language = &cold;
    auto t0 = Clock::now();
    for (uint32_t pid : list_pids(root)) (void)read_process_facts(pid, root, opts);
    double cold_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    auto st = cold.stats();
    std::printf("[scan] language, cold cache: %.2f ms (%llu executables analysed, %llu maps read)\n", cold_ms,
                static_cast<unsigned long long>(st.elf_reads), static_cast<unsigned long long>(st.maps_reads));
    EXPECT_GT(processes, 1u);
}
