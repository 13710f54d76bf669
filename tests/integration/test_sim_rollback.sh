#!/usr/bin/env bash
# A new app that fails its health check is rolled back at once; one that never
# confirms is rolled back by the bootloader at the next reset. The status says so.
. "$(dirname "$0")/lib.sh"
IMG="$SOTA_TESTDATA/images"

start_sim rb_fail --health fail --health-delay 100 || { finish; exit 1; }
upload "$IMG/c02_valid_esp32_100k.bin"
check "fail: upload accepted" "200" "$CODE"
# the new app boots, fails its check, marks itself invalid and reboots into factory
wait_field .last_update.ok false 30 && ok "fail: rollback recorded" || bad "fail: no rollback recorded"
wait_up 10
check "fail: factory runs again" "factory" "$(field .running_partition)"
check_match "fail: message says why" "health check.*rolled back" "$(field .last_update.message)"
check "fail: ota_0 marked invalid" "invalid" "$(status | jq -r '.slots[] | select(.label=="ota_0") | .state')"
check "fail: flash info boots factory" "factory" "$("$SOTA" flash info "$FLASH" --rollback --json | jq -r .boot)"
stop_sim

start_sim rb_hang --health hang --health-delay 100 || { finish; exit 1; }
upload "$IMG/c02_valid_esp32_100k.bin"
check "hang: upload accepted" "200" "$CODE"
wait_field .running_partition ota_0 20 && ok "hang: new app booted" || bad "hang: new app did not boot"
check "hang: new app pending verification" "pending_verify" "$(field .running_state)"
# a reset before it confirms: the bootloader aborts it and boots the previous app
stop_sim
ASAN_OPTIONS=detect_leaks=0 "$SOTA" sim --flash "$FLASH" --port "$PORT" --health hang >>"$SIM_LOG" 2>&1 &
SIM_PID=$!
wait_up 20 || bad "hang: simulator did not come back"
check "hang: factory runs after the reset" "factory" "$(field .running_partition)"
check "hang: ota_0 aborted" "aborted" "$(status | jq -r '.slots[] | select(.label=="ota_0") | .state')"
check "hang: last update says rolled back" "false" "$(field .last_update.ok)"
check_match "hang: message says why" "did not confirm" "$(field .last_update.message)"
stop_sim
finish
