#!/usr/bin/env python3
"""beijing_replay - post the PRSA Beijing hourly data to a running aqrankd (SPEC section 6).

    python3 tests/tools/beijing_replay.py --url http://127.0.0.1:8080 --admin-token T \\
        --data DIR [--from YYYY-MM-DD --to YYYY-MM-DD] [--national CODE] [--batch 1000]

DIR holds the PRSA CSV files (DIR/PRSA/*.csv or DIR/*.csv) and stations.csv (DIR or its
parent).  Each station is registered with PUT /api/v1/stations/{code} (200 and 201 alike), then
the readings are POSTed to /api/v1/readings in arrays of up to --batch objects, in time order
across stations, with the admin token.

A reading is one CSV row: {"station", "observed_at": "YYYY-MM-DDTHH:00:00+08:00", "pm25",
"pm10", "so2", "no2", "co" (mg/m3 = CSV ug/m3 / 1000), "o3", "temperature" (TEMP),
"pressure" (PRES), "wind_speed" (WSPM), "wind_direction" (16-point compass -> degrees)}.
NA fields are omitted; rows whose six pollutants are all NA are skipped; values outside the
SPEC section 1 ranges are dropped field by field (counted).  Numbers go out as the CSV text
(CO by moving the decimal point), never re-formatted through a float.

Exit status: 0 when every reply was 2xx; 1 on any other reply (its body is printed) or a
connection failure; 2 on bad arguments or data.

Importable: iter_readings(), row_to_reading(), reading_json(), station_bodies() for tests.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import glob
import heapq
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from decimal import Decimal, InvalidOperation

DEFAULT_UNIT = "北京市环境监测中心"

# (JSON field, CSV column); CO is converted ug/m3 -> mg/m3.
FIELDS = (("pm25", "PM2.5"), ("pm10", "PM10"), ("so2", "SO2"), ("no2", "NO2"), ("co", "CO"),
          ("o3", "O3"), ("temperature", "TEMP"), ("pressure", "PRES"), ("wind_speed", "WSPM"))
POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co", "o3")

# SPEC section 1 accepted ranges (inclusive), in the API's units.
RANGES = {
    "pm25": (Decimal(0), Decimal(2000)), "pm10": (Decimal(0), Decimal(5000)),
    "so2": (Decimal(0), Decimal(10000)), "no2": (Decimal(0), Decimal(10000)),
    "o3": (Decimal(0), Decimal(10000)), "co": (Decimal(0), Decimal(200)),
    "temperature": (Decimal(-60), Decimal(70)), "humidity": (Decimal(0), Decimal(100)),
    "pressure": (Decimal(300), Decimal(1100)), "wind_speed": (Decimal(0), Decimal(100)),
    "wind_direction": (Decimal(0), Decimal(360)),
}

COMPASS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
           "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")
WIND_DEGREES = {name: i * Decimal("22.5") for i, name in enumerate(COMPASS)}

_JSON_NUMBER = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")


class RawNumber(str):
    """A number kept as its decimal text; written into JSON unquoted."""


def _plain(d: Decimal) -> str:
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s


def number_text(text: str, scale: int = 0) -> tuple[RawNumber, Decimal]:
    """(JSON number text, exact value) of a CSV number, divided by 10**scale by moving the
    decimal point.  Text that is already a valid JSON number is kept verbatim when scale is
    0; anything else ('5.', '.5', '+1') is rewritten exactly via Decimal.  Raises ValueError."""
    t = text.strip()
    try:
        d = Decimal(t)
    except InvalidOperation:
        raise ValueError(f"not a number: {text!r}") from None
    if not d.is_finite():
        raise ValueError(f"not a finite number: {text!r}")
    if scale:
        d = d.scaleb(-scale)
        return RawNumber(_plain(d)), d
    if _JSON_NUMBER.match(t):
        return RawNumber(t), d
    return RawNumber(_plain(d)), d


class Stats:
    """Counters of what the reader kept and dropped."""

    def __init__(self):
        self.rows = 0
        self.readings = 0
        self.skipped_all_na = 0
        self.out_of_range = Counter()  # field -> count
        self.bad_number = Counter()
        self.unknown_wind = Counter()
        self.out_of_window = 0

    def summary(self) -> str:
        oor = sum(self.out_of_range.values())
        s = (f"rows {self.rows}, readings {self.readings}, skipped (all six pollutants NA) "
             f"{self.skipped_all_na}, values out of range skipped {oor}")
        if oor:
            s += " (" + ", ".join(f"{k} {v}" for k, v in sorted(self.out_of_range.items())) + ")"
        if self.bad_number:
            s += f", unparseable values skipped {sum(self.bad_number.values())}"
        if self.unknown_wind:
            s += f", unknown wind directions {dict(self.unknown_wind)}"
        return s


def prsa_files(data_dir: str) -> list[str]:
    d = os.path.join(data_dir, "PRSA") if os.path.isdir(os.path.join(data_dir, "PRSA")) else data_dir
    files = sorted(glob.glob(os.path.join(d, "PRSA_Data_*.csv")))
    if not files:
        files = [f for f in sorted(glob.glob(os.path.join(d, "*.csv")))
                 if os.path.basename(f) != "stations.csv"]
    return files


def read_stations_csv(data_dir: str) -> dict[str, dict]:
    """stations.csv rows by PRSA station name (lower-cased column names)."""
    for cand in (os.path.join(data_dir, "stations.csv"),
                 os.path.join(os.path.dirname(os.path.abspath(data_dir)), "stations.csv")):
        if os.path.exists(cand):
            with open(cand, newline="", encoding="utf-8-sig") as fh:
                rows = [{k.lower(): v for k, v in r.items()} for r in csv.DictReader(fh)]
            return {r["station"]: r for r in rows}
    return {}


def station_bodies(data_dir: str, national: str | None = None, unit: str = DEFAULT_UNIT,
                   codes=None) -> dict[str, dict]:
    """{code: PUT /api/v1/stations/{code} body} for the stations that have a CSV file."""
    meta = read_stations_csv(data_dir)
    out = {}
    for path in prsa_files(data_dir):
        code = station_of_file(path)
        if codes and code not in codes:
            continue
        m = meta.get(code, {})
        body = {"name": m.get("cnemc_name") or code,
                "kind": "national" if code == national else "micro"}
        for k in ("lat", "lon"):
            if m.get(k):
                body[k] = number_text(m[k])[0]
        body["unit"] = unit
        body["interval_s"] = 3600
        out[code] = body
    if national and national not in out:
        raise ValueError(f"--national {national}: no such station in {data_dir}")
    return out


def station_of_file(path: str) -> str:
    with open(path, newline="", encoding="utf-8") as fh:
        rd = csv.DictReader(fh)
        for row in rd:
            if row.get("station"):
                return row["station"]
            break
    return os.path.basename(path).split("_")[2]


def row_to_reading(row: dict, code: str, stats: Stats | None = None) -> dict | None:
    """One PRSA CSV row (csv.DictReader dict) -> reading object, or None when no pollutant."""
    stats = stats if stats is not None else Stats()
    stats.rows += 1
    y, mo, d, h = int(row["year"]), int(row["month"]), int(row["day"]), int(row["hour"])
    r = {"station": code,
         "observed_at": f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:00:00+08:00"}
    if all(row[col].strip() in ("NA", "") for _, col in FIELDS[:6]):
        stats.skipped_all_na += 1
        return None
    for field, col in FIELDS:
        t = row[col].strip()
        if t in ("NA", ""):
            continue
        try:
            raw, val = number_text(t, 3 if field == "co" else 0)
        except ValueError:
            stats.bad_number[field] += 1
            continue
        lo, hi = RANGES[field]
        if not (lo <= val <= hi):
            stats.out_of_range[field] += 1
            continue
        r[field] = raw
    wd = row.get("wd", "NA").strip()
    if wd not in ("NA", ""):
        if wd in WIND_DEGREES:
            r["wind_direction"] = RawNumber(_plain(WIND_DEGREES[wd]))
        else:
            stats.unknown_wind[wd] += 1
    if not any(p in r for p in POLLUTANTS):  # every pollutant dropped as out of range
        stats.skipped_all_na += 1
        return None
    stats.readings += 1
    return r


def _iter_file(path: str, date_from, date_to, stats: Stats, until: dt.datetime | None):
    code = None
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = code or row.get("station") or os.path.basename(path).split("_")[2]
            day = dt.date(int(row["year"]), int(row["month"]), int(row["day"]))
            if (date_from and day < date_from) or (date_to and day > date_to):
                continue
            if until is not None:
                t = dt.datetime(day.year, day.month, day.day, int(row["hour"]),
                                tzinfo=dt.timezone(dt.timedelta(hours=8)))
                if t > until:
                    stats.out_of_window += 1
                    continue
            r = row_to_reading(row, code, stats)
            if r is not None:
                yield r


def iter_readings(data_dir: str, date_from: dt.date | None = None,
                  date_to: dt.date | None = None, stats: Stats | None = None,
                  until: dt.datetime | None = None, codes=None):
    """Readings of every station, merged in time order (then by station code)."""
    stats = stats if stats is not None else Stats()
    its = []
    for path in prsa_files(data_dir):
        if codes and station_of_file(path) not in codes:
            continue
        its.append(_iter_file(path, date_from, date_to, stats, until))
    # observed_at strings all have the same +08:00 format, so they sort chronologically
    return heapq.merge(*its, key=lambda r: (r["observed_at"], r["station"]))


def _dump_value(v) -> str:
    if isinstance(v, RawNumber):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def reading_json(obj: dict) -> str:
    """JSON text of a flat object whose RawNumber values are written as bare numbers."""
    return "{" + ",".join(f"{json.dumps(k)}:{_dump_value(v)}" for k, v in obj.items()) + "}"


def batch_json(batch: list[dict]) -> str:
    return "[" + ",".join(reading_json(r) for r in batch) + "]"


def batches(iterable, size: int):
    batch = []
    for r in iterable:
        batch.append(r)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class ReplyError(Exception):
    def __init__(self, method, url, status, body):
        super().__init__(f"{method} {url} -> {status}")
        self.method, self.url, self.status, self.body = method, url, status, body


class Client:
    def __init__(self, base_url: str, token: str, timeout: float = 120):
        self.base = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(self, method: str, path: str, body: str):
        url = self.base + path
        req = urllib.request.Request(url, data=body.encode("utf-8"), method=method, headers={
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                status, data = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            raise ReplyError(method, url, e.code, e.read().decode("utf-8", "replace")) from None
        if not 200 <= status < 300:
            raise ReplyError(method, url, status, data.decode("utf-8", "replace"))
        return status, data


def replay(client: Client, data_dir: str, date_from=None, date_to=None, national=None,
           batch_size=1000, until=None, codes=None, out=None, dump=None):
    """Register the stations and post the readings; returns (totals, Stats)."""
    out = out if out is not None else sys.stdout
    totals = Counter()
    bodies = station_bodies(data_dir, national, codes=codes)
    for code, body in bodies.items():
        status, _ = client.request("PUT", "/api/v1/stations/" + urllib.parse.quote(code, safe=""),
                                   reading_json(body))
        totals["stations_created" if status == 201 else "stations_updated"] += 1
    stats = Stats()
    dump_fh = open(dump, "w", encoding="utf-8") if dump else None
    first = True
    try:
        if dump_fh:
            dump_fh.write("[\n")
        for batch in batches(iter_readings(data_dir, date_from, date_to, stats, until, codes),
                             batch_size):
            text = batch_json(batch)
            if dump_fh:
                for r in batch:
                    dump_fh.write(("" if first else ",\n") + reading_json(r))
                    first = False
            _, data = client.request("POST", "/api/v1/readings", text)
            try:
                reply = json.loads(data)
            except ValueError:
                reply = {}
            for k in ("accepted", "duplicates", "conflicts"):
                totals[k] += int(reply.get(k, 0))
            totals["requests"] += 1
            totals["posted"] += len(batch)
            if totals["requests"] % 50 == 0:
                print(f"  ... {totals['posted']} readings posted", file=out, flush=True)
        if dump_fh:
            dump_fh.write("\n]\n")
    finally:
        if dump_fh:
            dump_fh.close()
    totals["readings"] = stats.readings
    print(stats.summary(), file=out)
    return totals, stats


class _NoClient:
    def request(self, method, path, body):
        return (201 if method == "PUT" else 200), b'{"accepted": 0, "duplicates": 0, "conflicts": 0}'


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="daemon base URL, e.g. http://127.0.0.1:8080")
    ap.add_argument("--admin-token", help="AQRANK_ADMIN_TOKEN of the daemon")
    ap.add_argument("--data", required=True, help="PRSA directory")
    ap.add_argument("--from", dest="date_from", type=dt.date.fromisoformat)
    ap.add_argument("--to", dest="date_to", type=dt.date.fromisoformat)
    ap.add_argument("--until", help="RFC 3339: skip readings observed after this instant "
                                    "(e.g. the daemon's AQRANK_NOW)")
    ap.add_argument("--national", help="station code registered as kind national")
    ap.add_argument("--stations", help="comma-separated station codes (default: all)")
    ap.add_argument("--batch", type=int, default=1000, help="readings per POST (1..5000)")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--dry-run", action="store_true", help="read and count, post nothing")
    ap.add_argument("--dump", help="also write every reading to this JSON file")
    a = ap.parse_args(argv)
    if not 1 <= a.batch <= 5000:
        ap.error("--batch must be 1..5000")
    if not a.dry_run and not (a.url and a.admin_token):
        ap.error("--url and --admin-token are required (or --dry-run)")
    until = None
    if a.until:
        until = dt.datetime.fromisoformat(a.until.replace("Z", "+00:00"))
        if until.tzinfo is None:
            ap.error("--until needs an explicit offset")
    codes = set(a.stations.split(",")) if a.stations else None
    if not prsa_files(a.data):
        print(f"beijing_replay: no PRSA CSV files in {a.data}", file=sys.stderr)
        return 2
    client = _NoClient() if a.dry_run else Client(a.url, a.admin_token, a.timeout)
    try:
        totals, stats = replay(client, a.data, a.date_from, a.date_to, a.national, a.batch,
                               until, codes, dump=a.dump)
    except ReplyError as e:
        print(f"beijing_replay: {e}\n{e.body}", file=sys.stderr)
        return 1
    except urllib.error.URLError as e:
        print(f"beijing_replay: cannot reach {a.url}: {e.reason}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as e:
        print(f"beijing_replay: {e}", file=sys.stderr)
        return 2
    print(f"stations: {totals['stations_created']} created, {totals['stations_updated']} "
          f"updated")
    print(f"readings: {totals['posted']} posted in {totals['requests']} requests; accepted "
          f"{totals['accepted']}, duplicates {totals['duplicates']}, conflicts "
          f"{totals['conflicts']}" + (" (dry run)" if a.dry_run else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
