#!/usr/bin/env bash
# Runs the `vm` vitest project (tests that need a kernel this host does not run: cgroup
# v2) inside the QEMU guest of scripts/vm: one VM boot, set up on first use
# (scripts/vm/setup.sh apt-installs qemu and unpacks Debian's kernel; a few seconds once
# cached). scripts/run-tests.sh calls it after the main run.
#
#   run-vm-tests.sh [COUNTS_FILE]
#
# Writes the guest's `passed= failed= skipped= files=` to COUNTS_FILE (the layout of the
# summary reporter) and ends with `vm tests: N passed, N failed, N skipped`. The tests
# never vanish silently:
#   VZKIT_SKIP_VM=1               → counted as 1 skipped, with a line saying so;
#   set-up fails, the VM does not boot (run-in-vm.sh exit 125), the guest times out
#   (124) or vitest dies there before reporting → counted as 1 failed, with a one-line reason.
# The reason lines also go to $VZKIT_NOTES_FILE when set (.ci/run prints them at the
# end), and `vm=<seconds>` to $VZKIT_TIMINGS_FILE. Exits non-zero when anything failed.
# VZKIT_VM_TIMEOUT (default 600) bounds the command in the guest.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="$here/.tools/bin:$PATH"
counts_file=${1:-}
started=$EPOCHREALTIME
tmp=$(mktemp -d /tmp/vzkit-vm-tests-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

note() {
  printf 'vm tests: %s\n' "$*" >&2
  if [ -n "${VZKIT_NOTES_FILE:-}" ]; then printf 'vm tests: %s\n' "$*" >>"$VZKIT_NOTES_FILE"; fi
}
# finish PASSED FAILED SKIPPED FILES: records the counts and the time, and exits.
finish() {
  if [ -n "$counts_file" ]; then printf 'passed=%s\nfailed=%s\nskipped=%s\nfiles=%s\n' "$1" "$2" "$3" "$4" >"$counts_file"; fi
  local elapsed
  elapsed=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  if [ -n "${VZKIT_TIMINGS_FILE:-}" ]; then printf 'vm=%s\n' "$elapsed" >>"$VZKIT_TIMINGS_FILE"; fi
  printf 'vm tests: %s passed, %s failed, %s skipped (%ss)\n' "$1" "$2" "$3" "$elapsed"
  [ "$2" = 0 ]
  exit
}
value() { sed -n "s/^$2=//p" "$1" 2>/dev/null | tail -n 1; }

if [ "${VZKIT_SKIP_VM:-}" = 1 ]; then
  note "skipped (VZKIT_SKIP_VM=1): the cgroup v2 tests (vitest project vm) did not run"
  finish 0 0 1 0
fi

echo '[vm] setting up the VM (scripts/vm/setup.sh)' >&2
if ! bash scripts/vm/setup.sh >"$tmp/setup.log" 2>&1; then
  tail -n 20 "$tmp/setup.log" >&2
  note "failed: the VM set-up failed (scripts/vm/setup.sh: $(tail -n 1 "$tmp/setup.log"))"
  finish 0 1 0 0
fi

# The guest sees the host's / read-only and this checkout read-write; $tmp is shared
# too, for the counts. stdout goes through a pipe so that vitest, seeing no terminal,
# prints plain lines rather than redrawing its status on the serial console.
echo '[vm] booting the VM: vitest run --project vm' >&2
# The step takes 3-5 min (TCG: vitest's transforms dominate), more on a loaded machine;
# a guest that hangs must still not hold CI for long.
timeout=${VZKIT_VM_TIMEOUT:-600}
VZKIT_BOOT_ALLOWANCE=${VZKIT_BOOT_ALLOWANCE:-120} bash scripts/vm/run-in-vm.sh --timeout "$timeout" --share "$tmp" \
  --env CI --env VZKIT_TEST_SIZE --env "VZKIT_TEST_SUMMARY=$tmp/summary" --env "VZKIT_FILE_TIMES=$tmp/file-times" -- \
  bash -c 'set -o pipefail; node node_modules/vitest/vitest.mjs run --project vm 2>&1 | cat'
rc=$?
# The guest writes only to the shared directory: its file times join the host's here.
if [ -n "${VZKIT_FILE_TIMES:-}" ] && [ -s "$tmp/file-times" ]; then cat "$tmp/file-times" >>"$VZKIT_FILE_TIMES"; fi

if [ -s "$tmp/summary" ]; then
  passed=$(value "$tmp/summary" passed) failed=$(value "$tmp/summary" failed)
  skipped=$(value "$tmp/summary" skipped) files=$(value "$tmp/summary" files)
  if [ "$rc" != 0 ] && [ "${failed:-0}" = 0 ]; then
    note "failed: vitest in the guest exited with status $rc although it counted no failure"
    failed=1
  fi
  finish "${passed:-0}" "${failed:-0}" "${skipped:-0}" "${files:-0}"
fi
case $rc in
  125) note "failed: the VM did not boot or crashed (scripts/vm/run-in-vm.sh exit 125; its console is above)" ;;
  124) note "failed: the tests ran past ${timeout}s in the guest (VZKIT_VM_TIMEOUT)" ;;
  *) note "failed: vitest in the guest exited with status $rc before reporting (see the output above)" ;;
esac
finish 0 1 0 0
