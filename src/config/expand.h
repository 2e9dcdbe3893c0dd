// ${VAR} expansion of the raw YAML text, before it is parsed (obi-compat.md 6.7).
#pragma once

#include <string>
#include <string_view>

#include "config/env.h"

namespace obi::config {

// Replaces, with NAME matching [A-Za-z_][A-Za-z0-9_]*:
//   ${NAME}, ${env:NAME}  -> the value, or "" when unset
//   ${NAME:-default}      -> `default` when NAME is unset or empty (also ${env:NAME:-default})
//   $${NAME}              -> the literal text ${NAME}
// A bare $NAME, and anything else that does not fit these forms, is left as written.
std::string expand_env_refs(std::string_view text, const EnvLookup& env);

}  // namespace obi::config
