#!/usr/bin/env bash
# core/ is portable C: every file compiles with -Werror for the device architectures
# (Xtensa with picolibc, RISC-V rv32imc with picolibc), seeing no host header but the
# C library's and Mbed TLS's, and of the component's public headers only the plain-C
# softap_ota_policy.h (the upload rules).
set -u
ROOT="${SOTA_ROOT:?}"
TMP="${SOTA_TMPDIR:-/tmp}/portable.$$"
mkdir -p "$TMP/inc"
trap 'rm -rf "$TMP"' EXIT
ln -s /usr/include/mbedtls "$TMP/inc/mbedtls"
[ -d /usr/include/psa ] && ln -s /usr/include/psa "$TMP/inc/psa"
ln -s "$ROOT/components/softap_ota/include/softap_ota_policy.h" "$TMP/inc/softap_ota_policy.h"
# Debian's Mbed TLS configuration turns on POSIX threading, which a device build does
# not have: the cross builds use Debian's configuration without it.
cat > "$TMP/inc/sota_cross_mbedtls.h" <<'CFG'
#include <mbedtls/config.h>
#undef MBEDTLS_THREADING_C
#undef MBEDTLS_THREADING_PTHREAD
CFG
passed=0; failed=0
flags="-std=c11 -Os -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -I$ROOT/components/softap_ota/core -I$TMP/inc -DMBEDTLS_CONFIG_FILE=\"sota_cross_mbedtls.h\""
for arch in xtensa riscv; do
  if [ $arch = xtensa ]; then
    cc="xtensa-lx106-elf-gcc --specs=/usr/lib/xtensa-lx106-elf/picolibc.specs -mlongcalls"
  else
    cc="riscv64-unknown-elf-gcc --specs=picolibc.specs -march=rv32imc -mabi=ilp32"
  fi
  for src in "$ROOT"/components/softap_ota/core/*.c; do
    obj="$TMP/$arch-$(basename "$src" .c).o"
    if $cc $flags -c "$src" -o "$obj" 2>"$TMP/err"; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1)); echo "FAIL - $arch: $(basename "$src")"; cat "$TMP/err"
    fi
  done
  size=$(${cc%% *} --version >/dev/null 2>&1 && ${cc%%-gcc*}-size -A "$TMP"/$arch-*.o 2>/dev/null \
    | awk '$1 ~ /^\.(text|rodata)/ {s += $2} END {print s + 0}')
  echo "$arch: core/ .text+.rodata = $size bytes"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
