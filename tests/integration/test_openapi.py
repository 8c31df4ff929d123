"""docs/openapi.yaml against the route table: the document must name exactly the routes the
daemon serves (`aqrankd routes`), with the same auth rule, and hang together (a 2xx per
operation, error codes per error response, every $ref resolvable).

There is no YAML library in the project, so the document is read line by line; its header
comment lists the layout this relies on. No database is needed.
"""
import os
import re
import subprocess
import unittest

from harness import BIN, ROOT

DOC = os.path.join(ROOT, "docs", "openapi.yaml")
STATUS_C = os.path.join(ROOT, "server", "status.c")
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
# The one-line `security:` each auth rule must have (scheme names per requirement object;
# "" is the empty object {} that makes a token optional).
SECURITY = {
    "open": set(),
    "read": {"", "readToken", "adminToken"},
    "station": {"stationToken", "adminToken"},
    "admin": {"adminToken"},
    "metrics": {"", "metricsToken", "readToken", "adminToken"},
}

PATH_RE = re.compile(r"^  (/[^\s:]*):\s*$")
METHOD_RE = re.compile(r"^    ([a-z]+):\s*$")
AUTH_RE = re.compile(r"^      x-aqrank-auth:\s*(\S+)\s*$")
SECURITY_RE = re.compile(r"^      security:\s*(.*?)\s*$")
RESPONSES_RE = re.compile(r"^      responses:\s*$")
STATUS_RE = re.compile(r"^        '?([1-5][0-9X]{2}|default)'?:\s*$")
ERROR_CODES_RE = re.compile(r"x-aqrank-error-codes:\s*\[([^\]]*)\]")
REF_RE = re.compile(r"""\$ref:\s*['"]?([^'"\s,}]+)""")


def indent(line):
    return len(line) - len(line.lstrip(" "))


def significant(line):
    s = line.strip()
    return bool(s) and not s.startswith("#")


def normalise(path):
    """/api/v1/stations/{code}/readings -> /api/v1/stations/{}/readings (the route table's form)."""
    return re.sub(r"\{[^}/]*\}", "{}", path)


def error_codes(text):
    return [c.strip().strip("'\"") for c in text.split(",") if c.strip()]


class Operation:
    def __init__(self, method, path, line):
        self.method = method
        self.path = path
        self.line = line
        self.auth = None
        self.security = None
        self.responses = {}  # status -> {"codes": [...] or None, "ref": str or None, "line": n}
        self.params = []     # ("ref", component) or ("inline", name, location)
        self.path_params = []  # the same, from the path item (shared by its operations)

    def query(self, component_params):
        """The names of the query parameters the operation takes."""
        names = set()
        for p in self.path_params + self.params:
            name, where = component_params.get(p[1], (None, None)) if p[0] == "ref" else (p[1], p[2])
            if where == "query":
                names.add(name)
        return names

    @property
    def key(self):
        return (self.method.upper(), normalise(self.path))

    def __repr__(self):
        return f"{self.method.upper()} {self.path} (docs/openapi.yaml:{self.line})"


def parse_document(text):
    """Operations under `paths:`, the components by section, and every $ref (with its line)."""
    lines = text.splitlines()
    ops = []
    components = {}
    refs = []
    top = None  # the column-0 key we are under
    path = None
    op = None
    in_responses = False
    status = None
    section = None
    component = None
    component_codes = {}
    component_params = {}  # parameter component -> (name, in)
    params = None          # the list being read: an operation's or the path item's
    path_params = []
    pending = None         # an inline parameter whose `in:` is still to come

    for n, line in enumerate(lines, 1):
        if not significant(line):
            continue
        for m in REF_RE.finditer(line):
            refs.append((m.group(1), n))
        if "\t" in line[: indent(line) + 1]:
            raise AssertionError(f"docs/openapi.yaml:{n}: tab in indentation")
        col = indent(line)
        if col == 0:
            top = line.split(":", 1)[0].strip()
            path = op = component = None
            in_responses = False
            continue
        if top == "paths":
            if col <= 2:
                m = PATH_RE.match(line)
                if not m:
                    raise AssertionError(f"docs/openapi.yaml:{n}: expected a path key at 2 spaces: {line!r}")
                path, op, in_responses = m.group(1), None, False
                path_params, params = [], None
                continue
            if col == 4:
                in_responses = False
                m = METHOD_RE.match(line)
                if m and m.group(1) in METHODS:
                    op = Operation(m.group(1), path, n)
                    op.path_params = path_params
                    ops.append(op)
                    params = None
                else:
                    op = None  # path-level parameters, summary, description
                    params = path_params if line.strip() == "parameters:" else None
                continue
            item_col = 8 if op is not None else 6
            if params is not None and col == item_col and line.strip().startswith("- "):
                item = line.strip()[2:]
                if (m := REF_RE.search(item)):
                    params.append(("ref", m.group(1).rsplit("/", 1)[-1]))
                    pending = None
                elif item.startswith("name:"):
                    pending = item.split(":", 1)[1].strip().strip("'\"")
                continue
            if params is not None and col == item_col + 2 and pending and line.strip().startswith("in:"):
                params.append(("inline", pending, line.split(":", 1)[1].strip()))
                pending = None
                continue
            if op is None:
                continue
            if col == 6:
                in_responses = False
                status = None
                params = op.params if line.strip() == "parameters:" else None
                if (m := AUTH_RE.match(line)):
                    op.auth = m.group(1)
                elif (m := SECURITY_RE.match(line)):
                    op.security = m.group(1)
                elif RESPONSES_RE.match(line):
                    in_responses = True
                continue
            if in_responses and col == 8:
                m = STATUS_RE.match(line)
                if not m:
                    raise AssertionError(f"docs/openapi.yaml:{n}: expected a quoted status code at 8 spaces under "
                                         f"responses of {op!r}: {line!r}")
                status = m.group(1)
                op.responses[status] = {"codes": None, "ref": None, "line": n}
                continue
            if in_responses and status and col == 10:
                if (m := ERROR_CODES_RE.search(line)):
                    op.responses[status]["codes"] = error_codes(m.group(1))
                elif (m := REF_RE.search(line)):
                    op.responses[status]["ref"] = m.group(1)
            continue
        if top == "components":
            if col == 2:
                section = line.strip().rstrip(":")
                components.setdefault(section, set())
                component = None
            elif col == 4 and section:
                component = line.strip().split(":", 1)[0].strip("'\"")
                if component in components[section]:
                    raise AssertionError(f"docs/openapi.yaml:{n}: component {section}/{component} defined twice")
                components[section].add(component)
            elif col == 6 and section == "responses" and component:
                if (m := ERROR_CODES_RE.search(line)):
                    component_codes[component] = error_codes(m.group(1))
            elif col == 6 and section == "parameters" and component:
                key, _, value = line.strip().partition(":")
                name, where = component_params.get(component, (None, None))
                if key == "name":
                    component_params[component] = (value.strip().strip("'\""), where)
                elif key == "in":
                    component_params[component] = (name, value.strip())
    return ops, components, refs, component_codes, component_params


ROUTE_QUERY = {}  # (METHOD, PATTERN) -> the query parameters the route takes


def route_table():
    """[(METHOD, PATTERN, AUTH)] from `aqrankd routes`; route_query() has their query lists."""
    if not os.path.exists(BIN):
        raise AssertionError(f"{BIN} does not exist: build it first (make), or set AQ_BIN")
    out = subprocess.run([BIN, "routes"], capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise AssertionError(f"{BIN} routes exited {out.returncode}: {out.stderr.strip()}")
    routes = []
    for line in out.stdout.splitlines():
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) not in (3, 4):
            raise AssertionError(f"unexpected line from `aqrankd routes`: {line!r}")
        routes.append((parts[0].upper(), parts[1], parts[2]))
        ROUTE_QUERY[(parts[0].upper(), parts[1])] = set(parts[3].split(",")) if len(parts) == 4 else set()
    if not routes:
        raise AssertionError("`aqrankd routes` printed no routes")
    return routes


def status_table():
    """{error code: HTTP status} from server/status.c."""
    with open(STATUS_C, encoding="utf-8") as f:
        text = f.read()
    table = {}
    for status, code in re.findall(r"=\s*\{\s*(\d{3}),\s*\"([a-z_]+)\"", text):
        table.setdefault(code, set()).add(status)
    return table


class OpenApiMatchesRoutes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DOC, encoding="utf-8") as f:
            cls.text = f.read()
        cls.ops, cls.components, cls.refs, cls.component_codes, cls.component_params = parse_document(cls.text)
        cls.routes = route_table()

    def test_document_header(self):
        self.assertRegex(self.text, r"(?m)^openapi: ['\"]?3\.1\.\d+['\"]?\s*$", "not an OpenAPI 3.1 document")
        with open(os.path.join(ROOT, "VERSION"), encoding="utf-8") as f:
            version = f.read().strip()
        info = re.search(r"(?ms)^info:\n(.*?)^\S", self.text)
        self.assertIsNotNone(info, "no info: block")
        m = re.search(r"(?m)^  version:\s*['\"]?([^'\"\s]+)", info.group(1))
        self.assertIsNotNone(m, "info has no version")
        self.assertEqual(m.group(1), version, "info.version differs from the VERSION file")

    def test_same_routes(self):
        doc = {}
        for op in self.ops:
            if op.key in doc:
                self.fail(f"{op!r} duplicates {doc[op.key]!r} (same route once path parameters are normalised)")
            doc[op.key] = op
        table = {(m, p) for m, p, _ in self.routes}
        missing = sorted(table - set(doc))
        extra = sorted(set(doc) - table)
        problems = []
        if missing:
            problems.append("routes the daemon serves but docs/openapi.yaml does not describe:\n" +
                            "\n".join(f"    {m} {p}" for m, p in missing))
        if extra:
            problems.append("operations in docs/openapi.yaml that the daemon does not serve:\n" +
                            "\n".join(f"    {doc[k]!r}" for k in extra))
        if problems:
            self.fail("docs/openapi.yaml and `aqrankd routes` disagree.\n" + "\n".join(problems))

    def test_same_auth(self):
        doc = {op.key: op for op in self.ops}
        wrong = []
        for method, pattern, auth in self.routes:
            op = doc.get((method, pattern))
            if op is None:
                continue  # reported by test_same_routes
            if op.auth != auth:
                wrong.append(f"    {op!r}: x-aqrank-auth is {op.auth!r}, the route table says {auth!r}")
        if wrong:
            self.fail("auth differs:\n" + "\n".join(wrong))

    def test_same_query_parameters(self):
        # API routes refuse a query parameter they do not take (422), so the document must
        # list exactly those the route table names.
        doc = {op.key: op for op in self.ops}
        wrong = []
        for method, pattern, _ in self.routes:
            op = doc.get((method, pattern))
            if op is None or not pattern.startswith("/api/"):
                continue
            documented, served = op.query(self.component_params), ROUTE_QUERY[(method, pattern)]
            if documented != served:
                wrong.append(f"    {op!r}: documented {sorted(documented)}, the route takes {sorted(served)}")
        if wrong:
            self.fail("query parameters differ:\n" + "\n".join(wrong))
        # The parser found parameters at all (a layout change must not pass this vacuously).
        self.assertIn("metric", doc[("GET", "/api/v1/ranking/today")].query(self.component_params))

    def test_security_follows_auth(self):
        schemes = self.components.get("securitySchemes", set())
        wrong = []
        for op in self.ops:
            if op.auth not in SECURITY:
                wrong.append(f"    {op!r}: x-aqrank-auth {op.auth!r} is not one of {sorted(SECURITY)}")
                continue
            if op.security is None:
                wrong.append(f"    {op!r}: no one-line `security:`")
                continue
            names = set(re.findall(r"\{\s*([A-Za-z0-9_]*)", op.security))
            if op.auth == "open" and op.security.replace(" ", "") != "[]":
                wrong.append(f"    {op!r}: open operations have `security: []`, not {op.security}")
            elif names != SECURITY[op.auth]:
                wrong.append(f"    {op!r}: security {op.security} does not match auth {op.auth!r}")
            for name in names - {""}:
                if name not in schemes:
                    wrong.append(f"    {op!r}: security scheme {name!r} is not in components/securitySchemes")
        if wrong:
            self.fail("security:\n" + "\n".join(wrong))

    def test_every_operation_has_a_2xx(self):
        lacking = [op for op in self.ops if not any(s.startswith("2") for s in op.responses)]
        self.assertEqual(lacking, [], "operations without a 2xx response")

    def test_error_responses_name_their_codes(self):
        statuses = status_table()
        self.assertIn("unknown_station", statuses, "could not read the status table of server/status.c")
        wrong = []
        for op in self.ops:
            for status, r in op.responses.items():
                if not status[0] in "45":
                    continue
                codes = r["codes"]
                if codes is None and r["ref"] and r["ref"].startswith("#/components/responses/"):
                    codes = self.component_codes.get(r["ref"].rsplit("/", 1)[1])
                if not codes:
                    wrong.append(f"    {op!r} {status}: no x-aqrank-error-codes")
                    continue
                for code in codes:
                    if status not in statuses.get(code, set()):
                        wrong.append(f"    {op!r} {status}: {code!r} is answered with "
                                     f"{sorted(statuses.get(code, {'no status'}))}, not {status}")
        if wrong:
            self.fail("error responses:\n" + "\n".join(wrong))

    def test_refs_resolve(self):
        self.assertTrue(self.refs, "no $ref found at all: is the document empty?")
        broken = []
        for ref, line in self.refs:
            m = re.fullmatch(r"#/components/([A-Za-z]+)/([A-Za-z0-9_.-]+)", ref)
            if not m:
                broken.append(f"    docs/openapi.yaml:{line}: {ref} is not a #/components/<section>/<Name> reference")
            elif m.group(2) not in self.components.get(m.group(1), set()):
                broken.append(f"    docs/openapi.yaml:{line}: {ref} points at nothing")
        if broken:
            self.fail("$ref:\n" + "\n".join(broken))

    def test_core_schemas_exist(self):
        want = {"Station", "Reading", "IngestResult", "Ranking", "RankingRow", "InsufficientEntry",
                "NationalEntry", "NearestNational", "Interview", "Summary", "Alert", "HourlyView",
                "DailyView", "Error"}
        self.assertEqual(want - self.components.get("schemas", set()), set(), "schemas missing")


if __name__ == "__main__":
    unittest.main()
