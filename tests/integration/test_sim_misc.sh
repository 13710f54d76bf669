#!/usr/bin/env bash
# Raw and multipart uploads give the same results; captive DNS answers a real DNS
# client; the connectivity probes and unknown paths get their answers.
. "$(dirname "$0")/lib.sh"
IMG="$SOTA_TESTDATA/images"
DNS_PORT=$(free_port)
start_sim misc --health-delay 100 --dns-port "$DNS_PORT" || { finish; exit 1; }

for f in c14_flip_payload_byte.bin c27_wrong_chip_id.bin c22_segcount17.bin c07_valid_esp32_nohash.bin; do
  upload "$IMG/$f" raw;  rc=$CODE; rb=$(printf '%s' "$BODY" | jq -c '{error, message}')
  upload "$IMG/$f" form; fc=$CODE; fb=$(printf '%s' "$BODY" | jq -c '{error, message}')
  check "$f: raw and multipart same status" "$rc" "$fc"
  check "$f: raw and multipart same error and message" "$rb" "$fb"
done

# multipart without a file part, and a body without the closing boundary
CODE=$(curl -s -m 10 -o "$TMP/nf" -w '%{http_code}' -F 'note=hello' "$(URL /update)")
check "form without a file: 400" "400" "$CODE"
printf -- '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n' > "$TMP/cut.body"
head -c 8000 "$IMG/c02_valid_esp32_100k.bin" >> "$TMP/cut.body"
CODE=$(curl -s -m 10 -o "$TMP/cut.out" -w '%{http_code}' -H 'Content-Type: multipart/form-data; boundary=XyZ' \
  --data-binary "@$TMP/cut.body" "$(URL /update)")
check "multipart cut before the closing boundary: 400" "400" "$CODE"
check_match "cut multipart: message" "boundary|cut off" "$(jq -r .message "$TMP/cut.out")"
check "factory still running" "factory" "$(field .running_partition)"

# captive DNS on loopback
A=$(dig +short +time=2 +tries=1 -p "$DNS_PORT" @127.0.0.1 connectivitycheck.gstatic.com A)
check "DNS: any A query answered with the AP address" "192.168.4.1" "$A"
AAAA=$(dig +short +time=2 +tries=1 -p "$DNS_PORT" @127.0.0.1 example.com AAAA)
check "DNS: AAAA gets no address" "" "$AAAA"
RC=$(dig +time=2 +tries=1 -p "$DNS_PORT" @127.0.0.1 example.com A | grep -o 'status: [A-Z]*')
check "DNS: NOERROR" "status: NOERROR" "$RC"

# connectivity probes and unknown paths
CODE=$(curl -s -m 5 -o "$TMP/probe" -w '%{http_code}' "$(URL /generate_204)")
check "Android probe: 200 page (not 204)" "200" "$CODE"
check_match "probe page names the address" "192.168.4.1" "$(cat "$TMP/probe")"
CODE=$(curl -s -m 5 -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Host: captive.apple.com' "$(URL /some/where)")
check "foreign host: redirected to the page" "302 http://192.168.4.1/" "$CODE"
CODE=$(curl -s -m 5 -o "$TMP/nf.json" -w '%{http_code}' "$(URL /nope)")
check "unknown path on the device: 404" "404" "$CODE"
check "404 is JSON" "not_found" "$(jq -r .error "$TMP/nf.json")"
ENC=$(curl -s -m 5 -H "Accept-Encoding: gzip" -D - -o "$TMP/page.gz" "$(URL /)" | tr -d '\r' | grep -i '^content-encoding:' | cut -d' ' -f2)
check "page served gzipped" "gzip" "$ENC"
gzip -t "$TMP/page.gz" && ok "page is valid gzip" || bad "page is not valid gzip"
# the budget: at most 6,416 bytes sent (issue 12 set 6,144; issue 15 added the storage
# list, the partition prompt and the SHA-256 of filesystem images, 6,400; then the words
# for a failed filesystem upload, which no longer only say the app is unchanged); the served page is the source less its
# indentation and comments (web/gzip.cmake), nothing else
n=$(wc -c < "$TMP/page.gz")
check "page at most 6,416 bytes gzipped ($n)" "1" "$([ "$n" -le 6416 ] && echo 1 || echo 0)"
sed -e 's/^[ \t]*//' -e '/^\/\//d' -e 's/\([;{]\) \/\/.*$/\1/' -e '/^$/d' "$SOTA_ROOT/components/softap_ota/web/index.html" |
  tr -d '\n' > "$TMP/src.flat"
zcat "$TMP/page.gz" | tr -d '\n' > "$TMP/page.flat"
cmp -s "$TMP/src.flat" "$TMP/page.flat" && ok "served page = source less indentation and comments" ||
  bad "served page differs from the source in more than indentation and comments"
stop_sim
finish
