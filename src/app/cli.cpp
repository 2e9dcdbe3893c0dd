// Placeholder until the agent is wired (replaced in this same change).
#include "app/cli.h"

namespace obi {
int run_cli(int, char**) { return 0; }
}  // namespace obi
