// The environment-variable reference printed by --help, generated from the field table.
#pragma once

#include <string>

namespace obi::config {

// One line per environment variable: name, description, YAML key and default.
std::string config_help_text();

}  // namespace obi::config
