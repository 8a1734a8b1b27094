#!/usr/bin/env bash
# Soak and fairness on PostgreSQL (issue 14), through HTTP GraphQL with real tokens:
#
#   bench/soak.sh            (BENCH_SCALE=0.05, SOAK_SECONDS=240, OUTAGE_SECONDS=15;
#                             SOAK_FAIRNESS_ONLY=1 stops after the fairness measure;
#                             SOAK_PG_SETTINGS adds PostgreSQL settings, e.g. "-c max_parallel_workers_per_gather=0")
#
# On a throwaway cluster (scripts/with-postgres.sh, production-like durability), imports the
# real sites, seeds the synthetic dataset, starts the release server and runs bench/soak.py:
#   1. fairness: p50/p95 of a prefect's structures page alone, then while four clients of an
#      operator send the heaviest dashboards the limits let through;
#   2. soak: 32 clients (24 readers, 8 writers recording report entries with idempotency
#      keys, retrying on failure) for SOAK_SECONDS, the cluster stopped (immediate, like a
#      crash) in the middle for OUTAGE_SECONDS; then every acknowledged entry is looked up in
#      the database (lost = acknowledged but absent) and the entries written are checked
#      against the keys (no key recorded twice).
# Results: target/bench/soak.md; bench/RESULTS.md holds the analysed figures.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCALE=${BENCH_SCALE:-0.05}
SOAK_SECONDS=${SOAK_SECONDS:-240}
OUTAGE_SECONDS=${OUTAGE_SECONDS:-15}
FAIR_SECONDS=${FAIR_SECONDS:-20}
DIR=${BENCH_DIR:-$ROOT/target/bench}
DATA=${MAILLAGE_SHARED_DATA:-$ROOT/../shared/data}
BIN=$ROOT/target/release/maillage
mkdir -p "$DIR"
for tool in jq python3 curl; do
  command -v "$tool" >/dev/null || { echo "soak: $tool is missing" >&2; exit 1; }
done

if [ "${1:-}" != inside ]; then
  export MAILLAGE_PG_SETTINGS="-c synchronous_commit=on -c shared_buffers=512MB ${SOAK_PG_SETTINGS:-}"
  exec scripts/with-postgres.sh "$0" inside
fi

log() { echo "soak: $*" >&2; }
PSQL=$(command -v psql || ls -1 /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
PGPORT=${MAILLAGE_TEST_DATABASE_URL##*:}
"$PSQL" -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE soak" >/dev/null
sql() { "$PSQL" -qtA -h 127.0.0.1 -p "$PGPORT" -U postgres -d soak -c "$1"; }
export MAILLAGE_DATABASE_URL="$MAILLAGE_TEST_DATABASE_URL/soak"
export MAILLAGE_JWT_SECRET=soak-secret-soak-secret-soak-secret-00
export MAILLAGE_DATA_KEY=c29hay1kYXRhLWtleS1zb2FrLWRhdGEta2V5LTAxMjM=
export MAILLAGE_DEMO_SEED=false MAILLAGE_LOG_FORMAT=json RUST_LOG=warn

cargo build --release -q
"$BIN" migrate >/dev/null
log "importing the real sites, seeding scale $SCALE"
"$BIN" import reference "$DATA" >/dev/null
"$BIN" import sites "$DATA/france-services-2024-08-01.csv" >/dev/null
"$BIN" seed synthetic --seed 42 --scale "$SCALE" >"$DIR/soak-seed.txt"
"$BIN" user grant soak-prefet@bench.fr PREFECT --department 59 >/dev/null
"$BIN" user grant soak-caf@bench.fr OPERATOR --partner CAF >/dev/null
token() { "$BIN" token "$1" --ttl 4h; }
PREFECT=$(token soak-prefet@bench.fr)
OPERATOR=$(token soak-caf@bench.fr)

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT/graphql
MAILLAGE_LISTEN=127.0.0.1:$PORT "$BIN" serve >"$DIR/soak-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null && break
  sleep 0.5
done

# Eight agents of the synthetic dataset and their structures: `token<TAB>matricule`.
AGENTS=$DIR/soak-agents.tsv
: >"$AGENTS"
for i in $(seq 0 7); do
  t=$(token "agent$i@synthetic.maillage.fr")
  m=$(curl -s "$URL" -H "Authorization: Bearer $t" -H 'Content-Type: application/json' \
    -d '{"query":"{ me { roles { structure { matricule } } } }"}' \
    | jq -r '.data.me.roles[0].structure.matricule')
  printf '%s\t%s\n' "$t" "$m" >>"$AGENTS"
done

log "fairness (${FAIR_SECONDS} s alone, ${FAIR_SECONDS} s with four abusive clients)"
python3 bench/soak.py fairness "$URL" "$PREFECT" "$OPERATOR" "$FAIR_SECONDS" >"$DIR/soak-fairness.json"
if [ -n "${SOAK_FAIRNESS_ONLY:-}" ]; then
  cat "$DIR/soak-fairness.json"
  exit 0
fi

BEFORE=$(sql "SELECT COUNT(*) FROM report_entry")
OUTAGE_AT=$((SOAK_SECONDS / 2))
log "soak: 32 clients for ${SOAK_SECONDS} s, database down at ${OUTAGE_AT} s for ${OUTAGE_SECONDS} s"
python3 bench/soak.py soak "$URL" "$AGENTS" "$PREFECT" "$SOAK_SECONDS" "$OUTAGE_AT" \
  "$OUTAGE_SECONDS" "$SERVER" "$DIR/soak-run.json" &
LOAD=$!
sleep "$OUTAGE_AT"
# shellcheck disable=SC2086 # MAILLAGE_PG_RUN_AS is a command prefix, empty or not
$MAILLAGE_PG_RUN_AS "$MAILLAGE_PG_CTL" -D "$MAILLAGE_PG_DATA" -m immediate stop >/dev/null
log "database stopped"
sleep "$OUTAGE_SECONDS"
# shellcheck disable=SC2086
$MAILLAGE_PG_RUN_AS "$MAILLAGE_PG_CTL" -D "$MAILLAGE_PG_DATA" -l "$MAILLAGE_PG_DATA/server.log" -w \
  -o "$MAILLAGE_PG_OPTIONS" start >/dev/null
log "database started again"
wait "$LOAD"

# Every acknowledged entry must be in the database, and no key recorded twice.
IDS=$(jq -r '.acknowledged[][1]' "$DIR/soak-run.json" | python3 -c '
import base64, sys
for line in sys.stdin:
    line = line.strip()
    if line:
        print(base64.urlsafe_b64decode(line + "=" * (-len(line) % 4)).decode().split(":")[1])
' | paste -sd, -)
ACKED=$(jq '.acknowledged | length' "$DIR/soak-run.json")
FOUND=0
if [ -n "$IDS" ]; then
  echo "SELECT COUNT(*) FROM report_entry WHERE id IN ($IDS)" >"$DIR/soak-found.sql"
  FOUND=$("$PSQL" -qtA -h 127.0.0.1 -p "$PGPORT" -U postgres -d soak -f "$DIR/soak-found.sql")
fi
AFTER=$(sql "SELECT COUNT(*) FROM report_entry")
KEYS=$(sql "SELECT COUNT(*) FROM idempotency_key WHERE operation = 'recordReportEntry'")
GIVEN_UP=$(jq '.given_up | length' "$DIR/soak-run.json")

{
  echo "# soak on PostgreSQL, $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB. Dataset: scale $SCALE."
  echo
  echo "## Fairness: a prefect's structures page (ms)"
  echo
  jq -r '"| | p50 | p95 | requests | codes |\n|---|---|---|---|---|\n| alone | \(.idle.p50|.*10|round/10) | \(.idle.p95|.*10|round/10) | \(.idle.n) | \(.idle.codes) |\n| with 4 abusive clients | \(.with_abusers.p50|.*10|round/10) | \(.with_abusers.p95|.*10|round/10) | \(.with_abusers.n) | \(.with_abusers.codes) |\n\np95 ratio: \(.p95_ratio|.*100|round/100). Abusive requests by code: \(.abusive_requests)."' "$DIR/soak-fairness.json"
  echo
  echo "## Soak: 32 clients, ${SOAK_SECONDS} s, database stopped at ${OUTAGE_AT} s for ${OUTAGE_SECONDS} s"
  echo
  echo "Responses by code: $(jq -c .codes "$DIR/soak-run.json")"
  echo
  echo "| window (s) | responses by code |"
  echo "|---|---|"
  jq -r '.per_window | to_entries[] | "| \(.key) | \(.value) |"' "$DIR/soak-run.json"
  echo
  echo "- entries acknowledged: $ACKED; found in the database: $FOUND; **lost: $((ACKED - FOUND))**"
  echo "- entries written during the soak: $((AFTER - BEFORE)); idempotency keys recorded: $KEYS (equal: no creation twice); writers that gave up: $GIVEN_UP"
  echo "- server memory (s, RSS KiB): $(jq -c '.memory_kib' "$DIR/soak-run.json")"
} >"$DIR/soak.md"
cat "$DIR/soak.md"
