/* check_calib.c — Check suite for calib.c: known coefficients recovered from synthetic noisy
 * co-location pairs (90 days of hours, seeded noise; tolerances of about 8 standard errors,
 * stated with each case), exact data recovered exactly, degenerate windows refused (too few
 * pairs, constant raw, constant reference, constant or collinear humidity), application
 * (linear, humidity form, no humidity in the hour, never below 0) and the drift of residuals.
 * The fit of 90 days of pairs is timed against the 50 ms. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "aq_calib.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define PAIRS (90 * 24)

/* A fixed-seed generator (64-bit LCG, Knuth's MMIX constants), so every run fits the same
 * pairs: uniform in [0, 1), and normal by Box–Muller. */
static uint64_t seed;
static double uniform(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(seed >> 11) / 9007199254740992.0;
}
static double normal(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2.0 * log(u > 0 ? u : 1e-300)) * cos(2.0 * M_PI * v);
}

static double raw[PAIRS], ref[PAIRS], rh[PAIRS];

/* The model cases: coefficients, noise σ and the tolerances they are recovered within. With
 * raw uniform on [5, 300] (sd ≈ 85) and n = 2160, the standard error of b is σ/(85·√2160) ≈
 * σ·2.5e-4 and of a about σ·0.04; RH uniform on [20, 95] (sd ≈ 22) gives c an error of about
 * σ·1e-3. Tolerances are ≥ 8 of those. */
static const struct {
	const char *name;
	bool humidity;
	double a, b, c, sigma;
	double tol_a, tol_b, tol_c;
} models[] = {
	{"raw = 1.4·ref + 8, no noise (the integration test's bias)", false, -8 / 1.4, 1 / 1.4, 0, 0, 1e-9, 1e-12, 0},
	{"ref = 3 + 0.7·raw, σ 5", false, 3, 0.7, 0, 5, 1.6, 0.01, 0},
	{"ref = −10 + 1.2·raw, σ 15", false, -10, 1.2, 0, 15, 5, 0.03, 0},
	{"ref = 5 + 0.6·raw − 0.15·RH, σ 5 (Barkjohn's form)", true, 5, 0.6, -0.15, 5, 2.5, 0.01, 0.04},
	{"ref = 1 + 0.52·raw − 0.086·RH, no noise", true, 1, 0.52, -0.086, 0, 1e-9, 1e-12, 1e-12},
};

START_TEST(test_recovers_known_coefficients)
{
	seed = 42 + (uint64_t)_i;
	for (int i = 0; i < PAIRS; i++) {
		raw[i] = 5 + 295 * uniform();
		rh[i] = 20 + 75 * uniform();
		ref[i] = models[_i].a + models[_i].b * raw[i] + models[_i].c * rh[i] + models[_i].sigma * normal();
	}
	struct aq_calib_fit f;
	ck_assert_int_eq(aq_calib_fit(raw, ref, models[_i].humidity ? rh : NULL, PAIRS, 72, &f), AQ_FIT_OK);
	ck_assert_int_eq(f.n, PAIRS);
	ck_assert_int_eq(f.model, models[_i].humidity ? AQ_CALIB_LINEAR_RH : AQ_CALIB_LINEAR);
	ck_assert_msg(fabs(f.a - models[_i].a) <= models[_i].tol_a, "%s: a %g", models[_i].name, f.a);
	ck_assert_msg(fabs(f.b - models[_i].b) <= models[_i].tol_b, "%s: b %g", models[_i].name, f.b);
	ck_assert_msg(fabs(f.c - models[_i].c) <= models[_i].tol_c, "%s: c %g", models[_i].name, f.c);
	/* RMSE estimates σ (within 10 %); R² is 1 − σ²/var(ref) for noisy data, 1 for exact. */
	if (models[_i].sigma > 0) {
		ck_assert_msg(fabs(f.rmse - models[_i].sigma) <= 0.1 * models[_i].sigma, "%s: rmse %g", models[_i].name,
			      f.rmse);
		ck_assert(f.r2 > 0.5 && f.r2 < 1);
	} else {
		ck_assert_double_le(f.rmse, 1e-9);
		ck_assert_double_ge(f.r2, 1 - 1e-12);
	}
}
END_TEST

/* Windows that must be refused, and the ones at the edge that must not. */
static const struct {
	const char *name;
	int n, min_pairs;
	int shape; /* 0 good, 1 constant raw, 2 constant ref, 3 constant RH, 4 RH collinear with raw */
	bool humidity;
	enum aq_fit_result want;
} windows[] = {
	{"71 pairs, 72 needed", 71, 72, 0, false, AQ_FIT_TOO_FEW},
	{"72 pairs, 72 needed", 72, 72, 0, false, AQ_FIT_OK},
	{"no pairs", 0, 72, 0, false, AQ_FIT_TOO_FEW},
	{"2 pairs with no minimum: a line needs 3", 2, 0, 0, false, AQ_FIT_TOO_FEW},
	{"3 pairs with no minimum", 3, 0, 0, false, AQ_FIT_OK},
	{"3 pairs with humidity: 4 needed", 3, 0, 0, true, AQ_FIT_TOO_FEW},
	{"raw constant (a stuck sensor)", 100, 72, 1, false, AQ_FIT_SINGULAR},
	{"reference constant", 100, 72, 2, false, AQ_FIT_SINGULAR},
	{"humidity constant", 100, 72, 3, true, AQ_FIT_SINGULAR},
	{"humidity a linear function of raw", 100, 72, 4, true, AQ_FIT_SINGULAR},
	{"constant humidity is fine without the humidity form", 100, 72, 3, false, AQ_FIT_OK},
};

START_TEST(test_degenerate_windows)
{
	seed = 7;
	for (int i = 0; i < windows[_i].n; i++) {
		raw[i] = windows[_i].shape == 1 ? 487.25 : 10 + 200 * uniform();
		rh[i] = windows[_i].shape == 3 ? 63 : windows[_i].shape == 4 ? 0.2 * raw[i] + 10 : 30 + 60 * uniform();
		ref[i] = windows[_i].shape == 2 ? 35 : 2 + 0.8 * raw[i] + 3 * normal();
	}
	struct aq_calib_fit f;
	ck_assert_msg(aq_calib_fit(raw, ref, windows[_i].humidity ? rh : NULL, (size_t)windows[_i].n,
				   windows[_i].min_pairs, &f) == windows[_i].want,
		      "%s", windows[_i].name);
	ck_assert_int_eq(f.n, windows[_i].n);
}
END_TEST

START_TEST(test_apply)
{
	struct aq_calib_use u = {.id = 5,
				 .version = 2,
				 .linear = {.model = AQ_CALIB_LINEAR, .a = -8 / 1.4, .b = 1 / 1.4},
				 .has_rh = true,
				 .rh = {.model = AQ_CALIB_LINEAR_RH, .a = 4, .b = 0.5, .c = -0.1}};
	ck_assert_double_eq(aq_calib_apply(NULL, 77.5, false, 0), 77.5);
	struct aq_calib_use none = {.id = 0};
	ck_assert_double_eq(aq_calib_apply(&none, 77.5, true, 50), 77.5);
	ck_assert_double_eq_tol(aq_calib_apply(&u, 1.4 * 60 + 8, true, 90), 4 + 0.5 * 92 - 9, 1e-12);
	ck_assert_double_eq_tol(aq_calib_apply(&u, 1.4 * 60 + 8, false, 0), 60, 1e-12);
	u.has_rh = false; /* a linear calibration ignores the hour's humidity */
	ck_assert_double_eq_tol(aq_calib_apply(&u, 1.4 * 60 + 8, true, 90), 60, 1e-12);
	ck_assert_double_eq(aq_calib_apply(&u, 2, false, 0), 0); /* −4.3 → 0 */
	ck_assert_str_eq(aq_calib_model_name(AQ_CALIB_LINEAR_RH), "linear_rh");
	enum aq_calib_model m;
	ck_assert(aq_calib_model_from_name("linear", &m) && m == AQ_CALIB_LINEAR);
	ck_assert(!aq_calib_model_from_name("kohler", &m));
}
END_TEST

START_TEST(test_drift)
{
	static double t[7 * 24], res[7 * 24];
	double change, mean;
	seed = 99;
	/* A sensor whose residual grows 1.5 µg/m³ a day, hourly over a week, noise σ 2. The slope's
	 * standard error is ≈ 2/(2·√168) ≈ 0.08 per day: 10.5 ± 1 over 7 days. */
	for (int i = 0; i < 7 * 24; i++) {
		t[i] = i / 24.0;
		res[i] = 3 + 1.5 * t[i] + 2 * normal();
	}
	ck_assert(aq_calib_drift(t, res, 7 * 24, 72, 7, &change, &mean));
	ck_assert_double_eq_tol(change, 10.5, 1.0);
	ck_assert_double_eq_tol(mean, 3 + 1.5 * 3.4792, 0.5);
	/* A constant offset (a site effect) is no drift. */
	for (int i = 0; i < 7 * 24; i++)
		res[i] = 12;
	ck_assert(aq_calib_drift(t, res, 7 * 24, 72, 7, &change, &mean));
	ck_assert_double_eq_tol(change, 0, 1e-9);
	ck_assert(!aq_calib_drift(t, res, 71, 72, 7, &change, &mean));
	for (int i = 0; i < 80; i++)
		t[i] = 3;
	ck_assert(!aq_calib_drift(t, res, 80, 72, 7, &change, &mean));
}
END_TEST

/* Issue 15: a fit over 90 days of hourly pairs takes ≤ 50 ms. The humidity form, the slower,
 * timed over 200 fits; the mean must be far below (it is microseconds). */
START_TEST(test_fit_time)
{
	seed = 1;
	for (int i = 0; i < PAIRS; i++) {
		raw[i] = 5 + 295 * uniform();
		rh[i] = 20 + 75 * uniform();
		ref[i] = 3 + 0.7 * raw[i] - 0.1 * rh[i] + 4 * normal();
	}
	struct timespec a, b;
	struct aq_calib_fit f;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int k = 0; k < 200; k++)
		ck_assert_int_eq(aq_calib_fit(raw, ref, rh, PAIRS, 72, &f), AQ_FIT_OK);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6) / 200;
	ck_assert_msg(ms < 50, "a fit of %d pairs took %.3f ms", PAIRS, ms);
}
END_TEST

static Suite *calib_suite(void)
{
	Suite *s = suite_create("calib");
	TCase *tc = tcase_create("fit");
	tcase_add_loop_test(tc, test_recovers_known_coefficients, 0, N(models));
	tcase_add_loop_test(tc, test_degenerate_windows, 0, N(windows));
	tcase_add_test(tc, test_apply);
	tcase_add_test(tc, test_drift);
	tcase_add_test(tc, test_fit_time);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(calib_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
