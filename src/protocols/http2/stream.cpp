// StreamTable: slots + open-addressing index (linear probing, backward-shift deletion) + a
// queue of ids in open order for eviction, compacted when stale ids pile up.
#include "protocols/http2/stream.h"

#include <utility>

namespace obi::http2 {

Stream* StreamTable::find(uint32_t id)
{
    if (index_.empty()) return nullptr;
    for (size_t i = probe(id);; i = (i + 1) & (index_.size() - 1)) {
        const Entry& e = index_[i];
        if (e.slot == 0) return nullptr;
        if (e.id == id) return &slots_[e.slot - 1].s;
    }
}

void StreamTable::grow_index()
{
    std::vector<Entry> old = std::move(index_);
    index_.assign(old.empty() ? 16 : old.size() * 2, Entry{});
    for (const Entry& e : old)
        if (e.slot) index_insert(e.id, e.slot);
}

void StreamTable::index_insert(uint32_t id, uint32_t slot)
{
    size_t i = probe(id);
    while (index_[i].slot != 0 && index_[i].id != id) i = (i + 1) & (index_.size() - 1);
    index_[i] = {id, slot};
}

void StreamTable::index_erase(uint32_t id)
{
    const size_t mask = index_.size() - 1;
    size_t i = probe(id);
    while (index_[i].slot != 0 && index_[i].id != id) i = (i + 1) & mask;
    if (index_[i].slot == 0) return;
    // Backward shift: move later entries of the run into the hole when their home allows it.
    for (size_t j = (i + 1) & mask; index_[j].slot != 0; j = (j + 1) & mask) {
        size_t home = probe(index_[j].id);
        bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            index_[i] = index_[j];
            i = j;
        }
    }
    index_[i] = Entry{};
}

Stream& StreamTable::open(uint32_t id, bool& evicted)
{
    evicted = false;
    if (Stream* dup = find(id)) remove(dup);  // an id is opened once; a repeat replaces the old state
    if (live_ >= kMaxStreams) {
        while (order_head_ < order_.size()) {  // the oldest stream still open
            Stream* old = find(order_[order_head_++]);
            if (!old) continue;
            remove(old);
            evicted = true;
            break;
        }
    }
    if (order_.size() - order_head_ > 4 * kMaxStreams || order_head_ > 4 * kMaxStreams) {  // drop stale ids
        size_t w = 0;
        for (size_t r = order_head_; r < order_.size(); r++)
            if (find(order_[r])) order_[w++] = order_[r];
        order_.resize(w);
        order_head_ = 0;
    }
    uint32_t slot;
    if (!free_.empty()) {
        slot = free_.back();
        free_.pop_back();
    } else {
        slot = static_cast<uint32_t>(slots_.size());
        slots_.emplace_back();
    }
    if ((live_ + 1) * 2 > index_.size()) grow_index();
    Stream& s = slots_[slot].s;
    // Reset every field but keep the strings' capacity.
    std::string method = std::move(s.method), path = std::move(s.path), query = std::move(s.query),
                authority = std::move(s.authority);
    s = Stream();
    method.clear();
    path.clear();
    query.clear();
    authority.clear();
    s.method = std::move(method);
    s.path = std::move(path);
    s.query = std::move(query);
    s.authority = std::move(authority);
    s.id = id;
    slots_[slot].live = true;
    live_++;
    index_insert(id, slot + 1);
    order_.push_back(id);
    return s;
}

void StreamTable::remove_slot(size_t i)
{
    if (!slots_[i].live) return;
    slots_[i].live = false;
    index_erase(slots_[i].s.id);
    free_.push_back(static_cast<uint32_t>(i));
    live_--;
}

void StreamTable::remove(Stream* s)
{
    if (index_.empty()) return;
    for (size_t i = probe(s->id);; i = (i + 1) & (index_.size() - 1)) {
        const Entry& e = index_[i];
        if (e.slot == 0) return;
        if (e.id == s->id) return remove_slot(e.slot - 1);
    }
}

void StreamTable::clear()
{
    for (size_t i = 0; i < slots_.size(); i++) remove_slot(i);
    order_.clear();
    order_head_ = 0;
}

Stream* StreamTable::first()
{
    for (auto& sl : slots_)
        if (sl.live) return &sl.s;
    return nullptr;
}

}  // namespace obi::http2
