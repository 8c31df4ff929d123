"""Foundation (issue 2): HTTP core, stations, readings ingest, configuration, database loss."""
import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import ADMIN, BIN, PG_URL, Daemon, DaemonTestCase, new_database, pg_local, psql, wait_for

NOW = "2017-12-07T15:00:00+08:00"


class HttpCoreTest(DaemonTestCase):
    ENV = {"AQRANK_NOW": NOW, "AQRANK_MAX_BODY": "4096"}

    def test_health_and_ready(self):
        r = self.d.get("/healthz")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["status"], "ok")
        r = self.d.get("/readyz")
        self.assertEqual(r.status, 200, r)

    def test_unknown_path_is_404_json(self):
        r = self.d.get("/api/v1/nothing-here")
        self.assertError(r, 404, "not_found")
        self.assertTrue(r.header("Content-Type").startswith("application/json"))

    def test_wrong_method_is_405_with_allow(self):
        r = self.d.request("DELETE", "/api/v1/readings", token=ADMIN)
        self.assertError(r, 405, "method_not_allowed")
        self.assertIn("POST", r.header("Allow"))
        r = self.d.request("PATCH", "/api/v1/stations/X1", token=ADMIN)
        allow = r.header("Allow")
        self.assertEqual(r.status, 405)
        for m in ("GET", "PUT", "DELETE"):
            self.assertIn(m, allow)

    def test_options_answers_allow(self):
        r = self.d.request("OPTIONS", "/api/v1/readings")
        self.assertEqual(r.status, 204)
        self.assertIn("POST", r.header("Allow"))

    def test_body_too_large_from_content_length(self):
        big = b"[" + b" " * 5000 + b"]"
        r = self.d.request("POST", "/api/v1/readings", raw=big, token=ADMIN,
                           headers={"Content-Type": "application/json"})
        self.assertError(r, 413, "body_too_large")

    def test_body_too_large_chunked(self):
        # No Content-Length: the limit is found while reading and answered at the end.
        s = socket.create_connection(("127.0.0.1", self.d.port))
        head = ("POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN +
                "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        s.sendall(head.encode())
        chunk = b" " * 1000
        for _ in range(6):
            s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        s.sendall(b"0\r\n\r\n")
        data = b""
        while b"}}" not in data:
            part = s.recv(65536)
            if not part:
                break
            data += part
        s.close()
        self.assertIn(b" 413 ", data.split(b"\r\n")[0])
        self.assertIn(b'"body_too_large"', data)

    def test_non_json_body_is_415(self):
        r = self.d.request("POST", "/api/v1/readings", raw=b"pm25=3", token=ADMIN,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertError(r, 415, "unsupported_media_type")

    def test_invalid_json_is_400(self):
        r = self.d.request("POST", "/api/v1/readings", raw=b'{"pm25": ', token=ADMIN,
                           headers={"Content-Type": "application/json"})
        self.assertError(r, 400, "invalid_json")
        r = self.d.request("POST", "/api/v1/readings", raw=b'{"pm25": 1, "pm25": 900}',
                           token=ADMIN, headers={"Content-Type": "application/json"})
        self.assertError(r, 400, "invalid_json")

    def test_etag_and_304(self):
        self.d.put_station("ETAG-1")
        r = self.d.get("/api/v1/stations/ETAG-1")
        self.assertEqual(r.status, 200)
        etag = r.header("ETag")
        self.assertTrue(etag and etag.startswith('"'))
        r2 = self.d.get("/api/v1/stations/ETAG-1", headers={"If-None-Match": etag})
        self.assertEqual(r2.status, 304)
        self.assertEqual(r2.body, b"")
        r3 = self.d.get("/api/v1/stations/ETAG-1", headers={"If-None-Match": '"other"'})
        self.assertEqual(r3.status, 200)

    def test_auth_errors(self):
        r = self.d.request("PUT", "/api/v1/stations/A1", body={"name": "a"})
        self.assertError(r, 401, "unauthorized")
        self.assertTrue(r.header("WWW-Authenticate").startswith("Bearer"))
        r = self.d.request("PUT", "/api/v1/stations/A1", body={"name": "a"}, token="wrong-token-xxxxxxxxxxxx")
        self.assertError(r, 401, "unauthorized")
        tok = self.d.put_station("AUTH-1")
        r = self.d.request("PUT", "/api/v1/stations/AUTH-1", body={"name": "a"}, token=tok)
        self.assertError(r, 403, "forbidden")
        r = self.d.post("/api/v1/readings", body={"observed_at": NOW, "pm25": 1})
        self.assertError(r, 401, "unauthorized")

    def test_one_log_line_per_request_without_secrets(self):
        tok = self.d.put_station("LOG-1")
        before = len(self.d.lines)
        self.d.post_readings({"observed_at": NOW, "pm25": 5}, token=tok)
        # Request lines are written in batches, at most 100 ms late.
        wait_for(lambda: any("POST /api/v1/readings 200" in l for l in self.d.lines[before:]),
                 timeout=10, what="the request's log line")
        time.sleep(0.3)
        new = self.d.lines[before:]
        lines = [l for l in new if "POST /api/v1/readings 200" in l]
        self.assertEqual(len(lines), 1, new)
        self.assertRegex(lines[0], r"POST /api/v1/readings 200 \d+ [\d.]+ms")
        self.assertFalse(any(tok in l or ADMIN in l for l in self.d.lines))


class StationsTest(DaemonTestCase):
    ENV = {"AQRANK_NOW": NOW}

    def test_create_then_update(self):
        r = self.d.request("PUT", "/api/v1/stations/HX-001", token=ADMIN, body={
            "name": "东四微站", "kind": "micro", "lat": 39.93, "lon": 116.42,
            "unit": "东四街道", "contact_person": "王伟", "contact_phone": "010-1234",
            "interval_s": 60})
        self.assertEqual(r.status, 201, r)
        s = r.json
        self.assertTrue(s["token"].startswith("aqs_"))
        self.assertGreaterEqual(len(s["token"]) - 4, 32)  # >= 128 bits of hex
        self.assertEqual((s["unit"], s["interval_s"], s["active"]), ("东四街道", 60, True))
        self.assertEqual(r.header("Location"), "/api/v1/stations/HX-001")  # 201: where it now is
        r = self.d.request("PUT", "/api/v1/stations/HX-001", token=ADMIN, body={"name": "东四微站2"})
        self.assertEqual(r.status, 200, r)
        self.assertNotIn("token", r.json)
        self.assertEqual(r.json["name"], "东四微站2")
        self.assertEqual(r.json["unit"], "东四街道")  # not named: kept
        # The token hash, never the token, is stored.
        stored = psql("SELECT encode(token_hash, 'hex') FROM stations WHERE code = 'HX-001'", self.d.url)
        self.assertEqual(len(stored), 64)
        self.assertNotIn(s["token"][4:], stored)

    def test_create_validation(self):
        r = self.d.request("PUT", "/api/v1/stations/BAD-1", token=ADMIN,
                           body={"kind": "huge", "lat": 91, "lonn": 1, "interval_s": 5})
        err = self.assertError(r, 422, "invalid_parameter")
        fields = {d.get("field") for d in err["details"]}
        self.assertTrue({"kind", "lat", "lonn", "interval_s", "name", "lon"} <= fields, fields)
        r = self.d.request("PUT", "/api/v1/stations/bad%20code!", token=ADMIN, body={})
        self.assertEqual(r.status, 422)
        self.assertEqual(self.d.get("/api/v1/stations/BAD-1").status, 404)

    def test_get_list_kind_and_near(self):
        # Far from the other tests' stations (which sit at the default 39.93, 116.42).
        self.d.put_station("GC-01", kind="national", lat=30.9289, lon=116.4174)
        self.d.put_station("NEAR-1", lat=30.9300, lon=116.4200)   # ~0.27 km
        self.d.put_station("NEAR-2", lat=30.9500, lon=116.4174)   # ~2.35 km
        self.d.put_station("FAR-1", lat=30.9900, lon=116.4174)    # ~6.8 km
        r = self.d.get("/api/v1/stations/GC-01")
        self.assertEqual(r.json["kind"], "national")
        r = self.d.get("/api/v1/stations?kind=national")
        self.assertEqual([s["code"] for s in r.json["stations"]], ["GC-01"])
        r = self.d.get("/api/v1/stations?near=GC-01")
        ring = r.json["stations"]
        self.assertEqual([s["code"] for s in ring], ["NEAR-1", "NEAR-2"])
        self.assertAlmostEqual(ring[1]["distance_km"], 2.3486, delta=0.01)
        r = self.d.get("/api/v1/stations?near=GC-01&radius_km=10")
        self.assertIn("FAR-1", [s["code"] for s in r.json["stations"]])
        self.assertError(self.d.get("/api/v1/stations?near=NOPE"), 404, "unknown_station")
        self.assertError(self.d.get("/api/v1/stations?kind=big"), 422, "invalid_parameter")
        self.assertError(self.d.get("/api/v1/stations/NOPE"), 404, "unknown_station")

    def test_deactivate_keeps_data_and_stops_posts(self):
        tok = self.d.put_station("DEL-1")
        self.d.post_readings({"observed_at": NOW, "pm25": 10}, token=tok)
        r = self.d.request("DELETE", "/api/v1/stations/DEL-1", token=ADMIN)
        self.assertEqual(r.status, 200)
        self.assertFalse(r.json["active"])
        r = self.d.post("/api/v1/readings", body={"observed_at": "2017-12-07T14:00:00+08:00", "pm25": 1},
                        token=tok)
        self.assertError(r, 403, "forbidden")
        r = self.d.post("/api/v1/readings", token=ADMIN,
                        body={"station": "DEL-1", "observed_at": "2017-12-07T14:00:00+08:00", "pm25": 1})
        self.assertError(r, 403, "forbidden")
        self.assertEqual(len(self.d.get("/api/v1/stations/DEL-1/readings").json["readings"]), 1)

    def test_token_rotation(self):
        old = self.d.put_station("ROT-1")
        r = self.d.post("/api/v1/stations/ROT-1/token", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        new = r.json["token"]
        self.assertNotEqual(new, old)
        body = {"observed_at": NOW, "pm25": 3}
        self.assertError(self.d.post("/api/v1/readings", body=body, token=old), 401, "unauthorized")
        self.d.post_readings(body, token=new)
        self.assertError(self.d.post("/api/v1/stations/NOPE/token", token=ADMIN), 404, "unknown_station")

    def test_mn_unique(self):
        self.d.put_station("MN-1", mn="88888880000001")
        r = self.d.request("PUT", "/api/v1/stations/MN-2", token=ADMIN,
                           body={"name": "x", "kind": "micro", "lat": 1, "lon": 1, "mn": "88888880000001"})
        self.assertError(r, 409, "conflict")


class ReadingsTest(DaemonTestCase):
    ENV = {"AQRANK_NOW": NOW}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tok = cls.d.put_station("R-1", interval_s=60)
        cls.tok2 = cls.d.put_station("R-2")

    def test_single_and_batch(self):
        r = self.d.post_readings({"observed_at": "2017-12-07T08:00:00+08:00", "pm25": 61, "pm10": 118.5},
                                 token=self.tok)
        self.assertEqual(r.json, {"accepted": 1, "duplicates": 0, "conflicts": 0})
        batch = [{"observed_at": f"2017-12-07T08:{m:02d}:00+08:00", "pm25": 60 + m, "pm10": 100}
                 for m in range(1, 31)]
        r = self.d.post_readings(batch, token=self.tok)
        self.assertEqual(r.json["accepted"], 30)
        rows = self.d.get("/api/v1/stations/R-1/readings?from=2017-12-07T08:00:00%2B08:00"
                          "&to=2017-12-07T09:00:00%2B08:00").json["readings"]
        self.assertEqual(len(rows), 31)
        self.assertEqual(rows[0]["pm10"], 118.5)
        self.assertEqual(rows[0]["observed_at"], "2017-12-07T08:00:00+08:00")
        # The hourly aggregate was kept in the same transaction.
        agg = psql("SELECT readings, pm25_n, pm25_sum FROM hourly h JOIN stations s ON s.id = h.station_id "
                   "WHERE s.code = 'R-1' AND day = '2017-12-07' AND hour = 8", self.d.url)
        self.assertEqual(agg, "31|31|" + str(61 + sum(60 + m for m in range(1, 31))))

    def test_duplicates_and_conflicts(self):
        first = {"observed_at": "2017-12-07T09:00:00+08:00", "pm25": 40}
        self.d.post_readings(first, token=self.tok)
        r = self.d.post_readings([first, {"observed_at": "2017-12-07T09:00:00+08:00", "pm25": 41},
                                  {"observed_at": "2017-12-07T09:01:00+08:00", "pm25": 42}], token=self.tok)
        self.assertEqual(r.json, {"accepted": 1, "duplicates": 1, "conflicts": 1})
        # The conflict is not applied but kept for audit.
        rows = self.d.get("/api/v1/stations/R-1/readings?from=2017-12-07T01:00:00Z").json["readings"]
        nine = [x for x in rows if x["observed_at"] == "2017-12-07T09:00:00+08:00"]
        self.assertEqual(nine[0]["pm25"], 40)
        audit = psql("SELECT pm25 FROM reading_conflicts c JOIN stations s ON s.id = c.station_id "
                     "WHERE s.code = 'R-1'", self.d.url)
        self.assertEqual(audit, "41")
        # The same instant written with another offset is the same key.
        r = self.d.post_readings({"observed_at": "2017-12-07T01:00:00Z", "pm25": 40}, token=self.tok)
        self.assertEqual(r.json["duplicates"], 1)

    def test_batch_is_atomic_and_lists_every_problem(self):
        before = psql("SELECT count(*) FROM readings", self.d.url)
        batch = [{"observed_at": "2017-12-07T10:00:00+08:00", "pm25": 10},
                 {"observed_at": "2017-12-07T10:01:00", "pm25": 10},
                 {"observed_at": "2017-12-07T10:02:00+08:00", "pm2.5": 10, "pm10": "x"},
                 {"observed_at": "2017-12-07T10:03:00+08:00", "pm25": 2001, "co": -1},
                 {"observed_at": "2017-12-07T10:04:00+08:00", "temperature": 20},
                 {"observed_at": "2017-12-07T15:05:01+08:00", "pm25": 1},
                 "not an object"]
        r = self.d.post("/api/v1/readings", body=batch, token=self.tok)
        err = self.assertError(r, 422, "invalid_reading")
        got = {(d.get("index"), d.get("field", "")) for d in err["details"]}
        for want in [(1, "observed_at"), (2, "pm2.5"), (2, "pm10"), (3, "pm25"), (3, "co"), (4, ""),
                     (5, "observed_at"), (6, "")]:
            self.assertIn(want, got)
        self.assertNotIn(0, {d.get("index") for d in err["details"]})
        self.assertEqual(psql("SELECT count(*) FROM readings", self.d.url), before)

    def test_future_skew_limit(self):
        ok = {"observed_at": "2017-12-07T15:05:00+08:00", "pm25": 1}   # exactly 300 s ahead
        self.d.post_readings(ok, token=self.tok2)
        r = self.d.post("/api/v1/readings", body={"observed_at": "2017-12-07T07:05:00.000001Z", "pm25": 1},
                        token=self.tok2)
        self.assertError(r, 422, "invalid_reading")

    def test_station_token_only_for_own_station(self):
        r = self.d.post("/api/v1/readings", token=self.tok,
                        body={"station": "R-2", "observed_at": "2017-12-07T11:00:00+08:00", "pm25": 1})
        self.assertError(r, 403, "forbidden")
        self.d.post_readings({"station": "R-1", "observed_at": "2017-12-07T11:00:00+08:00", "pm25": 1},
                             token=self.tok)

    def test_admin_backfill_needs_station(self):
        r = self.d.post("/api/v1/readings", token=ADMIN, body={"observed_at": "2016-01-01T00:00:00+08:00",
                                                               "pm25": 1})
        err = self.assertError(r, 422, "invalid_reading")
        self.assertEqual(err["details"][0]["field"], "station")
        r = self.d.post("/api/v1/readings", token=ADMIN,
                        body=[{"station": "R-2", "observed_at": "2016-01-01T00:00:00+08:00", "pm25": 1},
                              {"station": "NOPE", "observed_at": "2016-01-01T00:00:00+08:00", "pm25": 1}])
        err = self.assertError(r, 404, "unknown_station")
        self.assertEqual(err["details"][0]["index"], 1)
        r = self.d.post_readings({"station": "R-2", "observed_at": "2016-01-01T00:00:00+08:00", "pm25": 1})
        self.assertEqual(r.json["accepted"], 1)

    def test_empty_and_oversized_batches(self):
        self.assertError(self.d.post("/api/v1/readings", body=[], token=self.tok), 422, "invalid_reading")
        self.assertError(self.d.request("POST", "/api/v1/readings", token=self.tok), 400, "invalid_json")

    def test_flags_stored_and_excluded_from_means(self):
        self.d.post_readings({"observed_at": "2017-12-07T12:00:00+08:00", "pm25": 999, "pm10": 50,
                              "flags": {"pm25": "D"}}, token=self.tok2)
        rows = self.d.get("/api/v1/stations/R-2/readings?from=2017-12-07").json["readings"]
        noon = [x for x in rows if x["observed_at"] == "2017-12-07T12:00:00+08:00"][0]
        self.assertEqual(noon["flags"], {"pm25": "D"})
        agg = psql("SELECT pm25_n, pm10_n FROM hourly h JOIN stations s ON s.id = h.station_id "
                   "WHERE s.code = 'R-2' AND day = '2017-12-07' AND hour = 12", self.d.url)
        self.assertEqual(agg, "0|1")
        r = self.d.post("/api/v1/readings", token=self.tok2, body={
            "observed_at": "2017-12-07T12:01:00+08:00", "pm25": 1, "flags": {"pm25": "XX", "foo": "D"}})
        self.assertEqual(r.status, 422)

    def test_big_mixed_batch_lands_on_the_right_stations(self):
        # A 5000-reading batch across many stations, in no particular code order: each value
        # encodes its station, so a reading stored under the wrong station shows up.
        codes = [f"MIX-{c}" for c in "QWERTYUIOPASDFGHJKLZ"]
        for c in codes:
            self.d.put_station(c)
        # With statistics the planner may pick another join order (as on any real database).
        psql("ANALYZE stations", self.d.url)
        batch = [{"station": codes[i % len(codes)], "pm25": float(i % len(codes)),
                  "observed_at": f"2017-11-{1 + i // (24 * len(codes)):02d}T{(i // len(codes)) % 24:02d}:00:00+08:00"}
                 for i in range(5000)]
        r = self.d.post_readings(batch)
        self.assertEqual(r.json, {"accepted": 5000, "duplicates": 0, "conflicts": 0})
        for k, c in enumerate(codes):
            got = psql(f"SELECT DISTINCT pm25 FROM readings r JOIN stations s ON s.id = r.station_id "
                       f"WHERE s.code = '{c}'", self.d.url)
            self.assertEqual(got, str(k), c)

    def test_copy_path_aggregates_like_the_statement_path(self):
        # Batches of 64 or more readings are COPYed and their station-hours summed by the
        # daemon; smaller ones go through INSERT … ON CONFLICT and SQL's GROUP BY. The same
        # readings either way must leave identical hourly rows (every column, bit for bit).
        def batch(code):
            out = []
            for i in range(300):
                r = {"station": code, "observed_at": f"2017-11-20T{i // 20:02d}:{(i * 3) % 60:02d}:00+08:00",
                     "pm25": 0.1 * (i % 7) + 12.3, "pm10": 40 + (i * 37) % 11 / 3, "o3": 55 + i % 4,
                     "co": 0.7 + (i % 3) / 10, "temperature": -2.5}
                if i % 9 == 0:
                    del r["pm10"]
                if i % 13 == 0:
                    r["flags"] = {"pm25": "D"}
                if i % 17 == 0:
                    r["flags"] = {"o3": "M", "temperature": "T"}
                out.append(r)
            return out
        for code in ("CP-BIG", "CP-SMALL"):
            self.d.put_station(code, interval_s=180)
        r = self.d.post_readings(batch("CP-BIG"))
        self.assertEqual(r.json, {"accepted": 300, "duplicates": 0, "conflicts": 0})
        # Small batches of one whole hour each, so both paths add each hour's values in the
        # same order (floating-point sums depend on it).
        small = batch("CP-SMALL")
        for k in range(0, 300, 20):
            self.d.post_readings(small[k:k + 20])
        cols = ("day, hour, readings, first_obs, last_obs, pm25_sum, pm25_n, pm25_min, pm25_max, pm10_sum, "
                "pm10_n, pm10_min, pm10_max, so2_sum, so2_n, so2_min, so2_max, no2_sum, no2_n, no2_min, "
                "no2_max, co_sum, co_n, co_min, co_max, o3_sum, o3_n, o3_min, o3_max")
        def rows(code):
            return psql(f"SELECT {cols.replace('_sum', '_sum::text')} FROM hourly h JOIN stations s "
                        f"ON s.id = h.station_id WHERE s.code = '{code}' ORDER BY day, hour", self.d.url)
        big = rows("CP-BIG")
        self.assertEqual(len(big.splitlines()), 15)
        self.assertEqual(big, rows("CP-SMALL"))
        first_day = "SELECT first_day FROM stations WHERE code = '{}'"
        self.assertEqual(psql(first_day.format("CP-BIG"), self.d.url), "2017-11-20")
        self.assertEqual(psql(first_day.format("CP-SMALL"), self.d.url), "2017-11-20")

        # Resent with a few new readings and a changed one: the COPY fails on the first stored
        # key and the statement path counts duplicates, the conflict and the new ones.
        again = batch("CP-BIG")
        again[5]["pm25"] = 99
        again += [{"station": "CP-BIG", "observed_at": f"2017-11-20T20:{m:02d}:00+08:00", "pm25": 10}
                  for m in range(3)]
        r = self.d.post_readings(again)
        self.assertEqual(r.json, {"accepted": 3, "duplicates": 299, "conflicts": 1})
        self.assertEqual(psql("SELECT readings, pm25_sum FROM hourly h JOIN stations s ON s.id = h.station_id "
                              "WHERE s.code = 'CP-BIG' AND hour = 20", self.d.url), "3|30")

    def test_concurrent_live_posts_each_told_their_own_outcome(self):
        # Live single readings from many connections at once are grouped into shared
        # statements and commits; each POST must still be told what became of its own
        # reading. Keys collide across threads: even seconds with equal values (duplicates),
        # odd seconds with each thread's own value (conflicts, audited).
        import threading
        codes = [f"GC-{i}" for i in range(4)]
        tokens = [self.d.put_station(c, interval_s=60) for c in codes]
        totals = {"accepted": 0, "duplicates": 0, "conflicts": 0}
        lock, errors = threading.Lock(), []

        def client(t):
            for k in range(60):
                station, second = (t + k) % 4, k % 30
                pm25 = 30 + second if second % 2 == 0 else 100 + t
                r = self.d.post_readings({"observed_at": f"2017-12-07T15:00:{second:02d}+08:00", "pm25": pm25},
                                         token=tokens[station], expect=None)
                with lock:
                    if r.status != 200 or sum(r.json.values()) != 1:
                        errors.append((r.status, r.json))
                    else:
                        for key in totals:
                            totals[key] += r.json[key]

        threads = [threading.Thread(target=client, args=(t,)) for t in range(16)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertEqual(errors, [])
        where = "s.code LIKE 'GC-%'"
        stored = int(psql(f"SELECT count(*) FROM readings r JOIN stations s ON s.id = r.station_id WHERE {where}",
                          self.d.url))
        self.assertEqual(stored, 4 * 30)  # every key once
        self.assertEqual(totals["accepted"], stored)
        self.assertEqual(sum(totals.values()), 16 * 60)
        audited = psql(f"SELECT count(*), count(*) FILTER (WHERE extract(second FROM c.observed_at)::int % 2 = 0) "
                       f"FROM reading_conflicts c JOIN stations s ON s.id = c.station_id WHERE {where}", self.d.url)
        self.assertEqual(audited, f"{totals['conflicts']}|0")
        self.assertGreater(totals["conflicts"], 0)
        self.assertGreater(totals["duplicates"], 0)
        # Every stored reading is in the aggregates once (the read folds what waits).
        for code in codes:
            hours = self.d.get(f"/api/v1/stations/{code}/hourly?date=2017-12-07").json["hours"]
            self.assertEqual(hours[15]["readings"], 30, code)

    def test_paging_with_cursor_and_csv(self):
        tok = self.d.put_station("PAGE-1", name="翻页站", interval_s=60)
        self.d.post_readings([{"observed_at": f"2017-12-06T10:{m:02d}:00+08:00", "pm25": m, "pm10": m + 0.5}
                              for m in range(25)], token=tok)
        seen, cursor, pages = [], None, 0
        while True:
            path = "/api/v1/stations/PAGE-1/readings?limit=10" + (f"&cursor={cursor}" if cursor else "")
            j = self.d.get(path).json
            seen += [x["pm25"] for x in j["readings"]]
            pages += 1
            cursor = j["next"]
            if not cursor:
                break
        self.assertEqual(seen, list(range(25)))
        self.assertEqual(pages, 3)
        r = self.d.get("/api/v1/stations/PAGE-1/readings?format=csv&lang=en&limit=5")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"))
        lines = r.body.decode("utf-8-sig").split("\r\n")
        self.assertEqual(lines[0].split(",")[:4], ["station", "observed_at", "pm25", "pm10"])
        self.assertEqual(lines[1].split(",")[:4], ["PAGE-1", "2017-12-06T10:00:00+08:00", "0", "0.5"])
        self.assertTrue(r.header("X-Next-Cursor"))
        self.assertError(self.d.get("/api/v1/stations/PAGE-1/readings?limit=10001"), 422, "invalid_parameter")
        self.assertError(self.d.get("/api/v1/stations/PAGE-1/readings?cursor=zz"), 422, "invalid_parameter")
        self.assertError(self.d.get("/api/v1/stations/NOPE/readings"), 404, "unknown_station")


class ReadTokenTest(DaemonTestCase):
    ENV = {"AQRANK_READ_TOKEN": "read-token-0123456789abcdef"}

    def test_get_needs_read_token(self):
        self.assertError(self.d.get("/api/v1/stations"), 401, "unauthorized")
        self.assertEqual(self.d.get("/api/v1/stations", token="read-token-0123456789abcdef").status, 200)
        self.assertEqual(self.d.get("/api/v1/stations", token=ADMIN).status, 200)
        self.assertEqual(self.d.get("/healthz").status, 200)
        r = self.d.request("PUT", "/api/v1/stations/X", body={"name": "x"}, token="read-token-0123456789abcdef")
        self.assertError(r, 403, "forbidden")


class NoAdminTokenTest(DaemonTestCase):
    ENV = {"AQRANK_ADMIN_TOKEN": ""}

    def test_admin_endpoints_answer_403(self):
        r = self.d.request("PUT", "/api/v1/stations/X", body={"name": "x"}, token="anything-at-all-123456")
        self.assertError(r, 403, "forbidden")


class ConfigTest(unittest.TestCase):
    def run_bin(self, *args, env=None, timeout=10):
        e = {"PATH": os.environ["PATH"]}
        e.update(env or {})
        return subprocess.run([BIN, *args], env=e, capture_output=True, text=True, timeout=timeout)

    def test_help_and_version(self):
        r = self.run_bin("--help")
        self.assertEqual(r.returncode, 0)
        for key in ("AQRANK_DATABASE_URL", "AQRANK_LISTEN", "AQRANK_MIN_HOURS", "AQRANK_WEBHOOK_URL"):
            self.assertIn(key, r.stdout)
        r = self.run_bin("--version")
        self.assertRegex(r.stdout, r"^aqrankd \d+\.\d+")

    def test_unknown_keys_and_bad_values_stop_startup(self):
        r = self.run_bin(env={"AQRANK_MIN_HOUR": "20"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("AQRANK_MIN_HOUR", r.stderr)
        r = self.run_bin(env={"AQRANK_MIN_HOURS": "abc"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("AQRANK_MIN_HOURS", r.stderr)
        r = self.run_bin("--metric", "pm1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("AQRANK_METRIC", r.stderr)
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write("# comment\nAQRANK_TIMEZONE=Mars/Olympus\n")
            f.flush()
            r = self.run_bin("--config", f.name)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("line 2", r.stderr)
            self.assertIn("AQRANK_TIMEZONE", r.stderr)
        r = self.run_bin("--bogus")
        self.assertNotEqual(r.returncode, 0)

    @unittest.skipUnless(PG_URL, "needs the test cluster")
    def test_precedence_flag_env_file(self):
        url = new_database()
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write(f'AQRANK_DATABASE_URL="{url}"\nAQRANK_LISTEN=127.0.0.1:1\nAQRANK_NOW=2001-01-01T00:00:00Z\n'
                    f"AQRANK_TIMEZONE=UTC\n")
            f.flush()
            # file says port 1 and 2001; env overrides the clock; the flag overrides the port.
            d = Daemon(url=url, args=["--config", f.name, "--listen", "127.0.0.1:0"],
                       env={"AQRANK_NOW": "2002-02-02T00:00:00Z"})
            d.env.pop("AQRANK_LISTEN")
            d.env.pop("AQRANK_DATABASE_URL")
            with d:
                banner = [l for l in d.lines if "listening" in l][0]
                self.assertIn("2002-02-02T00:00:00Z", banner)
                self.assertNotIn(":1 ", banner)
                self.assertEqual(d.get("/readyz").status, 200)

    @unittest.skipUnless(PG_URL, "needs the test cluster")
    def test_migrate_subcommand_and_no_migrate(self):
        url = new_database()
        d = Daemon(url=url, args=["--no-migrate"]).start()
        self.assertEqual(d.get("/readyz").status, 503)
        self.assertEqual(d.stop(), 0)
        r = self.run_bin("migrate", env={"AQRANK_DATABASE_URL": url})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(psql("SELECT count(*) > 0 FROM schema_migrations", url), "t")
        r = self.run_bin("migrate", env={"AQRANK_DATABASE_URL": url})  # idempotent
        self.assertEqual(r.returncode, 0, r.stderr)
        with Daemon(url=url, args=["--no-migrate"]) as d2:
            self.assertEqual(d2.get("/readyz").status, 200)

    @unittest.skipUnless(PG_URL, "needs the test cluster")
    def test_sigterm_and_sigint_exit_zero(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            d = Daemon().start()
            self.assertEqual(d.get("/healthz").status, 200)
            self.assertEqual(d.stop(sig), 0)

    @unittest.skipUnless(PG_URL, "needs the test cluster")
    def test_sigterm_finishes_in_flight_and_does_not_wait_for_streams(self):
        """SIGTERM: a request in flight is answered in full (and stored), an event-stream
        client and an idle keep-alive connection are closed, and the daemon is gone within
        2 s (more under valgrind, whose exit alone takes seconds)."""
        d = Daemon(env={"AQRANK_NOW": NOW}).start()
        tok = d.put_station("STOP-1")
        stream = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        stream.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertIn(b"200 OK", stream.recv(4096))
        idle = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        self.assertIn(b"200 OK", idle.recv(4096))  # kept alive, then idle
        body = ('{"observed_at": "2017-12-07T14:00:00+08:00", "pm25": 42}').encode()
        slow = socket.create_connection(("127.0.0.1", d.port), timeout=10)
        slow.sendall(b"POST /api/v1/readings HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + tok.encode() + b"\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10])
        time.sleep(0.5)  # the request has begun: headers and part of the body are in
        started = time.monotonic()
        d.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        slow.sendall(body[10:])
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.rstrip().endswith(b"}"):
            chunk = slow.recv(4096)
            if not chunk:
                break
            reply += chunk
        self.assertIn(b"200 OK", reply.split(b"\r\n")[0])
        self.assertIn(b'"accepted":1', reply)
        code = d.proc.wait(30)
        took = time.monotonic() - started
        self.assertLess(took, 8 if os.environ.get("AQ_VALGRIND") else 2, f"stopped after {took:.1f} s")
        self.assertEqual(code, 0)
        for s in (stream, idle, slow):
            s.close()
        self.assertEqual(d.stop(), 0)  # the exit code again, and no sanitizer report
        self.assertEqual(psql("SELECT count(*) FROM readings", d.url), "1")


@unittest.skipUnless(PG_URL, "needs the test cluster")
class DatabaseRestartTest(unittest.TestCase):
    """PostgreSQL goes away while the daemon runs: 503 with Retry-After, then recovery."""

    def test_database_restart(self):
        with Daemon(env={"AQRANK_NOW": NOW}) as d:
            tok = d.put_station("DBR-1", interval_s=60)
            d.post_readings({"observed_at": "2017-12-07T10:00:00+08:00", "pm25": 1}, token=tok)
            pg_local("stop")
            try:
                r = d.post("/api/v1/readings", body={"station": "DBR-1", "pm25": 2,
                                                     "observed_at": "2017-12-07T10:01:00+08:00"}, token=ADMIN)
                self.assertEqual(r.status, 503, r)
                self.assertEqual(r.json["error"]["code"], "database_unavailable")
                self.assertTrue(r.header("Retry-After"))
                r = d.get("/readyz")
                self.assertEqual(r.status, 503)
                self.assertTrue(r.header("Retry-After"))
                self.assertEqual(d.get("/healthz").status, 200)
            finally:
                pg_local("start")
            deadline = time.time() + 20
            while d.get("/readyz").status != 200 and time.time() < deadline:
                time.sleep(0.2)
            self.assertEqual(d.get("/readyz").status, 200)
            r = d.post_readings({"observed_at": "2017-12-07T10:02:00+08:00", "pm25": 3}, token=tok)
            self.assertEqual(r.json["accepted"], 1)
            rows = d.get("/api/v1/stations/DBR-1/readings").json["readings"]
            self.assertEqual([x["pm25"] for x in rows], [1, 3])


if __name__ == "__main__":
    unittest.main()
