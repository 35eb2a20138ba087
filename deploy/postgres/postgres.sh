#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback for local runs and tests.
#
#   deploy/postgres/postgres.sh install       install PostgreSQL from Debian's packages if absent
#   deploy/postgres/postgres.sh start [PORT]  initdb under $PG_HOME_DIR, start, create databases
#   deploy/postgres/postgres.sh stop          stop it
#   deploy/postgres/postgres.sh restart       fast stop, start again on the same data
#   deploy/postgres/postgres.sh status        print the DSN prefix if running
#
# One database per service (intake, routing, settlement, analytics, notifications), user `complaints`.
# PostgreSQL refuses to run as root, so when we are root the cluster runs as the `postgres`
# OS user that Debian's package creates.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
home=${PG_HOME_DIR:-$root/var/postgres}
port=${2:-${PG_PORT:-15432}}
databases=(intake routing settlement analytics notifications)

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

install() {
  if [ -n "$(bindir)" ] && [ -x "$(bindir)/initdb" ]; then return 0; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  # Debian's package starts a system cluster; ours is separate, so stop it.
  service postgresql stop >/dev/null 2>&1 || true
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# As root, the cluster's folder must be reachable by the postgres user. The services run with
# umask 077, so a `make run` before this creates var/ as 0700: give the folders between the
# project and $home search permission (o+x: enter, not list; what is in them stays private).
# Above the project nothing is changed; if one of those folders shuts postgres out, say so.
reachable_by_postgres() {
  [ "$(id -u)" = 0 ] || return 0
  local dir; dir=$(dirname "$home")
  while [ "$dir" != "/" ]; do
    case "$dir/" in "$root"/*) chmod o+x "$dir" ;; esac
    dir=$(dirname "$dir")
  done
  if ! runuser -u postgres -- test -x "$home"; then
    echo "the postgres user cannot reach $home: give it search permission (o+x) on the" \
         "folders above it, or set PG_HOME_DIR to a folder it can reach" >&2
    exit 1
  fi
}

start() {
  install
  local bin; bin=$(bindir)
  if [ -f "$home/port" ] && as_owner "$bin/pg_ctl" -D "$home/data" status >/dev/null 2>&1; then
    echo "postgresql://complaints:complaints@127.0.0.1:$(cat "$home/port")"; return 0
  fi
  rm -rf "$home"; mkdir -p "$home/data" "$home/run"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$home"
  reachable_by_postgres
  if ! as_owner "$bin/initdb" -D "$home/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$home/initdb.log" 2>&1; then
    echo "initdb failed:" >&2; tail -5 "$home/initdb.log" >&2; exit 1
  fi
  as_owner "$bin/pg_ctl" -D "$home/data" -l "$home/postgres.log" -w -t 60 \
    -o "-p $port -k $home/run -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${PG_FSYNC:-on} -c shared_buffers=256MB" start >/dev/null
  echo "$port" > "$home/port"
  local psql=("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -q)
  as_owner "${psql[@]}" -c "CREATE ROLE complaints LOGIN CREATEDB PASSWORD 'complaints'"
  for db in "${databases[@]}"; do
    as_owner "${psql[@]}" -c "CREATE DATABASE $db OWNER complaints"
  done
  echo "postgresql://complaints:complaints@127.0.0.1:$port"
}

stop() {
  local bin; bin=$(bindir)
  [ -n "$bin" ] && [ -d "$home/data" ] || return 0
  as_owner "$bin/pg_ctl" -D "$home/data" -m fast -w stop >/dev/null 2>&1 || true
}

status() {
  local bin; bin=$(bindir)
  if [ -n "$bin" ] && [ -d "$home/data" ] && as_owner "$bin/pg_ctl" -D "$home/data" status >/dev/null 2>&1; then
    echo "postgresql://complaints:complaints@127.0.0.1:$(cat "$home/port")"
  else
    echo "not running"; return 1
  fi
}

# Stop (fast: connections are cut) and start again on the same data and port.
restart() {
  local bin; bin=$(bindir)
  as_owner "$bin/pg_ctl" -D "$home/data" -l "$home/postgres.log" -w -t 60 -m fast restart >/dev/null
  status
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  status) status ;;
  *) echo "usage: $0 install|start [PORT]|stop|restart|status" >&2; exit 2 ;;
esac
