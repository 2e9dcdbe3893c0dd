// Small queries on the configuration structs.
#include "config/config.h"

#include <algorithm>

namespace obi::config {

bool MetricsConfig::has(std::string_view feature) const
{
    return std::any_of(features.begin(), features.end(),
                       [&](const std::string& f) { return f == feature || f == "all"; });
}

bool MetricsConfig::any_application() const
{
    return std::any_of(features.begin(), features.end(),
                       [](const std::string& f) { return f == "all" || f.rfind("application", 0) == 0; });
}

bool MetricsConfig::any_network() const
{
    return std::any_of(features.begin(), features.end(),
                       [](const std::string& f) { return f == "all" || f.rfind("network", 0) == 0; });
}

}  // namespace obi::config
