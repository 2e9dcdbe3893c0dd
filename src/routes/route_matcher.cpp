// Route patterns compiled into segment lists and tried most-specific first; each match is
// a walk over the path's segments with string_view comparisons (no regex, no allocation).
#include "routes/route_matcher.h"

#include <algorithm>

namespace obi::routes {
namespace {

std::string_view strip_trailing_slash(std::string_view p)
{
    if (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
    return p;
}

// Next segment of `rest` (which starts after a '/'); advances rest past it and its '/'.
// Sets `last` when no '/' followed the segment.
std::string_view next_segment(std::string_view& rest, bool& last)
{
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    last = slash == std::string_view::npos;
    rest = last ? std::string_view() : rest.substr(slash + 1);
    return seg;
}

}  // namespace

std::optional<RouteMatcher> RouteMatcher::compile(const std::vector<std::string>& patterns, std::string* error)
{
    RouteMatcher m;
    for (const std::string& pattern : patterns) {
        if (pattern.empty() || pattern.front() != '/') {
            if (error) *error = "route pattern '" + pattern + "' must start with '/'";
            return std::nullopt;
        }
        Compiled c;
        c.pattern = pattern;
        std::string_view rest = strip_trailing_slash(pattern).substr(1);
        bool last = rest.empty();
        if (!last || pattern.size() > 1) {
            do {
                std::string_view seg = next_segment(rest, last);
                Segment s{SegKind::Literal, std::string(seg)};
                bool param = seg.size() >= 2 && ((seg.front() == '{' && seg.back() == '}') || seg.front() == ':');
                if (param || (!last && seg == "*")) {
                    s = {SegKind::Param, {}};
                } else if (last && seg == "*") {
                    s = {SegKind::Rest, {}};
                } else if (last && !seg.empty() && seg.back() == '*') {
                    s = {SegKind::PrefixRest, std::string(seg.substr(0, seg.size() - 1))};
                }
                c.segments.push_back(std::move(s));
            } while (!last);
        }
        m.patterns_.push_back(std::move(c));
    }
    std::stable_sort(m.patterns_.begin(), m.patterns_.end(), more_specific);
    return m;
}

bool RouteMatcher::more_specific(const Compiled& a, const Compiled& b)
{
    size_t n = std::min(a.segments.size(), b.segments.size());
    for (size_t i = 0; i < n; i++) {
        if (a.segments[i].kind != b.segments[i].kind) return a.segments[i].kind < b.segments[i].kind;
    }
    return a.segments.size() > b.segments.size();  // longer literal chains first
}

bool RouteMatcher::match_one(const Compiled& p, std::string_view path)
{
    // `path` is stripped of its query and trailing slash and starts after the leading '/'.
    std::string_view rest = path;
    bool exhausted = false;  // the path has no segments left
    if (p.segments.empty()) return rest.empty();
    for (size_t i = 0; i < p.segments.size(); i++) {
        const Segment& s = p.segments[i];
        if (s.kind == SegKind::Rest) return true;
        if (exhausted) return false;
        bool last = false;
        std::string_view seg = next_segment(rest, last);
        switch (s.kind) {
        case SegKind::Literal:
            if (seg != s.text) return false;
            break;
        case SegKind::Param:
            if (seg.empty()) return false;
            break;
        case SegKind::PrefixRest:
            return seg.substr(0, s.text.size()) == s.text;
        case SegKind::Rest:
            break;
        }
        exhausted = last;
    }
    return exhausted;
}

const std::string* RouteMatcher::match(std::string_view path) const
{
    path = path.substr(0, path.find_first_of("?#"));
    path = strip_trailing_slash(path);
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    for (const Compiled& p : patterns_) {
        if (match_one(p, path)) return &p.pattern;
    }
    return nullptr;
}

}  // namespace obi::routes
