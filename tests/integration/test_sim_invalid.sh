#!/usr/bin/env bash
# Every invalid image and every wrong kind of file is refused with the specific status
# and a message naming the problem; first-byte refusals erase nothing; the running app
# keeps booting.
. "$(dirname "$0")/lib.sh"
IMG="$SOTA_TESTDATA/images"
start_sim invalid --health-delay 100 || { finish; exit 1; }

# wrong kinds of file, built here
W="$TMP/wrong"; mkdir -p "$W"
head -c 65536 "$SOTA" > "$W/firmware.elf"
gzip -c "$IMG/c02_valid_esp32_100k.bin" > "$W/app.bin.gz"
cp "$SOTA_TESTDATA/ptables/partitions_two_ota.bin" "$W/partition-table.bin"
# merged flash image (esp32): 0xFF up to the bootloader at 0x1000, table at 0x8000, app at 0x10000
{ head -c 4096 /dev/zero | tr '\0' '\377'; } > "$W/merged.bin"
cat "$IMG/c01_valid_esp32_10k.bin" >> "$W/merged.bin"
truncate -s $((0x8000)) "$W/merged.bin"
cat "$SOTA_TESTDATA/ptables/partitions_two_ota.bin" >> "$W/merged.bin"
truncate -s $((0x10000)) "$W/merged.bin"
cat "$IMG/c02_valid_esp32_100k.bin" >> "$W/merged.bin"
# a bare bootloader: one segment loaded into DRAM, no app description
printf '\xe9\x01\x02\x20\x00\x00\xfb\x3f\xee\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xfb\x3f\x10\x00\x00\x00' > "$W/bootloader.bin"
head -c 16 /dev/zero >> "$W/bootloader.bin"
{ head -c 15 /dev/zero; printf '\xef'; } >> "$W/bootloader.bin"

# file|status|error code|regex the message must match|slot untouched (1) or not checked (0)
cases="
$IMG/c10_bad_magic.bin|415|not_app_image|.|1
$IMG/c11_truncated_mid_segment.bin|422|verify_failed|[Cc]hecksum|0
$IMG/c12_truncated_in_sha.bin|422|verify_failed|SHA-256|0
$IMG/c14_flip_payload_byte.bin|422|verify_failed|[Cc]hecksum|0
$IMG/c16_bad_checksum_rehashed.bin|422|verify_failed|[Cc]hecksum|0
$IMG/c17_bad_checksum_raw.bin|422|verify_failed|[Cc]hecksum|0
$IMG/c18_flip_sha_byte.bin|422|verify_failed|SHA-256|0
$IMG/c19_segcount0_raw.bin|422|verify_failed|[Cc]hecksum|1
$IMG/c22_segcount17.bin|422|verify_failed|17|1
$IMG/c24_seglen_past_eof.bin|422|verify_failed|[Cc]hecksum|0
$IMG/c25_seglen_16M.bin|422|verify_failed|segment|0
$IMG/c26_seglen_unaligned.bin|422|verify_failed|segment|0
$IMG/c27_wrong_chip_id.bin|415|not_app_image|esp32c3|1
$IMG/c37_header_only.bin|422|verify_failed|segment|1
$IMG/c38_too_big_for_1M_slot.bin|413|too_big|slot|1
$IMG/c39_all_ff_64k.bin|415|not_app_image|erased|1
$IMG/c04_valid_esp32c3_500k.bin|415|not_app_image|esp32c3|1
$W/firmware.elf|415|not_app_image|ELF|1
$W/app.bin.gz|415|not_app_image|gzip|1
$W/partition-table.bin|415|not_app_image|partition table|1
$W/merged.bin|415|not_app_image|merged|1
$W/bootloader.bin|415|not_app_image|bootloader|1
"
IFS_OLD=$IFS
while IFS='|' read -r file want code rx untouched; do
  [ -n "$file" ] || continue
  name=$(basename "$file")
  next=$(field .next_partition)
  before=$(slot_sum "$next")
  upload "$file"
  check "$name: HTTP $want" "$want" "$CODE"
  check "$name: error $code" "$code" "$(printf '%s' "$BODY" | jq -r .error)"
  msg=$(printf '%s' "$BODY" | jq -r .message)
  check_match "$name: message names the problem" "$rx" "$msg"
  if [ "$untouched" = 1 ]; then
    check "$name: nothing erased or written in $next" "$before" "$(slot_sum "$next")"
  fi
  check "$name: status shows the failure" "false" "$(field .last_update.ok)"
  check "$name: factory app still running" "factory" "$(field .running_partition)"
  check "$name: flash info still boots factory" "factory" "$("$SOTA" flash info "$FLASH" --rollback --json | jq -r .boot)"
done <<< "$cases"
IFS=$IFS_OLD

# empty body: 411
CODE=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/octet-stream' --data-binary @/dev/null "$(URL /update)")
check "empty upload: 411" "411" "$CODE"

# after all that, a valid upload still works
upload "$IMG/c01_valid_esp32_10k.bin"
check "valid upload after the refusals: 200" "200" "$CODE"
wait_field .running_partition ota_0 20 && ok "rebooted into ota_0" || bad "no reboot into ota_0"
stop_sim
finish
