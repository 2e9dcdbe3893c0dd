// Loading the configuration: defaults < YAML file < environment variables, with every
// problem reported as a clear message instead of an exception.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/env.h"

namespace obi::config {

struct LoadOptions {
    // From --config / -config; wins over OTEL_EBPF_CONFIG_PATH.
    std::optional<std::string> config_path;
    // YAML given directly instead of a file (tests, tools); `source_name` names it in messages.
    std::optional<std::string> yaml_text;
    std::string source_name = "config";
    // Where environment variables come from; empty = the process environment.
    EnvLookup env;
};

struct LoadResult {
    std::optional<Config> config;       // set only when `errors` is empty
    std::vector<std::string> errors;    // one line each, naming the key or variable
    std::vector<std::string> warnings;  // also in config->warnings
    bool ok() const { return errors.empty(); }
};

LoadResult load_config(const LoadOptions& options);

}  // namespace obi::config
