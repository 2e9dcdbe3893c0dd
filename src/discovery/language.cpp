// Language detection: ELF inspection with libelf (cached per executable), name and
// mapped-library heuristics.
#include "discovery/language.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "discovery/proc_read.h"

namespace obi::discovery {
namespace {

// A symbol table larger than this is not scanned (node's static binary has ~1 MiB of
// symbols; anything far larger is not worth the page-ins at discovery time).
constexpr uint64_t kMaxSymtabBytes = 64ull * 1024 * 1024;
constexpr size_t kMapsMax = 16 * 1024 * 1024;  // a JVM has a few thousand mappings

bool libelf_ready()
{
    static const bool ok = elf_version(EV_CURRENT) != EV_NONE;
    return ok;
}

bool digits_dots(std::string_view s)
{
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::string_view basename_of(std::string_view path)
{
    size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// "libpython3.11.so.1.0", "libpython3.7m.so", "libruby-3.1.so.3.1", "libruby.so.3.1".
bool is_versioned_lib(std::string_view file, std::string_view stem)
{
    if (!file.starts_with(stem)) return false;
    file.remove_prefix(stem.size());
    size_t so = file.find(".so");
    if (so == std::string_view::npos) return false;
    std::string_view version = file.substr(0, so);
    if (!version.empty() && version.front() == '-') version.remove_prefix(1);
    while (!version.empty() && (version.back() == 'm' || version.back() == 'd' || version.back() == 't'))
        version.remove_suffix(1);  // python ABI flags
    return digits_dots(version);
}

std::string language_from_symbol(std::string_view name)
{
    if (name.find("rust_panic") != std::string_view::npos) return "rust";
    if (name.starts_with("JVM_") || name.starts_with("graal_")) return "java";
    // node's own internals; not its public N-API surface, which other runtimes re-export.
    for (std::string_view p : {"_ZN4node16NodeMainInstance", "_ZN4node11Environment", "_ZN4node5StartE"})
        if (name.starts_with(p)) return "nodejs";
    if (name == "runtime.main") return "go";
    return "";
}

// Whether the symbol names could hold an answer at all: one memmem per pattern over the
// string table is far cheaper than walking every symbol (C++ binaries have 100k+).
bool strtab_may_answer(Elf* elf, size_t strtab_index)
{
    Elf_Scn* scn = elf_getscn(elf, strtab_index);
    Elf_Data* data = scn ? elf_getdata(scn, nullptr) : nullptr;
    if (!data || !data->d_buf) return false;
    std::string_view names(static_cast<const char*>(data->d_buf), data->d_size);
    for (std::string_view needle :
         {std::string_view("rust_panic"), std::string_view("JVM_"), std::string_view("graal_"),
          std::string_view("_ZN4node"), std::string_view("runtime.main")})
        if (names.find(needle) != std::string_view::npos) return true;
    return false;
}

std::string scan_symbols(Elf* elf, Elf_Scn* scn, const GElf_Shdr& shdr)
{
    if (shdr.sh_entsize == 0 || shdr.sh_size > kMaxSymtabBytes) return "";
    if (!strtab_may_answer(elf, shdr.sh_link)) return "";
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) return "";
    size_t count = shdr.sh_size / shdr.sh_entsize;
    for (size_t i = 0; i < count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
        if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_size == 0 || sym.st_value == 0) continue;
        const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
        if (!name) continue;
        std::string lang = language_from_symbol(name);
        if (!lang.empty()) return lang;
    }
    return "";
}

}  // namespace

std::string language_from_exe_name(std::string_view name)
{
    if (name == "java") return "java";
    if (name == "node" || name == "nodejs") return "nodejs";
    if ((name.starts_with("python") && digits_dots(name.substr(6))) || name.starts_with("pypy")) return "python";
    if (name.starts_with("ruby") && digits_dots(name.substr(4))) return "ruby";
    if (name.starts_with("php")) return "php";  // php, php8.2, php-fpm8.2, php-cgi
    if (name == "dotnet") return "dotnet";
    return "";
}

std::string language_from_maps(std::string_view maps)
{
    bool cpp = false;
    while (!maps.empty()) {
        size_t nl = maps.find('\n');
        std::string_view line = maps.substr(0, nl);
        maps = nl == std::string_view::npos ? std::string_view{} : maps.substr(nl + 1);
        size_t slash = line.find('/');
        if (slash == std::string_view::npos) continue;  // anonymous, [heap], [stack], ...
        std::string_view file = basename_of(line.substr(slash));
        if (file.starts_with("libcoreclr.so")) return "dotnet";
        if (file.starts_with("libjvm.so")) return "java";
        if (is_versioned_lib(file, "libpython")) return "python";
        if (is_versioned_lib(file, "libruby")) return "ruby";
        if (file.starts_with("libnode.so")) return "nodejs";
        if (file.starts_with("libstdc++.so") || file.starts_with("libc++.so")) cpp = true;
    }
    return cpp ? "cpp" : "";
}

std::string language_from_elf_fd(int fd)
{
    if (!libelf_ready()) return "";
    Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    if (!elf) return "";
    std::string lang;
    size_t shstrndx = 0;
    if (elf_kind(elf) == ELF_K_ELF && elf_getshdrstrndx(elf, &shstrndx) == 0) {
        // Sections first: cheap, and enough for Go even when stripped.
        Elf_Scn* symtabs[2] = {nullptr, nullptr};  // .symtab, .dynsym
        for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn && lang.empty(); scn = elf_nextscn(elf, scn)) {
            GElf_Shdr shdr;
            if (!gelf_getshdr(scn, &shdr)) continue;
            if (shdr.sh_type == SHT_SYMTAB) symtabs[0] = scn;
            if (shdr.sh_type == SHT_DYNSYM) symtabs[1] = scn;
            const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
            if (name && (std::string_view(name) == ".go.buildinfo" || std::string_view(name) == ".gopclntab"))
                lang = "go";
        }
        for (Elf_Scn* scn : symtabs) {
            if (!lang.empty() || !scn) continue;
            GElf_Shdr shdr;
            if (gelf_getshdr(scn, &shdr)) lang = scan_symbols(elf, scn, shdr);
        }
    }
    elf_end(elf);
    return lang;
}

size_t LanguageDetector::KeyHash::operator()(const Key& k) const
{
    size_t h = std::hash<uint64_t>()(k.ino);
    h ^= std::hash<uint64_t>()(k.dev) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= std::hash<int64_t>()(k.mtime_ns) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

LanguageDetector::LanguageDetector(size_t cache_capacity) : capacity_(std::max<size_t>(cache_capacity, 1)) {}

LanguageDetector::Stats LanguageDetector::stats() const
{
    std::lock_guard lock(mu_);
    return stats_;
}

size_t LanguageDetector::cache_size() const
{
    std::lock_guard lock(mu_);
    return lru_.size();
}

std::string LanguageDetector::elf_language_cached(const std::string& exe_link)
{
    // /proc/<pid>/exe opens the very file the process runs, even when deleted or in
    // another mount namespace.
    int fd = ::open(exe_link.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "";
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return "";
    }
    Key key{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
            static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
    {
        std::lock_guard lock(mu_);
        auto it = index_.find(key);
        if (it != index_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second);
            stats_.cache_hits++;
            ::close(fd);
            return it->second->second;
        }
    }
    std::string lang = language_from_elf_fd(fd);
    ::close(fd);

    std::lock_guard lock(mu_);
    stats_.elf_reads++;
    if (index_.find(key) == index_.end()) {
        lru_.emplace_front(key, lang);
        index_[key] = lru_.begin();
        while (lru_.size() > capacity_) {
            index_.erase(lru_.back().first);
            lru_.pop_back();
        }
    }
    return lang;
}

std::string LanguageDetector::detect(const ProcessFacts& facts, const ProcRoot& root)
{
    if (facts.exe_path.empty()) return "generic";  // kernel thread or gone
    std::string lang = elf_language_cached(root.path(facts.pid, "exe"));
    if (!lang.empty()) return lang;

    lang = language_from_exe_name(basename_of(facts.exe_path));
    if (!lang.empty()) return lang;

    {
        std::lock_guard lock(mu_);
        stats_.maps_reads++;
    }
    if (auto maps = read_file_bounded(root.path(facts.pid, "maps"), kMapsMax)) {
        lang = language_from_maps(*maps);
        if (!lang.empty()) return lang;
    }
    return "generic";
}

std::string detect_language(const ProcessFacts& facts, const ProcRoot& root, LanguageDetector& detector)
{
    return detector.detect(facts, root);
}

}  // namespace obi::discovery
