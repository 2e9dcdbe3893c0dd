/* The traced processes, as the kernel programs see them. Every socket call of every process
 * asks "is this process traced?", so the answer is an inlined array lookup (no helper call):
 * obi_pid_slots holds a process in the slot of its tgid's low bits. A process whose slot
 * another traced process holds goes to the hash map obi_pid_filter, and the slot is marked
 * shared (it stays marked: a later lookup there also asks the hash map). User space writes
 * the slots through a memory mapping (src/ebpf/pid_table.cpp) with the same rules. */
#ifndef OBI_BPF_PIDS_H
#define OBI_BPF_PIDS_H

#include "common.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, OBI_PID_SLOTS_MAX);
    __type(key, __u32);
    __type(value, struct obi_pid_info);
} obi_pid_slots SEC(".maps");

/* The processes whose slot is held by another one, keyed by tgid (root pid namespace). */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, __u32);
    __type(value, struct obi_pid_info);
} obi_pid_filter SEC(".maps");

static __always_inline struct obi_pid_info *pids__slot(__u32 pid)
{
    __u32 idx = pid & obi_pid_slot_mask;
    return bpf_map_lookup_elem(&obi_pid_slots, &idx);
}

/* The entry of a traced process (its flags may be changed in place), or NULL. */
static __always_inline struct obi_pid_info *pids__find(__u32 pid)
{
    struct obi_pid_info *s = pids__slot(pid);
    if (!s)
        return NULL;
    __u32 owner = s->tgid;
    if ((owner & ~OBI_PID_SLOT_SHARED) == pid && pid != 0)
        return s;
    if (likely(!(owner & OBI_PID_SLOT_SHARED)))
        return NULL;
    return bpf_map_lookup_elem(&obi_pid_filter, &pid);
}

/* Traces a process with these flags; an entry it has already is rewritten, or kept when
 * keep_existing. Not atomic against a writer of the same slot on another CPU (two
 * processes whose tgids share the low bits, added in the same instant): one may be lost,
 * and discovery adds it again at its next scan. */
static __always_inline void pids__add(__u32 pid, __u32 flags, bool keep_existing)
{
    struct obi_pid_info *s = pids__slot(pid);
    if (!s || pid == 0)
        return;
    __u32 owner = s->tgid;
    __u32 shared = owner & OBI_PID_SLOT_SHARED;
    owner &= ~OBI_PID_SLOT_SHARED;
    if (owner == pid) {
        if (!keep_existing)
            s->flags = flags;
        return;
    }
    if (owner == 0) {
        /* A free slot; with the mark, the process may be in the hash map already. */
        struct obi_pid_info *o = shared ? bpf_map_lookup_elem(&obi_pid_filter, &pid) : NULL;
        if (o) {
            if (!keep_existing)
                o->flags = flags;
            return;
        }
        s->flags = flags; /* before the owner: a reader that finds the owner finds its flags */
        s->tgid = pid | shared;
        return;
    }
    s->tgid = owner | OBI_PID_SLOT_SHARED; /* before the insert: a reader never misses it */
    struct obi_pid_info v = {.flags = flags, .tgid = pid};
    bpf_map_update_elem(&obi_pid_filter, &pid, &v, keep_existing ? BPF_NOEXIST : BPF_ANY);
}

/* Forgets a process; false when it was not traced. */
static __always_inline bool pids__remove(__u32 pid)
{
    struct obi_pid_info *s = pids__slot(pid);
    if (!s || pid == 0)
        return false;
    __u32 owner = s->tgid;
    bool found = false;
    if ((owner & ~OBI_PID_SLOT_SHARED) == pid) {
        s->tgid = owner & OBI_PID_SLOT_SHARED;
        s->flags = 0;
        found = true;
    }
    /* also a copy that two racing writers left in the hash map */
    if ((owner & OBI_PID_SLOT_SHARED) && bpf_map_delete_elem(&obi_pid_filter, &pid) == 0)
        found = true;
    return found;
}

#endif
