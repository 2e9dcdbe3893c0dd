#!/usr/bin/env bash
# Runs every test: installs dependencies, builds, runs the unit tests (GoogleTest via
# CTest), every protocol fuzz target briefly (scripts/fuzz.sh) and, as root, the integration
# tests against the real kernel and real servers.
#   sudo scripts/test.sh            # everything
#   sudo scripts/test.sh -k python  # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "test: run as root (the integration tests load eBPF programs): sudo $0" >&2; exit 1; }
OBI_INSTALL_TEST_DEPS=1 scripts/build.sh

echo "== unit tests"
ctest --test-dir build --output-on-failure -j2 --timeout 300

echo "== fuzz targets (libFuzzer + ASan/UBSan, ${FUZZ_SECONDS:-20} s each)"
scripts/fuzz.sh

echo "== integration tests"
/usr/bin/python3 -m pytest -p no:cacheprovider -q tests/integration "$@"
