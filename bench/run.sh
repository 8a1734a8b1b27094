#!/usr/bin/env bash
# Benchmarks of maillage at national scale (issue 5), through HTTP GraphQL with real tokens.
#
#   bench/run.sh [sqlite|postgres|all]      (default: all)
#
# For each database: builds the release binary, imports the real sites (../shared/data),
# seeds the national synthetic dataset (`seed synthetic --scale 1`, ~9 M report entries),
# starts the server and measures with wrk:
#   - p50 / p95 latency of the national (ANCT), department (PREFECT 59) and operator (CAF,
#     national) dashboards over the last twelve months, one client at a time;
#   - requests/s of the structures page (50 rows with department, commune and effective
#     partners, PREFECT 59) and of report-entry creation (32 agents in turn) at 1, 8 and
#     32 clients (connections; wrk runs one thread per core); GraphQL errors are counted;
#   - the server's peak memory (VmHWM);
#   - the web front: ms from navigation until the dashboard's first figure is painted, as
#     Chromium reports it (bench/paint.py; national and department dashboards).
# Results go to target/bench/<database>.md; bench/RESULTS.md holds the analysed numbers.
# PostgreSQL runs on a throwaway cluster (scripts/with-postgres.sh, installed if missing).
#
# Settings: BENCH_SCALE (1), BENCH_YEARS (1: years of reporting history, each with the
# year's entries; bench/growth.sh runs 1, 3 and 10), BENCH_SECONDS (10 per measure), BENCH_SEED (42),
# BENCH_DIR (target/bench), BENCH_REUSE=1 (SQLite: keep the dataset of the previous run),
# BENCH_PAINT_RUNS (10 warm loads per dashboard), BENCH_BIN (measure this binary instead of
# building one: an A/B run), BENCH_ONLY (some of: dashboards,fields,page,entries,writes,paint),
# BENCH_COLD_SAMPLES (8 dashboard requests each after a change of the data),
# BENCH_PERIOD_END (the last day of the dashboards' twelve months; default the dataset's
# last day: a year then starting on another day than the 1st reads its partial first month
# from the daily summary, as most days of a month do).
# Needs wrk, jq and python3 (apt-get install wrk jq); chromium and chromium-driver for the
# paint measure (skipped without them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCALE=${BENCH_SCALE:-1}
YEARS=${BENCH_YEARS:-1}
COLD=${BENCH_COLD_SAMPLES:-8}
SECONDS_PER=${BENCH_SECONDS:-10}
SEED=${BENCH_SEED:-42}
DIR=${BENCH_DIR:-$ROOT/target/bench}
DATA=${MAILLAGE_SHARED_DATA:-$ROOT/../shared/data}
BIN=${BENCH_BIN:-$ROOT/target/release/maillage}
# Whether BENCH_ONLY (a comma-separated list; all when unset) holds section $1.
only() { [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]]; }
mkdir -p "$DIR"
for tool in wrk jq python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done

case "${1:-all}" in
  all)
    "$0" sqlite
    "$0" postgres
    exit 0 ;;
  postgres)
    # Production-like durability: fsync on, commits acknowledged before they reach the disk
    # (like SQLite's WAL with synchronous=NORMAL, which the server uses).
    export MAILLAGE_PG_SETTINGS="-c synchronous_commit=off -c shared_buffers=1GB -c work_mem=32MB"
    exec scripts/with-postgres.sh "$0" postgres-cluster ;;
  postgres-cluster)
    DB=postgres
    PSQL=$(command -v psql || ls -1 /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
    "$PSQL" -q -h 127.0.0.1 -p "${MAILLAGE_TEST_DATABASE_URL##*:}" -U postgres -c "CREATE DATABASE bench" >/dev/null
    export MAILLAGE_DATABASE_URL="$MAILLAGE_TEST_DATABASE_URL/bench" ;;
  sqlite)
    DB=sqlite
    [ -n "${BENCH_REUSE:-}" ] || rm -f "$DIR"/sqlite.db*
    export MAILLAGE_DATABASE_URL="sqlite://$DIR/sqlite.db?mode=rwc" ;;
  *) echo "usage: bench/run.sh [sqlite|postgres|all]" >&2; exit 2 ;;
esac

OUT=$DIR/$DB.md
. bench/env.sh
[ -n "${BENCH_BIN:-}" ] || cargo build --release -q
log() { echo "bench[$DB]: $*" >&2; }

"$BIN" migrate >/dev/null
if [ -n "${BENCH_REUSE:-}" ] && [ -s "$DIR/$DB-until.txt" ]; then
  # BENCH_REUSE=1 (SQLite): measure again on the dataset seeded by the previous run.
  UNTIL=$(cat "$DIR/$DB-until.txt")
  log "reusing the dataset seeded up to $UNTIL"
else
  log "importing the real sites"
  "$BIN" import reference "$DATA" >/dev/null
  "$BIN" import sites "$DATA/france-services-2024-08-01.csv" >/dev/null
  log "seeding the synthetic dataset (scale $SCALE, $YEARS year(s), seed $SEED)"
  UNTIL=$(date -u +%F)
  /usr/bin/time -f "%e s, peak %M KiB" -o "$DIR/$DB-seed-time.txt" \
    "$BIN" seed synthetic --seed "$SEED" --scale "$SCALE" --years "$YEARS" --until "$UNTIL" >"$DIR/$DB-seed.txt" 2>"$DIR/$DB-seed.err"
  echo "$UNTIL" >"$DIR/$DB-until.txt"
fi
"$BIN" user grant bench-anct@bench.fr ANCT >/dev/null
"$BIN" user grant bench-prefet@bench.fr PREFECT --department 59 >/dev/null
"$BIN" user grant bench-caf@bench.fr OPERATOR --partner CAF >/dev/null
token() { "$BIN" token "$1" --ttl 4h; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/graphql
MAILLAGE_LISTEN=127.0.0.1:$PORT "$BIN" serve >"$DIR/$DB-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break
  sleep 0.5
done

# The agents of 32 structures and their matricules: `token<TAB>matricule` per line.
AGENTS=$DIR/$DB-agents.tsv
: >"$AGENTS"
for i in $(seq 0 31); do
  email="agent$i@synthetic.maillage.fr"
  t=$(token "$email")
  m=$(curl -s "$URL" -H "Authorization: Bearer $t" -H 'Content-Type: application/json' \
    -d '{"query":"{ me { roles { structure { matricule } } } }"}' \
    | jq -r '.data.me.roles[0].structure.matricule')
  [ "$m" != null ] || { log "no structure for $email"; exit 1; }
  printf '%s\t%s\n' "$t" "$m" >>"$AGENTS"
done

PERIOD_END=${BENCH_PERIOD_END:-$UNTIL}
FROM=$(date -u -d "$PERIOD_END - 364 days" +%F)
FILTER="{\"from\":\"$FROM\",\"to\":\"$PERIOD_END\"}"
STEERING='reporting { total resolvedOnSite resolvedOnSiteShare byMonth { key count } byPartner { key count } byTheme { key count } byDepartment { key count } } supportRequests { total late byPartner { key count } lateByPartner { key count } } answerDelays { partner answered medianHours p90Hours } missingReferents { key count } labelPipeline { byStatus { key count } auditsPassed auditsFailed failedCriteria { key count } reauditsDue msapsLosingFunding } complianceGaps { criterion assessed unmet } assessmentGap { criterion audited declaredMet foundMet gap } training { agents qualified } satisfaction { audience answers mean } mysteryVisits { department visits meanScore maxScore } coverage { department cantons covered uncovered } funding { key count }'
PARTNER='reporting { total resolvedOnSite resolvedOnSiteShare byMonth { key count } byPartner { key count } byTheme { key count } byDepartment { key count } } supportRequests { total late byPartner { key count } lateByPartner { key count } } answerDelays { partner answered medianHours p90Hours } missingReferents { key count }'
body() { jq -cn --arg q "query(\$f: DashboardFilterInput) { dashboard(filter: \$f) { $1 } }" --argjson f "${2:-$FILTER}" '{query: $q, variables: {f: $f}}'; }
PAGE=$(jq -cn --arg q '{ structures(first: 50, filter: { department: "59" }) { totalCount edges { node { matricule name department { name } commune { name } effectivePartners { code } } } } }' '{query: $q}')

# wrk script: one token (or one agent per thread), GraphQL errors counted.
LUA=$DIR/bench.lua
cat >"$LUA" <<'LUA'
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function init(args)
  errors = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  requests = {}
  local agents = os.getenv("BENCH_AGENTS")
  if agents then
    -- Every thread sends on behalf of all the agents in turn.
    for line in io.lines(agents) do
      local token, matricule = line:match("([^\t]+)\t([^\t]+)")
      local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
      table.insert(requests, wrk.format("POST", nil, headers, string.format(os.getenv("BENCH_BODY"), matricule)))
    end
  else
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
    table.insert(requests, wrk.format(nil, nil, nil, os.getenv("BENCH_BODY")))
  end
  next_request = id
end
function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then
    errors = errors + 1
  end
end
function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("errors")
  end
  io.write(string.format("RESULT %.1f %.1f %.1f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    summary.requests, failed))
end
LUA

measure() { # clients, then env for the script; prints "req/s p50 p95 requests errors"
  local clients=$1
  shift
  # One wrk thread per core (at most), one connection per client.
  local threads=$((clients < 2 ? clients : 2))
  env "$@" wrk -t "$threads" -c "$clients" -d "${SECONDS_PER}s" --timeout 30s -s "$LUA" "$URL" | awk '/^RESULT/ { print $2, $3, $4, $5, $6 }'
}

{
  echo "# $DB, $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(uname -r)."
  echo "Dataset: seed $SEED, scale $SCALE, $YEARS year(s) of reporting to $UNTIL (dashboards: the twelve months $FROM to $PERIOD_END). Seed run: $(cat "$DIR/$DB-seed-time.txt")."
  if [ "$DB" = postgres ]; then
    "$PSQL" -qAt -h 127.0.0.1 -p "${MAILLAGE_TEST_DATABASE_URL##*:}" -U postgres -d bench -c \
      "SELECT 'Database ' || pg_size_pretty(pg_database_size('bench')) || '; report_entry ' || (SELECT count(*) FROM pg_inherits WHERE inhparent = 'report_entry'::regclass) || ' partitions, ' || pg_size_pretty((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'report_entry'::regclass)) || ' with indexes.'"
  fi
  echo
  echo '```'
  cat "$DIR/$DB-seed.txt"
  echo '```'
  echo
  echo "| measure | clients | req/s | p50 ms | p95 ms | requests | errors |"
  echo "|---|---|---|---|---|---|---|"
} >"$OUT"
row() { read -r rps p50 p95 n errors; echo "| $1 | $2 | $rps | $p50 | $p95 | $n | $errors |" | tee -a "$OUT" >&2; }
# $COLD requests of body $2 with token $1, one at a time, each after a change of the data (so
# no figure is kept); prints "- median worst count errors" in ms, in the format of `row`.
cold() {
  for _ in $(seq 1 "$COLD"); do
    changed
    curl -s -o "$DIR/cold.json" -w '%{time_total}\n' "$URL" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "$2"
    if jq -e '.errors' "$DIR/cold.json" >/dev/null; then log "errors: $(jq -c .errors "$DIR/cold.json")"; exit 1; fi
  done | sort -n | awk '{ t[NR] = $1 * 1000 } END { m = int((NR + 1) / 2); printf "- %.1f %.1f %d 0\n", (t[m] + t[NR + 1 - m]) / 2, t[NR], NR }'
}

# The data's version raised by hand: no dashboard figure is kept from an earlier request
# (a binary from before migration 33 has no version and keeps no figure).
changed() {
  if [ "$DB" = sqlite ]; then
    python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("UPDATE data_version SET version = version + 1"); c.commit()' "$DIR/sqlite.db" 2>/dev/null || true
  else
    "$PSQL" -q -h 127.0.0.1 -p "${MAILLAGE_TEST_DATABASE_URL##*:}" -U postgres -d bench -c "UPDATE data_version SET version = version + 1" >/dev/null 2>&1 || true
  fi
}

only dashboards && {
log "dashboards"
# One warm-up request each, then one client for the measured time.
for who in anct prefet caf; do
  case $who in
    anct) name="national dashboard (ANCT)"; fields=$STEERING ;;
    prefet) name="department dashboard (PREFECT 59)"; fields=$STEERING ;;
    caf) name="operator dashboard (CAF, national)"; fields=$PARTNER ;;
  esac
  t=$(token "bench-$who@bench.fr")
  b=$(body "$fields")
  curl -s "$URL" -H "Authorization: Bearer $t" -H 'Content-Type: application/json' -d "$b" >"$DIR/$DB-$who-dashboard.json"
  if jq -e '.errors' "$DIR/$DB-$who-dashboard.json" >/dev/null; then
    log "$name answered errors: $(jq -c .errors "$DIR/$DB-$who-dashboard.json")"; exit 1
  fi
  measure 1 BENCH_TOKEN="$t" BENCH_BODY="$b" | row "$name" 1
  # After a change of the data, nothing kept: the median and worst of $COLD requests.
  cold "$t" "$b" | row "$name, each after a change (median, worst)" 1
done
# The whole history on the national dashboard, after a change.
t=$(token bench-anct@bench.fr)
HISTORY="{\"from\":\"$(date -u -d "$UNTIL - $((365 * YEARS - 1)) days" +%F)\",\"to\":\"$UNTIL\"}"
cold "$t" "$(body "$STEERING" "$HISTORY")" | row "national dashboard, all $YEARS year(s), each after a change (median, worst)" 1
# Eight ANCT users at once on the national dashboard (their own tokens and sessions).
USERS=$DIR/$DB-anct-users.tsv
: >"$USERS"
for i in $(seq 1 8); do
  "$BIN" user grant "bench-anct$i@bench.fr" ANCT >/dev/null
  printf '%s\t-\n' "$(token "bench-anct$i@bench.fr")" >>"$USERS"
done
measure 8 BENCH_AGENTS="$USERS" BENCH_BODY="$(body "$STEERING")" | row "national dashboard, 8 ANCT users at once" 8
}
only fields && {
# The national dashboard field by field: what its time is made of.
t=$(token bench-anct@bench.fr)
for field in reporting supportRequests answerDelays missingReferents labelPipeline complianceGaps assessmentGap training satisfaction mysteryVisits coverage funding; do
  sub=$(echo "$STEERING" | python3 -c "
import re, sys
text = sys.stdin.read()
start = text.index('$field ')
depth, i = 0, text.index('{', start)
while True:
    depth += {'{': 1, '}': -1}.get(text[i], 0)
    i += 1
    if depth == 0: break
print(text[start:i])")
  BENCH_SECONDS=3 SECONDS_PER=3 measure 1 BENCH_TOKEN="$t" BENCH_BODY="$(body "$sub")" | row "national: $field only" 1
done
}

log "structures page and report entries"
t=$(token bench-prefet@bench.fr)
RECORD=$(jq -cn --arg q "mutation { recordReportEntry(input: { structure: \"%s\", occurredOn: \"$UNTIL\", partner: \"CAF\", theme: OTHER, helpKind: INFORMATION, resolvedOnSite: true, durationMinutes: 10 }) { id } }" '{query: $q}')
only page && for clients in 1 8 32; do
  measure "$clients" BENCH_TOKEN="$t" BENCH_BODY="$PAGE" | row "structures page (PREFECT 59)" "$clients"
done
# The reporting entries' first page, newest first (read from report_entry itself, across its
# months), for a department and for the nation; then with its total count, timed by curl.
only entries && {
  ENTRIES=$(jq -cn --arg q '{ reportEntries(first: 50) { edges { node { id occurredOn partner { code } theme } } pageInfo { hasNextPage } } }' '{query: $q}')
  COUNTED=$(jq -cn --arg q '{ reportEntries(first: 50) { totalCount edges { node { id } } } }' '{query: $q}')
  for who in prefet anct; do
    t=$(token "bench-$who@bench.fr")
    measure 1 BENCH_TOKEN="$t" BENCH_BODY="$ENTRIES" | row "report entries, first page ($who)" 1
    for _ in $(seq 1 5); do
      curl -s -o "$DIR/cold.json" -w '%{time_total}\n' "$URL" -H "Authorization: Bearer $t" -H 'Content-Type: application/json' -d "$COUNTED"
      if jq -e '.errors' "$DIR/cold.json" >/dev/null; then log "errors: $(jq -c .errors "$DIR/cold.json")"; exit 1; fi
    done | sort -n | awk '{ t[NR] = $1 * 1000 } END { printf "- %.1f %.1f %d 0\n", t[3], t[NR], NR }' | row "report entries with totalCount ($who; median, worst)" 1
  done
}
only writes && for clients in 1 8 32; do
  measure "$clients" BENCH_AGENTS="$AGENTS" BENCH_BODY="$RECORD" | row "report entry creation (agents)" "$clients"
done

PEAK=$(awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$SERVER/status")
# SQLite maps its file: the pages read count in the resident set, but they are the operating
# system's cache of the file, shared and given back under pressure. The server's own memory is
# the anonymous part.
OWN=$(awk '/RssAnon/ { printf "%.0f MB", $2 / 1024 }' "/proc/$SERVER/status")
MAPPED=$(awk '/RssFile/ { printf "%.0f MB", $2 / 1024 }' "/proc/$SERVER/status")
echo | tee -a "$OUT" >&2
echo "Server peak memory (VmHWM): $PEAK; at the end, its own (RssAnon) $OWN, file pages mapped (RssFile) $MAPPED." | tee -a "$OUT" >&2

# The web front: how soon the dashboard paints its first figures after navigation (issue 16).
if ! only paint; then
  :
elif command -v chromedriver >/dev/null || [ -x /usr/lib/chromium/chromedriver ]; then
  log "first figures painted in Chromium"
  {
    echo
    echo "Web front, first figures painted (ms from navigation; headless Chromium, a session from"
    echo "\`maillage session\`; cold = first load, then ${BENCH_PAINT_RUNS:-10} warm loads):"
    echo
    echo "| dashboard | cold | median | worst | GraphQL of the worst | figure painted | whole dashboard (median) |"
    echo "|---|---|---|---|---|---|---|"
  } >>"$OUT"
  for who in anct prefet; do
    case $who in
      anct) name="national (ANCT)" ;;
      prefet) name="department (PREFECT 59)" ;;
    esac
    python3 bench/paint.py "http://127.0.0.1:$PORT" "$("$BIN" session "bench-$who@bench.fr")" \
      "$name" "${BENCH_PAINT_RUNS:-10}" | tee -a "$OUT" >&2
  done
else
  log "no chromedriver (apt-get install chromium chromium-driver): the paint measure is skipped"
fi
log "results in $OUT"
