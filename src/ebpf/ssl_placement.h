// Where the TLS uprobes go in one file: at OpenSSL's public functions, or at the internal
// function both public functions of a pair call, when that makes each SSL call cheap.
//
// Why: a uprobe whose first instruction the kernel cannot emulate is single-stepped (a trap
// and a second kernel entry: ~14 us per hit on our VMs, ~1.3 us when emulated). Debian's
// libssl.so.3 starts SSL_read/SSL_write with `sub $N,%rsp` (single-stepped); both SSL_read
// and SSL_read_ex call one local function with SSL_read_ex's signature (SSL*, void *buf,
// size_t num, size_t *readbytes) that starts with `push %r13` (emulated): probing it with
// SSL_read_ex's semantics sees every read at a tenth of the cost. The decision is made per
// file from its machine code (x86-64, decoded with capstone), and refuses to move a probe
// unless the code proves the move is safe; otherwise the public functions are probed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace obi::ebpf {

// The machine code of one file, by virtual address (an ELF file: ebpf/ssl_elf.h; tests use
// byte arrays).
class CodeReader {
public:
    virtual ~CodeReader() = default;
    // Copies up to `n` bytes of code at `vaddr`, stopping at the end of the code section
    // that holds it; returns how many (0: not code).
    virtual size_t read(uint64_t vaddr, uint8_t* out, size_t n) const = 0;
    // True when both addresses are code of the same section (a call from .text into .plt,
    // an import, is not a call to an internal function).
    virtual bool same_section(uint64_t a, uint64_t b) const = 0;
};

struct FunctionInfo {
    uint64_t vaddr = 0;
    uint64_t size = 0;  // from the symbol; 0 when unknown
};
using FunctionTable = std::map<std::string, FunctionInfo, std::less<>>;

// True when the kernel emulates the instruction at `code` for a uprobe instead of
// single-stepping it (Linux arch/x86/kernel/uprobes.c, measured on 6.18): push of a 64-bit
// register (50-57, or 41 50-57 for r8-r15; not with REX.W or 66), the one-byte nop (90,
// 66 90), and relative jmp, call and jcc without prefixes. Multi-byte nops, endbr64 and
// everything else are single-stepped.
bool uprobe_emulated(const uint8_t* code, size_t n);

// The disassembly of the first instruction at `vaddr` ("push r13"), "?" if undecodable.
std::string first_instruction(const CodeReader& code, uint64_t vaddr);

// The address to probe function `vaddr` at: past leading endbr64 and multi-byte nops
// (they leave every register and the stack as at entry, so the return address is still on
// top of the stack and a uretprobe there is exact) when the instruction after them is
// emulated; otherwise `vaddr` itself. *emulated tells whether the result is.
uint64_t probe_address(const CodeReader& code, uint64_t vaddr, bool* emulated);

// What the entry probe at a site records (the programs of bpf/ssl.bpf.c).
enum class SslEntry { Read, ReadEx, Write, WriteEx, Other, Free };

struct ProbeSite {
    std::string what;  // for logs: "SSL_read" or "internal read function 0x35290"
    uint64_t vaddr = 0;
    SslEntry entry = SslEntry::Other;
    bool ret = false;  // also a uretprobe (at the same address)
};

// How one pair (SSL_read + SSL_read_ex, or SSL_write + SSL_write_ex) is probed.
struct PairPlacement {
    enum class Kind {
        Direct,    // the public functions, each starting with an emulated instruction
        Internal,  // the one function both call, with the _ex semantics
        Public,    // the public functions, single-stepped (no safe cheaper placement)
    };
    Kind kind = Kind::Public;
    uint64_t internal_vaddr = 0;  // Internal: where
    std::string reason;           // why this placement (for the start-up log)
};

struct ProbePlan {
    std::vector<ProbeSite> sites;
    PairPlacement read, write;
};

// The probes for a file whose functions `fns` (by name: SSL_read, SSL_write, SSL_read_ex,
// SSL_write_ex, SSL_do_handshake, SSL_shutdown, SSL_free; absent ones are skipped) are at
// the given addresses. SSL_read and SSL_write must be present.
//
// A pair is moved to an internal function G only when all of these hold, decoding each
// public function from its entry up to its first direct call (or tail jump), at most 32
// instructions within the function: both functions of the pair reach G first; no
// instruction on the way writes rdi or rsi (G gets the caller's SSL* and buffer); the _ex
// function writes neither rdx nor rcx (G gets num and the count pointer unchanged, so G has
// the _ex signature); the plain function writes rdx only by extending edx (num) and points
// rcx at its own stack (the count SSL_read turns into its return value); the only branch
// on the way is the plain function's forward exit on num < 0 (test of edx right before it;
// any other branch might bypass G); no return, unconditional jump, indirect call or
// undecodable byte comes first; G is
// code of the same section and starts (maybe after endbr64/nops) with an emulated
// instruction. G may be the _ex function itself (a plain function that calls it).
// With `move` false every probe goes to its public function's entry (the placement of last
// resort, when attaching elsewhere failed).
ProbePlan plan_ssl_probes(const CodeReader& code, const FunctionTable& fns, bool move = true);

// One line for the log: "read: ...; write: ...".
std::string describe(const ProbePlan& plan);

}  // namespace obi::ebpf
