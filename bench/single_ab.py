#!/usr/bin/env python3
"""Single-reading POSTs of two builds against pgbench's insert+commit, in alternation:
`python3 bench/single_ab.py OLD/aqrankd NEW/aqrankd` (BENCH_SECONDS, BENCH_ROUNDS as for
bench/run.py; at most 4 rounds, the keys of wrk's script repeat after 5 runs). The figure of
bench/run.py's ingest phase without its batched rounds: each build on its own database of
1000 stations, 64 wrk connections, pgbench with 8 clients after each pair of rounds."""
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as b  # noqa: E402


def main():
    builds = sys.argv[1:3]
    if len(builds) != 2:
        sys.exit(__doc__)
    os.chdir(b.ROOT)
    b.build_tools()
    b.pg("destroy")
    base = b.pg("start").split("running at ")[-1]
    daemons = []
    try:
        for i, binary in enumerate(builds):
            url = b.db_url(base, f"bench_ab{i}")
            b.psql(base, f"CREATE DATABASE bench_ab{i}")
            os.environ["BENCH_AQRANKD"] = binary
            d = b.Daemon(url)
            daemons.append((d, b.register(d.port, 1000)[1]))
        url = b.db_url(base, "bench_ab0")
        b.psql(url, "CREATE TABLE readings_pg (LIKE readings INCLUDING ALL)")
        pgb = os.path.join(b.OUT, "insert.sql")
        with open(pgb, "w") as f:
            f.write("\\set sid random(1, 1000000000)\n"
                    "INSERT INTO readings_pg (station_id, observed_at, pm25, pm10) "
                    "VALUES (:sid, now(), 35, 70) ON CONFLICT DO NOTHING;\n")
        host = re.search(r"host=([^&]+)", url).group(1)

        def pgbench(seconds):
            out = b.sh(f"{b.PGBIN}/pgbench", "-h", host, "-U", "aqrank", "-n", "-c", "8", "-j", "2",
                       "-T", str(seconds), "-f", pgb, "bench_ab0")
            return float(re.search(r"tps = ([\d.]+)", out).group(1))

        def post(i, run, seconds=None):
            d, tokens = daemons[i]
            script = b.write_single_post_script(tokens)
            return b.wrk(f"http://127.0.0.1:{d.port}/", script=script, seconds=seconds, run=run)

        for i in range(2):
            post(i, 0, seconds=3)
        pgbench(3)
        rounds = {0: [], 1: []}
        tps = []
        for k in range(min(b.ROUNDS, 4)):
            order = (0, 1) if k % 2 == 0 else (1, 0)
            for i in order:
                r = post(i, k + 1)
                rounds[i].append(r["rps"])
                b.log(f"round {k + 1} build {i}: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.1f} ms, non-2xx {r['non2xx']}")
            tps.append(pgbench(b.SECONDS))
            b.log(f"round {k + 1} pgbench: {tps[-1]:.0f} tps")
        pg_median = statistics.median(tps)
        for i, binary in enumerate(builds):
            m = statistics.median(rounds[i])
            ratios = [r / t for r, t in zip(rounds[i], tps)]
            print(f"{binary}: {m:.0f} req/s (rounds {', '.join(f'{r:.0f}' for r in rounds[i])}), "
                  f"/ pgbench {pg_median:.0f} = {m / pg_median:.2f} "
                  f"(per round {', '.join(f'{r:.2f}' for r in ratios)})")
        print(f"pgbench rounds: {', '.join(f'{t:.0f}' for t in tps)}")
        for i, (d, _) in enumerate(daemons):
            text = b.request(d.port, "GET", "/metrics")[0].decode()
            found = dict(re.findall(r"^(aqrank_ingest_group(?:s|_requests)_total) (\d+)$", text, re.M))
            if len(found) == 2:
                groups, requests = int(found["aqrank_ingest_groups_total"]), int(found["aqrank_ingest_group_requests_total"])
                print(f"{builds[i]}: {requests} requests in {groups} group commits, {requests / groups:.1f} a group")
    finally:
        for d, _ in daemons:
            d.stop()
        b.pg("destroy")


if __name__ == "__main__":
    main()
