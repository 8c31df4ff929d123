/* check_reading.c — Check suite for reading.c, station.c and json.c: the SPEC §1 range of
 * every field at and just beyond its edges, the pollutant rule, clock skew, the shape checks of
 * readings bodies (unknown fields, types, nulls, flags, batch limits, every problem with its
 * index), station codes, station PUT bodies, the problems and station JSON, and great-circle
 * distances against an independent formula. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_clock.h"
#include "aq_json.h"
#include "aq_reading.h"
#include "aq_station.h"
#include "aq_status.h"
#include "aq_time.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define S INT64_C(1000000)
/* 2017-12-07T14:00:00+08:00: "now" for every test here. */
#define NOW_US (INT64_C(1512626400) * S)

/* JSON written with ' for " so that the tables stay readable; no test body needs a '. */
static json_t *load(const char *text)
{
	char *copy = strdup(text);
	json_error_t error;
	ck_assert_ptr_nonnull(copy);
	for (char *p = copy; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_t *root = json_loads(copy, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
	if (!root)
		ck_abort_msg("test body does not parse: %s: %s", error.text, copy);
	free(copy);
	return root;
}

/* --- expected problems --- */

struct want_problem {
	int index;
	const char *field; /* exact */
	const char *text;  /* substring of the problem */
};

#define MAX_WANT 8

/* Every wanted problem matches a distinct actual one, and there are no others. */
static void check_problems(const char *what, const struct aq_problems *got, const struct want_problem *want)
{
	bool used[256] = {false};
	size_t nwant = 0;
	char list[2048] = "";
	for (size_t i = 0; i < got->n && i < 20; i++) {
		size_t len = strlen(list);
		snprintf(list + len, sizeof list - len, " [%d %s: %s]", got->items[i].index, got->items[i].field,
			 got->items[i].problem);
	}
	ck_assert_msg(!got->oom, "%s: problems ran out of memory", what);
	for (; nwant < MAX_WANT && want[nwant].field; nwant++) {
		const struct want_problem *w = &want[nwant];
		bool found = false;
		for (size_t i = 0; i < got->n && i < 256; i++) {
			const struct aq_problem *p = &got->items[i];
			if (!used[i] && p->index == w->index && strcmp(p->field, w->field) == 0 &&
			    strstr(p->problem, w->text)) {
				used[i] = found = true;
				break;
			}
		}
		ck_assert_msg(found, "%s: no problem {%d, \"%s\", \"%s\"}; got%s", what, w->index, w->field, w->text,
			      got->n ? list : " none");
	}
	ck_assert_msg(got->n == nwant, "%s: %zu problems, want %zu:%s", what, got->n, nwant, list);
}

/* --- field ranges (SPEC §1, typed here independently of reading.c) --- */

static const struct {
	const char *name;
	enum aq_field f;
	double min, max;
} spec_fields[] = {
	{"pm25", AQ_F_PM25, 0, 2000},
	{"pm10", AQ_F_PM10, 0, 5000},
	{"so2", AQ_F_SO2, 0, 10000},
	{"no2", AQ_F_NO2, 0, 10000},
	{"co", AQ_F_CO, 0, 200},
	{"o3", AQ_F_O3, 0, 10000},
	{"temperature", AQ_F_TEMPERATURE, -60, 70},
	{"humidity", AQ_F_HUMIDITY, 0, 100},
	{"pressure", AQ_F_PRESSURE, 300, 1100},
	{"wind_speed", AQ_F_WIND_SPEED, 0, 100},
	{"wind_direction", AQ_F_WIND_DIRECTION, 0, 360},
};

/* Six probes per field: min, max, the doubles just outside both, and 0.01 outside both. */
#define PROBES 6

static void probe(int i, int *field, double *v, bool *ok)
{
	double min = spec_fields[i / PROBES].min, max = spec_fields[i / PROBES].max;
	*field = i / PROBES;
	switch (i % PROBES) {
	case 0:
		*v = min;
		*ok = true;
		break;
	case 1:
		*v = max;
		*ok = true;
		break;
	case 2:
		*v = nextafter(min, -INFINITY);
		*ok = false;
		break;
	case 3:
		*v = nextafter(max, INFINITY);
		*ok = false;
		break;
	case 4:
		*v = min - 0.01;
		*ok = false;
		break;
	default:
		*v = max + 0.01;
		*ok = false;
		break;
	}
}

static void valid_base(struct aq_reading *r)
{
	aq_reading_init(r);
	r->observed_us = NOW_US;
}

START_TEST(test_field_range_edges)
{
	int fi;
	double v;
	bool ok;
	struct aq_reading r;
	struct aq_problems p = {0};
	probe(_i, &fi, &v, &ok);
	enum aq_field f = spec_fields[fi].f;

	valid_base(&r);
	if (f >= AQ_N_POLLUTANT_FIELDS) { /* a pollutant so that only f is in question */
		r.present |= 1u << AQ_F_PM10;
		r.value[AQ_F_PM10] = 80;
	}
	r.present |= 1u << f;
	r.value[f] = v;
	bool valid = aq_reading_validate(&r, 7, NOW_US, &p);
	char what[80];
	snprintf(what, sizeof what, "%s = %.17g", spec_fields[fi].name, v);
	ck_assert_msg(valid == ok, "%s: %s, want %s", what, valid ? "valid" : "invalid", ok ? "valid" : "invalid");
	struct want_problem want[2] = {{7, spec_fields[fi].name, "between"}, {0, NULL, NULL}};
	check_problems(what, &p, ok ? want + 1 : want);
	aq_problems_cleanup(&p);
}
END_TEST

START_TEST(test_field_names)
{
	enum aq_field f = AQ_FIELDS, back = AQ_FIELDS;
	double min = -1, max = -1;
	f = spec_fields[_i].f;
	ck_assert_str_eq(aq_field_name(f), spec_fields[_i].name);
	ck_assert(aq_field_from_name(spec_fields[_i].name, &back));
	ck_assert_int_eq(back, f);
	aq_field_range(f, &min, &max);
	ck_assert(min == spec_fields[_i].min && max == spec_fields[_i].max);
}
END_TEST

static const char *const not_fields[] = {"pm2.5",	"PM25",	 "pm25 ", "",	  "station",
					 "observed_at", "flags", "aqi",	  "temp", "wind"};

START_TEST(test_field_unknown)
{
	enum aq_field f = AQ_F_O3;
	ck_assert_msg(!aq_field_from_name(not_fields[_i], &f), "\"%s\" is a field", not_fields[_i]);
	ck_assert_int_eq(f, AQ_F_O3);
	ck_assert_str_eq(aq_field_name(AQ_FIELDS), "?");
}
END_TEST

/* Values no JSON can carry, but HJ 212 text or a bug could. */
static const double non_finite[] = {NAN, INFINITY, -INFINITY};

START_TEST(test_non_finite)
{
	struct aq_reading r;
	struct aq_problems p = {0};
	valid_base(&r);
	r.present = 1u << AQ_F_PM25 | 1u << AQ_F_HUMIDITY;
	r.value[AQ_F_PM25] = 10;
	r.value[AQ_F_HUMIDITY] = non_finite[_i];
	ck_assert(!aq_reading_validate(&r, -1, NOW_US, &p));
	struct want_problem want[] = {{-1, "humidity", "between"}, {0, NULL, NULL}};
	check_problems("non-finite humidity", &p, want);
	aq_problems_cleanup(&p);
}
END_TEST

/* --- pollutant rule and observed_at --- */

struct validate_case {
	const char *name;
	unsigned present; /* values: 0 for each present field */
	int64_t observed_us;
	struct want_problem want[3];
};

#define PM25 (1u << AQ_F_PM25)
#define Y2000 (INT64_C(946684800) * S)

static const struct validate_case validate_cases[] = {
	{"pm25 only", PM25, NOW_US, {{0, NULL, NULL}}},
	{"co = 0 counts", 1u << AQ_F_CO, NOW_US, {{0, NULL, NULL}}},
	{"o3 only", 1u << AQ_F_O3, NOW_US, {{0, NULL, NULL}}},
	{"so2 only", 1u << AQ_F_SO2, NOW_US, {{0, NULL, NULL}}},
	{"no2 only", 1u << AQ_F_NO2, NOW_US, {{0, NULL, NULL}}},
	{"pm10 only", 1u << AQ_F_PM10, NOW_US, {{0, NULL, NULL}}},
	{"no value", 0, NOW_US, {{3, "", "at least one of pm25"}, {0, NULL, NULL}}},
	{"weather only",
	 1u << AQ_F_TEMPERATURE | 1u << AQ_F_HUMIDITY | 1u << AQ_F_WIND_SPEED,
	 NOW_US,
	 {{3, "", "at least one of pm25"}, {0, NULL, NULL}}},
	{"300 s ahead", PM25, NOW_US + 300 * S, {{0, NULL, NULL}}},
	{"300 s + 1 us ahead", PM25, NOW_US + 300 * S + 1, {{3, "observed_at", "ahead of the clock"}}},
	{"301 s ahead", PM25, NOW_US + 301 * S, {{3, "observed_at", "300 s ahead"}}},
	{"a day ahead", PM25, NOW_US + 86400 * S, {{3, "observed_at", "ahead"}}},
	{"a year ago", PM25, NOW_US - 365 * 86400 * S, {{0, NULL, NULL}}},
	{"2000-01-01T00:00:00Z", PM25, Y2000, {{0, NULL, NULL}}},
	{"1 us before 2000", PM25, Y2000 - 1, {{3, "observed_at", "before 2000-01-01"}}},
	{"1999-12-31T23:59:59Z", PM25, Y2000 - S, {{3, "observed_at", "before 2000"}}},
	{"epoch", PM25, 0, {{3, "observed_at", "before 2000"}}},
	{"negative", PM25, -86400 * S, {{3, "observed_at", "before 2000"}}},
	{"no value and ahead",
	 0,
	 NOW_US + 3600 * S,
	 {{3, "", "at least one"}, {3, "observed_at", "ahead"}, {0, NULL, NULL}}},
};

START_TEST(test_validate)
{
	const struct validate_case *c = &validate_cases[_i];
	struct aq_reading r;
	struct aq_problems p = {0};
	aq_reading_init(&r);
	r.present = c->present;
	r.observed_us = c->observed_us;
	bool ok = aq_reading_validate(&r, 3, NOW_US, &p);
	ck_assert_msg(ok == (c->want[0].field == NULL), "%s: valid %d", c->name, ok);
	check_problems(c->name, &p, c->want);
	aq_problems_cleanup(&p);
}
END_TEST

/* Problems already in the list belong to other readings: validate judges only its own. */
START_TEST(test_validate_appends)
{
	struct aq_reading r;
	struct aq_problems p = {0};
	aq_problems_add(&p, 0, "pm25", "earlier problem %d", 1);
	valid_base(&r);
	r.present = PM25;
	ck_assert(aq_reading_validate(&r, 1, NOW_US, &p));
	ck_assert_uint_eq(p.n, 1);
	r.value[AQ_F_PM25] = -1;
	ck_assert(!aq_reading_validate(&r, 2, NOW_US, &p));
	struct want_problem want[] = {
		{0, "pm25", "earlier problem 1"}, {2, "pm25", "between 0 and 2000"}, {0, NULL, NULL}};
	check_problems("appends", &p, want);
	aq_problems_cleanup(&p);
	ck_assert_ptr_null(p.items);
	ck_assert_uint_eq(p.n, 0);
	aq_problems_cleanup(NULL);
}
END_TEST

START_TEST(test_problems_grow)
{
	struct aq_problems p = {0};
	char longtext[300];
	memset(longtext, 'x', sizeof longtext - 1);
	longtext[sizeof longtext - 1] = '\0';
	for (int i = 0; i < 1000; i++)
		aq_problems_add(&p, i, i % 2 ? "pm10" : NULL, "problem %d", i);
	aq_problems_add(&p, 1000, "a_field_name_much_longer_than_thirty_one_bytes", "%s", longtext);
	ck_assert(!p.oom);
	ck_assert_uint_eq(p.n, 1001);
	for (int i = 0; i < 1000; i++) {
		char want[32];
		snprintf(want, sizeof want, "problem %d", i);
		ck_assert_int_eq(p.items[i].index, i);
		ck_assert_str_eq(p.items[i].field, i % 2 ? "pm10" : "");
		ck_assert_str_eq(p.items[i].problem, want);
	}
	ck_assert_uint_eq(strlen(p.items[1000].field), sizeof p.items[0].field - 1);
	ck_assert_uint_eq(strlen(p.items[1000].problem), sizeof p.items[0].problem - 1);
	aq_problems_cleanup(&p);
}
END_TEST

/* --- flags --- */

START_TEST(test_flag_valid)
{
	char c = (char)_i;
	bool want = c != '\0' && strchr("NFMSDCTB", c) != NULL;
	ck_assert_msg(aq_flag_valid(c) == want, "flag %d ('%c'): %d, want %d", _i, _i >= 32 && _i < 127 ? c : '?',
		      !want, want);
}
END_TEST

/* --- readings bodies --- */

struct body_case {
	const char *name;
	const char *body;
	enum aq_status status;
	size_t n;			    /* readings on AQ_OK */
	struct want_problem want[MAX_WANT]; /* shape and meaning together, as the handler does */
};

#define T "'observed_at':'2017-12-07T14:00:00+08:00'"
#define OKP                           \
	{                             \
		{                     \
			0, NULL, NULL \
		}                     \
	}

static const struct body_case body_cases[] = {
	{"spec example", "[{'station':'HX-003'," T ",'pm25':61,'pm10':118.5}]", AQ_OK, 1, OKP},
	{"single object", "{'station':'HX-003'," T ",'pm25':61}", AQ_OK, 1, OKP},
	{"station omitted", "{" T ",'pm25':61}", AQ_OK, 1, OKP},
	{"every field",
	 "{" T ",'pm25':1,'pm10':2,'so2':3,'no2':4,'co':0.5,'o3':6,'temperature':-5.5,"
	 "'humidity':40,'pressure':1013.2,'wind_speed':3.4,'wind_direction':270}",
	 AQ_OK, 1, OKP},
	{"integers and reals", "{" T ",'pm25':0,'pm10':5000.0}", AQ_OK, 1, OKP},
	{"null values ignored", "{" T ",'pm25':null,'pm10':50,'temperature':null}", AQ_OK, 1, OKP},
	{"only nulls", "{" T ",'pm25':null,'pm10':null}", AQ_OK, 1, {{0, "", "at least one of pm25"}}},
	{"weather only", "{" T ",'temperature':10,'humidity':50}", AQ_OK, 1, {{0, "", "at least one"}}},
	{"pm25 above range", "{" T ",'pm25':2000.5}", AQ_OK, 1, {{0, "pm25", "between 0 and 2000"}}},
	{"co in mg", "{" T ",'co':201}", AQ_OK, 1, {{0, "co", "between 0 and 200"}}},
	{"negative temperature edge", "{" T ",'pm25':5,'temperature':-60}", AQ_OK, 1, OKP},
	{"below temperature",
	 "{" T ",'pm25':5,'temperature':-60.1}",
	 AQ_OK,
	 1,
	 {{0, "temperature", "between -60 and 70"}}},
	/* unknown fields are named */
	{"pm2.5 typo", "{" T ",'pm2.5':61}", AQ_OK, 1, {{0, "pm2.5", "not a reading field"}}},
	{"PM25 case", "{" T ",'PM25':61,'pm10':1}", AQ_OK, 1, {{0, "PM25", "not a reading field"}}},
	{"aqi", "{" T ",'pm25':61,'aqi':80}", AQ_OK, 1, {{0, "aqi", "not a reading field"}}},
	{"long unknown name",
	 "{" T ",'pm25':1,'an_unknown_field_with_a_very_long_name':1}",
	 AQ_OK,
	 1,
	 {{0, "an_unknown_field_with_a_very_lo", "not a reading field"}}},
	/* wrong types */
	{"pm25 string", "{" T ",'pm25':'61'}", AQ_OK, 1, {{0, "pm25", "must be a number or null, not a string"}}},
	{"pm10 boolean", "{" T ",'pm25':1,'pm10':true}", AQ_OK, 1, {{0, "pm10", "not a boolean"}}},
	{"o3 array", "{" T ",'pm25':1,'o3':[1]}", AQ_OK, 1, {{0, "o3", "not an array"}}},
	{"co object", "{" T ",'pm25':1,'co':{'v':1}}", AQ_OK, 1, {{0, "co", "not an object"}}},
	{"station number", "{'station':3," T ",'pm25':1}", AQ_OK, 1, {{0, "station", "station code"}}},
	{"station bad code", "{'station':'HX 003'," T ",'pm25':1}", AQ_OK, 1, {{0, "station", "station code"}}},
	{"station empty", "{'station':''," T ",'pm25':1}", AQ_OK, 1, {{0, "station", "station code"}}},
	{"station 33 chars",
	 "{'station':'A23456789012345678901234567890123'," T ",'pm25':1}",
	 AQ_OK,
	 1,
	 {{0, "station", "up to 32"}}},
	{"station 32 chars", "{'station':'A2345678901234567890123456789012'," T ",'pm25':1}", AQ_OK, 1, OKP},
	/* observed_at */
	{"observed_at missing", "{'pm25':1}", AQ_OK, 1, {{0, "observed_at", "is required"}}},
	{"observed_at number",
	 "{'observed_at':1512626400,'pm25':1}",
	 AQ_OK,
	 1,
	 {{0, "observed_at", "must be a string"}}},
	{"observed_at null", "{'observed_at':null,'pm25':1}", AQ_OK, 1, {{0, "observed_at", "must be a string"}}},
	{"observed_at no offset",
	 "{'observed_at':'2017-12-07T14:00:00','pm25':1}",
	 AQ_OK,
	 1,
	 {{0, "observed_at", "explicit UTC offset"}}},
	{"observed_at 7 digits",
	 "{'observed_at':'2017-12-07T14:00:00.1234567Z','pm25':1}",
	 AQ_OK,
	 1,
	 {{0, "observed_at", "6 fractional digits"}}},
	{"observed_at 300 s ahead", "{'observed_at':'2017-12-07T14:05:00+08:00','pm25':1}", AQ_OK, 1, OKP},
	{"observed_at 301 s ahead",
	 "{'observed_at':'2017-12-07T14:05:01+08:00','pm25':1}",
	 AQ_OK,
	 1,
	 {{0, "observed_at", "ahead of the clock"}}},
	{"observed_at 1999",
	 "{'observed_at':'1999-12-31T23:59:59Z','pm25':1}",
	 AQ_OK,
	 1,
	 {{0, "observed_at", "before 2000"}}},
	{"observed_at 2000+08:00",
	 "{'observed_at':'2000-01-01T00:00:00+08:00','pm25':1}",
	 AQ_OK,
	 1,
	 {{0, "observed_at", "before 2000"}}},
	/* flags */
	{"flag D", "{" T ",'pm10':1,'flags':{'pm10':'D'}}", AQ_OK, 1, OKP},
	{"every flag letter",
	 "{" T ",'pm25':1,'flags':{'pm25':'N','pm10':'F','so2':'M','no2':'S','co':'D',"
	 "'o3':'C','temperature':'T','humidity':'B'}}",
	 AQ_OK, 1, OKP},
	{"flags empty", "{" T ",'pm25':1,'flags':{}}", AQ_OK, 1, OKP},
	{"flag for a field without a value", "{" T ",'pm25':1,'flags':{'o3':'M'}}", AQ_OK, 1, OKP},
	{"flag unknown field",
	 "{" T ",'pm25':1,'flags':{'pm2.5':'D'}}",
	 AQ_OK,
	 1,
	 {{0, "flags.pm2.5", "not a reading field"}}},
	{"flag multi-letter",
	 "{" T ",'pm25':1,'flags':{'pm25':'DD'}}",
	 AQ_OK,
	 1,
	 {{0, "flags.pm25", "one HJ 212 flag letter"}}},
	{"flag lower case", "{" T ",'pm25':1,'flags':{'pm25':'d'}}", AQ_OK, 1, {{0, "flags.pm25", "flag letter"}}},
	{"flag unknown letter", "{" T ",'pm25':1,'flags':{'pm25':'X'}}", AQ_OK, 1, {{0, "flags.pm25", "flag letter"}}},
	{"flag empty", "{" T ",'pm25':1,'flags':{'pm25':''}}", AQ_OK, 1, {{0, "flags.pm25", "flag letter"}}},
	{"flag number", "{" T ",'pm25':1,'flags':{'pm25':1}}", AQ_OK, 1, {{0, "flags.pm25", "flag letter"}}},
	{"flag null", "{" T ",'pm25':1,'flags':{'pm25':null}}", AQ_OK, 1, {{0, "flags.pm25", "flag letter"}}},
	{"flags a string", "{" T ",'pm25':1,'flags':'D'}", AQ_OK, 1, {{0, "flags", "must be an object"}}},
	{"flags an array", "{" T ",'pm25':1,'flags':['D']}", AQ_OK, 1, {{0, "flags", "not an array"}}},
	{"two bad flags",
	 "{" T ",'pm25':1,'flags':{'pm25':'Q','wind':'D'}}",
	 AQ_OK,
	 1,
	 {{0, "flags.pm25", "flag letter"}, {0, "flags.wind", "not a reading field"}}},
	/* not objects */
	{"root string", "'reading'", AQ_OK, 1, {{0, "", "must be an object, not a string"}}},
	{"root number", "42", AQ_OK, 1, {{0, "", "not a number"}}},
	{"root null", "null", AQ_OK, 1, {{0, "", "not null"}}},
	{"array of a number",
	 "["
	 "{" T ",'pm25':1}"
	 ",7]",
	 AQ_OK,
	 2,
	 {{1, "", "must be an object, not a number"}}},
	{"nested array", "[[{" T ",'pm25':1}]]", AQ_OK, 1, {{0, "", "not an array"}}},
	/* batches */
	{"empty array", "[]", AQ_ERR_INVALID_READING, 0, OKP},
	{"multi-error batch",
	 "[{" T ",'pm25':1},"
	 "{" T ",'pm2.5':1},"
	 "{" T ",'pm25':1},"
	 "{'observed_at':'yesterday','pm25':'high','flags':{'pm25':'DD'}},"
	 "{" T ",'pm25':-1,'humidity':101},"
	 "{'observed_at':'2017-12-08T00:00:00+08:00','pm25':null}]",
	 AQ_OK,
	 6,
	 {{1, "pm2.5", "not a reading field"},
	  {3, "observed_at", "RFC 3339"},
	  {3, "pm25", "must be a number"},
	  {3, "flags.pm25", "flag letter"},
	  {4, "pm25", "between"},
	  {4, "humidity", "between 0 and 100"},
	  {5, "", "at least one"},
	  {5, "observed_at", "ahead"}}},
	{"meaning problems of one reading",
	 "[{" T ",'pm25':1},{'observed_at':'2017-12-08T00:00:00+08:00'}]",
	 AQ_OK,
	 2,
	 {{1, "", "at least one"}, {1, "observed_at", "ahead"}}},
};

/* Mirrors the readings handler: shape first, then meaning for readings without shape
 * problems (index -1 for a single object). */
static enum aq_status ingest(const json_t *root, struct aq_reading **out, size_t *n, struct aq_problems *p)
{
	enum aq_status st = aq_json_readings_parse(root, out, n, p);
	if (st != AQ_OK)
		return st;
	size_t shape_problems = p->n;
	for (size_t i = 0; i < *n; i++) {
		int index = (int)i; /* a single object is the reading at index 0, as the handler says */
		bool bad = false;
		for (size_t k = 0; k < shape_problems; k++)
			bad |= p->items[k].index == index;
		if (!bad)
			aq_reading_validate(&(*out)[i], index, NOW_US, p);
	}
	return st;
}

START_TEST(test_body)
{
	const struct body_case *c = &body_cases[_i];
	json_t *root = load(c->body);
	struct aq_reading *r = (struct aq_reading *)1;
	size_t n = 99;
	struct aq_problems p = {0};
	enum aq_status st = ingest(root, &r, &n, &p);
	ck_assert_msg(st == c->status, "%s: status %d, want %d", c->name, st, c->status);
	if (st == AQ_OK) {
		ck_assert_msg(n == c->n, "%s: %zu readings, want %zu", c->name, n, c->n);
		ck_assert_ptr_nonnull(r);
	} else {
		ck_assert_ptr_null(r);
		ck_assert_uint_eq(n, 0);
	}
	check_problems(c->name, &p, c->want);
	free(st == AQ_OK ? r : NULL);
	aq_problems_cleanup(&p);
	json_decref(root);
}
END_TEST

/* The values, presence bits, flags, station and time a good body produces. */
START_TEST(test_body_values)
{
	json_t *root = load("[{'station':'HX-003','observed_at':'2017-12-07T14:00:00.25+08:00','pm25':61,"
			    "'pm10':118.5,'co':0.8,'temperature':-3,'humidity':null,"
			    "'flags':{'pm10':'D','humidity':'B'}},"
			    "{'observed_at':'2017-12-07T06:00:00Z','so2':0}]");
	struct aq_reading *r = NULL;
	size_t n = 0;
	struct aq_problems p = {0};
	ck_assert_int_eq(ingest(root, &r, &n, &p), AQ_OK);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(r[0].station, "HX-003");
	ck_assert(r[0].observed_us == NOW_US + 250000);
	ck_assert_uint_eq(r[0].present, 1u << AQ_F_PM25 | 1u << AQ_F_PM10 | 1u << AQ_F_CO | 1u << AQ_F_TEMPERATURE);
	ck_assert(r[0].value[AQ_F_PM25] == 61);
	ck_assert(r[0].value[AQ_F_PM10] == 118.5);
	ck_assert(r[0].value[AQ_F_CO] == 0.8);
	ck_assert(r[0].value[AQ_F_TEMPERATURE] == -3);
	for (int f = 0; f < AQ_FIELDS; f++) {
		char want = f == AQ_F_PM10 ? 'D' : f == AQ_F_HUMIDITY ? 'B' : 'N';
		ck_assert_msg(r[0].flag[f] == want, "flag of %s: %c, want %c", aq_field_name((enum aq_field)f),
			      r[0].flag[f], want);
		ck_assert_int_eq(r[1].flag[f], 'N');
	}
	ck_assert_str_eq(r[1].station, "");
	ck_assert(r[1].observed_us == NOW_US);
	ck_assert_uint_eq(r[1].present, 1u << AQ_F_SO2);
	ck_assert(r[1].value[AQ_F_SO2] == 0);
	free(r);
	aq_problems_cleanup(&p);
	json_decref(root);
}
END_TEST

/* Batch sizes around AQ_MAX_BATCH = 5000 (SPEC §6); the last reading of a full batch is bad. */
struct batch_case {
	size_t size;
	bool last_bad;
	enum aq_status status;
};

static const struct batch_case batch_cases[] = {
	{1, false, AQ_OK},
	{4999, false, AQ_OK},
	{5000, false, AQ_OK},
	{5000, true, AQ_OK},
	{5001, false, AQ_ERR_BODY_TOO_LARGE},
	{10000, false, AQ_ERR_BODY_TOO_LARGE},
};

START_TEST(test_batch_size)
{
	const struct batch_case *c = &batch_cases[_i];
	json_t *arr = json_array();
	for (size_t i = 0; i < c->size; i++) {
		bool bad = c->last_bad && i == c->size - 1;
		json_t *o = json_pack("{s:s, s:s, s:f}", "station", "HX-003", "observed_at",
				      "2017-12-07T14:00:00+08:00", "pm25", bad ? 2001.0 : (double)(i % 500));
		ck_assert_ptr_nonnull(o);
		json_array_append_new(arr, o);
	}
	struct aq_reading *r = NULL;
	size_t n = 0;
	struct aq_problems p = {0};
	enum aq_status st = ingest(arr, &r, &n, &p);
	ck_assert_msg(st == c->status, "%zu readings: status %d, want %d", c->size, st, c->status);
	if (st == AQ_OK) {
		ck_assert_uint_eq(n, c->size);
		ck_assert(r[n - 1].value[AQ_F_PM25] == (c->last_bad ? 2001.0 : (double)((n - 1) % 500)));
		struct want_problem want[] = {{(int)c->size - 1, "pm25", "between"}, {0, NULL, NULL}};
		check_problems("batch", &p, c->last_bad ? want : want + 1);
	} else {
		ck_assert_ptr_null(r);
		ck_assert_uint_eq(p.n, 0);
	}
	free(r);
	aq_problems_cleanup(&p);
	json_decref(arr);
}
END_TEST

/* --- station codes --- */

struct code_case {
	const char *code;
	bool ok;
};

static const struct code_case code_cases[] = {
	{"HX-003", true},
	{"a", true},
	{"Z", true},
	{"0", true},
	{"9abc", true},
	{"a.b_c-d", true},
	{"A-", true},
	{"x.", true},
	{"x_", true},
	{"A2345678901234567890123456789012", true},   /* 32 */
	{"A23456789012345678901234567890123", false}, /* 33 */
	{"", false},
	{"-a", false},
	{".a", false},
	{"_a", false},
	{"HX 003", false},
	{" HX", false},
	{"HX/003", false},
	{"HX:003", false},
	{"HX+1", false},
	{"站点1", false},
	{"HX\t1", false},
	{"..", false},
	{"a..", true},
	{"%41", false},
	{"é", false},
};

START_TEST(test_station_code)
{
	const struct code_case *c = &code_cases[_i];
	ck_assert_msg(aq_station_code_valid(c->code) == c->ok, "\"%s\": %d, want %d", c->code, !c->ok, c->ok);
}
END_TEST

/* --- station PUT bodies --- */

struct station_case {
	const char *name;
	const char *body;
	bool creating;
	unsigned set; /* expected set bits */
	struct want_problem want[MAX_WANT];
};

#define SA(a) (1u << AQ_SA_##a)
#define BASE "'name':'东四','kind':'micro','lat':39.9289,'lon':116.4174"
#define BASE_SET (SA(NAME) | SA(KIND) | SA(LAT) | SA(LON))

static const struct station_case station_cases[] = {
	{"create minimal", "{" BASE "}", true, BASE_SET, OKP},
	{"create full",
	 "{" BASE ",'unit':'东城区','contact_person':'张三','contact_phone':'+86 10 1234 5678',"
	 "'interval_s':60,'active':true,'mn':'88888880000001','hj212_password':'123456'}",
	 true,
	 BASE_SET | SA(UNIT) | SA(CONTACT_PERSON) | SA(CONTACT_PHONE) | SA(INTERVAL) | SA(ACTIVE) | SA(MN) |
		 SA(PASSWORD),
	 OKP},
	{"create with code", "{'code':'HX-003'," BASE "}", true, BASE_SET, OKP},
	{"create without name",
	 "{'kind':'micro','lat':1,'lon':2}",
	 true,
	 SA(KIND) | SA(LAT) | SA(LON),
	 {{-1, "name", "required"}}},
	{"create from nothing",
	 "{}",
	 true,
	 0,
	 {{-1, "name", "required"}, {-1, "kind", "required"}, {-1, "lat", "required"}, {-1, "lon", "required"}}},
	{"update nothing", "{}", false, 0, OKP},
	{"update interval", "{'interval_s':60}", false, SA(INTERVAL), OKP},
	{"interval 10", "{'interval_s':10}", false, SA(INTERVAL), OKP},
	{"interval 3600", "{'interval_s':3600}", false, SA(INTERVAL), OKP},
	/* Regression (fixed): a bad interval_s is reported twice: once by the shape check in
	 * aq_json_station_update_parse, and again by aq_station_update_validate, which sees the
	 * set bit with the value left at 0. The six cases below get the same problem twice. */
	{"interval 9", "{'interval_s':9}", false, SA(INTERVAL), {{-1, "interval_s", "from 10 to 3600"}}},
	{"interval 3601", "{'interval_s':3601}", false, SA(INTERVAL), {{-1, "interval_s", "from 10 to 3600"}}},
	{"interval negative", "{'interval_s':-60}", false, SA(INTERVAL), {{-1, "interval_s", "integer"}}},
	{"interval string", "{'interval_s':'60'}", false, SA(INTERVAL), {{-1, "interval_s", "integer"}}},
	{"interval fraction", "{'interval_s':60.5}", false, SA(INTERVAL), {{-1, "interval_s", "integer"}}},
	{"interval huge", "{'interval_s':4294967356}", false, SA(INTERVAL), {{-1, "interval_s", "integer"}}},
	{"lat edges", "{'lat':90,'lon':-180}", false, SA(LAT) | SA(LON), OKP},
	{"lat edges 2", "{'lat':-90,'lon':180}", false, SA(LAT) | SA(LON), OKP},
	{"lat above", "{'lat':90.0001}", false, SA(LAT), {{-1, "lat", "between -90 and 90"}}},
	{"lat below", "{'lat':-90.5}", false, SA(LAT), {{-1, "lat", "between -90 and 90"}}},
	{"lon above", "{'lon':180.5}", false, SA(LON), {{-1, "lon", "between -180 and 180"}}},
	{"lon below", "{'lon':-181}", false, SA(LON), {{-1, "lon", "between -180 and 180"}}},
	{"lat string", "{'lat':'39.9'}", false, SA(LAT), {{-1, "lat", "must be a number"}}},
	{"lon null", "{'lon':null}", false, SA(LON), {{-1, "lon", "must be a number"}}},
	{"kind national", "{'kind':'national'}", false, SA(KIND), OKP},
	{"kind upper case", "{'kind':'MICRO'}", false, SA(KIND), {{-1, "kind", "micro"}}},
	{"kind other", "{'kind':'regional'}", false, SA(KIND), {{-1, "kind", "national"}}},
	{"kind number", "{'kind':1}", false, SA(KIND), {{-1, "kind", "micro"}}},
	{"active false", "{'active':false}", false, SA(ACTIVE), OKP},
	{"active 1", "{'active':1}", false, SA(ACTIVE), {{-1, "active", "true or false"}}},
	{"active string", "{'active':'true'}", false, SA(ACTIVE), {{-1, "active", "true or false"}}},
	{"name empty", "{'name':''}", false, SA(NAME), {{-1, "name", "must not be empty"}}},
	{"name null", "{'name':null}", false, SA(NAME), {{-1, "name", "must not be empty"}}},
	{"name 255 bytes",
	 "{'name':'"
	 "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	 "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	 "0123456789012345678901234567890123456789012345678901234'}",
	 false, SA(NAME), OKP},
	/* Regression (fixed): a name rejected by the shape check (too long, not a string) stays "" with its set
	 * bit on, so aq_station_update_validate adds a wrong "must not be empty" as well. */
	{"name 256 bytes",
	 "{'name':'"
	 "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	 "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	 "01234567890123456789012345678901234567890123456789012345'}",
	 false,
	 SA(NAME),
	 {{-1, "name", "longer than 255 bytes"}}},
	{"name number", "{'name':5}", false, SA(NAME), {{-1, "name", "must be a string"}}},
	{"phone 64 bytes",
	 "{'contact_phone':'0123456789012345678901234567890123456789012345678901234567890123'}",
	 false,
	 SA(CONTACT_PHONE),
	 {{-1, "contact_phone", "longer than 63"}}},
	{"unit number", "{'unit':5}", false, SA(UNIT), {{-1, "unit", "must be a string"}}},
	{"unit null clears", "{'unit':null,'contact_person':null,'mn':null}", false,
	 SA(UNIT) | SA(CONTACT_PERSON) | SA(MN), OKP},
	{"password cleared", "{'hj212_password':''}", false, SA(PASSWORD), OKP},
	{"unknown attribute", "{'token':'x'}", false, 0, {{-1, "token", "not a station attribute"}}},
	{"lng typo", "{" BASE ",'lng':116}", true, BASE_SET, {{-1, "lng", "not a station attribute"}}},
	{"id is not settable", "{'id':5}", false, 0, {{-1, "id", "not a station attribute"}}},
	{"several problems",
	 "{'name':'','lat':91,'lon':'x','active':'yes','foo':1}",
	 true,
	 SA(NAME) | SA(LAT) | SA(LON) | SA(ACTIVE),
	 {{-1, "name", "must not be empty"},
	  {-1, "kind", "required"},
	  {-1, "lat", "between"},
	  {-1, "lon", "must be a number"},
	  {-1, "active", "true or false"},
	  {-1, "foo", "not a station attribute"}}},
	{"array body",
	 "["
	 "{" BASE "}"
	 "]",
	 false,
	 0,
	 {{-1, "", "must be a JSON object"}}},
	{"string body", "'HX-003'", false, 0, {{-1, "", "must be a JSON object"}}},
};

START_TEST(test_station_update)
{
	const struct station_case *c = &station_cases[_i];
	json_t *root = load(c->body);
	struct aq_station_update u;
	struct aq_problems p = {0};
	memset(&u, 0xa5, sizeof u); /* parse must initialise it */
	/* as the PUT handler does: shape, then meaning, all problems in one list */
	aq_json_station_update_parse(root, &u, &p);
	size_t shape = p.n;
	bool valid = aq_station_update_validate(&u, c->creating, &p) && shape == 0;
	check_problems(c->name, &p, c->want);
	/* which attributes a rejected body marks is its own business; a good one marks its own */
	if (c->want[0].field == NULL)
		ck_assert_msg(u.set == c->set, "%s: set %#x, want %#x", c->name, u.set, c->set);
	ck_assert_msg(valid == (c->want[0].field == NULL), "%s: valid %d", c->name, valid);
	aq_problems_cleanup(&p);
	json_decref(root);
}
END_TEST

/* A parsed update carries the values, and aq_station_apply copies exactly the set ones. */
START_TEST(test_station_update_apply)
{
	json_t *root = load("{'name':'天坛','kind':'national','lat':39.8863,'lon':116.4072,"
			    "'unit':null,'contact_phone':'010-1234','interval_s':300,'active':false,"
			    "'hj212_password':'pw'}");
	struct aq_station_update u;
	struct aq_problems p = {0};
	struct aq_station st;
	memset(&st, 0, sizeof st);
	snprintf(st.code, sizeof st.code, "BJ-TT");
	snprintf(st.unit, sizeof st.unit, "旧单位");
	snprintf(st.contact_person, sizeof st.contact_person, "李四");
	snprintf(st.mn, sizeof st.mn, "MN1");
	st.active = true;
	st.interval_s = 3600;

	aq_json_station_update_parse(root, &u, &p);
	ck_assert_uint_eq(p.n, 0);
	ck_assert(aq_station_update_validate(&u, false, &p));
	ck_assert_str_eq(u.password, "pw");
	aq_station_apply(&st, &u);
	ck_assert_str_eq(st.code, "BJ-TT");
	ck_assert_str_eq(st.name, "天坛");
	ck_assert_int_eq(st.kind, AQ_KIND_NATIONAL);
	ck_assert(st.lat == 39.8863 && st.lon == 116.4072);
	ck_assert_str_eq(st.unit, "");
	ck_assert_str_eq(st.contact_person, "李四"); /* not in the body: kept */
	ck_assert_str_eq(st.contact_phone, "010-1234");
	ck_assert_str_eq(st.mn, "MN1");
	ck_assert_int_eq(st.interval_s, 300);
	ck_assert(!st.active);
	ck_assert(st.has_password);
	aq_problems_cleanup(&p);
	json_decref(root);
}
END_TEST

struct kind_case {
	const char *name;
	bool ok;
	int kind;
};

static const struct kind_case kind_cases[] = {
	{"micro", true, AQ_KIND_MICRO},
	{"national", true, AQ_KIND_NATIONAL},
	{"Micro", false, 0},
	{"", false, 0},
	{"nation", false, 0},
	{"micro ", false, 0},
};

START_TEST(test_station_kind)
{
	const struct kind_case *c = &kind_cases[_i];
	int kind = -5;
	ck_assert_msg(aq_station_kind_from_name(c->name, &kind) == c->ok, "\"%s\"", c->name);
	if (c->ok) {
		ck_assert_int_eq(kind, c->kind);
		ck_assert_str_eq(aq_station_kind_name(kind), c->name);
	} else {
		ck_assert_int_eq(kind, -5);
	}
}
END_TEST

/* --- problems JSON --- */

START_TEST(test_problems_json)
{
	struct aq_problems p = {0};
	ck_assert_ptr_null(aq_json_problems(&p));
	ck_assert_ptr_null(aq_json_problems(NULL));
	aq_problems_add(&p, -1, "", "needs at least one of pm25, pm10, so2, no2, co, o3");
	aq_problems_add(&p, 0, "pm25", "must be between %g and %g", 0.0, 2000.0);
	aq_problems_add(&p, 4999, "", "must be an object, not %s", "a string");
	aq_problems_add(&p, -1, "observed_at", "is required");
	aq_problems_add(&p, 2, NULL, "x");
	json_t *got = aq_json_problems(&p);
	json_t *want = load("[{'problem':'needs at least one of pm25, pm10, so2, no2, co, o3'},"
			    "{'index':0,'field':'pm25','problem':'must be between 0 and 2000'},"
			    "{'index':4999,'problem':'must be an object, not a string'},"
			    "{'field':'observed_at','problem':'is required'},"
			    "{'index':2,'problem':'x'}]");
	ck_assert_ptr_nonnull(got);
	char *text = json_dumps(got, JSON_COMPACT);
	ck_assert_msg(json_equal(got, want), "got %s", text);
	ck_assert(json_is_integer(json_object_get(json_array_get(got, 1), "index")));
	free(text);
	json_decref(got);
	json_decref(want);
	aq_problems_cleanup(&p);
}
END_TEST

/* --- station JSON --- */

static void shanghai(void)
{
	aq_timezone_set("Asia/Shanghai");
}

struct station_json_case {
	struct aq_station s;
	const char *want;
};

static const struct station_json_case station_json_cases[] = {
	{{.id = 7,
	  .code = "HX-003",
	  .name = "东四",
	  .unit = "东城区环保局",
	  .contact_person = "张三",
	  .contact_phone = "13800000000",
	  .mn = "88888880000001",
	  .kind = AQ_KIND_MICRO,
	  .lat = 39.9289,
	  .lon = 116.4174,
	  .interval_s = 60,
	  .active = true,
	  .has_password = true,
	  .created_us = INT64_C(1512626400) * S,
	  .updated_us = INT64_C(1512626400) * S + 1500000},
	 "{'code':'HX-003','name':'东四','kind':'micro','lat':39.9289,'lon':116.4174,"
	 "'unit':'东城区环保局','contact_person':'张三','contact_phone':'13800000000','interval_s':60,"
	 "'active':true,'mn':'88888880000001','hj212_password_set':true,"
	 "'created_at':'2017-12-07T14:00:00+08:00','updated_at':'2017-12-07T14:00:01.500000+08:00'}"},
	{{.id = 1,
	  .code = "BJ-TT",
	  .name = "天坛",
	  .kind = AQ_KIND_NATIONAL,
	  .lat = 39.8863,
	  .lon = 116.4072,
	  .interval_s = 3600,
	  .active = false,
	  .created_us = INT64_C(1512576000) * S,
	  .updated_us = INT64_C(1512576000) * S},
	 "{'code':'BJ-TT','name':'天坛','kind':'national','lat':39.8863,'lon':116.4072,'unit':null,"
	 "'contact_person':null,'contact_phone':null,'interval_s':3600,'active':false,'mn':null,"
	 "'hj212_password_set':false,'created_at':'2017-12-07T00:00:00+08:00',"
	 "'updated_at':'2017-12-07T00:00:00+08:00'}"},
	{{.code = "S",
	  .name = "x",
	  .kind = AQ_KIND_MICRO,
	  .lat = -33.5,
	  .lon = -70.25,
	  .interval_s = 10,
	  .active = true,
	  .created_us = 0,
	  .updated_us = 0},
	 "{'code':'S','name':'x','kind':'micro','lat':-33.5,'lon':-70.25,'unit':null,"
	 "'contact_person':null,'contact_phone':null,'interval_s':10,'active':true,'mn':null,"
	 "'hj212_password_set':false,'created_at':'1970-01-01T08:00:00+08:00',"
	 "'updated_at':'1970-01-01T08:00:00+08:00'}"},
};

START_TEST(test_station_json)
{
	const struct station_json_case *c = &station_json_cases[_i];
	json_t *got = aq_json_station(&c->s);
	json_t *want = load(c->want);
	ck_assert_ptr_nonnull(got);
	char *text = json_dumps(got, JSON_COMPACT);
	ck_assert_msg(json_equal(got, want), "%s: got %s", c->s.code, text);
	/* never a secret, never the internal id */
	ck_assert(strstr(text, "password\":\"") == NULL);
	ck_assert_ptr_null(json_object_get(got, "token"));
	ck_assert_ptr_null(json_object_get(got, "hj212_password"));
	ck_assert_ptr_null(json_object_get(got, "id"));
	free(text);
	json_decref(got);
	json_decref(want);
}
END_TEST

/* --- distances --- */

/* Independent reference: the angle between the two unit vectors, atan2(|a × b|, a · b), on the
 * same IUGG mean radius. Accurate for every separation, including antipodes. */
static double ref_distance_km(double lat1, double lon1, double lat2, double lon2)
{
	const long double rad = 3.14159265358979323846264338327950288L / 180;
	long double p1 = lat1 * rad, l1 = lon1 * rad, p2 = lat2 * rad, l2 = lon2 * rad;
	long double a[3] = {cosl(p1) * cosl(l1), cosl(p1) * sinl(l1), sinl(p1)};
	long double b[3] = {cosl(p2) * cosl(l2), cosl(p2) * sinl(l2), sinl(p2)};
	long double c[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
	long double cross = sqrtl(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
	long double dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
	return (double)(6371.0088L * atan2l(cross, dot));
}

struct distance_case {
	const char *name;
	double lat1, lon1, lat2, lon2;
	double published; /* a fixed value, or -1 */
	double tol;	  /* tolerance of the published value, km */
};

#define R_KM 6371.0088
#define PI 3.14159265358979323846

static const struct distance_case distance_cases[] = {
	{"Dongsi-Tiantan", 39.9289, 116.4174, 39.8863, 116.4072, 4.81, 0.01},
	{"Dongsi-Guanyuan", 39.9289, 116.4174, 39.9425, 116.339, 6.85, 0.05},
	{"Beijing-Shanghai", 39.9042, 116.4074, 31.2304, 121.4737, 1067.3, 1.0},
	{"1 degree of latitude", 0, 0, 1, 0, R_KM *PI / 180, 1e-9},
	{"1 degree of longitude on the equator", 0, 100, 0, 101, R_KM *PI / 180, 1e-9},
	{"across the antimeridian", 0, 179.5, 0, -179.5, R_KM *PI / 180, 1e-6},
	{"quarter of a great circle", 0, 0, 0, 90, R_KM *PI / 2, 1e-6},
	{"pole to pole", 90, 0, -90, 0, R_KM *PI, 1e-6},
	{"antipodes", 39.9, 116.4, -39.9, -63.6, R_KM *PI, 1e-3},
	{"pole to equator", 90, 45, 0, -120, R_KM *PI / 2, 1e-6},
	{"3 km ring scale", 39.9289, 116.4174, 39.9289 + 3 / (R_KM * PI / 180), 116.4174, 3, 1e-9},
	{"ten metres", 39.9289, 116.4174, 39.92899, 116.4174, -1, 0},
	{"southern hemisphere", -33.8688, 151.2093, -37.8136, 144.9631, 713.4, 1.0},
};

START_TEST(test_distance)
{
	const struct distance_case *c = &distance_cases[_i];
	double d = aq_distance_km(c->lat1, c->lon1, c->lat2, c->lon2);
	double back = aq_distance_km(c->lat2, c->lon2, c->lat1, c->lon1);
	double ref = ref_distance_km(c->lat1, c->lon1, c->lat2, c->lon2);
	/* haversine loses precision near antipodes only: 1 mm elsewhere, 1 m there */
	double tol = ref > 20000 ? 1e-3 : 1e-6;
	ck_assert_msg(fabs(d - ref) <= tol, "%s: %.9f km, reference %.9f", c->name, d, ref);
	if (c->published >= 0)
		ck_assert_msg(fabs(d - c->published) <= c->tol, "%s: %.6f km, published %.6f ± %g", c->name, d,
			      c->published, c->tol);
	ck_assert_msg(fabs(d - back) <= 1e-9, "%s: not symmetric: %.12f vs %.12f", c->name, d, back);
	ck_assert(aq_distance_km(c->lat1, c->lon1, c->lat1, c->lon1) == 0);
	ck_assert(aq_distance_km(c->lat2, c->lon2, c->lat2, c->lon2) == 0);
}
END_TEST

static Suite *reading_suite(void)
{
	Suite *s = suite_create("reading");
	TCase *tc;

	tc = tcase_create("meaning");
	tcase_add_loop_test(tc, test_field_range_edges, 0, N(spec_fields) * PROBES);
	tcase_add_loop_test(tc, test_field_names, 0, N(spec_fields));
	tcase_add_loop_test(tc, test_field_unknown, 0, N(not_fields));
	tcase_add_loop_test(tc, test_non_finite, 0, N(non_finite));
	tcase_add_loop_test(tc, test_validate, 0, N(validate_cases));
	tcase_add_test(tc, test_validate_appends);
	tcase_add_test(tc, test_problems_grow);
	tcase_add_loop_test(tc, test_flag_valid, 0, 256);
	suite_add_tcase(s, tc);

	tc = tcase_create("bodies");
	tcase_add_loop_test(tc, test_body, 0, N(body_cases));
	tcase_add_test(tc, test_body_values);
	tcase_add_loop_test(tc, test_batch_size, 0, N(batch_cases));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("stations");
	tcase_add_checked_fixture(tc, shanghai, NULL);
	tcase_add_loop_test(tc, test_station_code, 0, N(code_cases));
	tcase_add_loop_test(tc, test_station_update, 0, N(station_cases));
	tcase_add_test(tc, test_station_update_apply);
	tcase_add_loop_test(tc, test_station_kind, 0, N(kind_cases));
	tcase_add_test(tc, test_problems_json);
	tcase_add_loop_test(tc, test_station_json, 0, N(station_json_cases));
	tcase_add_loop_test(tc, test_distance, 0, N(distance_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reading_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
