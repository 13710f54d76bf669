#!/usr/bin/env bash
# Browser tests of the update page: tests/e2e (playwright-core + Debian's Chromium)
# against `sota sim`. ctest runs it with SOTA (the sota binary), SOTA_ROOT,
# SOTA_TESTDATA and SOTA_TMPDIR; it installs the npm packages on first use.
# Last line: "N passed, M failed". Exit status non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export SOTA_ROOT=${SOTA_ROOT:-$(cd "$here/../.." && pwd)}
e2e=$SOTA_ROOT/tests/e2e

fail_setup() {
  echo "test_e2e: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

[ -n "${SOTA:-}" ] && [ -x "$SOTA" ] || fail_setup "SOTA must name the built sota binary (ctest sets it; by hand: SOTA=build/sota $0)"
[ -n "${SOTA_TESTDATA:-}" ] && [ -d "$SOTA_TESTDATA" ] || fail_setup "SOTA_TESTDATA must name the shared testdata folder"
export SOTA_TMPDIR=${SOTA_TMPDIR:-$(mktemp -d)}
[ -x /usr/bin/chromium ] || fail_setup "/usr/bin/chromium is missing: install Debian's chromium (tools/deps.sh test does)"
command -v node >/dev/null && command -v npm >/dev/null || fail_setup "node and npm are missing: install nodejs and npm (tools/deps.sh test does)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
  fail_setup "node $(node --version) is too old: playwright-core needs node 20 or later"

if [ ! -d "$e2e/node_modules/playwright-core" ]; then
  echo "test_e2e: installing the pinned npm packages (npm ci in tests/e2e)"
  (cd "$e2e" && npm ci --no-audit --no-fund) || fail_setup "npm ci in $e2e failed (is the npm registry reachable?)"
fi

tap=$SOTA_TMPDIR/e2e.tap
mkdir -p "$SOTA_TMPDIR"
cd "$e2e" || exit 1
# spec for people, TAP to count; the whole run is bounded
timeout 300 node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  update_page.test.mjs
rc=$?
[ $rc -eq 124 ] && echo "test_e2e: the browser tests took longer than 300 s and were stopped" >&2

passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n 1)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n 1)
passed=${passed:-0}
failed=${failed:-0}
if [ $rc -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi
echo "$passed passed, $failed failed"
[ $rc -eq 0 ] && [ "$failed" -eq 0 ]
