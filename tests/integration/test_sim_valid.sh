#!/usr/bin/env bash
# Every valid image of testdata/images that fits is installed over HTTP: 200, reboot
# into the other slot, /api/status and `sota flash info` agree on what runs.
. "$(dirname "$0")/lib.sh"
IMG="$SOTA_TESTDATA/images"

run_chip() { # run_chip CHIP FILE...
  local chip=$1; shift
  start_sim "valid_$chip" --chip "$chip" --health-delay 100 || return
  check "$chip: boots the factory updater" "factory" "$(field .running_partition)"
  check "$chip: status names the chip" "$chip" "$(field .chip)"
  for key in project version idf_version chip running_partition running_state next_partition \
             next_partition_size rollback_enabled update_state received total last_update; do
    check "$chip: status has $key" "true" "$(status | jq "has(\"$key\")")"
  done
  local f mode=raw
  for f in "$@"; do
    local next; next=$(field .next_partition)
    upload "$IMG/$f" "$mode"
    check "$f ($mode): 200" "200" "$CODE"
    local ver proj part
    ver=$(printf '%s' "$BODY" | jq -r .version)
    proj=$(printf '%s' "$BODY" | jq -r .project)
    part=$(printf '%s' "$BODY" | jq -r .partition)
    check "$f: written to the slot that was next" "$next" "$part"
    if wait_field .running_partition "$part" 20; then ok "$f: rebooted into $part"; else bad "$f: no reboot into $part"; fi
    wait_up 10
    check "$f: status version" "$ver" "$(field .version)"
    check "$f: status project" "$proj" "$(field .project)"
    check_match "$f: last_update says installed" "installed|confirmed" "$(field .last_update.message)"
    if wait_field .running_state valid 10; then ok "$f: confirmed after its health check"; else bad "$f: not confirmed"; fi
    # once confirmed, a reset boots it again (before, the bootloader would roll back)
    check "$f: flash info boots it" "$part" "$("$SOTA" flash info "$FLASH" --chip "$chip" --rollback --json | jq -r .boot)"
    mode=$([ "$mode" = raw ] && echo form || echo raw)
  done
  stop_sim
}

run_chip esp32 c01_valid_esp32_10k.bin c02_valid_esp32_100k.bin c09_valid_esp32_secver7.bin \
  c35_trailing_garbage.bin c05_valid_esp32_1000k.bin
run_chip esp32s3 c03_valid_esp32s3_250k.bin
run_chip esp32c3 c04_valid_esp32c3_500k.bin

# valid for ESP-IDF, refused by the upload policy with the rule named (require_app_desc
# is an opt-in rule: by default an image without app description is installed)
start_sim policy --health-delay 100 --require-app-desc
for f in c07_valid_esp32_nohash.bin:require_sha256 c08_bad_appdesc_magic.bin:require_app_desc; do
  upload "$IMG/${f%%:*}"
  check "${f%%:*}: refused 422" "422" "$CODE"
  check "${f%%:*}: error code policy" "policy" "$(printf '%s' "$BODY" | jq -r .error)"
  check_match "${f%%:*}: names the rule" "${f##*:}" "$(printf '%s' "$BODY" | jq -r .message)"
done
check "policy refusals leave the factory app running" "factory" "$(field .running_partition)"
stop_sim
finish
