"""Group commit of live readings (ingest_group.c): concurrent single-reading POSTs wait for
their group's COMMIT with their connections parked, not holding a worker thread, so a group
can hold more requests than there are threads. Every 200 is a reading stored exactly once, and
each request is told its own outcome (accepted, duplicate, conflict) however it was grouped."""
import http.client
import json
import re
import socket
import threading
import unittest

from harness import DaemonTestCase, psql

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


if __name__ == "__main__":
    unittest.main()
