/* check_json_ranking.c — Check suite for the JSON and CSV writers of json_ranking.c: a built
 * day rendered as the SPEC's ranking reply (fields, rank order, nulls, the final-day stamp),
 * as CSV, as a "ranking" event, and the campaign summary and a station's hours. The day is
 * made in memory (no database) and its numbers are worked out in the comments. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_clock.h"
#include "aq_json_arena.h"
#include "aq_json_ranking.h"
#include "aq_time.h"

#define DAY 17506 /* 2017-12-06 */

/* Three micro stations with a whole day each (PM10 100 / 80 / —) and a national point. */
static void make_day(struct aq_day *d, bool final)
{
	static const struct {
		const char *code;
		int kind;
		double pm25, pm10;
		int hours;
	} spots[] = {{"M1", AQ_KIND_MICRO, 50, 100, 24},
		     {"M2", AQ_KIND_MICRO, 30, 80, 24},
		     {"M3", AQ_KIND_MICRO, 30, 80, 5},
		     {"N1", AQ_KIND_NATIONAL, 40, 90, 24}};
	struct aq_dayview *v = &d->view;
	memset(d, 0, sizeof *d);
	v->day = DAY;
	v->hours_elapsed = 24;
	v->min_hours = 20;
	v->composite_mask = AQ_COMPOSITE_DEFAULT_MASK;
	v->interview_count = 1;
	v->final = final;
	v->finalized_us = final ? INT64_C(1512610200000000) : 0; /* 2017-12-07T09:30:00+08:00 */
	v->late_readings = final ? 2 : 0;
	snprintf(v->rule_version, sizeof v->rule_version, "HJ633-2012/min20h");
	v->standard = aq_day_standard(AQ_STANDARD_AUTO, DAY);
	v->n = sizeof spots / sizeof spots[0];
	v->stations = calloc(v->n, sizeof *v->stations);
	for (size_t i = 0; i < v->n; i++) {
		struct aq_day_station *s = &v->stations[i];
		s->station.id = (int)i + 1;
		snprintf(s->station.code, sizeof s->station.code, "%s", spots[i].code);
		snprintf(s->station.name, sizeof s->station.name, "站\"%s\"", spots[i].code);
		snprintf(s->station.unit, sizeof s->station.unit, "东四街道");
		s->station.kind = spots[i].kind;
		s->station.lat = 39.93;
		s->station.lon = 116.40 + 0.01 * (double)i;
		s->station.interval_s = 3600;
		s->station.active = true;
		s->station.first_day = INT64_MAX;
		for (int h = 0; h < spots[i].hours; h++) {
			s->hours[h].sum[AQ_PM25] = spots[i].pm25;
			s->hours[h].count[AQ_PM25] = 1;
			s->hours[h].sum[AQ_PM10] = spots[i].pm10;
			s->hours[h].count[AQ_PM10] = 1;
			s->hour_readings[h] = 1;
			s->readings++;
		}
	}
	aq_dayview_compute(v);
	aq_dayview_rank(v, AQ_METRIC_PM10, AQ_INSUFFICIENT_SEPARATE, 1, SIZE_MAX, 3.0, &d->ranking);
	d->n_interview = d->ranking.r.n_interview;
	d->interview = calloc(d->n_interview, sizeof *d->interview);
	aq_dayview_interviews(v, &d->ranking, d->interview);
	d->interview[0].consecutive_days = 3;
}

static json_t *render_json(const struct aq_day *d)
{
	struct aq_day_render how = {false, false, "Asia/Shanghai", INT64_C(1512617400000000)}; /* 11:30 */
	char *body = NULL;
	size_t len = 0;
	ck_assert_int_eq(aq_render_day(d, &how, &body, &len), AQ_OK);
	ck_assert_uint_eq(strlen(body), len);
	json_t *j = json_loads(body, 0, NULL);
	ck_assert_ptr_nonnull(j);
	free(body);
	return j;
}

START_TEST(test_ranking_reply)
{
	struct aq_day d;
	make_day(&d, false);
	json_t *j = render_json(&d);
	ck_assert_str_eq(json_string_value(json_object_get(j, "date")), "2017-12-06");
	ck_assert_str_eq(json_string_value(json_object_get(j, "metric")), "pm10");
	ck_assert_str_eq(json_string_value(json_object_get(j, "standard")), "HJ633-2012");
	ck_assert_str_eq(json_string_value(json_object_get(j, "limits")), "GB3095-2012");
	ck_assert_str_eq(json_string_value(json_object_get(j, "generated_at")), "2017-12-07T11:30:00+08:00");
	ck_assert(json_is_false(json_object_get(j, "final")));
	ck_assert_ptr_null(json_object_get(j, "finalized_at"));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "stations_ranked")), 2);
	/* mean of 80 and 100 */
	ck_assert_double_eq(json_number_value(json_object_get(j, "district_mean")), 90);
	json_t *rows = json_object_get(j, "ranking");
	ck_assert_uint_eq(json_array_size(rows), 2);
	json_t *first = json_array_get(rows, 0), *last = json_array_get(rows, 1);
	ck_assert_str_eq(json_string_value(json_object_get(first, "station")), "M2");
	ck_assert_int_eq(json_integer_value(json_object_get(first, "rank")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(first, "name")), "站\"M2\"");
	/* M1: PM10 100 → 75, PM2.5 50 → 68.75 → 69: AQI 75, 良, primary PM10. */
	ck_assert_int_eq(json_integer_value(json_object_get(last, "aqi")), 75);
	ck_assert_str_eq(json_string_value(json_object_get(last, "category")), "良");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(last, "primary_pollutants"), 0)), "PM10");
	ck_assert(json_is_true(json_object_get(last, "interview")));
	ck_assert(json_is_null(json_object_get(last, "so2")));
	ck_assert_ptr_null(json_object_get(last, "above_scale"));
	ck_assert_uint_eq(json_array_size(json_object_get(last, "exceeding_pollutants")), 0); /* 2012: listed, none */
	/* composite 50/35 + 100/70 = 1.428571 + 1.428571 = 2.857143 → 2.86 */
	ck_assert_double_eq_tol(json_number_value(json_object_get(last, "composite")), 2.86, 1e-9);
	json_t *insufficient = json_object_get(j, "insufficient");
	ck_assert_uint_eq(json_array_size(insufficient), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(insufficient, 0), "valid_hours")), 5);
	json_t *iv = json_array_get(json_object_get(j, "interview"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(iv, "station")), "M1");
	ck_assert_int_eq(json_integer_value(json_object_get(iv, "consecutive_days")), 3);
	ck_assert(json_is_true(json_object_get(iv, "provisional")));
	ck_assert_ptr_null(json_object_get(iv, "id"));
	/* (100 − 90) / 90 = 11.11 % → 11.1 */
	ck_assert_double_eq_tol(json_number_value(json_object_get(iv, "pct_above_mean")), 11.1, 1e-9);
	json_t *nat = json_array_get(json_object_get(j, "national"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(nat, "station")), "N1");
	ck_assert_int_eq(json_integer_value(json_object_get(nat, "pm10")), 90);
	json_decref(j);
	aq_day_cleanup(&d);
}
END_TEST

START_TEST(test_final_day_is_stamped_by_its_finalization)
{
	struct aq_day d;
	make_day(&d, true);
	d.interview_stored = true;
	d.interview[0].id = 42;
	json_t *j = render_json(&d);
	/* Not the clock's 11:30: the finalization's 09:30, so the body (and its ETag) stays. */
	ck_assert_str_eq(json_string_value(json_object_get(j, "generated_at")), "2017-12-07T09:30:00+08:00");
	ck_assert_str_eq(json_string_value(json_object_get(j, "finalized_at")), "2017-12-07T09:30:00+08:00");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "late_readings")), 2);
	json_t *iv = json_array_get(json_object_get(j, "interview"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(iv, "id")), 42);
	ck_assert_ptr_null(json_object_get(iv, "provisional"));
	json_decref(j);
	aq_day_cleanup(&d);
}
END_TEST

START_TEST(test_csv)
{
	struct aq_day d;
	struct aq_day_render how = {true, false, "Asia/Shanghai", 0};
	char *body = NULL;
	size_t len = 0;
	make_day(&d, false);
	ck_assert_int_eq(aq_render_day(&d, &how, &body, &len), AQ_OK);
	ck_assert_mem_eq(body, "\xEF\xBB\xBF", 3); /* BOM: spreadsheets read UTF-8 */
	/* Chinese headers and words unless English is asked for (a bureau's spreadsheet). */
	ck_assert_mem_eq(body + 3, "日期,排名,状态,站点编号,站点名称", strlen("日期,排名,状态,站点编号,站点名称"));
	ck_assert_ptr_nonnull(strstr(body, "\r\n2017-12-06,1,已排名,M2,"));
	ck_assert_ptr_nonnull(strstr(body, "\"站\"\"M1\"\"\"")); /* quotes doubled inside quotes */
	int lines = 0;
	for (const char *p = body; (p = strstr(p, "\r\n")); p += 2)
		lines++;
	ck_assert_int_eq(lines, 4); /* header, two ranked stations, and the one without a value */
	ck_assert_ptr_nonnull(strstr(body, ",,数据不足,"));
	free(body);
	how.english = true;
	ck_assert_int_eq(aq_render_day(&d, &how, &body, &len), AQ_OK);
	ck_assert_mem_eq(body + 3, "date,rank,status,station,name", strlen("date,rank,status,station,name"));
	ck_assert_ptr_nonnull(strstr(body, "\r\n2017-12-06,1,ranked,M2,"));
	free(body);
	aq_day_cleanup(&d);
}
END_TEST

START_TEST(test_ranking_event)
{
	struct aq_day d;
	make_day(&d, false);
	json_t *e = aq_json_ranking_event(&d, "\"abc\"");
	ck_assert_str_eq(json_string_value(json_object_get(e, "date")), "2017-12-06");
	ck_assert_str_eq(json_string_value(json_object_get(e, "etag")), "\"abc\"");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "stations_ranked")), 2);
	ck_assert_double_eq(json_number_value(json_object_get(e, "district_mean")), 90);
	ck_assert_uint_eq(json_array_size(json_object_get(e, "interview")), 1);
	json_decref(e);
	aq_day_cleanup(&d);
}
END_TEST

START_TEST(test_summary)
{
	struct aq_day_summary s;
	struct aq_summary_day days[] = {
		{0, DAY, true, 100, 2, false, true, true, 75, 0},
		{1, DAY, true, 80, 1, false, false, true, 65, 0},
		{1, DAY + 1, true, 91, 1, false, false, true, 121, AQ_POLLUTANT_BIT(AQ_PM10)},
	};
	const char *codes[] = {"M1", "M2"};
	memset(&s, 0, sizeof s);
	s.from = DAY;
	s.to = DAY + 1;
	s.metric = AQ_METRIC_PM10;
	s.days_finalized = 2;
	s.n_stations = 2;
	s.stations = calloc(2, sizeof *s.stations);
	snprintf(s.stations[0].code, sizeof s.stations[0].code, "M1");
	snprintf(s.stations[1].code, sizeof s.stations[1].code, "M2");
	ck_assert_int_eq(aq_summary_compute(days, 3, 2, codes, AQ_METRIC_PM10, &s.sum), 0);
	json_t *j = aq_json_day_summary(&s);
	ck_assert_str_eq(json_string_value(json_object_get(j, "to")), "2017-12-07");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "days_finalized")), 2);
	json_t *m2 = json_array_get(json_object_get(j, "stations"), 0);
	/* M2: (80 + 91) / 2 = 85.5 → 86 (half to even), rank 1 ahead of M1's 100. */
	ck_assert_str_eq(json_string_value(json_object_get(m2, "station")), "M2");
	ck_assert_double_eq(json_number_value(json_object_get(m2, "mean_value")), 86);
	ck_assert_int_eq(json_integer_value(json_object_get(m2, "days_valid")), 2);
	/* 优良天数: one of its two AQI days (65 and 121) is ≤ 100: 50.0 %; PM10 over its limit once. */
	ck_assert_int_eq(json_integer_value(json_object_get(m2, "good_days")), 1);
	ck_assert_double_eq(json_number_value(json_object_get(m2, "good_days_pct")), 50);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m2, "over_limit_days"), "pm10")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m2, "over_limit_days"), "pm25")), 0);
	json_t *m1 = json_array_get(json_object_get(j, "stations"), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(m1, "interview_days")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(m1, "rank")), 2);
	json_decref(j);
	aq_day_summary_cleanup(&s);
}
END_TEST

START_TEST(test_station_hours)
{
	struct aq_station st = {.interval_s = 60};
	struct aq_hourly hours[24];
	int readings[24] = {0};
	struct aq_hour_sums sums = {.sum = {[AQ_PM25] = 45 * 36.0}, .count = {[AQ_PM25] = 45}};
	snprintf(st.code, sizeof st.code, "H1");
	for (int h = 0; h < 24; h++)
		aq_hourly_compute(h == 3 ? &sums : &(struct aq_hour_sums){0}, 60,
				  aq_day_standard(AQ_STANDARD_AUTO, DAY), &hours[h]);
	readings[3] = 45;
	json_t *j = aq_json_station_hours(&st, DAY, hours, readings, aq_day_standard(AQ_STANDARD_AUTO, DAY), false);
	ck_assert_str_eq(json_string_value(json_object_get(j, "standard")), "HJ633-2012");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "min_readings_per_hour")), 45);
	json_t *h3 = json_array_get(json_object_get(j, "hours"), 3);
	ck_assert_str_eq(json_string_value(json_object_get(h3, "start")), "2017-12-06T03:00:00+08:00");
	/* 45 readings of 36: valid (ceil(0.75 × 60) = 45); PM2.5 36 → 50 + (1/40)·50 = 51.25 → 52. */
	ck_assert_int_eq(json_integer_value(json_object_get(h3, "pm25")), 36);
	ck_assert_int_eq(json_integer_value(json_object_get(h3, "aqi")), 52);
	ck_assert(json_is_null(json_object_get(json_array_get(json_object_get(j, "hours"), 4), "pm25")));
	json_decref(j);
}
END_TEST

START_TEST(test_render_in_the_arena)
{
	/* The daemon installs the json arena (main.c): a render then builds and drops its tree in
	 * the thread's arena. The text must be the very text of a render without it, in plain
	 * malloc memory (libmicrohttpd frees it: ASan checks the free), the scope closed after;
	 * inside a caller's scope, that scope stays open. Forked test: the install stays here. */
	struct aq_day d;
	make_day(&d, false);
	struct aq_day_render how = {false, false, "Asia/Shanghai", INT64_C(1512617400000000)};
	char *plain = NULL, *arena = NULL, *nested = NULL;
	size_t n_plain = 0, n_arena = 0, n_nested = 0;
	ck_assert_int_eq(aq_render_day(&d, &how, &plain, &n_plain), AQ_OK);
	aq_json_arena_install();
	ck_assert_uint_eq(aq_json_arena_held(), 0);
	ck_assert_int_eq(aq_render_day(&d, &how, &arena, &n_arena), AQ_OK);
	ck_assert(!aq_json_arena_active());
	ck_assert_uint_gt(aq_json_arena_held(), 0); /* the tree was carved from it */
	ck_assert_uint_eq(n_arena, n_plain);
	ck_assert_str_eq(arena, plain);
	aq_json_arena_begin();
	ck_assert_int_eq(aq_render_day(&d, &how, &nested, &n_nested), AQ_OK);
	ck_assert(aq_json_arena_active());
	aq_json_arena_end();
	ck_assert_str_eq(nested, plain);
	free(plain);
	free(arena);
	free(nested);
	aq_day_cleanup(&d);
}
END_TEST

static Suite *json_ranking_suite(void)
{
	Suite *s = suite_create("json_ranking");
	TCase *tc = tcase_create("writers");
	tcase_add_test(tc, test_ranking_reply);
	tcase_add_test(tc, test_final_day_is_stamped_by_its_finalization);
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_ranking_event);
	tcase_add_test(tc, test_summary);
	tcase_add_test(tc, test_station_hours);
	tcase_add_test(tc, test_render_in_the_arena);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	aq_timezone_set("Asia/Shanghai");
	SRunner *sr = srunner_create(json_ranking_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
