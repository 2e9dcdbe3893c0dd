// The files a process maps executable (from /proc/<pid>/maps), one entry per file: the
// candidates that may carry OpenSSL's TLS functions (libssl.so, or the program itself).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace obi::ebpf {

struct MappedFile {
    uint64_t dev = 0;    // (major << 32) | minor, as /proc/<pid>/maps prints it
    uint64_t inode = 0;
    std::string path;    // as the process sees it (its mount namespace)
    bool operator==(const MappedFile& o) const { return dev == o.dev && inode == o.inode; }
};

// Parses the text of /proc/<pid>/maps: every file-backed mapping with execute permission,
// in order of first appearance, without duplicates. Deleted files, anonymous and special
// mappings ([vdso], ...) and malformed lines are skipped. At most `max_files` are returned.
std::vector<MappedFile> executable_files(std::string_view maps_text, size_t max_files = 4096);

}  // namespace obi::ebpf
