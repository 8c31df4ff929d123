/* check_period.c — Check suite for period.c: the HJ 663-2013 percentile, the minimum valid
 * days of a period, the composite index of the city-ranking rule (plain and weighted), the
 * change against a baseline, and the weights setting. Every expected number is worked by hand
 * in the comment beside it (docs/domain-rules.md, "Periods", has the same examples). */
#include <check.h>
#include <stdlib.h>

#include "aq_period.h"
#include "aq_time.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

struct percentile_case {
	double x[12];
	size_t n;
	double p, want;
};

/* k = 1 + (n − 1)·p/100, s = ⌊k⌋, X_s + (X_{s+1} − X_s)(k − s). */
static const struct percentile_case percentiles[] = {
	/* n 10, p 90: k = 9.1 → X9 + 0.1·(X10 − X9) = 9 + 0.1 = 9.1 */
	{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10, 90, 9.1},
	/* n 10, p 95: k = 9.55 → 9 + 0.55 = 9.55 */
	{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 10, 95, 9.55},
	/* unsorted input is the caller's business: sorted here. n 5, p 90: k = 4.6 → 4 + 0.6·(100 − 4) = 61.6 */
	{{1, 2, 3, 4, 100}, 5, 90, 61.6},
	/* n 1: the value itself */
	{{7.5}, 1, 95, 7.5},
	/* p 100: the largest; p 0: the smallest */
	{{3, 5, 8}, 3, 100, 8},
	{{3, 5, 8}, 3, 0, 3},
	/* CO daily values 1.2 … (n 12), p 95: k = 1 + 11·0.95 = 11.45 → X11 + 0.45·(X12 − X11) = 2.0 + 0.45·0.4 = 2.18 */
	{{1.2, 1.2, 1.3, 1.4, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.4}, 12, 95, 2.18},
};

START_TEST(test_percentile)
{
	const struct percentile_case *c = &percentiles[_i];
	ck_assert_double_eq_tol(aq_percentile_hj663(c->x, c->n, c->p), c->want, 1e-9);
}
END_TEST

START_TEST(test_min_days)
{
	/* A whole month 27, February 25, a whole year 324, another span its share of 324/365. */
	ck_assert_int_eq(aq_period_min_days(aq_days_from_civil(2026, 11, 1), aq_days_from_civil(2026, 11, 30)), 27);
	ck_assert_int_eq(aq_period_min_days(aq_days_from_civil(2026, 12, 1), aq_days_from_civil(2026, 12, 31)), 27);
	ck_assert_int_eq(aq_period_min_days(aq_days_from_civil(2026, 2, 1), aq_days_from_civil(2026, 2, 28)), 25);
	ck_assert_int_eq(aq_period_min_days(aq_days_from_civil(2024, 2, 1), aq_days_from_civil(2024, 2, 29)), 25);
	ck_assert_int_eq(aq_period_min_days(aq_days_from_civil(2026, 1, 1), aq_days_from_civil(2026, 12, 31)), 324);
	/* 15 days: ceil(15 × 324 / 365) = ceil(13.32) = 14; 30 days (not a calendar month): 27 */
	ck_assert_int_eq(aq_period_min_days(aq_days_from_civil(2026, 11, 10), aq_days_from_civil(2026, 11, 24)), 14);
	ck_assert_int_eq(aq_period_min_days(aq_days_from_civil(2026, 11, 10), aq_days_from_civil(2026, 12, 9)), 27);
	ck_assert_int_eq(aq_period_min_days(aq_days_from_civil(2026, 11, 10), aq_days_from_civil(2026, 11, 10)), 1);
}
END_TEST

/* One subject: 28 days, PM2.5 40 and 50 alternating (mean 45), PM10 80, CO 1.0 … 2.35 in steps
 * of 0.05 (p95: k = 1 + 27·0.95 = 26.65 → 2.25 + 0.65·0.05 = 2.2825 → 2.3), O3 100 … 235 in steps
 * of 5 (p90: k = 1 + 27·0.9 = 25.3 → 220 + 0.3·5 = 221.5 → 222 (half to even)). */
static void month(double *pm25, double *pm10, double *co, double *o3)
{
	for (int i = 0; i < 28; i++) {
		pm25[i] = i % 2 ? 50 : 40;
		pm10[i] = 80;
		co[i] = 1.0 + 0.05 * i;
		o3[i] = 100 + 5 * i;
	}
}

START_TEST(test_composite_by_hand)
{
	double pm25[28], pm10[28], co[28], o3[28], aqi[28];
	month(pm25, pm10, co, o3);
	for (int i = 0; i < 28; i++)
		aqi[i] = i < 20 ? 60 : 120;
	struct aq_period_series s = {.daily = {[AQ_PM25] = pm25, [AQ_PM10] = pm10, [AQ_CO] = co, [AQ_O3] = o3},
				     .n = {[AQ_PM25] = 28, [AQ_PM10] = 28, [AQ_CO] = 28, [AQ_O3] = 28},
				     .aqi = aqi,
				     .n_aqi = 28};
	struct aq_period_rules r = {.min_days = 27, .standard = aq_aqi_standard_for_date(2025, 11, 30)};
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		r.weights[p] = 1;
	r.composite_mask = AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10);
	struct aq_period_value v;
	aq_period_compute(&s, &r, &v);
	ck_assert(v.valid[AQ_PM25] && v.valid[AQ_CO] && !v.valid[AQ_SO2]);
	ck_assert_double_eq(v.conc[AQ_PM25], 45);
	ck_assert_double_eq(v.conc[AQ_PM10], 80);
	ck_assert_double_eq_tol(v.conc[AQ_CO], 2.3, 1e-9);
	ck_assert_double_eq(v.conc[AQ_O3], 222);
	/* 2012 limits: 45/35 + 80/70 = 1.285714 + 1.142857 = 2.428571 → 2.43; PM2.5 weighs most */
	ck_assert(v.has_composite);
	ck_assert_double_eq_tol(v.composite, 2.43, 1e-9);
	ck_assert_int_eq(v.largest, AQ_PM25);
	ck_assert_double_eq_tol(v.sub_index[AQ_CO], 2.3 / 4, 1e-12);
	ck_assert_double_eq_tol(v.sub_index[AQ_O3], 222.0 / 160, 1e-12);
	/* six pollutants, SO2 missing: no composite (SO2 not valid) */
	r.composite_mask = AQ_POLLUTANT_ALL_MASK;
	aq_period_compute(&s, &r, &v);
	ck_assert(!v.has_composite);
	ck_assert_int_eq(v.largest, -1);
	/* PM2.5, PM10, CO, O3: 1.285714 + 1.142857 + 0.575 + 1.3875 = 4.391071 → 4.39; O3 weighs most */
	r.composite_mask = AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10) | AQ_POLLUTANT_BIT(AQ_CO) |
			   AQ_POLLUTANT_BIT(AQ_O3);
	aq_period_compute(&s, &r, &v);
	ck_assert_double_eq_tol(v.composite, 4.39, 1e-9);
	ck_assert_int_eq(v.largest, AQ_O3);
	/* weighted PM2.5 ×3: 3 × 1.285714 + 1.142857 + 0.575 + 1.3875 = 6.962500 → 6.96 */
	r.weights[AQ_PM25] = 3;
	aq_period_compute(&s, &r, &v);
	ck_assert_double_eq_tol(v.composite, 6.96, 1e-9);
	ck_assert_int_eq(v.largest, AQ_PM25);
	/* AQI: 20 days at 60 and 8 at 120: mean 77.14 → 77, 20 good days */
	ck_assert(v.has_aqi);
	ck_assert_double_eq(v.aqi_mean, 77);
	ck_assert_int_eq(v.good_days, 20);
	/* 2026 transition limits: 45/30 + 80/60 = 1.5 + 1.333333 = 2.83 */
	r.weights[AQ_PM25] = 1;
	r.composite_mask = AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10);
	r.standard = aq_aqi_standard_for_date(2026, 11, 30);
	aq_period_compute(&s, &r, &v);
	ck_assert_double_eq_tol(v.composite, 2.83, 1e-9);
	/* 26 days only: below the 27 a month needs, no composite */
	s.n[AQ_PM10] = 26;
	aq_period_compute(&s, &r, &v);
	ck_assert(!v.valid[AQ_PM10]);
	ck_assert(!v.has_composite);
	ck_assert_int_eq(v.valid_days[AQ_PM10], 26);
}
END_TEST

START_TEST(test_change)
{
	double pct;
	/* 2.43 against 2.70: (2.43 − 2.70) / 2.70 = −10 % */
	ck_assert(aq_period_change(2.43, 2.70, &pct));
	ck_assert_double_eq_tol(pct, -10.0, 1e-9);
	/* 45 against 52: −13.46 % → −13.5 */
	ck_assert(aq_period_change(45, 52, &pct));
	ck_assert_double_eq_tol(pct, -13.5, 1e-9);
	/* 60 against 48: +25 % */
	ck_assert(aq_period_change(60, 48, &pct));
	ck_assert_double_eq_tol(pct, 25.0, 1e-9);
	ck_assert(!aq_period_change(10, 0, &pct));
}
END_TEST

START_TEST(test_weights_parse)
{
	double w[AQ_POLLUTANTS];
	ck_assert(aq_weights_parse("pm25:3,no2:2,o3:2", w));
	ck_assert_double_eq(w[AQ_PM25], 3);
	ck_assert_double_eq(w[AQ_NO2], 2);
	ck_assert_double_eq(w[AQ_O3], 2);
	ck_assert_double_eq(w[AQ_PM10], 1);
	ck_assert(aq_weights_parse("", w));
	ck_assert_double_eq(w[AQ_PM25], 1);
	w[AQ_PM25] = 9;
	ck_assert(!aq_weights_parse("pm25", w));
	ck_assert(!aq_weights_parse("pm25:x", w));
	ck_assert(!aq_weights_parse("pm25:-1", w));
	ck_assert(!aq_weights_parse("pm25:101", w));
	ck_assert(!aq_weights_parse("tsp:2", w));
	ck_assert(!aq_weights_parse("pm25:2;pm10:2", w));
	ck_assert_double_eq(w[AQ_PM25], 9); /* untouched on failure */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("period");
	TCase *tc = tcase_create("assessment");
	tcase_add_loop_test(tc, test_percentile, 0, N(percentiles));
	tcase_add_test(tc, test_min_days);
	tcase_add_test(tc, test_composite_by_hand);
	tcase_add_test(tc, test_change);
	tcase_add_test(tc, test_weights_parse);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
