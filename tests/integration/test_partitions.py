"""Partitioned readings (issue 18): migration 010 converts a filled readings table without
losing or changing a row; the daemon keeps monthly partitions ahead of its clock, gives the
months stranded in the default partition their own, and with AQRANK_RETENTION_MONTHS moves
old partitions to readings_archive; ingest (COPY, INSERT … ON CONFLICT, live readings) and the
listing work across partitions, and every query on readings can use the primary key."""
import datetime
import glob
import os
import subprocess
import unittest

from harness import ADMIN, PG_URL, ROOT, Daemon, new_database, psql, wait_for

TZ = "Asia/Shanghai"
CHECKSUM = ("SELECT count(*) || ' ' || md5(coalesce(string_agg(r::text, '|' ORDER BY station_id, observed_at), '')) "
            "FROM {table} r")


def local_psql(sql, url):
    """psql in the daemon's time zone (local months, as the daemon's sessions see them)."""
    env = dict(os.environ, PGOPTIONS=f"-c TimeZone={TZ}")
    out = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql], capture_output=True, text=True,
                         check=True, env=env)
    return out.stdout.strip()


def month_start(months_from_now):
    """The first day of the month `months_from_now` after this one (local)."""
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
    n = today.year * 12 + today.month - 1 + months_from_now
    return datetime.date(n // 12, n % 12 + 1, 1)


def part_name(d):
    return f"readings_{d.year}_{d.month:02d}"


@unittest.skipUnless(PG_URL, "needs the test cluster")
class PartitionedReadingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # A database at migration 009, filled with 14 months of readings of 30 stations: the
        # schema every deployment had before this issue.
        cls.url = new_database()
        for f in sorted(glob.glob(os.path.join(ROOT, "migrations", "*.sql"))):
            name = os.path.basename(f)
            if name >= "010":
                break
            subprocess.run(["psql", cls.url, "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", f], check=True,
                           capture_output=True, env=dict(os.environ, PGOPTIONS=f"-c TimeZone={TZ}"))
            psql("CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, "
                 "applied_at timestamptz NOT NULL DEFAULT now())", cls.url)
            psql(f"INSERT INTO schema_migrations (version) VALUES ('{name}')", cls.url)
        first = month_start(-13)
        local_psql(f"""
            INSERT INTO stations (code, name, kind, lat, lon)
              SELECT 'P-' || g, '站点' || g, 'micro', 39.9 + g / 1000.0, 116.4 FROM generate_series(1, 30) g;
            INSERT INTO readings (station_id, observed_at, pm25, pm10, humidity, flags, source, received_at)
              SELECT s.id, t, (s.id * 7 + extract(hour FROM t)) % 150, CASE WHEN s.id % 5 = 0 THEN NULL ELSE 90.5 END,
                     CASE WHEN s.id % 3 = 0 THEN 55 END,
                     CASE WHEN extract(day FROM t) = 13 THEN 'NDNNNNNNNNN' END,
                     CASE WHEN s.id % 4 = 0 THEN 'hj212' ELSE 'http' END, t + interval '3 seconds'
                FROM stations s, generate_series('{first}'::timestamptz, now() - interval '1 hour', interval '2 hours') t;
            """, cls.url)
        cls.before = local_psql(CHECKSUM.format(table="readings"), cls.url)
        # The clock of the later daemons: noon on the 10th, five months on. The history ends
        # where this month does; a daemon on the real clock makes the next two months; the
        # third month on is a gap no clock made a partition for.
        cls.gap, cls.cur = month_start(3), month_start(5)
        cls.frozen = f"{cls.cur.isoformat()[:8]}10T12:00:00+08:00"

    def daemon(self, **env):
        return Daemon(url=self.url, env=dict({"AQRANK_FINALIZE_QUIET": "0"}, **env))

    def partitions(self, parent="readings"):
        rows = local_psql(f"SELECT name, coalesce(lower_bound::text, '-'), coalesce(upper_bound::text, '-') "
                          f"FROM aqrank_readings_partitions('{parent}')", self.url)
        return {line.split("|")[0]: tuple(line.split("|")[1:]) for line in rows.splitlines()}

    def test_1_migration_keeps_every_row(self):
        with self.daemon() as d:
            wait_for(lambda: part_name(month_start(1)) in self.partitions(), what="next month's partition")
            self.assertEqual(local_psql(CHECKSUM.format(table="readings"), self.url), self.before)
            self.assertEqual(psql("SELECT relkind FROM pg_class WHERE relname = 'readings'", self.url), "p")
            parts = self.partitions()
            self.assertEqual(parts["readings_history"][0], "-")
            self.assertEqual(parts["readings_history"][1], f"{month_start(1)} 00:00:00+08")
            self.assertIn("readings_default", parts)
            for k in (1, 2):
                self.assertIn(part_name(month_start(k)), parts)
            self.assertEqual(local_psql(CHECKSUM.format(table="readings_history"), self.url), self.before)
            # The old primary key index is the history's part of the new one (not rebuilt).
            self.assertEqual(psql("SELECT indisprimary FROM pg_index WHERE indexrelid = 'readings_history_pkey'::regclass",
                                  self.url), "t")
            # The daemon reads the history as before: a station's readings, paged.
            r = d.get("/api/v1/stations/P-3/readings?limit=5")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(len(r.json["readings"]), 5)

    def test_2_queries_use_the_primary_key(self):
        # The statements of db_readings.c, db_alerts.c and db_sources.c on readings, as the
        # planner would run them with no sequential scan allowed: each finds its rows through
        # a *_pkey index in every partition it visits (run-time pruning keeps the others out).
        queries = {
            "listing": "SELECT * FROM readings WHERE station_id = 3 AND observed_at >= now() - interval '40 days' "
                       "AND observed_at < now() AND observed_at > '-infinity' ORDER BY observed_at LIMIT 100",
            "watermark": "SELECT s.id, (SELECT max(r.observed_at) FROM readings r WHERE r.station_id = s.id) FROM stations s",
            "conflicts": "SELECT 1 FROM unnest('{3,4}'::int4[], ARRAY[now() - interval '3 hours', now()]) "
                         "AS i(station_id, observed_at) JOIN readings r ON r.station_id = i.station_id "
                         "AND r.observed_at = i.observed_at",
            "wind": "SELECT observed_at, wind_speed FROM readings WHERE station_id = 3 AND observed_at >= now() - interval '2 days' "
                    "AND observed_at < now()",
        }
        for name, q in queries.items():
            plan = local_psql(f"SET enable_seqscan = off; SET enable_bitmapscan = off; EXPLAIN {q}", self.url)
            self.assertNotIn("Seq Scan on readings", plan, f"{name}:\n{plan}")
            self.assertRegex(plan, r"Index (Only )?Scan( Backward)? using readings_\w+_pkey", f"{name}:\n{plan}")
        plan = local_psql("EXPLAIN INSERT INTO readings (station_id, observed_at, pm25) VALUES (3, now(), 1) "
                          "ON CONFLICT (station_id, observed_at) DO NOTHING", self.url)
        self.assertIn("Conflict Arbiter Indexes: readings_pkey", plan)

    def test_3_ingest_across_partitions(self):
        # A clock five months on: its month and two ahead get partitions at start; the gap
        # month has none, so its readings land in the default partition.
        with self.daemon(AQRANK_NOW=self.frozen) as d:
            wait_for(lambda: part_name(month_start(7)) in self.partitions(), what="partitions ahead")
            self.assertNotIn(part_name(self.gap), self.partitions())
            token = d.put_station("PX-1", interval_s=60)
            gap = [{"observed_at": f"{self.gap}T{h // 60:02d}:{h % 60:02d}:00+08:00", "pm25": 10 + h % 7}
                   for h in range(100)]
            now_month = [{"observed_at": f"{self.cur.isoformat()[:8]}09T{h // 60:02d}:{h % 60:02d}:00+08:00",
                          "pm25": 20 + h % 7} for h in range(100)]
            r = d.post_readings(gap + now_month, token=token)                  # COPY (200 past readings)
            self.assertEqual(r.json, {"accepted": 200, "duplicates": 0, "conflicts": 0})
            changed = dict(gap[5], pm25=99)
            r = d.post_readings(gap[:3] + [changed] + now_month[:60], token=token)  # a stored key: INSERT … ON CONFLICT
            self.assertEqual(r.json, {"accepted": 0, "duplicates": 63, "conflicts": 1})
            r = d.post_readings({"observed_at": self.frozen, "pm25": 33}, token=token)   # live
            self.assertEqual(r.json["accepted"], 1)
            where = "FROM readings r JOIN stations s ON s.id = r.station_id WHERE s.code = 'PX-1'"
            self.assertEqual(psql(f"SELECT count(*) {where}", self.url), "201")
            counts = dict(line.split("|") for line in psql(
                f"SELECT r.tableoid::regclass, count(*) {where} GROUP BY 1", self.url).splitlines())
            self.assertEqual(counts, {"readings_default": "100", part_name(self.cur): "101"})
            # The listing across the default and a month partition, oldest first, paged.
            r = d.get(f"/api/v1/stations/PX-1/readings?from={self.gap}&limit=150")
            self.assertEqual(len(r.json["readings"]), 150)
            self.assertTrue(r.json["next"])
        # At its next start the daemon gives the stranded month a partition and moves its rows.
        with self.daemon(AQRANK_NOW=self.frozen):
            wait_for(lambda: part_name(self.gap) in self.partitions(), what="the stranded month's partition")
            self.assertEqual(psql("SELECT count(*) FROM readings_default", self.url), "0")
            self.assertEqual(psql(f"SELECT count(*) FROM {part_name(self.gap)}", self.url), "100")

    def test_4_retention_archives_old_months(self):
        total = psql("SELECT count(*) FROM readings", self.url)
        with self.daemon(AQRANK_NOW=self.frozen, AQRANK_RETENTION_MONTHS="1") as d:
            # One whole month kept besides the current: everything before the month before
            # goes — the history, the two months the real clock made, the gap month.
            gone = ["readings_history"] + [part_name(month_start(k)) for k in (1, 2, 3)]
            wait_for(lambda: all(p in self.partitions("readings_archive") for p in gone), what="archived")
            self.assertFalse(set(gone) & set(self.partitions()))
            self.assertIn(part_name(self.cur), self.partitions())
            kept = int(psql("SELECT count(*) FROM readings", self.url))
            archived = int(psql("SELECT count(*) FROM readings_archive", self.url))
            self.assertEqual(kept + archived, int(total))
            self.assertEqual(local_psql(CHECKSUM.format(table="readings_history"), self.url), self.before)
            # Ingest and reads go on.
            token = d.put_station("PX-2", interval_s=60)
            r = d.post_readings({"observed_at": self.frozen, "pm25": 40}, token=token)
            self.assertEqual(r.json["accepted"], 1)
            self.assertEqual(d.get("/api/v1/ranking/today").status, 200)


if __name__ == "__main__":
    unittest.main()
