// Topic ids (UUIDs, KIP-516) back to topic names, learnt from Metadata responses and used
// for Fetch v13+ and Produce v13+, which name topics only by id. Bounded (LRU, OBI's
// kafka_topic_uuid_cache_size, 1024 by default) and shared by every connection, because a
// client asks for metadata on one connection and fetches on another.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocols/kafka/wire.h"

namespace obi::kafka {

class TopicIdCache {
public:
    explicit TopicIdCache(size_t capacity = 1024) : capacity_(capacity ? capacity : 1) {}

    // The process-wide cache the protocol handlers use.
    static TopicIdCache& shared();

    void set_capacity(size_t capacity);
    void put(const Uuid& id, std::string_view name);
    // Copies the name into `out` (reused buffer); false when the id is unknown.
    bool get(const Uuid& id, std::string& out);
    size_t size() const;
    void clear();

private:
    struct UuidHash {
        size_t operator()(const Uuid& u) const
        {
            size_t h = 0;
            for (uint8_t b : u) h = h * 131 + b;
            return h;
        }
    };
    struct Entry {
        Uuid id;
        std::string name;
    };
    void trim();

    mutable std::mutex mu_;
    size_t capacity_;
    std::list<Entry> lru_;  // most recently used first
    std::unordered_map<Uuid, std::list<Entry>::iterator, UuidHash> index_;
};

}  // namespace obi::kafka
