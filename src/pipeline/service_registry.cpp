// ServiceRegistry implementation; inheritance reads one /proc file once per new child.
#include "pipeline/service_registry.h"

#include <mutex>
#include <string>

#include "discovery/proc_read.h"
#include "discovery/process_facts.h"

namespace obi::pipeline {

void ServiceRegistry::notify(const std::vector<std::pair<ServicePtr, bool>>& changes)
{
    if (!listener_) return;
    for (const auto& [svc, added] : changes)
        if (svc) listener_(svc, added);
}

void ServiceRegistry::put(uint32_t pid, ServicePtr svc)
{
    std::vector<std::pair<ServicePtr, bool>> changes;
    {
        std::unique_lock lock(mu_);
        ServicePtr& slot = by_pid_[pid];
        if (slot) changes.emplace_back(slot, false);
        slot = svc;
        exited_at_.erase(pid);
        generation_.fetch_add(1, std::memory_order_release);
    }
    changes.emplace_back(std::move(svc), true);
    notify(changes);
}

void ServiceRegistry::remove(uint32_t pid)
{
    std::vector<std::pair<ServicePtr, bool>> changes;
    {
        std::unique_lock lock(mu_);
        auto it = by_pid_.find(pid);
        if (it != by_pid_.end()) {
            changes.emplace_back(it->second, false);
            by_pid_.erase(it);
        }
        exited_at_.erase(pid);
    }
    notify(changes);
}

void ServiceRegistry::mark_exited(uint32_t pid, uint64_t now_ns)
{
    std::unique_lock lock(mu_);
    if (by_pid_.count(pid)) exited_at_[pid] = now_ns;
}

void ServiceRegistry::purge(uint64_t now_ns, uint64_t linger_ns)
{
    std::vector<std::pair<ServicePtr, bool>> changes;
    {
        std::unique_lock lock(mu_);
        for (auto it = exited_at_.begin(); it != exited_at_.end();) {
            if (now_ns >= it->second + linger_ns) {
                auto svc = by_pid_.find(it->first);
                if (svc != by_pid_.end()) {
                    changes.emplace_back(svc->second, false);
                    by_pid_.erase(svc);
                }
                it = exited_at_.erase(it);
            } else {
                ++it;
            }
        }
    }
    notify(changes);
}

ServicePtr ServiceRegistry::find(uint32_t pid) const
{
    std::shared_lock lock(mu_);
    auto it = by_pid_.find(pid);
    return it == by_pid_.end() ? nullptr : it->second;
}

ServicePtr ServiceRegistry::find_or_inherit(uint32_t pid)
{
    if (auto svc = find(pid)) return svc;
    uint32_t ppid = read_ppid(pid);
    for (int depth = 0; ppid > 1 && depth < 8; depth++) {
        if (auto parent = find(ppid)) {
            auto child = std::make_shared<ServiceInfo>(*parent);
            child->pid = pid;
            size_t colon = parent->instance_id.rfind(':');
            child->instance_id =
                (colon == std::string::npos ? parent->instance_id : parent->instance_id.substr(0, colon)) + ":" +
                std::to_string(pid);
            put(pid, child);
            return child;
        }
        ppid = read_ppid(ppid);
    }
    return nullptr;
}

size_t ServiceRegistry::size() const
{
    std::shared_lock lock(mu_);
    return by_pid_.size();
}

std::vector<ServicePtr> ServiceRegistry::all() const
{
    std::shared_lock lock(mu_);
    std::vector<ServicePtr> out;
    out.reserve(by_pid_.size());
    for (const auto& [pid, svc] : by_pid_) out.push_back(svc);
    return out;
}

uint32_t read_ppid(uint32_t pid)
{
    auto text = discovery::read_file_bounded("/proc/" + std::to_string(pid) + "/stat", 1024);
    if (!text) return 0;
    auto stat = discovery::parse_stat(*text);
    return stat ? stat->ppid : 0;
}

}  // namespace obi::pipeline
