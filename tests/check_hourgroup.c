/* check_hourgroup.c — Check suite for hourgroup.c: a batch grouped by station, local day and
 * hour in that order whatever the input order; readings counted whether or not their values
 * are; flagged and absent values left out of sum, count, min and max; first/last instants;
 * values summed in input order (bit-identical to a left fold); an empty batch. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "aq_hourgroup.h"

static struct aq_reading reading(int64_t us, double pm25, double pm10)
{
	struct aq_reading r;
	memset(&r, 0, sizeof r);
	memset(r.flag, 'N', sizeof r.flag);
	r.observed_us = us;
	r.value[AQ_F_PM25] = pm25;
	r.value[AQ_F_PM10] = pm10;
	r.present = 1u << AQ_F_PM25 | 1u << AQ_F_PM10;
	return r;
}

#define MIN_US (60 * 1000000LL)

START_TEST(test_groups_in_key_order)
{
	/* Station 7 hours 3 and 2 of day 100, station 5 hour 2 of day 101 and day 100. */
	struct aq_reading r[6];
	int ids[6] = {7, 5, 7, 7, 5, 5};
	int64_t days[6] = {100, 101, 100, 100, 100, 101};
	int hours[6] = {3, 2, 2, 3, 2, 2};
	for (int i = 0; i < 6; i++)
		r[i] = reading(i * MIN_US, 10 + i, 100 + i);
	struct aq_hour_group *g;
	long n = aq_hour_groups(r, ids, days, hours, 6, &g);
	ck_assert_int_eq(n, 4);
	int want[4][4] = {{5, 100, 2, 1}, {5, 101, 2, 2}, {7, 100, 2, 1}, {7, 100, 3, 2}};
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(g[i].station_id, want[i][0]);
		ck_assert_int_eq(g[i].day, want[i][1]);
		ck_assert_int_eq(g[i].hour, want[i][2]);
		ck_assert_int_eq(g[i].readings, want[i][3]);
	}
	/* Station 5, day 101: readings 1 and 5. */
	ck_assert_double_eq(g[1].sums.sum[AQ_PM25], 11 + 15);
	ck_assert_int_eq(g[1].sums.count[AQ_PM10], 2);
	ck_assert_double_eq(g[1].min[AQ_PM10], 101);
	ck_assert_double_eq(g[1].max[AQ_PM10], 105);
	ck_assert_int_eq(g[1].first_us, 1 * MIN_US);
	ck_assert_int_eq(g[1].last_us, 5 * MIN_US);
	ck_assert_int_eq(g[1].sums.count[AQ_SO2], 0);
	free(g);
}
END_TEST

/* A batch already in key order (a station's history, the common upload) skips the sort: its
 * groups are those of the same readings shuffled. */
START_TEST(test_sorted_batch_groups_as_shuffled)
{
	enum {
		N = 300
	};
	struct aq_reading r[N], shuffled_r[N];
	int ids[N], shuffled_ids[N], hours[N], shuffled_hours[N];
	int64_t days[N], shuffled_days[N];
	for (int i = 0; i < N; i++) { /* station 3 then 4, minute by minute over days 100 and 101 */
		int minute = (i % 150) * 17;
		ids[i] = 3 + i / 150;
		days[i] = 100 + minute / 1440;
		hours[i] = minute % 1440 / 60;
		r[i] = reading(i * MIN_US, i % 7, 100 + i % 11);
	}
	for (int i = 0; i < N; i++) { /* 7 is prime to N: a permutation */
		int j = (i * 7 + 5) % N;
		shuffled_r[i] = r[j];
		shuffled_ids[i] = ids[j];
		shuffled_days[i] = days[j];
		shuffled_hours[i] = hours[j];
	}
	struct aq_hour_group *g, *h;
	long n = aq_hour_groups(r, ids, days, hours, N, &g);
	long m = aq_hour_groups(shuffled_r, shuffled_ids, shuffled_days, shuffled_hours, N, &h);
	ck_assert_int_gt(n, 20);
	ck_assert_int_eq(n, m);
	for (long i = 0; i < n; i++) {
		ck_assert(g[i].station_id == h[i].station_id && g[i].day == h[i].day && g[i].hour == h[i].hour);
		ck_assert_int_eq(g[i].readings, h[i].readings);
		ck_assert_double_eq(g[i].sums.sum[AQ_PM25], h[i].sums.sum[AQ_PM25]); /* small integers: exact */
		ck_assert_double_eq(g[i].max[AQ_PM10], h[i].max[AQ_PM10]);
		ck_assert_int_eq(g[i].first_us, h[i].first_us);
		ck_assert_int_eq(g[i].last_us, h[i].last_us);
		if (i > 0) /* strictly increasing (station, day, hour) */
			ck_assert(
				g[i - 1].station_id < g[i].station_id ||
				(g[i - 1].station_id == g[i].station_id &&
				 (g[i - 1].day < g[i].day || (g[i - 1].day == g[i].day && g[i - 1].hour < g[i].hour))));
	}
	free(g);
	free(h);
}
END_TEST

START_TEST(test_flagged_and_absent_not_counted)
{
	struct aq_reading r[4] = {reading(3 * MIN_US, 40, 80), reading(1 * MIN_US, 999, 60),
				  reading(2 * MIN_US, 20, 70), reading(0, 30, 0)};
	r[1].flag[AQ_F_PM25] = 'D';	   /* a flagged PM2.5: not counted, PM10 is */
	r[3].present = 1u << AQ_F_PM25;	   /* no PM10 */
	r[2].flag[AQ_F_TEMPERATURE] = 'M'; /* a flag on a non-pollutant changes nothing */
	int ids[4] = {1, 1, 1, 1}, hours[4] = {0, 0, 0, 0};
	int64_t days[4] = {9, 9, 9, 9};
	struct aq_hour_group *g;
	ck_assert_int_eq(aq_hour_groups(r, ids, days, hours, 4, &g), 1);
	ck_assert_int_eq(g[0].readings, 4);
	ck_assert_int_eq(g[0].sums.count[AQ_PM25], 3);
	ck_assert_double_eq(g[0].sums.sum[AQ_PM25], 90);
	ck_assert_double_eq(g[0].min[AQ_PM25], 20);
	ck_assert_double_eq(g[0].max[AQ_PM25], 40);
	ck_assert_int_eq(g[0].sums.count[AQ_PM10], 3);
	ck_assert_double_eq(g[0].sums.sum[AQ_PM10], 210);
	ck_assert_double_eq(g[0].min[AQ_PM10], 60);
	ck_assert_int_eq(g[0].first_us, 0);
	ck_assert_int_eq(g[0].last_us, 3 * MIN_US);
	free(g);
}
END_TEST

START_TEST(test_sums_in_input_order)
{
	/* 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit: the input order is kept. */
	double v[3] = {0.3, 0.2, 0.1};
	struct aq_reading r[3];
	int ids[3] = {2, 2, 2}, hours[3] = {5, 5, 5};
	int64_t days[3] = {1, 1, 1};
	for (int i = 0; i < 3; i++)
		r[i] = reading(i * MIN_US, v[i], 1);
	struct aq_hour_group *g;
	ck_assert_int_eq(aq_hour_groups(r, ids, days, hours, 3, &g), 1);
	double fold = 0;
	for (int i = 0; i < 3; i++)
		fold += v[i];
	ck_assert(g[0].sums.sum[AQ_PM25] == fold);
	free(g);
}
END_TEST

/* Humidity is summed like a pollutant (what quality control and the humidity form read):
 * counted when present and flagged N, whatever the pollutants do. */
START_TEST(test_humidity_summed)
{
	struct aq_reading r[4];
	int ids[4] = {1, 1, 1, 1};
	int64_t days[4] = {9, 9, 9, 9};
	int hours[4] = {5, 5, 5, 5};
	for (int i = 0; i < 4; i++)
		r[i] = reading(i * MIN_US, 10, 20);
	r[0].value[AQ_F_HUMIDITY] = 80;
	r[0].present |= 1u << AQ_F_HUMIDITY;
	r[1].value[AQ_F_HUMIDITY] = 90.5;
	r[1].present |= 1u << AQ_F_HUMIDITY;
	r[2].value[AQ_F_HUMIDITY] = 99; /* flagged: left out */
	r[2].present |= 1u << AQ_F_HUMIDITY;
	r[2].flag[AQ_F_HUMIDITY] = 'D';
	struct aq_hour_group *g;
	ck_assert_int_eq(aq_hour_groups(r, ids, days, hours, 4, &g), 1);
	ck_assert_int_eq(g[0].sums.rh_count, 2);
	ck_assert_double_eq(g[0].sums.rh_sum, 170.5);
	ck_assert_int_eq(g[0].sums.count[AQ_PM25], 4);
	free(g);
}
END_TEST

START_TEST(test_empty_batch)
{
	struct aq_hour_group *g = NULL;
	ck_assert_int_eq(aq_hour_groups(NULL, NULL, NULL, NULL, 0, &g), 0);
	ck_assert_ptr_nonnull(g);
	free(g);
}
END_TEST

static Suite *hourgroup_suite(void)
{
	Suite *s = suite_create("hourgroup");
	TCase *tc = tcase_create("groups");
	tcase_add_test(tc, test_groups_in_key_order);
	tcase_add_test(tc, test_sorted_batch_groups_as_shuffled);
	tcase_add_test(tc, test_flagged_and_absent_not_counted);
	tcase_add_test(tc, test_sums_in_input_order);
	tcase_add_test(tc, test_humidity_summed);
	tcase_add_test(tc, test_empty_batch);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hourgroup_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
