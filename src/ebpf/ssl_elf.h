// Finds functions in an ELF file and the file offsets a uprobe attaches to: the TLS entry
// points of a libssl shared object or of a binary that carries OpenSSL (node); and reads the
// machine code at an address (for the probe placement, ebpf/ssl_placement.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ebpf/ssl_placement.h"

struct Elf;

namespace obi::ebpf {

// One ELF file, open for symbol lookups and code reads. Every count and offset comes from
// libelf's bounds-checked accessors; code reads stay inside the file's executable sections.
class ElfImage : public CodeReader {
public:
    ElfImage() = default;
    ~ElfImage() override;
    ElfImage(const ElfImage&) = delete;
    ElfImage& operator=(const ElfImage&) = delete;

    // False with *error when the file is not a readable ELF file with loadable segments.
    bool open(const std::string& path, std::string* error);

    // Looks up each of `names` among the defined functions (.dynsym first, then .symtab; a
    // version suffix such as "@@OPENSSL_3.0.0" is ignored): name -> address and size. A name
    // that is not defined, or whose address is not in the file, is absent.
    FunctionTable functions(const std::vector<std::string_view>& names) const;

    // The file offset of virtual address `vaddr` (what a uprobe is attached with).
    bool file_offset(uint64_t vaddr, uint64_t* offset) const;

    size_t read(uint64_t vaddr, uint8_t* out, size_t n) const override;
    bool same_section(uint64_t a, uint64_t b) const override;

private:
    struct Range {
        uint64_t vaddr, size, offset;  // in memory; in the file
        bool contains(uint64_t v) const { return v >= vaddr && v - vaddr < size; }
    };
    const Range* code_range(uint64_t vaddr) const;

    int fd_ = -1;
    Elf* elf_ = nullptr;
    std::vector<Range> segments_;  // PT_LOAD, the file-backed part
    std::vector<Range> code_;      // executable sections (executable segments without section headers)
};

// Looks up each of `names` among the defined functions of the ELF file at `path` and
// returns name -> file offset for those found. False with *error when the file is not a
// readable ELF file; a name that is not defined is simply absent from *found.
bool find_elf_functions(const std::string& path, const std::vector<std::string_view>& names,
                        std::map<std::string, uint64_t, std::less<>>* found, std::string* error);

}  // namespace obi::ebpf
