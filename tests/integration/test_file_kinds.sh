#!/usr/bin/env bash
# Every file kind x every path. For each file mkkinds writes (one of every kind sota_ident
# names, shaped like the files people download: tests/unit/fixture_kinds.h), the CLI
# (`sota image info`, `sota image verify`), the pre-check (POST /api/check), a raw upload
# and a multipart upload to an esp32 simulator with 1 MiB slots give the same kind name
# and the expected outcome, and a refused file leaves the slot it would go to as it was
# (that slot holds an app, so an erase or a write would show). Prints the table.
. "$(dirname "$0")/lib.sh"
MK=${MKKINDS:-$(dirname "$SOTA")/mkkinds}
K="$TMP/kinds"
mkdir -p "$K"
"$MK" "$K" || { bad "mkkinds could not write the files"; finish; exit 1; }
start_sim kinds --health-delay 100 || { finish; exit 1; }

# the pre-check's size: what the device asks for, and what the page sends
HEAD=$(curl -s -m 5 -X POST "$(URL /api/check)" | jq -r .message | sed -n 's/.*min(N, \([0-9]*\)).*/\1/p')
check "the pre-check asks for the first SOTA_UPDATE_HEAD_LEN bytes" "8448" "$HEAD"
PAGE="${SOTA_ROOT:-$(dirname "$0")/../..}/components/softap_ota/web/index.html"
check "the page sends as many" "body: f.slice(0, $HEAD)" "$(grep -o 'body: f.slice(0, [0-9]*)' "$PAGE")"

precheck() { # precheck FILE: sets CBODY (the pre-check's JSON)
  CBODY=$(head -c "$HEAD" "$1" | curl -s -m 10 -X POST -H 'Content-Type: application/octet-stream' \
    --data-binary @- "$(URL "/api/check?size=$(stat -c %s "$1")")")
}

printf '%-34s %-16s %-16s %-16s %-20s %-20s %-20s\n' file kind "image info" "image verify" \
  "POST /api/check" "raw upload" "multipart upload" > "$TMP/table"
while IFS=$'\t' read -r file kind status says; do
  f="$K/$file"
  # CLI
  cli=$("$SOTA" image info "$f" --chip esp32 | sed -n 's/^kind: \([a-z_0-9]*\):.*/\1/p')
  check "$file: image info names it $kind" "$kind" "$cli"
  ver=$("$SOTA" image verify "$f" --chip esp32)
  # verify names the kind of every file that is no app for the chip; an app for it is
  # "valid" or "invalid: " with the verifier's reason
  vk=$(printf '%s' "$ver" | sed -n 's/^invalid: [a-z ]* (\([a-z_0-9]*\)): .*/\1/p')
  [ -z "$vk" ] && printf '%s' "$ver" | grep -qE '^(valid$|invalid: )' && vk=app
  check "$file: image verify names it $kind" "$kind" "$vk"
  # and info's verdict line says the same
  verdict=$("$SOTA" image info "$f" --chip esp32 | sed -n 's/^verdict for esp32 [^:]*: //p; s/^verdict: //p')
  case "$kind" in
    app) check_match "$file: image info verdict" '^(valid|invalid: )' "$verdict" ;;
    # (these files are shaped for naming; a superblock too short to read is "damaged")
    littlefs|spiffs|fat) check_match "$file: image info verdict (a filesystem image)" \
      "^(an upload writes it to the data partition of subtype $kind |an upload is refused \\(422\\): the image is damaged$)" "$verdict" ;;
    *) check_match "$file: image info verdict names it $kind" "\\($kind\\): an upload is refused before anything is erased$" "$verdict" ;;
  esac
  [ "$status" = 200 ] && check "$file: image verify: valid" "valid" "$ver"
  # the pre-check
  precheck "$f"
  check "$file: pre-check kind" "$kind" "$(printf '%s' "$CBODY" | jq -r .kind)"
  check "$file: pre-check status" "$status" "$(printf '%s' "$CBODY" | jq -r .status)"
  check_match "$file: pre-check reason" "$(printf '%s' "$says" | sed 's/[][().*+?^$|\\]/\\&/g')" \
    "$(printf '%s' "$CBODY" | jq -r '.reason + " " + (.notes // [] | join(" "))')"
  [ "$status" = 200 ] || check_match "$file: pre-check advice" "." "$(printf '%s' "$CBODY" | jq -r .advice)"
  row=$(printf '%-34s %-16s %-16s %-16s %-20s' "$file" "$kind" "$cli" "$vk" "$(printf '%s' "$CBODY" | jq -r '.kind + " " + (.status|tostring)')")
  # the two uploads
  for mode in raw form; do
    next=$(field .next_partition)
    running=$(field .running_partition)
    before=$(slot_sum "$next")
    upload "$f" "$mode"
    if [ "$mode" = raw ] && [ ! -s "$f" ]; then
      check "$file ($mode): 411, no body" "411" "$CODE"
      row="$row $(printf '%-20s' "411 (no body)")"
      continue
    fi
    got=$(printf '%s' "$BODY" | jq -r .kind)
    check "$file ($mode): HTTP $status" "$status" "$CODE"
    check "$file ($mode): kind" "$kind" "$got"
    row="$row $(printf '%-20s' "$got $CODE")"
    if [ "$status" = 200 ]; then
      wait_field .running_partition "$next" 20 && ok "$file ($mode): rebooted into $next" || bad "$file ($mode): no reboot into $next"
      wait_field .running_state valid 10 || bad "$file ($mode): not confirmed"
    else
      check "$file ($mode): $next not erased or written" "$before" "$(slot_sum "$next")"
      check "$file ($mode): the app that ran before still runs" "$running" "$(field .running_partition)"
    fi
  done
  echo "$row" >> "$TMP/table"
done < "$K/kinds.tsv"
check "an app without app description runs, with no version to show" "" "$(field .version)"
stop_sim
cat "$TMP/table"
finish
