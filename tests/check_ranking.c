/* check_ranking.c — Check suite for ranking.c: ranking values per metric, competition ranks
 * and tie order, insufficient policies, the interview cut, district mean and percentages, and
 * the campaign summary. Results are rendered as short strings ("A/1 B/2") so each case reads
 * as one line of expectations. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_ranking.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MAX_ENTRIES 8

/* --- names --- */

START_TEST(test_metric_names)
{
	static const char *const names[] = {"pm10", "pm25", "aqi", "composite"};
	static const int decimals[] = {0, 0, 0, 2};
	enum aq_metric m = (enum aq_metric)_i, back = AQ_METRIC_AQI;
	ck_assert_str_eq(aq_metric_name(m), names[_i]);
	ck_assert(aq_metric_from_name(names[_i], &back));
	ck_assert_int_eq(back, m);
	ck_assert_int_eq(aq_metric_decimals(m), decimals[_i]);
}
END_TEST

START_TEST(test_other_names)
{
	enum aq_metric m = AQ_METRIC_AQI;
	enum aq_insufficient_policy p = AQ_INSUFFICIENT_WORST;
	ck_assert(!aq_metric_from_name("PM10", &m));
	ck_assert(!aq_metric_from_name(NULL, &m));
	ck_assert_int_eq(m, AQ_METRIC_AQI);
	ck_assert_ptr_null(aq_metric_name((enum aq_metric)4));
	ck_assert_str_eq(aq_insufficient_policy_name(AQ_INSUFFICIENT_SEPARATE), "separate");
	ck_assert_str_eq(aq_insufficient_policy_name(AQ_INSUFFICIENT_WORST), "worst");
	ck_assert(aq_insufficient_policy_from_name("separate", &p));
	ck_assert_int_eq(p, AQ_INSUFFICIENT_SEPARATE);
	ck_assert(aq_insufficient_policy_from_name("worst", &p));
	ck_assert_int_eq(p, AQ_INSUFFICIENT_WORST);
	ck_assert(!aq_insufficient_policy_from_name("last", &p));
	ck_assert_str_eq(aq_interview_reason_name(AQ_REASON_RANKING), "ranking");
	ck_assert_str_eq(aq_interview_reason_name(AQ_REASON_INSUFFICIENT_DATA), "insufficient_data");
}
END_TEST

/* --- aq_metric_value --- */

static struct aq_daily daily_fixture(void)
{
	struct aq_daily d;
	memset(&d, 0, sizeof(d));
	d.valid[AQ_PM25] = true;
	d.published[AQ_PM25] = 45;
	d.valid_hours[AQ_PM25] = 21;
	d.valid[AQ_PM10] = true;
	d.published[AQ_PM10] = 87;
	d.valid_hours[AQ_PM10] = 22;
	d.valid_hours[AQ_NO2] = 23; /* most hours, but not reported: no bearing on the AQI */
	d.reported_mask = AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10);
	d.aqi.valid = true;
	d.aqi.aqi = 69;
	d.composite_mask = AQ_COMPOSITE_DEFAULT_MASK;
	d.has_composite = true;
	d.composite = 2.53;
	return d;
}

struct metric_case {
	enum aq_metric m;
	bool drop_pm25; /* make PM2.5 invalid */
	bool has;
	double value;
	bool has_tie;
	double tie;
	int valid_hours;
};

static const struct metric_case metric_cases[] = {
	{AQ_METRIC_PM10, false, true, 87, true, 45, 22},
	{AQ_METRIC_PM25, false, true, 45, true, 87, 21},
	/* aqi: the least complete reported pollutant (PM2.5, 21 h) */
	{AQ_METRIC_AQI, false, true, 69, true, 87, 21},
	{AQ_METRIC_COMPOSITE, false, true, 2.53, true, 87, 21},
	{AQ_METRIC_PM10, true, true, 87, false, 0, 22},
	{AQ_METRIC_PM25, true, false, 0, true, 87, 21},
	{AQ_METRIC_COMPOSITE, true, false, 0, true, 87, 21},
};

START_TEST(test_metric_value)
{
	const struct metric_case *c = &metric_cases[_i];
	struct aq_daily d = daily_fixture();
	if (c->drop_pm25) {
		d.valid[AQ_PM25] = false;
		d.has_composite = false;
	}
	bool has = !c->has, has_tie = !c->has_tie;
	double value = -1, tie = -1;
	int vh = -1;
	aq_metric_value(&d, c->m, &has, &value, &tie, &has_tie, &vh);
	ck_assert_msg(has == c->has, "%s: has %d", aq_metric_name(c->m), has);
	ck_assert_double_eq(value, c->value);
	ck_assert_msg(has_tie == c->has_tie, "%s: has_tie %d", aq_metric_name(c->m), has_tie);
	ck_assert_double_eq(tie, c->tie);
	ck_assert_msg(vh == c->valid_hours, "%s: valid_hours %d, want %d", aq_metric_name(c->m), vh, c->valid_hours);
}
END_TEST

/* --- ranking --- */

/* Entry spec: code, value (NO = insufficient), tie (NO = missing), valid hours. */
#define NO (-1.0)

struct entry_spec {
	const char *code;
	double value;
	double tie;
	int valid_hours;
};

struct ranking_case {
	const char *name;
	enum aq_metric m;
	enum aq_insufficient_policy policy;
	int count;
	struct entry_spec e[MAX_ENTRIES];
	const char *rows;	  /* "code/rank", insufficient rows marked "code/rank*" */
	const char *insufficient; /* codes */
	const char *interview;	  /* "code/rank/r|i/pct or -" worst first */
	const char *mean;	  /* "unrounded~published" printed %.4f~%g, or "-" */
};

#define SEP AQ_INSUFFICIENT_SEPARATE
#define WORST AQ_INSUFFICIENT_WORST

static const struct ranking_case ranking_cases[] = {
	{"ties in the middle, tie across the cut",
	 AQ_METRIC_PM10,
	 SEP,
	 3,
	 {{"A", 50, 30, 24}, {"B", 60, 40, 24}, {"C", 60, 30, 24}, {"D", 70, 30, 24}, {"E", 80, 30, 24}},
	 "A/1 C/2 B/2 D/4 E/5",
	 "",
	 "E/5/r/25.0 D/4/r/9.4 B/2/r/-6.2 C/2/r/-6.2",
	 "64.0000~64"},
	{"cut between distinct ranks",
	 AQ_METRIC_PM10,
	 SEP,
	 3,
	 {{"A", 10, 1, 24}, {"B", 20, 1, 24}, {"C", 20, 1, 24}, {"D", 30, 1, 24}, {"E", 40, 1, 24}, {"F", 50, 1, 24}},
	 "A/1 B/2 C/2 D/4 E/5 F/6",
	 "",
	 "F/6/r/76.5 E/5/r/41.2 D/4/r/5.9",
	 "28.3333~28"},
	{"count 1, the bottom is a tie: both listed",
	 AQ_METRIC_PM25,
	 SEP,
	 1,
	 {{"A", 10, 1, 24}, {"B", 90, 1, 24}, {"C", 90, 2, 24}},
	 "A/1 B/2 C/2",
	 "",
	 "C/2/r/42.1 B/2/r/42.1",
	 "63.3333~63"},
	{"fewer stations than the count",
	 AQ_METRIC_PM10,
	 SEP,
	 3,
	 {{"HX-2", 120, 60, 24}, {"HX-1", 80, 40, 24}},
	 "HX-1/1 HX-2/2",
	 "",
	 "HX-2/2/r/20.0 HX-1/1/r/-20.0",
	 "100.0000~100"},
	{"one station", AQ_METRIC_PM10, SEP, 3, {{"A", 80, NO, 24}}, "A/1", "", "A/1/r/0.0", "80.0000~80"},
	{"no stations at all", AQ_METRIC_PM10, SEP, 3, {{NULL, 0, 0, 0}}, "", "", "", "-"},
	{"everyone insufficient, separate",
	 AQ_METRIC_PM10,
	 SEP,
	 3,
	 {{"C", NO, NO, 5}, {"A", NO, NO, 0}, {"B", NO, 40, 19}},
	 "",
	 "A B C",
	 "",
	 "-"},
	{"everyone insufficient, worst",
	 AQ_METRIC_PM10,
	 WORST,
	 3,
	 {{"C", NO, NO, 5}, {"A", NO, NO, 0}, {"B", NO, 40, 19}, {"D", NO, NO, 5}},
	 "B/1* C/1* D/1* A/1*",
	 "",
	 "A/1/i/- D/1/i/- C/1/i/- B/1/i/-",
	 "-"},
	{"worst: insufficient after the valid, by valid hours then code",
	 AQ_METRIC_PM10,
	 WORST,
	 3,
	 {{"X", NO, NO, 5},
	  {"B", 60, 30, 24},
	  {"Y", NO, NO, 12},
	  {"A", 50, 30, 24},
	  {"Z", NO, NO, 5},
	  {"W", NO, NO, 0}},
	 "A/1 B/2 Y/3* X/3* Z/3* W/3*",
	 "",
	 "W/3/i/- Z/3/i/- X/3/i/- Y/3/i/-",
	 "55.0000~55"},
	{"worst: the cut reaches valid rows",
	 AQ_METRIC_PM10,
	 WORST,
	 3,
	 {{"A", 50, 30, 24}, {"B", 60, 30, 24}, {"C", 70, 30, 24}, {"X", NO, NO, 3}, {"Y", NO, NO, 19}},
	 "A/1 B/2 C/3 Y/4* X/4*",
	 "",
	 "X/4/i/- Y/4/i/- C/3/r/16.7",
	 "60.0000~60"},
	{"separate: insufficient listed apart by code",
	 AQ_METRIC_PM10,
	 SEP,
	 3,
	 {{"Z", NO, NO, 3}, {"B", 60, 30, 24}, {"M", NO, NO, 0}, {"A", 50, 30, 24}},
	 "A/1 B/2",
	 "M Z",
	 "B/2/r/9.1 A/1/r/-9.1",
	 "55.0000~55"},
	{"tie order: other PM ascending, missing last, then code",
	 AQ_METRIC_PM10,
	 SEP,
	 0,
	 {{"Q", 100, NO, 24},
	  {"S", 100, 40, 24},
	  {"P", 100, 50, 24},
	  {"R", 100, 40, 24},
	  {"O", 100, NO, 24},
	  {"A", 101, 1, 24}},
	 "R/1 S/1 P/1 O/1 Q/1 A/6",
	 "",
	 "",
	 "100.1667~100"},
	{"pm25 metric breaks ties on pm10",
	 AQ_METRIC_PM25,
	 SEP,
	 0,
	 {{"A", 40, 90, 24}, {"B", 40, 80, 24}},
	 "B/1 A/1",
	 "",
	 "",
	 "40.0000~40"},
	{"district mean rounds half to even",
	 AQ_METRIC_PM10,
	 SEP,
	 1,
	 {{"A", 10, 1, 24}, {"B", 11, 1, 24}},
	 "A/1 B/2",
	 "",
	 "B/2/r/4.8",
	 "10.5000~10"},
	{"composite: 2 decimals, equal at that precision",
	 AQ_METRIC_COMPOSITE,
	 SEP,
	 2,
	 {{"A", 1.23, 50, 24}, {"B", 1.5, 60, 24}, {"C", 2.04, 70, 24}, {"D", 1.2300000000000002, 40, 24}},
	 "D/1 A/1 B/3 C/4",
	 "",
	 "C/4/r/36.0 B/3/r/0.0",
	 "1.5000~1.5"},
	{"mean 0: no percentage",
	 AQ_METRIC_AQI,
	 SEP,
	 3,
	 {{"A", 0, 1, 24}, {"B", 0, 2, 24}},
	 "A/1 B/1",
	 "",
	 "B/1/r/- A/1/r/-",
	 "0.0000~0"},
	{"interview count 0",
	 AQ_METRIC_PM10,
	 WORST,
	 0,
	 {{"A", 10, 1, 24}, {"B", NO, NO, 1}},
	 "A/1 B/2*",
	 "",
	 "",
	 "10.0000~10"},
};

static size_t build_entries(const struct ranking_case *c, struct aq_rank_entry *e)
{
	size_t n = 0;
	for (; n < MAX_ENTRIES && c->e[n].code != NULL; n++) {
		const struct entry_spec *s = &c->e[n];
		e[n] = (struct aq_rank_entry){
			.code = s->code,
			.has_value = s->value != NO,
			.value = s->value != NO ? s->value : 0,
			.has_tie = s->tie != NO,
			.tie = s->tie != NO ? s->tie : 0,
			.valid_hours = s->valid_hours,
		};
	}
	return n;
}

/* Appends to a space-separated rendering. */
static void cat(char *buf, size_t size, const char *piece)
{
	size_t len = strlen(buf);
	snprintf(buf + len, size - len, "%s%s", len > 0 ? " " : "", piece);
}

START_TEST(test_ranking)
{
	const struct ranking_case *c = &ranking_cases[_i];
	struct aq_rank_entry e[MAX_ENTRIES];
	struct aq_ranking r;
	char got[256] = "", piece[64];
	size_t n = build_entries(c, e);

	ck_assert_int_eq(aq_ranking_compute(n > 0 ? e : NULL, n, c->m, c->policy, c->count, &r), 0);

	for (size_t i = 0; i < r.n_rows; i++) {
		snprintf(piece, sizeof(piece), "%s/%d%s", e[r.rows[i].entry].code, r.rows[i].rank,
			 r.rows[i].insufficient ? "*" : "");
		cat(got, sizeof(got), piece);
	}
	ck_assert_msg(strcmp(got, c->rows) == 0, "%s: rows \"%s\", want \"%s\"", c->name, got, c->rows);
	ck_assert_uint_eq(r.of, r.n_rows);

	got[0] = '\0';
	for (size_t i = 0; i < r.n_insufficient; i++)
		cat(got, sizeof(got), e[r.insufficient[i]].code);
	ck_assert_msg(strcmp(got, c->insufficient) == 0, "%s: insufficient \"%s\", want \"%s\"", c->name, got,
		      c->insufficient);

	got[0] = '\0';
	for (size_t i = 0; i < r.n_interview; i++) {
		const struct aq_interview_pick *p = &r.interview[i];
		char pct[16] = "-";
		if (p->has_pct)
			snprintf(pct, sizeof(pct), "%.1f", p->pct_above_mean);
		snprintf(piece, sizeof(piece), "%s/%d/%c/%s", e[p->entry].code, p->rank,
			 p->reason == AQ_REASON_RANKING ? 'r' : 'i', pct);
		cat(got, sizeof(got), piece);
	}
	ck_assert_msg(strcmp(got, c->interview) == 0, "%s: interview \"%s\", want \"%s\"", c->name, got, c->interview);

	if (r.has_mean)
		snprintf(got, sizeof(got), "%.4f~%g", r.district_mean, r.district_mean_published);
	else
		snprintf(got, sizeof(got), "-");
	ck_assert_msg(strcmp(got, c->mean) == 0, "%s: mean \"%s\", want \"%s\"", c->name, got, c->mean);

	aq_ranking_cleanup(&r);
	ck_assert_ptr_null(r.rows);
	aq_ranking_cleanup(&r); /* twice is harmless */
	aq_ranking_cleanup(NULL);
}
END_TEST

/* The percentage is taken against the unrounded mean: values 100 and 125 → mean 112.5
 * (published 112); 125 is 11.1111…% above it. */
START_TEST(test_pct_uses_unrounded_mean)
{
	struct aq_rank_entry e[] = {
		{"A", true, 100, false, 0, 24},
		{"B", true, 125, false, 0, 24},
	};
	struct aq_ranking r;
	ck_assert_int_eq(aq_ranking_compute(e, 2, AQ_METRIC_PM10, SEP, 1, &r), 0);
	ck_assert(r.has_mean);
	ck_assert_double_eq(r.district_mean, 112.5);
	ck_assert_double_eq(r.district_mean_published, 112);
	ck_assert_uint_eq(r.n_interview, 1);
	ck_assert(r.interview[0].has_pct);
	/* against the published 112 it would be 11.6 */
	ck_assert_double_eq(r.interview[0].pct_above_mean, 11.1);
	aq_ranking_cleanup(&r);
}
END_TEST

/* --- campaign summary --- */

static const char *const summary_codes[] = {"HX-003", "HX-001", "HX-002", "HX-004"};

/* station, day, valid, value, rank, insufficient, interviewed (no AQI: has_aqi, aqi, over_limit_mask) */
static const struct aq_summary_day summary_days[] = {
	/* HX-003: values 80 90 100 80 90 100 → 90; interviewed 100 101 _ 103 104 105 */
	{0, 105, true, 100, 3, false, true, false, 0, 0},
	{0, 100, true, 80, 3, false, true, false, 0, 0},
	{0, 103, true, 80, 2, false, true, false, 0, 0},
	{0, 101, true, 90, 3, false, true, false, 0, 0},
	{0, 102, true, 100, 3, false, false, false, 0, 0},
	{0, 104, true, 90, 3, false, true, false, 0, 0},
	/* HX-001: 60 every day, rank 1 or 2; interviewed once (recorded twice) */
	{1, 100, true, 60, 1, false, false, false, 0, 0},
	{1, 101, true, 60, 1, false, false, false, 0, 0},
	{1, 102, true, 60, 2, false, true, false, 0, 0},
	{1, 102, false, 0, 0, false, true, false, 0, 0},
	{1, 103, true, 60, 1, false, false, false, 0, 0},
	{1, 104, true, 60, 1, false, false, false, 0, 0},
	{1, 105, true, 60, 1, false, false, false, 0, 0},
	/* HX-002: 59 62 59 62 → 60.5 → 60 (ties HX-001); two insufficient days */
	{2, 100, true, 59, 1, false, false, false, 0, 0},
	{2, 101, true, 62, 2, false, false, false, 0, 0},
	{2, 102, true, 59, 1, false, false, false, 0, 0},
	{2, 103, true, 62, 2, false, false, false, 0, 0},
	{2, 104, false, 0, 0, true, true, false, 0, 0},
	{2, 105, false, 0, 0, true, false, false, 0, 0},
	/* HX-004: never valid */
	{3, 100, false, 0, 0, true, false, false, 0, 0},
	{3, 101, false, 0, 0, true, false, false, 0, 0},
};

struct summary_want {
	int days_valid, days_insufficient, interview_days, longest_streak;
	bool has_mean;
	double mean;
	int rank, best, worst;
};

static const struct summary_want summary_wants[] = {
	{6, 0, 5, 3, true, 90, 3, 2, 3},
	{6, 0, 1, 1, true, 60, 1, 1, 2},
	{4, 2, 1, 1, true, 60, 1, 1, 2},
	{0, 2, 0, 0, false, 0, 0, 0, 0},
};

START_TEST(test_summary_station)
{
	struct aq_summary s;
	ck_assert_int_eq(
		aq_summary_compute(summary_days, (size_t)N(summary_days), 4, summary_codes, AQ_METRIC_PM10, &s), 0);
	ck_assert_uint_eq(s.n_stations, 4);
	const struct aq_summary_station *g = &s.stations[_i];
	const struct summary_want *w = &summary_wants[_i];
	ck_assert_int_eq(g->days_valid, w->days_valid);
	ck_assert_int_eq(g->days_insufficient, w->days_insufficient);
	ck_assert_int_eq(g->interview_days, w->interview_days);
	ck_assert_msg(g->longest_streak == w->longest_streak, "%s: streak %d, want %d", summary_codes[_i],
		      g->longest_streak, w->longest_streak);
	ck_assert(g->has_mean == w->has_mean);
	ck_assert_double_eq(g->mean_value, w->mean);
	ck_assert_int_eq(g->rank, w->rank);
	ck_assert_int_eq(g->best_rank, w->best);
	ck_assert_int_eq(g->worst_rank, w->worst);
	aq_summary_cleanup(&s);
}
END_TEST

START_TEST(test_summary_order)
{
	struct aq_summary s;
	ck_assert_int_eq(
		aq_summary_compute(summary_days, (size_t)N(summary_days), 4, summary_codes, AQ_METRIC_PM10, &s), 0);
	/* HX-001 and HX-002 tie at 60 (rank 1, by code), HX-003 rank 3, HX-004 no mean */
	ck_assert_uint_eq(s.order[0], 1);
	ck_assert_uint_eq(s.order[1], 2);
	ck_assert_uint_eq(s.order[2], 0);
	ck_assert_uint_eq(s.order[3], 3);
	aq_summary_cleanup(&s);
	ck_assert_ptr_null(s.stations);
	aq_summary_cleanup(&s);
	aq_summary_cleanup(NULL);
}
END_TEST

/* Streaks: consecutive calendar days only; a single gap day breaks them. */
struct streak_case {
	int days[8];
	int n;
	int streak;
	int count;
};

static const struct streak_case streak_cases[] = {
	{{10, 11, 12}, 3, 3, 3},
	{{10, 11, 13, 14}, 4, 2, 4},
	{{14, 10, 12, 11, 13}, 5, 5, 5},
	{{10, 12, 14}, 3, 1, 3},
	{{1, 2, 3, 5, 6, 7, 8, 20}, 8, 4, 8},
	{{-2, -1, 0, 1}, 4, 4, 4},
	{{7, 7, 8}, 3, 2, 2},
	{{0}, 0, 0, 0},
};

START_TEST(test_summary_streak)
{
	const struct streak_case *c = &streak_cases[_i];
	struct aq_summary_day days[8];
	struct aq_summary s;
	for (int i = 0; i < c->n; i++)
		days[i] = (struct aq_summary_day){0, c->days[i], true, 100, 3, false, true, false, 0, 0};
	ck_assert_int_eq(aq_summary_compute(days, (size_t)c->n, 1, NULL, AQ_METRIC_PM10, &s), 0);
	ck_assert_msg(s.stations[0].longest_streak == c->streak, "case %d: streak %d, want %d", _i,
		      s.stations[0].longest_streak, c->streak);
	ck_assert_int_eq(s.stations[0].interview_days, c->count);
	aq_summary_cleanup(&s);
}
END_TEST

START_TEST(test_summary_composite_and_errors)
{
	struct aq_summary_day days[] = {
		{0, 1, true, 1.23, 1, false, false, false, 0, 0},
		{0, 2, true, 1.24, 1, false, false, false, 0, 0},
		{1, 1, true, 1.5, 2, false, false, false, 0, 0},
	};
	struct aq_summary s;
	ck_assert_int_eq(aq_summary_compute(days, 3, 2, NULL, AQ_METRIC_COMPOSITE, &s), 0);
	ck_assert_double_eq(s.stations[0].mean_value, 1.24); /* 1.235 → 1.24 (4 even) */
	ck_assert_int_eq(s.stations[0].rank, 1);
	ck_assert_int_eq(s.stations[1].rank, 2);
	aq_summary_cleanup(&s);

	days[2].station = 2;
	errno = 0;
	ck_assert_int_eq(aq_summary_compute(days, 3, 2, NULL, AQ_METRIC_PM10, &s), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(s.stations);
	aq_summary_cleanup(&s);

	ck_assert_int_eq(aq_summary_compute(NULL, 0, 0, NULL, AQ_METRIC_PM10, &s), 0);
	ck_assert_uint_eq(s.n_stations, 0);
	aq_summary_cleanup(&s);
}
END_TEST

/* 优良天数 and 超标天数: AQI days, those at or under 100, the share to one decimal (half to
 * even), and days over each 24 h limit — counted on every record, valid metric or not. */
START_TEST(test_summary_good_days)
{
	static const struct aq_summary_day days[] = {
		{0, 1, true, 50, 1, false, false, true, 100, 0},
		{0, 2, true, 90, 2, false, false, true, 101, AQ_POLLUTANT_BIT(AQ_PM25)},
		{0, 3, false, 0, 0, true, false, true, 130, AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10)},
		{0, 4, false, 0, 0, true, false, false, 0, 0},
		{1, 1, true, 40, 1, false, false, true, 60, 0},
		{1, 2, true, 40, 1, false, false, true, 70, 0},
		{1, 3, true, 40, 1, false, false, true, 80, 0},
		{1, 4, true, 40, 1, false, false, true, 200, AQ_POLLUTANT_BIT(AQ_O3)},
		{1, 5, true, 40, 1, false, false, true, 90, 0},
		{1, 6, true, 40, 1, false, false, true, 95, 0},
	};
	struct aq_summary sum;
	ck_assert_int_eq(aq_summary_compute(days, N(days), 2, NULL, AQ_METRIC_PM10, &sum), 0);
	/* station 0: AQI on 3 days, 1 of them ≤ 100: 33.3 %; PM2.5 over twice, PM10 once */
	ck_assert_int_eq(sum.stations[0].aqi_days, 3);
	ck_assert_int_eq(sum.stations[0].good_days, 1);
	ck_assert(sum.stations[0].has_good_pct);
	ck_assert_double_eq_tol(sum.stations[0].good_days_pct, 33.3, 1e-9);
	ck_assert_int_eq(sum.stations[0].over_limit_days[AQ_PM25], 2);
	ck_assert_int_eq(sum.stations[0].over_limit_days[AQ_PM10], 1);
	/* station 1: 5 of 6: 83.333 → 83.3 */
	ck_assert_int_eq(sum.stations[1].good_days, 5);
	ck_assert_double_eq_tol(sum.stations[1].good_days_pct, 83.3, 1e-9);
	ck_assert_int_eq(sum.stations[1].over_limit_days[AQ_O3], 1);
	aq_summary_cleanup(&sum);
	/* no AQI day at all: no share */
	static const struct aq_summary_day none[] = {{0, 1, false, 0, 0, true, false, false, 0, 0}};
	ck_assert_int_eq(aq_summary_compute(none, 1, 1, NULL, AQ_METRIC_PM10, &sum), 0);
	ck_assert(!sum.stations[0].has_good_pct);
	aq_summary_cleanup(&sum);
}
END_TEST

static Suite *ranking_suite(void)
{
	Suite *s = suite_create("ranking");
	TCase *tc;

	tc = tcase_create("metric");
	tcase_add_loop_test(tc, test_metric_names, 0, 4);
	tcase_add_test(tc, test_other_names);
	tcase_add_loop_test(tc, test_metric_value, 0, N(metric_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("ranking");
	tcase_add_loop_test(tc, test_ranking, 0, N(ranking_cases));
	tcase_add_test(tc, test_pct_uses_unrounded_mean);
	suite_add_tcase(s, tc);

	tc = tcase_create("summary");
	tcase_add_loop_test(tc, test_summary_station, 0, N(summary_wants));
	tcase_add_test(tc, test_summary_order);
	tcase_add_loop_test(tc, test_summary_streak, 0, N(streak_cases));
	tcase_add_test(tc, test_summary_composite_and_errors);
	tcase_add_test(tc, test_summary_good_days);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ranking_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
