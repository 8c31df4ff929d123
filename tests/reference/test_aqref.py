#!/usr/bin/env python3
"""Unit tests of the reference computation (aqref.py) and of the PRSA replay loader.

    python3 -m unittest discover -s tests/reference -v      (from the repository root)

Checks every SPEC section 9 known answer, half-to-even rounding, ties at the interview cut,
provisional thresholds, and the committed December 2015 sample (tests/data/beijing).  When the
full shared data set is found (AQREF_SHARED_DATA, or ../shared/data/beijing beside the
repository) it also reproduces the figures of its SOURCE.md (about 40 s; AQREF_QUICK=1 skips).
"""

import datetime as dt
import http.server
import io
import json
import math
import os
import random
import sys
import threading
import unittest
from fractions import Fraction as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))

import aqref  # noqa: E402
import beijing_replay  # noqa: E402

SAMPLE = os.path.join(ROOT, "tests", "data", "beijing")
SHARED = os.environ.get("AQREF_SHARED_DATA") or os.path.join(
    os.path.dirname(ROOT), "shared", "data", "beijing")
CST = dt.timezone(dt.timedelta(hours=8))


def reading(code, day, hour, minute=0, **vals):
    t = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)
    flags = vals.pop("flags", None)
    return aqref.Reading(code, t, {k: F(str(v)) for k, v in vals.items()}, flags)


def synthetic(day, series: dict, interval_s=3600, kinds=None):
    """Dataset from {code: {pollutant: [24 values or None]}} (hourly readings at HH:00)."""
    ds = aqref.Dataset()
    for code, pols in series.items():
        ds.add_station(aqref.Station(code, kind=(kinds or {}).get(code, "micro"),
                                     interval_s=interval_s))
        for h in range(24):
            vals = {p: v[h] for p, v in pols.items() if v[h] is not None}
            if vals:
                ds.add_reading(reading(code, day, h, **vals))
    return ds


def const_day(day, values: dict, hours=24):
    """{code: (pm25, pm10)} constant over the first `hours` hours."""
    return synthetic(day, {c: {"pm25": [v[0]] * hours + [None] * (24 - hours),
                               "pm10": [v[1]] * hours + [None] * (24 - hours)}
                           for c, v in values.items()})


D = dt.date(2020, 1, 15)


class KnownAnswers(unittest.TestCase):
    """SPEC section 9 known answers (2012 table, IAQI rounded up)."""

    CASES = [
        ("pm25_24h", "35", 50, False), ("pm25_24h", "36", 52, False),
        ("pm25_24h", "75", 100, False), ("pm25_24h", "80", 107, False),
        ("pm25_24h", "120", 158, False), ("pm25_24h", "600", 500, True),
        ("pm10_24h", "151", 101, False), ("pm10_24h", "180", 115, False),
        ("so2_24h", "200", 108, False), ("no2_24h", "100", 110, False),
        ("co_24h", "3.5", 88, False), ("o3_8h", "180", 119, False),
        ("o3_1h", "250", 125, False), ("no2_1h", "150", 75, False),
        ("co_1h", "12", 104, False),
    ]

    def test_known_answers(self):
        for table, c, want, above in self.CASES:
            with self.subTest(table=table, c=c):
                self.assertEqual(aqref.iaqi(table, F(c)), (want, above))

    def test_day_pm25_80_pm10_180(self):
        iq = aqref.daily_iaqi({"pm25": F(80), "pm10": F(180)})
        aqi, level, cat, colour, primary, above = aqref.aqi_from_iaqis(iq)
        self.assertEqual((aqi, level, cat, colour, primary, above),
                         (115, 3, "轻度污染", "#FF7E00", ["PM10"], False))

    def test_same_through_daily_pipeline(self):
        ds = const_day(D, {"A": (80, 180)})
        sd = aqref.compute_day(ds, D)["stations"]["A"]
        self.assertEqual((sd["pub"]["pm25"], sd["pub"]["pm10"], sd["aqi"], sd["category"],
                          sd["primary_pollutants"]), (80, 180, 115, "轻度污染", ["PM10"]))

    def test_breakpoints_exact(self):
        # every breakpoint maps exactly to its IAQI (no 1e-9 fuzz needed with Fractions)
        for table, bps in aqref.BREAKPOINTS["HJ633-2012"].items():
            for c, i in bps:
                with self.subTest(table=table, c=c):
                    self.assertEqual(aqref.iaqi(table, c), (i, False))

    def test_above_scale(self):
        self.assertEqual(aqref.iaqi("pm25_24h", F(500)), (500, False))
        self.assertEqual(aqref.iaqi("pm25_24h", F(501)), (500, True))
        self.assertEqual(aqref.iaqi("pm25_24h", F(499)), (500, False))  # ceil(499.33)
        self.assertEqual(aqref.iaqi("pm10_24h", F(601)), (500, True))
        self.assertEqual(aqref.iaqi("co_24h", F("60.1")), (500, True))
        self.assertIsNone(aqref.iaqi("o3_8h", F(801)))  # O3 8h > 800: use 1h
        self.assertIsNone(aqref.iaqi("so2_1h", F(801)))

    def test_o3_8h_above_800_uses_1h_max(self):
        iq = aqref.daily_iaqi({"o3": F(801)}, o3_1h_max_pub=F(900))
        self.assertEqual(iq["o3"], (350, False, "o3_1h"))
        iq = aqref.daily_iaqi({"o3": F(800)}, o3_1h_max_pub=F(1300))
        self.assertEqual(iq["o3"], (300, False, "o3_8h"))
        iq = aqref.daily_iaqi({"o3": F(850)}, o3_1h_max_pub=F(1201))
        self.assertEqual(iq["o3"], (500, True, "o3_1h"))

    def test_levels(self):
        for aqi, lv, cat, col in [(0, 1, "优", "#00E400"), (50, 1, "优", "#00E400"),
                                  (51, 2, "良", "#FFFF00"), (100, 2, "良", "#FFFF00"),
                                  (101, 3, "轻度污染", "#FF7E00"), (150, 3, "轻度污染", "#FF7E00"),
                                  (151, 4, "中度污染", "#FF0000"), (200, 4, "中度污染", "#FF0000"),
                                  (201, 5, "重度污染", "#99004C"), (300, 5, "重度污染", "#99004C"),
                                  (301, 6, "严重污染", "#7E0023"), (500, 6, "严重污染", "#7E0023")]:
            self.assertEqual(aqref.aqi_level(aqi), (lv, cat, col))

    def test_primary_pollutants(self):
        # AQI <= 50: no primary pollutant
        a = aqref.aqi_from_iaqis(aqref.daily_iaqi({"pm25": F(35), "pm10": F(50)}))
        self.assertEqual((a[0], a[4]), (50, []))
        # ties: all, in PM2.5, PM10, SO2, NO2, CO, O3 order
        a = aqref.aqi_from_iaqis(aqref.daily_iaqi({"pm25": F(75), "pm10": F(150), "no2": F(80)}))
        self.assertEqual((a[0], a[4]), (100, ["PM2.5", "PM10", "NO2"]))


class KnownAnswers2026(unittest.TestCase):
    """SPEC section 9 known answers under HJ 633-2026, the standards chosen by the date, and the
    2026 rules: composite S_i, days over the limit, a missing pollutant (HJ 633-2026 5.3.1)."""

    def test_known_answers(self):
        for table, c, want in [("pm25_24h", "60", 100), ("pm25_24h", "75", 114), ("pm25_24h", "60.11", 101),
                               ("pm25_24h", "115", 150), ("pm10_24h", "120", 100), ("pm10_24h", "150", 112),
                               ("pm10_24h", "250", 150), ("so2_1h", "801", 200), ("o3_8h", "801", 300)]:
            with self.subTest(table=table, c=c):
                self.assertEqual(aqref.iaqi(table, F(c), "HJ633-2026"), (want, False))

    def test_day_pm25_60_pm10_120(self):
        a = aqref.aqi_from_iaqis(aqref.daily_iaqi({"pm25": F(60), "pm10": F(120)}, standard="HJ633-2026"))
        self.assertEqual((a[0], a[4]), (100, ["PM2.5", "PM10"]))

    def test_standards_by_date(self):
        self.assertEqual(aqref.standards_for(dt.date(2026, 2, 28)), ("HJ633-2012", "GB3095-2012"))
        self.assertEqual(aqref.standards_for(dt.date(2026, 3, 1)), ("HJ633-2026", "GB3095-2026 transition"))
        self.assertEqual(aqref.standards_for(dt.date(2031, 1, 1)), ("HJ633-2026", "GB3095-2026"))
        self.assertEqual(aqref.standards_for(dt.date(2027, 1, 1), "HJ633-2012"), ("HJ633-2012", "GB3095-2012"))

    def test_same_readings_either_side_of_the_change(self):
        before, after = dt.date(2026, 2, 28), dt.date(2026, 3, 1)
        a = aqref.compute_day(const_day(before, {"A": (70, 40)}), before)["stations"]["A"]
        b = aqref.compute_day(const_day(after, {"A": (70, 40)}), after)["stations"]["A"]
        self.assertEqual((a["aqi"], a["category"], a["standard"]), (94, "良", "HJ633-2012"))
        self.assertEqual((b["aqi"], b["category"], b["standard"]), (110, "轻度污染", "HJ633-2026"))
        # Composite: 70/35 + 40/70 = 2.571 -> 2.57; 70/30 + 40/60 = 3 -> 3.00
        self.assertEqual((a["composite"], b["composite"]), (F("2.57"), F(3)))
        self.assertEqual((a["over_limit"], b["over_limit"]), ([], ["PM2.5"]))


class Rounding(unittest.TestCase):
    def test_half_to_even(self):
        for x, want in [("0.5", 0), ("1.5", 2), ("2.5", 2), ("3.5", 4), ("-0.5", 0),
                        ("-1.5", -2), ("0.49999", 0), ("0.50001", 1), ("100.5", 100),
                        ("101.5", 102)]:
            self.assertEqual(aqref.round_half_even(F(x)), want, x)

    def test_decimals(self):
        for x, d, want in [("0.25", 1, "0.2"), ("0.35", 1, "0.4"), ("0.125", 2, "0.12"),
                           ("0.135", 2, "0.14"), ("2.675", 2, "2.68"), ("1.005", 2, "1.00"),
                           ("0.05", 1, "0.0"), ("0.15", 1, "0.2")]:
            self.assertEqual(aqref.round_half_even(F(x), d), F(want), (x, d))

    def test_matches_python_round_on_fractions(self):
        rnd = random.Random(8170)
        for _ in range(2000):
            x = F(rnd.randint(-10 ** 6, 10 ** 6), rnd.choice([1, 2, 4, 8, 24, 40, 200, 1000]))
            for d in (0, 1, 2):
                self.assertEqual(aqref.round_half_even(x, d), round(x, d))

    def test_daily_mean_ties_exact(self):
        # 12 h of 100 and 12 h of 101 -> mean 100.5 -> 100; 101/102 -> 101.5 -> 102
        ds = synthetic(D, {"A": {"pm10": [100] * 12 + [101] * 12},
                           "B": {"pm10": [101] * 12 + [102] * 12},
                           # CO in mg/m3: mean 0.25 -> 0.2, 0.35 -> 0.4
                           "C": {"co": [F("0.2")] * 12 + [F("0.3")] * 12},
                           "E": {"co": [F("0.3")] * 12 + [F("0.4")] * 12}})
        st = aqref.compute_day(ds, D)["stations"]
        self.assertEqual(st["A"]["pub"]["pm10"], 100)
        self.assertEqual(st["B"]["pub"]["pm10"], 102)
        self.assertEqual(st["C"]["pub"]["co"], F("0.2"))
        self.assertEqual(st["E"]["pub"]["co"], F("0.4"))

    def test_float_trap(self):
        # 0.1+0.2-style inputs: an exact mean of x.5 from decimal text stays a tie
        vals = [F("10.1"), F("10.9")] * 12  # mean exactly 10.5 -> 10
        ds = synthetic(D, {"A": {"pm25": vals}})
        self.assertEqual(aqref.compute_day(ds, D)["stations"]["A"]["pub"]["pm25"], 10)

    def test_composite_rounding(self):
        exact, pub = aqref.composite_index({"pm25": F(35), "pm10": F(70)})
        self.assertEqual((exact, pub), (2, F(2)))
        exact, pub = aqref.composite_index({"pm25": F(36), "pm10": F(70)})
        self.assertEqual(pub, F("2.03"))  # 2.0285714 -> 2.03
        # half-to-even at 2 decimals: CO 0.1/4 = 0.025 -> 0.02; 0.3/4 = 0.075 -> 0.08
        self.assertEqual(aqref.composite_index({"co": F("0.1")}, ("co",))[1], F("0.02"))
        self.assertEqual(aqref.composite_index({"co": F("0.3")}, ("co",))[1], F("0.08"))
        self.assertEqual(aqref.composite_index({"pm25": F(35)}, ("pm25", "pm10")), (None, None))
        six = {"pm25": F(35), "pm10": F(70), "so2": F(60), "no2": F(40), "co": F(4), "o3": F(160)}
        self.assertEqual(aqref.composite_index(six, aqref.POLLUTANTS)[1], 6)


class Aggregation(unittest.TestCase):
    def test_min_hours(self):
        ds = synthetic(D, {"A": {"pm10": [50] * 20 + [None] * 4},
                           "B": {"pm10": [50] * 19 + [None] * 5}})
        st = aqref.compute_day(ds, D)["stations"]
        self.assertEqual((st["A"]["valid"]["pm10"], st["A"]["valid_hours"]["pm10"]), (True, 20))
        self.assertEqual((st["B"]["valid"]["pm10"], st["B"]["pub"]["pm10"]), (False, None))
        st = aqref.compute_day(ds, D, min_hours=18)["stations"]
        self.assertTrue(st["B"]["valid"]["pm10"])

    def test_o3_windows(self):
        # hours 0..18 valid only: windows ending 8..21 have >= 6 valid hours (14 windows)
        o3 = [F(100)] * 19 + [None] * 5
        o3[0] = F(900)  # only in window [0,8)
        sd = aqref.compute_day(synthetic(D, {"A": {"o3": o3}}), D)["stations"]["A"]
        self.assertEqual(sd["o3_valid_windows"], 14)
        self.assertTrue(sd["valid"]["o3"])
        self.assertEqual(sd["mean"]["o3"], F(900 + 7 * 100, 8))  # 200 = max window
        self.assertEqual(sd["pub"]["o3"], 200)
        self.assertEqual(sd["o3_1h_max_pub"], 900)
        self.assertEqual(sd["valid_hours"]["o3"], 19)
        # hours 0..17 valid: 13 windows -> invalid day
        o3b = [F(100)] * 18 + [None] * 6
        sd = aqref.compute_day(synthetic(D, {"A": {"o3": o3b}}), D)["stations"]["A"]
        self.assertEqual((sd["o3_valid_windows"], sd["valid"]["o3"]), (13, False))

    def test_o3_window_uses_valid_hours_only(self):
        o3 = [None] * 24
        for h in (16, 17, 19, 20, 22, 23):  # 6 valid values in [16,24) -> last window valid
            o3[h] = F(60)
        o3[18] = None
        sd = aqref.compute_day(synthetic(D, {"A": {"o3": o3}}), D)["stations"]["A"]
        self.assertEqual(sd["o3_windows"][-1], 60)
        self.assertEqual(sd["o3_valid_windows"], 1)

    def test_o3_high_day_uses_1h(self):
        o3 = [F(850)] * 24
        o3[12] = F("1100.4")
        sd = aqref.compute_day(synthetic(D, {"A": {"o3": o3}}), D)["stations"]["A"]
        self.assertGreater(sd["pub"]["o3"], 800)
        self.assertEqual(sd["o3_1h_max_pub"], 1100)
        self.assertEqual(sd["iaqi"]["o3"], (450, False, "o3_1h"))

    def test_subhourly_interval_and_flags(self):
        ds = aqref.Dataset()
        ds.add_station(aqref.Station("S", interval_s=600))  # needs ceil(2700/600) = 5 readings
        for h in range(24):
            n = 5 if h < 20 else 4
            for k in range(n):
                ds.add_reading(reading("S", D, h, 10 * k, pm10=40 + k))
            # a flagged value does not count
            ds.add_reading(reading("S", D, h, 55, pm10=999, flags={"pm10": "D"}))
        sd = aqref.compute_day(ds, D)["stations"]["S"]
        self.assertEqual(sd["valid_hours"]["pm10"], 20)
        self.assertEqual(sd["hourly"]["pm10"][0], (F(42), 5, True))
        self.assertEqual(sd["hourly"]["pm10"][23], (F(83, 2), 4, False))
        self.assertEqual(sd["pub"]["pm10"], 42)

    def test_duplicate_first_wins(self):
        ds = aqref.Dataset()
        ds.add_reading(reading("A", D, 3, pm10=10))
        t = dt.datetime(D.year, D.month, D.day, 3, tzinfo=CST).astimezone(dt.timezone.utc)
        ds.add_reading(aqref.Reading("A", t, {"pm10": F(99)}))
        self.assertEqual(ds.ignored_duplicates, 1)

    def test_local_day_from_utc(self):
        ds = aqref.load_readings_json(
            [{"station": "A", "observed_at": "2020-01-14T16:30:00Z", "pm10": 5}])
        self.assertEqual(list(ds.by_day["A"]), [D])  # 16:30Z = 00:30 local next day
        self.assertEqual(ds.by_day["A"][D][0].observed_at.astimezone(ds.tz).hour, 0)

    def test_provisional(self):
        ds = const_day(D, {"A": (30, 60), "B": (40, 80)}, hours=24)
        now = dt.datetime(D.year, D.month, D.day, 14, 30, tzinfo=CST)
        day = aqref.compute_day(ds, D, now=now)
        self.assertEqual(day["hours_elapsed"], 15)
        self.assertFalse(day["final"])
        sd = day["stations"]["A"]
        self.assertEqual(sd["need_hours"], math.ceil(15 * 20 / 24))  # 13
        self.assertEqual(sd["need_o3_windows"], math.ceil((15 - 7) * 14 / 17))  # 7 of the 8 closed windows
        self.assertEqual(sd["valid_hours"]["pm10"], 15)  # readings after now do not count
        self.assertTrue(sd["valid"]["pm10"])
        # exactly on the hour: the reading at 14:00 counts, hours_elapsed 15
        now = dt.datetime(D.year, D.month, D.day, 14, 0, tzinfo=CST)
        self.assertEqual(aqref.compute_day(ds, D, now=now)["stations"]["A"]["valid_hours"]
                         ["pm10"], 15)
        # 12 valid hours of 15 -> below ceil(15*20/24) = 13
        ds2 = const_day(D, {"A": (30, 60)}, hours=12)
        now = dt.datetime(D.year, D.month, D.day, 14, 59, tzinfo=CST)
        self.assertFalse(aqref.compute_day(ds2, D, now=now)["stations"]["A"]["valid"]["pm10"])
        # after the day: final
        day = aqref.compute_day(ds, D, now=dt.datetime(2020, 1, 16, 1, tzinfo=CST))
        self.assertTrue(day["final"])
        self.assertEqual(day["hours_elapsed"], 24)
        self.assertEqual(aqref.hours_elapsed_at(D, dt.datetime(2020, 1, 14, 23, tzinfo=CST),
                                                ds.tz), 0)
        self.assertEqual(aqref.hours_elapsed_at(D, dt.datetime(2020, 1, 15, 0, 0,
                                                               tzinfo=CST), ds.tz), 1)
        self.assertEqual(aqref.hours_elapsed_at(D, dt.datetime(2020, 1, 15, 15, 59, 59,
                                                               tzinfo=dt.timezone.utc),
                                                ds.tz), 24)  # 23:59:59 local


class Ranking(unittest.TestCase):
    def day(self, values, **kw):
        return aqref.compute_day(const_day(D, values), D, **kw)

    def test_competition_ranks_and_tie_order(self):
        day = self.day({"A": (30, 100), "B": (20, 100), "C": (10, 90), "D": (40, 120),
                        "E": (20, 100), "F": (5, 130), "G": (6, 130)})
        res = aqref.rank_day(day, "pm10")
        self.assertEqual([(r["rank"], r["station"]) for r in res["ranking"]],
                         [(1, "C"), (2, "B"), (2, "E"), (2, "A"), (5, "D"), (6, "F"), (6, "G")])
        # interview: the ranking read from the bottom, G, F (rank 6: the reverse of their
        # tie order F, G) then D (rank 5); no tie at the cut
        self.assertEqual([e["station"] for e in res["interview"]], ["G", "F", "D"])
        self.assertEqual(res["district_mean"], round(F(100 * 3 + 90 + 120 + 130 * 2, 7)))

    def test_tie_at_cut_inclusive(self):
        day = self.day({"A": (1, 10), "B": (2, 20), "C": (3, 30), "D": (5, 30), "E": (4, 30),
                        "F": (9, 40)})
        res = aqref.rank_day(day, "pm10")
        # ranking: A, B, then the tie at 30 ordered by pm25: C (3), E (4), D (5), then F;
        # the interview list reads it from the bottom: F, then the tie reversed D, E, C
        self.assertEqual([r["station"] for r in res["ranking"]], ["A", "B", "C", "E", "D", "F"])
        self.assertEqual([(e["station"], e["rank"]) for e in res["interview"]],
                         [("F", 6), ("D", 3), ("E", 3), ("C", 3)])
        self.assertTrue(aqref.cut_tie(res))
        self.assertEqual(res["interview"][0]["of"], 6)
        # by pm25 there is no tie: the three worst
        res = aqref.rank_day(day, "pm25")
        self.assertEqual([e["station"] for e in res["interview"]], ["F", "D", "E"])

    def test_tie_order_missing_other_last(self):
        ds = synthetic(D, {"A": {"pm10": [50] * 24, "pm25": [None] * 24},
                           "B": {"pm10": [50] * 24, "pm25": [30] * 24},
                           "C": {"pm10": [50] * 24, "pm25": [10] * 5 + [None] * 19}})
        res = aqref.rank_day(aqref.compute_day(ds, D), "pm10")
        self.assertEqual([r["station"] for r in res["ranking"]], ["B", "A", "C"])
        self.assertEqual({r["rank"] for r in res["ranking"]}, {1})

    def test_pct_above_mean_and_district_mean(self):
        day = self.day({"A": (10, 10), "B": (10, 11), "C": (10, 11)})
        res = aqref.rank_day(day, "pm10")
        m = F(32, 3)
        self.assertEqual(res["district_mean"], 11)
        self.assertEqual(res["district_mean_exact"], m)
        rows = {r["station"]: r for r in res["ranking"]}
        self.assertEqual(rows["A"]["pct_above_mean"], F("-6.2"))  # -6.25 -> -6.2
        self.assertEqual(rows["B"]["pct_above_mean"], F("3.1"))  # 3.125 -> 3.1
        # half-to-even on pct: values 4 and 6, mean 5 -> -20.0 / 20.0; 1 and 7 (mean 4) -> 75
        res = aqref.rank_day(self.day({"A": (1, 1), "B": (1, 7)}), "pm10")
        self.assertEqual([r["pct_above_mean"] for r in res["ranking"]], [-75, 75])

    def test_insufficient_separate_and_worst(self):
        values = {"A": (10, 10), "B": (20, 20), "C": (30, 30), "D": (40, 40)}
        ds = const_day(D, values)
        for h in range(24):  # W: 10 valid hours; X: 19; Y: none for pm10 but pm25 valid
            if h < 10:
                ds.add_reading(reading("W", D, h, pm10=5, pm25=50))
            if h < 19:
                ds.add_reading(reading("X", D, h, pm10=5, pm25=5))
            ds.add_reading(reading("Y", D, h, pm25=1))
        ds.add_station(aqref.Station("Z"))  # no readings at all
        day = aqref.compute_day(ds, D)
        res = aqref.rank_day(day, "pm10", "separate")
        self.assertEqual([r["station"] for r in res["ranking"]], ["A", "B", "C", "D"])
        # the insufficient list is ordered by code alone (not by the other PM value, which
        # would put Y first, nor by valid hours)
        self.assertEqual([(r["station"], r["valid_hours"]) for r in res["insufficient"]],
                         [("W", 10), ("X", 19), ("Y", 0), ("Z", 0)])
        self.assertEqual([r["rank"] for r in res["insufficient"]], [None] * 4)
        self.assertEqual([e["station"] for e in res["interview"]], ["D", "C", "B"])
        self.assertEqual(res["stations_ranked"], 4)
        res = aqref.rank_day(day, "pm10", "worst")
        # ranked after the valid stations, by valid hours descending (X 19, W 10), then code
        # (Y and Z, both 0), all sharing rank 5
        self.assertEqual([(r["rank"], r["station"]) for r in res["ranking"]],
                         [(1, "A"), (2, "B"), (3, "C"), (4, "D"), (5, "X"), (5, "W"), (5, "Y"),
                          (5, "Z")])
        # the insufficient list itself stays in code order
        self.assertEqual([(r["station"], r["rank"]) for r in res["insufficient"]],
                         [("W", 5), ("X", 5), ("Y", 5), ("Z", 5)])
        # interview: the ranking read from the bottom; the whole rank-5 tie crosses the cut
        self.assertEqual([(e["station"], e["rank"], e["reason"]) for e in res["interview"]],
                         [("Z", 5, "insufficient_data"), ("Y", 5, "insufficient_data"),
                          ("W", 5, "insufficient_data"), ("X", 5, "insufficient_data")])
        self.assertEqual(res["district_mean"], 25)
        self.assertEqual(res["stations_ranked"], 8)
        self.assertEqual({e["of"] for e in res["interview"]}, {8})

    def test_national_not_ranked(self):
        ds = const_day(D, {"A": (10, 10), "N": (99, 99)})
        ds.stations["N"].kind = "national"
        res = aqref.rank_day(aqref.compute_day(ds, D), "pm10")
        self.assertEqual([r["station"] for r in res["ranking"]], ["A"])
        self.assertEqual(res["national"][0]["station"], "N")

    def test_metrics_aqi_composite(self):
        day = self.day({"A": (80, 180), "B": (35, 70), "C": (36, 150)})
        res = aqref.rank_day(day, "aqi")
        self.assertEqual([(r["station"], r["value"]) for r in res["ranking"]],
                         [("B", 60), ("C", 100), ("A", 115)])
        res = aqref.rank_day(day, "composite")
        self.assertEqual([(r["station"], r["value"]) for r in res["ranking"]],
                         [("B", F(2)), ("C", F("3.17")), ("A", F("4.86"))])
        self.assertEqual(res["district_mean"], F("3.34"))  # (2 + 3.17 + 4.86)/3 = 3.343

    def test_aqi_requires_reported(self):
        # A: O3 valid all day, PM10 reported in 5 hours only (invalid)
        ds = synthetic(D, {"A": {"pm10": [None] * 24, "o3": [50] * 24},
                           "B": {"o3": [50] * 24}})
        for h in range(5):
            ds.add_reading(reading("A", D, h, minute=30, pm10=300))
        # B: a PM10 value flagged other than N is not a counted reading -> not "reported"
        ds.add_reading(reading("B", D, 3, minute=30, pm10=300, flags={"pm10": "D"}))
        # default: no AQI unless every pollutant reported that day is valid
        st = aqref.compute_day(ds, D)["stations"]
        self.assertEqual((st["A"]["aqi"], st["A"]["level"], st["A"]["primary_pollutants"],
                          st["A"]["above_scale"]), (None, None, [], False))
        self.assertEqual((st["A"]["pub"]["o3"], st["A"]["pub"]["pm10"]), (50, None))
        self.assertEqual(st["B"]["aqi"], 25)  # only O3 counted, and it is valid
        sd = aqref.compute_day(ds, D, aqi_requires="reported")["stations"]["A"]
        self.assertIsNone(sd["aqi"])
        res = aqref.rank_day(aqref.compute_day(ds, D), "aqi")
        self.assertEqual([r["station"] for r in res["ranking"]], ["B"])
        self.assertEqual([r["station"] for r in res["insufficient"]], ["A"])
        # option "any": the AQI over whichever pollutants are valid (O3 only)
        st = aqref.compute_day(ds, D, aqi_requires="any")["stations"]
        self.assertEqual((st["A"]["aqi"], st["B"]["aqi"]), (25, 25))
        self.assertEqual(aqref.station_day(ds.stations["A"], ds.by_day["A"][D], ds.tz,
                                           aqi_requires="any")["aqi"], 25)
        # station_day's own default is "reported" too
        self.assertIsNone(aqref.station_day(ds.stations["A"], ds.by_day["A"][D], ds.tz)["aqi"])
        with self.assertRaises(ValueError):
            aqref.compute_day(ds, D, aqi_requires="all")

    def test_interview_count_zero_and_streaks(self):
        ds = const_day(D, {"A": (10, 10), "B": (20, 20), "C": (30, 30), "D": (40, 40)})
        self.assertEqual(aqref.rank_day(aqref.compute_day(ds, D), "pm10", "separate", 0)
                         ["interview"], [])
        d2 = D + dt.timedelta(days=1)
        for h in range(24):
            ds.add_reading(reading("A", d2, h, pm25=90, pm10=90))
            ds.add_reading(reading("B", d2, h, pm25=1, pm10=1))
            ds.add_reading(reading("C", d2, h, pm25=2, pm10=2))
            ds.add_reading(reading("D", d2, h, pm25=3, pm10=3))
        s = aqref.interview_streaks(ds, [D, d2])
        self.assertEqual(s[D], {"D": 1, "C": 1, "B": 1})
        self.assertEqual(s[d2], {"A": 1, "D": 2, "C": 2})


@unittest.skipUnless(os.path.isdir(SAMPLE), "no committed sample")
class Sample(unittest.TestCase):
    """The committed December 2015 sample and its notable days (see its SOURCE.md)."""

    @classmethod
    def setUpClass(cls):
        cls.ds = aqref.load_prsa(SAMPLE)
        cls.days = {d: aqref.compute_day(cls.ds, d) for d in cls.ds.dates()}

    def test_shape(self):
        self.assertEqual(len(self.ds.stations), 12)
        self.assertEqual(self.ds.dates()[0], dt.date(2015, 12, 1))
        self.assertEqual(self.ds.dates()[-1], dt.date(2015, 12, 31))
        self.assertEqual(len(self.days), 31)
        self.assertEqual(self.ds.stations["Dongsi"].name, "东四")

    def test_insufficient_station_days(self):
        got = sorted((d.isoformat(), c, sd["valid_hours"]["pm25"], sd["valid_hours"]["pm10"])
                     for d, day in self.days.items() for c, sd in day["stations"].items()
                     if not (sd["valid"]["pm25"] and sd["valid"]["pm10"]))
        self.assertEqual(got, [("2015-12-02", "Dingling", 9, 9), ("2015-12-02", "Shunyi", 19, 19),
                               ("2015-12-02", "Wanshouxigong", 19, 20),
                               ("2015-12-18", "Changping", 18, 18),
                               ("2015-12-23", "Wanshouxigong", 17, 18),
                               ("2015-12-24", "Wanshouxigong", 10, 12)])

    def test_ties_at_cut(self):
        got = {}
        for d, day in self.days.items():
            for m in aqref.METRICS:
                res = aqref.rank_day(day, m)
                if aqref.cut_tie(res):
                    got.setdefault(d.isoformat(), {})[m] = [
                        (e["station"], e["rank"], aqref.dec_str(e["value"]))
                        for e in res["interview"]]
        # interview lists read the ranking from the bottom: inside a tie, the reverse of the
        # tie order (ranking: Guanyuan pm10 27 before Changping pm10 46; Wanshouxigong pm25
        # 152 before Nongzhanguan pm25 160)
        self.assertEqual(got["2015-12-02"]["pm25"], [
            ("Huairou", 9, "49"), ("Tiantan", 8, "13"), ("Changping", 6, "11"),
            ("Guanyuan", 6, "11")])
        self.assertEqual(got["2015-12-06"]["pm10"], [
            ("Dongsi", 12, "183"), ("Tiantan", 11, "170"), ("Nongzhanguan", 9, "169"),
            ("Wanshouxigong", 9, "169")])
        self.assertEqual(len(got["2015-12-16"]["pm25"]), 7)
        self.assertEqual(got["2015-12-16"]["composite"], [
            ("Changping", 12, "0.6"), ("Tiantan", 11, "0.4"), ("Huairou", 9, "0.37"),
            ("Guanyuan", 9, "0.37")])
        self.assertEqual(got["2015-12-18"]["aqi"], [  # Changping: no AQI (PM invalid)
            ("Nongzhanguan", 11, "109"), ("Aotizhongxin", 10, "103"), ("Wanliu", 8, "93"),
            ("Guanyuan", 8, "93")])
        # 2015-12-25 by aqi: Aotizhongxin (CO) and Tiantan (NO2) have no AQI, so four at 500
        self.assertEqual(got["2015-12-25"]["aqi"], [
            ("Dongsi", 7, "500"), ("Wanshouxigong", 7, "500"), ("Guanyuan", 7, "500"),
            ("Nongzhanguan", 7, "500")])
        # 2015-12-01 has no aqi tie at the cut any more: five stations with CO invalid have
        # no AQI, leaving Dongsi, Guanyuan, Gucheng at 500 = exactly three
        self.assertEqual(sorted((d, sorted(v)) for d, v in got.items()), [
            ("2015-12-02", ["pm25"]), ("2015-12-06", ["pm10"]),
            ("2015-12-16", ["composite", "pm25"]), ("2015-12-18", ["aqi"]),
            ("2015-12-25", ["aqi"])])
        res = aqref.rank_day(self.days[dt.date(2015, 12, 1)], "aqi")
        self.assertEqual([(e["station"], e["rank"]) for e in res["interview"]],
                         [("Gucheng", 5), ("Guanyuan", 5), ("Dongsi", 5)])
        # with aqi_requires="any" the old AQI ties at the cut come back
        any_aqi = {}
        for d in (1, 18, 25):
            res = aqref.rank_day(aqref.compute_day(self.ds, dt.date(2015, 12, d),
                                                   aqi_requires="any"), "aqi")
            any_aqi[d] = [(e["station"], e["rank"]) for e in res["interview"]]
        self.assertEqual(any_aqi, {
            1: [("Gucheng", 9), ("Shunyi", 9), ("Guanyuan", 9), ("Dongsi", 9)],
            18: [("Nongzhanguan", 12), ("Aotizhongxin", 11), ("Wanliu", 9), ("Guanyuan", 9)],
            25: [("Dongsi", 7), ("Wanshouxigong", 7), ("Guanyuan", 7), ("Aotizhongxin", 7),
                 ("Nongzhanguan", 7), ("Tiantan", 7)]})
        # 2015-12-06: the PM10 tie is exact even before rounding (1355/8 = 169.375 both)
        st = self.days[dt.date(2015, 12, 6)]["stations"]
        self.assertEqual(st["Wanshouxigong"]["mean"]["pm10"], F(1355, 8))
        self.assertEqual(st["Nongzhanguan"]["mean"]["pm10"], F(1355, 8))

    def test_above_scale(self):
        nine = [
            ("2015-12-01", "Dongsi", 506), ("2015-12-01", "Guanyuan", 503),
            ("2015-12-01", "Gucheng", 520), ("2015-12-01", "Shunyi", 515),
            ("2015-12-25", "Aotizhongxin", 512), ("2015-12-25", "Dongsi", 567),
            ("2015-12-25", "Guanyuan", 536), ("2015-12-25", "Nongzhanguan", 514),
            ("2015-12-25", "Wanshouxigong", 537)]
        # published daily PM2.5 above 500: a property of the data, whatever the AQI rule
        self.assertEqual(sorted((d.isoformat(), c, int(sd["pub"]["pm25"]))
                                for d, day in self.days.items()
                                for c, sd in day["stations"].items()
                                if sd["pub"]["pm25"] is not None and sd["pub"]["pm25"] > 500),
                         nine)
        # the day's above_scale flag goes with its AQI: Shunyi 12-01 and Aotizhongxin 12-25
        # have CO invalid (reported, < 20 valid hours), so no AQI and no flag by default
        got = sorted((d.isoformat(), c, int(sd["pub"]["pm25"]))
                     for d, day in self.days.items() for c, sd in day["stations"].items()
                     if sd["above_scale"])
        self.assertEqual(got, [x for x in nine if x[1:] != ("Shunyi", 515)
                               and x[1:] != ("Aotizhongxin", 512)])
        for d, c in [(1, "Shunyi"), (25, "Aotizhongxin")]:
            sd = self.days[dt.date(2015, 12, d)]["stations"][c]
            self.assertEqual((sd["aqi"], sd["valid"]["co"], sd["iaqi"]["pm25"]),
                             (None, False, (500, True, "pm25_24h")), (d, c))
        got_any = []
        for d in (dt.date(2015, 12, 1), dt.date(2015, 12, 25)):
            for c, sd in aqref.compute_day(self.ds, d, aqi_requires="any")["stations"].items():
                if sd["above_scale"]:
                    got_any.append((d.isoformat(), c, int(sd["pub"]["pm25"])))
        self.assertEqual(sorted(got_any), nine)
        sd = self.days[dt.date(2015, 12, 25)]["stations"]["Dongsi"]
        self.assertEqual(sd["mean"]["pm25"], F(13618, 24))  # 567.41666...
        self.assertEqual(sd["aqi"], 500)
        # Tiantan 12-25: PM2.5 499 -> IAQI ceil(499.33) = 500 but not above scale; its NO2 is
        # reported and invalid, so the AQI itself exists only with aqi_requires="any"
        tiantan = self.days[dt.date(2015, 12, 25)]["stations"]["Tiantan"]
        self.assertEqual((tiantan["pub"]["pm25"], tiantan["iaqi"]["pm25"], tiantan["aqi"],
                          tiantan["valid"]["no2"], tiantan["above_scale"]),
                         (499, (500, False, "pm25_24h"), None, False, False))
        tiantan = aqref.compute_day(self.ds, dt.date(2015, 12, 25),
                                    aqi_requires="any")["stations"]["Tiantan"]
        self.assertEqual((tiantan["pub"]["pm25"], tiantan["aqi"], tiantan["above_scale"]),
                         (499, 500, False))

    def test_exact_half_ties_in_sample(self):
        """Daily means, district means and percentages that sit exactly on .5: half-to-even."""
        st = lambda d, c: self.days[dt.date(2015, 12, d)]["stations"][c]
        for d, c, p, mean, pub in [
                (4, "Dingling", "co", "0.45", "0.4"), (4, "Changping", "co", "0.55", "0.6"),
                (8, "Nongzhanguan", "co", "4.95", "5.0"), (20, "Aotizhongxin", "co", "4.65", "4.6"),
                (14, "Wanshouxigong", "co", "3.25", "3.2"), (6, "Guanyuan", "co", "2.75", "2.8"),
                (7, "Huairou", "pm25", "154.5", "154"), (3, "Changping", "pm25", "13.5", "14"),
                (5, "Aotizhongxin", "pm10", "69.5", "70"), (31, "Dongsi", "pm10", "70.5", "70"),
                (1, "Wanshouxigong", "o3", "12.5", "12"), (6, "Gucheng", "o3", "5.5", "6")]:
            with self.subTest(day=d, station=c, pollutant=p):
                self.assertEqual(st(d, c)["mean"][p], F(mean))
                self.assertEqual(st(d, c)["pub"][p], F(pub))
        for d, metric, exact, pub in [(25, "pm10", "494.5", "494"), (11, "pm25", "44.5", "44"),
                                      (13, "aqi", "220.5", "220"),
                                      (6, "composite", "5.565", "5.56"),
                                      (13, "composite", "7.575", "7.58")]:
            res = aqref.rank_day(self.days[dt.date(2015, 12, d)], metric)
            self.assertEqual((res["district_mean_exact"], res["district_mean"]),
                             (F(exact), F(pub)), (d, metric))
        # 12-03 by aqi: 27.5 -> 28 over all 12 stations with aqi_requires="any"; by default
        # Shunyi (SO2, NO2, CO invalid) has no AQI and the mean is 305/11, no tie
        day3 = aqref.compute_day(self.ds, dt.date(2015, 12, 3), aqi_requires="any")
        res = aqref.rank_day(day3, "aqi")
        self.assertEqual((res["district_mean_exact"], res["district_mean"]), (F("27.5"), 28))
        res = aqref.rank_day(self.days[dt.date(2015, 12, 3)], "aqi")
        self.assertEqual((res["district_mean_exact"], res["district_mean"]), (F(305, 11), 28))
        self.assertEqual([r["station"] for r in res["insufficient"]], ["Shunyi"])
        res = aqref.rank_day(self.days[dt.date(2015, 12, 19)], "pm10")
        pct = {r["station"]: r["pct_above_mean"] for r in res["ranking"]}
        self.assertEqual(res["district_mean_exact"], F(400, 3))
        for c, want in [("Changping", "-24.2"), ("Shunyi", "-4.8"), ("Tiantan", "-1.8"),
                        ("Wanshouxigong", "7.2"), ("Guanyuan", "8.8"), ("Aotizhongxin", "20.8")]:
            self.assertEqual(pct[c], F(want), c)  # exact x.x5 each

    def test_ranking_2015_12_25(self):
        res = aqref.rank_day(self.days[dt.date(2015, 12, 25)], "pm25")
        self.assertEqual([e["station"] for e in res["interview"]],
                         ["Dongsi", "Wanshouxigong", "Guanyuan"])
        self.assertEqual((res["district_mean"], res["ranking"][0]["station"]), (465, "Changping"))
        self.assertEqual(res["interview"][0]["pct_above_mean"], F("21.8"))

    def test_worst_policy_2015_12_02(self):
        res = aqref.rank_day(self.days[dt.date(2015, 12, 2)], "pm10", "worst")
        # ranked last by valid hours descending: Shunyi (19 h) then Dingling (9 h)
        self.assertEqual([(r["station"], r["rank"], r["valid_hours"])
                          for r in res["ranking"][-3:]],
                         [("Huairou", 10, 20), ("Shunyi", 11, 19), ("Dingling", 11, 9)])
        self.assertEqual([r["station"] for r in res["insufficient"]], ["Dingling", "Shunyi"])
        self.assertEqual([(e["station"], e["rank"], e["reason"]) for e in res["interview"]],
                         [("Dingling", 11, "insufficient_data"),
                          ("Shunyi", 11, "insufficient_data"), ("Huairou", 10, "ranking")])
        self.assertEqual(res["stations_ranked"], 12)
        # by pm25 three are insufficient: Shunyi and Wanshouxigong (19 h, by code), Dingling
        # (9 h); the interview list is exactly those three, read from the bottom
        res = aqref.rank_day(self.days[dt.date(2015, 12, 2)], "pm25", "worst")
        self.assertEqual([(r["station"], r["rank"], r["valid_hours"])
                          for r in res["ranking"][-3:]],
                         [("Shunyi", 10, 19), ("Wanshouxigong", 10, 19), ("Dingling", 10, 9)])
        self.assertEqual([r["station"] for r in res["insufficient"]],
                         ["Dingling", "Shunyi", "Wanshouxigong"])
        self.assertEqual([(e["station"], e["rank"]) for e in res["interview"]],
                         [("Dingling", 10), ("Wanshouxigong", 10), ("Shunyi", 10)])

    def test_interview_is_ranking_read_from_bottom(self):
        """Every day, metric and policy: the interview list is a prefix of the reversed
        ranking, cut tie-inclusively after interview_count rows."""
        for d, day in self.days.items():
            for m in aqref.METRICS:
                for policy in ("separate", "worst"):
                    for count in (1, 3, 5):
                        with self.subTest(day=d, metric=m, policy=policy, count=count):
                            res = aqref.rank_day(day, m, policy, count)
                            rev = [r["station"] for r in reversed(res["ranking"])]
                            got = [e["station"] for e in res["interview"]]
                            self.assertEqual(got, rev[:len(got)])
                            cut = res["ranking"][-count]["rank"]
                            self.assertEqual(len(got), sum(1 for r in res["ranking"]
                                                           if r["rank"] >= cut))
                            self.assertEqual([r["station"] for r in res["insufficient"]],
                                             sorted(r["station"] for r in res["insufficient"]))

    def test_aqi_reported_vs_any_2015_12_23(self):
        # Wanshouxigong 2015-12-23: PM2.5/PM10/SO2/NO2/CO reported but invalid (17-19 h),
        # O3 valid (exactly 14 windows)
        d = dt.date(2015, 12, 23)
        sd = self.days[d]["stations"]["Wanshouxigong"]
        self.assertEqual((sd["aqi"], sd["o3_valid_windows"], sd["pub"]["pm25"], sd["pub"]["o3"]
                          is not None), (None, 14, None, True))
        res = aqref.rank_day(self.days[d], "aqi")
        # valid hours of the aqi metric: the least complete reported pollutant (PM2.5, 17 h)
        self.assertEqual([(r["station"], r["valid_hours"]) for r in res["insufficient"]],
                         [("Wanshouxigong", 17)])
        self.assertEqual((res["stations_ranked"], res["ranking"][0]["station"],
                          res["ranking"][0]["value"]), (11, "Dingling", 204))
        # aqi_requires="any": AQI 16 from O3 alone -> rank 1 by aqi, all others 204..417
        day = aqref.compute_day(self.ds, d, aqi_requires="any")
        sd = day["stations"]["Wanshouxigong"]
        self.assertEqual((sd["aqi"], sd["o3_valid_windows"], sd["pub"]["pm25"]), (16, 14, None))
        res = aqref.rank_day(day, "aqi")
        self.assertEqual([(r["rank"], r["station"], r["value"]) for r in res["ranking"][:2]],
                         [(1, "Wanshouxigong", 16), (2, "Dingling", 204)])
        self.assertEqual((res["ranking"][-1]["value"], res["insufficient"]), (417, []))

    def test_replay_readings_give_same_results(self):
        """Loader output (JSON as posted) fed back to the reference = same daily values."""
        text = "[" + ",".join(beijing_replay.reading_json(r)
                              for r in beijing_replay.iter_readings(SAMPLE)) + "]"
        ds2 = aqref.load_readings_json(json.loads(text, parse_float=F, parse_int=F))
        for d in (dt.date(2015, 12, 2), dt.date(2015, 12, 25)):
            a = aqref.compute_day(self.ds, d)["stations"]
            b = aqref.compute_day(ds2, d)["stations"]
            for code in a:
                self.assertEqual(a[code]["pub"], b[code]["pub"], (d, code))
                self.assertEqual(a[code]["valid_hours"], b[code]["valid_hours"])
                self.assertEqual(a[code]["aqi"], b[code]["aqi"])

    def test_cli_json(self):
        out = io.StringIO()
        old = sys.stdout
        sys.stdout = out
        try:
            aqref.main(["--data", SAMPLE, "--date", "2015-12-06", "--json", "--brief"])
        finally:
            sys.stdout = old
        doc = json.loads(out.getvalue())
        # worst first; the 169 tie reversed (ranking: Wanshouxigong, then Nongzhanguan)
        self.assertEqual([e["station"] for e in doc["interview"]],
                         ["Dongsi", "Tiantan", "Nongzhanguan", "Wanshouxigong"])
        self.assertEqual(doc["stations_ranked"], 12)
        # --aqi-requires defaults to "reported"
        for extra, rank1, insufficient in [([], "Dingling", ["Wanshouxigong"]),
                                           (["--aqi-requires", "reported"], "Dingling",
                                            ["Wanshouxigong"]),
                                           (["--aqi-requires", "any"], "Wanshouxigong", [])]:
            out = io.StringIO()
            sys.stdout = out
            try:
                aqref.main(["--data", SAMPLE, "--date", "2015-12-23", "--metric", "aqi",
                            "--json", "--brief"] + extra)
            finally:
                sys.stdout = old
            doc = json.loads(out.getvalue())
            self.assertEqual((doc["ranking"][0]["station"],
                              [r["station"] for r in doc["insufficient"]]),
                             (rank1, insufficient), extra)


@unittest.skipUnless(os.path.isdir(os.path.join(SHARED, "PRSA")), "no shared data set")
class SharedDataSet(unittest.TestCase):
    """Reproduce the shared data set's SOURCE.md figures; check the sample against it."""

    def test_sample_matches_full_files(self):
        full = aqref.load_prsa(SHARED, dt.date(2015, 12, 1), dt.date(2015, 12, 31))
        sample = aqref.load_prsa(SAMPLE)
        for d in (dt.date(2015, 12, 1), dt.date(2015, 12, 16), dt.date(2015, 12, 31)):
            a = aqref.compute_day(full, d)["stations"]
            b = aqref.compute_day(sample, d)["stations"]
            self.assertEqual({c: s["pub"] for c, s in a.items()},
                             {c: s["pub"] for c, s in b.items()})

    @unittest.skipIf(os.environ.get("AQREF_QUICK") == "1", "AQREF_QUICK=1")
    def test_source_md_figures(self):
        ds = aqref.load_prsa(SHARED)
        self.assertEqual(len(ds.dates()), 1461)
        invalid25, invalid10, zero25 = {}, {}, {}
        per_day, above, ties = {}, 0, 0
        for d in ds.dates():
            day = aqref.compute_day(ds, d)
            n = 0
            for code, sd in day["stations"].items():
                if sd["valid"]["pm25"]:
                    n += 1
                    above += sd["pub"]["pm25"] > 500
                else:
                    invalid25[code] = invalid25.get(code, 0) + 1
                    if sd["valid_hours"]["pm25"] == 0:
                        zero25[code] = zero25.get(code, 0) + 1
                if not sd["valid"]["pm10"]:
                    invalid10[code] = invalid10.get(code, 0) + 1
            per_day[n] = per_day.get(n, 0) + 1
            means = sorted((sd["mean"]["pm25"] for sd in day["stations"].values()
                            if sd["valid"]["pm25"]), reverse=True)
            ties += len(means) > 3 and means[2] == means[3]
        self.assertEqual(sum(invalid25.values()), 485)
        self.assertEqual(invalid25, {
            "Aotizhongxin": 44, "Changping": 41, "Dingling": 42, "Dongsi": 41, "Guanyuan": 35,
            "Gucheng": 39, "Huairou": 49, "Nongzhanguan": 37, "Shunyi": 45, "Tiantan": 46,
            "Wanliu": 21, "Wanshouxigong": 45})
        self.assertEqual(zero25, {
            "Aotizhongxin": 15, "Changping": 11, "Dingling": 5, "Dongsi": 5, "Guanyuan": 5,
            "Gucheng": 1, "Huairou": 11, "Nongzhanguan": 1, "Shunyi": 10, "Wanshouxigong": 1})
        self.assertEqual(invalid10, {
            "Aotizhongxin": 34, "Changping": 34, "Dingling": 38, "Dongsi": 32, "Guanyuan": 24,
            "Gucheng": 21, "Huairou": 38, "Nongzhanguan": 23, "Shunyi": 31, "Tiantan": 41,
            "Wanliu": 16, "Wanshouxigong": 35})
        self.assertEqual(per_day, {12: 1124, 11: 268, 10: 52, 9: 10, 1: 1, 0: 6})
        self.assertEqual(above, 9)
        self.assertEqual(ties, 17)  # worst-3 cut inside a tie of exact daily PM2.5 means


class _FakeDaemon(http.server.BaseHTTPRequestHandler):
    """Just enough of SPEC section 6 for the loader: PUT stations, POST readings."""
    log = []
    seen = {}
    fail_on = None

    def log_message(self, *a):
        pass

    def _reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def do_PUT(self):
        raw = self._body()
        if self.headers.get("Authorization") != "Bearer T0k":
            return self._reply(401, {"error": {"code": "unauthorized", "message": "no"}})
        code = self.path.rsplit("/", 1)[1]
        body = json.loads(raw)
        new = code not in self.seen
        self.seen.setdefault(code, body)
        self.log.append(("PUT", code, body))
        self._reply(201 if new else 200, dict(body, code=code, token="secret" if new else None))

    def do_POST(self):
        raw = self._body()
        if self.headers.get("Content-Type") != "application/json":
            return self._reply(415, {"error": {"code": "unsupported_media_type", "message": ""}})
        items = json.loads(raw, parse_float=F, parse_int=F)
        self.log.append(("POST", len(items), raw))
        if _FakeDaemon.fail_on is not None and len(self.log) >= _FakeDaemon.fail_on:
            return self._reply(422, {"error": {"code": "invalid_reading", "message": "bad",
                                               "details": [{"index": 0, "field": "pm25"}]}})
        acc = dup = 0
        for r in items:
            k = (r["station"], r["observed_at"])
            if k in self.seen:
                dup += 1
            else:
                self.seen[k] = r
                acc += 1
        self._reply(200, {"accepted": acc, "duplicates": dup, "conflicts": 0})


class ReplayLoader(unittest.TestCase):
    def test_row_to_reading(self):
        st = beijing_replay.Stats()
        row = {"No": "1", "year": "2015", "month": "12", "day": "1", "hour": "7",
               "PM2.5": "87.8", "PM10": "NA", "SO2": "0.2856", "NO2": "2001", "CO": "1234.5",
               "O3": "NA", "TEMP": "-2.77555756156289e-17", "PRES": "1018.70", "DEWP": "-5",
               "RAIN": "0", "wd": "WSW", "WSPM": "5.", "station": "Dongsi"}
        r = beijing_replay.row_to_reading(row, "Dongsi", st)
        text = beijing_replay.reading_json(r)
        self.assertEqual(text, '{"station":"Dongsi","observed_at":"2015-12-01T07:00:00+08:00",'
                               '"pm25":87.8,"so2":0.2856,"no2":2001,"co":1.2345,'
                               '"temperature":-2.77555756156289e-17,"pressure":1018.70,'
                               '"wind_speed":5,"wind_direction":247.5}')
        row2 = dict(row, **{"PM2.5": "2500", "PM10": "NA", "SO2": "NA", "NO2": "NA", "CO": "NA",
                            "O3": "NA", "TEMP": "80"})
        self.assertIsNone(beijing_replay.row_to_reading(row2, "Dongsi", st))
        self.assertEqual(dict(st.out_of_range), {"pm25": 1, "temperature": 1})
        row3 = dict(row, **{c: "NA" for c in ("PM2.5", "PM10", "SO2", "NO2", "CO", "O3")})
        self.assertIsNone(beijing_replay.row_to_reading(row3, "Dongsi", st))
        self.assertEqual(st.skipped_all_na, 2)
        self.assertEqual(st.readings, 1)
        self.assertEqual(beijing_replay.number_text("300", 3)[0], "0.3")
        self.assertEqual(beijing_replay.number_text("10000", 3)[0], "10")
        self.assertEqual(beijing_replay.number_text(".5")[0], "0.5")

    def test_wind_directions(self):
        w = beijing_replay.WIND_DEGREES
        self.assertEqual(len(w), 16)
        self.assertEqual((w["N"], w["NNE"], w["E"], w["SSW"], w["NNW"]),
                         (0, F("22.5"), 90, F("202.5"), F("337.5")))

    @unittest.skipUnless(os.path.isdir(SAMPLE), "no committed sample")
    def test_sample_counts_and_order(self):
        st = beijing_replay.Stats()
        rs = list(beijing_replay.iter_readings(SAMPLE, dt.date(2015, 12, 2),
                                               dt.date(2015, 12, 3), st))
        self.assertEqual(st.rows, 2 * 24 * 12)
        self.assertEqual(st.readings + st.skipped_all_na, st.rows)
        keys = [(r["observed_at"], r["station"]) for r in rs]
        self.assertEqual(keys, sorted(keys))
        bodies = beijing_replay.station_bodies(SAMPLE, national="Dongsi")
        self.assertEqual(json.loads(beijing_replay.reading_json(bodies["Dongsi"])), {
            "name": "东四", "kind": "national", "lat": 39.9289, "lon": 116.4174,
            "unit": "北京市环境监测中心", "interval_s": 3600})
        self.assertEqual(bodies["Dingling"]["kind"], "micro")

    @unittest.skipUnless(os.path.isdir(SAMPLE), "no committed sample")
    def test_post_to_fake_daemon(self):
        _FakeDaemon.log, _FakeDaemon.seen, _FakeDaemon.fail_on = [], {}, None
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeDaemon)
        th = threading.Thread(target=srv.serve_forever, daemon=True)
        th.start()
        url = f"http://127.0.0.1:{srv.server_address[1]}"
        try:
            args = ["--url", url, "--admin-token", "T0k", "--data", SAMPLE, "--from",
                    "2015-12-02", "--to", "2015-12-02", "--batch", "100", "--national", "Dongsi"]
            out = io.StringIO()
            old = sys.stdout
            sys.stdout = out
            try:
                rc = beijing_replay.main(args)
                rc2 = beijing_replay.main(args)  # resend: all duplicates, stations updated
            finally:
                sys.stdout = old
            self.assertEqual((rc, rc2), (0, 0))
            text = out.getvalue()
            posts = [e for e in _FakeDaemon.log if e[0] == "POST"]
            n = sum(e[1] for e in posts) // 2
            self.assertTrue(all(e[1] <= 100 for e in posts))
            self.assertIn(f"accepted {n}, duplicates 0, conflicts 0", text)
            self.assertIn(f"accepted 0, duplicates {n}, conflicts 0", text)
            self.assertIn("12 created", text)
            self.assertIn("12 updated", text)
            self.assertNotIn("secret", text)
            self.assertEqual(_FakeDaemon.seen["Dongsi"]["kind"], "national")
            # a 422 -> exit 1, error body printed on stderr
            _FakeDaemon.fail_on = len(_FakeDaemon.log) + 13
            err = io.StringIO()
            old = sys.stdout, sys.stderr
            sys.stdout, sys.stderr = io.StringIO(), err
            try:
                rc = beijing_replay.main(args)
            finally:
                sys.stdout, sys.stderr = old
            self.assertEqual(rc, 1)
            self.assertIn("invalid_reading", err.getvalue())
            # wrong token -> 401 on the first PUT -> exit 1
            err = io.StringIO()
            old = sys.stdout, sys.stderr
            sys.stdout, sys.stderr = io.StringIO(), err
            try:
                rc = beijing_replay.main(["--url", url, "--admin-token", "nope", "--data",
                                          SAMPLE, "--to", "2015-12-01"])
            finally:
                sys.stdout, sys.stderr = old
            self.assertEqual(rc, 1)
            self.assertIn("401", err.getvalue())
        finally:
            srv.shutdown()
            srv.server_close()


if __name__ == "__main__":
    unittest.main()
