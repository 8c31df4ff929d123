#!/usr/bin/env python3
"""Interleaved A/B of two aqrankd binaries: batched ingest (1000 readings per POST, 4 clients,
a day of minute readings per round) and one past day's ranking (GET end to end), the two
daemons on one PostgreSQL cluster (a database each), rounds alternating A B / B A so that a
noisy machine hits both alike. Medians and per-round ratios on stdout.

    AQ_TEST_PG_URL=$(sh deploy/pg-local.sh url) python3 bench/ab.py OLD/aqrankd NEW/aqrankd
    (AB_STATIONS=300, AB_ROUNDS=8 by default)

Build the old tree with `git worktree add` or `git archive REV | tar -x -C DIR; make -C DIR`.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402

if len(sys.argv) != 3 or not os.environ.get("AQ_TEST_PG_URL"):
    sys.exit(__doc__)
BIN = {"A": sys.argv[1], "B": sys.argv[2]}
base_url = os.environ["AQ_TEST_PG_URL"]


def db(name):
    return base_url.replace("/aqrank?", f"/{name}?")


class D(bench.Daemon):
    """bench.Daemon, but running the given binary."""

    def __init__(self, url, binary):
        self.log_path = tempfile.mktemp(prefix="ab-", suffix=".log")
        e = {"PATH": os.environ["PATH"], "AQRANK_DATABASE_URL": url, "AQRANK_LISTEN": "127.0.0.1:0",
             "AQRANK_ADMIN_TOKEN": bench.ADMIN, "AQRANK_NOW": bench.NOW, "AQRANK_THREADS": "16",
             "AQRANK_FINALIZE_AFTER": str(30 * 86400)}
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen([binary], env=e, stdout=subprocess.DEVNULL, stderr=self.logf)
        for _ in range(400):
            m = re.search(r"listening on http://[^:]+:(\d+)", open(self.log_path).read())
            if m:
                self.port = int(m.group(1))
                return
            time.sleep(0.05)
        raise RuntimeError(open(self.log_path).read())


N = int(os.environ.get("AB_STATIONS", "300"))
ROUNDS = int(os.environ.get("AB_ROUNDS", "8"))
d = {}
codes = None
for k in "AB":
    name = "ab_" + k.lower()
    subprocess.run(["psql", base_url, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
    subprocess.run(["psql", base_url, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    d[k] = D(db(name), BIN[k])
    codes, _ = bench.register(d[k].port, N)
res = {"A": [], "B": []}
rank = {"A": [], "B": []}
first = {"A": [], "B": []}
try:
    for r in range(ROUNDS):
        day = time.strftime("%Y-%m-%d", time.gmtime(time.mktime(time.strptime("2026-06-14", "%Y-%m-%d")) - r * 86400))
        bodies = bench.minute_readings(codes, day, 1440)
        order = "AB" if r % 2 == 0 else "BA"
        for k in order:
            s = bench.post_parallel(d[k].port, bodies, 4)
            res[k].append(1440 * N / s)
        for k in order:
            t, parts, t0, parts0 = bench.timed_get(d[k].port, f"/api/v1/ranking/{day}")
            rank[k].append(t); first[k].append(t0)
        print(r, day, {k: round(res[k][-1]) for k in "AB"}, {k: round(rank[k][-1], 1) for k in "AB"},
              {k: round(first[k][-1], 1) for k in "AB"}, flush=True)
finally:
    for k in "AB":
        d[k].stop()
for k in "AB":
    print(k, "ingest median %.0f readings/s" % statistics.median(res[k]), "ranking median %.1f ms" % statistics.median(rank[k]),
          "first read median %.1f ms" % statistics.median(first[k]))
print("B/A ingest %.3f" % (statistics.median(res["B"]) / statistics.median(res["A"])))
ratios = [b / a for a, b in zip(res["A"], res["B"])]
print("per-round B/A:", [round(x, 3) for x in ratios], "median %.3f" % statistics.median(ratios))
