#!/usr/bin/env python3
"""Batched ingest of two (or more) aqrankd binaries, alternated round by round on one
PostgreSQL cluster (a database each): per round and binary, a day of minute readings in
bodies of 1000 (bench/run.py's minute_readings, 4 clients), then the COPY ceiling
(bench/copy_bench, 4 clients, 1000-row batches) into a fresh table of the same database —
so each figure has its ceiling next to it, as in phase_ingest — and the CPU the daemon and
the cluster's backends spent per 1000 readings (from /proc: steadier than rates on a shared
machine). Each phase is followed by VACUUM ANALYZE and a checkpoint (settle), so neither
phase pays for the other's autovacuum or full-page images; "with VACUUM" counts that VACUUM's
time in the phase it followed (the ingest leaves dead rows behind, COPY does not). Medians
on stdout.

    AQ_TEST_PG_URL=$(sh deploy/pg-local.sh url) AQ_PG_STATE=var/dev-pg \\
        python3 bench/ingest_ab.py OLD/aqrankd NEW/aqrankd   (AB_STATIONS=1000, AB_ROUNDS=4)

AB_SQL_<k> runs SQL in binary k's database once it is set up, AB_ENV_<k> ("NAME=value ...")
adds to binary k's environment (experiments: the same binary twice, one changed).
"""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402

if len(sys.argv) < 3 or not os.environ.get("AQ_TEST_PG_URL") or not os.environ.get("AQ_PG_STATE"):
    sys.exit(__doc__)
base = os.environ["AQ_TEST_PG_URL"]
bins = sys.argv[1:]
N = int(os.environ.get("AB_STATIONS", "1000"))
ROUNDS = int(os.environ.get("AB_ROUNDS", "4"))
pg_dir = open(os.path.join(os.environ["AQ_PG_STATE"], "dir")).read().strip()
TICK = os.sysconf("SC_CLK_TCK")


def postmaster():
    return int(open(os.path.join(pg_dir, "data", "postmaster.pid")).readline())


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def cluster_cpu_s(parent):
    """CPU of the postmaster's children: those alive now (the daemon's backends live as long as
    its connections) and those it has reaped (the COPY ceiling's backends end with it)."""
    f = open(f"/proc/{parent}/stat").read().rsplit(")", 1)[1].split()
    t = (int(f[13]) + int(f[14])) / TICK
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
                if int(f[1]) == parent:
                    t += (int(f[11]) + int(f[12])) / TICK
            except (OSError, IndexError, ValueError):
                pass
    return t


def settle(url):
    """After a phase: its rows vacuumed (else an autovacuum worker's CPU is charged to
    whichever phase it overlaps) and a checkpoint taken (the full-page images after one cost
    whichever phase follows it). Returns the seconds VACUUM took, which the phase owes."""
    t0 = time.monotonic()
    bench.psql(url, "VACUUM ANALYZE")
    seconds = time.monotonic() - t0
    bench.psql(url, "CHECKPOINT")
    return seconds


bench.build_tools()
daemons, urls = [], []
codes = None
for k, binary in enumerate(bins):
    name = f"ingest_ab_{k}"
    subprocess.run(["psql", base, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
    subprocess.run(["psql", base, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    urls.append(base.replace("/aqrank?", f"/{name}?"))
    os.environ["BENCH_AQRANKD"] = binary
    extra = dict(kv.split("=", 1) for kv in os.environ.get(f"AB_ENV_{k}", "").split())
    daemons.append(bench.Daemon(urls[-1], **extra))
    codes, _ = bench.register(daemons[-1].port, N)
    if os.environ.get(f"AB_SQL_{k}"):  # an experiment on one binary's database (AB_SQL_1=...)
        bench.psql(urls[-1], os.environ[f"AB_SQL_{k}"])
res = [{"rps": [], "ratio": [], "ratio_vac": [], "daemon": [], "pg": [], "copy_pg": [], "copy_client": []}
       for _ in bins]
try:
    for r in range(ROUNDS):
        day = time.strftime("%Y-%m-%d", time.gmtime(time.mktime(time.strptime(bench.PAST, "%Y-%m-%d")) - r * 86400))
        bodies = bench.minute_readings(codes, day, 1440)
        order = list(range(len(bins))) if r % 2 == 0 else list(reversed(range(len(bins))))
        for k in order:
            settle(urls[k])
            pm = postmaster()
            c0, p0 = cpu_s(daemons[k].proc.pid), cluster_cpu_s(pm)
            seconds = bench.post_parallel(daemons[k].port, bodies, 4)
            c1, p1 = cpu_s(daemons[k].proc.pid), cluster_cpu_s(pm)
            rps = 1440 * N / seconds
            vacuum = settle(urls[k])
            bench.psql(urls[k], "DROP TABLE IF EXISTS readings_copy; "
                       "CREATE TABLE readings_copy (LIKE readings INCLUDING ALL)")
            p2, u2 = cluster_cpu_s(pm), os.times()
            copy = float(bench.sh(f"{bench.OUT}/copy_bench", urls[k], "4", str(max(4, 1440 * N // 4000)), "1000").strip())
            p3, u3 = cluster_cpu_s(pm), os.times()
            copy_vacuum = settle(urls[k])
            thousands = 1440 * N / 1000
            x = res[k]
            x["rps"].append(rps)
            x["ratio"].append(rps / copy)
            # The same with each phase's VACUUM counted in its time.
            x["ratio_vac"].append((1440 * N / (seconds + vacuum)) / (1440 * N / (1440 * N / copy + copy_vacuum)))
            x["daemon"].append((c1 - c0) / thousands * 1000)
            x["pg"].append((p1 - p0) / thousands * 1000)
            x["copy_pg"].append((p3 - p2) / thousands * 1000)
            x["copy_client"].append((u3.children_user + u3.children_system - u2.children_user - u2.children_system)
                                    / thousands * 1000)
            print(r, day, os.path.basename(os.path.dirname(bins[k])) or bins[k], f"ingest {rps:.0f}/s", f"copy {copy:.0f}/s",
                  f"ratio {rps / copy:.3f}", f"with VACUUM {x['ratio_vac'][-1]:.3f}", f"daemon {x['daemon'][-1]:.2f} ms", f"postgres {x['pg'][-1]:.2f} ms",
                  "CPU per 1000 readings;", f"COPY: postgres {x['copy_pg'][-1]:.2f} ms, client {x['copy_client'][-1]:.2f} ms",
                  flush=True)
finally:
    for d in daemons:
        d.stop()
for k, binary in enumerate(bins):
    x = res[k]
    print(binary, "ingest %.0f readings/s" % statistics.median(x["rps"]),
          "ratio to COPY %.3f" % statistics.median(x["ratio"]), [round(v, 3) for v in x["ratio"]],
          "with VACUUM %.3f" % statistics.median(x["ratio_vac"]),
          "CPU per 1000 readings: daemon %.2f ms, postgres %.2f ms" % (statistics.median(x["daemon"]),
                                                                       statistics.median(x["pg"])),
          "COPY's: postgres %.2f ms, client %.2f ms" % (statistics.median(x["copy_pg"]),
                                                        statistics.median(x["copy_client"])))
