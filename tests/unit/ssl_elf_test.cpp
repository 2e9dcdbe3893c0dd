// find_elf_functions on real files: libssl.so.3 and /usr/bin/node carry OpenSSL's API, libc
// does not; the offsets are checked against where the dynamic loader actually put the
// functions (dlopen + dlsym + /proc/self/maps), and bad files give an error, not a crash.
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ebpf/ssl_elf.h"

using obi::ebpf::find_elf_functions;

namespace {

const char* kLibssl = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
const std::vector<std::string_view> kNames = {"SSL_read",         "SSL_write",    "SSL_read_ex", "SSL_write_ex",
                                              "SSL_do_handshake", "SSL_shutdown", "SSL_free"};

using Found = std::map<std::string, uint64_t, std::less<>>;

// File offset of a loaded address, the way the kernel computes a uprobe's: from the
// mapping that holds it.
bool file_offset_of(const void* addr, uint64_t* off)
{
    std::ifstream in("/proc/self/maps");
    std::string line;
    auto a = reinterpret_cast<uintptr_t>(addr);
    while (std::getline(in, line)) {
        unsigned long lo = 0, hi = 0, pgoff = 0;
        if (sscanf(line.c_str(), "%lx-%lx %*s %lx", &lo, &hi, &pgoff) != 3) continue;
        if (a >= lo && a < hi) {
            *off = a - lo + pgoff;
            return true;
        }
    }
    return false;
}

TEST(SslElf, LibsslHasEveryFunctionAtItsLoadedOffset)
{
    if (!std::filesystem::exists(kLibssl)) GTEST_SKIP() << kLibssl << " is not installed (libssl3)";
    Found found;
    std::string error;
    ASSERT_TRUE(find_elf_functions(kLibssl, kNames, &found, &error)) << error;
    ASSERT_EQ(found.size(), kNames.size());
    void* h = dlopen(kLibssl, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(h, nullptr) << dlerror();
    for (std::string_view name : kNames) {
        void* sym = dlsym(h, std::string(name).c_str());
        ASSERT_NE(sym, nullptr) << name;
        uint64_t off = 0;
        ASSERT_TRUE(file_offset_of(sym, &off)) << name;
        EXPECT_EQ(found.at(std::string(name)), off) << name;
    }
    dlclose(h);
}

TEST(SslElf, NodeCarriesOpenSslItself)
{
    if (!std::filesystem::exists("/usr/bin/node")) GTEST_SKIP() << "node is not installed";
    Found found;
    std::string error;
    ASSERT_TRUE(find_elf_functions("/usr/bin/node", kNames, &found, &error)) << error;
    EXPECT_TRUE(found.count("SSL_read") && found.count("SSL_write") && found.count("SSL_do_handshake"));
    for (const auto& [name, off] : found) EXPECT_GT(off, 0u) << name;
}

TEST(SslElf, LibcHasNone)
{
    Found found;
    std::string error;
    ASSERT_TRUE(find_elf_functions("/lib/x86_64-linux-gnu/libc.so.6", kNames, &found, &error)) << error;
    EXPECT_TRUE(found.empty());
    // ...but its own functions are found (the lookup works on a library without OpenSSL).
    ASSERT_TRUE(find_elf_functions("/lib/x86_64-linux-gnu/libc.so.6", {"write", "read"}, &found, &error)) << error;
    EXPECT_EQ(found.size(), 2u);
}

TEST(SslElf, BadFilesGiveAnError)
{
    Found found;
    std::string error;
    EXPECT_FALSE(find_elf_functions("/nonexistent/libssl.so", kNames, &found, &error));
    EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
    EXPECT_FALSE(find_elf_functions("/proc/self/status", kNames, &found, &error));  // text, not ELF
    EXPECT_FALSE(find_elf_functions("/dev/null", kNames, &found, &error));

    // Truncated copies of libssl, at several lengths: an error or nothing found, never a crash.
    if (!std::filesystem::exists(kLibssl)) return;
    std::ifstream in(kLibssl, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string whole = ss.str();
    std::string tmp = ::testing::TempDir() + "obi_truncated_ssl.so";
    for (size_t len : {size_t{4}, size_t{64}, size_t{100}, size_t{4096}, whole.size() / 2, whole.size() - 1}) {
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out.write(whole.data(), static_cast<std::streamsize>(len));
        }
        bool ok = find_elf_functions(tmp, kNames, &found, &error);
        if (ok) {
            for (const auto& [name, off] : found) {
                EXPECT_LT(off, len) << name << " at " << len;
            }
        }
    }
    unlink(tmp.c_str());
}

}  // namespace
