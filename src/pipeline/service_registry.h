// Instrumented services by process id: written by discovery, read by the capture thread
// for every span. Exited processes linger briefly so their last spans still find them.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "spans/service.h"

namespace obi::pipeline {

class ServiceRegistry {
public:
    // Told when a service appears (added = true) or is forgotten; called without the lock
    // held, from whichever thread changed the registry. Set before use.
    using Listener = std::function<void(const ServicePtr& svc, bool added)>;
    void set_listener(Listener l) { listener_ = std::move(l); }

    void put(uint32_t pid, ServicePtr svc);
    void remove(uint32_t pid);
    // The process exited: forget it after `linger_ns` (see purge()).
    void mark_exited(uint32_t pid, uint64_t now_ns);
    void purge(uint64_t now_ns, uint64_t linger_ns);

    ServicePtr find(uint32_t pid) const;
    // A process the kernel traces because its parent is traced, before discovery has
    // processed its fork: it gets its parent's identity with its own pid.
    ServicePtr find_or_inherit(uint32_t pid);
    size_t size() const;
    std::vector<ServicePtr> all() const;
    // Counts put()s: a pid that was not found may be found only once this has changed.
    uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

private:
    void notify(const std::vector<std::pair<ServicePtr, bool>>& changes);
    Listener listener_;
    mutable std::shared_mutex mu_;
    std::unordered_map<uint32_t, ServicePtr> by_pid_;
    std::unordered_map<uint32_t, uint64_t> exited_at_;
    std::atomic<uint64_t> generation_{0};
};

// Parent pid from /proc/<pid>/stat (0 when unknown).
uint32_t read_ppid(uint32_t pid);

}  // namespace obi::pipeline
