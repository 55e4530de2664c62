#!/usr/bin/env bash
# Runs the unit and integration vitest projects once (`pnpm test`), then the `vm` project
# inside the QEMU guest (scripts/run-vm-tests.sh: cgroup v2, which this host lacks;
# VZKIT_SKIP_VM=1 skips it, counted as skipped), and closes with one
# `N passed, N failed, N skipped` over all of them. The tests are typechecked first (one
# failure if they do not).
#
# The summary reporter writes each run's counts as `key=value` lines; the two are summed
# into $VZKIT_TEST_SUMMARY when it is set (.ci/run then prints the closing line),
# otherwise this script prints it. With VZKIT_TIMINGS_FILE set, appends `tests=<seconds>`
# (the main run) and `vm=<seconds>` there. Extra arguments go to the main vitest run.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
scratch=$(mktemp -d /tmp/vzkit-tests-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
# Interrupted: stop here rather than go on to boot the VM.
trap 'exit 130' INT
trap 'exit 143' TERM
summary=${VZKIT_TEST_SUMMARY:-}
export VZKIT_TEST_SUMMARY="$scratch/main"

# The tests are TypeScript too, and vitest does not check types: an import of something
# a package no longer exports would otherwise be a silent undefined. One failure if not.
typecheck_failed=0
if ! pnpm -s typecheck:tests; then
  typecheck_failed=1
  echo "the tests do not typecheck (tsc -p tsconfig.tests.json, above)" >&2
  if [ -n "${VZKIT_NOTES_FILE:-}" ]; then
    echo "the tests do not typecheck (tsc -p tsconfig.tests.json; see the output above)" >>"$VZKIT_NOTES_FILE"
  fi
fi

started=$EPOCHREALTIME
pnpm test --passWithNoTests "$@"
rc=$?
elapsed=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
if [ -n "${VZKIT_TIMINGS_FILE:-}" ]; then printf 'tests=%s\n' "$elapsed" >>"$VZKIT_TIMINGS_FILE"; fi

bash scripts/run-vm-tests.sh "$scratch/vm"
vm_rc=$?

# num FILE KEY: the last KEY=value in FILE, or 0.
num() { local v; v=$(sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n 1); echo "${v:-0}"; }
if [ -s "$scratch/main" ]; then
  for k in passed failed skipped files; do
    declare "$k=$(( $(num "$scratch/main" "$k") + $(num "$scratch/vm" "$k") ))"
  done
else
  # vitest died before reporting: one failure for it, the vm counts still added.
  echo "vitest (unit, integration) exited with status $rc before reporting" >&2
  if [ -n "${VZKIT_NOTES_FILE:-}" ]; then
    echo "vitest (unit, integration) exited with status $rc before reporting (see the output above)" >>"$VZKIT_NOTES_FILE"
  fi
  passed=$(num "$scratch/vm" passed) failed=$(( $(num "$scratch/vm" failed) + 1 ))
  skipped=$(num "$scratch/vm" skipped) files=$(num "$scratch/vm" files)
  [ "$rc" != 0 ] || rc=1
fi

failed=$(( failed + typecheck_failed ))
[ "$typecheck_failed" = 0 ] || rc=1

if [ -n "$summary" ]; then
  printf 'passed=%s\nfailed=%s\nskipped=%s\nfiles=%s\n' "$passed" "$failed" "$skipped" "$files" >"$summary"
else
  printf '%s passed, %s failed, %s skipped\n' "$passed" "$failed" "$skipped"
fi
[ "$rc" = 0 ] && [ "$vm_rc" = 0 ]
