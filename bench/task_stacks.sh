#!/usr/bin/env bash
# Worst-case stack of every task the component creates, for the device, against the
# stack it is created with (part of make bench; bench/run.sh calls it).
#   bench/task_stacks.sh WORKDIR RESULTS_FILE GEN_DIR
# (GEN_DIR: the host build's gen/, whose sdkconfig_project.h is the project's configuration)
# The component's src/ and core/ are compiled for each target as ESP-IDF compiles them by
# default (-Og) with the cross compilers' -fstack-usage -fcallgraph-info=su; the ESP-IDF
# API comes from the host port's headers (host/idf/include, whose declarations are
# ESP-IDF's) with a few POSIX socket headers stubbed for the embedded C library.
# bench/stack_depth.awk then follows the deepest call chain from each task's entry.
#   xtensa: xtensa-lx106-elf-gcc (the call0 ABI), plus 32 bytes per call for the ESP32's
#           windowed ABI (the register save area every frame of it reserves);
#   rv32:   riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 (ESP32-C3, C6...).
# Functions that are not compiled here (ESP-IDF, Mbed TLS, the C library: logging,
# the flash driver, lwIP's socket calls, NVS, esp_image_verify in esp_ota_end, the
# signature maths) count EXT_BYTES for the deepest of them, added once per task: an
# assumption, not a measurement. make device-test measures the tasks on an emulated
# ESP32-C3 (SOFTAP_OTA_STACK_REPORT: FreeRTOS's high-water mark), ESP-IDF's frames
# included, and fails a task with less than 25 % to spare.
# Appends "task_stack.<task>.<arch>.{own,stack,margin_pct} N" and "task_stack.ext_bytes N"
# lines to RESULTS_FILE; exits 1 if a margin is under 25 %.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$1
RES=$2
GEN=$3
EXT_BYTES=${EXT_BYTES:-3072}
COMP="$ROOT/components/softap_ota"
X="$WORK/xstack"
rm -rf "$X"
mkdir -p "$X/shim/net" "$X/shim/arpa" "$X/shim/netinet" "$X/shim/sys" "$X/inc"

# --- the embedded C library has no sockets: declare what the host port's headers use
for h in net/if.h netinet/tcp.h netdb.h; do echo '/* not used by the component */' >"$X/shim/$h"; done
cat >"$X/shim/sys/socket.h" <<'EOF'
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
typedef uint32_t socklen_t;
typedef uint8_t sa_family_t;
struct sockaddr { uint8_t sa_len; sa_family_t sa_family; char sa_data[14]; };
struct sockaddr_storage { uint8_t s2_len; sa_family_t ss_family; char d1[2]; uint32_t d2[3]; uint32_t d3[3]; };
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOL_SOCKET 0xfff
#define SO_REUSEADDR 0x0004
#define SO_RCVTIMEO 0x1006
#define SO_SNDTIMEO 0x1005
#define SO_ACCEPTCONN 0x0002
#define SHUT_WR 1
int socket(int, int, int);
int getsockopt(int, int, int, void *, socklen_t *);
int getsockname(int, struct sockaddr *, socklen_t *);
int getpeername(int, struct sockaddr *, socklen_t *);
ssize_t recv(int, void *, size_t, int);
int bind(int, const struct sockaddr *, socklen_t);
int close(int);
int setsockopt(int, int, int, const void *, socklen_t);
ssize_t recvfrom(int, void *, size_t, int, struct sockaddr *, socklen_t *);
ssize_t sendto(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
int shutdown(int, int);
EOF
cat >"$X/shim/netinet/in.h" <<'EOF'
#pragma once
#include <stdint.h>
#include <sys/socket.h>
typedef uint32_t in_addr_t;
typedef uint16_t in_port_t;
struct in_addr { in_addr_t s_addr; };
struct sockaddr_in { uint8_t sin_len; uint8_t sin_family; in_port_t sin_port; struct in_addr sin_addr; char sin_zero[8]; };
struct in6_addr { uint32_t s6_addr32[4]; };
struct sockaddr_in6 { uint8_t sin6_len; uint8_t sin6_family; in_port_t sin6_port; uint32_t sin6_flowinfo; struct in6_addr sin6_addr; uint32_t sin6_scope_id; };
#define INADDR_ANY ((in_addr_t)0)
#define IPPROTO_UDP 17
EOF
cat >"$X/shim/arpa/inet.h" <<'EOF'
#pragma once
#include <netinet/in.h>
uint32_t htonl(uint32_t);
uint16_t htons(uint16_t);
uint32_t ntohl(uint32_t);
uint16_t ntohs(uint16_t);
const char *inet_ntop(int, const void *, char *, socklen_t);
int inet_pton(int, const char *, void *);
EOF
ln -s /usr/include/http_parser.h "$X/shim/http_parser.h"
ln -s /usr/include/cjson/cJSON.h "$X/shim/cJSON.h"
ln -s /usr/include/mbedtls "$X/inc/mbedtls"
[ -d /usr/include/psa ] && ln -s /usr/include/psa "$X/inc/psa"
printf '#include <mbedtls/config.h>\n#undef MBEDTLS_THREADING_C\n#undef MBEDTLS_THREADING_PTHREAD\n' \
  >"$X/inc/sota_cross_mbedtls.h"
[ -f "$GEN/sdkconfig_project.h" ] || { echo "task_stacks: no $GEN/sdkconfig_project.h" >&2; exit 1; }

stack_of() { # the stack a task is created with, from ota_internal.h
  awk -v n="$1" '$1 == "#define" && $2 == n {print $3}' "$COMP/src/ota_internal.h"
}

fail=0
printf 'task_stack.ext_bytes %s\n' "$EXT_BYTES" >>"$RES"
for arch in xtensa rv32; do
  if [ $arch = xtensa ]; then
    cc=(xtensa-lx106-elf-gcc --specs=/usr/lib/xtensa-lx106-elf/picolibc.specs -mlongcalls); per_call=32
  else
    cc=(riscv64-unknown-elf-gcc --specs=picolibc.specs -march=rv32imc -mabi=ilp32); per_call=0
  fi
  out="$X/$arch"
  mkdir -p "$out"
  for src in "$COMP"/src/*.c "$COMP"/core/*.c; do
    "${cc[@]}" -std=gnu11 -Og -fstack-usage -fcallgraph-info=su -I"$COMP/include" -I"$COMP/src" \
      -I"$COMP/core" -I"$X/shim" -I"$ROOT/host/idf/include" -I"$GEN" -I"$X/inc" \
      -DMBEDTLS_CONFIG_FILE='"sota_cross_mbedtls.h"' -c "$src" -o "$out/$(basename "$src" .c).o" \
      2>>"$X/build.log" ||
      { echo "task_stacks: $(basename "$src") does not compile for $arch (see $X/build.log)" >&2; exit 1; }
  done
  w="ota_writer.c:w_"
  mp="sota_multipart.c=ota_upload.c:mp_begin,ota_upload.c:mp_data,ota_upload.c:mp_end"
  upd="sota_update.c=${w}begin,${w}is_erased,${w}erase,${w}write,${w}finish,${w}abort,${w}read"
  sig="sota_sig.c=${w}read"
  # task name, its stack macro, its entry functions, the callbacks its indirect calls reach
  while IFS='|' read -r task macro roots indirect; do
    size=$(stack_of "$macro")
    [ -n "$size" ] || { echo "task_stacks: $macro not found in ota_internal.h" >&2; exit 1; }
    r=$(awk -v roots="$roots" -v indirect="$indirect" -v per_call="$per_call" \
          -f "$ROOT/bench/stack_depth.awk" "$out"/*.ci) || { echo "task_stacks: $task: call graph mismatch" >&2; exit 1; }
    own=${r%% *}
    total=$((own + EXT_BYTES))
    margin=$(( (size - total) * 100 / size ))
    printf 'task_stack.%s.%s.%s %s\n' "$task" "$arch" own "$own" "$task" "$arch" stack "$size" \
      "$task" "$arch" margin_pct "$margin" >>"$RES"
    printf '%s\n' "${r#* }" >"$X/chain.$task.$arch.txt"
    if [ "$margin" -lt 25 ]; then
      echo "task_stacks: $task on $arch: $own + $EXT_BYTES of $size bytes leaves $margin % (< 25 %)" >&2
      fail=1
    fi
  done <<EOF
sota_upload|SOTA_UPLOAD_STACK|ota_upload.c:upload_task|$mp;$upd;$sig
httpd|SOTA_HTTPD_STACK|ota_upload_post,ota_check_post,ota_switch_post,ota_http.c:status_get,ota_http.c:page_get,ota_http.c:probe_get,ota_http.c:not_found|$mp;$upd;$sig
sota_health|SOTA_HEALTH_STACK|ota_health.c:health_task|ota_health.c=ota_health.c:default_check
sota_dns|SOTA_DNS_STACK|ota_dns.c:dns_task|
EOF
done
exit $fail
