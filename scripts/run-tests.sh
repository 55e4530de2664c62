#!/usr/bin/env bash
# Runs every vitest project once (`pnpm test`); its summary reporter prints the closing
# `N passed, N failed, N skipped`. With VZKIT_TIMINGS_FILE set, appends `tests=<seconds>`
# there. Extra arguments go to vitest.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.tools/bin:$PATH"
started=$EPOCHREALTIME
pnpm test --passWithNoTests "$@"
rc=$?
elapsed=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
if [ -n "${VZKIT_TIMINGS_FILE:-}" ]; then printf 'tests=%s\n' "$elapsed" >>"$VZKIT_TIMINGS_FILE"; fi
exit $rc
