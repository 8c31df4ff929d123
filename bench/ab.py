#!/usr/bin/env python3
"""Interleaved A/B of two aqrankd binaries: batched ingest (1000 readings per POST, 4 clients,
a day of minute readings per round) and one past day's ranking (GET end to end), the two
daemons on one PostgreSQL cluster (a database each), rounds alternating A B / B A so that a
noisy machine hits both alike. Medians and per-round ratios on stdout.

    AQ_TEST_PG_URL=$(sh deploy/pg-local.sh url) python3 bench/ab.py OLD/aqrankd NEW/aqrankd
    (AB_STATIONS=300, AB_ROUNDS=8 by default)

AB_COLD=n (with AB_ROUNDS >= 4) then reads 2026-06-14 and 2026-06-12 in turn, n times each per
daemon, alternating A B / B A: a daemon's day cache holds two days and the read of a day also
reads the day before, so each of these reads is a first read (nothing of the day held), of a
day of 1000 × 1440 readings whose day before is loaded too; with the plain SQL aggregate over
2026-06-14's raw readings once per turn. Both databases are vacuumed and analyzed first (the
ingest's autovacuum would otherwise run through the first turns).

AB_RESTARTS=n then restarts each daemon n times, alternating A B / B A, and times the first GET
of the first round's day after each start (AB_SETTLE seconds after it listens, default 3, so
that its start-up work is done): the first read of a day after a daemon start, on the same
data for both, with the day before it loaded too (the quality of a live day reads it).

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
    n_cold = int(os.environ.get("AB_COLD", "0"))
    if n_cold:
        # What autovacuum does in the minutes after a day's ingest, done first, so that neither
        # the reads nor the SQL aggregate are timed against it (runs before 12-07 12:40 UTC
        # had it running through the first turns).
        for k in "AB":
            subprocess.run(["psql", db("ab_" + k.lower()), "-qc", "VACUUM ANALYZE"], check=True, capture_output=True)
    cold_reads = {"A": [], "B": []}
    cold_parts = {"A": [], "B": []}
    cold_sql = []
    sql_first = ("SELECT station_id, round(avg(pm10_h)) FROM (SELECT station_id, date_trunc('hour', observed_at) h, "
                 "avg(pm10) pm10_h FROM readings WHERE observed_at >= '2026-06-14 00:00+08' "
                 "AND observed_at < '2026-06-15 00:00+08' GROUP BY 1, 2 HAVING count(pm10) >= 45) x "
                 "GROUP BY station_id HAVING count(*) >= 20 ORDER BY 2")
    for r in range(n_cold):
        for day in ("2026-06-14", "2026-06-12"):
            for k in ("AB" if r % 2 == 0 else "BA"):
                t0 = time.monotonic()
                bench.request(d[k].port, "GET", f"/api/v1/ranking/{day}", token=None)
                ms = (time.monotonic() - t0) * 1000
                if day == "2026-06-14":
                    cold_reads[k].append(ms)
                    cold_parts[k].append(dict(re.findall(r"(\w+);dur=([\d.]+)", bench.request.server_timing or "")))
        cold_sql.append(bench.timed_sql(db("ab_a"), sql_first, runs=1))
        print("cold", r, {k: round(cold_reads[k][-1], 1) for k in "AB"}, {k: cold_parts[k][-1] for k in "AB"},
              "sql %.1f" % cold_sql[-1], flush=True)
    if n_cold:
        for k in "AB":
            print(k, "first read of 2026-06-14: median %.1f ms (load %.1f, render %.1f) of %d" % (
                statistics.median(cold_reads[k]), statistics.median(float(p["load"]) for p in cold_parts[k]),
                statistics.median(float(p["render"]) for p in cold_parts[k]), len(cold_reads[k])))
        sq = statistics.median(cold_sql)
        print("plain SQL aggregate median %.1f ms; SQL / first read: A %.1fx, B %.1fx; per turn B: %s" % (
            sq, sq / statistics.median(cold_reads["A"]), sq / statistics.median(cold_reads["B"]),
            [round(q / b, 1) for q, b in zip(cold_sql, cold_reads["B"])]))
        print("first read A/B %.2f; per turn A/B: %s" % (
            statistics.median(cold_reads["A"]) / statistics.median(cold_reads["B"]),
            [round(a / b, 2) for a, b in zip(cold_reads["A"], cold_reads["B"])]))
    restarts = int(os.environ.get("AB_RESTARTS", "0"))
    settle = float(os.environ.get("AB_SETTLE", "3"))
    first_day = "2026-06-14"
    cold = {"A": [], "B": []}
    cold_load = {"A": [], "B": []}
    sql = []  # bench/run.py's plain SQL aggregate over the day's raw readings, once per restart
    sql_text = ("SELECT station_id, round(avg(pm10_h)) FROM (SELECT station_id, date_trunc('hour', observed_at) h, "
                "avg(pm10) pm10_h FROM readings WHERE observed_at >= '2026-06-14 00:00+08' "
                "AND observed_at < '2026-06-15 00:00+08' GROUP BY 1, 2 HAVING count(pm10) >= 45) x "
                "GROUP BY station_id HAVING count(*) >= 20 ORDER BY 2")
    for r in range(restarts):
        for k in ("AB" if r % 2 == 0 else "BA"):
            d[k].stop()
            d[k] = D(db("ab_" + k.lower()), BIN[k])
            time.sleep(settle)
            t0 = time.monotonic()
            bench.request(d[k].port, "GET", f"/api/v1/ranking/{first_day}", token=None)
            cold[k].append((time.monotonic() - t0) * 1000)
            timing = dict(re.findall(r"(\w+);dur=([\d.]+)", bench.request.server_timing or ""))
            cold_load[k].append(float(timing.get("load", "nan")))
        sql.append(bench.timed_sql(db("ab_a"), sql_text, runs=1))
        print("restart", r, {k: round(cold[k][-1], 1) for k in "AB"}, "load", {k: cold_load[k][-1] for k in "AB"},
              flush=True)
finally:
    for k in "AB":
        d[k].stop()
if restarts:
    for k in "AB":
        print(k, "first read after a start: median %.1f ms (load %.1f ms) of %d" %
              (statistics.median(cold[k]), statistics.median(cold_load[k]), len(cold[k])))
    print("plain SQL aggregate: median %.1f ms; SQL / first read: A %.1fx, B %.1fx" % (
        statistics.median(sql), statistics.median(sql) / statistics.median(cold["A"]),
        statistics.median(sql) / statistics.median(cold["B"])))
    print("first read after a start, A/B %.2f; per restart A/B:" % (statistics.median(cold["A"]) / statistics.median(cold["B"])),
          [round(a / b, 2) for a, b in zip(cold["A"], cold["B"])])
for k in "AB":
    print(k, "ingest median %.0f readings/s" % statistics.median(res[k]), "ranking median %.1f ms" % statistics.median(rank[k]),
          "first read median %.1f ms" % statistics.median(first[k]))
print("B/A ingest %.3f" % (statistics.median(res["B"]) / statistics.median(res["A"])))
ratios = [b / a for a, b in zip(res["A"], res["B"])]
print("per-round B/A:", [round(x, 3) for x in ratios], "median %.3f" % statistics.median(ratios))
