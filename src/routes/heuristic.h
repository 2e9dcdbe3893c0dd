// OBI's route heuristic for paths that match no configured pattern: keeps word-like
// segments and replaces ids with the wildcard character (obi-compat.md section 6.1).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace obi::routes {

constexpr size_t kHeuristicMaxSegments = 10;

// Writes the heuristic route of `path` into `out` (cleared first; reuse it to avoid
// allocation). Rules:
// - the query ('?...') and fragment ('#...') are removed;
// - at most kHeuristicMaxSegments segments are kept, counting empty ones; the rest and the
//   '/' before it are dropped;
// - a segment of [A-Za-z._-] characters, where one other character is allowed only as the
//   2nd character ("v1", "j4elk", "k6-test-runs"), is kept unless is_gibberish() says so;
// - any other non-empty segment becomes `wildcard`; empty segments ("//") and a trailing
//   '/' are kept.
// "/users/fdklsd/j4elk/23993/job/2" -> "/users/*/j4elk/*/job/*".
void heuristic_route(std::string_view path, char wildcard, std::string& out);

inline std::string heuristic_route(std::string_view path, char wildcard = '*')
{
    std::string out;
    heuristic_route(path, wildcard, out);
    return out;
}

// True when the heuristic keeps `segment` as it is (no '/' inside).
bool heuristic_keeps_segment(std::string_view segment);

}  // namespace obi::routes
