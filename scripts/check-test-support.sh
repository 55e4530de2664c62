#!/usr/bin/env bash
# Proves that test-support's reporter counts what CI relies on, against the vitest
# actually installed: it typechecks test-support and runs the self-check fixtures
# (failures, hook errors, an unloadable file, an unhandled error, skips allowed and
# refused, no test files) and compares the counts. Quiet unless something is off.
set -uo pipefail
# The fixtures are not the project's tests: keep them out of .ci/run's list of slow files.
unset VZKIT_FILE_TIMES
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="$here/.tools/bin:$PATH"
tmp=$(mktemp -d /tmp/vzkit-check-test-support-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bad=0

if ! out=$(pnpm exec tsc -p test-support 2>&1); then
  printf '%s\n[check-test-support] test-support does not typecheck\n' "$out" >&2
  bad=1
fi

# expect NAME CI EXPECTED_RC EXPECTED_COUNTS [vitest args...]
expect() {
  local name=$1 ci=$2 want_rc=$3 want=$4; shift 4
  local sum="$tmp/$name.sum" log="$tmp/$name.log" rc got
  CI=$ci VZKIT_TEST_SUMMARY=$sum pnpm exec vitest run --root test-support/self-check "$@" >"$log" 2>&1 </dev/null
  rc=$?
  got=$(grep -E '^(passed|failed|skipped|files)=' "$sum" 2>/dev/null | tr '\n' ' ')
  if [ "$rc" != "$want_rc" ] || [ "$got" != "$want" ]; then
    cat "$log" >&2
    printf '[check-test-support] %s: got exit %s and "%s", expected exit %s and "%s"\n' "$name" "$rc" "$got" "$want_rc" "$want" >&2
    bad=1
  fi
}

expect ci true 1 'passed=5 failed=10 skipped=1 files=5 '
expect local false 1 'passed=5 failed=7 skipped=4 files=5 '
SELF_CHECK_INCLUDE=none/*.ts expect empty true 0 'passed=0 failed=0 skipped=0 files=0 ' --passWithNoTests
SELF_CHECK_INCLUDE=none/*.ts expect empty-refused true 1 'passed=0 failed=1 skipped=0 files=0 '

[ $bad = 0 ] && echo '[check-test-support] ok'
exit $bad
