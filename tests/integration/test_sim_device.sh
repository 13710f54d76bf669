#!/usr/bin/env bash
# The device's hardware and Wi-Fi settings the updater must cope with, on `sota sim`:
# flash encryption (whole aligned 16-byte writes, erased flash reading as noise), the
# chip's eFuse block revision, and the Wi-Fi country that decides the channels.
. "$(dirname "$0")/lib.sh"
IMG="$SOTA_TESTDATA/images"

# slot_is FILE LABEL: the slot of the flash file starts with FILE's bytes
slot_is() {
  local off len
  off=$("$SOTA" flash info "$FLASH" --json | jq -r ".partitions[] | select(.label==\"$2\") | .offset")
  len=$(stat -c %s "$1")
  cmp -s -n "$len" "$1" <(dd if="$FLASH" bs=4096 skip=$((off / 4096)) status=none)
}

# --- flash encryption: three complete updates (raw, form, raw again into the slot of the
# first after two reboots), a refused one, a stalled one
cp "$IMG/c02_valid_esp32_100k.bin" "$TMP/odd.bin"
printf 'tail!' >>"$TMP/odd.bin"    # 5 bytes past a 16-byte boundary: the last block is padded
# installs NAME FILE MODE SLOT: uploaded (raw or form): 200, booted from SLOT, confirmed,
# and SLOT holds the file byte for byte
installs() {
  upload "$2" "$3"
  check "$1: $3 upload of $(basename "$2") accepted" "200" "$CODE"
  wait_field .running_partition "$4" 30 && ok "$1: booted $4" || bad "$1: did not boot $4"
  wait_field .running_state valid 10 || bad "$1: $4 not confirmed"
  slot_is "$2" "$4" && ok "$1: $4 holds the file" || bad "$1: $4 differs from the file"
}
start_sim fe --flash-encryption --recv-timeout 1 --max-timeouts 2 --resume-timeout 0 || { finish; exit 1; }
upload "$IMG/c03_valid_esp32s3_250k.bin"
check "fe: wrong chip refused" "415" "$CODE"
installs fe "$TMP/odd.bin" raw ota_0   # a length not a multiple of 16
upload "$IMG/c05_valid_esp32_1000k.bin" form
check "fe: multipart upload of a 1000 KB app accepted" "200" "$CODE"
wait_field .running_partition ota_1 30 && ok "fe: booted ota_1" || bad "fe: did not boot ota_1"
wait_field .running_state valid 10 || bad "fe: ota_1 not confirmed"
upload "$IMG/c14_flip_payload_byte.bin"
check "fe: corrupt image refused" "422" "$CODE"
upload "$IMG/c01_valid_esp32_10k.bin"
check "fe: update into the first slot again accepted" "200" "$CODE"
wait_field .running_partition ota_0 20 && ok "fe: booted ota_0 again" || bad "fe: did not boot ota_0 again"
wait_field .running_state valid 10 || bad "fe: ota_0 not confirmed again"
slot_is "$IMG/c01_valid_esp32_10k.bin" ota_0 && ok "fe: ota_0 holds the new app" || bad "fe: ota_0 differs"
# a stalled upload: half the body, then silence (resume is off here: the stall is dropped at once)
head -c 50000 "$IMG/c02_valid_esp32_100k.bin" >"$TMP/half.bin"
CODE=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
  -H "Content-Length: $(stat -c %s "$IMG/c02_valid_esp32_100k.bin")" --data-binary "@$TMP/half.bin" "$(URL /update)")
check_match "fe: stalled upload dropped" "^(000|408)$" "$CODE"
check "fe: the app keeps running" "ota_0" "$(field .running_partition)"
check "fe: stall recorded" "false" "$(field .last_update.ok)"
grep -q "16-byte aligned\|16byte aligned" "$SIM_LOG" && bad "fe: an unaligned write was refused" || ok "fe: no unaligned write"
stop_sim
# the same writes on the older releases (the upload in the server task on 5.0 and 5.2.0,
# which also differ in how they hand the body over): a raw and a form upload of a length
# not a multiple of 16 each
for r in 5.0 5.2.0 5.3.1; do
  start_sim "fe_$r" --idf "$r" --flash-encryption --health-delay 100 --resume-timeout 0 || { finish; exit 1; }
  installs "fe $r" "$TMP/odd.bin" raw ota_0
  installs "fe $r" "$TMP/odd.bin" form ota_1
  grep -q "16-byte aligned\|16byte aligned" "$SIM_LOG" && bad "fe $r: an unaligned write was refused" || ok "fe $r: no unaligned write"
  stop_sim
done

# --- eFuse block revision: an esp32c3 app that needs eFuse block 1.0
"$SOTA" image make -o "$TMP/efuse.bin" --chip esp32c3 --size 60K --min-efuse-blk-rev 1.0 >/dev/null
start_sim efuse_old --chip esp32c3 || { finish; exit 1; }
upload "$TMP/efuse.bin"
check "efuse 0.0: refused" "422" "$CODE"
check_match "efuse 0.0: says why" "eFuse block revision too old" "$BODY"
stop_sim
start_sim efuse_new --chip esp32c3 --efuse-blk-rev 1.1 || { finish; exit 1; }
upload "$TMP/efuse.bin"
check "efuse 1.1: accepted" "200" "$CODE"
wait_field .running_partition ota_0 20 && ok "efuse 1.1: booted ota_0" || bad "efuse 1.1: did not boot"
stop_sim

# --- Wi-Fi country: channel 13 needs a country that has it
PORT=$(free_port)
FLASH="$TMP/cc.flash"
ASAN_OPTIONS=detect_leaks=0 timeout 20 "$SOTA" sim --flash "$FLASH" --port "$PORT" --channel 13 >"$TMP/cc.log" 2>&1
check "channel 13 without a country: the updater does not start" "2" "$?"
check_match "channel 13 without a country: says why" "channel 13 is not allowed in country '01' \(channels 1..11\)" "$(cat "$TMP/cc.log")"
start_sim cc_de --channel 13 --country DE || { finish; exit 1; }
ok "channel 13 in DE: the updater runs"
grep -q "AP 'ESP32 OTA Update' channel 13" "$SIM_LOG" && ok "DE: AP on channel 13" || bad "DE: AP not on channel 13"
stop_sim
finish
