#!/usr/bin/env bash
# make device: build the ESP-IDF project (the updater app, bootloader, partition table)
# with the ESP-IDF found in the environment, and print the app's size against its slot.
#   tools/device.sh [--target T] [--build DIR] [--defaults FILE]... [-D VAR=VALUE]... [--quiet]
#   tools/device.sh --check [--target T]     only say whether ESP-IDF and its compiler are here
# The environment is what ESP-IDF's export.sh sets: IDF_PATH, the target's compiler
# (riscv32-esp-elf-gcc, xtensa-esp32-elf-gcc or xtensa-esp-elf-gcc) and python on PATH.
#   --target T      esp32c3 (default), esp32, esp32s3, esp32c6, ... (IDF_TARGET)
#   --build DIR     build folder (default build/device-T); its sdkconfig lives inside it,
#                   so no sdkconfig file is written to the project folder
#   --defaults F    one more sdkconfig defaults file after sdkconfig.defaults (repeatable,
#                   e.g. sdkconfig.qemu); a change of the list starts the sdkconfig afresh
#   -D VAR=VALUE    a CMake cache entry, e.g. -D PROJECT_VER=2.0.0 (the app's version)
#   DEVICE_BUILDER=idf|cmake  idf.py (default when `idf.py --version` works) or CMake and
#                   Ninja directly, as ESP-IDF documents it (-DPYTHON_DEPS_CHECKED=1)
# Writes DIR/device-size.txt (target, app_bytes, slot_bytes, free_bytes, idf_version) for
# make bench. Exit status: 0 built, 1 build failed, 2 usage, 3 no usable ESP-IDF here.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${TARGET:-esp32c3}
BUILD=""
DEFAULTS=("$ROOT/sdkconfig.defaults")
DEFINES=()
QUIET=0
CHECK=0

say() { printf '%s\n' "$*" >&2; }
usage() { sed -n '2,22p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --target) [ $# -ge 2 ] || usage; TARGET=$2; shift 2 ;;
    --build) [ $# -ge 2 ] || usage; BUILD=$2; shift 2 ;;
    --defaults) [ $# -ge 2 ] || usage; DEFAULTS+=("$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"); shift 2 ;;
    -D) [ $# -ge 2 ] || usage; DEFINES+=("-D$2"); shift 2 ;;
    -D*) DEFINES+=("$1"); shift ;;
    --quiet) QUIET=1; shift ;;
    --check) CHECK=1; shift ;;
    -h|--help) usage ;;
    *) say "device: unknown argument '$1'"; usage ;;
  esac
done
BUILD=${BUILD:-$ROOT/build/device-$TARGET}
case "$BUILD" in /*) ;; *) BUILD="$PWD/$BUILD" ;; esac

# --- is there an ESP-IDF? -----------------------------------------------------------------
no_idf() {
  say "device: $1"
  say "  Install ESP-IDF >= 5.0 (5.3 or later for the QEMU device test) with its tools, then load it:"
  say "    git clone -b v5.3.5 --recursive <ESP-IDF repository> ~/esp/esp-idf"
  say "    ~/esp/esp-idf/install.sh $TARGET && . ~/esp/esp-idf/export.sh"
  say "  and run make device again (TARGET=$TARGET)."
  exit 3
}
[ -n "${IDF_PATH:-}" ] || no_idf "no ESP-IDF found: IDF_PATH is not set (ESP-IDF's export.sh sets it)"
[ -f "$IDF_PATH/tools/cmake/project.cmake" ] ||
  no_idf "IDF_PATH=$IDF_PATH is not an ESP-IDF folder (no tools/cmake/project.cmake)"
idf_ver=$(awk '/set\(IDF_VERSION_(MAJOR|MINOR|PATCH)/ { gsub(/\)/, "", $2); printf "%s%s", sep, $2; sep = "." }' \
  "$IDF_PATH/tools/cmake/version.cmake" 2>/dev/null || true)
[ -n "$idf_ver" ] || no_idf "cannot read ESP-IDF's version from $IDF_PATH/tools/cmake/version.cmake"
case "$TARGET" in
  esp32|esp32s2|esp32s3) compilers=("xtensa-$TARGET-elf-gcc" xtensa-esp-elf-gcc) ;;
  esp32c*|esp32h*|esp32p*) compilers=(riscv32-esp-elf-gcc) ;;
  *) say "device: unknown target '$TARGET' (esp32c3, esp32, esp32s3, esp32c6, ...)"; exit 2 ;;
esac
cc=""
for c in "${compilers[@]}"; do
  if command -v "$c" >/dev/null; then cc=$c; break; fi
done
[ -n "$cc" ] || no_idf "ESP-IDF $idf_ver is at $IDF_PATH but no compiler for $TARGET is on PATH (${compilers[*]})"
for tool in cmake ninja; do
  command -v "$tool" >/dev/null || no_idf "$tool is not on PATH (ESP-IDF's export.sh adds it)"
done
PY=${PYTHON:-$(command -v python3 || command -v python || true)}
[ -n "$PY" ] || no_idf "no python on PATH"
if [ "$CHECK" = 1 ]; then
  say "device: ESP-IDF $idf_ver at $IDF_PATH, $cc for $TARGET"
  exit 0
fi

# --- configure and build --------------------------------------------------------------------
mkdir -p "$BUILD"
defaults_list=$(IFS=';'; echo "${DEFAULTS[*]}")
# sdkconfig.defaults only seed new options: when the list or a file changed, start afresh
stamp=$(cat "${DEFAULTS[@]}" | cksum; echo "$defaults_list $TARGET")
if [ -f "$BUILD/sdkconfig" ] && [ "$(cat "$BUILD/defaults.stamp" 2>/dev/null)" != "$stamp" ]; then
  rm -f "$BUILD/sdkconfig"
fi
printf '%s\n' "$stamp" >"$BUILD/defaults.stamp"
# ESP-IDF 5.x runs its component manager unless told not to; without its python package
# (a CMake-only setup) the build would stop on it. This project needs no managed
# component before ESP-IDF 6.
if [ -z "${IDF_COMPONENT_MANAGER:-}" ] && [ "${idf_ver%%.*}" -lt 6 ] &&
   ! "$PY" -c 'import idf_component_manager' 2>/dev/null; then
  export IDF_COMPONENT_MANAGER=0
fi
builder=${DEVICE_BUILDER:-}
if [ -z "$builder" ]; then
  if command -v idf.py >/dev/null && idf.py --version >/dev/null 2>&1; then builder=idf; else builder=cmake; fi
fi
log="$BUILD/build.log"
say "device: building for $TARGET with ESP-IDF $idf_ver ($builder, $cc) in ${BUILD#"$ROOT"/}"
set +e
if [ "$builder" = idf ]; then
  idf.py -C "$ROOT" -B "$BUILD" -DIDF_TARGET="$TARGET" -DSDKCONFIG="$BUILD/sdkconfig" \
    -DSDKCONFIG_DEFAULTS="$defaults_list" ${DEFINES[@]+"${DEFINES[@]}"} build >"$log" 2>&1
else
  { cmake -S "$ROOT" -B "$BUILD" -G Ninja -DIDF_TARGET="$TARGET" -DPYTHON_DEPS_CHECKED=1 -DPYTHON="$PY" \
      -DSDKCONFIG="$BUILD/sdkconfig" -DSDKCONFIG_DEFAULTS="$defaults_list" ${DEFINES[@]+"${DEFINES[@]}"} &&
    cmake --build "$BUILD"; } >"$log" 2>&1
fi
rc=$?
set -e
if [ $rc -ne 0 ]; then
  grep -E 'error|Error|FAILED' "$log" | head -20 >&2 || true
  tail -15 "$log" >&2
  say "device: build failed (full log: $log)"
  exit 1
fi
# warnings in the project's own files are defects (ESP-IDF's are not ours to fix)
own_warnings=$(grep -E "^($ROOT/)?(main|components/softap_ota)/[^:]+:[0-9]+:[0-9]+: warning" "$log" | sort -u || true)
if [ -n "$own_warnings" ]; then
  say "device: warnings in the project's files:"
  say "$own_warnings"
fi

# --- the app against its slot ------------------------------------------------------------------
project=$(sed -n 's/^project(\([A-Za-z0-9_-]*\)).*/\1/p' "$ROOT/CMakeLists.txt")
app="$BUILD/$project.bin"
ptbin="$BUILD/partition_table/partition-table.bin"
[ -f "$app" ] && [ -f "$ptbin" ] || { say "device: build finished but $app or $ptbin is missing"; exit 1; }
app_bytes=$(wc -c <"$app")
# the smallest app partition of the built table (every app slot must hold the app);
# decoded with the host command `sota ptable` (SOTA=path, else the one make builds), else
# with ESP-IDF's own tool
SOTA=${SOTA:-$ROOT/build/sota}
if [ -x "$SOTA" ]; then
  table=$("$SOTA" ptable "$ptbin") || { say "device: $SOTA ptable could not read $ptbin"; exit 1; }
else
  table=$("$PY" "$IDF_PATH/components/partition_table/gen_esp32part.py" "$ptbin" 2>&1) ||
    { say "device: cannot read the built partition table $ptbin: $table"; exit 1; }
fi
slot=""
while IFS=, read -r name type _ _ size _; do
  case "$name" in \#*|"") continue ;; esac
  [ "$type" = app ] || continue
  case "$size" in
    *[Kk]) b=$(( ${size%?} * 1024 )) ;;
    *[Mm]) b=$(( ${size%?} * 1048576 )) ;;
    *) b=$(( size )) ;;  # decimal or 0x hex
  esac
  if [ -z "$slot" ] || [ "$b" -lt "${slot%% *}" ]; then slot="$b $name"
  elif [ "$b" -eq "${slot%% *}" ]; then slot="$slot/$name"; fi
done <<<"$(printf '%s\n' "$table" | tr -d ' ')"
[ -n "$slot" ] || { say "device: no app partition in $ptbin"; exit 1; }
slot_bytes=${slot%% *}
free=$((slot_bytes - app_bytes))
cat >"$BUILD/device-size.txt" <<EOF
target $TARGET
idf_version $idf_ver
app_bytes $app_bytes
slot_bytes $slot_bytes
free_bytes $free
EOF
if [ "$QUIET" = 0 ]; then
  awk -v t="$TARGET" -v v="$idf_ver" -v a="$app_bytes" -v s="$slot_bytes" -v w="${slot#* }" -v f="$app" 'BEGIN {
    printf "device: %s, ESP-IDF %s: app %s\n", t, v, f
    printf "        %d bytes in a %d-byte slot (%s): %.1f %% used, %d bytes (%.1f %%) free\n",
           a, s, w, 100 * a / s, s - a, 100 * (s - a) / s }'
  say "device: flash it with: idf.py -B ${BUILD#"$ROOT"/} -p PORT flash monitor (or esptool with $BUILD/flash_args)"
fi
[ "$free" -ge 0 ] || { say "device: the app does not fit its slot"; exit 1; }
