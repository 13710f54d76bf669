#!/usr/bin/env bash
# Seed corpora of the fuzz targets, built from the shared test vectors and seedgen.
#   tests/fuzz/make_seeds.sh SEEDGEN TESTDATA OUTDIR
# Writes OUTDIR/<target>/ for every target (replacing what was there). Large vectors are
# cut to the length the target reads (the fuzzer's -max_len); each target's input layout
# (a few option bytes before the file) is described at the top of its fuzz_<name>.c.
set -euo pipefail

seedgen=$1 testdata=$2 out=$3
targets=(image ident update multipart dns ptable otadata http)

for t in "${targets[@]}"; do
    rm -rf "$out/$t"
    mkdir -p "$out/$t"
done
"$seedgen" "$out"

# prefix BYTES(printf format) MAXLEN SRC DST: DST = BYTES + the first MAXLEN bytes of SRC
prefix() {
    { printf "$1"; head -c "$2" "$3"; } > "$4"
}

# App images: test vectors, cut to what the targets read.
for f in "$testdata"/images/*.bin; do
    b=$(basename "$f" .bin)
    prefix '\x80' 32768 "$f" "$out/image/$b"
    prefix '\x01\x00\x00\x00\x00' 36864 "$f" "$out/ident/$b"
    # update: the file's own chip, exact length, full policy, erased slot of 256 KiB
    prefix '\xff\x37\x02' 32768 "$f" "$out/update/$b"
done

# Partition tables: binaries and CSVs as they are.
for f in "$testdata"/ptables/*.bin "$testdata"/ptables/*.csv \
         "$testdata"/ptables/invalid/*.bin "$testdata"/ptables/invalid/*.csv; do
    [ -f "$f" ] || continue
    cp "$f" "$out/ptable/$(basename "$f")"
    case "$f" in
        *.bin) prefix '\x01\x00\x00\x00\x00' 36864 "$f" "$out/ident/pt_$(basename "$f")" ;;
    esac
done

# Flash images of the boot scenarios: their otadata entries (both sectors) for
# fuzz_otadata, and their first 36 KiB (erased bootloader area, table at 0x8000) for
# fuzz_ident. The otadata partition is found in the table (type 1, subtype 0).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$testdata"/boot/*.bin.gz; do
    b=$(basename "$f" .bin.gz)
    gunzip -c "$f" > "$tmp/flash.bin"
    prefix '\x01\x00\x00\x00\x00' 36864 "$tmp/flash.bin" "$out/ident/flash_$b"
    ota=""
    for ((row = 0; row < 96; row++)); do
        hex=$(od -An -v -tx1 -j $((0x8000 + row * 32)) -N 12 "$tmp/flash.bin" | tr -d ' \n')
        [ "${hex:0:4}" = "aa50" ] || break
        if [ "${hex:4:4}" = "0100" ]; then
            ota=$((16#${hex:14:2}${hex:12:2}${hex:10:2}${hex:8:2}))
            break
        fi
    done
    [ -n "$ota" ] || continue
    for opt in '\x1f' '\x1e' '\x3f' '\x03'; do
        n=$(printf '%s' "$opt" | tr -d '\\x')
        { head -c $((ota + 32)) "$tmp/flash.bin" | tail -c 32
          head -c $((ota + 0x1000 + 32)) "$tmp/flash.bin" | tail -c 32
          printf "$opt"; } > "$out/otadata/${b}_$n"
    done
done

for t in "${targets[@]}"; do
    printf '%s: %s seeds\n' "$t" "$(find "$out/$t" -type f | wc -l)"
done
