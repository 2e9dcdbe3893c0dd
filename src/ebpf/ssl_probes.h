// Attaches the TLS uprobes (bpf/ssl.bpf.c) to the files that carry OpenSSL's API: once per
// file (device + inode), for every process that maps it, where the file's code makes them
// cheapest (ebpf/ssl_placement.h); the kernel's pid filter selects the traced ones. Also probes each dynamic loader (ld.so) so that a traced process that
// loads libssl later (dlopen) is noticed at once. Owns every uprobe link; destroying it
// detaches them all.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ebpf/ssl_elf.h"
#include "ebpf/ssl_maps.h"
#include "ebpf/ssl_placement.h"

struct bpf_link;
struct bpf_program;

namespace obi::ebpf {

// The programs of the loaded TLS object, by role.
struct SslPrograms {
    bpf_program* read = nullptr;      // SSL_read entry
    bpf_program* read_ex = nullptr;   // SSL_read_ex entry
    bpf_program* write = nullptr;     // SSL_write entry
    bpf_program* write_ex = nullptr;  // SSL_write_ex entry
    bpf_program* other = nullptr;     // SSL_do_handshake, SSL_shutdown entry
    bpf_program* free = nullptr;      // SSL_free entry
    bpf_program* ret = nullptr;       // the return of every function above but SSL_free
    bpf_program* dl_state = nullptr;  // the dynamic loader's _dl_debug_state (library loads)
};

class SslProbes {
public:
    // `proc_root` is where /proc is (tests point it elsewhere).
    explicit SslProbes(const SslPrograms& progs, std::string proc_root = "/proc");
    ~SslProbes();
    SslProbes(const SslProbes&) = delete;
    SslProbes& operator=(const SslProbes&) = delete;

    // Reads the process's mappings and attaches to each TLS file not attached yet. Cheap
    // when nothing changed (each file's symbols are read once). Returns the number of files
    // newly attached.
    size_t attach_process(uint32_t pid);

    size_t attached_files() const;
    std::vector<std::string> attached_paths() const;
    size_t links() const;

    // Bounds: files remembered (TLS or not) and files attached.
    static constexpr size_t kMaxKnownFiles = 8192;
    static constexpr size_t kMaxAttachedFiles = 256;

private:
    struct FileKey {
        uint64_t dev, inode;
        bool operator<(const FileKey& o) const { return dev != o.dev ? dev < o.dev : inode < o.inode; }
    };
    struct FileState {
        bool tls = false;                // carries SSL_read and SSL_write
        bool loader = false;             // the dynamic loader (defines _dl_debug_state)
        std::string path;                // the first path it was seen under
        std::vector<bpf_link*> links;    // empty when not TLS or attaching failed
    };

    // Looks up the TLS functions of the file and attaches; fills `st`.
    void probe_file(uint32_t pid, const MappedFile& f, FileState* st);
    // Attaches every site of `plan`; false with *error at the first that fails (the links
    // made so far stay in st->links).
    bool attach_plan(const std::string& path, const ElfImage& img, const ProbePlan& plan, FileState* st,
                     std::string* error);
    bool attach_one(const std::string& path, uint64_t offset, bpf_program* prog, bool ret, FileState* st,
                    std::string* error);

    SslPrograms progs_;
    std::string proc_root_;
    mutable std::mutex mu_;
    std::map<FileKey, FileState> files_;
    size_t attached_ = 0;  // TLS files probed
};

}  // namespace obi::ebpf
