// Command line of ebpf-instrument: options, --help, --check, and running the agent.
#pragma once

namespace obi {
int run_cli(int argc, char** argv);
}
