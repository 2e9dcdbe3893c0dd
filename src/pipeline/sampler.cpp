// Sampler: parent-based decisions follow the sampled flag of a trace that came from outside
// (an incoming traceparent); other spans take the root decision (always_on, always_off or a
// ratio on the trace id), so every span of a trace shares one decision.
#include "pipeline/sampler.h"

#include <cmath>
#include <cstdlib>

namespace obi::pipeline {

Sampler::Sampler(const std::string& name, const std::string& arg)
{
    std::string n = name;
    parent_based_ = n.rfind("parentbased_", 0) == 0;
    if (parent_based_) n = n.substr(12);
    if (n == "always_off") {
        root_ = Kind::AlwaysOff;
    } else if (n == "traceidratio") {
        root_ = Kind::TraceIdRatio;
        char* end = nullptr;
        double r = arg.empty() ? 1.0 : std::strtod(arg.c_str(), &end);
        if (!arg.empty() && (end == arg.c_str() || std::isnan(r))) r = 1.0;
        ratio_ = r < 0 ? 0 : (r > 1 ? 1 : r);  // >= 1 samples everything, < 0 means 0
        threshold_ = ratio_ >= 1 ? UINT64_MAX : static_cast<uint64_t>(ratio_ * 9223372036854775808.0);
    } else if (n != "always_on") {  // unknown: the default
        root_ = Kind::AlwaysOn;
        parent_based_ = true;
    }
}

bool Sampler::root_decision(const TraceId& trace) const
{
    switch (root_) {
    case Kind::AlwaysOn: return true;
    case Kind::AlwaysOff: return false;
    case Kind::TraceIdRatio: {
        if (threshold_ == UINT64_MAX) return true;
        // The trace id's last 8 bytes, big endian, without the top bit (the OTel rule).
        uint64_t v = 0;
        for (int i = 8; i < 16; i++) v = (v << 8) | trace.bytes[i];
        return (v & 0x7fffffffffffffffull) < threshold_;
    }
    }
    return true;
}

bool Sampler::sample(const Span& span) const
{
    // A local parent (the server request a client call belongs to) decided the same way:
    // both take the remote flag, or both the root decision on the same trace id.
    if (parent_based_ && span.trace_from_remote) return (span.trace_flags & 0x01) != 0;
    return root_decision(span.trace_id);
}

std::string Sampler::describe() const
{
    std::string root = root_ == Kind::AlwaysOn ? "always_on" : root_ == Kind::AlwaysOff ? "always_off" : "traceidratio";
    std::string s = parent_based_ ? "parentbased_" + root : root;
    if (root_ == Kind::TraceIdRatio) s += "(" + std::to_string(ratio_) + ")";
    return s;
}

bool SamplerSet::sample(const Span& span)
{
    if (!span.service || span.service->sampler_name.empty()) return global_.sample(span);
    std::string key = span.service->sampler_name + '\0' + span.service->sampler_arg;
    for (auto& [k, s] : overrides_)
        if (k == key) return s.sample(span);
    overrides_.emplace_back(key, Sampler(span.service->sampler_name, span.service->sampler_arg));
    return overrides_.back().second.sample(span);
}

}  // namespace obi::pipeline
