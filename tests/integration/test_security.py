"""Security checks (issue 7): SQL is never built from text, libraries stay in their layer,
HTTPS works in the daemon, tokens stay secret."""
import glob
import os
import re
import ssl
import subprocess
import tempfile
import unittest
import http.client

from harness import ADMIN, PG_URL, ROOT, Daemon

SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES|CREATE|ALTER|DROP)\b")


def sources(pattern):
    return sorted(glob.glob(os.path.join(ROOT, pattern)))


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


class StaticChecksTest(unittest.TestCase):
    def test_no_sql_built_by_string_formatting(self):
        """No printf-family call formats text containing SQL; every query runs through
        PQexecPrepared with parameters. PQexec only runs fixed commands and the embedded
        migration files."""
        offenders = []
        for path in sources("server/*.c"):
            text = read(path)
            for m in re.finditer(r"\b(v?s?n?printf|asprintf|strcat|strcpy)\s*\(([^;]*)\);", text, re.S):
                if SQL_WORDS.search(m.group(2)):
                    offenders.append(f"{os.path.basename(path)}: {m.group(0)[:80]}")
            for m in re.finditer(r"\bPQexec\s*\(([^;]*)\);", text, re.S):
                args = m.group(1)
                allowed = ("command" in args and path.endswith("db.c")) or "m->data" in args
                if not allowed:
                    offenders.append(f"{os.path.basename(path)}: {m.group(0)[:80]}")
            for m in re.finditer(r"\baq_db_command\s*\(\s*db\s*,\s*([^)]*)\)", text):
                if not re.fullmatch(r'"(BEGIN|COMMIT|ROLLBACK)"', m.group(1).strip()) and "const char *command" not in m.group(0):
                    offenders.append(f"{os.path.basename(path)}: {m.group(0)[:80]}")
            if re.search(r"PQexecParams\s*\(", text):
                offenders.append(f"{os.path.basename(path)}: PQexecParams (use named prepared statements)")
        self.assertEqual(offenders, [])

    def test_statements_are_static_named(self):
        """Every struct aq_sql is a static const with a string-literal text."""
        for path in sources("server/db*.c"):
            text = read(path)
            for m in re.finditer(r"struct aq_sql (\w+) = \{", text):
                line_start = text.rfind("\n", 0, m.start()) + 1
                self.assertTrue(text[line_start:m.start()].strip().startswith("static const"),
                                f"{path}: {m.group(1)} is not static const")

    def test_libraries_stay_in_their_layer(self):
        for path in sources("server/*.[ch]") + sources("include/*.h"):
            name = os.path.basename(path)
            text = read(path)
            if "<libpq-fe.h>" in text:
                self.assertTrue(name.startswith("db"), f"{name} includes libpq")
            if "<microhttpd.h>" in text:
                self.assertTrue(name.startswith("http"), f"{name} includes libmicrohttpd")

    def test_tokens_come_from_the_os_random_source(self):
        text = read(os.path.join(ROOT, "server", "token.c"))
        self.assertIn("getrandom(", text)
        for weak in ("rand(", "random(", "srand(", "time("):
            self.assertNotIn(" " + weak, text)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class HttpsTest(unittest.TestCase):
    def test_https_in_the_daemon(self):
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=localhost", "-keyout", key, "-out", cert],
                           check=True, capture_output=True)
            d = Daemon(env={"AQRANK_TLS_CERT": cert, "AQRANK_TLS_KEY": key}).start()
            try:
                ctx = ssl.create_default_context(cafile=cert)
                ctx.check_hostname = False
                c = http.client.HTTPSConnection("127.0.0.1", d.port, context=ctx, timeout=10)
                c.request("PUT", "/api/v1/stations/TLS-1", body=b'{"name":"t","kind":"micro","lat":1,"lon":1}',
                          headers={"Authorization": "Bearer " + ADMIN, "Content-Type": "application/json"})
                r = c.getresponse()
                self.assertEqual(r.status, 201, r.read())
                r.read()
                c.request("GET", "/api/v1/stations/TLS-1")
                r = c.getresponse()
                self.assertEqual(r.status, 200)
                self.assertIn(b'"TLS-1"', r.read())
                # Plain HTTP to the TLS port gets nowhere.
                plain = http.client.HTTPConnection("127.0.0.1", d.port, timeout=5)
                with self.assertRaises(Exception):
                    plain.request("GET", "/healthz")
                    plain.getresponse().read()
            finally:
                self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
