// filter.application (obi-compat.md 6.2): every listed attribute must pass its matchers, or
// the span is dropped from metrics and traces. Attributes the span has no value for compare
// as "" (as OBI does); numeric matchers fail on values that are not numbers.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "metrics/span_values.h"

namespace obi::metrics {

class SpanFilter {
public:
    SpanFilter() = default;
    explicit SpanFilter(const std::map<std::string, config::AttributeMatcher>& rules);

    bool passes(const Span& span) const;
    bool empty() const { return rules_.empty(); }

private:
    struct Rule {
        std::string name;
        SpanValueFn value = nullptr;  // nullptr: always ""
        config::AttributeMatcher matcher;
    };
    static bool rule_passes(const Rule& rule, const Span& span);
    std::vector<Rule> rules_;
};

}  // namespace obi::metrics
