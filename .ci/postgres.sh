#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1:$PGPORT and print the DATABASE_URL for it.
# Usage: eval "$(.ci/postgres.sh start)"; ...; .ci/postgres.sh stop
set -euo pipefail
PGPORT=${PGPORT:-54329}
STATE=${PGSTATE:-/tmp/harbor-pg}

start() {
  if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  stop >/dev/null 2>&1 || true
  rm -rf "$STATE" && mkdir -p "$STATE/data" "$STATE/run"
  chown -R postgres:postgres "$STATE"
  su postgres -c "$bin/initdb -D $STATE/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >&2
  su postgres -c "$bin/pg_ctl -D $STATE/data -l $STATE/run/pg.log -w -o '-p $PGPORT -k $STATE/run -c listen_addresses=127.0.0.1 -c fsync=off' start" >&2
  psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres \
    -c "CREATE ROLE harbor LOGIN PASSWORD 'harbor'" \
    -c "CREATE DATABASE harbor_test OWNER harbor" >&2
  echo "export DATABASE_URL=postgresql+psycopg://harbor:harbor@127.0.0.1:$PGPORT/harbor_test"
}

stop() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  su postgres -c "$bin/pg_ctl -D $STATE/data -m fast -w stop"
}

"$@"
