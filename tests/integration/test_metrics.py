"""/metrics: Prometheus text exposition format 0.0.4, parsed strictly, with the series SPEC §6
lists (requests by route and status, latency histogram, readings accepted/duplicate/conflict/
late, finalizations, open alerts by type, webhook queue, DB pool)."""
import re
import unittest

from harness import ADMIN, DaemonTestCase, wait_for

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|\+Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """Returns {name: [(labels dict, value)]}, and checks every line's syntax and that each
    sample's family has a TYPE line before it."""
    families, types, seen = {}, {}, set()
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            types[name] = kind
            continue
        assert not line.startswith("#"), line
        m = SAMPLE.match(line)
        assert m, f"bad sample line: {line!r}"
        name, _, labels, value = m.groups()
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or base in types, f"no TYPE for {name}"
        parsed = dict(LABEL.findall(labels or ""))
        key = (name, tuple(sorted(parsed.items())))
        assert key not in seen, f"duplicate series {key}"
        seen.add(key)
        families.setdefault(name, []).append((parsed, float(value)))
    return families, types


class MetricsTest(DaemonTestCase):
    ENV = {"AQRANK_NOW": "2017-12-07T15:00:00+08:00"}

    def test_metrics_after_traffic(self):
        tok = self.d.put_station("M-1")
        # Half an hour before the clock: no offline alert can open (at 10:00 one did whenever
        # an alert pass ran before the scrape — a second after the POSTs, on a loaded machine).
        self.d.post_readings({"observed_at": "2017-12-07T14:30:00+08:00", "pm25": 20}, token=tok)
        self.d.post_readings({"observed_at": "2017-12-07T14:30:00+08:00", "pm25": 20}, token=tok)  # duplicate
        self.d.post_readings({"observed_at": "2017-12-07T14:30:00+08:00", "pm25": 21}, token=tok)  # conflict
        self.d.get("/api/v1/ranking/today")
        self.d.get("/nope")
        # A request is counted when libmicrohttpd reports it complete, after its reply went
        # out: another worker thread may serve the next request first (valgrind makes that
        # likely). Wait until the requests above are all counted.
        seen = {}

        def counted():
            seen["r"] = r = self.d.get("/metrics")
            text = r.body.decode() if r.status == 200 else ""
            return (re.search(r'route="unmatched"[^}]*status="404"\} 1\b', text) and
                    re.search(r'route="/api/v1/readings"[^}]*status="200"\} 3\b', text))
        wait_for(counted, timeout=10, what="the requests above counted in /metrics")
        r = seen["r"]
        self.assertTrue(r.header("Content-Type").startswith("text/plain; version=0.0.4"))
        fam, types = parse(r.body.decode())

        def value(name, **labels):
            for l, v in fam.get(name, []):
                if all(l.get(k) == want for k, want in labels.items()):
                    return v
            raise AssertionError(f"no {name} {labels}")

        self.assertEqual(types["aqrank_http_requests_total"], "counter")
        self.assertEqual(value("aqrank_http_requests_total", route="/api/v1/readings", method="POST",
                               status="200"), 3)
        self.assertEqual(value("aqrank_http_requests_total", route="unmatched", status="404"), 1)
        self.assertEqual(types["aqrank_http_request_duration_seconds"], "histogram")
        buckets = [(l["le"], v) for l, v in fam["aqrank_http_request_duration_seconds_bucket"]
                   if l["route"] == "/api/v1/readings"]
        counts = [v for _, v in buckets]
        self.assertEqual(counts, sorted(counts))                 # cumulative
        self.assertEqual(buckets[-1], ("+Inf", 3))
        self.assertEqual(value("aqrank_http_request_duration_seconds_count", route="/api/v1/readings"), 3)
        self.assertEqual(value("aqrank_readings_accepted_total"), 1)
        self.assertEqual(value("aqrank_readings_duplicate_total"), 1)
        self.assertEqual(value("aqrank_readings_conflict_total"), 1)
        self.assertIn("aqrank_readings_late_total", fam)
        self.assertIn("aqrank_finalizations_total", fam)
        self.assertEqual(value("aqrank_alerts_open", type="offline"), 0)
        self.assertEqual(value("aqrank_alerts_open", type="calibration_drift"), 0)
        self.assertEqual(len(fam["aqrank_alerts_open"]), 10)  # every type of SPEC §5, auth_failures, calibration_drift
        self.assertIn("aqrank_webhook_queue", fam)
        self.assertGreater(value("aqrank_db_pool_connections", state="size"), 0)
        self.assertEqual(value("aqrank_db_up"), 1)

    def test_metrics_need_no_token(self):
        self.assertEqual(self.d.get("/metrics").status, 200)
        self.assertEqual(self.d.get("/metrics", token=ADMIN).status, 200)
