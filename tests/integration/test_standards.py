"""The standards in force (issue 21): HJ 633-2026 / GB 3095-2026 from 2026-03-01, HJ 633-2012 /
GB 3095-2012 before, chosen by the date of the data; replies name them; a finalized day keeps
its standard; an operator can pin one; good days and days over the limit.

Real data moved onto 2026 dates is checked against the independent reference
(tests/reference/aqref.py, which picks the standard by date itself): the committed December
2015 sample as December 2026 always, and July 2016 as July 2026 when ../shared is there (the
month where HJ 633-2026 §5.3.1 publishes AQIs that 2012 dropped)."""
import datetime as dt
import os
import subprocess
import sys
import unittest
import urllib.request

from harness import ADMIN, BIN, PG_URL, ROOT, Daemon, new_database

sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
sys.path.insert(0, os.path.dirname(__file__))
import aqref  # noqa: E402
import beijing_replay  # noqa: E402
from test_beijing_replay import SAMPLE, SHARED, Comparer  # noqa: E402

METRICS = ("pm10", "pm25", "aqi", "composite")


def shifted(observed_at: str, years: int) -> str:
    return f"{int(observed_at[:4]) + years}{observed_at[4:]}"


def post_shifted(d, data, date_from, date_to, years):
    """Registers the stations and posts the readings of [date_from, date_to] moved by years."""
    for code, body in beijing_replay.station_bodies(data).items():
        req = urllib.request.Request(f"http://127.0.0.1:{d.port}/api/v1/stations/{code}", method="PUT",
                                     data=beijing_replay.reading_json(body).encode(),
                                     headers={"Authorization": "Bearer " + ADMIN,
                                              "Content-Type": "application/json"})
        urllib.request.urlopen(req).read()
    batch = []

    def flush():
        text = beijing_replay.batch_json(batch).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{d.port}/api/v1/readings", data=text,
                                     headers={"Authorization": "Bearer " + ADMIN,
                                              "Content-Type": "application/json"})
        urllib.request.urlopen(req, timeout=120).read()
        batch.clear()

    for r in beijing_replay.iter_readings(data, date_from, date_to):
        r["observed_at"] = shifted(r["observed_at"], years)
        batch.append(r)
        if len(batch) == 5000:
            flush()
    if batch:
        flush()


def reference_dataset(data, date_from, date_to, years):
    """The reference's own loading of the same rows, moved by years."""
    src = aqref.load_prsa(data, date_from=date_from, date_to=date_to)
    ds = aqref.Dataset(src.tz)
    for st in src.stations.values():
        ds.add_station(st)
    for days in src.by_day.values():
        for readings in days.values():
            for r in readings:
                ds.add_reading(aqref.Reading(r.station, r.observed_at.replace(year=r.observed_at.year + years),
                                             r.values, r.flags))
    return ds


class MovedMonthMixin:
    """A month of real data moved onto 2026 dates: every day, every metric, against the reference."""

    DATA = SAMPLE
    FIRST = dt.date(2015, 12, 1)
    DAYS = 31
    YEARS = 11
    NOW = "2027-01-01T12:00:00+08:00"

    @classmethod
    def setUpClass(cls):
        if not PG_URL:
            raise unittest.SkipTest("needs the test cluster")
        cls.d = Daemon(env={"AQRANK_NOW": cls.NOW, "AQRANK_FINALIZE_QUIET": "100000"}).start()
        last = cls.FIRST + dt.timedelta(days=cls.DAYS - 1)
        post_shifted(cls.d, cls.DATA, cls.FIRST, last, cls.YEARS)
        cls.ds = reference_dataset(cls.DATA, cls.FIRST, last, cls.YEARS)
        cls.days = [cls.FIRST.replace(year=cls.FIRST.year + cls.YEARS) + dt.timedelta(days=i)
                    for i in range(cls.DAYS)]

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def test_every_day_and_metric_matches_the_reference(self):
        cmp = Comparer(self)
        for day in self.days:
            ref = aqref.compute_day(self.ds, day)
            self.assertEqual(ref["standard"], "HJ633-2026")
            for metric in METRICS:
                got = self.d.get(f"/api/v1/ranking/{day.isoformat()}?metric={metric}").json
                self.assertEqual((got["standard"], got["limits"]), ("HJ633-2026", "GB3095-2026 transition"))
                self.assertTrue(got["rule_version"].startswith("HJ633-2026/"), got["rule_version"])
                cmp.ranking(got, aqref.rank_day(ref, metric), metric, day)
            # Every station-day's AQI, level and primary pollutants (the insufficient too).
            daily = {}
            for code in ref["stations"]:
                rows = self.d.get(f"/api/v1/stations/{code}/daily?from={day}&to={day}").json["days"]
                daily[code] = rows[0] if rows else None
            for code, sd in ref["stations"].items():
                if not sd["readings"]:
                    continue
                got = daily[code]
                self.assertEqual((got["aqi"], got["level"], got["primary_pollutants"], got["standard"]),
                                 (sd["aqi"], sd["level"], sd["primary_pollutants"], "HJ633-2026"),
                                 f"{day} {code}")
                self.assertEqual(got["over_limit"], sd["over_limit"], f"{day} {code}")


@unittest.skipUnless(PG_URL, "needs the test cluster")
class SampleMovedTo2026Test(MovedMonthMixin, unittest.TestCase):
    pass


@unittest.skipUnless(os.path.isdir(SHARED) and PG_URL, "../shared/data/beijing not present")
class July2016MovedTo2026Test(MovedMonthMixin, unittest.TestCase):
    DATA = SHARED
    FIRST = dt.date(2016, 7, 1)
    YEARS = 10
    NOW = "2026-08-01T12:00:00+08:00"

    def test_missing_pollutant_rule_publishes_high_days(self):
        """Under 2012 these station-days had no AQI (a reported pollutant without a valid day);
        under HJ 633-2026 §5.3.1 the ones above 100 are published."""
        published = 0
        for day in self.days:
            old = aqref.compute_day(self.ds, day, standard="HJ633-2012")
            new = aqref.compute_day(self.ds, day)
            for code, sd in new["stations"].items():
                if old["stations"][code]["aqi"] is None and sd["aqi"] is not None:
                    self.assertGreater(sd["aqi"], 100)
                    got = self.d.get(f"/api/v1/stations/{code}/daily?from={day}&to={day}").json["days"][0]
                    self.assertEqual(got["aqi"], sd["aqi"])
                    published += 1
        self.assertGreater(published, 0)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class ChangeOfStandardTest(unittest.TestCase):
    """The same readings either side of 2026-03-01; a 2025 day finalized and re-finalized; a
    pinned standard; the figures officials report."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(env={"AQRANK_NOW": "2026-03-03T12:00:00+08:00", "AQRANK_FINALIZE_QUIET": "100000"}).start()
        cls.d.put_station("S1")
        cls.d.put_station("S2")
        readings = []
        for day in ("2025-12-01", "2026-02-28", "2026-03-01"):
            for h in range(24):
                readings.append({"station": "S1", "observed_at": f"{day}T{h:02d}:00:00+08:00", "pm25": 70, "pm10": 40})
                readings.append({"station": "S2", "observed_at": f"{day}T{h:02d}:00:00+08:00", "pm25": 30, "pm10": 130})
        cls.d.post_readings(readings)

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def row(self, day, code, metric="aqi"):
        body = self.d.get(f"/api/v1/ranking/{day}?metric={metric}").json
        return body, next(r for r in body["ranking"] if r["station"] == code)

    def test_same_readings_different_levels(self):
        before, s1 = self.row("2026-02-28", "S1")
        self.assertEqual((before["standard"], s1["aqi"], s1["category"]), ("HJ633-2012", 94, "良"))
        self.assertEqual(s1["exceeding_pollutants"], [])  # 2012 reports the list (empty here)
        after, s1 = self.row("2026-03-01", "S1")
        self.assertEqual((after["standard"], s1["aqi"], s1["category"]), ("HJ633-2026", 110, "轻度污染"))
        self.assertNotIn("exceeding_pollutants", s1)  # not part of the 2026 report
        # Composite Sᵢ: 70/35 + 40/70 = 2.57 before; 70/30 + 40/60 = 3.00 after.
        self.assertEqual(self.row("2026-02-28", "S1", "composite")[1]["value"], 2.57)
        self.assertEqual(self.row("2026-03-01", "S1", "composite")[1]["value"], 3.0)
        csv = self.d.get("/api/v1/ranking/2026-03-01?format=csv&lang=en").body.decode("utf-8-sig")
        self.assertIn("standard", csv.splitlines()[0])
        self.assertIn("HJ633-2026", csv)

    def test_good_days_and_days_over_the_limit(self):
        daily = self.d.get("/api/v1/stations/S2/daily?from=2026-02-27&to=2026-03-01").json
        # PM10 130: IAQI 90 (2012, 良, under the 150 limit); 2026: 100 + 10/130 × 50 = 103.8 → 104,
        # over the 120 limit.
        rows = {r["date"]: r for r in daily["days"]}
        self.assertEqual((rows["2026-02-28"]["aqi"], rows["2026-02-28"]["good"], rows["2026-02-28"]["over_limit"]),
                         (90, True, []))
        self.assertEqual((rows["2026-03-01"]["aqi"], rows["2026-03-01"]["good"], rows["2026-03-01"]["over_limit"]),
                         (104, False, ["PM10"]))
        self.assertEqual((daily["good_days"], daily["aqi_days"], daily["good_days_pct"]), (1, 2, 50.0))
        self.assertEqual(daily["over_limit_days"]["pm10"], 1)
        for day in ("2026-02-28", "2026-03-01"):
            self.assertEqual(self.d.post(f"/api/v1/ranking/{day}/finalize", token=ADMIN).status, 200)
        s = self.d.get("/api/v1/ranking/summary?from=2026-02-28&to=2026-03-01").json
        self.assertEqual(s["standards"], ["HJ633-2012", "HJ633-2026"])
        s2 = next(x for x in s["stations"] if x["station"] == "S2")
        self.assertEqual((s2["good_days"], s2["aqi_days"], s2["good_days_pct"], s2["over_limit_days"]["pm10"]),
                         (1, 2, 50.0, 1))
        s1 = next(x for x in s["stations"] if x["station"] == "S1")
        self.assertEqual((s1["good_days"], s1["over_limit_days"]["pm25"]), (1, 1))  # 70 > 60 after

    def test_a_2025_day_keeps_its_standard(self):
        r = self.d.post("/api/v1/ranking/2025-12-01/finalize", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["standard"], r.json["rule_version"]), ("HJ633-2012", "HJ633-2012/min20h"))
        r = self.d.post("/api/v1/ranking/2025-12-01/finalize", token=ADMIN)  # re-finalized in 2026
        self.assertEqual((r.json["standard"], r.json["rule_version"]), ("HJ633-2012", "HJ633-2012/min20h"))
        s1 = next(x for x in r.json["ranking"] if x["station"] == "S1")
        self.assertEqual(s1["aqi"], 94)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class PinnedStandardTest(unittest.TestCase):
    def test_pinned_2012_for_comparison(self):
        with Daemon(env={"AQRANK_NOW": "2026-03-03T12:00:00+08:00", "AQRANK_AQI_STANDARD": "HJ633-2012"}) as d:
            d.put_station("P1")
            d.post_readings([{"station": "P1", "observed_at": f"2026-03-01T{h:02d}:00:00+08:00", "pm25": 70,
                              "pm10": 40} for h in range(24)])
            body = d.get("/api/v1/ranking/2026-03-01?metric=aqi").json
            self.assertEqual((body["standard"], body["rule_version"]), ("HJ633-2012", "HJ633-2012/pinned/min20h"))
            self.assertEqual(body["ranking"][0]["aqi"], 94)

    def test_unknown_standard_stops_the_daemon(self):
        out = subprocess.run([BIN], env={"PATH": os.environ.get("PATH", ""), "AQRANK_DATABASE_URL": new_database(),
                                         "AQRANK_AQI_STANDARD": "HJ633-2019"},
                             capture_output=True, text=True, timeout=30)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("AQRANK_AQI_STANDARD", out.stderr)
        self.assertIn("auto, HJ633-2012, HJ633-2026", out.stderr)


if __name__ == "__main__":
    unittest.main()
