// The low-cardinality stage of `routes.unmatched: low-cardinality`: caps the number of
// distinct values each segment position of a service's heuristic routes may take.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "routes/heuristic.h"

namespace obi::routes {

// One instance per service (the caller owns it, e.g. next to the service's identity).
// Segment position i (0-based, after the leading '/') remembers the first `max_values`
// distinct values it saw; a later value outside that set becomes the wildcard character.
// Memory is bounded: kHeuristicMaxSegments positions x max_values values x
// kMaxRememberedSegmentLen bytes; longer segments always become the wildcard. Not
// thread-safe.
class CardinalityLimiter {
public:
    static constexpr size_t kMaxRememberedSegmentLen = 128;

    // max_values 0 = unlimited (routes pass through unchanged).
    explicit CardinalityLimiter(size_t max_values = 10, char wildcard = '*') : max_values_(max_values), wildcard_(wildcard) {}

    // Rewrites `route` (a heuristic route) in place.
    void apply(std::string& route);

    size_t distinct_values(size_t position) const { return position < seen_.size() ? seen_[position].size() : 0; }

private:
    bool admit(size_t position, std::string_view segment);

    size_t max_values_;
    char wildcard_;
    std::array<std::vector<std::string>, kHeuristicMaxSegments> seen_;
};

}  // namespace obi::routes
