"""The first hour of a new user (issue 22): each place where a new user stopped and wondered,
as a test that fails if it comes back. The README walk itself is test_readme.py; the map's
labels and zoom are test_dashboard.MapLabelsTest.
"""
import csv
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import ADMIN, BIN, PG_URL, ROOT, Daemon, wait_for

NOW = "2017-12-07T15:30:00+08:00"


class MakeWithoutLibrariesTest(unittest.TestCase):
    """Item 1: `make` where the libraries are missing says so in one line and names `make deps`."""

    def test_one_line_naming_the_packages(self):
        if not shutil.which("make"):
            self.skipTest("no make")
        with tempfile.TemporaryDirectory() as tmp:
            # A pkg-config that knows every library but jansson and libmicrohttpd.
            fake = os.path.join(tmp, "pkg-config")
            with open(fake, "w") as f:
                f.write("#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in jansson|libmicrohttpd) exit 1;; esac; done\n"
                        "exec /usr/bin/pkg-config \"$@\"\n")
            os.chmod(fake, 0o755)
            env = dict(os.environ, PATH=tmp + ":" + os.environ["PATH"])
            run = subprocess.run(["make", "-s", f"BUILDDIR={tmp}/build"], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=120)
        self.assertNotEqual(run.returncode, 0)
        lines = [l for l in (run.stdout + run.stderr).splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, lines)
        for word in ("libmicrohttpd", "jansson", "libmicrohttpd-dev", "libjansson-dev", "make deps"):
            self.assertIn(word, lines[0])
        self.assertNotIn("No such file", lines[0])
        self.assertFalse(os.path.exists(os.path.join(tmp, "build")), "it compiled anyway")


@unittest.skipUnless(PG_URL, "needs the test cluster")
class RepliesTest(unittest.TestCase):
    """Item 6: the replies that surprised."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(env={"AQRANK_NOW": NOW}).start()
        cls.token = cls.d.put_station("FH-1", interval_s=3600)

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def test_unknown_query_parameter_is_named(self):
        r = self.d.get("/api/v1/ranking/today?metirc=pm25")
        self.assertEqual((r.status, r.json["error"]["code"]), (422, "invalid_parameter"), r)
        self.assertIn("metirc", r.json["error"]["message"])
        detail = r.json["error"]["details"][0]
        self.assertEqual(detail["field"], "metirc")
        for allowed in ("metric", "near", "radius_km", "format", "lang"):
            self.assertIn(allowed, detail["problem"])
        # Known ones still work, everywhere a user is likely to go.
        for path in ("/api/v1/ranking/today?metric=pm25&lang=en", "/api/v1/stations?kind=micro",
                     "/api/v1/alerts?status=open&limit=5", "/api/v1/interviews?date=2017-12-06&lang=en",
                     "/api/v1/ranking/month-to-date?by=unit&metric=pm25&format=csv",
                     "/api/v1/ranking/2017-12-06?by=unit&pollutants=pm25,pm10"):
            self.assertIn(self.d.get(path).status, (200, 404), path)
        # A route without parameters takes none; the dashboard's own page takes any (its JS reads them).
        r = self.d.get("/api/v1/stations/FH-1?verbose=1")
        self.assertEqual(r.status, 422, r)
        self.assertIn("takes none", r.json["error"]["details"][0]["problem"])
        self.assertEqual(self.d.get("/?lang=en&period=year&pmetric=pm10&by=unit&map=ring").status, 200)

    def test_wrong_bearer_on_an_open_get_is_401(self):
        r = self.d.get("/api/v1/ranking/today", token="not-a-token-of-this-daemon")
        self.assertEqual((r.status, r.json["error"]["code"]), (401, "unauthorized"), r)
        self.assertIn("Bearer", r.header("WWW-Authenticate"))
        # No token, the admin's, a station's own: as before.
        self.assertEqual(self.d.get("/api/v1/ranking/today").status, 200)
        self.assertEqual(self.d.get("/api/v1/ranking/today", token=ADMIN).status, 200)
        self.assertEqual(self.d.get("/api/v1/ranking/today", token=self.token).status, 200)
        # The page and health never look at a token.
        self.assertEqual(self.d.get("/healthz", token="nonsense").status, 200)

    def test_every_error_has_details(self):
        cases = [self.d.get("/api/v1/nothing"), self.d.get("/api/v1/ranking/2017-13-01"),
                 self.d.request("DELETE", "/api/v1/ranking/today"),
                 self.d.post("/api/v1/readings", body={"observed_at": "2017-12-07T15:00:00+08:00", "pm25": 1}),
                 self.d.post("/api/v1/readings", body=[{"observed_at": "bad"}], token=self.token)]
        for r in cases:
            self.assertGreaterEqual(r.status, 400, r)
            self.assertEqual(sorted(r.json["error"]), ["code", "details", "message"], r)
            self.assertIsInstance(r.json["error"]["details"], list)

    def test_single_reading_error_has_index_0(self):
        r = self.d.post("/api/v1/readings", body={"observed_at": "2017-12-07T15:00:00", "pm25": 61},
                        token=self.token)
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.json["error"]["details"][0]["index"], 0)
        self.assertEqual(r.json["error"]["details"][0]["field"], "observed_at")
        # As in a batch of one.
        r2 = self.d.post("/api/v1/readings", body=[{"observed_at": "2017-12-07T15:00:00", "pm25": 61}],
                         token=self.token)
        self.assertEqual(r2.json["error"]["details"], r.json["error"]["details"])

    def test_allow_names_each_method_once(self):
        r = self.d.request("DELETE", "/api/v1/ranking/today")
        self.assertEqual(r.status, 405)
        methods = [m.strip() for m in r.header("Allow").split(",")]
        self.assertEqual(len(methods), len(set(methods)), methods)
        self.assertEqual(set(methods), {"OPTIONS", "GET", "HEAD"})

    def test_favicon(self):
        r = self.d.get("/favicon.ico")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "image/svg+xml")
        self.assertTrue(r.body.startswith(b"<svg"))
        self.assertIn(b'rel="icon"', self.d.get("/").body)


def csv_table(r):
    """(header, rows) of a CSV reply."""
    rows = list(csv.reader(io.StringIO(r.body.decode("utf-8-sig"), newline="")))
    return rows[0], [dict(zip(rows[0], x)) for x in rows[1:] if x]


@unittest.skipUnless(PG_URL, "needs the test cluster")
class CsvForExcelTest(unittest.TestCase):
    """Item 5: CSV as a spreadsheet user of the bureau opens it."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(env={"AQRANK_NOW": NOW, "AQRANK_FINALIZE_QUIET": "0"}).start()
        d = cls.d
        for code, name in (("XL-1", "东四微站"), ("XL-2", "朝阳门微站"), ("XL-3", "建国门微站"), ("XL-4", "和平里微站")):
            d.put_station(code, name=name, unit=name[:-2] + "街道办事处", interval_s=3600)
        out = []
        for code, pm10 in (("XL-1", 80), ("XL-2", 95), ("XL-3", 110), ("XL-4", 130)):
            hours = range(12) if code == "XL-4" else range(24)  # XL-4: 12 hours, insufficient
            out += [{"station": code, "observed_at": f"2017-12-06T{h:02d}:00:00+08:00", "pm25": 40, "pm10": pm10}
                    for h in hours]
        out.append({"station": "XL-1", "observed_at": "2017-12-07T09:00:00+08:00", "pm25": 40, "pm10": 80,
                    "humidity": 99, "flags": {"pm10": "D", "humidity": "B"}})
        d.post_readings(out)
        r = d.post("/api/v1/ranking/2017-12-06/finalize", token=ADMIN)
        assert r.status == 200, r

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def test_ranking_csv_in_chinese_with_every_station(self):
        r = self.d.get("/api/v1/ranking/2017-12-06?format=csv")
        self.assertEqual(r.header("Content-Disposition"), 'attachment; filename="ranking-2017-12-06.csv"')
        head, rows = csv_table(r)
        self.assertEqual(head[:8], ["日期", "排名", "状态", "站点编号", "站点名称", "责任单位", "排名指标", "排名值"])
        self.assertIn("约谈", head)
        self.assertEqual([(x["排名"], x["站点编号"], x["状态"]) for x in rows],
                         [("1", "XL-1", "已排名"), ("2", "XL-2", "已排名"), ("3", "XL-3", "已排名"),
                          ("", "XL-4", "数据不足")])
        self.assertEqual(rows[3]["有效小时数"], "12")
        self.assertEqual({x["约谈"] for x in rows}, {"是", "否"})
        self.assertEqual(rows[0]["已定稿"], "是")
        self.assertEqual(rows[0]["空气质量类别"], "良")
        # English on request, with yes/no.
        head, rows = csv_table(self.d.get("/api/v1/ranking/2017-12-06?format=csv&lang=en"))
        self.assertEqual(head[:3], ["date", "rank", "status"])
        self.assertEqual({x["interview"] for x in rows}, {"yes", "no"})
        self.assertEqual(rows[0]["category"], "Good")

    def test_today_and_latest_are_named_by_their_day(self):
        self.assertEqual(self.d.get("/api/v1/ranking/today?format=csv").header("Content-Disposition"),
                         'attachment; filename="ranking-2017-12-07.csv"')
        self.assertEqual(self.d.get("/api/v1/ranking/latest?format=csv").header("Content-Disposition"),
                         'attachment; filename="ranking-2017-12-06.csv"')
        self.assertIsNone(self.d.get("/api/v1/ranking/latest").header("Content-Disposition"))  # JSON is not a file

    def test_interviews_csv(self):
        r = self.d.get("/api/v1/interviews?date=2017-12-06&format=csv")
        self.assertEqual(r.header("Content-Disposition"), 'attachment; filename="interviews-2017-12-06.csv"')
        head, rows = csv_table(r)
        self.assertEqual(head[:6], ["编号", "日期", "站点编号", "站点名称", "责任单位", "联系人"])
        self.assertTrue(rows)
        self.assertEqual({x["状态"] for x in rows}, {"待约谈"})
        self.assertTrue({x["约谈原因"] for x in rows} <= {"排名末位", "数据不足"})
        _, en = csv_table(self.d.get("/api/v1/interviews?date=2017-12-06&format=csv&lang=en"))
        self.assertEqual({x["status"] for x in en}, {"pending"})

    def test_readings_csv_names_its_flags(self):
        r = self.d.get("/api/v1/stations/XL-1/readings?from=2017-12-07&format=csv")
        self.assertEqual(r.header("Content-Disposition"), 'attachment; filename="readings-XL-1.csv"')
        head, rows = csv_table(r)
        self.assertEqual(head[0], "站点编号")
        self.assertEqual(head[-1], "数据标记")
        self.assertEqual(rows[0]["数据标记"], "PM10 故障（D）；湿度 通讯异常（B）")
        _, en = csv_table(self.d.get("/api/v1/stations/XL-1/readings?from=2017-12-07&format=csv&lang=en"))
        self.assertEqual(en[0]["flags"], "pm10 fault (D); humidity communication fault (B)")
        # Unflagged readings have an empty cell, not "NNNNNNNNNNN".
        _, plain = csv_table(self.d.get("/api/v1/stations/XL-2/readings?format=csv&limit=2"))
        self.assertEqual({x["数据标记"] for x in plain}, {""})


@unittest.skipUnless(PG_URL, "needs the test cluster")
class StreamLogTest(unittest.TestCase):
    """Item 8: a stream's log line counts the bytes it sent, and how long it lasted."""

    def test_stream_line_has_bytes_and_duration(self):
        with Daemon(env={"AQRANK_NOW": NOW}) as d:
            s = socket.create_connection(("127.0.0.1", d.port))
            s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
            got = b""
            deadline = time.time() + 10
            while b"aqrank events" not in got and time.time() < deadline:
                got += s.recv(4096)
            time.sleep(1.2)
            d.put_station("FH-2")  # an event or two on the stream
            time.sleep(0.5)
            s.close()
            line = wait_for(lambda: next((l for l in d.lines if " /api/v1/events 200 " in l), None),
                            what="the stream's log line")
            m = re.search(r"GET /api/v1/events 200 (\d+) ([\d.]+)ms", line)
            self.assertIsNotNone(m, line)
            self.assertGreaterEqual(int(m.group(1)), len("retry: 5000\n"), line)
            self.assertGreater(float(m.group(2)), 1000, line)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class MakeRunLeavesNothingTest(unittest.TestCase):
    """Item 7: `make run`'s script ends with its daemon, whatever ends the daemon."""

    def test_no_process_left_when_the_daemon_dies(self):
        env = dict(os.environ, AQRANK_LISTEN="127.0.0.1:0", AQ_DEMO_DATA="0", AQRANK_NOW=NOW,
                   PATH=os.environ["PATH"])
        proc = subprocess.Popen(["sh", os.path.join(ROOT, "deploy", "run-demo.sh")], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            out = b""
            deadline = time.time() + 120
            while b"aqrankd is running at" not in out and time.time() < deadline:
                chunk = proc.stdout.read1(4096)
                if not chunk:
                    break
                out += chunk
            self.assertIn(b"aqrankd is running at", out, out[-2000:])
            group = os.getpgid(proc.pid)
            daemon = subprocess.run(["pgrep", "-g", str(group), "-f", "aqrankd$|build/aqrankd"],
                                    capture_output=True, text=True).stdout.split()
            self.assertTrue(daemon, "no daemon in the script's group")
            for pid in daemon:
                os.kill(int(pid), signal.SIGKILL)  # not Ctrl-C: the daemon dies on its own
            code = proc.wait(30)
            self.assertNotEqual(code, 0)
            time.sleep(0.5)
            left = subprocess.run(["pgrep", "-g", str(group)], capture_output=True, text=True).stdout.split()
            self.assertEqual(left, [], "processes left behind: " +
                             subprocess.run(["ps", "-o", "pid,args", "-g", str(group)],
                                            capture_output=True, text=True).stdout)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            proc.stdout.close()


if __name__ == "__main__":
    unittest.main()
