#!/usr/bin/env bash
# The main job on a fresh machine: installs what it needs, builds, starts a small
# uninstrumented sample service (Python http.server) with some traffic, and runs
# ebpf-instrument against it with the text trace printer. Ctrl-C stops everything.
#   sudo scripts/demo.sh                  # until Ctrl-C
#   sudo DEMO_SECONDS=20 scripts/demo.sh  # stop by itself
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (eBPF needs it): sudo $0" >&2; exit 1; }
OBI_INSTALL_TEST_DEPS=1 scripts/build.sh

PORT=${DEMO_PORT:-18080}
scratch=$(mktemp -d /tmp/obi-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT INT TERM

/usr/bin/python3 tests/apps/python/server.py "$PORT" >"$scratch/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/hello" && break; sleep 0.1; done

# Some traffic: a few routes, an error, a POST, a chunked answer, a nested client call.
(
  while true; do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/hello"
    curl -s -o /dev/null "http://127.0.0.1:$PORT/users/$RANDOM"
    curl -s -o /dev/null "http://127.0.0.1:$PORT/status/503"
    curl -s -o /dev/null -d 'some payload' "http://127.0.0.1:$PORT/echo"
    curl -s -o /dev/null "http://127.0.0.1:$PORT/chunked"
    curl -s -o /dev/null "http://127.0.0.1:$PORT/call?url=http://127.0.0.1:$PORT/hello"
    sleep 1
  done
) &
pids+=($!)

echo "demo: sample service on 127.0.0.1:$PORT (pid ${pids[0]}); spans follow. Ctrl-C to stop."
echo "demo: to trace your own service: sudo OTEL_EBPF_OPEN_PORT=8080 OTEL_EBPF_TRACE_PRINTER=text build/ebpf-instrument"
export OTEL_EBPF_OPEN_PORT=$PORT OTEL_EBPF_TRACE_PRINTER=${OTEL_EBPF_TRACE_PRINTER:-text}
if [ -n "${DEMO_SECONDS:-}" ]; then
  build/ebpf-instrument &
  agent=$!
  sleep "$DEMO_SECONDS"
  kill -INT "$agent"
  wait "$agent"
else
  build/ebpf-instrument
fi
