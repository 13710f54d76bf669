#!/usr/bin/env bash
# The host port of ESP-IDF (host/idf) holds only what is used (issue 16): every function
# (and variable) it exports must be referenced, as an undefined symbol, by an object of
# the product or the simulator (the component and main/ in every release build, host/cli,
# host/boot, host/powercut, host/flash, host/otadata, host/ptable, host/imagegen, core/),
# or by another file of host/idf itself, or be one of the test seams below. The objects
# are the ones this build made; host/CMakeLists.txt lists them in host_port_users.txt
# beside $SOTA. A function only its own file uses belongs in that file as static. Nothing
# else counts: not the unit tests (a function nothing but its test calls is deleted with
# its test), not the bench (bench/) nor the fuzzers (tests/fuzz/), which use the
# product's part of the port and the seams.
#
# Also checked: device code (components/, main/) includes no simulator control header
# (sota_host*.h, in host/idf/sim_include/, which device targets cannot see), and no
# such header is back among the fake ESP-IDF headers (host/idf/include/).
source "$(dirname "$0")/lib.sh"
root=${SOTA_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
list="$(dirname "$SOTA")/host_port_users.txt"

# Test seams: host functions that the tests of live code need to drive or observe the
# simulated device, and that neither the product nor the simulator calls. Each names
# its users; the list is checked both ways (an entry nobody needs any more fails too;
# a seam must have a unit test among its users).
seams=(
  sota_host_attach                    # test_idf_ota_*, test_component_api: a device not booted
  sota_host_wifi_sta_connect          # test_component_api, test_idf_wifi: a station joins
  esp_wifi_get_config                 # test_component_api, test_idf_wifi: the AP as configured
  esp_netif_dhcps_get_clients_by_mac  # test_component_api, test_idf_wifi: its DHCP leases
  sota_host_last_verify_message       # test_idf_ota_ops, test_idf_ota_sig: which check failed
  esp_ota_set_boot_partition_skip_validate  # test_powercut_sweep: the injected early switch
  httpd_host_port                     # test_idf_httpd_server, bench/sota_bench.c, tests/fuzz/fuzz_http.c:
                                      # the port a server started on port 0 was given
)

if [ ! -s "$list" ]; then
  bad "no $list: host/CMakeLists.txt writes it in a build with SOTA_TESTS"
  finish
  exit 1
fi
idf=$(awk '$1 == "idf" { print $2 }' "$list")
mapfile -t users < <(awk '$1 == "user" { $1 = ""; print }' "$list" | tr ';' '\n' | tr -s ' ' '\n' | grep -v '^$')
missing=0
for u in "$idf" "${users[@]}"; do
  [ -e "$u" ] || { bad "not built: $u"; missing=1; }
done
if [ "$missing" = 1 ]; then finish; exit 1; fi

# "member symbol" for every exported definition of host/idf, "member symbol" for every
# reference a member of host/idf makes, and every symbol the users reference.
# (AddressSanitizer's own __odr_asan.* and __asan_* symbols are left out.)
defs=$(nm -A -g --defined-only "$idf" |
       awk '$(NF-1) ~ /^[TDBRC]$/ && $NF !~ /^__(odr_)?asan/ { n = split($1, p, ":"); print p[2], $NF }' | sort -u)
idf_refs=$(nm -A -u "$idf" | awk '{ n = split($1, p, ":"); print p[2], $NF }' | sort -u)
user_refs=$(nm -u "${users[@]}" 2>/dev/null | awk 'NF == 2 && $1 == "U" { print $2 }' | sort -u)

nfun=0
unused=()
while read -r member sym; do
  nfun=$((nfun + 1))
  if grep -qxF "$sym" <<<"$user_refs"; then continue; fi
  if awk -v m="$member" -v s="$sym" '$2 == s && $1 != m { f = 1 } END { exit !f }' <<<"$idf_refs"; then
    continue
  fi
  unused+=("$sym ($member)")
done <<<"$defs"

for s in "${seams[@]}"; do
  if ! awk -v s="$s" '$2 == s { f = 1 } END { exit !f }' <<<"$defs"; then
    bad "test seam $s is not defined by host/idf any more: drop it from this list"
    continue
  fi
  if grep -qxF "$s" <<<"$user_refs"; then
    bad "test seam $s is used by the product or the simulator now: drop it from this list"
  fi
  if ! grep -rqw "$s" "$root"/tests/unit; then
    bad "test seam $s is used by no unit test: delete it"
  fi
done

real=()
for u in "${unused[@]}"; do
  name=${u%% *}
  case " ${seams[*]} " in *" $name "*) ;; *) real+=("$u") ;; esac
done
if [ ${#real[@]} -eq 0 ]; then
  ok "all $nfun symbols host/idf exports are used by the product, the simulator or host/idf (${#seams[@]} test seams)"
else
  for u in "${real[@]}"; do
    bad "host/idf exports $u, which neither the product nor the simulator uses: delete it (and its test), or make it static"
  done
fi

# Device code cannot reach the simulator's controls.
inc=$(grep -rlE '#[[:space:]]*include[[:space:]]*[<"]sota_host[a-z_]*\.h' "$root"/components "$root"/main 2>/dev/null)
check "device code including sota_host*.h" "" "$inc"
check "sota_host*.h among the fake ESP-IDF headers" "" "$(ls "$root"/host/idf/include | grep '^sota_host' || true)"

finish
