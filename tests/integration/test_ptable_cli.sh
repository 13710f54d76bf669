#!/usr/bin/env bash
# Integration test of `sota ptable` against the reference data made with ESP-IDF's
# gen_esp32part.py: CSV -> BIN and BIN -> CSV byte-identical (cmp), round trips, every row
# of invalid/errors.tsv, options, and the exit codes (0 ok, 1 invalid/I-O, 2 usage).
# Env: SOTA (the sota binary), SOTA_TESTDATA (the testdata folder), SOTA_TMPDIR (optional).
set -u

SOTA=${SOTA:?set SOTA to the sota binary}
TD=${SOTA_TESTDATA:?set SOTA_TESTDATA to the testdata folder}/ptables
TMP=$(mktemp -d "${SOTA_TMPDIR:-${TMPDIR:-/tmp}}/ptable_cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# run EXPECTED_RC DESCRIPTION -- COMMAND...: runs it with stdout/stderr in $TMP/out, $TMP/err
run() {
    local want=$1 desc=$2
    shift 3
    "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    if [ "$rc" -eq "$want" ]; then
        ok
        return 0
    fi
    bad "$desc: exit $rc, expected $want; stderr: $(head -c 400 "$TMP/err")"
    return 1
}

# same FILE1 FILE2 DESCRIPTION
same() {
    if cmp -s "$1" "$2"; then ok; else bad "$3: $1 differs from $2 ($(cmp "$1" "$2" 2>&1 | head -1))"; fi
}

# stderr_has TEXT DESCRIPTION
stderr_has() {
    if grep -qF -- "$1" "$TMP/err"; then ok; else bad "$2: stderr lacks '$1': $(head -c 400 "$TMP/err")"; fi
}

# ---- the reference tables, both ways --------------------------------------------------
for name in partitions_singleapp partitions_two_ota custom_factory_2ota_spiffs custom_16ota_small; do
    csv=$TD/$name.csv bin=$TD/$name.bin rt=$TD/$name.roundtrip.csv
    run 0 "$name csv->bin" -- "$SOTA" ptable "$csv" -o "$TMP/$name.bin" --flash-size 4MB &&
        same "$TMP/$name.bin" "$bin" "$name csv->bin"
    run 0 "$name bin->csv" -- "$SOTA" ptable "$bin" -o "$TMP/$name.csv" &&
        same "$TMP/$name.csv" "$rt" "$name bin->csv"
    run 0 "$name bin->csv stdout" -- "$SOTA" ptable "$bin" &&
        same "$TMP/out" "$rt" "$name bin->csv on stdout"
    # CSV -> BIN -> CSV -> BIN
    run 0 "$name round trip" -- "$SOTA" ptable "$TMP/$name.csv" -o "$TMP/$name.2.bin" --flash-size=4MB &&
        same "$TMP/$name.2.bin" "$bin" "$name csv->bin->csv->bin"
    # gen_esp32part's positional output, and binary to a redirected stdout
    run 0 "$name positional output" -- "$SOTA" ptable "$csv" "$TMP/$name.3.bin" &&
        same "$TMP/$name.3.bin" "$bin" "$name positional output"
    run 0 "$name binary to stdout" -- "$SOTA" ptable "$csv" &&
        same "$TMP/out" "$bin" "$name binary on stdout"
done

# ---- invalid/errors.tsv: rc 2 rows fail with the reason, rc 0 rows pass ----------------
while IFS=$'\t' read -r file rc message; do
    case "$file" in '#'* | '') continue ;; esac
    out=$TMP/err_out.$file
    if [ "$rc" = 0 ]; then
        run 0 "$file (accepted by gen_esp32part)" -- "$SOTA" ptable "$TD/invalid/$file" -o "$out" --flash-size 4MB
        continue
    fi
    run 1 "$file (rejected by gen_esp32part)" -- "$SOTA" ptable "$TD/invalid/$file" -o "$out" --flash-size 4MB
    if [ -e "$out" ]; then bad "$file: an output file was written on error"; else ok; fi
    # the reason: gen_esp32part's last line (not its generic hint), up to any '('
    reason=$(printf '%s' "$message" | tr '|' '\n' | grep -v '^Please check' | grep -v '^$' | tail -1)
    reason=${reason%%(*}
    stderr_has "${reason:0:70}" "$file reason"
done <"$TD/invalid/errors.tsv"

run 0 "94 partitions" -- "$SOTA" ptable "$TD/invalid/max_partitions_ok_94.csv" -o "$TMP/94.bin" &&
    same "$TMP/94.bin" "$TD/invalid/max_partitions_ok_94.bin" "94 partitions csv->bin"

# ---- options ---------------------------------------------------------------------------
# --disable-md5sum: a table without MD5 comes back byte for byte
run 0 "no-md5 bin->csv" -- "$SOTA" ptable "$TD/invalid/bin_no_md5.bin" -o "$TMP/nomd5.csv" &&
    run 0 "no-md5 csv->bin" -- "$SOTA" ptable "$TMP/nomd5.csv" -o "$TMP/nomd5.bin" --disable-md5sum &&
    same "$TMP/nomd5.bin" "$TD/invalid/bin_no_md5.bin" "--disable-md5sum round trip"

# --offset moves the first implicit offset after the table's sector
printf 'a, data, fat, , 4K\nb, app, factory, , 64K\n' >"$TMP/off.csv"
run 0 "--offset csv->bin" -- "$SOTA" ptable "$TMP/off.csv" -o "$TMP/off.bin" --offset 0x10000 &&
    run 0 "--offset bin->csv" -- "$SOTA" ptable "$TMP/off.bin" --offset 0x10000 &&
    printf '# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\na,data,fat,0x11000,4K,\nb,app,factory,0x20000,64K,\n' >"$TMP/off.want" &&
    same "$TMP/out" "$TMP/off.want" "--offset 0x10000"
# ... and a table read back with the default offset is below it: invalid
run 1 "table below --offset" -- "$SOTA" ptable "$TMP/off.bin" --offset 0x20000 &&
    stderr_has "is below 0x21000" "table below --offset"

# the output folder is created
run 0 "output folder created" -- "$SOTA" ptable "$TD/partitions_two_ota.csv" -o "$TMP/new/dir/p.bin" &&
    same "$TMP/new/dir/p.bin" "$TD/partitions_two_ota.bin" "output in a new folder"

# a label longer than 16 bytes is cut like gen_esp32part does, with a warning
printf 'abcdefghijklmnopq, data, fat, , 4K\n' >"$TMP/long.csv"
run 0 "17-char label" -- "$SOTA" ptable "$TMP/long.csv" -o "$TMP/long.bin" &&
    stderr_has "longer than 16 bytes" "17-char label warning"

# UTF-16 CSV with a byte order mark (as gen_esp32part reads it)
if command -v iconv >/dev/null 2>&1; then
    iconv -f UTF-8 -t UTF-16 "$TD/partitions_two_ota.csv" >"$TMP/u16.csv" &&
        run 0 "UTF-16 csv" -- "$SOTA" ptable "$TMP/u16.csv" -o "$TMP/u16.bin" &&
        same "$TMP/u16.bin" "$TD/partitions_two_ota.bin" "UTF-16 csv->bin"
fi

# ---- exit codes --------------------------------------------------------------------------
run 2 "no arguments" -- "$SOTA" ptable
run 2 "unknown option" -- "$SOTA" ptable "$TD/partitions_two_ota.csv" --bogus
run 2 "bad --flash-size" -- "$SOTA" ptable "$TD/partitions_two_ota.csv" -o "$TMP/x.bin" --flash-size 3MB
run 2 "-o without value" -- "$SOTA" ptable "$TD/partitions_two_ota.csv" -o
run 2 "bad --offset" -- "$SOTA" ptable "$TD/partitions_two_ota.csv" -o "$TMP/x.bin" --offset 0x
run 2 "bad --secure" -- "$SOTA" ptable "$TD/partitions_two_ota.csv" -o "$TMP/x.bin" --secure v3
run 2 "too many arguments" -- "$SOTA" ptable a.csv b.bin c.bin
run 2 "two outputs" -- "$SOTA" ptable "$TD/partitions_two_ota.csv" "$TMP/x.bin" -o "$TMP/y.bin"
stderr_has "usage: sota ptable" "usage errors print the help"
run 0 "--help" -- "$SOTA" ptable --help && if grep -q "usage: sota ptable" "$TMP/out"; then ok; else bad "--help prints the usage"; fi
run 1 "missing input" -- "$SOTA" ptable "$TMP/does-not-exist.csv" -o "$TMP/x.bin"
head -c 4096 /dev/zero | tr '\0' '\377' >"$TMP/erased.bin"
run 1 "erased flash" -- "$SOTA" ptable "$TMP/erased.bin" && stderr_has "no partition table" "erased flash"
run 1 "flash size" -- "$SOTA" ptable "$TD/partitions_two_ota.csv" -o "$TMP/x.bin" --flash-size 2MB &&
    stderr_has "does not fit in configured flash size 2MB" "flash size"
if [ -e "$TMP/x.bin" ]; then bad "no output on errors"; else ok; fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
