/* check_daycache.c — Check suite for daycache.c: merging hourly rows into a day (new stations
 * in any order, repeated stations, updates replacing a row, invalid hours ignored), lookups,
 * and the cache itself (copies out, takes ownership in, keeps the later marker of a day, evicts
 * the least recently stored day, a changed epoch wins, clear); decoding a station-day's packed
 * hours (011_hourly_days.sql) bit for bit, and refusing malformed ones. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aq_daycache.h"

static struct aq_hour_row row(int station, int hour, int readings, double pm25)
{
	struct aq_hour_row r = {.station_id = station, .hour = hour, .readings = readings};
	r.sums.sum[0] = pm25;
	r.sums.count[0] = readings;
	return r;
}

static void assert_sorted_unique(const struct aq_day_rows *d)
{
	for (size_t i = 1; i < d->n; i++)
		ck_assert_int_lt(d->stations[i - 1].station_id, d->stations[i].station_id);
}

START_TEST(test_merge_into_empty)
{
	struct aq_day_rows d = {0};
	/* Rows in seq-scan order: stations out of order and repeated. */
	struct aq_hour_row rows[] = {row(30, 0, 60, 600), row(10, 0, 60, 300), row(30, 1, 59, 590), row(20, 23, 1, 7.5),
				     row(10, 5, 45, 450)};
	ck_assert_int_eq(aq_day_rows_merge(&d, rows, 5), 0);
	ck_assert_uint_eq(d.n, 3);
	assert_sorted_unique(&d);
	const struct aq_station_hours *s30 = aq_day_rows_find(&d, 30);
	ck_assert_ptr_nonnull(s30);
	ck_assert_uint_eq(s30->present, 0x3u);
	ck_assert_int_eq(s30->readings[1], 59);
	ck_assert_double_eq(s30->hours[0].sum[0], 600);
	ck_assert_int_eq(s30->hours[1].count[0], 59);
	const struct aq_station_hours *s20 = aq_day_rows_find(&d, 20);
	ck_assert_uint_eq(s20->present, 1u << 23);
	ck_assert_double_eq(s20->hours[23].sum[0], 7.5);
	const struct aq_station_hours *s10 = aq_day_rows_find(&d, 10);
	ck_assert_uint_eq(s10->present, 1u | 1u << 5);
	ck_assert_ptr_null(aq_day_rows_find(&d, 15));
	ck_assert_ptr_null(aq_day_rows_find(&d, 31));
	aq_day_rows_cleanup(&d);
	ck_assert_ptr_null(d.stations);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

START_TEST(test_merge_updates_and_adds)
{
	struct aq_day_rows d = {0};
	struct aq_hour_row first[] = {row(5, 2, 10, 100), row(9, 2, 10, 90)};
	ck_assert_int_eq(aq_day_rows_merge(&d, first, 2), 0);
	const struct aq_station_hours *before = d.stations;
	/* An update of a known station's hour never reallocates. */
	struct aq_hour_row update[] = {row(9, 2, 20, 180), row(5, 3, 1, 1)};
	ck_assert_int_eq(aq_day_rows_merge(&d, update, 2), 0);
	ck_assert_ptr_eq(d.stations, before);
	ck_assert_int_eq(aq_day_rows_find(&d, 9)->readings[2], 20);
	ck_assert_double_eq(aq_day_rows_find(&d, 9)->hours[2].sum[0], 180);
	ck_assert_uint_eq(aq_day_rows_find(&d, 5)->present, 1u << 2 | 1u << 3);
	/* New stations below, between and above the known ones keep their rows in place. */
	struct aq_hour_row more[] = {row(12, 0, 1, 1), row(1, 0, 1, 1), row(7, 0, 1, 1), row(7, 1, 1, 2)};
	ck_assert_int_eq(aq_day_rows_merge(&d, more, 4), 0);
	ck_assert_uint_eq(d.n, 5);
	assert_sorted_unique(&d);
	ck_assert_int_eq(aq_day_rows_find(&d, 9)->readings[2], 20);
	ck_assert_uint_eq(aq_day_rows_find(&d, 7)->present, 0x3u);
	ck_assert_double_eq(aq_day_rows_find(&d, 5)->hours[2].sum[0], 100);
	aq_day_rows_cleanup(&d);
}
END_TEST

START_TEST(test_merge_ignores_bad_hours)
{
	struct aq_day_rows d = {0};
	struct aq_hour_row rows[] = {row(3, -1, 1, 1), row(4, 24, 1, 1), row(3, 0, 2, 2)};
	ck_assert_int_eq(aq_day_rows_merge(&d, rows, 3), 0);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(aq_day_rows_find(&d, 3)->present, 1u);
	ck_assert_int_eq(aq_day_rows_merge(&d, NULL, 0), 0);
	ck_assert_uint_eq(d.n, 1);
	aq_day_rows_cleanup(&d);
	aq_day_rows_cleanup(NULL);
}
END_TEST

/* A day of n stations with one row each, as of marker. */
static struct aq_day_rows day_of(int n, uint64_t marker, int64_t epoch)
{
	struct aq_day_rows d = {0};
	for (int i = 0; i < n; i++) {
		struct aq_hour_row r = row(100 + i, i % 24, i, i);
		ck_assert_int_eq(aq_day_rows_merge(&d, &r, 1), 0);
	}
	d.marker = marker;
	d.epoch = epoch;
	return d;
}

START_TEST(test_cache_get_put)
{
	struct aq_daycache *c = aq_daycache_new(2);
	struct aq_day_rows out;
	ck_assert_int_eq(aq_daycache_get(c, 20000, &out), 0);
	ck_assert_ptr_null(out.stations);

	struct aq_day_rows d = day_of(50, 1000, 1);
	aq_daycache_put(c, 20000, &d);
	ck_assert_ptr_null(d.stations); /* ownership taken */
	ck_assert_int_eq(aq_daycache_get(c, 20000, &out), 1);
	ck_assert_uint_eq(out.n, 50);
	ck_assert_uint_eq(out.marker, 1000);
	ck_assert_int_eq(out.epoch, 1);
	ck_assert_int_eq(aq_day_rows_find(&out, 149)->readings[49 % 24], 49);
	/* The copy is the caller's: changing it leaves the cache alone. */
	struct aq_hour_row r = row(100, 0, 99, 99);
	ck_assert_int_eq(aq_day_rows_merge(&out, &r, 1), 0);
	struct aq_day_rows again;
	ck_assert_int_eq(aq_daycache_get(c, 20000, &again), 1);
	ck_assert_int_eq(aq_day_rows_find(&again, 100)->readings[0], 0);
	aq_day_rows_cleanup(&out);
	aq_day_rows_cleanup(&again);
	ck_assert_int_eq(aq_daycache_get(c, 20001, &out), 0);
	aq_daycache_free(c);
	aq_daycache_free(NULL);
}
END_TEST

START_TEST(test_cache_keeps_later_marker)
{
	struct aq_daycache *c = aq_daycache_new(2);
	struct aq_day_rows newer = day_of(3, 2000, 1), older = day_of(5, 1500, 1), out;
	aq_daycache_put(c, 7, &newer);
	aq_daycache_put(c, 7, &older); /* a slower reader finishing late: dropped */
	ck_assert_ptr_null(older.stations);
	ck_assert_int_eq(aq_daycache_get(c, 7, &out), 1);
	ck_assert_uint_eq(out.marker, 2000);
	ck_assert_uint_eq(out.n, 3);
	aq_day_rows_cleanup(&out);
	/* After a removal (a new epoch) the reader that saw it wins whatever its marker. */
	struct aq_day_rows reloaded = day_of(2, 1800, 2);
	aq_daycache_put(c, 7, &reloaded);
	ck_assert_int_eq(aq_daycache_get(c, 7, &out), 1);
	ck_assert_int_eq(out.epoch, 2);
	ck_assert_uint_eq(out.n, 2);
	aq_day_rows_cleanup(&out);
	aq_daycache_free(c);
}
END_TEST

START_TEST(test_cache_evicts_oldest)
{
	struct aq_daycache *c = aq_daycache_new(2);
	struct aq_day_rows a = day_of(1, 1, 1), b = day_of(1, 2, 1), a2 = day_of(2, 3, 1), d3 = day_of(3, 4, 1);
	struct aq_day_rows out;
	aq_daycache_put(c, 1, &a);
	aq_daycache_put(c, 2, &b);
	aq_daycache_put(c, 1, &a2); /* day 1 stored again: day 2 is now the oldest */
	aq_daycache_put(c, 3, &d3);
	ck_assert_int_eq(aq_daycache_get(c, 2, &out), 0);
	ck_assert_int_eq(aq_daycache_get(c, 1, &out), 1);
	ck_assert_uint_eq(out.n, 2);
	aq_day_rows_cleanup(&out);
	ck_assert_int_eq(aq_daycache_get(c, 3, &out), 1);
	aq_day_rows_cleanup(&out);
	aq_daycache_clear(c);
	ck_assert_int_eq(aq_daycache_get(c, 1, &out), 0);
	ck_assert_int_eq(aq_daycache_get(c, 3, &out), 0);
	aq_daycache_free(c);
}
END_TEST

/* Appends n big-endian bytes of v (what PostgreSQL's int2send/int4send/float8send write). */
static unsigned char *put_be(unsigned char *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
	return p + n;
}

static unsigned char *put_double(unsigned char *p, double d)
{
	uint64_t bits;
	memcpy(&bits, &d, sizeof bits);
	return put_be(p, bits, 8);
}

/* One packed hourly row as 011_hourly_days.sql writes it. */
static unsigned char *pack_row(unsigned char *p, const struct aq_hour_row *r)
{
	p = put_be(p, (uint16_t)r->hour, 2);
	p = put_be(p, (uint32_t)r->readings, 4);
	for (int k = 0; k < AQ_POLLUTANTS; k++) {
		p = put_double(p, r->sums.sum[k]);
		p = put_be(p, (uint32_t)r->sums.count[k], 4);
	}
	p = put_double(p, r->sums.rh_sum);
	return put_be(p, (uint32_t)r->sums.rh_count, 4);
}

START_TEST(test_unpack_round_trip)
{
	/* Values whose bits matter: a sum that is not a short decimal, a negative zero, a large
	 * count; hours 0 and 23; every field distinct so a shifted offset shows. */
	struct aq_hour_row in[3];
	memset(in, 0, sizeof in);
	int hours[3] = {0, 7, 23};
	for (int i = 0; i < 3; i++) {
		in[i].station_id = 42;
		in[i].hour = hours[i];
		in[i].readings = 3590 + i;
		for (int k = 0; k < AQ_POLLUTANTS; k++) {
			in[i].sums.sum[k] = (0.1 + k) * (i + 1) / 3.0;
			in[i].sums.count[k] = 100 * i + k;
		}
		in[i].sums.rh_sum = 1e300 / (i + 7);
		in[i].sums.rh_count = 60 + i;
	}
	in[1].sums.sum[2] = -0.0;
	unsigned char packed[3 * AQ_PACKED_HOUR_BYTES], *p = packed;
	for (int i = 0; i < 3; i++)
		p = pack_row(p, &in[i]);
	ck_assert_uint_eq((size_t)(p - packed), sizeof packed);
	ck_assert_int_eq(AQ_PACKED_HOUR_BYTES, 90);

	struct aq_hour_row out[24];
	ck_assert_int_eq(aq_day_rows_unpack(42, packed, sizeof packed, out), 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(out[i].station_id, 42);
		ck_assert_int_eq(out[i].hour, hours[i]);
		ck_assert_int_eq(out[i].readings, in[i].readings);
		ck_assert_mem_eq(&out[i].sums.sum, &in[i].sums.sum, sizeof in[i].sums.sum); /* the bits */
		ck_assert_mem_eq(&out[i].sums.count, &in[i].sums.count, sizeof in[i].sums.count);
		ck_assert_mem_eq(&out[i].sums.rh_sum, &in[i].sums.rh_sum, sizeof(double));
		ck_assert_int_eq(out[i].sums.rh_count, in[i].sums.rh_count);
	}

	/* Merged, they are the day the hourly query's rows would make. */
	struct aq_day_rows a = {0}, b = {0};
	ck_assert_int_eq(aq_day_rows_merge(&a, out, 3), 0);
	ck_assert_int_eq(aq_day_rows_merge(&b, in, 3), 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_mem_eq(a.stations, b.stations, sizeof *a.stations);
	aq_day_rows_cleanup(&a);
	aq_day_rows_cleanup(&b);

	/* No rows: a station-day whose rows were all deleted never stays packed, but decodes. */
	ck_assert_int_eq(aq_day_rows_unpack(42, packed, 0, out), 0);
}
END_TEST

START_TEST(test_unpack_refuses_malformed)
{
	unsigned char packed[25 * AQ_PACKED_HOUR_BYTES];
	memset(packed, 0, sizeof packed);
	struct aq_hour_row out[24];
	ck_assert_int_eq(aq_day_rows_unpack(1, packed, AQ_PACKED_HOUR_BYTES - 1, out), -1); /* torn row */
	ck_assert_int_eq(aq_day_rows_unpack(1, packed, sizeof packed, out), -1);	    /* 25 rows */
	packed[0] = 0, packed[1] = 24;							    /* hour 24 */
	ck_assert_int_eq(aq_day_rows_unpack(1, packed, AQ_PACKED_HOUR_BYTES, out), -1);
	packed[0] = 0xff, packed[1] = 0xff; /* hour -1 */
	ck_assert_int_eq(aq_day_rows_unpack(1, packed, AQ_PACKED_HOUR_BYTES, out), -1);
	packed[0] = 0, packed[1] = 23;
	ck_assert_int_eq(aq_day_rows_unpack(1, packed, AQ_PACKED_HOUR_BYTES, out), 1);
}
END_TEST

START_TEST(test_add_packed_equals_merge)
{
	/* Two stations' packed days (one in hour order, one not, one hour twice: the later wins,
	 * as in a merge) appended in id order make the day the merge of their rows makes. */
	struct aq_hour_row in[5];
	memset(in, 0, sizeof in);
	int ids[5] = {3, 3, 9, 9, 9}, hours[5] = {5, 1, 23, 0, 23};
	for (int i = 0; i < 5; i++) {
		in[i].station_id = ids[i];
		in[i].hour = hours[i];
		in[i].readings = 50 + i;
		for (int k = 0; k < AQ_POLLUTANTS; k++) {
			in[i].sums.sum[k] = (k + 1) * 1.1 + i;
			in[i].sums.count[k] = i + k;
		}
		in[i].sums.rh_sum = 40.5 * (i + 1);
		in[i].sums.rh_count = 60;
	}
	unsigned char a3[2 * AQ_PACKED_HOUR_BYTES], a9[3 * AQ_PACKED_HOUR_BYTES], *p = a3;
	for (int i = 0; i < 2; i++)
		p = pack_row(p, &in[i]);
	p = a9;
	for (int i = 2; i < 5; i++)
		p = pack_row(p, &in[i]);

	struct aq_day_rows direct = {0}, merged = {0};
	direct.stations = calloc(3, sizeof *direct.stations);
	ck_assert_ptr_nonnull(direct.stations);
	ck_assert_int_eq(aq_day_rows_add_packed(&direct, 3, a3, sizeof a3), 2);
	ck_assert_int_eq(aq_day_rows_add_packed(&direct, 5, a3, 0), 0); /* no hours: not added */
	ck_assert_int_eq(aq_day_rows_add_packed(&direct, 9, a9, sizeof a9), 3);
	ck_assert_int_eq(aq_day_rows_merge(&merged, in, 5), 0);
	ck_assert_uint_eq(direct.n, 2);
	ck_assert_uint_eq(merged.n, 2);
	ck_assert_mem_eq(direct.stations, merged.stations, 2 * sizeof *direct.stations);
	ck_assert_ptr_null(aq_day_rows_find(&direct, 5));

	/* Out of order or malformed: refused, the day unchanged. */
	ck_assert_int_eq(aq_day_rows_add_packed(&direct, 4, a3, sizeof a3), -1);
	ck_assert_int_eq(aq_day_rows_add_packed(&direct, 10, a3, sizeof a3 - 1), -1);
	ck_assert_uint_eq(direct.n, 2);
	aq_day_rows_cleanup(&direct);
	aq_day_rows_cleanup(&merged);
}
END_TEST

static Suite *daycache_suite(void)
{
	Suite *s = suite_create("daycache");
	TCase *tc = tcase_create("rows");
	tcase_add_test(tc, test_merge_into_empty);
	tcase_add_test(tc, test_merge_updates_and_adds);
	tcase_add_test(tc, test_merge_ignores_bad_hours);
	suite_add_tcase(s, tc);
	tc = tcase_create("packed");
	tcase_add_test(tc, test_unpack_round_trip);
	tcase_add_test(tc, test_unpack_refuses_malformed);
	tcase_add_test(tc, test_add_packed_equals_merge);
	suite_add_tcase(s, tc);
	tc = tcase_create("cache");
	tcase_add_test(tc, test_cache_get_put);
	tcase_add_test(tc, test_cache_keeps_later_marker);
	tcase_add_test(tc, test_cache_evicts_oldest);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(daycache_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
