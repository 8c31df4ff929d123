"""A real nginx in front of daemons for the scale-out tests and benchmarks, configured from
deploy/nginx-aqrank.conf — the file operators install — so that what is tested is what ships.

The site file is taken as it is, minus what needs a certificate or a privileged port: the
plain-HTTP redirect server is dropped, `listen 443 ssl http2` becomes a loopback port, the
ssl_*/resolver/HSTS lines go, and the upstream's `server` lines name the given daemons. It is
wrapped in a main configuration of its own (pid, logs and temp paths in a private directory),
and nginx runs in the foreground as a child of the test, as the test user.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SITE = os.path.join(ROOT, "deploy", "nginx-aqrank.conf")
NGINX = os.environ.get("AQ_NGINX", "/usr/sbin/nginx")


def available():
    return os.access(NGINX, os.X_OK)


def free_port(host="127.0.0.1"):
    """A TCP port nothing listens on now (a daemon started with it can be restarted on it)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _top_level_blocks(text):
    """(start, end) of every top-level `name … { … }` item, skipping comments and quoted
    strings (the site's JSON error bodies hold braces)."""
    blocks, depth, start, i, quote = [], 0, None, 0, None
    item_start = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c == "#":
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl
            continue
        elif c in "'\"":
            quote = c
        elif c == "{":
            if depth == 0:
                start = item_start
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                blocks.append((start, i + 1))
                item_start = i + 1
        elif c == ";" and depth == 0:
            item_start = i + 1
        i += 1
    return blocks


def site_config(upstreams, port):
    """The deploy/ site with its upstream set to `upstreams` ("host:port" strings) and its
    TLS server turned into a plain one on 127.0.0.1:port."""
    with open(SITE, encoding="utf-8") as f:
        text = f.read()
    # Drop the port-80 redirect server (it would need port 80).
    for start, end in reversed(_top_level_blocks(text)):
        block = re.sub(r"(?m)^\s*#.*\n", "", text[start:end])   # the comments above it
        if re.match(r"\s*server\s*\{", block) and re.search(r"^\s*listen 80;", block, re.M):
            text = text[:start] + text[end:]
    out, listened = [], False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("listen "):
            if not listened:
                out.append(f"    listen 127.0.0.1:{port};")
                listened = True
            continue
        if re.match(r"(ssl_|resolver)", s) or "Strict-Transport-Security" in s:
            continue
        if re.match(r"server \S+:\d+", s):          # the upstream's daemon lines
            if upstreams is not None:
                out.extend(f"    server {u} max_fails=3 fail_timeout=10s;" for u in upstreams)
                upstreams = None
            continue
        out.append(line)
    assert listened and upstreams is None, "deploy/nginx-aqrank.conf changed shape: fix nginx_proxy.py"
    return "\n".join(out) + "\n"


class Nginx:
    """nginx on 127.0.0.1:<port> in front of `upstreams`. `bind` makes nginx connect to the
    daemons from that address (so a test can trust nginx without trusting itself)."""

    def __init__(self, upstreams, bind=None):
        self.dir = tempfile.mkdtemp(prefix="aqrank-nginx.")
        self.port = free_port()
        self.proc = None
        user = "user root;\n" if os.geteuid() == 0 else ""   # workers keep the test's user
        with open(os.path.join(self.dir, "site.conf"), "w") as f:
            f.write(site_config(upstreams, self.port))
        d = self.dir
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(f"""{user}worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    {f"proxy_bind {bind};" if bind else ""}
    include {d}/site.conf;
}}
""")

    def start(self):
        cmd = [NGINX, "-p", self.dir, "-c", os.path.join(self.dir, "nginx.conf"), "-e",
               os.path.join(self.dir, "error.log")]
        test = subprocess.run(cmd + ["-t", "-q"], capture_output=True, text=True)
        if test.returncode != 0:
            raise RuntimeError("nginx -t:\n" + test.stderr)
        self.proc = subprocess.Popen(cmd + ["-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("nginx exited:\n" + self.proc.stderr.read().decode())
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen")

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "error.log"), encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc:
            self.proc.terminate()         # SIGTERM: fast shutdown
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stderr.close()
            self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
