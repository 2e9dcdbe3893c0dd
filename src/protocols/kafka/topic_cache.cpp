// TopicIdCache: an LRU map under a mutex (touched only by Metadata responses and by
// requests or responses that carry topic ids, never per byte).
#include "protocols/kafka/topic_cache.h"

namespace obi::kafka {

TopicIdCache& TopicIdCache::shared()
{
    static TopicIdCache cache;
    return cache;
}

void TopicIdCache::set_capacity(size_t capacity)
{
    std::lock_guard<std::mutex> lock(mu_);
    capacity_ = capacity ? capacity : 1;
    trim();
}

void TopicIdCache::put(const Uuid& id, std::string_view name)
{
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(id);
    if (it != index_.end()) {
        if (it->second->name != name) it->second->name.assign(name);
        lru_.splice(lru_.begin(), lru_, it->second);
        return;
    }
    lru_.push_front(Entry{id, std::string(name)});
    index_.emplace(id, lru_.begin());
    trim();
}

bool TopicIdCache::get(const Uuid& id, std::string& out)
{
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(id);
    if (it == index_.end()) return false;
    lru_.splice(lru_.begin(), lru_, it->second);
    out.assign(it->second->name);
    return true;
}

size_t TopicIdCache::size() const
{
    std::lock_guard<std::mutex> lock(mu_);
    return index_.size();
}

void TopicIdCache::clear()
{
    std::lock_guard<std::mutex> lock(mu_);
    index_.clear();
    lru_.clear();
}

void TopicIdCache::trim()
{
    while (index_.size() > capacity_) {
        index_.erase(lru_.back().id);
        lru_.pop_back();
    }
}

}  // namespace obi::kafka
