"""Several daemons behind nginx (issue 18): a real nginx, configured from
deploy/nginx-aqrank.conf (nginx_proxy.py), in front of two aqrankd on one database.

- Ingest through nginx while one daemon is SIGKILLed and restarted: every acknowledged reading
  is stored exactly once; the past day is finalized once; every webhook notification (alerts
  and the bulletin) is delivered once, although the alert passes and the outbox ran on both
  daemons and one died among them; `/ranking/today` answers with the same ETag from either
  daemon within one refresh.
- The client address: nginx replaces a forged X-Forwarded-For / X-Real-IP with the address it
  saw, and the per-address failed-token budget (AQRANK_AUTH_FAIL_LIMIT) holds through it.
- With the real clock, two daemons tag today's ranking alike although each stamps its own
  generated_at.
"""
import http.client
import http.server
import json
import os
import re
import signal
import sys
import threading
import time
import unittest

from harness import ADMIN, Daemon, PG_URL, new_database, psql, wait_for
import nginx_proxy
from test_alerts import EXPECTED, Receiver, register, staged_day

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))
from faults import Ingest  # noqa: E402  the fault scripts' clients: unique keys, acked set

NOW = "2017-12-07T15:00:00+08:00"
TODAY, YESTERDAY = "2017-12-07", "2017-12-06"
NGINX_ADDR = "127.0.0.2"     # nginx connects to the daemons from here: the only trusted proxy
FAIL_LIMIT = 5


def request(port, method, path, body=None, headers=None, source=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        conn.close()


def today_etag(port):
    status, headers, _ = request(port, "GET", "/api/v1/ranking/today")
    return headers.get("etag") if status == 200 else None


def same_etag(ports, timeout):
    """Seconds until every daemon answers /ranking/today with one ETag, and that ETag."""
    t0 = time.monotonic()
    while True:
        tags = {today_etag(p) for p in ports}
        if len(tags) == 1 and None not in tags:
            return time.monotonic() - t0, tags.pop()
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"daemons disagree on today's ETag after {timeout} s: {tags}")
        time.sleep(0.05)


def metric(d, name):
    m = re.search(rf"^{name} (\S+)$", d.get("/metrics").body.decode(), re.M)
    return float(m.group(1)) if m else 0.0


def deliveries_by_key(receiver):
    """What the receiver took, keyed by what makes a notification one: (event, alert id), or
    the bulletin's (event, date)."""
    keys = []
    for b in receiver.bodies:
        keys.append((b["event"], b["alert"]["id"]) if "alert" in b else (b["event"], b.get("date")))
    return keys


@unittest.skipUnless(PG_URL, "needs the test cluster")
@unittest.skipUnless(nginx_proxy.available(), "needs nginx (/usr/sbin/nginx)")
class NginxTwoDaemonsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver(failures=10 ** 9)      # refuses until the kill is over
        cls.url = new_database()
        cls.ports = [nginx_proxy.free_port(), nginx_proxy.free_port()]
        cls.env = {"AQRANK_NOW": NOW, "AQRANK_WEBHOOK_URL": cls.receiver.url, "AQRANK_ALERT_TICK": "1",
                   "AQRANK_FINALIZE_QUIET": "1", "AQRANK_TRUSTED_PROXIES": NGINX_ADDR,
                   "AQRANK_AUTH_FAIL_LIMIT": str(FAIL_LIMIT)}
        cls.daemons = [cls.daemon(p) for p in cls.ports]
        cls.nginx = nginx_proxy.Nginx([f"127.0.0.1:{p}" for p in cls.ports], bind=NGINX_ADDR).start()

    @classmethod
    def daemon(cls, port):
        return Daemon(url=cls.url, env=dict(cls.env, AQRANK_LISTEN=f"127.0.0.1:{port}")).start()

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()
        codes = [d.stop() for d in cls.daemons]
        cls.receiver.close()
        if any(c != 0 for c in codes):
            raise AssertionError(f"exit codes {codes}")

    def via_nginx(self, method, path, body=None, token=ADMIN, expect=200):
        status, _, data = request(self.nginx.port, method, path, body,
                                  {"Authorization": "Bearer " + token} if token else None)
        if expect is not None:
            self.assertEqual(status, expect, data[:300])
        return json.loads(data) if data else None

    def test_kill_one_daemon_under_load(self):
        # Stations, yesterday's data (a day to finalize), today's staged incident (alerts) —
        # all through nginx, as clients would send them.
        register_through = _Through(self)
        register(register_through)
        tokens = [self.via_nginx("PUT", f"/api/v1/stations/F-{i}",
                                 {"name": f"F-{i}", "kind": "micro", "lat": 39.95, "lon": 116.40,
                                  "interval_s": 60}, expect=201)["token"] for i in range(8)]
        yesterday = [{"station": code, "observed_at": f"{YESTERDAY}T{h:02d}:00:00+08:00",
                      "pm25": 40 + h % 3, "pm10": 90 + h % 5}
                     for code in ("GC", "A", "B", "C", "D") for h in range(24)]
        self.via_nginx("POST", "/api/v1/readings", yesterday)
        incident = [dict(r, observed_at=r["observed_at"].replace("2017-12-06", TODAY)) for r in staged_day()]
        self.via_nginx("POST", "/api/v1/readings", incident)

        ingest = Ingest(self.nginx.port, tokens).start()
        self.addCleanup(lambda: print(f"\n  scale-out: {len(ingest.acked)} readings acknowledged, replies "
                                      f"{ingest.statuses}, {len(self.receiver.bodies)} notifications",
                                      file=sys.stderr))
        try:
            time.sleep(2.0)
            victim = self.daemons[0]
            victim.proc.send_signal(signal.SIGKILL)
            victim.proc.wait()
            victim.proc.stderr.close()
            victim.proc = None
            time.sleep(0.5)
            self.daemons[0] = self.daemon(self.ports[0])
            time.sleep(1.5)
            self.receiver.failures = 0             # deliveries may succeed from now on
            time.sleep(1.5)
        finally:
            ingest.finish()

        # Every acknowledged reading stored exactly once.
        rows = psql("SELECT s.code, extract(epoch FROM r.observed_at - timestamptz '2017-12-07 00:00+08')::int "
                    "FROM readings r JOIN stations s ON s.id = r.station_id WHERE s.code LIKE 'F-%'", self.url)
        keys = [(int(c[2:]), int(o)) for c, o in (line.split("|") for line in rows.splitlines())]
        lost = ingest.acked - set(keys)
        self.assertGreater(len(ingest.acked), 500, ingest.statuses)
        self.assertEqual(len(lost), 0, sorted(lost)[:10])
        self.assertEqual(len(keys), len(set(keys)), "a reading stored twice")
        # Replies while a daemon was down: nginx sends what it could not deliver to the other
        # daemon, or answers its own JSON 503; nothing else.
        self.assertTrue(set(ingest.statuses) <= {200, 503}, ingest.statuses)

        # One snapshot of yesterday.
        wait_for(lambda: psql("SELECT count(*) FROM days WHERE finalized_at IS NOT NULL", self.url) == "1",
                 timeout=30, what="yesterday finalized")
        self.assertEqual(psql("SELECT day FROM days WHERE finalized_at IS NOT NULL", self.url), YESTERDAY)
        total, distinct = psql("SELECT count(*), count(DISTINCT (day, station_id)) FROM day_values", self.url).split("|")
        self.assertEqual(total, distinct)
        self.assertEqual(int(total), 5)            # the five stations with readings that day

        # One delivery per notification: every outbox row delivered, each exactly once.
        def delivered():
            left = int(psql("SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL", self.url))
            return left == 0 and len(self.receiver.bodies) == int(psql("SELECT count(*) FROM webhook_outbox", self.url))
        wait_for(delivered, timeout=40, what="every notification delivered")
        time.sleep(1.5)                            # a second delivery would come now
        keys = deliveries_by_key(self.receiver)
        self.assertEqual(len(keys), len(set(keys)), sorted(keys))
        outbox = int(psql("SELECT count(*) FROM webhook_outbox", self.url))
        self.assertEqual(len(keys), outbox)
        alerts = {(e, i) for e, i in keys if e != "bulletin.final"}
        self.assertGreaterEqual(len(alerts), len(EXPECTED))
        self.assertEqual(sum(1 for e, _ in keys if e == "bulletin.final"), 1)
        a_total, a_distinct = psql("SELECT count(*), count(DISTINCT (station_id, type, opened_at)) FROM alerts",
                                   self.url).split("|")
        self.assertEqual(a_total, a_distinct)

        # /ranking/today: one ETag from both daemons; after a write through nginx, again
        # within one refresh (the other daemon sees the data version move within a second).
        _, before = same_etag(self.ports, timeout=5)
        self.via_nginx("POST", "/api/v1/readings", {"observed_at": "2017-12-07T14:59:00+08:00", "pm10": 400},
                       token=tokens[7])
        waited, after = same_etag(self.ports, timeout=5)
        self.assertNotEqual(before, after)
        self.assertLess(waited, 2.5)
        # A client that revalidates against the other daemon gets 304.
        status, _, _ = request(self.ports[1], "GET", "/api/v1/ranking/today", headers={"If-None-Match": after})
        self.assertEqual(status, 304)

    def test_forged_client_address(self):
        # Through nginx, each request forging another X-Real-IP and X-Forwarded-For: the
        # daemons still count the failures against the one address nginx saw. Each daemon has
        # its own budget (docs/SCALING.md), so at most two budgets are spent before 429.
        statuses = []
        for i in range(4 * FAIL_LIMIT):
            forged = f"10.9.{i}.{i}"
            status, headers, _ = request(self.nginx.port, "GET", "/api/v1/stations", source="127.0.0.5",
                                         headers={"Authorization": "Bearer wrong-token-%d" % i,
                                                  "X-Real-IP": forged, "X-Forwarded-For": forged})
            statuses.append(status)
        self.assertLessEqual(statuses.count(401), 2 * FAIL_LIMIT + 1, statuses)
        self.assertEqual(statuses[-5:], [429] * 5, statuses)
        # Another client behind the same nginx still has its own budget.
        status, _, _ = request(self.nginx.port, "GET", "/api/v1/stations", source="127.0.0.6",
                               headers={"Authorization": "Bearer wrong"})
        self.assertEqual(status, 401)
        # Directly at a daemon from an address that is not a trusted proxy, X-Real-IP is not
        # believed either.
        statuses = []
        for i in range(2 * FAIL_LIMIT + 2):
            forged = f"10.8.{i}.{i}"
            status, _, _ = request(self.ports[1], "GET", "/api/v1/stations", source="127.0.0.7",
                                   headers={"Authorization": "Bearer wrong", "X-Real-IP": forged})
            statuses.append(status)
        self.assertLessEqual(statuses.count(401), FAIL_LIMIT + 1, statuses)
        self.assertEqual(statuses[-1], 429)

    def test_headers_nginx_passes(self):
        # The same site file in front of an echo server: what reaches an upstream.
        seen = []

        class Echo(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        echo = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
        threading.Thread(target=echo.serve_forever, daemon=True).start()
        try:
            with nginx_proxy.Nginx([f"127.0.0.1:{echo.server_port}"]) as ng:
                status, _, _ = request(ng.port, "GET", "/api/v1/stations", source="127.0.0.9",
                                       headers={"X-Real-IP": "10.1.2.3", "X-Forwarded-For": "10.1.2.3, 10.4.5.6"})
                self.assertEqual(status, 200)
        finally:
            echo.shutdown()
            echo.server_close()
        self.assertEqual(seen[0]["x-real-ip"], "127.0.0.9")
        self.assertEqual(seen[0]["x-forwarded-for"], "127.0.0.9")


class _Through:
    """What test_alerts.register needs of a daemon, sent through nginx."""

    def __init__(self, case):
        self.case = case

    def put_station(self, code, kind="micro", lat=39.93, lon=116.42, **attrs):
        body = {"name": attrs.pop("name", code), "kind": kind, "lat": lat, "lon": lon}
        body.update(attrs)
        return self.case.via_nginx("PUT", "/api/v1/stations/" + code, body, expect=201).get("token")


@unittest.skipUnless(PG_URL, "needs the test cluster")
class DebounceTest(unittest.TestCase):
    """A ranking slow to build (3000 stations: 20 ms or more) is rebuilt at most once per
    AQRANK_TODAY_DEBOUNCE_MS under a stream of changes; polls meanwhile get the one before."""

    def test_slow_ranking_is_debounced(self):
        url = new_database()
        with Daemon(url=url, env={"AQRANK_NOW": NOW, "AQRANK_TODAY_DEBOUNCE_MS": "2000"}) as d:
            psql("INSERT INTO stations (code, name, kind, lat, lon) SELECT 'D-' || g, 'D-' || g, 'micro', "
                 "39.8 + (g / 100) * 0.003, 116.3 + (g % 100) * 0.003 FROM generate_series(1, 3000) g", url)
            readings = [{"station": f"D-{g}", "observed_at": f"{TODAY}T{h:02d}:00:00+08:00", "pm10": 50 + (g + h) % 90}
                        for g in range(1, 3001) for h in range(14)]
            for i in range(0, len(readings), 5000):
                d.post_readings(readings[i:i + 5000])
            t0 = time.monotonic()
            first = d.get("/api/v1/ranking/today")
            build_s = time.monotonic() - t0  # the first poll builds it
            self.assertEqual(first.json["stations_ranked"], 3000)
            timing = dict(re.findall(r"(\w+);dur=([\d.]+)", first.header("Server-Timing") or ""))
            d.post_readings({"station": "D-1", "observed_at": "2017-12-07T14:30:00+08:00", "pm10": 400})
            # Within the debounce: the ranking from before the change (unless the build was
            # quick after all: then there is nothing to debounce and the test says so).
            again = d.get("/api/v1/ranking/today")
            builds = metric(d, "aqrank_today_builds_total")
            if again.header("ETag") != first.header("ETag"):
                self.skipTest(f"the 3000-station build was faster than 20 ms here ({timing})")
            self.assertGreaterEqual(metric(d, "aqrank_today_debounced_total"), 1)
            # After it (the longer of the debounce and four build times), the change shows.
            time.sleep(max(2.0, 4 * build_s) + 0.3)
            later = d.get("/api/v1/ranking/today")
            self.assertNotEqual(later.header("ETag"), first.header("ETag"))
            self.assertEqual(metric(d, "aqrank_today_builds_total"), builds + 1)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class RealClockEtagTest(unittest.TestCase):
    def test_two_daemons_one_tag(self):
        url = new_database()
        with Daemon(url=url) as d1, Daemon(url=url) as d2:
            token = d1.put_station("RC-1")
            now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 5))
            d1.post_readings({"observed_at": now, "pm25": 30, "pm10": 60}, token=token)
            time.sleep(1.1)                 # the two daemons build at different instants
            waited, tag = same_etag([d1.port, d2.port], timeout=5)
            self.assertTrue(tag.startswith('W/"'), tag)
            r = d2.get("/api/v1/ranking/today", headers={"If-None-Match": tag})
            self.assertEqual(r.status, 304)


if __name__ == "__main__":
    unittest.main()
