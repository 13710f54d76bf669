#!/usr/bin/env bash
# Type-check every device-side file (main/, the component's src/ and core/) against the
# real headers of one or more ESP-IDF revisions, with shared/tools/idfcheck.
#   tools/idfcheck.sh IDF_DIR [IDF_DIR...]
# IDF_DIR is a folder made by shared/tools/idfcheck/extract.sh (outside this repo), e.g.
#   ../shared/tools/idfcheck/extract.sh MIRROR/esp-idf.git /tmp/idf-master
#   ../shared/tools/idfcheck/extract.sh MIRROR/esp-idf.git /tmp/idf-v5.0 v5.0
set -euo pipefail
cd "$(dirname "$0")/.."
check=../shared/tools/idfcheck/check.sh
[ $# -ge 1 ] || { echo "usage: tools/idfcheck.sh IDF_DIR [IDF_DIR...]" >&2; exit 2; }
[ -x "$check" ] || { echo "tools/idfcheck.sh: $check not found (shared/ beside the repo)" >&2; exit 2; }
fail_defaults=$(mktemp)
trap 'rm -f "$fail_defaults"' EXIT
echo "CONFIG_SOTA_MAIN_TEST_HEALTH_FAIL=y" >"$fail_defaults"
rc=0
for idf in "$@"; do
  echo "== $(head -1 "$idf/IDF_INFO" 2>/dev/null || echo "$idf")"
  IDF_WERROR=1 "$check" "$idf" --project . main/main.c components/softap_ota/src/*.c \
    components/softap_ota/core/*.c -I components/softap_ota/core -I components/softap_ota/src || rc=1
  # main/ and src/ again as the QEMU variant (sdkconfig.qemu: Ethernet, the stack reports)
  # with the test-only failing health check, so every line of them is checked
  echo "-- main/ and src/ with sdkconfig.qemu and SOTA_MAIN_TEST_HEALTH_FAIL"
  IDF_WERROR=1 "$check" "$idf" --project . --defaults sdkconfig.qemu --defaults "$fail_defaults" \
    main/*.c components/softap_ota/src/*.c -I components/softap_ota/core -I components/softap_ota/src || rc=1
done
exit $rc
