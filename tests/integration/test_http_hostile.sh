#!/usr/bin/env bash
# Bad input of every kind over HTTP (issue 5): a table of malformed and hostile requests,
# each with the answer it must get, and after each one the server must still serve
# (GET /api/status 200) with the factory app still running. Then slow-loris headers,
# many connections at once, a handful of mutated images, and a valid multipart upload
# sent one byte per write.
#
# Requests go out byte for byte through rawhttp (tests/integration/rawhttp.c), which
# prints the status of every response it got, then "closed" or "open" (see its header).
# Where the expected answer is ESP-IDF's esp_http_server (or the http_parser it uses)
# rather than a choice of ours, the row's comment says "IDF:". The host server
# (host/idf/httpd_*.c) reproduces it: header section limit 1024 bytes, request line
# limit 512 bytes, parse errors answered with text and the connection closed.
. "$(dirname "$0")/lib.sh"
IMG="$SOTA_TESTDATA/images"
HERE=$(cd "$(dirname "$0")" && pwd)
RAW=${RAWHTTP:-$(dirname "$SOTA")/rawhttp}
if [ ! -x "$RAW" ]; then
  RAW="$TMP/rawhttp"
  cc -std=c11 -O1 -D_DEFAULT_SOURCE -o "$RAW" "$HERE/rawhttp.c" || { bad "cannot build rawhttp"; finish; exit 1; }
fi
TRIED=0   # bad inputs sent (for the README figure)

# recv timeout 1 s x 2: a stalled upload is dropped within ~2 s
start_sim hostile --health-delay 100 --recv-timeout 1 --max-timeouts 2 --deadline 30 --resume-timeout 0 || { finish; exit 1; }

# serving NAME: the server answers /api/status, runs the factory app, and no upload is
# left holding the session
serving() {
  local st
  for _ in $(seq 1 50); do
    st=$(curl -s -m 5 "$(URL /api/status)" | jq -r '"\(.running_partition) \(.update_state)"' 2>/dev/null)
    case "$st" in *receiving|*verifying) sleep 0.1 ;; *) break ;; esac
  done
  check_match "$1: still serving, factory app running, session free" '^factory (idle|failed)$' "$st"
}

# --- material ------------------------------------------------------------------------
W="$TMP/w"; mkdir -p "$W"
pad() { head -c "$1" /dev/zero | tr '\0' "${2:-a}"; }
size() { stat -c %s "$1"; }
head -c 3000 "$IMG/c27_wrong_chip_id.bin" > "$W/c3.bin"   # an esp32c3 app's first bytes: 415
mp() { # mp BOUNDARY FILE [PREAMBLE_LEN]: a form body with the file in field "file"
  [ "${3:-0}" -gt 0 ] && { pad "$3" p; printf '\r\n'; }
  printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="app.bin"\r\n' "$1"
  printf 'Content-Type: application/octet-stream\r\n\r\n'
  cat "$2"
  printf -- '\r\n--%s--\r\n' "$1"
}
B70=$(pad 70 b); B71=$(pad 71 b)
mp XyZ "$W/c3.bin" > "$W/form"
mp "$B70" "$W/c3.bin" > "$W/form70"
mp "$B71" "$W/c3.bin" > "$W/form71"
mp XyZ "$W/c3.bin" 1024 > "$W/pre1024"
mp XyZ "$W/c3.bin" 1025 > "$W/pre1025"
head -c -9 "$W/form" > "$W/noend"                          # "\r\n--XyZ--\r\n" cut
{ printf -- '--XyZ\r\nContent-Type: text/plain\r\n\r\nhi\r\n--XyZ--\r\n'; } > "$W/nodisp"
{ printf -- '--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--XyZ--\r\n'; } > "$W/nofile"
{ cat "$W/c3.bin"; printf '\0junk\r\n\r\n'; } > "$W/c3+junk"
{ cat "$W/c3.bin"; printf 'GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n'; } > "$W/c3+get"
N_FORM=$(size "$W/form"); N_C3=$(size "$W/c3.bin")
U496="/api/status?$(pad 484)"; U497="/api/status?$(pad 485)"  # request-target lengths
U495="/api/status?$(pad 483)"
# header section = from the first header name to the blank line, inclusive:
# "Host: x\r\n" (9) + "X-Pad: " (7) + value + "\r\n\r\n" (4)
V1024=$(pad 1004); V1025=$(pad 1005)
CT152="multipart/form-data; charset=utf-8; x=$(pad 100 x); boundary=XyZ"
CT300="multipart/form-data; charset=utf-8; x=$(pad 250 x); boundary=XyZ"
HELLO='\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'   # the start of a TLS ClientHello

# --- the table ---------------------------------------------------------------------------
# name | expected rawhttp output (regex) | request (printf format) | body file or - | rawhttp options
# The request is printf'd (\r \n \0 \xHH work) and the body file appended unchanged.
PO='POST /update HTTP/1.1\r\nHost: 127.0.0.1\r\n'
OCT='Content-Type: application/octet-stream\r\n'
FD='Content-Type: multipart/form-data; boundary=XyZ\r\n'
TABLE="
Content-Length missing, no body (ours: 411, connection closed)|^411 closed$|${PO}${OCT}\r\n|-|
Content-Length missing, body sent anyway: 411 and closed, the body never parsed as a request|^411 closed$|${PO}${OCT}\r\n|$W/c3.bin|
Content-Length -1 (IDF: http_parser refuses)|^400 closed$|${PO}${OCT}Content-Length: -1\r\n\r\n|-|
Content-Length abc (IDF)|^400 closed$|${PO}${OCT}Content-Length: abc\r\n\r\n|-|
Content-Length 12abc (IDF)|^400 closed$|${PO}${OCT}Content-Length: 12abc\r\n\r\n|-|
Content-Length 99999999999, above 4 GiB (host server: 413; ESP-IDF would keep its low 32 bits)|^413 closed$|${PO}${OCT}Content-Length: 99999999999\r\n\r\n|-|
Content-Length twice, same value (IDF: http_parser refuses duplicates)|^400 closed$|${PO}${OCT}Content-Length: ${N_C3}\r\nContent-Length: ${N_C3}\r\n\r\n|$W/c3.bin|
Content-Length twice, different values (IDF)|^400 closed$|${PO}${OCT}Content-Length: ${N_C3}\r\nContent-Length: 10\r\n\r\n|$W/c3.bin|
Transfer-Encoding chunked (IDF: not decoded, content_len 0; ours: 411)|^411 |${PO}${OCT}Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n|-|
Transfer-Encoding chunked and Content-Length (IDF: http_parser refuses both)|^400 closed$|${PO}${OCT}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n|-|
Transfer-Encoding gzip (IDF: http_parser refuses)|^400 closed$|${PO}${OCT}Transfer-Encoding: gzip\r\n\r\nabcd|-|
body shorter than announced, then the client leaves|^closed$|${PO}${OCT}Content-Length: 20000\r\n\r\n|$W/c3.bin|-s
body longer than announced: the extra bytes are the next request (IDF: http_parser refuses them)|^415 400 closed$|${PO}${OCT}Content-Length: ${N_C3}\r\n\r\n|$W/c3+junk|
body longer than announced: the extra bytes are a pipelined GET|^415 200 open$|${PO}${OCT}Content-Length: ${N_C3}\r\n\r\n|$W/c3+get|
request target of 496 bytes: request line + 1 byte fits max_uri_len 512 (IDF)|^200 open$|GET ${U496} HTTP/1.1\r\nHost: x\r\n\r\n|-|
request target of 497 bytes (IDF: 414)|^414 closed$|GET ${U497} HTTP/1.1\r\nHost: x\r\n\r\n|-|
header section of 1024 bytes (IDF: max_req_hdr_len)|^200 open$|GET /api/status HTTP/1.1\r\nHost: x\r\nX-Pad: ${V1024}\r\n\r\n|-|
header section of 1025 bytes (IDF: 431)|^431 closed$|GET /api/status HTTP/1.1\r\nHost: x\r\nX-Pad: ${V1025}\r\n\r\n|-|
one header line longer than the whole limit (IDF: 431)|^431 closed$|GET /api/status HTTP/1.1\r\nX-Pad: ${V1025}${V1025}\r\n\r\n|-|
headers cut off, then silence (IDF: 408 after recv_wait_timeout)|^408 closed$|GET /api/status HTTP/1.1\r\nHost: x\r\n|-|-t 6
no header at all (IDF: answered; the request line is pushed back and parsed again later)|^200 |GET /api/status HTTP/1.1\r\n\r\n|-|
no header and a 495-byte target (IDF: its push-back buffer holds 128 bytes: 500)|^500 closed$|GET ${U495} HTTP/1.1\r\n\r\n|-|
NUL byte in the request line (IDF)|^400 closed$|GET /api/st\0atus HTTP/1.1\r\nHost: x\r\n\r\n|-|
NUL byte in a header value (IDF)|^400 closed$|GET /api/status HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n|-|
NUL byte in a header name (IDF)|^400 closed$|GET /api/status HTTP/1.1\r\nHo\0st: x\r\n\r\n|-|
bare CR line endings (IDF: http_parser wants LF after CR)|^400 closed$|GET /api/status HTTP/1.1\rHost: x\r\r|-|
bare LF line endings (IDF: http_parser accepts them)|^200 open$|GET /api/status HTTP/1.1\nHost: x\n\n|-|
obsolete line folding (IDF: http_parser joins the lines)|^200 open$|GET /api/status HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n|-|
folded Content-Type: the boundary on the continuation line|^415 open$|${PO}Content-Type: multipart/form-data;\r\n boundary=XyZ\r\nContent-Length: ${N_FORM}\r\n\r\n|$W/form|
unknown method FOO (IDF: http_parser refuses)|^400 closed$|FOO /api/status HTTP/1.1\r\nHost: x\r\n\r\n|-|
lower-case method (IDF)|^400 closed$|get /api/status HTTP/1.1\r\nHost: x\r\n\r\n|-|
known method not registered: DELETE (IDF: 405; our JSON handler keeps the connection)|^405 open$|DELETE /api/status HTTP/1.1\r\nHost: x\r\n\r\n|-|
known method not registered: PUT /update (IDF: 405; our JSON handler keeps the connection)|^405 open$|PUT /update HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n|-|
HTTP/0.9 request (IDF: 505)|^505 closed$|GET /\r\n\r\n|-|
HTTP/2.0 request line (IDF: 505)|^505 closed$|GET /api/status HTTP/2.0\r\nHost: x\r\n\r\n|-|
HTTP/2.1 request line (IDF: served; it refuses a version only when neither digit is 1)|^200 open$|GET /api/status HTTP/2.1\r\nHost: x\r\n\r\n|-|
HTTP/1.2 request line (IDF: served)|^200 open$|GET /api/status HTTP/1.2\r\nHost: x\r\n\r\n|-|
two requests in one packet (IDF: the second is pushed back and waits for the next socket event)|^200 open$|GET /api/status HTTP/1.1\r\nHost: x\r\n\r\nGET /api/status HTTP/1.1\r\nHost: x\r\n\r\n|-|
HTTP/2 connection preface (IDF: PRI is no method of http_parser)|^400 closed$|PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n|-|
HTTP/1.0 request|^200 open$|GET /api/status HTTP/1.0\r\n\r\n|-|
absolute-form target|^200 open$|GET http://192.168.4.1/api/status HTTP/1.1\r\nHost: 192.168.4.1\r\n\r\n|-|
absolute-form target without a path (IDF: closed, no answer)|^closed$|GET http://192.168.4.1 HTTP/1.1\r\nHost: x\r\n\r\n|-|
TLS ClientHello on the HTTP port (IDF)|^400 closed$|${HELLO}|-|
multipart without boundary|^400 |${PO}Content-Type: multipart/form-data\r\nContent-Length: ${N_FORM}\r\n\r\n|$W/form|
multipart with a quoted boundary|^415 open$|${PO}Content-Type: multipart/form-data; boundary=\"XyZ\"\r\nContent-Length: ${N_FORM}\r\n\r\n|$W/form|
multipart boundary of 70 characters (RFC 2046 limit)|^415 open$|${PO}Content-Type: multipart/form-data; boundary=${B70}\r\nContent-Length: $(size "$W/form70")\r\n\r\n|$W/form70|
multipart boundary of 71 characters|^400 |${PO}Content-Type: multipart/form-data; boundary=${B71}\r\nContent-Length: $(size "$W/form71")\r\n\r\n|$W/form71|
multipart without the final boundary|^400 open$|${PO}${FD}Content-Length: $(size "$W/noend")\r\n\r\n|$W/noend|
multipart preamble of 1024 bytes (our limit)|^415 open$|${PO}${FD}Content-Length: $(size "$W/pre1024")\r\n\r\n|$W/pre1024|
multipart preamble of 1025 bytes|^400 |${PO}${FD}Content-Length: $(size "$W/pre1025")\r\n\r\n|$W/pre1025|
multipart part without Content-Disposition|^400 |${PO}${FD}Content-Length: $(size "$W/nodisp")\r\n\r\n|$W/nodisp|
multipart form without a file|^400 open$|${PO}${FD}Content-Length: $(size "$W/nofile")\r\n\r\n|$W/nofile|
multipart/mixed instead of form-data|^400 |${PO}Content-Type: multipart/mixed; boundary=XyZ\r\nContent-Length: ${N_FORM}\r\n\r\n|$W/form|
Content-Type of ${#CT152} characters: read whole, the form parsed|^415 |${PO}Content-Type: ${CT152}\r\nContent-Length: ${N_FORM}\r\n\r\n|$W/form|
Content-Type of ${#CT300} characters: over the handler's 255|^400 |${PO}Content-Type: ${CT300}\r\nContent-Length: ${N_FORM}\r\n\r\n|$W/form|
"
while IFS='|' read -r name want fmt body opts; do
  [ -n "$name" ] || continue
  # shellcheck disable=SC2059  # the format is the point
  { printf "$fmt"; [ "$body" = - ] || cat "$body"; } > "$W/req"
  # shellcheck disable=SC2086  # options are words
  out=$("$RAW" -t 8 $opts "$PORT" "$W/req" | tr '\n' ' ' | sed 's/ $//')
  TRIED=$((TRIED + 1))
  check_match "$name" "$want" "$out"
  serving "$name"
done <<< "$TABLE"

# --- what ESP-IDF leaves to the handler, and ours gets wrong ------------------------------
# A refused upload must get one answer, not a second one for a "request" made of the rest
# of its body: without a drain or a close, a keep-alive client would read that stray 400
# as the answer to its next request.
{ printf "${PO}${OCT}Content-Length: %d\r\n\r\n" "$(size "$IMG/c27_wrong_chip_id.bin")"; cat "$IMG/c27_wrong_chip_id.bin"; } > "$W/req"
out=$("$RAW" -t 8 "$PORT" "$W/req" | tr '\n' ' ' | sed 's/ $//'); TRIED=$((TRIED + 1))
check_match "refused on its first bytes (415): one answer, the rest of the body not parsed as a request" '^415 (open|closed)$' "$out"
serving "refused early"
# A stalled upload is dropped after the recv timeouts: the client must learn it (408 or
# a close), not wait on an open connection that nobody reads any more.
{ printf "${PO}${OCT}Content-Length: 20000\r\n\r\n"; cat "$W/c3.bin"; } > "$W/req"
out=$("$RAW" -t 6 "$PORT" "$W/req" | tr '\n' ' ' | sed 's/ $//'); TRIED=$((TRIED + 1))
check_match "body shorter than announced, then silence: 408 or closed within the timeouts" '^(408 )?closed$' "$out"
check_match "stall: reason recorded" "stalled" "$(field .last_update.message)"
serving "stalled upload"
# The same for the small JSON bodies read in the server task itself (POST /api/boot,
# POST /api/check): a body that stops half-way is dropped after the recv timeouts, and
# the server answers others meanwhile, not loop on the stalled socket for ever.
printf 'POST /api/boot HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"partition": "o' > "$W/req"
"$RAW" -t 8 "$PORT" "$W/req" > "$W/boot.out" &
SLOW=$!
sleep 0.5
CODE=$(curl -s -m 6 -o /dev/null -w '%{http_code}' "$(URL /api/status)")
check "POST /api/boot, body stalled half-way: another client answered meanwhile" "200" "$CODE"
wait $SLOW; TRIED=$((TRIED + 1))
check_match "POST /api/boot, body stalled half-way: dropped within the timeouts (closed)" '^(408 )?closed$' \
  "$(tr '\n' ' ' < "$W/boot.out" | sed 's/ $//')"
serving "stalled /api/boot body"
printf 'POST /api/check?size=3000 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 3000\r\n\r\n' > "$W/req"
head -c 1000 "$W/c3.bin" >> "$W/req"
out=$("$RAW" -t 8 "$PORT" "$W/req" | tr '\n' ' ' | sed 's/ $//'); TRIED=$((TRIED + 1))
check_match "POST /api/check, body stalled: dropped within the timeouts (closed)" '^(408 )?closed$' "$out"
serving "stalled /api/check body"

# --- slow clients ---------------------------------------------------------------------------
# Slow-loris headers: one byte per 200 ms (33 bytes, ~7 s). IDF serves requests one at a
# time in one task and reads a request's head before anything else. Alone, the slow
# head is served: it is complete before the 10 s header deadline.
printf 'GET /api/status HTTP/1.1\r\nA:b\r\n\r\n' > "$W/slow"
"$RAW" -c 1 -d 200 -t 20 "$PORT" "$W/slow" > "$W/slow.out"
TRIED=$((TRIED + 1))
check_match "slow-loris headers, nobody else waiting: served within the header deadline" '^200 ' \
  "$(cat "$W/slow.out")"
# With another client waiting, the slow head loses its turn at once (408, closed) and
# the other client is answered (tests/integration/test_http_slow.sh has the deadline
# and the load figures).
"$RAW" -c 1 -d 200 -t 20 "$PORT" "$W/slow" > "$W/slow.out" &
SLOW=$!
sleep 1
t0=$(date +%s%N)
CODE=$(curl -s -m 15 -o /dev/null -w '%{http_code}' "$(URL /api/status)")
ms=$((($(date +%s%N) - t0) / 1000000))
check "slow-loris headers: another client still answered (right after)" "200" "$CODE"
check "slow-loris headers: ... within 2 s (took ${ms} ms)" "1" "$([ "$ms" -lt 2000 ] && echo 1 || echo 0)"
wait $SLOW
TRIED=$((TRIED + 1))
check_match "slow-loris headers: the slow client is cut (408, closed)" '^408 closed$' "$(cat "$W/slow.out")"
# A slow upload body (2000 bytes in 5 s) runs in its own task: the status page is
# answered while it is still receiving.
{ printf "${PO}${OCT}Content-Length: %d\r\n\r\n" "$(size "$W/c3.bin")"; head -c 2000 "$W/c3.bin"; } > "$W/trickle"
"$RAW" -c 40 -H -d 100 -s -t 20 "$PORT" "$W/trickle" > "$W/trickle.out" &
SLOW=$!
wait_field .update_state receiving 10 && ok "slow body: upload receiving" || bad "slow body: upload never started"
check "slow body: /api/status answered while the upload still trickles in" "receiving" \
  "$(curl -s -m 10 "$(URL /api/status)" | jq -r .update_state)"
wait $SLOW
TRIED=$((TRIED + 1))
check "slow body cut off: connection closed" "closed" "$(cat "$W/trickle.out")"
serving "slow body"

# --- many connections at once (max_open_sockets 7, LRU purge on) ------------------------------
: > "$W/empty"
printf 'GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n' > "$W/get"
# a keep-alive client served once before the flood asks again in the middle of it
"$RAW" -r 2 -p 2500 -t 10 "$PORT" "$W/get" > "$W/keep.out" &
KEEP=$!
sleep 0.5
"$RAW" -n 30 -t 3 "$PORT" "$W/empty" > "$W/idle.out" &
IDLE=$!
sleep 0.5
CODE=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$(URL /api/status)")
check "30 idle connections: a new client is still answered (LRU purge)" "200" "$CODE"
wait $IDLE
wait $KEEP
# IDF: a session's LRU counter is 0 until it has served a request, so a purge closes
# the fresh idle connections before one that has been serving
check "30 idle connections: the keep-alive client served before is served again" "200 200 open" \
  "$(cat "$W/keep.out")"
check "30 idle connections: each one open or closed, nothing else" "30" "$(grep -cE '^(open|closed)$' "$W/idle.out")"
check_match "30 idle connections: the oldest were purged" '[1-9]' "$(grep -c '^closed$' "$W/idle.out")"
"$RAW" -n 30 -t 30 "$PORT" "$W/get" > "$W/many.out"
check "30 requests at once: each answered 200 or purged, none hangs" "30" \
  "$(grep -cE '^(200 (open|closed)|closed)$' "$W/many.out")"
check_match "30 requests at once: most answered" '^([7-9]|[12][0-9]|30)$' "$(grep -c '^200' "$W/many.out")"
echo "  (outcomes of the 30: $(sort "$W/many.out" | uniq -c | tr -s ' \n' ' '))"
TRIED=$((TRIED + 3))
serving "many connections"

# --- mutated images over HTTP (sota image make + byte edits) ----------------------------------
"$SOTA" image make -o "$W/base.bin" --size 8192 --seed 7 > /dev/null
poke() { # poke OUT OFFSET HEXBYTES...: a copy of base.bin with bytes replaced
  local out=$1 off=$2; shift 2
  cp "$W/base.bin" "$out"
  printf "$(printf '\\x%s' "$@")" | dd of="$out" bs=1 seek="$off" conv=notrunc status=none
}
poke "$W/m_magic.bin" 0 e8
poke "$W/m_segs17.bin" 1 11
poke "$W/m_chip.bin" 12 05 00
poke "$W/m_minrev.bin" 15 2d 01          # v3.01 > the simulated v3.0
poke "$W/m_maxrev.bin" 17 2b 01          # v2.99 < v3.0
poke "$W/m_seglen.bin" 28 d1 04          # segment 0 length 0x4d0 -> 0x4d1
poke "$W/m_seg16m.bin" 28 00 00 00 01    # segment 0 length 16 MiB
poke "$W/m_desc.bin" 32 00               # app description magic
poke "$W/m_nohash.bin" 23 00             # hash_appended 0
last=$(od -An -tx1 -j 8191 -N 1 "$W/base.bin" | tr -d ' ')
poke "$W/m_sha.bin" 8191 "$([ "$last" = 00 ] && echo 01 || echo 00)"   # last SHA-256 byte
head -c 6000 "$W/base.bin" > "$W/m_cut.bin"
# file|status|error|message regex|slot untouched (refused on the first bytes)
MUT="
m_magic.bin|415|not_app_image|e9|1
m_segs17.bin|422|verify_failed|17|1
m_chip.bin|415|not_app_image|esp32c3|1
m_minrev.bin|422|verify_failed|revision|1
m_maxrev.bin|422|verify_failed|revision|1
m_seglen.bin|422|verify_failed|segment|1
m_seg16m.bin|422|verify_failed|segment|1
m_desc.bin|422|verify_failed|[Cc]hecksum|0
m_nohash.bin|422|policy|require_sha256|1
m_sha.bin|422|verify_failed|SHA-256|0
m_cut.bin|422|verify_failed|[Cc]hecksum|0
"
mode=raw
while IFS='|' read -r f want code rx untouched; do
  [ -n "$f" ] || continue
  before=$(slot_sum ota_0)
  upload "$W/$f" "$mode"
  TRIED=$((TRIED + 1))
  check "$f ($mode): HTTP $want" "$want" "$CODE"
  check "$f: error $code" "$code" "$(printf '%s' "$BODY" | jq -r .error 2>/dev/null)"
  check_match "$f: message names the problem" "$rx" "$(printf '%s' "$BODY" | jq -r .message 2>/dev/null)"
  [ "$untouched" = 1 ] && check "$f: ota_0 not erased or written" "$before" "$(slot_sum ota_0)"
  serving "$f"
  mode=$([ "$mode" = raw ] && echo form || echo raw)
done <<< "$MUT"
check "after all that, flash info still boots factory" "factory" \
  "$("$SOTA" flash info "$FLASH" --rollback --json | jq -r .boot)"

# --- a valid multipart upload, one byte per write: the boundary split at every byte -----------
"$SOTA" image make -o "$W/tiny.bin" --size 1024 --version 9.9.9 > /dev/null
mp XyZ "$W/tiny.bin" > "$W/tiny.form"
{ printf "${PO}${FD}Content-Length: %d\r\n\r\n" "$(size "$W/tiny.form")"; cat "$W/tiny.form"; } > "$W/req"
out=$("$RAW" -c 1 -d 1 -t 30 -b "$W/tiny.out" "$PORT" "$W/req" | tr '\n' ' ' | sed 's/ $//')
check_match "valid multipart upload in 1-byte writes: 200" '^200 ' "$out"
check "1-byte writes: installed" "true" "$(jq -r .ok "$W/tiny.out" 2>/dev/null)"
wait_field .running_partition ota_0 20 && ok "1-byte writes: rebooted into ota_0" || bad "1-byte writes: no reboot"
check "1-byte writes: the new app runs" "9.9.9" "$(field .version)"

stop_sim
echo "bad inputs tried over HTTP: $TRIED"
check "README: the count of hostile requests it names is this test's ($TRIED)" "1" \
  "$(grep -c "\*\*$TRIED hostile HTTP requests\*\* (\`test_http_hostile.sh\`" "$SOTA_ROOT/README.md")"
finish
