// Environment accessors: the process environment or a fixed map.
#include "config/env.h"

#include <cstdlib>

namespace obi::config {

EnvLookup process_env()
{
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

EnvLookup map_env(std::map<std::string, std::string> vars)
{
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

std::optional<std::string> env_value(const EnvLookup& env, const std::string& name)
{
    if (!env) return std::nullopt;
    auto v = env(name);
    if (!v || v->empty()) return std::nullopt;
    return v;
}

}  // namespace obi::config
