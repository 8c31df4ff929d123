#!/usr/bin/env python3
"""hostile_figures - the attacks of issue 23 against one aqrankd binary, measured, for the
"what we defend against" table of docs/RELIABILITY.md (run it on the binary before and after).

    AQ_TEST_PG_URL=... python3 tests/tools/hostile_figures.py BIN [--direct] [--json OUT]

Starts BIN (default configuration, AQRANK_THREADS=16, a fresh database of the test cluster)
for each attack and prints one JSON object of figures. The attacker is 127.0.0.1; a "fresh
client" connects from 127.0.0.2. --direct sets AQRANK_TRUSTED_PROXIES= (an empty list): the
daemon then treats 127.0.0.1 as it would a remote client, as when it faces the network without
nginx (by default loopback is a trusted proxy, exempt from the per-address connection limit).
Needs a file-descriptor limit above 1100 (ulimit -n).
"""
import argparse
import http.client
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import harness  # noqa: E402


def start(binary, direct, env=None):
    harness.BIN = binary
    e = {"AQRANK_THREADS": "16", "AQRANK_NOW": "2017-12-07T10:30:00+08:00"}
    if direct:
        e["AQRANK_TRUSTED_PROXIES"] = ""
    e.update(env or {})
    return harness.Daemon(env=e).start()


def fresh_get(port, path="/healthz", timeout=60):
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=("127.0.0.2", 0))
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        c.close()
        return r.status, time.monotonic() - t0
    except OSError as e:
        return repr(e), time.monotonic() - t0


def idle_connections(binary, direct, n=1030):
    d = start(binary, direct)
    socks = []
    try:
        for _ in range(n):
            try:
                socks.append(socket.create_connection(("127.0.0.1", d.port), timeout=2))
            except OSError:
                break
        time.sleep(1)
        held = 0
        for s in socks:
            s.settimeout(0.01)
            try:
                held += s.recv(1) != b""
            except socket.timeout:
                held += 1
            except OSError:
                pass
        status, seconds = fresh_get(d.port)
        return {"opened": len(socks), "held_by_server": held, "fresh_client_status": status,
                "fresh_client_ms": round(seconds * 1000, 1)}
    finally:
        for s in socks:
            s.close()
        d.stop()


def trickler(binary, direct, every=5.0, cap=70.0):
    d = start(binary, direct)
    try:
        s = socket.create_connection(("127.0.0.1", d.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        t0 = time.monotonic()
        s.settimeout(every)
        while time.monotonic() - t0 < cap:
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
        held = time.monotonic() - t0
        s.close()
        return {"byte_every_s": every, "held_s": round(held, 1), "capped_at_s": cap}
    finally:
        d.stop()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def unauth_posts(binary, direct, n=100, size=2 * 1024 * 1024):
    d = start(binary, direct)
    body = b"[" + b" " * (size - 2) + b"]"
    statuses = []

    def post():
        try:
            s = socket.create_connection(("127.0.0.1", d.port), timeout=60)
            s.sendall(b"POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
            try:
                s.sendall(body)
            except OSError:
                pass
            out = b""
            while b"\r\n" not in out:
                chunk = s.recv(4096)
                if not chunk:
                    break
                out += chunk
            statuses.append(int(out.split()[1]) if out.startswith(b"HTTP/") else None)
            s.close()
        except OSError as e:
            statuses.append(repr(e))
    try:
        before = peak = rss_kb(d.proc.pid)
        threads = [threading.Thread(target=post) for _ in range(n)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            peak = max(peak, rss_kb(d.proc.pid))
            time.sleep(0.005)
        seconds = time.monotonic() - t0
        peak = max(peak, rss_kb(d.proc.pid))
        return {"posts": n, "rss_before_mb": round(before / 1024, 1), "rss_peak_mb": round(peak / 1024, 1),
                "answered_401": statuses.count(401), "seconds": round(seconds, 2)}
    finally:
        d.stop()


def wrong_tokens(binary, direct, n=2000):
    d = start(binary, direct, {"AQRANK_RATE_LIMIT": "5"})
    try:
        c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        counts = {}
        t0 = time.monotonic()
        for i in range(n):
            c.request("POST", "/api/v1/readings", body=b"{}",
                      headers={"Authorization": f"Bearer guess-{i:026d}", "Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            counts[r.status] = counts.get(r.status, 0) + 1
            if r.getheader("Connection", "").lower() == "close":
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        seconds = time.monotonic() - t0
        c.close()
        return {"wrong_tokens": n, "answers": {str(k): v for k, v in sorted(counts.items())},
                "seconds": round(seconds, 2)}
    finally:
        d.stop()


def odd_requests(binary, direct):
    d = start(binary, direct)
    out = {}
    try:
        def raw(data):
            s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
            try:
                s.sendall(data)
            except OSError:
                pass
            got = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    got += chunk
            except OSError:
                pass
            s.close()
            head, _, body = got.partition(b"\r\n\r\n")
            status = head.split(b"\r\n")[0].decode(errors="replace")
            kind = "json" if body.startswith(b"{") else ("html" if b"<html" in body.lower() else repr(body[:30]))
            return f"{status.split(' ', 1)[1] if ' ' in status else status} ({kind})"
        for size in (16, 100):
            out[f"uri_{size}kb"] = raw(b"GET /healthz?x=" + b"a" * (size * 1024) + b" HTTP/1.1\r\nHost: x\r\n"
                                       b"Connection: close\r\n\r\n")
        out["put_HX%00A"] = raw(b"PUT /api/v1/stations/HX%00A HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                + harness.ADMIN.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: 45"
                                b"\r\nConnection: close\r\n\r\n" + b'{"name":"x","kind":"micro","lat":1,"lon":1}  ')
        out["static_app.js%00.html"] = raw(b"GET /static/app.js%00.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        out["metric=pm10%00"] = raw(b"GET /api/v1/ranking/today?metric=pm10%00 HTTP/1.1\r\nHost: x\r\n"
                                    b"Connection: close\r\n\r\n")
        body = b'{"name":"s","kind":"micro","lat":1,"lon":1}'
        chunked = hex(len(body))[2:].encode() + b"\r\n" + body + b"\r\n0\r\n\r\n"
        out["content_length_and_chunked"] = raw(
            b"PUT /api/v1/stations/SMUG HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + harness.ADMIN.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(chunked)).encode()
            + b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunked)
        before = len(d.lines)
        raw(b"GET /x%0a2017-12-07T10:30:00+08:00%20info%20GET%20/forged%20200 HTTP/1.1\r\nHost: x\r\n"
            b"Connection: close\r\n\r\n")
        time.sleep(0.3)
        out["forged_log_line"] = any(l.startswith("2017-12-07T10:30:00+08:00 info GET /forged")
                                     for l in d.lines[before:])
        return out
    finally:
        d.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binary")
    p.add_argument("--direct", action="store_true")
    p.add_argument("--json")
    p.add_argument("--only", help="comma list of: idle,trickle,posts,tokens,odd")
    a = p.parse_args()
    if not harness.PG_URL:
        sys.exit("AQ_TEST_PG_URL is not set")
    runs = {"idle": idle_connections, "trickle": trickler, "posts": unauth_posts, "tokens": wrong_tokens,
            "odd": odd_requests}
    only = a.only.split(",") if a.only else list(runs)
    result = {"binary": a.binary, "direct": a.direct}
    for name in only:
        try:
            result[name] = runs[name](a.binary, a.direct)
        except Exception as e:  # a daemon that refuses a new key, say: report, go on
            result[name] = repr(e)
        print(name, json.dumps(result[name], ensure_ascii=False), flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
