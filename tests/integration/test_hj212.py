"""HJ 212-2017 ingest (issue 5): a simulated micro-station speaking HJ 212 over TCP shows up in
the readings and in /api/v1/ranking/today exactly like a twin that POSTs the same readings as
JSON; frames split, coalesced, sent byte by byte or behind garbage are all taken; answers
(CN=9014, same QN) come after the commit and only when asked for; and no malformed or
unauthenticated frame stores anything, while the connection lives on."""
import hashlib
import os
import re
import socket
import sys
import threading
import time
import unittest

from harness import ADMIN, PG_URL, ROOT, DaemonTestCase, psql, wait_for

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


class Hj212Base(DaemonTestCase):
    """A daemon with the HJ 212 listener, and helpers to speak to it."""
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
        Hj212Base._mn[0] += 1
        mn = "8888888%07d" % Hj212Base._mn[0]
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


class Hj212Test(Hj212Base):

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
                    # Generous: under sanitizers on a loaded 2-core machine 20 slow devices take long.
                    results[code] = len(dev.answers(1, timeout=30))
            threads = [threading.Thread(target=one, args=cm) for cm in zip(codes, mns)]
            for t in threads:
                t.start()
            t0 = time.monotonic()
            self.assertEqual(self.d.get("/healthz").status, 200)
            self.assertLess(time.monotonic() - t0, 2)
            for t in threads:
                t.join(60)
            self.assertEqual(results, {c: 1 for c in codes})
            for c in codes:
                self.assertEqual(len(self.readings(c)), 1)
        finally:
            for s in idle:
                s.close()


# Frames in the layouts real micro-stations publish (issue 24), with only MN, PW and DataTime
# changed: a 2021 micro-station log (no QN, no Flag, a ';' before "&&", CO2/CH2O/VOC besides),
# a vendor's 2017 sample (PM10/PM25/…/TEM/RH/WD/WS with flags), an IoT platform's 2017
# atmosphere protocol (NOIS noise, PA pressure, TSP besides).
REAL_LAYOUTS = {
    "log2021": "ST=22;CN=2011;PW={pw};MN={mn};CP=&&DataTime={t};TEMP-Rtd=22.0;HUMI-Rtd=43.5;PM25-Rtd=2.0;"
               "CO2-Rtd=405.0;CH2O-Rtd=0.008;VOC-Rtd=0.052;&&",
    "vendor2017": "ST=22;CN=2011;PW={pw};MN={mn};CP=&&DataTime={t};PM10-Rtd=69,PM10-Flag=N;PM25-Rtd=28,"
                  "PM25-Flag=N;SO2-Rtd=23,SO2-Flag=N;CO-Rtd=1.3,CO-Flag=N;O3-Rtd=41,O3-Flag=N;NO2-Rtd=28,"
                  "NO2-Flag=N;TEM-Rtd=18.54,TEM-Flag=N;RH-Rtd=13.58,RH-Flag=N;WD-Rtd=315.0,WD-Flag=N;"
                  "WS-Rtd=2.45,WS-Flag=N&&",
    "platform2017": "ST=22;CN=2011;PW={pw};MN={mn};CP=&&DataTime={t};CO-Rtd=2.1367521,CO-Flag=N;"
                    "NO2-Rtd=0.85470086,NO2-Flag=N;SO2-Rtd=13.675214,SO2-Flag=N;O3-Rtd=21.794872,O3-Flag=N;"
                    "NOIS-Rtd=14.529915,NOIS-Flag=N;PM25-Rtd=41.025642,PM25-Flag=N;PM10-Rtd=29.05983,"
                    "PM10-Flag=N;TEM-Rtd=8.119658,TEM-Flag=N;RH-Rtd=31.623932,RH-Flag=N;WD-Rtd=2.1367521,"
                    "WD-Flag=N;WS-Rtd=36.752136,WS-Flag=N;PA-Rtd=36.752136,PA-Flag=N;TSP-Rtd=38.46154,"
                    "TSP-Flag=N&&",
}


def metric(body, name):
    m = re.search(r"^%s (\d+)$" % re.escape(name), body, re.M)
    return int(m.group(1)) if m else None


class Hj212DeviceTest(Hj212Base):
    """Issue 24 and issue 23 item 1: vendor codes and loose frames are stored; what a device
    sends that aqrank cannot use is shown to the admin; passwords cannot be guessed."""
    ENV = dict(Hj212Base.ENV, AQRANK_HJ212_AUTH_BUDGET="3")

    def send_once(self, mn, seg, pw=PW, source=None, answer=False):
        """One frame over a fresh connection; the answer frames (when asked for)."""
        with sim.Device("127.0.0.1", self.port, mn, pw, source=source) as dev:
            dev.send(sim.frame(seg))
            return dev.answers(1, timeout=3) if answer else dev.no_answer(0.5)

    def view(self, code):
        r = self.d.get(f"/api/v1/stations/{code}", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_real_vendor_frames_are_stored(self):
        want = {
            "log2021": {"pm25": 2, "temperature": 22, "humidity": 43.5},
            "vendor2017": {"pm10": 69, "pm25": 28, "so2": 23, "co": 1.3, "o3": 41, "no2": 28,
                           "temperature": 18.54, "humidity": 13.58, "wind_direction": 315, "wind_speed": 2.45},
            "platform2017": {"co": 2.1367521, "no2": 0.85470086, "so2": 13.675214, "o3": 21.794872,
                             "pm25": 41.025642, "pm10": 29.05983, "temperature": 8.119658,
                             "humidity": 31.623932, "wind_direction": 2.1367521, "wind_speed": 36.752136,
                             "pressure": 367.52136},
        }
        metrics0 = self.d.get("/metrics").body.decode()
        for i, (name, layout) in enumerate(REAL_LAYOUTS.items()):
            code = "REAL-" + name
            mn = self.station(code, interval_s=60)
            seg = layout.format(pw=PW, mn=mn, t=f"{DAY}13{i:02d}00")
            # No Flag: no answer is owed, and none comes; the reading is stored all the same.
            self.assertTrue(self.send_once(mn, seg), name)
            self.wait_for(lambda: self.readings(code), what=name + " stored")
            row = self.readings(code)[0]
            got = {k: row[k] for k in want[name]}
            for k, v in want[name].items():
                self.assertAlmostEqual(got[k], v, places=6, msg=(name, k, row))
            for k in set(CODES.values()) - set(want[name]):
                self.assertIsNone(row[k], (name, k))
        view = self.view("REAL-log2021")["hj212"]
        self.assertEqual([(u["code"], u["value"]) for u in view["unknown_codes"]],
                         [("CH2O", "0.008"), ("CO2", "405.0"), ("VOC", "0.052")], view)
        self.assertTrue(all(u["last_seen_at"] for u in view["unknown_codes"]))
        self.assertIsNotNone(view["last_frame_at"])
        self.assertIsNone(view["last_refusal"])
        # TSP and NOIS are set aside, not unknown.
        self.assertEqual(self.view("REAL-platform2017")["hj212"]["unknown_codes"], [])
        metrics1 = self.d.get("/metrics").body.decode()
        self.assertEqual(metric(metrics1, "aqrank_hj212_unknown_codes_total")
                         - metric(metrics0, "aqrank_hj212_unknown_codes_total"), 3)

    def test_station_code_map_beats_the_builtin_table(self):
        mn = self.station("MAP-212", interval_s=60,
                          hj212_codes={"PM25": "pm10", "XPM": "pm25", "co2": "ignore"})
        self.assertEqual(self.view("MAP-212")["hj212_codes"], {"PM25": "pm10", "XPM": "pm25", "co2": "ignore"})
        seg = f"ST=22;CN=2011;PW={PW};MN={mn};CP=&&DataTime={DAY}120000;PM25-Rtd=80;xpm-Rtd=30;CO2-Rtd=400;TEM-Rtd=3&&"
        self.assertTrue(self.send_once(mn, seg))
        self.wait_for(lambda: self.readings("MAP-212"), what="mapped reading")
        row = self.readings("MAP-212")[0]
        self.assertEqual((row["pm10"], row["pm25"], row["temperature"]), (80, 30, 3), row)
        self.assertEqual(self.view("MAP-212")["hj212"]["unknown_codes"], [])
        # Bad maps are refused with the entry named, and change nothing.
        for codes, field in (({"X-1": "pm25"}, "hj212_codes.X-1"), ({"XP": "pm2.5"}, "hj212_codes.XP"),
                             ({"XP": 3}, "hj212_codes.XP"), (["PM25"], "hj212_codes"),
                             ({"xp": "pm25", "XP": "pm10"}, None)):
            r = self.d.request("PUT", "/api/v1/stations/MAP-212", body={"hj212_codes": codes}, token=ADMIN)
            err = self.assertError(r, 422, "invalid_parameter")
            if field:
                self.assertIn(field, [x.get("field") for x in err["details"]], err)
        self.assertEqual(self.view("MAP-212")["hj212_codes"], {"PM25": "pm10", "XPM": "pm25", "co2": "ignore"})
        # Only the admin changes (and sees) it.
        r = self.d.request("PUT", "/api/v1/stations/MAP-212", body={"hj212_codes": {}},
                           token=self.tokens["MAP-212"])
        self.assertIn(r.status, (401, 403), r)
        open_view = self.d.get("/api/v1/stations/MAP-212").json
        self.assertNotIn("hj212_codes", open_view)
        # null clears it
        r = self.d.request("PUT", "/api/v1/stations/MAP-212", body={"hj212_codes": None}, token=ADMIN)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["hj212_codes"], {})

    def test_nothing_usable_is_refused_with_a_reason(self):
        mn = self.station("UNK-212", interval_s=60)
        seg = f"QN=20171207120000001;ST=22;CN=2011;PW={PW};MN={mn};Flag=5;CP=&&DataTime={DAY}120000;" \
              f"CO2-Rtd=405.0,CO2-Flag=N;VOC-Rtd=0.052;TSP-Rtd=80&&"
        self.assertTrue(self.send_once(mn, seg))  # Flag=5 asks for an answer: none, nothing stored
        self.assertEqual(self.readings("UNK-212"), [])
        # The refusal is recorded after the frame is read: wait for it rather than for a time.
        view = wait_for(lambda: (v := self.view("UNK-212")["hj212"])["last_refusal"] and v, what="the refusal")
        self.assertEqual(view["last_refusal"]["reason"], "no_known_codes", view)
        self.assertIn("CO2", view["last_refusal"]["detail"])
        self.assertEqual(view["refusals"], {"no_known_codes": 1})
        self.assertEqual([u["code"] for u in view["unknown_codes"]], ["CO2", "VOC"])
        # CO sent in µg/m³ is caught by the range check, and the reason says so.
        seg = f"ST=22;CN=2011;PW={PW};MN={mn};CP=&&DataTime={DAY}120100;CO-Rtd=1300;PM10-Rtd=50&&"
        self.assertTrue(self.send_once(mn, seg))
        view = wait_for(lambda: (v := self.view("UNK-212")["hj212"])["refusals"].get("invalid") and v,
                        what="the second refusal")
        self.assertEqual(view["last_refusal"]["reason"], "invalid", view)
        self.assertIn("co", view["last_refusal"]["detail"])
        self.assertEqual(self.readings("UNK-212"), [])

    def test_password_guessing_is_stopped_seen_and_lifted(self):
        code = "GUESS-212"
        mn = self.station(code, interval_s=60)
        m0 = self.d.get("/metrics").body.decode()
        attempts, answered, closed = 0, 0, 0
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            guess = "%06d" % attempts
            with sim.Device("127.0.0.1", self.port, mn, guess, source="127.0.0.50") as dev:
                dev.send(sim.frame(dev.segment(f"{DAY}140000", {"a34004": 999}, cn=2011)))
                answered += len(dev.answers(1, timeout=0.3))
                closed += dev.closed_by_peer(1)
            attempts += 1
        m1 = self.d.get("/metrics").body.decode()
        checked = lambda m, reason: int(re.search(
            r'aqrank_hj212_frames_total\{result="rejected",reason="%s"\} (\d+)' % reason, m).group(1))
        # Dozens of tries, every connection closed, only the budget's 3 passwords checked.
        self.assertGreater(attempts, 10)
        self.assertEqual((answered, closed), (0, attempts))
        self.assertEqual(checked(m1, "bad_password") - checked(m0, "bad_password"), 3)
        self.assertEqual(checked(m1, "throttled") + checked(m1, "locked_out")
                         - checked(m0, "throttled") - checked(m0, "locked_out"), attempts - 3)
        self.assertGreaterEqual(metric(m1, "aqrank_hj212_lockouts_total") - metric(m0, "aqrank_hj212_lockouts_total"), 1)
        self.assertEqual(metric(m1, "aqrank_hj212_auth_failures_total")
                         - metric(m0, "aqrank_hj212_auth_failures_total"), 3)
        # The right password, from another address, is refused too while the MN is locked.
        self.assertTrue(self.send_once(mn, sim.data_segment(mn, PW, f"{DAY}140100", {"a34004": 20}),
                                       source="127.0.0.51"))
        self.assertEqual(self.readings(code), [])
        # The admin sees the lockout; nobody else sees the MN.
        view = self.view(code)
        lock = view["hj212"]["lockout"]
        self.assertTrue(lock["locked"], lock)
        self.assertEqual((lock["failures"], lock["budget"], lock["last_failure_address"]), (3, 3, "127.0.0.50"))
        self.assertIsNotNone(lock["locked_until"])
        self.assertEqual([(a["address"], a["locked"]) for a in lock["addresses"]], [("127.0.0.50", True)])
        self.assertEqual(view["hj212"]["last_refusal"]["reason"], "locked_out")
        self.assertEqual(view["hj212"]["refusals"]["bad_password"], 3)
        self.assertEqual(view["mn"], mn)
        for r in (self.d.get(f"/api/v1/stations/{code}"), self.d.get(f"/api/v1/stations/{code}", token=self.tokens[code])):
            self.assertEqual(r.status, 200, r)
            self.assertNotIn("mn", r.json)
            self.assertNotIn("hj212", r.json)
        listed = {x["code"]: x for x in self.d.get("/api/v1/stations").json["stations"]}
        self.assertNotIn("mn", listed[code])
        self.assertEqual({x["code"]: x for x in self.d.get("/api/v1/stations", token=ADMIN).json["stations"]}[code]["mn"], mn)
        # The duty officer sees an attack: an auth_failures alert on the station.
        def alert():
            a = self.d.get(f"/api/v1/alerts?status=all&type=auth_failures&station={code}").json["alerts"]
            return a[0] if a else None
        self.wait_for(lambda: alert() and alert()["status"] == "open", what="auth_failures alert")
        self.assertEqual((alert()["severity"], alert()["value"], alert()["threshold"]), ("warning", 3, 3))
        self.assertGreaterEqual(int(re.search(r'aqrank_alerts_open\{type="auth_failures"\} (\d+)',
                                              self.d.get("/metrics").body.decode()).group(1)), 1)
        # Lifting is the admin's; then the device is heard at once and the alert resolves.
        r = self.d.request("DELETE", f"/api/v1/stations/{code}/hj212-lockout", token=self.tokens[code])
        self.assertIn(r.status, (401, 403), r)
        r = self.d.request("DELETE", f"/api/v1/stations/{code}/hj212-lockout", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["lifted"])
        self.assertEqual(r.json["hj212"]["lockout"]["failures"], 0)
        self.assertFalse(r.json["hj212"]["lockout"]["locked"])
        self.assertEqual(r.json["hj212"]["lockout"]["addresses"], [])
        ans = self.send_once(mn, sim.data_segment(mn, PW, f"{DAY}140200", {"a34004": 21}), source="127.0.0.50",
                             answer=True)
        self.assertEqual(len(ans), 1)
        self.assertEqual([x["pm25"] for x in self.readings(code)], [21])
        self.wait_for(lambda: alert()["status"] == "resolved", what="auth_failures alert resolved")
        r = self.d.request("DELETE", f"/api/v1/stations/{code}/hj212-lockout", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json["lifted"])
        self.assertError(self.d.request("DELETE", "/api/v1/stations/NO-SUCH/hj212-lockout", token=ADMIN),
                         404, "unknown_station")
        self.station("NOMN-212")
        self.d.request("PUT", "/api/v1/stations/NOMN-212", body={"mn": None}, token=ADMIN)
        self.assertError(self.d.request("DELETE", "/api/v1/stations/NOMN-212/hj212-lockout", token=ADMIN),
                         409, "conflict")

    def test_guessing_a_national_point_is_critical(self):
        mn = self.station("GC-212", kind="national", interval_s=3600)
        for i in range(3):
            if i:
                time.sleep(2 ** (i - 1) + 0.1)  # the MN's growing wait: 1 s, 2 s
            self.assertTrue(self.send_once(mn, sim.data_segment(mn, "guess%d" % i, f"{DAY}140000", {"a34004": 5}),
                                           source=f"127.0.0.{60 + i}"))
        self.wait_for(lambda: self.d.get("/api/v1/alerts?type=auth_failures&station=GC-212").json["alerts"],
                      what="alert on the national point")
        a = self.d.get("/api/v1/alerts?type=auth_failures&station=GC-212").json["alerts"][0]
        self.assertEqual((a["severity"], a["status"]), ("critical", "open"))

    def test_changed_password_is_checked_again_and_old_hashes_upgrade(self):
        code = "HASH-212"
        mn = self.station(code, interval_s=60)
        stored = lambda: psql(f"SELECT hj212_password_hash FROM stations WHERE code = '{code}'", self.d.url)
        self.assertTrue(stored().startswith("$argon2id$v=19$m=19456,t=2,p=1$"), stored())
        # A hash of aqrank before Argon2id: salted SHA-256, still accepted, then upgraded.
        salt = "00112233445566778899aabbccddeeff"
        legacy = "sha256$%s$%s" % (salt, hashlib.sha256((salt + PW).encode()).hexdigest())
        psql(f"UPDATE stations SET hj212_password_hash = '{legacy}' WHERE code = '{code}'", self.d.url)
        with self.device(mn) as dev:
            dev.upload(f"{DAY}100000", {"a34004": 10})
            self.assertEqual(len(dev.answers(1)), 1)
            self.assertTrue(stored().startswith("$argon2id$"), stored())
            # The connection keeps its proved password (no slow hash per frame) …
            for k in range(1, 6):
                dev.upload(f"{DAY}10{k:02d}00", {"a34004": 10 + k})
            self.assertEqual(len(dev.answers(5)), 5)
            # … until the operator changes it: the old one no longer works, even here.
            self.d.put_station(code, hj212_password="a-new-one")
            dev.upload(f"{DAY}101000", {"a34004": 30})
            self.assertTrue(dev.closed_by_peer())
        self.assertEqual(len(self.readings(code)), 6)
        time.sleep(1.1)  # that was a wrong password: the MN waits a second before the next check
        with sim.Device("127.0.0.1", self.port, mn, "a-new-one") as dev:
            dev.upload(f"{DAY}101100", {"a34004": 31})
            self.assertEqual(len(dev.answers(1)), 1)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class Hj212OffTest(DaemonTestCase):
    """Without AQRANK_HJ212_LISTEN nothing listens."""
    ENV = {"AQRANK_NOW": NOW}

    def test_off_by_default(self):
        self.assertFalse(any("HJ 212 listening" in l for l in self.d.lines))


if __name__ == "__main__":
    unittest.main()
