// The merged configuration as YAML or JSON, for log_config and --check.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace obi::config {

// `format` is "yaml" or "json" (anything else gives JSON). Secrets (OTLP headers) are
// masked. Meant for reading: selector entries carry an `origin` key for context.
std::string dump_config(const Config& cfg, std::string_view format);

}  // namespace obi::config
