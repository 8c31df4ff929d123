#!/usr/bin/env python3
"""Fault scripts (issue 7): each injects a fault while clients ingest, then checks that every
reading that got a 2xx is in the database exactly once, and prints "acknowledged = stored".

  python3 tests/fault/faults.py kill      # SIGKILL and restart the daemon during ingest
  python3 tests/fault/faults.py pgrestart # stop and restart PostgreSQL during ingest
  python3 tests/fault/faults.py daychange # two daemons on one database across a day change
  python3 tests/fault/faults.py readonly  # the database turns read-only, then writable again
  python3 tests/fault/faults.py all

AQ_FAULT_LIVE=1 posts readings of the clock's current hour instead (15:00-15:59 with the clock at
15:59:59): every request then waits parked for a group commit (ingest_group.c).

Needs the environment of tests/run-all.sh (AQ_TEST_PG_URL, AQ_PG_STATE, AQ_BIN). Figures go to
build/reliability/<fault>.json for docs/RELIABILITY.md.
"""
import http.client
import json
import os
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
from harness import ADMIN, Daemon, new_database, pg_local, psql  # noqa: E402

FIGURES = os.path.join(HERE, "..", "..", "build", "reliability")
LIVE = bool(os.environ.get("AQ_FAULT_LIVE"))
NOW = "2017-12-07T15:59:59+08:00" if LIVE else "2017-12-07T15:00:00+08:00"
# The seconds after midnight of the frozen day the clients' keys take: before the clock's
# hour (stored at once), or in it (group commit).
FIRST, END = (54000, 57600) if LIVE else (0, 54000)
CLIENTS = 6
# Each client posts for its own stations, one after the other once a station's seconds are
# used up (an hour holds fewer keys than the clients send while faults are injected).
STATIONS = CLIENTS * 40 if LIVE else 8


class Ingest:
    """Clients posting readings (singles, small and 100-reading batches) with unique keys until stopped;
    they follow the daemon's port when it changes and remember what was acknowledged."""

    def __init__(self, port, tokens):
        self.port = port
        self.tokens = tokens
        self.acked = set()          # (station, second offset)
        self.sent = 0
        self.statuses = {}
        self.retry_after_seen = 0
        self.lock = threading.Lock()
        self.stop = False
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(CLIENTS)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def run(self, client):
        k, second = 0, FIRST
        conn, conn_port = None, None
        station = client  # one station per client: keys never collide between clients
        while not self.stop:
            if second >= END - 100:
                station, second = station + CLIENTS, FIRST
                if station >= len(self.tokens):
                    break
            # Unique keys: seconds after midnight of the frozen day, before its 15:00 (or in
            # its 15:00 hour: LIVE). Singles, batches of 5, and every 7th a batch of 100 (COPYed
            # when in past hours, ≥ 64 readings).
            n = 100 if k % 7 == 6 else 1 if k % 3 else 5
            keys = [(station, second + j) for j in range(n)]
            k, second = k + 1, second + n
            body = [{"observed_at": f"2017-12-07T{s // 3600:02d}:{(s // 60) % 60:02d}:{s % 60:02d}+08:00",
                     "pm25": 10 + s % 50, "pm10": 20 + s % 90} for _, s in keys]
            try:
                if conn is None or conn_port != self.port:
                    if conn:
                        conn.close()
                    conn_port = self.port
                    conn = http.client.HTTPConnection("127.0.0.1", conn_port, timeout=10)
                conn.request("POST", "/api/v1/readings", body=json.dumps(body),
                             headers={"Authorization": "Bearer " + self.tokens[station],
                                      "Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                status = r.status
                if status == 503 and r.getheader("Retry-After"):
                    with self.lock:
                        self.retry_after_seen += 1
            except Exception:
                status = "connection error"
                if conn:
                    conn.close()
                conn = None
                time.sleep(0.05)
            with self.lock:
                self.sent += len(keys)
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status == 200:
                    self.acked.update(keys)

    def finish(self):
        self.stop = True
        for t in self.threads:
            t.join()


def stored_keys(url):
    rows = psql("SELECT s.code, extract(epoch FROM r.observed_at - timestamptz '2017-12-07 00:00+08')::int "
                "FROM readings r JOIN stations s ON s.id = r.station_id", url)
    keys = []
    for line in rows.splitlines():
        code, off = line.split("|")
        keys.append((int(code[2:]), int(off)))
    return keys


def verify(name, url, ingest, extra=None):
    name += "-live" if LIVE else ""
    keys = stored_keys(url)
    stored = set(keys)
    lost = ingest.acked - stored
    twice = len(keys) - len(stored)
    figures = {"fault": name, "acknowledged": len(ingest.acked), "found": len(ingest.acked & stored),
               "lost": len(lost), "stored_twice": twice, "stored_total": len(stored),
               "replies": {str(k): v for k, v in ingest.statuses.items()}}
    # Every stored reading is counted once in the hourly aggregates or waits, once, to be
    # folded in (a live reading acknowledged just before a kill): never both, never neither.
    counted, waiting = map(int, psql("SELECT (SELECT coalesce(sum(readings), 0) FROM hourly), "
                                     "(SELECT count(*) FROM pending_hourly)", url).split("|"))
    figures["aggregated"] = counted
    figures["waiting_fold"] = waiting
    figures.update(extra or {})
    os.makedirs(FIGURES, exist_ok=True)
    with open(os.path.join(FIGURES, f"{name}.json"), "w") as f:
        json.dump(figures, f, indent=1)
    print(f"{name}: acknowledged {figures['acknowledged']} = stored {figures['found']} "
          f"(lost {len(lost)}, stored twice {twice}); aggregated {counted} + waiting {waiting} = "
          f"{counted + waiting} of {len(keys)}; replies {figures['replies']}")
    ok = not lost and twice == 0 and figures["acknowledged"] > 0 and counted + waiting == len(keys)
    if not ok:
        print(f"{name}: FAILED", sorted(lost)[:10])
    return ok


def setup(url=None, env=None):
    d = Daemon(url=url, env=dict({"AQRANK_NOW": NOW}, **(env or {}))).start()
    tokens = [d.put_station(f"F-{i}", interval_s=60) for i in range(STATIONS)]
    return d, tokens


def fault_kill():
    d, tokens = setup()
    url = d.url
    ing = Ingest(d.port, tokens).start()
    kills = 0
    try:
        for _ in range(4):
            time.sleep(1.5)
            d.proc.send_signal(signal.SIGKILL)
            d.proc.wait()
            d.proc = None
            kills += 1
            d = Daemon(url=url, env={"AQRANK_NOW": NOW}).start()
            ing.port = d.port
        time.sleep(1.5)
    finally:
        ing.finish()
        code = d.stop()
    return verify("kill", url, ing, {"sigkills": kills, "final_exit": code}) and code == 0


def fault_pgrestart():
    d, tokens = setup()
    ing = Ingest(d.port, tokens).start()
    alive = True
    try:
        for _ in range(2):
            time.sleep(1.5)
            pg_local("stop")
            time.sleep(2.0)
            alive = alive and d.proc.poll() is None
            ready = d.get("/readyz").status
            pg_local("start")
            time.sleep(1.5)
        deadline = time.time() + 20
        while d.get("/readyz").status != 200 and time.time() < deadline:
            time.sleep(0.2)
    finally:
        ing.finish()
        code = d.stop()
    ok = verify("pgrestart", d.url, ing, {"restarts": 2, "daemon_alive": alive, "readyz_while_down": ready,
                                          "503_with_retry_after": ing.retry_after_seen})
    return ok and alive and ready == 503 and ing.retry_after_seen > 0 and code == 0


def fault_readonly():
    d, tokens = setup()
    url = d.url
    db = url.split("///")[1].split("?")[0]
    ing = Ingest(d.port, tokens).start()
    try:
        time.sleep(1.5)
        psql(f"ALTER DATABASE {db} SET default_transaction_read_only = on")
        psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid()")
        time.sleep(2.0)
        r = d.post("/api/v1/readings", body={"observed_at": "2017-12-07T14:59:59+08:00", "pm25": 1}, token=tokens[0])
        during = (r.status, r.json["error"]["code"] if r.status >= 400 else None, r.header("Retry-After"))
        reads = d.get("/api/v1/stations").status
        psql(f"ALTER DATABASE {db} SET default_transaction_read_only = off")
        psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid()")
        time.sleep(2.0)
    finally:
        ing.finish()
        code = d.stop()
    ok = verify("readonly", url, ing, {"post_while_read_only": list(during), "get_while_read_only": reads})
    return ok and during[0] == 503 and during[1] == "database_unavailable" and during[2] and reads == 200 and code == 0


def fault_daychange():
    """Two daemons, one database: the day ends while both run (restarted with the clock past
    the finalization time of the day). One snapshot per day, no alert raised twice, each
    webhook notification delivered once."""
    sys.path.insert(0, os.path.join(HERE, "..", "integration"))
    from test_alerts import EXPECTED, Receiver, register, staged_day  # the staged incident day
    receiver = Receiver()
    url = new_database()
    before = {"AQRANK_NOW": "2017-12-06T15:30:00+08:00", "AQRANK_WEBHOOK_URL": receiver.url,
              "AQRANK_ALERT_TICK": "1", "AQRANK_FINALIZE_QUIET": "0"}
    after = dict(before, AQRANK_NOW="2017-12-07T02:00:01+08:00")
    try:
        d1, d2 = Daemon(url=url, env=before).start(), Daemon(url=url, env=before).start()
        register(d1)
        readings = staged_day()
        d1.post_readings(readings[::2])
        d2.post_readings(readings[1::2])
        time.sleep(3)
        d1.stop(), d2.stop()
        # The day ends: both come back after midnight + AQRANK_FINALIZE_AFTER.
        d1, d2 = Daemon(url=url, env=after).start(), Daemon(url=url, env=after).start()
        deadline = time.time() + 30
        while time.time() < deadline and psql("SELECT count(*) FROM days WHERE finalized_at IS NOT NULL", url) != "1":
            time.sleep(0.3)
        time.sleep(4)
        c1, c2 = d1.stop(), d2.stop()
        snapshots = int(psql("SELECT count(*) FROM days WHERE finalized_at IS NOT NULL", url))
        rows = psql("SELECT count(*), count(DISTINCT (day, station_id)) FROM day_values", url).split("|")
        alerts = psql("SELECT count(*), count(DISTINCT (station_id, type, opened_at)) FROM alerts", url).split("|")
        interviews = psql("SELECT count(*), count(DISTINCT (day, station_id)) FROM interviews", url).split("|")
        deliveries = [(b["alert"]["station"], b["alert"]["type"], b["alert"]["opened_at"])
                      for b in receiver.bodies if "alert" in b]
        # The day's bulletin goes out once too, whichever daemon finalized it.
        bulletins = [b["date"] for b in receiver.bodies if b.get("event") == "bulletin.final"]
        figures = {"fault": "daychange", "finalized_days": snapshots, "snapshot_rows": rows,
                   "alerts": alerts, "interviews": interviews, "webhook_deliveries": len(deliveries),
                   "distinct_deliveries": len(set(deliveries)), "bulletin_pushes": bulletins,
                   "exit_codes": [c1, c2]}
        os.makedirs(FIGURES, exist_ok=True)
        with open(os.path.join(FIGURES, "daychange.json"), "w") as f:
            json.dump(figures, f, indent=1)
        ok = (snapshots == 1 and rows[0] == rows[1] and alerts[0] == alerts[1] and interviews[0] == interviews[1]
              and len(deliveries) == len(set(deliveries)) and len(deliveries) >= len(EXPECTED) and c1 == c2 == 0
              and bulletins == ["2017-12-06"])
        print(f"daychange: {snapshots} snapshot, {alerts[0]} alerts ({alerts[1]} distinct), "
              f"{len(deliveries)} webhook deliveries ({len(set(deliveries))} distinct), "
              f"{interviews[0]} interview rows, bulletin pushes {bulletins}; {'OK' if ok else 'FAILED'}")
        return ok
    finally:
        receiver.close()


FAULTS = {"kill": fault_kill, "pgrestart": fault_pgrestart, "readonly": fault_readonly,
          "daychange": fault_daychange}


def main():
    if not harness.PG_URL:
        sys.exit("faults.py: AQ_TEST_PG_URL is not set (run it through make test)")
    names = list(FAULTS) if sys.argv[1:] in ([], ["all"]) else sys.argv[1:]
    failed = [n for n in names if not FAULTS[n]()]
    if failed:
        sys.exit(f"faults failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
