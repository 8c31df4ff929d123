"""Headless Debian Chromium for the dashboard tests: one-shot --dump-dom / --screenshot runs, a
tiny DevTools-protocol client over --remote-debugging-pipe (for the live page with its open
event stream, which never lets --virtual-time-budget settle), and a small DOM tree built
with html.parser so tests assert on what a person sees. Standard library only."""
import fcntl
import html.parser
import json
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


def find_chromium():
    """The chromium binary (AQ_CHROMIUM overrides), or None."""
    explicit = os.environ.get("AQ_CHROMIUM")
    if explicit:
        return explicit if shutil.which(explicit) else None
    return shutil.which("chromium")


class Run:
    def __init__(self, stdout, stderr):
        self.stdout = stdout
        self.stderr = stderr

    def console(self):
        """The page's console lines (Chromium logs them as INFO:CONSOLE with --enable-logging)."""
        return [l for l in self.stderr.splitlines() if ":CONSOLE" in l]

    def page_errors(self):
        """Uncaught exceptions and console.error calls of the page itself (not resource 404s)."""
        return [l for l in self.console() if "Uncaught" in l or "render" in l]


def run(chromium, url, extra, timeout=45, budget_ms=10000):
    """One headless run with a fresh profile; returns Run(stdout, stderr)."""
    profile = tempfile.mkdtemp(prefix="aq-chromium-")
    argv = [chromium, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}", *extra, url]
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.communicate()
            raise AssertionError(f"chromium did not finish within {timeout} s: {url}")
        if proc.returncode != 0:
            raise AssertionError(f"chromium exited with {proc.returncode}:\n" + err.decode("utf-8", "replace")[-3000:])
        return Run(out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def dump_dom(chromium, url, **kw):
    return run(chromium, url, ["--dump-dom"], **kw)


def screenshot(chromium, url, path, size=(1280, 1600), **kw):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.remove(path)
    return run(chromium, url, [f"--screenshot={path}", f"--window-size={size[0]},{size[1]}"], **kw)


def png_info(path):
    """(width, height, distinct sampled bytes of the decoded image data) of a PNG file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise AssertionError(f"{path} is not a PNG")
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    return width, height, len(set(raw[::61]))


# ---------------------------------------------------------------------------------- DOM

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []   # Node or str

    def get(self, name, default=None):
        return self.attrs.get(name, default)

    @property
    def classes(self):
        return (self.attrs.get("class") or "").split()

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def words(self):
        """The text with whitespace collapsed."""
        return " ".join(self.text().split())

    def walk(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.walk()

    def find_all(self, tag=None, cls=None, **attrs):
        out = []
        for n in self.walk():
            if tag and n.tag != tag:
                continue
            if cls and cls not in n.classes:
                continue
            if any(n.attrs.get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            out.append(n)
        return out

    def find(self, tag=None, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def by_id(self, ident):
        return self.find(id=ident)

    def __repr__(self):
        return f"<{self.tag} {self.attrs} {self.words()[:80]!r}>"


class _Builder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, [(k, v if v is not None else "") for k, v in attrs], self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, [(k, v if v is not None else "") for k, v in attrs], self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(markup):
    b = _Builder()
    b.feed(markup)
    b.close()
    return b.root


# ---------------------------------------------------------------------------------- DevTools

class Cdp:
    """Chromium driven over --remote-debugging-pipe (fd 3 in, fd 4 out, NUL-separated JSON)."""

    def __init__(self, chromium, size=(1280, 1600)):
        self.profile = tempfile.mkdtemp(prefix="aq-chromium-")
        to_r, self._w = os.pipe()
        self._r, from_w = os.pipe()
        a = fcntl.fcntl(to_r, fcntl.F_DUPFD, 100)
        b = fcntl.fcntl(from_w, fcntl.F_DUPFD, 100)
        os.close(to_r)
        os.close(from_w)
        # A tiny exec shim puts the pipe ends at fds 3 and 4 in the child (POSIX sh cannot
        # name fds above 9, and preexec_fn is unsafe with threads).
        boot = ("import os, sys; a, b = int(sys.argv[1]), int(sys.argv[2]); os.dup2(a, 3); os.dup2(b, 4); "
                "os.close(a); os.close(b); os.execvp(sys.argv[3], sys.argv[3:])")
        argv = [sys.executable, "-c", boot, str(a), str(b), chromium, *FLAGS, f"--user-data-dir={self.profile}",
                f"--window-size={size[0]},{size[1]}", "--remote-debugging-pipe", "about:blank"]
        self.errlog = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, pass_fds=(a, b), stdout=subprocess.DEVNULL, stderr=self.errlog,
                                     start_new_session=True)
        os.close(a)
        os.close(b)
        self._buf = b""
        self._id = 0
        self.events = []
        self.session = None

    def _message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("chromium did not answer over the DevTools pipe in time")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 16)
                if not chunk:
                    raise AssertionError("chromium closed the DevTools pipe:\n" + self.stderr()[-2000:])
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True, timeout=20):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode("utf-8") + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise AssertionError(f"DevTools {method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def open(self, url):
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        self.call("Runtime.enable")
        self.call("Page.enable")
        self.call("Page.navigate", {"url": url})

    def eval(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise AssertionError(f"page script failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait(self, expression, timeout=20, what=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.eval(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what or expression}")

    def dom(self):
        return parse(self.eval("document.documentElement.outerHTML"))

    def page_errors(self):
        """Uncaught exceptions and console.error calls seen so far."""
        out = []
        for e in self.events:
            if e.get("method") == "Runtime.exceptionThrown":
                out.append(json.dumps(e["params"]["exceptionDetails"])[:500])
            elif e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") == "error":
                out.append(json.dumps(e["params"]["args"])[:500])
        return out

    def stderr(self):
        self.errlog.seek(0)
        return self.errlog.read().decode("utf-8", "replace")

    def close(self):
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close", session=False, timeout=5)
                except AssertionError:
                    pass
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, 9)
                    self.proc.wait()
        finally:
            os.close(self._w)
            os.close(self._r)
            self.errlog.close()
            shutil.rmtree(self.profile, ignore_errors=True)
