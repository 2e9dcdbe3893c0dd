// Open-addressing hash index from a series hash to the first series with that hash (equal
// hashes chain through Series::next): one contiguous probe per recording instead of the
// node hops of std::unordered_map. Linear probing, load factor <= 1/2, backward-shift erase.
#pragma once

#include <cstdint>
#include <vector>

#include "metrics/series.h"

namespace obi::metrics {

class SeriesIndex {
public:
    Series* find(uint64_t hash) const
    {
        if (slots_.empty()) return nullptr;
        for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
            const Slot& s = slots_[i];
            if (!s.head) return nullptr;
            if (s.hash == hash) return s.head;
        }
    }

    // Makes `head` the first series for `hash` (inserting the hash if new).
    void set(uint64_t hash, Series* head)
    {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        size_t i = hash & mask_;
        for (; slots_[i].head; i = (i + 1) & mask_) {
            if (slots_[i].hash == hash) {
                slots_[i].head = head;
                return;
            }
        }
        slots_[i] = {hash, head};
        size_++;
    }

    void erase(uint64_t hash)
    {
        if (slots_.empty()) return;
        size_t i = hash & mask_;
        while (slots_[i].head && slots_[i].hash != hash) i = (i + 1) & mask_;
        if (!slots_[i].head) return;
        // Shift later members of the probe run back so that lookups never stop early.
        for (size_t j = (i + 1) & mask_; slots_[j].head; j = (j + 1) & mask_) {
            size_t home = slots_[j].hash & mask_;
            bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
            if (movable) {
                slots_[i] = slots_[j];
                i = j;
            }
        }
        slots_[i] = Slot{};
        size_--;
    }

    size_t size() const { return size_; }

private:
    struct Slot {
        uint64_t hash = 0;
        Series* head = nullptr;  // nullptr: empty slot
    };

    void grow()
    {
        std::vector<Slot> old = std::move(slots_);
        slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
        mask_ = slots_.size() - 1;
        size_ = 0;
        for (const Slot& s : old)
            if (s.head) set(s.hash, s.head);
    }

    std::vector<Slot> slots_;
    size_t mask_ = 0;
    size_t size_ = 0;
};

}  // namespace obi::metrics
