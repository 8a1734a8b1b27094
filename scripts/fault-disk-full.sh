#!/usr/bin/env bash
# Fault check: with its SQLite file on a full filesystem, the server must never acknowledge a
# write it does not keep. Mounts a small tmpfs (needs root), starts the built server in demo
# mode on it, fills the filesystem, has two agents record report entries at once, stops the
# server cleanly and checks that every acknowledged entry is in the file; then frees space
# and checks that the server writes again.
#
#   scripts/fault-disk-full.sh [path/to/maillage]   # default target/debug/maillage
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-target/debug/maillage}
if [ "$(id -u)" -ne 0 ]; then
  echo "fault-disk-full: mounting a tmpfs needs root" >&2
  exit 1
fi
[ -x "$binary" ] || cargo build --locked --quiet
mount_point=$(mktemp -d /tmp/maillage-full.XXXXXX)
mount -t tmpfs -o size=8m tmpfs "$mount_point"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server=
cleanup() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  umount "$mount_point" 2>/dev/null || true
  rmdir "$mount_point" 2>/dev/null || true
}
trap cleanup EXIT

export MAILLAGE_DATABASE_URL="sqlite://$mount_point/maillage.db?mode=rwc"
export MAILLAGE_LISTEN="127.0.0.1:$port"
unset MAILLAGE_JWT_SECRET
"$binary" serve >"$mount_point/../maillage-full-$port.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
token=$("$binary" token agent.lille@demo.maillage.fr)
free_kb=$(df -k "$mount_point" | awk 'NR == 2 { print $4 }')
dd if=/dev/zero of="$mount_point/filler" bs=1k count=$((free_kb - 150)) status=none || true

record() { # $1: requests per client; prints the acknowledged global ids, one a line
  python3 - "$port" "$token" "$1" <<'PY'
import datetime, json, sys, threading, urllib.request
port, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
day = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
query = "mutation($input: ReportEntryInput!) { recordReportEntry(input: $input) { id } }"
acknowledged, lock = [], threading.Lock()
def client():
    for _ in range(count):
        body = json.dumps({"query": query, "variables": {"input": {
            "structure": "DEMO-59-01", "occurredOn": day, "partner": "CAF", "theme": "FAMILY",
            "helpKind": "INFORMATION", "resolvedOnSite": True, "durationMinutes": 10}}}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
        answer = json.load(urllib.request.urlopen(request, timeout=60))
        entry = (answer.get("data") or {}).get("recordReportEntry")
        if entry:
            with lock:
                acknowledged.append(entry["id"])
threads = [threading.Thread(target=client) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
print("\n".join(acknowledged))
PY
}

full=$(record 150)
kill "$server"
wait "$server" || true
server=
rm -f "$mount_point/filler"
python3 - "$mount_point/maillage.db" "$full" <<'PY'
import base64, sqlite3, sys
acknowledged = [line for line in sys.argv[2].split("\n") if line]
ids = [int(base64.b64decode(g + "==").decode().split(":")[1]) for g in acknowledged]
stored = {row[0] for row in sqlite3.connect(sys.argv[1]).execute("SELECT id FROM report_entry")}
lost = [i for i in ids if i not in stored]
print(f"fault-disk-full: {len(ids)} of 300 writes acknowledged on a full disk, {len(lost)} lost")
if lost or len(ids) >= 300:
    sys.exit(f"fault-disk-full: FAILED ({'the disk never filled' if not lost else f'lost {lost}'})")
PY
"$binary" serve >>"$mount_point/../maillage-full-$port.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
again=$(record 5 | grep -c . || true)
[ "$again" -eq 10 ] || { echo "fault-disk-full: FAILED (after freeing space, $again of 10 writes)"; exit 1; }
echo "fault-disk-full: passed (nothing lost; writes resume once space is freed)"
