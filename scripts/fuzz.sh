#!/usr/bin/env bash
# Builds the protocol fuzz targets (tests/fuzz, clang + libFuzzer + ASan/UBSan) and runs each
# for FUZZ_SECONDS (default 20), seeded with tests/data/corpus/<protocol>/. Any crash, leak or
# sanitizer report fails the run; the reproducer is left in the scratch directory it prints.
#   scripts/fuzz.sh                 # every target
#   FUZZ_SECONDS=300 scripts/fuzz.sh http1
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-20}
CXX_FUZZ=$(command -v clang++-19 || command -v clang++ || true)
CC_FUZZ=$(command -v clang-19 || command -v clang || true)
[ -n "$CXX_FUZZ" ] || { echo "fuzz: clang++ is not installed (apt-get install clang-19 libclang-rt-19-dev)" >&2; exit 1; }
cmake -S tests/fuzz -B "$BUILD" -G Ninja -DCMAKE_C_COMPILER="$CC_FUZZ" -DCMAKE_CXX_COMPILER="$CXX_FUZZ" >/dev/null
ninja -C "$BUILD" ${NINJA_FLAGS:-} >/dev/null
work=$(mktemp -d /tmp/obi-fuzz.XXXXXX)
status=0
for bin in "$BUILD"/fuzz_*; do
  proto=${bin##*/fuzz_}
  if [ $# -gt 0 ] && [[ " $* " != *" $proto "* ]]; then continue; fi
  corpus="$work/$proto"
  mkdir -p "$corpus"
  if [ -d "tests/data/corpus/$proto" ]; then
    # A seed is the mode byte of tests/fuzz/fuzz_driver.h (bit 0: server side, bit 1: the first
    # bytes are sent) plus the captured bytes, once as seen by each side.
    for f in tests/data/corpus/"$proto"/*.bin; do
      [ -e "$f" ] || continue
      case "$f" in
        *.s2c.bin) server='\003' client='\000' ;;
        *) server='\001' client='\002' ;;
      esac
      { printf "$server"; cat "$f"; } > "$corpus/$(basename "$f").server"
      { printf "$client"; cat "$f"; } > "$corpus/$(basename "$f").client"
    done
  fi
  echo "== fuzz $proto (${SECONDS_EACH}s)"
  if ! (cd "$work" && "$OLDPWD/$bin" -max_total_time="$SECONDS_EACH" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$corpus" > "$work/$proto.log" 2>&1); then
    echo "fuzz: $proto FAILED; log and reproducer in $work" >&2
    tail -40 "$work/$proto.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$work/$proto.log" | tr '\n' ' '; echo
  fi
done
[ $status -eq 0 ] && rm -rf "$work"
exit $status
