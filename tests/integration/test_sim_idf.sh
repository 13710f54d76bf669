#!/usr/bin/env bash
# The simulator as each modelled ESP-IDF release (sota sim --idf): on every one, a
# complete update, a refused one (and the next request on the same keep-alive
# connection answers), a stalled one, a second upload answered 409, and /api/status
# during an upload where the release lets the server answer it (the async request API,
# used from 5.2.4 / 5.3.2 / 5.4 on; older releases receive the upload in the server
# task, and the status waits for it).
. "$(dirname "$0")/lib.sh"
IMG="$SOTA_TESTDATA/images"
BIG="$IMG/c05_valid_esp32_1000k.bin"
BAD="$IMG/c27_wrong_chip_id.bin"
RELEASES=${SOTA_IDF_RELEASES:-"5.0 5.1 5.2.0 5.2.4 5.3.1 5.4.2 5.5.2 6.0"}

async_release() { # the releases whose component uploads in its own task
  case $1 in 5.0|5.1|5.2.0|5.3.1) return 1 ;; *) return 0 ;; esac
}

# read_status FD SECONDS: the status code of the response on an open descriptor
read_status() {
  local line=""
  read -r -t "$2" line <&"$1" || true
  printf '%s' "$line" | cut -d' ' -f2
}

# upload_then_status FILE: a raw upload of FILE, then GET /api/status with curl --next
# (which reuses the connection if the server kept it open); each answer's body is
# followed by " STATUS NUM_CONNECTS" on its own line
upload_then_status() {
  curl -s -m 8 -w ' %{http_code} %{num_connects}\n' -H 'Content-Type: application/octet-stream' \
    --data-binary "@$1" "$(URL /update)" --next -m 4 -w ' %{http_code} %{num_connects}\n' "$(URL /api/status)"
}

run_release() {
  local r=$1 len
  start_sim "idf_$r" --idf "$r" --health-delay 100 --recv-timeout 2 --max-timeouts 2 || return
  check_match "$r: the simulator runs ESP-IDF $r" "ESP-IDF $r" "$(grep -m1 'softap-ota simulator' "$SIM_LOG")"

  # the complete update, paused half-way: status and a second upload meanwhile
  len=$(stat -c %s "$BIG")
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: %s\r\n\r\n' "$len" >&3
  head -c 65536 "$BIG" >&3
  if async_release "$r"; then
    wait_field .update_state receiving 3 && ok "$r: /api/status answers during an upload" \
      || bad "$r: /api/status does not answer during an upload"
    upload "$IMG/c01_valid_esp32_10k.bin"
    check "$r: second upload during the first: 409" "409" "$CODE"
  else
    check "$r: /api/status waits for the upload (server task busy)" "000" \
      "$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$(URL /api/status)")"
    curl -s -m 15 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
      --data-binary "@$IMG/c01_valid_esp32_10k.bin" "$(URL /update)" > "$TMP/second.$r" &
    local second=$!
  fi
  tail -c +65537 "$BIG" >&3
  check "$r: complete update: 200" "200" "$(read_status 3 15)"
  exec 3>&- 3<&-
  if ! async_release "$r"; then
    wait "$second"
    check "$r: second upload sent during the first: 409" "409" "$(cat "$TMP/second.$r")"
  fi
  wait_field .running_partition ota_0 20 && ok "$r: rebooted into ota_0" || bad "$r: no reboot into ota_0"
  wait_field .running_state valid 10 && ok "$r: ota_0 confirmed" || bad "$r: ota_0 not confirmed"

  # a refused update read to its end (the image's SHA-256 is wrong: 422 after the last
  # byte), then the next request on the same keep-alive connection: curl reuses it
  # (num_connects 0) and it must answer. On 5.2.4 .. 5.4.2 / 5.5.1 the server's select()
  # is not woken when the upload task hands the session back: the component wakes it.
  local out
  out=$(upload_then_status "$IMG/c14_flip_payload_byte.bin")
  check_match "$r: corrupt update: 422" '"verify_failed".* 422 1$' "$(printf '%s' "$out" | head -n1)"
  check_match "$r: the next request on the same connection answers" '"running_partition":"ota_0".* 200 0$' \
    "$(printf '%s' "$out" | tail -n1)"
  # refused from its first bytes: answered at once and closed, the next request reconnects
  out=$(upload_then_status "$BAD")
  check_match "$r: refused update: 415" '"not_app_image".* 415 1$' "$(printf '%s' "$out" | head -n1)"
  check_match "$r: ... closed; the next request answers on a new connection" '"running_partition":"ota_0".* 200 1$' \
    "$(printf '%s' "$out" | tail -n1)"

  # a stalled update: headers and part of the body, then nothing (2 s x 2 timeouts)
  exec 4<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: %s\r\n\r\n' "$len" >&4
  head -c 5000 "$BIG" >&4
  wait_field .update_state failed 12 && ok "$r: stalled update dropped" || bad "$r: stalled update still $(field .update_state)"
  check_match "$r: stall reason recorded" "stalled" "$(field .last_update.message)"
  exec 4>&- 4<&-
  check "$r: ota_0 still boots" "ota_0" "$("$SOTA" flash info "$FLASH" --rollback --json | jq -r .boot)"
  stop_sim
}

for r in $RELEASES; do
  run_release "$r"
done

# No memory for the upload task: the server task receives the upload itself (the choice
# is made before the request is handed over, after which its body reads as 0 bytes).
start_sim idf_notask --idf 5.5.2 --health-delay 100 --fail-task sota_upload || { finish; exit 1; }
upload "$IMG/c02_valid_esp32_100k.bin"
check "no upload task: the update still works: 200" "200" "$CODE"
check_match "no upload task: the log says why" "no memory for the upload task" "$(cat "$SIM_LOG")"
wait_field .running_partition ota_0 20 && ok "no upload task: rebooted into ota_0" || bad "no upload task: no reboot"
stop_sim
finish
