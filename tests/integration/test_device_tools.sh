#!/usr/bin/env bash
# make device and make device-test without a real ESP-IDF: tools/device.sh says what to
# install (exit 3) when ESP-IDF or its compiler is missing; with a stand-in ESP-IDF (fake
# cmake, ninja and compiler that lay out a build folder as ESP-IDF does) it passes the
# documented CMake arguments, keeps the sdkconfig in the build folder, restarts it when the
# defaults change, and reports the app against the smallest app slot of the built table;
# tests/device/run.sh is skipped with exit 0 and says why.
# Env: SOTA (the sota binary), SOTA_TMPDIR (optional).
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEV="$ROOT/tools/device.sh"

# run EXPECTED_RC DESCRIPTION -- COMMAND...: stdout+stderr in $TMP/out
run() {
  local want=$1 desc=$2
  shift 3
  "$@" >"$TMP/out" 2>&1
  local rc=$?
  if [ "$rc" = "$want" ]; then ok "$desc (exit $rc)"; else bad "$desc: exit $rc, expected $want"; sed 's/^/    /' "$TMP/out"; fi
}
has() { # has DESCRIPTION REGEX: the last run's output matches
  if grep -Eq -- "$2" "$TMP/out"; then ok "$1"; else bad "$1: no /$2/ in:"; sed 's/^/    /' "$TMP/out"; fi
}

# --- no ESP-IDF at all, a folder that is not one, no compiler, an unknown target --------------
run 3 "no IDF_PATH" -- env -u IDF_PATH "$DEV"
has "no IDF_PATH: says what to install and load" "IDF_PATH is not set.*|export\.sh"
has "no IDF_PATH: names the target" "install\.sh esp32c3"
run 3 "IDF_PATH not an ESP-IDF" -- env IDF_PATH="$TMP" "$DEV"
has "IDF_PATH not an ESP-IDF: says so" "not an ESP-IDF folder"

IDF="$TMP/idf"
mkdir -p "$IDF/tools/cmake" "$TMP/bin"
: >"$IDF/tools/cmake/project.cmake"
printf 'set(IDF_VERSION_MAJOR 5)\nset(IDF_VERSION_MINOR 3)\nset(IDF_VERSION_PATCH 5)\n' >"$IDF/tools/cmake/version.cmake"
FAKE_PATH="$TMP/bin:/usr/bin:/bin"
run 3 "no compiler for the target" -- env IDF_PATH="$IDF" PATH="$FAKE_PATH" "$DEV" --target esp32c3
has "no compiler: names ESP-IDF's version and the compiler" "ESP-IDF 5\.3\.5 .*riscv32-esp-elf-gcc"
run 2 "unknown target" -- env IDF_PATH="$IDF" PATH="$FAKE_PATH" "$DEV" --target esp99

# --- a stand-in ESP-IDF: cmake configures (records its arguments) and builds ------------------
printf '#!/bin/sh\nexit 0\n' >"$TMP/bin/riscv32-esp-elf-gcc"
printf '#!/bin/sh\nexit 0\n' >"$TMP/bin/ninja"
cat >"$TMP/bin/cmake" <<EOF
#!/usr/bin/env bash
# configure: cmake -S SRC -B DIR ...; build: cmake --build DIR
if [ "\$1" = --build ]; then
  [ -n "\${FAKE_FAIL:-}" ] && { echo "main.c:1:1: error: stand-in failure"; exit 1; }
  mkdir -p "\$2/partition_table"
  head -c "\${FAKE_APP_BYTES:-868720}" /dev/zero >"\$2/softap_ota.bin"
  "$SOTA" ptable "$ROOT/partitions.csv" -o "\$2/partition_table/partition-table.bin" >/dev/null
  exit 0
fi
printf '%s\n' "\$@" >"$TMP/cmake.args"
EOF
chmod +x "$TMP/bin/"*
B="$TMP/build-c3"
fake() { env IDF_PATH="$IDF" PATH="$FAKE_PATH" DEVICE_BUILDER=cmake IDF_COMPONENT_MANAGER=0 "$@"; }
run 0 "check: ESP-IDF and compiler found" -- fake "$DEV" --check
has "check: names version and compiler" "ESP-IDF 5\.3\.5 at .*riscv32-esp-elf-gcc for esp32c3"
run 0 "build with the stand-in" -- fake "$DEV" --build "$B" -D PROJECT_VER=2.0.0
has "size against the smallest app slot" "868720 bytes in a 1048576-byte slot \(factory/ota_0/ota_1\): 82\.8 % used, 179856 bytes \(17\.2 %\) free"
args=$(tr '\n' ' ' <"$TMP/cmake.args")
for want in "-G Ninja" "-DIDF_TARGET=esp32c3" "-DPYTHON_DEPS_CHECKED=1" "-DSDKCONFIG=$B/sdkconfig" \
            "-DSDKCONFIG_DEFAULTS=$ROOT/sdkconfig.defaults" "-DPROJECT_VER=2.0.0"; do
  case " $args " in *" $want "*) ok "cmake gets $want" ;; *) bad "cmake args lack '$want': $args" ;; esac
done
check "device-size.txt for make bench" "esp32c3 5.3.5 868720 1048576 179856" \
  "$(awk '{ printf "%s%s", sep, $2; sep = " " }' "$B/device-size.txt")"

# the sdkconfig stays while the defaults stay, and starts afresh when they change
echo "CONFIG_X=y" >"$B/sdkconfig"
run 0 "rebuild, same defaults" -- fake "$DEV" --build "$B"
check "same defaults: sdkconfig kept" "CONFIG_X=y" "$(cat "$B/sdkconfig" 2>/dev/null)"
run 0 "rebuild, one more defaults file" -- fake "$DEV" --build "$B" --defaults "$ROOT/sdkconfig.qemu"
check "defaults changed: sdkconfig started afresh" "absent" "$([ -f "$B/sdkconfig" ] && echo present || echo absent)"
case " $(tr '\n' ' ' <"$TMP/cmake.args") " in
  *" -DSDKCONFIG_DEFAULTS=$ROOT/sdkconfig.defaults;$ROOT/sdkconfig.qemu "*) ok "defaults in order" ;;
  *) bad "defaults list: $(cat "$TMP/cmake.args")" ;;
esac

run 1 "app larger than its slot" -- fake FAKE_APP_BYTES=1048577 "$DEV" --build "$B"
has "too big: says so" "does not fit its slot"
run 1 "build error" -- fake FAKE_FAIL=1 "$DEV" --build "$B"
has "build error: shows it and the log" "stand-in failure"
has "build error: names the full log" "build failed \(full log: $B/build.log\)"

# --- the device test without ESP-IDF ------------------------------------------------------------
run 0 "device test without ESP-IDF" -- env -u IDF_PATH DEVICE_TEST_BUILD="$TMP/dt" bash "$ROOT/tests/device/run.sh"
has "device test: says it is skipped and why" "skipped: no ESP-IDF"
run 0 "device test without QEMU" -- fake QEMU=/bin/false DEVICE_TEST_BUILD="$TMP/dt" bash "$ROOT/tests/device/run.sh"
has "device test: no esp32c3 QEMU, skipped" "skipped: /bin/false has no esp32c3 machine"
finish
