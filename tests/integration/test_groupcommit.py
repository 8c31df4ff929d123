"""Group commit (ingest_group.c): concurrent single-reading POSTs wait for their group's COMMIT
with their connections parked, not holding a worker thread, so a group can hold more requests
than there are threads; concurrent batches of history share one COPY and one transaction.
Every 200 is a reading stored exactly once, and each request is told its own outcome
(accepted, duplicate, conflict) however it was grouped."""
import http.client
import json
import re
import socket
import threading
import unittest

from harness import ADMIN, DaemonTestCase, psql
from test_ranking import hourly_days_mismatches

CLIENTS = 32
POSTS = 20
THREADS = 2


class GroupCommitTest(DaemonTestCase):
    ENV = {"AQRANK_NOW": "2017-12-07T15:30:00+08:00", "AQRANK_THREADS": str(THREADS)}

    def metric(self, name):
        text = self.d.get("/metrics").body.decode()
        m = re.search(rf"^{name} (\d+)$", text, re.M)
        return int(m.group(1)) if m else 0

    def test_concurrent_single_posts(self):
        tokens = [self.d.put_station(f"G-{i:02d}") for i in range(CLIENTS)]
        groups0 = self.metric("aqrank_ingest_groups_total")
        requests0 = self.metric("aqrank_ingest_group_requests_total")
        replies = [[] for _ in range(CLIENTS)]
        start = threading.Barrier(CLIENTS)

        def client(i):
            # One keep-alive connection per station, as a device's: POSTS readings of the
            # current hour, then the first one again (a duplicate) and once more with another
            # value (a conflict).
            c = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=60)
            headers = {"Authorization": "Bearer " + tokens[i], "Content-Type": "application/json"}
            bodies = [{"observed_at": f"2017-12-07T15:{k:02d}:00+08:00", "pm25": 10 + i, "pm10": 20 + k}
                      for k in range(POSTS)]
            bodies += [bodies[0], dict(bodies[0], pm10=999)]
            start.wait()
            try:
                for body in bodies:
                    c.request("POST", "/api/v1/readings", body=json.dumps(body), headers=headers)
                    r = c.getresponse()
                    replies[i].append((r.status, r.read()))
            finally:
                c.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for i in range(CLIENTS):
            self.assertEqual(len(replies[i]), POSTS + 2, f"client {i}")
            for k, (status, body) in enumerate(replies[i]):
                self.assertEqual(status, 200, f"client {i} post {k}: {body!r}")
                want = ({"accepted": 1, "duplicates": 0, "conflicts": 0} if k < POSTS else
                        {"accepted": 0, "duplicates": 1, "conflicts": 0} if k == POSTS else
                        {"accepted": 0, "duplicates": 0, "conflicts": 1})
                self.assertEqual(json.loads(body), want, f"client {i} post {k}")
        # Each acknowledged reading stored exactly once, with the first values sent.
        rows = psql("SELECT s.code, count(*), count(DISTINCT r.observed_at), sum(r.pm10) FROM readings r "
                    "JOIN stations s ON s.id = r.station_id GROUP BY s.code ORDER BY s.code", self.d.url)
        want = "\n".join(f"G-{i:02d}|{POSTS}|{POSTS}|{sum(20 + k for k in range(POSTS))}" for i in range(CLIENTS))
        self.assertEqual(rows, want)
        # The live POSTs went through group commits, and the groups held more requests than
        # the daemon has worker threads (each request holding a thread, they could not).
        groups = self.metric("aqrank_ingest_groups_total") - groups0
        requests = self.metric("aqrank_ingest_group_requests_total") - requests0
        self.assertEqual(requests, CLIENTS * (POSTS + 2))
        self.assertGreater(requests / groups, THREADS, f"{requests} requests in {groups} groups")


class LeavingClientsTest(DaemonTestCase):
    """Devices that hang up before their reply: their readings still commit (unacknowledged),
    and the daemon still stops cleanly — a parked request whose client left is ended by
    libmicrohttpd once woken, without the handler's second call (a stop that waited for that
    call hung). The exit code is checked by tearDownClass."""
    ENV = {"AQRANK_NOW": "2017-12-07T15:30:00+08:00", "AQRANK_THREADS": str(THREADS)}

    def test_clients_leave_while_parked(self):
        token = self.d.put_station("L-1")
        for k in range(10):
            socks = []
            for j in range(20):
                body = json.dumps({"observed_at": f"2017-12-07T15:{k:02d}:{j:02d}+08:00", "pm25": 10})
                s = socket.create_connection(("127.0.0.1", self.d.port))
                s.sendall((f"POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                           f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode())
                socks.append(s)
            for s in socks:
                s.close()
        # Still serving: a device that waits gets its 200.
        r = self.d.post_readings({"observed_at": "2017-12-07T15:29:59+08:00", "pm25": 10}, token=token)
        self.assertEqual(r.json["accepted"], 1)


class BatchGroupCommitTest(DaemonTestCase):
    """Batches of past hours (the COPY path) from concurrent uploaders: grouped into shared
    transactions, each told its own counts; a batch that repeats or contradicts readings of
    another in its group makes the group's COPY fail, and each request is then stored alone.
    The aggregates (hourly rows, their packed day rows) equal the stored readings."""
    ENV = {"AQRANK_NOW": "2017-12-07T15:30:00+08:00", "AQRANK_THREADS": str(THREADS)}
    UPLOADERS = 12
    BATCHES = 6
    PER_BATCH = 120  # two hours of minute readings: above the COPY threshold (64)

    def metric(self, name):
        text = self.d.get("/metrics").body.decode()
        m = re.search(rf"^{name} (\d+)$", text, re.M)
        return int(m.group(1)) if m else 0

    def batch(self, code, k, pm10=None):
        day = 1 + k // 12  # 2017-12-01 … : past days, every hour closed
        out = []
        for m in range(self.PER_BATCH):
            hour, minute = divmod(m + (k % 12) * 120, 60)
            out.append({"station": code, "observed_at": f"2017-12-{day:02d}T{hour % 24:02d}:{minute:02d}:00+08:00",
                        "pm25": 10 + (m * 7 + k) % 90, "pm10": pm10 if pm10 is not None else 40 + m % 60})
        return out

    def test_concurrent_batches(self):
        codes = [f"B-{i:02d}" for i in range(self.UPLOADERS)]
        for code in codes:
            self.d.put_station(code)
        groups0 = self.metric("aqrank_ingest_batch_groups_total")
        requests0 = self.metric("aqrank_ingest_batch_group_requests_total")
        # Each uploader sends its own batches; the last two uploaders also resend an earlier
        # batch of uploader 0 (duplicates) and one with other values (conflicts).
        plans = [[(self.batch(code, k), {"accepted": self.PER_BATCH, "duplicates": 0, "conflicts": 0})
                  for k in range(self.BATCHES)] for code in codes]
        start = threading.Barrier(self.UPLOADERS)
        replies = [[] for _ in codes]

        def uploader(i):
            c = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=120)
            headers = {"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"}
            start.wait()
            try:
                for body, _ in plans[i]:
                    c.request("POST", "/api/v1/readings", body=json.dumps(body), headers=headers)
                    r = c.getresponse()
                    replies[i].append((r.status, json.loads(r.read())))
            finally:
                c.close()

        threads = [threading.Thread(target=uploader, args=(i,)) for i in range(self.UPLOADERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        for i in range(self.UPLOADERS):
            self.assertEqual([r for r in replies[i]], [(200, want) for _, want in plans[i]], f"uploader {i}")
        # Resends after the fact: a duplicate batch and a conflicting one, concurrently.
        again = [(self.batch(codes[0], 0), {"accepted": 0, "duplicates": self.PER_BATCH, "conflicts": 0}),
                 (self.batch(codes[0], 1, pm10=999), {"accepted": 0, "duplicates": 0, "conflicts": self.PER_BATCH}),
                 (self.batch(codes[1], 9), {"accepted": self.PER_BATCH, "duplicates": 0, "conflicts": 0})]
        out = [None] * len(again)

        def resend(j):
            out[j] = self.d.post_readings(again[j][0]).json

        threads = [threading.Thread(target=resend, args=(j,)) for j in range(len(again))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(out, [want for _, want in again])

        stored = psql("SELECT count(*), count(DISTINCT (station_id, observed_at)) FROM readings", self.d.url)
        total = self.UPLOADERS * self.BATCHES * self.PER_BATCH + self.PER_BATCH
        self.assertEqual(stored, f"{total}|{total}")
        # The station-hours hold exactly what was stored, and their packed day rows follow.
        self.assertEqual(
            psql("SELECT station_id, sum(readings), round(sum(pm25_sum)::numeric, 6), sum(pm10_n) FROM hourly "
                 "GROUP BY 1 ORDER BY 1", self.d.url),
            psql("SELECT station_id, count(*), round(sum(pm25)::numeric, 6), count(pm10) FROM readings "
                 "GROUP BY 1 ORDER BY 1", self.d.url))
        self.assertEqual(hourly_days_mismatches(self.d.url), [])
        # Uploads went through group commits of batches, and some shared one.
        groups = self.metric("aqrank_ingest_batch_groups_total") - groups0
        requests = self.metric("aqrank_ingest_batch_group_requests_total") - requests0
        self.assertEqual(requests, self.UPLOADERS * self.BATCHES + len(again))
        self.assertLess(groups, requests, f"{requests} batches in {groups} groups: none shared")


if __name__ == "__main__":
    unittest.main()
