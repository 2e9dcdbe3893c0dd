// The route heuristic: one pass over the path's segments, appending each one or the
// wildcard to a caller-owned buffer.
#include "routes/heuristic.h"

#include "routes/gibberish.h"

namespace obi::routes {
namespace {

inline bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-';
}

}  // namespace

bool heuristic_keeps_segment(std::string_view segment)
{
    for (size_t i = 0; i < segment.size(); i++) {
        if (!is_word_char(segment[i]) && i != 1) return false;
    }
    return !is_gibberish(segment);
}

void heuristic_route(std::string_view path, char wildcard, std::string& out)
{
    out.clear();
    path = path.substr(0, path.find_first_of("?#"));
    size_t pos = 0;
    if (!path.empty() && path.front() == '/') {
        out.push_back('/');
        pos = 1;
    }
    for (size_t segments = 0; segments < kHeuristicMaxSegments; segments++) {
        size_t slash = path.find('/', pos);
        std::string_view seg = path.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
        if (seg.empty() || heuristic_keeps_segment(seg)) {
            out.append(seg);
        } else {
            out.push_back(wildcard);
        }
        if (slash == std::string_view::npos || segments + 1 == kHeuristicMaxSegments) break;
        out.push_back('/');
        pos = slash + 1;
    }
}

}  // namespace obi::routes
