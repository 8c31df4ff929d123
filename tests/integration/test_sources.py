"""Where a national point's pollution comes from (issue 17): GET /api/v1/national/{code}/sources
on a staged day (a plume north-east of the point, carried in by a north-east wind, reaches the
point two hours later), without wind, with a configured wind station; the alert that carries
the contributors and its DingTalk sentence; bad input; the cache; and the real Beijing data
(the committed December 2015 sample always, ../shared/data/beijing when present) checked
against the independent reference in tests/reference/sources_ref.py.
"""
import datetime as dt
import math
import os
import subprocess
import sys
import unittest

from harness import ADMIN, PG_URL, ROOT, Daemon, wait_for
from test_alerts import Receiver

sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
import sources_ref  # noqa: E402

SAMPLE = os.path.join(ROOT, "tests", "data", "beijing")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "data", "beijing"))

DAY = "2017-12-06"
NOW = "2017-12-06T23:30:00+08:00"
POINT = (39.9289, 116.4174)  # Dongsi (东四)


def place(deg, km, origin=POINT):
    """The point km from origin at bearing deg (on the sphere the daemon measures on)."""
    r = 6371.0088
    p1, l1, b, d = math.radians(origin[0]), math.radians(origin[1]), math.radians(deg), km / r
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return round(math.degrees(p2), 6), round(math.degrees(l2), 6)


# The ring (3 km) around GC: the plume station NE, a quiet one 5 degrees beside it, and three
# elsewhere; FAR is outside the ring; MET is another national point 8 km away with a wind vane.
RING = {"NE": (45, 1.5, "交道口街道微站"), "NEQ": (50, 2.5, "北新桥微站"), "SW": (225, 1.2, "西南微站"),
        "N": (0, 2.0, "北微站"), "E": (90, 0.8, "东微站")}
FAR = (45, 6.0)
MET = (200, 8.0)


def wobble(code, h):
    """An irregular baseline wobble of ±5, different per station (no shared pattern)."""
    x = (sum(map(ord, code)) * 2654435761 + h * 40503 + 12345) & 0xFFFFFFFF
    x ^= x >> 13
    x = (x * 0x5BD1E995) & 0xFFFFFFFF
    x ^= x >> 15
    return (x % 100) / 10.0 - 5


def staged_readings(wind_at="GC"):
    """Hours 0-23: PM10 about 60 everywhere; NE +150 at 08-12, GC +100 at 10-14 (two hours
    later). Wind from the north-east at 3 m/s (45 degrees +- 10), read at wind_at (None: no
    wind at all)."""
    out = []
    for h in range(24):
        for code in ["GC", "FAR", "MET", *RING]:
            pm10 = 60 + wobble(code, h)
            if code == "NE" and 8 <= h <= 12:
                pm10 += 150
            if code == "GC" and 10 <= h <= 14:
                pm10 += 100
            r = {"station": code, "observed_at": f"{DAY}T{h:02d}:00:00+08:00", "pm10": round(pm10, 1),
                 "pm25": round(pm10 / 2, 1)}
            if code == wind_at:
                r["wind_speed"] = 3
                r["wind_direction"] = (45 + (h % 3 - 1) * 10) % 360
            out.append(r)
    return out


def register(d):
    d.put_station("GC", kind="national", lat=POINT[0], lon=POINT[1], name="东四国控点")
    for code, (deg, km, name) in RING.items():
        lat, lon = place(deg, km)
        d.put_station(code, lat=lat, lon=lon, name=name, unit="东城区")
    d.put_station("FAR", lat=place(*FAR)[0], lon=place(*FAR)[1])
    d.put_station("MET", kind="national", lat=place(*MET)[0], lon=place(*MET)[1])


class StagedPlume(unittest.TestCase):
    """The plume day with the point's own wind, alerts pushed to a DingTalk robot."""

    @classmethod
    def setUpClass(cls):
        if not PG_URL:
            raise unittest.SkipTest("needs the test cluster")
        cls.receiver = Receiver()
        cls.d = Daemon(env={"AQRANK_NOW": NOW, "AQRANK_WEBHOOK_URL": cls.receiver.url,
                            "AQRANK_WEBHOOK_FORMAT": "dingtalk", "AQRANK_FINALIZE_QUIET": "1"}).start()
        register(cls.d)
        cls.d.post_readings(staged_readings())

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        cls.receiver.close()
        assert code == 0, code

    def sources(self, query="", status=200):
        r = self.d.get("/api/v1/national/GC/sources" + query)
        self.assertEqual(r.status, status, r)
        return r.json

    def test_plume_station_first_with_lag_2(self):
        got = self.sources()
        self.assertEqual((got["from"], got["to"], got["hours"]), (f"{DAY}T00:00:00+08:00", "2017-12-07T00:00:00+08:00", 24))
        self.assertEqual(got["ranking"], "upwind")
        self.assertEqual(got["wind"]["from"], "point")
        self.assertEqual(got["wind"]["hours"], 24)
        self.assertEqual(got["wind"]["mean_sector"], "NE")
        self.assertEqual(got["method"]["version"], "sources/1")
        self.assertEqual(got["pollutant"], "pm10")
        self.assertEqual(sorted(s["station"] for s in got["ring"]), sorted(RING))  # FAR and MET are not in it
        first = got["contributors"][0]
        self.assertEqual(first["station"], "NE")
        self.assertEqual(first["rank"], 1)
        self.assertEqual(first["best_lag_h"], 2)
        self.assertGreater(first["best_r"], 0.9)
        self.assertEqual(first["sector"], "NE")
        self.assertEqual(first["upwind_hours"], 24)
        self.assertAlmostEqual(first["bearing_deg"], 45, delta=0.1)
        self.assertAlmostEqual(first["distance_km"], 1.5, delta=0.01)
        self.assertGreater(first["excess_pct"], 30)
        self.assertIn("leads the point's by 2 h", first["why"])
        self.assertIn("东北方向", first["why_zh"])
        # The numbers behind the rank: the score is their product.
        self.assertAlmostEqual(first["score"], first["best_r"] * first["upwind_share"] * first["excess_ugm3"], delta=0.05)
        by_code = {s["station"]: s for s in got["ring"]}
        for code in ("SW", "N", "E"):
            self.assertEqual(by_code[code]["upwind_hours"], 0, code)
            self.assertIsNone(by_code[code]["rank"], code)
        self.assertEqual([c["lag_h"] for c in first["correlation"]], [0, 1, 2, 3])

    def test_rose_of_the_day(self):
        got = self.sources()
        posted = [r for r in staged_readings() if r["station"] == "GC"]
        for p in ("pm10", "pm25"):
            values = [r[p] for r in posted]
            p75 = sources_ref.percentile(values, 75)
            high = sum(1 for v in values if v >= p75)
            rose = got["rose"][p]
            self.assertEqual(rose["hours"], 24)
            self.assertEqual(rose["calm"]["hours"], 0)
            self.assertEqual(rose["dominant_sector"], "NE")
            by = {s["sector"]: s for s in rose["sectors"]}
            # 35, 45 and 55 degrees: NE (33.75-56.25) every hour.
            self.assertEqual(by["NE"]["hours"], 24)
            self.assertEqual(by["NE"]["share"], 1)
            self.assertEqual([c["hours"] for c in by["NE"]["speed"]], [0, 24, 0, 0])
            self.assertAlmostEqual(rose["cpf_threshold"], p75, delta=0.05 + 1e-9)
            self.assertAlmostEqual(by["NE"]["cpf"], high / 24, delta=0.0005)
            self.assertAlmostEqual(by["NE"]["mean"], sum(values) / 24, delta=0.05 + 1e-9)
        self.assertEqual(len(got["sectors"]), 16)
        ne = got["sectors"][2]
        self.assertEqual((ne["sector"], ne["sector_zh"], ne["wind_hours"]), ("NE", "东北", 24))
        self.assertEqual(sorted(ne["stations"]), ["NE", "NEQ"])

    def test_alert_carries_sources_and_the_robot_says_it(self):
        def divergence():
            alerts = self.d.get("/api/v1/alerts?status=all&station=GC&type=national_divergence").json["alerts"]
            return alerts[0] if alerts and alerts[0]["status"] == "resolved" else None
        alert = wait_for(divergence, timeout=60, what="the national divergence to open and resolve")
        src = alert["sources"]
        self.assertIsNotNone(src, alert)
        self.assertEqual(src["pollutant"], "PM2.5")  # both PMs diverge; the rule reports PM2.5
        self.assertEqual(src["dominant_sector"], "NE")
        self.assertEqual(src["dominant_sector_zh"], "东北")
        self.assertLessEqual(len(src["contributors"]), 3)
        self.assertEqual(src["contributors"][0]["station"], "NE")
        self.assertEqual(src["contributors"][0]["best_lag_h"], 2)
        # Alerts that are not about a national point's level carry none.
        others = self.d.get("/api/v1/alerts?status=all").json["alerts"]
        for a in others:
            if a["type"] not in ("national_divergence", "exceedance") or not a["national"]:
                self.assertIsNone(a["sources"], a)
        text = wait_for(lambda: next((b["text"]["content"] for b in self.receiver.bodies
                                      if "国控点数据异常" in b["text"]["content"]), None),
                        timeout=60, what="the robot message")
        self.assertIn("东北方向 NE 交道口街道微站 上风向高出环内中位数", text)
        self.assertIn("主导来风扇区：东北", text)

    def test_bad_windows_are_400(self):
        for query, why in (("?from=2017-12-06&to=2017-12-01", "reversed"),
                           ("?from=2017-12-06T10:00:00%2B08:00&to=2017-12-06T10:00:00%2B08:00", "reversed"),
                           ("?from=2017-11-01&to=2017-12-06", "31 days")):
            r = self.d.get("/api/v1/national/GC/sources" + query)
            self.assertEqual(r.status, 400, (query, r))
            self.assertEqual(r.json["error"]["code"], "invalid_window")
            self.assertIn(why, r.json["error"]["message"])
        # Exactly 31 days is allowed.
        self.assertEqual(self.sources("?from=2017-11-06&to=2017-12-06")["hours"], 744)

    def test_bad_parameters_and_codes(self):
        for query in ("?from=yesterday", "?to=2017-12-06T10:00:00", "?pollutant=so2", "?radius_km=0"):
            r = self.d.get("/api/v1/national/GC/sources" + query)
            self.assertEqual(r.status, 422, (query, r))
            self.assertEqual(r.json["error"]["code"], "invalid_parameter")
        r = self.d.get("/api/v1/national/NOPE/sources")
        self.assertEqual((r.status, r.json["error"]["code"]), (404, "unknown_station"))
        r = self.d.get("/api/v1/national/NE/sources")
        self.assertEqual((r.status, r.json["error"]["code"]), (422, "invalid_parameter"))
        self.assertIn("national point", r.json["error"]["message"])
        r = self.d.post("/api/v1/national/GC/sources", body={}, token=ADMIN)
        self.assertEqual(r.status, 405)

    def test_window_and_pollutant_options(self):
        got = self.sources("?from=2017-12-06T08:30:00%2B08:00&to=2017-12-06T15:10:00%2B08:00&pollutant=pm25")
        self.assertEqual((got["from"], got["to"], got["hours"]),
                         ("2017-12-06T08:00:00+08:00", "2017-12-06T16:00:00+08:00", 8))
        self.assertEqual(got["pollutant"], "pm25")
        only_from = self.sources("?from=2017-12-06T06:00:00%2B08:00")
        self.assertEqual((only_from["to"], only_from["hours"]), ("2017-12-07T06:00:00+08:00", 24))
        wide = self.sources("?radius_km=10")
        self.assertIn("FAR", [s["station"] for s in wide["ring"]])

    def test_cached_per_data_version(self):
        q = "?from=2017-12-06T01:00:00%2B08:00"
        first = self.d.get("/api/v1/national/GC/sources" + q)
        again = self.d.get("/api/v1/national/GC/sources" + q)
        self.assertIn("cache;desc=hit", again.header("Server-Timing"))
        self.assertEqual(first.body, again.body)
        r = self.d.get("/api/v1/national/GC/sources" + q, headers={"If-None-Match": again.header("ETag")})
        self.assertEqual(r.status, 304)
        # A new reading moves the data version: the analysis is built again.
        self.d.post_readings([{"station": "E", "observed_at": f"{DAY}T23:10:00+08:00", "pm10": 61}])
        after = self.d.get("/api/v1/national/GC/sources" + q)
        self.assertIn("cache;desc=miss", after.header("Server-Timing"))



class DayCache(unittest.TestCase):
    """The plume day read through the pool's day cache and without it."""

    @classmethod
    def setUpClass(cls):
        if not PG_URL:
            raise unittest.SkipTest("needs the test cluster")
        cls.d = Daemon(env={"AQRANK_NOW": NOW}).start()
        register(cls.d)
        cls.d.post_readings(staged_readings())

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def test_day_cache_path_agrees(self):
        """Today's rows come from the pool's day cache (warmed by a ranking read) plus what was
        written since; a daemon with a cold cache reads them from the table: same analysis."""
        self.assertEqual(self.d.get("/api/v1/ranking/today").status, 200)
        self.d.post_readings([{"station": "NE", "observed_at": f"{DAY}T23:20:00+08:00", "pm10": 500, "pm25": 250}])
        self.assertEqual(self.d.get("/api/v1/ranking/today").status, 200)
        self.d.post_readings([{"station": "NEQ", "observed_at": f"{DAY}T23:25:00+08:00", "pm10": 400, "pm25": 200}])
        q = "/api/v1/national/GC/sources?from=2017-12-06T12:00:00%2B08:00"
        warm = self.d.get(q)
        with Daemon(url=self.d.url, env={"AQRANK_NOW": NOW}) as cold:
            fresh = cold.get(q)
        self.assertEqual(warm.status, 200, warm)
        self.assertEqual(warm.json, fresh.json)
        ne = next(s for s in warm.json["ring"] if s["station"] == "NE")
        self.assertEqual(ne["valid_hours"], 12)


class NoWind(unittest.TestCase):
    """The plume day with no wind reading anywhere: ranked by correlation only, and said so."""

    @classmethod
    def setUpClass(cls):
        if not PG_URL:
            raise unittest.SkipTest("needs the test cluster")
        cls.d = Daemon(env={"AQRANK_NOW": NOW}).start()
        register(cls.d)
        cls.d.post_readings(staged_readings(wind_at=None))

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def test_correlation_only(self):
        got = self.d.get("/api/v1/national/GC/sources").json
        self.assertEqual(got["wind"], "unavailable")
        self.assertEqual(got["ranking"], "correlation_only")
        self.assertIn("correlation", got["note"])
        for p in ("pm10", "pm25"):
            self.assertEqual(got["rose"][p]["hours"], 0)
            self.assertIsNone(got["rose"][p]["dominant_sector"])
        first = got["contributors"][0]
        self.assertEqual((first["station"], first["best_lag_h"]), ("NE", 2))
        self.assertEqual(first["upwind_hours"], 0)
        self.assertEqual(first["score"], first["best_r"])
        self.assertIn("correlation only", first["why"])


class WindStation(unittest.TestCase):
    """The point reads no wind; AQRANK_WIND_STATION names the station whose vane is used."""

    @classmethod
    def setUpClass(cls):
        if not PG_URL:
            raise unittest.SkipTest("needs the test cluster")
        cls.d = Daemon(env={"AQRANK_NOW": NOW, "AQRANK_WIND_STATION": "MET"}).start()
        register(cls.d)
        cls.d.post_readings(staged_readings(wind_at="MET"))

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def test_wind_from_the_configured_station(self):
        got = self.d.get("/api/v1/national/GC/sources").json
        self.assertEqual(got["wind"]["from"], "station")
        self.assertEqual(got["wind"]["station"], "MET")
        self.assertEqual(got["wind"]["hours"], 24)
        self.assertEqual(got["ranking"], "upwind")
        self.assertEqual((got["contributors"][0]["station"], got["contributors"][0]["best_lag_h"]), ("NE", 2))

    def test_missing_wind_station_is_said(self):
        with Daemon(url=self.d.url, env={"AQRANK_NOW": NOW, "AQRANK_WIND_STATION": "NOSUCH"}) as d2:
            got = d2.get("/api/v1/national/GC/sources").json
            self.assertEqual(got["wind"], "unavailable")
            self.assertIn("NOSUCH", got["wind_note"])
            self.assertEqual(got["ranking"], "correlation_only")


def replay(daemon, data, date_from=None, date_to=None):
    args = [sys.executable, os.path.join(ROOT, "tests", "tools", "beijing_replay.py"),
            "--url", f"http://127.0.0.1:{daemon.port}", "--admin-token", ADMIN, "--data", data,
            "--batch", "5000", "--national", "Dongsi"]
    if date_from:
        args += ["--from", date_from.isoformat(), "--to", date_to.isoformat()]
    out = subprocess.run(args, capture_output=True, text=True, timeout=1200)
    if out.returncode != 0:
        raise AssertionError("replay failed:\n" + out.stdout[-2000:] + out.stderr[-2000:])


class BeijingCheck:
    """The daemon's analysis of Dongsi against sources_ref on the same CSV files."""

    RADIUS = 8  # km: the ring has to reach real neighbours (Nongzhanguan 3.9 km … Wanshouxigong 7.3 km)

    def close(self, got, want, decimals, what):
        if want is None:
            self.assertIsNone(got, what)
        else:
            self.assertIsNotNone(got, what)
            self.assertLessEqual(abs(got - want), 0.5 * 10 ** -decimals + 1e-9, f"{what}: {got} vs {want}")

    def check_window(self, d, ds, start, hours):
        window = sources_ref.hour_range(start, hours)
        q = (f"?from={start.isoformat().replace('+', '%2B')}"
             f"&to={(start + dt.timedelta(hours=hours)).isoformat().replace('+', '%2B')}&radius_km={self.RADIUS}")
        for p in ("pm10", "pm25"):
            r = d.get(f"/api/v1/national/Dongsi/sources{q}&pollutant={p}")
            self.assertEqual(r.status, 200, r)
            got = r.json
            self.assertEqual(got["hours"], hours)
            for pol in ("pm10", "pm25"):
                want = sources_ref.rose(ds, "Dongsi", window, pol)
                rose = got["rose"][pol]
                ctx = f"{start:%Y-%m-%d %H} +{hours}h {pol}"
                self.assertEqual(rose["hours"], want["hours"], ctx)
                self.assertEqual(rose["calm"]["hours"], want["calm"]["hours"], ctx)
                self.close(rose["calm"]["mean"], want["calm"]["mean"], 1, ctx + " calm mean")
                self.close(rose["cpf_threshold"], want["cpf_threshold"], 1, ctx + " P75")
                self.assertEqual(rose["dominant_sector"], want["dominant_sector"], ctx)
                for g, w in zip(rose["sectors"], want["sectors"]):
                    c = f"{ctx} {w['sector']}"
                    self.assertEqual((g["sector"], g["hours"]), (w["sector"], w["hours"]), c)
                    self.close(g["mean"], w["mean"], 1, c + " mean")
                    self.close(g["share"], w["share"], 4, c + " share")
                    self.close(g["cpf"], w["cpf"], 3, c + " cpf")
                    self.assertEqual([s["hours"] for s in g["speed"]], [s["hours"] for s in w["speed"]], c)
                    for gs, ws in zip(g["speed"], w["speed"]):
                        self.close(gs["share"], ws["share"], 4, c + " speed share")
            ring = sources_ref.ring(ds, "Dongsi", window, p, self.RADIUS)
            self.assertEqual(sorted(s["station"] for s in got["ring"]), sorted(ring), "the ring")
            for s in got["ring"]:
                w = ring[s["station"]]
                c = f"{start:%Y-%m-%d} {p} {s['station']}"
                self.close(s["bearing_deg"], w["bearing_deg"], 1, c + " bearing")
                self.close(s["distance_km"], w["distance_km"], 2, c + " distance")
                self.assertEqual(s["sector"], w["sector"], c)
                self.assertEqual((s["valid_hours"], s["upwind_hours"]), (w["valid_hours"], w["upwind_hours"]), c)
                self.close(s["excess_ugm3"], w["excess_ugm3"], 1, c + " excess")
                self.close(s["excess_pct"], w["excess_pct"], 1, c + " excess %")
                for gc, wc in zip(s["correlation"], w["correlation"]):
                    self.assertEqual(gc["pairs"], wc["pairs"], c)
                    self.close(gc["r"], wc["r"], 3, f"{c} r lag {wc['lag_h']}")
                self.assertEqual(s["best_lag_h"], w["best_lag_h"], c)
                self.close(s["score"], w["score"], 3, c + " score")
            want_order = [k for k, v in sorted(ring.items(), key=lambda kv: (-kv[1]["score"],
                          -(kv[1]["excess_ugm3"] or -1e300), kv[0])) if v["score"] > 0]
            self.assertEqual([c["station"] for c in got["contributors"]], want_order[:10], f"{start} {p} order")


class BeijingSample(BeijingCheck, unittest.TestCase):
    """December 2015, committed with the repository: always runs."""

    @classmethod
    def setUpClass(cls):
        if not PG_URL:
            raise unittest.SkipTest("needs the test cluster")
        cls.d = Daemon(env={"AQRANK_NOW": "2016-01-01T12:00:00+08:00", "AQRANK_FINALIZE_QUIET": "100000"}).start()
        replay(cls.d, SAMPLE)
        cls.ds = sources_ref.load(SAMPLE)

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def test_whole_month(self):
        self.check_window(self.d, self.ds, dt.datetime(2015, 12, 1, tzinfo=sources_ref.BEIJING), 744)

    def test_red_alert_days(self):
        for day in (8, 20):
            self.check_window(self.d, self.ds, dt.datetime(2015, 12, day, tzinfo=sources_ref.BEIJING), 24)


@unittest.skipUnless(os.path.isdir(os.path.join(SHARED, "PRSA")) and PG_URL, "../shared/data/beijing not present")
class BeijingShared(BeijingCheck, unittest.TestCase):
    """January 2016 and the windy spring of 2014 from the shared four years."""

    def test_shared_months(self):
        ds = sources_ref.load(SHARED)
        with Daemon(env={"AQRANK_NOW": "2016-02-01T12:00:00+08:00", "AQRANK_FINALIZE_QUIET": "100000"}) as d:
            replay(d, SHARED, dt.date(2016, 1, 1), dt.date(2016, 1, 31))
            replay(d, SHARED, dt.date(2014, 4, 1), dt.date(2014, 4, 30))
            self.check_window(d, ds, dt.datetime(2016, 1, 1, tzinfo=sources_ref.BEIJING), 744)
            self.check_window(d, ds, dt.datetime(2014, 4, 1, tzinfo=sources_ref.BEIJING), 720)
            self.check_window(d, ds, dt.datetime(2014, 4, 15, 6, tzinfo=sources_ref.BEIJING), 24)


if __name__ == "__main__":
    unittest.main()
