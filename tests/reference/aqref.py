#!/usr/bin/env python3
"""aqref - an independent reference computation of aqrank's daily values and ranking.

Implements SPEC.md sections 3 (aggregation, AQI, composite index, ranking value), 4 (daily
ranking, insufficient stations, interview list, provisional "today") and 9 (HJ 633-2012
breakpoints) in plain Python 3.11 (standard library only), with exact arithmetic: every number
is a fractions.Fraction parsed from its decimal text, so rounding ties (half-to-even, GB/T 8170)
and "round the IAQI up" are decided exactly, never by binary floating point.

It is written from the SPEC alone, to check the C daemon against.  Inputs:

* the PRSA hourly CSV files (UCI "Beijing Multi-Site Air-Quality Data"; one row = one hourly
  reading of one station, local Beijing time, hour h = [h:00, h+1:00), ``NA`` = missing,
  CO in ug/m3 -> divided by 1000 to mg/m3) - see ``load_prsa``;
* or readings as posted to ``POST /api/v1/readings`` (JSON) - see ``load_readings_json``.

Function API::

    ds = load_prsa("/work/shared/data/beijing", date_from=d, date_to=d)
    day = compute_day(ds, datetime.date(2015, 12, 25))            # final day
    day = compute_day(ds, d, now=datetime(..., tzinfo=...))         # provisional "today"
    res = rank_day(day, metric="pm10", policy="separate", interview_count=3)
    print(format_text(day, res))

CLI::

    python3 tests/reference/aqref.py --data DIR --date YYYY-MM-DD [--metric pm10]
        [--policy separate|worst] [--json] [--now RFC3339] [--national CODE] ...

Interpretations of points the SPEC leaves open are listed in INTERPRETATIONS below (and printed
by ``--interpretations``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import glob
import json
import math
import os
import sys
from fractions import Fraction

F = Fraction

# ---------------------------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------------------------

POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co", "o3")
LABELS = {"pm25": "PM2.5", "pm10": "PM10", "so2": "SO2", "no2": "NO2", "co": "CO", "o3": "O3"}
# Decimals of a published concentration: integer ug/m3, CO one decimal mg/m3.
PUB_DECIMALS = {"pm25": 0, "pm10": 0, "so2": 0, "no2": 0, "co": 1, "o3": 0}

# SPEC section 1: accepted ranges (inclusive).
RANGES = {
    "pm25": (F(0), F(2000)),
    "pm10": (F(0), F(5000)),
    "so2": (F(0), F(10000)),
    "no2": (F(0), F(10000)),
    "o3": (F(0), F(10000)),
    "co": (F(0), F(200)),
    "temperature": (F(-60), F(70)),
    "humidity": (F(0), F(100)),
    "pressure": (F(300), F(1100)),
    "wind_speed": (F(0), F(100)),
    "wind_direction": (F(0), F(360)),
}

# Composite index (SPEC 3.5) denominators S_i: the grade-II annual limits of the GB 3095 version
# in force on the date (2012; 2026 transition phase 2026-03-01 .. 2030-12-31; 2026 final).
COMPOSITE_S_BY = {
    "GB3095-2012": {"pm25": F(35), "pm10": F(70), "so2": F(60), "no2": F(40), "co": F(4), "o3": F(160)},
    "GB3095-2026 transition": {"pm25": F(30), "pm10": F(60), "so2": F(60), "no2": F(40), "co": F(4),
                               "o3": F(160)},
    "GB3095-2026": {"pm25": F(25), "pm10": F(50), "so2": F(60), "no2": F(40), "co": F(4), "o3": F(160)},
}
COMPOSITE_S = COMPOSITE_S_BY["GB3095-2012"]
# GB 3095 grade-II 24 h limits (O3: 8 h), for days over the limit.
LIMIT_24H_BY = {
    "GB3095-2012": {"pm25": F(75), "pm10": F(150), "so2": F(150), "no2": F(80), "co": F(4), "o3": F(160)},
    "GB3095-2026 transition": {"pm25": F(60), "pm10": F(120), "so2": F(150), "no2": F(80), "co": F(4),
                               "o3": F(160)},
    "GB3095-2026": {"pm25": F(50), "pm10": F(100), "so2": F(150), "no2": F(80), "co": F(4), "o3": F(160)},
}
CHANGE_2026 = dt.date(2026, 3, 1)
FINAL_2031 = dt.date(2031, 1, 1)


def standards_for(date: dt.date, pin: str = "auto"):
    """(HJ 633 name, GB 3095 limits name) in force on a local date (SPEC 3.4, 3.5, 9)."""
    aqi = pin if pin != "auto" else ("HJ633-2012" if date < CHANGE_2026 else "HJ633-2026")
    if aqi == "HJ633-2012":
        return aqi, "GB3095-2012"
    return aqi, ("GB3095-2026" if date >= FINAL_2031 else "GB3095-2026 transition")
DEFAULT_COMPOSITE = ("pm25", "pm10")

METRICS = ("pm10", "pm25", "aqi", "composite")
METRIC_DECIMALS = {"pm10": 0, "pm25": 0, "aqi": 0, "composite": 2}
# Tie order within equal ranking values: the "other PM" value, then code (SPEC 4).
TIE_OTHER = {"pm10": "pm25", "pm25": "pm10", "aqi": "pm10", "composite": "pm10"}

DEFAULT_MIN_HOURS = 20
O3_WINDOW_MIN_HOURS = 6
O3_MIN_WINDOWS = 14
DEFAULT_TZ = "Asia/Shanghai"
RULE_VERSION_FMT = "{standard}/min{min_hours}h"

# HJ 633-2012 breakpoints (SPEC section 9): list of (concentration, IAQI).
IAQI_STEPS = (0, 50, 100, 150, 200, 300, 400, 500)


def _table(*concs):
    return tuple((F(c), IAQI_STEPS[i]) for i, c in enumerate(concs))


BREAKPOINTS = {
    "HJ633-2012": {
        "so2_24h": _table(0, 50, 150, 475, 800, 1600, 2100, 2620),
        "so2_1h": _table(0, 150, 500, 650, 800),
        "no2_24h": _table(0, 40, 80, 180, 280, 565, 750, 940),
        "no2_1h": _table(0, 100, 200, 700, 1200, 2340, 3090, 3840),
        "pm10_24h": _table(0, 50, 150, 250, 350, 420, 500, 600),
        "co_24h": _table(0, 2, 4, 14, 24, 36, 48, 60),
        "co_1h": _table(0, 5, 10, 35, 60, 90, 120, 150),
        "o3_1h": _table(0, 160, 200, 300, 400, 800, 1000, 1200),
        "o3_8h": _table(0, 100, 160, 215, 265, 800),
        "pm25_24h": _table(0, 35, 75, 115, 150, 250, 350, 500),
    }
}
# HJ 633-2026 (SPEC 9): the 24 h PM rows at IAQI 100 move (PM2.5 75 -> 60, PM10 150 -> 120);
# above a column's last value SO2 1 h gives 200 and O3 8 h gives 300 (OVERFLOW_FIXED).
BREAKPOINTS["HJ633-2026"] = dict(BREAKPOINTS["HJ633-2012"],
                                 pm10_24h=_table(0, 50, 120, 250, 350, 420, 500, 600),
                                 pm25_24h=_table(0, 35, 60, 115, 150, 250, 350, 500))
OVERFLOW_FIXED = {"HJ633-2026": {"so2_1h": 200, "o3_8h": 300}}
DEFAULT_STANDARD = "HJ633-2012"

LEVELS = (  # (max AQI, level, category, colour)
    (50, 1, "优", "#00E400"),
    (100, 2, "良", "#FFFF00"),
    (150, 3, "轻度污染", "#FF7E00"),
    (200, 4, "中度污染", "#FF0000"),
    (300, 5, "重度污染", "#99004C"),
    (None, 6, "严重污染", "#7E0023"),
)

# PRSA CSV columns
PRSA_COLUMNS = {"pm25": "PM2.5", "pm10": "PM10", "so2": "SO2", "no2": "NO2", "co": "CO", "o3": "O3"}
PRSA_TZ_OFFSET = dt.timezone(dt.timedelta(hours=8))  # Beijing local time, no DST
DEFAULT_UNIT = "北京市环境监测中心"

INTERPRETATIONS = """\
Interpretations of points the SPEC leaves open (aqref):
 1. Hours: a reading belongs to local hour h = [h:00, h+1:00) of the local day containing
    observed_at (SPEC 2).  PRSA rows are taken as readings observed at HH:00:00+08:00 of their
    year/month/day/hour fields, no shift (shared SOURCE.md).
 2. Hourly mean: mean of the hour's readings whose value is present and not flagged (flag other
    than 'N'); the hour is valid for that pollutant with >= ceil(2700 / interval_s) such values.
    A second reading with the same (station, observed_at instant) is ignored (first wins).
 3. Daily mean = exact mean of the valid hourly means; valid with >= min_hours valid hours
    (provisional: >= ceil(hours_elapsed * min_hours / 24)).  Published = half-to-even of the
    exact daily mean (integer; CO 1 decimal mg/m3).  No published value when not valid.
 4. O3: 17 windows ending 08:00..24:00 = hours [k-8, k) of the same day, k = 8..24; window valid
    with >= 6 valid hourly values (mean of those); day valid with >= 14 valid windows
    (provisional: >= ceil(hours_elapsed * 14 / 24)).  Published O3 8h = half-to-even of the
    maximum valid window mean.  'O3 valid hours' = valid hourly O3 values of the day.  The day's
    max 1-hour O3 = the largest valid hourly mean of the whole day, published as an integer.
 5. IAQI: exact linear interpolation on the published value, then ceil.  A value exactly on a
    breakpoint gives that breakpoint's IAQI; above the top breakpoint of a 500-topped table:
    IAQI 500 + above_scale.  Daily O3 IAQI: O3 8h table; if published O3 8h > 800, the O3 1h
    table on the published max 1-hour value instead (above 1200 -> 500 + above_scale).  The
    daily AQI uses only the 24h tables (and O3 as above), never the 1h max of O3 otherwise.
 6. Daily AQI = max IAQI over the pollutants with a valid daily value (any subset, e.g. PM only);
    no AQI when none is valid.  (Option aqi_requires='reported': no AQI unless every pollutant
    that has a reading that day is valid - e.g. PRSA Wanshouxigong 2015-12-23 has PM2.5/PM10
    invalid (17/18 h) but O3 valid (14 windows), so 'any' gives it AQI 16, rank 1 by aqi on a
    day when every other station is 204..417.)  Primary pollutants (AQI > 50): every pollutant whose IAQI equals
    the AQI, listed in the order PM2.5, PM10, SO2, NO2, CO, O3.  The day is above_scale when any
    pollutant's IAQI is above scale.
 7. Composite = round_half_even(sum of published C_i / S_i, 2) (CO in mg/m3, O3 = published 8h
    value); none if any configured pollutant has no valid daily value.
 8. valid_hours shown for a station: metric pm10 / pm25 -> that pollutant's valid hours;
    composite -> the minimum over the composite pollutants (O3 counted in valid hours);
    aqi -> the maximum over the six pollutants.
 9. Ranking: ascending published value; competition ranks (1,2,2,4); within equal values ordered
    by the other PM published value ascending (pm25 for pm10, pm10 for pm25 / aqi / composite),
    missing last, then code.  district_mean = round_half_even(exact mean of the ranked stations'
    published values, metric decimals); pct_above_mean = round_half_even((value - exact mean) /
    exact mean * 100, 1), none when the mean is 0 or the row has no value.
10. Insufficient stations (no valid ranking value, with or without readings) are ordered with the
    same tie rule (other PM value, missing last, then code).  Policy 'worst': they follow every
    valid station, all with rank = (number of valid stations) + 1, and stations_ranked / 'of'
    counts them too; district_mean still uses valid values only.
11. Interview list: the interview_count worst rows of the ranking list; the cut is
    tie-inclusive (every row whose rank >= the rank of the count-th worst row).  Order: rank
    descending (worst first); rows of one rank keep the ranking list's tie order.  With 'worst'
    the insufficient rows therefore come first, reason 'insufficient_data'.
12. Provisional day: hours_elapsed = floor((now - local midnight) / 1 h) + 1, capped to 1..24
    (0 before the day starts); only readings with observed_at <= now count; a past day is final
    (hours_elapsed 24).
13. The national point (--national) is never ranked; it is listed under 'national'.
"""


# ---------------------------------------------------------------------------------------------
# Exact rounding helpers
# ---------------------------------------------------------------------------------------------

def round_half_even(x: Fraction, decimals: int = 0) -> Fraction:
    """GB/T 8170 rounding (round half to even) of an exact value to `decimals` places."""
    x = F(x)
    scale = 10 ** decimals
    y = x * scale
    n = math.floor(y)
    r = y - n
    if r > F(1, 2) or (r == F(1, 2) and n % 2 == 1):
        n += 1
    return F(n, scale)


def ceil_int(x: Fraction) -> int:
    return math.ceil(F(x))


def dec_str(x, decimals: int | None = None) -> str | None:
    """Exact decimal text of a Fraction (with `decimals` digits; None = shortest exact)."""
    if x is None:
        return None
    x = F(x)
    if decimals is None:
        # shortest exact decimal if the denominator is 2^a 5^b, else 6 decimals (approx)
        d = x.denominator
        k = 0
        while d % 2 == 0 or d % 5 == 0:
            d //= 2 if d % 2 == 0 else 5
            k += 1
        if d != 1:
            return dec_str(round_half_even(x, 6), 6) + "~"
        decimals = 0
        while (x * 10 ** decimals).denominator != 1:
            decimals += 1
    n = x * 10 ** decimals
    if n.denominator != 1:
        n = round_half_even(n)
    n = int(n)
    sign = "-" if n < 0 else ""
    s = str(abs(n)).rjust(decimals + 1, "0")
    if decimals:
        return f"{sign}{s[:-decimals]}.{s[-decimals:]}"
    return f"{sign}{s}"


def to_json_number(x, decimals: int | None = None):
    """A published value as a JSON-friendly number (int when integral)."""
    if x is None:
        return None
    x = F(x)
    if x.denominator == 1 and (decimals is None or decimals == 0):
        return int(x)
    return float(dec_str(x, decimals))


# ---------------------------------------------------------------------------------------------
# IAQI / AQI
# ---------------------------------------------------------------------------------------------

def iaqi(table: str, c, standard: str = DEFAULT_STANDARD):
    """IAQI of concentration `c` (published value) on breakpoint table `table`.

    Returns (iaqi:int, above_scale:bool), or None when `c` is above the top breakpoint of a
    table that does not reach IAQI 500 (SO2 1h > 800, O3 8h > 800: HJ 633 uses another value).
    """
    bps = BREAKPOINTS[standard][table]
    c = F(c)
    if c < 0:
        raise ValueError("negative concentration")
    top_c, top_i = bps[-1]
    if c > top_c:
        if top_i == 500:
            return 500, True
        fixed = OVERFLOW_FIXED.get(standard, {}).get(table)
        if fixed is not None:
            return fixed, False
        return None
    for (cl, il), (ch, ih) in zip(bps, bps[1:]):
        if cl <= c <= ch:
            v = F(ih - il) / (ch - cl) * (c - cl) + il
            return ceil_int(v), False
    raise AssertionError("unreachable")


def aqi_level(aqi: int):
    """(level, category, colour) of an AQI value."""
    for top, level, cat, colour in LEVELS:
        if top is None or aqi <= top:
            return level, cat, colour
    raise AssertionError


def daily_iaqi(pub: dict, o3_1h_max_pub=None, standard: str = DEFAULT_STANDARD):
    """IAQI per pollutant for a day's published values {pollutant: Fraction|None}.

    Returns {pollutant: (iaqi, above_scale, table_used)} for the valid pollutants.
    """
    out = {}
    for p in POLLUTANTS:
        c = pub.get(p)
        if c is None:
            continue
        if p == "o3":
            r = iaqi("o3_8h", c, standard)
            if r is None:  # O3 8h > 800: use the 1h value (the day's max 1-hour O3)
                if o3_1h_max_pub is None:
                    continue
                r = iaqi("o3_1h", o3_1h_max_pub, standard)
                out[p] = (r[0], r[1], "o3_1h")
            else:
                out[p] = (r[0], r[1], "o3_8h")
        else:
            table = f"{p}_24h"
            r = iaqi(table, c, standard)
            out[p] = (r[0], r[1], table)
    return out


def aqi_from_iaqis(iaqis: dict):
    """(aqi, level, category, colour, primary_labels, above_scale) or None when no IAQI."""
    if not iaqis:
        return None
    aqi = max(v[0] for v in iaqis.values())
    level, cat, colour = aqi_level(aqi)
    primary = [LABELS[p] for p in POLLUTANTS if p in iaqis and iaqis[p][0] == aqi] if aqi > 50 else []
    above = any(v[1] for v in iaqis.values())
    return aqi, level, cat, colour, primary, above


def composite_index(pub: dict, pollutants=DEFAULT_COMPOSITE, limits: str = "GB3095-2012"):
    """Exact composite sum (unrounded) and its published value, or (None, None)."""
    total = F(0)
    for p in pollutants:
        c = pub.get(p)
        if c is None:
            return None, None
        total += F(c) / COMPOSITE_S_BY[limits][p]
    return total, round_half_even(total, 2)


# ---------------------------------------------------------------------------------------------
# Data model and loading
# ---------------------------------------------------------------------------------------------

class Reading:
    __slots__ = ("station", "observed_at", "values", "flags")

    def __init__(self, station, observed_at, values, flags=None):
        self.station = station
        self.observed_at = observed_at  # aware datetime
        self.values = values  # {field: Fraction} (pollutants only matter here)
        self.flags = flags or {}

    def __repr__(self):
        return f"Reading({self.station!r}, {self.observed_at.isoformat()}, {self.values!r})"


class Station:
    __slots__ = ("code", "name", "kind", "unit", "interval_s", "active", "lat", "lon",
                 "contact_person")

    def __init__(self, code, name=None, kind="micro", unit=None, interval_s=3600, active=True,
                 lat=None, lon=None, contact_person=None):
        self.code = code
        self.name = name if name is not None else code
        self.kind = kind
        self.unit = unit
        self.interval_s = int(interval_s)
        self.active = active
        self.lat = lat
        self.lon = lon
        self.contact_person = contact_person


class Dataset:
    """Stations plus readings indexed by station -> local date -> list of readings."""

    def __init__(self, tz=None):
        self.tz = tz or get_tz(DEFAULT_TZ)
        self.stations: dict[str, Station] = {}
        self.by_day: dict[str, dict[dt.date, list[Reading]]] = {}
        self._seen: set = set()
        self.ignored_duplicates = 0

    def add_station(self, st: Station):
        self.stations[st.code] = st
        self.by_day.setdefault(st.code, {})

    def add_reading(self, r: Reading):
        key = (r.station, r.observed_at)  # aware datetimes compare/hash by instant
        if key in self._seen:
            self.ignored_duplicates += 1
            return
        self._seen.add(key)
        if r.station not in self.stations:
            self.add_station(Station(r.station))
        local = r.observed_at.astimezone(self.tz)
        self.by_day[r.station].setdefault(local.date(), []).append(r)

    def dates(self):
        ds = set()
        for days in self.by_day.values():
            ds.update(days)
        return sorted(ds)


def get_tz(name: str):
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(name)
    except Exception:  # no tz database: Asia/Shanghai is UTC+8 without DST since 1991
        if name in ("Asia/Shanghai", "Asia/Chongqing", "PRC", "Asia/Harbin"):
            return PRSA_TZ_OFFSET
        raise




def parse_num(text: str):
    """Exact value of a decimal text; None for NA / empty."""
    t = text.strip()
    if t == "" or t == "NA":
        return None
    return F(t)


def prsa_files(data_dir: str):
    """The PRSA CSV files under DIR (DIR/PRSA/*.csv, or DIR/*.csv)."""
    d = os.path.join(data_dir, "PRSA") if os.path.isdir(os.path.join(data_dir, "PRSA")) else data_dir
    files = sorted(glob.glob(os.path.join(d, "PRSA_Data_*.csv")))
    if not files:
        files = sorted(glob.glob(os.path.join(d, "*.csv")))
        files = [f for f in files if os.path.basename(f) != "stations.csv"]
    return files


def read_stations_csv(data_dir: str):
    """stations.csv (station,cnemc_code,cnemc_name,lat,lon,...) -> {code: row dict}."""
    for cand in (os.path.join(data_dir, "stations.csv"),
                 os.path.join(os.path.dirname(os.path.abspath(data_dir)), "stations.csv")):
        if os.path.exists(cand):
            with open(cand, newline="", encoding="utf-8-sig") as fh:
                rows = [{k.lower(): v for k, v in row.items()} for row in csv.DictReader(fh)]
                return {row["station"]: row for row in rows}
    return {}


def load_prsa(data_dir: str, date_from: dt.date | None = None, date_to: dt.date | None = None,
              apply_ranges: bool = True, national: str | None = None, tz=None,
              stations: list[str] | None = None) -> Dataset:
    """Load PRSA hourly CSV files as readings (one row = one reading at HH:00:00+08:00).

    Rows whose six pollutants are all NA are not readings (the daemon requires one pollutant).
    With apply_ranges, values outside the SPEC section 1 ranges are dropped field by field, as
    the replay loader does.  Only rows with date_from <= date <= date_to are parsed.
    """
    ds = Dataset(tz)
    meta = read_stations_csv(data_dir)
    for path in prsa_files(data_dir):
        with open(path, newline="", encoding="utf-8") as fh:
            rd = csv.reader(fh)
            header = next(rd)
            col = {name: i for i, name in enumerate(header)}
            iy, im, idd, ih = col["year"], col["month"], col["day"], col["hour"]
            ist = col.get("station")
            pcols = [(p, col[c]) for p, c in PRSA_COLUMNS.items()]
            code = None
            for row in rd:
                if not row:
                    continue
                if code is None:
                    code = row[ist] if ist is not None else os.path.basename(path).split("_")[2]
                    if stations and code not in stations:
                        break
                    m = meta.get(code, {})
                    ds.add_station(Station(
                        code, name=m.get("cnemc_name", code),
                        kind="national" if code == national else "micro",
                        unit=DEFAULT_UNIT, interval_s=3600,
                        lat=m.get("lat"), lon=m.get("lon")))
                d = dt.date(int(row[iy]), int(row[im]), int(row[idd]))
                if (date_from and d < date_from) or (date_to and d > date_to):
                    continue
                vals = {}
                for p, i in pcols:
                    v = parse_num(row[i])
                    if v is None:
                        continue
                    if p == "co":
                        v = v / 1000  # ug/m3 -> mg/m3
                    if apply_ranges:
                        lo, hi = RANGES[p]
                        if not (lo <= v <= hi):
                            continue
                    vals[p] = v
                if not vals:
                    continue
                t = dt.datetime(d.year, d.month, d.day, int(row[ih]), tzinfo=PRSA_TZ_OFFSET)
                ds.add_reading(Reading(code, t, vals))
    return ds


def parse_rfc3339(s: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(s.replace("z", "Z").replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"observed_at without offset: {s}")
    return t


def load_readings_json(readings, stations=None, tz=None) -> Dataset:
    """Dataset from readings as posted to POST /api/v1/readings (a list of objects, or a path
    to a JSON file holding one) and optional stations {code: {name, kind, unit, interval_s,
    active}} (dict or JSON path).  Numbers are parsed exactly from their JSON text."""
    def load(x):
        if isinstance(x, str):
            with open(x, encoding="utf-8") as fh:
                return json.load(fh, parse_float=F, parse_int=F)
        return x
    ds = Dataset(tz)
    for code, s in (load(stations) or {}).items():
        s = dict(s)
        ds.add_station(Station(code, name=s.get("name"), kind=s.get("kind", "micro"),
                               unit=s.get("unit"), interval_s=int(s.get("interval_s", 3600)),
                               active=s.get("active", True), lat=s.get("lat"), lon=s.get("lon"),
                               contact_person=s.get("contact_person")))
    items = load(readings)
    if isinstance(items, dict):
        items = [items]
    for obj in items:
        vals = {}
        for p in POLLUTANTS:
            v = obj.get(p)
            if v is not None:
                vals[p] = F(str(v)) if isinstance(v, float) else F(v)
        flags = obj.get("flags") or {}
        ds.add_reading(Reading(obj["station"], parse_rfc3339(obj["observed_at"]), vals, flags))
    return ds


# ---------------------------------------------------------------------------------------------
# Aggregation (SPEC 3.1 - 3.5)
# ---------------------------------------------------------------------------------------------

def hours_elapsed_at(date: dt.date, now: dt.datetime | None, tz) -> int:
    """Local hours of `date` up to and including the current one (24 for a past day)."""
    if now is None:
        return 24
    start = dt.datetime(date.year, date.month, date.day, tzinfo=tz)
    end = start + dt.timedelta(days=1)
    now = now.astimezone(tz)
    if now >= end:
        return 24
    if now < start:
        return 0
    # Wall-clock hours (Asia/Shanghai has no DST): hour index of now + 1
    return now.hour + 1


def hourly_means(readings, tz, interval_s: int):
    """{pollutant: [ (mean|None, count, valid) for h in 0..23 ]} for one station-day."""
    need = math.ceil(F(2700, interval_s))  # ceil(0.75 * 3600 / interval_s)
    sums = {p: [F(0)] * 24 for p in POLLUTANTS}
    cnt = {p: [0] * 24 for p in POLLUTANTS}
    for r in readings:
        h = r.observed_at.astimezone(tz).hour
        for p, v in r.values.items():
            if p not in sums or v is None:
                continue
            if r.flags.get(p, "N") != "N":
                continue
            sums[p][h] += v
            cnt[p][h] += 1
    out = {}
    for p in POLLUTANTS:
        row = []
        for h in range(24):
            n = cnt[p][h]
            mean = sums[p][h] / n if n else None
            row.append((mean, n, n >= need and n > 0))
        out[p] = row
    return out


def station_day(st: Station, readings, tz, min_hours=DEFAULT_MIN_HOURS, hours_elapsed=24,
                composite=DEFAULT_COMPOSITE, standard=DEFAULT_STANDARD, now=None,
                aqi_requires="reported", limits="GB3095-2012"):
    """Every daily value of one station for one local day (dict).

    Fractions are exact; 'pub' holds published values (None when not valid).
    aqi_requires: 'any' - the daily AQI is the max IAQI over whichever pollutants are valid;
    'reported' - no AQI unless every pollutant with at least one reading that day is valid
    (so a station cannot look clean because its PM data are missing)."""
    if now is not None:
        readings = [r for r in readings if r.observed_at <= now]
    hm = hourly_means(readings, tz, st.interval_s)
    need_hours = math.ceil(F(hours_elapsed * min_hours, 24))
    # Windows end at 08:00 … 24:00: by hours_elapsed h, h − 7 of the 17 can have closed.
    need_windows = math.ceil(F(max(0, hours_elapsed - 7) * O3_MIN_WINDOWS, 17))
    res = {"station": st.code, "readings": len(readings), "hourly": hm,
           "valid_hours": {}, "mean": {}, "valid": {}, "pub": {},
           "need_hours": need_hours, "need_o3_windows": need_windows}
    for p in POLLUTANTS:
        vals = [m for (m, n, ok) in hm[p] if ok]
        res["valid_hours"][p] = len(vals)
        if p == "o3":
            continue
        mean = sum(vals, F(0)) / len(vals) if vals else None
        valid = bool(vals) and len(vals) >= need_hours
        res["mean"][p] = mean
        res["valid"][p] = valid
        res["pub"][p] = round_half_even(mean, PUB_DECIMALS[p]) if valid else None
    # O3: daily max 8-hour moving mean, windows ending 08:00..24:00 = hours [k-8, k)
    o3h = [m if ok else None for (m, n, ok) in hm["o3"]]
    windows = []
    for k in range(8, 25):
        vs = [v for v in o3h[k - 8:k] if v is not None]
        windows.append(sum(vs, F(0)) / len(vs) if len(vs) >= O3_WINDOW_MIN_HOURS else None)
    valid_windows = [w for w in windows if w is not None]
    o3_8h = max(valid_windows) if valid_windows else None
    o3_valid = len(valid_windows) >= need_windows and bool(valid_windows)
    res["o3_windows"] = windows
    res["o3_valid_windows"] = len(valid_windows)
    res["mean"]["o3"] = o3_8h
    res["valid"]["o3"] = o3_valid
    res["pub"]["o3"] = round_half_even(o3_8h, 0) if o3_valid else None
    o3_max = max((v for v in o3h if v is not None), default=None)
    res["o3_1h_max"] = o3_max
    res["o3_1h_max_pub"] = round_half_even(o3_max, 0) if o3_max is not None else None
    # IAQI / AQI
    iq = daily_iaqi(res["pub"], res["o3_1h_max_pub"], standard)
    res["iaqi"] = iq
    a = aqi_from_iaqis(iq)
    reported = [p for p in POLLUTANTS if any(n for (_, n, _) in hm[p])]
    if need_windows == 0 and "o3" in reported:
        # Early in a provisional day no 8-hour window can be complete: O3 cannot be required.
        reported.remove("o3")
    res["reported"] = reported
    if aqi_requires == "reported":
        if any(not res["valid"][p] for p in reported):
            # SPEC 3.4: before 2026-03-01 no AQI; under HJ 633-2026 (5.3.1) an AQI above 100
            # from the valid pollutants is published, one of 100 or less is not.
            if not (standard == "HJ633-2026" and a is not None and a[0] > 100):
                a = None
    elif aqi_requires != "any":
        raise ValueError(f"aqi_requires {aqi_requires}")
    if a is None:
        res.update(aqi=None, level=None, category=None, color=None, primary_pollutants=[],
                   above_scale=False)
    else:
        res.update(aqi=a[0], level=a[1], category=a[2], color=a[3], primary_pollutants=a[4],
                   above_scale=a[5])
    exact, pub = composite_index(res["pub"], composite, limits)
    res["standard"] = standard
    res["limits"] = limits
    res["over_limit"] = [LABELS[p] for p in POLLUTANTS
                         if res["pub"][p] is not None and res["pub"][p] > LIMIT_24H_BY[limits][p]]
    res["composite_exact"] = exact
    res["composite"] = pub
    res["composite_pollutants"] = tuple(composite)
    return res


def compute_day(ds: Dataset, date: dt.date, now: dt.datetime | None = None,
                min_hours=DEFAULT_MIN_HOURS, composite=DEFAULT_COMPOSITE,
                standard=None, aqi_requires="reported", pin="auto"):
    """Daily values of every station for `date` (final unless `now` falls inside the day),
    under the standards in force on the date (or `standard` when given, or the `pin`)."""
    name, limits = standards_for(date, pin)
    if standard is not None:
        name = standard
        limits = "GB3095-2012" if standard == "HJ633-2012" else standards_for(max(date, CHANGE_2026))[1]
    standard = name
    he = hours_elapsed_at(date, now, ds.tz)
    day_end = dt.datetime(date.year, date.month, date.day, tzinfo=ds.tz) + dt.timedelta(days=1)
    final = now is None or now >= day_end
    stations = {}
    for code in sorted(ds.stations):
        st = ds.stations[code]
        rs = ds.by_day.get(code, {}).get(date, [])
        stations[code] = station_day(st, rs, ds.tz, min_hours=min_hours,
                                     hours_elapsed=max(he, 0), composite=composite,
                                     standard=standard, now=now, aqi_requires=aqi_requires,
                                     limits=limits)
    return {"date": date, "hours_elapsed": he, "final": final, "min_hours": min_hours,
            "standard": standard, "limits": limits,
            "stations": stations, "meta": ds.stations, "tz": ds.tz,
            "has_readings": any(s["readings"] for s in stations.values())}


# ---------------------------------------------------------------------------------------------
# Ranking (SPEC 4)
# ---------------------------------------------------------------------------------------------

def metric_value(sd: dict, metric: str):
    if metric in ("pm10", "pm25"):
        return sd["pub"][metric]
    if metric == "aqi":
        return F(sd["aqi"]) if sd["aqi"] is not None else None
    if metric == "composite":
        return sd["composite"]
    raise ValueError(metric)


def metric_valid_hours(sd: dict, metric: str) -> int:
    vh = sd["valid_hours"]
    if metric in ("pm10", "pm25"):
        return vh[metric]
    if metric == "composite":
        return min(vh[p] for p in sd["composite_pollutants"])
    # aqi: every reported pollutant must be valid, so the least complete one decides.
    return min((vh[p] for p in sd.get("reported", [])), default=0)


def rank_day(day: dict, metric: str = "pm10", policy: str = "separate",
             interview_count: int = 3):
    """Ranking, insufficient list, interview list and district mean of a computed day."""
    if metric not in METRICS:
        raise ValueError(f"metric {metric}")
    if policy not in ("separate", "worst"):
        raise ValueError(f"policy {policy}")
    other = TIE_OTHER[metric]
    dec = METRIC_DECIMALS[metric]
    valid, insuff, national = [], [], []
    for code, sd in day["stations"].items():
        st = day["meta"][code]
        if not st.active:
            continue
        if st.kind != "micro":
            national.append(code)
            continue
        v = metric_value(sd, metric)
        (valid if v is not None else insuff).append(code)

    def tie_key(code):
        o = day["stations"][code]["pub"][other]
        return (o is None, o if o is not None else F(0), code)

    valid.sort(key=lambda c: (metric_value(day["stations"][c], metric),) + tie_key(c))
    # The insufficient list is ordered by code; ranked (policy worst) they follow the valid
    # stations by valid hours, most first, then code.
    insuff.sort()
    values = [metric_value(day["stations"][c], metric) for c in valid]
    mean_exact = sum(values, F(0)) / len(values) if values else None
    district_mean = round_half_even(mean_exact, dec) if mean_exact is not None else None

    def row(code, rank, value):
        sd = day["stations"][code]
        st = day["meta"][code]
        pct = None
        if value is not None and mean_exact:
            pct = round_half_even((value - mean_exact) / mean_exact * 100, 1)
        return {"rank": rank, "station": code, "name": st.name, "unit": st.unit,
                "contact_person": st.contact_person, "value": value,
                "pm25": sd["pub"]["pm25"], "pm10": sd["pub"]["pm10"], "aqi": sd["aqi"],
                "level": sd["level"], "category": sd["category"], "color": sd["color"],
                "primary_pollutants": sd["primary_pollutants"], "composite": sd["composite"],
                "valid_hours": metric_valid_hours(sd, metric), "pct_above_mean": pct,
                "interview": False, "insufficient": value is None}

    ranking = []
    for i, code in enumerate(valid):
        rank = 1 + sum(1 for v in values if v < values[i])
        ranking.append(row(code, rank, values[i]))
    insufficient = [row(c, None, None) for c in insuff]
    if policy == "worst":
        for r in insufficient:
            r["rank"] = len(valid) + 1
        ranking.extend(sorted(insufficient, key=lambda r: (-r["valid_hours"], r["station"])))
    of = len(ranking)

    # interview list: worst `interview_count` rows, tie-inclusive
    interview = []
    if interview_count > 0 and ranking:
        worst_first = list(reversed(ranking))  # worst first: the ranking read from the bottom
        cut = worst_first[min(interview_count, len(worst_first)) - 1]["rank"]
        for r in worst_first:
            if r["rank"] >= cut:
                r["interview"] = True
                interview.append({
                    "date": day["date"].isoformat(), "station": r["station"], "name": r["name"],
                    "unit": r["unit"], "contact_person": r["contact_person"], "rank": r["rank"],
                    "of": of, "metric": metric, "value": r["value"],
                    "district_mean": district_mean, "pct_above_mean": r["pct_above_mean"],
                    "valid_hours": r["valid_hours"],
                    "reason": "insufficient_data" if r["value"] is None else "ranking",
                    "rule_version": RULE_VERSION_FMT.format(standard=day.get("standard", DEFAULT_STANDARD),
                                                            min_hours=day["min_hours"])})
    nat = []
    for code in sorted(national):
        sd = day["stations"][code]
        nat.append({"station": code, "pm25": sd["pub"]["pm25"], "pm10": sd["pub"]["pm10"],
                    "aqi": sd["aqi"], "valid_hours": metric_valid_hours(sd, metric)})
    return {"date": day["date"], "metric": metric, "policy": policy, "final": day["final"],
            "hours_elapsed": day["hours_elapsed"],
            "rule_version": RULE_VERSION_FMT.format(standard=day.get("standard", DEFAULT_STANDARD),
                                                    min_hours=day["min_hours"]),
            "standard": day.get("standard", DEFAULT_STANDARD),
            "stations_ranked": of, "district_mean": district_mean,
            "district_mean_exact": mean_exact, "ranking": ranking,
            "insufficient": insufficient, "interview": interview, "national": nat}


# ---------------------------------------------------------------------------------------------
# Periods (issue 14): the city-ranking rule (环办监测〔2018〕19号) on stations or units
# ---------------------------------------------------------------------------------------------

def period_min_days(date_from: dt.date, date_to: dt.date) -> int:
    """Valid days a pollutant needs: a whole month 27 (February 25), a whole year 324 (HJ 663-2013),
    another span its share of the year's, ceil(days * 324 / 365)."""
    days = (date_to - date_from).days + 1
    month_end = (date_to + dt.timedelta(days=1)).day == 1
    if date_from.day == 1 and month_end and (date_from.year, date_from.month) == (date_to.year, date_to.month):
        return 25 if date_from.month == 2 else 27
    if (date_from.month, date_from.day) == (1, 1) and (date_to.month, date_to.day) == (12, 31) \
            and date_from.year == date_to.year:
        return 324
    return math.ceil(F(days * 324, 365))


def percentile_hj663(values, p):
    """HJ 663-2013: X sorted ascending, k = 1 + (n - 1) p / 100, s = floor(k),
    X_s + (X_(s+1) - X_s)(k - s), positions from 1."""
    xs = sorted(values)
    n = len(xs)
    k = 1 + F(n - 1) * F(p) / 100
    s = math.floor(k)
    if s >= n:
        return xs[-1]
    return xs[s - 1] + (xs[s] - xs[s - 1]) * (k - s)


def assess_period(ds: Dataset, date_from: dt.date, date_to: dt.date, pollutants=DEFAULT_COMPOSITE,
                  by_unit=False, weights=None, pin="auto", min_days=None):
    """Every subject's period values: {key: {...}} for stations, or units (the mean of the valid
    member stations' published daily values, day by day).  Concentrations: period means, CO the
    95th and O3 the 90th percentile of the daily values, published like daily values; valid with
    at least min_days valid days; sub-indices C/S over the annual limits in force on the last
    day; composite the weighted sum, half-to-even to 2 decimals."""
    weights = weights or {}
    limits = standards_for(date_to, pin)[1]
    need = min_days if min_days is not None else period_min_days(date_from, date_to)
    days = []
    d = date_from
    while d <= date_to:
        days.append(compute_day(ds, d, pin=pin))
        d += dt.timedelta(days=1)
    subjects = {}
    for code in sorted(ds.stations):
        st = ds.stations[code]
        if st.kind != "micro" or not st.active:
            continue
        key = (st.unit or "") if by_unit else code
        subjects.setdefault(key, []).append(code)
    out = {}
    for key, members in subjects.items():
        series = {p: [] for p in POLLUTANTS}
        aqis = []
        for day in days:
            for p in POLLUTANTS:
                vals = [day["stations"][c]["pub"][p] for c in members
                        if c in day["stations"] and day["stations"][c]["pub"][p] is not None]
                if vals:
                    series[p].append(sum(vals, F(0)) / len(vals))
            a = [F(day["stations"][c]["aqi"]) for c in members
                 if c in day["stations"] and day["stations"][c]["aqi"] is not None]
            if a:
                aqis.append(sum(a, F(0)) / len(a))
        conc, valid = {}, {}
        for p in POLLUTANTS:
            xs = series[p]
            if not xs:
                conc[p] = None
                valid[p] = False
                continue
            v = percentile_hj663(xs, 95 if p == "co" else 90) if p in ("co", "o3") else sum(xs, F(0)) / len(xs)
            conc[p] = round_half_even(v, PUB_DECIMALS[p])
            valid[p] = len(xs) >= need
        sub = {p: conc[p] / COMPOSITE_S_BY[limits][p] for p in POLLUTANTS if valid[p]}
        composite = None
        if all(valid[p] for p in pollutants):
            composite = round_half_even(sum((F(weights.get(p, 1)) * sub[p] for p in pollutants), F(0)), 2)
        out[key] = {"key": key, "members": members, "conc": conc, "valid": valid,
                    "valid_days": {p: len(series[p]) for p in POLLUTANTS}, "sub_indices": sub,
                    "composite": composite,
                    "aqi_mean": round_half_even(sum(aqis, F(0)) / len(aqis), 0) if aqis and len(aqis) >= need else None,
                    "good_days": sum(1 for a in aqis if a <= 100)}
    return {"limits": limits, "min_days": need, "subjects": out}


def period_metric(v: dict, metric: str):
    if metric == "composite":
        return v["composite"]
    if metric in ("pm25", "pm10"):
        return v["conc"][metric] if v["valid"][metric] else None
    if metric == "aqi":
        return v["aqi_mean"]
    raise ValueError(metric)


def rank_period(assessed: dict, metric="composite", baseline: dict | None = None):
    """Competition ranking of the subjects, lower first; ties by the other PM (missing last),
    then key. Change metrics (metric_change) rank (now - base) / base * 100, 1 decimal."""
    change = metric.endswith("_change")
    base_metric = metric[:-7] if change else metric
    dec = 1 if change else METRIC_DECIMALS[base_metric]
    other = "pm25" if base_metric == "pm10" else "pm10"
    rows, insufficient, no_baseline = [], [], []
    for key, v in assessed["subjects"].items():
        now = period_metric(v, base_metric)
        value = now
        if change and now is not None:
            b = baseline["subjects"].get(key) if baseline else None
            bv = period_metric(b, base_metric) if b else None
            if bv is None or bv <= 0:
                no_baseline.append(key)
                continue
            value = round_half_even((now - bv) / bv * 100, 1)
        if value is None:
            insufficient.append(key)
            continue
        o = v["conc"][other] if v["valid"][other] else None
        rows.append((round_half_even(value, dec), o is None, o if o is not None else F(0), key))
    rows.sort()
    ranked, prev, rank = [], None, 0
    for i, (value, _, _, key) in enumerate(rows):
        if value != prev:
            rank = i + 1
            prev = value
        ranked.append({"key": key, "rank": rank, "value": value})
    return {"ranking": ranked, "insufficient": sorted(insufficient), "no_baseline": sorted(no_baseline)}


def interview_streaks(ds: Dataset, dates, metric="pm10", policy="separate", interview_count=3,
                      **kw):
    """{date: {station: consecutive_days}} over consecutive calendar `dates` (sorted)."""
    out, prev, prev_date = {}, {}, None
    for d in dates:
        day = compute_day(ds, d, **kw)
        cur = {}
        if day["has_readings"]:
            res = rank_day(day, metric, policy, interview_count)
            for e in res["interview"]:
                s = e["station"]
                cont = prev_date is not None and prev_date == d - dt.timedelta(days=1)
                cur[s] = (prev.get(s, 0) if cont else 0) + 1
        out[d] = cur
        prev, prev_date = cur, d
    return out


def cut_tie(res: dict, interview_count: int = 3) -> bool:
    """True when the interview cut falls inside a tie (more rows listed than the count)."""
    return len(res["interview"]) > interview_count


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

def _jn(x, decimals=None):
    return to_json_number(x, decimals)


def to_json(day: dict, res: dict, details: bool = True):
    """A JSON-ready dict resembling GET /api/v1/ranking/{date} (+ per-station details)."""
    dec = METRIC_DECIMALS[res["metric"]]

    def row_json(r):
        d = {k: r[k] for k in ("rank", "station", "name", "unit", "level", "category", "color",
                               "primary_pollutants", "valid_hours", "interview", "aqi")}
        d["value"] = _jn(r["value"], dec)
        d["pm25"] = _jn(r["pm25"])
        d["pm10"] = _jn(r["pm10"])
        d["composite"] = _jn(r["composite"], 2)
        d["pct_above_mean"] = _jn(r["pct_above_mean"], 1)
        return d

    out = {
        "date": res["date"].isoformat(), "timezone": str(day["tz"]), "metric": res["metric"],
        "policy": res["policy"], "final": res["final"], "hours_elapsed": res["hours_elapsed"],
        "rule_version": res["rule_version"], "stations_ranked": res["stations_ranked"],
        "district_mean": _jn(res["district_mean"], dec),
        "district_mean_exact": dec_str(res["district_mean_exact"]),
        "ranking": [row_json(r) for r in res["ranking"]],
        "insufficient": [{"station": r["station"], "name": r["name"], "unit": r["unit"],
                          "valid_hours": r["valid_hours"]} for r in res["insufficient"]],
        "interview": [dict(e, value=_jn(e["value"], dec),
                           district_mean=_jn(e["district_mean"], dec),
                           pct_above_mean=_jn(e["pct_above_mean"], 1)) for e in res["interview"]],
        "national": res["national"],
    }
    if details:
        st = {}
        for code, sd in day["stations"].items():
            st[code] = {
                "readings": sd["readings"],
                "valid_hours": sd["valid_hours"],
                "need_hours": sd["need_hours"],
                "o3_valid_windows": sd["o3_valid_windows"],
                "need_o3_windows": sd["need_o3_windows"],
                "daily_mean_exact": {p: dec_str(sd["mean"][p]) for p in POLLUTANTS},
                "valid": sd["valid"],
                "published": {p: _jn(sd["pub"][p], PUB_DECIMALS[p]) for p in POLLUTANTS},
                "o3_1h_max": _jn(sd["o3_1h_max_pub"]),
                "iaqi": {p: {"iaqi": v[0], "above_scale": v[1], "table": v[2]}
                         for p, v in sd["iaqi"].items()},
                "aqi": sd["aqi"], "level": sd["level"], "category": sd["category"],
                "color": sd["color"], "primary_pollutants": sd["primary_pollutants"],
                "above_scale": sd["above_scale"],
                "composite": _jn(sd["composite"], 2),
                "composite_exact": dec_str(sd["composite_exact"]),
            }
        out["stations"] = st
    return out


def format_text(day: dict, res: dict) -> str:
    dec = METRIC_DECIMALS[res["metric"]]
    f = lambda x, d=0: "-" if x is None else dec_str(x, d)
    lines = []
    lines.append(f"date {res['date']}  metric {res['metric']}  policy {res['policy']}  "
                 f"{'final' if res['final'] else 'provisional'}  hours_elapsed "
                 f"{res['hours_elapsed']}  rule {res['rule_version']}")
    lines.append("per-station daily values (published; '-' = not valid)")
    lines.append(f"  {'station':<14}{'pm25':>6}{'pm10':>6}{'so2':>5}{'no2':>5}{'co':>6}"
                 f"{'o3_8h':>6}{'o3max':>6}{'aqi':>5} {'lvl':>3} {'cat':<6}{'comp':>7}  "
                 f"hours pm25/pm10/so2/no2/co/o3  o3win  primary")
    for code, sd in day["stations"].items():
        p = sd["pub"]
        vh = sd["valid_hours"]
        lines.append(
            f"  {code:<14}{f(p['pm25']):>6}{f(p['pm10']):>6}{f(p['so2']):>5}{f(p['no2']):>5}"
            f"{f(p['co'], 1):>6}{f(p['o3']):>6}{f(sd['o3_1h_max_pub']):>6}"
            f"{'-' if sd['aqi'] is None else sd['aqi']:>5} {sd['level'] or '-':>3} "
            f"{(sd['category'] or '-'):<{6 - sum(1 for ch in (sd['category'] or '') if ord(ch) > 127)}}"
            f"{f(sd['composite'], 2):>7}  "
            f"{vh['pm25']}/{vh['pm10']}/{vh['so2']}/{vh['no2']}/{vh['co']}/{vh['o3']}"
            f"{'':<4}{sd['o3_valid_windows']:>2}  {','.join(sd['primary_pollutants'])}"
            + ("  ABOVE-SCALE" if sd["above_scale"] else "") + (
                f"  [{day['meta'][code].kind}]" if day['meta'][code].kind != "micro" else ""))
    lines.append(f"ranking by {res['metric']}: {res['stations_ranked']} ranked, district mean "
                 f"{f(res['district_mean'], dec)} (exact {dec_str(res['district_mean_exact'])})")
    for r in res["ranking"]:
        lines.append(f"  {r['rank']:>3}  {r['station']:<14}{f(r['value'], dec):>8}  "
                     f"pm25 {f(r['pm25']):>4} pm10 {f(r['pm10']):>4}  hours {r['valid_hours']:>2}"
                     f"  {f(r['pct_above_mean'], 1):>6}%" + ("  *interview" if r["interview"] else ""))
    if res["policy"] == "separate":
        lines.append("insufficient: " + (", ".join(
            f"{r['station']} ({r['valid_hours']} h)" for r in res["insufficient"]) or "none"))
    lines.append("interview list (worst first): " + (", ".join(
        f"{e['station']} rank {e['rank']}/{e['of']} value {f(e['value'], dec)} "
        f"({e['reason']})" for e in res["interview"]) or "none")
        + ("  [tie at the cut]" if cut_tie(res) else ""))
    if res["national"]:
        lines.append("national: " + ", ".join(
            f"{n['station']} pm25 {n['pm25']} pm10 {n['pm10']} aqi {n['aqi']}"
            for n in res["national"]))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------

def _date(s):
    return dt.date.fromisoformat(s)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_argument_group("input")
    src.add_argument("--data", help="PRSA directory (with PRSA/*.csv or *.csv, stations.csv)")
    src.add_argument("--readings", help="JSON file of readings as posted to /api/v1/readings")
    src.add_argument("--stations", help="JSON file {code: {name, kind, unit, interval_s}}")
    ap.add_argument("--date", type=_date, help="local day YYYY-MM-DD")
    ap.add_argument("--metric", choices=METRICS, default="pm10")
    ap.add_argument("--policy", choices=("separate", "worst"), default="separate")
    ap.add_argument("--min-hours", type=int, default=DEFAULT_MIN_HOURS)
    ap.add_argument("--interview-count", type=int, default=3)
    ap.add_argument("--composite", default=",".join(DEFAULT_COMPOSITE),
                    help="composite pollutants (default pm25,pm10)")
    ap.add_argument("--aqi-requires", choices=("any", "reported"), default="reported",
                    help="daily AQI from any valid pollutant (default), or only when every "
                         "pollutant reported that day is valid")
    ap.add_argument("--now", help="RFC 3339 'now' (provisional day, like AQRANK_NOW)")
    ap.add_argument("--national", help="station code of the national point (not ranked)")
    ap.add_argument("--timezone", default=DEFAULT_TZ)
    ap.add_argument("--no-ranges", action="store_true",
                    help="keep values outside the SPEC section 1 ranges")
    ap.add_argument("--json", action="store_true", help="JSON output")
    ap.add_argument("--brief", action="store_true", help="JSON without per-station details")
    ap.add_argument("--interpretations", action="store_true",
                    help="print the reference's interpretations of the SPEC and exit")
    a = ap.parse_args(argv)
    if a.interpretations:
        print(INTERPRETATIONS)
        return 0
    if not a.date or not (a.data or a.readings):
        ap.error("--date and --data (or --readings) are required")
    comp = tuple(p.strip() for p in a.composite.split(",") if p.strip())
    for p in comp:
        if p not in POLLUTANTS:
            ap.error(f"unknown composite pollutant {p}")
    tz = get_tz(a.timezone)
    if a.data:
        # one day of margin either side: readings are placed by their local time
        ds = load_prsa(a.data, a.date - dt.timedelta(days=1), a.date + dt.timedelta(days=1),
                       apply_ranges=not a.no_ranges, national=a.national, tz=tz)
    else:
        ds = load_readings_json(a.readings, a.stations, tz=tz)
        if a.national and a.national in ds.stations:
            ds.stations[a.national].kind = "national"
    now = parse_rfc3339(a.now) if a.now else None
    day = compute_day(ds, a.date, now=now, min_hours=a.min_hours, composite=comp,
                      aqi_requires=a.aqi_requires)
    res = rank_day(day, a.metric, a.policy, a.interview_count)
    if a.json:
        print(json.dumps(to_json(day, res, details=not a.brief), ensure_ascii=False, indent=1))
    else:
        print(format_text(day, res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
