// Matches request paths against the configured route patterns (routes.patterns and
// routes.ignored_patterns); a match is reported as the pattern text, verbatim.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace obi::routes {

// Pattern syntax, segment by segment ('/'-separated):
// - `{name}`, `:name`, or `*` before the last segment, matches any one non-empty segment;
// - `*` as the LAST segment matches the rest of the path, which may be empty: `/user/*`
//   matches `/user`, `/user/` and `/user/1/2`;
// - a last segment ending in `*` (`/files/img*`) matches a segment with that prefix plus
//   anything after it;
// - anything else matches literally and case-sensitively. Empty segments ("//") count.
// A single trailing '/' is ignored on both sides (`/users/` matches `/users`); the query is
// never part of the match. When several patterns match, the most specific wins: at the
// first segment where they differ a literal beats a parameter, which beats a wildcard;
// a prefix wildcard beats `*`; equal patterns keep the first configured.
class RouteMatcher {
public:
    RouteMatcher() = default;
    // Patterns must start with '/'; returns nullopt and sets *error otherwise.
    static std::optional<RouteMatcher> compile(const std::vector<std::string>& patterns,
                                               std::string* error = nullptr);

    // The matching pattern, or nullptr. Never allocates.
    const std::string* match(std::string_view path) const;
    bool matches(std::string_view path) const { return match(path) != nullptr; }
    bool empty() const { return patterns_.empty(); }
    size_t size() const { return patterns_.size(); }

private:
    enum class SegKind : uint8_t { Literal, Param, PrefixRest, Rest };  // most specific first
    struct Segment {
        SegKind kind;
        std::string text;  // Literal: the segment; PrefixRest: the prefix before '*'
    };
    struct Compiled {
        std::vector<Segment> segments;
        std::string pattern;  // as configured
    };

    // Specificity of a pattern's segment kinds, compared lexicographically (lower = better).
    static bool more_specific(const Compiled& a, const Compiled& b);
    static bool match_one(const Compiled& p, std::string_view path);

    std::vector<Compiled> patterns_;  // sorted: most specific first (stable)
};

}  // namespace obi::routes
