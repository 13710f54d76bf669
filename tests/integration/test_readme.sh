#!/usr/bin/env bash
# The README stays true where a test can tell (issue 16): every option `sota CMD --help`
# lists is named in it, every field the simulator's /api/status sends (to the second
# level, and in each slot) is named in it, and the set-up commands it gives exist in the
# Makefile. (The figures of the hostile-request and power-cut tests are checked by those
# tests themselves.)
. "$(dirname "$0")/lib.sh"
README="$SOTA_ROOT/README.md"

# --- sota options ------------------------------------------------------------------------
for cmd in sim push powercut image flash ptable; do
  opts=$("$SOTA" "$cmd" --help 2>&1 | grep -o -- '--[a-z][a-z0-9-]*' | grep -vx -- '--help' | sort -u)
  check_match "sota $cmd --help lists options" '^--' "$(printf '%s\n' "$opts" | head -n1)"
  missing=""
  for o in $opts; do
    grep -q -- "$o\\b" "$README" || missing="$missing $o"
  done
  check "README names every option of sota $cmd" "" "${missing# }"
done

# --- /api/status fields ------------------------------------------------------------------
# with an upload kept for a resume, so that `resume` is an object with its fields
start_sim readme --health-delay 100 --resume-timeout 60 --cut-upload 50000 || { finish; exit 1; }
"$SOTA" image make -o "$TMP/app.bin" --version 2.0.0 --size 100000 > /dev/null
upload "$TMP/app.bin" raw
wait_field .update_state interrupted 10 || bad "the cut upload is kept"
curl -s -m 10 "$(URL /api/status)" > "$TMP/st.json"
check "the simulator answers /api/status with JSON" "object" "$(jq -r type "$TMP/st.json")"
fields=$(jq -r '[paths | map(select(type == "string")) | last] | unique | .[]' "$TMP/st.json")
n=$(printf '%s\n' "$fields" | grep -c .)
check_match "status fields found ($n)" '^[3-9][0-9]$' "$n"
missing=""
for f in $fields; do
  grep -q -e "\`$f\`" -e "\"$f\"" "$README" || missing="$missing $f"
done
check "README names every /api/status field" "" "${missing# }"
# and every top-level field the README's table names is sent
row=$(grep '^| `GET /api/status` |' "$README")
named=$(printf '%s' "$row" | sed 's/([^)]*)//g' | grep -o '`[a-z_]*`' | tr -d '`' | sort -u)
extra=""
for f in $named; do
  [ "$(jq -r "has(\"$f\")" "$TMP/st.json")" = true ] || extra="$extra $f"
done
check "every field the README's /api/status row names is sent" "" "${extra# }"
stop_sim

# --- the set-up commands -----------------------------------------------------------------
for t in run test device device-test bench fuzz mutate; do
  check "README's make $t is a Makefile target" "1" "$(grep -c "^$t:" "$SOTA_ROOT/Makefile")"
done
check "make run PORT=N: the Makefile takes PORT" "1" "$(grep -c '^PORT *?=' "$SOTA_ROOT/Makefile")"
# --- the task stacks the README names are the ones the component creates --------------------
H="$SOTA_ROOT/components/softap_ota/src/ota_internal.h"
stack() { sed -n "s/^#define SOTA_$1_STACK \([0-9]*\).*/\1/p" "$H"; }
kib() { echo "$(($1 / 1024)) KiB"; }
line=$(grep -A4 '^- \*\*Task stacks\.\*\*' "$README" | tr '\n' ' ')
check_match "README: upload task stack" "upload $(kib "$(stack UPLOAD)") \\($(stack UPLOAD | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') bytes" "$line"
check_match "README: HTTP server task stack" "HTTP server $(kib "$(stack HTTPD)")" "$line"
check_match "README: health check task stack" "health check $(kib "$(stack HEALTH)")" "$line"
check_match "README: captive DNS task stack" "captive DNS $(kib "$(stack DNS)")" "$line"
check "make run PORT=N: the README says so" "1" "$([ "$(grep -c 'make run PORT=N' "$README")" -ge 1 ] && echo 1)"
finish
