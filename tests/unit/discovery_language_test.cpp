// Language rules: executable names, mapped libraries, ELF inspection of real binaries on
// this host, and the bounded per-executable cache.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "discovery/language.h"

namespace fs = std::filesystem;
using namespace obi::discovery;

namespace {

std::string elf_language_of(const char* path)
{
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "<missing>";
    std::string lang = language_from_elf_fd(fd);
    ::close(fd);
    return lang;
}

std::string maps_line(const std::string& path)
{
    return "7f3a1c000000-7f3a1c200000 r-xp 00000000 fd:01 393219                     " + path + "\n";
}

}  // namespace

TEST(DiscoveryLanguage, ExecutableNames)
{
    struct Case {
        const char* name;
        const char* lang;
    };
    const Case cases[] = {
        {"java", "java"},       {"node", "nodejs"},      {"nodejs", "nodejs"},
        {"python", "python"},   {"python3", "python"},   {"python3.11", "python"},
        {"pypy3", "python"},    {"pypy3.9-c", "python"}, {"ruby", "ruby"},
        {"ruby3.1", "ruby"},    {"php", "php"},          {"php8.2", "php"},
        {"php-fpm8.2", "php"},  {"php-fpm", "php"},      {"dotnet", "dotnet"},
        {"python3-config", ""}, {"javac", ""},           {"nodemon", ""},
        {"rubyist", ""},        {"nginx", ""},           {"", ""},
    };
    for (const auto& c : cases) EXPECT_EQ(language_from_exe_name(c.name), c.lang) << c.name;
}

TEST(DiscoveryLanguage, MappedLibraries)
{
    const std::string libc = maps_line("/usr/lib/x86_64-linux-gnu/libc.so.6");
    const std::string stdcxx = maps_line("/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30");
    struct Case {
        std::string maps;
        const char* lang;
    };
    const Case cases[] = {
        {"", ""},
        {libc, ""},
        {libc + "7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0                          [stack]\n", ""},
        {libc + stdcxx, "cpp"},
        {maps_line("/usr/lib/llvm-14/lib/libc++.so.1.0"), "cpp"},
        {maps_line("/usr/lib/llvm-14/lib/libc++abi.so.1.0"), ""},
        {stdcxx + maps_line("/usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so"), "java"},
        {stdcxx + maps_line("/usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/libcoreclr.so"), "dotnet"},
        {maps_line("/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0"), "python"},
        {maps_line("/usr/lib/libpython3.7m.so.1.0"), "python"},
        {maps_line("/usr/lib/x86_64-linux-gnu/libruby-3.1.so.3.1.2"), "ruby"},
        {maps_line("/usr/lib/libruby.so.3.3"), "ruby"},
        {stdcxx + maps_line("/usr/lib/x86_64-linux-gnu/libnode.so.108"), "nodejs"},
        {maps_line("/opt/app/libpythonic.so"), ""},
        {maps_line("/opt/my dir/libjvm.so (deleted)"), "java"},
    };
    for (const auto& c : cases) EXPECT_EQ(language_from_maps(c.maps), c.lang) << c.maps;
}

TEST(DiscoveryLanguage, ElfOfRealBinaries)
{
    // Interpreters and C programs say nothing in their ELF; Go binaries are covered by the
    // live tests (built there).
    for (const char* path : {"/usr/bin/python3.11", "/usr/sbin/nginx", "/bin/ls"}) {
        if (!fs::exists(path)) continue;
        EXPECT_EQ(elf_language_of(path), "") << path;
    }
    // This host's node (NodeSource build, 95 MiB) carries node's runtime in the executable
    // itself (node::Start, ...). Distribution builds link libnode.so instead (maps rule).
    if (fs::exists("/usr/bin/node")) {
        EXPECT_EQ(elf_language_of("/usr/bin/node"), "nodejs");
    }
    // Not ELF at all.
    EXPECT_EQ(elf_language_of("/etc/hostname"), "");
    EXPECT_EQ(elf_language_of("/dev/null"), "");
    char tmpl[] = "/tmp/obi-elf-XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd,
                    "\x7f"
                    "ELF\x02\x01\x01",
                    7),
              7);  // a truncated header
    EXPECT_EQ(language_from_elf_fd(fd), "");
    close(fd);
    unlink(tmpl);
}

TEST(DiscoveryLanguage, CacheIsBoundedAndKeyedByExecutable)
{
    const char* bins[] = {"/usr/sbin/nginx", "/usr/bin/python3.11", "/bin/ls"};
    for (const char* b : bins)
        if (!fs::exists(b)) GTEST_SKIP() << "needs " << b;

    char tmpl[] = "/tmp/obi-lang-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string base = tmpl;
    fs::create_directories(base + "/self/ns");
    ProcRoot root(base);
    std::vector<obi::ProcessFacts> procs;
    for (uint32_t pid = 10; pid < 13; pid++) {
        fs::create_directories(base + "/" + std::to_string(pid));
        fs::create_symlink(bins[pid - 10], base + "/" + std::to_string(pid) + "/exe");
        std::ofstream(base + "/" + std::to_string(pid) + "/maps") << "";
        obi::ProcessFacts f;
        f.pid = pid;
        f.exe_path = bins[pid - 10];
        procs.push_back(f);
    }
    // A fourth process running the same file as the first shares its cache entry.
    fs::create_directories(base + "/13");
    fs::create_symlink(bins[0], base + "/13/exe");
    obi::ProcessFacts same = procs[0];
    same.pid = 13;

    LanguageDetector det(2);
    EXPECT_EQ(det.detect(procs[0], root), "generic");
    EXPECT_EQ(det.detect(same, root), "generic");
    EXPECT_EQ(det.stats().elf_reads, 1u);
    EXPECT_EQ(det.stats().cache_hits, 1u);
    EXPECT_EQ(det.detect(procs[1], root), "python");
    EXPECT_EQ(det.detect(procs[2], root), "generic");
    EXPECT_EQ(det.cache_size(), 2u);  // nginx was the least recently used: dropped
    EXPECT_EQ(det.detect(procs[0], root), "generic");
    EXPECT_EQ(det.stats().elf_reads, 4u);
    EXPECT_EQ(det.cache_size(), 2u);

    // No executable (kernel thread): generic without reading anything.
    obi::ProcessFacts kthread;
    kthread.pid = 2;
    EXPECT_EQ(detect_language(kthread, root, det), "generic");
    fs::remove_all(base);
}
