#!/usr/bin/env bash
# Installs the build dependencies (Debian packages) and builds build/ebpf-instrument,
# the unit tests and the micro benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE:-RelWithDebInfo} >/dev/null
ninja -C "$BUILD_DIR" ${NINJA_FLAGS:-}
echo "built $BUILD_DIR/ebpf-instrument"
