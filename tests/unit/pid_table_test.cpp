// PidTable: the slot rules of the traced-process table from user space, on an ordinary array
// and map in place of the kernel's (the kernel programs follow the same rules; the
// integration test test_discovery.py::test_processes_sharing_table_slots runs them with a
// one-slot table).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "ebpf/pid_table.h"

using obi::ebpf::PidOverflow;
using obi::ebpf::PidTable;

namespace {

class MapOverflow : public PidOverflow {
public:
    bool lookup(uint32_t pid, obi_pid_info* out) const override
    {
        auto it = entries.find(pid);
        if (it == entries.end()) return false;
        *out = it->second;
        return true;
    }
    bool update(uint32_t pid, const obi_pid_info& info) override
    {
        entries[pid] = info;
        return true;
    }
    void erase(uint32_t pid) override { entries.erase(pid); }
    std::vector<uint32_t> keys() const override
    {
        std::vector<uint32_t> out;
        for (const auto& [pid, info] : entries) out.push_back(pid);
        return out;
    }
    std::map<uint32_t, obi_pid_info> entries;
};

struct Table {
    explicit Table(size_t n) : slots(n) {}
    std::vector<obi_pid_info> slots;
    MapOverflow overflow;
    PidTable table{slots, overflow};
    std::vector<uint32_t> sorted_pids() const
    {
        auto v = table.pids();
        std::sort(v.begin(), v.end());
        return v;
    }
};

TEST(PidTable, APidGoesToTheSlotOfItsLowBits)
{
    Table t(8);
    EXPECT_TRUE(t.table.add(13));
    EXPECT_EQ(t.slots[5].tgid, 13u);
    EXPECT_EQ(t.slots[5].flags, 0u);
    EXPECT_TRUE(t.table.contains(13));
    EXPECT_FALSE(t.table.contains(5));
    EXPECT_FALSE(t.table.contains(21));
    EXPECT_TRUE(t.overflow.entries.empty());
    t.table.remove(13);
    EXPECT_FALSE(t.table.contains(13));
    EXPECT_EQ(t.slots[5].tgid, 0u);
}

TEST(PidTable, PidsSharingASlotGoToTheOverflowAndTheSlotIsMarked)
{
    Table t(8);
    ASSERT_TRUE(t.table.add(5));
    ASSERT_TRUE(t.table.add(13));
    ASSERT_TRUE(t.table.add(21));
    EXPECT_EQ(t.slots[5].tgid, 5u | OBI_PID_SLOT_SHARED);
    EXPECT_EQ(t.overflow.entries.size(), 2u);
    EXPECT_EQ(t.overflow.entries[13].tgid, 13u);
    for (uint32_t pid : {5u, 13u, 21u}) EXPECT_TRUE(t.table.contains(pid)) << pid;
    EXPECT_FALSE(t.table.contains(29));
    EXPECT_EQ(t.sorted_pids(), (std::vector<uint32_t>{5, 13, 21}));

    // The owner leaves: the mark stays, the others are still found.
    t.table.remove(5);
    EXPECT_EQ(t.slots[5].tgid, OBI_PID_SLOT_SHARED);
    EXPECT_FALSE(t.table.contains(5));
    EXPECT_TRUE(t.table.contains(13));
    EXPECT_TRUE(t.table.contains(21));

    // A pid in the overflow is not copied into the free slot when added again.
    ASSERT_TRUE(t.table.add(13));
    EXPECT_EQ(t.slots[5].tgid, OBI_PID_SLOT_SHARED);
    EXPECT_EQ(t.overflow.entries.count(13), 1u);

    // A new pid takes the free slot and keeps the mark.
    ASSERT_TRUE(t.table.add(29));
    EXPECT_EQ(t.slots[5].tgid, 29u | OBI_PID_SLOT_SHARED);
    t.table.remove(13);
    t.table.remove(21);
    EXPECT_TRUE(t.overflow.entries.empty());
    EXPECT_EQ(t.sorted_pids(), (std::vector<uint32_t>{29}));
}

TEST(PidTable, ConfirmingKeepsWhatTheKernelLearntAndDropsProvisional)
{
    Table t(4);
    // Entries the kernel wrote: a provisional exec (slot) and one that serves and uses TLS (overflow).
    t.slots[1] = {OBI_PID_PROVISIONAL | OBI_PID_SERVES, 9};
    t.slots[1].tgid |= OBI_PID_SLOT_SHARED;
    t.overflow.entries[5] = {OBI_PID_PROVISIONAL | OBI_PID_SSL_CALLS, 5};
    ASSERT_TRUE(t.table.add(9));
    ASSERT_TRUE(t.table.add(5));
    EXPECT_EQ(t.slots[1].flags, static_cast<uint32_t>(OBI_PID_SERVES));
    EXPECT_EQ(t.slots[1].tgid, 9u | OBI_PID_SLOT_SHARED);
    EXPECT_EQ(t.overflow.entries[5].flags, static_cast<uint32_t>(OBI_PID_SSL_CALLS));
}

TEST(PidTable, PidZeroIsNeverTraced)
{
    Table t(4);
    EXPECT_FALSE(t.table.add(0));
    EXPECT_FALSE(t.table.contains(0));  // a free slot's owner is 0
    t.table.remove(0);
    EXPECT_TRUE(t.table.pids().empty());
}

TEST(PidTable, RemovingDropsACopyLeftInTheOverflow)
{
    Table t(4);
    // Two writers raced: the pid is in its slot and in the overflow.
    t.slots[2] = {0, 6 | OBI_PID_SLOT_SHARED};
    t.overflow.entries[6] = {0, 6};
    t.table.remove(6);
    EXPECT_FALSE(t.table.contains(6));
    EXPECT_TRUE(t.overflow.entries.empty());
}

TEST(PidTable, AOneSlotTableHoldsEveryPid)
{
    Table t(1);
    for (uint32_t pid = 100; pid < 200; pid++) ASSERT_TRUE(t.table.add(pid));
    for (uint32_t pid = 100; pid < 200; pid++) ASSERT_TRUE(t.table.contains(pid)) << pid;
    EXPECT_EQ(t.table.pids().size(), 100u);
    for (uint32_t pid = 100; pid < 200; pid += 2) t.table.remove(pid);
    for (uint32_t pid = 100; pid < 200; pid++) EXPECT_EQ(t.table.contains(pid), pid % 2 == 1) << pid;
}

}  // namespace
