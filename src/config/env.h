// Access to environment variables through a function, so tests never touch the real
// environment. A variable that is set but empty counts as unset everywhere in the loader.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace obi::config {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

EnvLookup process_env();                                      // getenv()
EnvLookup map_env(std::map<std::string, std::string> vars);  // a fixed set, for tests

// The value of `name`, or nullopt when unset or empty.
std::optional<std::string> env_value(const EnvLookup& env, const std::string& name);

}  // namespace obi::config
