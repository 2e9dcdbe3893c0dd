// The discovery thread: finds the processes to instrument at start, then follows exec,
// fork, exit and listen events from the kernel (so a new process is traced within
// milliseconds) plus a periodic rescan; keeps the kernel's pid filter, the listening
// ports and the service registry in step with its decisions.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "app/waiter.h"
#include "config/config.h"
#include "discovery/language.h"
#include "discovery/matcher.h"
#include "discovery/naming.h"
#include "discovery/process_facts.h"
#include "ebpf/ring_reader.h"
#include "ebpf/tracer.h"
#include "obi_events.h"
#include "pipeline/service_registry.h"

namespace obi {

class DiscoveryLoop final : public ebpf::RingSink {
public:
    DiscoveryLoop(const config::Config& cfg, ebpf::Tracer& tracer, pipeline::ServiceRegistry& registry,
                  const StopSignal& stop);
    ~DiscoveryLoop() override;

    bool open(std::string* error);
    void initial_scan();  // synchronous, before capture starts
    void start();
    void join();
    size_t instrumented() const { return count_.load(); }

    void on_record(const void* data, size_t size) override;

private:
    struct Traced {
        uint64_t start_time = 0;
        discovery::MatchResult match;
        ServicePtr service;
    };

    // A control event; an exec also carries the program's path and first arguments.
    struct Event {
        obi_proc_event ev{};
        std::string exec_path, exec_args;
    };

    void run();
    void handle(const Event& e);
    void rescan();
    // Decides about one process; `parent` is the traced parent's selection, if any; `exec` its
    // exec event, when that is why it is considered.
    void consider(uint32_t pid, const Traced* parent, const Event* exec = nullptr);
    // A process that exited (or is a zombie) before /proc/<pid> could be read: identified from
    // its exec event, so that the spans it made keep their service. Nothing to attach to.
    void identify_exited(const Event& exec, const Traced* parent);
    ServicePtr make_service(const ProcessFacts& facts, const discovery::MatchResult& m) const;
    void instrument(const ProcessFacts& facts, const discovery::MatchResult& m, bool inherited);
    void uninstrument(uint32_t pid, const char* why);
    const Traced* traced_ancestor(uint32_t pid, int max_depth = 8) const;
    std::optional<ProcessFacts> facts(uint32_t pid);

    const config::Config& cfg_;
    ebpf::Tracer& tracer_;
    pipeline::ServiceRegistry& registry_;
    const StopSignal& stop_;
    discovery::ProcRoot root_;
    discovery::LanguageDetector lang_;
    discovery::Matcher matcher_;
    discovery::NamingContext naming_;
    std::unique_ptr<ebpf::RingReader> reader_;
    std::vector<Event> inbox_;
    std::unordered_map<uint32_t, Traced> traced_;
    std::atomic<size_t> count_{0};
    std::thread thread_;
};

}  // namespace obi
