// Head sampling of traces (OTEL_TRACES_SAMPLER / otel_traces_export.sampler, and a
// per-service override from discovery.instrument[].sampler): decides whether a span is
// exported as a trace. Metrics always count every request; sampling never touches them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "spans/span.h"

namespace obi::pipeline {

class Sampler {
public:
    enum class Kind { AlwaysOn, AlwaysOff, TraceIdRatio };
    // name: always_on, always_off, traceidratio, parentbased_always_on (default),
    // parentbased_always_off, parentbased_traceidratio; arg: the ratio as a string.
    // Unknown names fall back to the default, as OBI does (the loader already rejects them).
    Sampler(const std::string& name = "parentbased_always_on", const std::string& arg = "");

    bool sample(const Span& span) const;
    std::string describe() const;

private:
    bool root_decision(const TraceId& trace) const;
    Kind root_ = Kind::AlwaysOn;
    bool parent_based_ = true;
    uint64_t threshold_ = UINT64_MAX;  // traceidratio: sample when the id's low 63 bits < threshold
    double ratio_ = 1.0;
};

// The global sampler plus per-service overrides (built on first use, few distinct ones).
class SamplerSet {
public:
    explicit SamplerSet(Sampler global) : global_(std::move(global)) {}
    bool sample(const Span& span);  // export thread only

private:
    Sampler global_;
    std::vector<std::pair<std::string, Sampler>> overrides_;  // key: name + '\0' + arg
};

}  // namespace obi::pipeline
