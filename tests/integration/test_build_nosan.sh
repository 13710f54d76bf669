#!/usr/bin/env bash
# Every build type must build, not only the sanitizer build make test uses: GCC finds
# some problems (-Wformat-truncation, -Wmaybe-uninitialized) only without sanitizers and
# with optimisation, and -O3 inlines deepest (a 219-byte reason copied into a 160-byte
# buffer was found only there). This builds `sota` and every unit test (so the host port,
# the component and the tests) as a Release (-O3) build without sanitizers, in a build
# directory of its own that later runs reuse (incremental), and runs nothing; make run
# builds RelWithDebInfo (-O2), which finds a subset. Last line: "nosan build: ok" or "... FAILED".
set -uo pipefail
root=${SOTA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [ -n "${SOTA_TMPDIR:-}" ]; then
    build=$SOTA_TMPDIR/../../nosan
else
    build=$root/build/nosan
fi
targets=()
for t in "$root"/tests/unit/test_*.c; do
    targets+=("$(basename "$t" .c)")
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if cmake -S "$root/host" -B "$build" -Wno-dev -DCMAKE_BUILD_TYPE=Release \
        -DSOTA_SANITIZE=OFF -DSOTA_TESTS=ON >"$log" 2>&1 &&
   nice cmake --build "$build" -j 2 --target sota "${targets[@]}" -- --no-print-directory \
        >>"$log" 2>&1; then
    echo "nosan build: ok ($build)"
    exit 0
fi
grep -E 'error|Error' "$log" | head -n 20
echo "nosan build: FAILED (Release, -O3, without sanitizers, in $build)"
exit 1
