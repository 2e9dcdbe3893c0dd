// plan_ssl_probes: decodes the first instructions of OpenSSL's public functions with
// capstone and moves a pair's probes to the internal function both call when the code
// proves it has the _ex signature and is cheap to probe.
#include "ebpf/ssl_placement.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace obi::ebpf {
namespace {

constexpr size_t kMaxPrefixInsns = 32;    // instructions decoded before the first call
constexpr size_t kMaxPrefixBytes = 256;   // bytes decoded before the first call
constexpr size_t kMaxSkippedInsns = 2;    // leading endbr64/nops stepped over by probe_address
constexpr size_t kMaxInsnBytes = 15;      // longest x86 instruction

// One capstone handle (64-bit x86) for the duration of a decision.
class Disassembler {
public:
    explicit Disassembler(bool att_syntax = false)
    {
        if (cs_open(CS_ARCH_X86, CS_MODE_64, &h_) != CS_ERR_OK) {
            h_ = 0;
            return;
        }
        if (att_syntax) cs_option(h_, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
        cs_option(h_, CS_OPT_DETAIL, CS_OPT_ON);
        insn_ = cs_malloc(h_);
    }
    ~Disassembler()
    {
        if (insn_) cs_free(insn_, 1);
        if (h_) cs_close(&h_);
    }
    Disassembler(const Disassembler&) = delete;
    Disassembler& operator=(const Disassembler&) = delete;

    bool ok() const { return h_ != 0 && insn_ != nullptr; }
    csh handle() const { return h_; }
    const cs_insn* insn() const { return insn_; }
    // Decodes the instruction at *code (vaddr *addr) and advances past it.
    bool next(const uint8_t** code, size_t* size, uint64_t* addr)
    {
        return ok() && cs_disasm_iter(h_, code, size, addr, insn_);
    }
    bool in_group(uint8_t group) const { return cs_insn_group(h_, insn_, group); }

private:
    csh h_ = 0;
    cs_insn* insn_ = nullptr;
};

// The argument registers a call passes (System V), whatever width an instruction writes.
enum class Arg { None, Rdi, Rsi, Rdx, Rcx };

Arg arg_of(unsigned reg)
{
    switch (reg) {
    case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL: return Arg::Rdi;
    case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL: return Arg::Rsi;
    case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL: case X86_REG_DH: return Arg::Rdx;
    case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL: case X86_REG_CH: return Arg::Rcx;
    default: return Arg::None;
    }
}

const char* arg_name(Arg a)
{
    switch (a) {
    case Arg::Rdi: return "%rdi";
    case Arg::Rsi: return "%rsi";
    case Arg::Rdx: return "%rdx";
    case Arg::Rcx: return "%rcx";
    default: return "?";
    }
}

// The argument registers the current instruction writes (explicitly or implicitly), as a
// bit set of 1 << Arg.
unsigned written_args(const Disassembler& d)
{
    unsigned out = 0;
    cs_regs rd, wr;
    uint8_t nrd = 0, nwr = 0;
    if (cs_regs_access(d.handle(), d.insn(), rd, &nrd, wr, &nwr) == CS_ERR_OK)
        for (uint8_t i = 0; i < nwr; i++) out |= 1u << static_cast<unsigned>(arg_of(wr[i]));
    const cs_x86& x = d.insn()->detail->x86;
    for (uint8_t i = 0; i < x.op_count && i < 8; i++)
        if (x.operands[i].type == X86_OP_REG && (x.operands[i].access & CS_AC_WRITE))
            out |= 1u << static_cast<unsigned>(arg_of(x.operands[i].reg));
    return out & ~1u;  // Arg::None
}

bool is_reg(const cs_x86_op& op, unsigned reg) { return op.type == X86_OP_REG && op.reg == reg; }

// rdx from the plain function's int num: movsxd rdx, edx (or mov edx, edx).
bool extends_edx(const cs_insn* insn)
{
    const cs_x86& x = insn->detail->x86;
    if (x.op_count != 2 || !is_reg(x.operands[0], insn->id == X86_INS_MOVSXD ? X86_REG_RDX : X86_REG_EDX) ||
        !is_reg(x.operands[1], X86_REG_EDX))
        return false;
    return insn->id == X86_INS_MOVSXD || insn->id == X86_INS_MOV;
}

// rcx = an address in the function's own frame: mov rcx, rsp|rbp or lea rcx, [rsp|rbp + d].
bool rcx_points_to_frame(const cs_insn* insn)
{
    const cs_x86& x = insn->detail->x86;
    if (x.op_count != 2 || !is_reg(x.operands[0], X86_REG_RCX)) return false;
    const cs_x86_op& src = x.operands[1];
    if (insn->id == X86_INS_MOV) return is_reg(src, X86_REG_RSP) || is_reg(src, X86_REG_RBP);
    if (insn->id == X86_INS_LEA)
        return src.type == X86_OP_MEM && (src.mem.base == X86_REG_RSP || src.mem.base == X86_REG_RBP) &&
               src.mem.index == X86_REG_INVALID && src.mem.segment == X86_REG_INVALID;
    return false;
}

// Flags from num (edx, or rdx once extended) alone: test edx, edx / cmp edx, 0 (any width).
bool tests_num(const cs_insn* insn)
{
    const cs_x86& x = insn->detail->x86;
    if (x.op_count != 2 || x.operands[0].type != X86_OP_REG || arg_of(x.operands[0].reg) != Arg::Rdx) return false;
    if (insn->id == X86_INS_TEST) return x.operands[1].type == X86_OP_REG && x.operands[1].reg == x.operands[0].reg;
    if (insn->id == X86_INS_CMP) return x.operands[1].type == X86_OP_IMM && x.operands[1].imm == 0;
    return false;
}

// The single immediate operand (a relative branch's absolute target), if any.
bool branch_target(const cs_insn* insn, uint64_t* target)
{
    const cs_x86& x = insn->detail->x86;
    if (x.op_count != 1 || x.operands[0].type != X86_OP_IMM) return false;
    *target = static_cast<uint64_t>(x.operands[0].imm);
    return true;
}

bool is_endbr64(const uint8_t* b, size_t n)
{
    return n >= 4 && b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && (b[3] == 0xfa || b[3] == 0xfb);
}

// How the public function hands its arguments on to the function it calls first.
enum class Mode {
    Plain,  // SSL_read(SSL*, void*, int): num extended into rdx, rcx = &local count
    Ex,     // SSL_read_ex(SSL*, void*, size_t, size_t*): all four passed unchanged
};

// Decodes `fn` from its entry to its first direct call (or, for Ex, a tail jump out of the
// function) and returns the callee in *target when the instructions before it keep the
// argument contract of `mode`; false with *why otherwise.
bool first_callee(const CodeReader& code, const FunctionInfo& fn, Mode mode, uint64_t* target, std::string* why)
{
    uint8_t buf[kMaxPrefixBytes];
    size_t limit = fn.size ? std::min<uint64_t>(fn.size, sizeof(buf)) : sizeof(buf);
    size_t n = code.read(fn.vaddr, buf, limit);
    if (n == 0) {
        *why = "its code cannot be read";
        return false;
    }
    Disassembler d;
    if (!d.ok()) {
        *why = "the x86 decoder is unusable";
        return false;
    }
    const uint8_t* p = buf;
    size_t left = n;
    uint64_t addr = fn.vaddr;
    bool rcx_frame = false;   // Plain: rcx holds an address of the function's frame
    bool num_tested = false;  // the previous instruction set the flags from num alone
    for (size_t i = 0; i < kMaxPrefixInsns; i++) {
        uint64_t at = addr;
        if (!d.next(&p, &left, &addr)) {
            *why = left == 0 ? fmt::format("no call in its first {} bytes", n)
                             : fmt::format("undecodable instruction at +{:#x}", at - fn.vaddr);
            return false;
        }
        const cs_insn* insn = d.insn();
        std::string text = first_instruction(code, at);
        unsigned w = written_args(d);  // every instruction, branches too (loop writes rcx)
        for (Arg a : {Arg::Rdi, Arg::Rsi, Arg::Rdx, Arg::Rcx}) {
            if (!(w & (1u << static_cast<unsigned>(a)))) continue;
            bool allowed = false;
            if (mode == Mode::Plain && a == Arg::Rdx) allowed = extends_edx(insn);
            if (mode == Mode::Plain && a == Arg::Rcx) allowed = rcx_frame = rcx_points_to_frame(insn);
            if (!allowed) {
                *why = fmt::format("it writes {} ({}) before its first call", arg_name(a), text);
                return false;
            }
        }
        uint64_t t = 0;
        if (d.in_group(X86_GRP_CALL)) {
            if (!branch_target(insn, &t)) {
                *why = fmt::format("its first call is indirect ({})", text);
                return false;
            }
            if (mode == Mode::Plain && !rcx_frame) {
                *why = "it does not point %rcx at a count in its frame before its first call";
                return false;
            }
            *target = t;
            return true;
        }
        if (insn->id == X86_INS_JMP) {
            bool outside = branch_target(insn, &t) && fn.size && (t < fn.vaddr || t - fn.vaddr >= fn.size);
            if (mode == Mode::Ex && outside) {  // a tail call: G returns to our caller
                *target = t;
                return true;
            }
            *why = fmt::format("it jumps ({}) at +{:#x} before any call", text, at - fn.vaddr);
            return false;
        }
        if (d.in_group(X86_GRP_RET) || d.in_group(X86_GRP_INT) || d.in_group(X86_GRP_IRET) ||
            insn->id == X86_INS_HLT || insn->id == X86_INS_UD2 || insn->id == X86_INS_SYSCALL) {
            *why = fmt::format("it reaches {} at +{:#x} before any call", text, at - fn.vaddr);
            return false;
        }
        if (d.in_group(X86_GRP_JUMP)) {
            // Conditional. Only the plain function's `if (num < 0)` exit, forward, right after
            // testing num: any other branch may lead to a path that never calls the function
            // (OpenSSL 3.2 sends QUIC objects elsewhere), and its reads would be missed.
            if (mode != Mode::Plain || !num_tested || !branch_target(insn, &t) || t <= at) {
                *why = fmt::format("it branches ({}) at +{:#x} before its first call, other than on num < 0", text,
                                   at - fn.vaddr);
                return false;
            }
            num_tested = false;
            continue;
        }
        num_tested = tests_num(insn);
    }
    *why = fmt::format("no call in its first {} instructions", kMaxPrefixInsns);
    return false;
}

const char* entry_name(bool read, bool ex)
{
    return read ? (ex ? "SSL_read_ex" : "SSL_read") : (ex ? "SSL_write_ex" : "SSL_write");
}

std::string starts_with(const CodeReader& code, uint64_t vaddr, bool emulated)
{
    return fmt::format("starts with {} ({})", first_instruction(code, vaddr), emulated ? "emulated" : "single-stepped");
}

PairPlacement place_pair(const CodeReader& code, const FunctionTable& fns, const FunctionInfo* plain,
                         const FunctionInfo* ex, bool read, std::vector<ProbeSite>* sites)
{
    PairPlacement out;
    const char* pname = entry_name(read, false);
    const char* xname = entry_name(read, true);
    SslEntry pentry = read ? SslEntry::Read : SslEntry::Write;
    SslEntry xentry = read ? SslEntry::ReadEx : SslEntry::WriteEx;
    if (!plain) {
        out.reason = fmt::format("{} is absent", pname);
        return out;
    }
    bool pe = false, xe = false;
    uint64_t pa = probe_address(code, plain->vaddr, &pe);
    uint64_t xa = ex ? probe_address(code, ex->vaddr, &xe) : 0;
    auto public_sites = [&] {
        sites->push_back({pname, pa, pentry, true});
        if (ex) sites->push_back({xname, xa, xentry, true});
    };
    if (pe && (!ex || xe)) {
        out.kind = PairPlacement::Kind::Direct;
        out.reason = ex ? fmt::format("{} and {} start with emulated instructions ({}, {})", pname, xname,
                                      first_instruction(code, pa), first_instruction(code, xa))
                        : fmt::format("{} {}", pname, starts_with(code, pa, true));
        public_sites();
        return out;
    }
    std::string slow = !pe ? fmt::format("{} {}", pname, starts_with(code, plain->vaddr, false))
                           : fmt::format("{} {}", xname, starts_with(code, ex->vaddr, false));
    auto refuse = [&](const std::string& why) {
        out.kind = PairPlacement::Kind::Public;
        out.reason = fmt::format("{}; not moved: {}", slow, why);
        public_sites();
        return out;
    };
    if (!ex) return refuse(fmt::format("no {} to confirm an internal function's signature", xname));
    uint64_t g = 0, gx = 0;
    std::string why;
    if (!first_callee(code, *plain, Mode::Plain, &g, &why)) return refuse(fmt::format("{}: {}", pname, why));
    bool via_ex = g == ex->vaddr;  // the plain function calls the _ex one: probe the _ex one only
    if (!via_ex) {
        if (!first_callee(code, *ex, Mode::Ex, &gx, &why)) return refuse(fmt::format("{}: {}", xname, why));
        if (gx != g)
            return refuse(fmt::format("{} calls {:#x} first, {} calls {:#x}", pname, g, xname, gx));
        if (!code.same_section(g, plain->vaddr) || !code.same_section(g, ex->vaddr))
            return refuse(fmt::format("their first call, {:#x}, is not a function of their code section", g));
        for (const auto& [name, f] : fns)  // another API function: it has its own probe and semantics
            if (f.vaddr == g) return refuse(fmt::format("the function both call first is {}", name));
    }
    bool ge = false;
    uint64_t ga = via_ex ? xa : probe_address(code, g, &ge);
    if (via_ex) ge = xe;
    if (!ge)
        return refuse(fmt::format("{} {}", via_ex ? std::string(xname) + ", which " + pname + " calls,"
                                                  : fmt::format("the function both call, {:#x},", g),
                                  starts_with(code, g, false)));
    out.kind = PairPlacement::Kind::Internal;
    out.internal_vaddr = ga;
    out.reason = via_ex ? fmt::format("{}; it calls {} with its arguments, which {}", slow, xname,
                                      starts_with(code, ga, true))
                        : fmt::format("{}; {} and {} both call {:#x} first with the SSL*, buffer and count unchanged; "
                                      "it {}",
                                      slow, pname, xname, g, starts_with(code, ga, true));
    std::string what = via_ex ? std::string(xname)
                              : fmt::format("internal {} function {:#x}", read ? "read" : "write", g);
    sites->push_back({what, ga, xentry, true});
    return out;
}

SslEntry entry_of(std::string_view name)
{
    if (name == "SSL_read") return SslEntry::Read;
    if (name == "SSL_read_ex") return SslEntry::ReadEx;
    if (name == "SSL_write") return SslEntry::Write;
    return SslEntry::WriteEx;
}

const char* kind_name(PairPlacement::Kind k)
{
    switch (k) {
    case PairPlacement::Kind::Direct: return "public functions";
    case PairPlacement::Kind::Internal: return "internal function";
    default: return "public functions (not moved)";
    }
}

}  // namespace

bool uprobe_emulated(const uint8_t* b, size_t n)
{
    if (n == 0) return false;
    uint8_t op = b[0];
    if (op >= 0x50 && op <= 0x57) return true;                               // push r64
    if (op == 0x41) return n >= 2 && b[1] >= 0x50 && b[1] <= 0x57;           // push r8..r15 (REX.B only)
    if (op == 0x90) return true;                                             // nop
    if (op == 0x66) return n >= 2 && b[1] == 0x90;                           // xchg ax, ax (a nop)
    if (op == 0xe8 || op == 0xe9 || op == 0xeb) return true;                 // call, jmp rel
    if (op >= 0x70 && op <= 0x7f) return true;                               // jcc rel8
    if (op == 0x0f) return n >= 2 && b[1] >= 0x80 && b[1] <= 0x8f;           // jcc rel32
    return false;
}

std::string first_instruction(const CodeReader& code, uint64_t vaddr)
{
    uint8_t buf[kMaxInsnBytes];
    size_t n = code.read(vaddr, buf, sizeof(buf));
    Disassembler d(true);
    const uint8_t* p = buf;
    uint64_t addr = vaddr;
    if (n == 0 || !d.next(&p, &n, &addr)) return "?";
    const cs_insn* insn = d.insn();
    return insn->op_str[0] ? fmt::format("{} {}", insn->mnemonic, insn->op_str) : std::string(insn->mnemonic);
}

uint64_t probe_address(const CodeReader& code, uint64_t vaddr, bool* emulated)
{
    uint8_t buf[kMaxInsnBytes * (kMaxSkippedInsns + 1)];
    size_t n = code.read(vaddr, buf, sizeof(buf));
    *emulated = uprobe_emulated(buf, n);
    if (*emulated || n == 0) return vaddr;
    Disassembler d;
    const uint8_t* p = buf;
    size_t left = n;
    uint64_t addr = vaddr;
    for (size_t i = 0; i < kMaxSkippedInsns; i++) {
        const uint8_t* at = p;
        bool endbr = is_endbr64(at, left);
        if (!d.next(&p, &left, &addr) || !(endbr || d.insn()->id == X86_INS_NOP)) break;
        if (uprobe_emulated(p, left)) {
            *emulated = true;
            return addr;
        }
    }
    return vaddr;
}

ProbePlan plan_ssl_probes(const CodeReader& code, const FunctionTable& fns, bool move)
{
    ProbePlan plan;
    if (!move) {
        for (const char* name : {"SSL_read", "SSL_read_ex", "SSL_write", "SSL_write_ex"})
            if (auto it = fns.find(name); it != fns.end())
                plan.sites.push_back({name, it->second.vaddr, entry_of(name), true});
        for (PairPlacement* p : {&plan.read, &plan.write}) p->reason = "at their entries (a moved probe failed)";
    }
    auto get = [&](const char* name) -> const FunctionInfo* {
        auto it = fns.find(name);
        return it == fns.end() ? nullptr : &it->second;
    };
    if (move) {
        plan.read = place_pair(code, fns, get("SSL_read"), get("SSL_read_ex"), true, &plan.sites);
        plan.write = place_pair(code, fns, get("SSL_write"), get("SSL_write_ex"), false, &plan.sites);
    }
    struct Other {
        const char* name;
        SslEntry entry;
        bool ret;
    };
    for (const Other& o : {Other{"SSL_do_handshake", SslEntry::Other, true}, Other{"SSL_shutdown", SslEntry::Other, true},
                           Other{"SSL_free", SslEntry::Free, false}}) {
        const FunctionInfo* f = get(o.name);
        if (!f) continue;
        bool emulated = false;
        plan.sites.push_back({o.name, move ? probe_address(code, f->vaddr, &emulated) : f->vaddr, o.entry, o.ret});
    }
    return plan;
}

std::string describe(const ProbePlan& plan)
{
    auto one = [](const char* label, const PairPlacement& p) {
        std::string where = p.kind == PairPlacement::Kind::Internal ? fmt::format(" {:#x}", p.internal_vaddr) : "";
        return fmt::format("{} at the {}{} ({})", label, kind_name(p.kind), where, p.reason);
    };
    return one("read", plan.read) + "; " + one("write", plan.write);
}

}  // namespace obi::ebpf
