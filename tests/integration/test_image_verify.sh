#!/usr/bin/env bash
# `sota image verify|make|info` against the reference verdicts of ESP-IDF's esp_image_verify
# (testdata/images/verdicts.tsv): exit 0 + "valid" for idf_valid 1, exit 1 + "invalid: ..."
# for idf_valid 0, with the row's chip, chip revision and slot size; images made by
# `sota image make` verify; usage errors exit 2.
# Env: SOTA (the sota binary), SOTA_TESTDATA (the testdata folder), SOTA_TMPDIR (scratch).
set -u

: "${SOTA:?set SOTA to the sota binary}"
: "${SOTA_TESTDATA:?set SOTA_TESTDATA to the testdata folder}"
tmp=$(mktemp -d "${SOTA_TMPDIR:-${TMPDIR:-/tmp}}/image_verify.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# expect RC DESCRIPTION -- CMD...: run CMD, compare its exit status; stdout kept in $out.
expect() {
    local want=$1 what=$2
    shift 3
    out=$("$@" 2>"$tmp/stderr")
    local rc=$?
    if [ "$rc" -eq "$want" ]; then
        ok
    else
        bad "$what: exit $rc, expected $want: $out $(head -c 300 "$tmp/stderr")"
    fi
}

# 1. every row of verdicts.tsv
tsv="$SOTA_TESTDATA/images/verdicts.tsv"
rows=0
while IFS=$'\t' read -r file valid message chip rev slot rest; do
    [ "$file" = file ] && continue
    rows=$((rows + 1))
    want=1
    [ "$valid" = 1 ] && want=0
    expect "$want" "$file" -- "$SOTA" image verify "$SOTA_TESTDATA/images/$file" \
        --chip "$chip" --chip-rev "$rev" --slot-size "$slot"
    if [ "$want" = 0 ]; then
        [ "$out" = valid ] && ok || bad "$file: printed '$out', expected 'valid'"
    else
        case "$out" in
            "invalid: "?*) ok ;;
            *) bad "$file: printed '$out', expected 'invalid: <reason>'" ;;
        esac
    fi
    expect 0 "info $file" -- "$SOTA" image info "$SOTA_TESTDATA/images/$file" --chip "$chip"
done < "$tsv"
[ "$rows" -ge 25 ] && ok || bad "only $rows rows read from $tsv"

# 2. images made by `image make` verify (slot big enough for each)
for chip in esp32 esp32s2 esp32s3 esp32c3 esp32c2 esp32c6 esp32h2 esp32p4; do
    for size in 368 4K 100000 1M; do
        f="$tmp/$chip-$size.bin"
        expect 0 "make $chip $size" -- "$SOTA" image make -o "$f" --chip "$chip" --size "$size" \
            --seed 7 --project demo --version 1.2.3 --secure-version 2
        expect 0 "verify made $chip $size" -- "$SOTA" image verify "$f" --chip "$chip" \
            --slot-size 2M
        [ "$out" = valid ] && ok || bad "made $chip $size: '$out'"
    done
done
expect 0 "make no-hash" -- "$SOTA" image make -o "$tmp/nohash.bin" --no-hash --size 0x8000
expect 0 "verify no-hash" -- "$SOTA" image verify "$tmp/nohash.bin"
[ "$(stat -c %s "$tmp/nohash.bin")" = 32768 ] && ok || bad "--size 0x8000 made $(stat -c %s "$tmp/nohash.bin") bytes"
expect 0 "make again" -- "$SOTA" image make -o "$tmp/again.bin" --chip esp32c3 --size 4K \
    --seed 7 --project demo --version 1.2.3 --secure-version 2
cmp -s "$tmp/again.bin" "$tmp/esp32c3-4K.bin" && ok || bad "same options made different bytes"
expect 1 "made c3 on esp32" -- "$SOTA" image verify "$tmp/esp32c3-4K.bin" --chip esp32
case "$out" in
    "invalid: an app image for another chip (app_other_chip): This is an app image for esp32c3, but this device is an esp32."*) ok ;;
    *) bad "c3 image on esp32: '$out'" ;;
esac
# without --chip, verify judges for the chip the image names, as info does
expect 0 "made c3, no --chip" -- "$SOTA" image verify "$tmp/esp32c3-4K.bin"
case "$out" in
    valid) ok ;;
    *) bad "c3 image, no --chip: '$out'" ;;
esac
expect 1 "made 1M in a 1M slot" -- "$SOTA" image verify "$tmp/esp32-1M.bin" --slot-size 1048575
expect 0 "made 1M in its own size" -- "$SOTA" image verify "$tmp/esp32-1M.bin" --slot-size 1048576
expect 0 "make min rev" -- "$SOTA" image make -o "$tmp/rev.bin" --min-chip-rev 3.1
expect 1 "min rev 3.1 on v3.0" -- "$SOTA" image verify "$tmp/rev.bin"
expect 0 "min rev 3.1 on v3.1" -- "$SOTA" image verify "$tmp/rev.bin" --chip-rev 3.1
expect 0 "info of a made image" -- "$SOTA" image info "$tmp/esp32-100000.bin"
case "$out" in
    *'project "demo", version "1.2.3", secure version 2'*) ok ;;
    *) bad "info does not show the app description: $out" ;;
esac

# 2b. info on signed apps (Secure Boot V2, espsecure sign_data --version 2): each block's
# scheme, the digest of its key (what the device must trust) and whether it verifies
sig="$SOTA_TESTDATA/signed"
digest_of() { od -An -v -tx1 "$1" | tr -d ' \n'; }
# has TEXT DESCRIPTION: $out contains TEXT
has() { case "$out" in *"$1"*) ok ;; *) bad "$2: no '$1' in: $out" ;; esac; }
expect 0 "info of an RSA-signed app" -- "$SOTA" image info "$sig/app_signed_rsa3072.bin"
has "4096 bytes after it: padding to 4 KiB and a Secure Boot V2 signature sector" "RSA: length line"
has "signature block 0: RSA-3072, key digest $(digest_of "$sig/digest_rsa3072.bin"): the signature verifies over this image" "RSA: block"
has "signed: a device that requires signed apps" "RSA: summary"
expect 0 "info of an ECDSA-signed app" -- "$SOTA" image info "$sig/app_signed_ecdsa256.bin"
has "signature block 0: ECDSA P-256, key digest $(digest_of "$sig/digest_ecdsa256.bin"): the signature verifies" "ECDSA: block"
expect 0 "info of a P-384-signed app" -- "$SOTA" image info "$sig/app_signed_ecdsa384.bin"
has "ECDSA P-384, which this updater does not verify" "P-384: block"
has "signed, but no block verifies here" "P-384: summary"
# the RSA-signed app with a byte changed and its SHA-256 made right again: a valid image
# that is not what was signed
cp "$sig/app_signed_rsa3072.bin" "$tmp/rehashed.bin"; chmod u+w "$tmp/rehashed.bin"
b=$(od -An -tu1 -j $((0x2000)) -N1 "$tmp/rehashed.bin" | tr -d ' ')
printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$tmp/rehashed.bin" bs=1 seek=$((0x2000)) conv=notrunc status=none
b=$(od -An -tu1 -j $((0x20000 - 33)) -N1 "$tmp/rehashed.bin" | tr -d ' ')
printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$tmp/rehashed.bin" bs=1 seek=$((0x20000 - 33)) conv=notrunc status=none
printf '%b' "$(head -c $((0x20000 - 32)) "$tmp/rehashed.bin" | sha256sum | cut -c1-64 | sed 's/../\\x&/g')" |
    dd of="$tmp/rehashed.bin" bs=1 seek=$((0x20000 - 32)) conv=notrunc status=none
expect 0 "info of a signed app changed after signing" -- "$SOTA" image info "$tmp/rehashed.bin"
has "verdict for esp32 v3.0, slot 0x100000 at 0x10000: valid" "changed: still a valid image"
has "changed after it was signed" "changed: block"
has "signed, but no block verifies here" "changed: summary"
expect 0 "info of an unsigned, padded app" -- "$SOTA" image info "$sig/app_padded.bin"
case "$out" in *signature*) bad "unsigned app: a signature is shown: $out" ;; *) ok ;; esac

# 3. usage errors: exit 2
expect 2 "no subcommand" -- "$SOTA" image
expect 2 "unknown subcommand" -- "$SOTA" image frobnicate
expect 2 "no file" -- "$SOTA" image verify
expect 2 "unknown chip" -- "$SOTA" image verify "$tmp/nohash.bin" --chip esp8266
expect 2 "bad size" -- "$SOTA" image verify "$tmp/nohash.bin" --slot-size 12Q
expect 2 "bad revision" -- "$SOTA" image verify "$tmp/nohash.bin" --chip-rev three
expect 2 "missing value" -- "$SOTA" image verify "$tmp/nohash.bin" --slot-size
expect 2 "make without -o" -- "$SOTA" image make
expect 2 "make too small" -- "$SOTA" image make -o "$tmp/x.bin" --size 100
expect 2 "option of another subcommand" -- "$SOTA" image verify "$tmp/nohash.bin" --seed 1
expect 0 "help" -- "$SOTA" image --help
expect 1 "missing file" -- "$SOTA" image verify "$tmp/does-not-exist.bin"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
