"""The README's walk through the API, run as written (issue 22): the shell block under "A walk
through the API" is taken from README.md and executed with bash against a daemon seeded the way
`make run` seeds it (deploy/seed_demo.py: the demo district, 30 days of history and today so
far), so the README cannot drift from the product.

Only what the reader would adapt is substituted: the address `make run` printed, the admin token
it made, the second daemon's port and database name (so parallel runs do not collide) and the
path of the binary under test. Everything the block prints is checked: no command answered with
an error, the reader's station is ranked today, the CSV download names its file, the interview
outcome is recorded, and the history district ranks December 2015 without touching the demo.
"""
import os
import re
import socket
import subprocess
import tempfile
import unittest
import uuid

from harness import ADMIN, BIN, PG_URL, ROOT, Daemon, wait_for

README = os.path.join(ROOT, "README.md")


def walk_block():
    """The first ```sh block after the heading "## A walk through the API"."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    section = text.split("## A walk through the API", 1)[1]
    m = re.search(r"```sh\n(.*?)```", section, re.S)
    if not m:
        raise AssertionError("README.md: no ```sh block under 'A walk through the API'")
    return m.group(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def substitute(block, base, port, db, log):
    """The reader's own values in place of the README's."""
    replaced = {}

    def sub(pattern, repl, text, what):
        out, n = re.subn(pattern, repl, text, flags=re.M)
        replaced[what] = n
        return out

    block = sub(r"^BASE=http://127\.0\.0\.1:8080\b", f"BASE={base}", block, "BASE")
    block = sub(r"^ADMIN=\$\(cat var/admin-token\)", f"ADMIN={ADMIN}", block, "ADMIN")
    block = sub(r"127\.0\.0\.1:8081", f"127.0.0.1:{port}", block, "8081")
    block = sub(r"\baqrank_history\b", db, block, "aqrank_history")
    block = sub(r"\./build/aqrankd\b", BIN, block, "./build/aqrankd")
    block = sub(r"var/history\.log", log, block, "var/history.log")
    missing = [k for k, n in replaced.items() if n == 0]
    if missing:
        raise AssertionError(f"README.md's walk no longer has {missing}: update tests/integration/test_readme.py")
    return block


@unittest.skipUnless(PG_URL, "needs the test cluster")
class ReadmeWalkTest(unittest.TestCase):
    def test_the_walk_runs_as_written(self):
        block = walk_block()
        with Daemon() as d, tempfile.TemporaryDirectory() as tmp:
            base = f"http://127.0.0.1:{d.port}"
            # What `make run` does after starting the daemon (deploy/run-demo.sh).
            seeded = subprocess.run(["python3", os.path.join(ROOT, "deploy", "seed_demo.py"), base, ADMIN,
                                     os.path.join(ROOT, "deploy", "demo-stations.json")],
                                    capture_output=True, text=True, timeout=300)
            self.assertEqual(seeded.returncode, 0, seeded.stderr)
            # The reader starts once the demo's past days are finalized.
            wait_for(lambda: d.get("/api/v1/ranking/latest").status == 200, timeout=120, what="a finalized day")
            db = "t_history_" + uuid.uuid4().hex[:10]
            history_log = os.path.join(tmp, "history.log")
            script = substitute(block, base, free_port(), db, history_log)
            env = dict(os.environ, AQ_PG_STATE=os.environ.get("AQ_PG_STATE", ""))
            # The walk's second daemon is the binary under test too: same sanitizer settings.
            env.update({k: v for k, v in d.env.items() if k.endswith("SAN_OPTIONS")})
            csv_before = set(f for f in os.listdir(ROOT) if f.startswith("ranking-"))
            try:
                run = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=ROOT, env=env,
                                     capture_output=True, text=True, timeout=600)
            finally:
                made = [f for f in os.listdir(ROOT) if f.startswith("ranking-") and f not in csv_before]
                for f in made:
                    os.unlink(os.path.join(ROOT, f))
                subprocess.run(["psql", PG_URL, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                               capture_output=True)
            out = run.stdout
            if run.returncode != 0:
                log = open(history_log, encoding="utf-8", errors="replace").read() if os.path.exists(history_log) else ""
                self.fail(f"the walk failed ({run.returncode}):\n{run.stderr[-3000:]}\n{out[-1500:]}\n"
                          f"the history daemon's log:\n{log[-3000:]}")
            # No command of the walk was answered with an error.
            self.assertNotIn('"error"', out, out[-3000:])
            # Every reading of today so far was accepted, and the reader's station is ranked.
            accepted = re.findall(r'\{"accepted":(\d+),"duplicates":(\d+)', out)
            self.assertGreaterEqual(len(accepted), 1)
            self.assertTrue(all(a == "1" for a, _ in accepted), accepted)
            m = re.search(r"^(\d{4}-\d{2}-\d{2}) \[\((\d+), 'HX-101', ([\d.]+)\)\]$", out, re.M)
            self.assertIsNotNone(m, f"HX-101 is not in today's ranking:\n{out[-2000:]}")
            # The CSV was saved under the name the daemon gave it.
            self.assertEqual(len(made), 1, made)
            self.assertRegex(made[0], r"^ranking-\d{4}-\d{2}-\d{2}\.csv$")
            # The interview outcome was recorded.
            self.assertRegex(out, r'"status":"interviewed"')
            # The history district ranked its month; the demo district did not gain its stations.
            self.assertRegex(out, r'"period":"month","from":"2015-12-01"')
            codes = {s["code"] for s in d.get("/api/v1/stations").json["stations"]}
            self.assertNotIn("Dongsi", codes)
            self.assertIn("HX-101", codes)


if __name__ == "__main__":
    unittest.main()
