// Per-connection prepared statements: statement name or id -> SQL text, bounded by a count
// and by total text bytes (least recently used out first), so a client that prepares without
// ever closing cannot grow a connection's memory.
#pragma once

#include <cstddef>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace obi::sql {

template <class Key>
class StatementCache {
public:
    // OBI's {postgres,mysql}_prepared_statements_cache_size is 1024 entries.
    explicit StatementCache(size_t max_entries = 1024, size_t max_bytes = 256 * 1024)
        : max_entries_(max_entries), max_bytes_(max_bytes)
    {
    }

    void put(const Key& key, std::string_view text)
    {
        erase(key);
        if (max_entries_ == 0 || text.size() > max_bytes_) return;
        while (!lru_.empty() && (map_.size() >= max_entries_ || bytes_ + text.size() > max_bytes_)) evict_oldest();
        lru_.emplace_back(key, std::string(text));
        map_[key] = std::prev(lru_.end());
        bytes_ += text.size();
    }

    // The text, or nullptr; a hit makes the entry the most recently used.
    const std::string* get(const Key& key)
    {
        auto it = map_.find(key);
        if (it == map_.end()) return nullptr;
        lru_.splice(lru_.end(), lru_, it->second);
        return &it->second->second;
    }

    void erase(const Key& key)
    {
        auto it = map_.find(key);
        if (it == map_.end()) return;
        bytes_ -= it->second->second.size();
        lru_.erase(it->second);
        map_.erase(it);
    }

    void clear()
    {
        map_.clear();
        lru_.clear();
        bytes_ = 0;
    }

    size_t size() const { return map_.size(); }
    size_t bytes() const { return bytes_; }

private:
    void evict_oldest()
    {
        auto& [key, text] = lru_.front();
        bytes_ -= text.size();
        map_.erase(key);
        lru_.pop_front();
    }

    using Entry = std::pair<Key, std::string>;
    size_t max_entries_, max_bytes_;
    size_t bytes_ = 0;
    std::list<Entry> lru_;  // least recently used first
    std::unordered_map<Key, typename std::list<Entry>::iterator> map_;
};

}  // namespace obi::sql
