#!/usr/bin/env bash
# Resuming an interrupted upload over HTTP (README, "Resuming an upload"): the client
# goes away at 22 points of an upload (inside the first bytes, at the head's end, at
# and around each 64 KiB block boundary, inside the SHA-256 trailer, in the last byte)
# or stalls; it resumes with Content-Range and X-Sota-Head-SHA256, and the device boots
# exactly that file. Every wrong claim (another file, offset, total, no proof, another
# client, multipart) is refused with its status and changes nothing; a kept upload
# expires and is released; a plain upload from the same client starts over.
. "$(dirname "$0")/lib.sh"
RAWHTTP="$(dirname "$SOTA")/rawhttp"
HEAD_LEN=8448  # SOTA_UPDATE_HEAD_LEN: nothing is written (nor kept) before this
SIZE=150000
start_sim resume --health-delay 100 --recv-timeout 1 --max-timeouts 2 || { finish; exit 1; }

proof() { head -c 4096 "$1" | sha256sum | cut -d' ' -f1; }

# cut FILE N: send the headers of a raw upload of FILE and its first N bytes, then go away
cut_at() {
  local t
  t=$(stat -c %s "$1")
  { printf 'POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n'
    printf 'Content-Length: %d\r\n\r\n' "$t"
    head -c "$2" "$1"; } > "$TMP/cut.req"
  "$RAWHTTP" -k -t 5 "$PORT" "$TMP/cut.req" >/dev/null
}

# resume FILE FROM [curl options...]: send FILE from byte FROM with the headers of a
# resume; sets CODE and BODY
resume() {
  local f=$1 from=$2 t
  shift 2
  t=$(stat -c %s "$f")
  tail -c +$((from + 1)) "$f" > "$TMP/rest.bin"
  BODY=$(curl -s -m 60 -o - -w '\n%{http_code}' -H 'Content-Type: application/octet-stream' \
    -H "Content-Range: bytes $from-$((t - 1))/$t" -H "X-Sota-Head-SHA256: $(proof "$f")" "$@" \
    --data-binary "@$TMP/rest.bin" "$(URL /update)")
  CODE=$(printf '%s' "$BODY" | tail -n1)
  BODY=$(printf '%s' "$BODY" | sed '$d')
}

# slot_holds LABEL FILE: the slot starts with exactly FILE's bytes
slot_holds() {
  local off
  off=$("$SOTA" flash info "$FLASH" --json | jq -r ".partitions[] | select(.label==\"$1\") | .offset")
  cmp -s -n "$(stat -c %s "$2")" "$2" <(dd if="$FLASH" bs=4096 skip=$((off / 4096)) status=none)
}

# --- cut at 22 points, resume, boot ----------------------------------------------------
T=$SIZE
CUTS="0 1 100 4095 4096 $((HEAD_LEN - 1)) $HEAD_LEN $((HEAD_LEN + 1)) 30000 65535 65536 65537 100000
      131071 131072 131073 $((T - 33)) $((T - 32)) $((T - 16)) $((T - 2)) $((T - 1))"
i=0
for n in $CUTS; do
  i=$((i + 1))
  img="$TMP/v$i.bin"
  "$SOTA" image make -o "$img" --version "3.$i" --size "$SIZE" --seed "$i" >/dev/null
  target=$(field .next_partition)
  cut_at "$img" "$n"
  if [ "$n" -ge "$HEAD_LEN" ]; then
    wait_field .update_state interrupted 10 || bad "cut at $n: not kept"
    check "cut at $n: resume offset" "$n $T" "$(field '"\(.resume.offset) \(.resume.total)"')"
    from=$n
  else
    # released as an aborted upload ("failed"; with no body byte at all the server may
    # not even start the upload: "idle")
    wait_field '.update_state | test("failed|idle")' true 10 || bad "cut at $n: not released"
    check "cut at $n (inside the first bytes): nothing kept" "null" "$(field .resume)"
    from=0
  fi
  resume "$img" "$from"
  check "cut at $n: resumed from $from: 200" "200" "$CODE"
  wait_field .version "3.$i" 20 || bad "cut at $n: 3.$i does not run"
  wait_field .running_state valid 10 || bad "cut at $n: 3.$i not confirmed"
  check "cut at $n: runs 3.$i from $target" "$target" "$(field .running_partition)"
  slot_holds "$target" "$img" && ok "cut at $n: $target holds exactly the file" || bad "cut at $n: $target differs"
done
# a stall (the client stays but sends nothing): kept after the receive timeouts
img="$TMP/stall.bin"
"$SOTA" image make -o "$img" --version 4.0 --size "$SIZE" --seed 99 >/dev/null
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n' "$SIZE" >&3
head -c 70000 "$img" >&3
wait_field .update_state interrupted 10 && ok "stall: kept" || bad "stall: not kept"
exec 3>&- 3<&-
resume "$img" 70000
check "stall: resumed: 200" "200" "$CODE"
wait_field .version 4.0 20 && ok "stall: 4.0 runs" || bad "stall: 4.0 does not run"
wait_field .running_state valid 10 || bad "4.0 not confirmed"

# --- wrong claims: refused, nothing changed ---------------------------------------------
img="$TMP/w.bin"
other="$TMP/other.bin"
"$SOTA" image make -o "$img" --version 5.0 --size "$SIZE" --seed 50 >/dev/null
"$SOTA" image make -o "$other" --version 5.1 --size "$SIZE" --seed 51 >/dev/null
target=$(field .next_partition)
cut_at "$img" 80000
wait_field .resume.offset 80000 10 || bad "kept at 80000"
before=$(slot_sum "$target")
refused() { # refused WHAT STATUS CODE
  check "$1: $2" "$2" "$CODE"
  check "$1: error $3, offset 80000" "$3 80000" "$(printf '%s' "$BODY" | jq -r '"\(.error) \(.offset)"')"
  check "$1: still kept at 80000" "interrupted 80000" "$(field '"\(.update_state) \(.resume.offset)"')"
}
resume "$other" 80000
refused "another file of the same size" 409 different_file
resume "$img" 76000
refused "wrong offset (short)" 416 wrong_offset
resume "$img" 90000
refused "wrong offset (past)" 416 wrong_offset
tail -c +80001 "$img" > "$TMP/rest.bin"
BODY=$(curl -s -m 10 -w '\n%{http_code}' -H "Content-Range: bytes 80000-$((SIZE - 1))/$SIZE" \
  -H 'Content-Type: application/octet-stream' --data-binary "@$TMP/rest.bin" "$(URL /update)")
CODE=$(printf '%s' "$BODY" | tail -n1); BODY=$(printf '%s' "$BODY" | sed '$d')
refused "no X-Sota-Head-SHA256" 409 different_file
head -c $((SIZE + 4096 - 80000)) /dev/zero > "$TMP/rest.bin"
BODY=$(curl -s -m 10 -w '\n%{http_code}' -H "Content-Range: bytes 80000-$((SIZE + 4095))/$((SIZE + 4096))" \
  -H "X-Sota-Head-SHA256: $(proof "$img")" -H 'Content-Type: application/octet-stream' \
  --data-binary "@$TMP/rest.bin" "$(URL /update)")
CODE=$(printf '%s' "$BODY" | tail -n1); BODY=$(printf '%s' "$BODY" | sed '$d')
refused "wrong total" 409 wrong_total
resume "$img" 80000 --interface 127.0.0.2
refused "second client, right claim" 409 resume_pending
BODY=$(curl -s -m 10 -w '\n%{http_code}' --interface 127.0.0.2 -H 'Content-Type: application/octet-stream' \
  --data-binary "@$other" "$(URL /update)")
CODE=$(printf '%s' "$BODY" | tail -n1); BODY=$(printf '%s' "$BODY" | sed '$d')
refused "second client, plain upload" 409 resume_pending
check "409 resume_pending carries the resume info" "80000 $SIZE 5.0" \
  "$(printf '%s' "$BODY" | jq -r '"\(.resume.offset) \(.resume.total) \(.resume.version)"')"
BODY=$(curl -s -m 10 -w '\n%{http_code}' --interface 127.0.0.2 -H 'Content-Type: application/json' \
  --data '{"partition":"factory"}' "$(URL /api/boot)")
CODE=$(printf '%s' "$BODY" | tail -n1); BODY=$(printf '%s' "$BODY" | sed '$d')
refused "second client switches the app (/api/boot)" 409 resume_pending
BODY=$(curl -s -m 10 -w '\n%{http_code}' -H "Content-Range: bytes 80000-$((SIZE - 1))/$SIZE" \
  -F "file=@$TMP/rest.bin;type=application/octet-stream" "$(URL /update)")
CODE=$(printf '%s' "$BODY" | tail -n1); BODY=$(printf '%s' "$BODY" | sed '$d')
check "multipart with Content-Range: 400" "400" "$CODE"
check "multipart with Content-Range: bad_range" "bad_range" "$(printf '%s' "$BODY" | jq -r .error)"
check "after the refusals: slot unchanged" "$before" "$(slot_sum "$target")"
resume "$img" 80000
check "after the refusals the right claim completes: 200" "200" "$CODE"
wait_field .version 5.0 20 && ok "5.0 runs" || bad "5.0 does not run"
wait_field .running_state valid 10 || bad "5.0 not confirmed"
slot_holds "$target" "$img" && ok "$target holds exactly 5.0" || bad "$target differs from 5.0"

# --- the same client starts over with a plain upload ------------------------------------
img="$TMP/over.bin"
"$SOTA" image make -o "$img" --version 6.0 --size "$SIZE" --seed 60 >/dev/null
cut_at "$img" 50000
wait_field .resume.offset 50000 10 || bad "kept at 50000"
upload "$img"
check "plain upload from the same client while kept: starts over, 200" "200" "$CODE"
wait_field .version 6.0 20 && ok "6.0 runs" || bad "6.0 does not run"
# ... or switches to another app: the kept upload is given up, the switch goes ahead
wait_field .running_state valid 10 || bad "6.0 not confirmed"
img="$TMP/sw.bin"
"$SOTA" image make -o "$img" --version 6.1 --size "$SIZE" --seed 61 >/dev/null
cut_at "$img" 50000
wait_field .resume.offset 50000 10 || bad "kept at 50000 (before the switch)"
BODY=$(curl -s -m 10 -w '\n%{http_code}' -H 'Content-Type: application/json' \
  --data '{"partition":"factory"}' "$(URL /api/boot)")
check "same client switches the app while its upload is kept: 200" "200" "$(printf '%s' "$BODY" | tail -n1)"
wait_field .running_partition factory 20 && ok "the switch ran: factory runs" || bad "no switch to factory"
check "after the switch: nothing kept" "null" "$(field .resume)"
stop_sim

# --- expiry ---------------------------------------------------------------------------
start_sim expiry --health-delay 100 --resume-timeout 2 || { finish; exit 1; }
img="$TMP/exp.bin"
"$SOTA" image make -o "$img" --version 7.0 --size "$SIZE" --seed 70 >/dev/null
cut_at "$img" 90000
wait_field .resume.offset 90000 10 || bad "kept at 90000"
check_match "expires_in_s counts down from 2" '^[12]$' "$(field .resume.expires_in_s)"
wait_field .update_state failed 10 && ok "expired: released" || bad "expired: still $(field .update_state)"
check "expired: resume null" "null" "$(field .resume)"
check_match "expired: reason recorded" "not resumed within 2 s" "$(field .last_update.message)"
resume "$img" 90000
check "resume after expiry: 416" "416" "$CODE"
check "resume after expiry: nothing_to_resume, offset 0" "nothing_to_resume 0" \
  "$(printf '%s' "$BODY" | jq -r '"\(.error) \(.offset)"')"
check "factory still runs" "factory" "$(field .running_partition)"
BODY=$(curl -s -m 60 -w '\n%{http_code}' --interface 127.0.0.2 -H 'Content-Type: application/octet-stream' \
  --data-binary "@$img" "$(URL /update)")
check "another client after expiry: 200" "200" "$(printf '%s' "$BODY" | tail -n1)"
wait_field .version 7.0 20 && ok "7.0 runs" || bad "7.0 does not run"
stop_sim
finish
