/* check_qc.c — Check suite for qc.c: each flag on a table of edge cases (at, just below and
 * just above its threshold; off at 0; across midnight where the rule reads the day before),
 * the order of the steps (own flags on raw values, calibration, divergence on corrected
 * values), exclusion from the sums, national points left alone, today's hours not begun, and
 * the summaries (hours excluded per metric, data capture). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aq_qc.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define NO NAN
#define MAX_ST 8

/* A small network: station 0 is the one judged; every station is hourly (one reading makes
 * an hour valid). NAN = no reading that hour. */
struct net {
	struct aq_qc_station st[MAX_ST];
	struct aq_hour_sums hours[MAX_ST][24], prev[MAX_ST][24];
	struct aq_station_quality q[MAX_ST];
	struct aq_calib_use calib[MAX_ST][AQ_POLLUTANTS];
	size_t n;
};

static void put(struct aq_hour_sums *h, enum aq_pollutant p, double v)
{
	if (isnan(v))
		return;
	h->sum[p] = v;
	h->count[p] = 1;
}

/* Adds a station at (lat, lon) with constant PM (NAN: none) today and the day before. */
static size_t add(struct net *n, bool micro, double lat, double lon, double pm25, double pm10)
{
	size_t i = n->n++;
	struct aq_qc_station *s = &n->st[i];
	memset(&n->hours[i], 0, sizeof n->hours[i]);
	memset(&n->prev[i], 0, sizeof n->prev[i]);
	for (int h = 0; h < 24; h++) {
		put(&n->hours[i][h], AQ_PM25, pm25);
		put(&n->hours[i][h], AQ_PM10, pm10);
		put(&n->prev[i][h], AQ_PM25, pm25);
		put(&n->prev[i][h], AQ_PM10, pm10);
	}
	*s = (struct aq_qc_station){.micro = micro,
				    .active = true,
				    .lat = lat,
				    .lon = lon,
				    .interval_s = 3600,
				    .prev = n->prev[i],
				    .hours = n->hours[i],
				    .quality = &n->q[i]};
	return i;
}

static void set(struct aq_hour_sums *hours, enum aq_pollutant p, int h, double v)
{
	hours[h].sum[p] = isnan(v) ? 0 : v;
	hours[h].count[p] = isnan(v) ? 0 : 1;
}

/* Bit h: hour h of station i had pollutant p flagged with f. */
static unsigned flagged(const struct net *n, size_t i, enum aq_pollutant p, enum aq_qc_flag f)
{
	unsigned mask = 0;
	for (int h = 0; h < 24; h++)
		if (n->q[i].flags[h][p] & AQ_QC_BIT(f))
			mask |= 1u << h;
	return mask;
}

static struct aq_qc_rules only(void)
{
	struct aq_qc_rules r;
	memset(&r, 0, sizeof r);
	r.enabled = true;
	r.mad_min_stations = 5;
	r.radius_km = 3;
	return r;
}

/* --- range --- */

static const struct {
	const char *name;
	double value, max;
	bool flagged;
} range_cases[] = {
	{"at the top of the range", 1000, 1000, false},
	{"just above it", 1000.5, 1000, true},
	{"far above it", 1500, 1000, true},
	{"no limit (0)", 1500, 0, false},
};

START_TEST(test_range)
{
	struct net n = {.n = 0};
	struct aq_qc_rules r = only();
	r.range_max[AQ_PM25] = range_cases[_i].max;
	add(&n, true, 39.9, 116.4, 50, 80);
	set(n.hours[0], AQ_PM25, 7, range_cases[_i].value);
	ck_assert_int_eq(aq_qc_day(&r, n.st, n.n, 24), 0);
	ck_assert_msg(flagged(&n, 0, AQ_PM25, AQ_QC_RANGE) == (range_cases[_i].flagged ? 1u << 7 : 0u), "%s",
		      range_cases[_i].name);
	ck_assert_uint_eq(flagged(&n, 0, AQ_PM10, AQ_QC_RANGE), 0);
	/* Excluded: the hour no longer counts. */
	ck_assert_int_eq(n.hours[0][7].count[AQ_PM25], range_cases[_i].flagged ? 0 : 1);
}
END_TEST

/* --- stuck --- */

#define RUN(a, b) (((1u << ((b) + 1)) - 1u) & ~((1u << (a)) - 1u)) /* hours a..b */

static const struct {
	const char *name;
	int hours;     /* AQRANK_QC_STUCK_HOURS */
	int from, to;  /* hours of today set to 33 (the rest vary) */
	int prev_from; /* hours prev_from..23 of the day before also 33; 24 = none */
	int gap;       /* an hour without a reading inside the run, −1 = none */
	double wobble; /* added to every other hour of the run */
	int n_hours;   /* hours judged */
	unsigned want;
} stuck_cases[] = {
	{"6 identical hours, N 6", 6, 3, 8, 24, -1, 0, 24, RUN(3, 8)},
	{"5 identical hours, N 6", 6, 3, 7, 24, -1, 0, 24, 0},
	{"7 identical hours, N 6: all of them", 6, 10, 16, 24, -1, 0, 24, RUN(10, 16)},
	{"a run across midnight: 2 h before, 4 today", 6, 0, 3, 22, -1, 0, 24, RUN(0, 3)},
	{"across midnight, too short together", 6, 0, 2, 22, -1, 0, 24, 0},
	{"a missing hour breaks the run", 6, 3, 9, 24, 6, 0, 24, 0},
	{"equal within rounding (1e-13)", 6, 3, 8, 24, -1, 1e-13, 24, RUN(3, 8)},
	{"a real change (0.1) breaks the run", 6, 3, 8, 24, -1, 0.1, 24, 0},
	{"off at 0", 0, 3, 8, 24, -1, 0, 24, 0},
	{"today: hours not begun are not judged", 6, 18, 23, 24, -1, 0, 21, 0},
	{"today: the run up to now", 4, 17, 23, 24, -1, 0, 21, RUN(17, 20)},
};

START_TEST(test_stuck)
{
	struct net n = {.n = 0};
	struct aq_qc_rules r = only();
	r.stuck_hours = stuck_cases[_i].hours;
	add(&n, true, 39.9, 116.4, NO, NO);
	for (int h = 0; h < 24; h++) {
		set(n.hours[0], AQ_PM25, h, 40 + h);
		set(n.prev[0], AQ_PM25, h, 10 + h);
	}
	for (int h = stuck_cases[_i].from; h <= stuck_cases[_i].to; h++)
		set(n.hours[0], AQ_PM25, h, 33 + (h % 2 ? stuck_cases[_i].wobble : 0));
	for (int h = stuck_cases[_i].prev_from; h < 24; h++)
		set(n.prev[0], AQ_PM25, h, 33);
	if (stuck_cases[_i].gap >= 0)
		set(n.hours[0], AQ_PM25, stuck_cases[_i].gap, NO);
	ck_assert_int_eq(aq_qc_day(&r, n.st, n.n, stuck_cases[_i].n_hours), 0);
	ck_assert_msg(flagged(&n, 0, AQ_PM25, AQ_QC_STUCK) == stuck_cases[_i].want, "%s: %#x", stuck_cases[_i].name,
		      flagged(&n, 0, AQ_PM25, AQ_QC_STUCK));
}
END_TEST

/* --- step --- */

static const struct {
	const char *name;
	double before, now; /* station 0: hours 9..11 at `before`, hour 12 at `now` */
	double ratio, min;
	int others;	   /* micro stations nearby (the area), also 9..11 at 50 … */
	double others_now; /* … and this at hour 12 */
	bool flagged;
} step_cases[] = {
	{"up 50 → 200 (×3, +100)", 50, 200, 3, 100, 0, 0, true},
	{"exactly ×3 is not beyond", 50, 150, 3, 50, 0, 0, false},
	{"+150 not beyond min 150", 50, 200, 3, 150, 0, 0, false},
	{"down 300 → 50", 300, 50, 3, 100, 0, 0, true},
	{"down too small (−90)", 135, 45, 3, 100, 0, 0, false},
	{"off at ratio 0", 50, 500, 0, 100, 0, 0, false},
	{"the area jumped too (50 → 200): not a fault", 50, 200, 3, 100, 5, 200, false},
	{"the area moved half as far (50 → 125): not a fault", 50, 200, 3, 100, 5, 125, false},
	{"the area moved less than half (50 → 120)", 50, 200, 3, 100, 5, 120, true},
	{"an area too small to say (4 stations with it)", 50, 200, 3, 100, 3, 200, true},
};

START_TEST(test_step)
{
	struct net n = {.n = 0};
	struct aq_qc_rules r = only();
	r.step_ratio = step_cases[_i].ratio;
	r.step_min = step_cases[_i].min;
	r.step_hours = 3;
	add(&n, true, 39.9, 116.4, NO, NO);
	for (int k = 0; k < step_cases[_i].others; k++) {
		size_t j = add(&n, true, 39.9 + 0.01 * (k + 1), 116.4, NO, NO);
		for (int h = 9; h < 12; h++)
			set(n.hours[j], AQ_PM10, h, 50);
		set(n.hours[j], AQ_PM10, 12, step_cases[_i].others_now);
	}
	for (int h = 9; h < 12; h++)
		set(n.hours[0], AQ_PM10, h, step_cases[_i].before);
	set(n.hours[0], AQ_PM10, 12, step_cases[_i].now);
	ck_assert_int_eq(aq_qc_day(&r, n.st, n.n, 24), 0);
	ck_assert_msg(flagged(&n, 0, AQ_PM10, AQ_QC_STEP) == (step_cases[_i].flagged ? 1u << 12 : 0u), "%s",
		      step_cases[_i].name);
}
END_TEST

START_TEST(test_step_reads_the_day_before_and_skips_stuck_hours)
{
	struct net n = {.n = 0};
	struct aq_qc_rules r = only();
	r.step_ratio = 3;
	r.step_min = 100;
	r.step_hours = 3;
	r.stuck_hours = 6;
	add(&n, true, 39.9, 116.4, NO, NO);
	/* The day before ends at 40, 40, 40: hour 0 at 400 is a step. */
	for (int h = 21; h < 24; h++)
		set(n.prev[0], AQ_PM25, h, 40 + h % 2);
	set(n.hours[0], AQ_PM25, 0, 400);
	/* Hours 4..9 stuck at 10, then 11 at 300: its reference is hour 10's 250 (the stuck hours
	 * are skipped), so 300 is no step; against the stuck 10 it would be. */
	for (int h = 4; h < 10; h++)
		set(n.hours[0], AQ_PM25, h, 10);
	set(n.hours[0], AQ_PM25, 10, 250);
	set(n.hours[0], AQ_PM25, 11, 300);
	ck_assert_int_eq(aq_qc_day(&r, n.st, n.n, 24), 0);
	ck_assert_uint_eq(flagged(&n, 0, AQ_PM25, AQ_QC_STEP), 1u << 0);
	ck_assert_uint_eq(flagged(&n, 0, AQ_PM25, AQ_QC_STUCK), RUN(4, 9));
}
END_TEST

/* --- inversion --- */

static const struct {
	const char *name;
	double pm25, pm10, ratio, min;
	bool flagged;
} inversion_cases[] = {
	{"60 > 1.1 × 50 and +10", 60, 50, 1.1, 5, true},      {"55 = 1.1 × 50 is not above", 55, 50, 1.1, 5, false},
	{"10 vs 5: +5 is not above 5", 10, 5, 1.1, 5, false}, {"11 vs 5", 11, 5, 1.1, 5, true},
	{"PM2.5 below PM10", 40, 50, 1.1, 5, false},	      {"off at ratio 0", 100, 10, 0, 5, false},
};

START_TEST(test_inversion)
{
	struct net n = {.n = 0};
	struct aq_qc_rules r = only();
	r.inversion_ratio = inversion_cases[_i].ratio;
	r.inversion_min = inversion_cases[_i].min;
	add(&n, true, 39.9, 116.4, 20, 40);
	set(n.hours[0], AQ_PM25, 5, inversion_cases[_i].pm25);
	set(n.hours[0], AQ_PM10, 5, inversion_cases[_i].pm10);
	ck_assert_int_eq(aq_qc_day(&r, n.st, n.n, 24), 0);
	unsigned want = inversion_cases[_i].flagged ? 1u << 5 : 0u;
	ck_assert_msg(flagged(&n, 0, AQ_PM25, AQ_QC_INVERSION) == want, "%s", inversion_cases[_i].name);
	ck_assert_msg(flagged(&n, 0, AQ_PM10, AQ_QC_INVERSION) == want, "%s: both PMs", inversion_cases[_i].name);
}
END_TEST

/* --- humidity --- */

static const struct {
	const char *name;
	double rh; /* NAN: the hour carries no humidity */
	double max;
	bool flagged;
} humidity_cases[] = {
	{"95 % at a 95 % level is not above", 95, 95, false},
	{"95.5 %", 95.5, 95, true},
	{"100 %", 100, 95, true},
	{"no humidity reported", NO, 95, false},
	{"off at 0", 99, 0, false},
};

START_TEST(test_humidity)
{
	struct net n = {.n = 0};
	struct aq_qc_rules r = only();
	r.humidity_max = humidity_cases[_i].max;
	add(&n, true, 39.9, 116.4, 20, 40);
	for (int h = 0; h < 24; h++) {
		n.hours[0][h].rh_sum = 60;
		n.hours[0][h].rh_count = 1;
	}
	/* Two readings in hour 3: their mean humidity is what counts. */
	n.hours[0][3].rh_sum = isnan(humidity_cases[_i].rh) ? 0 : 2 * humidity_cases[_i].rh;
	n.hours[0][3].rh_count = isnan(humidity_cases[_i].rh) ? 0 : 2;
	ck_assert_int_eq(aq_qc_day(&r, n.st, n.n, 24), 0);
	unsigned want = humidity_cases[_i].flagged ? 1u << 3 : 0u;
	ck_assert_msg(flagged(&n, 0, AQ_PM25, AQ_QC_HUMIDITY) == want, "%s", humidity_cases[_i].name);
	ck_assert_msg(flagged(&n, 0, AQ_PM10, AQ_QC_HUMIDITY) == want, "%s", humidity_cases[_i].name);
}
END_TEST

/* --- divergence --- */

static const struct {
	const char *name;
	double x; /* station 0's PM2.5 at hour 10 */
	int ring; /* other micro stations in the ring (at 50, 52, 48, 51, 49, 50, …) */
	double k, floor;
	bool far_away; /* station 0 outside the ring */
	bool flagged;
} divergence_cases[] = {
	/* Ring values 50 52 48 51 49 + x: median ≈ 50, MAD 1.5 → k·1.4826·MAD ≈ 7.8 < floor 25. */
	{"far above the ring (100)", 100, 5, 3.5, 25, false, true},
	{"far below the ring (5)", 5, 5, 3.5, 25, false, true},
	{"within the floor (70)", 70, 5, 3.5, 25, false, false},
	{"just beyond the floor (75.6)", 75.6, 5, 3.5, 25, false, true},
	{"too few stations (4 with it)", 100, 3, 3.5, 25, false, false},
	{"outside every ring: not judged", 100, 5, 3.5, 25, true, false},
	{"off at k 0", 100, 5, 0, 25, false, false},
};

START_TEST(test_divergence)
{
	static const double ring_values[] = {50, 52, 48, 51, 49, 50};
	struct net n = {.n = 0};
	struct aq_qc_rules r = only();
	r.mad_k = divergence_cases[_i].k;
	r.mad_floor = divergence_cases[_i].floor;
	add(&n, true, divergence_cases[_i].far_away ? 40.5 : 39.905, 116.4, 50, NO);
	add(&n, false, 39.9, 116.4, 50, NO); /* the national point: the ring's centre */
	for (int k = 0; k < divergence_cases[_i].ring; k++)
		add(&n, true, 39.9 - 0.001 * k, 116.4, ring_values[k], NO);
	set(n.hours[0], AQ_PM25, 10, divergence_cases[_i].x);
	ck_assert_int_eq(aq_qc_day(&r, n.st, n.n, 24), 0);
	ck_assert_msg(flagged(&n, 0, AQ_PM25, AQ_QC_DIVERGENCE) == (divergence_cases[_i].flagged ? 1u << 10 : 0u), "%s",
		      divergence_cases[_i].name);
	/* The ring's own stations agree, and the national point is never judged. */
	for (size_t i = 1; i < n.n; i++)
		ck_assert_uint_eq(flagged(&n, i, AQ_PM25, AQ_QC_DIVERGENCE), 0);
}
END_TEST

/* Divergence reads corrected values: a station reading 1.4 × the truth + 8 diverges raw, and
 * no longer once its calibration is applied. */
START_TEST(test_divergence_after_calibration)
{
	static const double truth[] = {50, 52, 48, 51, 49};
	for (int calibrated = 0; calibrated < 2; calibrated++) {
		struct net n = {.n = 0};
		struct aq_qc_rules r = only();
		r.mad_k = 3.5;
		r.mad_floor = 10;
		add(&n, true, 39.905, 116.4, 1.4 * 50 + 8, NO);
		add(&n, false, 39.9, 116.4, 50, NO);
		for (int k = 0; k < 5; k++)
			add(&n, true, 39.9 - 0.001 * k, 116.4, truth[k], NO);
		if (calibrated) {
			struct aq_calib_use *u = &n.calib[0][AQ_PM25];
			u->id = 9;
			u->version = 2;
			u->linear = (struct aq_calib_fit){.model = AQ_CALIB_LINEAR, .a = -8 / 1.4, .b = 1 / 1.4};
			n.st[0].calib = n.calib[0];
		}
		ck_assert_int_eq(aq_qc_day(&r, n.st, n.n, 24), 0);
		ck_assert_uint_eq(flagged(&n, 0, AQ_PM25, AQ_QC_DIVERGENCE), calibrated ? 0u : 0xffffffu);
		if (calibrated) {
			ck_assert_double_eq_tol(n.hours[0][4].sum[AQ_PM25] / n.hours[0][4].count[AQ_PM25], 50, 1e-9);
			ck_assert_int_eq(n.q[0].calib_id[AQ_PM25], 9);
			ck_assert_int_eq(n.q[0].calib_version[AQ_PM25], 2);
			ck_assert_int_eq(n.q[0].calib_id[AQ_PM10], 0);
		}
	}
}
END_TEST

/* --- the whole day --- */

START_TEST(test_national_points_and_off)
{
	struct net n = {.n = 0};
	struct aq_qc_rules r = only();
	r.stuck_hours = 3;
	add(&n, false, 39.9, 116.4, 30, 60); /* flat all day, but a national point */
	size_t m = add(&n, true, 39.91, 116.4, 30, 60);
	ck_assert_int_eq(aq_qc_day(&r, n.st, n.n, 24), 0);
	ck_assert_uint_eq(flagged(&n, 0, AQ_PM25, AQ_QC_STUCK), 0);
	ck_assert_int_eq(n.hours[0][0].count[AQ_PM25], 1);
	ck_assert_uint_eq(flagged(&n, m, AQ_PM25, AQ_QC_STUCK), 0xffffffu);
	ck_assert_int_eq(n.hours[m][0].count[AQ_PM25], 0);
	/* AQRANK_QC=off: nothing judged, nothing removed. */
	struct net o = {.n = 0};
	r.enabled = false;
	add(&o, true, 39.91, 116.4, 30, 60);
	ck_assert_int_eq(aq_qc_day(&r, o.st, o.n, 24), 0);
	ck_assert_uint_eq(flagged(&o, 0, AQ_PM25, AQ_QC_STUCK), 0);
	ck_assert_int_eq(o.hours[0][0].count[AQ_PM25], 1);
}
END_TEST

START_TEST(test_calibration_applies_with_humidity_and_never_below_zero)
{
	struct net n = {.n = 0};
	struct aq_qc_rules r = only();
	r.enabled = false;
	add(&n, true, 39.9, 116.4, 100, 5);
	struct aq_calib_use *u = &n.calib[0][AQ_PM25];
	u->id = 3;
	u->version = 1;
	u->linear = (struct aq_calib_fit){.model = AQ_CALIB_LINEAR, .a = 2, .b = 0.5};
	u->has_rh = true;
	u->rh = (struct aq_calib_fit){.model = AQ_CALIB_LINEAR_RH, .a = 5, .b = 0.5, .c = -0.1};
	n.calib[0][AQ_PM10] =
		(struct aq_calib_use){.id = 3, .version = 1, .linear = {.model = AQ_CALIB_LINEAR, .a = -20, .b = 1}};
	n.st[0].calib = n.calib[0];
	n.hours[0][1].rh_sum = 2 * 80; /* two readings, mean 80 % */
	n.hours[0][1].rh_count = 2;
	ck_assert_int_eq(aq_qc_day(&r, n.st, n.n, 24), 0);
	ck_assert_double_eq_tol(n.hours[0][0].sum[AQ_PM25], 2 + 0.5 * 100, 1e-12);     /* no RH: linear */
	ck_assert_double_eq_tol(n.hours[0][1].sum[AQ_PM25], 5 + 0.5 * 100 - 8, 1e-12); /* RH form */
	ck_assert_double_eq(n.hours[0][0].sum[AQ_PM10], 0);			       /* 5 − 20 → 0 */
	ck_assert_int_eq(n.hours[0][0].count[AQ_PM10], 1);
}
END_TEST

START_TEST(test_summary_and_capture)
{
	struct aq_station_quality q;
	struct aq_qc_summary s;
	memset(&q, 0, sizeof q);
	q.flags[1][AQ_PM10] = AQ_QC_BIT(AQ_QC_STUCK);
	q.flags[2][AQ_PM10] = AQ_QC_BIT(AQ_QC_STUCK) | AQ_QC_BIT(AQ_QC_HUMIDITY);
	q.flags[2][AQ_PM25] = AQ_QC_BIT(AQ_QC_HUMIDITY);
	q.flags[7][AQ_PM25] = AQ_QC_BIT(AQ_QC_INVERSION);
	aq_qc_summarize(&q, AQ_POLLUTANT_BIT(AQ_PM10), &s);
	ck_assert_int_eq(s.excluded_hours, 2);
	ck_assert_int_eq(s.reason_hours[AQ_QC_STUCK], 2);
	ck_assert_int_eq(s.reason_hours[AQ_QC_HUMIDITY], 1);
	ck_assert_int_eq(s.reason_hours[AQ_QC_INVERSION], 0);
	aq_qc_summarize(&q, AQ_POLLUTANT_BIT(AQ_PM10) | AQ_POLLUTANT_BIT(AQ_PM25), &s);
	ck_assert_int_eq(s.excluded_hours, 3); /* hour 2 once */
	ck_assert_int_eq(s.reason_hours[AQ_QC_HUMIDITY], 1);
	ck_assert_int_eq(s.reason_hours[AQ_QC_INVERSION], 1);

	struct aq_daily d;
	memset(&d, 0, sizeof d);
	d.reported_mask = AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_CO);
	d.composite_mask = AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10);
	ck_assert_uint_eq(aq_qc_metric_mask(AQ_METRIC_PM10, &d), AQ_POLLUTANT_BIT(AQ_PM10));
	ck_assert_uint_eq(aq_qc_metric_mask(AQ_METRIC_PM25, &d), AQ_POLLUTANT_BIT(AQ_PM25));
	ck_assert_uint_eq(aq_qc_metric_mask(AQ_METRIC_AQI, &d), d.reported_mask);
	ck_assert_uint_eq(aq_qc_metric_mask(AQ_METRIC_COMPOSITE, &d), d.composite_mask);

	double pct;
	ck_assert(aq_qc_capture_pct(20, 24, &pct));
	ck_assert_double_eq(pct, 83.3);
	ck_assert(aq_qc_capture_pct(21, 24, &pct));
	ck_assert_double_eq(pct, 87.5);
	ck_assert(aq_qc_capture_pct(11, 11, &pct));
	ck_assert_double_eq(pct, 100);
	ck_assert(!aq_qc_capture_pct(0, 0, &pct));
	ck_assert_str_eq(aq_qc_flag_name(AQ_QC_DIVERGENCE), "divergence");
	ck_assert_ptr_null(aq_qc_flag_name(AQ_QC_FLAGS));
	for (int f = 0; f < AQ_QC_FLAGS; f++)
		ck_assert_ptr_nonnull(aq_qc_flag_reason((enum aq_qc_flag)f));
}
END_TEST

static Suite *qc_suite(void)
{
	Suite *s = suite_create("qc");
	TCase *tc = tcase_create("flags");
	tcase_add_loop_test(tc, test_range, 0, N(range_cases));
	tcase_add_loop_test(tc, test_stuck, 0, N(stuck_cases));
	tcase_add_loop_test(tc, test_step, 0, N(step_cases));
	tcase_add_test(tc, test_step_reads_the_day_before_and_skips_stuck_hours);
	tcase_add_loop_test(tc, test_inversion, 0, N(inversion_cases));
	tcase_add_loop_test(tc, test_humidity, 0, N(humidity_cases));
	tcase_add_loop_test(tc, test_divergence, 0, N(divergence_cases));
	suite_add_tcase(s, tc);
	TCase *day = tcase_create("day");
	tcase_add_test(day, test_divergence_after_calibration);
	tcase_add_test(day, test_national_points_and_off);
	tcase_add_test(day, test_calibration_applies_with_humidity_and_never_below_zero);
	tcase_add_test(day, test_summary_and_capture);
	suite_add_tcase(s, day);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(qc_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
