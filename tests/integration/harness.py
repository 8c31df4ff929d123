"""Integration test harness: starts the real build/aqrankd against the local PostgreSQL
cluster (a fresh database per test class) and speaks HTTP to it.

Environment (set by tests/run-all.sh):
  AQ_TEST_PG_URL  libpq URI of the throw-away cluster's `aqrank` database
  AQ_BIN          the daemon binary (plain or ASan/UBSan build)
"""
import atexit
import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time
import unittest
import urllib.parse
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("AQ_BIN", os.path.join(ROOT, "build", "aqrankd"))
PG_URL = os.environ.get("AQ_TEST_PG_URL", "")
ADMIN = "admin-token-for-tests-0123456789"
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "Invalid read", "Invalid write", "uninitialised", "definitely lost",
                     "indirectly lost")
# AQ_VALGRIND=1 runs every daemon under valgrind memcheck (tests/run-all.sh does for a subset).
VALGRIND = ["valgrind", "-q", "--leak-check=full", "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=33",
            f"--suppressions={os.path.join(ROOT, 'tests', 'valgrind.supp')}"] if os.environ.get("AQ_VALGRIND") else []


def db_url(name):
    """The cluster URL with another database name."""
    parts = urllib.parse.urlsplit(PG_URL)
    return f"{parts.scheme}://{parts.netloc}/{name}" + (f"?{parts.query}" if parts.query else "")


def psql(sql, url=None):
    out = subprocess.run(["psql", url or PG_URL, "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


_created = []


def new_database():
    """A fresh database for one test class; dropped when the test process exits
    (AQ_KEEP_DBS=1 keeps them for a look after a failure)."""
    name = "t_" + uuid.uuid4().hex[:12]
    psql(f"CREATE DATABASE {name}")
    _created.append(name)
    return db_url(name)


@atexit.register
def _drop_databases():
    if os.environ.get("AQ_KEEP_DBS") or not PG_URL:
        return
    for name in _created:
        # A daemon killed by a failed test may still hold a connection: FORCE ends it.
        subprocess.run(["psql", PG_URL, "-Atqc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                       capture_output=True)


# Under valgrind a daemon runs 20-50x slower, more on a loaded machine: waits for something that
# must happen are stretched by this factor (a wait that passes returns as soon as it is seen).
SLOW = 4 if VALGRIND else 1


def wait_for(predicate, timeout=30, what="condition"):
    """Polls predicate until it returns something true (returned) or timeout seconds pass
    (times SLOW under valgrind)."""
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def pg_local(*args):
    return subprocess.run(["sh", os.path.join(ROOT, "deploy", "pg-local.sh"), *args],
                          capture_output=True, text=True, check=True)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Daemon:
    """One aqrankd process. Use start()/stop(), or as a context manager."""

    def __init__(self, url=None, env=None, args=()):
        self.url = url or new_database()
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "AQRANK_DATABASE_URL": self.url,
                    "AQRANK_LISTEN": "127.0.0.1:0",
                    "AQRANK_ADMIN_TOKEN": ADMIN,
                    "AQRANK_THREADS": "4",
                    # The suites that check arithmetic against hand-worked answers post flat
                    # days on purpose (one value all day), which quality control would call
                    # stuck; test_quality.py turns it on (AQRANK_QC: "on", or None for the
                    # daemon's own default).
                    "AQRANK_QC": "off",
                    # Today's ranking is rebuilt on every change, as the suites expect after a
                    # POST: under valgrind even a small network's build takes the 20 ms that
                    # turns the debounce on (test_scaleout.DebounceTest tests it).
                    "AQRANK_TODAY_DEBOUNCE_MS": "0",
                    "ASAN_OPTIONS": "detect_leaks=1:exitcode=23",
                    # fontconfig's and cairo's own caches (the bulletin's PDF) are not our leaks
                    "LSAN_OPTIONS": f"suppressions={os.path.join(ROOT, 'tests', 'lsan.supp')}:print_suppressions=0",
                    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
        self.env.update(env or {})
        self.env = {k: v for k, v in self.env.items() if v is not None}
        self.args = list(args)
        self.proc = None
        self.port = None
        self.lines = []
        self._ready = threading.Event()

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            m = re.search(r"listening on http://[^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                self._ready.set()
        self._ready.set()

    def start(self, timeout=20):
        self.proc = subprocess.Popen([*VALGRIND, BIN, *self.args], env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        if VALGRIND:
            timeout *= 4
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        self._ready.wait(timeout)
        if self.port is None:
            self.proc.kill()
            raise RuntimeError("aqrankd did not start:\n" + "\n".join(self.lines[-30:]))
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the daemon; returns its exit code. Sanitizer reports fail loudly."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._thread.join(5)
        self.proc.stderr.close()
        self.proc = None
        bad = [l for l in self.lines if any(m in l for m in SANITIZER_MARKERS)]
        if bad:
            raise AssertionError("sanitizer report:\n" + "\n".join(self.lines[-80:]))
        return code

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def request(self, method, path, body=None, token=None, headers=None, raw=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        if token:
            hdrs["Authorization"] = "Bearer " + token
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return Response(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put_station(self, code, kind="micro", lat=39.93, lon=116.42, **attrs):
        body = {"name": attrs.pop("name", code), "kind": kind, "lat": lat, "lon": lon}
        body.update(attrs)
        r = self.request("PUT", "/api/v1/stations/" + code, body=body, token=ADMIN)
        if r.status not in (200, 201):
            raise AssertionError(f"PUT station {code}: {r}")
        return r.json.get("token")

    def post_readings(self, readings, token=ADMIN, expect=200):
        r = self.post("/api/v1/readings", body=readings, token=token)
        if expect is not None and r.status != expect:
            raise AssertionError(f"POST readings: expected {expect}, got {r}")
        return r


class DaemonTestCase(unittest.TestCase):
    """One daemon (and a fresh database) per test class."""

    ENV = {}

    @classmethod
    def setUpClass(cls):
        if not PG_URL:
            raise unittest.SkipTest("AQ_TEST_PG_URL not set (run through make test)")
        cls.d = Daemon(env=cls.ENV).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop()
        if code != 0:
            raise AssertionError(f"aqrankd exited with {code}:\n" + "\n".join(cls.d.lines[-40:]))

    def assertError(self, r, status, code):
        self.assertEqual(r.status, status, r)
        err = r.json["error"]
        self.assertEqual(err["code"], code, r)
        self.assertTrue(err["message"], r)
        return err
