// PidTable: the same slot rules as bpf/lib/pids.h, applied from user space.
#include "ebpf/pid_table.h"

#include <atomic>
#include <cstddef>

namespace obi::ebpf {
namespace {

uint32_t flags_of(uint64_t word) { return static_cast<uint32_t>(word); }
uint32_t owner_of(uint64_t word) { return static_cast<uint32_t>(word >> 32) & ~OBI_PID_SLOT_SHARED; }
uint32_t shared_of(uint64_t word) { return static_cast<uint32_t>(word >> 32) & OBI_PID_SLOT_SHARED; }

// Confirmed by discovery: no longer provisional; the flags the kernel learnt stay.
uint32_t confirmed(uint32_t flags) { return flags & OBI_PID_KERNEL_LEARNT; }

}  // namespace

static_assert(sizeof(obi_pid_info) == sizeof(uint64_t) && offsetof(obi_pid_info, tgid) == 4,
              "a pid slot is one 64-bit word: flags low, owner high");

PidTable::PidTable(std::span<obi_pid_info> slots, PidOverflow& overflow)
    : slots_(slots), mask_(static_cast<uint32_t>(slots.size()) - 1), overflow_(overflow)
{
}

uint64_t PidTable::load(uint32_t idx) const
{
    return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(&slots_[idx])).load(std::memory_order_acquire);
}

void PidTable::store(uint32_t idx, uint32_t flags, uint32_t tgid)
{
    uint64_t word = (static_cast<uint64_t>(tgid) << 32) | flags;
    std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t*>(&slots_[idx])).store(word, std::memory_order_release);
}

bool PidTable::add(uint32_t pid)
{
    if (pid == 0) return false;
    uint32_t idx = index(pid);
    uint64_t w = load(idx);
    uint32_t owner = owner_of(w), shared = shared_of(w);
    if (owner == pid) {
        store(idx, confirmed(flags_of(w)), pid | shared);
        return true;
    }
    obi_pid_info info{};
    bool listed = shared && overflow_.lookup(pid, &info);
    if (owner == 0 && !listed) {
        store(idx, 0, pid | shared);
        return true;
    }
    if (owner != 0) store(idx, flags_of(w), owner | OBI_PID_SLOT_SHARED);  // before the insert
    info.flags = listed ? confirmed(info.flags) : 0;
    info.tgid = pid;
    return overflow_.update(pid, info);
}

void PidTable::remove(uint32_t pid)
{
    if (pid == 0) return;
    uint32_t idx = index(pid);
    uint64_t w = load(idx);
    if (owner_of(w) == pid) store(idx, 0, shared_of(w));
    if (shared_of(w)) overflow_.erase(pid);  // also a copy two racing writers left there
}

bool PidTable::contains(uint32_t pid) const
{
    if (pid == 0) return false;
    uint64_t w = load(index(pid));
    if (owner_of(w) == pid) return true;
    obi_pid_info info{};
    return shared_of(w) && overflow_.lookup(pid, &info);
}

std::vector<uint32_t> PidTable::pids() const
{
    std::vector<uint32_t> out;
    for (uint32_t i = 0; i < slots_.size(); i++)
        if (uint32_t owner = owner_of(load(i))) out.push_back(owner);
    for (uint32_t pid : overflow_.keys()) out.push_back(pid);
    return out;
}

}  // namespace obi::ebpf
