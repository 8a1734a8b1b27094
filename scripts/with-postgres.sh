#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster, then removes the cluster.
#
#   scripts/with-postgres.sh cargo test
#
# Installs the PostgreSQL server from Debian's packages if the machine lacks it, starts a
# cluster on a free local port (trust authentication, loopback only, data in a temporary
# folder), exports MAILLAGE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:PORT (the test
# suite creates one database per test on it) and runs the command.
# MAILLAGE_PG_SETTINGS replaces the test settings (no fsync) with others, e.g. for bench/.
set -euo pipefail

find_bin() {
  local name=$1 found
  found=$(command -v "$name" 2>/dev/null || true)
  if [ -z "$found" ]; then
    found=$(ls -1 /usr/lib/postgresql/*/bin/"$name" 2>/dev/null | sort -V | tail -n 1 || true)
  fi
  printf '%s' "$found"
}

if [ -z "$(find_bin initdb)" ] || [ -z "$(find_bin pg_ctl)" ]; then
  echo "with-postgres: installing the PostgreSQL server (Debian packages)" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "with-postgres: PostgreSQL is missing and installing it needs root (apt-get install postgresql)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq postgresql >/dev/null
fi
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)

# The server refuses to run as root: run it as the `postgres` system user when we are root.
run_as=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  run_as=(runuser -u postgres --)
fi

PGDATA=$(mktemp -d /tmp/maillage-pg.XXXXXX)
chmod 700 "$PGDATA"
[ ${#run_as[@]} -eq 0 ] || chown postgres "$PGDATA"
PORT=${MAILLAGE_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

cleanup() {
  "${run_as[@]}" "$PG_CTL" -D "$PGDATA" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap cleanup EXIT

"${run_as[@]}" "$INITDB" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$PG_CTL" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDATA -c max_connections=300 ${MAILLAGE_PG_SETTINGS:--c fsync=off -c synchronous_commit=off -c full_page_writes=off}" \
  start >/dev/null
echo "with-postgres: PostgreSQL $("${run_as[@]}" "$(dirname "$PG_CTL")/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2

export MAILLAGE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT"
# For bench/soak.sh, which stops and restarts the cluster in the middle of a run.
export MAILLAGE_PG_CTL="$PG_CTL" MAILLAGE_PG_DATA="$PGDATA" MAILLAGE_PG_RUN_AS="${run_as[*]}"
export MAILLAGE_PG_OPTIONS="-c listen_addresses=127.0.0.1 -p $PORT -k $PGDATA -c max_connections=300 ${MAILLAGE_PG_SETTINGS:--c fsync=off -c synchronous_commit=off -c full_page_writes=off}"
"$@"
