// Logging setup: spdlog on stderr in text or JSON, and libbpf's messages routed into it.
#pragma once

#include "config/config.h"

namespace obi {
void setup_logging(config::LogLevel level, config::LogFormat format);
}
