#!/usr/bin/env bash
# Runs the already-built test binaries again with the system clock shifted to dates that
# break naive date code, so that no test (and no code path) depends on the day it runs:
#
#   scripts/shifted-clock.sh                      # the dates below
#   scripts/shifted-clock.sh '2029-02-28 12:00'   # dates of your own (UTC)
#
# Uses Debian's `faketime` (libfaketime), installed if missing. The clock is shifted by a
# fixed offset from the real time, so every process (the tests and the `maillage` binary
# they spawn) sees the same shifted clock and it keeps running. The monotonic clock is left
# alone (timers and timeouts stay real). Cargo itself is not run under the shifted clock:
# the binaries are built first, then executed directly.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v faketime >/dev/null 2>&1; then
  echo "shifted-clock: installing faketime (Debian package)" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "shifted-clock: faketime is missing and installing it needs root (apt-get install faketime)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq faketime >/dev/null
fi

if [ $# -gt 0 ]; then
  dates=("$@")
else
  dates=(
    '2028-02-29 10:00:00' # a 29 February
    '2026-12-31 23:30:00' # New Year's Eve: 00:30 on 1 January in Paris, still 31 December in UTC
    '2027-03-28 00:50:00' # the night clocks go forward in Paris (01:00 UTC), crossed by the run
    '2031-10-26 00:50:00' # years ahead, and the night clocks go back in Paris
  )
fi

mapfile -t binaries < <(cargo test --locked --no-run --message-format=json 2>/dev/null |
  python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("executable") and message["profile"]["test"]:
        print(message["executable"])
')
if [ ${#binaries[@]} -eq 0 ]; then
  echo "shifted-clock: no test binary was built" >&2
  exit 1
fi

for date in "${dates[@]}"; do
  offset=$(($(date -u -d "$date" +%s) - $(date -u +%s)))
  echo "== tests with the clock at $date UTC (offset ${offset}s)"
  for binary in "${binaries[@]}"; do
    DONT_FAKE_MONOTONIC=1 faketime -f "+${offset}" "$binary" -q
  done
done
