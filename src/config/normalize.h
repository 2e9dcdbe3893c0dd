// After YAML and env: derive the effective settings (selector lists, features, capture
// size, legacy spellings) and check the rules that span several keys.
#pragma once

#include "config/context.h"

namespace obi::config {

void normalize(Config& cfg, LoadContext& ctx);
// Fatal cross-field checks (obi-compat.md 6.7). Run only on an otherwise valid config.
void validate(const Config& cfg, LoadContext& ctx);

}  // namespace obi::config
