#!/usr/bin/env bash
# make bench: build what the measurements need, run every measurement, print one table
# and write build/bench.json (keys as in issue 6). Not part of make test.
#   bench/run.sh                    (make bench runs it after tools/deps.sh bench)
# Environment: SOTA_BENCH_BUILD  build directory (default build/bench)
#              SOTA_BENCH_JSON   output file (default build/bench.json)
#              JOBS              parallel compile jobs (default nproc)
# Device times come from the flash emulator's operation counts and its timing model,
# CPU from callgrind instruction counts, RAM and code size from counters and sizes;
# the one wall-clock figure is a ratio of two timings taken side by side.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SOTA_BENCH_BUILD:-$ROOT/build/bench}
OUT=${SOTA_BENCH_JSON:-$ROOT/build/bench.json}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
WORK="$BUILD/work"
RES="$WORK/results.txt"
SIZES=(256k 1000k)

say() { printf '%s\n' "$*" >&2; }
die() { say "bench: $*"; exit 1; }
for tool in cmake gcc valgrind jq gzip xtensa-lx106-elf-gcc riscv64-unknown-elf-gcc; do
  command -v "$tool" >/dev/null || die "$tool is missing: run tools/deps.sh bench (as root) first"
done

mkdir -p "$WORK"
rm -f "$RES" "$WORK/device_targets.txt"
: >"$RES"
put() { printf '%s %s\n' "$1" "$2" >>"$RES"; }

# --- build: optimised, no sanitizers, with per-function stack usage and call graphs ---
say "bench: building sota and sota_bench in $BUILD"
if ! { CC=gcc cmake -S "$ROOT/host" -B "$BUILD" -Wno-dev -DCMAKE_BUILD_TYPE=RelWithDebInfo \
         -DSOTA_SANITIZE=OFF -DSOTA_TESTS=OFF -DSOTA_BENCH=ON \
         "-DCMAKE_C_FLAGS=-fstack-usage -fcallgraph-info=su" &&
       cmake --build "$BUILD" -j "$JOBS" --target sota sota_bench loadhttp; } >"$WORK/build.log" 2>&1; then
  tail -30 "$WORK/build.log" >&2
  die "build failed (full log: $WORK/build.log)"
fi
BENCH="$BUILD/sota_bench"

# --- 1. projected device time ---------------------------------------------------------
say "bench: 1/6 projected device time (flash emulator operation counts)"
"$BENCH" flash >>"$RES" 2>"$WORK/flash.log" || { cat "$WORK/flash.log" >&2; die "sota_bench flash failed"; }

# --- 2. RAM: heap peak per size, worst stack depth --------------------------------------
say "bench: 2/6 heap peak and stack depth"
for s in "${SIZES[@]}"; do
  out=$("$BENCH" upload --size "$s" --old 2>"$WORK/heap.$s.log") ||
    { cat "$WORK/heap.$s.log" >&2; die "upload of $s for the heap count failed"; }
  put "heap_peak_bytes.$s" "$(awk '$1 == "heap_peak_bytes" {print $2}' <<<"$out")"
done
# The update path: the upload handler's task down through the multipart parser, the
# session and the writer. Indirect calls go to the callbacks that path installs.
ci() { find "$BUILD/CMakeFiles" -name "$1.ci" -path "*softap_ota*" | head -1; }
ci_files=()
for f in "$ROOT"/components/softap_ota/core/*.c; do
  c=$(ci "$(basename "$f")"); [ -n "$c" ] && ci_files+=("$c")
done
ci_files+=("$(ci ota_writer.c)" "$(ci ota_upload.c)" "$(ci ota_reply.c)")
w="ota_writer.c:w_"
stack=$(awk -v roots=ota_upload_post,ota_upload.c:upload_task \
  -v indirect="sota_multipart.c=ota_upload.c:mp_begin,ota_upload.c:mp_data,ota_upload.c:mp_end;sota_update.c=${w}begin,${w}is_erased,${w}erase,${w}write,${w}finish,${w}abort" \
  -f "$ROOT/bench/stack_depth.awk" "${ci_files[@]}") || die "stack depth: the call graph did not match (see above)"
put stack_max_bytes "${stack%% *}"
echo "${stack#* }" >"$WORK/stack_chain.txt"
# Every task the component creates, on the device's targets, against its stack size.
stacks_ok=true
"$ROOT/bench/task_stacks.sh" "$WORK" "$RES" "$BUILD/gen" || stacks_ok=false

# --- 3. CPU per uploaded byte (callgrind) ------------------------------------------------
say "bench: 3/6 instructions per uploaded byte (callgrind, 8 runs)"
for v in raw raw_nosha multipart multipart_nosha; do
  flags=(--old)
  [[ $v == multipart* ]] && flags+=(--multipart)
  [[ $v == *_nosha ]] && flags+=(--nosha)
  declare -A ir=() bytes=()
  for s in "${SIZES[@]}"; do
    cg="$WORK/cg.$v.$s"
    rm -f "$cg" "$cg".*
    out=$(valgrind --tool=callgrind --callgrind-out-file="$cg" "$BENCH" upload --size "$s" "${flags[@]}" \
          2>"$cg.log") || { tail -20 "$cg.log" >&2; die "callgrind run $v $s failed"; }
    bytes[$s]=$(awk '$1 == "body_bytes" {print $2}' <<<"$out")
    ir[$s]=$(awk '$1 == "summary:" {print $2}' "$cg.1" 2>/dev/null || true)
    [ -n "${ir[$s]}" ] || die "callgrind wrote no 'upload' dump for $v $s ($cg.1)"
  done
  put "instr_per_byte.$v" "$(awk -v a="${ir[256k]}" -v b="${ir[1000k]}" -v x="${bytes[256k]}" -v y="${bytes[1000k]}" \
    'BEGIN { printf "%.1f", (b - a) / (y - x) }')"
  unset ir bytes
done

# --- 4. code size of core/ and the gzipped page ------------------------------------------
say "bench: 4/6 code size (xtensa-lx106-elf-gcc, riscv64-unknown-elf-gcc -march=rv32imc)"
cs="$WORK/codesize"
rm -rf "$cs"; mkdir -p "$cs/inc"
ln -s /usr/include/mbedtls "$cs/inc/mbedtls"
[ -d /usr/include/psa ] && ln -s /usr/include/psa "$cs/inc/psa"
# Debian's Mbed TLS configuration without POSIX threading, as a device build has it
# (the same as tests/integration/test_core_portable.sh)
printf '#include <mbedtls/config.h>\n#undef MBEDTLS_THREADING_C\n#undef MBEDTLS_THREADING_PTHREAD\n' \
  >"$cs/inc/sota_cross_mbedtls.h"
ln -sf "$ROOT/components/softap_ota/include/softap_ota_policy.h" "$cs/inc/softap_ota_policy.h"
: >"$WORK/codesize.log"
for arch in xtensa rv32imc; do
  if [ $arch = xtensa ]; then
    cc=(xtensa-lx106-elf-gcc --specs=/usr/lib/xtensa-lx106-elf/picolibc.specs -mlongcalls); size=xtensa-lx106-elf-size
  else
    cc=(riscv64-unknown-elf-gcc --specs=picolibc.specs -march=rv32imc -mabi=ilp32); size=riscv64-unknown-elf-size
  fi
  failed=""
  for src in "$ROOT"/components/softap_ota/core/*.c; do
    if ! "${cc[@]}" -std=c11 -Os -I"$ROOT/components/softap_ota/core" -I"$cs/inc" \
         -DMBEDTLS_CONFIG_FILE='"sota_cross_mbedtls.h"' -c "$src" \
         -o "$cs/$arch-$(basename "$src" .c).o" 2>>"$WORK/codesize.log"; then
      say "bench: warning: core/$(basename "$src") does not compile for $arch (see $WORK/codesize.log)"
      failed="$failed $(basename "$src")"
    fi
  done
  # .text with Xtensa's literal pools, .rodata with RISC-V's small read-only data
  total=$("$size" -A "$cs/$arch"-*.o 2>/dev/null | awk '$1 ~ /^\.(text|literal|rodata|srodata)/ {s += $2} END {print s + 0}')
  if [ -z "$failed" ]; then
    put "code_bytes.$arch" "$total"
    : >"$WORK/codesize.$arch.failed"
  else
    put "code_bytes.$arch" null  # a partial sum is not core/'s size
    echo "does not compile:$failed (the other files: $total)" >"$WORK/codesize.$arch.failed"
  fi
done
cmake -DIN="$ROOT/components/softap_ota/web/index.html" -DOUT="$WORK/page.html.gz" -P "$ROOT/components/softap_ota/web/gzip.cmake"
put page_gz_bytes "$(wc -c <"$WORK/page.html.gz")"
# the real app, where `make device` has built one (tools/device.sh writes device-size.txt)
device_targets=()
for f in "$ROOT"/build/device-*/device-size.txt; do
  [ -f "$f" ] || continue
  t=$(awk '$1 == "target" { print $2 }' "$f")
  case "$(basename "$(dirname "$f")")" in "device-$t") ;; *) continue ;; esac # make device's own folders
  app=$(awk '$1 == "app_bytes" { print $2 }' "$f"); slot=$(awk '$1 == "slot_bytes" { print $2 }' "$f")
  put "device_app.$t.app_bytes" "$app"
  put "device_app.$t.slot_bytes" "$slot"
  put "device_app.$t.free_pct" "$(awk -v a="$app" -v s="$slot" 'BEGIN { printf "%.1f", 100 * (s - a) / s }')"
  echo "$t $(awk '$1 == "idf_version" { print $2 }' "$f")" >>"$WORK/device_targets.txt"
  device_targets+=("$t")
done

# --- 5. host throughput ---------------------------------------------------------------------
say "bench: 5/6 host upload: simulator vs discard handler (11 repetitions)"
"$BENCH" throughput --sota "$BUILD/sota" --size 1000k --reps 11 --tmp "$WORK" >>"$RES" 2>"$WORK/throughput.log" ||
  { tail -20 "$WORK/throughput.log" >&2; die "throughput measurement failed"; }

# --- 6. hostile clients -------------------------------------------------------------------------
# The same run twice, side by side: 30 clients poll /api/status (one connection per
# poll, 100..300 ms apart) while a 1 MB image is uploaded at 256 KiB/s (a good Wi-Fi
# link); once alone, once with 8 slow-header sockets (a byte per 500 ms, reconnecting
# when cut). Poll latency of the polls started during the upload, and the upload time.
say "bench: 6/6 hostile clients: polls during an upload, without and with 8 slow-header sockets"
"$BUILD/sota" image make -o "$WORK/app1m.bin" --version 2.0.0 --size 1000000 >/dev/null
for slow in 0 8; do
  port=$((20000 + RANDOM % 10000))
  rm -f "$WORK/hostile.flash"*
  "$BUILD/sota" sim --flash "$WORK/hostile.flash" --port "$port" --health-delay 100 >"$WORK/hostile-$slow.log" 2>&1 &
  sim=$!
  for _ in $(seq 1 100); do curl -sf -m 1 "http://127.0.0.1:$port/api/status" >/dev/null 2>&1 && break; sleep 0.1; done
  res=$("$BUILD/loadhttp" -s "$slow" -c 30 -i 200 -w 3000 -r 256 -t 120 "$port" "$WORK/app1m.bin" 2>>"$WORK/hostile-$slow.log")
  kill "$sim" 2>/dev/null; wait "$sim" 2>/dev/null
  [ "$(printf '%s' "$res" | jq -r .upload_status)" = 200 ] || say "bench: warning: hostile run with $slow slow sockets: $res"
  put "hostile.slow$slow.p50_ms" "$(printf '%s' "$res" | jq -r .upload_window.p50_ms)"
  put "hostile.slow$slow.p99_ms" "$(printf '%s' "$res" | jq -r .upload_window.p99_ms)"
  put "hostile.slow$slow.polls" "$(printf '%s' "$res" | jq -r .upload_window.polls)"
  put "hostile.slow$slow.upload_s" "$(printf '%s' "$res" | jq -r .upload_s)"
done

# --- bench.json and the table ---------------------------------------------------------------
mkdir -p "$(dirname "$OUT")"
jq -Rn '[inputs | select(length > 0) | split(" ") | {k: (.[0] | split(".")), v: (.[1] | tonumber? // null)}]
        | reduce .[] as $x ({}; setpath($x.k; $x.v))' <"$RES" >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"

j() { jq -r "$1 // \"n/a\"" "$OUT"; }
ratio() { jq -r --arg s "$2" "(.projected_s.ours[\$s] / .projected_s.$1[\$s]) * 100 | round / 100" "$OUT"; }
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
printf '\nsoftap-ota bench, %s, %s CPUs (%s)\n' "$(date -u +%Y-%m-%d)" "$(nproc)" "${cpu:-unknown CPU}"
printf '%s\n' "--------------------------------------------------------------------------------"
printf '%-44s %18s %18s\n' "1. projected device time, 1 MiB slot" "256 KiB" "1000 KiB"
printf '%-44s %9s %8s %9s %8s\n' "   strategy (slot holds an older image)" "s" "ours/x" "s" "ours/x"
for st in ours:"ours: session, erase-ahead, skip erased" ours_blank:"ours into a blank slot" \
          whole_slot:"whole slot first (OTA_SIZE_UNKNOWN)" sequential:"4 KiB sequential (SEQUENTIAL_WRITES)"; do
  k=${st%%:*}
  r1=-; r2=-
  if [ "$k" != ours ]; then r1=$(ratio "$k" 256k); r2=$(ratio "$k" 1000k); fi
  printf '%-44s %9.2f %8s %9.2f %8s\n' "   ${st#*:}" "$(j ".projected_s.$k[\"256k\"]")" "$r1" \
    "$(j ".projected_s.$k[\"1000k\"]")" "$r2"
done
cost() { jq -r --arg s "$2" "(.projected_s.$1[\$s] / .projected_s.ours[\$s]) * 100 | round / 100" "$OUT"; }
printf '%-44s\n' "   an upload cut at 90 % (cost: x the uncut one)"
for st in resumed_90:"cut at 90 %, resumed (Content-Range)" restart_90:"cut at 90 %, sent again from byte 0"; do
  k=${st%%:*}
  printf '%-44s %9.2f %7.2fx %9.2f %7.2fx\n' "   ${st#*:}" "$(j ".projected_s.$k[\"256k\"]")" "$(cost "$k" 256k)" \
    "$(j ".projected_s.$k[\"1000k\"]")" "$(cost "$k" 1000k)"
done
printf '%-44s %18s %18s\n' "2. heap peak of the update path (bytes)" "$(j '.heap_peak_bytes["256k"]')" "$(j '.heap_peak_bytes["1000k"]')"
printf '%-44s %18s\n' "   worst stack depth, update path (bytes)" "$(j .stack_max_bytes)"
printf '%-44s %18s %18s\n' "   task stacks, device (bytes used/size, spare)" "xtensa" "rv32imc"
for t in sota_upload httpd sota_health sota_dns; do
  cell() { printf '%s+%s/%s %s%%' "$(j ".task_stack.$t.$1.own")" "$(j .task_stack.ext_bytes)" \
             "$(j ".task_stack.$t.$1.stack")" "$(j ".task_stack.$t.$1.margin_pct")"; }
  printf '%-44s %18s %18s\n' "     $t" "$(cell xtensa)" "$(cell rv32)"
done
printf '%-44s %18s %18s\n' "3. instructions per uploaded byte" "raw" "multipart"
printf '%-44s %18s %18s\n' "   with SHA-256" "$(j .instr_per_byte.raw)" "$(j .instr_per_byte.multipart)"
printf '%-44s %18s %18s\n' "   without SHA-256" "$(j .instr_per_byte.raw_nosha)" "$(j .instr_per_byte.multipart_nosha)"
printf '%-44s %18s %18s\n' "4. core/ .text+.rodata, -Os (bytes)" "xtensa $(j .code_bytes.xtensa)" "rv32imc $(j .code_bytes.rv32imc)"
for arch in xtensa rv32imc; do
  bad=$(cat "$WORK/codesize.$arch.failed")
  if [ -n "$bad" ]; then printf '   %s: %s\n' "$arch" "$bad"; fi
done
printf '%-44s %18s\n' "   gzipped page (bytes)" "$(j .page_gz_bytes)"
if [ ${#device_targets[@]} -eq 0 ]; then
  printf '%-44s %18s\n' "   app built by ESP-IDF" "none (make device)"
fi
while read -r t v; do
  printf '%-44s %18s %18s\n' "   app built by ESP-IDF $v, $t (bytes)" "$(j ".device_app.$t.app_bytes")" \
    "$(j ".device_app.$t.free_pct") % free"
done < <(cat "$WORK/device_targets.txt" 2>/dev/null)
printf '%-44s %18s\n' "5. host upload 1000 KiB: simulator/discard" "$(j .host_upload_ratio)"
printf '%-44s %18s %18s\n' "6. /api/status during an upload (ms)" "alone" "8 slow sockets"
printf '%-44s %18s %18s\n' "   p50 / p99" "$(j .hostile.slow0.p50_ms) / $(j .hostile.slow0.p99_ms)" \
  "$(j .hostile.slow8.p50_ms) / $(j .hostile.slow8.p99_ms)"
printf '%-44s %18s %18s\n' "   polls answered during the upload" "$(j .hostile.slow0.polls)" "$(j .hostile.slow8.polls)"
printf '%-44s %18s %18s\n' "   upload 1 MB at 256 KiB/s (s), slowdown" "$(j .hostile.slow0.upload_s)" \
  "$(j .hostile.slow8.upload_s) ($(jq -r '(.hostile.slow8.upload_s / .hostile.slow0.upload_s * 100 | round) / 100' "$OUT")x)"
printf '%s\n' "--------------------------------------------------------------------------------"
printf 'deepest stack chain: %s\n' "$(cat "$WORK/stack_chain.txt")"
printf 'written: %s\n' "$OUT"
$stacks_ok || { say "bench: a task stack has less than 25 % to spare (see above)"; exit 1; }
