#!/bin/sh
# Runs the benchmarks (bench/run.py): builds what it needs, starts a throw-away PostgreSQL
# cluster (var/bench-pg), prints the table of figures and ceilings, removes the cluster.
set -eu
cd "$(dirname "$0")/.."
AQ_EXTRA_PKGS="wrk" sh deploy/install-deps.sh
make -s all
exec python3 bench/run.py "$@"
