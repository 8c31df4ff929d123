"""Contract behaviours that had no test of their own (issue 20): CORS over HTTP, the JSON log
format, a non-default time zone, interview count and composite pollutants end to end,
`above_scale` in the JSON, and a deactivated station leaving the live ranking.

One daemon runs with every non-default setting at once; each test looks at one of them, with
values computed by hand in the comments."""
import json
import unittest

from harness import ADMIN, PG_URL, Daemon, wait_for

ORIGIN = "https://dashboard.example"
NOW = "2017-12-07T10:30:00+00:00"   # the clock; the time zone is UTC
DAY = "2017-12-06"                   # a whole past day in UTC


def hourly(code, day, pm25, pm10, no2=None, tz="+00:00"):
    """24 hourly readings of one station on a day."""
    out = []
    for h in range(24):
        r = {"station": code, "observed_at": f"{day}T{h:02d}:00:00{tz}", "pm25": pm25, "pm10": pm10}
        if no2 is not None:
            r["no2"] = no2
        out.append(r)
    return out


@unittest.skipUnless(PG_URL, "needs the test cluster")
class NonDefaultSettingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(env={"AQRANK_NOW": NOW, "AQRANK_TIMEZONE": "UTC", "AQRANK_INTERVIEW_COUNT": "1",
                            "AQRANK_COMPOSITE_POLLUTANTS": "pm25,pm10,no2", "AQRANK_CORS_ORIGIN": ORIGIN,
                            "AQRANK_LOG_FORMAT": "json", "AQRANK_FINALIZE_QUIET": "100000"}).start()
        for code, lon in (("A", 116.40), ("B", 116.41), ("C", 116.42), ("D", 116.43)):
            cls.d.put_station(code, lat=39.93, lon=lon, name=f"站{code}", unit=f"{code}街道")
        readings = (hourly("A", DAY, 35, 70, 40) + hourly("B", DAY, 70, 140, 80) + hourly("C", DAY, 600, 700, 20)
                    + hourly("D", DAY, 50, 100))
        # Shanghai's 2017-12-07 02:00 is UTC's 2017-12-06 18:00: in UTC it belongs to the 6th.
        readings.append({"station": "D", "observed_at": "2017-12-07T02:30:00+08:00", "pm25": 50, "pm10": 100})
        cls.d.post_readings(readings)

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def day(self, metric="pm10", path=None):
        r = self.d.get(path or f"/api/v1/ranking/{DAY}?metric={metric}")
        self.assertEqual(r.status, 200, r)
        return r

    def test_time_zone(self):
        body = self.day().json
        self.assertEqual(body["timezone"], "UTC")
        # D's 24 hours plus the half-past reading of 18:00 UTC: 25 readings on UTC's 6th.
        hours = self.d.get(f"/api/v1/stations/D/hourly?date={DAY}").json["hours"]
        self.assertEqual(hours[18]["readings"], 2)
        self.assertEqual(hours[0]["start"], f"{DAY}T00:00:00Z")
        self.assertEqual(sum(h["readings"] for h in hours), 25)
        # In UTC the 7th has begun at 00:00 and holds nothing yet.
        today = self.d.get("/api/v1/ranking/today").json
        self.assertEqual((today["date"], today["hours_elapsed"], today["stations_ranked"]), ("2017-12-07", 11, 0))

    def test_interview_count_one(self):
        body = self.day().json
        # pm10 ranking: A 70, D 100, B 140, C 700 -> only the worst, C, is summoned.
        self.assertEqual([r["station"] for r in body["ranking"]], ["A", "D", "B", "C"])
        self.assertEqual([i["station"] for i in body["interview"]], ["C"])
        self.assertEqual([r["interview"] for r in body["ranking"]], [False, False, False, True])

    def test_composite_over_three_pollutants(self):
        body = self.day("composite").json
        got = {r["station"]: r["value"] for r in body["ranking"]}
        # A: 35/35 + 70/70 + 40/40 = 3.00; B: 70/35 + 140/70 + 80/40 = 6.00;
        # C: 600/35 + 700/70 + 20/40 = 17.142857 + 10 + 0.5 = 27.64 (half-to-even, 2 decimals).
        self.assertEqual(got, {"A": 3.0, "B": 6.0, "C": 27.64})
        # D reports no NO2: no composite, so it is insufficient under this metric.
        self.assertEqual([r["station"] for r in body["insufficient"]], ["D"])
        self.assertEqual(body["rule_version"].split("/")[0], "HJ633-2012")

    def test_above_scale(self):
        body = self.day("aqi").json
        c = next(r for r in body["ranking"] if r["station"] == "C")
        # PM2.5 600 is past the last breakpoint (500): IAQI 500, above the scale.
        self.assertEqual((c["aqi"], c["level"], c.get("above_scale")), (500, 6, True))
        a = next(r for r in body["ranking"] if r["station"] == "A")
        self.assertNotIn("above_scale", a)
        daily = self.d.get(f"/api/v1/stations/C/daily?from={DAY}&to={DAY}").json["days"][0]
        self.assertIs(daily["above_scale"], True)

    def test_cors(self):
        r = self.day()
        self.assertEqual(r.header("Access-Control-Allow-Origin"), ORIGIN)
        self.assertIn("ETag", r.header("Access-Control-Expose-Headers"))
        self.assertIn("Origin", r.header("Vary"))
        pre = self.d.request("OPTIONS", "/api/v1/readings",
                             headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                      "Access-Control-Request-Headers": "authorization, content-type"})
        self.assertEqual(pre.status, 204)
        self.assertEqual(pre.header("Access-Control-Allow-Origin"), ORIGIN)
        self.assertIn("POST", pre.header("Access-Control-Allow-Methods"))
        self.assertIn("Authorization", pre.header("Access-Control-Allow-Headers"))
        self.assertIn("Content-Type", pre.header("Access-Control-Allow-Headers"))
        self.assertTrue(int(pre.header("Access-Control-Max-Age")) > 0)
        # Errors carry it too, or a browser hides them from the page.
        self.assertEqual(self.d.get("/api/v1/nothing").header("Access-Control-Allow-Origin"), ORIGIN)

    def test_json_log(self):
        self.d.get("/api/v1/stations/JSON-LOG")
        line = wait_for(lambda: next((l for l in self.d.lines if "JSON-LOG" in l), None), timeout=10,
                        what="the request's log line")
        entry = json.loads(line)
        self.assertEqual((entry["method"], entry["path"], entry["status"], entry["level"]),
                         ("GET", "/api/v1/stations/JSON-LOG", 404, "info"))
        self.assertGreater(entry["bytes"], 0)
        self.assertIn("T", entry["time"])
        for l in self.d.lines:  # every line, events too, is one JSON object
            self.assertIsInstance(json.loads(l), dict, l)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class CorsUnsetTest(unittest.TestCase):
    def test_no_cors_headers_without_the_setting(self):
        with Daemon() as d:
            r = d.get("/api/v1/ranking/today")
            self.assertEqual(r.status, 200)
            self.assertIsNone(r.header("Access-Control-Allow-Origin"))
            pre = d.request("OPTIONS", "/api/v1/readings", headers={"Origin": ORIGIN})
            self.assertEqual(pre.status, 204)
            self.assertIsNone(pre.header("Access-Control-Allow-Origin"))


@unittest.skipUnless(PG_URL, "needs the test cluster")
class DeactivatedStationTest(unittest.TestCase):
    def test_deactivated_station_leaves_the_live_ranking(self):
        with Daemon(env={"AQRANK_NOW": "2017-12-07T15:30:00+08:00", "AQRANK_MIN_HOURS": "1"}) as d:
            for code in ("E1", "E2"):
                d.put_station(code)
            d.post_readings([{"station": c, "observed_at": f"2017-12-07T{h:02d}:00:00+08:00", "pm25": 40,
                              "pm10": 80 + i} for i, c in enumerate(("E1", "E2")) for h in range(15)])
            before = d.get("/api/v1/ranking/today").json
            self.assertEqual([r["station"] for r in before["ranking"]], ["E1", "E2"])
            self.assertEqual(d.request("DELETE", "/api/v1/stations/E2", token=ADMIN).status, 200)
            after = d.get("/api/v1/ranking/today").json
            self.assertEqual([r["station"] for r in after["ranking"]], ["E1"])
            self.assertEqual(after["insufficient"], [])
            self.assertEqual(after["stations_ranked"], 1)
            # Its data is kept.
            self.assertEqual(len(d.get("/api/v1/stations/E2/readings").json["readings"]), 15)


if __name__ == "__main__":
    unittest.main()
