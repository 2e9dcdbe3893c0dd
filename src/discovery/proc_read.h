// Small, bounded, exception-free file and symlink reads for /proc (no iostreams: a full
// scan reads several files per process).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace obi::discovery {

// At most max_bytes of the file; nullopt when it cannot be opened or read.
std::optional<std::string> read_file_bounded(const std::string& path, size_t max_bytes);

// The target of a symbolic link (readlink, not resolved further); nullopt on error.
std::optional<std::string> read_link(const std::string& path);

}  // namespace obi::discovery
