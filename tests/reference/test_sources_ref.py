#!/usr/bin/env python3
"""Unit tests of sources_ref.py, the independent reference of the source analysis: sectors
across north, calm hours, the type-7 percentile, the lagged correlation and a small rose worked
out by hand.

    python3 -m unittest discover -s tests/reference -v      (from the repository root)
"""

import datetime as dt
import math
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import sources_ref as sr  # noqa: E402


def dataset(rows):
    """A dataset of one station "P" at Dongsi with hourly rows from 2017-12-06 00:00."""
    start = dt.datetime(2017, 12, 6, tzinfo=sr.BEIJING)
    hours = {start + dt.timedelta(hours=i): r for i, r in enumerate(rows) if r is not None}
    return {"stations": {"P": (39.9289, 116.4174)}, "hours": {"P": hours}}, sr.hour_range(start, len(rows))


def row(pm10, ws, wd):
    return {"pm25": None, "pm10": pm10, "ws": ws, "wd": wd}


class Sectors(unittest.TestCase):
    def test_sector_edges_across_north(self):
        for deg, k in ((0, 0), (11.24, 0), (11.25, 1), (348.75, 0), (348.74, 15), (359.99, 0), (45, 2),
                       (202.5, 9)):
            self.assertEqual(sr.sector(deg), k, deg)

    def test_compass_centres(self):
        for k, name in enumerate(sr.COMPASS):
            self.assertEqual(sr.sector(k * 22.5), k, name)

    def test_angle(self):
        self.assertAlmostEqual(sr.angle(350, 10), 20)
        self.assertAlmostEqual(sr.angle(10, 350), 20)
        self.assertAlmostEqual(sr.angle(0, 180), 180)

    def test_bearing_cardinal(self):
        p = (39.9289, 116.4174)
        self.assertAlmostEqual(sr.bearing(p, (39.95, 116.4174)), 0, places=6)
        self.assertAlmostEqual(sr.bearing(p, (39.9289, 116.45)), 90, delta=0.02)
        self.assertAlmostEqual(sr.bearing(p, (39.90, 116.4174)), 180, places=6)
        self.assertAlmostEqual(sr.bearing(p, (39.9289, 116.40)), 270, delta=0.02)

    def test_speed_classes(self):
        self.assertEqual([sr.speed_class(v) for v in (0.5, 1.99, 2, 4, 5.9, 6, 20)], [0, 0, 1, 2, 2, 3, 3])

    def test_calm_needs_no_direction(self):
        self.assertEqual(sr.wind(row(1, 0.3, None)), (0.3, None))
        self.assertIsNone(sr.wind(row(1, 1.0, None)))
        self.assertIsNone(sr.wind(row(1, None, 90)))


class Statistics(unittest.TestCase):
    def test_percentile_type7(self):
        self.assertAlmostEqual(sr.percentile([4, 1, 3, 2], 75), 3.25)
        self.assertAlmostEqual(sr.percentile([1, 1, 9], 90), 7.4)
        self.assertEqual(sr.percentile([5], 75), 5)
        self.assertIsNone(sr.percentile([], 75))

    def test_known_lag(self):
        x = [math.sin(i * 1.7) * 10 + (i % 7) for i in range(40)]
        for lag in range(4):
            y = [None] * lag + [2 * v + 3 for v in x[:40 - lag]]
            rs = [sr.pearson(x, y, l)[0] for l in range(4)]
            self.assertAlmostEqual(rs[lag], 1.0)
            self.assertEqual(max(range(4), key=lambda l: rs[l]), lag)

    def test_too_few_pairs(self):
        self.assertEqual(sr.pearson([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], 0), (None, 5))


class Rose(unittest.TestCase):
    def test_hand_worked_rose(self):
        ds, hours = dataset([row(100, 3, 45), row(120, 3, 45), row(80, 1, 45), row(200, 7, 45),
                             row(40, 2, 337.5), row(60, 2, 0), row(90, 0.2, None), None, row(30, 0, 90)])
        r = sr.rose(ds, "P", hours, "pm10")
        self.assertEqual(r["hours"], 8)
        self.assertEqual(r["calm"]["hours"], 2)
        self.assertAlmostEqual(r["calm"]["mean"], 60)
        ne = r["sectors"][2]
        self.assertEqual(ne["hours"], 4)
        self.assertAlmostEqual(ne["mean"], 125)
        self.assertAlmostEqual(ne["share"], 500 / 720)
        self.assertEqual([c["hours"] for c in ne["speed"]], [1, 2, 0, 1])
        self.assertAlmostEqual(r["cpf_threshold"], 105)   # 30 40 60 80 90 100 120 200
        self.assertAlmostEqual(ne["cpf"], 0.5)
        self.assertEqual(r["sectors"][15]["hours"], 1)    # 337.5 is NNW
        self.assertEqual(r["sectors"][0]["hours"], 1)
        self.assertEqual(r["dominant_sector"], "NE")


if __name__ == "__main__":
    unittest.main()
