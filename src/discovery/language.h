// Detects a process's language (telemetry.sdk.language: go java nodejs python ruby php
// dotnet rust cpp generic) from its executable's ELF, its name and its mapped libraries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "discovery/process_facts.h"

namespace obi::discovery {

// Order of the checks (the first that answers wins):
//  1. the executable's ELF, cached per file: a Go binary (.go.buildinfo / .gopclntab section
//     or a runtime.main symbol) -> go; defined functions named *rust_panic* -> rust, JVM_* or
//     graal_* (GraalVM native images) -> java, node's own runtime (node::Start, ...) -> nodejs.
//     This runs first so that a Go program named "node" is not taken for Node.js.
//  2. the executable's name: java, node/nodejs, python*/pypy*, ruby*, php*, dotnet.
//  3. /proc/<pid>/maps: libcoreclr.so -> dotnet, libjvm.so -> java, libpython*.so -> python,
//     libruby*.so -> ruby, libnode.so -> nodejs; else libstdc++.so / libc++.so -> cpp.
//  4. generic. C programs (nginx, redis-server) are generic, as in OBI.
// Thread-safe. The ELF cache is keyed by (device, inode, mtime, size) of the executable
// and bounded (least recently used entries are dropped), so it never grows per PID.
class LanguageDetector {
public:
    explicit LanguageDetector(size_t cache_capacity = 1024);

    std::string detect(const ProcessFacts& facts, const ProcRoot& root);

    struct Stats {
        uint64_t elf_reads = 0;   // executables analysed
        uint64_t cache_hits = 0;  // answered from the cache
        uint64_t maps_reads = 0;  // /proc/<pid>/maps read
    };
    Stats stats() const;
    size_t cache_size() const;

private:
    struct Key {
        uint64_t dev, ino, size;
        int64_t mtime_ns;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const;
    };
    std::string elf_language_cached(const std::string& exe_link);

    size_t capacity_;
    mutable std::mutex mu_;
    std::list<std::pair<Key, std::string>> lru_;  // front = most recently used
    std::unordered_map<Key, std::list<std::pair<Key, std::string>>::iterator, KeyHash> index_;
    Stats stats_;
};

// The brief's entry point; same as detector.detect(facts, root).
std::string detect_language(const ProcessFacts& facts, const ProcRoot& root, LanguageDetector& detector);

// --- the individual rules, exposed for tests ("" = no answer) -----------------------------

// Rule 2 on an executable's base name ("python3.11" -> "python").
std::string language_from_exe_name(std::string_view basename);
// Rule 3 on the text of /proc/<pid>/maps.
std::string language_from_maps(std::string_view maps);
// Rule 1 on an open ELF file (not cached). Reads section headers and, bounded, the symbol
// tables; never the code.
std::string language_from_elf_fd(int fd);

}  // namespace obi::discovery
