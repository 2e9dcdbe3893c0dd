// SpanFilter: glob and numeric matchers over span attribute values.
#include "metrics/span_filter.h"

#include <charconv>
#include <optional>

namespace obi::metrics {
namespace {

// The text form of a value (integers in decimal) into `buf` when it must be built.
std::string_view as_text(const AttrValue& v, std::string& buf)
{
    switch (v.type) {
    case ValueType::Absent: return {};
    case ValueType::String: return v.s;
    case ValueType::Bool: return v.i ? "true" : "false";
    case ValueType::Int: buf = std::to_string(v.i); return buf;
    case ValueType::Double: {
        char tmp[32];
        auto r = std::to_chars(tmp, tmp + sizeof tmp, v.d);
        buf.assign(tmp, r.ptr);
        return buf;
    }
    }
    return {};
}

std::optional<double> as_number(const AttrValue& v)
{
    switch (v.type) {
    case ValueType::Int: return static_cast<double>(v.i);
    case ValueType::Double: return v.d;
    case ValueType::String: {
        double d = 0;
        const char* end = v.s.data() + v.s.size();
        auto r = std::from_chars(v.s.data(), end, d);
        if (r.ec != std::errc() || r.ptr != end || v.s.empty()) return std::nullopt;
        return d;
    }
    default: return std::nullopt;
    }
}

}  // namespace

SpanFilter::SpanFilter(const std::map<std::string, config::AttributeMatcher>& rules)
{
    for (const auto& [name, matcher] : rules) rules_.push_back(Rule{name, span_value_fn(name), matcher});
}

bool SpanFilter::passes(const Span& span) const
{
    for (const Rule& r : rules_)
        if (!rule_passes(r, span)) return false;
    return true;
}

bool SpanFilter::rule_passes(const Rule& rule, const Span& span)
{
    std::string scratch, text_buf;
    AttrValue v = rule.value ? rule.value(span, scratch) : AttrValue{};
    const config::AttributeMatcher& m = rule.matcher;
    if (m.match || m.not_match) {
        std::string_view text = as_text(v, text_buf);
        if (m.match && !m.match->matches(text)) return false;
        if (m.not_match && m.not_match->matches(text)) return false;
    }
    bool numeric = m.greater_than || m.greater_equals || m.equals || m.not_equals || m.less_equals || m.less_than;
    if (!numeric) return true;
    auto n = as_number(v);
    if (!n) return false;
    if (m.greater_than && !(*n > *m.greater_than)) return false;
    if (m.greater_equals && !(*n >= *m.greater_equals)) return false;
    if (m.equals && !(*n == *m.equals)) return false;
    if (m.not_equals && !(*n != *m.not_equals)) return false;
    if (m.less_equals && !(*n <= *m.less_equals)) return false;
    if (m.less_than && !(*n < *m.less_than)) return false;
    return true;
}

}  // namespace obi::metrics
