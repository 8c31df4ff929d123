"""Hostile HTTP (issue 7): slow and idle connections do not starve other clients; oversized
headers and bodies, deeply nested or huge JSON, invalid UTF-8, NUL bytes, 1e999 and NaN get
clean 4xx JSON; a per-token rate limit answers 429 with Retry-After."""
import json
import os
import socket
import time
import unittest

from harness import ADMIN, DaemonTestCase

NOW = "2017-12-07T15:00:00+08:00"
SLOW = int(os.environ.get("AQ_SLOW_CONNECTIONS", "300"))
FIGURES = os.path.join(os.path.dirname(__file__), "..", "..", "build", "reliability")


def raw_request(port, data, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before reading everything (e.g. an early 413)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out:
                head, _, body = out.partition(b"\r\n\r\n")
                length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
                if length and len(body) >= int(length[0].split(b":")[1]):
                    break
        return out
    finally:
        s.close()


class HostileInputTest(DaemonTestCase):
    ENV = {"AQRANK_NOW": NOW}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tok = cls.d.put_station("HOST-1")

    def post_raw(self, body, ctype="application/json"):
        return self.d.request("POST", "/api/v1/readings", raw=body, token=self.tok,
                              headers={"Content-Type": ctype})

    def test_bad_json_bodies_are_clean_400s(self):
        cases = {
            "deeply nested": b"[" * 100000 + b"]" * 100000,
            "invalid utf-8": b'{"observed_at": "2017-12-07T10:00:00+08:00", "pm25": 1, "x": "\xff\xfe"}',
            "NUL byte": b'{"observed_at": "2017-12-07T10:00:00+08:00",\x00 "pm25": 1}',
            "escaped NUL": b'{"observed_at": "2017-12-07T10:00:00\\u0000+08:00", "pm25": 1}',
            "1e999": b'{"observed_at": "2017-12-07T10:00:00+08:00", "pm25": 1e999}',
            "NaN": b'{"observed_at": "2017-12-07T10:00:00+08:00", "pm25": NaN}',
            "-Infinity": b'{"observed_at": "2017-12-07T10:00:00+08:00", "pm25": -Infinity}',
            "truncated": b'[{"observed_at": "2017-12-07T10:00:00+08:00", "pm25": 1',
            "trailing garbage": b'{"observed_at": "2017-12-07T10:00:00+08:00", "pm25": 1} x',
        }
        for name, body in cases.items():
            r = self.post_raw(body)
            self.assertIn(r.status, (400, 422), f"{name}: {r}")
            self.assertTrue(r.header("Content-Type").startswith("application/json"), name)
            self.assertIn(r.json["error"]["code"], ("invalid_json", "invalid_reading"), name)
        # Nothing of it was stored.
        self.assertEqual(self.d.get("/api/v1/stations/HOST-1/readings").json["readings"], [])

    def test_huge_values_and_batches(self):
        r = self.post_raw(json.dumps({"observed_at": "2017-12-07T10:00:00+08:00", "pm25": 1e308}).encode())
        self.assertError(r, 422, "invalid_reading")
        batch = [{"observed_at": "2017-12-07T10:00:00+08:00", "pm25": 1}] * 5001
        self.assertError(self.d.post("/api/v1/readings", body=batch, token=self.tok), 413, "body_too_large")
        big = b" " * (3 * 1024 * 1024)
        out = raw_request(self.d.port, b"POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                          + self.tok.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: "
                          + str(len(big)).encode() + b"\r\n\r\n" + big)
        self.assertIn(b" 413 ", out.split(b"\r\n")[0])
        self.assertIn(b'"body_too_large"', out)
        long_field = {"observed_at": "2017-12-07T10:00:00+08:00", "pm25": 1, "x" * 100000: 1}
        self.assertError(self.d.post("/api/v1/readings", body=long_field, token=self.tok), 422, "invalid_reading")

    def test_oversized_headers_get_json_431(self):
        data = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 60000 + b"\r\n\r\n")
        out = raw_request(self.d.port, data)
        self.assertIn(b" 431 ", out.split(b"\r\n")[0])
        self.assertIn(b'"headers_too_large"', out)

    def test_odd_paths_and_methods(self):
        for raw in (b"GET /api/v1/stations/%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET /api/v1/\x01\x02 HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"BREW /api/v1/readings HTTP/1.1\r\nHost: x\r\n\r\n"):
            out = raw_request(self.d.port, raw)
            status = out.split(b"\r\n")[0]
            self.assertRegex(status, rb" 4\d\d ", raw)
            if b"<html" in out.lower():
                self.fail(f"HTML error page for {raw!r}")
        self.assertEqual(self.d.get("/healthz").status, 200)


class SlowConnectionsTest(DaemonTestCase):
    """Many slow or idle clients hold connections; others are still served promptly, and the
    idle ones are dropped after AQRANK_CONN_TIMEOUT."""
    ENV = {"AQRANK_CONN_TIMEOUT": "3", "AQRANK_CONN_LIMIT": "2000"}

    def test_slowloris_does_not_starve(self):
        slow = []
        for i in range(SLOW):
            s = socket.create_connection(("127.0.0.1", self.d.port))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finished
            slow.append(s)
        idle = [socket.create_connection(("127.0.0.1", self.d.port)) for _ in range(SLOW // 3)]
        try:
            times = []
            for _ in range(20):
                t0 = time.monotonic()
                r = self.d.get("/healthz", timeout=5)
                times.append(time.monotonic() - t0)
                self.assertEqual(r.status, 200)
            worst = max(times)
            self.assertLess(worst, 1.0, times)
            # Trickle one more byte: not enough to stay forever.
            for s in slow[:10]:
                s.sendall(b"a")
            time.sleep(4.5)
            closed = 0
            for s in slow + idle:
                s.settimeout(0.5)
                try:
                    if s.recv(1) == b"":
                        closed += 1
                except (socket.timeout, ConnectionResetError):
                    pass
            self.assertGreaterEqual(closed, int(0.9 * (len(slow) + len(idle))), "timeouts drop idle connections")
            os.makedirs(FIGURES, exist_ok=True)
            with open(os.path.join(FIGURES, "slowloris.json"), "w") as f:
                json.dump({"slow_connections": len(slow), "idle_connections": len(idle),
                           "worst_other_client_ms": round(worst * 1000, 1),
                           "dropped_after_timeout": closed}, f)
        finally:
            for s in slow + idle:
                s.close()


class RateLimitTest(DaemonTestCase):
    ENV = {"AQRANK_NOW": NOW, "AQRANK_RATE_LIMIT": "5", "AQRANK_RATE_BURST": "5"}

    def test_per_token_429_with_retry_after(self):
        a = self.d.put_station("RL-A")
        b = self.d.put_station("RL-B")
        statuses = []
        for i in range(12):
            r = self.d.post("/api/v1/readings", body={"observed_at": f"2017-12-07T10:{i:02d}:00+08:00", "pm25": 1},
                            token=a)
            statuses.append(r.status)
            if r.status == 429:
                self.assertEqual(r.json["error"]["code"], "rate_limited")
                self.assertGreaterEqual(int(r.header("Retry-After")), 1)
        self.assertEqual(statuses[:5], [200] * 5)
        self.assertIn(429, statuses)
        # Another token has its own bucket.
        r = self.d.post("/api/v1/readings", body={"observed_at": "2017-12-07T10:00:00+08:00", "pm25": 1}, token=b)
        self.assertEqual(r.status, 200)
        time.sleep(1.1)
        r = self.d.post("/api/v1/readings", body={"observed_at": "2017-12-07T11:00:00+08:00", "pm25": 1}, token=a)
        self.assertEqual(r.status, 200)
        metrics = self.d.get("/metrics").body.decode()
        self.assertRegex(metrics, r"aqrank_rate_limited_total [1-9]")


if __name__ == "__main__":
    unittest.main()
