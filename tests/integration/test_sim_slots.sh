#!/usr/bin/env bash
# What each slot holds and switching between them: /api/status's slots say what a
# verification of each image finds (a slot half-written by a broken upload is "invalid",
# never the new version); POST /api/boot verifies a slot, selects it and reboots into it,
# back and forth, under the same rules as /update; the last update's record says what
# runs once it runs (never "it boots next" after the reboot).
. "$(dirname "$0")/lib.sh"
IMG="$SOTA_TESTDATA/images"
make_img() { "$SOTA" image make -o "$TMP/$1.bin" --project softap-ota --version "$1" --size "${2:-200000}" >/dev/null; }
make_img 0.2.0; make_img 0.3.0; make_img 0.4.0 600000
slot() { status | jq -r ".slots[] | select(.label==\"$1\") | $2"; }
boot() { # boot LABEL [curl options...]: sets CODE and BODY
  local label=$1; shift
  BODY=$(curl -s -m 10 -o - -w '\n%{http_code}' "$@" -H 'Content-Type: application/json' \
    --data "{\"partition\":\"$label\"}" "$(URL /api/boot)")
  CODE=$(printf '%s' "$BODY" | tail -n1)
  BODY=$(printf '%s' "$BODY" | sed '$d')
}
err() { printf '%s' "$BODY" | jq -r .error; }
msg() { printf '%s' "$BODY" | jq -r .message; }

start_sim slots --health-delay 100 --resume-timeout 0 || { finish; exit 1; }  # the broken upload below is dropped at once
# a fresh device: the updater runs, both OTA slots are empty
check "fresh: three app slots" "factory ota_0 ota_1" "$(status | jq -r '[.slots[].label] | join(" ")')"
check "fresh: names for people" "the updater (factory)|slot A (ota_0)|slot B (ota_1)" \
  "$(status | jq -r '[.slots[].name] | join("|")')"
check "fresh: factory valid, runs and boots next" "valid 0.1.0 true true false" \
  "$(slot factory '"\(.image) \(.version) \(.running) \(.boots_next) \(.updates_here)"')"
check "fresh: ota_0 empty, the next upload goes there" "empty null false true" \
  "$(slot ota_0 '"\(.image) \(.version) \(.running) \(.updates_here)"')"
check "fresh: no record yet" "null" "$(field .last_update)"

boot ota_1
check "switch to an empty slot: 422" "422 not_bootable" "$CODE $(err)"
check_match "422 says it is empty" "slot B \(ota_1\) is empty" "$(msg)"
boot factory
check "switch to the running slot: 409" "409 already_running" "$CODE $(err)"
boot nvs
check "switch to a data partition: 404" "404 no_such_slot" "$CODE $(err)"
boot ota_9
check "switch to an unknown label: 404" "404 no_such_slot" "$CODE $(err)"
for body in '' 'not json' '{"partition":1}' '{"slot":"ota_0"}' '{"partition":"ota_0_but_longer_than_16"}'; do
  CODE=$(curl -s -m 5 -o "$TMP/bad.json" -w '%{http_code}' --data "$body" "$(URL /api/boot)")
  check "body '$body': 400 bad_request" "400 bad_request" "$CODE $(jq -r .error "$TMP/bad.json")"
done
CODE=$(curl -s -m 5 -o "$TMP/xs.json" -w '%{http_code}' -H 'Origin: http://evil.example' \
  --data '{"partition":"factory"}' "$(URL /api/boot)")
check "switch asked by another site: 403" "403 cross_site" "$CODE $(jq -r .error "$TMP/xs.json")"
check "refused switches are not recorded" "null idle" "$(status | jq -r '"\(.last_update) \(.update_state)"')"

# two updates: 0.2.0 into ota_0, 0.3.0 into ota_1
upload "$TMP/0.2.0.bin"
check "0.2.0: 200" "200" "$CODE"
check "the answer names the slot" "ota_0 slot A (ota_0)" "$(printf '%s' "$BODY" | jq -r '"\(.partition) \(.name)"')"
wait_field .running_partition ota_0 20 || bad "no reboot into ota_0"
wait_field .running_state valid 10 || bad "0.2.0 not confirmed"
check_match "0.2.0: record says it runs and is confirmed" "^installed softap-ota 0\.2\.0 \([0-9]+ bytes\), verified; now runs from slot A \(ota_0\); it passed its health check and is confirmed$" \
  "$(field .last_update.message)"
check "0.2.0 running: factory still holds the updater" "valid 0.1.0 false" "$(slot factory '"\(.image) \(.version) \(.running)"')"
upload "$TMP/0.3.0.bin"
check "0.3.0: 200 into ota_1" "200 ota_1" "$CODE $(printf '%s' "$BODY" | jq -r .partition)"
wait_field .running_partition ota_1 20 || bad "no reboot into ota_1"
wait_field .running_state valid 10 || bad "0.3.0 not confirmed"
check "0.3.0 running: ota_0 holds 0.2.0" "valid 0.2.0 valid" "$(slot ota_0 '"\(.image) \(.version) \(.state)"')"

# back and forth: 0.2.0, 0.3.0, the updater, 0.3.0
for step in ota_0:0.2.0 ota_1:0.3.0 factory:0.1.0 ota_1:0.3.0; do
  label=${step%%:*} ver=${step##*:}
  boot "$label"
  check "switch to $label: 200 ok" "200 true $ver $label" "$CODE $(printf '%s' "$BODY" | jq -r '"\(.ok) \(.version) \(.partition)"')"
  check_match "switch to $label: says what boots next" "^switched to .* $ver in " "$(msg)"
  wait_field .running_partition "$label" 20 && ok "rebooted into $label" || bad "no reboot into $label"
  wait_up 10
  check "$label runs $ver" "$ver" "$(field .version)"
  [ "$label" = factory ] || { wait_field .running_state valid 10 || bad "$label not confirmed after the switch"; }
  wait_field .last_update.ok true 10 || bad "switch to $label: record not ok"
  check_match "switch to $label: record says it runs" "^switched to .* $ver in .*; now runs from " "$(field .last_update.message)"
  check "flash info boots $label" "$label" "$("$SOTA" flash info "$FLASH" --rollback --json | jq -r .boot)"
done
# the updater judged no record to confirm; after the next switch the record settles too
check "record never says boots next once running" "false" "$(field .last_update.message | grep -c 'boots next' | sed 's/^0$/false/')"

# a broken upload into ota_0: half of 0.4.0, then the connection drops
next=$(field .next_partition)
check "next upload goes to ota_0" "ota_0" "$next"
head -c 300000 "$TMP/0.4.0.bin" > "$TMP/half.bin"
curl -s -m 3 -o /dev/null -H 'Content-Type: application/octet-stream' -H 'Content-Length: 600000' \
  --data-binary "@$TMP/half.bin" "$(URL /update)"
wait_field .update_state failed 10 || bad "the broken upload did not end"
check "half-written ota_0: invalid, no version" "invalid null null" "$(slot ota_0 '"\(.image) \(.project) \(.version)"')"
check_match "half-written ota_0: the verifier's reason" "checksum|hash|SHA|truncated" "$(slot ota_0 .reason)"
boot ota_0
check "switch to the half-written slot: 422" "422 not_bootable" "$CODE $(err)"
check_match "422 says why" "does not verify" "$(msg)"
check "still running ota_1" "ota_1 0.3.0" "$(status | jq -r '"\(.running_partition) \(.version)"')"

# a switch during an upload: 409
curl -s -m 30 -o /dev/null --limit-rate 200k -H 'Content-Type: application/octet-stream' \
  --data-binary "@$TMP/0.4.0.bin" "$(URL /update)" &
SLOW=$!
wait_field .update_state receiving 10 || bad "the slow upload never started"
check "the slot being written" "writing" "$(slot ota_0 .image)"
boot factory
check "switch during an upload: 409 busy" "409 busy" "$CODE $(err)"
wait $SLOW
wait_field .running_partition ota_0 20 && ok "the upload went on: ota_0 runs" || bad "the upload did not finish"
check "0.4.0 in ota_0" "valid 0.4.0" "$(slot ota_0 '"\(.image) \(.version)"')"
stop_sim

# rollback off: no health check, the record still settles at the first boot
start_sim norollback --no-rollback --health-delay 100 || { finish; exit 1; }
upload "$TMP/0.2.0.bin"
wait_field .running_partition ota_0 20 || bad "no-rollback: no reboot"
check_match "no-rollback: record says it runs" "^installed softap-ota 0\.2\.0 \([0-9]+ bytes\), verified; now runs from slot A \(ota_0\)$" "$(field .last_update.message)"
stop_sim

# an upload while the new app waits for its health check: 409, not a flash error
start_sim pending --health-delay 4000 || { finish; exit 1; }
upload "$TMP/0.2.0.bin"
wait_field .running_partition ota_0 20 || bad "pending: no reboot"
check "pending: the new app waits for its health check" "pending_verify" "$(field .running_state)"
upload "$TMP/0.3.0.bin"
check "pending: an upload gets 409 pending_verify" "409 pending_verify" "$CODE $(err)"
check_match "pending: it says when to retry" "health check has not judged it yet.*try again in a few seconds" "$(msg)"
wait_field .running_state valid 10 || bad "pending: never confirmed"
upload "$TMP/0.3.0.bin"
check "pending: once confirmed the upload goes through" "200" "$CODE"
stop_sim

# the rules of /update hold for /api/boot: authentication, and the upload rules for OTA
# slots (the factory updater is always a way back)
SIM_READY=wait_http start_sim rules --health-delay 100 --auth admin:password12 --refuse-downgrade || { finish; exit 1; }
STATUS_CMD=astatus
astatus() { curl -sf -m 3 -u admin:password12 "$(URL /api/status)"; }
boot factory
check "switch without credentials: 401" "401 unauthorized" "$CODE $(err)"
for v in 0.2.0 0.3.0; do
  CODE=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -u admin:password12 \
    -H 'Content-Type: application/octet-stream' --data-binary "@$TMP/$v.bin" "$(URL /update)")
  check "rules: $v installed" "200" "$CODE"
  wait_field .version "$v" 20 || bad "rules: $v does not run"
  wait_field .running_state valid 10 || bad "rules: $v not confirmed"
done
boot ota_0 -u admin:password12
check "refuse_downgrade: switch to 0.2.0 refused" "422 policy" "$CODE $(err)"
check_match "policy: the rule is named" "^policy refuse_downgrade: slot A \(ota_0\) holds version '0\.2\.0'" "$(msg)"
boot factory -u admin:password12
check "the updater is always a way back" "200 factory" "$CODE $(printf '%s' "$BODY" | jq -r .partition)"
wait_field .running_partition factory 20 && ok "rules: the updater runs" || bad "rules: no reboot into factory"
stop_sim
finish
