"""The bulletin (通报, issue 16): GET /api/v1/bulletins/{date} and /bulletins/month/{YYYY-MM} as
printable HTML and as PDF (cairo + pango), read back with pdftotext (poppler-utils) and headless
Chromium; bytes kept per snapshot with an ETag; bad input.

A network of ten micro stations around a national point in Dongcheng, 2017-12-05 and -06
finalized, today (2017-12-07) provisional. PM10 ranking, lower is better: the values below make
the order of 2017-12-06 HX-01 < HX-02 < … < HX-10 (PM10 60, 70, …, 150), so the interview list
(3) is HX-10, HX-09, HX-08. 2017-12-06 is day 340 of 2017: 〔2017〕第 340 期.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

from harness import ADMIN, PG_URL, Daemon, new_database, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
import browser  # noqa: E402

NOW = "2017-12-07T10:30:00+08:00"
ENV = {"AQRANK_NOW": NOW, "AQRANK_FINALIZE_QUIET": "100000", "AQRANK_FINALIZE_AFTER": "2592000",
       "AQRANK_DISTRICT_NAME": "东城区"}
D1, D2, TODAY = "2017-12-05", "2017-12-06", "2017-12-07"
NAMES = ["东四北大街微站", "朝阳门内微站", "灯市口微站", "美术馆东微站", "雍和宫微站",
         "东直门外微站", "建国门北微站", "东单北微站", "和平里微站", "天坛北微站"]
UNITS = ["东四街道", "朝阳门街道", "东华门街道", "景山街道", "北新桥街道",
         "东直门街道", "建国门街道", "东四街道", "和平里街道", "天坛街道"]
CONTACTS = ["王伟", "李娜", "张磊", "刘洋", "陈静", "杨帆", "黄勇", "周杰", "吴芳", "郑强"]
CODES = [f"HX-{i:02d}" for i in range(1, 11)]


def pdftotext(data, layout=False):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [f.name, "-"]
        return subprocess.run(args, capture_output=True, check=True).stdout.decode("utf-8")


def pdfpages(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, check=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)), re.search(r"^Page size:\s+(.*)$", info, re.M).group(1)


def require_poppler():
    if shutil.which("pdftotext"):
        return
    message = "pdftotext is not installed (apt-get install poppler-utils; deploy/install-deps.sh installs it)"
    if os.environ.get("CI", "").lower() == "true":
        raise AssertionError(message)
    raise unittest.SkipTest(message)


def readings(codes, days, pm10_of, hours=range(24)):
    out = []
    for day in days:
        for k, code in enumerate(codes):
            for h in hours:
                out.append({"station": code, "observed_at": f"{day}T{h:02d}:00:00+08:00",
                            "pm25": 30 + k % 7, "pm10": pm10_of(k, day)})
    return out


def in_order(text, needles):
    """True when every needle occurs in text, each after the one before."""
    at = 0
    for n in needles:
        i = text.find(n, at)
        if i < 0:
            return False
        at = i + len(n)
    return True


@unittest.skipUnless(PG_URL, "needs the test cluster")
class BulletinTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_poppler()
        cls.d = Daemon(env=ENV).start()
        try:
            d = cls.d
            d.put_station("GC-01", kind="national", lat=39.9289, lon=116.4174, name="东四国控点", unit="市监测中心")
            for i, code in enumerate(CODES):
                d.put_station(code, lat=39.9289 + 0.004 * (i % 4 - 1.5), lon=116.4174 + 0.005 * (i // 4 - 1),
                              name=NAMES[i], unit=UNITS[i], contact_person=CONTACTS[i])
            # PM10 60..150 on 12-06 by code; 12-05 ten higher; today the first six hours.
            d.post_readings(readings(CODES, [D1], lambda k, day: 70 + 10 * k))
            d.post_readings(readings(CODES, [D2], lambda k, day: 60 + 10 * k))
            d.post_readings(readings(["GC-01"], [D1, D2], lambda k, day: 100))
            d.post_readings(readings(CODES + ["GC-01"], [TODAY], lambda k, day: 80 + k, hours=range(6)))
            for day in (D1, D2):
                r = d.post(f"/api/v1/ranking/{day}/finalize", token=ADMIN)
                assert r.status == 200, r
            cls.pdf = d.get(f"/api/v1/bulletins/{D2}?format=pdf")
        except BaseException:
            cls.d.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def test_pdf_of_a_final_day(self):
        r = self.pdf
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/pdf")
        self.assertTrue(r.body.startswith(b"%PDF-"))
        self.assertIn("aqrank-bulletin-2017-12-06.pdf", r.header("Content-Disposition"))
        text = pdftotext(r.body)
        flat = re.sub(r"\s+", "", text)
        # Title, issuer, number and date, then the sections in order.
        self.assertTrue(in_order(flat, ["东城区生态环境局", "东城区空气质量微型站日排名通报", "〔2017〕第340期",
                                        "2017年12月6日", "一、总体情况", "二、国控点当日情况", "三、微型站排名",
                                        "四、约谈名单", "五、数据不足站点", "六、国控点周边3公里告警",
                                        "七、攻坚期累计排名", "八、站点分布图", "规则版本"]), text)
        ranking = flat[flat.index("三、微型站排名"):flat.index("四、约谈名单")]
        self.assertTrue(in_order(ranking, NAMES), ranking)          # every station, in rank order
        interviews = flat[flat.index("四、约谈名单"):flat.index("五、数据不足站点")]
        # The bottom three, worst first, each with its unit, contact person and status.
        self.assertTrue(in_order(interviews, ["10/10", NAMES[9], UNITS[9], CONTACTS[9], "150", "待约谈",
                                              "9/10", NAMES[8], UNITS[8], CONTACTS[8], "140",
                                              "8/10", NAMES[7], UNITS[7], CONTACTS[7], "130"]), interviews)
        # Mean of 60..150 = 105; the day before 70..160 = 115: (105 − 115) / 115 = −8.7 %.
        self.assertIn("全区PM10日均值为105µg/m³，较前一日（115）下降8.7%。", flat)
        self.assertIn("排名后3位站点列入约谈名单：天坛北微站（天坛街道）、和平里微站（和平里街道）、东单北微站（东四街道）。", flat)
        self.assertIn("迟到数据：0条", flat)
        self.assertNotIn("未定稿", flat)
        pages, size = pdfpages(r.body)
        self.assertGreaterEqual(pages, 1)
        self.assertLessEqual(pages, 4)
        self.assertIn("595.276 x 841.89", size)   # A4
        self.assertIn(f"第1页/共{pages}页", flat)

    def test_etag_and_the_same_bytes(self):
        again = self.d.get(f"/api/v1/bulletins/{D2}?format=pdf")
        self.assertEqual(again.status, 200)
        self.assertEqual(again.body, self.pdf.body)
        etag = again.header("ETag")
        self.assertTrue(etag)
        r = self.d.get(f"/api/v1/bulletins/{D2}?format=pdf", headers={"If-None-Match": etag})
        self.assertEqual(r.status, 304)
        self.assertEqual(r.body, b"")
        # Accept: application/pdf without format= is the same document.
        r = self.d.get(f"/api/v1/bulletins/{D2}", headers={"Accept": "application/pdf"})
        self.assertEqual(r.body, self.pdf.body)

    def test_html_of_a_final_day(self):
        r = self.d.get(f"/api/v1/bulletins/{D2}?format=html")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
        html = r.body.decode("utf-8")
        self.assertIn("〔2017〕第 340 期", html)
        self.assertIn("@page{size:A4", html)
        self.assertNotIn('id="watermark"', html)
        for name in NAMES:
            self.assertIn(name, html)
        self.assertLess(html.index('id="summary"'), html.index('id="ranking"'))
        self.assertLess(html.index('id="ranking"'), html.index('id="interviews"'))
        self.assertIn("<svg", html)
        en = self.d.get(f"/api/v1/bulletins/{D2}?format=html&lang=en").body.decode("utf-8")
        self.assertIn("No. 340 (2017)", en)
        self.assertIn("4. Interview list", en)

    def test_provisional_day(self):
        r = self.d.get(f"/api/v1/bulletins/{TODAY}?format=html")
        self.assertEqual(r.status, 200, r)
        html = r.body.decode("utf-8")
        self.assertIn('id="watermark"', html)
        self.assertIn("未定稿", html)
        r = self.d.get(f"/api/v1/bulletins/{TODAY}?format=pdf")
        self.assertEqual(r.status, 409, r)
        err = r.json["error"]
        self.assertEqual(err["code"], "conflict")
        self.assertIn("HTML only", err["message"])

    def test_bad_input(self):
        r = self.d.get("/api/v1/bulletins/2017-12-01?format=pdf")
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json["error"]["code"], "no_data")
        self.assertIn("no readings", r.json["error"]["message"])
        r = self.d.get("/api/v1/bulletins/2017-12-20")
        self.assertEqual(r.status, 404, r)
        self.assertIn("not begun", r.json["error"]["message"])
        r = self.d.get(f"/api/v1/bulletins/{D2}?format=docx")
        self.assertEqual(r.status, 406, r)
        self.assertEqual(r.header("Content-Type"), "application/json; charset=utf-8")
        self.assertEqual(r.json["error"]["code"], "not_acceptable")
        self.assertIn("format=html or format=pdf", r.json["error"]["message"])
        r = self.d.get("/api/v1/bulletins/2017-13-01")
        self.assertEqual(r.status, 422, r)
        r = self.d.get(f"/api/v1/bulletins/{D2}?campaign_days=999")
        self.assertEqual(r.status, 422, r)
        r = self.d.get("/api/v1/bulletins/month/2017-11?format=html")
        self.assertEqual(r.status, 404, r)

    def test_month(self):
        r = self.d.get("/api/v1/bulletins/month/2017-12?format=html")
        self.assertEqual(r.status, 200, r)
        html = r.body.decode("utf-8")
        self.assertIn("东城区空气质量月度排名通报", html)
        self.assertIn("〔2017〕第 12 期", html)
        self.assertIn('id="watermark"', html)       # December is not over
        self.assertIn('id="streets"', html)
        for name in NAMES:
            self.assertIn(name, html)
        self.assertEqual(self.d.get("/api/v1/bulletins/month/2017-12?format=pdf").status, 409)

    def test_late_reading_changes_the_footer(self):
        fresh = Daemon(url=self.d.url, env=ENV).start()
        try:
            first = fresh.get(f"/api/v1/bulletins/{D1}?format=pdf")
            self.assertEqual(first.status, 200, first)
            fresh.post_readings([{"station": "HX-01", "observed_at": f"{D1}T12:30:00+08:00", "pm25": 1, "pm10": 1}])
            later = wait_for(lambda: (lambda r: r if b"%PDF" in r.body and r.body != first.body else None)(
                fresh.get(f"/api/v1/bulletins/{D1}?format=pdf")), what="the bulletin with one late reading")
            self.assertIn("迟到数据：1条", re.sub(r"\s+", "", pdftotext(later.body)))
        finally:
            self.assertEqual(fresh.stop(), 0)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class BulletinBytesTest(unittest.TestCase):
    """The same snapshot gives the same PDF bytes: from two daemons started apart, and before and
    after a restart (nothing is kept on disk; the PDF's creation date is the snapshot's)."""

    def test_same_snapshot_same_bytes(self):
        require_poppler()
        url = new_database()
        first = Daemon(url=url, env=ENV).start()
        try:
            first.put_station("GC-01", kind="national", lat=39.9289, lon=116.4174, name="东四国控点")
            for i, code in enumerate(CODES[:4]):
                first.put_station(code, lat=39.93 + 0.003 * i, lon=116.42, name=NAMES[i], unit=UNITS[i])
            first.post_readings(readings(CODES[:4] + ["GC-01"], [D2], lambda k, day: 60 + 10 * k))
            self.assertEqual(first.post(f"/api/v1/ranking/{D2}/finalize", token=ADMIN).status, 200)
            a = first.get(f"/api/v1/bulletins/{D2}?format=pdf")
        finally:
            self.assertEqual(first.stop(), 0)
        second = Daemon(url=url, env=dict(ENV, AQRANK_NOW="2018-03-01T09:00:00+08:00")).start()
        try:
            b = second.get(f"/api/v1/bulletins/{D2}?format=pdf")
        finally:
            self.assertEqual(second.stop(), 0)
        self.assertEqual(a.status, 200, a)
        self.assertEqual(a.body, b.body)
        self.assertEqual(a.header("ETag"), b.header("ETag"))


@unittest.skipUnless(PG_URL, "needs the test cluster")
class BulletinScaleTest(unittest.TestCase):
    """300 stations: every name in the PDF in rank order, the table's header repeated on each
    page it runs over, a sane page count."""

    def test_300_stations(self):
        require_poppler()
        d = Daemon(env=ENV).start()
        try:
            d.put_station("GC-01", kind="national", lat=39.9289, lon=116.4174, name="东四国控点")
            codes = [f"S{i:03d}" for i in range(300)]
            for i, code in enumerate(codes):
                d.put_station(code, lat=39.88 + (i // 20) * 0.006, lon=116.38 + (i % 20) * 0.004,
                              name=f"测试微站{i:03d}号", unit=f"第{i % 17}街道")
            rs = readings(codes + ["GC-01"], [D2], lambda k, day: 40 + k)
            for i in range(0, len(rs), 5000):
                d.post_readings(rs[i:i + 5000])
            self.assertEqual(d.post(f"/api/v1/ranking/{D2}/finalize", token=ADMIN).status, 200)
            r = d.get(f"/api/v1/bulletins/{D2}?format=pdf&campaign_days=0")
            self.assertEqual(r.status, 200, r)
            pages, _ = pdfpages(r.body)
            # 300 ranking rows at ~17 per … about 45 rows a page: 7 pages of ranking, a map page.
            self.assertGreaterEqual(pages, 6)
            self.assertLessEqual(pages, 14)
            flat = re.sub(r"\s+", "", pdftotext(r.body))
            ranking = flat[flat.index("三、微型站排名"):flat.index("四、约谈名单")]
            self.assertTrue(in_order(ranking, [f"测试微站{i:03d}号" for i in range(300)]))
            # The header row on every page the table runs over.
            heads = ranking.count("排名站点责任单位")
            self.assertGreaterEqual(heads, 5)
            interviews = flat[flat.index("四、约谈名单"):flat.index("五、数据不足站点")]
            self.assertTrue(in_order(interviews, ["测试微站299号", "测试微站298号", "测试微站297号"]))
        finally:
            self.assertEqual(d.stop(), 0)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class BulletinBrowserTest(unittest.TestCase):
    """The HTML bulletin in headless Chromium: the rendered DOM, and printed (print media, A4)."""

    @classmethod
    def setUpClass(cls):
        cls.chromium = browser.find_chromium()
        if not cls.chromium:
            if os.environ.get("CI", "").lower() == "true":
                raise AssertionError("chromium is not installed (deploy/install-deps.sh installs it)")
            raise unittest.SkipTest("chromium is not installed")
        require_poppler()
        cls.d = Daemon(env=ENV).start()
        try:
            cls.d.put_station("GC-01", kind="national", lat=39.9289, lon=116.4174, name="东四国控点")
            for i, code in enumerate(CODES):
                cls.d.put_station(code, lat=39.93 + 0.003 * i, lon=116.42, name=NAMES[i], unit=UNITS[i],
                                  contact_person=CONTACTS[i])
            cls.d.post_readings(readings(CODES + ["GC-01"], [D2], lambda k, day: 60 + 10 * k))
            cls.d.post_readings(readings(CODES + ["GC-01"], [TODAY], lambda k, day: 80 + k, hours=range(6)))
            assert cls.d.post(f"/api/v1/ranking/{D2}/finalize", token=ADMIN).status == 200
        except BaseException:
            cls.d.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def test_rendered_dom(self):
        run = browser.dump_dom(self.chromium, f"http://127.0.0.1:{self.d.port}/api/v1/bulletins/{D2}?format=html")
        dom = browser.parse(run.stdout)
        self.assertEqual(dom.by_id("number").text(), "〔2017〕第 340 期")
        self.assertEqual(dom.by_id("date").text(), "2017年12月6日")
        ids = [s.get("id") for s in dom.find_all("section")]
        self.assertEqual(ids, ["summary", "national", "ranking", "interviews", "insufficient", "alerts",
                               "campaign", "map"])
        rows = dom.by_id("ranking").find("tbody").find_all("tr")
        self.assertEqual([r.find_all("td")[1].text() for r in rows], NAMES)
        self.assertEqual([r.get("class") for r in rows][-3:], ["mark"] * 3)
        self.assertIsNone(dom.by_id("watermark"))
        self.assertEqual(len(dom.by_id("map").find_all("circle", cls="station")), 10)
        prov = browser.parse(browser.dump_dom(
            self.chromium, f"http://127.0.0.1:{self.d.port}/api/v1/bulletins/{TODAY}?format=html").stdout)
        self.assertEqual(prov.by_id("watermark").text(), "未定稿")

    def test_printed(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "printed.pdf")
            browser.run(self.chromium, f"http://127.0.0.1:{self.d.port}/api/v1/bulletins/{D2}?format=html",
                        [f"--print-to-pdf={out}", "--no-pdf-header-footer"])
            with open(out, "rb") as f:
                data = f.read()
        pages, size = pdfpages(data)
        self.assertRegex(size, r"^59[45](\.\d+)? x 84[12]")   # the page's @page size: A4
        flat = re.sub(r"\s+", "", pdftotext(data))
        self.assertTrue(in_order(flat, ["〔2017〕第340期", "三、微型站排名"] + NAMES + ["四、约谈名单", NAMES[9]]), flat)


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(PG_URL, "needs the test cluster")
class BulletinPushTest(unittest.TestCase):
    """At finalization the day's bulletin goes out through the webhook outbox: once, with the
    link under AQRANK_PUBLIC_URL and, for the robots, the bottom three in markdown. A day of
    history (ended more than AQRANK_WEBHOOK_MAX_AGE ago) pushes nothing."""

    def push(self, fmt):
        from test_alerts import Receiver
        receiver = Receiver()
        env = dict(ENV, AQRANK_WEBHOOK_URL=receiver.url, AQRANK_WEBHOOK_FORMAT=fmt,
                   AQRANK_PUBLIC_URL="https://aq.example.gov.cn/")
        d = Daemon(env=env).start()
        try:
            for i, code in enumerate(CODES[:5]):
                d.put_station(code, lat=39.93 + 0.003 * i, lon=116.42, name=NAMES[i], unit=UNITS[i],
                              contact_person=CONTACTS[i])
            d.post_readings(readings(CODES[:5], [D1, D2], lambda k, day: 60 + 10 * k))
            for day in (D1, D2, D2):      # 12-05 is history at 12-07 10:30; 12-06 twice
                self.assertEqual(d.post(f"/api/v1/ranking/{day}/finalize", token=ADMIN).status, 200)
            wait_for(lambda: [b for b in receiver.bodies if "bulletin" in json_text(b)], what="the bulletin push")
            import time
            time.sleep(1.5)  # time for a second push, were there one
            return [b for b in receiver.bodies if "bulletin" in json_text(b)]
        finally:
            self.assertEqual(d.stop(), 0)
            receiver.close()

    def test_dingtalk_markdown(self):
        bodies = self.push("dingtalk")
        self.assertEqual(len(bodies), 1, bodies)
        b = bodies[0]
        self.assertEqual(b["msgtype"], "markdown")
        text = b["markdown"]["text"]
        self.assertEqual(b["markdown"]["title"], "东城区空气质量微型站日排名通报")
        self.assertIn("〔2017〕第 340 期 · 2017年12月6日", text)
        # The bottom three of 60, 70, 80, 90, 100: HX-05, HX-04, HX-03, worst first.
        self.assertTrue(in_order(text, [f"1. {NAMES[4]}（{UNITS[4]}，{CONTACTS[4]}）：100",
                                        f"2. {NAMES[3]}", f"3. {NAMES[2]}"]), text)
        self.assertIn("(https://aq.example.gov.cn/api/v1/bulletins/2017-12-06?format=pdf)", text)

    def test_json(self):
        bodies = self.push("json")
        self.assertEqual(len(bodies), 1, bodies)
        b = bodies[0]
        self.assertEqual(b["event"], "bulletin.final")
        self.assertEqual(b["date"], D2)
        self.assertEqual(b["number"], "〔2017〕第 340 期")
        self.assertEqual(b["url"], "https://aq.example.gov.cn/api/v1/bulletins/2017-12-06?format=pdf")
        self.assertEqual([i["station"] for i in b["interview"]], ["HX-05", "HX-04", "HX-03"])
        self.assertEqual(b["district_mean"], 80)


def json_text(body):
    import json
    return json.dumps(body, ensure_ascii=False)
