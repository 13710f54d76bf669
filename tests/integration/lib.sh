# Shared helpers of the integration tests (sourced, not run). They drive `sota sim`
# on loopback only, with bounded waits, and count checks as they go.
set -u
: "${SOTA:?set SOTA to the sota binary}"
: "${SOTA_TESTDATA:?set SOTA_TESTDATA}"
TMP="${SOTA_TMPDIR:-/tmp}/$(basename "$0" .sh).$$"
mkdir -p "$TMP"
PASSED=0
FAILED=0
SIM_PID=""

ok()   { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
bad()  { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
check() { # check DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi
}
check_match() { # check_match DESCRIPTION REGEX ACTUAL
  if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else bad "$1: '$3' does not match /$2/"; fi
}

free_port() { # a loopback port nobody listens on
  local p
  for _ in $(seq 1 50); do
    p=$((10000 + RANDOM % 20000))  # below the ephemeral range
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port" >&2; return 1
}

# start_sim NAME [sim options...]: a simulator on its own flash file and port, up once
# $SIM_READY (default wait_up: /api/status answers 200) says so
start_sim() {
  local name=$1; shift
  PORT=$(free_port)
  FLASH="$TMP/$name.flash"
  SIM_LOG="$TMP/$name.log"
  ASAN_OPTIONS=detect_leaks=0 "$SOTA" sim --flash "$FLASH" --port "$PORT" "$@" >>"$SIM_LOG" 2>&1 &
  SIM_PID=$!
  "${SIM_READY:-wait_up}" 20 || { bad "$name: simulator did not come up"; tail -20 "$SIM_LOG"; return 1; }
}

stop_sim() {
  if [ -n "$SIM_PID" ]; then
    kill "$SIM_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SIM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SIM_PID" 2>/dev/null
    wait "$SIM_PID" 2>/dev/null
    SIM_PID=""
  fi
}
trap 'stop_sim; rm -rf "$TMP"' EXIT

URL() { echo "http://127.0.0.1:$PORT$1"; }

# wait_up SECONDS: until /api/status answers
wait_up() {
  local i
  for i in $(seq 1 $(($1 * 10))); do
    curl -sf -m 1 "$(URL /api/status)" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# wait_http SECONDS: until the server answers HTTP at all (a 401 counts)
wait_http() {
  local i
  for i in $(seq 1 $(($1 * 10))); do
    [ "$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$(URL /api/status)")" != 000 ] && return 0
    sleep 0.1
  done
  return 1
}

status() { curl -sf -m 3 "$(URL /api/status)"; }
field() { status | jq -r "$1"; }

# wait_field JQ VALUE SECONDS: until the status field has the value ($STATUS_CMD, default
# status, fetches the status)
wait_field() {
  local i v=""
  for i in $(seq 1 $(($3 * 10))); do
    v=$("${STATUS_CMD:-status}" 2>/dev/null | jq -r "$1" 2>/dev/null)
    [ "$v" = "$2" ] && return 0
    sleep 0.1
  done
  echo "  (last $1 = '$v')"
  return 1
}

# upload FILE [raw|form]: sets CODE and BODY
upload() {
  local mode=${2:-raw}
  if [ "$mode" = form ]; then
    BODY=$(curl -s -m 60 -o - -w '\n%{http_code}' -F "file=@$1;type=application/octet-stream" "$(URL /update)")
  else
    BODY=$(curl -s -m 60 -o - -w '\n%{http_code}' -H 'Content-Type: application/octet-stream' \
      --data-binary "@$1" "$(URL /update)")
  fi
  CODE=$(printf '%s' "$BODY" | tail -n1)
  BODY=$(printf '%s' "$BODY" | sed '$d')
}

# slot_sum LABEL: checksum of a slot's bytes in the flash file (to see it unchanged)
slot_sum() {
  local off size
  off=$("$SOTA" flash info "$FLASH" --json | jq -r ".partitions[] | select(.label==\"$1\") | .offset")
  size=$("$SOTA" flash info "$FLASH" --json | jq -r ".partitions[] | select(.label==\"$1\") | .size")
  dd if="$FLASH" bs=4096 skip=$((off / 4096)) count=$((size / 4096)) status=none | md5sum | cut -d' ' -f1
}

finish() {
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
