#!/usr/bin/env bash
# libFuzzer targets (tests/fuzz): build them with clang (-fsanitize=fuzzer,address,undefined),
# regenerate the seed corpora from the test vectors, run each target for a bounded time
# and report its executions. Fails if a target crashes, leaks, times out on one input or
# breaks one of its checks; the input is kept and the replay command printed.
#
# Environment (all optional):
#   FUZZ_SECONDS  seconds per target (default 20; `make fuzz FUZZ_SECONDS=600` for long runs)
#   FUZZ_JOBS     targets run at the same time (default 2)
#   FUZZ_TARGETS  a subset, e.g. "image dns" (default: all)
#   FUZZ_BUILD    build directory (default: $SOTA_TMPDIR/../fuzz under ctest, else
#                 build/fuzz); its corpus/ grows from run to run, seeds/ is regenerated
# The last line is "N passed, M failed".
set -uo pipefail

root=${SOTA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
testdata=${SOTA_TESTDATA:-$root/../shared/testdata}
if [ -n "${FUZZ_BUILD:-}" ]; then
    build=$FUZZ_BUILD
elif [ -n "${SOTA_TMPDIR:-}" ]; then
    build=$SOTA_TMPDIR/../fuzz
else
    build=$root/build/fuzz
fi
secs=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-2}
all_targets="image ident update multipart dns ptable otadata http"
targets=${FUZZ_TARGETS:-$all_targets}
ntargets=$(wc -w <<<"$targets")

# Longest input each target reads (its option bytes included) and its dictionary.
declare -A max_len=([image]=32769 [ident]=36869 [update]=32771 [multipart]=4096
                    [dns]=600 [ptable]=8192 [otadata]=65 [http]=4096)
declare -A dict=([http]=http.dict [multipart]=multipart.dict [ptable]=ptable.dict)

if ! command -v "${FUZZ_CC:-clang}" >/dev/null; then
    echo "clang is not installed: run tools/deps.sh test (as root) or apt-get install clang libclang-rt-14-dev"
    echo "0 passed, $ntargets failed"
    exit 1
fi

mkdir -p "$build"
build=$(cd "$build" && pwd)
echo "building the fuzz targets in $build"
if ! make -f "$root/tests/fuzz/fuzz.mk" FUZZ_BUILD="$build" TESTDATA="$testdata" \
        -j"$jobs" all >"$build/build.log" 2>&1; then
    tail -n 40 "$build/build.log"
    echo "the fuzz build failed (whole log: $build/build.log)"
    echo "0 passed, $ntargets failed"
    exit 1
fi
grep -E '^[a-z]+: [0-9]+ seeds$' "$build/build.log" | tr '\n' ' '
echo

mkdir -p "$build/logs" "$build/artifacts"

run_one() {
    local t=$1
    local log=$build/logs/$t.log
    local args=(-max_total_time="$secs" -max_len="${max_len[$t]}" -timeout=25
                -rss_limit_mb=2560 -print_final_stats=1
                -artifact_prefix="$build/artifacts/$t-")
    [ -n "${dict[$t]:-}" ] && args+=(-dict="$root/tests/fuzz/${dict[$t]}")
    mkdir -p "$build/corpus/$t"
    rm -f "$build/artifacts/$t-"*
    "$build/fuzz_$t" "${args[@]}" "$build/corpus/$t" "$build/seeds/$t" >"$log" 2>&1
    echo $? >"$build/logs/$t.rc"
}

# Run FUZZ_JOBS targets at a time.
running=0
for t in $targets; do
    if [ -z "${max_len[$t]:-}" ]; then
        echo "unknown fuzz target '$t' (known: $all_targets)"
        echo "0 passed, $ntargets failed"
        exit 1
    fi
    rm -f "$build/logs/$t.rc"
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

passed=0 failed=0 total=0
for t in $targets; do
    log=$build/logs/$t.log
    rc=$(cat "$build/logs/$t.rc" 2>/dev/null || echo 99)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    execs=${execs:-0}
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1)
    total=$((total + execs))
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1))
        printf 'fuzz_%-9s ok      %10s executions in %ss (%s)\n' "$t" "$execs" "$secs" "$cov"
    else
        failed=$((failed + 1))
        printf 'fuzz_%-9s FAILED  %10s executions, exit code %s\n' "$t" "$execs" "$rc"
        grep -E 'FUZZ_CHECK|ERROR: |runtime error|SUMMARY|^  ' "$log" | head -n 12 | sed 's/^/    /'
        for a in "$build/artifacts/$t-"*; do
            [ -e "$a" ] || continue
            echo "    input kept: $a"
            echo "    replay:     $build/fuzz_$t $a"
        done
        echo "    log: $log"
    fi
done
echo "fuzz executions: $total in total over $ntargets targets ($secs s each)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
