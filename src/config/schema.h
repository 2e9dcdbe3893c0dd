// The whole field table and the two ways values reach it: a YAML document and the
// environment.
#pragma once

#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/env.h"
#include "config/fields.h"

namespace obi::config {

const std::vector<Field>& all_fields();

// Walks the YAML document: every key must be a field or a section of fields; unknown keys
// are reported with their line, the valid keys there and a suggestion.
void apply_yaml(Config& cfg, const YAML::Node& root, LoadContext& ctx);

// Applies every field's environment variables (the first set, non-empty one wins).
void apply_env(Config& cfg, const EnvLookup& env, LoadContext& ctx);

}  // namespace obi::config
