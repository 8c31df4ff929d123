"""A read replica (issue 18): `deploy/pg-local.sh standby` streams a hot standby of a cluster
of this test's own; with AQRANK_READ_DSN the daemon reads rankings, history and the interview
list there, each reply in one snapshot, while ingest, finalization and today's ranking stay on
the primary; the lag is in /metrics and in the replies' headers; a replica further behind than
AQRANK_READ_MAX_LAG_S, or unreachable, is bypassed with the reason logged; and a reply is
always wholly the replica's or wholly the primary's, however the two differ at that moment."""
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from harness import ADMIN, PG_URL, ROOT, Daemon, wait_for

NOW = "2017-12-07T15:00:00+08:00"
DAY = "2017-12-06"
PG_LOCAL = os.path.join(ROOT, "deploy", "pg-local.sh")


def metric(d, name):
    m = re.search(rf"^{name} (\S+)$", d.get("/metrics").body.decode(), re.M)
    return float(m.group(1)) if m else None


@unittest.skipUnless(PG_URL, "needs PostgreSQL (run through make test)")
class ReadReplicaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A primary and its standby of our own: a base backup of the shared test cluster
        # would copy every other suite's databases.
        cls.state = tempfile.mkdtemp(prefix="aqrank-replica-test.")
        cls.env = dict(os.environ, AQ_PG_STATE=cls.state)
        cls.pg("start")
        cls.primary = cls.pg("url")
        cls.pg("standby")
        cls.standby = cls.pg("standby-url")

    @classmethod
    def pg(cls, *args):
        out = subprocess.run(["sh", PG_LOCAL, *args], env=cls.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"pg-local.sh {' '.join(args)}: {out.stderr}")
        return out.stdout.strip()

    @classmethod
    def tearDownClass(cls):
        cls.pg("destroy")
        shutil.rmtree(cls.state, ignore_errors=True)

    def standby_sql(self, sql):
        return subprocess.run(["psql", self.standby, "-Atqc", sql], capture_output=True, text=True,
                              check=True).stdout.strip()

    def test_reads_go_to_the_replica_and_never_mix(self):
        env = {"AQRANK_NOW": NOW, "AQRANK_READ_DSN": self.standby, "AQRANK_READ_MAX_LAG_S": "2",
               "AQRANK_FINALIZE_QUIET": "0"}
        d = Daemon(url=self.primary, env=env).start()
        try:
            for code in ("R-1", "R-2", "R-3"):
                d.put_station(code)
            d.post_readings([{"station": c, "observed_at": f"{DAY}T{h:02d}:00:00+08:00", "pm10": 50 + 10 * i + h % 3}
                             for i, c in enumerate(("R-1", "R-2", "R-3")) for h in range(24)])
            wait_for(lambda: d.get(f"/api/v1/ranking/{DAY}").json.get("final"), what="the day finalized")
            wait_for(lambda: metric(d, "aqrank_replica_in_use") == 1, what="the replica in use")

            # Routed reads come from the replica, with its lag; the rest from the primary.
            day = d.get(f"/api/v1/ranking/{DAY}")
            wait_for(lambda: d.get(f"/api/v1/ranking/{DAY}").json.get("final"), what="the day on the replica")
            day = d.get(f"/api/v1/ranking/{DAY}")
            self.assertEqual(day.header("X-Aqrank-Read-From"), "replica")
            self.assertLess(float(day.header("X-Aqrank-Replica-Lag")), 2)
            for path in ("/api/v1/stations/R-1/readings?limit=5", "/api/v1/stations/R-1/daily",
                         f"/api/v1/stations/R-1/hourly?date={DAY}", f"/api/v1/interviews?date={DAY}",
                         f"/api/v1/ranking/{DAY}?format=csv", "/api/v1/ranking/latest"):
                r = d.get(path)
                self.assertEqual(r.status, 200, (path, r))
                self.assertEqual(r.header("X-Aqrank-Read-From"), "replica", path)
            self.assertIsNone(d.get("/api/v1/ranking/today").header("X-Aqrank-Read-From"))
            self.assertIsNone(d.get("/api/v1/stations").header("X-Aqrank-Read-From"))
            self.assertGreaterEqual(metric(d, "aqrank_replica_reads_total"), 7)
            self.assertIsNotNone(metric(d, "aqrank_replica_lag_seconds"))
            old = (day.json["finalized_at"], sorted(r["station"] for r in day.json["ranking"]))

            # The standby stops replaying. On the primary: a new station with the day's
            # readings, and the day finalized again with it. The replica still shows the old
            # day, whole; once it is AQRANK_READ_MAX_LAG_S behind, replies come from the
            # primary, whole; after replay resumes, from the replica again, now new.
            self.standby_sql("SELECT pg_wal_replay_pause()")
            d.put_station("R-4")
            d.post_readings([{"station": "R-4", "observed_at": f"{DAY}T{h:02d}:00:00+08:00", "pm10": 20}
                             for h in range(24)])
            fin = d.post(f"/api/v1/ranking/{DAY}/finalize", token=ADMIN)
            self.assertEqual(fin.status, 200, fin)
            new = (fin.json["finalized_at"], sorted(r["station"] for r in fin.json["ranking"]))
            self.assertNotEqual(old, new)
            self.assertIn("R-4", new[1])

            seen, stop = [], threading.Event()

            def poll():
                while not stop.is_set():
                    r = d.get(f"/api/v1/ranking/{DAY}")
                    body = r.json
                    names = sorted(x["station"] for x in body["ranking"])
                    insufficient = sorted(x["station"] for x in body["insufficient"])
                    seen.append((r.header("X-Aqrank-Read-From"), (body["finalized_at"], names), insufficient))

            pollers = [threading.Thread(target=poll) for _ in range(3)]
            for t in pollers:
                t.start()
            try:
                wait_for(lambda: metric(d, "aqrank_replica_in_use") == 0, timeout=20, what="the replica bypassed")
                self.assertGreater(metric(d, "aqrank_replica_lag_seconds"), 2)
                wait_for(lambda: any(s[0] == "primary" for s in seen), what="a reply from the primary")
                self.standby_sql("SELECT pg_wal_replay_resume()")
                wait_for(lambda: metric(d, "aqrank_replica_in_use") == 1, timeout=20, what="the replica back")
                wait_for(lambda: seen[-1][0] == "replica" and seen[-1][1] == new, what="the replica caught up")
            finally:
                stop.set()
                for t in pollers:
                    t.join()
            # Every reply is one of the two states, never a mixture (a station of the new
            # snapshot with the old stamp, or listed without its values).
            for source, state, insufficient in seen:
                self.assertIn(state, (old, new), source)
                self.assertEqual(insufficient, [], source)
                if source == "primary":
                    self.assertEqual(state, new)
            sources = {s[0] for s in seen}
            self.assertEqual(sources, {"replica", "primary"})
            self.assertTrue(any(s[0] == "replica" and s[1] == old for s in seen))
            log = "\n".join(d.lines)
            self.assertRegex(log, r"read replica bypassed, reads go to the primary: [\d.]+ s behind the primary "
                                  r"\(AQRANK_READ_MAX_LAG_S=2\)")
            self.assertIn("read replica in use", log)

            # Ingest and the background jobs never needed the replica: readings were stored
            # and the day finalized while it stood still. Now it goes away altogether.
            self.pg("standby-stop")
            wait_for(lambda: metric(d, "aqrank_replica_up") == 0, timeout=20, what="the replica down")
            r = d.get(f"/api/v1/ranking/{DAY}")
            self.assertEqual((r.status, r.header("X-Aqrank-Read-From")), (200, "primary"))
            self.assertIn("read replica bypassed, reads go to the primary: unreachable", "\n".join(d.lines))
            self.assertEqual(d.post_readings({"station": "R-1", "observed_at": NOW, "pm10": 40}).status, 200)
        finally:
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
