#!/usr/bin/env python3
"""aqrank benchmarks: every figure next to the ceiling measured in the same run.

  bench/run.sh            (or: make bench)

Phases (BENCH_SECONDS per load phase, default 10; BENCH_SOAK soak seconds, default 300;
BENCH_THREADS worker threads for aqrankd and the static server, default 16; BENCH_ROUNDS rounds
of the HTTP figures, default 3, medians reported):
  1+2. GET /api/v1/ranking/today, 200 stations, 64 connections, and revalidation
     (If-None-Match), each in alternation with the static ceiling: a minimal libmicrohttpd
     server (bench/static_server.c) returning a fixed 2 KB JSON body
  3. batched ingest, 1000 readings per POST (1000 stations x 1440 readings of one day)
     vs COPY of 1000-row batches, one commit each, same table shape and parallelism; a day
     per round, each followed by its COPY, medians reported
  4. single-reading POSTs from 64 connections vs pgbench single-row insert+commit, 8 clients,
     after a 3 s warm-up of each, rounds in alternation
  5. one day's ranking of 1000 stations x 1440 readings vs a plain SQL aggregate over them
  6. peak RSS of the daemons, and RSS growth over a soak of mixed load
  7. scaling: ranking time and /ranking/today throughput at 10, 100, 1000, 10000 stations
  8. period rankings (issue 14): a month, quarter and year of BENCH_PERIOD_STATIONS (250,1000)
     stations from the kept daily values, against plain SQL over the daily rows and (month)
     over the raw readings; `bench/run.sh periods` runs this phase alone
  9. the bulletin (issue 16): a finalized day of BENCH_BULLETIN_STATIONS (300) stations rendered
     to PDF (Server-Timing: gather, model, render), and the kept PDF under load beside the cached
     /ranking/today; `bench/run.sh bulletin` runs this phase alone
  10. sustained ingest (issue 18): BENCH_SUSTAIN_STATIONS (10000) stations each posting one
     reading a minute with its own token (real clock) for BENCH_SUSTAIN seconds (600), while
     dashboards poll /ranking/today and the alert pass runs; achieved rate, latency, CPU of the
     daemon and of PostgreSQL; `bench/run.sh sustain` runs this phase alone
  11. /ranking/today at BENCH_SUSTAIN_STATIONS stations, alone and under that stream of data
     changes, rounds in alternation (issue 18: the debounce keeps it ≥ 0.8 of the alone rate);
     `bench/run.sh today10k` runs this phase alone
Needs wrk and pgbench (Debian: wrk, postgresql-15). Results: a table on stdout and
build/bench/results.json.
"""
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "build", "bench")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
SOAK = int(os.environ.get("BENCH_SOAK", "300"))
THREADS = int(os.environ.get("BENCH_THREADS", "16"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
STATIC_PORT = 18900
SCALES = [int(x) for x in os.environ.get("BENCH_SCALES", "10,100,1000,10000").split(",")]
ADMIN = "bench-admin-token-0123456789abcdef"
NOW = "2026-06-15T15:30:00+08:00"     # frozen clock: today is 2026-06-15, 16 hours elapsed
TODAY, PAST = "2026-06-15", "2026-06-14"
PGBIN = "/usr/lib/postgresql/15/bin"
results = {}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, capture_output=True, text=True, **kw).stdout


def pg(*args):
    env = dict(os.environ, AQ_PG_STATE=os.path.join(ROOT, "var", "bench-pg"))
    return subprocess.run(["sh", os.path.join(ROOT, "deploy", "pg-local.sh"), *args], check=True,
                          capture_output=True, text=True, env=env).stdout.strip()


def db_url(base, name):
    return base.replace("/aqrank?", f"/{name}?")


def psql(url, sql):
    return sh("psql", url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql).strip()


def build_tools():
    os.makedirs(OUT, exist_ok=True)
    flags = ["-O2", "-Wall", "-Wextra", "-pthread"]
    sh("gcc", *flags, "-o", f"{OUT}/static_server", f"{ROOT}/bench/static_server.c",
       *sh("pkg-config", "--cflags", "--libs", "libmicrohttpd").split())
    sh("gcc", *flags, "-o", f"{OUT}/copy_bench", f"{ROOT}/bench/copy_bench.c",
       *sh("pkg-config", "--cflags", "--libs", "libpq").split())


class Daemon:
    def __init__(self, url, **env):
        self.log_path = tempfile.mktemp(prefix="aqrankd-bench-", suffix=".log")
        e = {"PATH": os.environ["PATH"], "AQRANK_DATABASE_URL": url, "AQRANK_LISTEN": "127.0.0.1:0",
             "AQRANK_ADMIN_TOKEN": ADMIN, "AQRANK_NOW": NOW, "AQRANK_THREADS": str(THREADS),
             "AQRANK_FINALIZE_AFTER": str(30 * 86400)}
        if os.environ.get("BENCH_TODAY_DEBOUNCE_MS"):
            e["AQRANK_TODAY_DEBOUNCE_MS"] = os.environ["BENCH_TODAY_DEBOUNCE_MS"]
        e.update({k: str(v) for k, v in env.items()})
        self.logf = open(self.log_path, "w")
        # BENCH_AQRANKD: another binary (e.g. an older build, for a before/after figure).
        self.proc = subprocess.Popen([os.environ.get("BENCH_AQRANKD", os.path.join(ROOT, "build", "aqrankd"))], env=e,
                                     stdout=subprocess.DEVNULL, stderr=self.logf)
        for _ in range(200):
            m = re.search(r"listening on http://[^:]+:(\d+)", open(self.log_path).read())
            if m:
                self.port = int(m.group(1))
                return
            time.sleep(0.05)
        raise RuntimeError(open(self.log_path).read())

    def rss_kb(self, field="VmRSS"):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)
        self.logf.close()
        os.unlink(self.log_path)


def request(port, method, path, body=None, token=ADMIN, headers=None, raw=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    h = dict(headers or {})
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        h["Content-Type"] = "application/json"
    if token:
        h["Authorization"] = "Bearer " + token
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    out = r.read()
    etag = r.getheader("ETag")
    request.server_timing = r.getheader("Server-Timing")
    c.close()
    if r.status >= 400:
        raise RuntimeError(f"{method} {path}: {r.status} {out[:300]}")
    return out, etag


def register(port, n, prefix="S"):
    """n micro stations on a grid around Dongsi; returns their codes and tokens."""
    codes, tokens = [], []
    for i in range(n):
        code = f"{prefix}{i:05d}"
        lat, lon = 39.80 + (i // 100) * 0.003, 116.30 + (i % 100) * 0.003
        body, _ = request(port, "PUT", f"/api/v1/stations/{code}",
                          {"name": code, "kind": "micro", "lat": lat, "lon": lon, "interval_s": 60})
        codes.append(code)
        tokens.append(json.loads(body)["token"])
    return codes, tokens


def wrk(url, connections=64, script=None, headers=(), seconds=None, run=0):
    """One wrk run; `run` tells a script which keys are its own (bench/wrk/post_single.lua)."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds or SECONDS}s", "--latency"]
    for h in headers:
        args += ["-H", h]
    if script:
        args += ["-s", script]
    out = sh(*args, url, env=dict(os.environ, AQ_BENCH_RUN=str(run)))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale, "non2xx": int(errors.group(1)) if errors else 0}


def minute_readings(codes, day, per_station_minutes):
    """Bodies of 1000 readings: every station one reading a minute over the day, each batch
    from one station (as a device uploads its own history), in time order."""
    readings = []
    for k, code in enumerate(codes):
        for minute in range(per_station_minutes):
            hh, mm = divmod(minute, 60)
            readings.append(f'{{"station":"{code}","observed_at":"{day}T{hh:02d}:{mm:02d}:00+08:00",'
                            f'"pm25":{35 + (k + minute) % 50},"pm10":{70 + (k * 7 + minute) % 90}}}')
    return [("[" + ",".join(readings[i:i + 1000]) + "]").encode() for i in range(0, len(readings), 1000)]


def post_parallel(port, bodies, clients):
    """Posts bodies from `clients` threads; returns seconds taken."""
    queue = list(reversed(bodies))
    lock = threading.Lock()
    failures = []

    def worker():
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            c.request("POST", "/api/v1/readings", body=body,
                      headers={"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                failures.append(r.status)
        c.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"ingest failures: {failures[:5]}")
    return time.monotonic() - t0


def timed_get(port, path, runs=7):
    """Median wall time of GET path over the runs after the first, and the medians of the
    daemon's Server-Timing parts; then the same of the first run (a daemon that has not read
    the day yet fetches all its hourly rows; later reads fetch only the rows written since)."""
    times, parts = [], []
    for _ in range(runs + 1):
        t0 = time.monotonic()
        request(port, "GET", path, token=None)
        times.append((time.monotonic() - t0) * 1000)
        parts.append({name: float(dur) for name, dur in
                      re.findall(r"(\w+);dur=([\d.]+)", request.server_timing or "")})
    later = {k: statistics.median(p[k] for p in parts[1:]) for k in parts[-1]}
    return statistics.median(times[1:]), later, times[0], parts[0]


def timed_sql(url, sql, runs=5):
    times = []
    for _ in range(runs):
        out = sh("psql", url, "-Atq", "-c", "\\timing on", "-c", sql)
        times.append(float(re.findall(r"Time: ([\d.]+) ms", out)[-1]))
    return statistics.median(times)


def summarize(runs):
    """Median of the rounds of one wrk figure (the rounds kept for results.json)."""
    return {"rps": statistics.median(r["rps"] for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in runs),
            "non2xx": sum(r["non2xx"] for r in runs), "rounds": [r["rps"] for r in runs]}


def interleaved(figures):
    """Runs each (name, wrk arguments) once per round, round after round, so that the noise of
    this shared machine hits aqrank and its ceiling alike; each figure is the median."""
    runs = {name: [] for name, _ in figures}
    for _ in range(ROUNDS):
        for name, (args, kw) in figures:
            runs[name].append(wrk(*args, **kw))
    for name, r in runs.items():
        results[name] = summarize(r)
        log(name, results[name])


def phase_today(base):
    log("== GET /api/v1/ranking/today, 200 stations")
    url = db_url(base, "bench_today")
    psql(base, "DROP DATABASE IF EXISTS bench_today")
    psql(base, "CREATE DATABASE bench_today")
    d = Daemon(url)
    try:
        codes, tokens = register(d.port, 200, "T")
        bodies = minute_readings(codes, TODAY, 15 * 60 + 30)  # up to the frozen 15:30
        post_parallel(d.port, bodies, 4)
        body, etag = request(d.port, "GET", "/api/v1/ranking/today", token=None)
        assert json.loads(body)["stations_ranked"] == 200, body[:200]
        # The static ceiling runs beside the daemon; both are measured in alternation.
        static = subprocess.Popen([f"{OUT}/static_server", str(STATIC_PORT), str(THREADS)])
        # The same server with a body as big as today's identity reply: what the bytes cost.
        sized = subprocess.Popen([f"{OUT}/static_server", str(STATIC_PORT + 1), str(THREADS), str(len(body))])
        time.sleep(0.3)
        today = f"http://127.0.0.1:{d.port}/api/v1/ranking/today"
        ceiling = f"http://127.0.0.1:{STATIC_PORT}/"
        try:
            interleaved([
                ("static", ((ceiling,), {})),
                ("today", ((today,), {})),
                ("static_same_size", ((f"http://127.0.0.1:{STATIC_PORT + 1}/",), {})),
                # As a browser polls: it accepts gzip (the cached body is kept compressed too).
                ("today_gzip", ((today,), {"headers": ["Accept-Encoding: gzip"]})),
                ("static_304", ((ceiling,), {"headers": ['If-None-Match: "bench"']})),
                ("today_304", ((today,), {"headers": [f"If-None-Match: {etag}"]})),
            ])
        finally:
            for server in (static, sized):
                server.terminate()
                server.wait()
        results["today_body_bytes"] = len(body)
        soak(d, tokens)
        results["rss_peak_kb_today_daemon"] = d.rss_kb("VmHWM")
    finally:
        d.stop()


def soak(d, tokens):
    log(f"== soak {SOAK} s: GET today + single POSTs")
    script = write_single_post_script(tokens)
    samples = []
    load = [subprocess.Popen(["wrk", "-t1", "-c32", f"-d{SOAK}s", f"http://127.0.0.1:{d.port}/api/v1/ranking/today"],
                             stdout=subprocess.DEVNULL),
            subprocess.Popen(["wrk", "-t1", "-c16", f"-d{SOAK}s", "-s", script, f"http://127.0.0.1:{d.port}/"],
                             stdout=subprocess.DEVNULL)]
    t0 = time.monotonic()
    while any(p.poll() is None for p in load):
        samples.append((round(time.monotonic() - t0), d.rss_kb()))
        time.sleep(min(10, max(1, SOAK // 30)))
    # Growth: the last third against the first third (after warm-up).
    third = max(1, len(samples) // 3)
    first = statistics.median(r for _, r in samples[:third])
    last = statistics.median(r for _, r in samples[-third:])
    results["soak"] = {"seconds": SOAK, "rss_first_third_kb": first, "rss_last_third_kb": last,
                       "rss_max_kb": max(r for _, r in samples), "samples": samples}
    log(results["soak"]["rss_first_third_kb"], results["soak"]["rss_last_third_kb"])


def write_single_post_script(tokens):
    path = os.path.join(OUT, "tokens.txt")
    with open(path, "w") as f:
        f.write("\n".join(tokens) + "\n")
    return os.path.join(ROOT, "bench", "wrk", "post_single.lua")


def phase_ingest(base):
    log("== batched ingest vs COPY; single POSTs vs pgbench; ranking vs SQL")
    url = db_url(base, "bench_main")
    psql(base, "DROP DATABASE IF EXISTS bench_main")
    psql(base, "CREATE DATABASE bench_main")
    d = Daemon(url)
    try:
        codes, tokens = register(d.port, 1000)
        # Rounds of one day each (PAST first, then the days before it), each followed by its
        # COPY ceiling into a fresh table: the noise of this machine hits both alike.
        ingest, copy = [], []
        for k in range(ROUNDS):
            day = time.strftime("%Y-%m-%d", time.gmtime(time.mktime(time.strptime(PAST, "%Y-%m-%d")) - k * 86400))
            seconds = post_parallel(d.port, minute_readings(codes, day, 1440), 4)
            ingest.append(1440 * 1000 / seconds)
            psql(url, "DROP TABLE IF EXISTS readings_copy; CREATE TABLE readings_copy (LIKE readings INCLUDING ALL)")
            copy.append(float(sh(f"{OUT}/copy_bench", url, "4", "360", "1000").strip()))
            log("batched ingest", day, ingest[-1], "copy", copy[-1])
            if k == 0:
                # Ranking of the day, live from the hourly aggregates, against SQL over its raw
                # readings (before the other days' readings make that SQL slower).
                (results["ranking_ms"], results["ranking_parts_ms"], results["ranking_first_ms"],
                 results["ranking_first_parts_ms"]) = timed_get(d.port, f"/api/v1/ranking/{PAST}")
                results["sql_aggregate_ms"] = timed_sql(url, (
                    "SELECT station_id, round(avg(pm10_h)) FROM (SELECT station_id, date_trunc('hour', observed_at) h, "
                    "avg(pm10) pm10_h FROM readings WHERE observed_at >= '2026-06-14 00:00+08' "
                    "AND observed_at < '2026-06-15 00:00+08' GROUP BY 1, 2 HAVING count(pm10) >= 45) x "
                    "GROUP BY station_id HAVING count(*) >= 20 ORDER BY 2"))
                log("ranking", results["ranking_ms"], "sql", results["sql_aggregate_ms"])
        results["ingest_batch_rps"], results["ingest_batch_rounds"] = statistics.median(ingest), ingest
        results["copy_rps"], results["copy_rounds"] = statistics.median(copy), copy

        script = write_single_post_script(tokens)
        psql(url, "CREATE TABLE readings_pg (LIKE readings INCLUDING ALL)")
        pgb = os.path.join(OUT, "insert.sql")
        with open(pgb, "w") as f:
            f.write("\\set sid random(1, 1000000000)\n"
                    "INSERT INTO readings_pg (station_id, observed_at, pm25, pm10) "
                    "VALUES (:sid, now(), 35, 70) ON CONFLICT DO NOTHING;\n")
        host = re.search(r"host=([^&]+)", url).group(1)

        def pgbench(seconds):
            out = sh(f"{PGBIN}/pgbench", "-h", host, "-U", "aqrank", "-n", "-c", "8", "-j", "2",
                     "-T", str(seconds), "-f", pgb, "bench_main")
            return float(re.search(r"tps = ([\d.]+)", out).group(1))

        # A short warm-up of each (connections, prepared statements, token cache, first pages
        # of the tables), then rounds in alternation, like the GET figures. Every round posts
        # new keys (run=): a resent key would be a duplicate, not an insert.
        wrk(f"http://127.0.0.1:{d.port}/", script=script, seconds=3, run=0)
        pgbench(3)
        posts, tps = [], []
        for k in range(ROUNDS):
            posts.append(wrk(f"http://127.0.0.1:{d.port}/", script=script, run=k + 1))
            tps.append(pgbench(SECONDS))
        results["single_post"] = summarize(posts)
        results["pgbench_tps"] = statistics.median(tps)
        results["pgbench_rounds"] = tps
        log("single posts", results["single_post"], "pgbench", tps)
        results["rss_peak_kb_ingest_daemon"] = d.rss_kb("VmHWM")
    finally:
        d.stop()


def phase_scaling(base):
    results["scaling"] = []
    for n in SCALES:
        log(f"== scaling: {n} stations")
        name = f"bench_scale_{n}"
        url = db_url(base, name)
        psql(base, f"DROP DATABASE IF EXISTS {name}")
        psql(base, f"CREATE DATABASE {name}")
        d = Daemon(url)
        try:
            codes, _ = register(d.port, n, "N")
            readings = []
            for day, hours in ((PAST, 24), (TODAY, 15)):
                for h in range(hours):
                    for k, code in enumerate(codes):
                        readings.append(f'{{"station":"{code}","observed_at":"{day}T{h:02d}:00:00+08:00",'
                                        f'"pm25":{35 + (k + h) % 50},"pm10":{70 + (k * 7 + h) % 90}}}')
            bodies = [("[" + ",".join(readings[i:i + 5000]) + "]").encode() for i in range(0, len(readings), 5000)]
            psql(url, "UPDATE stations SET interval_s = 3600")
            post_parallel(d.port, bodies, 4)
            ranking_ms, parts, first_ms, first_parts = timed_get(d.port, f"/api/v1/ranking/{PAST}")
            row = {"stations": n, "ranking_ms": ranking_ms, "ranking_parts_ms": parts,
                   "ranking_first_ms": first_ms, "ranking_first_parts_ms": first_parts,
                   "today": wrk(f"http://127.0.0.1:{d.port}/api/v1/ranking/today", seconds=max(3, SECONDS // 2))}
            results["scaling"].append(row)
            log(row)
        finally:
            d.stop()


PERIOD_YEAR = 2025
PERIOD_STATIONS = [int(x) for x in os.environ.get("BENCH_PERIOD_STATIONS", "250,1000").split(",")]


def clone_days(url, year):
    """Day 1 of `year` as finalized by the daemon, copied to every other day of the year with
    the PM values varied (about 3 % of station-days short of valid hours, as real networks
    have): the daily rows finalization keeps, without a year of ingest."""
    first = f"{year}-01-01"
    psql(url, f"""
        INSERT INTO days SELECT (jsonb_populate_record(t, jsonb_build_object('day', g::date))).*
          FROM days t, generate_series('{year}-01-02'::date, '{year}-12-31'::date, '1 day') g
         WHERE t.day = '{first}';
        INSERT INTO day_values SELECT (jsonb_populate_record(v, jsonb_build_object(
                 'day', g::date,
                 'pm25', round((v.pm25 * (0.5 + random()))::numeric, 1),
                 'pm10', round((v.pm10 * (0.5 + random()))::numeric, 1),
                 'pm25_valid', random() > 0.03, 'pm10_valid', random() > 0.03))).*
          FROM day_values v, generate_series('{year}-01-02'::date, '{year}-12-31'::date, '1 day') g
         WHERE v.day = '{first}';
        ANALYZE days; ANALYZE day_values;""")


def clone_readings(url, year, days):
    """The first day's hourly readings copied to the next days-1 days: a month of raw rows
    for the plain SQL over readings."""
    psql(url, f"""
        INSERT INTO readings (station_id, observed_at, pm25, pm10, source, received_at)
        SELECT r.station_id, r.observed_at + make_interval(days => g), r.pm25 * (0.5 + random()),
               r.pm10 * (0.5 + random()), r.source, r.received_at
          FROM readings r, generate_series(1, {days - 1}) g
         WHERE r.observed_at < '{year}-01-02T00:00:00+08:00';
        ANALYZE readings;""")


def sql_daily(year, to):
    """The composite of PM2.5 and PM10 over a span, from the kept daily rows, in plain SQL."""
    return f"""SELECT code, round((avg(pm25) FILTER (WHERE pm25_valid) / 35
                                + avg(pm10) FILTER (WHERE pm10_valid) / 70)::numeric, 2) AS composite
                 FROM day_values WHERE day BETWEEN '{year}-01-01' AND '{to}' AND eligible
                GROUP BY code
               HAVING count(*) FILTER (WHERE pm25_valid) >= 27 AND count(*) FILTER (WHERE pm10_valid) >= 27
                ORDER BY composite, code"""


def sql_raw(year, to):
    """The same from the raw readings: hourly means, daily means of days with 20 hours, then
    the period (what a ranking costs without the daily rows)."""
    return f"""WITH h AS (SELECT station_id, date_trunc('hour', observed_at AT TIME ZONE 'Asia/Shanghai') AS hr,
                               avg(pm25) AS pm25, avg(pm10) AS pm10
                          FROM readings WHERE observed_at >= '{year}-01-01T00:00:00+08:00'
                                          AND observed_at < ('{to}'::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
                         GROUP BY 1, 2),
                    d AS (SELECT station_id, date_trunc('day', hr) AS day, avg(pm25) AS pm25, avg(pm10) AS pm10
                            FROM h GROUP BY 1, 2 HAVING count(pm25) >= 20 AND count(pm10) >= 20)
               SELECT station_id, round((avg(pm25) / 35 + avg(pm10) / 70)::numeric, 2) AS composite
                 FROM d GROUP BY station_id HAVING count(*) >= 27 ORDER BY composite, station_id"""


def phase_periods(base):
    """Issue 14: a period ranking of n stations is read from the kept daily values (finalized
    days, cached per day), never from readings. For each n: a year, a quarter and a month of
    2025 (campaigns, so no kept period snapshot is used), the first read after a restart (the
    days read from day_values) and warm reads (medians), per station and per street; the kept
    snapshot of the whole year; beside them the plain SQL over the daily rows and, for the
    month, over the raw readings."""
    results["periods"] = []
    for n in PERIOD_STATIONS:
        log(f"== period rankings: {n} stations x 365 days")
        name = f"bench_periods_{n}"
        url = db_url(base, name)
        psql(base, f"DROP DATABASE IF EXISTS {name}")
        psql(base, f"CREATE DATABASE {name}")
        d = Daemon(url)
        try:
            codes, _ = register(d.port, n, "Y")
            psql(url, "UPDATE stations SET interval_s = 3600, unit = 'street ' || (id % 40)")
            readings = [f'{{"station":"{code}","observed_at":"{PERIOD_YEAR}-01-01T{h:02d}:00:00+08:00",'
                        f'"pm25":{35 + (k + h) % 50},"pm10":{70 + (k * 7 + h) % 90}}}'
                        for h in range(24) for k, code in enumerate(codes)]
            post_parallel(d.port, [("[" + ",".join(readings[i:i + 5000]) + "]").encode()
                                   for i in range(0, len(readings), 5000)], 4)
            request(d.port, "POST", f"/api/v1/ranking/{PERIOD_YEAR}-01-01/finalize")
            clone_days(url, PERIOD_YEAR)
            clone_readings(url, PERIOD_YEAR, 31)
            # Keep the year and its months now, so the next daemon has nothing to finalize
            # and starts with no day in its cache.
            for m in range(1, 13):
                request(d.port, "POST", f"/api/v1/ranking/month/{PERIOD_YEAR}-{m:02d}/finalize")
            request(d.port, "POST", f"/api/v1/ranking/year/{PERIOD_YEAR}/finalize")
        finally:
            d.stop()
        d = Daemon(url)
        try:
            # A year of 2025 is not this year (the clock says 2026), so nothing warmed it:
            # the first read fetches and assesses all its days.
            row = {"stations": n}
            year_path = f"/api/v1/ranking/campaign?from={PERIOD_YEAR}-01-01&to={PERIOD_YEAR}-12-30"
            t0 = time.monotonic()
            request(d.port, "GET", year_path, token=None)
            row["year_first_ms"] = (time.monotonic() - t0) * 1000
            spans = (("month", f"{PERIOD_YEAR}-01-30", 30), ("quarter", f"{PERIOD_YEAR}-03-31", 90),
                     ("year", f"{PERIOD_YEAR}-12-30", 364))
            for label, to, days in spans:
                path = f"/api/v1/ranking/campaign?from={PERIOD_YEAR}-01-01&to={to}"
                warm, parts, _, _ = timed_get(d.port, path)
                unit_warm, _, _, _ = timed_get(d.port, path + "&by=unit")
                row[label] = {"days": days, "warm_ms": warm, "compute_ms": parts.get("compute", float("nan")),
                              "unit_warm_ms": unit_warm, "sql_daily_ms": timed_sql(url, sql_daily(PERIOD_YEAR, to))}
            row["month"]["sql_raw_ms"] = timed_sql(url, sql_raw(PERIOD_YEAR, f"{PERIOD_YEAR}-01-30"))
            row["year_kept_ms"] = timed_get(d.port, f"/api/v1/ranking/year/{PERIOD_YEAR}")[0]
            row["rss_mb"] = d.rss_kb("VmHWM") / 1024
            results["periods"].append(row)
            log(row)
        finally:
            d.stop()


BULLETIN_STATIONS = int(os.environ.get("BENCH_BULLETIN_STATIONS", "300"))


def phase_bulletin(base):
    """Issue 16: a finalized day of BULLETIN_STATIONS stations rendered to PDF (cairo + pango):
    the daemon's own Server-Timing of each rendering (gather = the day and everything around it
    from the database, model, render = the PDF), re-finalizing the day before each round so
    nothing kept is served; then the kept PDF under load beside the cached ranking of today,
    in alternation (wrk, 64 connections)."""
    n = BULLETIN_STATIONS
    log(f"== bulletin: {n} stations, PDF")
    url = db_url(base, "bench_bulletin")
    psql(base, "DROP DATABASE IF EXISTS bench_bulletin")
    psql(base, "CREATE DATABASE bench_bulletin")
    d = Daemon(url, AQRANK_DISTRICT_NAME="东城区")
    try:
        request(d.port, "PUT", "/api/v1/stations/GC-01",
                {"name": "东四国控点", "kind": "national", "lat": 39.9289, "lon": 116.4174})
        codes, _ = register(d.port, n, "B")
        psql(url, "UPDATE stations SET interval_s = 3600, name = '微站' || code, unit = '第' || (id % 17) || '街道'")
        readings = [f'{{"station":"{code}","observed_at":"{PAST}T{h:02d}:00:00+08:00",'
                    f'"pm25":{35 + (k + h) % 50},"pm10":{70 + (k * 7 + h) % 90}}}'
                    for h in range(24) for k, code in enumerate(codes + ["GC-01"])]
        # Today's first hours too: the cached ranking it is compared with has the same stations.
        readings += [f'{{"station":"{code}","observed_at":"{TODAY}T{h:02d}:00:00+08:00",'
                     f'"pm25":{35 + (k + h) % 50},"pm10":{70 + (k * 7 + h) % 90}}}'
                     for h in range(15) for k, code in enumerate(codes + ["GC-01"])]
        post_parallel(d.port, [("[" + ",".join(readings[i:i + 5000]) + "]").encode()
                               for i in range(0, len(readings), 5000)], 4)
        path = f"/api/v1/bulletins/{PAST}?format=pdf"
        rounds = []
        for _ in range(7):
            request(d.port, "POST", f"/api/v1/ranking/{PAST}/finalize")
            t0 = time.monotonic()
            body, _ = request(d.port, "GET", path, token=None)
            wall = (time.monotonic() - t0) * 1000
            parts = {k: float(v) for k, v in re.findall(r"(\w+);dur=([\d.]+)", request.server_timing or "")}
            rounds.append(dict(parts, wall=wall, bytes=len(body)))
        med = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
        results["bulletin"] = {"stations": n, "rounds": rounds, "median": med,
                               "pages": len(re.findall(rb"/Type /Page[^s]", body))}
        log("bulletin", results["bulletin"]["median"])
        today, _ = request(d.port, "GET", "/api/v1/ranking/today", token=None)
        results["bulletin"]["today_bytes"] = len(today)
        base_url = f"http://127.0.0.1:{d.port}"
        interleaved([("bulletin_kept", ((base_url + path,), {})),
                     ("bulletin_today_ranking", ((base_url + "/api/v1/ranking/today",), {}))])
    finally:
        d.stop()


def report_bulletin():
    b = results.get("bulletin")
    if not b:
        return
    m = b["median"]
    print(f"\nBulletin (issue 16): a finalized day of {b['stations']} stations as PDF, medians of 7 renderings "
          f"(the day re-finalized before each):\n")
    print("| stations | pages | PDF bytes | gather (DB), ms | model, ms | render (cairo + pango), ms | GET wall, ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {b['stations']} | {b['pages']} | {m['bytes']:,.0f} | {m.get('gather', float('nan')):.1f} | {m.get('model', float('nan')):.1f} "
          f"| {m.get('render', float('nan')):.1f} | {m['wall']:.1f} |")
    k, t = results["bulletin_kept"], results["bulletin_today_ranking"]
    print(f"\nThe kept PDF under load: {k['rps']:,.0f} req/s (p99 {k['p99_ms']:.2f} ms) beside the cached "
          f"/ranking/today of the same {b['stations']} stations ({b['today_bytes']:,} bytes of JSON) {t['rps']:,.0f} req/s "
          f"(p99 {t['p99_ms']:.2f} ms), 64 connections, medians of {ROUNDS} rounds")


def report_periods():
    print("\nPeriod rankings (issue 14): composite index of PM2.5 and PM10 from the kept daily values, "
          "medians of warm reads:\n")
    print("| stations | span | days | GET, ms | computing (Server-Timing), ms | GET by street, ms "
          "| computing per 1000 station-days, ms | plain SQL over daily rows, ms | SQL / GET |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results.get("periods", []):
        for label in ("month", "quarter", "year"):
            s = r[label]
            print(f"| {r['stations']:,} | {label} | {s['days']} | {s['warm_ms']:.1f} | {s['compute_ms']:.1f} | "
                  f"{s['unit_warm_ms']:.1f} | {s['compute_ms'] / (r['stations'] * s['days']) * 1000:.3f} | "
                  f"{s['sql_daily_ms']:.1f} | {s['sql_daily_ms'] / s['warm_ms']:.1f}x |")
    for r in results.get("periods", []):
        m = r["month"]
        print(f"\n{r['stations']:,} stations: the month from raw readings in plain SQL {m['sql_raw_ms']:.1f} ms "
              f"({m['sql_raw_ms'] / m['warm_ms']:.0f}x the ranking); the year's first read after a start "
              f"{r['year_first_ms']:.0f} ms (this year's days are read at start instead); the kept year "
              f"{r['year_kept_ms']:.1f} ms; peak RSS {r['rss_mb']:.1f} MB")


def report():
    r = results
    rss_peak = max(r.get("rss_peak_kb_today_daemon", 0), r.get("rss_peak_kb_ingest_daemon", 0)) / 1024
    growth = (r["soak"]["rss_last_third_kb"] - r["soak"]["rss_first_third_kb"]) / 1024
    parts = r.get("ranking_parts_ms", {})
    compute_ms = parts.get("load", 0) + parts.get("rank", 0) or float("nan")
    first = r.get("ranking_first_parts_ms", {})
    first_compute_ms = first.get("load", 0) + first.get("rank", 0) or float("nan")
    rows = [
        ("GET /ranking/today (200 stations, 64 conn), req/s", r["today"]["rps"], r["static"]["rps"],
         r["today"]["rps"] / r["static"]["rps"], ">= 0.80"),
        ("  p99 latency, ms", r["today"]["p99_ms"], r["static"]["p99_ms"], None, "<= 10 ms"),
        (f"  the same, against a static body as big as today's ({r['today_body_bytes'] / 1024:.0f} KB), req/s",
         r["today"]["rps"], r["static_same_size"]["rps"], r["today"]["rps"] / r["static_same_size"]["rps"], ""),
        ("    p99 latency, ms", r["today"]["p99_ms"], r["static_same_size"]["p99_ms"], None, ""),
        ("  as browsers ask (Accept-Encoding: gzip), req/s", r["today_gzip"]["rps"], r["static"]["rps"],
         r["today_gzip"]["rps"] / r["static"]["rps"], ">= 0.80"),
        ("    p99 latency, ms", r["today_gzip"]["p99_ms"], r["static"]["p99_ms"], None, "<= 10 ms"),
        ("  revalidation (If-None-Match -> 304), req/s", r["today_304"]["rps"], r["static_304"]["rps"],
         r["today_304"]["rps"] / r["static_304"]["rps"], "cheaper than 200"),
        ("batched ingest 1000/POST, readings/s (COPY 1000-row batches)", r["ingest_batch_rps"], r["copy_rps"],
         r["ingest_batch_rps"] / r["copy_rps"], ">= 0.50"),
        ("single-reading POSTs, 64 conn, req/s (pgbench insert, 8 clients)", r["single_post"]["rps"],
         r["pgbench_tps"], r["single_post"]["rps"] / r["pgbench_tps"], ">= 0.50"),
        ("one day's ranking 1000 x 1440, GET end to end, ms (plain SQL aggregate)", r["ranking_ms"],
         r["sql_aggregate_ms"], r["sql_aggregate_ms"] / r["ranking_ms"], ">= 10x faster"),
        ("  computing it (load + rank, Server-Timing), ms", compute_ms, r["sql_aggregate_ms"],
         r["sql_aggregate_ms"] / compute_ms, ">= 10x faster"),
        ("  rendering its JSON (600 KB), ms", parts.get("render", 0), None, None, ""),
        ("  first read of the day (all hourly rows fetched), end to end, ms", r["ranking_first_ms"],
         r["sql_aggregate_ms"], r["sql_aggregate_ms"] / r["ranking_first_ms"], ""),
        ("    computing it, ms", first_compute_ms, r["sql_aggregate_ms"],
         r["sql_aggregate_ms"] / first_compute_ms, ""),
        ("peak RSS of the daemons, MB", rss_peak, 64, rss_peak / 64, "<= 64 MB"),
        (f"RSS growth over a {SOAK} s soak, MB", growth, None, None, "no growth"),
    ]
    print(f"\naqrank benchmarks — {time.strftime('%Y-%m-%d %H:%M')} — {os.cpu_count()} CPUs, "
          f"{THREADS} threads, {SECONDS} s per phase\n")
    print(f"| figure | aqrank | ceiling | aqrank / ceiling | target |")
    print("|---|---:|---:|---:|---|")
    for name, a, c, ratio, target in rows:
        fa = f"{a:,.1f}" if a is not None else ""
        fc = f"{c:,.1f}" if c is not None else ""
        fr = f"{ratio:.2f}" if ratio is not None else ""
        print(f"| {name} | {fa} | {fc} | {fr} | {target} |")
    print("\nScaling (one day's ranking of hourly stations; /ranking/today throughput, 64 connections):\n")
    print("| stations | ranking, ms | first read, ms | first, ms per 1000 stations | today, req/s | today p99, ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for s in r.get("scaling", []):
        print(f"| {s['stations']:,} | {s['ranking_ms']:.1f} | {s['ranking_first_ms']:.1f} | "
              f"{s['ranking_first_ms'] / s['stations'] * 1000:.1f} | "
              f"{s['today']['rps']:,.0f} | {s['today']['p99_ms']:.1f} |")
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1)


SUSTAIN = int(os.environ.get("BENCH_SUSTAIN", "600"))
SUSTAIN_STATIONS = int(os.environ.get("BENCH_SUSTAIN_STATIONS", "10000"))


def register_parallel(port, n, prefix, threads=8):
    """register() from several threads: n stations, their codes and tokens in order."""
    codes, tokens = [None] * n, [None] * n
    lock, nxt = threading.Lock(), [0]

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= n:
                return
            code = f"{prefix}{i:05d}"
            lat, lon = 39.70 + (i // 100) * 0.003, 116.20 + (i % 100) * 0.003
            body, _ = request(port, "PUT", f"/api/v1/stations/{code}",
                              {"name": code, "kind": "micro", "lat": lat, "lon": lon, "interval_s": 60})
            codes[i], tokens[i] = code, json.loads(body)["token"]

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return codes, tokens


class Pacer:
    """Single-reading POSTs at `rate` a second, station after station, each with the station's
    own token: every station posts once per len(tokens) / rate seconds (one a minute for 10,000
    stations at 166.7/s). `instant(k, station)` gives the k-th request's observed_at. Latencies
    and statuses are kept."""

    def __init__(self, port, tokens, rate, instant, threads=8):
        self.port, self.tokens, self.rate, self.instant = port, tokens, rate, instant
        self.lock, self.k, self.stop = threading.Lock(), 0, False
        self.latencies, self.statuses, self.late = [], {}, 0
        self.threads = [threading.Thread(target=self.run) for _ in range(threads)]

    def start(self):
        self.t0 = time.monotonic()
        for t in self.threads:
            t.start()
        return self

    def run(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while not self.stop:
            with self.lock:
                k = self.k
                self.k += 1
            due = self.t0 + k / self.rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif wait < -1:
                self.late += 1
            if self.stop:
                break
            station = k % len(self.tokens)
            body = json.dumps({"observed_at": self.instant(k, station), "pm25": 20 + k % 60, "pm10": 40 + k % 110})
            t = time.monotonic()
            try:
                c.request("POST", "/api/v1/readings", body=body,
                          headers={"Authorization": "Bearer " + self.tokens[station],
                                   "Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                status = r.status
            except Exception:
                status = "error"
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            with self.lock:
                self.latencies.append((time.monotonic() - t) * 1000)
                self.statuses[status] = self.statuses.get(status, 0) + 1
        c.close()

    def finish(self):
        self.stop = True
        for t in self.threads:
            t.join()
        self.seconds = time.monotonic() - self.t0
        return self


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total


def postgres_pids():
    """The bench cluster's postmaster and its children."""
    data = os.path.join(pg("status").split("host=")[1].split("&")[0], "data")
    master = int(open(os.path.join(data, "postmaster.pid")).readline())
    kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout.split()
    return [master] + [int(k) for k in kids]


def metrics_of(port):
    body, _ = request(port, "GET", "/metrics", token=None)
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(aqrank_\w+) ([\d.e+]+)$", body.decode(), re.M)}


def phase_sustain(base):
    n = SUSTAIN_STATIONS
    log(f"== sustained: {n} stations x 1 reading/min for {SUSTAIN} s, dashboards polling, real clock")
    url = db_url(base, "bench_sustain")
    psql(base, "DROP DATABASE IF EXISTS bench_sustain")
    psql(base, "CREATE DATABASE bench_sustain")
    d = Daemon(url, AQRANK_NOW="")  # the real clock: live readings, closed hours, alert ticks
    try:
        t0 = time.monotonic()
        _, tokens = register_parallel(d.port, n, "L")
        log(f"registered {n} stations in {time.monotonic() - t0:.0f} s")
        rate = n / 60.0

        def now_instant(k, station):
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

        tick = os.sysconf("SC_CLK_TCK")
        pg_pids = postgres_pids()
        before = (cpu_ticks([d.proc.pid]), cpu_ticks(pg_pids), metrics_of(d.port), time.monotonic())
        xacts0 = int(psql(url, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"))
        pacer = Pacer(d.port, tokens, rate, now_instant).start()
        # Dashboards: 8 connections polling today's ranking (gzip, as browsers), 2 a second each.
        polls = subprocess.Popen(["wrk", "-t1", "-c8", f"-d{SUSTAIN}s", "--latency", "-H", "Accept-Encoding: gzip",
                                  "-s", os.path.join(ROOT, "bench", "wrk", "paced.lua"),
                                  f"http://127.0.0.1:{d.port}/api/v1/ranking/today"],
                                 stdout=subprocess.PIPE, text=True)
        active, rss = [], []
        while time.monotonic() - before[3] < SUSTAIN:
            active.append(int(psql(url, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                                        "AND datname = current_database() AND pid <> pg_backend_pid()")))
            rss.append(d.rss_kb())
            time.sleep(5)
        pacer.finish()
        out = polls.communicate()[0]
        after = (cpu_ticks([d.proc.pid]), cpu_ticks(pg_pids), metrics_of(d.port), time.monotonic())
        xacts1 = int(psql(url, "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"))
        secs = after[3] - before[3]
        lat = sorted(pacer.latencies)
        m0, m1 = before[2], after[2]
        poll_rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
        results["sustain"] = {
            "stations": n, "seconds": round(secs, 1), "target_rps": rate,
            "achieved_rps": pacer.statuses.get(200, 0) / pacer.seconds, "statuses": {str(k): v for k, v in pacer.statuses.items()},
            "late_sends": pacer.late,
            "post_p50_ms": lat[len(lat) // 2], "post_p99_ms": lat[int(len(lat) * 0.99)], "post_max_ms": lat[-1],
            "daemon_cpu_pct": (after[0] - before[0]) / tick / secs * 100,
            "postgres_cpu_pct": (after[1] - before[1]) / tick / secs * 100,
            "pg_commits_per_s": (xacts1 - xacts0) / secs, "pg_active_median": statistics.median(active),
            "pg_active_max": max(active),
            "alert_passes": m1.get("aqrank_alert_passes_total", 0) - m0.get("aqrank_alert_passes_total", 0),
            "today_builds": m1.get("aqrank_today_builds_total", 0) - m0.get("aqrank_today_builds_total", 0),
            "today_debounced": m1.get("aqrank_today_debounced_total", 0) - m0.get("aqrank_today_debounced_total", 0),
            "today_polls_rps": poll_rps,
            "today_poll_p99_ms": float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)],
            "rss_max_mb": max(rss) / 1024, "load_avg": os.getloadavg(),
            "stored": int(psql(url, "SELECT count(*) FROM readings")),
        }
        log(results["sustain"])
    finally:
        d.stop()


def report_sustain():
    r = results["sustain"]
    print(f"\nSustained ingest (issue 18): {r['stations']:,} stations x 1 reading/min, {r['seconds']:.0f} s, "
          "real clock, dashboards polling /ranking/today (8 connections, 2/s each, gzip), alert passes running:\n")
    print("| figure | value |\n|---|---:|")
    for label, v in (("readings/s asked (one a minute per station)", f"{r['target_rps']:.1f}"),
                     ("readings/s stored (200)", f"{r['achieved_rps']:.1f}"),
                     ("replies", json.dumps(r["statuses"])),
                     ("POST latency p50 / p99 / max, ms", f"{r['post_p50_ms']:.1f} / {r['post_p99_ms']:.1f} / {r['post_max_ms']:.0f}"),
                     ("sends more than 1 s behind schedule", f"{r['late_sends']}"),
                     ("aqrankd CPU, % of one core", f"{r['daemon_cpu_pct']:.0f}"),
                     ("PostgreSQL CPU (all its processes), % of one core", f"{r['postgres_cpu_pct']:.0f}"),
                     ("PostgreSQL commits/s", f"{r['pg_commits_per_s']:.0f}"),
                     ("PostgreSQL active backends, median / max", f"{r['pg_active_median']:.0f} / {r['pg_active_max']}"),
                     ("alert passes", f"{r['alert_passes']:.0f}"),
                     ("/ranking/today builds / polls answered within the debounce", f"{r['today_builds']:.0f} / {r['today_debounced']:.0f}"),
                     ("/ranking/today polls/s, p99 ms", f"{r['today_polls_rps']:.1f}, {r['today_poll_p99_ms']:.0f}"),
                     ("peak RSS of the daemon, MB", f"{r['rss_max_mb']:.0f}"),
                     ("load average at the end (1, 5, 15 min)", " ".join(f"{x:.2f}" for x in r["load_avg"]))):
        print(f"| {label} | {v} |")


def phase_today10k(base):
    n = SUSTAIN_STATIONS
    log(f"== /ranking/today at {n} stations, alone and under a stream of data changes")
    url = db_url(base, "bench_today10k")
    psql(base, "DROP DATABASE IF EXISTS bench_today10k")
    psql(base, "CREATE DATABASE bench_today10k")
    d = Daemon(url)
    try:
        codes, tokens = register_parallel(d.port, n, "K")
        psql(url, "UPDATE stations SET interval_s = 3600")
        readings = [f'{{"station":"{code}","observed_at":"{TODAY}T{h:02d}:00:00+08:00",'
                    f'"pm25":{35 + (k + h) % 50},"pm10":{70 + (k * 7 + h) % 90}}}'
                    for h in range(15) for k, code in enumerate(codes)]
        post_parallel(d.port, [("[" + ",".join(readings[i:i + 5000]) + "]").encode()
                               for i in range(0, len(readings), 5000)], 4)
        t0 = time.monotonic()
        body, _ = request(d.port, "GET", "/api/v1/ranking/today", token=None)
        build = (time.monotonic() - t0) * 1000  # the first GET builds it
        results["today10k_body_bytes"] = len(body)
        today = f"http://127.0.0.1:{d.port}/api/v1/ranking/today"
        alone, stream, streams = [], [], []
        seconds = max(5, SECONDS)
        for k in range(ROUNDS):
            alone.append(wrk(today, seconds=seconds))
            m0 = metrics_of(d.port)
            # Live readings (the clock's hour, 15:00-15:35) at one a minute per station, every
            # key new: round k posts at second k of each minute.
            def instant(j, station, k=k):
                s = 54000 + 60 * (j // n) + k
                return f"{TODAY}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+08:00"

            pacer = Pacer(d.port, tokens, n / 60.0, instant).start()
            time.sleep(1)
            stream.append(wrk(today, seconds=seconds))
            pacer.finish()
            m1 = metrics_of(d.port)
            streams.append({"posted": pacer.statuses, "builds": m1.get("aqrank_today_builds_total", 0) - m0.get("aqrank_today_builds_total", 0),
                            "debounced": m1.get("aqrank_today_debounced_total", 0) - m0.get("aqrank_today_debounced_total", 0),
                            "alert_passes": m1.get("aqrank_alert_passes_total", 0) - m0.get("aqrank_alert_passes_total", 0)})
            log("alone", alone[-1], "stream", stream[-1], streams[-1])
        results["today10k"] = {"stations": n, "alone": summarize(alone), "stream": summarize(stream),
                               "streams": streams, "build_ms": build}
    finally:
        d.stop()


def report_today10k():
    r = results["today10k"]
    a, s = r["alone"], r["stream"]
    print(f"\n/ranking/today at {r['stations']:,} stations (identity body, {results['today10k_body_bytes'] / 1e6:.1f} MB; "
          f"64 connections, {ROUNDS} rounds in alternation, medians; a build {r['build_ms']:.0f} ms):\n")
    print("| | req/s | p99, ms | rounds, req/s |\n|---|---:|---:|---|")
    print(f"| alone | {a['rps']:,.1f} | {a['p99_ms']:.0f} | {', '.join(f'{x:.0f}' for x in a['rounds'])} |")
    print(f"| under a stream of data changes ({r['stations'] / 60:.0f} readings/s, alert passes) | {s['rps']:,.1f} | "
          f"{s['p99_ms']:.0f} | {', '.join(f'{x:.0f}' for x in s['rounds'])} |")
    print(f"| ratio (target >= 0.80) | **{s['rps'] / a['rps']:.2f}** | | |")
    print("\nper round: " + "; ".join(f"{x['builds']:.0f} builds, {x['debounced']:.0f} polls within the debounce, "
                                     f"{x['alert_passes']:.0f} alert passes, posts {x['posted']}" for x in r["streams"]))


def main():
    for tool in ("wrk",):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is not installed (apt-get install {tool})")
    build_tools()
    pg("destroy")
    base = pg("start").split("running at ")[-1]
    phases = sys.argv[1:] or ["all"]
    alone = {"periods", "bulletin", "sustain", "today10k"}
    try:
        if "bulletin" in phases or phases == ["all"]:
            phase_bulletin(base)
            report_bulletin()
        if phases == ["all"] or not set(phases) <= alone:
            phase_today(base)
            phase_ingest(base)
            phase_scaling(base)
            report()
        if "periods" in phases or phases == ["all"]:
            phase_periods(base)
            report_periods()
        if "today10k" in phases or phases == ["all"]:
            phase_today10k(base)
            report_today10k()
        if "sustain" in phases or phases == ["all"]:
            phase_sustain(base)
            report_sustain()
        with open(os.path.join(OUT, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
    finally:
        pg("destroy")


if __name__ == "__main__":
    main()
