#!/usr/bin/env bash
# One update at a time, and uploads that go wrong on the way: a second upload gets 409,
# a client that disconnects or stalls or runs past the deadline is dropped, the session
# is released, the old app keeps booting and the next upload works.
. "$(dirname "$0")/lib.sh"
IMG="$SOTA_TESTDATA/images"
BIG="$IMG/c05_valid_esp32_1000k.bin"
start_sim session --health-delay 100 --recv-timeout 1 --max-timeouts 2 --deadline 6 --resume-timeout 0 || { finish; exit 1; }

# 409: a slow upload holds the session while a second one arrives
curl -s -m 30 -o "$TMP/slow.out" -w '%{http_code}' --limit-rate 400k \
  -H 'Content-Type: application/octet-stream' --data-binary "@$BIG" "$(URL /update)" > "$TMP/slow.code" &
SLOW=$!
wait_field .update_state receiving 10 && ok "first upload is receiving" || bad "first upload never started"
check "status answers during an upload" "receiving" "$(field .update_state)"
upload "$IMG/c01_valid_esp32_10k.bin"
check "second upload during the first: 409" "409" "$CODE"
check "409 error code" "busy" "$(printf '%s' "$BODY" | jq -r .error)"
wait $SLOW
check "the first upload still succeeds" "200" "$(cat "$TMP/slow.code")"
wait_field .running_partition ota_0 20 && ok "rebooted into ota_0" || bad "no reboot after the slow upload"
wait_field .running_state valid 10 || bad "ota_0 not confirmed"

# disconnect mid-upload
curl -s -m 1 --limit-rate 100k -o /dev/null -H 'Content-Type: application/octet-stream' \
  --data-binary "@$BIG" "$(URL /update)"
wait_field .update_state failed 10 && ok "disconnect: session failed and released" || bad "disconnect not noticed"
check_match "disconnect: reason recorded" "connection was lost" "$(field .last_update.message)"
check "disconnect: ota_0 still running" "ota_0" "$(field .running_partition)"
check "disconnect: flash info still boots ota_0" "ota_0" "$("$SOTA" flash info "$FLASH" --rollback --json | jq -r .boot)"

# stall: headers and part of the body, then silence (recv timeout 1 s x 2)
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n' >&3
head -c 5000 "$BIG" >&3
wait_field .update_state failed 10 && ok "stall: dropped within the timeouts" || bad "stall: still $(field .update_state)"
check_match "stall: reason recorded" "stalled" "$(field .last_update.message)"
exec 3>&- 3<&-

# deadline: a steady but too slow upload (6 s deadline)
CODE=$(curl -s -m 20 -o "$TMP/dl.out" -w '%{http_code}' --limit-rate 60k \
  -H 'Content-Type: application/octet-stream' --data-binary "@$BIG" "$(URL /update)")
wait_field .update_state failed 10 && ok "deadline: dropped" || bad "deadline: still $(field .update_state)"
check_match "deadline: reason recorded" "longer than 6 s" "$(field .last_update.message)"
check "deadline: ota_0 still running" "ota_0" "$(field .running_partition)"

# the session is free again: a valid upload works
upload "$IMG/c02_valid_esp32_100k.bin"
check "upload after the failures: 200" "200" "$CODE"
wait_field .running_partition ota_1 20 && ok "rebooted into ota_1" || bad "no reboot into ota_1"
stop_sim
finish
