#!/usr/bin/env bash
# Every error the device answers is JSON {"error", "message"}, those the HTTP server
# itself finds in a request included (the component registers a handler for each of
# ESP-IDF's httpd_err_code_t, and the host server calls them where ESP-IDF does). GET /
# without gzip gets a short text instead of compressed bytes; HEAD / answers the head
# of GET / on a connection that stays usable.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
RAW=${RAWHTTP:-$(dirname "$SOTA")/rawhttp}
if [ ! -x "$RAW" ]; then
  RAW="$TMP/rawhttp"
  cc -std=c11 -O1 -D_DEFAULT_SOURCE -o "$RAW" "$HERE/rawhttp.c" || { bad "cannot build rawhttp"; finish; exit 1; }
fi
start_sim errors --recv-timeout 2 --max-timeouts 1 || { finish; exit 1; }
pad() { head -c "$1" /dev/zero | tr '\0' a; }

# name | status and connection | error code | request (printf format) | rawhttp options
TABLE="
unknown method (http_parser: 400)|400 closed|bad_request|FOO /api/status HTTP/1.1\r\nHost: x\r\n\r\n|
NUL in a header (400)|400 closed|bad_request|GET /api/status HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n|
malformed Content-Length (400)|400 closed|bad_request|POST /update HTTP/1.1\r\nContent-Length: abc\r\n\r\n|
no such path (404)|404 open|not_found|GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n|
method not allowed (405)|405 open|method_not_allowed|DELETE /api/status HTTP/1.1\r\nHost: x\r\n\r\n|
GET on /update (405)|405 open|method_not_allowed|GET /update HTTP/1.1\r\nHost: x\r\n\r\n|
headers cut off, then silence (408)|408 closed|timeout|GET /api/status HTTP/1.1\r\nHost: x\r\n|-t 6
upload without a length (ours: 411, the connection closed)|411 closed|length_required|POST /update HTTP/1.1\r\nContent-Type: application/octet-stream\r\n\r\n|
Content-Length above 4 GiB (413)|413 closed|too_big|POST /update HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n|
URL too long (414)|414 closed|uri_too_long|GET /api/status?$(pad 600) HTTP/1.1\r\nHost: x\r\n\r\n|
headers too large (431)|431 closed|headers_too_large|GET /api/status HTTP/1.1\r\nHost: x\r\nCookie: $(pad 1100)\r\n\r\n|
push-back overflow (500)|500 closed|internal_error|GET /api/status?$(pad 483) HTTP/1.1\r\n\r\n|
HTTP/2.0 request line (505)|505 closed|http_version|GET /api/status HTTP/2.0\r\nHost: x\r\n\r\n|
HTTP/0.9 request (505)|505 closed|http_version|GET /\r\n\r\n|
"
while IFS='|' read -r name want code fmt opts; do
  [ -n "$name" ] || continue
  # shellcheck disable=SC2059  # the format is the point
  printf "$fmt" > "$TMP/req"
  rm -f "$TMP/body"
  # shellcheck disable=SC2086  # options are words
  out=$("$RAW" -t 8 $opts -b "$TMP/body" "$PORT" "$TMP/req" | tr '\n' ' ' | sed 's/ $//')
  check "$name: answer" "$want" "$out"
  check "$name: JSON error code" "$code" "$(jq -r .error "$TMP/body" 2>/dev/null)"
  check_match "$name: a message to act on" ".{40,}" "$(jq -r .message "$TMP/body" 2>/dev/null)"
done <<< "$TABLE"

# headers of the server's refusals: JSON, closed after a request that could not be read
curl -s -m 5 -D "$TMP/h405" -o /dev/null -X DELETE "$(URL /update)"
check_match "405: Content-Type JSON" "^Content-Type: application/json" "$(tr -d '\r' < "$TMP/h405" | grep -i '^content-type')"
check "405: Allow names the method" "Allow: POST" "$(tr -d '\r' < "$TMP/h405" | grep -i '^allow:')"
curl -s -m 5 -D "$TMP/h414" -o /dev/null "$(URL "/api/status?$(pad 600)")"
check "414: Connection: close" "Connection: close" "$(tr -d '\r' < "$TMP/h414" | grep -i '^connection:')"
check_match "414: Content-Type JSON" "^Content-Type: application/json" "$(tr -d '\r' < "$TMP/h414" | grep -i '^content-type')"

# GET / to a client that does not take gzip, and to one that does
for ae in none identity 'gzip;q=0'; do
  hdr=(); [ "$ae" = none ] || hdr=(-H "Accept-Encoding: $ae")
  CODE=$(curl -s -m 5 -D "$TMP/hp" -o "$TMP/plain" -w '%{http_code}' "${hdr[@]}" "$(URL /)")
  check "GET / (Accept-Encoding: $ae): 200" "200" "$CODE"
  check_match "GET / ($ae): plain text" "^Content-Type: text/plain" "$(tr -d '\r' < "$TMP/hp" | grep -i '^content-type')"
  check "GET / ($ae): not gzip-coded" "" "$(tr -d '\r' < "$TMP/hp" | grep -i '^content-encoding')"
  check_match "GET / ($ae): points to a browser and curl --compressed" "web browser.*curl --compressed" "$(tr '\n' ' ' < "$TMP/plain")"
  check_match "GET / ($ae): names the address the client used" "Open $(URL /) in a web browser" "$(cat "$TMP/plain")"
done
curl -s -m 5 -H 'Host: a"b<i>' -o "$TMP/plain_badhost" "$(URL /)"
check_match "GET / with a malformed Host: names the access point's address instead" \
  "Open http://192\.168\.4\.1/ in a web browser" "$(cat "$TMP/plain_badhost")"
check "the text is short" "true" "$([ "$(stat -c %s "$TMP/plain")" -lt 600 ] && echo true)"
CODE=$(curl -s -m 5 --compressed -D "$TMP/hg" -o "$TMP/page.html" -w '%{http_code}' "$(URL /)")
check "GET / with gzip: 200" "200" "$CODE"
check "GET / with gzip: gzip-coded" "Content-Encoding: gzip" "$(tr -d '\r' < "$TMP/hg" | grep -i '^content-encoding')"
check "GET / with gzip: Vary" "Vary: Accept-Encoding" "$(tr -d '\r' < "$TMP/hg" | grep -i '^vary')"
check_match "GET / with gzip: the page" "<title>Firmware update</title>" "$(cat "$TMP/page.html")"
GZ_LEN=$(curl -s -m 5 -H 'Accept-Encoding: gzip' -o - "$(URL /)" | wc -c)

# HEAD /: the head of GET /, no body; the connection stays usable
for ae in gzip none; do
  hdr=(); [ "$ae" = none ] || hdr=(-H "Accept-Encoding: $ae")
  want_len=$([ "$ae" = gzip ] && echo "$GZ_LEN" || stat -c %s "$TMP/plain")
  curl -s -m 5 -I "${hdr[@]}" -o "$TMP/head" "$(URL /)" --next -s -m 5 -o "$TMP/after.json" -w '%{http_code} %{num_connects}' \
    "$(URL /api/status)" > "$TMP/after.code"
  check "HEAD / ($ae): 200" "HTTP/1.1 200 OK" "$(head -n1 "$TMP/head" | tr -d '\r')"
  check "HEAD / ($ae): Content-Length of GET's body" "Content-Length: $want_len" "$(tr -d '\r' < "$TMP/head" | grep -i '^content-length')"
  check "HEAD / ($ae): then GET /api/status on the same connection" "200 0" "$(cat "$TMP/after.code")"
  check "HEAD / ($ae): that answer is intact" "idle" "$(jq -r .update_state "$TMP/after.json")"
done
stop_sim

# with authentication on, HEAD / is refused like GET /, without a body
SIM_READY=wait_http start_sim errors_auth --auth admin:password12 || { finish; exit 1; }
check "HEAD / without credentials: 401" "HTTP/1.1 401 Unauthorized" "$(curl -s -m 5 -I "$(URL /)" | head -n1 | tr -d '\r')"
check_match "HEAD / 401: the Basic challenge" "^WWW-Authenticate: Basic" "$(curl -s -m 5 -I "$(URL /)" | tr -d '\r' | grep -i '^www-authenticate')"
check "HEAD / with credentials: 200" "HTTP/1.1 200 OK" "$(curl -s -m 5 -I -u admin:password12 "$(URL /)" | head -n1 | tr -d '\r')"
CODE=$(curl -s -m 5 -o "$TMP/auth.json" -w '%{http_code}' -X DELETE "$(URL /update)")
check "405 before authentication is still JSON" "405 method_not_allowed" "$CODE $(jq -r .error "$TMP/auth.json")"
stop_sim
finish
