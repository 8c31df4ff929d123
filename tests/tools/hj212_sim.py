#!/usr/bin/env python3
"""An HJ 212-2017 device simulator (Python standard library only).

Builds real frames ("##" + 4-digit length + data segment + CRC16_Checkout + CR LF) for data
uploads (CN 2011 real-time "-Rtd", 2051 minute / 2061 hourly "-Avg") and sends them the ways a
field device can: whole, split across writes, several in one write, byte by byte with pauses,
or broken on purpose (bad CRC, bad length, oversize, garbage, wrong PW, unknown MN). It reads
and checks the CN=9014 data answers. The integration tests import it; field engineers can run
it against a daemon:

  python3 tests/tools/hj212_sim.py --host 127.0.0.1 --port 9212 --mn 88888880000001 --pw 123456 \\
      --value a34004=61 --value a34002=118.5 --flag a34002=N --time 20171207140000
  python3 tests/tools/hj212_sim.py ... --scenario all      # every way of sending, one after another

Exit status 0 when every frame that should have been answered was, and no other was.
"""
import argparse
import datetime
import os
import socket
import sys
import time

CRC_POLY = 0xA001


def crc16(data: bytes) -> int:
    """CRC16_Checkout of HJ 212-2017: register 0xFFFF; per byte reg = (reg >> 8) ^ byte, then
    8 x {shift right; XOR 0xA001 when the bit shifted out was 1}."""
    reg = 0xFFFF
    for b in data:
        reg = (reg >> 8) ^ b
        for _ in range(8):
            out = reg & 1
            reg >>= 1
            if out:
                reg ^= CRC_POLY
    return reg


def frame(segment, length=None, crc=None) -> bytes:
    """Frames a data segment. length/crc override the true ones (to build broken frames)."""
    seg = segment.encode("ascii") if isinstance(segment, str) else segment
    n = len(seg) if length is None else length
    c = crc16(seg) if crc is None else crc
    return b"##%04d" % n + seg + b"%04X\r\n" % c


def parse_frame(data: bytes):
    """One frame -> dict of its header fields plus "CP" (raw); raises ValueError when the
    framing or CRC is wrong."""
    if not data.startswith(b"##") or not data.endswith(b"\r\n"):
        raise ValueError("not a frame: %r" % data[:40])
    n = int(data[2:6])
    seg, crc = data[6:6 + n], data[6 + n:10 + n]
    if len(data) != n + 12:
        raise ValueError("length %d disagrees with the frame (%d bytes)" % (n, len(data)))
    if int(crc, 16) != crc16(seg):
        raise ValueError("bad CRC %s, want %04X" % (crc.decode(), crc16(seg)))
    text = seg.decode("ascii")
    head, _, cp = text.partition("CP=")
    fields = dict(item.split("=", 1) for item in head.rstrip(";").split(";") if item)
    fields["CP"] = cp
    return fields


_qn_counter = [0]


def new_qn(now=None):
    """A QN (YYYYMMDDhhmmsszzz) unique within this process."""
    _qn_counter[0] += 1
    now = now or datetime.datetime.now()
    return now.strftime("%Y%m%d%H%M%S") + "%03d" % (_qn_counter[0] % 1000)


def data_segment(mn, pw, data_time, values, flags=None, cn=2011, qn=None, flag=5, st=22, extra=""):
    """The data segment of an upload. values/flags: {code: value/letter}; data_time:
    "YYYYMMDDhhmmss" or a datetime (local time of the daemon's AQRANK_TIMEZONE)."""
    if isinstance(data_time, datetime.datetime):
        data_time = data_time.strftime("%Y%m%d%H%M%S")
    suffix = "Rtd" if cn == 2011 else "Avg"
    flags = flags or {}
    groups = []
    for code, v in values.items():
        item = "%s-%s=%s" % (code, suffix, v)
        if code in flags:
            item += ",%s-Flag=%s" % (code, flags[code])
        groups.append(item)
    cp = ";".join(["DataTime=" + data_time] + groups)
    head = "" if qn == "" else "QN=%s;" % (qn or new_qn())
    flag_part = "" if flag is None else "Flag=%d;" % flag
    return "%sST=%d;CN=%d;PW=%s;MN=%s;%s%sCP=&&%s&&" % (head, st, cn, pw, mn, flag_part, extra, cp)


class Device:
    """One TCP connection to the daemon, as a device holds it."""

    def __init__(self, host, port, mn, pw, timeout=5.0, source=None):
        self.host, self.port, self.mn, self.pw, self.timeout = host, port, mn, pw, timeout
        self.source = source  # local address to send from (e.g. 127.0.0.5), None: any
        self.sock = None
        self._buf = b""

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()

    def connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout,
                                             source_address=(self.source, 0) if self.source else None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def segment(self, data_time, values, **kw):
        kw.setdefault("mn", self.mn)
        kw.setdefault("pw", self.pw)
        return data_segment(data_time=data_time, values=values, **kw)

    # ---- sending ----

    def send(self, data: bytes):
        self.sock.sendall(data)

    def send_split(self, data: bytes, cuts, pause=0.05):
        """Sends data in pieces cut at the given offsets, pausing between them."""
        prev = 0
        for cut in list(cuts) + [len(data)]:
            self.sock.sendall(data[prev:cut])
            prev = cut
            time.sleep(pause)

    def send_slowly(self, data: bytes, chunk=1, pause=0.005):
        """Byte by byte (or chunk by chunk), like a device behind a slow serial-to-TCP link."""
        for i in range(0, len(data), chunk):
            self.sock.sendall(data[i:i + chunk])
            time.sleep(pause)

    def upload(self, data_time, values, **kw):
        """Sends one well-formed upload; returns its QN."""
        seg = self.segment(data_time, values, **kw)
        self.send(frame(seg))
        return parse_frame(frame(seg)).get("QN")

    # ---- answers ----

    def answers(self, count, timeout=None):
        """Reads count answer frames (checking length and CRC); fewer if the time runs out."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        got = []
        while len(got) < count:
            end = self._buf.find(b"\r\n")
            if end >= 0:
                raw, self._buf = self._buf[:end + 2], self._buf[end + 2:]
                got.append(parse_frame(raw))
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self.sock.settimeout(left)
            try:
                part = self.sock.recv(4096)
            except socket.timeout:
                break
            if not part:
                break
            self._buf += part
        return got

    def no_answer(self, wait=0.5):
        """True when nothing arrives within wait seconds."""
        return not self.answers(1, timeout=wait)

    def closed_by_peer(self, wait=2.0):
        """True when the daemon closes the connection within wait seconds (and sends nothing);
        the wait is stretched for a daemon under valgrind (AQ_VALGRIND, set by the tests)."""
        self.sock.settimeout(wait * (4 if os.environ.get("AQ_VALGRIND") else 1))
        try:
            return self.sock.recv(4096) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False


# ---- scenarios (also used from the command line) ----

def _t(base, minutes):
    return (base + datetime.timedelta(minutes=minutes)).strftime("%Y%m%d%H%M%S")


def run_scenarios(host, port, mn, pw, names, base_time, values, flags, cn, out=sys.stdout, source=None):
    """Runs the named scenarios against a daemon; returns the number of surprises. A wrong
    password or MN must be refused with the connection closed; the scenarios after it go on
    over a new one, once the daemon's wait after a failure (1 s for the first) is over."""
    surprises = 0
    base = datetime.datetime.strptime(base_time, "%Y%m%d%H%M%S")

    def check(name, ok, detail=""):
        nonlocal surprises
        surprises += 0 if ok else 1
        print("%-12s %s %s" % (name, "ok  " if ok else "FAIL", detail), file=out)

    with Device(host, port, mn, pw, source=source) as d:
        for i, name in enumerate(names):
            when = _t(base, i)
            seg = d.segment(when, values, flags=flags, cn=cn)
            good = frame(seg)
            qn = parse_frame(good)["QN"]
            if name == "valid":
                d.send(good)
                a = d.answers(1)
                check(name, len(a) == 1 and a[0]["QN"] == qn and a[0]["CN"] == "9014", repr(a))
            elif name == "split":
                d.send_split(good, [3, 40, len(good) - 3])
                a = d.answers(1)
                check(name, len(a) == 1 and a[0]["QN"] == qn, repr(a))
            elif name == "coalesced":
                seg2 = d.segment(_t(base, i + 100), values, flags=flags, cn=cn)
                d.send(good + frame(seg2))
                a = d.answers(2)
                check(name, [x["QN"] for x in a] == [qn, parse_frame(frame(seg2))["QN"]], repr(a))
            elif name == "slow":
                d.send_slowly(good)
                a = d.answers(1)
                check(name, len(a) == 1 and a[0]["QN"] == qn, repr(a))
            elif name == "garbage":
                d.send(b"\x00\xffnoise#" + good)
                a = d.answers(1)
                check(name, len(a) == 1 and a[0]["QN"] == qn, repr(a))
            elif name == "bad-crc":
                d.send(frame(seg, crc=crc16(seg.encode()) ^ 1))
                check(name, d.no_answer())
            elif name == "bad-length":
                d.send(frame(seg, length=len(seg) + 7))
                check(name, d.no_answer())
            elif name == "oversize":
                d.send(b"##1025" + b"A" * 1025 + b"0000\r\n")
                check(name, d.no_answer())
            elif name in ("wrong-pw", "unknown-mn"):
                bad = {"pw": pw + "x"} if name == "wrong-pw" else {"mn": "NO" + mn}
                d.send(frame(d.segment(when, values, flags=flags, cn=cn, **bad)))
                check(name, d.closed_by_peer(), "the daemon must close the connection")
                d.close()
                time.sleep(1.1)
                d.connect()
            elif name == "flagged":
                fl = dict(flags or {})
                fl[next(iter(values))] = "M"
                d.send(frame(d.segment(when, values, flags=fl, cn=cn)))
                a = d.answers(1)
                check(name, len(a) == 1, repr(a))
            else:
                check(name, False, "unknown scenario")
    return surprises


SCENARIOS = ["valid", "split", "coalesced", "slow", "garbage", "bad-crc", "bad-length", "oversize",
             "wrong-pw", "unknown-mn", "flagged"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9212)
    ap.add_argument("--mn", required=True)
    ap.add_argument("--pw", required=True)
    ap.add_argument("--cn", type=int, default=2011, choices=[2011, 2051, 2061])
    ap.add_argument("--time", default=datetime.datetime.now().strftime("%Y%m%d%H%M00"),
                    help="DataTime YYYYMMDDhhmmss (local time of the daemon); default now")
    ap.add_argument("--value", action="append", default=[], metavar="CODE=V",
                    help="e.g. a34004=61 (repeatable); default a34004=35 a34002=70")
    ap.add_argument("--flag", action="append", default=[], metavar="CODE=L", help="e.g. a34002=D")
    ap.add_argument("--scenario", action="append", default=[],
                    help="one of %s, or all (default: valid)" % ", ".join(SCENARIOS))
    args = ap.parse_args(argv)
    values = dict(v.split("=", 1) for v in args.value) or {"a34004": "35", "a34002": "70"}
    flags = dict(f.split("=", 1) for f in args.flag)
    names = args.scenario or ["valid"]
    if names == ["all"]:
        names = SCENARIOS
    return 1 if run_scenarios(args.host, args.port, args.mn, args.pw, names, args.time, values, flags,
                              args.cn) else 0


if __name__ == "__main__":
    sys.exit(main())
