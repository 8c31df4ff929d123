/* fuzz_query.c — query-string parameters. libmicrohttpd splits and percent-decodes the query;
 * this harness does the same ("k=v&k2=v2", '+' as space, %XX) and hands each value to the
 * parser its key names, written as the handlers write it (the handler is named at each
 * model: keep them in step). Invariants: whatever a handler accepts is what it claims to
 * accept — a date that formats back to its text, a name that names back, a limit and a radius
 * in their ranges. */
#include "fuzz.h"

#include "aq_alert.h"
#include "aq_alerts.h"
#include "aq_clock.h"
#include "aq_interview.h"
#include "aq_ranking.h"
#include "aq_station.h"
#include "aq_time.h"

#include <errno.h>
#include <limits.h>
#include <math.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	aq_timezone_set("Asia/Shanghai");
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* In place, as MHD_http_unescape after MHD_unescape_plus: '+' → ' ', %XX → byte, a '%' that
 * starts no escape stays. A decoded %00 ends the C string the handler sees. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r == '+') {
			*w++ = ' ';
		} else if (*r == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
			*w++ = (char)(hexval(r[1]) * 16 + hexval(r[2]));
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* The decimal value of s when it is a whole integer, independently of the handlers' code. */
static bool exact_integer(const char *s, long long *v)
{
	char *end;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return end != s && *end == '\0' && errno == 0;
}

static void check_date_param(const char *v)
{
	int64_t day;
	char buf[11];
	if (!aq_date_parse(v, &day))
		return;
	aq_date_format(day, buf);
	FUZZ_CHECK(strcmp(buf, v) == 0);
	/* http_alerts.c since=, http_readings.c parse_bound: local midnights of day and day + 1. */
	int64_t a = aq_local_midnight(day), b = aq_local_midnight(day + 1);
	FUZZ_CHECK(b > a && b - a >= 22 * 3600 * AQ_US_PER_SEC && b - a <= 26 * 3600 * AQ_US_PER_SEC);
}

/* http_readings.c parse_bound, http_alerts.c since=: a date, else an RFC 3339 instant. */
static void check_bound_param(const char *v)
{
	int64_t day, us;
	const char *problem = NULL;
	if (aq_date_parse(v, &day))
		return;
	if (aq_time_parse_rfc3339(v, &us, &problem)) {
		char buf[40];
		int64_t back;
		aq_local_format(us, buf, sizeof buf);
		FUZZ_CHECK(aq_time_parse_rfc3339(buf, &back, &problem) && back == us);
	} else {
		FUZZ_CHECK(problem != NULL);
	}
}

/* http_alerts.c aq_handle_alerts_list: limit=. */
static void check_alerts_limit(const char *limit)
{
	char *end;
	long lim = 0;
	long long exact;
	bool rejected = (lim = strtol(limit, &end, 10)) < 1 || lim > 1000 || *end;
	if (!rejected)
		FUZZ_CHECK(exact_integer(limit, &exact) && exact >= 1 && exact <= 1000 && exact == (int)lim);
}

/* http_readings.c aq_handle_readings_list: limit=. */
static void check_readings_limit(const char *limit_s)
{
	char *end;
	long limit;
	long long exact;
	bool rejected = (limit = strtol(limit_s, &end, 10)) < 1 || limit > 10000 || *end;
	if (!rejected)
		FUZZ_CHECK(exact_integer(limit_s, &exact) && exact >= 1 && exact <= 10000 && exact == limit);
}

/* http_readings.c aq_handle_readings_list: cursor= (an out-of-range number clamps, which
 * only yields an empty page: not checked). */
static void check_cursor(const char *cursor)
{
	char *end;
	int64_t after = INT64_MIN;
	long long exact;
	bool rejected = cursor[0] != 'c' ||
			(after = strtoll(cursor + 1, &end, 10), *end != '\0' || end == cursor + 1);
	if (!rejected && exact_integer(cursor + 1, &exact))
		FUZZ_CHECK(after == exact);
}

/* http_ranking.c parse_ranking_query: radius_km= (http_stations.c query_double takes any
 * positive finite number, which cannot misbehave). */
static void check_radius(const char *radius)
{
	char *end;
	double r = strtod(radius, &end);
	if (!(end == radius || *end || !(r > 0 && r <= 1000)))
		FUZZ_CHECK(isfinite(r) && r > 0 && r <= 1000);
}

static void check_names(const char *key, const char *v)
{
	if (strcmp(key, "metric") == 0) {
		enum aq_metric m;
		if (aq_metric_from_name(v, &m))
			FUZZ_CHECK(strcmp(aq_metric_name(m), v) == 0);
	} else if (strcmp(key, "type") == 0) {
		enum aq_alert_type t;
		if (aq_alert_type_from_name(v, &t))
			FUZZ_CHECK(strcmp(aq_alert_type_name(t), v) == 0);
	} else if (strcmp(key, "status") == 0) {
		int s;
		if (strcmp(v, "all") != 0 && aq_alert_status_from_name(v, &s))
			FUZZ_CHECK(strcmp(aq_alert_status_name(s), v) == 0);
		if (aq_interview_status_from_name(v, &s))
			FUZZ_CHECK(strcmp(aq_interview_status_name(s), v) == 0);
	} else if (strcmp(key, "kind") == 0) {
		int k;
		if (aq_station_kind_from_name(v, &k))
			FUZZ_CHECK(strcmp(aq_station_kind_name(k), v) == 0);
	} else if (strcmp(key, "insufficient") == 0) {
		enum aq_insufficient_policy p;
		if (aq_insufficient_policy_from_name(v, &p))
			FUZZ_CHECK(strcmp(aq_insufficient_policy_name(p), v) == 0);
	}
}

static void check_param(const char *key, const char *v)
{
	if (strcmp(key, "date") == 0) {
		check_date_param(v);
	} else if (strcmp(key, "from") == 0 || strcmp(key, "to") == 0 || strcmp(key, "since") == 0) {
		check_date_param(v);
		check_bound_param(v);
	} else if (strcmp(key, "limit") == 0) {
		check_alerts_limit(v);
		check_readings_limit(v);
	} else if (strcmp(key, "cursor") == 0) {
		check_cursor(v);
	} else if (strcmp(key, "radius_km") == 0) {
		check_radius(v);
	} else {
		check_names(key, v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *query = fuzz_cstring(data, size);
	char *save = NULL;
	for (char *pair = strtok_r(query, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		if (!eq)
			continue; /* "?flag" without '=': MHD gives a NULL value, handlers ignore it */
		*eq = '\0';
		unescape(pair);
		unescape(eq + 1);
		check_param(pair, eq + 1);
	}
	free(query);
	return 0;
}
