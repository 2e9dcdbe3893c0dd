// ElfImage with libelf: symbol tables to virtual addresses, PT_LOAD segments to file
// offsets, executable sections to code reads (pread, bounded by the section and the file).
#include "ebpf/ssl_elf.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace obi::ebpf {
namespace {

// Symbol tables larger than this are not walked (a corrupt header, not a real binary).
constexpr size_t kMaxSymbols = 8u << 20;
constexpr size_t kMaxSegments = 1024;
constexpr size_t kMaxSections = 65536;

}  // namespace

ElfImage::~ElfImage()
{
    if (elf_) elf_end(elf_);
    if (fd_ >= 0) close(fd_);
}

bool ElfImage::open(const std::string& path, std::string* error)
{
    if (elf_version(EV_CURRENT) == EV_NONE) {
        *error = "libelf is unusable";
        return false;
    }
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        *error = "cannot open " + path + ": " + strerror(errno);
        return false;
    }
    struct stat st;
    if (fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
        *error = path + " is not a regular file";
        return false;
    }
    uint64_t file_size = static_cast<uint64_t>(st.st_size);
    elf_ = elf_begin(fd_, ELF_C_READ, nullptr);
    if (!elf_ || elf_kind(elf_) != ELF_K_ELF) {
        *error = path + " is not an ELF file";
        return false;
    }
    // A range is kept only where the file really holds its bytes.
    auto in_file = [file_size](uint64_t off, uint64_t size) { return off <= file_size && size <= file_size - off; };
    std::vector<Range> exec_segments;
    size_t n = 0;
    if (elf_getphdrnum(elf_, &n) == 0) {
        for (size_t i = 0; i < n && i < kMaxSegments; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(elf_, static_cast<int>(i), &ph) || ph.p_type != PT_LOAD) continue;
            Range r{ph.p_vaddr, std::min(ph.p_filesz, ph.p_memsz), ph.p_offset};
            if (!in_file(r.offset, r.size)) continue;
            segments_.push_back(r);
            if (ph.p_flags & PF_X) exec_segments.push_back(r);
        }
    }
    if (segments_.empty()) {
        *error = path + " has no loadable segments";
        return false;
    }
    Elf_Scn* scn = nullptr;
    for (size_t i = 0; (scn = elf_nextscn(elf_, scn)) != nullptr && i < kMaxSections; i++) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR) ||
            !(sh.sh_flags & SHF_ALLOC) || !in_file(sh.sh_offset, sh.sh_size))
            continue;
        code_.push_back({sh.sh_addr, sh.sh_size, sh.sh_offset});
    }
    if (code_.empty()) code_ = exec_segments;  // no section headers (stripped of them)
    return true;
}

FunctionTable ElfImage::functions(const std::vector<std::string_view>& names) const
{
    FunctionTable found;
    if (!elf_) return found;
    // Exported symbols first: they are what other code calls.
    for (Elf64_Word type : {static_cast<Elf64_Word>(SHT_DYNSYM), static_cast<Elf64_Word>(SHT_SYMTAB)}) {
        Elf_Scn* scn = nullptr;
        while ((scn = elf_nextscn(elf_, scn)) != nullptr && found.size() < names.size()) {
            GElf_Shdr sh;
            if (!gelf_getshdr(scn, &sh) || sh.sh_type != type) continue;
            Elf_Data* data = elf_getdata(scn, nullptr);
            if (!data || sh.sh_entsize == 0) continue;
            size_t count = std::min<size_t>(data->d_size / sh.sh_entsize, kMaxSymbols);
            for (size_t i = 0; i < count && found.size() < names.size(); i++) {
                GElf_Sym sym;
                if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
                if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || sym.st_value == 0) continue;
                const char* raw = elf_strptr(elf_, sh.sh_link, sym.st_name);
                if (!raw) continue;
                std::string_view name(raw);
                name = name.substr(0, name.find('@'));
                if (std::find(names.begin(), names.end(), name) == names.end() || found.count(name)) continue;
                uint64_t off = 0;
                if (file_offset(sym.st_value, &off)) found.emplace(std::string(name), FunctionInfo{sym.st_value, sym.st_size});
            }
        }
    }
    return found;
}

bool ElfImage::file_offset(uint64_t vaddr, uint64_t* offset) const
{
    for (const Range& s : segments_) {
        if (s.contains(vaddr)) {
            *offset = vaddr - s.vaddr + s.offset;
            return true;
        }
    }
    return false;
}

const ElfImage::Range* ElfImage::code_range(uint64_t vaddr) const
{
    for (const Range& r : code_)
        if (r.contains(vaddr)) return &r;
    return nullptr;
}

size_t ElfImage::read(uint64_t vaddr, uint8_t* out, size_t n) const
{
    const Range* r = code_range(vaddr);
    if (!r || fd_ < 0) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, r->size - (vaddr - r->vaddr)));
    ssize_t got = pread(fd_, out, n, static_cast<off_t>(r->offset + (vaddr - r->vaddr)));
    return got > 0 ? static_cast<size_t>(got) : 0;
}

bool ElfImage::same_section(uint64_t a, uint64_t b) const
{
    const Range* r = code_range(a);
    return r && r == code_range(b);
}

bool find_elf_functions(const std::string& path, const std::vector<std::string_view>& names,
                        std::map<std::string, uint64_t, std::less<>>* found, std::string* error)
{
    found->clear();
    ElfImage img;
    if (!img.open(path, error)) return false;
    for (const auto& [name, fn] : img.functions(names)) {
        uint64_t off = 0;
        if (img.file_offset(fn.vaddr, &off)) found->emplace(name, off);
    }
    return true;
}

}  // namespace obi::ebpf
