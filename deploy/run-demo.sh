#!/bin/sh
# make run: start the local PostgreSQL, migrate, start aqrankd, seed the demo stations (one
# national control point and micro-stations around it in Beijing's Dongcheng district), print
# their tokens and curl commands, and keep the daemon in the foreground until Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
mkdir -p var
sh deploy/pg-local.sh start >/dev/null
URL=$(sh deploy/pg-local.sh url)

# A per-checkout admin token, made once from the OS random source.
if [ ! -s var/admin-token ]; then
  (umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' > var/admin-token)
fi
ADMIN=$(cat var/admin-token)

LISTEN=${AQRANK_LISTEN:-}
if [ -z "$LISTEN" ]; then
  if python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 8080))' 2>/dev/null; then
    LISTEN=127.0.0.1:8080
  else
    LISTEN=127.0.0.1:0
  fi
fi

export AQRANK_DATABASE_URL="$URL" AQRANK_ADMIN_TOKEN="$ADMIN" AQRANK_LISTEN="$LISTEN"
./build/aqrankd migrate
./build/aqrankd 2> var/aqrankd.log &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID; exit 0' INT TERM
PORT=""
for _ in $(seq 1 100); do
  PORT=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' var/aqrankd.log | head -n 1)
  [ -n "$PORT" ] && break
  kill -0 $PID 2>/dev/null || { cat var/aqrankd.log; exit 1; }
  sleep 0.1
done
BASE="http://127.0.0.1:$PORT"
python3 deploy/seed_demo.py "$BASE" "$ADMIN" deploy/demo-stations.json
echo
echo "aqrankd is running at $BASE  (dashboard: $BASE/ ; log: var/aqrankd.log; Ctrl-C stops it)"
# The log follows the daemon: --pid ends tail when aqrankd ends, however it ends (Ctrl-C, a
# crash, `kill`, SIGTERM from systemd-run), so make run never leaves a process behind.
tail -n +1 -f --pid=$PID var/aqrankd.log &
TAIL=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID; kill $TAIL 2>/dev/null; exit 0' INT TERM
set +e
wait $PID
CODE=$?
set -e
kill $TAIL 2>/dev/null || true
wait $TAIL 2>/dev/null || true
[ $CODE -eq 0 ] || echo "aqrankd exited with status $CODE (log: var/aqrankd.log)" >&2
exit $CODE
