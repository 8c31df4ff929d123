"""HJ 212-2017 ingest (issue 5): a simulated micro-station speaking HJ 212 over TCP shows up in
the readings and in /api/v1/ranking/today exactly like a twin that POSTs the same readings as
JSON; frames split, coalesced, sent byte by byte or behind garbage are all taken; answers
(CN=9014, same QN) come after the commit and only when asked for; and no malformed or
unauthenticated frame stores anything, while the connection lives on."""
import os
import re
import socket
import sys
import threading
import time
import unittest

from harness import ADMIN, PG_URL, ROOT, DaemonTestCase, psql

sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import hj212_sim as sim  # noqa: E402

DAY = "20171207"
NOW = "2017-12-07T15:00:00+08:00"
PW = "s3cret-212"
NO_FINALIZE = {"AQRANK_FINALIZE_QUIET": "100000", "AQRANK_FINALIZE_AFTER": "2592000"}

# HJ 212 code -> JSON field, for building the twin's JSON from the same values.
CODES = {"a34004": "pm25", "a34002": "pm10", "a21026": "so2", "a21004": "no2", "a21005": "co",
         "a05024": "o3", "a01001": "temperature", "a01002": "humidity", "a01006": "pressure",
         "a01007": "wind_speed", "a01008": "wind_direction"}


def hour_values(h):
    """Every factor for hour h of the day; 10:00 is a PM2.5 peak."""
    return {"a34004": 200 if h == 10 else 30 + h, "a34002": 60 + 2 * h, "a21026": 9.5,
            "a21004": 40 + h, "a21005": 0.8, "a05024": 50 + 3 * h, "a01001": -2.5 + h / 2,
            "a01002": 41, "a01006": 1021.5, "a01007": 2.4, "a01008": 315}


class Hj212Test(DaemonTestCase):
    ENV = dict(NO_FINALIZE, AQRANK_NOW=NOW, AQRANK_HJ212_LISTEN="127.0.0.1:0")
    _mn = [0]
    tokens = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        port = None
        for line in cls.d.lines:
            m = re.search(r"HJ 212 listening on tcp://[^:]+:(\d+)", line)
            if m:
                port = int(m.group(1))
        if port is None:
            raise AssertionError("no HJ 212 listener:\n" + "\n".join(cls.d.lines[-20:]))
        cls.port = port
        # A device that is mid-frame when the daemon stops: shutdown must not hang or leak.
        cls.lingering = socket.create_connection(("127.0.0.1", port))
        cls.lingering.sendall(b"##0101QN=2016080108")

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.lingering.close()

    # ---- helpers ----

    def station(self, code, pw=PW, **attrs):
        """Registers a micro station with an MN (and an HJ 212 password unless pw is None);
        returns its MN. The station's bearer token goes to self.tokens[code]."""
        Hj212Test._mn[0] += 1
        mn = "8888888%07d" % Hj212Test._mn[0]
        body = {"mn": mn}
        if pw is not None:
            body["hj212_password"] = pw
        body.update(attrs)
        self.tokens[code] = self.d.put_station(code, **body)
        return mn

    def device(self, mn, pw=PW):
        return sim.Device("127.0.0.1", self.port, mn, pw)

    def readings(self, code):
        r = self.d.get(f"/api/v1/stations/{code}/readings?from=2017-12-07&limit=10000")
        self.assertEqual(r.status, 200, r)
        return r.json["readings"]

    def total_readings(self):
        return int(psql("SELECT count(*) FROM readings", self.d.url))

    def wait_for(self, predicate, timeout=20, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        self.fail("timed out waiting for " + what)

    def assertAnswered(self, answers, qns, mn):
        self.assertEqual([a["QN"] for a in answers], qns, answers)
        for a in answers:
            self.assertEqual((a["ST"], a["CN"], a["MN"], a["PW"], a["Flag"], a["CP"]),
                             ("91", "9014", mn, PW, "4", "&&&&"))

    # ---- tests ----

    def test_twin_ranks_exactly_like_json(self):
        mn = self.station("TWIN-212", interval_s=3600, lat=39.90, lon=116.40)
        self.station("TWIN-JSON", pw=None, interval_s=3600, lat=39.90, lon=116.40)
        token = self.tokens["TWIN-JSON"]
        json_batch, qns = [], []
        with self.device(mn) as dev:
            for h in range(15):
                vals = hour_values(h)
                qns.append(dev.upload(f"{DAY}{h:02d}0000", vals, cn=2061))
                json_batch.append(dict({CODES[c]: v for c, v in vals.items()},
                                       observed_at=f"2017-12-07T{h:02d}:00:00+08:00"))
            self.assertAnswered(dev.answers(15), qns, mn)
        self.d.post_readings(json_batch, token=token)

        strip = lambda rows: [{k: v for k, v in x.items() if k not in ("station", "received_at")} for x in rows]
        a, b = self.readings("TWIN-212"), self.readings("TWIN-JSON")
        self.assertEqual(len(a), 15)
        self.assertEqual(strip(a), strip(b))
        self.assertEqual(a[10]["observed_at"], "2017-12-07T10:00:00+08:00")
        self.assertEqual((a[3]["pm25"], a[3]["pm10"], a[3]["co"], a[3]["pressure"]), (33, 66, 0.8, 1021.5))

        body = self.d.get("/api/v1/ranking/today").json
        rows = {x["station"]: x for x in body["ranking"]}
        self.assertIn("TWIN-212", rows, body)
        self.assertIn("TWIN-JSON", rows, body)
        same = lambda row: {k: v for k, v in row.items() if k not in ("station", "name")}
        self.assertEqual(same(rows["TWIN-212"]), same(rows["TWIN-JSON"]))
        self.assertEqual(rows["TWIN-212"]["valid_hours"], 15)
        hourly = [self.d.get(f"/api/v1/stations/{c}/hourly?date=2017-12-07").json for c in ("TWIN-212", "TWIN-JSON")]
        self.assertEqual(hourly[0].get("hours"), hourly[1].get("hours"))

        self.assertEqual(psql("SELECT DISTINCT source FROM readings r JOIN stations s ON s.id = r.station_id "
                              "WHERE s.code = 'TWIN-212'", self.d.url), "hj212")

    def test_alerts_follow_hj212_readings(self):
        # The evaluator is woken by HJ 212 ingest as by HTTP: an old newest reading opens
        # "offline", a fresh one resolves it.
        mn = self.station("OFFL-212", interval_s=3600)
        def offline():
            alerts = self.d.get("/api/v1/alerts?status=all&type=offline&station=OFFL-212").json["alerts"]
            return [x["status"] for x in alerts]
        with self.device(mn) as dev:
            dev.upload(f"{DAY}090000", {"a34004": 20}, cn=2061)
            self.assertEqual(len(dev.answers(1)), 1)
            self.wait_for(lambda: offline() == ["open"], what="offline alert")
            dev.upload(f"{DAY}145900", {"a34004": 21}, cn=2011)
            self.assertEqual(len(dev.answers(1)), 1)
            self.wait_for(lambda: offline() == ["resolved"], what="offline alert resolved")

    def test_split_coalesced_slow_and_garbage_frames(self):
        mn = self.station("RT-212", interval_s=60)
        vals = {"a34004": 35, "a34002": 70}
        with self.device(mn) as dev:
            seg = lambda minute, **kw: dev.segment(f"{DAY}14{minute:02d}00", vals, **kw)
            qn = lambda s: sim.parse_frame(sim.frame(s))["QN"]
            s1 = seg(1)
            dev.send_split(sim.frame(s1), [1, 2, 5, 6, 40, len(sim.frame(s1)) - 1])
            self.assertAnswered(dev.answers(1), [qn(s1)], mn)
            # Answered means committed: the reading is there already.
            self.assertIn("2017-12-07T14:01:00+08:00", [x["observed_at"] for x in self.readings("RT-212")])
            s2, s3, s4 = seg(2), seg(3), seg(4)
            dev.send(sim.frame(s2) + sim.frame(s3) + sim.frame(s4))
            self.assertAnswered(dev.answers(3), [qn(s2), qn(s3), qn(s4)], mn)
            s5 = seg(5)
            dev.send_slowly(sim.frame(s5), pause=0.01)
            self.assertAnswered(dev.answers(1), [qn(s5)], mn)
            s6 = seg(6)
            dev.send(b"\x00\xff\r\n#garbage##x" + sim.frame(s6))
            self.assertAnswered(dev.answers(1), [qn(s6)], mn)
            # Flag=4: no answer asked for, none given, stored all the same.
            dev.send(sim.frame(seg(7, flag=4)))
            self.assertTrue(dev.no_answer())
        times = [x["observed_at"][11:16] for x in self.readings("RT-212")]
        self.assertEqual(times, ["14:01", "14:02", "14:03", "14:04", "14:05", "14:06", "14:07"])
        self.assertTrue(all((x["pm25"], x["pm10"]) == (35, 70) for x in self.readings("RT-212")))

    def test_minute_data_reads_avg(self):
        mn = self.station("MIN-212", interval_s=60)
        with self.device(mn) as dev:
            dev.send(sim.frame(f"QN=20171207130000001;ST=22;CN=2051;PW={PW};MN={mn};Flag=5;"
                               f"CP=&&DataTime={DAY}130000;a34004-Avg=12.5,a34004-Flag=N;a34002-Rtd=99&&"))
            self.assertEqual(len(dev.answers(1)), 1)
        rows = self.readings("MIN-212")
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["pm25"], 12.5)
        self.assertIsNone(rows[0]["pm10"])  # -Rtd is not the value of a minute record

    def test_flags_are_stored_shown_and_not_averaged(self):
        mn = self.station("FLAG-212", interval_s=3600)
        with self.device(mn) as dev:
            dev.upload(f"{DAY}120000", {"a34004": 999, "a34002": 50, "a21026": 7},
                       flags={"a34004": "D", "a34002": "N", "a21026": "C"}, cn=2061)
            dev.upload(f"{DAY}130000", {"a34004": 20, "a34002": 40}, flags={"a34002": "M"}, cn=2061)
            self.assertEqual(len(dev.answers(2)), 2)
        rows = self.readings("FLAG-212")
        self.assertEqual([x.get("flags") for x in rows], [{"pm25": "D", "so2": "C"}, {"pm10": "M"}])
        agg = psql("SELECT hour, pm25_n, pm10_n, so2_n FROM hourly h JOIN stations s ON s.id = h.station_id "
                   "WHERE s.code = 'FLAG-212' ORDER BY hour", self.d.url)
        self.assertEqual(agg.split("\n"), ["12|0|1|0", "13|1|0|0"])

    def test_resend_is_answered_and_stored_once(self):
        mn = self.station("DUP-212", interval_s=3600)
        with self.device(mn) as dev:
            seg = dev.segment(f"{DAY}090000", {"a34004": 40}, cn=2061)
            dev.send(sim.frame(seg))
            dev.send(sim.frame(seg))  # the answer was lost: the device sends again
            changed = dev.segment(f"{DAY}090000", {"a34004": 41}, cn=2061)
            dev.send(sim.frame(changed))  # a conflict: recorded, not applied, still answered
            self.assertEqual(len(dev.answers(3)), 3)
        rows = self.readings("DUP-212")
        self.assertEqual([x["pm25"] for x in rows], [40])
        self.assertEqual(psql("SELECT count(*) FROM reading_conflicts c JOIN stations s ON s.id = c.station_id "
                              "WHERE s.code = 'DUP-212' AND c.source = 'hj212'", self.d.url), "1")

    def test_bad_frames_store_nothing_and_the_connection_lives_on(self):
        mn = self.station("BAD-212", interval_s=3600)
        mn_inactive = self.station("OFF-212")
        self.assertEqual(self.d.request("DELETE", "/api/v1/stations/OFF-212", token=ADMIN).status, 200)
        mn_nopw = self.station("NOPW-212", pw=None)
        secret = "wrong-SECRET-pw"
        ok = {"a34004": 35, "a34002": 70}
        before = self.total_readings()
        before_lines = len(self.d.lines)
        with self.device(mn) as dev:
            def seg(t=f"{DAY}080000", values=ok, cn=2061, **kw):
                return dev.segment(t, values, cn=cn, **kw)
            good = seg()
            # The first frame proves the password: the framing errors after it are the device's.
            dev.send(sim.frame(seg(t=f"{DAY}070000")))
            self.assertEqual(len(dev.answers(1)), 1)
            before += 1
            bad = [
                ("bad_crc", sim.frame(good, crc=sim.crc16(good.encode()) ^ 0x0101)),
                ("bad_length", sim.frame(good, length=len(good) + 3)),
                ("bad_length", sim.frame(good, length=len(good) - 3)),
                ("oversize", b"##1025" + b"A" * 1025 + b"0000\r\n"),
                ("inactive", sim.frame(seg(mn=mn_inactive))),
                ("malformed", sim.frame(seg(values={"a34004": "12abc"}))),
                ("malformed", sim.frame(seg().replace("DataTime=", "DataTyme="))),
                ("malformed", sim.frame("QN=1;ST=22;CN=2061;PW=%s;Flag=5;CP=&&&&" % PW)),  # no MN
                ("invalid", sim.frame(seg(values={"a34004": 2500}))),                    # out of range
                ("invalid", sim.frame(seg(values={"a01001": 5}))),                       # no pollutant
                ("invalid", sim.frame(seg(t=f"{DAY}160000"))),                           # the future
                ("no_known_codes", sim.frame(seg(values={"w01018": 5}))),
                ("unsupported", sim.frame(seg(cn=2031))),
                ("unsupported", sim.frame(seg(st=31))),
            ]
            for reason, data in bad:
                dev.send(data)
                self.assertTrue(dev.no_answer(0.3), reason)
            self.assertEqual(self.total_readings(), before)
            # Still the same connection, and it still works.
            dev.send(sim.frame(good))
            self.assertEqual(len(dev.answers(1)), 1)
        self.assertEqual(self.total_readings(), before + 1)
        # A wrong password or an unknown MN gets no answer and the connection is closed (each
        # from an address of its own: the failure budget counts per sender address too).
        auth = [("bad_password", mn, secret), ("bad_password", mn_nopw, ""), ("bad_password", mn_nopw, secret),
                ("unknown_mn", "99999999999999", PW)]
        for i, (reason, m, pw) in enumerate(auth):
            time.sleep(1.1 if m == mn_nopw else 0)  # the MN's wait after its first wrong password
            with sim.Device("127.0.0.1", self.port, m, pw, source=f"127.0.0.{30 + i}") as dev:
                dev.send(sim.frame(dev.segment(f"{DAY}080000", ok, cn=2061)))
                self.assertTrue(dev.closed_by_peer(), reason)
        bad += [(r, b"") for r, _, _ in auth]
        self.assertEqual(self.total_readings(), before + 1)
        log = "\n".join(self.d.lines[before_lines:])
        for reason in {r for r, _ in bad}:
            self.assertIn("(" + reason, log)
        self.assertNotIn("SECRET", "\n".join(self.d.lines))
        self.assertNotIn(PW, "\n".join(self.d.lines))
        self.assertEqual(self.readings("OFF-212"), [])
        self.assertEqual(self.readings("NOPW-212"), [])
        # /metrics counts frames by outcome.
        metrics = self.d.get("/metrics").body.decode()
        for reason in {r for r, _ in bad}:
            m = re.search(r'aqrank_hj212_frames_total\{result="rejected",reason="%s"\} (\d+)' % reason, metrics)
            self.assertTrue(m and int(m.group(1)) >= 1, reason)
        m = re.search(r'aqrank_hj212_frames_total\{result="accepted",reason=""\} (\d+)', metrics)
        self.assertTrue(m and int(m.group(1)) >= 1)
        # The operator sees the device's refusals by reason (frames that named its MN, and the
        # framing errors of its authenticated connection).
        view = self.d.get("/api/v1/stations/BAD-212", token=ADMIN).json["hj212"]
        for reason in ("bad_crc", "bad_length", "oversize", "malformed", "invalid", "no_known_codes",
                       "bad_password"):
            self.assertGreaterEqual(view["refusals"].get(reason, 0), 1, (reason, view))
        self.assertIsNotNone(view["last_stored_at"])
        self.assertEqual(view["lockout"]["failures"], 1, view)
        self.assertFalse(view["lockout"]["locked"])

    def test_simulator_scenarios(self):
        mn = self.station("SIM-212", interval_s=60)
        before = self.total_readings()
        out = open(os.devnull, "w")
        try:
            surprises = sim.run_scenarios("127.0.0.1", self.port, mn, PW, sim.SCENARIOS, f"{DAY}110000",
                                          {"a34004": "35", "a34002": "70"}, {}, 2011, out=out,
                                          source="127.0.0.40")
        finally:
            out.close()
        self.assertEqual(surprises, 0)
        # valid, split, coalesced (2), slow, garbage, flagged: 7 readings; the broken ones none.
        self.assertEqual(self.total_readings(), before + 7)
        flagged = [x for x in self.readings("SIM-212") if x.get("flags")]
        self.assertEqual([x["flags"] for x in flagged], [{"pm25": "M"}])

    def test_many_idle_devices_do_not_block_http(self):
        idle = [socket.create_connection(("127.0.0.1", self.port)) for _ in range(300)]
        try:
            codes = [f"MANY-{i:02d}" for i in range(20)]
            mns = [self.station(c, interval_s=3600) for c in codes]
            results = {}

            def one(code, mn):
                with self.device(mn) as dev:
                    dev.send_slowly(sim.frame(dev.segment(f"{DAY}070000", {"a34002": 80}, cn=2061)),
                                    chunk=16, pause=0.01)
                    results[code] = len(dev.answers(1, timeout=10))
            threads = [threading.Thread(target=one, args=cm) for cm in zip(codes, mns)]
            for t in threads:
                t.start()
            t0 = time.monotonic()
            self.assertEqual(self.d.get("/healthz").status, 200)
            self.assertLess(time.monotonic() - t0, 2)
            for t in threads:
                t.join(30)
            self.assertEqual(results, {c: 1 for c in codes})
            for c in codes:
                self.assertEqual(len(self.readings(c)), 1)
        finally:
            for s in idle:
                s.close()


@unittest.skipUnless(PG_URL, "needs the test cluster")
class Hj212OffTest(DaemonTestCase):
    """Without AQRANK_HJ212_LISTEN nothing listens."""
    ENV = {"AQRANK_NOW": NOW}

    def test_off_by_default(self):
        self.assertFalse(any("HJ 212 listening" in l for l in self.d.lines))


if __name__ == "__main__":
    unittest.main()
