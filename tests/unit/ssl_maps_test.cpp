// executable_files: /proc/<pid>/maps parsing for the TLS library discovery, on hand-written
// lines (every kind of mapping and malformed input) and on this process's real maps.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "ebpf/ssl_maps.h"

using obi::ebpf::executable_files;
using obi::ebpf::MappedFile;

namespace {

const char* kMaps =
    "55d0c0a00000-55d0c0a22000 r--p 00000000 08:01 1311234                    /usr/sbin/nginx\n"
    "55d0c0a22000-55d0c0b00000 r-xp 00022000 08:01 1311234                    /usr/sbin/nginx\n"
    "7f1a2c000000-7f1a2c021000 rw-p 00000000 00:00 0 \n"
    "7f1a2d000000-7f1a2d01f000 r--p 00000000 08:01 2099001                    /usr/lib/x86_64-linux-gnu/libssl.so.3\n"
    "7f1a2d01f000-7f1a2d07b000 r-xp 0001f000 08:01 2099001                    /usr/lib/x86_64-linux-gnu/libssl.so.3\n"
    "7f1a2d07b000-7f1a2d097000 r--p 0007b000 08:01 2099001                    /usr/lib/x86_64-linux-gnu/libssl.so.3\n"
    "7f1a2e000000-7f1a2e100000 r-xp 00000000 fd:02 77                         /opt/app/lib with space.so\n"
    "7f1a2f000000-7f1a2f100000 r-xp 00000000 08:01 99                         /tmp/old.so (deleted)\n"
    "7f1a30000000-7f1a30001000 r-xp 00000000 00:00 0                          [vdso]\n"
    "7f1a31000000-7f1a31001000 r-xp 00000000 00:05 0                          /dev/zero\n"
    "7f1a32000000-7f1a32001000 --xp 00000000 103:0a 12                        /usr/bin/node\n";

TEST(SslMaps, KeepsExecutableFilesOncePerInode)
{
    auto files = executable_files(kMaps);
    ASSERT_EQ(files.size(), 4u);
    EXPECT_EQ(files[0].path, "/usr/sbin/nginx");
    EXPECT_EQ(files[0].inode, 1311234u);
    EXPECT_EQ(files[0].dev, (0x08ull << 32) | 0x01);
    EXPECT_EQ(files[1].path, "/usr/lib/x86_64-linux-gnu/libssl.so.3");
    EXPECT_EQ(files[1].inode, 2099001u);
    EXPECT_EQ(files[2].path, "/opt/app/lib with space.so");
    EXPECT_EQ(files[2].dev, (0xfdull << 32) | 0x02);
    EXPECT_EQ(files[3].path, "/usr/bin/node");
    EXPECT_EQ(files[3].dev, (0x103ull << 32) | 0x0a);
}

TEST(SslMaps, MalformedLinesAreSkipped)
{
    const char* bad[] = {
        "",
        "garbage",
        "7f-8f r-xp",
        "7f-8f r-xp 0 08:01",
        "7f-8f r-xp zz 08:01 5 /a",          // offset not hex
        "7f-8f r-x 0 08:01 5 /a",            // perms too short
        "7f-8f r-xp 0 0801 5 /a",            // no colon in dev
        "7f-8f r-xp 0 08:01 5x /a",          // inode not decimal
        "7f-8f r-xp 0 08:01 99999999999999999999999 /a",  // inode overflows
        "7f-8f r-xp 0 08:01 5",              // no path
        "7f-8f r-xp 0 08:01 5 relative.so",  // not absolute
        "7f8f r-xp 0 08:01 5 /a",            // no range
    };
    for (const char* line : bad) EXPECT_TRUE(executable_files(line).empty()) << line;
    // A good line still parses among bad ones, with or without the final newline.
    EXPECT_EQ(executable_files("garbage\n7f-8f r-xp 0 08:01 5 /a").size(), 1u);
}

TEST(SslMaps, HonoursTheFileCap)
{
    std::string text;
    for (int i = 1; i <= 100; i++) text += "7f-8f r-xp 0 08:01 " + std::to_string(i) + " /lib/x" + std::to_string(i) + "\n";
    EXPECT_EQ(executable_files(text).size(), 100u);
    EXPECT_EQ(executable_files(text, 10).size(), 10u);
}

TEST(SslMaps, ThisProcessMapsItsOwnExecutableAndLibc)
{
    std::ifstream in("/proc/self/maps");
    std::stringstream ss;
    ss << in.rdbuf();
    auto files = executable_files(ss.str());
    bool libc = false, exe = false;
    for (const auto& f : files) {
        libc = libc || f.path.find("libc.so") != std::string::npos;
        exe = exe || f.path.find("obi_unit_tests") != std::string::npos;
    }
    EXPECT_TRUE(libc);
    EXPECT_TRUE(exe);
}

}  // namespace
