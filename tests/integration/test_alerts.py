"""Alerts (issue 4): a staged incident day raises each alert type exactly when it should, the
alerts show on /api/v1/alerts, stream on /api/v1/events, and reach a webhook once each, with
retries and across a daemon restart."""
import http.client
import http.server
import json
import threading
import time
import unittest

from harness import ADMIN, Daemon, PG_URL, new_database, psql, wait_for

DAY = "2017-12-06"
NOW = "2017-12-06T15:30:00+08:00"
# A national point and micro stations around it (Beijing, Dongcheng).
STATIONS = {
    "GC": ("national", 39.9289, 116.4174),
    "A": ("micro", 39.9330, 116.4174),   # 0.46 km
    "B": ("micro", 39.9200, 116.4174),   # 0.99 km
    "C": ("micro", 39.9289, 116.4400),   # 1.93 km
    "D": ("micro", 39.9289, 116.4800),   # 5.34 km: outside the ring
}


def baseline(code, h):
    """PM2.5, PM10 of an ordinary hour: alternating values, so nothing is ever flat."""
    pm10 = {"GC": 150, "A": 150, "B": 150, "C": 150, "D": 100}[code] + h % 2
    return 50 + h % 2, pm10


def staged_day():
    """The incident day, hours 0..14 (C falls silent after 09:00)."""
    readings = []
    for code in STATIONS:
        for h in range(15):
            if code == "C" and h > 9:
                continue
            pm25, pm10 = baseline(code, h)
            if code == "A" and 1 <= h <= 4:
                pm25 = 33                      # flatline: 4 identical readings over 01:00-04:00
            if code == "D" and h == 3:
                pm25, pm10 = 112, 100          # inversion: 112 > 1.1 x 100 and +12
            if code == "GC" and h == 5:
                pm10 = 240                     # national divergence: 240 > 1.5 x ring median 151
            if code == "B" and h == 6:
                pm25 = 120                     # exceedance: PM2.5 120 -> IAQI 158 > 150
            if code == "A" and 9 <= h <= 11:
                pm10 = 250                     # hotspot: 250 > 1.5 x national 150/151, 3 hours
            if code == "D" and h == 12:
                pm10 = 250                     # spike: 250 >= 2 x 100 and +150 (IAQI 150: no exceedance)
            if code == "GC" and h == 14:
                pm10 = 60                      # interference: 150 -> 60 (-60 %, -90) while the ring holds
            readings.append({"station": code, "observed_at": f"{DAY}T{h:02d}:00:00+08:00",
                             "pm25": pm25, "pm10": pm10})
    return readings


# (station, type, severity, opened_at hour, resolved_at hour or None)
EXPECTED = [
    ("A", "flatline", "warning", 5, 6),
    ("D", "inversion", "info", 4, 5),
    ("GC", "national_divergence", "critical", 6, 7),
    ("B", "exceedance", "warning", 7, 8),
    ("A", "hotspot", "warning", 12, 13),
    ("D", "spike", "warning", 13, 14),
    ("GC", "interference", "critical", 15, None),
]


class Receiver:
    """A loopback webhook receiver that fails the first `failures` POSTs with 503."""

    def __init__(self, failures=0):
        self.failures = failures
        self.bodies = []
        self.attempts = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.attempts += 1
                if outer.attempts <= outer.failures:
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.bodies.append(json.loads(body))
                reply = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SseClient:
    """Reads /api/v1/events in a thread and keeps every event."""

    def __init__(self, port):
        self.events = []
        self.comments = []      # (monotonic time, text) of every comment line
        self.ended = None       # why the stream ended, once it has
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.request("GET", "/api/v1/events")
        self.resp = self.conn.getresponse()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        name = None
        try:
            for raw in self.resp:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    self.events.append((name, json.loads(line[6:])))
                elif line.startswith(":"):
                    self.comments.append((time.monotonic(), line[1:].strip()))
            self.ended = "end of stream"
        except Exception as e:
            self.ended = repr(e)

    def close(self):
        self.conn.close()


def register(d):
    for code, (kind, lat, lon) in STATIONS.items():
        d.put_station(code, kind=kind, lat=lat, lon=lon, name=f"站点{code}", unit=f"{code}街道办事处")


@unittest.skipUnless(PG_URL, "needs the test cluster")
class StagedIncidentTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.receiver = Receiver(failures=2)
        cls.d = Daemon(env={"AQRANK_NOW": NOW, "AQRANK_WEBHOOK_URL": cls.receiver.url,
                            "AQRANK_ALERT_TICK": "1"}).start()
        register(cls.d)
        cls.sse = SseClient(cls.d.port)
        time.sleep(1.5)  # the stream is established before anything happens
        cls.d.post_readings(staged_day())
        # Every expected alert, plus offline for C.
        wait_for(lambda: len(cls.alerts("all")) >= len(EXPECTED) + 1, what="alerts")
        time.sleep(2.5)  # a few more evaluation passes must not add anything

    @classmethod
    def tearDownClass(cls):
        cls.sse.close()
        assert cls.d.stop() == 0
        cls.receiver.close()

    @classmethod
    def alerts(cls, status):
        return cls.d.get(f"/api/v1/alerts?status={status}&limit=1000").json["alerts"]

    def test_exactly_the_expected_alerts(self):
        got = {(a["station"], a["type"]): a for a in self.alerts("all")}
        want = {(s, t) for s, t, *_ in EXPECTED} | {("C", "offline")}
        self.assertEqual(set(got), want)
        for station, type_, severity, opened, resolved in EXPECTED:
            a = got[(station, type_)]
            self.assertEqual(a["severity"], severity, a)
            self.assertEqual(a["opened_at"], f"{DAY}T{opened:02d}:00:00+08:00", a)
            if resolved is None:
                self.assertEqual(a["status"], "open", a)
                self.assertIsNone(a["resolved_at"])
            else:
                self.assertEqual(a["status"], "resolved", a)
                self.assertEqual(a["resolved_at"], f"{DAY}T{resolved:02d}:00:00+08:00", a)
        off = got[("C", "offline")]
        self.assertEqual((off["status"], off["severity"]), ("open", "warning"))
        self.assertEqual(off["opened_at"], NOW)
        self.assertEqual(off["value"], 6.5 * 3600)       # silent since 09:00
        self.assertEqual(off["threshold"], 7200)          # max(3600, 2 x interval_s)

    def test_values_and_thresholds(self):
        got = {(a["station"], a["type"]): a for a in self.alerts("all")}
        self.assertEqual((got[("B", "exceedance")]["value"], got[("B", "exceedance")]["threshold"]), (158, 150))
        self.assertEqual(got[("B", "exceedance")]["pollutant"], "PM2.5")
        self.assertEqual(got[("D", "spike")]["value"], 250)
        self.assertEqual(got[("D", "spike")]["threshold"], 202)   # previous hour 101: max(2 x 101, 101 + 100)
        self.assertEqual(got[("A", "flatline")]["value"], 33)
        self.assertEqual(got[("GC", "interference")]["value"], 60)
        self.assertIn("GC", got[("GC", "interference")]["message"])

    def test_filters_and_ack(self):
        open_ = self.alerts("open")
        self.assertEqual({(a["station"], a["type"]) for a in open_}, {("GC", "interference"), ("C", "offline")})
        r = self.d.get("/api/v1/alerts?status=all&station=D")
        self.assertEqual({a["type"] for a in r.json["alerts"]}, {"inversion", "spike"})
        r = self.d.get("/api/v1/alerts?status=all&type=hotspot")
        self.assertEqual([a["station"] for a in r.json["alerts"]], ["A"])
        self.assertEqual(self.d.get("/api/v1/alerts?status=bogus").status, 422)
        self.assertEqual(self.d.get("/api/v1/alerts?type=bogus").status, 422)
        aid = next(a["id"] for a in open_ if a["type"] == "offline")
        r = self.d.post(f"/api/v1/alerts/{aid}/ack", body={"note": "已联系运维"})
        self.assertEqual(r.status, 401)
        r = self.d.post(f"/api/v1/alerts/{aid}/ack", body={"note": "已联系运维"}, token=ADMIN)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["note"]), ("acknowledged", "已联系运维"))
        # Acknowledged stays the one active alert: the next passes do not open another.
        time.sleep(2.5)
        offline = [a for a in self.alerts("all") if a["type"] == "offline"]
        self.assertEqual(len(offline), 1)
        resolved = next(a["id"] for a in self.alerts("resolved"))
        self.assertEqual(self.d.post(f"/api/v1/alerts/{resolved}/ack", token=ADMIN).status, 409)
        self.assertEqual(self.d.post("/api/v1/alerts/999999/ack", token=ADMIN).status, 404)

    def test_events_stream(self):
        wait_for(lambda: len([e for e in self.sse.events if e[0] == "alert"]) >= 2 * len(EXPECTED), what="events")
        opened = {(e[1]["alert"]["station"], e[1]["alert"]["type"]) for e in self.sse.events
                  if e[0] == "alert" and e[1]["event"] == "opened"}
        self.assertTrue({(s, t) for s, t, *_ in EXPECTED} <= opened, opened)
        resolved = {(e[1]["alert"]["station"], e[1]["alert"]["type"]) for e in self.sse.events
                    if e[0] == "alert" and e[1]["event"] == "resolved"}
        self.assertIn(("D", "spike"), resolved)

    def test_webhook_once_each_after_retries(self):
        wait_for(lambda: len(self.receiver.bodies) >= len(EXPECTED) + 1, timeout=30, what="deliveries")
        time.sleep(2)
        delivered = [(b["alert"]["station"], b["alert"]["type"]) for b in self.receiver.bodies]
        self.assertEqual(sorted(delivered), sorted([(s, t) for s, t, *_ in EXPECTED] + [("C", "offline")]))
        self.assertTrue(all(b["event"] == "alert.opened" for b in self.receiver.bodies))
        self.assertEqual(self.receiver.attempts, len(delivered) + 2)  # the two refused attempts were retried
        pending = psql("SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL", self.d.url)
        self.assertEqual(pending, "0")


@unittest.skipUnless(PG_URL, "needs the test cluster")
class LiveAlertTest(unittest.TestCase):
    """Issue 13: a reading that raises an alert while its hour is still running reaches the
    event stream, GET /api/v1/alerts and the webhook within seconds, once; later readings of
    the same hour do not count it again; the stream stays healthy for a client that stays."""

    CLOCK = "2017-12-06T23:00:00+08:00"

    def test_alerts_of_the_open_hour(self):
        receiver = Receiver()
        env = {"AQRANK_NOW": self.CLOCK, "AQRANK_WEBHOOK_URL": receiver.url,
               "AQRANK_EVENTS_KEEPALIVE": "1", "AQRANK_FINALIZE_QUIET": "0"}
        try:
            with Daemon(env=env) as d:
                register(d)
                token = d.post(f"/api/v1/stations/B/token", token=ADMIN).json["token"]
                sse = SseClient(d.port)
                wait_for(lambda: sse.comments, what="the stream's first line")
                # Earlier hours, ordinary; then 23:00, the open hour: B exceeds (PM2.5 130 ->
                # IAQI 172), D inverts (112 > 1.1 x 100), GC diverges (240 > 1.5 x median 150).
                d.post_readings([{"station": c, "observed_at": f"2017-12-06T{h:02d}:00:00+08:00",
                                  "pm25": baseline(c, h)[0], "pm10": baseline(c, h)[1]}
                                 for c in STATIONS for h in (21, 22)])
                wait_for(lambda: psql("SELECT count(*) FROM alert_state WHERE evaluated_through = "
                                      "'2017-12-06T23:00:00+08:00'", d.url) == str(len(STATIONS)),
                         what="hours before 23:00 judged")
                self.assertEqual(d.get("/api/v1/alerts?status=all").json["alerts"], [])
                opened_at = time.monotonic()
                r = d.post("/api/v1/readings", body={"observed_at": self.CLOCK, "pm25": 130, "pm10": 150},
                           token=token)
                self.assertEqual(r.status, 200, r)
                d.post_readings([
                    {"station": "A", "observed_at": self.CLOCK, "pm25": 50, "pm10": 150},
                    {"station": "C", "observed_at": self.CLOCK, "pm25": 50, "pm10": 150},
                    {"station": "D", "observed_at": self.CLOCK, "pm25": 112, "pm10": 100},
                    {"station": "GC", "observed_at": self.CLOCK, "pm25": 50, "pm10": 240}])

                def streamed(station):
                    return [e[1] for e in sse.events if e[0] == "alert" and e[1]["alert"]["station"] == station]

                wait_for(lambda: streamed("B") and streamed("D") and streamed("GC"), timeout=15,
                         what="alert events for B, D and GC")
                self.assertLess(time.monotonic() - opened_at, 10)
                b = streamed("B")
                self.assertEqual(len(b), 1, b)
                self.assertEqual(b[0]["event"], "opened")
                self.assertEqual((b[0]["alert"]["type"], b[0]["alert"]["value"], b[0]["alert"]["threshold"]),
                                 ("exceedance", 172, 150))
                self.assertEqual([e["alert"]["type"] for e in streamed("D")], ["inversion"])
                gc = streamed("GC")
                self.assertEqual([(e["alert"]["type"], e["alert"]["severity"]) for e in gc],
                                 [("national_divergence", "critical")])

                listed = d.get("/api/v1/alerts?status=all&limit=100").json["alerts"]
                self.assertEqual(sorted((a["station"], a["type"]) for a in listed),
                                 [("B", "exceedance"), ("D", "inversion"), ("GC", "national_divergence")])
                got = next(a for a in listed if a["station"] == "B")
                self.assertEqual(got["id"], b[0]["alert"]["id"])
                self.assertEqual((got["status"], got["count"]), ("open", 1))
                # Stamped by the clock, inside the hour that raised it (not at its future end).
                self.assertEqual(got["opened_at"], "2017-12-06T23:00:01+08:00")

                # A second reading of the same hour moves the hourly mean (140 -> IAQI 186): the
                # alert follows it, and it is still the one alert seen in one hour.
                r = d.post("/api/v1/readings", body={"observed_at": "2017-12-06T23:00:30+08:00", "pm25": 150,
                                                     "pm10": 150}, token=token)
                self.assertEqual(r.status, 200, r)
                wait_for(lambda: d.get("/api/v1/alerts?station=B").json["alerts"][0]["value"] == 186,
                         what="the alert following the hour's mean")
                again = d.get("/api/v1/alerts?status=all&station=B").json["alerts"]
                self.assertEqual([(a["type"], a["count"]) for a in again], [("exceedance", 1)])
                self.assertEqual(len(streamed("B")), 1)

                # The webhook got each alert once.
                wait_for(lambda: len(receiver.bodies) >= 3, what="deliveries")
                time.sleep(1.5)
                self.assertEqual(sorted((x["alert"]["station"], x["alert"]["type"]) for x in receiver.bodies),
                                 [("B", "exceedance"), ("D", "inversion"), ("GC", "national_divergence")])

                # The stream stays healthy: keep-alives keep coming (every second here) and the
                # connection is still open.
                seen = len(sse.comments)
                time.sleep(3.5)
                self.assertGreaterEqual(len(sse.comments) - seen, 2, sse.comments[-5:])
                self.assertIsNone(sse.ended)
                sse.close()
        finally:
            receiver.close()

    def test_count_and_last_seen_bump_hour_by_hour(self):
        env = {"AQRANK_NOW": "2017-12-06T22:30:00+08:00", "AQRANK_FINALIZE_QUIET": "0"}
        with Daemon(env=env) as d:
            register(d)
            d.post_readings([{"station": "B", "observed_at": "2017-12-06T21:00:00+08:00", "pm25": 120,
                              "pm10": 150}])
            first = wait_for(lambda: d.get("/api/v1/alerts?station=B").json["alerts"], what="21:00 alert")
            # 21:00 is closed by the clock (22:30): the hour speaks at its end.
            self.assertEqual((first[0]["count"], first[0]["opened_at"], first[0]["last_seen_at"]),
                             (1, "2017-12-06T22:00:00+08:00", "2017-12-06T22:00:00+08:00"))
            d.post_readings([{"station": "B", "observed_at": "2017-12-06T22:00:00+08:00", "pm25": 125,
                              "pm10": 150}])
            wait_for(lambda: d.get("/api/v1/alerts?station=B").json["alerts"][0]["count"] == 2,
                     what="the count bumped by the next hour")
            a = d.get("/api/v1/alerts?station=B").json["alerts"]
            self.assertEqual(len(a), 1)
            self.assertEqual((a[0]["opened_at"], a[0]["last_seen_at"], a[0]["value"]),
                             ("2017-12-06T22:00:00+08:00", "2017-12-06T22:30:00+08:00", 165))
            time.sleep(2.5)  # more passes over the same open hour change nothing
            self.assertEqual(d.get("/api/v1/alerts?station=B").json["alerts"][0]["count"], 2)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class WebhookDurabilityTest(unittest.TestCase):
    def test_restart_mid_delivery_loses_nothing(self):
        url = new_database()
        receiver = Receiver(failures=1000)  # refuses everything while the first daemon runs
        try:
            env = {"AQRANK_NOW": NOW, "AQRANK_WEBHOOK_URL": receiver.url, "AQRANK_ALERT_TICK": "1"}
            d = Daemon(url=url, env=env).start()
            register(d)
            d.post_readings(staged_day())
            wait_for(lambda: int(psql("SELECT count(*) FROM webhook_outbox", url)) >= len(EXPECTED) + 1,
                     what="outbox")
            wait_for(lambda: receiver.attempts >= 1, what="a first attempt")
            self.assertEqual(d.stop(), 0)
            self.assertEqual(receiver.bodies, [])
            receiver.failures = 0
            # The retry delay of a failed attempt passes in real time; then the new daemon delivers.
            with Daemon(url=url, env=env):
                wait_for(lambda: len(receiver.bodies) >= len(EXPECTED) + 1, timeout=40, what="deliveries")
                time.sleep(2)
            delivered = [(b["alert"]["station"], b["alert"]["type"]) for b in receiver.bodies]
            self.assertEqual(len(delivered), len(set(delivered)))
            self.assertEqual(len(delivered), len(EXPECTED) + 1)
        finally:
            receiver.close()

    def test_robot_formats_and_no_push_for_old_data(self):
        for fmt in ("dingtalk", "wecom"):
            receiver = Receiver()
            try:
                url = new_database()
                env = {"AQRANK_NOW": "2017-12-08T12:00:00+08:00", "AQRANK_WEBHOOK_URL": receiver.url,
                       "AQRANK_WEBHOOK_FORMAT": fmt, "AQRANK_ALERT_TICK": "1", "AQRANK_FINALIZE_QUIET": "0"}
                with Daemon(url=url, env=env) as d:
                    register(d)
                    # Old data (2 days back): alerts, but no push; today's exceedance: a push.
                    d.post_readings(staged_day())
                    d.post_readings([{"station": "B", "observed_at": f"2017-12-08T{h:02d}:00:00+08:00",
                                      "pm25": 120 + h, "pm10": 150 + h % 2} for h in range(9, 11)])
                    wait_for(lambda: any("颗粒物超标" in b["text"]["content"] for b in receiver.bodies),
                             what=f"{fmt} delivery")
                    wait_for(lambda: len(d.get("/api/v1/alerts?status=all&limit=1000").json["alerts"]) >= 8,
                             what="backfilled alerts")
                    time.sleep(2)
                self.assertTrue(all(b["msgtype"] == "text" for b in receiver.bodies))
                texts = [b["text"]["content"] for b in receiver.bodies]
                exceedance = [t for t in texts if "颗粒物超标" in t]
                self.assertEqual(len(exceedance), 1, texts)
                for word in ("站点B", "B街道办事处", "PM2.5", "阈值 150", "2017-12-08T10:00"):
                    self.assertIn(word, exceedance[0])
                # The stations silent since the 6th are offline now: pushed. The 6th's hour
                # alerts (flatline, spike, ...) are two days old: stored, never pushed.
                others = [t for t in texts if t not in exceedance]
                self.assertTrue(others and all("站点离线" in t for t in others), texts)
            finally:
                receiver.close()


@unittest.skipUnless(PG_URL, "needs the test cluster")
class TwoDaemonsTest(unittest.TestCase):
    def test_no_alert_raised_twice(self):
        url = new_database()
        receiver = Receiver()
        try:
            # Hours are judged once a backfill pauses for AQRANK_FINALIZE_QUIET; under valgrind the
            # second daemon's first POST can lag the first one's by seconds, and a judgement of
            # half the network in between is right but not what this test counts.
            env = {"AQRANK_NOW": NOW, "AQRANK_WEBHOOK_URL": receiver.url, "AQRANK_ALERT_TICK": "1",
                   "AQRANK_FINALIZE_QUIET": "15"}
            with Daemon(url=url, env=env) as d1, Daemon(url=url, env=env) as d2:
                register(d1)
                # Split by station: a station cut in two would be offline (its newest reading
                # hours old) for a pass that ran between the two POSTs — right, but not counted.
                day = staged_day()
                first = set(list(STATIONS)[:2])
                d1.post_readings([r for r in day if r["station"] in first])
                d2.post_readings([r for r in day if r["station"] not in first])
                wait_for(lambda: len(receiver.bodies) >= len(EXPECTED) + 1, timeout=60, what="deliveries")
                time.sleep(3)
                rows = psql("SELECT count(*), count(DISTINCT (station_id, type, opened_at)) FROM alerts", url)
                total, distinct = map(int, rows.split("|"))
                self.assertEqual(total, distinct)
                listing = psql("SELECT s.code, a.type, a.opened_at, a.resolved_at FROM alerts a "
                               "JOIN stations s ON s.id = a.station_id ORDER BY a.opened_at", url)
                self.assertEqual(total, len(EXPECTED) + 1, listing)
                self.assertEqual(len(receiver.bodies), len(EXPECTED) + 1)
        finally:
            receiver.close()


if __name__ == "__main__":
    unittest.main()
