#!/usr/bin/env python3
"""Seeds the demo stations through the HTTP API and prints their tokens and three curl
commands to try. Usage: seed_demo.py BASE_URL ADMIN_TOKEN STATIONS_JSON"""
import datetime
import json
import os
import zoneinfo
import sys
import urllib.request


def call(base, method, path, token, body=None):
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)


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
