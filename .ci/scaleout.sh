#!/usr/bin/env bash
# Harbor on several servers, on one machine: a throwaway PostgreSQL and Redis, two gunicorn
# instances (2 workers each, as two hosts would run them) and one mail worker, then
# .ci/scaleout_smoke.py against both instances. Everything it starts is stopped on exit.
# Usage: bash .ci/scaleout.sh   (or `make scaleout-smoke`); run as root to install packages.
# SCALEOUT_PGPORT, SCALEOUT_REDIS_PORT and SCALEOUT_STATE choose where it runs.
set -euo pipefail
cd "$(dirname "$0")/.."

PGPORT=${SCALEOUT_PGPORT:-54334}
REDIS_PORT=${SCALEOUT_REDIS_PORT:-6390}
STATE=${SCALEOUT_STATE:-/tmp/harbor-scaleout}
PGSTATE=$STATE/pg
BIN=.venv/bin
PIDS=()

log() { echo "scaleout: $*" >&2; }

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  stop_leftovers
  if [[ $status -ne 0 ]]; then
    for file in "$STATE"/*.log; do
      [[ -f $file ]] || continue
      echo "---- last lines of $file" >&2
      tail -n 25 "$file" >&2
    done
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

install_redis_if_missing() {
  command -v redis-server >/dev/null && return
  if [[ $(id -u) -ne 0 ]]; then
    log "redis-server is missing; install Debian's redis-server (or run this as root)"
    exit 1
  fi
  log "installing redis-server"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
}

# A run killed outright (kill -9) leaves its servers behind; this one starts afresh.
stop_leftovers() {
  if [[ -f $STATE/redis.pid ]]; then
    kill -TERM "$(cat "$STATE/redis.pid")" 2>/dev/null || true
  fi
  if [[ -d $PGSTATE/data ]]; then
    PGPORT=$PGPORT PGSTATE=$PGSTATE .ci/postgres.sh stop >/dev/null 2>&1 || true
  fi
}

free_port() {
  "$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_postgres() {
  # postgres.sh makes a fresh cluster with the role harbor; the smoke gets a database of its own.
  PGPORT=$PGPORT PGSTATE=$PGSTATE .ci/postgres.sh start >/dev/null
  psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE harbor_smoke OWNER harbor"
  export DATABASE_URL=postgresql+psycopg://harbor:harbor@127.0.0.1:$PGPORT/harbor_smoke
}

start_redis() {
  local password
  password=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(16))')
  # No snapshots: counts that vanish with a restart cost nothing but a few free tries.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --requirepass "$password" \
    --save '' --appendonly no --daemonize yes --dir "$STATE" \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"
  for _ in $(seq 50); do
    REDISCLI_AUTH=$password redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
  done
  export RATELIMIT_STORAGE_URI="redis://:$password@127.0.0.1:$REDIS_PORT/0"
  # Visitors' pages, kept where both instances find them (forum/page_cache.py).
  export HARBOR_CACHE_URL="redis://:$password@127.0.0.1:$REDIS_PORT/1"
}

# Each instance gets its own instance folder, as separate hosts would: they share nothing
# on disk, only PostgreSQL, Redis and the environment.
start_instance() {
  local name=$1 port=$2
  mkdir -p "$STATE/$name"
  HARBOR_INSTANCE_PATH=$STATE/$name "$BIN/gunicorn" -c deploy/gunicorn.conf.py \
    --workers 2 --bind "127.0.0.1:$port" wsgi:app >"$STATE/$name.log" 2>&1 &
  PIDS+=($!)
}

main() {
  make --no-print-directory .venv/.app-deps
  install_redis_if_missing
  stop_leftovers
  rm -rf "$STATE" && mkdir -p "$STATE"
  start_postgres
  start_redis
  local port_a port_b
  port_a=$(free_port)
  port_b=$(free_port)
  while [[ $port_b == "$port_a" ]]; do port_b=$(free_port); done

  export SECRET_KEY
  SECRET_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(48))')
  export HARBOR_PROXY_COUNT=1 HARBOR_FIRST_POSTS_HELD=0 RATELIMIT_ENABLED=1
  export HARBOR_BASE_URL=http://127.0.0.1:$port_a MAIL_URL=file:$STATE/mail
  unset GUNICORN_CMD_ARGS

  log "migrating and seeding $DATABASE_URL once"
  HARBOR_INSTANCE_PATH=$STATE/a "$BIN/flask" --app wsgi db upgrade 2>"$STATE/migrate.log"
  HARBOR_INSTANCE_PATH=$STATE/a "$BIN/flask" --app wsgi seed >&2

  log "starting A on :$port_a and B on :$port_b (2 workers each), the mail worker beside A"
  start_instance a "$port_a"
  start_instance b "$port_b"
  HARBOR_INSTANCE_PATH=$STATE/a "$BIN/flask" --app wsgi mail send --loop --interval 1 \
    >"$STATE/mail-worker.log" 2>&1 &
  PIDS+=($!)

  "$BIN/python" .ci/scaleout_smoke.py "http://127.0.0.1:$port_a" "http://127.0.0.1:$port_b" \
    --mail-dir "$STATE/mail"
}

main "$@"
