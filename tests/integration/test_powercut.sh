#!/usr/bin/env bash
# `sota powercut`: the whole sweep (every scenario, clean and torn cuts) passes and ends
# with "cut points: N tried, 0 failed" (after every cut the device must also take one
# more uncut update); one torn cut point replays alone; a given image
# is swept too; usage errors exit 2. Last line: "N passed, M failed".
. "$(dirname "$0")/lib.sh"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

# the whole sweep
"$SOTA" powercut > "$TMP/all.out" 2> "$TMP/all.err"
rc=$?
check "sweep: exit 0" "0" "$rc"
last=$(tail -n1 "$TMP/all.out")
check_match "sweep: last line says 0 failed" '^cut points: [1-9][0-9]* tried, 0 failed$' "$last"
for sc in update-blank update-older first-boot rollback reset-pending; do
  check_match "sweep: $sc clean cuts, none failed" '^  clean cuts 1\.\.[1-9][0-9]*: 0 failed$' \
    "$(sed -n "/^$sc:/,/^[a-z]/p" "$TMP/all.out" | grep '^  clean cuts')"
  check_match "sweep: $sc torn cuts, none failed" '^  torn cuts 1\.\.[1-9][0-9]*: 0 failed$' \
    "$(sed -n "/^$sc:/,/^[a-z]/p" "$TMP/all.out" | grep '^  torn cuts')"
done
check "sweep: no FAIL line" "0" "$(grep -c '^FAIL' "$TMP/all.out")"
# tried = twice the sum of every scenario's operations
sum=$(sed -n 's/^  no cut: \([0-9]*\) flash operations.*/\1/p' "$TMP/all.out" | awk "{s += \$1} END {print s}")
check "sweep: every cut point of both modes tried" "cut points: $((2 * sum)) tried, 0 failed" "$last"
# the README's figures are this sweep's
tried=$(printf '%s' "$last" | sed 's/^cut points: \([0-9]*\) tried.*/\1/')
resumed=$(sed -n '/^update-resumed:/,/^[a-z]/s/^  no cut: \([0-9]*\) flash operations.*/\1/p' "$TMP/all.out")
check "README: the cut points it names are the sweep's ($tried)" "1" \
  "$(grep -c "^  \*\*$tried cut points, 0 failed, each followed by a successful update\*\* (update-resumed:$" "$SOTA_ROOT/README.md")"
check "README: the update-resumed share it names is the sweep's ($((2 * resumed)))" "1" \
  "$(grep -c "^  $((2 * resumed)) of them)\.$" "$SOTA_ROOT/README.md")"

# replay one torn cut in the middle of the update alone
n=$(sed -n '/^update-blank:/,/^[a-z]/s/^  no cut: \([0-9]*\) flash operations.*/\1/p' "$TMP/all.out")
k=$(( ${n:-2} / 2 ))
out=$("$SOTA" powercut --scenario update-blank --cut "$k" --mode torn 2>&1)
rc=$?
check "replay cut $k torn: exit 0" "0" "$rc"
check_match "replay cut $k torn: the run and what booted" \
  "^update-blank cut $k torn: ok: $((k - 1)) flash operations before the cut, then booted factory " \
  "$(printf '%s\n' "$out" | head -n1)"
check "replay cut $k torn: last line" "cut points: 1 tried, 0 failed" "$(printf '%s\n' "$out" | tail -n1)"
check_match "replay cut $k torn: then it still takes an update" ", then an uncut update booted$" \
  "$(printf '%s\n' "$out" | head -n1)"
# a cut that leaves the new app pending verification: it is confirmed, then updated
out=$("$SOTA" powercut --scenario first-boot --cut 1 --mode clean 2>&1)
check_match "first-boot cut 1: pending app, then updated" \
  "^first-boot cut 1 clean: ok: 0 flash operations before the cut, then booted ota_0 \(softap-ota 2\.0\.0, pending_verify\), then an uncut update booted$" \
  "$(printf '%s\n' "$out" | head -n1)"
# the last operation (the otadata write) and the one after it
out=$("$SOTA" powercut --scenario update-blank --cut "$n" --mode torn 2>&1)
check "replay cut N=$n torn (set-boot): last line" "cut points: 1 tried, 0 failed" "$(printf '%s\n' "$out" | tail -n1)"
out=$("$SOTA" powercut --scenario update-blank --cut "$((n + 1))" --mode torn 2>&1)
rc=$?
check "cut N+1: exit 2" "2" "$rc"
check_match "cut N+1: says why" "only $n flash operations" "$out"

# a given image (not the default one), one scenario, torn cuts only
"$SOTA" image make -o "$TMP/app.bin" --project given --version 3.1.4 --size 30000 --seed 7 >/dev/null 2>&1
out=$("$SOTA" powercut --image "$TMP/app.bin" --scenario update-older --mode torn 2>&1)
rc=$?
check "given image: exit 0" "0" "$rc"
check_match "given image: ends with it" "no cut: [0-9]+ flash operations, ends with ota_1 \(given 3\.1\.4, pending_verify\)" "$out"
check_match "given image: last line" "^cut points: [1-9][0-9]* tried, 0 failed$" "$(printf '%s\n' "$out" | tail -n1)"
check "given image: only torn cuts" "0" "$(printf '%s\n' "$out" | grep -c 'clean cuts')"

# usage errors
while IFS='|' read -r args want; do
  # shellcheck disable=SC2086
  "$SOTA" powercut $args > /dev/null 2> "$TMP/usage.err"
  check "usage error ($args): exit 2" "2" "$?"
  check_match "usage error ($args): says why" "$want" "$(head -n1 "$TMP/usage.err")"
done <<EOF
--mode sideways|^sota powercut: --mode sideways: expected clean or torn$
--cut x|^sota powercut: --cut x: expected a flash operation number
--scenario nope|^sota powercut: unknown scenario 'nope'
--frobnicate|^sota powercut: unknown option '--frobnicate'$
--cut|^sota powercut: --cut needs a value$
EOF
"$SOTA" powercut --image "$TMP/missing.bin" > /dev/null 2> "$TMP/missing.err"
check "missing image: exit 1" "1" "$?"
check_match "missing image: says so" "cannot open .*missing.bin" "$(cat "$TMP/missing.err")"

finish
