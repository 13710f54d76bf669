#!/bin/bash
# No single client can stop the updater: the request-head deadline and the turn a slow
# head loses while others wait; refusals that close instead of reading the body; a form
# with two files; bytes after the image; a 1 MB upload under slow-header sockets and 30
# status pollers; a page load with the session table full; the simulator's own refusals.
# Loopback only; every wait is bounded (tools: rawhttp.c, loadhttp.c).
. "$(dirname "$0")/lib.sh"
BIN=$(dirname "$SOTA")
RAW=${RAWHTTP:-$BIN/rawhttp}
LOAD=${LOADHTTP:-$BIN/loadhttp}
[ -x "$RAW" ] && [ -x "$LOAD" ] || { bad "rawhttp and loadhttp are not built next to $SOTA"; finish; exit 1; }
APP="$TMP/app1m.bin"
"$SOTA" image make -o "$APP" --version 2.0.0 --size 1000000 >/dev/null || { bad "image make"; finish; exit 1; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
# req curl-args...: CODE, BODY, HDRS (response headers), RC (curl's exit status: 0 when the
# whole answer arrived, 56 when the connection was reset under it)
req() {
  CODE=$(curl -s -m 60 -D "$TMP/hdrs" -o "$TMP/body" -w '%{http_code}' "$@")
  RC=$?
  BODY=$(cat "$TMP/body" 2>/dev/null)
  HDRS=$(tr -d '\r' < "$TMP/hdrs" 2>/dev/null)
}
hdr() { printf '%s\n' "$HDRS" | grep -i "^$1:" | head -1 | cut -d' ' -f2- ; }
post_raw() { req -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$1" "${@:2}" "$(URL /update)"; }

# --- 1. the request-head deadline (3 s here) -------------------------------------------------
start_sim deadline --header-deadline 3 --health-delay 100 || { finish; exit 1; }
printf 'GET /api/status HTTP/1.1\r\nHost: x\r\nX-A: aaaaaaaaaaaaaaaaaaaa\r\n\r\n' > "$TMP/slow"
t0=$(date +%s%N)
out=$("$RAW" -c 1 -d 250 -t 20 "$PORT" "$TMP/slow" | tr '\n' ' ' | sed 's/ $//')
ms=$(ms_since "$t0")
check "deadline: a head trickling alone past 3 s gets 408 and is closed" "408 closed" "$out"
check "deadline: ... at the deadline, not at its end (2.5..6 s: ${ms} ms)" "1" \
  "$([ "$ms" -ge 2500 ] && [ "$ms" -le 6000 ] && echo 1 || echo 0)"
printf 'GET /api/status HTTP/1.1\r\n\r\n' > "$TMP/short"
check_match "deadline: a head trickling alone for 2 s (under it) is served" '^200 ' \
  "$("$RAW" -c 1 -d 70 -t 20 "$PORT" "$TMP/short")"
printf 'GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n' > "$TMP/get"
check "deadline: it counts from a head's first byte: a second request after 4 s idle is served" \
  "200 200 open" "$("$RAW" -r 2 -p 4000 -t 15 "$PORT" "$TMP/get" | tr '\n' ' ' | sed 's/ $//')"
check "deadline: the server still answers" "200" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$(URL /api/status)")"

# --- 1b. a head that pauses while an upload runs -------------------------------------------
# An upload running in its own task, fed faster than the flash takes it, always has bytes
# waiting on its socket; the server does not read that socket, so it is nobody waiting for
# the server: a head that pauses 70 ms per byte keeps its turn (seen cut on the emulated
# chip, where every head that paused 20 ms during an upload got 408). --flash-timing makes
# the simulated flash as slow as a chip's (about 6 s for this 1 MB upload).
stop_sim
start_sim busy --flash-timing --health-delay 100 || { finish; exit 1; }
curl -s -m 60 -o "$TMP/busy.out" -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
  --data-binary "@$APP" "$(URL /update)" > "$TMP/busy.code" &
up=$!
wait_field .update_state receiving 10 || bad "busy: the upload is receiving"
check_match "busy: during an upload, a head trickling for 2 s (nobody else waiting) is served" '^200 ' \
  "$("$RAW" -c 1 -d 70 -t 20 "$PORT" "$TMP/short")"
check "busy: ... and the upload was still running" "receiving" "$(field .update_state)"
wait "$up"
check "busy: the upload completes" "200" "$(cat "$TMP/busy.code")"
wait_field .running_partition ota_0 30 && ok "busy: the new app boots" || bad "busy: no reboot into ota_0"
stop_sim
start_sim deadline2 --header-deadline 3 --health-delay 100 || { finish; exit 1; }

# --- 2. a refused upload is answered and closed, not read to its end ------------------------
"$SOTA" image make -o "$TMP/big.bin" --version 3.0.0 --size 2000000 >/dev/null
post_raw "$TMP/big.bin"
check "413: too big for the slot" "413" "$CODE"
check "413: Connection: close" "close" "$(hdr Connection)"
check "413: the whole answer reaches the client (curl exit 0)" "0" "$RC"
check "413: JSON error" "too_big" "$(printf '%s' "$BODY" | jq -r .error)"
post_raw "$APP" -H 'Origin: http://evil.example'
check "403 (cross-site, 1 MB body): Connection: close, answer intact" "403 close 0 cross_site" \
  "$CODE $(hdr Connection) $RC $(printf '%s' "$BODY" | jq -r .error)"
req -X POST -H 'Content-Type: application/octet-stream' -H 'Transfer-Encoding: chunked' \
  --data-binary "@$APP" "$(URL /update)"
check "411 (chunked 1 MB body): Connection: close, answer intact" "411 close 0 length_required" \
  "$CODE $(hdr Connection) $RC $(printf '%s' "$BODY" | jq -r .error)"
# 409: while an upload trickles in, a second one is refused and closed
{ printf 'POST /update HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n' \
    "$(stat -c %s "$APP")"; cat "$APP"; } > "$TMP/trickle"
"$RAW" -H -c 2000 -d 100 -t 8 "$PORT" "$TMP/trickle" > "$TMP/trickle.out" 2>&1 &
TRICKLE=$!
wait_field .update_state receiving 10 || { bad "409: the first upload did not start"; cat "$TMP/trickle.out"; }
t0=$(date +%s%N)
post_raw "$APP"
ms=$(ms_since "$t0")
check "409 (second 1 MB upload): Connection: close, answer intact" "409 close 0 busy" \
  "$CODE $(hdr Connection) $RC $(printf '%s' "$BODY" | jq -r .error)"
check "409: answered without reading the 1 MB body (${ms} ms < 3000)" "1" "$([ "$ms" -lt 3000 ] && echo 1 || echo 0)"
# cut it once it is past the 8,448-byte head the device judges before writing: from there
# every byte received is written, so the lost connection keeps the session for a resume
wait_field '.received > 8448' true 10 || bad "409: the trickled upload did not pass its head"
kill "$TRICKLE" 2>/dev/null; wait "$TRICKLE" 2>/dev/null
wait_field .update_state interrupted 15 || bad "409: the cut trickle did not end as an interrupted upload"
check "409: the cut upload is kept at what it had written" "$(field .received)" "$(field .resume.offset)"

# --- 3. a form with two files; bytes after the image ------------------------------------------
"$SOTA" image make -o "$TMP/small.bin" --version 2.1.0 --size 30000 >/dev/null
req -F "file=@$TMP/small.bin;type=application/octet-stream" -F "file2=@$TMP/small.bin;type=application/octet-stream" \
  "$(URL /update)"
check "two files in a form: 400" "400" "$CODE"
check_match "two files: says one file is expected" "one file is expected" "$(printf '%s' "$BODY" | jq -r .message)"
check_match "two files: recorded" "one file is expected" "$(field .last_update.message)"
check "two files: the factory app still runs" "factory" "$(field .running_partition)"
{ cat "$TMP/small.bin"; head -c 1000 /dev/zero; } > "$TMP/trailing.bin"
post_raw "$TMP/trailing.bin"
check "1000 bytes after the image: accepted (as ESP-IDF does)" "200" "$CODE"
check "... the answer counts them" "1000" "$(printf '%s' "$BODY" | jq -r .ignored_bytes)"
check_match "... and says so" "1000 bytes after the image .* ignored" "$(printf '%s' "$BODY" | jq -r .message)"
wait_field .running_partition ota_0 20 && ok "trailing bytes: rebooted into ota_0" || bad "trailing bytes: no reboot"
check_match "trailing bytes: the recorded result says so too" "1000 bytes after the image" \
  "$(field .last_update.message)"
stop_sim

# --- 4. load: 8 slow-header sockets, 30 pollers, a 1 MB upload ---------------------------------
# The server has 7 session slots. Header deadline: the default 10 s, so every poll must
# be answered within 12 s, also across the reboot after the upload.
start_sim load --health-delay 100 || { finish; exit 1; }
res=$("$LOAD" -s 8 -d 500 -c 30 -i 200 -w 3000 -r 256 -t 120 "$PORT" "$APP")
echo "  load: $res"
check "load: the 1 MB upload completes" "200" "$(printf '%s' "$res" | jq -r .upload_status)"
check "load: every poll answered 200" "0" "$(printf '%s' "$res" | jq -r .not_200)"
check "load: polls were made" "1" "$(printf '%s' "$res" | jq -r '(.all.polls > 100) | if . then 1 else 0 end')"
check "load: the slow sockets were cut" "1" "$(printf '%s' "$res" | jq -r '(.slow_cut > 0) | if . then 1 else 0 end')"
check "load: every poll answered within the header deadline + 2 s" "1" \
  "$(printf '%s' "$res" | jq -r '(.all.max_ms <= 12000 and .open_at_stop_ms <= 12000) | if . then 1 else 0 end')"
wait_field .running_partition ota_0 30 && ok "load: the new app boots" || bad "load: no reboot into ota_0"
check "load: recorded as installed" "true" "$(field .last_update.ok)"

# --- 5. a page load with every session slot taken (LRU purge) -----------------------------------
"$RAW" -n 7 -i 8000 -t 10 "$PORT" "$TMP/get" > "$TMP/idle.out" &
IDLE=$!
# all seven connected and answered before the page load (on a loaded machine a fixed pause
# let the page load take a slot still free): count established client sockets to the port
for _ in $(seq 50); do
  n=$(ss -Htn state established "( dport = :$PORT )" 2>/dev/null | wc -l)
  [ "$n" -ge 7 ] && break
  sleep 0.1
done
sleep 0.5
t0=$(date +%s%N)
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$(URL /)")
ms=$(ms_since "$t0")
check "session table full (7 idle keep-alive clients): a page load is answered" "200" "$code"
check "... within 2 s (${ms} ms)" "1" "$([ "$ms" -lt 2000 ] && echo 1 || echo 0)"
wait "$IDLE"
check "... by closing an idle one" "1" "$(grep -c closed "$TMP/idle.out" | awk '{print ($1 >= 1)}')"
stop_sim

# --- 6. the simulator refuses what it cannot do, with exit status 2 -----------------------------
start_sim owner --health-delay 100 || { finish; exit 1; }
ASAN_OPTIONS=detect_leaks=0 timeout 20 "$SOTA" sim --flash "$TMP/other.flash" --port "$PORT" > "$TMP/busy.out" 2>&1
check "busy port: exit 2" "2" "$?"
check_match "busy port: says so" "port $PORT is in use" "$(cat "$TMP/busy.out")"
check "busy port: no 'serving' banner" "0" "$(grep -c 'simulator: http' "$TMP/busy.out")"
ASAN_OPTIONS=detect_leaks=0 timeout 20 "$SOTA" sim --flash "$FLASH" --port "$(free_port)" > "$TMP/lock.out" 2>&1
check "same flash file: exit 2" "2" "$?"
check_match "same flash file: names the holder's pid" "in use by another simulator \\(pid $SIM_PID\\)" "$(cat "$TMP/lock.out")"
stop_sim
while IFS='|' read -r name want args; do
  [ -n "$name" ] || continue
  eval "set -- $args"
  ASAN_OPTIONS=detect_leaks=0 timeout 20 "$SOTA" sim --flash "$TMP/bad.flash" --port "$(free_port)" "$@" > "$TMP/bad.out" 2>&1
  rc=$?
  check "bad option ($name): exit 2" "2" "$rc"
  check_match "bad option ($name): says why" "$want" "$(cat "$TMP/bad.out")"
done <<EOF
short HTTP password|shorter than 8|--auth owner:Short7
zero header deadline|--header-deadline 0: expected a number 1..3600|--header-deadline 0
zero receive timeout|expected a number 1..3600|--recv-timeout 0
unknown option|unknown option|--frobnicate
port out of range|expected a port number|--port 70000
value missing (every value option says so)|--cut-upload needs a value|--cut-upload
channel out of range|--channel 15: expected a number 1..14|--channel 15
unknown health check|--health maybe: expected ok, fail or hang|--health maybe
EOF

finish
