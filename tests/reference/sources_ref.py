#!/usr/bin/env python3
"""sources_ref - an independent reference of where a national point's pollution comes from
(issue 17): the concentration-weighted pollution rose with its conditional means and CPF, and
each ring station's bearing, upwind hours, excess over the ring median and lagged correlation.

Written from the method as docs/domain-rules.md ("Sources") and the literature state it, in
plain Python (standard library only), straight from the PRSA CSV files - not from the C code:

* An hour of a station is one CSV row (the PRSA data are hourly, one reading per hour). A row
  is a reading only when one of its six pollutants is present and in the SPEC section 1 range
  (a reading must carry a pollutant); its wind then comes with it.
* Wind: WSPM (m/s) and wd (16-point compass, the direction the wind blows from). Calm below
  0.5 m/s (no direction needed); otherwise the hour needs a direction.
* Sectors: 16 of 22.5 degrees, sector k centred on 22.5 k. Speed classes above calm:
  [0.5, 2), [2, 4), [4, 6), >= 6 m/s.
* Rose of pollutant C at the point over the hours with both C and wind: per sector hours,
  sum, conditional mean (sum / hours), share of the window's total sum, CPF = hours with
  C >= P75 / hours (Ashbaugh et al. 1985; P75 by linear interpolation between order
  statistics, Hyndman & Fan type 7); calm hours apart; dominant sector = largest sum.
* Ring: micro stations within the radius (great circle, R = 6371.0088 km); bearing = initial
  great-circle bearing from the point. Upwind in an hour: not calm and the bearing within
  22.5 degrees of the wind direction. Excess over the ring median (median of the ring's values
  that hour) over the upwind hours where the station and the median have values; Pearson r of
  the station at t with the point at t + lag, lag 0..3, at least 6 pairs.

    import sources_ref as sr
    ds = sr.load("tests/data/beijing")
    hours = sr.hour_range(datetime(2015, 12, 1, tzinfo=sr.BEIJING), 744)
    rose = sr.rose(ds, "Dongsi", hours, "pm10")
    ring = sr.ring(ds, "Dongsi", hours, "pm10", radius_km=8)
"""

from __future__ import annotations

import csv
import datetime as dt
import glob
import math
import os

BEIJING = dt.timezone(dt.timedelta(hours=8))
COMPASS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
           "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"]
CALM = 0.5
SPEED_EDGES = (0.5, 2.0, 4.0, 6.0)
UPWIND = 22.5
MAX_LAG = 3
MIN_PAIRS = 6
EARTH_KM = 6371.0088
# SPEC section 1 ranges of the six pollutants in CSV units (CO in ug/m3 here: 0-200 mg/m3).
RANGES = {"PM2.5": 2000, "PM10": 5000, "SO2": 10000, "NO2": 10000, "CO": 200000, "O3": 10000}
COLUMNS = {"pm25": "PM2.5", "pm10": "PM10"}


def _number(text):
    text = text.strip()
    if text in ("", "NA"):
        return None
    return float(text)


def load(data_dir):
    """{"stations": {name: (lat, lon)}, "hours": {name: {datetime: row}}} of a PRSA folder.
    row = {"pm25", "pm10", "ws", "wd"} (None when missing)."""
    prsa = os.path.join(data_dir, "PRSA") if os.path.isdir(os.path.join(data_dir, "PRSA")) else data_dir
    stations = {}
    with open(os.path.join(data_dir, "stations.csv"), newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            stations[r["station"]] = (float(r["lat"]), float(r["lon"]))
    hours = {}
    for path in sorted(glob.glob(os.path.join(prsa, "PRSA_Data_*.csv"))):
        with open(path, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                values = {c: _number(r[c]) for c in RANGES}
                if not any(v is not None and 0 <= v <= RANGES[c] for c, v in values.items()):
                    continue  # not a reading
                t = dt.datetime(int(r["year"]), int(r["month"]), int(r["day"]), int(r["hour"]), tzinfo=BEIJING)
                wd = r["wd"].strip()
                row = {k: (values[c] if values[c] is not None and 0 <= values[c] <= RANGES[c] else None)
                       for k, c in COLUMNS.items()}
                row["ws"] = _number(r["WSPM"])
                row["wd"] = COMPASS.index(wd) * 22.5 if wd in COMPASS else None
                hours.setdefault(r["station"], {})[t] = row
    return {"stations": stations, "hours": hours}


def hour_range(start, n):
    return [start + dt.timedelta(hours=i) for i in range(n)]


def wind(row):
    """(speed, direction or None for calm), or None when the hour has no usable wind."""
    if row is None or row["ws"] is None:
        return None
    if row["ws"] < CALM:
        return (row["ws"], None)
    if row["wd"] is None:
        return None
    return (row["ws"], row["wd"])


def sector(deg):
    return int(((deg + 11.25) % 360.0) // 22.5) % 16


def speed_class(ws):
    k = 0
    for i, edge in enumerate(SPEED_EDGES):
        if ws >= edge:
            k = i
    return k


def percentile(values, p):
    v = sorted(values)
    if not v:
        return None
    h = (len(v) - 1) * p / 100.0
    lo = math.floor(h)
    if lo >= len(v) - 1:
        return v[-1]
    return v[lo] + (h - lo) * (v[lo + 1] - v[lo])


def series(ds, code, hours, pollutant):
    rows = ds["hours"].get(code, {})
    return [rows[t][pollutant] if t in rows else None for t in hours]


def winds(ds, code, hours):
    rows = ds["hours"].get(code, {})
    return [wind(rows.get(t)) for t in hours]


def rose(ds, code, hours, pollutant, wind_code=None):
    """The rose as the API shows it, unrounded."""
    c = series(ds, code, hours, pollutant)
    w = winds(ds, wind_code or code, hours)
    used = [(x, wi) for x, wi in zip(c, w) if x is not None and wi is not None]
    total = sum(x for x, _ in used)
    threshold = percentile([x for x, _ in used], 75)
    sectors = [{"hours": 0, "sum": 0.0, "high": 0, "speed": [[0, 0.0] for _ in SPEED_EDGES]} for _ in range(16)]
    calm_hours, calm_sum = 0, 0.0
    for x, (ws, wd) in used:
        if wd is None:
            calm_hours += 1
            calm_sum += x
            continue
        s = sectors[sector(wd)]
        s["hours"] += 1
        s["sum"] += x
        s["high"] += x >= threshold
        cell = s["speed"][speed_class(ws)]
        cell[0] += 1
        cell[1] += x
    out = {"hours": len(used), "total": total, "cpf_threshold": threshold,
           "calm": {"hours": calm_hours, "mean": calm_sum / calm_hours if calm_hours else None,
                    "share": calm_sum / total if total else None},
           "sectors": []}
    for k, s in enumerate(sectors):
        out["sectors"].append({
            "sector": COMPASS[k], "hours": s["hours"],
            "mean": s["sum"] / s["hours"] if s["hours"] else None,
            "share": s["sum"] / total if total else None,
            "cpf": s["high"] / s["hours"] if s["hours"] else None,
            "speed": [{"hours": h, "share": v / total if total else None} for h, v in s["speed"]]})
    best = None
    for k, s in enumerate(sectors):
        if s["hours"] and (best is None or s["sum"] > sectors[best]["sum"]):
            best = k
    out["dominant_sector"] = COMPASS[best] if best is not None else None
    return out


def distance_km(a, b):
    (la1, lo1), (la2, lo2) = a, b
    p1, p2 = math.radians(la1), math.radians(la2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lo2 - lo1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def bearing(a, b):
    (la1, lo1), (la2, lo2) = a, b
    p1, p2, dl = math.radians(la1), math.radians(la2), math.radians(lo2 - lo1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def angle(a, b):
    d = abs(a - b) % 360.0
    return 360.0 - d if d > 180.0 else d


def pearson(x, y, lag):
    pairs = [(x[t], y[t + lag]) for t in range(len(x) - lag) if x[t] is not None and y[t + lag] is not None]
    if len(pairs) < MIN_PAIRS:
        return None, len(pairs)
    mx = sum(a for a, _ in pairs) / len(pairs)
    my = sum(b for _, b in pairs) / len(pairs)
    sxy = sum((a - mx) * (b - my) for a, b in pairs)
    sxx = sum((a - mx) ** 2 for a, _ in pairs)
    syy = sum((b - my) ** 2 for _, b in pairs)
    if sxx <= 0 or syy <= 0:
        return None, len(pairs)
    return sxy / math.sqrt(sxx * syy), len(pairs)


def median(values):
    v = sorted(values)
    n = len(v)
    if n == 0:
        return None
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def ring(ds, code, hours, pollutant, radius_km, national=(), wind_code=None):
    """{station: evidence} of the micro stations (every station but the national ones) within
    radius_km of code."""
    here = ds["stations"][code]
    members = sorted(s for s in ds["hours"] if s != code and s not in national
                     and distance_km(here, ds["stations"][s]) <= radius_km)
    point = series(ds, code, hours, pollutant)
    w = winds(ds, wind_code or code, hours)
    values = {s: series(ds, s, hours, pollutant) for s in members}
    medians = [median([values[s][t] for s in members if values[s][t] is not None]) for t in range(len(hours))]
    directional = sum(1 for wi in w if wi is not None and wi[1] is not None)
    out = {}
    for s in members:
        b = bearing(here, ds["stations"][s])
        x = values[s]
        up = [t for t in range(len(hours)) if x[t] is not None and medians[t] is not None and w[t] is not None
              and w[t][1] is not None and angle(b, w[t][1]) <= UPWIND]
        diff = sum(x[t] - medians[t] for t in up)
        base = sum(medians[t] for t in up)
        rs = [pearson(x, point, lag) for lag in range(MAX_LAG + 1)]
        best = None
        for lag, (r, _) in enumerate(rs):
            if r is not None and (best is None or r > rs[best][0]):
                best = lag
        out[s] = {"bearing_deg": b, "distance_km": distance_km(here, ds["stations"][s]),
                  "sector": COMPASS[sector(b)], "valid_hours": sum(1 for v in x if v is not None),
                  "upwind_hours": len(up), "upwind_share": len(up) / directional if directional else 0.0,
                  "excess_ugm3": diff / len(up) if up else None,
                  "excess_pct": diff / base * 100 if up and base > 0 else None,
                  "correlation": [{"lag_h": lag, "r": r, "pairs": n} for lag, (r, n) in enumerate(rs)],
                  "best_lag_h": best, "best_r": rs[best][0] if best is not None else None}
        e = out[s]
        r_pos = max(e["best_r"] or 0.0, 0.0)
        e["score"] = r_pos * e["upwind_share"] * max(e["excess_ugm3"] or 0.0, 0.0)
    return out
