// SslProbes: /proc/<pid>/maps -> candidate files -> their OpenSSL functions -> a probe plan
// (ebpf/ssl_placement.h) -> one uprobe (and uretprobe) per planned site, for all processes (pid -1).
#include "ebpf/ssl_probes.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "ebpf/ssl_elf.h"

namespace obi::ebpf {
namespace {

constexpr size_t kMaxMapsBytes = 16u << 20;  // /proc/<pid>/maps of a huge process is cut here

// The OpenSSL functions looked up in each file. SSL_read and SSL_write are required; the
// others are used when the library has them (OpenSSL >= 1.1.1 has all). Which are probed,
// where and with which program is the probe plan's choice (ebpf/ssl_placement.h).
struct Hook {
    const char* symbol;
    bool required;
};
constexpr Hook kHooks[] = {
    {"SSL_read", true},          {"SSL_write", true},     {"SSL_read_ex", false}, {"SSL_write_ex", false},
    {"SSL_do_handshake", false}, {"SSL_shutdown", false}, {"SSL_free", false},
};
// The dynamic loader's debugger hook (glibc and musl): called after every dlopen/dlclose.
constexpr const char* kLoaderHook = "_dl_debug_state";

bool read_text(const std::string& path, std::string* out)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out->clear();
    char buf[65536];
    while (in && out->size() < kMaxMapsBytes) {
        in.read(buf, sizeof(buf));
        out->append(buf, static_cast<size_t>(in.gcount()));
    }
    return true;
}

}  // namespace

SslProbes::SslProbes(const SslPrograms& progs, std::string proc_root) : progs_(progs), proc_root_(std::move(proc_root))
{
}

SslProbes::~SslProbes()
{
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, st] : files_)
        for (bpf_link* l : st.links) bpf_link__destroy(l);
    files_.clear();
}

size_t SslProbes::attach_process(uint32_t pid)
{
    std::string pid_dir = proc_root_ + "/" + std::to_string(pid);
    std::string text;
    if (!read_text(pid_dir + "/maps", &text)) return 0;  // the process is gone
    size_t added = 0;
    std::lock_guard<std::mutex> lock(mu_);
    for (const MappedFile& f : executable_files(text)) {
        FileKey key{f.dev, f.inode};
        if (files_.count(key)) continue;
        if (files_.size() >= kMaxKnownFiles) {  // forget the files that carry no TLS, keep the attached ones
            for (auto it = files_.begin(); it != files_.end();)
                it = it->second.links.empty() ? files_.erase(it) : std::next(it);
            if (files_.size() >= kMaxKnownFiles) break;
        }
        FileState& st = files_[key];
        probe_file(pid, f, &st);
        if (st.tls && !st.links.empty()) added++;
    }
    return added;
}

void SslProbes::probe_file(uint32_t pid, const MappedFile& f, FileState* st)
{
    st->path = f.path;
    // The file as the process sees it (its mount namespace); a uprobe binds to the inode.
    std::string path = proc_root_ + "/" + std::to_string(pid) + "/root" + f.path;
    std::vector<std::string_view> names;
    for (const Hook& h : kHooks) names.push_back(h.symbol);
    names.push_back(kLoaderHook);
    ElfImage img;
    std::string error;
    if (!img.open(path, &error)) {
        spdlog::debug("TLS: not probing {} of pid {}: {}", f.path, pid, error);
        return;
    }
    FunctionTable found = img.functions(names);
    if (auto it = found.find(kLoaderHook); it != found.end()) {
        st->loader = true;
        uint64_t off = 0;
        if (img.file_offset(it->second.vaddr, &off) && attach_one(path, off, progs_.dl_state, false, st, &error))
            spdlog::debug("TLS: probing the dynamic loader {} for libraries loaded later", f.path);
        else  // not fatal: a library loaded later is still found at the next rescan
            spdlog::debug("TLS: cannot probe the dynamic loader {}: {}", f.path, error);
        return;
    }
    for (const Hook& h : kHooks)
        if (h.required && !found.count(h.symbol)) return;  // no OpenSSL API here
    st->tls = true;
    if (attached_ >= kMaxAttachedFiles) {
        spdlog::warn("TLS: {} files are probed already; not probing {} (pid {}): its TLS traffic is not seen",
                     kMaxAttachedFiles, f.path, pid);
        return;
    }
    // Where the probes go is decided from the file's code (ebpf/ssl_placement.h); if a moved
    // probe cannot be attached, every probe goes back to its public function's entry.
    ProbePlan plan = plan_ssl_probes(img, found);
    if (!attach_plan(path, img, plan, st, &error)) {
        bool moved = plan.read.kind == PairPlacement::Kind::Internal ||
                     plan.write.kind == PairPlacement::Kind::Internal;
        for (bpf_link* l : st->links) bpf_link__destroy(l);
        st->links.clear();
        if (!moved) {
            spdlog::warn("TLS: cannot probe {} (pid {}): {}; its TLS traffic is not seen", f.path, pid, error);
            return;
        }
        spdlog::warn("TLS: cannot probe {} where planned ({}); probing its public functions instead", f.path, error);
        plan = plan_ssl_probes(img, found, false);
        if (!attach_plan(path, img, plan, st, &error)) {
            for (bpf_link* l : st->links) bpf_link__destroy(l);
            st->links.clear();
            spdlog::warn("TLS: cannot probe {} (pid {}): {}; its TLS traffic is not seen", f.path, pid, error);
            return;
        }
    }
    attached_++;
    spdlog::info("TLS: probing {} ({} uprobes at {} places; first seen in pid {}): {}", f.path, st->links.size(),
                 plan.sites.size(), pid, describe(plan));
}

bool SslProbes::attach_plan(const std::string& path, const ElfImage& img, const ProbePlan& plan, FileState* st,
                            std::string* error)
{
    for (const ProbeSite& site : plan.sites) {
        bpf_program* prog = nullptr;
        switch (site.entry) {
        case SslEntry::Read: prog = progs_.read; break;
        case SslEntry::ReadEx: prog = progs_.read_ex; break;
        case SslEntry::Write: prog = progs_.write; break;
        case SslEntry::WriteEx: prog = progs_.write_ex; break;
        case SslEntry::Other: prog = progs_.other; break;
        case SslEntry::Free: prog = progs_.free; break;
        }
        uint64_t off = 0;
        std::string why;
        bool ok = img.file_offset(site.vaddr, &off);
        if (!ok) why = "not in a loadable segment";
        ok = ok && attach_one(path, off, prog, false, st, &why) && (!site.ret || attach_one(path, off, progs_.ret, true, st, &why));
        if (!ok) {
            *error = site.what + ": " + why;
            return false;
        }
    }
    return true;
}

bool SslProbes::attach_one(const std::string& path, uint64_t offset, bpf_program* prog, bool ret, FileState* st,
                           std::string* error)
{
    if (!prog) {
        *error = "program missing from the TLS BPF object";
        return false;
    }
    LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = ret);
    bpf_link* link = bpf_program__attach_uprobe_opts(prog, -1, path.c_str(), offset, &opts);
    if (!link) {
        int err = errno;
        *error = std::string(ret ? "uretprobe" : "uprobe") + " at offset " + std::to_string(offset) + ": " +
                 strerror(err);
        return false;
    }
    st->links.push_back(link);
    return true;
}

size_t SslProbes::attached_files() const
{
    std::lock_guard<std::mutex> lock(mu_);
    return attached_;
}

std::vector<std::string> SslProbes::attached_paths() const
{
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const auto& [key, st] : files_)
        if (st.tls && !st.links.empty()) out.push_back(st.path);
    return out;
}

size_t SslProbes::links() const
{
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const auto& [key, st] : files_) n += st.links.size();
    return n;
}

}  // namespace obi::ebpf
