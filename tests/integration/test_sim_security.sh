#!/usr/bin/env bash
# Who may update (issue 7), each protection on and off against the simulator:
# cross-site uploads and frame headers, HTTP authentication on every route (nothing
# read or written without it) and its lockout, bad settings refused at start, the
# upload policy rules, the failed-version rule, and signed images (good, tampered,
# wrong key, unsigned). Secrets never show in logs or /api/status.
. "$(dirname "$0")/lib.sh"
IMG="$SOTA_TESTDATA/images"
SIG="$SOTA_TESTDATA/signed"
AUSER="sota-owner"
APASS="correct-horse-42"
TOKEN=$(printf '%s:%s' "$AUSER" "$APASS" | base64)

# --- helpers (lib.sh's status/wait_up ask without credentials) ------------------------

# start_any NAME [sim options...]: start_sim, up once it answers HTTP at all (a 401 counts)
start_any() { SIM_READY=wait_http start_sim "$@"; }
astatus() { curl -sf -m 3 -u "$AUSER:$APASS" "$(URL /api/status)"; }
afield() { astatus | jq -r "$1"; }
await_afield() { STATUS_CMD=astatus wait_field "$@"; } # JQ VALUE SECONDS, with credentials
# req OUT_PREFIX curl-args...: sets CODE, BODY and HDRS (response headers)
req() {
  local out
  out=$(curl -s -m 60 -D "$TMP/hdrs" -o "$TMP/body" -w '%{http_code}' "$@")
  CODE=$out
  BODY=$(tr -d '\0' < "$TMP/body" 2>/dev/null)
  HDRS=$(tr -d '\r' < "$TMP/hdrs" 2>/dev/null)
}
hdr() { printf '%s\n' "$HDRS" | grep -i "^$1:" | head -1 | cut -d' ' -f2- ; }
post_raw() { req -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$1" "${@:2}" "$(URL /update)"; }
post_form() { req -F "file=@$1;type=application/octet-stream" "${@:2}" "$(URL /update)"; }
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# images of known project / version / secure_version
mk() { "$SOTA" image make -o "$TMP/$1.bin" --project "$2" --version "$3" --secure-version "$4" --size 20000 --seed 7 >/dev/null; }
mk sv5 softap-ota 1.0.0 5
mk other other-app 9.0.0 5
mk older softap-ota 0.0.9 5
mk sv3 softap-ota 2.0.0 3
mk bad softap-ota 3.0.0 0
mk bad2 softap-ota 3.0.1 0
mk nover softap-ota "" 5   # an empty version, as every Tasmota32 build has

# the RSA-signed app with one byte changed where nothing is loaded, its checksum and
# SHA-256 made right again: a valid image that is no longer what was signed
REHASHED="$TMP/rehashed.bin"
cp "$SIG/app_signed_rsa3072.bin" "$REHASHED"; chmod u+w "$REHASHED"
flip() { local b; b=$(od -An -tu1 -j "$1" -N1 "$REHASHED" | tr -d ' ');
  printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$REHASHED" bs=1 seek="$1" conv=notrunc status=none; }
flip $((0x2000)); flip $((0x20000 - 33))
printf '%b' "$(head -c $((0x20000 - 32)) "$REHASHED" | sha256sum | cut -c1-64 | sed 's/../\\x&/g')" |
  dd of="$REHASHED" bs=1 seek=$((0x20000 - 32)) conv=notrunc status=none
check "re-hashed image is a valid app image" "valid" "$("$SOTA" image verify "$REHASHED")"

# --- 1. defaults: open, but cross-site uploads refused and the page never framed -------
start_sim defaults --health-delay 100 || { finish; exit 1; }
check "defaults: no HTTP auth" "false" "$(field .security.http_auth)"
check "defaults: open access point" "open" "$(field .security.wifi)"
check "defaults: cross-site check on" "true" "$(field .security.check_origin)"
check "defaults: signing not required" "false" "$(field .policy.require_signed)"
check "defaults: failed-version rule off" "false" "$(field .policy.refuse_failed_version)"
check "defaults: no trusted keys" "0" "$(field '.security.trusted_keys | length')"
for path in / /api/status; do
  req "$(URL $path)"
  check "defaults: GET $path 200" "200" "$CODE"
  check "defaults: GET $path X-Frame-Options" "DENY" "$(hdr X-Frame-Options)"
  check "defaults: GET $path CSP frame-ancestors" "frame-ancestors 'none'" "$(hdr Content-Security-Policy)"
done
next=$(field .next_partition)
before=$(slot_sum "$next")
while IFS='|' read -r name args; do
  [ -n "$name" ] || continue
  eval "set -- $args"
  post_raw "$IMG/c02_valid_esp32_100k.bin" "$@"
  check "cross-site ($name): 403" "403" "$CODE"
  check "cross-site ($name): error cross_site" "cross_site" "$(printf '%s' "$BODY" | jq -r .error)"
  check_match "cross-site ($name): message says what to do" "another site.*device's own address" \
    "$(printf '%s' "$BODY" | jq -r .message)"
done <<EOF
Origin evil|-H 'Origin: http://evil.example'
Origin null|-H 'Origin: null'
Origin other port|-H "Origin: http://127.0.0.1:$((PORT + 1))"
Origin DNS name|-H "Origin: http://rebind.example:$PORT" -H "Host: rebind.example:$PORT"
Referer evil|-H 'Referer: http://evil.example/page.html'
Origin ok, Host foreign|-H "Origin: http://127.0.0.1:$PORT" -H 'Host: 127.0.0.1:1'
EOF
post_form "$IMG/c02_valid_esp32_100k.bin" -H 'Origin: http://evil.example'
check "cross-site form: 403" "403" "$CODE"
check "cross-site: nothing written to $next" "$before" "$(slot_sum "$next")"
check "cross-site: no session started" "idle" "$(field .update_state)"
check "cross-site: no result recorded" "null" "$(field .last_update)"
# the page's own upload (same origin) of an unsigned app: fine when signing is off
post_raw "$SIG/app_padded.bin" -H "Origin: http://127.0.0.1:$PORT" -H "Referer: http://127.0.0.1:$PORT/"
check "same-origin upload of an unsigned app: 200" "200" "$CODE"
wait_field .running_partition ota_0 20 && ok "same-origin: rebooted into ota_0" || bad "same-origin: no reboot"
stop_sim

start_sim no_origin --no-origin-check --health-delay 100 || { finish; exit 1; }
check "no-origin-check: status says so" "false" "$(field .security.check_origin)"
post_raw "$IMG/c01_valid_esp32_10k.bin" -H 'Origin: http://evil.example'
check "no-origin-check: cross-site upload accepted" "200" "$CODE"
stop_sim

# --- 2. HTTP authentication on every route ---------------------------------------------
start_any auth --auth "$AUSER:$APASS" --auth-attempts 100 --health-delay 100 || { finish; exit 1; }
check "auth: status says so" "true" "$(afield .security.http_auth)"
next=$(afield .next_partition)
before=$(slot_sum "$next")
wrong=0
for creds in none wrong-password wrong-user; do
  case $creds in
    none) C=() ;;
    wrong-password) C=(-u "$AUSER:$APASS-x"); ;;
    wrong-user) C=(-u "x$AUSER:$APASS") ;;
  esac
  for route in "GET /" "GET /index.html" "GET /api/status" "POST raw" "POST form"; do
    case $route in
      "POST raw") post_raw "$IMG/c02_valid_esp32_100k.bin" "${C[@]}" ;;
      "POST form") post_form "$IMG/c02_valid_esp32_100k.bin" "${C[@]}" ;;
      *) req "${C[@]}" "$(URL "${route#GET }")" ;;
    esac
    check "auth ($creds): $route 401" "401" "$CODE"
    check_match "auth ($creds): $route challenge" '^Basic realm="softap-ota"' "$(hdr WWW-Authenticate)"
    check "auth ($creds): $route no page or data" "unauthorized" "$(printf '%s' "$BODY" | jq -r .error 2>/dev/null)"
    [ "$creds" = none ] || wrong=$((wrong + 1))
  done
done
check "auth: nothing written to $next" "$before" "$(slot_sum "$next")"
check "auth: no upload was received" "idle 0 null" "$(afield '"\(.update_state) \(.received) \(.last_update)"')"
check "auth: wrong credentials counted" "$wrong" "$(afield .security.auth_failures)"
req "$(URL /generate_204)"
check "auth: captive-portal probe stays open" "200" "$CODE"
req -u "$AUSER:$APASS" -H "Accept-Encoding: gzip" "$(URL /)"
check "auth: page with credentials" "200" "$CODE"
check "auth: page is gzip" "gzip" "$(hdr Content-Encoding)"
check "auth: right credentials are not counted" "$wrong" "$(afield .security.auth_failures)"
check "auth: status never shows the password" "0" "$(astatus | grep -c -e "$APASS" -e "$TOKEN" -e "$AUSER")"
post_raw "$IMG/c02_valid_esp32_100k.bin" -u "$AUSER:$APASS"
check "auth: upload with credentials 200" "200" "$CODE"
await_afield .running_partition ota_0 20 && ok "auth: rebooted into ota_0" || bad "auth: no reboot"
req "$(URL /api/status)"
check "auth: still asked after the reboot" "401" "$CODE"
stop_sim

# --- 3. lockout after repeated failures -------------------------------------------------
start_any lockout --auth "$AUSER:$APASS" --auth-attempts 2 --auth-lockout 60 || { finish; exit 1; }
for i in 1 2; do
  req -u "$AUSER:wrong-password-$i" "$(URL /api/status)"
  check "lockout: wrong password $i: 401" "401" "$CODE"
done
req -u "$AUSER:$APASS" "$(URL /api/status)"
check "lockout: right password while locked: 429" "429" "$CODE"
check_match "lockout: Retry-After in seconds" '^([1-9]|[1-5][0-9]|60)$' "$(hdr Retry-After)"
check_match "lockout: message says to wait" "wait" "$(printf '%s' "$BODY" | jq -r .message)"
before=$(slot_sum ota_0)
post_raw "$IMG/c02_valid_esp32_100k.bin" -u "$AUSER:$APASS"
check "lockout: upload while locked: 429" "429" "$CODE"
check "lockout: nothing written" "$before" "$(slot_sum ota_0)"
stop_sim

# --- 4. settings a device must not start with -------------------------------------------
printf 'not a digest' > "$TMP/garbage.digest"
while IFS='|' read -r name want args; do
  [ -n "$name" ] || continue
  eval "set -- $args"
  log="$TMP/badcfg.log"
  ASAN_OPTIONS=detect_leaks=0 timeout 30 "$SOTA" sim --flash "$TMP/badcfg.flash" --port "$(free_port)" "$@" >"$log" 2>&1
  rc=$?
  check "bad setting ($name): does not run" "1" "$([ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && echo 1 || echo "rc $rc")"
  check_match "bad setting ($name): says why" "$want" "$(cat "$log")"
  check "bad setting ($name): the secret is not logged" "0" "$(grep -c -e 'Short7x' -e 'abcdefg' "$log")"
done <<EOF
Wi-Fi password of 7|8 to 63|--ap-password abcdefg
HTTP password of 7|shorter than 8|--auth owner:Short7x
HTTP password without user|expected USER:PASSWORD|--auth :Short7xx
malformed key digest|32 bytes|--require-signed "$TMP/garbage.digest"
EOF
start_any wpa2 --ap-password 'wifi-pass-8' || { finish; exit 1; }
check "wpa2: access point is WPA2" "wpa2" "$(field .security.wifi)"
check "wpa2: the Wi-Fi password is not logged" "0" "$(grep -c 'wifi-pass-8' "$SIM_LOG")"
check "wpa2: nor shown in status" "0" "$(status | grep -c 'wifi-pass-8')"
stop_sim

# --- 5. upload policy rules, on and off -------------------------------------------------
start_sim rules --require-same-project --refuse-downgrade --refuse-lower-secure-version --health-delay 100 ||
  { finish; exit 1; }
for r in require_same_project refuse_downgrade refuse_lower_secure_version; do
  check "rules: status shows $r" "true" "$(field ".policy.$r")"
done
upload "$TMP/sv5.bin"
check "rules: newer build of the same project: 200" "200" "$CODE"
wait_field .running_state valid 30 && ok "rules: softap-ota 1.0.0 (secure version 5) runs" || bad "rules: no confirm"
next=$(field .next_partition)
before=$(slot_sum "$next")
while IFS='|' read -r file rule; do
  [ -n "$file" ] || continue
  upload "$TMP/$file.bin"
  check "rules: $file: 422" "422" "$CODE"
  msg=$(printf '%s' "$BODY" | jq -r .message)
  check_match "rules: $file: names $rule" "^policy $rule:" "$msg"
  check_match "rules: $file: says how to override" "turn this rule off" "$msg"
done <<EOF
other|require_same_project
older|refuse_downgrade
sv3|refuse_lower_secure_version
EOF
check "rules: refused on the first bytes, nothing written" "$before" "$(slot_sum "$next")"
# an empty version is unknown, not older: the pre-check says so, refuse_downgrade lets it through
R=$(head -c 8448 "$TMP/nover.bin" | curl -s -m 5 --data-binary @- -H 'Content-Type: application/octet-stream' \
  "$(URL "/api/check?size=$(stat -c %s "$TMP/nover.bin")")")
check "rules: no version: pre-check ok" "ok" "$(printf '%s' "$R" | jq -r .verdict)"
check "rules: no version: the note says the version is unknown, not a downgrade" \
  "names no version: whether it is newer or older than the running app is unknown" \
  "$(printf '%s' "$R" | jq -r '.notes | join(" ")' | grep -o 'names no version.*unknown')"
upload "$TMP/nover.bin"
check "rules: no version: 200 under refuse_downgrade" "200" "$CODE"
wait_field '"\(.version) \(.running_state)"' " valid" 30 && ok "rules: the build without a version runs" ||
  bad "rules: the build without a version does not run"
stop_sim

start_sim norules --health-delay 100 || { finish; exit 1; }
for f in sv5 other older sv3; do
  upload "$TMP/$f.bin"
  check "rules off: $f: 200" "200" "$CODE"
  want=$("$SOTA" image info "$TMP/$f.bin" | sed -n 's/.*project "\([^"]*\)", version "\([^"]*\)".*/\1 \2/p' | head -n 1)
  wait_field '"\(.project) \(.version) \(.running_state)"' "$want valid" 30 && ok "rules off: $f runs" ||
    bad "rules off: $f does not run"
done
stop_sim

# --- 6. the version that last failed its health check -----------------------------------
start_sim failed --health fail --health-delay 100 --refuse-failed-version || { finish; exit 1; }
check "failed: rule shown" "true" "$(field .policy.refuse_failed_version)"
check "failed: nothing failed yet" "null" "$(field .policy.failed_version)"
upload "$TMP/bad.bin"
check "failed: 3.0.0 accepted" "200" "$CODE"
wait_field .last_update.ok false 30 && ok "failed: 3.0.0 rolled back" || bad "failed: no rollback"
wait_up 10
check "failed: factory runs" "factory" "$(field .running_partition)"
check "failed: 3.0.0 recorded" "softap-ota 3.0.0" "$(field '"\(.policy.failed_version.project) \(.policy.failed_version.version)"')"
before=$(slot_sum ota_0)
upload "$TMP/bad.bin"
check "failed: same version again: 422" "422" "$CODE"
check_match "failed: names the rule and the version" "^policy refuse_failed_version: softap-ota 3.0.0 .*turn this rule off" \
  "$(printf '%s' "$BODY" | jq -r .message)"
check "failed: nothing written" "$before" "$(slot_sum ota_0)"
upload "$TMP/bad2.bin"
check "failed: another version: 200" "200" "$CODE"
wait_field .policy.failed_version.version 3.0.1 30 && ok "failed: 3.0.1 failed and is recorded" || bad "failed: 3.0.1 not recorded"
stop_sim

start_sim failed_off --health fail --health-delay 100 || { finish; exit 1; }
upload "$TMP/bad.bin"
check "failed (rule off): 3.0.0 accepted" "200" "$CODE"
wait_field .last_update.ok false 30 && ok "failed (rule off): rolled back" || bad "failed (rule off): no rollback"
wait_up 10
upload "$TMP/bad.bin"
check "failed (rule off): same version again accepted" "200" "$CODE"
stop_sim

# --- 7. signed images -------------------------------------------------------------------
start_sim signed --require-signed "$SIG/digest_rsa3072.bin" --health-delay 100 || { finish; exit 1; }
check "signed: rule shown" "true" "$(field .policy.require_signed)"
check "signed: trusted key shown" "$(hexof "$SIG/digest_rsa3072.bin")" "$(field '.security.trusted_keys[0]')"
check "signed: key source" "configured" "$(field .security.trusted_key_source)"
next=$(field .next_partition)
while IFS='|' read -r file mode code err rx untouched; do
  [ -n "$file" ] || continue
  before=$(slot_sum "$next")
  upload "$file" "$mode"
  name="$(basename "$file") ($mode)"
  check "signed: $name: $code" "$code" "$CODE"
  check "signed: $name: $err" "$err" "$(printf '%s' "$BODY" | jq -r .error)"
  check_match "signed: $name: says why" "$rx" "$(printf '%s' "$BODY" | jq -r .message)"
  [ "$untouched" = 1 ] && check "signed: $name: nothing written" "$before" "$(slot_sum "$next")"
  check "signed: $name: factory still runs" "factory" "$(field .running_partition)"
done <<EOF
$SIG/app_padded.bin|raw|422|policy|require_signed: .*not signed|0
$SIG/app_padded.bin|form|422|policy|require_signed: .*not signed|0
$IMG/c02_valid_esp32_100k.bin|raw|422|policy|require_signed: .*4 KiB|1
$SIG/app_signed_ecdsa256.bin|raw|422|policy|does not trust|0
$SIG/app_signed_ecdsa384.bin|form|422|policy|does not trust|0
$SIG/app_signed_ecdsa256_tampered.bin|raw|422|verify_failed|[Cc]hecksum|0
$REHASHED|raw|422|policy|changed after it was signed|0
EOF
upload "$SIG/app_signed_rsa3072.bin"
check "signed: RSA-3072 by the trusted key: 200" "200" "$CODE"
wait_field .running_partition ota_0 20 && ok "signed: rebooted into the signed app" || bad "signed: no reboot"
check "signed: the signed app runs" "oracle_app" "$(field .project)"
stop_sim

hexof "$SIG/digest_ecdsa256.bin" > "$TMP/ecdsa.hex"
start_sim signed_ec --require-signed "$TMP/ecdsa.hex" --health-delay 100 || { finish; exit 1; }
check "signed (hex digest file): trusted key shown" "$(cat "$TMP/ecdsa.hex")" "$(field '.security.trusted_keys[0]')"
upload "$SIG/app_signed_rsa3072.bin" form
check "signed (ECDSA key): RSA-signed app refused" "422" "$CODE"
upload "$SIG/app_signed_ecdsa256.bin" form
check "signed: ECDSA P-256 by the trusted key: 200" "200" "$CODE"
wait_field .running_partition ota_0 20 && ok "signed (ECDSA): rebooted" || bad "signed (ECDSA): no reboot"
stop_sim

# --- secrets: in no log of this test ----------------------------------------------------
check "no log holds the HTTP password" "" "$(grep -l -e "$APASS" -e "$TOKEN" "$TMP"/*.log)"
finish
