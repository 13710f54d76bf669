#!/usr/bin/env bash
# Install the Debian packages a make target needs, or say exactly how.
#   tools/deps.sh build|test|bench
# As root it runs apt-get (update once, then install what is missing); otherwise it
# prints the command to run and fails.
set -euo pipefail

build=(gcc make cmake pkg-config libmbedtls-dev libcjson-dev libhttp-parser-dev libcurl4-openssl-dev)
test=(libcmocka-dev curl dnsutils jq iproute2 clang libclang-rt-14-dev
      gcc-xtensa-lx106 picolibc-xtensa-lx106-elf gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
      chromium nodejs npm)
bench=(valgrind binutils)

want=("${build[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test[@]}") ;;
  bench) want+=("${test[@]}" "${bench[@]}") ;;
  *) echo "usage: tools/deps.sh build|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # nodejs/npm may come from elsewhere than Debian (e.g. a preinstalled node 20).
  case "$p" in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages. Run as root:" >&2
  echo "  apt-get update && $cmd" >&2
  exit 1
fi
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
