#!/usr/bin/env python3
"""The source analysis of a national point (issue 17): GET /api/v1/national/{code}/sources with
a ring of 200 micro stations, against the target of 20 ms for 24 hours from hourly rows.

  AQ_PG_STATE=$PWD/var/bench-pg sh deploy/pg-local.sh start
  AQ_BENCH_PG_URL=$(AQ_PG_STATE=$PWD/var/bench-pg sh deploy/pg-local.sh url) python3 bench/sources_bench.py

(or any PostgreSQL URL whose user may CREATE DATABASE: a throw-away database is made and
dropped). Builds nothing: runs build/aqrankd (AQ_BIN to change it).

The network: one national point with a wind vane reporting every minute, 200 hourly micro
stations within 3 km, 31 days. Figures:
  * 24 h windows, each asked once (a cache miss: stations, PM hourly rows, wind from the
    point's raw readings, rose and ranking, JSON): wall time per request and the daemon's
    Server-Timing split (load = database, compute = the pure analysis);
  * the same window asked again at the same data version (a cache hit);
  * 31-day windows (the longest allowed), misses;
  * the wind query alone over 24 h and 31 days of minute readings, in PostgreSQL (EXPLAIN
    ANALYZE execution time): what reading wind from the raw rows costs.
Results: a table on stdout and build/bench/sources.json.
"""
import datetime as dt
import http.client
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.environ.get("AQ_BIN", os.path.join(ROOT, "build", "aqrankd"))
ADMIN = "bench-admin-token-0123456789abcdef"
RING = int(os.environ.get("BENCH_RING", "200"))
DAYS = 31
START = dt.date(2026, 5, 1)
NOW = "2026-06-01T12:00:00+08:00"
POINT = (39.9289, 116.4174)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def psql(url, sql):
    return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql], check=True, capture_output=True,
                          text=True).stdout.strip()


def request(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    h = {"Authorization": "Bearer " + ADMIN}
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    t0 = time.monotonic()
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    out = r.read()
    ms = (time.monotonic() - t0) * 1000
    timing = {k: float(v) for k, v in re.findall(r"(\w+);dur=([\d.]+)", r.getheader("Server-Timing") or "")}
    hit = "cache;desc=hit" in (r.getheader("Server-Timing") or "")
    c.close()
    if r.status >= 400:
        raise RuntimeError(f"{method} {path}: {r.status} {out[:300]}")
    return out, ms, timing, hit


def place(i):
    """Station i on a spiral inside 3 km of the point."""
    km = 0.2 + 2.7 * (i + 0.5) / RING
    deg = (i * 137.508) % 360
    r, p1, l1 = 6371.0088, math.radians(POINT[0]), math.radians(POINT[1])
    b, d = math.radians(deg), km / r
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


def load(port):
    request(port, "PUT", "/api/v1/stations/GC", {"name": "GC", "kind": "national", "lat": POINT[0],
                                                 "lon": POINT[1], "interval_s": 60})
    for i in range(RING):
        lat, lon = place(i)
        request(port, "PUT", f"/api/v1/stations/M{i:03d}", {"name": f"M{i:03d}", "kind": "micro", "lat": lat,
                                                           "lon": lon, "interval_s": 3600})
    batch = []

    def flush():
        if batch:
            request(port, "POST", "/api/v1/readings", ("[" + ",".join(batch) + "]").encode())
            batch.clear()

    for day in range(DAYS):
        date = START + dt.timedelta(days=day)
        for h in range(24):
            for i in range(RING):
                v = 60 + (i * 7 + h * 13 + day) % 40
                batch.append(f'{{"station":"M{i:03d}","observed_at":"{date}T{h:02d}:00:00+08:00",'
                             f'"pm25":{v // 2},"pm10":{v}}}')
                if len(batch) == 5000:
                    flush()
            for m in range(60):
                batch.append(f'{{"station":"GC","observed_at":"{date}T{h:02d}:{m:02d}:00+08:00","pm25":{40 + h},'
                             f'"pm10":{80 + h},"wind_speed":{(h + m) % 7 * 0.8},"wind_direction":{(h * 15 + m) % 360}}}')
                if len(batch) == 5000:
                    flush()
        flush()


def figures(samples):
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(sorted(samples)[int(0.95 * (len(samples) - 1))], 2),
            "max_ms": round(max(samples), 2), "n": len(samples)}


def main():
    base = os.environ.get("AQ_BENCH_PG_URL") or os.environ.get("AQ_TEST_PG_URL")
    if not base:
        sys.exit("set AQ_BENCH_PG_URL (see the docstring)")
    name = "bench_sources_" + uuid.uuid4().hex[:8]
    psql(base, f"CREATE DATABASE {name}")
    parts = urllib.parse.urlsplit(base)
    url = f"{parts.scheme}://{parts.netloc}/{name}" + (f"?{parts.query}" if parts.query else "")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AQRANK_DATABASE_URL": url, "AQRANK_LISTEN": "127.0.0.1:0",
           "AQRANK_ADMIN_TOKEN": ADMIN, "AQRANK_NOW": NOW, "AQRANK_FINALIZE_QUIET": "1000000000",
           "AQRANK_THREADS": "4"}
    proc = subprocess.Popen([BIN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    port = None
    try:
        for line in proc.stderr:
            m = re.search(r"listening on http://[^:]+:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        t0 = time.monotonic()
        load(port)
        log(f"loaded {RING} ring stations x {DAYS} days hourly + the point's minute readings in "
            f"{time.monotonic() - t0:.0f} s")
        psql(url, "VACUUM ANALYZE")
        out = {"ring": RING, "loadavg_before": os.getloadavg()[0]}
        rows = []
        for hours, label in ((24, "24 h"), (24 * DAYS, f"{DAYS} d")):
            walls, loads, computes, renders = [], [], [], []
            starts = [dt.datetime(2026, 5, 2, tzinfo=dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(hours=k * 5)
                      for k in range(25 if hours == 24 else 4)]
            for k, start in enumerate(starts):
                q = (f"/api/v1/national/GC/sources?from={urllib.parse.quote(start.isoformat())}"
                     f"&to={urllib.parse.quote((start + dt.timedelta(hours=hours)).isoformat())}"
                     if hours == 24 else
                     f"/api/v1/national/GC/sources?from=2026-05-01&to=2026-05-31&pollutant={'pm25' if k % 2 else 'pm10'}"
                     f"&radius_km={3 + k}")
                body, ms, timing, hit = request(port, "GET", q)
                assert not hit and len(json.loads(body)["ring"]) == RING
                if k == 0:
                    continue  # the first request of a kind warms the connection's prepared statements
                walls.append(ms)
                loads.append(timing.get("load", 0))
                computes.append(timing.get("compute", 0))
                renders.append(timing.get("render", 0))
            out[label] = {"wall": figures(walls), "load": figures(loads), "compute": figures(computes),
                          "render": figures(renders)}
            rows.append((f"miss, {label} window", out[label]))
        hits, hit_renders = [], []
        q = "/api/v1/national/GC/sources?from=2026-05-20&to=2026-05-20"
        request(port, "GET", q)
        for _ in range(50):
            _, ms, timing, hit = request(port, "GET", q)
            assert hit
            hits.append(ms)
            hit_renders.append(timing.get("render", 0))
        out["hit"] = {"wall": figures(hits), "render": figures(hit_renders)}
        rows.append(("hit, 24 h window", out["hit"]))
        gc = psql(url, "SELECT id FROM stations WHERE code = 'GC'")
        wind = {}
        for label, a, b in (("24 h", "2026-05-20 00:00+08", "2026-05-21 00:00+08"),
                            (f"{DAYS} d", "2026-05-01 00:00+08", "2026-06-01 00:00+08")):
            plan = psql(url, "EXPLAIN (ANALYZE, FORMAT JSON) SELECT observed_at::date, extract(hour FROM observed_at), "
                        "count(*), sum(wind_speed), sum(wind_speed * sind(wind_direction)), "
                        "sum(wind_speed * cosd(wind_direction)) FROM readings WHERE station_id = " + gc +
                        f" AND observed_at >= '{a}' AND observed_at < '{b}' AND wind_speed IS NOT NULL GROUP BY 1, 2")
            wind[label] = round(json.loads(plan)[0]["Execution Time"], 2)
        out["wind_query_ms"] = wind
        out["loadavg_after"] = os.getloadavg()[0]
        print(f"\nsource analysis, ring of {RING} stations (target: 24 h from hourly rows <= 20 ms); "
              f"1-min load average {out['loadavg_before']:.1f} before, {out['loadavg_after']:.1f} after "
              f"({os.cpu_count()} CPUs)")
        print(f"{'':24} {'wall median':>12} {'p95':>8} {'load':>8} {'compute':>8} {'render':>8}")
        for name_, f in rows:
            print(f"{name_:24} {f['wall']['median_ms']:>10.2f}ms {f['wall']['p95_ms']:>6.2f}ms "
                  f"{f.get('load', {}).get('median_ms', float('nan')):>6.2f}ms "
                  f"{f.get('compute', {}).get('median_ms', float('nan')):>6.2f}ms "
                  f"{f.get('render', {}).get('median_ms', float('nan')):>6.2f}ms")
        print(f"wind from the point's minute readings (PostgreSQL execution): 24 h {wind['24 h']} ms, "
              f"{DAYS} d {wind[f'{DAYS} d']} ms")
        os.makedirs(os.path.join(ROOT, "build", "bench"), exist_ok=True)
        with open(os.path.join(ROOT, "build", "bench", "sources.json"), "w") as f:
            json.dump(out, f, indent=1)
    finally:
        proc.terminate()
        proc.wait(30)
        if os.environ.get("BENCH_KEEP"):
            log(f"kept {url}")
        else:
            psql(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
