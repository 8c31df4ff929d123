/* check_aggregate.c — Check suite for aggregate.c: readings per hour, provisional thresholds,
 * hourly and daily validity, the daily maximum 8 h O3 and the composite index. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aq_aggregate.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const struct aq_aqi_standard *std2012(void)
{
	return aq_aqi_standard_for_date(2017, 12, 7);
}

/* Puts `count` readings averaging `mean` into one hour. */
static void put(struct aq_hour_sums *hours, int h, enum aq_pollutant p, double mean, int count)
{
	hours[h].sum[p] = mean * count;
	hours[h].count[p] = count;
}

static struct aq_day_rules rules_default(void)
{
	return (struct aq_day_rules){
		.interval_s = 3600,
		.min_hours = 20,
		.min_o3_windows = 14,
		.composite_mask = AQ_COMPOSITE_DEFAULT_MASK,
		.standard = std2012(),
	};
}

/* --- thresholds --- */

static const int min_readings[][2] = {
	{3600, 1}, {60, 45}, {10, 270}, {7, 386},  {1800, 2}, {900, 3},	 {600, 5},   {300, 9},
	{120, 23}, {30, 90}, {7200, 1}, {2700, 1}, {2699, 2}, {0, 2700}, {-5, 2700},
};

START_TEST(test_hour_min_readings)
{
	int got = aq_hour_min_readings(min_readings[_i][0]);
	ck_assert_msg(got == min_readings[_i][1], "interval %d: %d, want %d", min_readings[_i][0], got,
		      min_readings[_i][1]);
}
END_TEST

/* ceil(h × 20 / 24) for h = 0..25 (25 clamps to 24). */
static const int provisional20[] = {0,	1,  2,	3,  4,	5,  5,	6,  7,	8,  9,	10, 10,
				    11, 12, 13, 14, 15, 15, 16, 17, 18, 19, 20, 20, 20};

START_TEST(test_provisional_threshold)
{
	int got = aq_provisional_threshold(_i, 20);
	ck_assert_msg(got == provisional20[_i], "h=%d: %d, want %d", _i, got, provisional20[_i]);
}
END_TEST

START_TEST(test_provisional_other)
{
	ck_assert_int_eq(aq_provisional_threshold(24, 18), 18);
	ck_assert_int_eq(aq_provisional_threshold(1, 18), 1);
	ck_assert_int_eq(aq_provisional_threshold(-3, 20), 0);
	ck_assert_int_eq(aq_provisional_threshold(12, 0), 0);
	/* O3 windows: none before 08:00, then ceil(windows × 14 / 17) */
	ck_assert_int_eq(aq_provisional_o3_windows(7, 14), 0);
	ck_assert_int_eq(aq_provisional_o3_windows(8, 14), 1);
	ck_assert_int_eq(aq_provisional_o3_windows(15, 14), 7);
	ck_assert_int_eq(aq_provisional_o3_windows(24, 14), 14);
	ck_assert_int_eq(aq_provisional_o3_windows(30, 14), 14);
}
END_TEST

/* --- hourly --- */

struct hourly_case {
	int interval_s;
	int count;
	double mean;
	bool valid;
};

static const struct hourly_case hourly_cases[] = {
	{60, 44, 101.5, false}, {60, 45, 101.5, true}, {60, 60, 101.5, true}, {3600, 1, 88, true},
	{3600, 0, 0, false},	{10, 269, 50, false},  {10, 270, 50, true},
};

START_TEST(test_hourly_validity)
{
	const struct hourly_case *c = &hourly_cases[_i];
	struct aq_hour_sums h[1];
	struct aq_hourly out;
	memset(h, 0, sizeof(h));
	put(h, 0, AQ_PM10, c->mean, c->count);
	aq_hourly_compute(h, c->interval_s, std2012(), &out);
	ck_assert_msg(out.valid[AQ_PM10] == c->valid, "interval %d count %d: valid %d", c->interval_s, c->count,
		      out.valid[AQ_PM10]);
	ck_assert_int_eq(out.count[AQ_PM10], c->count);
	if (c->count > 0) {
		/* an invalid hour still shows its mean */
		ck_assert_double_eq_tol(out.mean[AQ_PM10], c->mean, 1e-9);
		ck_assert_double_eq(out.published[AQ_PM10], aq_round_half_even(c->mean, 0));
	}
	ck_assert(out.aqi.valid == c->valid);
	ck_assert(!out.valid[AQ_PM25]);
}
END_TEST

START_TEST(test_hourly_publish_and_aqi)
{
	struct aq_hour_sums h[1];
	struct aq_hourly out;
	memset(h, 0, sizeof(h));
	/* 4 quarter-hour readings: 87.8 + 100.2 + 95.5 + 94.5 = 378 → 94.5 → 94 */
	h[0].sum[AQ_PM25] = 87.8 + 100.2 + 95.5 + 94.5;
	h[0].count[AQ_PM25] = 4;
	put(h, 0, AQ_CO, 1.25, 4); /* → 1.2 */
	put(h, 0, AQ_SO2, 801, 4); /* SO2 1 h > 800 → 24 h table */
	aq_hourly_compute(h, 900, std2012(), &out);
	ck_assert(out.valid[AQ_PM25] && out.valid[AQ_CO] && out.valid[AQ_SO2]);
	ck_assert_double_eq(out.published[AQ_PM25], 94);
	ck_assert_double_eq(out.published[AQ_CO], 1.2);
	ck_assert_int_eq(out.aqi.iaqi[AQ_SO2], 201);
	ck_assert_int_eq(out.aqi.iaqi[AQ_PM25], 124); /* 24 h table: 100 + 19 × 50/40 = 123.75 */
	ck_assert_int_eq(out.aqi.aqi, 201);
	ck_assert_uint_eq(out.aqi.primary_mask, AQ_POLLUTANT_BIT(AQ_SO2));
}
END_TEST

/* --- daily --- */

struct daily_case {
	int interval_s;
	int readings; /* per hour */
	int hours;    /* hours 0..hours-1 carry data */
	int min_hours;
	bool valid;
};

static const struct daily_case daily_cases[] = {
	{3600, 1, 19, 20, false}, {3600, 1, 20, 20, true},  {3600, 1, 24, 20, true},
	{60, 45, 20, 20, true},	  {60, 44, 24, 20, false},  /* no hour is valid */
	{3600, 1, 13, 13, true},  {3600, 1, 12, 13, false}, /* provisional thresholds */
	{3600, 1, 1, 0, true},	  {3600, 1, 0, 0, false},   /* need at least one hour */
};

START_TEST(test_daily_validity)
{
	const struct daily_case *c = &daily_cases[_i];
	struct aq_hour_sums hours[24];
	struct aq_daily d;
	struct aq_day_rules r = rules_default();
	memset(hours, 0, sizeof(hours));
	r.interval_s = c->interval_s;
	r.min_hours = c->min_hours;
	for (int h = 0; h < c->hours; h++)
		put(hours, h, AQ_PM10, 100 + h, c->readings);
	aq_daily_compute(hours, &r, &d);
	bool counted = c->readings >= aq_hour_min_readings(c->interval_s);
	ck_assert_int_eq(d.valid_hours[AQ_PM10], counted ? c->hours : 0);
	ck_assert_msg(d.valid[AQ_PM10] == c->valid, "%d hours of %d readings, min %d: valid %d", c->hours, c->readings,
		      c->min_hours, d.valid[AQ_PM10]);
	if (counted && c->hours > 0) {
		double want = 100 + (c->hours - 1) / 2.0;
		ck_assert_double_eq_tol(d.mean[AQ_PM10], want, 1e-9);
		ck_assert_double_eq(d.published[AQ_PM10], aq_round_half_even(want, 0));
	}
	ck_assert_int_eq(d.valid_hours[AQ_PM25], 0);
	ck_assert(!d.valid[AQ_PM25]);
	ck_assert(!d.has_composite);
}
END_TEST

/* Daily mean is the mean of the unrounded hourly means, then rounded once. */
START_TEST(test_daily_mean_of_hourly_means)
{
	struct aq_hour_sums hours[24];
	struct aq_daily d;
	struct aq_day_rules r = rules_default();
	memset(hours, 0, sizeof(hours));
	/* 20 hours at 10.4 and 4 at 13.4: averaging the published hours (10 and 13) would give
	 * 10.5 → 10; the mean of the unrounded hours is 10.9 → 11 */
	for (int h = 0; h < 24; h++)
		put(hours, h, AQ_PM25, h < 20 ? 10.4 : 13.4, 1);
	aq_daily_compute(hours, &r, &d);
	ck_assert_double_eq_tol(d.mean[AQ_PM25], 10.9, 1e-9);
	ck_assert_double_eq(d.published[AQ_PM25], 11);
	/* CO published to 0.1 mg/m³ */
	for (int h = 0; h < 24; h++)
		put(hours, h, AQ_CO, 1.25, 1);
	aq_daily_compute(hours, &r, &d);
	ck_assert(d.valid[AQ_CO]);
	ck_assert_double_eq(d.published[AQ_CO], 1.2);
}
END_TEST

/* The SPEC §9 day: PM2.5 80, PM10 180 → AQI 115, 轻度污染, primary PM10. */
START_TEST(test_daily_aqi)
{
	struct aq_hour_sums hours[24];
	struct aq_daily d;
	struct aq_day_rules r = rules_default();
	memset(hours, 0, sizeof(hours));
	for (int h = 0; h < 24; h++) {
		put(hours, h, AQ_PM25, h % 2 ? 70 : 90, 1);
		put(hours, h, AQ_PM10, h % 2 ? 170 : 190, 1);
	}
	aq_daily_compute(hours, &r, &d);
	ck_assert(d.aqi.valid);
	ck_assert_int_eq(d.aqi.aqi, 115);
	ck_assert_str_eq(d.aqi.category, "轻度污染");
	ck_assert_uint_eq(d.aqi.primary_mask, AQ_POLLUTANT_BIT(AQ_PM10));
}
END_TEST

/* --- O3 --- */

struct o3_case {
	const char *name;
	int first, last; /* hours first..last (inclusive) have a valid O3 mean */
	int min_windows;
	int windows; /* expected valid windows */
	bool valid;
};

static const struct o3_case o3_cases[] = {
	{"5 valid hours: no window", 0, 4, 14, 0, false},
	{"6 valid hours: one window", 0, 5, 1, 1, true},
	{"6 valid hours at the end: one window", 18, 23, 1, 1, true},
	{"hours 03..08: three windows hold all six", 3, 8, 1, 3, true},
	{"18 hours: 13 windows", 0, 17, 14, 13, false},
	{"19 hours: 14 windows", 0, 18, 14, 14, true},
	{"24 hours: 17 windows", 0, 23, 14, 17, true},
	{"provisional, 0 windows never valid", 0, 4, 0, 0, false},
};

START_TEST(test_o3_windows)
{
	const struct o3_case *c = &o3_cases[_i];
	struct aq_hour_sums hours[24];
	struct aq_daily d;
	struct aq_day_rules r = rules_default();
	memset(hours, 0, sizeof(hours));
	r.min_o3_windows = c->min_windows;
	for (int h = c->first; h <= c->last; h++)
		put(hours, h, AQ_O3, 120, 1);
	aq_daily_compute(hours, &r, &d);
	ck_assert_msg(d.o3_windows_valid == c->windows, "%s: %d windows", c->name, d.o3_windows_valid);
	ck_assert_msg(d.valid[AQ_O3] == c->valid, "%s: valid %d", c->name, d.valid[AQ_O3]);
	ck_assert_int_eq(d.valid_hours[AQ_O3], c->last - c->first + 1);
	if (c->windows > 0)
		ck_assert_double_eq(d.published[AQ_O3], 120);
}
END_TEST

/* A window of 6 valid hours averages those 6 (not 8). */
START_TEST(test_o3_window_mean_of_valid_hours)
{
	struct aq_hour_sums hours[24];
	struct aq_daily d;
	struct aq_day_rules r = rules_default();
	memset(hours, 0, sizeof(hours));
	r.min_o3_windows = 1;
	for (int h = 10; h < 16; h++)
		put(hours, h, AQ_O3, 180, 1);
	put(hours, 16, AQ_O3, 900, 0); /* an hour with no counted reading */
	aq_daily_compute(hours, &r, &d);
	ck_assert_int_eq(d.o3_windows_valid, 3); /* [8,16) [9,17) [10,18) */
	ck_assert_double_eq(d.mean[AQ_O3], 180);
	ck_assert_int_eq(d.aqi.iaqi[AQ_O3], 119);
}
END_TEST

/* The daily value is the highest of the 17 window means; o3_1h_max the highest hour. */
START_TEST(test_o3_max_window)
{
	struct aq_hour_sums hours[24];
	struct aq_daily d;
	struct aq_day_rules r = rules_default();
	memset(hours, 0, sizeof(hours));
	for (int h = 0; h < 24; h++)
		put(hours, h, AQ_O3, 100, 1);
	for (int h = 12; h < 20; h++)
		put(hours, h, AQ_O3, 200 + h, 1); /* 212..219, mean 215.5 */
	put(hours, 15, AQ_O3, 301.5, 1);	  /* the hourly maximum */
	aq_daily_compute(hours, &r, &d);
	double want = (212 + 213 + 214 + 301.5 + 216 + 217 + 218 + 219) / 8.0; /* 226.3125 */
	ck_assert_int_eq(d.o3_windows_valid, 17);
	ck_assert(d.valid[AQ_O3]);
	ck_assert_double_eq_tol(d.mean[AQ_O3], want, 1e-9);
	ck_assert_double_eq(d.published[AQ_O3], 226);
	ck_assert(d.o3_1h_valid);
	ck_assert_double_eq(d.o3_1h_max, 302); /* 301.5 → 302 */
	ck_assert_int_eq(d.valid_hours[AQ_O3], 24);
}
END_TEST

/* O3 8 h above 800: the daily IAQI comes from the 1 h table and the day's highest hour. */
START_TEST(test_o3_above_800)
{
	struct aq_hour_sums hours[24];
	struct aq_daily d;
	struct aq_day_rules r = rules_default();
	memset(hours, 0, sizeof(hours));
	for (int h = 0; h < 24; h++)
		put(hours, h, AQ_O3, h == 14 ? 900 : 810, 1);
	aq_daily_compute(hours, &r, &d);
	ck_assert(d.valid[AQ_O3]);
	ck_assert_double_eq(d.published[AQ_O3], 821); /* (7 × 810 + 900) / 8 = 821.25 */
	ck_assert_double_eq(d.o3_1h_max, 900);
	ck_assert_int_eq(d.aqi.iaqi[AQ_O3], 350); /* 1 h table: 300 + 100 × 100 / 200 */
}
END_TEST

/* --- composite --- */

struct composite_case {
	const char *name;
	unsigned mask;
	double pm25, pm10, co, o3; /* negative: pollutant absent */
	bool has;
	double value;
};

#define PB(p) AQ_POLLUTANT_BIT(p)

static const struct composite_case composite_cases[] = {
	{"at the standards", PB(AQ_PM25) | PB(AQ_PM10), 35, 70, -1, -1, true, 2.00},
	{"40/35 + 80/70 = 2.2857", PB(AQ_PM25) | PB(AQ_PM10), 40, 80, -1, -1, true, 2.29},
	{"PM2.5 missing", PB(AQ_PM25) | PB(AQ_PM10), -1, 80, -1, -1, false, 0},
	{"PM10 missing", PB(AQ_PM25) | PB(AQ_PM10), 40, -1, -1, -1, false, 0},
	{"PM10 alone, PM2.5 not asked", PB(AQ_PM10), -1, 105, -1, -1, true, 1.50},
	{"CO 1.0 mg/m³ / 4", PB(AQ_CO), -1, -1, 1.0, -1, true, 0.25},
	{"with O3 8 h 200 / 160", PB(AQ_PM25) | PB(AQ_O3), 35, -1, -1, 200, true, 2.25},
	{"empty mask", 0, 35, 70, -1, -1, false, 0},
	/* 22/35 + 49/70 = 0.628571 + 0.7 = 1.328571 → 1.33 */
	{"rounds to 2 decimals", PB(AQ_PM25) | PB(AQ_PM10), 22, 49, -1, -1, true, 1.33},
};

START_TEST(test_composite)
{
	const struct composite_case *c = &composite_cases[_i];
	struct aq_hour_sums hours[24];
	struct aq_daily d;
	struct aq_day_rules r = rules_default();
	memset(hours, 0, sizeof(hours));
	r.composite_mask = c->mask;
	for (int h = 0; h < 24; h++) {
		if (c->pm25 >= 0)
			put(hours, h, AQ_PM25, c->pm25, 1);
		if (c->pm10 >= 0)
			put(hours, h, AQ_PM10, c->pm10, 1);
		if (c->co >= 0)
			put(hours, h, AQ_CO, c->co, 1);
		if (c->o3 >= 0)
			put(hours, h, AQ_O3, c->o3, 1);
	}
	aq_daily_compute(hours, &r, &d);
	ck_assert_msg(d.has_composite == c->has, "%s: has %d", c->name, d.has_composite);
	ck_assert_uint_eq(d.composite_mask, c->mask);
	if (c->has)
		ck_assert_msg(d.composite == c->value, "%s: %.17g, want %g", c->name, d.composite, c->value);
}
END_TEST

/* A composite that is exactly k + 0.005 rounds half to even: SO2 27/60 = 0.45, NO2 1/40 =
 * 0.025 → 0.475 → 0.48 (8 even); SO2 3/60 = 0.05 + NO2 3/40 = 0.075 → 0.125 → 0.12. */
START_TEST(test_composite_half_even)
{
	struct aq_hour_sums hours[24];
	struct aq_daily d;
	struct aq_day_rules r = rules_default();
	r.composite_mask = PB(AQ_SO2) | PB(AQ_NO2);
	memset(hours, 0, sizeof(hours));
	for (int h = 0; h < 24; h++) {
		put(hours, h, AQ_SO2, 3, 1);
		put(hours, h, AQ_NO2, 3, 1);
	}
	aq_daily_compute(hours, &r, &d);
	ck_assert(d.has_composite);
	ck_assert_double_eq(d.composite, 0.12);
	for (int h = 0; h < 24; h++) {
		put(hours, h, AQ_SO2, 27, 1);
		put(hours, h, AQ_NO2, 1, 1);
	}
	aq_daily_compute(hours, &r, &d);
	ck_assert_double_eq(d.composite, 0.48);
}
END_TEST

/* --- mask parsing --- */

struct mask_case {
	const char *list;
	bool ok;
	unsigned mask;
};

static const struct mask_case mask_cases[] = {
	{"pm25,pm10", true, PB(AQ_PM25) | PB(AQ_PM10)},
	{" pm10 , pm25 ", true, PB(AQ_PM25) | PB(AQ_PM10)},
	{"pm25,pm10,so2,no2,co,o3", true, AQ_POLLUTANT_ALL_MASK},
	{"o3", true, PB(AQ_O3)},
	{"", false, 0},
	{"pm25,", false, 0},
	{",pm25", false, 0},
	{"pm25,pm25", false, 0},
	{"pm2.5", false, 0},
	{"pm25 pm10", false, 0},
	{NULL, false, 0},
};

START_TEST(test_mask_parse)
{
	const struct mask_case *c = &mask_cases[_i];
	unsigned mask = 0xdead;
	bool ok = aq_pollutant_mask_parse(c->list, &mask);
	ck_assert_msg(ok == c->ok, "\"%s\": ok %d", c->list ? c->list : "(null)", ok);
	ck_assert_uint_eq(mask, c->ok ? c->mask : 0xdead);
}
END_TEST

START_TEST(test_composite_standard)
{
	/* Sᵢ: the grade-II annual limits in force — 2012: 35 70 60 40 4 160; from 2026-03-01 the
	 * GB 3095-2026 transition phase: PM2.5 30, PM10 60. */
	static const double s2012[AQ_POLLUTANTS] = {35, 70, 60, 40, 4, 160};
	static const double s2026[AQ_POLLUTANTS] = {30, 60, 60, 40, 4, 160};
	ck_assert_double_eq(std2012()->limit_annual[_i], s2012[_i]);
	ck_assert_double_eq(aq_aqi_standard_for_date(2026, 3, 1)->limit_annual[_i], s2026[_i]);
}
END_TEST

/* A day computed under the 2012 and the 2026 standards side by side (2026-02-28 and
 * 2026-03-01 with the same readings). */
static struct aq_daily day_under(int y, int m, int d, double pm25, double pm10, bool no2_reported)
{
	struct aq_hour_sums hours[24];
	struct aq_daily out;
	struct aq_day_rules rules = rules_default();
	rules.standard = aq_aqi_standard_for_date(y, m, d);
	memset(hours, 0, sizeof hours);
	for (int h = 0; h < 24; h++) {
		put(hours, h, AQ_PM25, pm25, 1);
		put(hours, h, AQ_PM10, pm10, 1);
	}
	if (no2_reported)
		put(hours, 3, AQ_NO2, 30, 1); /* one hour: reported, never a valid day */
	aq_daily_compute(hours, &rules, &out);
	return out;
}

START_TEST(test_standard_of_the_date)
{
	/* PM2.5 70: 良 (94) on 2026-02-28, 轻度污染 (110) on 2026-03-01. */
	struct aq_daily a = day_under(2026, 2, 28, 70, 40, false), b = day_under(2026, 3, 1, 70, 40, false);
	ck_assert_int_eq(a.aqi.aqi, 94);
	ck_assert_int_eq(a.aqi.level, 2);
	ck_assert_int_eq(b.aqi.aqi, 110);
	ck_assert_int_eq(b.aqi.level, 3);
	/* Over the 24 h limit: 70 is under 2012's 75, over 2026's 60. */
	ck_assert_uint_eq(a.over_limit_mask, 0);
	ck_assert_uint_eq(b.over_limit_mask, AQ_POLLUTANT_BIT(AQ_PM25));
	/* Composite Sᵢ: 70/35 + 40/70 = 2.571 → 2.57 (2012); 70/30 + 40/60 = 3.000 → 3.00 (2026). */
	ck_assert_double_eq_tol(a.composite, 2.57, 1e-9);
	ck_assert_double_eq_tol(b.composite, 3.00, 1e-9);
	/* PM10 130: over 2026's 120, not 2012's 150. */
	b = day_under(2026, 3, 1, 30, 130, false);
	ck_assert_uint_eq(b.over_limit_mask, AQ_POLLUTANT_BIT(AQ_PM10));
}
END_TEST

/* A reported pollutant (NO2) without a valid day: before 2026-03-01 no AQI at all; under
 * HJ 633-2026 §5.3.1 the AQI of the others is published when above 100 (PM2.5 80 → 100 +
 * 20/55 × 50 = 118.2 → 119), and not when 100 or less (PM2.5 50 → 80). */
START_TEST(test_missing_pollutant_rule)
{
	struct aq_daily a = day_under(2026, 2, 28, 80, 40, true);
	ck_assert(!a.aqi.valid);
	struct aq_daily b = day_under(2026, 3, 1, 80, 40, true);
	ck_assert(b.aqi.valid);
	ck_assert_int_eq(b.aqi.aqi, 119);
	ck_assert_uint_eq(b.aqi.primary_mask, AQ_POLLUTANT_BIT(AQ_PM25));
	struct aq_daily c = day_under(2026, 3, 1, 50, 40, true);
	ck_assert(!c.aqi.valid);
	/* Nothing missing: both publish. */
	ck_assert(day_under(2026, 2, 28, 80, 40, false).aqi.valid);
}
END_TEST

static Suite *aggregate_suite(void)
{
	Suite *s = suite_create("aggregate");
	TCase *tc;

	tc = tcase_create("thresholds");
	tcase_add_loop_test(tc, test_hour_min_readings, 0, N(min_readings));
	tcase_add_loop_test(tc, test_provisional_threshold, 0, N(provisional20));
	tcase_add_test(tc, test_provisional_other);
	suite_add_tcase(s, tc);

	tc = tcase_create("hourly");
	tcase_add_loop_test(tc, test_hourly_validity, 0, N(hourly_cases));
	tcase_add_test(tc, test_hourly_publish_and_aqi);
	suite_add_tcase(s, tc);

	tc = tcase_create("daily");
	tcase_add_loop_test(tc, test_daily_validity, 0, N(daily_cases));
	tcase_add_test(tc, test_daily_mean_of_hourly_means);
	tcase_add_test(tc, test_daily_aqi);
	suite_add_tcase(s, tc);

	tc = tcase_create("o3");
	tcase_add_loop_test(tc, test_o3_windows, 0, N(o3_cases));
	tcase_add_test(tc, test_o3_window_mean_of_valid_hours);
	tcase_add_test(tc, test_o3_max_window);
	tcase_add_test(tc, test_o3_above_800);
	suite_add_tcase(s, tc);

	tc = tcase_create("composite");
	tcase_add_loop_test(tc, test_composite, 0, N(composite_cases));
	tcase_add_test(tc, test_composite_half_even);
	tcase_add_loop_test(tc, test_mask_parse, 0, N(mask_cases));
	tcase_add_loop_test(tc, test_composite_standard, 0, AQ_POLLUTANTS);
	tcase_add_test(tc, test_standard_of_the_date);
	tcase_add_test(tc, test_missing_pollutant_rule);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(aggregate_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
