"""Official assessment methods (issue 14): period rankings — a month, a campaign, to date — by
the composite index of the city-ranking rule, a concentration, or the change against a
baseline year, per station or per street / township, checked value by value against the
independent reference (tests/reference/aqref.py: assess_period, rank_period, exact fractions).

Real data: the committed December 2015 sample (12 Beijing stations), grouped into four units,
and the same month posted again as December 2016 with some stations cleaner and some dirtier
(the baseline of the improvement ranking); with ../shared, a whole year as well."""
import datetime as dt
import os
import sys
import unittest
from fractions import Fraction

from harness import ADMIN, PG_URL, ROOT, Daemon, wait_for

sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
sys.path.insert(0, os.path.dirname(__file__))
import aqref  # noqa: E402
from test_beijing_replay import SAMPLE, SHARED  # noqa: E402
from test_standards import post_shifted, reference_dataset  # noqa: E402

UNITS = {  # four streets of three stations each
    "Aotizhongxin": "朝阳区奥运村街道", "Nongzhanguan": "朝阳区奥运村街道", "Shunyi": "朝阳区奥运村街道",
    "Dongsi": "东城区东四街道", "Tiantan": "东城区东四街道", "Gucheng": "东城区东四街道",
    "Guanyuan": "西城区展览路街道", "Wanliu": "西城区展览路街道", "Wanshouxigong": "西城区展览路街道",
    "Changping": "昌平区城北街道", "Dingling": "昌平区城北街道", "Huairou": "昌平区城北街道",
}
# December 2016: the sample's December 2015 with these factors on PM (a cleaner or dirtier year).
FACTORS = {"Dongsi": Fraction(7, 10), "Tiantan": Fraction(7, 10), "Wanliu": Fraction(13, 10),
           "Changping": Fraction(1, 2)}


def scaled(readings, years):
    """The sample's readings moved by `years`, PM scaled by FACTORS (exact decimal text)."""
    for r in readings:
        f = FACTORS.get(r["station"])
        if f:
            for p in ("pm25", "pm10"):
                if p in r:
                    v = Fraction(str(r[p])) * f
                    r[p] = float(v)
        yield r


def num(x):
    return None if x is None else float(x)


class PeriodChecks:
    def check(self, got, ref, ranked, metric, by_unit=False):
        key = "unit" if by_unit else "station"
        self.assertEqual([(r[key], r["rank"]) for r in got["ranking"]], [(r["key"], r["rank"]) for r in ranked["ranking"]])
        for row, want in zip(got["ranking"], ranked["ranking"]):
            self.assertAlmostEqual(row["value"], float(want["value"]), places=9, msg=row[key])
            subject = ref["subjects"][want["key"]]
            self.assertEqual(row["composite"], num(subject["composite"]), row[key])
            for p, c in subject["conc"].items():
                if p in row["concentrations"]:
                    self.assertEqual(row["concentrations"][p], num(c) if subject["valid"][p] else None, (row[key], p))
                    self.assertEqual(row["valid_days"][p], subject["valid_days"][p], (row[key], p))
            for p, i in subject["sub_indices"].items():
                self.assertAlmostEqual(row["sub_indices"][p], float(aqref.round_half_even(i, 2)), places=9)
            if by_unit:
                self.assertEqual(sorted(row["stations"]), sorted(subject["members"]))
        self.assertEqual(sorted(r[key] for r in got["insufficient"]), ranked["insufficient"])
        self.assertEqual(got["min_valid_days"], ref["min_days"])


@unittest.skipUnless(PG_URL, "needs the test cluster")
class MonthRankingTest(PeriodChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(env={"AQRANK_NOW": "2017-01-05T12:00:00+08:00", "AQRANK_FINALIZE_QUIET": "100000",
                            "AQRANK_INTERVIEW_COUNT": "2"}).start()
        first, last = dt.date(2015, 12, 1), dt.date(2015, 12, 31)
        post_shifted(cls.d, SAMPLE, first, last, 0)
        # December 2016, scaled: posted through the same path.
        import beijing_replay
        import urllib.request
        batch = [r for r in scaled(list(beijing_replay.iter_readings(SAMPLE, first, last)), 1)]
        for r in batch:
            r["observed_at"] = f"{int(r['observed_at'][:4]) + 1}{r['observed_at'][4:]}"
        for i in range(0, len(batch), 5000):
            text = beijing_replay.batch_json(batch[i:i + 5000]).encode()
            req = urllib.request.Request(f"http://127.0.0.1:{cls.d.port}/api/v1/readings", data=text,
                                         headers={"Authorization": "Bearer " + ADMIN,
                                                  "Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=120).read()
        for code, unit in UNITS.items():
            r = cls.d.request("PUT", f"/api/v1/stations/{code}", body={"unit": unit}, token=ADMIN)
            assert r.status == 200, r
        cls.ds = reference_dataset(SAMPLE, first, last, 0)
        for code, unit in UNITS.items():
            cls.ds.stations[code].unit = unit
        # The reference's own December 2016: the same rows moved and scaled.
        cls.ds16 = aqref.Dataset(cls.ds.tz)
        for st in cls.ds.stations.values():
            cls.ds16.add_station(st)
        for days in cls.ds.by_day.values():
            for readings in days.values():
                for r in readings:
                    f = FACTORS.get(r.station)
                    values = {p: (v * f if f and p in ("pm25", "pm10") else v) for p, v in r.values.items()}
                    cls.ds16.add_reading(aqref.Reading(r.station, r.observed_at.replace(year=2016), values, r.flags))

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def get(self, path):
        r = self.d.get(path)
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_month_composite_by_station(self):
        got = self.get("/api/v1/ranking/month/2015-12")
        ref = aqref.assess_period(self.ds, dt.date(2015, 12, 1), dt.date(2015, 12, 31))
        self.assertEqual((got["period"], got["metric"], got["pollutants"], got["days"]),
                         ("month", "composite", ["pm25", "pm10"], 31))
        self.assertEqual((got["standard"], got["limits"]), ("HJ633-2012", "GB3095-2012"))
        self.check(got, ref, aqref.rank_period(ref, "composite"), "composite")
        # The interview block: the two worst.
        self.assertEqual([i["station"] for i in got["interview"]], [r["station"] for r in got["ranking"][-2:]][::-1])
        # A worked row by hand: Dingling, 122/35 + 132/70 = 3.48571 + 1.88571 = 5.37143 → 5.37;
        # PM2.5 weighs most.
        row = next(r for r in got["ranking"] if r["station"] == "Dingling")
        self.assertEqual((row["concentrations"]["pm25"], row["concentrations"]["pm10"], row["composite"], row["largest"]),
                         (122, 132, 5.37, "PM2.5"))
        self.assertEqual((row["sub_indices"]["pm25"], row["sub_indices"]["pm10"]), (3.49, 1.89))

    def test_six_pollutants_and_percentiles(self):
        got = self.get("/api/v1/ranking/month/2015-12?pollutants=pm25,pm10,so2,no2,co,o3")
        ref = aqref.assess_period(self.ds, dt.date(2015, 12, 1), dt.date(2015, 12, 31),
                                  pollutants=("pm25", "pm10", "so2", "no2", "co", "o3"))
        self.check(got, ref, aqref.rank_period(ref, "composite"), "composite")
        self.assertEqual(got["pollutants"], ["pm25", "pm10", "so2", "no2", "co", "o3"])

    def test_units(self):
        got = self.get("/api/v1/ranking/month/2015-12?by=unit")
        ref = aqref.assess_period(self.ds, dt.date(2015, 12, 1), dt.date(2015, 12, 31), by_unit=True)
        self.assertEqual(got["by"], "unit")
        self.assertEqual(len(got["ranking"]) + len(got["insufficient"]), 4)
        self.check(got, ref, aqref.rank_period(ref, "composite"), "composite", by_unit=True)
        day = self.get("/api/v1/ranking/2015-12-05?by=unit&metric=pm25")
        ref = aqref.assess_period(self.ds, dt.date(2015, 12, 5), dt.date(2015, 12, 5), by_unit=True)
        self.assertEqual(day["period"], "day")
        self.check(day, ref, aqref.rank_period(ref, "pm25"), "pm25", by_unit=True)

    def test_campaign_and_metrics(self):
        for metric in ("pm25", "pm10", "aqi"):
            got = self.get(f"/api/v1/ranking/campaign?from=2015-12-10&to=2015-12-24&metric={metric}")
            ref = aqref.assess_period(self.ds, dt.date(2015, 12, 10), dt.date(2015, 12, 24))
            self.assertEqual(got["min_valid_days"], 14)  # ceil(15 × 324 / 365) = ceil(13.3)
            self.check(got, ref, aqref.rank_period(ref, metric), metric)

    def test_improvement(self):
        for metric in ("composite_change", "pm25_change"):
            got = self.get(f"/api/v1/ranking/month/2016-12?metric={metric}")
            now = aqref.assess_period(self.ds16, dt.date(2016, 12, 1), dt.date(2016, 12, 31))
            base = aqref.assess_period(self.ds, dt.date(2015, 12, 1), dt.date(2015, 12, 31))
            ranked = aqref.rank_period(now, metric, base)
            self.assertEqual(got["baseline"], {"from": "2015-12-01", "to": "2015-12-31", "year": 2015})
            self.assertEqual([(r["station"], r["rank"], r["change_pct"]) for r in got["ranking"]],
                             [(r["key"], r["rank"], float(r["value"])) for r in ranked["ranking"]])
            # Changping halved its PM: the most improved; Wanliu, 30 % dirtier, among the last.
            self.assertEqual(got["ranking"][0]["station"], "Changping")
            self.assertLess(got["ranking"][0]["change_pct"], -45)
            self.assertGreater(next(r for r in got["ranking"] if r["station"] == "Wanliu")["change_pct"], 25)
        # No baseline year: every station valid now is listed apart.
        got = self.get("/api/v1/ranking/month/2015-12?metric=composite_change")
        self.assertEqual(got["ranking"], [])
        self.assertEqual(len(got["no_baseline"]) + len(got["insufficient"]), 12)
        self.assertGreater(len(got["no_baseline"]), 0)

    def test_csv(self):
        r = self.d.get("/api/v1/ranking/month/2015-12?format=csv&lang=en")
        self.assertEqual(r.status, 200)
        lines = r.body.decode("utf-8-sig").strip().split("\r\n")
        self.assertEqual(lines[0].split(",")[:5], ["from", "to", "rank", "status", "station"])
        got = self.get("/api/v1/ranking/month/2015-12")
        self.assertEqual(len(lines), 1 + len(got["ranking"]) + len(got["insufficient"]))
        self.assertEqual(r.header("Content-Disposition"), 'attachment; filename="ranking-2015-12.csv"')
        # By default the headers are Chinese, as the bureau reads them.
        zh = self.d.get("/api/v1/ranking/month/2015-12?format=csv&by=unit").body.decode("utf-8-sig")
        self.assertTrue(zh.startswith("起始日期,截止日期,排名,状态,街道（乡镇）,名称,责任单位（街道）"), zh[:80])

    def test_bad_input(self):
        for path, word in (("/api/v1/ranking/month/2015-13", "YYYY-MM"), ("/api/v1/ranking/month/2017-02", "not begun"),
                           ("/api/v1/ranking/year/15", "YYYY"), ("/api/v1/ranking/month/2015-12?metric=so3", "composite_change"),
                           ("/api/v1/ranking/month/2015-12?by=district", "station or unit"),
                           ("/api/v1/ranking/month/2015-12?pollutants=pm1", "pm25"),
                           ("/api/v1/ranking/campaign?from=2015-12-10", "required"),
                           ("/api/v1/ranking/campaign?from=2015-12-10&to=2015-12-01", "before"),
                           ("/api/v1/ranking/month/2016-12?metric=pm25_change&baseline=2016", "baseline")):
            r = self.d.get(path)
            self.assertEqual(r.status, 422, (path, r))
            self.assertEqual(r.json["error"]["code"], "invalid_parameter", path)
            self.assertIn(word, r.json["error"]["message"], path)
        # A period without data: an empty ranking and the reason.
        got = self.get("/api/v1/ranking/month/2016-06")
        self.assertEqual((got["ranking"], got["days_with_data"]), ([], 0))
        self.assertIn("no readings", got["reason"])


@unittest.skipUnless(PG_URL, "needs the test cluster")
class PeriodFinalizationTest(unittest.TestCase):
    """A month is finalized when its days are, kept until re-finalized, and counts late data;
    a year likewise."""

    def test_month_and_year_kept_until_refinalized(self):
        env = {"AQRANK_NOW": "2026-12-03T12:00:00+08:00", "AQRANK_FINALIZE_QUIET": "0",
               "AQRANK_FINALIZE_AFTER": "0", "AQRANK_ALERT_TICK": "3600"}
        with Daemon(env=env) as d:
            values = {"A": (30, 60), "B": (45, 90), "C": (60, 120)}
            for code in values:
                d.put_station(code, unit=f"{code}街道")
            readings = []
            for code, (pm25, pm10) in values.items():
                for day in range(1, 31):
                    for h in range(24):
                        readings.append({"station": code, "observed_at": f"2026-11-{day:02d}T{h:02d}:00:00+08:00",
                                         "pm25": pm25, "pm10": pm10})
                for day in (30, 31):
                    readings.append({"station": code, "observed_at": f"2025-12-{day}T10:00:00+08:00",
                                     "pm25": pm25, "pm10": pm10})
            for i in range(0, len(readings), 5000):
                d.post_readings(readings[i:i + 5000])
            month = wait_for(lambda: (lambda b: b if b.get("finalized_at") else None)(
                d.get("/api/v1/ranking/month/2026-11").json), timeout=120, what="the month finalized")
            # 2026 transition limits (PM2.5 30, PM10 60): A 1 + 1 = 2.00, B 3.00, C 4.00.
            self.assertEqual([(r["station"], r["value"]) for r in month["ranking"]], [("A", 2.0), ("B", 3.0), ("C", 4.0)])
            self.assertEqual((month["final"], month["late_readings"], month["days_refinalized"]), (True, 0, 0))
            self.assertTrue(month["rule_version"].startswith("HJ633-2026/GB3095-2026_transition/composite:pm25,pm10/"))
            units = d.get("/api/v1/ranking/month/2026-11?by=unit").json
            self.assertEqual(units["finalized_at"], month["finalized_at"])
            self.assertEqual([(r["unit"], r["stations"]) for r in units["ranking"]],
                             [("A街道", ["A"]), ("B街道", ["B"]), ("C街道", ["C"])])
            year = wait_for(lambda: (lambda b: b if b.get("finalized_at") else None)(
                d.get("/api/v1/ranking/year/2025").json), timeout=60, what="the year 2025 finalized")
            self.assertEqual((year["days_with_data"], year["min_valid_days"], len(year["insufficient"])), (2, 324, 3))
            # A late reading on 2026-11-15 (PM2.5 1900, PM10 4000 at 00:30): the kept month does not
            # move, and says so.
            d.post_readings([{"station": "A", "observed_at": "2026-11-15T00:30:00+08:00", "pm25": 1900, "pm10": 4000}])
            again = d.get("/api/v1/ranking/month/2026-11").json
            self.assertEqual(again["ranking"], month["ranking"])
            self.assertEqual(again["late_readings"], 1)
            self.assertEqual(d.post("/api/v1/ranking/2026-11-15/finalize", token=ADMIN).status, 200)
            again = d.get("/api/v1/ranking/month/2026-11").json
            self.assertEqual((again["ranking"], again["days_refinalized"]), (month["ranking"], 1))
            # Re-finalized: the hour 00 of the 15th is (30 + 1900) / 2 = 965, its day (23·30 + 965)/24
            # = 68.96 → 69, the month (29·30 + 69) / 30 = 31.3 → 31; PM10 (23·60 + 2030)/24 = 142.08 →
            # 142, (29·60 + 142) / 30 = 62.73 → 63: 31/30 + 63/60 = 1.0333 + 1.05 = 2.08.
            self.assertEqual(d.post("/api/v1/ranking/month/2026-11/finalize").status, 401)
            r = d.post("/api/v1/ranking/month/2026-11/finalize", token=ADMIN)
            self.assertEqual(r.status, 200, r)
            self.assertEqual((r.json["ranking"][0]["station"], r.json["ranking"][0]["value"]), ("A", 2.08))
            self.assertEqual((r.json["late_readings"], r.json["days_refinalized"]), (0, 0))  # the day took it in
            # A period not over cannot be finalized.
            r = d.post("/api/v1/ranking/month/2026-12/finalize", token=ADMIN)
            self.assertEqual(r.status, 409, r)


@unittest.skipUnless(os.path.isdir(SHARED) and PG_URL, "../shared/data/beijing not present")
class YearRankingTest(PeriodChecks, unittest.TestCase):
    def test_year_2016(self):
        with Daemon(env={"AQRANK_NOW": "2017-02-01T12:00:00+08:00", "AQRANK_FINALIZE_QUIET": "2"}) as d:
            first, last = dt.date(2016, 1, 1), dt.date(2016, 12, 31)
            post_shifted(d, SHARED, first, last, 0)
            ds = reference_dataset(SHARED, first, last, 0)
            # A year's ranking reads the days' snapshots: wait until the daemon finalized them.
            wait_for(lambda: d.get("/api/v1/ranking/year/2016").json["final"], timeout=600, what="366 days final")
            got = d.get("/api/v1/ranking/year/2016?pollutants=pm25,pm10,so2,no2,co,o3").json
            ref = aqref.assess_period(ds, first, last, pollutants=("pm25", "pm10", "so2", "no2", "co", "o3"))
            self.assertEqual(got["min_valid_days"], 324)
            self.check(got, ref, aqref.rank_period(ref, "composite"), "composite")


if __name__ == "__main__":
    unittest.main()
