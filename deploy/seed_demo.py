#!/usr/bin/env python3
"""Seeds the demo stations through the HTTP API, loads 30 days of history plus today so far
(real hourly PM2.5/PM10 of the committed Beijing sample, December 2015, moved onto recent
dates), and prints the tokens and three curl commands to try.
Usage: seed_demo.py BASE_URL ADMIN_TOKEN STATIONS_JSON   (AQ_DEMO_DATA=0 skips the history)"""
import csv
import datetime
import glob
import json
import os
import sys
import urllib.request
import zoneinfo


def call(base, method, path, token, body=None):
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)


def history(stations, zone):
    """Readings of the last 30 days and of today's hours so far, one station per PRSA file."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "beijing", "PRSA")
    files = sorted(glob.glob(os.path.join(root, "*.csv")))
    now = datetime.datetime.now(zone)
    today = now.date()
    readings = []
    for station, path in zip(stations, files):
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                day = today - datetime.timedelta(days=31 - int(row["day"]))
                at = datetime.datetime(day.year, day.month, day.day, int(row["hour"]), tzinfo=zone)
                if at > now:
                    continue
                r = {"station": station["code"], "observed_at": at.isoformat()}
                for field, col in (("pm25", "PM2.5"), ("pm10", "PM10")):
                    if row[col] != "NA" and 0 <= float(row[col]) <= (2000 if field == "pm25" else 5000):
                        r[field] = float(row[col])
                if len(r) > 2:
                    readings.append(r)
    return readings


def main():
    base, admin, path = sys.argv[1:4]
    stations = json.load(open(path, encoding="utf-8"))
    tokens = {}
    for s in stations:
        code = s["code"]
        body = {k: v for k, v in s.items() if k != "code"}
        reply = call(base, "PUT", "/api/v1/stations/" + code, admin, body)
        # A station that already existed keeps its token secret: issue a fresh one for the demo.
        tokens[code] = reply.get("token") or call(base, "POST", f"/api/v1/stations/{code}/token", admin)["token"]
    if os.environ.get("AQ_DEMO_DATA", "1") != "0":
        zone = zoneinfo.ZoneInfo(os.environ.get("AQRANK_TIMEZONE", "Asia/Shanghai"))
        readings = history(stations, zone)
        totals = {"accepted": 0, "duplicates": 0}
        for i in range(0, len(readings), 5000):
            reply = call(base, "POST", "/api/v1/readings", admin, readings[i:i + 5000])
            for k in totals:
                totals[k] += reply[k]
        print(f"Demo history: {len(readings)} hourly readings of the last 30 days and today "
              f"(real Beijing data of December 2015, moved onto recent dates): "
              f"{totals['accepted']} new, {totals['duplicates']} already there.\n")
    print("Demo stations (token shown once; rotate with POST /api/v1/stations/{code}/token):")
    for s in stations:
        print(f"  {s['code']:7} {s['kind']:8} {s['name']}  token {tokens[s['code']]}")
    micro = next(s["code"] for s in stations if s["kind"] == "micro")
    zone = os.environ.get("AQRANK_TIMEZONE", "Asia/Shanghai")
    now = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).replace(microsecond=0).isoformat()
    print("\nTry:")
    print(f"  curl -s -X POST {base}/api/v1/readings -H 'Authorization: Bearer {tokens[micro]}' \\\n"
          f"       -H 'Content-Type: application/json' -d '{{\"observed_at\": \"{now}\", \"pm25\": 61, \"pm10\": 118}}'")
    print(f"  curl -s '{base}/api/v1/stations/{micro}/readings'")
    print(f"  curl -s '{base}/api/v1/ranking/today'")
    print(f"\nAdmin token (var/admin-token): {admin}")


if __name__ == "__main__":
    main()
