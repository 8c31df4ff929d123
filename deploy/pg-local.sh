#!/bin/sh
# A project-local PostgreSQL 15 cluster for development, tests and benchmarks.
#
#   deploy/pg-local.sh start|stop|restart|status|url|psql|destroy
#   deploy/pg-local.sh standby|standby-url|standby-stop|standby-promote
#
# The cluster lives in a private directory made with mktemp under /tmp, whose path is recorded
# in $AQ_PG_STATE/dir (default ./var/pg/dir): PostgreSQL refuses to run as root, so as root the
# cluster runs as the `postgres` user, which may not be allowed into the clone's folder; /tmp is
# also short enough for the Unix socket path. Only a Unix socket is opened (no TCP port), so
# several clusters never collide. The superuser and database are both called `aqrank`.
#
# `standby` makes a streaming hot standby of that cluster (pg_basebackup over the primary's
# socket, then streaming replication; its own private directory, recorded in
# $AQ_PG_STATE/standby-dir) for AQRANK_READ_DSN: `standby-url` prints its URL, `standby-stop`
# stops it (destroy removes both). hot_standby_feedback is on, so long reads on the standby are
# not cancelled by the primary's vacuum.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${AQ_PG_STATE:-$ROOT/var/pg}
PGBIN=${AQ_PGBIN:-/usr/lib/postgresql/15/bin}
DBNAME=${AQ_PG_DB:-aqrank}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cluster_dir() {
  [ -f "$STATE/dir" ] && cat "$STATE/dir" || true
}

standby_dir() {
  [ -f "$STATE/standby-dir" ] && cat "$STATE/standby-dir" || true
}

standby_running() {
  s=$(standby_dir)
  [ -n "$s" ] && [ -d "$s/data" ] && as_owner "$PGBIN/pg_ctl" -D "$s/data" status >/dev/null 2>&1
}

standby_url() {
  s=$(standby_dir)
  [ -n "$s" ] || { echo "pg-local: no standby (run: $0 standby)" >&2; exit 1; }
  echo "postgresql:///$DBNAME?host=$s&user=aqrank"
}

standby() {
  d=$(cluster_dir)
  running || { echo "pg-local: the primary is not running (run: $0 start)" >&2; exit 1; }
  s=$(standby_dir)
  if [ -z "$s" ] || [ ! -d "$s/data" ]; then
    s=$(mktemp -d /tmp/aqrank-pgs.XXXXXX)
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$s"; fi
    # -R writes standby.signal and primary_conninfo (the primary's socket directory).
    as_owner "$PGBIN/pg_basebackup" -h "$d" -U aqrank -D "$s/data" -R -X stream -c fast \
      >"$STATE/basebackup.log" 2>&1 || { cat "$STATE/basebackup.log" >&2; exit 1; }
    cat >>"$s/data/postgresql.conf" <<CONF
unix_socket_directories = '$s'
hot_standby = on
hot_standby_feedback = on
CONF
    echo "$s" >"$STATE/standby-dir"
  fi
  if ! standby_running; then
    as_owner "$PGBIN/pg_ctl" -D "$s/data" -l "$s/log" -w -t 60 start >/dev/null || {
      tail -n 20 "$s/log" >&2; exit 1; }
  fi
}

standby_stop() {
  if standby_running; then as_owner "$PGBIN/pg_ctl" -D "$(standby_dir)/data" -m fast -w stop >/dev/null; fi
}

url() {
  d=$(cluster_dir)
  [ -n "$d" ] || { echo "pg-local: no cluster (run: $0 start)" >&2; exit 1; }
  echo "postgresql:///$DBNAME?host=$d&user=aqrank"
}

running() {
  d=$(cluster_dir)
  [ -n "$d" ] && [ -d "$d/data" ] && as_owner "$PGBIN/pg_ctl" -D "$d/data" status >/dev/null 2>&1
}

create() {
  mkdir -p "$STATE"
  d=$(mktemp -d /tmp/aqrank-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$d"; fi
  as_owner "$PGBIN/initdb" -D "$d/data" -U aqrank -A trust -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 || {
    cat "$STATE/initdb.log" >&2; exit 1; }
  cat >>"$d/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$d'
port = 5432
max_connections = 200
shared_buffers = 128MB
log_min_messages = warning
log_min_error_statement = panic
CONF
  echo "$d" >"$STATE/dir"
}

start() {
  d=$(cluster_dir)
  if [ -z "$d" ] || [ ! -d "$d/data" ]; then create; d=$(cluster_dir); fi
  if ! running; then
    as_owner "$PGBIN/pg_ctl" -D "$d/data" -l "$d/log" -w -t 60 start >/dev/null || {
      tail -n 20 "$d/log" >&2; exit 1; }
  fi
  as_owner "$PGBIN/psql" -h "$d" -U aqrank -d postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'" | grep -q 1 ||
    as_owner "$PGBIN/createdb" -h "$d" -U aqrank "$DBNAME"
}

stop() {
  if running; then as_owner "$PGBIN/pg_ctl" -D "$(cluster_dir)/data" -m fast -w stop >/dev/null; fi
}

case "${1:-}" in
start) start; echo "pg-local: running at $(url)" ;;
stop) stop ;;
restart) stop; start ;;
status) if running; then echo "running: $(url)"; else echo "stopped"; exit 3; fi ;;
url) url ;;
standby) standby; echo "pg-local: standby streaming at $(standby_url)" ;;
standby-url) standby_url ;;
standby-stop) standby_stop ;;
standby-promote) as_owner "$PGBIN/pg_ctl" -D "$(standby_dir)/data" -w promote >/dev/null ;;
psql) shift; as_owner "$PGBIN/psql" -h "$(cluster_dir)" -U aqrank -d "$DBNAME" "$@" ;;
destroy)
  standby_stop
  s=$(standby_dir)
  case "$s" in /tmp/aqrank-pgs.*) rm -rf "$s" ;; esac
  stop
  d=$(cluster_dir)
  case "$d" in /tmp/aqrank-pg.*) rm -rf "$d" ;; esac
  rm -rf "$STATE" ;;
*) echo "usage: $0 start|stop|restart|status|url|psql|destroy|standby|standby-url|standby-stop|standby-promote" >&2; exit 2 ;;
esac
