#!/usr/bin/env bash
# Filesystem images over HTTP (issue 15) on `sota sim --ptable` with a littlefs, a spiffs
# and two fat partitions: the fixtures of tests/fixtures/fs written to the partition their
# kind (or ?partition=) names, byte for byte with the rest erased, shown in /api/status
# "storage"; each wrong file or request refused with its status and the partition's bytes
# unchanged; X-Sota-SHA256 checked end to end; a lost connection resumed; a lost
# connection not resumed, and a power cut (the simulator killed) mid-write, reported as
# "incomplete" until a complete upload succeeds; 409 while one runs; the pre-check names
# the partition.
. "$(dirname "$0")/lib.sh"
RAWHTTP="$(dirname "$SOTA")/rawhttp"
FX="$SOTA_ROOT/tests/fixtures/fs"
PT="$TMP/fs.csv"
cat > "$PT" <<'CSV'
# partitions.csv plus four data partitions for filesystems
nvs,      data, nvs,      0x9000,   0x4000,
otadata,  data, ota,      0xd000,   0x2000,
phy_init, data, phy,      0xf000,   0x1000,
factory,  app,  factory,  0x10000,  1M,
ota_0,    app,  ota_0,    0x110000, 1M,
ota_1,    app,  ota_1,    0x210000, 1M,
storage,  data, littlefs, 0x310000, 32K,
www,      data, spiffs,   0x318000, 32K,
fat1,     data, fat,      0x320000, 64K,
fat2,     data, fat,      0x330000, 128K,
CSV
start_sim fs --ptable "$PT" --health-delay 100 --recv-timeout 1 --max-timeouts 2 || { finish; exit 1; }

sum() { slot_sum "$1"; }
# part_holds LABEL FILE: the partition is FILE's bytes then 0xFF to its end
part_holds() {
  local off size n
  off=$("$SOTA" flash info "$FLASH" --json | jq -r ".partitions[] | select(.label==\"$1\") | .offset")
  size=$("$SOTA" flash info "$FLASH" --json | jq -r ".partitions[] | select(.label==\"$1\") | .size")
  n=$(stat -c %s "$2")
  { cat "$2"; head -c $((size - n)) /dev/zero | tr '\0' '\377'; } > "$TMP/want.bin"
  cmp -s "$TMP/want.bin" <(dd if="$FLASH" bs=4096 skip=$((off / 4096)) count=$((size / 4096)) status=none)
}
storage() { field ".storage[] | select(.label==\"$1\") | $2"; }
# up FILE QUERY [curl options]: a raw upload to /update?QUERY; sets CODE and BODY
up() {
  local f=$1 q=$2
  shift 2
  BODY=$(curl -s -m 60 -o - -w '\n%{http_code}' -H 'Content-Type: application/octet-stream' "$@" \
    --data-binary "@$f" "$(URL "/update$q")")
  CODE=$(printf '%s' "$BODY" | tail -n1)
  BODY=$(printf '%s' "$BODY" | sed '$d')
}
after_reboot() { sleep 1; wait_up 20 || bad "$1: the device did not come back"; }

# --- the storage list of a fresh device -----------------------------------------------
check "four storage partitions listed" "storage www fat1 fat2" "$(field '[.storage[].label] | join(" ")')"
check "fresh littlefs partition: complete, erased" "complete erased" \
  "$(storage storage .state) $(storage storage .content)"
check "subtype and size" "littlefs 32768" "$(storage storage .subtype) $(storage storage .size)"

# --- the pre-check names the partition -------------------------------------------------
F=$FX/littlefs_32k.bin
R=$(head -c 8448 "$F" | curl -s -m 5 --data-binary @- -H 'Content-Type: application/octet-stream' \
  "$(URL "/api/check?size=$(stat -c %s "$F")")")
check "check: littlefs goes to storage" "ok littlefs storage 32768" \
  "$(echo "$R" | jq -r '"\(.verdict) \(.kind) \(.partition) \(.partition_size)"')"
R=$(head -c 8448 "$FX/fat_64k.bin" | curl -s -m 5 --data-binary @- -H 'Content-Type: application/octet-stream' \
  "$(URL "/api/check?size=65536&partition=fat2")")
check "check: fat with ?partition=fat2" "ok fat2" "$(echo "$R" | jq -r '"\(.verdict) \(.partition)"')"
R=$(head -c 8448 "$FX/fat_64k.bin" | curl -s -m 5 --data-binary @- -H 'Content-Type: application/octet-stream' \
  "$(URL "/api/check?size=65536")")
check "check: fat without ?partition= (two fat partitions)" "refused 400 choose_partition null" \
  "$(echo "$R" | jq -r '"\(.verdict) \(.status) \(.error) \(.partition)"')"

# --- refusals: status, code, and nothing written ----------------------------------------
fat1_before=$(sum fat1)
before="$(sum storage) $(sum www) $fat1_before $(sum fat2)"
refuse() { # refuse WHAT STATUS CODE MESSAGE-REGEX FILE QUERY [curl options]
  local what=$1 st=$2 code=$3 re=$4 f=$5 q=$6
  shift 6
  up "$f" "$q" "$@"
  check "$what: status" "$st" "$CODE"
  check "$what: error" "$code" "$(echo "$BODY" | jq -r .error)"
  check_match "$what: message" "$re" "$(echo "$BODY" | jq -r .message)"
}
refuse "too big" 413 too_big "holds 32768 bytes" "$FX/littlefs_64k.bin" ""
refuse "truncated" 422 verify_failed "truncated" "$FX/littlefs_32k_truncated.bin" ""
refuse "wrong partition type" 422 wrong_partition '"www" is a data spiffs partition' "$F" "?partition=www"
refuse "no such partition" 404 no_such_partition 'no partition "nope"' "$F" "?partition=nope"
refuse "an app partition named" 422 wrong_partition "an app ota_1 partition" "$F" "?partition=ota_1"
refuse "several fat partitions" 400 choose_partition "fat1 and fat2" "$FX/fat_64k.bin" ""
refuse "bad X-Sota-SHA256" 400 bad_request "64 hex digits" "$F" "" -H "X-Sota-SHA256: 1234"
refuse "an app with ?partition=" 422 wrong_partition "Leave \\?partition= out" \
  "$SOTA_TESTDATA/images/c02_valid_esp32_100k.bin" "?partition=storage"
check "refusals wrote nothing" "$before" "$(sum storage) $(sum www) $(sum fat1) $(sum fat2)"
check "refusals leave the partitions complete" "complete" "$(storage storage .state)"

# --- writes -------------------------------------------------------------------------------
up "$F" "" -H "X-Sota-SHA256: $(sha256sum "$F" | cut -d' ' -f1)"
check "littlefs: 200" 200 "$CODE"
check "littlefs: answer" "littlefs storage 32768 $(sha256sum "$F" | cut -d' ' -f1)" \
  "$(echo "$BODY" | jq -r '"\(.kind) \(.partition) \(.size) \(.sha256)"')"
after_reboot littlefs
part_holds storage "$F" && ok "littlefs: the partition holds the image" || bad "littlefs: partition bytes"
check "littlefs: listed complete with its content" "complete littlefs" \
  "$(storage storage .state) $(storage storage .content)"
check_match "littlefs: last_update" "wrote the littlefs image .* to partition \"storage\"" "$(field .last_update.message)"
# a truncated image sent as a form: the form's whole body is smaller than the filesystem
# its superblock names, so it is refused on its head and the image written above stays
BODY=$(curl -s -m 60 -w '\n%{http_code}' -F "file=@$FX/littlefs_32k_truncated.bin;type=application/octet-stream" \
  "$(URL /update)")
check "truncated, multipart: 422 verify_failed" "422 verify_failed" \
  "$(printf '%s' "$BODY" | tail -n1) $(printf '%s' "$BODY" | head -n1 | jq -r .error)"
check_match "truncated, multipart: says so" "is at most [0-9]+ bytes but the littlefs filesystem in it spans 32768: it is truncated" \
  "$(printf '%s' "$BODY" | head -n1 | jq -r .message)"
part_holds storage "$F" && ok "truncated, multipart: nothing erased, the partition still holds the image" \
  || bad "truncated, multipart: the partition was changed"
check "truncated, multipart: storage still complete" "complete littlefs" \
  "$(storage storage .state) $(storage storage .content)"

up "$FX/spiffs_32k.bin" ""
check "spiffs: 200" 200 "$CODE"
after_reboot spiffs
part_holds www "$FX/spiffs_32k.bin" && ok "spiffs: the partition holds the image" || bad "spiffs: bytes"
check "spiffs listed" "complete spiffs" "$(storage www .state) $(storage www .content)"
# sota push: a filesystem image is done once written and read back (no app to wait for)
ASAN_OPTIONS=detect_leaks=0 "$SOTA" push "$(URL /)" "$FX/spiffs_32k.bin" > "$TMP/push.out" 2>&1
check "sota push of a spiffs image: exit 0" 0 "$?"
check_match "sota push of a spiffs image: says what it wrote" "spiffs image .* partition \"www\"" "$(cat "$TMP/push.out")"
after_reboot push
part_holds www "$FX/spiffs_32k.bin" && ok "sota push: www holds the image" || bad "sota push: bytes"

BODY=$(curl -s -m 60 -w '\n%{http_code}' -F "file=@$FX/fat_64k.bin;type=application/octet-stream" \
  "$(URL '/update?partition=fat2')")
check "fat, multipart, ?partition=fat2: 200" 200 "$(printf '%s' "$BODY" | tail -n1)"
after_reboot fat
part_holds fat2 "$FX/fat_64k.bin" && ok "fat: fat2 holds the image, its other 64 KiB erased" || bad "fat: bytes"
check "fat1 untouched" "$fat1_before" "$(sum fat1)"

# --- X-Sota-SHA256 mismatch: refused, recorded, incomplete until a good upload ---------
F2=$FX/littlefs_32k_v2.bin
up "$F2" "" -H "X-Sota-SHA256: $(sha256sum "$F" | cut -d' ' -f1)"
check "sha mismatch: 422 sha256_mismatch" "422 sha256_mismatch" "$CODE $(echo "$BODY" | jq -r .error)"
check "sha mismatch: storage incomplete" "incomplete" "$(storage storage .state)"
check "sha mismatch: its words" "storage storage is incomplete: upload the image again" \
  "$(storage storage .summary)"
check "sha mismatch: never reported as content" "null" "$(storage storage .content)"
check_match "sha mismatch recorded in last_update" "X-Sota-SHA256" "$(field .last_update.message)"
up "$F2" ""
check "re-upload after a mismatch: 200" 200 "$CODE"
after_reboot reupload
check "then complete" "complete" "$(storage storage .state)"
part_holds storage "$F2" && ok "then the partition holds it" || bad "re-upload bytes"

# --- 409 while an upload runs -----------------------------------------------------------
curl -s -m 30 -o "$TMP/slow.out" --limit-rate 4K -H 'Content-Type: application/octet-stream' \
  --data-binary "@$F" "$(URL /update)" &
slow=$!
wait_field .update_state receiving 10 || bad "slow upload did not start"
for _ in $(seq 1 100); do [ "$(field .received)" -ge 9000 ] 2>/dev/null && break; sleep 0.1; done
check "storage listed as being written" "writing" "$(storage storage .state)"
check "the next app slot is not called written meanwhile" "empty" "$(field '.slots[] | select(.label=="ota_0") | .image')"
up "$FX/spiffs_32k.bin" ""
check "second upload during one: 409 busy" "409 busy" "$CODE $(echo "$BODY" | jq -r .error)"
wait "$slow"
check "the slow one completes" "true" "$(jq -r .ok "$TMP/slow.out")"
after_reboot slow

# --- a lost connection: kept, resumed ---------------------------------------------------
cut_at() { # cut_at FILE N QUERY: a raw upload of FILE that goes away after N bytes
  { printf 'POST /update%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n' "$3"
    printf 'Content-Length: %d\r\n\r\n' "$(stat -c %s "$1")"
    head -c "$2" "$1"; } > "$TMP/cut.req"
  "$RAWHTTP" -k -t 5 "$PORT" "$TMP/cut.req" >/dev/null
}
cut_at "$F" 20000 ""
wait_field .update_state interrupted 10 || bad "fs upload not kept for a resume"
check "kept: storage incomplete (nothing writes it now)" "incomplete" "$(storage storage .state)"
check "kept at" "20000 32768" "$(field '"\(.resume.offset) \(.resume.total)"')"
tail -c +20001 "$F" > "$TMP/rest.bin"
up "$TMP/rest.bin" "" -H "Content-Range: bytes 20000-32767/32768" \
  -H "X-Sota-Head-SHA256: $(head -c 4096 "$F" | sha256sum | cut -d' ' -f1)"
check "resumed: 200" "200 storage" "$CODE $(echo "$BODY" | jq -r .partition)"
after_reboot resume
part_holds storage "$F" && ok "resumed: the partition holds the image" || bad "resumed bytes"
check "resumed: complete" "complete" "$(storage storage .state)"

# --- a power cut mid-write: incomplete after the restart, then a complete upload -------
curl -s -m 30 -o /dev/null --limit-rate 4K -H 'Content-Type: application/octet-stream' \
  --data-binary "@$F2" "$(URL /update)" &
slow=$!
for _ in $(seq 1 100); do [ "$(field .received)" -ge 12000 ] 2>/dev/null && break; sleep 0.1; done
kill -9 "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; SIM_PID=""
wait "$slow" 2>/dev/null
ASAN_OPTIONS=detect_leaks=0 "$SOTA" sim --flash "$FLASH" --port "$PORT" --health-delay 100 >>"$SIM_LOG" 2>&1 &
SIM_PID=$!
wait_up 20 || bad "power cut: the device did not come back"
check "power cut: the app still runs" "factory" "$(field .running_partition)"
check "power cut: storage incomplete" "incomplete" "$(storage storage .state)"
check "power cut: its words" "storage storage is incomplete: upload the image again" "$(storage storage .summary)"
up "$F2" ""
check "power cut: a complete upload then succeeds" 200 "$CODE"
after_reboot cut
check "power cut: then complete" "complete littlefs" "$(storage storage .state) $(storage storage .content)"
part_holds storage "$F2" && ok "power cut: the partition holds the new image" || bad "power-cut bytes"

# --- fs_reboot off (sota sim --no-fs-reboot): written, answered, and no restart ---------
stop_sim
start_sim noreboot --ptable "$PT" --health-delay 100 --no-fs-reboot || { finish; exit 1; }
boots() { grep -c "sota_host: running " "$SIM_LOG"; }
n=$(boots)
up "$FX/littlefs_32k.bin" ""
check "no fs reboot: 200, reboot_in_ms 0" "200 0" "$CODE $(echo "$BODY" | jq -r .reboot_in_ms)"
sleep 2
check "no fs reboot: the device did not restart ($n boot lines before)" "$n" "$(boots)"
check "no fs reboot: storage complete with the image, at once" "complete littlefs" \
  "$(storage storage .state) $(storage storage .content)"
part_holds storage "$FX/littlefs_32k.bin" && ok "no fs reboot: the partition holds the image" || bad "no fs reboot: bytes"

# --- sota image info names the images with their parameters ----------------------------
I=$("$SOTA" image info "$FX/littlefs_32k.bin")
check_match "image info: littlefs" "kind: littlefs: This is a LittleFS filesystem image \(4096-byte blocks, 8 blocks: 32 KiB, disk version 2.1\)" "$I"
check_match "image info: block count" "block count: 8" "$I"
I=$("$SOTA" image info "$FX/fat_64k.bin")
check_match "image info: fat label" 'fat: FAT12, cluster 4096 bytes, label "STORAGE"' "$I"
I=$("$SOTA" image info "$FX/spiffs_32k.bin")
check_match "image info: spiffs page size" "page size: 256" "$I"
I=$("$SOTA" image info "$FX/littlefs_32k_truncated.bin")
check_match "image info: truncated" "file 20480 bytes: truncated" "$I"
finish
