// Entry point of ebpf-instrument.
#include "app/cli.h"

int main(int argc, char** argv) { return obi::run_cli(argc, argv); }
