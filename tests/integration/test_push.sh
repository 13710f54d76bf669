#!/usr/bin/env bash
# sota push against the simulator: the device drops the connection twice in the middle
# of the upload (--cut-upload) and push resumes by itself and exits 0 once the new
# version runs; --resume continues an upload kept from an earlier client run; a refused
# file, a rolled-back app, missing credentials and bad usage exit non-zero.
. "$(dirname "$0")/lib.sh"
RAWHTTP="$(dirname "$SOTA")/rawhttp"
SIZE=150000
push() { ASAN_OPTIONS=detect_leaks=0 "$SOTA" push "$@" > "$TMP/push.out" 2>&1; echo $?; }

start_sim push --health-delay 100 --cut-upload 60000,30000 || { finish; exit 1; }
"$SOTA" image make -o "$TMP/a.bin" --version 8.1 --size "$SIZE" --seed 81 >/dev/null
check "push through two lost connections: exit 0" 0 "$(push "$(URL /)" "$TMP/a.bin")"
check_match "push says where it lost the connection" "connection lost at 40 %, resuming at byte 60000" \
  "$(cat "$TMP/push.out")"
check_match "push resumes a second time" "resuming at byte 90000" "$(cat "$TMP/push.out")"
check_match "push ends when the new version runs" "runs sota_test 8.1 from ota_0" "$(cat "$TMP/push.out")"
check "the device runs 8.1" "8.1 ota_0 valid" "$(field '"\(.version) \(.running_partition) \(.running_state)"')"
check "a refused file: exit 1" 1 "$(push "$(URL /)" "$SOTA_TESTDATA/images/c10_bad_magic.bin")"
check_match "a refused file: the device's reason" "refuses this file.*not an ESP app image" "$(cat "$TMP/push.out")"
check "usage: exit 2" 2 "$(push "$(URL /)")"
stop_sim

# --resume: an upload of this file kept from an earlier run
start_sim push_resume --health-delay 100 || { finish; exit 1; }
"$SOTA" image make -o "$TMP/b.bin" --version 8.2 --size "$SIZE" --seed 82 >/dev/null
{ printf 'POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n'
  printf 'Content-Length: %d\r\n\r\n' "$SIZE"; head -c 80000 "$TMP/b.bin"; } > "$TMP/cut.req"
"$RAWHTTP" -k -t 5 "$PORT" "$TMP/cut.req" >/dev/null
wait_field .resume.offset 80000 10 || bad "kept at 80000"
check "push --resume: exit 0" 0 "$(push --resume "$(URL /)" "$TMP/b.bin")"
check_match "push --resume continues at byte 80000" "resuming the interrupted upload at byte 80000" \
  "$(cat "$TMP/push.out")"
check "the device runs 8.2" "8.2" "$(field .version)"
stop_sim

# a new app that fails its health check is rolled back: exit 1
start_sim push_rb --health fail --health-delay 100 || { finish; exit 1; }
check "rolled back: exit 1" 1 "$(push "$(URL /)" "$TMP/a.bin")"
check_match "rolled back: says so" "rolled back" "$(cat "$TMP/push.out")"
stop_sim

# HTTP Basic authentication
SIM_READY=wait_http start_sim push_auth --health-delay 100 --auth admin:secret123 || { finish; exit 1; }
check "no credentials: exit 1" 1 "$(push "$(URL /)" "$TMP/a.bin")"
check_match "no credentials: says which options" "user and --password" "$(cat "$TMP/push.out")"
check "credentials: exit 0" 0 "$(push --user admin --password secret123 "$(URL /)" "$TMP/a.bin")"
stop_sim
finish
