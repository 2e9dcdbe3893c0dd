// The TLS probe placement (ebpf/ssl_placement.h): which first instructions the kernel
// emulates, decisions decoded from the real libssl.so.3 and /usr/bin/node of this machine,
// and synthetic machine code for every case where a probe must not be moved.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "ebpf/ssl_elf.h"
#include "ebpf/ssl_placement.h"

using obi::ebpf::CodeReader;
using obi::ebpf::ElfImage;
using obi::ebpf::FunctionTable;
using obi::ebpf::PairPlacement;
using obi::ebpf::plan_ssl_probes;
using obi::ebpf::probe_address;
using obi::ebpf::ProbePlan;
using obi::ebpf::ProbeSite;
using obi::ebpf::SslEntry;
using obi::ebpf::uprobe_emulated;
using Kind = PairPlacement::Kind;
using Bytes = std::vector<uint8_t>;

namespace {

// Code sections in memory: .text at 0x1000 and a .plt at 0x500, int3-filled.
class FakeImage : public CodeReader {
public:
    FakeImage()
    {
        secs_.push_back({0x1000, Bytes(0x1000, 0xcc)});
        secs_.push_back({0x500, Bytes(0x100, 0xcc)});
    }
    void put(uint64_t vaddr, const Bytes& code)
    {
        for (auto& s : secs_)
            if (vaddr >= s.vaddr && vaddr + code.size() <= s.vaddr + s.bytes.size()) {
                std::copy(code.begin(), code.end(), s.bytes.begin() + static_cast<long>(vaddr - s.vaddr));
                return;
            }
        ADD_FAILURE() << "no section for " << vaddr;
    }
    size_t read(uint64_t vaddr, uint8_t* out, size_t n) const override
    {
        const Sec* s = find(vaddr);
        if (!s) return 0;
        n = std::min<size_t>(n, s->bytes.size() - (vaddr - s->vaddr));
        memcpy(out, s->bytes.data() + (vaddr - s->vaddr), n);
        return n;
    }
    bool same_section(uint64_t a, uint64_t b) const override { return find(a) && find(a) == find(b); }

private:
    struct Sec {
        uint64_t vaddr;
        Bytes bytes;
    };
    const Sec* find(uint64_t v) const
    {
        for (const auto& s : secs_)
            if (v >= s.vaddr && v - s.vaddr < s.bytes.size()) return &s;
        return nullptr;
    }
    std::vector<Sec> secs_;
};

// A tiny assembler: raw bytes plus rel32 calls and jumps to absolute targets.
class Asm {
public:
    explicit Asm(uint64_t at) : at_(at) {}
    Asm& b(const Bytes& v)
    {
        code_.insert(code_.end(), v.begin(), v.end());
        return *this;
    }
    Asm& call(uint64_t target) { return rel32(0xe8, target); }
    Asm& jmp(uint64_t target) { return rel32(0xe9, target); }
    Bytes done(size_t size = kFnSize)
    {
        Bytes out = code_;
        out.resize(std::max(size, out.size()), 0xcc);
        return out;
    }
    static constexpr size_t kFnSize = 0x60;

private:
    Asm& rel32(uint8_t op, uint64_t target)
    {
        auto rel = static_cast<int32_t>(static_cast<int64_t>(target) - static_cast<int64_t>(at_ + code_.size() + 5));
        code_.push_back(op);
        for (int i = 0; i < 4; i++) code_.push_back(static_cast<uint8_t>(static_cast<uint32_t>(rel) >> (8 * i)));
        return *this;
    }
    uint64_t at_;
    Bytes code_;
};

constexpr uint64_t kRead = 0x1000, kReadEx = 0x1100, kWrite = 0x1200, kWriteEx = 0x1300;
constexpr uint64_t kReadInternal = 0x1400, kWriteInternal = 0x1500, kPlt = 0x520;

const Bytes kSub18 = {0x48, 0x83, 0xec, 0x18};                          // sub $0x18,%rsp
const Bytes kSub8 = {0x48, 0x83, 0xec, 0x08};                           // sub $0x8,%rsp
const Bytes kCanary = {0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0,     // mov %fs:0x28,%rax
                       0x48, 0x89, 0x44, 0x24, 0x08, 0x31, 0xc0};       // mov %rax,8(%rsp); xor %eax,%eax
const Bytes kNumCheck = {0x85, 0xd2, 0x78, 0x30};                       // test %edx,%edx; js +0x30
const Bytes kRcxFrame = {0x48, 0x89, 0xe1};                             // mov %rsp,%rcx
const Bytes kExtendNum = {0x48, 0x63, 0xd2};                            // movslq %edx,%rdx
const Bytes kPushR13 = {0x41, 0x55, 0x41, 0x54, 0x31, 0xc0, 0x41, 0x5c, 0x41, 0x5d, 0xc3};  // push r13, r12 ... ret
const Bytes kEpilogue = {0x48, 0x83, 0xc4, 0x18, 0xc3};                 // add $0x18,%rsp; ret

// OpenSSL 3.0's SSL_read as Debian's gcc builds it, with `extra` just before the call.
Bytes plain_fn(uint64_t at, uint64_t callee, const Bytes& extra = {}, bool rcx = true)
{
    Asm a(at);
    a.b(kSub18).b(kCanary).b(kNumCheck);
    if (rcx) a.b(kRcxFrame);
    return a.b(kExtendNum).b(extra).call(callee).b(kEpilogue).done();
}

// OpenSSL 3.0's SSL_read_ex.
Bytes ex_fn(uint64_t at, uint64_t callee, const Bytes& extra = {})
{
    return Asm(at).b(kSub8).b(extra).call(callee).b({0x31, 0xd2, 0x48, 0x83, 0xc4, 0x08, 0xc3}).done();
}

FunctionTable table(bool with_ex = true)
{
    FunctionTable t{{"SSL_read", {kRead, Asm::kFnSize}}, {"SSL_write", {kWrite, Asm::kFnSize}}};
    if (with_ex) {
        t["SSL_read_ex"] = {kReadEx, Asm::kFnSize};
        t["SSL_write_ex"] = {kWriteEx, Asm::kFnSize};
    }
    return t;
}

// A libssl.so.3-shaped image; tests then overwrite one piece.
FakeImage libssl3_like()
{
    FakeImage img;
    img.put(kRead, plain_fn(kRead, kReadInternal));
    img.put(kReadEx, ex_fn(kReadEx, kReadInternal));
    img.put(kWrite, plain_fn(kWrite, kWriteInternal));
    img.put(kWriteEx, ex_fn(kWriteEx, kWriteInternal));
    img.put(kReadInternal, kPushR13);
    img.put(kWriteInternal, kPushR13);
    return img;
}

const ProbeSite* site_at(const ProbePlan& plan, uint64_t vaddr)
{
    for (const auto& s : plan.sites)
        if (s.vaddr == vaddr) return &s;
    return nullptr;
}

// The read pair was left at its public functions, for `why`.
void expect_read_public(const ProbePlan& plan, const std::string& why)
{
    EXPECT_EQ(plan.read.kind, Kind::Public) << plan.read.reason;
    EXPECT_NE(plan.read.reason.find(why), std::string::npos) << plan.read.reason;
    const ProbeSite* r = site_at(plan, kRead);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->entry, SslEntry::Read);
    EXPECT_TRUE(r->ret);
    EXPECT_EQ(site_at(plan, kReadInternal), nullptr);
    // The write pair is untouched by a read-side defect.
    EXPECT_EQ(plan.write.kind, Kind::Internal) << plan.write.reason;
}

TEST(SslPlacement, EmulatedFirstInstructions)
{
    struct Case {
        Bytes code;
        bool emulated;
        const char* what;
    } cases[] = {
        {{0x55}, true, "push %rbp"},
        {{0x53}, true, "push %rbx"},
        {{0x41, 0x55}, true, "push %r13"},
        {{0x41, 0x57}, true, "push %r15"},
        {{0x48, 0x53}, false, "push %rbx with REX.W"},
        {{0x66, 0x53}, false, "push %bx"},
        {{0x90}, true, "nop"},
        {{0x66, 0x90}, true, "xchg %ax,%ax"},
        {{0x0f, 0x1f, 0x44, 0x00, 0x00}, false, "nopl 0(%rax,%rax,1)"},
        {{0xf3, 0x0f, 0x1e, 0xfa}, false, "endbr64"},
        {{0xe8, 0, 0, 0, 0}, true, "call rel32"},
        {{0xe9, 0, 0, 0, 0}, true, "jmp rel32"},
        {{0xeb, 0}, true, "jmp rel8"},
        {{0x74, 0}, true, "je rel8"},
        {{0x0f, 0x84, 0, 0, 0, 0}, true, "je rel32"},
        {{0x66, 0xe8, 0, 0}, false, "callw"},
        {{0x48, 0x83, 0xec, 0x18}, false, "sub $0x18,%rsp"},
        {{0x48, 0x85, 0xff}, false, "test %rdi,%rdi"},
        {{0xff, 0x25, 0, 0, 0, 0}, false, "jmp *(%rip) (a PLT entry)"},
        {{0x41}, false, "a lone REX prefix"},
        {{0x0f}, false, "a lone 0f"},
        {{}, false, "nothing"},
    };
    for (const auto& c : cases) EXPECT_EQ(uprobe_emulated(c.code.data(), c.code.size()), c.emulated) << c.what;
}

TEST(SslPlacement, ProbeAddressStepsOverEndbrAndNops)
{
    FakeImage img;
    img.put(0x1000, {0xf3, 0x0f, 0x1e, 0xfa, 0x55});                          // endbr64; push %rbp
    img.put(0x1010, {0xf3, 0x0f, 0x1e, 0xfa, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x41, 0x54});  // + nopl; push %r12
    img.put(0x1030, {0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x83, 0xec, 0x18});        // endbr64; sub
    img.put(0x1040, {0x41, 0x55});                                            // push %r13
    img.put(0x1050, {0x0f, 0x1f, 0x00, 0x0f, 0x1f, 0x00, 0x0f, 0x1f, 0x00, 0x55});  // three nops: too many
    bool e = false;
    EXPECT_EQ(probe_address(img, 0x1000, &e), 0x1004u);
    EXPECT_TRUE(e);
    EXPECT_EQ(probe_address(img, 0x1010, &e), 0x1019u);
    EXPECT_TRUE(e);
    EXPECT_EQ(probe_address(img, 0x1030, &e), 0x1030u);
    EXPECT_FALSE(e);
    EXPECT_EQ(probe_address(img, 0x1040, &e), 0x1040u);
    EXPECT_TRUE(e);
    EXPECT_EQ(probe_address(img, 0x1050, &e), 0x1050u);
    EXPECT_FALSE(e);
    EXPECT_EQ(probe_address(img, 0x9000, &e), 0x9000u);  // not code at all
    EXPECT_FALSE(e);
}

TEST(SslPlacement, Libssl3ShapeMovesBothPairsToTheirInternalFunction)
{
    FakeImage img = libssl3_like();
    ProbePlan plan = plan_ssl_probes(img, table());
    EXPECT_EQ(plan.read.kind, Kind::Internal) << plan.read.reason;
    EXPECT_EQ(plan.read.internal_vaddr, kReadInternal);
    EXPECT_EQ(plan.write.kind, Kind::Internal) << plan.write.reason;
    EXPECT_EQ(plan.write.internal_vaddr, kWriteInternal);
    ASSERT_EQ(plan.sites.size(), 2u);
    const ProbeSite* r = site_at(plan, kReadInternal);
    const ProbeSite* w = site_at(plan, kWriteInternal);
    ASSERT_TRUE(r && w);
    EXPECT_EQ(r->entry, SslEntry::ReadEx);  // SSL_read_ex's semantics: the count in *rcx
    EXPECT_EQ(w->entry, SslEntry::WriteEx);
    EXPECT_TRUE(r->ret && w->ret);
    EXPECT_EQ(site_at(plan, kRead), nullptr);
    EXPECT_EQ(site_at(plan, kReadEx), nullptr);
    EXPECT_NE(plan.read.reason.find("subq $0x18, %rsp (single-stepped)"), std::string::npos) << plan.read.reason;
    EXPECT_NE(plan.read.reason.find("pushq %r13 (emulated)"), std::string::npos) << plan.read.reason;
    EXPECT_NE(obi::ebpf::describe(plan).find("read at the internal function 0x1400"), std::string::npos)
        << obi::ebpf::describe(plan);
}

TEST(SslPlacement, PublicFunctionsThatStartWithAPushAreProbedDirectly)
{
    FakeImage img = libssl3_like();
    img.put(kRead, Asm(kRead).b({0x55, 0x48, 0x89, 0xe5}).b(kNumCheck).b({0x5d, 0xc3}).done());  // node's shape
    img.put(kReadEx, Asm(kReadEx).b({0xf3, 0x0f, 0x1e, 0xfa, 0x41, 0x57, 0x41, 0x5f, 0xc3}).done());  // CET build
    ProbePlan plan = plan_ssl_probes(img, table());
    EXPECT_EQ(plan.read.kind, Kind::Direct) << plan.read.reason;
    const ProbeSite* r = site_at(plan, kRead);
    const ProbeSite* x = site_at(plan, kReadEx + 4);  // past endbr64
    ASSERT_TRUE(r && x);
    EXPECT_EQ(r->entry, SslEntry::Read);
    EXPECT_EQ(x->entry, SslEntry::ReadEx);
    EXPECT_EQ(plan.write.kind, Kind::Internal);  // each pair on its own
}

TEST(SslPlacement, PlainFunctionCallingTheExOneProbesTheExOneOnly)
{
    // SSL_read single-stepped and calling SSL_read_ex, which starts with a push: SSL_read_ex
    // alone sees both.
    FakeImage img = libssl3_like();
    img.put(kRead, plain_fn(kRead, kReadEx));
    img.put(kReadEx, Asm(kReadEx).b(kPushR13).done());
    ProbePlan plan = plan_ssl_probes(img, table());
    EXPECT_EQ(plan.read.kind, Kind::Internal) << plan.read.reason;
    EXPECT_EQ(plan.read.internal_vaddr, kReadEx);
    const ProbeSite* x = site_at(plan, kReadEx);
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->entry, SslEntry::ReadEx);
    EXPECT_EQ(site_at(plan, kRead), nullptr);
    // The same with SSL_read_ex single-stepped: both public functions.
    img.put(kReadEx, ex_fn(kReadEx, kReadInternal));
    img.put(kRead, plain_fn(kRead, kReadEx));
    expect_read_public(plan_ssl_probes(img, table()), "SSL_read_ex, which SSL_read calls, starts with sub");
}

TEST(SslPlacement, ExTailCallCountsAsItsFirstCall)
{
    FakeImage img = libssl3_like();
    img.put(kReadEx, Asm(kReadEx).b({0x48, 0x8b, 0x07}).jmp(kReadInternal).done());  // mov (%rdi),%rax; jmp G
    ProbePlan plan = plan_ssl_probes(img, table());
    EXPECT_EQ(plan.read.kind, Kind::Internal) << plan.read.reason;
    EXPECT_EQ(plan.read.internal_vaddr, kReadInternal);
}

TEST(SslPlacement, InternalFunctionAfterEndbrIsProbedPastIt)
{
    FakeImage img = libssl3_like();
    img.put(kReadInternal, Bytes{0xf3, 0x0f, 0x1e, 0xfa, 0x41, 0x55, 0x41, 0x5d, 0xc3});
    ProbePlan plan = plan_ssl_probes(img, table());
    EXPECT_EQ(plan.read.kind, Kind::Internal) << plan.read.reason;
    EXPECT_EQ(plan.read.internal_vaddr, kReadInternal + 4);
    EXPECT_NE(site_at(plan, kReadInternal + 4), nullptr);
}

TEST(SslPlacement, RefusesWhenAnArgumentRegisterIsWritten)
{
    struct Case {
        const char* name;
        Bytes plain_extra, ex_extra;
        const char* why;
    } cases[] = {
        {"mov %rbx,%rdi", {0x48, 0x89, 0xdf}, {}, "writes %rdi"},
        {"xor %esi,%esi", {0x31, 0xf6}, {}, "writes %rsi"},
        {"mov %dil,...: mov %al,%dil", {0x40, 0x88, 0xc7}, {}, "writes %rdi"},
        {"mov $0x10,%edx", {0xba, 0x10, 0, 0, 0}, {}, "writes %rdx"},
        {"mov %rbx,%rcx after the frame pointer", {0x48, 0x89, 0xd9}, {}, "writes %rcx"},
        {"ex: lea 8(%rsp),%rcx", {}, {0x48, 0x8d, 0x4c, 0x24, 0x08}, "SSL_read_ex: it writes %rcx"},
        {"ex: movslq %edx,%rdx", {}, {0x48, 0x63, 0xd2}, "SSL_read_ex: it writes %rdx"},
        {"ex: pop %rsi", {}, {0x5e}, "SSL_read_ex: it writes %rsi"},
        {"ex: rep movsb (implicit rdi/rsi/rcx)", {}, {0xf3, 0xa4}, "SSL_read_ex: it writes"},
        {"ex: xchg %rdi,%rax", {}, {0x48, 0x97}, "SSL_read_ex: it writes %rdi"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        FakeImage img = libssl3_like();
        img.put(kRead, plain_fn(kRead, kReadInternal, c.plain_extra));
        img.put(kReadEx, ex_fn(kReadEx, kReadInternal, c.ex_extra));
        expect_read_public(plan_ssl_probes(img, table()), c.why);
    }
}

TEST(SslPlacement, RefusesAPlainFunctionWithoutACountInItsFrame)
{
    FakeImage img = libssl3_like();
    img.put(kRead, plain_fn(kRead, kReadInternal, {}, false));
    expect_read_public(plan_ssl_probes(img, table()), "does not point %rcx at a count");
    // lea 8(%rsp),%rcx and lea -0x20(%rbp),%rcx are frames too.
    for (const Bytes& lea : {Bytes{0x48, 0x8d, 0x4c, 0x24, 0x08}, Bytes{0x48, 0x8d, 0x4d, 0xe0}}) {
        img.put(kRead, plain_fn(kRead, kReadInternal, lea, false));
        EXPECT_EQ(plan_ssl_probes(img, table()).read.kind, Kind::Internal);
    }
    // ...but not an index or a segment: lea (%rsp,%rax,1),%rcx
    img.put(kRead, plain_fn(kRead, kReadInternal, {0x48, 0x8d, 0x0c, 0x04}, false));
    expect_read_public(plan_ssl_probes(img, table()), "writes %rcx");
}

TEST(SslPlacement, RefusesABranchThatMayBypassTheCall)
{
    struct Case {
        const char* name;
        Bytes code;  // SSL_read's beginning, before its rcx/rdx setup and the call
    } cases[] = {
        // OpenSSL 3.2's QUIC dispatch: a test of the object's type, then elsewhere.
        {"test $0x80,%al; jne", {0x48, 0x83, 0xec, 0x18, 0xa8, 0x80, 0x75, 0x40}},
        {"test %edx,%edx; xor; js (flags not from num any more)", {0x85, 0xd2, 0x31, 0xc0, 0x78, 0x30}},
        {"cmp $1,%edx; jl", {0x83, 0xfa, 0x01, 0x7c, 0x30}},
        {"test %edx,%edx; js backward", {0x48, 0x83, 0xec, 0x18, 0x85, 0xd2, 0x78, 0xf0}},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        FakeImage img = libssl3_like();
        img.put(kRead, Asm(kRead).b(c.code).b(kRcxFrame).b(kExtendNum).call(kReadInternal).b(kEpilogue).done());
        expect_read_public(plan_ssl_probes(img, table()), "branches");
    }
    // The num < 0 exit is accepted in its other forms: cmp $0,%edx and, after movslq, test %rdx,%rdx.
    for (const Bytes& check : {Bytes{0x83, 0xfa, 0x00, 0x78, 0x30}, Bytes{0x48, 0x63, 0xd2, 0x48, 0x85, 0xd2, 0x78, 0x30}}) {
        FakeImage img = libssl3_like();
        img.put(kRead, Asm(kRead).b(kSub18).b(check).b(kRcxFrame).call(kReadInternal).b(kEpilogue).done());
        EXPECT_EQ(plan_ssl_probes(img, table()).read.kind, Kind::Internal);
    }
}

TEST(SslPlacement, RefusesWhenThePairDoesNotCallOneFunction)
{
    FakeImage img = libssl3_like();
    img.put(kReadEx, ex_fn(kReadEx, kWriteInternal));
    expect_read_public(plan_ssl_probes(img, table()), "SSL_read calls 0x1400 first, SSL_read_ex calls 0x1500");
}

TEST(SslPlacement, RefusesAnInternalFunctionThatIsSingleStepped)
{
    FakeImage img = libssl3_like();
    img.put(kReadInternal, Bytes{0x48, 0x83, 0xec, 0x08, 0xc3});
    expect_read_public(plan_ssl_probes(img, table()), "starts with subq $8, %rsp (single-stepped)");
}

TEST(SslPlacement, RefusesWithoutTheExFunction)
{
    FakeImage img = libssl3_like();
    ProbePlan plan = plan_ssl_probes(img, table(false));
    EXPECT_EQ(plan.read.kind, Kind::Public);
    EXPECT_NE(plan.read.reason.find("no SSL_read_ex"), std::string::npos) << plan.read.reason;
    EXPECT_EQ(plan.write.kind, Kind::Public);
    ASSERT_EQ(plan.sites.size(), 2u);
    EXPECT_NE(site_at(plan, kRead), nullptr);
    EXPECT_NE(site_at(plan, kWrite), nullptr);
}

TEST(SslPlacement, RefusesACallOutOfTheCodeSection)
{
    FakeImage img = libssl3_like();
    img.put(kPlt, Bytes{0x41, 0x55, 0xc3});  // even an emulated start: a PLT is an import
    img.put(kRead, plain_fn(kRead, kPlt));
    img.put(kReadEx, ex_fn(kReadEx, kPlt));
    expect_read_public(plan_ssl_probes(img, table()), "not a function of their code section");
    img.put(kRead, plain_fn(kRead, 0x9000));  // nowhere
    img.put(kReadEx, ex_fn(kReadEx, 0x9000));
    expect_read_public(plan_ssl_probes(img, table()), "not a function of their code section");
}

TEST(SslPlacement, RefusesWhenTheCalleeIsAnotherApiFunction)
{
    FakeImage img = libssl3_like();
    img.put(kRead, plain_fn(kRead, kWrite));
    img.put(kReadEx, ex_fn(kReadEx, kWrite));
    img.put(kWrite, Asm(kWrite).b(kPushR13).done());
    ProbePlan plan = plan_ssl_probes(img, table());
    EXPECT_EQ(plan.read.kind, Kind::Public) << plan.read.reason;
    EXPECT_NE(plan.read.reason.find("is SSL_write"), std::string::npos) << plan.read.reason;
}

TEST(SslPlacement, RefusesControlFlowItCannotFollow)
{
    struct Case {
        const char* name;
        Bytes ex_code;  // SSL_read_ex's whole beginning
        const char* why;
    } cases[] = {
        {"indirect call", {0x48, 0x83, 0xec, 0x08, 0xff, 0xd0}, "first call is indirect"},
        {"ret first", {0x48, 0x83, 0xec, 0x08, 0x48, 0x83, 0xc4, 0x08, 0xc3}, "reaches ret"},
        {"backward branch", {0x48, 0x83, 0xec, 0x08, 0x75, 0xfc}, "branches"},
        {"ex: any branch, even on num", {0x48, 0x83, 0xec, 0x08, 0x48, 0x85, 0xd2, 0x78, 0x10}, "branches"},
        {"jmp within itself", {0x48, 0x83, 0xec, 0x08, 0xeb, 0x02, 0xcc, 0xcc}, "jumps"},
        {"indirect jump", {0x48, 0x83, 0xec, 0x08, 0xff, 0xe0}, "jumps"},
        {"loop (writes rcx)", {0x48, 0x83, 0xec, 0x08, 0xe2, 0x10}, "writes %rcx"},
        {"undecodable byte", {0x48, 0x83, 0xec, 0x08, 0x06}, "undecodable"},
        {"ud2", {0x48, 0x83, 0xec, 0x08, 0x0f, 0x0b}, "reaches ud2"},
        {"syscall", {0x48, 0x83, 0xec, 0x08, 0x0f, 0x05}, "reaches syscall"},
        {"int3 padding only", {0x48, 0x83, 0xec, 0x08}, "reaches int3"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        FakeImage img = libssl3_like();
        img.put(kReadEx, Asm(kReadEx).b(c.ex_code).done());
        expect_read_public(plan_ssl_probes(img, table()), c.why);
    }
    // No call at all in what may be decoded: 32 harmless instructions, then the call.
    FakeImage img = libssl3_like();
    Asm a(kReadEx);
    a.b(kSub8);
    for (int i = 0; i < 40; i++) a.b({0x31, 0xc0});  // xor %eax,%eax
    img.put(kReadEx, a.call(kReadInternal).b({0xc3}).done(0x100));
    FunctionTable t = table();
    t["SSL_read_ex"].size = 0x100;
    expect_read_public(plan_ssl_probes(img, t), "no call in its first 32 instructions");
    // A function whose symbol size ends before its call.
    img.put(kReadEx, ex_fn(kReadEx, kReadInternal));
    t["SSL_read_ex"].size = 4;
    expect_read_public(plan_ssl_probes(img, t), "no call in its first 4 bytes");
}

TEST(SslPlacement, NotMovingPutsEveryProbeAtItsEntry)
{
    FakeImage img = libssl3_like();
    FunctionTable t = table();
    t["SSL_free"] = {0x1600, 0x10};
    t["SSL_do_handshake"] = {0x1610, 0x10};
    img.put(0x1610, Bytes{0xf3, 0x0f, 0x1e, 0xfa, 0x53, 0x5b, 0xc3});
    ProbePlan plan = plan_ssl_probes(img, t, false);
    ASSERT_EQ(plan.sites.size(), 6u);
    for (uint64_t v : {kRead, kReadEx, kWrite, kWriteEx, uint64_t{0x1600}, uint64_t{0x1610}})
        EXPECT_NE(site_at(plan, v), nullptr) << v;
    // Moving: SSL_do_handshake past its endbr64, SSL_free (int3 here: single-stepped) stays.
    plan = plan_ssl_probes(img, t);
    EXPECT_NE(site_at(plan, 0x1614), nullptr);
    const ProbeSite* f = site_at(plan, 0x1600);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->entry, SslEntry::Free);
    EXPECT_FALSE(f->ret);
}

// Random machine code in every function: never a crash, and a moved probe only ever lands
// on an emulated instruction of the code section.
TEST(SslPlacement, RandomCodeNeverMovesAProbeUnsafely)
{
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> byte(0, 255);
    int moved = 0;
    for (int iter = 0; iter < 3000; iter++) {
        FakeImage img = libssl3_like();
        for (uint64_t at : {kRead, kReadEx, kReadInternal}) {
            if (byte(rng) < 96) continue;  // keep some realistic pieces
            Bytes junk(Asm::kFnSize);
            for (auto& b : junk) b = static_cast<uint8_t>(byte(rng));
            if (byte(rng) < 128) {  // a real call somewhere in it
                size_t pos = static_cast<size_t>(byte(rng)) % (Asm::kFnSize - 5);
                Bytes call = Asm(at + pos).call(kReadInternal).done(5);
                std::copy(call.begin(), call.end(), junk.begin() + static_cast<long>(pos));
            }
            img.put(at, junk);
        }
        ProbePlan plan = plan_ssl_probes(img, table());
        ASSERT_FALSE(plan.sites.empty());
        if (plan.read.kind == Kind::Internal) {
            moved++;
            uint8_t b[16];
            size_t n = img.read(plan.read.internal_vaddr, b, sizeof(b));
            EXPECT_TRUE(uprobe_emulated(b, n)) << plan.read.reason;
            EXPECT_TRUE(img.same_section(plan.read.internal_vaddr, kRead));
        }
        for (const auto& s : plan.sites) EXPECT_GT(s.vaddr, 0u);
    }
    EXPECT_GT(moved, 0);  // the realistic pieces still move
}

// --- Real files of this machine ---

const char* kLibssl = "/usr/lib/x86_64-linux-gnu/libssl.so.3";

// The targets of every `e8 rel32` in [vaddr, vaddr + n): an independent check of the callee.
std::vector<uint64_t> e8_targets(const CodeReader& code, uint64_t vaddr, size_t n)
{
    std::vector<uint8_t> b(n);
    n = code.read(vaddr, b.data(), n);
    std::vector<uint64_t> out;
    for (size_t i = 0; i + 5 <= n; i++) {
        if (b[i] != 0xe8) continue;
        int32_t rel;
        memcpy(&rel, &b[i + 1], 4);
        out.push_back(vaddr + i + 5 + static_cast<int64_t>(rel));
    }
    return out;
}

TEST(SslPlacement, RealLibssl3ProbesItsInternalReadAndWriteFunctions)
{
    if (!std::filesystem::exists(kLibssl)) GTEST_SKIP() << kLibssl << " is not installed (libssl3)";
    ElfImage img;
    std::string error;
    ASSERT_TRUE(img.open(kLibssl, &error)) << error;
    FunctionTable fns = img.functions({"SSL_read", "SSL_read_ex", "SSL_write", "SSL_write_ex", "SSL_do_handshake",
                                       "SSL_shutdown", "SSL_free"});
    ASSERT_EQ(fns.size(), 7u);
    ProbePlan plan = plan_ssl_probes(img, fns);
    SCOPED_TRACE(obi::ebpf::describe(plan));
    for (auto [pair, plain, ex] : {std::tuple{&plan.read, "SSL_read", "SSL_read_ex"},
                                   std::tuple{&plan.write, "SSL_write", "SSL_write_ex"}}) {
        ASSERT_EQ(pair->kind, Kind::Internal) << plain << ": " << pair->reason;
        uint64_t g = pair->internal_vaddr;
        EXPECT_NE(g, fns[plain].vaddr);
        EXPECT_NE(g, fns[ex].vaddr);
        // Both public functions call it (found by a byte scan, not by the decoder under test).
        for (const char* f : {plain, ex}) {
            auto t = e8_targets(img, fns[f].vaddr, fns[f].size);
            EXPECT_NE(std::find(t.begin(), t.end(), g), t.end()) << f << " does not call " << g;
        }
        uint8_t b[2];
        ASSERT_EQ(img.read(g, b, 2), 2u);
        EXPECT_TRUE((b[0] >= 0x50 && b[0] <= 0x57) || (b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57))
            << "not a push: " << int(b[0]);
        // The public functions start with single-stepped instructions: that is why.
        bool e = true;
        probe_address(img, fns[plain].vaddr, &e);
        EXPECT_FALSE(e) << plain;
        EXPECT_EQ(site_at(plan, fns[plain].vaddr), nullptr);
        EXPECT_EQ(site_at(plan, fns[ex].vaddr), nullptr);
        uint64_t off = 0;
        EXPECT_TRUE(img.file_offset(g, &off));
    }
    // 2 moved pairs + handshake, shutdown, free.
    EXPECT_EQ(plan.sites.size(), 5u);
    EXPECT_EQ(site_at(plan, plan.read.internal_vaddr)->entry, SslEntry::ReadEx);
    EXPECT_EQ(site_at(plan, plan.write.internal_vaddr)->entry, SslEntry::WriteEx);
    EXPECT_NE(site_at(plan, fns["SSL_do_handshake"].vaddr), nullptr);
    EXPECT_NE(site_at(plan, fns["SSL_free"].vaddr), nullptr);
}

TEST(SslPlacement, RealNodeProbesItsPublicFunctionsDirectly)
{
    if (!std::filesystem::exists("/usr/bin/node")) GTEST_SKIP() << "node is not installed";
    ElfImage img;
    std::string error;
    ASSERT_TRUE(img.open("/usr/bin/node", &error)) << error;
    FunctionTable fns = img.functions({"SSL_read", "SSL_read_ex", "SSL_write", "SSL_write_ex"});
    if (fns.size() != 4) GTEST_SKIP() << "this node does not carry OpenSSL 3's API";
    ProbePlan plan = plan_ssl_probes(img, fns);
    SCOPED_TRACE(obi::ebpf::describe(plan));
    EXPECT_EQ(plan.read.kind, Kind::Direct) << plan.read.reason;
    EXPECT_EQ(plan.write.kind, Kind::Direct) << plan.write.reason;
    for (const auto& [name, f] : fns) {
        const ProbeSite* s = site_at(plan, f.vaddr);
        ASSERT_NE(s, nullptr) << name;
        uint8_t b[1];
        ASSERT_EQ(img.read(f.vaddr, b, 1), 1u);
        EXPECT_EQ(b[0], 0x55) << name << " (push %rbp in node 20's build)";
    }
}

TEST(SslPlacement, ElfCodeReadsStayInTheirSection)
{
    if (!std::filesystem::exists(kLibssl)) GTEST_SKIP() << kLibssl << " is not installed (libssl3)";
    ElfImage img;
    std::string error;
    ASSERT_TRUE(img.open(kLibssl, &error)) << error;
    FunctionTable fns = img.functions({"SSL_read", "SSL_write"});
    ASSERT_EQ(fns.size(), 2u);
    EXPECT_TRUE(img.same_section(fns["SSL_read"].vaddr, fns["SSL_write"].vaddr));
    uint8_t b[64];
    EXPECT_EQ(img.read(0, b, sizeof(b)), 0u);  // the ELF header is not code
    EXPECT_EQ(img.read(~0ull - 8, b, sizeof(b)), 0u);
    // The bytes read are the file's (at the symbol's file offset).
    uint64_t off = 0;
    ASSERT_TRUE(img.file_offset(fns["SSL_read"].vaddr, &off));
    ASSERT_EQ(img.read(fns["SSL_read"].vaddr, b, 16), 16u);
    FILE* f = fopen(kLibssl, "rb");
    ASSERT_NE(f, nullptr);
    uint8_t want[16];
    ASSERT_EQ(fseek(f, static_cast<long>(off), SEEK_SET), 0);
    ASSERT_EQ(fread(want, 1, 16, f), 16u);
    fclose(f);
    EXPECT_EQ(memcmp(b, want, 16), 0);
}

}  // namespace
