// Bounded file and symlink reads with plain system calls.
#include "discovery/proc_read.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace obi::discovery {

std::optional<std::string> read_file_bounded(const std::string& path, size_t max_bytes)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string out;
    // /proc files report size 0, so read in chunks until EOF or the bound.
    constexpr size_t kChunk = 4096;
    while (out.size() < max_bytes) {
        size_t want = std::min(kChunk, max_bytes - out.size());
        size_t old = out.size();
        out.resize(old + want);
        ssize_t n = ::read(fd, out.data() + old, want);
        if (n < 0 && errno == EINTR) {
            out.resize(old);
            continue;
        }
        if (n <= 0) {
            out.resize(old);
            if (n < 0) {
                ::close(fd);
                return std::nullopt;
            }
            break;
        }
        out.resize(old + static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
}

std::optional<std::string> read_link(const std::string& path)
{
    // PATH_MAX (4096) bounds what the kernel returns for /proc links.
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf));
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
}

}  // namespace obi::discovery
