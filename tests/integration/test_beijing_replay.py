"""Replays real Beijing data (UCI PRSA, 12 stations) and checks every day's ranking, for every
metric, against the independent reference implementation in tests/reference/aqref.py (exact
rational arithmetic). The committed sample (December 2015) always runs; the full four years
from ../shared/data/beijing run when that folder exists (a sample of days, every metric).
"""
import datetime as dt
import json
import os
import subprocess
import sys
import unittest
from fractions import Fraction

from harness import ADMIN, PG_URL, ROOT, Daemon, psql

sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
import aqref  # noqa: E402

SAMPLE = os.path.join(ROOT, "tests", "data", "beijing", "PRSA")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "data", "beijing", "PRSA"))
METRICS = ("pm10", "pm25", "aqi", "composite")


def replay(daemon, data, date_from=None, date_to=None, batch=5000):
    args = [sys.executable, os.path.join(ROOT, "tests", "tools", "beijing_replay.py"),
            "--url", f"http://127.0.0.1:{daemon.port}", "--admin-token", ADMIN, "--data", data,
            "--batch", str(batch)]
    if date_from:
        args += ["--from", date_from.isoformat(), "--to", date_to.isoformat()]
    out = subprocess.run(args, capture_output=True, text=True, timeout=1200)
    if out.returncode != 0:
        raise AssertionError("replay failed:\n" + out.stdout[-2000:] + out.stderr[-2000:])
    return out.stdout


def num(x):
    return None if x is None else float(x)


class Comparer:
    """Compares one daemon ranking reply with the reference's rank_day result."""

    def __init__(self, case):
        self.case = case

    def close(self, got, want, what):
        if want is None or got is None:
            self.case.assertEqual(got, None if want is None else num(want), what)
        else:
            self.case.assertAlmostEqual(float(got), float(want), places=9, msg=what)

    def ranking(self, got, ref, metric, day):
        ctx = f"{day} {metric}"
        self.close(got["district_mean"], ref["district_mean"], ctx + " district_mean")
        self.case.assertEqual(got["stations_ranked"], ref["stations_ranked"], ctx)
        self.case.assertEqual([r["station"] for r in got["ranking"]], [r["station"] for r in ref["ranking"]],
                              ctx + " order")
        for g, w in zip(got["ranking"], ref["ranking"]):
            c = f"{ctx} {w['station']}"
            self.case.assertEqual(g["rank"], w["rank"], c + " rank")
            self.close(g["value"], w["value"], c + " value")
            self.close(g["pm25"], w["pm25"], c + " pm25")
            self.close(g["pm10"], w["pm10"], c + " pm10")
            self.case.assertEqual(g["aqi"], w["aqi"], c + " aqi")
            self.case.assertEqual(g["level"], w["level"], c + " level")
            self.case.assertEqual(g["category"], w["category"], c + " category")
            self.case.assertEqual(g["color"], w["color"], c + " color")
            self.case.assertEqual(g["primary_pollutants"], w["primary_pollutants"], c + " primary")
            self.close(g["composite"], w["composite"], c + " composite")
            self.case.assertEqual(g["valid_hours"], w["valid_hours"], c + " valid_hours")
            self.case.assertEqual(g["interview"], w["interview"], c + " interview flag")
        self.case.assertEqual([(r["station"], r["valid_hours"]) for r in got["insufficient"]],
                              [(r["station"], r["valid_hours"]) for r in ref["insufficient"]], ctx + " insufficient")
        self.case.assertEqual([(i["station"], i["rank"], i["reason"]) for i in got["interview"]],
                              [(i["station"], i["rank"], i["reason"]) for i in ref["interview"]], ctx + " interview")
        for g, w in zip(got["interview"], ref["interview"]):
            self.close(g["value"], w["value"], ctx + " interview value")
            self.close(g["pct_above_mean"], w["pct_above_mean"], ctx + " pct_above_mean")
            self.close(g["district_mean"], w["district_mean"], ctx + " interview district_mean")


class SampleReplayTest(unittest.TestCase):
    """December 2015, all 12 stations, every day and metric; then finalization and streaks."""

    NOW = "2016-01-01T12:00:00+08:00"

    @classmethod
    def setUpClass(cls):
        if not PG_URL:
            raise unittest.SkipTest("needs the test cluster")
        cls.d = Daemon(env={"AQRANK_NOW": cls.NOW, "AQRANK_FINALIZE_QUIET": "100000"}).start()
        cls.replay_out = replay(cls.d, SAMPLE)
        cls.ds = aqref.load_prsa(SAMPLE)
        cls.days = [dt.date(2015, 12, 1) + dt.timedelta(days=i) for i in range(31)]
        cls.ref_days = {d: aqref.compute_day(cls.ds, d) for d in cls.days}

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def get(self, path):
        r = self.d.get(path)
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_1_live_days_match_reference(self):
        cmp = Comparer(self)
        for day in self.days:
            for metric in METRICS:
                got = self.get(f"/api/v1/ranking/{day.isoformat()}?metric={metric}")
                self.assertFalse(got["final"])
                cmp.ranking(got, aqref.rank_day(self.ref_days[day], metric), metric, day)

    def test_2_worst_policy_matches_reference(self):
        with Daemon(url=self.d.url, env={"AQRANK_NOW": self.NOW, "AQRANK_FINALIZE_QUIET": "100000",
                                         "AQRANK_INSUFFICIENT": "worst"}) as d2:
            cmp = Comparer(self)
            for day in (dt.date(2015, 12, 2), dt.date(2015, 12, 18), dt.date(2015, 12, 24)):
                for metric in METRICS:
                    got = d2.get(f"/api/v1/ranking/{day.isoformat()}?metric={metric}").json
                    cmp.ranking(got, aqref.rank_day(self.ref_days[day], metric, policy="worst"), metric, day)

    def test_3_finalized_days_streaks_and_summary(self):
        for day in self.days:
            r = self.d.post(f"/api/v1/ranking/{day.isoformat()}/finalize", token=ADMIN)
            self.assertEqual(r.status, 200, r)
        cmp = Comparer(self)
        streaks = aqref.interview_streaks(self.ds, self.days)
        for day in self.days:
            ref = aqref.rank_day(self.ref_days[day], "pm10")
            got = self.get(f"/api/v1/ranking/{day.isoformat()}")
            self.assertTrue(got["final"])
            self.assertEqual(got["late_readings"], 0)
            cmp.ranking(got, ref, "pm10", day)
            stored = self.get(f"/api/v1/interviews?date={day.isoformat()}")["interviews"]
            self.assertEqual([(i["station"], i["consecutive_days"]) for i in stored],
                             [(i["station"], streaks[day][i["station"]]) for i in ref["interview"]], str(day))
            # Any metric is served from the snapshot.
            for metric in ("pm25", "aqi", "composite"):
                got = self.get(f"/api/v1/ranking/{day.isoformat()}?metric={metric}")
                cmp.ranking(got, aqref.rank_day(self.ref_days[day], metric), metric, day)
        # The campaign summary, computed here from the reference's daily rankings.
        got = self.get("/api/v1/ranking/summary?from=2015-12-01&to=2015-12-31")
        self.assertEqual(got["days_finalized"], 31)
        stats = {}
        for day in self.days:
            ref = aqref.rank_day(self.ref_days[day], "pm10")
            on_list = {i["station"] for i in ref["interview"]}
            for r in ref["ranking"]:
                s = stats.setdefault(r["station"], {"values": [], "ranks": [], "insufficient": 0, "iv": []})
                s["values"].append(r["value"])
                s["ranks"].append(r["rank"])
            for r in ref["insufficient"]:
                s = stats.setdefault(r["station"], {"values": [], "ranks": [], "insufficient": 0, "iv": []})
                s["insufficient"] += 1
            for code in on_list:
                stats[code]["iv"].append(day)
        by_station = {s["station"]: s for s in got["stations"]}
        for code, s in stats.items():
            g = by_station[code]
            mean = aqref.round_half_even(sum(s["values"], Fraction(0)) / len(s["values"]), 0)
            self.assertEqual(g["days_valid"], len(s["values"]), code)
            self.assertEqual(g["days_insufficient"], s["insufficient"], code)
            self.assertEqual(g["mean_value"], int(mean), code)
            self.assertEqual((g["best_rank"], g["worst_rank"]), (min(s["ranks"]), max(s["ranks"])), code)
            self.assertEqual(g["interview_days"], len(s["iv"]), code)
            longest, run, prev = 0, 0, None
            for day in s["iv"]:
                run = run + 1 if prev and (day - prev).days == 1 else 1
                longest = max(longest, run)
                prev = day
            self.assertEqual(g["longest_streak"], longest, code)
        means = sorted(int(aqref.round_half_even(sum(s["values"], Fraction(0)) / len(s["values"]), 0))
                       for s in stats.values())
        for g in got["stations"]:
            self.assertEqual(g["rank"], 1 + sum(1 for m in means if m < g["mean_value"]), g["station"])

    def test_4_late_reading_counted_not_applied(self):
        self.test_3_finalized_days_streaks_and_summary() if not self.get(
            "/api/v1/ranking/2015-12-31")["final"] else None
        before = self.get("/api/v1/ranking/2015-12-31")
        # A reading for an hour the data set lacks: posted after finalization.
        missing = psql("SELECT h FROM generate_series(0, 23) h WHERE NOT EXISTS (SELECT 1 FROM hourly "
                       "JOIN stations s ON s.id = station_id WHERE s.code = 'Gucheng' AND day = '2015-12-31' "
                       "AND hour = h) LIMIT 1", self.d.url)
        hour = int(missing) if missing else None
        if hour is None:
            # Every hour is there: use a minute reading inside an hour instead.
            when = "2015-12-31T05:30:00+08:00"
        else:
            when = f"2015-12-31T{hour:02d}:00:00+08:00"
        r = self.d.post_readings({"station": "Gucheng", "observed_at": when, "pm10": 999, "pm25": 999})
        self.assertEqual(r.json["accepted"], 1)
        after = self.get("/api/v1/ranking/2015-12-31")
        self.assertEqual(after["late_readings"], 1)
        self.assertEqual(after["ranking"], before["ranking"])
        r = self.d.post("/api/v1/ranking/2015-12-31/finalize", token=ADMIN)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["late_readings"], 0)
        self.assertNotEqual(r.json["ranking"], before["ranking"])
        # Re-finalized, the day is exactly what the reference makes of the data with the late
        # reading in it: every rank, value, AQI, category and the interview list.
        day = dt.date(2015, 12, 31)
        with_late = aqref.load_prsa(SAMPLE, date_from=day, date_to=day)
        with_late.add_reading(aqref.Reading("Gucheng", aqref.parse_rfc3339(when),
                                            {"pm10": Fraction(999), "pm25": Fraction(999)}))
        want = aqref.rank_day(aqref.compute_day(with_late, day), "pm10")
        Comparer(self).ranking(r.json, want, "pm10", day)
        gucheng = next(x for x in r.json["ranking"] + r.json["insufficient"] if x["station"] == "Gucheng")
        was = next(x for x in before["ranking"] + before["insufficient"] if x["station"] == "Gucheng")
        self.assertNotEqual(gucheng.get("value"), was.get("value"))

    def test_5_csv(self):
        r = self.d.get("/api/v1/ranking/2015-12-25?format=csv&lang=en")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"))
        lines = r.body.decode("utf-8-sig").strip().split("\r\n")
        self.assertEqual(lines[0].split(",")[:5], ["date", "rank", "status", "station", "name"])
        self.assertEqual(len(lines), 1 + 12)
        self.assertIn("东四", r.body.decode("utf-8-sig"))


@unittest.skipUnless(os.path.isdir(SHARED) and PG_URL, "../shared/data/beijing not present")
class FullReplayTest(unittest.TestCase):
    """Four years of 12 stations (415,799 readings): every 9th day, every metric."""

    def test_full_replay(self):
        with Daemon(env={"AQRANK_NOW": "2017-03-01T12:00:00+08:00", "AQRANK_FINALIZE_QUIET": "100000"}) as d:
            replay(d, SHARED)
            ds = aqref.load_prsa(SHARED)
            cmp = Comparer(self)
            day = dt.date(2013, 3, 1)
            checked = 0
            while day <= dt.date(2017, 2, 28):
                ref_day = aqref.compute_day(ds, day)
                for metric in METRICS:
                    got = d.get(f"/api/v1/ranking/{day.isoformat()}?metric={metric}").json
                    cmp.ranking(got, aqref.rank_day(ref_day, metric), metric, day)
                checked += 1
                day += dt.timedelta(days=9)
            self.assertGreater(checked, 150)


if __name__ == "__main__":
    unittest.main()
