/* check_dayview.c — Check suite for dayview.c: a network's day computed from hourly sums
 * (whole and provisional, hours not begun), which stations take part, the ranking of the
 * whole network and of a ring, the nearest national point, the interview entries, and the
 * rule version. Every expected number is worked out by hand in the comment beside it. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_clock.h"
#include "aq_dayview.h"
#include "aq_time.h"

#define DAY 17506 /* 2017-12-06 */

/* A national point at the origin of the ring, and micro stations around it. */
struct spot {
	const char *code;
	int kind;
	double lat, lon;
	double pm25, pm10; /* every hour's value; < 0: no readings */
	int hours;	   /* hours 0 .. hours-1 carry the values */
};

static void make_view(struct aq_dayview *v, const struct spot *spots, size_t n, bool today, int hours_elapsed)
{
	memset(v, 0, sizeof *v);
	v->day = DAY;
	v->is_today = today;
	v->hours_elapsed = hours_elapsed;
	v->min_hours = 20;
	v->metric = AQ_METRIC_PM10;
	v->policy = AQ_INSUFFICIENT_SEPARATE;
	v->interview_count = 1;
	v->composite_mask = AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10);
	v->standard = aq_day_standard(AQ_STANDARD_AUTO, DAY);
	aq_rule_version(v->standard->name, false, v->min_hours, v->rule_version);
	v->stations = calloc(n, sizeof *v->stations);
	v->n = n;
	for (size_t i = 0; i < n; i++) {
		struct aq_day_station *s = &v->stations[i];
		s->station.id = (int)i + 1;
		snprintf(s->station.code, sizeof s->station.code, "%s", spots[i].code);
		snprintf(s->station.name, sizeof s->station.name, "站%s", spots[i].code);
		snprintf(s->station.unit, sizeof s->station.unit, "%s街道", spots[i].code);
		s->station.kind = spots[i].kind;
		s->station.lat = spots[i].lat;
		s->station.lon = spots[i].lon;
		s->station.interval_s = 3600;
		s->station.active = true;
		s->station.created_day = DAY - 10;
		s->station.first_day = INT64_MAX;
		for (int h = 0; spots[i].pm10 >= 0 && h < spots[i].hours; h++) {
			s->hours[h].sum[AQ_PM25] = spots[i].pm25;
			s->hours[h].count[AQ_PM25] = 1;
			s->hours[h].sum[AQ_PM10] = spots[i].pm10;
			s->hours[h].count[AQ_PM10] = 1;
			s->hour_readings[h] = 1;
			s->readings++;
		}
	}
}

/* GC at 39.9289 N 116.4174 E; A 0.46 km north, B 0.99 km south, C 1.93 km east, D 5.34 km east. */
static const struct spot network[] = {
	{"A", AQ_KIND_MICRO, 39.9330, 116.4174, 50, 150, 24},	  {"B", AQ_KIND_MICRO, 39.9200, 116.4174, 40, 120, 24},
	{"C", AQ_KIND_MICRO, 39.9289, 116.4400, 60, 200, 24},	  {"D", AQ_KIND_MICRO, 39.9289, 116.4800, 30, 90, 24},
	{"E", AQ_KIND_MICRO, 39.9289, 116.4500, 30, 90, 10}, /* 10 hours: insufficient */
	{"GC", AQ_KIND_NATIONAL, 39.9289, 116.4174, 55, 160, 24},
};
#define N_NETWORK (sizeof network / sizeof network[0])

START_TEST(test_whole_day_values)
{
	struct aq_dayview v;
	make_view(&v, network, N_NETWORK, false, 24);
	aq_dayview_compute(&v);
	const struct aq_daily *a = &v.stations[0].daily;
	ck_assert(a->valid[AQ_PM10] && a->valid[AQ_PM25]);
	ck_assert_int_eq((int)a->published[AQ_PM10], 150);
	/* PM10 150 → IAQI 100, PM2.5 50 → 50 + (50−35)/(75−35)·50 = 68.75 → 69: AQI 100, PM10. */
	ck_assert_int_eq(a->aqi.aqi, 100);
	ck_assert_int_eq(a->aqi.level, 2);
	/* composite 50/35 + 150/70 = 1.428571 + 2.142857 = 3.571428 → 3.57 */
	ck_assert(a->has_composite);
	ck_assert_double_eq_tol(a->composite, 3.57, 1e-9);
	ck_assert(!v.stations[4].daily.valid[AQ_PM10]); /* 10 of 20 hours */
	ck_assert_int_eq(v.stations[4].daily.valid_hours[AQ_PM10], 10);
	ck_assert(v.stations[0].ranked);
	ck_assert(!v.stations[5].ranked); /* a national point is never ranked */
	aq_dayview_cleanup(&v);
	ck_assert_ptr_null(v.stations);
}
END_TEST

START_TEST(test_provisional_today)
{
	/* 10:xx: 11 hours begun, ceil(11 × 20 / 24) = ceil(9.17) = 10 valid hours suffice, so E's
	 * 10 hours make it complete; an 11th hour of readings is ignored only if not begun. */
	struct aq_dayview v;
	make_view(&v, network, N_NETWORK, true, 11);
	aq_dayview_compute(&v);
	ck_assert(v.stations[4].daily.valid[AQ_PM10]);
	ck_assert_int_eq(v.stations[4].daily.valid_hours[AQ_PM10], 10);
	/* A's 24 hours: the 13 not begun are forgotten (readings too). */
	ck_assert_int_eq(v.stations[0].daily.valid_hours[AQ_PM10], 11);
	ck_assert_int_eq(v.stations[0].readings, 11);
	ck_assert_int_eq(v.stations[0].hour_readings[11], 0);
	aq_dayview_cleanup(&v);

	/* 09:xx: 10 hours begun, ceil(10 × 20 / 24) = 9. */
	make_view(&v, network, N_NETWORK, true, 10);
	aq_dayview_compute(&v);
	ck_assert_int_eq(v.stations[4].daily.valid_hours[AQ_PM10], 10);
	ck_assert(v.stations[4].daily.valid[AQ_PM10]);
	aq_dayview_cleanup(&v);
}
END_TEST

START_TEST(test_which_stations_take_part)
{
	struct aq_dayview v;
	make_view(&v, network, N_NETWORK, false, 24);
	v.stations[0].station.active = false;	     /* deactivated */
	v.stations[1].station.created_day = DAY + 1; /* registered later, no earlier readings */
	v.stations[2].station.created_day = DAY + 1;
	v.stations[2].station.first_day = DAY - 3; /* registered later, backfilled history */
	aq_dayview_compute(&v);
	ck_assert(!v.stations[0].ranked);
	ck_assert(!v.stations[1].ranked);
	ck_assert(v.stations[2].ranked);
	ck_assert(v.stations[3].ranked);
	aq_dayview_cleanup(&v);
}
END_TEST

START_TEST(test_rank_network_and_ring)
{
	struct aq_dayview v;
	struct aq_day_ranking dr;
	make_view(&v, network, N_NETWORK, false, 24);
	aq_dayview_compute(&v);
	ck_assert_int_eq(aq_dayview_rank(&v, AQ_METRIC_PM10, AQ_INSUFFICIENT_SEPARATE, 1, SIZE_MAX, 3.0, &dr), 0);
	/* D 90, B 120, A 150, C 200; E insufficient; mean (90+120+150+200)/4 = 140. */
	const char *order[] = {"D", "B", "A", "C"};
	ck_assert_uint_eq(dr.r.n_rows, 4);
	for (size_t k = 0; k < 4; k++)
		ck_assert_str_eq(v.stations[dr.entry_station[dr.r.rows[k].entry]].station.code, order[k]);
	ck_assert_uint_eq(dr.n_insufficient, 1);
	ck_assert_str_eq(v.stations[dr.insufficient[0]].station.code, "E");
	ck_assert_double_eq_tol(dr.r.district_mean, 140, 1e-9);
	/* Nearest national point of C: GC 1.93 km, within 3 km; of D: 5.34 km, outside. */
	ck_assert(dr.nearest[2].has && dr.nearest[2].within);
	ck_assert_double_eq_tol(dr.nearest[2].distance_km, 1.93, 0.01);
	ck_assert(dr.nearest[3].has && !dr.nearest[3].within);
	ck_assert(!dr.nearest[5].has); /* the point itself has no other point */
	aq_day_ranking_cleanup(&dr);

	/* The ring of GC (index 5), 3 km: A, B, C only (E at 2.79 km is in the ring, insufficient). */
	ck_assert_int_eq(aq_dayview_rank(&v, AQ_METRIC_PM10, AQ_INSUFFICIENT_SEPARATE, 1, 5, 3.0, &dr), 0);
	ck_assert(dr.ring);
	ck_assert_uint_eq(dr.r.n_rows, 3);
	ck_assert_str_eq(v.stations[dr.entry_station[dr.r.rows[0].entry]].station.code, "B");
	ck_assert_uint_eq(dr.n_insufficient, 1);
	aq_day_ranking_cleanup(&dr);
	aq_dayview_cleanup(&v);
}
END_TEST

START_TEST(test_interview_entries)
{
	struct aq_dayview v;
	struct aq_day_ranking dr;
	struct aq_interview iv[1];
	make_view(&v, network, N_NETWORK, false, 24);
	aq_dayview_compute(&v);
	ck_assert_int_eq(aq_dayview_rank(&v, AQ_METRIC_PM10, AQ_INSUFFICIENT_SEPARATE, 1, SIZE_MAX, 3.0, &dr), 0);
	ck_assert_uint_eq(dr.r.n_interview, 1);
	aq_dayview_interviews(&v, &dr, iv);
	/* C: rank 4 of 4, 200 against the mean 140: (200 − 140) / 140 = 42.857 % → 42.9. */
	ck_assert_str_eq(iv[0].station, "C");
	ck_assert_str_eq(iv[0].name, "站C");
	ck_assert_str_eq(iv[0].unit, "C街道");
	ck_assert_int_eq(iv[0].rank, 4);
	ck_assert_int_eq(iv[0].of, 4);
	ck_assert_double_eq(iv[0].value, 200);
	ck_assert_double_eq(iv[0].district_mean, 140);
	ck_assert_double_eq_tol(iv[0].pct_above_mean, 42.9, 1e-9);
	ck_assert_int_eq(iv[0].valid_hours, 24);
	ck_assert_str_eq(iv[0].reason, "ranking");
	ck_assert_str_eq(iv[0].metric, "pm10");
	ck_assert_str_eq(iv[0].rule_version, "HJ633-2012/min20h");
	ck_assert_int_eq(iv[0].status, AQ_IV_PENDING);
	aq_day_ranking_cleanup(&dr);
	aq_dayview_cleanup(&v);
}
END_TEST

START_TEST(test_rule_version_and_standard)
{
	char buf[64];
	aq_rule_version("HJ633-2012", false, 18, buf);
	ck_assert_str_eq(buf, "HJ633-2012/min18h");
	aq_rule_version("HJ633-2026", true, 20, buf);
	ck_assert_str_eq(buf, "HJ633-2026/pinned/min20h");
	/* A snapshot's rule_version names its standard; an unknown one falls back to the date's. */
	ck_assert_str_eq(aq_day_standard_of_rule("HJ633-2012/min20h", 20600)->name, "HJ633-2012");
	ck_assert_str_eq(aq_day_standard_of_rule("HJ633-2026/min20h", 20600)->name, "HJ633-2026");
	ck_assert_str_eq(aq_day_standard_of_rule("junk", 20600)->name, "HJ633-2026");
	ck_assert_ptr_nonnull(aq_day_standard(AQ_STANDARD_AUTO, 0));
	ck_assert_ptr_nonnull(aq_day_standard(AQ_STANDARD_AUTO, DAY));
	aq_dayview_cleanup(NULL);
	aq_day_ranking_cleanup(NULL);
}
END_TEST

static Suite *dayview_suite(void)
{
	Suite *s = suite_create("dayview");
	TCase *tc = tcase_create("day");
	tcase_add_test(tc, test_whole_day_values);
	tcase_add_test(tc, test_provisional_today);
	tcase_add_test(tc, test_which_stations_take_part);
	tcase_add_test(tc, test_rank_network_and_ring);
	tcase_add_test(tc, test_interview_entries);
	tcase_add_test(tc, test_rule_version_and_standard);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	aq_timezone_set("Asia/Shanghai");
	SRunner *sr = srunner_create(dayview_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
