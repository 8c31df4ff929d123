/* check_time.c — Check suite for timeutil.c and clock.c: RFC 3339 parsing (accepted forms,
 * every rejection rule, exact microsecond values computed independently with Python's
 * datetime), the civil calendar against an independent day-by-day walk, strict dates,
 * formatting round trips, local time through the tz database, and the frozen clock. */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aq_clock.h"
#include "aq_time.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define S INT64_C(1000000)

/* 2017-12-07T14:00:00+08:00, the SPEC's example instant. */
#define EX_US (INT64_C(1512626400) * S)

/* --- RFC 3339 --- */

struct rfc_case {
	const char *in;
	bool ok;
	int64_t us;	     /* when ok */
	const char *problem; /* when not ok: a substring of the problem text */
};

static const struct rfc_case rfc_cases[] = {
	/* offsets: the same instant written eight ways */
	{"2017-12-07T14:00:00+08:00", true, EX_US, NULL},
	{"2017-12-07T06:00:00Z", true, EX_US, NULL},
	{"2017-12-07T06:00:00z", true, EX_US, NULL},
	{"2017-12-07t06:00:00Z", true, EX_US, NULL},
	{"2017-12-07T06:00:00+00:00", true, EX_US, NULL},
	{"2017-12-07T06:00:00-00:00", true, EX_US, NULL},
	{"2017-12-07T01:00:00-05:00", true, EX_US, NULL},
	{"2017-12-07T11:30:00+05:30", true, EX_US, NULL},
	{"2017-12-07T11:45:00+05:45", true, EX_US, NULL},
	{"2017-12-07T02:30:00-03:30", true, EX_US, NULL},
	{"2017-12-31T23:59:59+23:59", true, INT64_C(1514678459) * S, NULL},
	/* fractions of 1..6 digits */
	{"2017-12-07T14:00:00.5+08:00", true, EX_US + 500000, NULL},
	{"2017-12-07T14:00:00.1+08:00", true, EX_US + 100000, NULL},
	{"2017-12-07T14:00:00.12+08:00", true, EX_US + 120000, NULL},
	{"2017-12-07T14:00:00.123+08:00", true, EX_US + 123000, NULL},
	{"2017-12-07T14:00:00.1234+08:00", true, EX_US + 123400, NULL},
	{"2017-12-07T14:00:00.12345+08:00", true, EX_US + 123450, NULL},
	{"2017-12-07T14:00:00.123456+08:00", true, EX_US + 123456, NULL},
	{"2017-12-07T14:00:00.000001+08:00", true, EX_US + 1, NULL},
	{"2017-12-07T14:00:00.000000Z", true, EX_US + 8 * 3600 * S, NULL},
	{"2017-12-07T14:00:00.999999-01:00", true, EX_US + 9 * 3600 * S + 999999, NULL},
	/* calendar corners */
	{"1970-01-01T00:00:00Z", true, 0, NULL},
	{"1970-01-01T08:00:00+08:00", true, 0, NULL},
	{"1969-12-31T23:59:59Z", true, -S, NULL},
	{"1969-12-31T23:59:59.5Z", true, -500000, NULL},
	{"2000-01-01T00:00:00Z", true, INT64_C(946684800) * S, NULL},
	{"2000-02-29T00:00:00Z", true, INT64_C(951782400) * S, NULL},
	{"2016-02-29T12:00:00Z", true, INT64_C(1456747200) * S, NULL},
	{"2017-12-07T00:00:00+08:00", true, INT64_C(1512576000) * S, NULL},
	{"2017-12-07T23:59:59.999999+08:00", true, INT64_C(1512662399) * S + 999999, NULL},
	{"2038-01-19T03:14:08Z", true, INT64_C(2147483648) * S, NULL},
	{"0001-01-01T00:00:00Z", true, INT64_C(-62135596800) * S, NULL},
	{"9999-12-31T23:59:59Z", true, INT64_C(253402300799) * S, NULL},
	{"1988-07-01T12:00:00+09:00", true, INT64_C(583729200) * S, NULL},
	/* fractions */
	{"2017-12-07T14:00:00.1234567+08:00", false, 0, "more than 6 fractional digits"},
	{"2017-12-07T14:00:00.0000000Z", false, 0, "more than 6 fractional digits"},
	{"2017-12-07T14:00:00.+08:00", false, 0, "empty fraction"},
	{"2017-12-07T14:00:00.Z", false, 0, "empty fraction"},
	{"2017-12-07T14:00:00,5Z", false, 0, "explicit UTC offset"},
	/* offsets */
	{"2017-12-07T14:00:00", false, 0, "explicit UTC offset"},
	{"2017-12-07T14:00:00.5", false, 0, "explicit UTC offset"},
	{"2017-12-07T14:00:00 +08:00", false, 0, "explicit UTC offset"},
	{"2017-12-07T14:00:00UTC", false, 0, "explicit UTC offset"},
	{"2017-12-07T14:00:00\xe2\x88\x92"
	 "08:00",
	 false, 0, "explicit UTC offset"}, /* U+2212 */
	{"2017-12-07T14:00:00+08", false, 0, "malformed UTC offset"},
	{"2017-12-07T14:00:00+0800", false, 0, "malformed UTC offset"},
	{"2017-12-07T14:00:00+8:00", false, 0, "malformed UTC offset"},
	{"2017-12-07T14:00:00+08:0", false, 0, "malformed UTC offset"},
	{"2017-12-07T14:00:00+24:00", false, 0, "malformed UTC offset"},
	{"2017-12-07T14:00:00+08:60", false, 0, "malformed UTC offset"},
	{"2017-12-07T14:00:00+", false, 0, "malformed UTC offset"},
	/* calendar dates */
	{"2017-02-29T00:00:00Z", false, 0, "not a calendar date"},
	{"1900-02-29T00:00:00Z", false, 0, "not a calendar date"},
	{"2100-02-29T00:00:00Z", false, 0, "not a calendar date"},
	{"2017-13-07T00:00:00Z", false, 0, "not a calendar date"},
	{"2017-00-07T00:00:00Z", false, 0, "not a calendar date"},
	{"2017-12-00T00:00:00Z", false, 0, "not a calendar date"},
	{"2017-12-32T00:00:00Z", false, 0, "not a calendar date"},
	{"2017-04-31T00:00:00Z", false, 0, "not a calendar date"},
	{"0000-01-01T00:00:00Z", false, 0, "not a calendar date"},
	/* time of day */
	{"2017-12-07T24:00:00Z", false, 0, "out of range"},
	{"2017-12-07T23:60:00Z", false, 0, "out of range"},
	{"2017-12-07T23:59:60Z", false, 0, "out of range"},
	{"2016-12-31T23:59:60Z", false, 0, "out of range"}, /* a real leap second: still out */
	{"2017-12-07T99:00:00Z", false, 0, "out of range"},
	/* trailing characters */
	{"2017-12-07T14:00:00Z ", false, 0, "trailing characters"},
	{"2017-12-07T14:00:00Z\n", false, 0, "trailing characters"},
	{"2017-12-07T14:00:00+08:00x", false, 0, "trailing characters"},
	{"2017-12-07T14:00:00+08:00:00", false, 0, "trailing characters"},
	{"2017-12-07T14:00:00ZZ", false, 0, "trailing characters"},
	/* not the shape at all */
	{"", false, 0, "RFC 3339"},
	{"2017-12-07", false, 0, "RFC 3339"},
	{"2017-12-07 14:00:00Z", false, 0, "RFC 3339"},
	{"2017-12-07_14:00:00Z", false, 0, "RFC 3339"},
	{" 2017-12-07T14:00:00Z", false, 0, "RFC 3339"},
	{"2017-12-7T14:00:00Z", false, 0, "RFC 3339"},
	{"17-12-07T14:00:00Z", false, 0, "RFC 3339"},
	{"+2017-12-07T14:00:00Z", false, 0, "RFC 3339"},
	{"12017-12-07T14:00:00Z", false, 0, "RFC 3339"},
	{"2017/12/07T14:00:00Z", false, 0, "RFC 3339"},
	{"20171207T140000Z", false, 0, "RFC 3339"},
	{"2017-12-07T14:00Z", false, 0, "RFC 3339"},
	{"2017-12-07T14", false, 0, "RFC 3339"},
	{"2017-12-07T14:00:0Z", false, 0, "RFC 3339"},
	{"2017-12-07T1a:00:00Z", false, 0, "RFC 3339"},
	{"yesterday", false, 0, "RFC 3339"},
	{"\xef\xbc\x92\xef\xbc\x90\xef\xbc\x91\xef\xbc\x97-12-07T14:00:00Z", false, 0, "RFC 3339"},
};

START_TEST(test_rfc3339)
{
	const struct rfc_case *c = &rfc_cases[_i];
	const int64_t sentinel = INT64_C(0x5a5a5a5a5a5a);
	int64_t us = sentinel;
	const char *problem = NULL;
	bool ok = aq_time_parse_rfc3339(c->in, &us, &problem);

	ck_assert_msg(ok == c->ok, "\"%s\": parse %s, want %s (problem: %s)", c->in, ok ? "ok" : "failed",
		      c->ok ? "ok" : "failure", problem ? problem : "none");
	if (c->ok) {
		ck_assert_msg(us == c->us, "\"%s\": %lld us, want %lld", c->in, (long long)us, (long long)c->us);
	} else {
		ck_assert_msg(problem != NULL, "\"%s\": rejected without a problem", c->in);
		ck_assert_msg(strstr(problem, c->problem) != NULL, "\"%s\": problem \"%s\", want \"%s\"", c->in,
			      problem, c->problem);
		ck_assert_msg(us == sentinel, "\"%s\": rejected but *us was written", c->in);
	}
}
END_TEST

/* --- civil calendar --- */

struct civil_case {
	int y, m, d;
	int64_t days;
};

/* Reference day numbers from Python: (date(y, m, d) - date(1970, 1, 1)).days. */
static const struct civil_case civil_cases[] = {
	{1970, 1, 1, 0},      {1969, 12, 31, -1},      {2000, 1, 1, 10957}, {2000, 3, 1, 11017},
	{2016, 2, 29, 16860}, {2017, 12, 7, 17507},    {1988, 7, 1, 6756},  {1600, 2, 29, -135081},
	{1, 1, 1, -719162},   {9999, 12, 31, 2932896}, {0, 3, 1, -719468},
};

START_TEST(test_civil_known)
{
	const struct civil_case *c = &civil_cases[_i];
	int y, m, d;
	int64_t days = aq_days_from_civil(c->y, c->m, c->d);
	ck_assert_msg(days == c->days, "%04d-%02d-%02d: day %lld, want %lld", c->y, c->m, c->d, (long long)days,
		      (long long)c->days);
	aq_civil_from_days(c->days, &y, &m, &d);
	ck_assert_msg(y == c->y && m == c->m && d == c->d, "day %lld: %d-%d-%d, want %d-%d-%d", (long long)c->days, y,
		      m, d, c->y, c->m, c->d);
}
END_TEST

static int walk_month_days(int y, int m)
{
	static const int md[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return md[m - 1] + (m == 2 && leap);
}

/* An independent reference: walk the calendar one day at a time from 1970-01-01, forwards
 * (_i == 0) or backwards (_i == 1), about 8200 years each way, and compare every day. */
START_TEST(test_civil_walk)
{
	int y = 1970, m = 1, d = 1;
	const int64_t span = 3000000;
	for (int64_t k = 0; k <= span; k++) {
		int64_t day = _i == 0 ? k : -k;
		int cy, cm, cd;
		aq_civil_from_days(day, &cy, &cm, &cd);
		if (cy != y || cm != m || cd != d)
			ck_abort_msg("day %lld: civil_from_days %d-%d-%d, walk %d-%d-%d", (long long)day, cy, cm, cd, y,
				     m, d);
		int64_t back = aq_days_from_civil(y, m, d);
		if (back != day)
			ck_abort_msg("%d-%d-%d: days_from_civil %lld, want %lld", y, m, d, (long long)back,
				     (long long)day);
		if (_i == 0) {
			if (++d > walk_month_days(y, m)) {
				d = 1;
				if (++m > 12) {
					m = 1;
					y++;
				}
			}
		} else if (--d < 1) {
			if (--m < 1) {
				m = 12;
				y--;
			}
			d = walk_month_days(y, m);
		}
	}
	ck_assert_int_eq(_i == 0 ? y > 10000 : y < -6000, 1);
}
END_TEST

struct valid_case {
	int y, m, d;
	bool ok;
};

static const struct valid_case valid_cases[] = {
	{2017, 12, 7, true}, {2016, 2, 29, true},  {2017, 2, 29, false}, {2000, 2, 29, true},  {1900, 2, 29, false},
	{2017, 2, 28, true}, {2017, 4, 30, true},  {2017, 4, 31, false}, {2017, 1, 31, true},  {2017, 1, 32, false},
	{2017, 0, 1, false}, {2017, 13, 1, false}, {2017, 1, 0, false},	 {2017, 1, -1, false}, {1, 1, 1, true},
	{0, 1, 1, false},    {9999, 12, 31, true}, {10000, 1, 1, false}, {-1, 1, 1, false},
};

START_TEST(test_date_valid)
{
	const struct valid_case *c = &valid_cases[_i];
	ck_assert_msg(aq_date_valid(c->y, c->m, c->d) == c->ok, "%d-%d-%d: valid %d, want %d", c->y, c->m, c->d, !c->ok,
		      c->ok);
}
END_TEST

struct date_parse_case {
	const char *in;
	bool ok;
	int64_t day;
};

static const struct date_parse_case date_parse_cases[] = {
	{"2017-12-07", true, 17507},   {"1970-01-01", true, 0},
	{"1969-12-31", true, -1},      {"2016-02-29", true, 16860},
	{"0001-01-01", true, -719162}, {"9999-12-31", true, 2932896},
	{"2017-02-29", false, 0},      {"0000-01-01", false, 0},
	{"2017-13-01", false, 0},      {"2017-12-7", false, 0},
	{"2017-1-07", false, 0},       {"17-12-07", false, 0},
	{"+2017-12-07", false, 0},     {"20171207", false, 0},
	{"2017/12/07", false, 0},      {"2017-12-07T00:00:00Z", false, 0},
	{"2017-12-07 ", false, 0},     {" 2017-12-07", false, 0},
	{"2017-12-07\n", false, 0},    {"2017-12-0a", false, 0},
	{"2017-12-", false, 0},	       {"", false, 0},
};

START_TEST(test_date_parse)
{
	const struct date_parse_case *c = &date_parse_cases[_i];
	int64_t day = 424242;
	bool ok = aq_date_parse(c->in, &day);
	ck_assert_msg(ok == c->ok, "\"%s\": %s, want %s", c->in, ok ? "accepted" : "rejected",
		      c->ok ? "accepted" : "rejected");
	if (c->ok)
		ck_assert_msg(day == c->day, "\"%s\": day %lld, want %lld", c->in, (long long)day, (long long)c->day);
	else
		ck_assert_msg(day == 424242, "\"%s\": rejected but *day was written", c->in);
}
END_TEST

struct date_format_case {
	int64_t day;
	const char *out;
};

static const struct date_format_case date_format_cases[] = {
	{0, "1970-01-01"},     {-1, "1969-12-31"},	{17507, "2017-12-07"},
	{16860, "2016-02-29"}, {-719162, "0001-01-01"}, {2932896, "9999-12-31"},
};

START_TEST(test_date_format)
{
	const struct date_format_case *c = &date_format_cases[_i];
	char buf[11];
	int64_t back = 0;
	aq_date_format(c->day, buf);
	ck_assert_str_eq(buf, c->out);
	ck_assert(aq_date_parse(buf, &back));
	ck_assert_int_eq(back, c->day);
}
END_TEST

/* --- formatting --- */

struct format_case {
	int64_t us;
	int offset_s;
	const char *out;
};

static const struct format_case format_cases[] = {
	{EX_US, 28800, "2017-12-07T14:00:00+08:00"},
	{EX_US, 0, "2017-12-07T06:00:00Z"},
	{EX_US + 2 * S, 28800, "2017-12-07T14:00:02+08:00"},
	{EX_US + 123456, 28800, "2017-12-07T14:00:00.123456+08:00"},
	{EX_US + 500000, 28800, "2017-12-07T14:00:00.500000+08:00"},
	{EX_US + 1, 0, "2017-12-07T06:00:00.000001Z"},
	{EX_US, -18000, "2017-12-07T01:00:00-05:00"},
	{EX_US, 19800, "2017-12-07T11:30:00+05:30"},
	{EX_US, 20700, "2017-12-07T11:45:00+05:45"},
	{EX_US, -12600, "2017-12-07T02:30:00-03:30"},
	{EX_US, -1800, "2017-12-07T05:30:00-00:30"},
	{EX_US, 50400, "2017-12-07T20:00:00+14:00"},
	{INT64_C(1512590400) * S, 28800, "2017-12-07T04:00:00+08:00"}, /* crosses the date */
	{INT64_C(1512576000) * S - 1, 28800, "2017-12-06T23:59:59.999999+08:00"},
	{0, 0, "1970-01-01T00:00:00Z"},
	{-1, 0, "1969-12-31T23:59:59.999999Z"},
	{-500000, 0, "1969-12-31T23:59:59.500000Z"},
	{-S, 3600, "1970-01-01T00:59:59+01:00"},
	{INT64_C(951782400) * S, 0, "2000-02-29T00:00:00Z"},
	{INT64_C(-62135596800) * S, 0, "0001-01-01T00:00:00Z"},
	{INT64_C(253402300799) * S + 999999, 0, "9999-12-31T23:59:59.999999Z"},
};

START_TEST(test_format)
{
	const struct format_case *c = &format_cases[_i];
	char buf[40];
	int64_t back = 0;
	const char *problem = NULL;
	size_t n = aq_time_format(c->us, c->offset_s, buf, sizeof buf);
	ck_assert_str_eq(buf, c->out);
	ck_assert_uint_eq(n, strlen(c->out));
	ck_assert_msg(aq_time_parse_rfc3339(buf, &back, &problem), "\"%s\" does not parse back: %s", buf, problem);
	ck_assert_msg(back == c->us, "\"%s\" parses back to %lld, want %lld", buf, (long long)back, (long long)c->us);
}
END_TEST

static const int round_trip_offsets[] = {-43200, -34200, -18000, -1800, 0, 19800, 20700, 28800, 32400, 50400};

/* format → parse is the identity for every instant and whole-minute offset. */
START_TEST(test_format_round_trip)
{
	const int offset = round_trip_offsets[_i];
	int64_t us = INT64_C(-2208988800) * S;	     /* 1900-01-01 */
	const int64_t end = INT64_C(4102444800) * S; /* 2100-01-01 */
	/* an odd step so that seconds, minutes, hours, days and fractions all vary */
	const int64_t step = INT64_C(86399) * S * 7 + 777777;
	int count = 0;
	for (; us < end; us += step, count++) {
		char buf[40];
		int64_t back = 0;
		const char *problem = NULL;
		aq_time_format(us, offset, buf, sizeof buf);
		if (!aq_time_parse_rfc3339(buf, &back, &problem))
			ck_abort_msg("%lld at %+d s: \"%s\" does not parse: %s", (long long)us, offset, buf, problem);
		if (back != us)
			ck_abort_msg("%lld at %+d s: \"%s\" parses to %lld", (long long)us, offset, buf,
				     (long long)back);
	}
	ck_assert_int_gt(count, 5000);
}
END_TEST

/* --- local time (clock.c) --- */

static void shanghai(void)
{
	aq_timezone_set("Asia/Shanghai");
}

struct local_case {
	const char *zone;
	int64_t us;
	int64_t day; /* local day */
	int hour;
	int offset_s;
	const char *formatted;
};

static const struct local_case local_cases[] = {
	{"Asia/Shanghai", EX_US, 17507, 14, 28800, "2017-12-07T14:00:00+08:00"},
	{"Asia/Shanghai", EX_US + 2500000, 17507, 14, 28800, "2017-12-07T14:00:02.500000+08:00"},
	{"Asia/Shanghai", INT64_C(1512576000) * S, 17507, 0, 28800, "2017-12-07T00:00:00+08:00"},
	{"Asia/Shanghai", INT64_C(1512576000) * S - 1, 17506, 23, 28800, "2017-12-06T23:59:59.999999+08:00"},
	{"Asia/Shanghai", 0, 0, 8, 28800, "1970-01-01T08:00:00+08:00"},
	/* one microsecond before the epoch: floor, not truncation, to seconds */
	{"Asia/Shanghai", -1, 0, 7, 28800, "1970-01-01T07:59:59.999999+08:00"},
	/* China observed DST 1986-1991 */
	{"Asia/Shanghai", INT64_C(583729200) * S, 6756, 12, 32400, "1988-07-01T12:00:00+09:00"},
	{"UTC", EX_US, 17507, 6, 0, "2017-12-07T06:00:00Z"},
	{"America/New_York", EX_US, 17507, 1, -18000, "2017-12-07T01:00:00-05:00"},
	{"America/New_York", INT64_C(1489334400) * S, 17237, 12, -14400, "2017-03-12T12:00:00-04:00"},
	{"Asia/Kolkata", EX_US, 17507, 11, 19800, "2017-12-07T11:30:00+05:30"},
};

START_TEST(test_local_of)
{
	const struct local_case *c = &local_cases[_i];
	int64_t day = -7;
	int hour = -7, offset = -7;
	char buf[40];
	aq_timezone_set(c->zone);
	aq_local_of(c->us, &day, &hour, &offset);
	ck_assert_msg(day == c->day && hour == c->hour && offset == c->offset_s,
		      "%s %lld: day %lld hour %d offset %d, want %lld %d %d", c->zone, (long long)c->us, (long long)day,
		      hour, offset, (long long)c->day, c->hour, c->offset_s);
	/* every out-parameter may be NULL */
	aq_local_of(c->us, NULL, NULL, NULL);
	aq_local_format(c->us, buf, sizeof buf);
	ck_assert_str_eq(buf, c->formatted);
}
END_TEST

/* aq_local_of remembers its last second per thread: a zone change must not reuse it. */
START_TEST(test_local_of_follows_zone_change)
{
	int64_t day, day2;
	int hour, hour2, offset, offset2;
	aq_timezone_set("Asia/Shanghai");
	aq_local_of(EX_US, &day, &hour, &offset);
	aq_local_of(EX_US + 1, &day2, &hour2, &offset2); /* same second: remembered */
	ck_assert(day == day2 && hour == hour2 && offset == offset2 && offset == 8 * 3600);
	aq_timezone_set("America/New_York");
	aq_local_of(EX_US, &day, &hour, &offset);
	ck_assert_int_eq(offset, -5 * 3600);
	ck_assert_int_eq(hour, 1);
	aq_timezone_set("Asia/Shanghai");
	aq_local_of(EX_US, NULL, &hour, &offset);
	ck_assert_int_eq(offset, 8 * 3600);
	ck_assert_int_eq(hour, 14);
}
END_TEST

/* aq_local_of remembers an hour's offset per thread: it must agree with libc second by second
 * near every transition, and at steps through years, in zones whose offsets change on the
 * hour, at a half hour (Lord Howe moves 30 minutes at 02:00 standard time, 15:30 UTC) and
 * in 45-minute zones. */
static const char *const walk_of_zones[] = {"Asia/Shanghai",	   "America/New_York", "Europe/London",
					    "Australia/Lord_Howe", "Asia/Kathmandu",   "America/St_Johns"};

static void expect_libc(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	int64_t day;
	int hour, offset;
	aq_local_of(t * S + 999999, &day, &hour, &offset);
	ck_assert_msg(offset == (int)tm.tm_gmtoff && hour == tm.tm_hour &&
			      day == aq_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday),
		      "%s at %lld: day %lld hour %d offset %d, libc %04d-%02d-%02d %d %ld", getenv("TZ"), (long long)t,
		      (long long)day, hour, offset, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		      (long)tm.tm_gmtoff);
}

START_TEST(test_local_of_walk_agrees_with_libc)
{
	aq_timezone_set(walk_of_zones[_i]);
	const int64_t from = INT64_C(1356998400), to = INT64_C(1420070400); /* 2013 and 2014 */
	int last_offset = INT_MIN;
	for (int64_t t = from; t < to; t += 599) {
		expect_libc(t);
		time_t tt = (time_t)t;
		struct tm tm;
		localtime_r(&tt, &tm);
		if (last_offset != INT_MIN && tm.tm_gmtoff != last_offset) /* a transition: every second */
			for (int64_t u = t - 1200; u <= t + 1200; u++)
				expect_libc(u);
		last_offset = (int)tm.tm_gmtoff;
	}
}
END_TEST

struct midnight_case {
	const char *zone;
	int y, m, d;
	int64_t us;
};

static const struct midnight_case midnight_cases[] = {
	{"Asia/Shanghai", 2017, 12, 7, INT64_C(1512576000) * S},
	{"Asia/Shanghai", 1970, 1, 1, INT64_C(-28800) * S},
	{"Asia/Shanghai", 2016, 2, 29, INT64_C(1456675200) * S},
	{"Asia/Shanghai", 1988, 7, 1, INT64_C(583686000) * S}, /* DST: 00:00+09:00 */
	{"UTC", 2017, 12, 7, INT64_C(1512604800) * S},
	{"America/New_York", 2017, 3, 12, INT64_C(1489294800) * S}, /* DST starts at 02:00 */
	/* Sao Paulo's DST began at midnight: the day starts at 01:00-02:00 */
	{"America/Sao_Paulo", 2018, 11, 4, INT64_C(1541300400) * S},
};

START_TEST(test_local_midnight)
{
	const struct midnight_case *c = &midnight_cases[_i];
	aq_timezone_set(c->zone);
	int64_t day = aq_days_from_civil(c->y, c->m, c->d);
	int64_t us = aq_local_midnight(day);
	ck_assert_msg(us == c->us, "%s %04d-%02d-%02d: midnight %lld, want %lld", c->zone, c->y, c->m, c->d,
		      (long long)us, (long long)c->us);
}
END_TEST

static const char *const walk_zones[] = {"Asia/Shanghai",     "UTC",	     "America/New_York",
					 "America/Sao_Paulo", "Asia/Tehran", "Australia/Lord_Howe"};

/* For every day 1970..2040: local midnight belongs to that day, the microsecond before it to
 * the previous day, and the next midnight is 23 to 25 hours later. */
START_TEST(test_local_midnight_walk)
{
	aq_timezone_set(walk_zones[_i]);
	for (int64_t day = 0; day < aq_days_from_civil(2040, 1, 1); day++) {
		int64_t mid = aq_local_midnight(day), got_day, prev_day;
		int hour, prev_hour;
		aq_local_of(mid, &got_day, &hour, NULL);
		aq_local_of(mid - 1, &prev_day, &prev_hour, NULL);
		if (got_day != day || prev_day != day - 1)
			ck_abort_msg("%s day %lld: midnight is in day %lld (hour %d), the us before in %lld",
				     walk_zones[_i], (long long)day, (long long)got_day, hour, (long long)prev_day);
		int64_t len = aq_local_midnight(day + 1) - mid;
		if (len < 23 * 3600 * S || len > 25 * 3600 * S)
			ck_abort_msg("%s day %lld lasts %lld us", walk_zones[_i], (long long)day, (long long)len);
	}
}
END_TEST

struct tz_case {
	const char *name;
	bool ok;
};

static const struct tz_case tz_cases[] = {
	{"Asia/Shanghai", true},
	{"UTC", true},
	{"Etc/UTC", true},
	{"Europe/London", true},
	{"America/New_York", true},
	{"America/Argentina/Buenos_Aires", true},
	{"Etc/GMT-8", true},
	{NULL, false},
	{"", false},
	{"Mars/Olympus_Mons", false},
	{"asia/shanghai", false},
	{"Asia/Shanghai ", false},
	{" Asia/Shanghai", false},
	{"Asia/Shanghai/", false},
	{"Asia/Beijing", false},
	{"CST-8", false},
	{"/usr/share/zoneinfo/Asia/Shanghai", false},
	{"/etc/localtime", false},
	{"../../../etc/passwd", false},
	{"Asia/../Asia/Shanghai", false},
	/* Regression (fixed): aq_timezone_valid only checks that a readable path exists under
	 * /usr/share/zoneinfo, so directories and non-TZif files pass; glibc then silently
	 * falls back to UTC (AQRANK_TIMEZONE=Asia starts a daemon that runs on UTC days). */
	{"Asia", false},
	{".", false},
	{"zone.tab", false},
	{"tzdata.zi", false},
};

START_TEST(test_timezone_valid)
{
	const struct tz_case *c = &tz_cases[_i];
	ck_assert_msg(aq_timezone_valid(c->name) == c->ok, "\"%s\": valid %d, want %d", c->name ? c->name : "(null)",
		      !c->ok, c->ok);
}
END_TEST

/* Every name aq_timezone_valid accepts must give glibc a real zone: checked here with a zone
 * whose offset is known, as a guard for the table above. */
START_TEST(test_timezone_set_applies)
{
	int offset = 0;
	aq_timezone_set("Asia/Shanghai");
	aq_local_of(EX_US, NULL, NULL, &offset);
	ck_assert_int_eq(offset, 28800);
	aq_timezone_set("Europe/London");
	aq_local_of(EX_US, NULL, NULL, &offset);
	ck_assert_int_eq(offset, 0);
	aq_timezone_set("Asia/Kolkata");
	aq_local_of(EX_US, NULL, NULL, &offset);
	ck_assert_int_eq(offset, 19800);
}
END_TEST

/* --- the clock --- */

struct clock_case {
	bool frozen;
	int64_t us;
};

static const struct clock_case clock_cases[] = {
	{true, EX_US}, {true, 0}, {true, -1}, {true, INT64_C(253402300799) * S}, {false, EX_US},
};

START_TEST(test_clock)
{
	const struct clock_case *c = &clock_cases[_i];
	struct aq_clock clock = {.frozen = c->frozen, .frozen_us = c->us};
	int64_t now = aq_clock_now(&clock);
	if (c->frozen) {
		ck_assert_msg(now == c->us, "frozen at %lld, now %lld", (long long)c->us, (long long)now);
		ck_assert(aq_clock_now(&clock) == now); /* frozen means frozen */
	} else {
		int64_t real = (int64_t)time(NULL) * S;
		ck_assert_msg(now > real - 5 * S && now < real + 5 * S, "real clock %lld, time() %lld", (long long)now,
			      (long long)real);
	}
}
END_TEST

START_TEST(test_clock_null_is_real)
{
	int64_t real = (int64_t)time(NULL) * S;
	int64_t a = aq_clock_now(NULL);
	int64_t b = aq_clock_now(NULL);
	ck_assert(a > real - 5 * S && a < real + 5 * S);
	ck_assert(b >= a);
}
END_TEST

static Suite *time_suite(void)
{
	Suite *s = suite_create("time");
	TCase *tc;

	tc = tcase_create("rfc3339");
	tcase_add_loop_test(tc, test_rfc3339, 0, N(rfc_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("civil");
	tcase_add_loop_test(tc, test_civil_known, 0, N(civil_cases));
	tcase_add_loop_test(tc, test_civil_walk, 0, 2);
	tcase_add_loop_test(tc, test_date_valid, 0, N(valid_cases));
	tcase_add_loop_test(tc, test_date_parse, 0, N(date_parse_cases));
	tcase_add_loop_test(tc, test_date_format, 0, N(date_format_cases));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_loop_test(tc, test_format, 0, N(format_cases));
	tcase_add_loop_test(tc, test_format_round_trip, 0, N(round_trip_offsets));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("local");
	tcase_add_checked_fixture(tc, shanghai, NULL);
	tcase_add_loop_test(tc, test_local_of, 0, N(local_cases));
	tcase_add_test(tc, test_local_of_follows_zone_change);
	tcase_add_loop_test(tc, test_local_of_walk_agrees_with_libc, 0,
			    (int)(sizeof walk_of_zones / sizeof *walk_of_zones));
	tcase_add_loop_test(tc, test_local_midnight, 0, N(midnight_cases));
	tcase_add_loop_test(tc, test_local_midnight_walk, 0, N(walk_zones));
	tcase_add_loop_test(tc, test_timezone_valid, 0, N(tz_cases));
	tcase_add_test(tc, test_timezone_set_applies);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("clock");
	tcase_add_loop_test(tc, test_clock, 0, N(clock_cases));
	tcase_add_test(tc, test_clock_null_is_real);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(time_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
