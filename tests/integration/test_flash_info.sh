#!/usr/bin/env bash
# `sota flash info FILE --json [--rollback]` on every flash image of
# testdata/boot/scenarios.tsv: "boot" must be the partition ESP-IDF's bootloader boots
# (null when none), and the file must be unchanged afterwards.
# Env: SOTA (the sota binary), SOTA_TESTDATA, SOTA_TMPDIR. Last line: "N passed, M failed".
set -u

: "${SOTA:?set SOTA to the sota binary}"
: "${SOTA_TESTDATA:?set SOTA_TESTDATA to the shared testdata folder}"
: "${SOTA_TMPDIR:?set SOTA_TMPDIR to a scratch folder}"

scenarios="$SOTA_TESTDATA/boot/scenarios.tsv"
work="$SOTA_TMPDIR/flash_info.$$"
mkdir -p "$work" || exit 1
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
ok()   { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }

# prints the "boot" value of the JSON on stdin ("null" for null); exit 1 if not the
# expected object
json_boot() {
    python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in ("flash_size", "partitions", "otadata", "slots", "rollback", "boot", "reason"):
    if k not in d:
        sys.exit("missing key " + k)
if d["rollback"] != (sys.argv[1] == "1"):
    sys.exit("rollback is %r" % d["rollback"])
print("null" if d["boot"] is None else d["boot"])
' "$1"
}

{
    read -r _header
    while IFS=$'\t' read -r image rollback booted _after; do
        [ -n "$image" ] || continue
        flash="$work/${image%.gz}"
        if ! gzip -dc "$SOTA_TESTDATA/boot/$image" > "$flash"; then
            fail "$image: can't gunzip"
            continue
        fi
        cp "$flash" "$flash.orig"
        args=(flash info "$flash" --json)
        [ "$rollback" = 1 ] && args+=(--rollback)
        want="$booted"
        [ "$want" = "-" ] && want=null

        out=$("$SOTA" "${args[@]}" 2> "$work/stderr")
        rc=$?
        got=$(printf '%s' "$out" | json_boot "$rollback" 2>&1)
        jrc=$?
        if [ $rc -ne 0 ]; then
            fail "$image rollback=$rollback: exit $rc: $(cat "$work/stderr")"
        elif [ $jrc -ne 0 ]; then
            fail "$image rollback=$rollback: bad JSON: $got"
        elif [ "$got" != "$want" ]; then
            fail "$image rollback=$rollback: boot $got, want $want"
        elif ! cmp -s "$flash" "$flash.orig"; then
            fail "$image rollback=$rollback: the flash file was modified"
        else
            ok "$image rollback=$rollback: boot $got"
        fi

        # the text report names the same partition and leaves the file alone too
        targs=(flash info "$flash")
        [ "$rollback" = 1 ] && targs+=(--rollback)
        text=$("$SOTA" "${targs[@]}" 2>&1)
        rc=$?
        line=$(printf '%s\n' "$text" | grep '^boot (rollback')
        if [ "$want" = null ]; then wline="nothing boots"; else wline="$want"; fi
        if [ $rc -eq 0 ] && [ "${line##*: }" = "$wline" ] && cmp -s "$flash" "$flash.orig"; then
            ok "$image rollback=$rollback: text report"
        else
            fail "$image rollback=$rollback: text report exit $rc, '$line', want '$wline'"
        fi
        rm -f "$flash" "$flash.orig"
    done
} < "$scenarios"

# usage errors exit 2 with help on stderr; unreadable files exit 1 and are not created
check_exit() {
    local want=$1 what=$2
    shift 2
    "$SOTA" "$@" > "$work/out" 2> "$work/err"
    local rc=$?
    if [ $rc -eq "$want" ] && [ -s "$work/err" ]; then
        ok "$what: exit $rc"
    else
        fail "$what: exit $rc (want $want), stderr: $(head -c 200 "$work/err")"
    fi
}
check_exit 2 "no subcommand" flash
check_exit 2 "no FILE" flash info
check_exit 2 "unknown option" flash info x.bin --frobnicate
check_exit 2 "unknown chip" flash info x.bin --chip esp99
check_exit 2 "bad chip revision" flash info x.bin --chip-rev banana
check_exit 1 "missing file" flash info "$work/missing.bin"
if [ -e "$work/missing.bin" ]; then fail "missing file was created"; else ok "missing file not created"; fi
head -c 1000 /dev/zero > "$work/short.bin"
check_exit 0 "file not a whole number of 64 KiB blocks: read with the rest erased" flash info "$work/short.bin"

# esptool merge_bin output for an esp32: it starts with the bootloader (written at 0x1000)
# and ends with the last app, not at a 64 KiB boundary. Made here from a flash dump whose
# bootloader region gets a bootloader header (one segment loaded into DRAM).
gzip -dc "$SOTA_TESTDATA/boot/seq1_valid.bin.gz" > "$work/dump.bin"
printf '\xe9\x01\x02\x20\x00\x00\xfb\x3f\xee\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x30\x00\xff\x3f\x10\x00\x00\x00' |
    dd of="$work/dump.bin" bs=1 seek=$((0x1000)) conv=notrunc status=none
end=$(( $("$SOTA" flash info "$work/dump.bin" --json | jq '[.partitions[] | select(.label=="ota_0") | .offset + .size] | max') - 0x1000 + 12345 ))
dd if="$work/dump.bin" of="$work/merged.bin" bs=4096 skip=1 status=none
truncate -s "$end" "$work/merged.bin"
got=$("$SOTA" flash info "$work/merged.bin" --json 2>"$work/stderr" | json_boot 0 2>&1)
if [ "$got" = ota_0 ]; then ok "merged esp32 file from 0x1000, $end bytes: boot $got"; else fail "merged file: $got $(cat "$work/stderr")"; fi
if grep -q "at 0x1000" "$work/stderr"; then ok "merged file placed at the bootloader offset"; else fail "merged file: $(cat "$work/stderr")"; fi

# Without --chip, the slots are judged for the chip of the bootloader the file holds: an
# esp32c3 flash (bootloader at 0x0, chip id 5) with an esp32c3 app in factory is valid,
# not "wrong chip" as for the esp32 default; --chip still decides when given.
head -c $((0x400000)) /dev/zero | tr '\0' '\377' > "$work/c3.flash"
"$SOTA" ptable "$SOTA_ROOT/partitions.csv" -o "$work/pt.bin" --flash-size 4MB >/dev/null
"$SOTA" image make -o "$work/c3app.bin" --chip esp32c3 --size 20K >/dev/null
dd if="$work/pt.bin" of="$work/c3.flash" bs=1 seek=$((0x8000)) conv=notrunc status=none
dd if="$work/c3app.bin" of="$work/c3.flash" bs=1 seek=$((0x10000)) conv=notrunc status=none
printf '\xe9\x01\x02\x20\x00\x00\xcd\x3f\xee\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x20\x58\xcd\x3f\x10\x00\x00\x00' |
    dd of="$work/c3.flash" bs=1 seek=0 conv=notrunc status=none
got=$("$SOTA" flash info "$work/c3.flash" --json 2>&1 | jq -r '.slots[] | select(.label=="factory") | .image')
if [ "$got" = valid ]; then ok "esp32c3 flash, no --chip: its c3 app is valid"; else fail "esp32c3 flash, no --chip: factory $got"; fi
got=$("$SOTA" flash info "$work/c3.flash" --chip esp32 --json 2>&1 | jq -r '.slots[] | select(.label=="factory") | .reason')
case "$got" in "wrong chip"*) ok "esp32c3 flash, --chip esp32: wrong chip" ;; *) fail "esp32c3 flash, --chip esp32: $got" ;; esac

# a read-only file is reported too (copied, not mapped)
gzip -dc "$SOTA_TESTDATA/boot/seq1_valid.bin.gz" > "$work/ro.bin"
chmod 0444 "$work/ro.bin"
got=$("$SOTA" flash info "$work/ro.bin" --json 2>&1 | json_boot 0 2>&1)
if [ "$got" = ota_0 ]; then ok "read-only file: boot $got"; else fail "read-only file: $got"; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
