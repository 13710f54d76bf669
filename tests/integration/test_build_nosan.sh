#!/usr/bin/env bash
# Every build type must build, not only the sanitizer build make test uses: GCC finds
# some problems (-Wformat-truncation, -Wmaybe-uninitialized) only without sanitizers at
# -O2. This builds `sota` and every unit test (so the host port, the component and the
# tests) as a RelWithDebInfo (-O2) build without sanitizers, in a build directory of its
# own that later runs reuse (incremental), and runs nothing. Release (-O3) and Debug
# builds, with and without SOTA_SANITIZE, were checked by hand (issue 16). Last line: "nosan build: ok" or "... FAILED".
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
if cmake -S "$root/host" -B "$build" -Wno-dev -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DSOTA_SANITIZE=OFF -DSOTA_TESTS=ON >"$log" 2>&1 &&
   nice cmake --build "$build" -j 2 --target sota "${targets[@]}" -- --no-print-directory \
        >>"$log" 2>&1; then
    echo "nosan build: ok ($build)"
    exit 0
fi
grep -E 'error|Error' "$log" | head -n 20
echo "nosan build: FAILED (RelWithDebInfo without sanitizers, in $build)"
exit 1
