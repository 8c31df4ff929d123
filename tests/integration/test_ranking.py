"""Ranking, interview list, finalization and the campaign summary (SPEC §2–§4, §6 "Ranking" and
"Interviews", §9; docs/domain-rules.md; the project decisions of issue 3).

A synthetic network in Dongcheng, Beijing: one national point (GC-01, 东四) and 14 micro
stations, three backfilled days (2017-12-04 … 06). Every expectation below is a literal worked
out by hand; the comments show the arithmetic. Nothing here recomputes the daemon's logic.

IAQI (HJ 633-2012, 24 h, rounded up), the segments used below:
  PM10   50..150 → 50 + (C−50)/2        150..250 → 100 + (C−150)/2
  PM2.5   0..35  → C×50/35              35..75   → 50 + (C−35)×1.25
         75..115 → 100 + (C−75)×1.25   115..150 → 150 + (C−115)×50/35
  CO      0..2   → C×25
Composite = PM2.5/35 + PM10/70 on the published values, half-to-even to 2 decimals.
"""
import csv
import io
import re
import struct
import threading
import time
import unittest

from harness import ADMIN, PG_URL, Daemon, DaemonTestCase, new_database, psql, wait_for

D1, D2, D3, TODAY = "2017-12-04", "2017-12-05", "2017-12-06", "2017-12-07"
NOW = "2017-12-07T10:30:00+08:00"          # today 12-07, local hour 10 → hours_elapsed 11
# No auto-finalization: the quiet period never ends and the days are not due for 30 days.
NO_FINALIZE = {"AQRANK_FINALIZE_QUIET": "100000", "AQRANK_FINALIZE_AFTER": "2592000"}
LIVE_ENV = dict(NO_FINALIZE, AQRANK_NOW=NOW)
RULE = "HJ633-2012/min20h"

LEVELS = {1: ("优", "#00E400"), 2: ("良", "#FFFF00"), 3: ("轻度污染", "#FF7E00"),
          4: ("中度污染", "#FF0000")}

# code: (name, kind, lat, lon, unit, contact_person, interval_s)
STATIONS = {
    "GC-01": ("东四国控点", "national", 39.9289, 116.4174, "北京市生态环境监测中心", "赵敏", 3600),
    "DC-01": ("东四北大街微站", "micro", 39.9380, 116.4174, "东四街道", "王伟", 3600),
    "DC-02": ("朝阳门内微站", "micro", 39.9289, 116.4480, "朝阳门街道", "李娜", 3600),
    "DC-03": ("灯市口微站", "micro", 39.9100, 116.4174, "东华门街道", "张磊", 3600),
    "DC-04": ("美术馆东微站", "micro", 39.9289, 116.3870, "景山街道", "刘洋", 3600),
    "DC-05": ("雍和宫微站", "micro", 39.9600, 116.4174, "北新桥街道", "陈静", 3600),
    "DC-06": ("东直门外微站", "micro", 39.9489, 116.4574, "东直门街道", "杨帆", 3600),
    "DC-07": ("建国门北微站", "micro", 39.9000, 116.4500, "建国门街道", "黄勇", 3600),
    "DC-08": ("东单北微站", "micro", 39.9150, 116.4300, "东四街道", "周杰", 3600),
    "DC-09": ("和平里微站", "micro", 39.9700, 116.4000, "和平里街道", "吴芳", 3600),
    "DC-10": ("天坛北微站", "micro", 39.8900, 116.3800, "天坛街道", "郑强", 3600),
    "DC-11": ("隆福寺微站", "micro", 39.9320, 116.4210, "东四街道", "孙丽", 3600),
    "DC-12": ("安定门微站", "micro", 39.9550, 116.3700, "安定门街道", "马超", 60),
    "DC-13": ("东四十条工地", "micro", 39.9400, 116.4400, "北京城建集团", "钱进", 3600),
    "DC-14": ("龙潭湖微站", "micro", 39.8800, 116.4700, "龙潭街道", "冯雪", 3600),
}
MICRO = sorted(c for c, s in STATIONS.items() if s[1] == "micro")

# Great-circle distance to GC-01 (R = 6371 km), km: within the default 3 km ring or not.
DISTANCE = {"DC-01": 1.01, "DC-02": 2.61, "DC-03": 2.10, "DC-04": 2.59, "DC-05": 3.46,
            "DC-06": 4.07, "DC-07": 4.25, "DC-08": 1.88, "DC-09": 4.80, "DC-10": 5.37,
            "DC-11": 0.46, "DC-12": 4.97, "DC-13": 2.29, "DC-14": 7.05}
RING = {"DC-01", "DC-02", "DC-03", "DC-04", "DC-08", "DC-11", "DC-13"}

ALL = range(24)


def alt(even, odd):
    """A value alternating by hour: even hours, odd hours."""
    return lambda h: even if h % 2 == 0 else odd


def rd(code, day, hour, minute=0, **values):
    return dict(station=code, observed_at=f"{day}T{hour:02d}:{minute:02d}:00+08:00", **values)


def network_day(day):
    """The backfill of one day (hourly readings at h:00, DC-12 every minute)."""
    out = []

    def put(code, hours, **vals):
        for h in hours:
            out.append(rd(code, day, h, **{k: v(h) if callable(v) else v for k, v in vals.items()}))

    put("GC-01", ALL, pm10=90, pm25=50)
    put("DC-01", ALL, pm10=60, pm25=30)
    if day == D3:   # CO only in hours 0-9: 10 valid CO hours, so no valid CO and no AQI that day
        put("DC-02", range(10), pm10=75, pm25=40, co=alt(1.2, 1.3))
        put("DC-02", range(10, 24), pm10=75, pm25=40)
    else:
        put("DC-02", ALL, pm10=75, pm25=40, co=alt(1.2, 1.3))
    put("DC-03", ALL, pm10=90, pm25=45)
    put("DC-04", ALL, pm10=alt(100, 101), pm25=alt(50, 51))
    put("DC-05", ALL, pm10=alt(101, 102), pm25=52)
    put("DC-06", ALL, pm10=100, pm25=60)
    if day == D3:
        put("DC-07", ALL, pm10=110, pm25=55)
    else:
        put("DC-07", ALL, pm10=150, pm25=80)
    put("DC-08", ALL, pm10=150, pm25=75)
    if day == D1:   # 19 hours: one short of AQRANK_MIN_HOURS
        put("DC-09", [h for h in ALL if h not in (3, 9, 14, 20, 22)], pm10=95, pm25=48)
    if day == D3:   # 20 hours: exactly enough
        put("DC-09", [h for h in ALL if h not in (1, 6, 12, 23)], pm10=95, pm25=48)
    put("DC-10", ALL, pm10=84, pm25=45)
    if day == D1:
        put("DC-11", ALL, pm10=160, pm25=90)
    else:
        put("DC-11", ALL, pm10=140, pm25=75)
    for h in ALL:   # interval 60 s: ceil(0.75×3600/60) = 45 readings make a valid hour
        n, pm10, pm25 = (45, 70, 35) if h < 20 else (44, 500, 300)
        out += [rd("DC-12", day, h, m, pm10=pm10, pm25=pm25) for m in range(n)]
    put("DC-13", ALL, pm10=200, pm25=120)
    if day == D2:   # first readings ever, 12 hours; silent on D3
        put("DC-14", range(12), pm10=50, pm25=25)
    return out


def register_network(d, codes=None):
    for code in codes or STATIONS:
        name, kind, lat, lon, unit, contact, interval = STATIONS[code]
        d.put_station(code, kind=kind, lat=lat, lon=lon, name=name, unit=unit,
                      contact_person=contact, contact_phone="010-6400" + code[-2:], interval_s=interval)


def load_network(d, days=(D1, D2, D3)):
    register_network(d)
    for day in days:
        r = d.post_readings(network_day(day))
        assert r.json["conflicts"] == 0, r


def wait_for(pred, timeout=20.0, step=0.1, what="condition"):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(step)


# ---------------------------------------------------------------------------------------------
# Expected daily values: (pm25, pm10, aqi, level, primary pollutants)
# ---------------------------------------------------------------------------------------------
DAILY_D1 = {
    "DC-01": (30, 60, 55, 2, ["PM10"]),           # PM10 60 → 50+10/2 = 55; PM2.5 30 → 42.86 → 43
    "DC-02": (40, 75, 63, 2, ["PM10"]),           # PM10 75 → 62.5 → 63; PM2.5 40 → 56.25 → 57; CO 1.2 → 30
    "DC-03": (45, 90, 70, 2, ["PM10"]),           # PM10 90 → 70; PM2.5 45 → 62.5 → 63
    # DC-04: hourly 100/101 → mean 100.5 → 100 (half-to-even); PM2.5 50/51 → 50.5 → 50.
    # The IAQI uses the published 100 → 75 (100.5 would give 75.25 → 76); PM2.5 50 → 68.75 → 69
    "DC-04": (50, 100, 75, 2, ["PM10"]),
    # DC-05: hourly 101/102 → mean 101.5 → 102 (half-to-even); PM10 102 → 76; PM2.5 52 → 71.25 → 72
    "DC-05": (52, 102, 76, 2, ["PM10"]),
    "DC-06": (60, 100, 82, 2, ["PM2.5"]),         # PM10 100 → 75; PM2.5 60 → 81.25 → 82
    "DC-07": (80, 150, 107, 3, ["PM2.5"]),        # PM10 150 → 100; PM2.5 80 → 106.25 → 107
    "DC-08": (75, 150, 100, 2, ["PM10", "PM2.5"]),  # PM10 150 → 100; PM2.5 75 → 100: both primary
    "DC-10": (45, 84, 67, 2, ["PM10"]),           # PM10 84 → 67; PM2.5 45 → 63
    "DC-11": (90, 160, 119, 3, ["PM2.5"]),        # PM10 160 → 105; PM2.5 90 → 118.75 → 119
    # DC-12: only the 20 hours with 45 readings count (70/35); the 44-reading hours (500/300) do not
    "DC-12": (35, 70, 60, 2, ["PM10"]),           # PM10 70 → 60; PM2.5 35 → 50
    "DC-13": (120, 200, 158, 4, ["PM2.5"]),       # PM10 200 → 125; PM2.5 120 → 150+5×50/35 = 157.14 → 158
}
DAILY_D2 = dict(DAILY_D1)
DAILY_D2["DC-11"] = (75, 140, 100, 2, ["PM2.5"])  # PM10 140 → 95; PM2.5 75 → 100
DAILY_D3 = dict(DAILY_D2)
DAILY_D3["DC-07"] = (55, 110, 80, 2, ["PM10"])    # PM10 110 → 80; PM2.5 55 → 75
DAILY_D3["DC-09"] = (48, 95, 73, 2, ["PM10"])     # PM10 95 → 72.5 → 73; PM2.5 48 → 66.25 → 67
DAILY_D3["DC-02"] = (40, 75, None, None, [])      # CO reported but only 10 valid hours: no AQI
DAILY = {D1: DAILY_D1, D2: DAILY_D2, D3: DAILY_D3}
CO = {D1: 1.2, D2: 1.2, D3: None}   # DC-02: hourly 1.2/1.3 → mean 1.25 → 1.2 (half-to-even, 1 decimal)
HOURS = {D1: {"DC-12": 20}, D2: {"DC-12": 20}, D3: {"DC-12": 20, "DC-09": 20}}   # else 24

# Rankings: (rank, station, value). Ties share a rank; within a tie, the other PM decides.
RANK = {
    (D1, "pm10"): [
        (1, "DC-01", 60), (2, "DC-12", 70), (3, "DC-02", 75), (4, "DC-10", 84), (5, "DC-03", 90),
        (6, "DC-04", 100), (6, "DC-06", 100),      # 100 = 100: PM2.5 50 before 60
        (8, "DC-05", 102),
        (9, "DC-08", 150), (9, "DC-07", 150),      # 150 = 150: PM2.5 75 before 80
        (11, "DC-11", 160), (12, "DC-13", 200)],
    (D1, "pm25"): [
        (1, "DC-01", 30), (2, "DC-12", 35), (3, "DC-02", 40),
        (4, "DC-10", 45), (4, "DC-03", 45),        # 45 = 45: PM10 84 before 90
        (6, "DC-04", 50), (7, "DC-05", 52), (8, "DC-06", 60), (9, "DC-08", 75), (10, "DC-07", 80),
        (11, "DC-11", 90), (12, "DC-13", 120)],
    (D1, "aqi"): [
        (1, "DC-01", 55), (2, "DC-12", 60), (3, "DC-02", 63), (4, "DC-10", 67), (5, "DC-03", 70),
        (6, "DC-04", 75), (7, "DC-05", 76), (8, "DC-06", 82), (9, "DC-08", 100), (10, "DC-07", 107),
        (11, "DC-11", 119), (12, "DC-13", 158)],
    (D1, "composite"): [
        (1, "DC-01", 1.71),   # 30/35 + 60/70 = 0.857143 + 0.857143 = 1.714286
        (2, "DC-12", 2.00),   # 35/35 + 70/70
        (3, "DC-02", 2.21),   # 40/35 + 75/70 = 1.142857 + 1.071429 = 2.214286
        (4, "DC-10", 2.49),   # 45/35 + 84/70 = 1.285714 + 1.2 = 2.485714
        (5, "DC-03", 2.57),   # 45/35 + 90/70 = 2.571429
        (6, "DC-04", 2.86),   # 50/35 + 100/70 = 2.857143 (published values; 50.5, 100.5 would give 2.88)
        (7, "DC-05", 2.94),   # 52/35 + 102/70 = 1.485714 + 1.457143 = 2.942857
        (8, "DC-06", 3.14),   # 60/35 + 100/70 = 3.142857
        (9, "DC-08", 4.29),   # 75/35 + 150/70 = 4.285714
        (10, "DC-07", 4.43),  # 80/35 + 150/70 = 4.428571
        (11, "DC-11", 4.86),  # 90/35 + 160/70 = 4.857143
        (12, "DC-13", 6.29)],  # 120/35 + 200/70 = 6.285714
    (D2, "pm10"): [
        (1, "DC-01", 60), (2, "DC-12", 70), (3, "DC-02", 75), (4, "DC-10", 84), (5, "DC-03", 90),
        (6, "DC-04", 100), (6, "DC-06", 100), (8, "DC-05", 102), (9, "DC-11", 140),
        (10, "DC-08", 150), (10, "DC-07", 150), (12, "DC-13", 200)],
    (D3, "pm10"): [
        (1, "DC-01", 60), (2, "DC-12", 70), (3, "DC-02", 75), (4, "DC-10", 84), (5, "DC-03", 90),
        (6, "DC-09", 95), (7, "DC-04", 100), (7, "DC-06", 100), (9, "DC-05", 102), (10, "DC-07", 110),
        (11, "DC-11", 140), (12, "DC-08", 150), (13, "DC-13", 200)],
    (D3, "aqi"): [   # DC-02 has no AQI (CO incomplete)
        (1, "DC-01", 55), (2, "DC-12", 60), (3, "DC-10", 67), (4, "DC-03", 70), (5, "DC-09", 73),
        (6, "DC-04", 75), (7, "DC-05", 76), (8, "DC-07", 80), (9, "DC-06", 82),
        (10, "DC-11", 100), (10, "DC-08", 100),    # aqi ties: PM10 140 before 150
        (12, "DC-13", 158)],
}
# district_mean (published) and the interview list: (station, rank, value, reason, pct_above_mean)
MEAN = {
    (D1, "pm10"): 112,      # (60+70+75+84+90+100+100+102+150+150+160+200)/12 = 1341/12 = 111.75 → 112
    (D1, "pm25"): 60,       # (30+35+40+45+45+50+52+60+75+80+90+120)/12 = 722/12 = 60.17 → 60
    (D1, "aqi"): 86,        # (55+60+63+67+70+75+76+82+100+107+119+158)/12 = 1032/12 = 86
    (D1, "composite"): 3.32,  # 39.79/12 = 3.3158 → 3.32
    (D2, "pm10"): 110,      # 1341 − 160 + 140 = 1321; 1321/12 = 110.08 → 110
    (D3, "pm10"): 106,      # 1321 − 150 + 110 + 95 = 1376; 1376/13 = 105.85 → 106
    (D3, "aqi"): 83,        # (55+60+67+70+73+75+76+80+82+100+100+158)/12 = 996/12 = 83
}
INTERVIEW = {
    # tie across the cut: bottom three rows are DC-07, DC-11, DC-13; DC-08 shares DC-07's rank 9
    (D1, "pm10"): [("DC-13", 12, 200, "ranking", 79.0),   # (200−111.75)/111.75 = 78.97 %
                   ("DC-11", 11, 160, "ranking", 43.2),   # 48.25/111.75 = 43.18 %
                   ("DC-07", 9, 150, "ranking", 34.2),    # 38.25/111.75 = 34.23 %
                   ("DC-08", 9, 150, "ranking", 34.2)],
    (D1, "pm25"): [("DC-13", 12, 120, "ranking", 99.4),   # (120−60.1667)/60.1667 = 99.45 %
                   ("DC-11", 11, 90, "ranking", 49.6),    # 29.8333/60.1667 = 49.58 %
                   ("DC-07", 10, 80, "ranking", 33.0)],   # 19.8333/60.1667 = 32.96 %
    (D1, "aqi"): [("DC-13", 12, 158, "ranking", 83.7),    # 72/86 = 83.72 %
                  ("DC-11", 11, 119, "ranking", 38.4),    # 33/86 = 38.37 %
                  ("DC-07", 10, 107, "ranking", 24.4)],   # 21/86 = 24.42 %
    (D1, "composite"): [("DC-13", 12, 6.29, "ranking", 89.7),   # (6.29−3.315833)/3.315833 = 89.70 %
                        ("DC-11", 11, 4.86, "ranking", 46.6),   # 1.544167/3.315833 = 46.57 %
                        ("DC-07", 10, 4.43, "ranking", 33.6)],  # 1.114167/3.315833 = 33.60 %
    (D2, "pm10"): [("DC-13", 12, 200, "ranking", 81.7),   # (200−110.0833)/110.0833 = 81.68 %
                   ("DC-07", 10, 150, "ranking", 36.3),   # 39.9167/110.0833 = 36.26 %
                   ("DC-08", 10, 150, "ranking", 36.3)],
    (D3, "pm10"): [("DC-13", 13, 200, "ranking", 89.0),   # (200−105.846)/105.846 = 88.95 %
                   ("DC-08", 12, 150, "ranking", 41.7),   # 44.154/105.846 = 41.72 %
                   ("DC-11", 11, 140, "ranking", 32.3)],  # 34.154/105.846 = 32.27 %
    (D3, "aqi"): [("DC-13", 12, 158, "ranking", 90.4),    # 75/83 = 90.36 %
                  ("DC-08", 10, 100, "ranking", 20.5),    # 17/83 = 20.48 %
                  ("DC-11", 10, 100, "ranking", 20.5)],
}
# insufficient (by code): (station, valid_hours, readings)
INSUFFICIENT = {
    (D1, "pm10"): [("DC-09", 19, 19)],                   # DC-14 has no reading before D2
    (D2, "pm10"): [("DC-09", 0, 0), ("DC-14", 12, 12)],  # DC-09 silent all day
    (D3, "pm10"): [("DC-14", 0, 0)],
    (D3, "aqi"): [("DC-02", 10, 24), ("DC-14", 0, 0)],  # AQI hours = min(PM 24, CO 10) = 10
}
# consecutive_days on the stored lists
STREAK = {D1: {"DC-13": 1, "DC-11": 1, "DC-07": 1, "DC-08": 1},
          D2: {"DC-13": 2, "DC-07": 2, "DC-08": 2},
          D3: {"DC-13": 3, "DC-08": 3, "DC-11": 1}}


class RankingAssertions:
    def ranking(self, d, day, query="", status=200):
        r = d.get(f"/api/v1/ranking/{day}{query}")
        self.assertEqual(r.status, status, r)
        return r.json

    def check_rows(self, body, day, metric, ranking=None):
        """Rank order, values and each row's daily values, AQI fields and nearest point."""
        expected = ranking if ranking is not None else RANK[(day, metric)]
        self.assertEqual([(x["rank"], x["station"], x["value"]) for x in body["ranking"]], expected)
        picked = {x["station"] for x in body["interview"]}
        for row in body["ranking"]:
            code = row["station"]
            pm25, pm10, aqi, level, primary = DAILY[day][code]
            with self.subTest(day=day, metric=metric, station=code):
                self.assertEqual((row["pm25"], row["pm10"], row["aqi"], row["level"]), (pm25, pm10, aqi, level))
                self.assertEqual((row["category"], row["color"]), LEVELS[level] if level else (None, None))
                self.assertEqual(sorted(row["primary_pollutants"]), primary)
                self.assertEqual(row["valid_hours"], HOURS[day].get(code, 24))
                self.assertEqual(row["name"], STATIONS[code][0])
                self.assertEqual(row["unit"], STATIONS[code][4])
                self.assertEqual(row["interview"], code in picked)
                if code == "DC-02":
                    self.assertEqual(row["co"], CO[day])
                nn = row["nearest_national"]
                self.assertEqual((nn["station"], nn["within_radius"]), ("GC-01", code in RING))
                self.assertAlmostEqual(nn["distance_km"], DISTANCE[code], delta=0.02)

    def check_day(self, body, day, metric, final):
        self.assertEqual(body["date"], day)
        self.assertEqual(body["metric"], metric)
        self.assertEqual(body["timezone"], "Asia/Shanghai")
        self.assertIs(body["final"], final)
        self.assertEqual(body["hours_elapsed"], 24)
        self.assertEqual(body["rule_version"], RULE)
        self.check_rows(body, day, metric)
        self.assertEqual(body["stations_ranked"], len(RANK[(day, metric)]))
        self.assertEqual(body["district_mean"], MEAN[(day, metric)])
        self.assertEqual([(x["station"], x["valid_hours"], x["readings"]) for x in body["insufficient"]],
                         INSUFFICIENT.get((day, metric), INSUFFICIENT[(day, "pm10")]))
        self.assertEqual([(x["station"], x["rank"], x["value"], x["reason"], x["pct_above_mean"])
                          for x in body["interview"]], INTERVIEW[(day, metric)])
        for x in body["interview"]:
            self.assertEqual((x["date"], x["metric"], x["of"]), (day, metric, len(RANK[(day, metric)])))
            self.assertEqual(x["district_mean"], MEAN[(day, metric)])
            self.assertEqual((x["name"], x["unit"], x["contact_person"]),
                             (STATIONS[x["station"]][0], STATIONS[x["station"]][4], STATIONS[x["station"]][5]))
            self.assertEqual(x["rule_version"], RULE)
        # The national point: never ranked, shown on its own. PM10 90 → 70; PM2.5 50 → 68.75 → 69
        self.assertNotIn("GC-01", [x["station"] for x in body["ranking"] + body["insufficient"]])
        nat = [(n["station"], n["pm25"], n["pm10"], n["aqi"], n["level"], n["primary_pollutants"], n["valid_hours"])
               for n in body["national"]]
        self.assertEqual(nat, [("GC-01", 50, 90, 70, 2, ["PM10"], 24)])


# =============================================================================================
@unittest.skipUnless(PG_URL, "needs the test cluster")
class NetworkRankingTest(RankingAssertions, DaemonTestCase):
    """Three backfilled days, not finalized: the live rankings of past days."""
    ENV = LIVE_ENV

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        load_network(cls.d)

    def test_pm10_ranking_each_day(self):
        for day in (D1, D2, D3):
            with self.subTest(day=day):
                body = self.ranking(self.d, day)
                self.check_day(body, day, "pm10", final=False)
                self.assertEqual(body["insufficient_policy"], "separate")
        # D1 has no earlier day: every entry is on the list for the first time.
        body = self.ranking(self.d, D1)
        self.assertEqual([x["consecutive_days"] for x in body["interview"]], [1, 1, 1, 1])

    def test_server_timing_of_a_computed_ranking(self):
        r = self.d.get(f"/api/v1/ranking/{D1}")
        self.assertEqual(r.status, 200)
        parts = dict(re.findall(r"(\w+);dur=([\d.]+)", r.header("Server-Timing") or ""))
        self.assertEqual(set(parts), {"load", "rank", "render"}, r.header("Server-Timing"))
        self.assertGreater(float(parts["load"]), 0)

    def test_other_metrics(self):
        for metric in ("pm25", "aqi", "composite"):
            with self.subTest(metric=metric):
                self.check_day(self.ranking(self.d, D1, "?metric=" + metric), D1, metric, final=False)
        self.check_day(self.ranking(self.d, D1, "?metric=pm10"), D1, "pm10", final=False)

    def test_aqi_needs_every_reported_pollutant(self):
        # D3: DC-02 reported CO in only 10 hours → no valid CO → no AQI, although its PM is complete.
        body = self.ranking(self.d, D3, "?metric=aqi")
        self.check_day(body, D3, "aqi", final=False)
        pm10 = self.ranking(self.d, D3)
        row = [x for x in pm10["ranking"] if x["station"] == "DC-02"][0]
        self.assertEqual((row["rank"], row["value"], row["co"], row["aqi"], row["category"]), (3, 75, None, None, None))

    def test_composite_uses_published_values(self):
        body = self.ranking(self.d, D1, "?metric=composite")
        row = [x for x in body["ranking"] if x["station"] == "DC-04"][0]
        self.assertEqual(row["composite"], 2.86)   # 50/35 + 100/70, not 50.5/35 + 100.5/70 = 2.88
        self.assertEqual(row["value"], 2.86)

    def test_ring_around_national_point(self):
        body = self.ranking(self.d, D1, "?near=GC-01")
        self.assertEqual(body["near"], "GC-01")
        # Only the 7 micro stations within 3 km; DC-09 (4.8 km) is not even listed as insufficient.
        self.assertEqual([(x["rank"], x["station"], x["value"]) for x in body["ranking"]],
                         [(1, "DC-01", 60), (2, "DC-02", 75), (3, "DC-03", 90), (4, "DC-04", 100),
                          (5, "DC-08", 150), (6, "DC-11", 160), (7, "DC-13", 200)])
        self.assertEqual(body["stations_ranked"], 7)
        self.assertEqual(body["district_mean"], 119)    # 835/7 = 119.29 → 119
        self.assertEqual(body["insufficient"], [])
        self.assertEqual([(x["station"], x["rank"], x["value"], x["pct_above_mean"]) for x in body["interview"]],
                         [("DC-13", 7, 200, 67.7),    # (200−119.2857)/119.2857 = 67.66 %
                          ("DC-11", 6, 160, 34.1),    # 40.7143/119.2857 = 34.13 %
                          ("DC-08", 5, 150, 25.7)])   # 30.7143/119.2857 = 25.75 %
        self.assertEqual([n["station"] for n in body["national"]], ["GC-01"])
        # A wider ring: 5 km takes in DC-05, -06, -07, -12 and the insufficient DC-09, not DC-10 (5.37 km).
        body = self.ranking(self.d, D1, "?near=GC-01&radius_km=5")
        self.assertEqual(sorted(x["station"] for x in body["ranking"]),
                         sorted((RING | {"DC-05", "DC-06", "DC-07", "DC-12"})))
        self.assertEqual([x["station"] for x in body["insufficient"]], ["DC-09"])

    def test_csv(self):
        r = self.d.get(f"/api/v1/ranking/{D1}?format=csv&lang=en")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"))
        rows = list(csv.reader(io.StringIO(r.body.decode("utf-8")[1:], newline="")))
        header, data = rows[0], [x for x in rows[1:] if x]
        for col in ("rank", "station", "name", "value", "pm25", "pm10", "aqi"):
            self.assertIn(col, header)
        every = [dict(zip(header, x)) for x in data]
        recs = [x for x in every if x["status"] == "ranked"]
        # The stations without a value follow, unranked: the spreadsheet names every station.
        short = [x for x in every if x["status"] == "insufficient_data"]
        self.assertEqual(every, recs + short)
        self.assertEqual([x["station"] for x in short],
                         [x["station"] for x in self.d.get(f"/api/v1/ranking/{D1}").json["insufficient"]])
        self.assertTrue(short and all(x["rank"] == "" and x["value"] == "" and x["interview"] == "no" for x in short))
        self.assertEqual([(x["rank"], x["station"], x["value"]) for x in recs],
                         [(str(a), b, str(c)) for a, b, c in RANK[(D1, "pm10")]])
        self.assertEqual(recs[0]["name"], "东四北大街微站")
        self.assertEqual((recs[-1]["pm25"], recs[-1]["aqi"]), ("120", "158"))
        r = self.d.get(f"/api/v1/ranking/{D1}?format=csv&lang=en&metric=composite")
        recs = list(csv.DictReader(io.StringIO(r.body.decode("utf-8-sig"), newline="")))
        self.assertEqual([(x["station"], x["value"]) for x in recs][:3],
                         [("DC-01", "1.71"), ("DC-12", "2.00"), ("DC-02", "2.21")])

    def test_worst_policy(self):
        env = dict(LIVE_ENV, AQRANK_INSUFFICIENT="worst")
        with Daemon(url=self.d.url, env=env) as w:
            body = self.ranking(w, D2)
            self.assertEqual(body["insufficient_policy"], "worst")
            # 12 valid rows as with `separate`, then both insufficient stations share rank 12+1 = 13,
            # the more complete first (DC-14 12 h, DC-09 0 h).
            self.assertEqual([(x["rank"], x["station"], x["value"], x["valid_hours"]) for x in body["ranking"]],
                             [(r, c, v, HOURS[D2].get(c, 24)) for r, c, v in RANK[(D2, "pm10")]] +
                             [(13, "DC-14", None, 12), (13, "DC-09", None, 0)])
            self.assertTrue(all(x.get("insufficient") for x in body["ranking"][12:]))
            self.assertEqual(body["stations_ranked"], 14)
            self.assertEqual(body["district_mean"], 110)     # valid values only
            self.assertEqual([(x["station"], x["valid_hours"]) for x in body["insufficient"]],
                             [("DC-09", 0), ("DC-14", 12)])
            # Read from the bottom: the insufficient come first.
            self.assertEqual([(x["station"], x["rank"], x["value"], x["reason"], x["pct_above_mean"])
                              for x in body["interview"]],
                             [("DC-09", 13, None, "insufficient_data", None),
                              ("DC-14", 13, None, "insufficient_data", None),
                              ("DC-13", 12, 200, "ranking", 81.7)])
            # D1: DC-09 (19 h) alone at rank 13; the tie at rank 9 is no longer at the cut.
            body = self.ranking(w, D1)
            self.assertEqual([(x["rank"], x["station"]) for x in body["ranking"]][-2:],
                             [(12, "DC-13"), (13, "DC-09")])
            self.assertEqual([(x["station"], x["rank"], x["reason"]) for x in body["interview"]],
                             [("DC-09", 13, "insufficient_data"), ("DC-13", 12, "ranking"),
                              ("DC-11", 11, "ranking")])
            self.assertEqual(body["insufficient"][0]["valid_hours"], 19)

    def test_today_without_readings(self):
        for path in ("/api/v1/ranking/today", f"/api/v1/ranking/{TODAY}"):
            r = self.d.get(path)
            self.assertEqual(r.status, 200, r)
            body = r.json
            self.assertEqual((body["date"], body["final"], body["hours_elapsed"]), (TODAY, False, 11))
            self.assertEqual((body["ranking"], body["interview"], body["stations_ranked"]), ([], [], 0))
            self.assertIsNone(body["district_mean"])
            # Every station has readings before today: all take part, none has an hour yet.
            self.assertEqual([(x["station"], x["valid_hours"], x["readings"]) for x in body["insufficient"]],
                             [(c, 0, 0) for c in MICRO])

    def test_errors_and_latest(self):
        self.assertError(self.d.get("/api/v1/ranking/2017-12-01"), 404, "no_data")
        for bad in ("2017-13-01", "2017-02-30", "20171204", "yesterday"):
            self.assertError(self.d.get("/api/v1/ranking/" + bad), 422, "invalid_parameter")
        self.assertError(self.d.get(f"/api/v1/ranking/{D1}?metric=pm1"), 422, "invalid_parameter")
        self.assertError(self.d.get(f"/api/v1/ranking/{D1}?metric=so2"), 422, "invalid_parameter")
        self.assertError(self.d.get(f"/api/v1/ranking/{D1}?near=DC-01"), 422, "invalid_parameter")
        self.assertError(self.d.get(f"/api/v1/ranking/{D1}?near=NOPE"), 404, "unknown_station")
        self.assertError(self.d.get("/api/v1/ranking/latest"), 404, "no_data")   # nothing finalized

    def test_station_hourly(self):
        r = self.d.get(f"/api/v1/stations/DC-12/hourly?date={D1}")
        self.assertEqual(r.status, 200, r)
        body = r.json
        self.assertEqual((body["station"], body["date"], body["interval_s"]), ("DC-12", D1, 60))
        hours = body["hours"]
        self.assertEqual(len(hours), 24)
        h0, h20 = hours[0], hours[20]
        # 45 readings: valid; PM10 70 → 60, PM2.5 35 → 50 (24 h tables for hourly PM)
        self.assertEqual((h0["pm10"], h0["pm25"], h0["aqi"], h0["readings"]), (70, 35, 60, 45))
        # 44 readings: not a valid hour, no AQI
        self.assertEqual(h20["readings"], 44)
        self.assertIsNone(h20["aqi"])
        self.assertIsNone(h20["pm10"])
        body = self.d.get(f"/api/v1/stations/DC-04/hourly?date={D1}").json
        self.assertEqual([h["pm10"] for h in body["hours"][:3]], [100, 101, 100])
        body = self.d.get(f"/api/v1/stations/DC-09/hourly?date={D1}").json
        self.assertEqual([i for i, h in enumerate(body["hours"]) if h["readings"] == 0], [3, 9, 14, 20, 22])
        self.assertError(self.d.get("/api/v1/stations/NOPE/hourly?date=" + D1), 404, "unknown_station")
        self.assertError(self.d.get("/api/v1/stations/DC-12/hourly?date=2017-12-32"), 422, "invalid_parameter")

    def test_station_daily(self):
        r = self.d.get(f"/api/v1/stations/DC-02/daily?from={D1}&to={D3}")
        self.assertEqual(r.status, 200, r)
        days = {x["date"]: x for x in r.json["days"]}
        self.assertEqual(sorted(days), [D1, D2, D3])
        self.assertEqual([(days[d]["pm10"], days[d]["pm25"], days[d]["co"], days[d]["aqi"]) for d in (D1, D2, D3)],
                         [(75, 40, 1.2, 63), (75, 40, 1.2, 63), (75, 40, None, None)])
        self.assertEqual([days[d]["valid_hours"]["co"] for d in (D1, D2, D3)], [24, 24, 10])
        days = {x["date"]: x for x in self.d.get(f"/api/v1/stations/DC-12/daily?from={D1}&to={D3}").json["days"]}
        for d in (D1, D2, D3):
            self.assertEqual((days[d]["pm10"], days[d]["pm25"], days[d]["aqi"], days[d]["valid_hours"]["pm10"]),
                             (70, 35, 60, 20))
            self.assertEqual(days[d]["readings"], 1076)   # 20 × 45 + 4 × 44
            self.assertFalse(days[d]["final"])
        days = {x["date"]: x for x in self.d.get(f"/api/v1/stations/DC-09/daily?from={D1}&to={D3}").json["days"]}
        self.assertEqual((days[D1]["pm10"], days[D1]["valid_hours"]["pm10"]), (None, 19))
        self.assertEqual((days[D3]["pm10"], days[D3]["valid_hours"]["pm10"], days[D3]["aqi"]), (95, 20, 73))
        days = {x["date"]: x for x in self.d.get(f"/api/v1/stations/DC-04/daily?from={D1}&to={D1}").json["days"]}
        self.assertEqual((days[D1]["pm10"], days[D1]["pm25"], days[D1]["aqi"], days[D1]["level"], days[D1]["category"]),
                         (100, 50, 75, 2, "良"))


# =============================================================================================
@unittest.skipUnless(PG_URL, "needs the test cluster")
class FinalizationTest(RankingAssertions, DaemonTestCase):
    """The same three days, finalized by the background thread of a daemon started after the
    data is in (AQRANK_FINALIZE_QUIET=0); then the interview workflow, late readings,
    re-finalization and the campaign summary. Methods run in name order and build on each other."""

    @classmethod
    def setUpClass(cls):
        if not PG_URL:
            raise unittest.SkipTest("AQ_TEST_PG_URL not set")
        url = new_database()
        with Daemon(url=url, env=LIVE_ENV) as loader:
            load_network(loader)
        cls.d = Daemon(url=url, env={"AQRANK_NOW": NOW, "AQRANK_FINALIZE_QUIET": "0"}).start()
        for day in (D1, D2, D3):
            wait_for(lambda: cls.d.get(f"/api/v1/ranking/{day}").json.get("final"), what=day + " final")

    def iv(self, query):
        r = self.d.get("/api/v1/interviews?" + query)
        self.assertEqual(r.status, 200, r)
        return r.json["interviews"]

    def test_a_finalized_days(self):
        self.assertEqual(psql("SELECT count(*) FROM days WHERE finalized_at IS NOT NULL", self.d.url), "3")
        for day in (D1, D2, D3):
            with self.subTest(day=day):
                body = self.ranking(self.d, day)
                self.check_day(body, day, "pm10", final=True)
                self.assertTrue(body["finalized_at"])
                self.assertEqual(body["late_readings"], 0)
                self.assertEqual({x["station"]: x["consecutive_days"] for x in body["interview"]}, STREAK[day])
                self.assertTrue(all(x["status"] == "pending" and isinstance(x["id"], int) for x in body["interview"]))
        # The snapshot serves every metric.
        self.check_day(self.ranking(self.d, D1, "?metric=composite"), D1, "composite", final=True)
        self.check_day(self.ranking(self.d, D3, "?metric=aqi"), D3, "aqi", final=True)
        body = self.ranking(self.d, D1, "?near=GC-01")
        self.assertEqual([x["station"] for x in body["ranking"]],
                         ["DC-01", "DC-02", "DC-03", "DC-04", "DC-08", "DC-11", "DC-13"])
        r = self.d.get("/api/v1/ranking/latest")
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["date"], r.json["final"]), (D3, True))
        # Today is not finalized and stores no list.
        self.assertFalse(self.ranking(self.d, TODAY)["final"])
        self.assertEqual(psql(f"SELECT count(*) FROM interviews WHERE day >= '{TODAY}'", self.d.url), "0")

    def test_b_interview_lists(self):
        got = self.iv("date=" + D1)
        self.assertEqual([(x["station"], x["rank"], x["of"], x["value"], x["pct_above_mean"], x["reason"])
                          for x in got],
                         [("DC-13", 12, 12, 200, 79.0, "ranking"), ("DC-11", 11, 12, 160, 43.2, "ranking"),
                          ("DC-07", 9, 12, 150, 34.2, "ranking"), ("DC-08", 9, 12, 150, 34.2, "ranking")])
        for x in got:
            self.assertEqual((x["date"], x["metric"], x["district_mean"], x["valid_hours"], x["status"], x["note"],
                              x["consecutive_days"], x["rule_version"]),
                             (D1, "pm10", 112, 24, "pending", "", 1, RULE))
            self.assertEqual(x["contact_person"], STATIONS[x["station"]][5])
        self.assertEqual(len({x["id"] for x in got}), 4)
        got = self.iv(f"from={D1}&to={D3}&station=DC-13")
        self.assertEqual(sorted((x["date"], x["rank"], x["consecutive_days"]) for x in got),
                         [(D1, 12, 1), (D2, 12, 2), (D3, 13, 3)])
        got = self.iv(f"from={D1}&to={D3}&station=DC-08")
        self.assertEqual(sorted((x["date"], x["consecutive_days"]) for x in got), [(D1, 1), (D2, 2), (D3, 3)])
        got = self.iv(f"from={D1}&to={D3}&station=DC-11")
        self.assertEqual(sorted((x["date"], x["consecutive_days"]) for x in got), [(D1, 1), (D3, 1)])
        got = self.iv(f"from={D2}&to={D3}&status=pending")
        self.assertEqual(sorted((x["date"], x["station"]) for x in got),
                         [(D2, "DC-07"), (D2, "DC-08"), (D2, "DC-13"), (D3, "DC-08"), (D3, "DC-11"), (D3, "DC-13")])
        self.assertEqual(self.iv(f"from={D1}&to={D3}&status=rectified"), [])
        self.assertEqual(self.iv(f"from={D1}&to={D3}&station=DC-01"), [])
        r = self.d.get(f"/api/v1/interviews?date={D2}&format=csv&lang=en")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"))
        recs = list(csv.DictReader(io.StringIO(r.body.decode("utf-8-sig"), newline="")))
        self.assertEqual([(x["station"], x["rank"], x["consecutive_days"], x["status"]) for x in recs],
                         [("DC-13", "12", "2", "pending"), ("DC-07", "10", "2", "pending"),
                          ("DC-08", "10", "2", "pending")])
        self.assertEqual(recs[0]["name"], "东四十条工地")
        self.assertError(self.d.get("/api/v1/interviews?status=done"), 422, "invalid_parameter")
        self.assertError(self.d.get("/api/v1/interviews?date=2017-12-99"), 422, "invalid_parameter")

    def test_c_summary(self):
        r = self.d.get(f"/api/v1/ranking/summary?from={D1}&to={D3}")
        self.assertEqual(r.status, 200, r)
        rows = r.json["stations"]
        got = {x["station"]: (x["days_valid"], x["days_insufficient"], x["mean_value"], x["rank"], x["best_rank"],
                              x["worst_rank"], x["interview_days"], x["longest_streak"]) for x in rows}
        self.assertEqual(got, {
            # station: (valid, insufficient, mean, rank, best, worst, interview days, longest streak)
            "DC-01": (3, 0, 60, 1, 1, 1, 0, 0),
            "DC-12": (3, 0, 70, 2, 2, 2, 0, 0),
            "DC-02": (3, 0, 75, 3, 3, 3, 0, 0),
            "DC-10": (3, 0, 84, 4, 4, 4, 0, 0),
            "DC-03": (3, 0, 90, 5, 5, 5, 0, 0),
            "DC-09": (1, 2, 95, 6, 6, 6, 0, 0),        # valid on D3 only (rank 6)
            "DC-04": (3, 0, 100, 7, 6, 7, 0, 0),       # ranks 6, 6, 7
            "DC-06": (3, 0, 100, 7, 6, 7, 0, 0),
            "DC-05": (3, 0, 102, 9, 8, 9, 0, 0),       # ranks 8, 8, 9
            "DC-07": (3, 0, 137, 10, 9, 10, 2, 2),     # (150+150+110)/3 = 136.67 → 137; ranks 9, 10, 10
            "DC-11": (3, 0, 147, 11, 9, 11, 2, 1),     # (160+140+140)/3 = 146.67 → 147; ranks 11, 9, 11; D1, D3
            "DC-08": (3, 0, 150, 12, 9, 12, 3, 3),     # ranks 9, 10, 12
            "DC-13": (3, 0, 200, 13, 12, 13, 3, 3),    # ranks 12, 12, 13
            "DC-14": (0, 2, None, None, None, None, 0, 0),   # insufficient D2 and D3, not part of D1
        })
        self.assertEqual([x["station"] for x in rows],
                         ["DC-01", "DC-12", "DC-02", "DC-10", "DC-03", "DC-09", "DC-04", "DC-06", "DC-05",
                          "DC-07", "DC-11", "DC-08", "DC-13", "DC-14"])
        r = self.d.get(f"/api/v1/ranking/summary?from={D2}&to={D2}")
        got = {x["station"]: (x["days_valid"], x["mean_value"], x["rank"], x["interview_days"])
               for x in r.json["stations"]}
        self.assertEqual((got["DC-11"], got["DC-07"], got["DC-09"]),
                         ((1, 140, 9, 0), (1, 150, 10, 1), (0, None, None, 0)))
        self.assertError(self.d.get("/api/v1/ranking/summary"), 422, "invalid_parameter")
        self.assertError(self.d.get(f"/api/v1/ranking/summary?from={D3}&to={D1}"), 422, "invalid_parameter")
        self.assertError(self.d.get("/api/v1/ranking/summary?from=2016-01-01&to=2017-12-06"), 422,
                         "invalid_parameter")   # 706 days > 366

    def test_d_status_workflow(self):
        entry = [x for x in self.iv("date=" + D1) if x["station"] == "DC-13"][0]
        path = f"/api/v1/interviews/{entry['id']}"

        def patch(body, token=ADMIN):
            return self.d.request("PATCH", path, body=body, token=token)

        self.assertError(patch({"status": "interviewed"}, token=None), 401, "unauthorized")
        self.assertError(patch({"status": "done"}), 422, "invalid_parameter")
        r = patch({"status": "interviewed", "note": "12月5日约谈北京城建集团，要求工地洒水降尘"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["station"], r.json["date"]), ("interviewed", "DC-13", D1))
        r = patch({"status": "rectified"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["note"]), ("rectified", "12月5日约谈北京城建集团，要求工地洒水降尘"))
        self.assertError(patch({"status": "pending"}), 409, "conflict")
        self.assertError(patch({"status": "interviewed"}), 409, "conflict")
        self.assertError(self.d.request("PATCH", "/api/v1/interviews/987654321", body={"status": "rectified"},
                                        token=ADMIN), 404, "not_found")
        got = self.iv(f"from={D1}&to={D3}&status=rectified")
        self.assertEqual([(x["date"], x["station"]) for x in got], [(D1, "DC-13")])
        # Re-finalizing keeps the status and note of an entry that stays on the list.
        r = self.d.post(f"/api/v1/ranking/{D1}/finalize", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        self.assertError(self.d.post(f"/api/v1/ranking/{D1}/finalize"), 401, "unauthorized")
        got = {x["station"]: x for x in self.iv("date=" + D1)}
        self.assertEqual(sorted(got), ["DC-07", "DC-08", "DC-11", "DC-13"])
        self.assertEqual((got["DC-13"]["status"], got["DC-13"]["note"]),
                         ("rectified", "12月5日约谈北京城建集团，要求工地洒水降尘"))
        self.assertEqual(got["DC-11"]["status"], "pending")
        self.check_day(self.ranking(self.d, D1), D1, "pm10", final=True)

    def test_e_late_readings_and_refinalize(self):
        entry = [x for x in self.iv("date=" + D2) if x["station"] == "DC-07"][0]
        r = self.d.request("PATCH", f"/api/v1/interviews/{entry['id']}", token=ADMIN,
                           body={"status": "interviewed", "note": "建国门街道已约谈"})
        self.assertEqual(r.status, 200, r)
        before = self.ranking(self.d, D2)
        # A late second reading in hour 3: PM10 (140 + 668)/2 = 404 for that hour,
        # day (23 × 140 + 404)/24 = 3624/24 = 151.
        r = self.d.post_readings(rd("DC-11", D2, 3, 30, pm10=668, pm25=75))
        self.assertEqual(r.json["accepted"], 1)
        time.sleep(1.2)     # a background pass or two: the final day must not be redone by itself
        body = self.ranking(self.d, D2)
        self.assertEqual(body["late_readings"], 1)
        self.assertEqual(body["finalized_at"], before["finalized_at"])
        self.check_day(body, D2, "pm10", final=True)        # unchanged: DC-11 still 140, rank 9
        self.assertEqual(body["interview"], before["interview"])
        hour3 = self.d.get(f"/api/v1/stations/DC-11/hourly?date={D2}").json["hours"][3]
        self.assertEqual((hour3["pm10"], hour3["readings"]), (404, 2))   # the reading itself is stored
        r = self.d.post(f"/api/v1/ranking/{D2}/finalize", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        body = self.ranking(self.d, D2)
        self.assertTrue(body["final"])
        # 1321 − 140 + 151 = 1332; mean 1332/12 = 111
        self.assertEqual([(x["rank"], x["station"], x["value"]) for x in body["ranking"]],
                         [(1, "DC-01", 60), (2, "DC-12", 70), (3, "DC-02", 75), (4, "DC-10", 84), (5, "DC-03", 90),
                          (6, "DC-04", 100), (6, "DC-06", 100), (8, "DC-05", 102), (9, "DC-08", 150),
                          (9, "DC-07", 150), (11, "DC-11", 151), (12, "DC-13", 200)])
        self.assertEqual(body["district_mean"], 111)
        got = [(x["station"], x["rank"], x["value"], x["pct_above_mean"], x["consecutive_days"], x["status"], x["note"])
               for x in body["interview"]]
        self.assertEqual(got, [
            ("DC-13", 12, 200, 80.2, 2, "pending", ""),               # 89/111 = 80.18 %
            ("DC-11", 11, 151, 36.0, 2, "pending", ""),               # 40/111 = 36.04 %; on D1's list too
            ("DC-07", 9, 150, 35.1, 2, "interviewed", "建国门街道已约谈"),  # 39/111 = 35.14 %, kept
            ("DC-08", 9, 150, 35.1, 2, "pending", "")])
        self.assertEqual(len(self.iv("date=" + D2)), 4)
        self.assertEqual(psql(f"SELECT count(*) FROM interviews WHERE day = '{D2}'", self.d.url), "4")

    def test_f_snapshot_outlives_station_changes(self):
        # Deactivated after the fact: the finalized days still show it as ranked then.
        r = self.d.request("DELETE", "/api/v1/stations/DC-01", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        body = self.ranking(self.d, D3)
        self.assertEqual(body["ranking"][0]["station"], "DC-01")
        self.check_day(body, D3, "pm10", final=True)


# =============================================================================================
P_STATIONS = ["P-01", "P-02", "P-03", "P-04", "P-05"]


def provisional_readings():
    """Today (12-07), hours 0-23, posted at 23:30."""
    out = []

    def put(code, hours, pm10, pm25):
        out.extend(rd(code, TODAY, h, pm10=pm10, pm25=pm25) for h in hours)

    put("P-01", ALL, 80, 40)
    put("P-02", [h for h in ALL if h != 5], 90, 45)
    put("P-03", [h for h in ALL if h not in (3, 7)], 70, 35)
    put("P-04", range(11), 100, 50)
    put("P-04", range(11, 24), 500, 300)
    put("P-05", range(1, 24), 60, 30)
    return out


# at: (hours_elapsed, ranking [(rank, station, value, valid_hours)], district_mean,
#      insufficient [(station, valid_hours, readings)], interview [(station, rank, pct)])
PROVISIONAL = {
    # hour 0 → hours_elapsed 1, threshold ceil(1×20/24) = 1; P-05 starts at hour 1
    "00:30:00": (1, [(1, "P-03", 70, 1), (2, "P-01", 80, 1), (3, "P-02", 90, 1), (4, "P-04", 100, 1)],
                 85,                                    # 340/4
                 [("P-05", 0, 0)],
                 [("P-04", 4, 17.6), ("P-02", 3, 5.9), ("P-01", 2, -5.9)]),   # ±15/85, ±5/85
    # hours_elapsed 4, threshold ceil(4×20/24) = ceil(3.33) = 4; P-03 lacks hour 3, P-05 hour 0
    "03:45:00": (4, [(1, "P-01", 80, 4), (2, "P-02", 90, 4), (3, "P-04", 100, 4)],
                 90, [("P-03", 3, 3), ("P-05", 3, 3)],
                 [("P-04", 3, 11.1), ("P-02", 2, 0.0), ("P-01", 1, -11.1)]),
    # 09:59:59 is still hour 9 → hours_elapsed 10, threshold ceil(10×20/24) = ceil(8.33) = 9
    "09:59:59": (10, [(1, "P-05", 60, 9), (2, "P-01", 80, 10), (3, "P-02", 90, 9), (4, "P-04", 100, 10)],
                 82, [("P-03", 8, 8)],                  # 330/4 = 82.5 → 82 (half-to-even)
                 [("P-04", 4, 21.2), ("P-02", 3, 9.1), ("P-01", 2, -3.0)]),
    # hour 10 has begun → hours_elapsed 11, threshold ceil(11×20/24) = ceil(9.17) = 10
    "10:00:00": (11, [(1, "P-05", 60, 10), (2, "P-01", 80, 11), (3, "P-02", 90, 10), (4, "P-04", 100, 11)],
                 82, [("P-03", 9, 9)],
                 [("P-04", 4, 21.2), ("P-02", 3, 9.1), ("P-01", 2, -3.0)]),
    # P-04's 500 µg/m³ hours (11-23) have not begun: its value is still 100
    "10:30:00": (11, [(1, "P-05", 60, 10), (2, "P-01", 80, 11), (3, "P-02", 90, 10), (4, "P-04", 100, 11)],
                 82, [("P-03", 9, 9)],
                 [("P-04", 4, 21.2), ("P-02", 3, 9.1), ("P-01", 2, -3.0)]),   # 17.5/82.5, 7.5/82.5, −2.5/82.5
    # hours_elapsed 12, threshold ceil(12×20/24) = 10: P-03 now has 10 (0-11 without 3 and 7);
    # P-04's hour 11 (500) has begun: (11×100 + 500)/12 = 1600/12 = 133.33 → 133
    "11:15:00": (12, [(1, "P-05", 60, 11), (2, "P-03", 70, 10), (3, "P-01", 80, 12), (4, "P-02", 90, 11),
                      (5, "P-04", 133, 12)],
                 87, [],                                # 433/5 = 86.6 → 87
                 [("P-04", 5, 53.6), ("P-02", 4, 3.9), ("P-01", 3, -7.6)]),   # 46.4/86.6, 3.4/86.6, −6.6/86.6
    # hours_elapsed 24, threshold 20; P-04 (11×100 + 13×500)/24 = 7600/24 = 316.67 → 317
    "23:30:00": (24, [(1, "P-05", 60, 23), (2, "P-03", 70, 22), (3, "P-01", 80, 24), (4, "P-02", 90, 23),
                      (5, "P-04", 317, 24)],
                 123, [],                               # 617/5 = 123.4 → 123
                 [("P-04", 5, 156.9), ("P-02", 4, -27.1), ("P-01", 3, -35.2)]),
}


@unittest.skipUnless(PG_URL, "needs the test cluster")
class ProvisionalTodayTest(unittest.TestCase):
    """Today's ranking at several frozen clocks over one database."""

    @classmethod
    def setUpClass(cls):
        cls.url = new_database()
        with Daemon(url=cls.url, env=dict(NO_FINALIZE, AQRANK_NOW=f"{TODAY}T23:30:00+08:00")) as d:
            for code in P_STATIONS:
                d.put_station(code, lat=39.93, lon=116.42, unit="东城区", name="临时站" + code[-1])
            d.post_readings(provisional_readings())

    def test_provisional_rule_at_several_times(self):
        for at, (elapsed, rows, mean, insufficient, interview) in PROVISIONAL.items():
            with self.subTest(at=at), Daemon(url=self.url, env=dict(NO_FINALIZE, AQRANK_NOW=f"{TODAY}T{at}+08:00")) as d:
                r = d.get("/api/v1/ranking/today")
                self.assertEqual(r.status, 200, r)
                body = r.json
                self.assertEqual((body["date"], body["final"], body["hours_elapsed"]), (TODAY, False, elapsed))
                self.assertEqual([(x["rank"], x["station"], x["value"], x["valid_hours"]) for x in body["ranking"]], rows)
                self.assertEqual(body["stations_ranked"], len(rows))
                self.assertEqual(body["district_mean"], mean)
                self.assertEqual([(x["station"], x["valid_hours"]) for x in body["insufficient"]],
                                 [(c, h) for c, h, _ in insufficient])
                self.assertEqual([(x["station"], x["rank"], x["pct_above_mean"]) for x in body["interview"]], interview)
                if at == "10:30:00":
                    day = d.get(f"/api/v1/stations/P-04/daily?from={TODAY}&to={TODAY}").json["days"]
                    self.assertEqual((day[0]["pm10"], day[0]["valid_hours"]["pm10"]), (100, 11))
        # Shown, never stored: no interview rows, no finalized day.
        self.assertEqual(psql("SELECT count(*) FROM interviews", self.url), "0")
        self.assertEqual(psql("SELECT count(*) FROM days WHERE finalized_at IS NOT NULL", self.url), "0")

    def test_readings_of_hours_not_begun_are_not_counted(self):
        # The insufficient entry's `readings` counts only hours that have begun, like its valid hours.
        for at in ("00:30:00", "03:45:00"):
            insufficient = PROVISIONAL[at][3]
            with self.subTest(at=at), Daemon(url=self.url, env=dict(NO_FINALIZE, AQRANK_NOW=f"{TODAY}T{at}+08:00")) as d:
                body = d.get("/api/v1/ranking/today").json
                self.assertEqual([(x["station"], x["valid_hours"], x["readings"]) for x in body["insufficient"]],
                                 insufficient)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class LiveReadingsFoldTest(unittest.TestCase):
    """Readings of the current hour leave their aggregate work in pending_hourly; whoever reads
    the aggregates folds it first, so what a POST acknowledged is in every view at once."""

    AT = f"{TODAY}T10:30:00+08:00"

    def hour_readings(self, d, code, hour=10):
        body = d.get(f"/api/v1/stations/{code}/hourly?date={TODAY}").json
        return body["hours"][hour]["readings"]

    def test_each_post_is_in_the_next_read(self):
        with Daemon(env=dict(NO_FINALIZE, AQRANK_NOW=self.AT)) as d:
            tok = d.put_station("LV-1", lat=39.93, lon=116.42)
            d.put_station("LV-2", lat=39.94, lon=116.42)
            # Faster than the background thread's passes (≥ 200 ms apart): most of these reads
            # fold for themselves.
            for i in range(30):
                d.post_readings({"observed_at": f"{TODAY}T10:{i:02d}:00+08:00", "pm25": 30, "pm10": 60 + i},
                                token=tok)
                self.assertEqual(self.hour_readings(d, "LV-1"), i + 1)
            today = d.get("/api/v1/ranking/today").json
            entry = [x for x in today["insufficient"] + today["ranking"] if x["station"] == "LV-1"][0]
            self.assertEqual(entry["readings"], 30)
            self.assertEqual(psql("SELECT count(*) FROM pending_hourly", d.url), "0")
            self.assertEqual(psql("SELECT sum(readings), sum(pm10_sum) FROM hourly", d.url),
                             f"30|{sum(60 + i for i in range(30))}")

    def test_another_daemon_reads_them(self):
        url = new_database()
        env = dict(NO_FINALIZE, AQRANK_NOW=self.AT)
        with Daemon(url=url, env=env) as a, Daemon(url=url, env=env) as b:
            tok = a.put_station("LV-3", lat=39.93, lon=116.42)
            for i in range(5):
                a.post_readings({"observed_at": f"{TODAY}T10:{i:02d}:00+08:00", "pm25": 30}, token=tok)
                self.assertEqual(self.hour_readings(b, "LV-3"), i + 1)

    def test_acknowledged_but_unfolded_survive_a_restart(self):
        # As a daemon killed between the ingest and any fold leaves them: rows in readings and
        # pending_hourly, nothing in hourly, no days row.
        url = new_database()
        env = dict(NO_FINALIZE, AQRANK_NOW=self.AT)
        with Daemon(url=url, env=env) as d:
            d.put_station("LV-4", lat=39.93, lon=116.42)
        psql("WITH r AS (INSERT INTO readings (station_id, observed_at, pm25, pm10, source) "
             "SELECT s.id, timestamptz '" + TODAY + " 10:00+08' + m * interval '1 minute', 40, 80, 'http' "
             "FROM stations s, generate_series(0, 9) m WHERE s.code = 'LV-4' "
             "RETURNING station_id, observed_at, pm25, pm10) "
             "INSERT INTO pending_hourly (station_id, observed_at, pm25, pm10) SELECT * FROM r", url)
        with Daemon(url=url, env=env) as d:
            self.assertEqual(self.hour_readings(d, "LV-4"), 10)
            wait_for(lambda: psql("SELECT count(*) FROM pending_hourly", url) == "0", what="the fold")
            self.assertEqual(psql("SELECT count(*) FROM days WHERE day = '" + TODAY + "'", url), "1")


@unittest.skipUnless(PG_URL, "needs the test cluster")
class DayCacheTest(unittest.TestCase):
    """A daemon keeps the hourly rows of the days it read and fetches only the rows written
    since. After every kind of change — late readings, a new station, an operator's UPDATE,
    DELETE or TRUNCATE of hourly rows — its ranking equals a fresh daemon's (no cache)."""

    DAY = D2
    ENV = dict(NO_FINALIZE, AQRANK_NOW=NOW)

    def body(self, d):
        body = d.get(f"/api/v1/ranking/{self.DAY}").json
        body.pop("generated_at", None)
        return body

    def rows(self, d):
        body = self.body(d)
        return sorted((x["station"], x.get("aqi"), x.get("pm10"), x["valid_hours"])
                      for x in body["ranking"] + body["insufficient"])

    def assert_like_fresh(self, warm, url):
        mine = self.body(warm)
        with Daemon(url=url, env=self.ENV) as fresh:
            self.assertEqual(mine, self.body(fresh))
        return self.rows(warm)

    def hours(self, code, pm10, hours=range(24)):
        return [{"station": code, "observed_at": f"{self.DAY}T{h:02d}:00:00+08:00", "pm25": 20 + h, "pm10": pm10}
                for h in hours]

    def test_warm_reads_follow_every_change(self):
        url = new_database()
        with Daemon(url=url, env=self.ENV) as d:
            for i, code in enumerate(("DK-1", "DK-2", "DK-3")):
                d.put_station(code, lat=39.93 + i / 100, lon=116.42)
            d.post_readings(self.hours("DK-1", 50) + self.hours("DK-2", 80) + self.hours("DK-3", 120, range(12)))
            first = self.assert_like_fresh(d, url)
            self.assertEqual(self.rows(d), first)  # warm, nothing changed

            # Late readings: DK-3's missing hours, DK-1's worse pm10 in hours already counted.
            d.post_readings(self.hours("DK-3", 120, range(12, 24)))
            d.post_readings([{"station": "DK-1", "observed_at": f"{self.DAY}T{h:02d}:30:00+08:00", "pm10": 400}
                             for h in range(24)])
            late = self.assert_like_fresh(d, url)
            self.assertNotEqual(late, first)
            self.assertEqual([r[3] for r in late], [24, 24, 24])

            # A station registered later, with the day's readings.
            d.put_station("DK-4", lat=39.97, lon=116.42)
            d.post_readings(self.hours("DK-4", 30))
            added = self.assert_like_fresh(d, url)
            self.assertEqual(len(added), 4)

            # Behind the daemon's back: rows changed, removed, all removed.
            psql(f"UPDATE hourly SET pm10_sum = pm10_sum * 3 WHERE day = '{self.DAY}' AND station_id = "
                 "(SELECT id FROM stations WHERE code = 'DK-2')", url)
            updated = self.assert_like_fresh(d, url)
            self.assertNotEqual(updated, added)
            psql(f"DELETE FROM hourly WHERE day = '{self.DAY}' AND hour >= 6 AND station_id = "
                 "(SELECT id FROM stations WHERE code = 'DK-4')", url)
            deleted = self.assert_like_fresh(d, url)
            self.assertEqual([r[3] for r in deleted if r[0] == "DK-4"], [6])
            psql("TRUNCATE hourly", url)
            self.assertEqual(d.get(f"/api/v1/ranking/{self.DAY}").json["ranking"], [])


def hourly_days_mismatches(url):
    """Station-days whose packed row (011_hourly_days.sql) is not exactly their hourly rows,
    decoded here independently of the daemon: (day, station, hourly, packed) per mismatch."""
    cols = ("hour, readings, pm25_sum, pm25_n, pm10_sum, pm10_n, so2_sum, so2_n, no2_sum, no2_n, "
            "co_sum, co_n, o3_sum, o3_n, rh_sum, rh_n")
    hourly = {}
    out = psql(f"SELECT day, station_id, {cols} FROM hourly ORDER BY day, station_id, hour", url)
    for line in filter(None, out.split("\n")):
        f = line.split("|")
        hourly.setdefault((f[0], int(f[1])), []).append(
            tuple(float(x) if i % 2 == 0 and i > 1 else int(x) for i, x in enumerate(f[2:])))
    packed = {}
    out = psql("SELECT day, station_id, encode(hours, 'hex') FROM hourly_days", url)
    for line in filter(None, out.split("\n")):
        day, sid, hexed = line.split("|")
        raw = bytes.fromhex(hexed)
        if len(raw) % 90:
            packed[(day, int(sid))] = ["bad length", len(raw)]
            continue
        packed[(day, int(sid))] = [struct.unpack(">hi" + "di" * 7, raw[i:i + 90]) for i in range(0, len(raw), 90)]
    return [(k, hourly.get(k), packed.get(k)) for k in sorted(set(hourly) | set(packed))
            if hourly.get(k) != [tuple(x) for x in packed.get(k) or []] or k not in packed]


@unittest.skipUnless(PG_URL, "needs the test cluster")
class HourlyDaysTest(unittest.TestCase):
    """The first read of a day after a start reads the packed station-days (hourly_days), kept
    by triggers on hourly. After every kind of write — readings posted at once and late, extra
    readings in counted hours, humidity, live readings folded, writers racing on one
    station-day, an operator's UPDATE, DELETE and TRUNCATE — the packed rows are exactly the
    hourly rows, and a restarted daemon's first read equals the ranking shown before it."""

    DAY = D2
    ENV = dict(NO_FINALIZE, AQRANK_NOW=NOW)

    def body(self, d, day=None):
        r = d.get(f"/api/v1/ranking/{day or self.DAY}")
        self.assertEqual(r.status, 200, r)
        body = r.json
        body.pop("generated_at", None)
        return body

    def assert_kept(self, url):
        self.assertEqual(hourly_days_mismatches(url), [])

    def assert_restart_equal(self, warm, url, day=None):
        shown = self.body(warm, day)
        with Daemon(url=url, env=self.ENV) as fresh:
            self.assertEqual(self.body(fresh, day), shown)
        return shown

    def readings(self, code, hours, minute=0, pm10=60, rh=None):
        out = []
        for h in hours:
            r = {"station": code, "observed_at": f"{self.DAY}T{h:02d}:{minute:02d}:00+08:00",
                 "pm25": 20.1 + h / 7, "pm10": pm10 + h / 3}
            if rh is not None:
                r["humidity"] = rh
            out.append(r)
        return out

    def test_packed_rows_follow_every_write(self):
        url = new_database()
        with Daemon(url=url, env=self.ENV) as d:
            d.put_station("GC-H", kind="national", lat=39.9289, lon=116.4174)
            for i, code in enumerate(("HD-1", "HD-2", "HD-3")):
                d.put_station(code, lat=39.93 + i / 100, lon=116.42)
            d.post_readings(self.readings("HD-1", ALL, rh=55) + self.readings("HD-2", ALL, pm10=90)
                            + self.readings("HD-3", range(10)) + self.readings("GC-H", ALL, rh=40))
            self.assert_kept(url)
            before = self.assert_restart_equal(d, url)

            # Late readings into the past day: new hours, and more readings in counted hours.
            self.body(d)  # the daemon holds the day; the late rows reach it as a delta
            d.post_readings(self.readings("HD-3", range(10, 24), pm10=150))
            d.post_readings(self.readings("HD-1", ALL, minute=30, pm10=300, rh=90))
            self.assert_kept(url)
            late = self.assert_restart_equal(d, url)
            self.assertNotEqual(late, before)

            # Writers racing on the same station-days (different hours and minutes of each).
            errors = []

            def post(minute):
                try:
                    d.post_readings(self.readings("HD-2", ALL, minute=minute, pm10=40 + minute)
                                    + self.readings("HD-3", ALL, minute=minute, pm10=200 - minute))
                except AssertionError as e:
                    errors.append(e)
            threads = [threading.Thread(target=post, args=(m,)) for m in range(1, 13)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            self.assert_kept(url)
            self.assert_restart_equal(d, url)

            # Live readings of the clock's hour go through pending_hourly and the fold.
            d.post_readings([{"station": "HD-1", "observed_at": f"{TODAY}T10:{m:02d}:00+08:00", "pm10": 70 + m}
                             for m in range(0, 30, 5)])
            wait_for(lambda: psql("SELECT count(*) FROM pending_hourly", url) == "0", what="the fold")
            self.assert_kept(url)
            self.assert_restart_equal(d, url, TODAY)

            # Behind the daemon's back.
            psql(f"UPDATE hourly SET pm10_sum = pm10_sum * 3 WHERE day = '{self.DAY}' AND station_id = "
                 "(SELECT id FROM stations WHERE code = 'HD-2')", url)
            self.assert_kept(url)
            self.assert_restart_equal(d, url)
            psql(f"DELETE FROM hourly WHERE day = '{self.DAY}' AND hour >= 6 AND station_id = "
                 "(SELECT id FROM stations WHERE code = 'HD-3')", url)
            psql(f"DELETE FROM hourly WHERE day = '{self.DAY}' AND station_id = "
                 "(SELECT id FROM stations WHERE code = 'HD-1')", url)
            self.assert_kept(url)
            self.assertEqual(psql(f"SELECT count(*) FROM hourly_days WHERE day = '{self.DAY}'", url), "3")
            self.assert_restart_equal(d, url)
            psql("TRUNCATE hourly", url)
            self.assertEqual(psql("SELECT count(*) FROM hourly_days", url), "0")
            self.assertEqual(self.body(d)["ranking"], [])


@unittest.skipUnless(PG_URL, "needs the test cluster")
class EmptyTodayTest(DaemonTestCase):
    """Stations registered (at the frozen clock's today), no readings at all."""
    ENV = dict(NO_FINALIZE, AQRANK_NOW=f"{TODAY}T09:00:00+08:00")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.d.put_station("GC-Z", kind="national", lat=39.9289, lon=116.4174)
        cls.d.put_station("Z-01", lat=39.93, lon=116.42)
        cls.d.put_station("Z-02", lat=39.94, lon=116.43)

    def test_today_is_200_with_empty_lists(self):
        r = self.d.get("/api/v1/ranking/today")
        self.assertEqual(r.status, 200, r)
        body = r.json
        self.assertEqual((body["date"], body["hours_elapsed"], body["final"]), (TODAY, 10, False))
        self.assertEqual((body["ranking"], body["interview"], body["stations_ranked"], body["district_mean"]),
                         ([], [], 0, None))
        self.assertError(self.d.get("/api/v1/ranking/2017-12-06"), 404, "no_data")
        self.assertError(self.d.get("/api/v1/ranking/latest"), 404, "no_data")

    def test_stations_registered_today_are_listed_insufficient(self):
        # "an active micro station registered by that day … takes part": both were registered
        # today by the daemon's (frozen) clock, so they are listed with 0 hours.
        body = self.d.get("/api/v1/ranking/today").json
        self.assertEqual([(x["station"], x["valid_hours"], x["readings"]) for x in body["insufficient"]],
                         [("Z-01", 0, 0), ("Z-02", 0, 0)])


@unittest.skipUnless(PG_URL, "needs the test cluster")
class FinalizeControlTest(unittest.TestCase):
    def load_d1(self):
        url = new_database()
        with Daemon(url=url, env=LIVE_ENV) as loader:
            load_network(loader, days=(D1,))
        return url

    def test_quiet_100000_stops_auto_finalization(self):
        url = self.load_d1()
        with Daemon(url=url, env={"AQRANK_NOW": NOW, "AQRANK_FINALIZE_QUIET": "100000"}) as d:
            time.sleep(2.5)     # two or three background passes; D1 has been due since 12-05 02:00
            self.assertFalse(self.d_final(d, D1))
            self.assertEqual(psql("SELECT count(*) FROM days WHERE finalized_at IS NOT NULL", url), "0")
            # An operator can still finalize by hand.
            r = d.post(f"/api/v1/ranking/{D1}/finalize", token=ADMIN)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(self.d_final(d, D1))

    def test_quiet_period_waits_for_backfill_to_pause(self):
        with Daemon(env={"AQRANK_NOW": NOW, "AQRANK_FINALIZE_QUIET": "3"}) as d:
            register_network(d)
            readings = network_day(D1)
            first = [x for x in readings if x["observed_at"][11:13] < "12"]
            rest = [x for x in readings if x["observed_at"][11:13] >= "12"]
            d.post_readings(first)
            time.sleep(1.5)
            self.assertFalse(self.d_final(d, D1))
            d.post_readings(rest)          # the backfill goes on: the quiet period starts again
            time.sleep(2.0)                # 3.5 s after the first batch, 2 s after the last
            self.assertFalse(self.d_final(d, D1))
            wait_for(lambda: self.d_final(d, D1), timeout=10, what="D1 final")
            body = d.get(f"/api/v1/ranking/{D1}").json
            self.assertEqual([(x["rank"], x["station"], x["value"]) for x in body["ranking"]], RANK[(D1, "pm10")])
            self.assertEqual([(x["station"], x["valid_hours"]) for x in body["insufficient"]], [("DC-09", 19)])
            self.assertEqual(body["late_readings"], 0)

    def test_quiet_period_counts_backfill_to_another_daemon(self):
        # Behind a proxy the backfill may land on any daemon; a day must not be finalized by one
        # daemon while another one is still receiving its history.
        url = new_database()
        env = {"AQRANK_NOW": NOW, "AQRANK_FINALIZE_QUIET": "3"}
        with Daemon(url=url, env=env) as a, Daemon(url=url, env=env) as b:
            register_network(b)
            readings = network_day(D1)
            b.post_readings([x for x in readings if x["observed_at"][11:13] < "12"])
            time.sleep(1.5)
            self.assertFalse(self.d_final(a, D1))
            b.post_readings([x for x in readings if x["observed_at"][11:13] >= "12"])
            wait_for(lambda: self.d_final(a, D1), timeout=10, what="D1 final")
            body = a.get(f"/api/v1/ranking/{D1}").json
            self.assertEqual([(x["rank"], x["station"], x["value"]) for x in body["ranking"]], RANK[(D1, "pm10")])

    def test_not_due_before_finalize_after(self):
        url = self.load_d1()
        # D1 ends 12-05 00:00; with the default 7200 s it is due at 02:00.
        with Daemon(url=url, env={"AQRANK_NOW": f"{D2}T01:59:00+08:00", "AQRANK_FINALIZE_QUIET": "0"}) as d:
            time.sleep(1.5)
            self.assertFalse(self.d_final(d, D1))
        with Daemon(url=url, env={"AQRANK_NOW": f"{D2}T02:00:01+08:00", "AQRANK_FINALIZE_QUIET": "0"}) as d:
            wait_for(lambda: self.d_final(d, D1), timeout=15, what="D1 final")

    def test_two_daemons_finalize_once(self):
        url = self.load_d1()
        env = {"AQRANK_NOW": NOW, "AQRANK_FINALIZE_QUIET": "0"}
        a, b = Daemon(url=url, env=env), Daemon(url=url, env=env)
        starters = [threading.Thread(target=x.start) for x in (a, b)]
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        try:
            for x in (a, b):
                wait_for(lambda: self.d_final(x, D1), timeout=15, what="D1 final")
            self.check_single_snapshot(url)
            done = [l for l in a.lines + b.lines if re.search(r"finalized %s$" % D1, l)]
            self.assertEqual(len(done), 1, done)
            first = a.get(f"/api/v1/ranking/{D1}").json
            # Both at once by hand, from four threads on the two daemons.
            barrier = threading.Barrier(4)
            statuses = []

            def hit(x):
                barrier.wait()
                statuses.append(x.post(f"/api/v1/ranking/{D1}/finalize", token=ADMIN).status)

            threads = [threading.Thread(target=hit, args=(x,)) for x in (a, b, a, b)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertTrue(set(statuses) <= {200, 409}, statuses)
            self.assertIn(200, statuses)
            self.check_single_snapshot(url)
            ja, jb = a.get(f"/api/v1/ranking/{D1}").json, b.get(f"/api/v1/ranking/{D1}").json
            for key in ("final", "finalized_at", "ranking", "insufficient", "interview", "district_mean"):
                self.assertEqual(ja[key], jb[key], key)
            self.assertEqual([(x["rank"], x["station"], x["value"]) for x in ja["ranking"]], RANK[(D1, "pm10")])
            self.assertEqual([(x["station"], x["rank"]) for x in ja["interview"]],
                             [(s, r) for s, r, _, _, _ in INTERVIEW[(D1, "pm10")]])
            self.assertEqual([x["id"] for x in ja["interview"]], [x["id"] for x in first["interview"]])
        finally:
            for x in (a, b):
                self.assertEqual(x.stop(), 0)

    def check_single_snapshot(self, url):
        self.assertEqual(psql("SELECT count(*) FROM days WHERE finalized_at IS NOT NULL", url), "1")
        self.assertEqual(psql(f"SELECT count(*), count(DISTINCT station_id) FROM interviews WHERE day = '{D1}'",
                              url), "4|4")
        self.assertEqual(psql("SELECT count(*) FROM interviews", url), "4")

    @staticmethod
    def d_final(d, day):
        r = d.get(f"/api/v1/ranking/{day}")
        return r.status == 200 and r.json["final"]


if __name__ == "__main__":
    unittest.main()
