// Per-position value sets of the low-cardinality route mode (small linear sets: at most
// max_path_segment_cardinality entries each, 10 by default).
#include "routes/cardinality_limiter.h"

#include <algorithm>

namespace obi::routes {

bool CardinalityLimiter::admit(size_t position, std::string_view segment)
{
    if (segment.empty() || (segment.size() == 1 && segment[0] == wildcard_)) return true;
    if (position >= seen_.size()) return false;
    std::vector<std::string>& values = seen_[position];
    if (std::find(values.begin(), values.end(), segment) != values.end()) return true;
    if (values.size() >= max_values_ || segment.size() > kMaxRememberedSegmentLen) return false;
    values.emplace_back(segment);
    return true;
}

void CardinalityLimiter::apply(std::string& route)
{
    if (max_values_ == 0) return;
    size_t pos = (!route.empty() && route.front() == '/') ? 1 : 0;
    for (size_t position = 0; pos <= route.size(); position++) {
        size_t slash = route.find('/', pos);
        size_t end = slash == std::string::npos ? route.size() : slash;
        if (!admit(position, std::string_view(route).substr(pos, end - pos))) {
            route.replace(pos, end - pos, 1, wildcard_);
            end = pos + 1;
        }
        if (slash == std::string::npos) break;
        pos = end + 1;
    }
}

}  // namespace obi::routes
