// The agent: checks the kernel, loads the probes, wires discovery -> capture -> parsing ->
// spans -> exporters, runs until stopped, then detaches everything and flushes.
#pragma once

#include "app/waiter.h"
#include "config/config.h"

namespace obi {

class Agent {
public:
    explicit Agent(const config::Config& cfg) : cfg_(cfg) {}
    // Blocks until stop() (or a fatal error). Returns the process exit code.
    int run();
    // Async-signal-safe.
    void stop() { stop_.notify(); }

private:
    const config::Config& cfg_;
    StopSignal stop_;
};

// Prints the kernel/privilege report and the probe backend that would be used; the exit
// code is non-zero when the agent could not run here.
int run_check(const config::Config& cfg);

}  // namespace obi
