"""The built-in dashboard (GET /) in a real browser: headless Debian Chromium loads the page
from a daemon with a frozen clock and a staged district (a national point, seven micro
stations, two finalized days, today's provisional ranking, open alerts), and the tests assert
on the rendered DOM what a person would see, in Chinese and with ?lang=en; a screenshot goes
to build/dashboard.png. Empty states, escaping, and the live page (EventSource: an alert that
resolves and a ranking that changes reach the page without a reload; ETag revalidation) too.

How Chromium is driven: `chromium --headless ... --virtual-time-budget=10000 --dump-dom URL`
(and --screenshot). An open EventSource keeps the page busy so the virtual-time budget never
settles; the page honours ?nostream=1 (polling only) for these one-shot runs. The live test
drives Chromium over --remote-debugging-pipe instead (tests/browser/browser.py).

Without chromium the tests skip, except under CI=true, where they fail and say how to install it.
"""
import math
import os
import sys
import time
import unittest

from harness import ADMIN, Daemon, PG_URL, ROOT, wait_for

sys.path.insert(0, os.path.join(ROOT, "tests", "browser"))
import browser  # noqa: E402

NOW = "2017-12-07T15:30:00+08:00"
ENV = {"AQRANK_NOW": NOW, "AQRANK_FINALIZE_QUIET": "0", "AQRANK_ALERT_TICK": "1"}
SCREENSHOT = os.path.join(ROOT, "build", "dashboard.png")

# (code, kind, lat, lon, name, unit, base PM2.5, base PM10); Dongcheng, Beijing.
STATIONS = [
    ("GC-01", "national", 39.9289, 116.4174, "东四国控点", "北京市环境监测中心", 55, 120),
    ("HX-001", "micro", 39.9322, 116.4170, "东四街道微站", "东四街道办事处", 40, 80),      # 0.37 km
    ("HX-002", "micro", 39.9240, 116.4300, "朝阳门微站", "朝阳门街道办事处", 45, 95),      # 1.20 km
    ("HX-003", "micro", 39.9080, 116.4350, "建国门微站", "建国门街道办事处", 50, 110),     # 2.77 km
    ("HX-004", "micro", 39.9530, 116.4150, "和平里微站", "和平里街道办事处", 60, 130),     # 2.69 km
    ("HX-005", "micro", 39.8990, 116.4170, "崇文门微站", "崇文门街道办事处", 65, 150),     # 3.32 km: outside
    ("HX-006", "micro", 39.9410, 116.4340, "东直门微站", "东直门街道办事处", 58, 140),     # 1.95 km
    ("HX-007", "micro", 39.8830, 116.4100, "天坛微站", "天坛街道办事处", 70, 160),         # 5.1 km: outside
]
NAMES = {s[0]: s[4] for s in STATIONS}
MICRO = [s[0] for s in STATIONS if s[1] == "micro"]
NOTE = "12月7日上午已约谈，承诺三日内整改"

# What the staged data gives (PM10 ranking, lower is better).
LATEST_ORDER = ["HX-001", "HX-002", "HX-003", "HX-004", "HX-006", "HX-005", "HX-007"]    # 2017-12-06
LATEST_INTERVIEW = ["HX-007", "HX-005", "HX-006"]
TODAY_ORDER = ["HX-001", "HX-003", "HX-004", "HX-006", "HX-005", "HX-002"]             # HX-007 insufficient
TODAY_INTERVIEW = {"HX-006", "HX-005", "HX-002"}


def staged_readings():
    """2017-12-05 and -06 complete; today 00:00-15:00. Values alternate so nothing is flat.
    Today HX-002 is 80 higher (so today's order differs from yesterday's), HX-005 has PM2.5 120
    from 14:00 (exceedance), the national point jumps to PM10 300 at 14:00 (critical alerts), and
    HX-007 falls silent after 10:00 (offline; too few valid hours to be ranked)."""
    out = []
    for day, hours in (("2017-12-05", range(24)), ("2017-12-06", range(24)), ("2017-12-07", range(16))):
        today = day == "2017-12-07"
        for code, _kind, _lat, _lon, _name, _unit, pm25, pm10 in STATIONS:
            for h in hours:
                if today and code == "HX-007" and h > 10:
                    continue
                a, b = pm25 + h % 2, pm10 + h % 2
                if today and code == "HX-002":
                    b += 80
                if today and code == "HX-005" and h >= 14:
                    a = 120
                if today and code == "GC-01" and h >= 14:
                    b = 300
                out.append({"station": code, "observed_at": f"{day}T{h:02d}:00:00+08:00", "pm25": a, "pm10": b})
                if code == "GC-01":   # the point's vane: north-east wind (for the source analysis)
                    out[-1].update(wind_speed=3, wind_direction=45)
    return out


def require_chromium():
    chromium = browser.find_chromium()
    if chromium:
        return chromium
    message = ("chromium is not installed: the dashboard tests need headless Debian Chromium "
               "(apt-get install chromium; deploy/install-deps.sh installs it)")
    if os.environ.get("CI", "").lower() == "true":
        raise AssertionError(message)
    raise unittest.SkipTest(message)


def rows(section):
    """The body rows of the first table of a section, as (data-station, row node)."""
    return [(tr.get("data-station"), tr) for tr in section.find("tbody").find_all("tr")]


@unittest.skipUnless(PG_URL, "needs the test cluster")
class DashboardTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.chromium = require_chromium()
        cls.d = Daemon(env=ENV).start()
        try:
            for code, kind, lat, lon, name, unit, *_ in STATIONS:
                cls.d.put_station(code, kind=kind, lat=lat, lon=lon, name=name, unit=unit, contact_person="王伟")
            cls.d.post_readings(staged_readings())
            wait_for(lambda: cls.d.get("/api/v1/ranking/latest").status == 200, what="a finalized day")
            wait_for(lambda: {("HX-005", "exceedance"), ("HX-007", "offline"), ("GC-01", "national_divergence")}
                     <= {(a["station"], a["type"]) for a in cls.d.get("/api/v1/alerts?status=open").json["alerts"]},
                     what="the open alerts")
            ivs = {i["station"]: i["id"] for i in cls.d.get("/api/v1/interviews?date=2017-12-06").json["interviews"]}
            for code, body in (("HX-007", {"status": "interviewed", "note": NOTE}), ("HX-005", {"status": "rectified"})):
                r = cls.d.request("PATCH", f"/api/v1/interviews/{ivs[code]}", body=body, token=ADMIN)
                assert r.status == 200, r
            cls.base = f"http://127.0.0.1:{cls.d.port}/"
            cls.zh_run = browser.dump_dom(cls.chromium, cls.base + "?nostream=1")
            cls.zh = browser.parse(cls.zh_run.stdout)
            cls.en_run = browser.dump_dom(cls.chromium, cls.base + "?nostream=1&lang=en")
            cls.en = browser.parse(cls.en_run.stdout)
        except BaseException:
            cls.d.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def section(self, dom, ident):
        node = dom.by_id(ident)
        self.assertIsNotNone(node, f"no #{ident} in the page")
        return node

    def test_page_loaded_without_errors(self):
        for run, dom in ((self.zh_run, self.zh), (self.en_run, self.en)):
            self.assertEqual(run.page_errors(), [])
            self.assertEqual(dom.find("body").get("data-ready"), "true", "the page never finished loading")
        # No external assets: every script and stylesheet comes from this daemon.
        for node in self.zh.find_all("script") + self.zh.find_all("link"):
            ref = node.get("src") or node.get("href") or ""
            self.assertTrue(ref.startswith("/static/") or not ref, ref)

    def test_today_ranking(self):
        today = self.section(self.zh, "today")
        got = rows(today)
        self.assertEqual([code for code, _ in got], TODAY_ORDER)
        for rank, (code, tr) in enumerate(got, 1):
            cells = [td.words() for td in tr.find_all("td")]
            self.assertEqual(cells[0], str(rank))
            self.assertEqual(cells[1], code)
            self.assertTrue(cells[2].startswith(NAMES[code]), cells)
            self.assertEqual("row-iv" in tr.classes, code in TODAY_INTERVIEW, code)
            self.assertEqual("拟约谈" in cells[2], code in TODAY_INTERVIEW, code)
        # HX-002: PM10 176 → AQI 113, 轻度污染, orange; the badge takes the API's colour.
        tr = dict(got)["HX-002"]
        cells = [td.words() for td in tr.find_all("td")]
        self.assertEqual(cells[4:7], ["176", "46", "176"])
        self.assertEqual(cells[8], "16")
        self.assertEqual(cells[9], "100%")                 # data capture: 16 valid of 16 hours
        badge = tr.find("span", cls="aqi")
        self.assertEqual(badge.words(), "113")
        self.assertIn("background-color: rgb(255, 126, 0)", badge.get("style"))
        self.assertIn("轻度污染", cells[7])
        text = today.words()
        self.assertIn("天坛微站（11 小时）", text)            # insufficient, not ranked
        self.assertIn("今日拟约谈（临时）", text)
        self.assertIn("2017-12-07", text)
        heads = [th.words() for th in today.find("thead").find_all("th")]
        self.assertEqual(heads, ["排名", "站点编号", "站点名称", "责任单位", "排名值", "PM2.5", "PM10", "AQI", "有效小时",
                                 "数据有效率"])

    def test_latest_final_ranking_and_interviews(self):
        latest = self.section(self.zh, "latest")
        self.assertEqual([code for code, _ in rows(latest)], LATEST_ORDER)
        self.assertIn("2017-12-06", latest.words())
        interviews = self.section(self.zh, "interviews")
        got = rows(interviews)
        self.assertEqual([code for code, _ in got], LATEST_INTERVIEW)
        status = {code: tr.find("span", cls="istatus").words() for code, tr in got}
        self.assertEqual(status, {"HX-007": "已约谈", "HX-005": "已整改", "HX-006": "待约谈"})
        for code, tr in got:
            self.assertIn(NAMES[code], tr.words())
            self.assertIn("2 天", tr.words())               # on the list on the 5th and the 6th
        self.assertIn(NOTE, dict(got)["HX-007"].words())
        self.assertEqual([th.words() for th in interviews.find("thead").find_all("th")],
                         ["排名", "站点名称", "责任单位", "排名值", "连续上榜", "状态"])

    def test_bulletin_buttons(self):
        """The latest final day offers its bulletin (issue 16): print it, or download its PDF."""
        latest = self.section(self.zh, "latest")
        buttons = latest.find("div", cls="bulletin-actions").find_all("button")
        self.assertEqual([(b.get("data-bulletin"), b.words()) for b in buttons],
                         [("html", "打印通报"), ("pdf", "下载 PDF")])
        en = self.section(self.en, "latest").find("div", cls="bulletin-actions").find_all("button")
        self.assertEqual([b.words() for b in en], ["Print bulletin", "Download PDF"])

    def test_alerts(self):
        alerts = self.section(self.zh, "alerts")
        got = [(tr.get("data-station"), tr.get("data-alert"), tr) for tr in alerts.find("tbody").find_all("tr")]
        kinds = [(s, t) for s, t, _ in got]
        for want in (("HX-005", "exceedance"), ("HX-007", "offline"), ("GC-01", "national_divergence")):
            self.assertIn(want, kinds)
        # Critical first (the national point's), then the rest.
        severities = [tr.find("span", cls="sev").words() for _, _, tr in got]
        self.assertEqual(severities, sorted(severities, key=lambda s: ["严重", "警告", "提示"].index(s)))
        self.assertEqual(severities[0], "严重")
        self.assertEqual({s for (s, _t, _tr), sev in zip(got, severities) if sev == "严重"}, {"GC-01"})
        row = {(s, t): tr for s, t, tr in got}
        exceed = row[("HX-005", "exceedance")].words()
        for word in ("警告", "超标", "崇文门微站", "HX-005", "PM2.5", "158", "150", "未处理"):
            self.assertIn(word, exceed)
        self.assertIn("离线", row[("HX-007", "offline")].words())
        self.assertIn("国控点异常", row[("GC-01", "national_divergence")].words())

    def test_map(self):
        svg = self.section(self.zh, "map").find("svg")
        self.assertIsNotNone(svg)
        stations = {c.get("data-station"): c for c in svg.find_all("circle", cls="station")}
        rings = svg.find_all("circle", cls="ring")
        national = svg.find_all("rect", cls="national")
        self.assertEqual(sorted(stations), sorted(MICRO))          # one circle per micro station
        self.assertEqual([r.get("data-station") for r in rings], ["GC-01"])
        self.assertEqual([n.get("data-station") for n in national], ["GC-01"])
        self.assertEqual(len(svg.find_all("circle")), len(MICRO) + 1)
        self.assertEqual(len(self.section(self.zh, "map").find_all("circle", cls="station")), len(MICRO))
        # Colours: today's AQI level colour; grey without a value (HX-007 is insufficient).
        self.assertEqual(stations["HX-002"].get("fill").upper(), "#FF7E00")
        self.assertEqual(stations["HX-001"].get("fill").upper(), "#FFFF00")
        self.assertEqual(stations["HX-007"].get("fill").upper(), "#B8BEC6")
        # Geometry: the ring is 3 km in the same projection as the points.
        ring = rings[0]
        cx, cy, r = float(ring.get("cx")), float(ring.get("cy")), float(ring.get("r"))
        sq = national[0]
        self.assertAlmostEqual(float(sq.get("x")) + float(sq.get("width")) / 2, cx, delta=0.2)
        self.assertAlmostEqual(float(sq.get("y")) + float(sq.get("height")) / 2, cy, delta=0.2)
        for code, km in (("HX-001", 0.37), ("HX-002", 1.20), ("HX-003", 2.77), ("HX-005", 3.32), ("HX-007", 5.1)):
            c = stations[code]
            d = math.hypot(float(c.get("cx")) - cx, float(c.get("cy")) - cy)
            self.assertAlmostEqual(d / r * 3, km, delta=0.06 * km + 0.02, msg=code)
        # North is up, east is right.
        self.assertLess(float(stations["HX-004"].get("cy")), cy)
        self.assertGreater(float(stations["HX-006"].get("cx")), cx)
        labels = [t.words() for t in svg.find_all("text", cls="label")]
        self.assertEqual(sorted(labels), sorted(NAMES.values()))
        # Everything inside the drawing.
        vw, vh = map(float, svg.get("viewbox").split()[2:])
        for c in stations.values():
            self.assertTrue(0 < float(c.get("cx")) < vw and 0 < float(c.get("cy")) < vh)
        self.assertTrue(cx - r > 0 and cx + r < vw and cy - r > 0 and cy + r < vh)

    def test_sources_beside_the_map(self):
        api = self.d.get("/api/v1/national/GC-01/sources").json
        first = api["contributors"][0]["station"]
        for dom, head, dominant in ((self.zh, "来源研判 · 东四国控点", "主导来风扇区：东北"),
                                    (self.en, "Where the pollution comes from · 东四国控点", "Dominant sector: NE")):
            block = self.section(dom, "map").find("div", cls="sources")
            self.assertIsNotNone(block, "no source block beside the map")
            self.assertEqual(block.get("data-station"), "GC-01")
            self.assertEqual(block.find("h3").words(), head)
            self.assertIn(dominant, block.words())
            rose = block.find("svg", cls="rose-svg")
            petals = {g.get("data-sector"): float(g.get("data-share")) for g in rose.find_all("g", cls="petal")}
            self.assertEqual(max(petals, key=petals.get), "NE")        # every hour from the north-east
            self.assertEqual(len(rose.find_all("path", cls="petal-speed")), 1)
            ranked = block.find("ol", cls="src-list").find_all("li")
            self.assertEqual([li.get("data-station") for li in ranked],
                             [c["station"] for c in api["contributors"][:3]])
            self.assertEqual(ranked[0].get("data-rank"), "1")
            svg = self.section(dom, "map").find("svg")
            marked = [c.get("data-station") for c in svg.find_all("circle", cls="station-src")]
            self.assertIn(first, marked)
            # The wind arrow comes in from the north-east and points at the national point.
            arrow = svg.find("g", cls="wind-arrow")
            self.assertEqual((arrow.get("data-station"), float(arrow.get("data-direction"))), ("GC-01", 45))
            line = arrow.find("line")
            sq = svg.find("rect", cls="national")
            cx = float(sq.get("x")) + float(sq.get("width")) / 2
            cy = float(sq.get("y")) + float(sq.get("height")) / 2
            x1, y1, x2, y2 = (float(line.get(k)) for k in ("x1", "y1", "x2", "y2"))
            self.assertTrue(x1 > x2 > cx and y1 < y2 < cy, (x1, y1, x2, y2, cx, cy))
        self.assertIn("东北方向", self.section(self.zh, "map").find("ol", cls="src-list").words())
        self.assertIn(" at ", self.section(self.en, "map").find("ol", cls="src-list").words())

    def test_summary(self):
        summary = self.section(self.zh, "summary")
        got = rows(summary)
        self.assertEqual([code for code, _ in got], LATEST_ORDER)
        cells = {code: [td.words() for td in tr.find_all("td")] for code, tr in got}
        # rank, station, mean, days valid, interview days, longest streak, good days (share)
        self.assertEqual(cells["HX-007"][0], "7")
        self.assertIn("天坛微站", cells["HX-007"][1])
        self.assertEqual(cells["HX-007"][2:6], ["160", "2", "2", "2"])
        self.assertEqual(cells["HX-001"][2:6], ["80", "2", "0", "0"])
        api = {s["station"]: s for s in self.d.get("/api/v1/ranking/summary?from=2017-11-07&to=2017-12-06").json["stations"]}
        for code, row in cells.items():
            self.assertEqual(row[6], f"{api[code]['good_days']} ({api[code]['good_days_pct']:g}%)", code)
        self.assertEqual(cells["HX-001"][6], "2 (100%)")  # PM10 80 and 81: AQI 65, 良, both days
        self.assertIn("2017-11-07 至 2017-12-06", summary.words())
        self.assertIn("评价标准 HJ633-2012", summary.words())

    def test_standard_named(self):
        # The days of this page are 2017's: HJ 633-2012 with the GB 3095-2012 limits.
        self.assertIn("评价标准 HJ 633-2012 · GB 3095-2012", self.section(self.zh, "today").words())
        self.assertIn("评价标准 HJ 633-2012 · GB 3095-2012", self.section(self.zh, "latest").words())
        self.assertIn("Standard HJ 633-2012 · GB 3095-2012", self.section(self.en, "today").words())

    def test_period_ranking_month_to_date(self):
        # The default view of the assessment ranking: this month to date by the composite index,
        # per station. On the 7th only 3 days have data and a week asks for 7 valid days, so
        # nobody is ranked yet and the page says who is short and by how much.
        periods = self.section(self.zh, "periods")
        pressed = {sw.get("data-switch"): [b.get("data-value") for b in sw.find_all("button")
                                           if b.get("aria-pressed") == "true"]
                   for sw in periods.find_all("div", cls="seg")}
        self.assertEqual(pressed, {"period": ["month"], "metric": ["composite"], "by": ["station"]})
        text = periods.words()
        self.assertIn("2017-12-01 至 2017-12-07，7 天，有效天数要求 7 天", text)
        self.assertIn("该时段暂无可排名的数据。", text)
        short = [p for p in periods.find_all("p", cls="note") if p.get("data-list") == "insufficient"]
        self.assertEqual(len(short), 1)
        for code in MICRO:
            # Today counts provisionally, by today's ranking rule; 天坛 stopped at 10:00 and does not.
            self.assertIn(f"{NAMES[code]}（{2 if code == 'HX-007' else 3} 天）", short[0].words())
        self.assertNotIn(NAMES["GC-01"], short[0].words())      # national points are never ranked

    def test_period_ranking_by_street_for_a_day(self):
        # ?period=day&by=unit&pmetric=pm10: the latest final day's streets by PM10 (each street
        # has one station here, so the order is the day's), the bottom three marked, the
        # composite index and its largest contributor beside the value.
        run = browser.dump_dom(self.chromium, self.base + "?nostream=1&period=day&by=unit&pmetric=pm10")
        self.assertEqual(run.page_errors(), [])
        periods = browser.parse(run.stdout).by_id("periods")
        got = [(tr.get("data-subject"), tr) for tr in periods.find("tbody").find_all("tr")]
        units = {s[0]: s[5] for s in STATIONS}
        self.assertEqual([u for u, _ in got], [units[c] for c in LATEST_ORDER])
        api = {r["unit"]: r for r in
               self.d.get("/api/v1/ranking/2017-12-06?by=unit&metric=pm10").json["ranking"]}
        for rank, (unit, tr) in enumerate(got, 1):
            cells = [td.words() for td in tr.find_all("td")]
            self.assertEqual(cells[0], str(rank))
            self.assertIn(unit, cells[1])
            self.assertEqual(cells[2], f"{api[unit]['value']:g}")
            self.assertEqual(cells[3], f"{api[unit]['composite']:g}")
            self.assertEqual(cells[4], api[unit]["largest"])
            self.assertEqual(cells[6], "1")
            self.assertEqual("row-iv" in tr.classes, rank > len(got) - 3, unit)
        # 天坛: PM10 160 and 161, mean 160.5 → 160; PM2.5 70/71 → 70.5 → 70 (HJ 663 rounding).
        self.assertEqual([td.words() for td in dict(got)[units["HX-007"]].find_all("td")][2], "160")
        self.assertIn("2017-12-06 至 2017-12-06", periods.words())
        heads = [th.words() for th in periods.find("thead").find_all("th")]
        self.assertEqual(heads, ["排名", "街道（乡镇）", "排名值", "综合指数", "首要贡献", "单项指数", "有效天数"])

    def test_chinese_labels(self):
        html = self.zh.find("html")
        self.assertEqual(html.get("lang"), "zh-CN")
        self.assertEqual(self.zh.find("title").words(), "微型站空气质量排名与预警")
        headings = [h.words() for h in self.zh.find_all("h2")]
        for label in ("今日实时排名 临时", "站点分布", "预警", "约谈名单", "最新终审排名 终审", "近 30 日攻坚汇总",
                      "数据质量与校准"):
            self.assertIn(label, headings)
        text = self.zh.find("body").words()
        for label in ("更新于", "定时刷新", "国控点周边 3 公里", "3 公里范围", "国控点今日", "未处理预警", "最长连续约谈"):
            self.assertIn(label, text)
        for english in ("Today's ranking", "Interview list", "Alerts", "Pending", "Critical"):
            self.assertNotIn(english, text)
        self.assertNotEqual(self.zh.by_id("updated").words(), "—")     # a last-updated time is shown
        self.assertIn("conn-polling", self.zh.by_id("conn").classes)   # ?nostream=1: polling only

    def test_english_labels(self):
        self.assertEqual(self.en.find("html").get("lang"), "en")
        headings = [h.words() for h in self.en.find_all("h2")]
        for label in ("Today's ranking Provisional", "Station map", "Alerts", "Interview list",
                      "Latest final ranking Final", "30-day campaign summary", "Data quality and calibration"):
            self.assertIn(label, headings)
        today = self.section(self.en, "today")
        self.assertEqual([code for code, _ in rows(today)], TODAY_ORDER)
        self.assertEqual([th.words() for th in today.find("thead").find_all("th")],
                         ["Rank", "Station", "Name", "Responsible unit", "Value", "PM2.5", "PM10", "AQI", "Valid hours",
                          "Data capture"])
        self.assertIn("Lightly polluted", dict(rows(today))["HX-002"].words())   # category from ?lang=en
        status = {code: tr.find("span", cls="istatus").words() for code, tr in rows(self.section(self.en, "interviews"))}
        self.assertEqual(status, {"HX-007": "Interviewed", "HX-005": "Rectified", "HX-006": "Pending"})
        alerts = self.section(self.en, "alerts").words()
        for word in ("Critical", "Warning", "Exceedance", "Offline", "National point anomaly"):
            self.assertIn(word, alerts)
        text = self.en.find("body").words()
        for chinese in ("今日实时排名", "约谈名单", "预警", "待约谈", "严重", "排名", "更新于", "公里", "轻度污染", "：", "、"):
            self.assertNotIn(chinese, text)
        self.assertIn("中文", self.en.by_id("lang-switch").words())

    def test_screenshot(self):
        run = browser.screenshot(self.chromium, self.base + "?nostream=1", SCREENSHOT, size=(1280, 1600))
        self.assertEqual(run.page_errors(), [])
        self.assertTrue(os.path.exists(SCREENSHOT), SCREENSHOT)
        self.assertGreater(os.path.getsize(SCREENSHOT), 30000)
        width, height, distinct = browser.png_info(SCREENSHOT)
        self.assertEqual((width, height), (1280, 1600))
        self.assertGreater(distinct, 40, "the screenshot looks blank")


@unittest.skipUnless(PG_URL, "needs the test cluster")
class EmptyStatesTest(unittest.TestCase):
    """No stations at all, then stations with today's data but no finalized day yet: every part
    says so in words; names with markup characters show as text."""

    def test_empty_then_no_final_day(self):
        chromium = require_chromium()
        with Daemon(env=ENV) as d:
            url = f"http://127.0.0.1:{d.port}/?nostream=1"
            run = browser.dump_dom(chromium, url)
            self.assertEqual(run.page_errors(), [])
            dom = browser.parse(run.stdout)
            self.assertEqual(dom.find("body").get("data-ready"), "true")
            expect = {"today": "今日暂无排名数据", "map": "尚未登记站点", "alerts": "当前无未处理预警",
                      "interviews": "尚无已终审的日期", "latest": "尚无已终审的日期", "summary": "尚无已终审的日期"}
            for ident, words in expect.items():
                self.assertIn(words, dom.by_id(ident).words(), ident)
                self.assertIsNone(dom.by_id(ident).find("table"), ident)

            odd = "<i>新</i>站 & \"试点\""
            d.put_station("GC-01", kind="national", lat=39.9289, lon=116.4174, name="东四国控点")
            d.put_station("N-1", lat=39.9322, lon=116.4170, name=odd, unit="<b>单位</b>")
            d.put_station("N-2", lat=39.9240, lon=116.4300, name="朝阳门微站")
            d.post_readings([{"station": code, "observed_at": f"2017-12-07T{h:02d}:00:00+08:00", "pm25": 40 + i,
                              "pm10": 70 + 10 * i} for i, code in enumerate(("GC-01", "N-1", "N-2")) for h in range(16)])
            run = browser.dump_dom(chromium, url)
            self.assertEqual(run.page_errors(), [])
            dom = browser.parse(run.stdout)
            today = dom.by_id("today")
            got = rows(today)
            self.assertEqual([code for code, _ in got], ["N-1", "N-2"])
            self.assertIn(odd, dict(got)["N-1"].text())
            self.assertIn("<b>单位</b>", dict(got)["N-1"].text())
            self.assertEqual(today.find_all("i") + today.find_all("b"), [])
            for ident in ("interviews", "latest", "summary"):
                self.assertIn("尚无已终审的日期", dom.by_id(ident).words(), ident)
            svg = dom.by_id("map").find("svg")
            self.assertEqual(len(svg.find_all("circle", cls="station")), 2)
            self.assertEqual(len(svg.find_all("circle", cls="ring")), 1)
            self.assertIn(odd, [t.text() for t in svg.find_all("text")])


@unittest.skipUnless(PG_URL, "needs the test cluster")
class ReadTokenTest(unittest.TestCase):
    """With AQRANK_READ_TOKEN the page itself loads, asks for the token, and with it (from the
    address fragment, as a wall display's bookmark has it) shows the data; a wrong one is
    refused with a message and the data stays hidden."""

    READ = "read-token-for-the-wall-0123456789"

    def test_token_asked_then_used(self):
        chromium = require_chromium()
        with Daemon(env={**ENV, "AQRANK_READ_TOKEN": self.READ}) as d:
            d.put_station("GC-01", kind="national", lat=39.9289, lon=116.4174, name="东四国控点")
            d.put_station("N-1", lat=39.9322, lon=116.4170, name="东四街道微站")
            d.put_station("N-2", lat=39.9240, lon=116.4300, name="朝阳门微站")
            d.post_readings([{"station": code, "observed_at": f"2017-12-07T{h:02d}:00:00+08:00",
                              "pm25": 40 + i, "pm10": 70 + 10 * i}
                             for i, code in enumerate(("GC-01", "N-1", "N-2")) for h in range(16)])
            base = f"http://127.0.0.1:{d.port}/?nostream=1"

            # No token: the form shows, no ranking leaks into the page.
            dom = browser.parse(browser.dump_dom(chromium, base).stdout)
            auth = dom.by_id("auth")
            self.assertIsNone(auth.get("hidden"), "the token form is not shown")
            self.assertIn("只读令牌", auth.words())
            self.assertIsNotNone(dom.by_id("auth-token"))
            self.assertIsNone(dom.by_id("today").find("table"))

            # A wrong token: refused, said so.
            dom = browser.parse(browser.dump_dom(chromium, base + "#token=not-the-token").stdout)
            self.assertIsNone(dom.by_id("auth").get("hidden"))
            self.assertIn("令牌无效", dom.by_id("auth").words())
            self.assertIsNone(dom.by_id("today").find("table"))

            # The right token in the fragment: the data shows and the form stays hidden.
            run = browser.dump_dom(chromium, base + "#token=" + self.READ)
            self.assertEqual(run.page_errors(), [])
            dom = browser.parse(run.stdout)
            self.assertEqual(dom.find("body").get("data-ready"), "true")
            self.assertIsNotNone(dom.by_id("auth").get("hidden"), "the form is still shown")
            self.assertEqual([code for code, _ in rows(dom.by_id("today"))], ["N-1", "N-2"])


@unittest.skipUnless(PG_URL, "needs the test cluster")
class LiveUpdateTest(unittest.TestCase):
    """The page as a person leaves it open: EventSource connected, and an alert that resolves
    and a ranking that changes show up without a reload; revalidation uses If-None-Match."""

    def test_events_update_the_page(self):
        chromium = require_chromium()
        with Daemon(env=ENV) as d:
            d.put_station("GC-01", kind="national", lat=39.9289, lon=116.4174, name="东四国控点")
            for code, lat in (("L-1", 39.9322), ("L-2", 39.9240), ("L-3", 39.9080)):
                d.put_station(code, lat=lat, lon=116.4200, name=code + "微站")
            # L-3 is silent after 10:00: offline, and too few hours to be ranked.
            d.post_readings([{"station": code, "observed_at": f"2017-12-07T{h:02d}:00:00+08:00",
                              "pm25": 40 + h % 2, "pm10": 80 + 10 * i + h % 2}
                             for i, code in enumerate(("GC-01", "L-1", "L-2", "L-3")) for h in range(16)
                             if not (code == "L-3" and h > 10)])
            wait_for(lambda: d.get("/api/v1/alerts?status=open&type=offline").json["alerts"], what="offline alert")
            page = browser.Cdp(chromium)
            try:
                page.open(f"http://127.0.0.1:{d.port}/")
                page.wait("!!document.body && document.body.getAttribute('data-ready') === 'true'", what="the first render")
                page.wait("document.getElementById('conn').classList.contains('conn-live')", what="the event stream")
                self.assertEqual(page.eval("document.getElementById('conn-text').textContent"), "实时推送")
                offline = "!!document.querySelector('#alerts tr[data-alert=\"offline\"][data-station=\"L-3\"]')"
                self.assertTrue(page.eval(offline))
                self.assertIn("L-3微站（11 小时）", page.eval("document.getElementById('today').textContent"))

                # L-3 reports again: the offline alert resolves (an `alert` event) and today's
                # ranking changes (a `ranking` event); the page follows without a reload.
                d.post_readings([{"station": "L-3", "observed_at": "2017-12-07T15:20:00+08:00", "pm25": 41, "pm10": 99}])
                page.wait("!" + offline, what="the resolved alert to leave the page")
                page.wait("document.getElementById('today').textContent.indexOf('L-3微站（12 小时）') >= 0",
                          timeout=25, what="today's ranking to update")
                self.assertIn("当前无未处理预警", page.eval("document.getElementById('alerts').textContent"))
                self.assertEqual(page.eval("document.querySelector('#kpi-alerts').textContent.trim()"), "0")

                # Coming back to the tab revalidates everything: unchanged parts answer 304.
                mark = len(d.lines)
                page.eval("document.dispatchEvent(new Event('visibilitychange'))")
                wait_for(lambda: any(" /api/v1/ranking/today 304 " in l for l in d.lines[mark:]),
                         timeout=10, what="a 304 revalidation of today's ranking")
                time.sleep(0.5)
                # ... and the page still shows the data it already had.
                self.assertEqual(page.eval("document.querySelectorAll('#today table.ranking tbody tr').length"), 2)
                self.assertEqual(page.eval("document.querySelectorAll('#map circle.station').length"), 3)
                self.assertEqual(page.page_errors(), [])
            finally:
                page.close()


# The boxes of the map's labels and marks as the browser draws them (SVG user units), and what
# the page lists as not named on the map.
MAP_BOXES_JS = """(function () {
  var svg = document.querySelector('#map svg.map-svg');
  function box(n) { var b = n.getBBox(); return [b.x, b.y, b.width, b.height, n.getAttribute('data-station')]; }
  var note = document.querySelector('#map .map-unlabelled');
  return {zoom: svg.getAttribute('data-zoom'), viewBox: svg.getAttribute('viewBox'),
          labels: Array.prototype.map.call(svg.querySelectorAll('text.label'), function (t) {
            return box(t).concat([t.textContent]); }),
          marks: Array.prototype.map.call(svg.querySelectorAll('circle.station, rect.national'), box),
          ring: (function () { var r = svg.querySelector('circle.ring');
                               return [+r.getAttribute('cx'), +r.getAttribute('cy'), +r.getAttribute('r')]; })(),
          unlabelled: note ? note.textContent : ''};
})()"""


def overlap(a, b, slack=0.5):
    """Whether two (x, y, w, h) boxes overlap by more than `slack` units each way."""
    return (a[0] + slack < b[0] + b[2] and b[0] + slack < a[0] + a[2] and
            a[1] + slack < b[1] + b[3] and b[1] + slack < a[1] + a[3])


@unittest.skipUnless(PG_URL, "needs the test cluster")
class MapLabelsTest(unittest.TestCase):
    """Issue 22 item 9: where stations crowd around the national point, no label is drawn over
    another or over a mark, as the browser renders them; a station without room for its name
    gets its code, or is listed under the map; and the official can zoom to the ring."""

    def test_crowded_ring_is_readable_and_zooms(self):
        chromium = require_chromium()
        with Daemon(env=ENV) as d:
            d.put_station("GC-01", kind="national", lat=39.9289, lon=116.4174, name="东四国控点")
            crowd = []
            for i in range(16):  # sixteen stations within 600 m of the national point
                lat = 39.9289 + 0.004 * math.cos(i * 2 * math.pi / 16) * (0.4 + 0.6 * (i % 2))
                lon = 116.4174 + 0.005 * math.sin(i * 2 * math.pi / 16) * (0.4 + 0.6 * (i % 2))
                code = f"CR-{i:02d}"
                d.put_station(code, lat=lat, lon=lon, name=f"东城区第{i + 1}网格微型监测站")
                crowd.append(code)
            d.put_station("FAR-1", lat=40.05, lon=116.60, name="远郊微站")  # 20 km out
            page = browser.Cdp(chromium)
            try:
                page.open(f"http://127.0.0.1:{d.port}/?nostream=1")
                page.wait("!!document.body && document.body.getAttribute('data-ready') === 'true'", what="the page")
                for zoom in ("all", "ring"):
                    got = page.eval(MAP_BOXES_JS)
                    self.assertEqual(got["zoom"], zoom)
                    labels, marks = got["labels"], got["marks"]
                    for i, a in enumerate(labels):
                        for b in labels[i + 1:]:
                            self.assertFalse(overlap(a, b), f"{zoom}: label {a[5]!r} over label {b[5]!r}")
                        for m in marks:
                            self.assertFalse(overlap(a, m), f"{zoom}: label {a[5]!r} over the mark of {m[4]}")
                    # Every station is named on the map (its name, or its code) or under it.
                    named = {a[4]: a[5] for a in labels}
                    for code in crowd + ["GC-01"]:
                        self.assertTrue(code in named or code in got["unlabelled"], f"{zoom}: {code} is nowhere")
                        if code in named:
                            self.assertIn(named[code], (code, "东四国控点", f"东城区第{int(code[3:]) + 1}网格微型监测站"
                                                        if code != "GC-01" else "东四国控点"))
                    self.assertEqual(named.get("GC-01"), "东四国控点")   # the national point keeps its name
                    if zoom == "all":
                        self.assertIn("FAR-1", named)
                        # Zoom to the ring: the button says so, and the address keeps it.
                        self.assertIn("缩放至 3 公里范围", page.eval("document.querySelector('#map .map-zoom').textContent"))
                        page.eval("document.querySelector('#map .map-zoom').click()")
                        page.wait("document.querySelector('#map svg').getAttribute('data-zoom') === 'ring'", what="the zoom")
                        self.assertIn("map=ring", page.eval("window.location.search"))
                        ring_all = got["ring"][2]
                    else:
                        # The ring now fills the drawing: much bigger than before, and whole.
                        cx, cy, r = got["ring"]
                        vw, vh = map(float, got["viewBox"].split()[2:])
                        self.assertGreater(r, 2 * ring_all)
                        self.assertGreater(2 * r, 0.75 * min(vw, vh))
                        self.assertTrue(cx - r >= 0 and cy - r >= 0 and cx + r <= vw and cy + r <= vh)
                        # More of the crowd has room for its name than in the whole view.
                        self.assertGreater(sum(1 for a in labels if a[5].startswith("东城区")), 4)
                        self.assertEqual(page.eval("document.querySelector('#map .map-zoom').textContent"), "显示全部站点")
                self.assertEqual(page.page_errors(), [])
            finally:
                page.close()
@unittest.skipUnless(PG_URL, "needs the test cluster")
class QualityPanelTest(unittest.TestCase):
    """Quality control on (the daemon's default): a station stuck for today's first eight hours
    drops out of the ranking and its excluded hours show as red dots on its series; a station
    reading 1.4 × its neighbour + 8, calibrated against it and approved, shows raw and
    corrected series apart, the calibration it runs on, and the ranking's data-capture column."""

    def test_quality_panel(self):
        chromium = require_chromium()
        env = {**ENV, "AQRANK_QC": None, "AQRANK_CALIBRATION_MIN_PAIRS": "24"}
        with Daemon(env=env) as d:
            d.put_station("GC-01", kind="national", lat=39.9289, lon=116.4174, name="东四国控点")
            d.put_station("Q-1", lat=39.9322, lon=116.4170, name="卡滞微站")
            d.put_station("Q-2", lat=39.9240, lon=116.4300, name="偏高微站")
            d.put_station("Q-3", lat=39.9080, lon=116.4350, name="参比微站")
            out = []
            for day, hours in (("2017-12-05", 24), ("2017-12-06", 24), ("2017-12-07", 16)):
                for h in range(hours):
                    at = f"{day}T{h:02d}:00:00+08:00"
                    ref = 80 + 7 * (h % 5)
                    stuck = day == "2017-12-07" and h < 8
                    out += [{"station": "GC-01", "observed_at": at, "pm25": 40 + h % 2, "pm10": 85 + h % 3},
                            {"station": "Q-3", "observed_at": at, "pm25": ref / 2, "pm10": ref},
                            {"station": "Q-2", "observed_at": at, "pm25": round(0.7 * ref + 8, 6), "pm10": round(1.4 * ref + 8, 6)},
                            {"station": "Q-1", "observed_at": at, "pm25": 30 if stuck else 35 + h % 4,
                             "pm10": 60 if stuck else 70 + h % 4}]
            d.post_readings(out)
            r = d.post("/api/v1/stations/Q-2/calibrations", {"reference": "Q-3", "from": "2017-12-05", "to": "2017-12-06"},
                       token=ADMIN)
            self.assertEqual(r.status, 201, r)
            self.assertEqual(d.post(f"/api/v1/stations/Q-2/calibrations/{r.json['id']}/approve", token=ADMIN).status, 200)
            base = f"http://127.0.0.1:{d.port}/?nostream=1"

            # Without ?station the panel opens on the station with the most excluded hours.
            run = browser.dump_dom(chromium, base)
            self.assertEqual(run.page_errors(), [])
            dom = browser.parse(run.stdout)
            panel = dom.by_id("quality")
            chosen = [o.get("value") for o in panel.find_all("option") if o.get("selected") is not None]
            self.assertEqual(chosen, ["Q-1"])
            dots = panel.find_all("circle", cls="qc-flag")
            self.assertEqual(sorted((c.get("data-day"), int(c.get("data-hour"))) for c in dots),
                             [("2017-12-07", h) for h in range(8)])
            self.assertTrue(all(c.get("data-flags") == "stuck" for c in dots))
            self.assertIn("数据恒定 8 小时", panel.words())
            self.assertIn("该站尚无已批准的校准", panel.words())
            today = dom.by_id("today")
            self.assertIn("卡滞微站（8 小时）", today.words())       # insufficient: 8 of 16 hours kept
            got = dict(rows(today))
            self.assertEqual(sorted(got), ["Q-2", "Q-3"])
            for code in ("Q-2", "Q-3"):
                self.assertEqual(got[code].find("td", cls="capture").words(), "100%")
            # Calibrated, Q-2 publishes Q-3's values: they share the rank.
            self.assertEqual(got["Q-2"].find("td").words(), got["Q-3"].find("td").words())

            run = browser.dump_dom(chromium, base + "&station=Q-2&lang=en")
            self.assertEqual(run.page_errors(), [])
            panel = browser.parse(run.stdout).by_id("quality")
            series = {p.get("data-series"): p.get("d") for p in panel.find_all("path", cls="series")}
            self.assertEqual(sorted(series), ["corrected", "national", "raw"])
            self.assertNotEqual(series["raw"], series["corrected"])
            self.assertEqual(panel.find_all("circle", cls="qc-flag"), [])
            cal = panel.find("table", cls="calibrations")
            self.assertIsNotNone(cal)
            cells = [td.words() for td in cal.find("tbody").find("tr").find_all("td")]
            self.assertEqual(cells[0:2], ["v1", "Q-3"])
            self.assertIn("0.714·raw", cells[3])
            self.assertTrue(cells[4].startswith("48 · 1 · 0"), cells[4])
            self.assertIn("Data capture 100%", panel.words())


if __name__ == "__main__":
    unittest.main()
