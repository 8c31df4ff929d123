"""Quality control and co-location calibration end to end (issue 15; docs/domain-rules.md,
"Quality control" and "Calibration").

QualityFlagsTest: a ring of micro stations around a national point, one day, each station
carrying one fault at known hours (stuck, out of range, humid, inverted, a step, divergent);
every flag is found at exactly those hours, excluded from the daily mean (which is recomputed
here from the posted values without them), counted against validity (the stuck station drops
out of the ranking), and shown on the ranking row, the insufficient list, the interview entry,
the station's quality report and the network's quality summary. The same database under
AQRANK_QC=off ranks the raw values.

CalibrationSampleTest: the committed Beijing sample (December 2015, 12 stations) plus a twin of
Dongsi whose PM reads raw = 1.4·Dongsi + 8. The fit against Dongsi recovers b = 1/1.4 and
a = −8/1.4; nothing changes until approval; then the twin publishes Dongsi's values and rank.
Days finalized before the approval keep the raw values until re-finalized; a second approved
calibration leaves days finalized under the first alone. Bad windows and approvals get the
400/404/409/422 the API promises. FullCalibrationTest does the same over 90 days of the full
data set when ../shared/data/beijing is there, and times the fit.
"""
import datetime as dt
import os
import statistics
import sys
import time
import unittest
from decimal import Decimal

from harness import ADMIN, PG_URL, ROOT, Daemon, DaemonTestCase, wait_for

sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
import beijing_replay  # noqa: E402
from test_beijing_replay import replay  # noqa: E402

SAMPLE = os.path.join(ROOT, "tests", "data", "beijing", "PRSA")
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared", "data", "beijing", "PRSA"))

DAY = "2017-12-05"
NOW = "2017-12-07T10:30:00+08:00"
QC_ENV = {"AQRANK_NOW": NOW, "AQRANK_QC": None, "AQRANK_FINALIZE_QUIET": "100000",
          "AQRANK_FINALIZE_AFTER": "2592000"}

# A national point and nine micro stations within 3 km of it (Dongcheng, Beijing).
CENTRE = (39.9289, 116.4174)
BASES = {"N1": 60, "N2": 62, "N3": 64, "RG": 66, "HU": 68, "IV": 70, "SP": 72, "ST": 74, "DV": 76}


def hour_values(code, h):
    """(pm25, pm10, humidity) the station posts at hour h of DAY: a base that moves every hour
    (never flat), and each station's fault."""
    base = BASES[code]
    pm10, pm25, rh = base + h % 3, base / 2 + h % 3, 60
    if code == "ST" and h < 8:                 # stuck: the same value eight hours
        pm10, pm25 = 100, 50
    if code == "RG" and h == 3:                # PM2.5 above the sensor's 1000; PM10 a lone step
        pm25, pm10 = 1200, 1300
    if code == "HU" and h in (5, 6):           # fog
        rh = 97
    if code == "IV" and h == 9:                # PM2.5 above PM10
        pm25, pm10 = 90, 50
    if code == "SP" and h == 12:               # a jump the ring did not make
        pm10 = 600
    if code == "DV" and 15 <= h <= 17:         # far from the ring
        pm10 = base + 100
    return pm25, pm10, rh


# What each station's faults must give: (pollutant, hour) -> flags.
FLAGS = {
    "ST": {**{("pm10", h): ["stuck"] for h in range(8)}, **{("pm25", h): ["stuck"] for h in range(8)}},
    "RG": {("pm25", 3): ["range"], ("pm10", 3): ["step"]},
    "HU": {("pm25", 5): ["humidity"], ("pm10", 5): ["humidity"], ("pm25", 6): ["humidity"], ("pm10", 6): ["humidity"]},
    "IV": {("pm25", 9): ["inversion"], ("pm10", 9): ["inversion"]},
    "SP": {("pm10", 12): ["step"]},
    "DV": {("pm10", h): ["divergence"] for h in (15, 16, 17)},
    "N1": {}, "N2": {}, "N3": {},
}


def pm10_mean(code, qc=True):
    """The daily PM10 mean over the hours quality control keeps (all of them without it)."""
    kept = [hour_values(code, h)[1] for h in range(24) if not (qc and ("pm10", h) in FLAGS[code])]
    return sum(kept) / len(kept), len(kept)


def half_even(x):
    return int(Decimal(repr(x)).quantize(Decimal(1), rounding="ROUND_HALF_EVEN"))


def network(d):
    d.put_station("GC", kind="national", lat=CENTRE[0], lon=CENTRE[1], name="东四国控点")
    for k, code in enumerate(BASES):
        d.put_station(code, lat=CENTRE[0] + 0.002 * (k + 1), lon=CENTRE[1], name=code + "微站", unit=code + "街道")
    out = []
    for h in range(24):
        at = f"{DAY}T{h:02d}:00:00+08:00"
        out.append({"station": "GC", "observed_at": at, "pm25": 35 + h % 2, "pm10": 70 + h % 2})
        for code in BASES:
            pm25, pm10, rh = hour_values(code, h)
            out.append({"station": code, "observed_at": at, "pm25": pm25, "pm10": pm10, "humidity": rh})
    d.post_readings(out)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class QualityFlagsTest(DaemonTestCase):
    ENV = QC_ENV

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        network(cls.d)

    def quality(self, code):
        r = self.d.get(f"/api/v1/stations/{code}/quality?from={DAY}&to={DAY}")
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_1_each_flag_at_its_hours(self):
        for code, want in FLAGS.items():
            q = self.quality(code)
            day = q["days"][0]
            got = {(p, h["hour"]): names for h in day["hours"] for p, names in h["flags"].items()}
            self.assertEqual(got, want, code)
            # counts per reason: hours with that flag on any pollutant
            counts = {}
            for hour in {h for (_p, h) in want}:
                for f in {f for (p, h), names in want.items() if h == hour for f in names}:
                    counts[f] = counts.get(f, 0) + 1
            self.assertEqual({k: v for k, v in day["counts"].items() if v}, counts, code)
            self.assertEqual(day["excluded_hours"], len({h for (_p, h) in want}), code)
            kept = 24 - len({h for (p, h) in want if p == "pm10"})
            self.assertEqual(day["valid_hours"]["pm10"], kept, code)
            self.assertEqual(day["data_capture_pct"]["pm10"], round(100 * kept / 24, 1), code)
            # Raw values are what was posted; corrected equal them (no calibration here).
            h3 = day["hours"][3]
            self.assertEqual(h3["raw"]["pm10"], hour_values(code, 3)[1], code)
            self.assertEqual(h3["corrected"], h3["raw"], code)
            self.assertEqual(q["national"]["station"], "GC")
            self.assertEqual(h3["national"], {"pm25": 36, "pm10": 71})

    def test_2_ranking_uses_kept_hours_only(self):
        r = self.d.get(f"/api/v1/ranking/{DAY}").json
        rows = {x["station"]: x for x in r["ranking"]}
        insufficient = {x["station"]: x for x in r["insufficient"]}
        # ST keeps 16 of 24 hours: fewer than AQRANK_MIN_HOURS (20), so it is not ranked.
        self.assertNotIn("ST", rows)
        self.assertEqual(insufficient["ST"]["valid_hours"], 16)
        self.assertEqual(insufficient["ST"]["quality"],
                         {"excluded_hours": 8, "reasons": {"stuck": 8}, "data_capture_pct": 66.7})
        for code in BASES:
            if code == "ST":
                continue
            mean, kept = pm10_mean(code)
            self.assertEqual(rows[code]["pm10"], half_even(mean), code)
            self.assertEqual(rows[code]["valid_hours"], kept, code)
            excluded = 24 - kept
            self.assertEqual(rows[code]["quality"]["excluded_hours"], excluded, code)
            self.assertEqual(rows[code]["quality"]["data_capture_pct"], round(100 * kept / 24, 1), code)
            self.assertEqual(rows[code]["calibration"], {}, code)
        self.assertEqual(rows["DV"]["quality"]["reasons"], {"divergence": 3})
        self.assertEqual(rows["RG"]["quality"]["reasons"], {"step": 1})   # PM10's; PM2.5's was range
        r25 = {x["station"]: x for x in self.d.get(f"/api/v1/ranking/{DAY}?metric=pm25").json["ranking"]}
        self.assertEqual(r25["RG"]["quality"]["reasons"], {"range": 1})
        self.assertEqual(r25["HU"]["quality"]["reasons"], {"humidity": 2})
        # CSV: the same three facts per row.
        lines = self.d.get(f"/api/v1/ranking/{DAY}?format=csv&lang=en").body.decode("utf-8-sig").strip().split("\r\n")
        head = lines[0].split(",")
        self.assertEqual(head[-3:], ["data_capture_pct", "qc_excluded_hours", "calibration"])
        dv = next(line.split(",") for line in lines if ",DV," in line)
        self.assertEqual(dv[-3:], ["87.5", "3", ""])

    def test_3_qc_off_ranks_raw_values(self):
        with Daemon(url=self.d.url, env=dict(QC_ENV, AQRANK_QC="off")) as raw:
            rows = {x["station"]: x for x in raw.get(f"/api/v1/ranking/{DAY}").json["ranking"]}
        for code in BASES:
            mean, kept = pm10_mean(code, qc=False)
            self.assertEqual((rows[code]["pm10"], rows[code]["valid_hours"]), (half_even(mean), kept), code)
            self.assertEqual(rows[code]["quality"]["excluded_hours"], 0, code)
        # The flags matter: DV and SP read higher with their bad hours in.
        self.assertGreater(pm10_mean("DV", qc=False)[0], pm10_mean("DV")[0])

    def test_4_summary_ranks_by_data_capture(self):
        s = self.d.get(f"/api/v1/quality/summary?date={DAY}").json
        self.assertEqual(s["metric"], "pm10")
        got = [(x["station"], x["data_capture_pct"], x["excluded_hours"], x["rank"]) for x in s["stations"]]
        want = sorted(((code, round(100 * pm10_mean(code)[1] / 24, 1), 24 - pm10_mean(code)[1]) for code in BASES),
                      key=lambda t: (-t[1], t[2], t[0]))
        ranks, prev = [], None
        for i, w in enumerate(want):
            ranks.append(ranks[-1] if prev and prev[1:] == w[1:] else i + 1)
            prev = w
        self.assertEqual(got, [w + (r,) for w, r in zip(want, ranks)])
        self.assertEqual(s["stations"][-1]["station"], "ST")
        self.assertEqual(s["stations"][-1]["reasons"], {"stuck": 8})
        self.assertEqual(self.d.get("/api/v1/quality/summary?date=2017-12-01").status, 404)
        self.assertEqual(self.d.get("/api/v1/quality/summary?date=2017-12-99").status, 422)

    def test_5_finalized_day_keeps_its_flags(self):
        r = self.d.post(f"/api/v1/ranking/{DAY}/finalize", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        final = r.json
        self.assertTrue(final["final"])
        rows = {x["station"]: x for x in final["ranking"]}
        self.assertEqual(rows["DV"]["quality"]["reasons"], {"divergence": 3})
        self.assertEqual(final["insufficient"][0]["quality"]["reasons"], {"stuck": 8})
        # The stored interview entries carry what was excluded.
        for iv in self.d.get(f"/api/v1/interviews?date={DAY}").json["interviews"]:
            mean, kept = pm10_mean(iv["station"])
            self.assertEqual(iv["quality"]["excluded_hours"], 24 - kept, iv["station"])
            self.assertEqual(iv["quality"]["data_capture_pct"], round(100 * kept / 24, 1))
        q = self.quality("ST")["days"][0]
        self.assertTrue(q["final"])
        self.assertEqual(q["counts"]["stuck"], 8)
        # A final day keeps them even when quality control is off now.
        with Daemon(url=self.d.url, env=dict(QC_ENV, AQRANK_QC="off")) as raw:
            rows = {x["station"]: x for x in raw.get(f"/api/v1/ranking/{DAY}").json["ranking"]}
            self.assertEqual(rows["DV"]["quality"]["reasons"], {"divergence": 3})

    def test_6_bad_parameters(self):
        self.assertEqual(self.d.get("/api/v1/stations/NOPE/quality").status, 404)
        r = self.d.get("/api/v1/stations/DV/quality?from=2017-11-01&to=2017-12-07")
        self.assertError(r, 422, "invalid_parameter")
        self.assertError(self.d.get("/api/v1/stations/DV/quality?from=2017-12-09&to=2017-12-01"), 422,
                         "invalid_parameter")
        self.assertError(self.d.get("/api/v1/stations/DV/quality?from=yesterday"), 422, "invalid_parameter")


    def test_7_humidity_kept_by_every_ingest_path(self):
        """The hourly humidity quality control reads: summed by the statement path (a small
        batch), the COPY path (the day above, 226 readings) and the live fold (the clock's hour)."""
        self.d.post_readings([{"station": "N1", "observed_at": "2017-12-06T02:10:00+08:00", "pm10": 61, "humidity": 55},
                              {"station": "N1", "observed_at": "2017-12-06T02:40:00+08:00", "pm10": 63, "humidity": 58,
                               "flags": {"humidity": "D"}}])
        self.d.post_readings({"station": "N1", "observed_at": "2017-12-07T10:05:00+08:00", "pm10": 70, "humidity": 66.5})
        q = self.d.get("/api/v1/stations/N1/quality?from=2017-12-05&to=2017-12-07").json
        hum = {(d["date"], h["hour"]): h["humidity"] for d in q["days"] for h in d["hours"]}
        self.assertEqual(hum[("2017-12-05", 4)], 60)      # COPY path
        self.assertEqual(hum[("2017-12-06", 2)], 55)      # statement path; the flagged 58 left out
        self.assertEqual(hum[("2017-12-07", 10)], 66.5)   # live, folded
        self.assertIsNone(hum[("2017-12-07", 9)])


def dongsi_twin(data, date_from=None, date_to=None):
    """The twin's readings: Dongsi's, with PM2.5 and PM10 read as 1.4 × Dongsi + 8."""
    out = []
    for r in beijing_replay.iter_readings(data, date_from, date_to, codes={"Dongsi"}):
        twin = {"station": "Dongsi-B", "observed_at": r["observed_at"]}
        for field in ("pm25", "pm10", "so2", "no2", "co", "o3"):
            if field in r:
                v = Decimal(str(r[field]))
                twin[field] = float(v * Decimal("1.4") + 8 if field in ("pm25", "pm10") else v)
        if len(twin) > 2:
            out.append(twin)
    return out


def register_twin(d):
    d.put_station("Dongsi-B", lat=39.9290, lon=116.4170, name="东四（比对微站）", unit="东城区", interval_s=3600)


def co_located_hours(data, date_from, date_to, field):
    """Hours of the window both Dongsi and its twin have `field` (the twin has it exactly when
    Dongsi does): what the fit must count."""
    return sum(1 for r in beijing_replay.iter_readings(data, date_from, date_to, codes={"Dongsi"}) if field in r)


@unittest.skipUnless(PG_URL, "needs the test cluster")
class CalibrationSampleTest(unittest.TestCase):
    # Calibration alone: with quality control on, the twin's raw 1.4 × x + 8 would cross the
    # sensor's range where Dongsi does not, and the two would no longer be comparable hour by hour.
    ENV = {"AQRANK_NOW": "2016-01-01T12:00:00+08:00", "AQRANK_FINALIZE_QUIET": "100000",
           "AQRANK_ALERT_TICK": "1"}

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(env=cls.ENV).start()
        try:
            replay(cls.d, SAMPLE)
            register_twin(cls.d)
            twin = dongsi_twin(SAMPLE)
            for k in range(0, len(twin), 2000):
                cls.d.post_readings(twin[k:k + 2000])
        except BaseException:
            cls.d.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        assert cls.d.stop() == 0

    def ranking(self, day, metric="pm10"):
        r = self.d.get(f"/api/v1/ranking/{day}?metric={metric}")
        self.assertEqual(r.status, 200, r)
        return r.json

    @staticmethod
    def pair(body):
        rows = {x["station"]: x for x in body["ranking"]}
        return rows["Dongsi-B"], rows["Dongsi"]

    def calibrate(self, body, expect=201, code="Dongsi-B"):
        r = self.d.post(f"/api/v1/stations/{code}/calibrations", body, token=ADMIN)
        self.assertEqual(r.status, expect, r)
        return r.json

    def test_1_fit_approve_refinalize(self):
        before = {day: self.pair(self.ranking(day)) for day in ("2015-12-03", "2015-12-10", "2015-12-15")}
        for twin, dongsi in before.values():
            self.assertGreater(twin["pm10"], dongsi["pm10"])
            self.assertGreater(twin["rank"], dongsi["rank"])
        # 12-03 is finalized before any calibration exists.
        self.assertEqual(self.d.post("/api/v1/ranking/2015-12-03/finalize", token=ADMIN).status, 200)

        t0 = time.monotonic()
        c = self.calibrate({"reference": "Dongsi", "from": "2015-12-01", "to": "2015-12-10", "note": "比对 10 天"})
        fit_ms = (time.monotonic() - t0) * 1000
        print(f"\n  fit of a 10-day window over HTTP: {fit_ms:.1f} ms", file=sys.stderr)
        self.assertEqual((c["status"], c["version"], c["reference"], c["valid_from"]),
                         ("pending", None, "Dongsi", "2015-12-01"))
        for field in ("pm25", "pm10"):
            f = c["fits"][field]
            self.assertEqual(f["model"], "linear")
            self.assertAlmostEqual(f["b"], 1 / 1.4, places=9)
            self.assertAlmostEqual(f["a"], -8 / 1.4, places=6)
            self.assertEqual(f["r2"], 1)
            self.assertEqual(f["rmse"], 0)
            self.assertEqual(f["pairs"], co_located_hours(SAMPLE, dt.date(2015, 12, 1), dt.date(2015, 12, 10), field))
        # Pending: nothing applied.
        self.assertEqual(self.pair(self.ranking("2015-12-10")), before["2015-12-10"])

        r = self.d.post(f"/api/v1/stations/Dongsi-B/calibrations/{c['id']}/approve", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["status"], r.json["version"]), ("approved", 1))

        # Live days: the twin publishes Dongsi's values and takes its rank.
        for day in ("2015-12-10", "2015-12-15"):
            for metric in ("pm10", "pm25", "aqi", "composite"):
                twin, dongsi = self.pair(self.ranking(day, metric))
                for key in ("value", "pm25", "pm10", "aqi", "category", "composite", "rank"):
                    self.assertEqual(twin[key], dongsi[key], f"{day} {metric} {key}")
                self.assertEqual(twin["calibration"], {"pm25": {"id": c["id"], "version": 1},
                                                       "pm10": {"id": c["id"], "version": 1}})
                self.assertEqual(dongsi["calibration"], {})
        # The final day keeps what it was finalized with …
        twin, dongsi = self.pair(self.ranking("2015-12-03"))
        self.assertEqual((twin, dongsi), before["2015-12-03"])
        self.assertEqual(twin["calibration"], {})
        # … until it is finalized again.
        r = self.d.post("/api/v1/ranking/2015-12-03/finalize", token=ADMIN)
        self.assertEqual(r.status, 200, r)
        twin, dongsi = self.pair(r.json)
        self.assertEqual((twin["pm10"], twin["rank"], twin["calibration"]["pm10"]["version"]),
                         (dongsi["pm10"], dongsi["rank"], 1))
        # The stored interview entries say which calibration their value came from, as the rows do.
        rows = {x["station"]: x for x in r.json["ranking"]}
        stored = self.d.get("/api/v1/interviews?date=2015-12-03").json["interviews"]
        self.assertTrue(stored)
        for iv in stored:
            self.assertEqual(iv["calibration"], rows[iv["station"]]["calibration"], iv["station"])
        # The quality report shows raw against corrected: corrected equals Dongsi's raw.
        q = self.d.get("/api/v1/stations/Dongsi-B/quality?from=2015-12-10&to=2015-12-10").json
        ref = self.d.get("/api/v1/stations/Dongsi/quality?from=2015-12-10&to=2015-12-10").json
        for h, g in zip(ref["days"][0]["hours"], q["days"][0]["hours"]):
            if "pm10" in h["raw"]:
                self.assertAlmostEqual(g["corrected"]["pm10"], h["raw"]["pm10"], places=6)
                self.assertAlmostEqual(g["raw"]["pm10"], round(1.4 * h["raw"]["pm10"] + 8, 1), places=6)
        self.assertEqual([x["version"] for x in q["calibrations"]], [1])

        # A second calibration from 12-11 on: 12-03 stays on version 1, even re-finalized.
        c2 = self.calibrate({"reference": "Dongsi", "from": "2015-12-11", "to": "2015-12-20"})
        r = self.d.post(f"/api/v1/stations/Dongsi-B/calibrations/{c2['id']}/approve", token=ADMIN)
        self.assertEqual(r.json["version"], 2)
        self.assertEqual(r.json["valid_from"], "2015-12-11")
        self.assertEqual(self.pair(self.ranking("2015-12-03"))[0]["calibration"]["pm10"]["version"], 1)
        r = self.d.post("/api/v1/ranking/2015-12-03/finalize", token=ADMIN)
        self.assertEqual(self.pair(r.json)[0]["calibration"]["pm10"]["version"], 1)
        self.assertEqual(self.pair(self.ranking("2015-12-10"))[0]["calibration"]["pm10"]["version"], 1)
        self.assertEqual(self.pair(self.ranking("2015-12-15"))[0]["calibration"]["pm10"]["version"], 2)
        hist = self.d.get("/api/v1/stations/Dongsi-B/calibrations").json["calibrations"]
        self.assertEqual([(x["version"], x["valid_from"], x["fits"]["pm10"]["valid_to"]) for x in hist],
                         [(1, "2015-12-01", "2015-12-11"), (2, "2015-12-11", None)])

    def test_2_bad_windows_and_approvals(self):
        # Too few pairs (one day: ~24 of the 72 needed), saying how many for which pollutant.
        r = self.d.post("/api/v1/stations/Dongsi-B/calibrations",
                        {"reference": "Dongsi", "from": "2015-12-05", "to": "2015-12-05"}, token=ADMIN)
        self.assertEqual(r.status, 400, r)
        err = r.json["error"]
        self.assertEqual(err["code"], "insufficient_pairs")
        pm10 = next(x for x in err["details"] if x["pollutant"] == "pm10")
        self.assertEqual((pm10["pairs"], pm10["needed"]),
                         (co_located_hours(SAMPLE, dt.date(2015, 12, 5), dt.date(2015, 12, 5), "pm10"), 72))
        # A singular window: a station whose PM never moves.
        self.d.put_station("FLAT", lat=39.93, lon=116.42)
        self.d.post_readings([{"station": "FLAT", "observed_at": f"2015-12-{d:02d}T{h:02d}:00:00+08:00",
                               "pm25": 42, "pm10": 77} for d in range(1, 6) for h in range(24)])
        r = self.d.post("/api/v1/stations/FLAT/calibrations",
                        {"reference": "Dongsi", "from": "2015-12-01", "to": "2015-12-05"}, token=ADMIN)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json["error"]["code"], "singular_fit")
        self.assertIn("constant", r.json["error"]["details"][0]["problem"])
        # Nothing was stored by either.
        self.assertEqual(self.d.get("/api/v1/stations/FLAT/calibrations").json["calibrations"], [])
        # Approvals: unknown → 404; twice → 409; another station's → 404.
        self.assertEqual(self.d.post("/api/v1/stations/Dongsi-B/calibrations/999999/approve", token=ADMIN).status, 404)
        self.assertEqual(self.d.post("/api/v1/stations/Dongsi-B/calibrations/x/approve", token=ADMIN).status, 404)
        c = self.calibrate({"reference": "Dongsi", "from": "2015-12-21", "to": "2015-12-31", "valid_from": "2016-01-01"})
        self.assertEqual(self.d.post(f"/api/v1/stations/Dongsi/calibrations/{c['id']}/approve", token=ADMIN).status, 404)
        self.assertEqual(self.d.post(f"/api/v1/stations/Dongsi-B/calibrations/{c['id']}/approve", token=ADMIN).status, 200)
        r = self.d.post(f"/api/v1/stations/Dongsi-B/calibrations/{c['id']}/approve", token=ADMIN)
        self.assertEqual((r.status, r.json["error"]["code"]), (409, "conflict"))
        # Meaning: unknown reference, a national point, itself, bad dates and fields.
        for body, status, code in (
                ({"reference": "NOPE", "from": "2015-12-01", "to": "2015-12-10"}, 404, "unknown_station"),
                ({"reference": "Dongsi-B", "from": "2015-12-01", "to": "2015-12-10"}, 422, "invalid_parameter"),
                ({"reference": "Dongsi", "from": "2015-12-10", "to": "2015-12-01"}, 422, "invalid_parameter"),
                ({"reference": "Dongsi", "from": "2015-12-01", "to": "2016-02-01"}, 422, "invalid_parameter"),
                ({"reference": "Dongsi", "from": "2015-12-01"}, 422, "invalid_parameter"),
                ({"reference": "Dongsi", "from": "2015-12-01", "to": "2015-12-10", "pollutants": ["pm2.5"]}, 422,
                 "invalid_parameter"),
                ({"reference": "Dongsi", "from": "2015-12-01", "to": "2015-12-10", "window": 3}, 422,
                 "invalid_parameter")):
            r = self.d.post("/api/v1/stations/Dongsi-B/calibrations", body, token=ADMIN)
            self.assertEqual((r.status, r.json["error"]["code"]), (status, code), body)
        self.d.put_station("GC-X", kind="national", lat=39.93, lon=116.42)
        r = self.d.post("/api/v1/stations/GC-X/calibrations",
                        {"reference": "Dongsi", "from": "2015-12-01", "to": "2015-12-10"}, token=ADMIN)
        self.assertEqual((r.status, r.json["error"]["code"]), (422, "invalid_parameter"))
        # Admin only.
        self.assertEqual(self.d.post("/api/v1/stations/Dongsi-B/calibrations",
                                     {"reference": "Dongsi", "from": "2015-12-01", "to": "2015-12-10"}).status, 401)


    def test_3_drift_alert(self):
        """A twin whose bias grows by 3 µg/m³ a day (after calibration) over the last week of the
        month drifts 3 × 7 = 21 > 10 µg/m³: calibration_drift; the steady twin does not."""
        self.d.put_station("Dongsi-D", lat=39.9291, lon=116.4171, name="东四（漂移微站）")
        grow_from = dt.datetime(2015, 12, 25, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        out = []
        for r in dongsi_twin(SAMPLE):
            at = dt.datetime.fromisoformat(r["observed_at"])
            days = max(0.0, (at - grow_from).total_seconds() / 86400)
            r = dict(r, station="Dongsi-D")
            for field in ("pm25", "pm10"):
                if field in r:
                    r[field] = round(r[field] + 1.4 * 3 * days, 6)
            out.append(r)
        self.d.post_readings(out)
        c = self.calibrate({"reference": "Dongsi", "from": "2015-12-01", "to": "2015-12-10"}, code="Dongsi-D")
        self.assertEqual(self.d.post(f"/api/v1/stations/Dongsi-D/calibrations/{c['id']}/approve", token=ADMIN).status,
                         200)

        def drift_alerts():
            alerts = self.d.get("/api/v1/alerts?type=calibration_drift&status=all").json["alerts"]
            return [a for a in alerts if a["station"] == "Dongsi-D"]
        got = wait_for(drift_alerts, timeout=30, what="a calibration_drift alert")
        a = got[0]
        self.assertEqual((a["type"], a["severity"], a["status"]), ("calibration_drift", "warning", "open"))
        self.assertIn(a["pollutant"], ("PM2.5", "PM10"))
        self.assertGreater(a["value"], 15)   # ≈ 3 µg/m³ a day over the 6.5 days of data
        self.assertEqual(a["threshold"], 10)
        steady = [x for x in self.d.get("/api/v1/alerts?type=calibration_drift&status=all").json["alerts"]
                  if x["station"] == "Dongsi-B"]
        self.assertEqual(steady, [])


@unittest.skipUnless(os.path.isdir(SHARED) and PG_URL, "../shared/data/beijing not present")
class FullCalibrationTest(unittest.TestCase):
    """90 days of the full data set (2016-01-01 … 2016-03-30): the fit over 2,160 hours."""

    def test_ninety_days(self):
        start, end = dt.date(2016, 1, 1), dt.date(2016, 3, 30)
        with Daemon(env={"AQRANK_NOW": "2016-04-02T12:00:00+08:00", "AQRANK_FINALIZE_QUIET": "100000"}) as d:
            replay(d, SHARED, start, end)
            register_twin(d)
            twin = dongsi_twin(SHARED, start, end)
            for k in range(0, len(twin), 5000):
                d.post_readings(twin[k:k + 5000])
            times = []
            for _ in range(5):
                t0 = time.monotonic()
                r = d.post("/api/v1/stations/Dongsi-B/calibrations",
                           {"reference": "Dongsi", "from": start.isoformat(), "to": end.isoformat()}, token=ADMIN)
                times.append((time.monotonic() - t0) * 1000)
                self.assertEqual(r.status, 201, r)
            print(f"\n  fit of 90 days over HTTP: median {statistics.median(times):.1f} ms", file=sys.stderr)
            self.assertEqual(r.json["fits"]["pm10"]["pairs"], co_located_hours(SHARED, start, end, "pm10"))
            self.assertAlmostEqual(r.json["fits"]["pm10"]["b"], 1 / 1.4, places=9)
            self.assertEqual(d.post(f"/api/v1/stations/Dongsi-B/calibrations/{r.json['id']}/approve",
                                    token=ADMIN).status, 200)
            for day in ("2016-01-15", "2016-02-20", "2016-03-25"):
                rows = {x["station"]: x for x in d.get(f"/api/v1/ranking/{day}").json["ranking"]}
                self.assertEqual((rows["Dongsi-B"]["value"], rows["Dongsi-B"]["rank"]),
                                 (rows["Dongsi"]["value"], rows["Dongsi"]["rank"]), day)


if __name__ == "__main__":
    unittest.main()
