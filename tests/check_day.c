/* check_day.c — Check suite for the day service (day.c) against a real PostgreSQL: each test
 * gets a fresh database (AQ_TEST_PG_URL names the test cluster; without it the suite says so
 * and passes), stations and readings stored the way ingest stores them, then days built,
 * finalized, re-finalized and summarized — live readings still waiting to be folded, streaks
 * across days, the stored list against the rule's, and every error a caller can get. */
#include <check.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aq_app.h"
#include "aq_clock.h"
#include "aq_day.h"
#include "aq_db.h"
#include "aq_ingest.h"
#include "aq_log.h"
#include "aq_metrics.h"
#include "aq_quality.h"
#include "aq_time.h"
#include "aq_token.h"

#define TODAY 17507 /* 2017-12-07; the clock stands at 15:30 */
#define D1 17505    /* 2017-12-05 */
#define D2 17506    /* 2017-12-06 */

static const char *cluster;
static char url[512], dbname[64];
static struct aq_config cfg;
static struct aq_app app;

static void sql(const char *base_url, const char *command)
{
	PGconn *c = PQconnectdb(base_url);
	ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, command);
	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", command, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static void setup(void)
{
	static int serial;
	char err[256];
	const char *at = strstr(cluster, "/aqrank?");
	ck_assert_ptr_nonnull(at);
	snprintf(dbname, sizeof dbname, "t_day_%d_%d", (int)getpid(), serial++);
	snprintf(url, sizeof url, "%.*s/%s%s", (int)(at - cluster), cluster, dbname, at + 7);
	char create[128];
	snprintf(create, sizeof create, "CREATE DATABASE %s", dbname);
	sql(cluster, create);
	aq_config_init(&cfg);
	ck_assert(aq_config_set(&cfg, "AQRANK_NOW", "2017-12-07T15:30:00+08:00", err, sizeof err));
	ck_assert(aq_config_set(&cfg, "AQRANK_INTERVIEW_COUNT", "1", err, sizeof err));
	/* The days below are flat on purpose (one value all day): quality control would call them
	 * stuck. test_quality_and_calibration turns it on. */
	ck_assert(aq_config_set(&cfg, "AQRANK_QC", "off", err, sizeof err));
	aq_app_init(&app, &cfg);
	app.pool = aq_db_pool_new(url, "Asia/Shanghai", 4);
	ck_assert_int_eq(aq_app_services_new(&app), AQ_OK);
}

static void teardown(void)
{
	char drop[128];
	aq_app_services_free(&app);
	aq_db_pool_free(app.pool);
	aq_app_cleanup(&app);
	aq_config_cleanup(&cfg);
	snprintf(drop, sizeof drop, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
	sql(cluster, drop);
}

static int station(const char *code, int kind)
{
	struct aq_station_update u = {0};
	struct aq_station out;
	unsigned char hash[AQ_TOKEN_HASH_LEN] = {0};
	bool created;
	enum aq_status st;
	u.set = 1u << AQ_SA_NAME | 1u << AQ_SA_KIND | 1u << AQ_SA_LAT | 1u << AQ_SA_LON;
	snprintf(u.values.name, sizeof u.values.name, "站%s", code);
	u.values.kind = kind;
	u.values.lat = 39.93;
	u.values.lon = 116.42;
	hash[0] = (unsigned char)code[0];
	hash[1] = (unsigned char)code[1];
	struct aq_db *db = aq_app_db(&app, &st);
	ck_assert_ptr_nonnull(db);
	/* Registered long before the days of the tests. */
	ck_assert_int_eq(aq_db_station_put(db, aq_local_midnight(D1 - 30), code, &u, "", hash, &created, &out), AQ_OK);
	aq_db_release(app.pool, db);
	return out.id;
}

/* Hours [from, to) of day for one station, PM10 pm10 and PM2.5 pm10 / 2. */
static void hours(int id, int64_t day, int from, int to, double pm10)
{
	struct aq_reading r[24];
	int ids[24];
	struct aq_ingest_result res;
	enum aq_status st;
	for (int h = from; h < to; h++) {
		aq_reading_init(&r[h - from]);
		r[h - from].observed_us = aq_local_midnight(day) + (int64_t)h * 3600 * AQ_US_PER_SEC;
		r[h - from].value[AQ_F_PM10] = pm10;
		r[h - from].value[AQ_F_PM25] = pm10 / 2;
		r[h - from].present = 1u << AQ_F_PM10 | 1u << AQ_F_PM25;
		ids[h - from] = id;
	}
	struct aq_db *db = aq_app_db(&app, &st);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(aq_ingest_store(&app, db, r, ids, (size_t)(to - from), "http", &res), AQ_OK);
	ck_assert_uint_eq(res.accepted, (size_t)(to - from));
	aq_db_release(app.pool, db);
}

static const char *code_at(const struct aq_day *d, size_t row)
{
	return d->view.stations[d->ranking.entry_station[d->ranking.r.rows[row].entry]].station.code;
}

static void build(int64_t day, const char *near, struct aq_day *d)
{
	struct aq_day_query q = {day, AQ_METRIC_PM10, near, 3.0};
	const char *problem;
	ck_assert_int_eq(aq_day_build(&app, &q, d, &problem), AQ_OK);
}

/* A, B, C on D1 and D2: C worst both days (PM10 150 > 120 > 90). */
static void two_days(void)
{
	int a = station("A", AQ_KIND_MICRO), b = station("B", AQ_KIND_MICRO), c = station("C", AQ_KIND_MICRO);
	for (int64_t day = D1; day <= D2; day++) {
		hours(a, day, 0, 24, 90);
		hours(b, day, 0, 24, 120);
		hours(c, day, 0, 24, 150);
	}
}

START_TEST(test_live_past_day)
{
	struct aq_day d;
	two_days();
	build(D2, NULL, &d);
	ck_assert(!d.view.final && !d.view.is_today);
	ck_assert_uint_eq(d.ranking.r.n_rows, 3);
	ck_assert_str_eq(code_at(&d, 0), "A");
	ck_assert_str_eq(code_at(&d, 2), "C");
	ck_assert_uint_eq(d.n_interview, 1);
	ck_assert(!d.interview_stored);
	ck_assert_str_eq(d.interview[0].station, "C");
	ck_assert_int_eq(d.interview[0].consecutive_days, 1); /* D1 has no stored list yet */
	ck_assert_double_eq(d.interview[0].value, 150);
	ck_assert_double_ge(d.timing.load_ms, 0);
	aq_day_cleanup(&d);
}
END_TEST

START_TEST(test_finalize_and_streaks)
{
	struct aq_day d;
	bool done;
	two_days();
	ck_assert_int_eq(aq_day_finalize(&app, D1, false, &done), AQ_OK);
	ck_assert(done);
	ck_assert_int_eq(aq_day_finalize(&app, D1, false, &done), AQ_OK);
	ck_assert(!done); /* final already */
	ck_assert_int_eq(aq_day_finalize(&app, D2, false, &done), AQ_OK);
	ck_assert(done);
	build(D2, NULL, &d);
	ck_assert(d.view.final && d.interview_stored);
	ck_assert_int_gt(d.interview[0].id, 0);
	ck_assert_int_eq(d.interview[0].consecutive_days, 2); /* D1 and D2 */
	ck_assert_str_eq(d.view.rule_version, "HJ633-2012/min20h");
	aq_day_cleanup(&d);
	/* Another metric of a final day: what the rule gives, not the stored list. */
	struct aq_day_query q = {D2, AQ_METRIC_PM25, NULL, 3.0};
	const char *problem;
	ck_assert_int_eq(aq_day_build(&app, &q, &d, &problem), AQ_OK);
	ck_assert(!d.interview_stored);
	ck_assert_int_eq(d.interview[0].consecutive_days, 2);
	aq_day_cleanup(&d);
	ck_assert_int_eq(aq_day_finalize(&app, D2, true, &done), AQ_OK);
	ck_assert(done); /* forced */
	ck_assert_uint_eq(atomic_load(&app.metrics->counters[AQ_C_FINALIZATIONS]), 3);
}
END_TEST

START_TEST(test_today_folds_live_readings)
{
	struct aq_day d;
	int a = station("A", AQ_KIND_MICRO);
	/* 15:00 is the clock's hour: these wait in pending_hourly, unfolded. */
	hours(a, TODAY, 0, 16, 100);
	build(TODAY, NULL, &d);
	ck_assert(d.view.is_today);
	ck_assert_int_eq(d.view.hours_elapsed, 16);
	ck_assert_int_eq(d.view.stations[0].readings, 16);
	ck_assert_int_eq(d.view.stations[0].daily.valid_hours[AQ_PM10], 16);
	ck_assert_uint_eq(d.ranking.r.n_rows, 1);
	aq_day_cleanup(&d);
}
END_TEST

START_TEST(test_errors)
{
	struct aq_day d;
	const char *problem;
	bool done;
	two_days();
	station("GC", AQ_KIND_NATIONAL);
	struct aq_day_query q = {TODAY + 1, AQ_METRIC_PM10, NULL, 3.0};
	ck_assert_int_eq(aq_day_build(&app, &q, &d, &problem), AQ_ERR_NO_DATA);
	ck_assert_str_eq(problem, "That day has not begun.");
	aq_day_cleanup(&d);
	q.day = D1 - 1;
	ck_assert_int_eq(aq_day_build(&app, &q, &d, &problem), AQ_ERR_NO_DATA);
	aq_day_cleanup(&d);
	q.day = D2;
	q.near = "NOPE";
	ck_assert_int_eq(aq_day_build(&app, &q, &d, &problem), AQ_ERR_UNKNOWN_STATION);
	aq_day_cleanup(&d);
	q.near = "A";
	ck_assert_int_eq(aq_day_build(&app, &q, &d, &problem), AQ_ERR_INVALID_PARAMETER);
	ck_assert_str_eq(problem, "near must name a national point.");
	aq_day_cleanup(&d);
	build(D2, "GC", &d);
	ck_assert(d.ranking.ring);
	ck_assert_uint_eq(d.ranking.r.n_rows, 3);
	aq_day_cleanup(&d);
	ck_assert_int_eq(aq_day_finalize(&app, D1 - 1, false, &done), AQ_ERR_NO_DATA);
	ck_assert(!done);
}
END_TEST

START_TEST(test_series_and_summary)
{
	struct aq_station s;
	struct aq_station_day *days = NULL;
	size_t n = 0;
	bool done;
	two_days();
	ck_assert_int_eq(aq_day_finalize(&app, D1, false, &done), AQ_OK);
	hours(3, TODAY, 0, 10, 160); /* C today, 10 of 16 hours so far: ceil(16 × 20 / 24) = 14 */
	ck_assert_int_eq(aq_day_station_series(&app, "C", D1, TODAY, &s, &days, &n), AQ_OK);
	ck_assert_str_eq(s.code, "C");
	ck_assert_uint_eq(n, 3);
	ck_assert(days[0].final && !days[1].final && !days[2].final);
	ck_assert_int_eq((int)days[0].daily.published[AQ_PM10], 150);
	ck_assert_int_eq(days[2].readings, 10);
	ck_assert(!days[2].daily.valid[AQ_PM10]);
	free(days);
	ck_assert_int_eq(aq_day_station_series(&app, "NOPE", D1, D2, &s, &days, &n), AQ_ERR_UNKNOWN_STATION);

	struct aq_day_summary sum;
	ck_assert_int_eq(aq_day_finalize(&app, D2, false, &done), AQ_OK);
	ck_assert_int_eq(aq_day_summary(&app, D1, D2, AQ_METRIC_PM10, &sum), AQ_OK);
	ck_assert_uint_eq(sum.days_finalized, 2);
	ck_assert_uint_eq(sum.n_stations, 3);
	size_t worst = sum.sum.order[2];
	ck_assert_str_eq(sum.stations[worst].code, "C");
	ck_assert_int_eq(sum.sum.stations[worst].interview_days, 2);
	ck_assert_int_eq(sum.sum.stations[worst].longest_streak, 2);
	ck_assert_double_eq(sum.sum.stations[worst].mean_value, 150);
	aq_day_summary_cleanup(&sum);

	struct aq_hourly hv[24];
	int readings[24];
	const struct aq_aqi_standard *standard;
	ck_assert_int_eq(aq_day_station_hours(&app, "C", TODAY, &s, hv, readings, &standard), AQ_OK);
	ck_assert_str_eq(standard->name, "HJ633-2012");
	ck_assert_int_eq(readings[9], 1);
	ck_assert_int_eq(readings[10], 0);
	ck_assert(hv[9].valid[AQ_PM10]);
}
END_TEST

/* Hours [0, 24) of day for one station: PM10 value(h), PM2.5 half of it. */
static void varying(int id, int64_t day, double (*value)(int64_t day, int h))
{
	struct aq_reading r[24];
	int ids[24];
	struct aq_ingest_result res;
	enum aq_status st;
	for (int h = 0; h < 24; h++) {
		aq_reading_init(&r[h]);
		r[h].observed_us = aq_local_midnight(day) + (int64_t)h * 3600 * AQ_US_PER_SEC;
		r[h].value[AQ_F_PM10] = value(day, h);
		r[h].value[AQ_F_PM25] = value(day, h) / 2;
		r[h].present = 1u << AQ_F_PM10 | 1u << AQ_F_PM25;
		ids[h] = id;
	}
	struct aq_db *db = aq_app_db(&app, &st);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(aq_ingest_store(&app, db, r, ids, 24, "http", &res), AQ_OK);
	aq_db_release(app.pool, db);
}

static double truth(int64_t day, int h)
{
	return 60 + 7 * (h % 5) + 3 * (double)(day - D1) + (h > 12 ? 11 : 0);
}

static double biased(int64_t day, int h)
{
	return 1.4 * truth(day, h) + 8;
}

static double stuck(int64_t day, int h)
{
	(void)day;
	return h < 6 ? 70 : 90;
}

static const struct aq_day_station *in_view(const struct aq_dayview *v, const char *code)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->stations[i].station.code, code) == 0)
			return &v->stations[i];
	ck_abort_msg("%s not in the day", code);
	return NULL;
}

/* Quality control and calibration through the day service and the database: a stuck station
 * loses its hours (and says why, also once finalized); a biased station fitted against a
 * reference and approved publishes the reference's values, and a finalized day keeps the
 * calibration it was finalized with until it is finalized again. */
START_TEST(test_quality_and_calibration)
{
	struct aq_day d;
	bool done;
	char err[256];
	ck_assert(aq_config_set(&cfg, "AQRANK_QC", "on", err, sizeof err));
	ck_assert(aq_config_set(&cfg, "AQRANK_CALIBRATION_MIN_PAIRS", "24", err, sizeof err));
	int r = station("R", AQ_KIND_MICRO), b = station("B", AQ_KIND_MICRO), s = station("S", AQ_KIND_MICRO);
	for (int64_t day = D1; day <= D2; day++) {
		varying(r, day, truth);
		varying(b, day, biased);
		varying(s, day, stuck);
	}
	build(D2, NULL, &d);
	const struct aq_day_station *st = in_view(&d.view, "S");
	ck_assert_int_eq(st->daily.valid_hours[AQ_PM10], 0); /* 6 h at 70 then 18 h at 90: all stuck */
	ck_assert(st->quality.flags[0][AQ_PM10] & AQ_QC_BIT(AQ_QC_STUCK));
	ck_assert(st->quality.flags[23][AQ_PM25] & AQ_QC_BIT(AQ_QC_STUCK));
	ck_assert_uint_eq(d.ranking.r.n_rows, 2);
	ck_assert_double_gt(in_view(&d.view, "B")->daily.published[AQ_PM10],
			    in_view(&d.view, "R")->daily.published[AQ_PM10]);
	aq_day_cleanup(&d);

	/* Fit B against R over D1–D2 and approve it from D1. */
	struct aq_calibration_request req = {.reference = "R", .from = D1, .to = D2};
	struct aq_calibration c;
	struct aq_fit_outcome outcome[AQ_POLLUTANTS];
	const char *problem;
	ck_assert_int_eq(aq_quality_calibrate(&app, "B", &req, &c, outcome, &problem), AQ_OK);
	ck_assert_int_eq(c.fit[AQ_PM10].linear.n, 48);
	ck_assert_double_eq_tol(c.fit[AQ_PM10].linear.b, 1 / 1.4, 1e-9);
	ck_assert_double_eq_tol(c.fit[AQ_PM10].linear.a, -8 / 1.4, 1e-7);
	ck_assert(!c.approved && c.version == 0);
	build(D2, NULL, &d); /* pending: nothing applied */
	ck_assert_int_eq(in_view(&d.view, "B")->quality.calib_id[AQ_PM10], 0);
	aq_day_cleanup(&d);
	ck_assert_int_eq(aq_day_finalize(&app, D1, false, &done), AQ_OK); /* D1 final before approval */
	ck_assert_int_eq(aq_quality_approve(&app, "B", c.id, false, 0, &c), AQ_OK);
	ck_assert(c.approved && c.version == 1 && c.valid_from == D1);
	struct aq_calibration again;
	ck_assert_int_eq(aq_quality_approve(&app, "B", c.id, false, 0, &again), AQ_ERR_CONFLICT);
	ck_assert(again.approved && again.id == c.id); /* what it conflicts with */
	ck_assert_int_eq(aq_quality_approve(&app, "R", c.id, false, 0, &again), AQ_ERR_NOT_FOUND);

	build(D2, NULL, &d); /* live: calibrated, equal to R */
	const struct aq_day_station *bs = in_view(&d.view, "B"), *rs = in_view(&d.view, "R");
	ck_assert_int_eq(bs->quality.calib_id[AQ_PM10], c.id);
	ck_assert_int_eq(bs->quality.calib_version[AQ_PM10], 1);
	ck_assert_double_eq(bs->daily.published[AQ_PM10], rs->daily.published[AQ_PM10]);
	ck_assert_double_eq(bs->daily.published[AQ_PM25], rs->daily.published[AQ_PM25]);
	aq_day_cleanup(&d);
	build(D1, NULL, &d); /* final before the approval: raw, as finalized */
	ck_assert_int_eq(in_view(&d.view, "B")->quality.calib_id[AQ_PM10], 0);
	ck_assert_double_gt(in_view(&d.view, "B")->daily.published[AQ_PM10],
			    in_view(&d.view, "R")->daily.published[AQ_PM10]);
	ck_assert(in_view(&d.view, "S")->quality.flags[3][AQ_PM10] & AQ_QC_BIT(AQ_QC_STUCK)); /* stored */
	aq_day_cleanup(&d);
	ck_assert_int_eq(aq_day_finalize(&app, D1, true, &done), AQ_OK); /* re-finalized: version 1 */
	build(D1, NULL, &d);
	ck_assert_int_eq(in_view(&d.view, "B")->quality.calib_version[AQ_PM10], 1);
	ck_assert_double_eq(in_view(&d.view, "B")->daily.published[AQ_PM10],
			    in_view(&d.view, "R")->daily.published[AQ_PM10]);
	aq_day_cleanup(&d);

	/* A second calibration from D2 on: D1 (final) keeps version 1; live D2 takes version 2. */
	req.from = req.to = D2;
	req.humidity = false;
	ck_assert_int_eq(aq_quality_calibrate(&app, "B", &req, &c, outcome, &problem), AQ_OK);
	ck_assert_int_eq(aq_quality_approve(&app, "B", c.id, false, 0, &c), AQ_OK);
	ck_assert_int_eq(c.version, 2);
	build(D1, NULL, &d);
	ck_assert_int_eq(in_view(&d.view, "B")->quality.calib_version[AQ_PM10], 1);
	aq_day_cleanup(&d);
	build(D2, NULL, &d);
	ck_assert_int_eq(in_view(&d.view, "B")->quality.calib_version[AQ_PM10], 2);
	aq_day_cleanup(&d);
	struct aq_station sta;
	struct aq_calibration *list;
	size_t n;
	ck_assert_int_eq(aq_quality_calibrations(&app, "B", &sta, &list, &n), AQ_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(list[0].fit[AQ_PM10].valid_to, D2); /* version 1 ends where 2 begins */
	ck_assert_int_eq(list[1].fit[AQ_PM10].valid_to, INT64_MAX);
	free(list);

	/* Bad windows: too few pairs, a national point, itself. */
	req.from = req.to = D2;
	ck_assert(aq_config_set(&cfg, "AQRANK_CALIBRATION_MIN_PAIRS", "72", err, sizeof err));
	ck_assert_int_eq(aq_quality_calibrate(&app, "B", &req, &c, outcome, &problem), AQ_ERR_INSUFFICIENT_PAIRS);
	ck_assert(outcome[AQ_PM10].tried && outcome[AQ_PM10].pairs == 24);
	req.reference = "B";
	ck_assert_int_eq(aq_quality_calibrate(&app, "B", &req, &c, outcome, &problem), AQ_ERR_INVALID_PARAMETER);
	/* S is stuck all day: its own flags leave no pair, however few are asked for. */
	req.reference = "R";
	ck_assert(aq_config_set(&cfg, "AQRANK_CALIBRATION_MIN_PAIRS", "3", err, sizeof err));
	ck_assert_int_eq(aq_quality_calibrate(&app, "S", &req, &c, outcome, &problem), AQ_ERR_INSUFFICIENT_PAIRS);
	ck_assert_int_eq(outcome[AQ_PM10].pairs, 0);
	req.reference = "NOPE";
	ck_assert_int_eq(aq_quality_calibrate(&app, "B", &req, &c, outcome, &problem), AQ_ERR_UNKNOWN_STATION);
}
END_TEST

int main(void)
{
	cluster = getenv("AQ_TEST_PG_URL");
	if (!cluster || !*cluster) {
		printf("check_day: AQ_TEST_PG_URL is not set; the day service needs the test cluster (skipped)\n");
		printf("100%%: Checks: 0, Failures: 0, Errors: 0\n");
		return EXIT_SUCCESS;
	}
	aq_timezone_set("Asia/Shanghai");
	aq_log_setup(AQ_LOG_FORMAT_TEXT, AQ_LOG_WARN); /* not a line per migration and finalization */
	Suite *s = suite_create("day");
	TCase *tc = tcase_create("service");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_live_past_day);
	tcase_add_test(tc, test_finalize_and_streaks);
	tcase_add_test(tc, test_today_folds_live_readings);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_series_and_summary);
	tcase_add_test(tc, test_quality_and_calibration);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
