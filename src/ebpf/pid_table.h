// PidTable: user space's side of the kernel's traced-process table (bpf/lib/pids.h): the
// slots array, memory-mapped, plus the hash map of processes whose slot another one holds.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "obi_events.h"

namespace obi::ebpf {

// Where processes go whose slot is taken: the kernel's obi_pid_filter hash map (or, in
// tests, an ordinary map).
class PidOverflow {
public:
    virtual ~PidOverflow() = default;
    virtual bool lookup(uint32_t pid, obi_pid_info* out) const = 0;
    virtual bool update(uint32_t pid, const obi_pid_info& info) = 0;
    virtual void erase(uint32_t pid) = 0;
    virtual std::vector<uint32_t> keys() const = 0;
};

class PidTable {
public:
    // `slots`: the mapped array, a power of two entries, shared with the kernel programs.
    PidTable(std::span<obi_pid_info> slots, PidOverflow& overflow);

    // Traces pid, confirmed (not provisional); what the kernel learnt about it stays.
    bool add(uint32_t pid);
    void remove(uint32_t pid);
    bool contains(uint32_t pid) const;
    std::vector<uint32_t> pids() const;  // every traced pid, slots first

private:
    // A slot is read and written as one 64-bit word: the kernel never sees half of a write.
    uint64_t load(uint32_t idx) const;
    void store(uint32_t idx, uint32_t flags, uint32_t tgid);
    uint32_t index(uint32_t pid) const { return pid & mask_; }

    std::span<obi_pid_info> slots_;
    uint32_t mask_;
    PidOverflow& overflow_;
};

}  // namespace obi::ebpf
