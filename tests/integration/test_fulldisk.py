"""A full disk on the primary (issue 18): the database lives in a tablespace on a small tmpfs
that a ballast file fills while clients post. Readings that cannot be stored are answered 503
database_unavailable with Retry-After — never a 2xx for a reading that was not stored — and
every reading that got a 200 is stored exactly once; once space is freed, ingest resumes by
itself. Needs root (mount); skipped otherwise."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from harness import ADMIN, PG_URL, Daemon, db_url, psql

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))
from faults import Ingest  # noqa: E402

NOW = "2017-12-07T15:00:00+08:00"


def can_mount():
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    d = tempfile.mkdtemp(prefix="aqrank-mountcheck.")
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d], capture_output=True).returncode == 0
        if ok:
            subprocess.run(["umount", d], capture_output=True)
        return ok
    finally:
        os.rmdir(d)


@unittest.skipUnless(PG_URL, "needs the test cluster")
@unittest.skipUnless(can_mount(), "needs root and tmpfs mounts (CI runs as root)")
class FullDiskTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="aqrank-fulldisk.")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m,mode=0700", "tmpfs", self.dir], check=True)
        shutil.chown(self.dir, "postgres", "postgres")  # the cluster runs as postgres under root
        self.name = "t_fulldisk_%d" % os.getpid()
        self.space = "aq_small_%d" % os.getpid()
        psql(f"CREATE TABLESPACE {self.space} LOCATION '{self.dir}'")
        psql(f"CREATE DATABASE {self.name} TABLESPACE {self.space}")
        self.url = db_url(self.name)
        self.ballast = os.path.join(self.dir, "ballast")

    def tearDown(self):
        psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        psql(f"DROP TABLESPACE IF EXISTS {self.space}")
        subprocess.run(["umount", self.dir], capture_output=True)
        os.rmdir(self.dir)

    def fill(self, leave):
        """Grows the ballast until `leave` bytes are free on the tmpfs."""
        st = os.statvfs(self.dir)
        free = st.f_bavail * st.f_frsize
        with open(self.ballast, "ab") as f:
            f.write(b"\0" * max(0, free - leave))

    def test_full_disk_answers_503_and_loses_nothing(self):
        d = Daemon(url=self.url, env={"AQRANK_NOW": NOW}).start()
        try:
            tokens = [d.put_station(f"F-{i}", interval_s=60) for i in range(8)]
            self.fill(leave=1024 * 1024)
            ingest = Ingest(d.port, tokens).start()
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and ingest.statuses.get(503, 0) < 30:
                time.sleep(0.2)
            ingest.finish()
            self.assertGreaterEqual(ingest.statuses.get(503, 0), 30, ingest.statuses)
            self.assertGreater(ingest.retry_after_seen, 0)
            self.assertTrue(set(ingest.statuses) <= {200, 503}, ingest.statuses)
            r = d.post_readings({"observed_at": "2017-12-07T14:59:00+08:00", "pm25": 5}, token=tokens[7], expect=None)
            if r.status == 503:
                self.assertEqual(r.json["error"]["code"], "database_unavailable")
                self.assertEqual(r.header("Retry-After"), "5")
            self.assertEqual(d.get("/healthz").status, 200)
            # Space again: ingest resumes by itself, with no restart.
            os.remove(self.ballast)
            r = d.post_readings([{"observed_at": "2017-12-07T14:58:00+08:00", "pm25": 6}], token=tokens[6], expect=None)
            self.assertEqual(r.status, 200, r)
        finally:
            self.assertEqual(d.stop(), 0)
        rows = psql("SELECT s.code, extract(epoch FROM r.observed_at - timestamptz '2017-12-07 00:00+08')::int "
                    "FROM readings r JOIN stations s ON s.id = r.station_id", self.url)
        keys = [(int(c[2:]), int(o)) for c, o in (line.split("|") for line in rows.splitlines())]
        lost = ingest.acked - set(keys)
        self.assertEqual(len(lost), 0, sorted(lost)[:10])
        self.assertEqual(len(keys), len(set(keys)))
        self.assertGreater(len(ingest.acked), 0)
        print(f"\n  full disk: {len(ingest.acked)} readings acknowledged and stored, replies {ingest.statuses}",
              file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
