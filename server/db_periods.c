/* db_periods.c — finalized months and years (005_periods.sql): their header, their subjects'
 * period values, writing them inside the finalization transaction, the late data since, and
 * which periods are due. */
#include "db_internal.h"
#include "aq_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY(n) "(date '1970-01-01' + $" #n "::int)"

static const struct aq_sql sql_period_info = {
	"period_info",
	"SELECT (extract(epoch FROM finalized_at) * 1000000)::int8, rule_version, min_days, days_with_data "
	"FROM periods WHERE kind = $1 AND key = $2"};
static const struct aq_sql sql_period_rows = {
	"period_rows",
	"SELECT subject, name, unit, members, valid_days, conc, aqi_days, aqi_mean, good_days FROM period_values "
	"WHERE kind = $1 AND key = $2 AND by_unit = $3 ORDER BY subject"};
static const struct aq_sql sql_period_lock = {"period_lock",
					      "SELECT pg_try_advisory_xact_lock(7305004, hashtext($1 || '/' || $2))"};
static const struct aq_sql sql_period_clear = {"period_clear", "DELETE FROM periods WHERE kind = $1 AND key = $2"};
static const struct aq_sql sql_period_insert = {
	"period_insert",
	"INSERT INTO periods (kind, key, first_day, last_day, rule_version, min_days, days_with_data, finalized_at, "
	"days_finalizations) VALUES ($1, $2, " DAY(3) ", " DAY(
		4) ", $5, $6, $7, $8::timestamptz, "
		   "(SELECT coalesce(sum(finalizations), 0) FROM days WHERE day BETWEEN " DAY(3) " AND " DAY(4) "))"};
static const struct aq_sql sql_period_value = {
	"period_value",
	"INSERT INTO period_values (kind, key, by_unit, subject, name, unit, members, valid_days, conc, aqi_days, "
	"aqi_mean, good_days) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::int[], $9::float8[], $10, $11, $12)"};
static const struct aq_sql sql_period_late = {
	"period_late",
	"SELECT coalesce(sum(d.late_readings), 0), coalesce(sum(d.finalizations), 0) - p.days_finalizations "
	"FROM periods p LEFT JOIN days d ON d.day BETWEEN p.first_day AND p.last_day "
	"WHERE p.kind = $1 AND p.key = $2 GROUP BY p.days_finalizations"};
/* Calendar months (kind 'month') or years whose days with data are all finalized, that ended
 * before today ($1) and have no snapshot yet, oldest first. */
static const struct aq_sql sql_periods_due = {
	"periods_due",
	"SELECT CASE WHEN $2 = 'month' THEN to_char(p, 'YYYY-MM') ELSE to_char(p, 'YYYY') END FROM ("
	"  SELECT date_trunc($2, day)::date AS p FROM days GROUP BY 1 HAVING bool_and(finalized_at IS NOT NULL)) x "
	"WHERE (p + CASE WHEN $2 = 'month' THEN interval '1 month' ELSE interval '1 year' END)::date <= " DAY(
		1) " AND NOT EXISTS (SELECT 1 FROM periods WHERE kind = $2 AND key = CASE WHEN $2 = 'month' "
		   "  THEN to_char(p, 'YYYY-MM') ELSE to_char(p, 'YYYY') END) ORDER BY p LIMIT $3"};

enum aq_status aq_db_period_info(struct aq_db *db, const char *kind, const char *key, struct aq_period_info *out)
{
	enum aq_status st;
	const char *params[] = {kind, key};
	memset(out, 0, sizeof *out);
	PGresult *r = aq_db_exec(db, &sql_period_info, 2, params, &st);
	if (st == AQ_OK && PQntuples(r) == 1) {
		out->final = true;
		out->finalized_us = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		snprintf(out->rule_version, sizeof out->rule_version, "%s", PQgetvalue(r, 0, 1));
		out->min_days = atoi(PQgetvalue(r, 0, 2));
		out->days_with_data = atoi(PQgetvalue(r, 0, 3));
	}
	PQclear(r);
	return st;
}

/* "{1,2,3}" into n numbers. */
static void read_array(const char *text, double *out, int n)
{
	const char *p = text + (text[0] == '{');
	for (int i = 0; i < n; i++) {
		char *end;
		out[i] = strtod(p, &end);
		p = *end == ',' ? end + 1 : end;
	}
}

static void read_period_row(const PGresult *r, int row, void *elem)
{
	struct aq_period_stored *s = elem;
	double days[AQ_POLLUTANTS];
	snprintf(s->subject, sizeof s->subject, "%s", PQgetvalue(r, row, 0));
	snprintf(s->name, sizeof s->name, "%s", PQgetvalue(r, row, 1));
	snprintf(s->unit, sizeof s->unit, "%s", PQgetvalue(r, row, 2));
	snprintf(s->members, sizeof s->members, "%s", PQgetvalue(r, row, 3));
	read_array(PQgetvalue(r, row, 4), days, AQ_POLLUTANTS);
	read_array(PQgetvalue(r, row, 5), s->conc, AQ_POLLUTANTS);
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		s->valid_days[p] = (int)days[p];
	s->aqi_days = atoi(PQgetvalue(r, row, 6));
	s->aqi_mean = strtod(PQgetvalue(r, row, 7), NULL);
	s->good_days = atoi(PQgetvalue(r, row, 8));
}

enum aq_status aq_db_period_rows(struct aq_db *db, const char *kind, const char *key, bool by_unit,
				 struct aq_period_stored **out, size_t *n)
{
	const char *params[] = {kind, key, by_unit ? "t" : "f"};
	return aq_db_rows(db, &sql_period_rows, 3, params, sizeof **out, read_period_row, (void **)out, n);
}

enum aq_status aq_db_period_lock(struct aq_db *db, const char *kind, const char *key, bool *locked)
{
	int64_t v = 0;
	const char *params[] = {kind, key};
	enum aq_status st = aq_db_scalar(db, &sql_period_lock, 2, params, &v);
	*locked = v == 1;
	return st;
}

enum aq_status aq_db_period_write_header(struct aq_db *db, const char *kind, const char *key, int64_t first_day,
					 int64_t last_day, const char *rule_version, int min_days, int days_with_data,
					 int64_t finalized_us)
{
	char a[24], b[24], m[16], d[16], at[48];
	enum aq_status st;
	snprintf(a, sizeof a, "%lld", (long long)first_day);
	snprintf(b, sizeof b, "%lld", (long long)last_day);
	snprintf(m, sizeof m, "%d", min_days);
	snprintf(d, sizeof d, "%d", days_with_data);
	aq_time_format(finalized_us, 0, at, sizeof at);
	const char *clear[] = {kind, key};
	PQclear(aq_db_exec(db, &sql_period_clear, 2, clear, &st));
	if (st != AQ_OK)
		return st;
	const char *params[] = {kind, key, a, b, rule_version, m, d, at};
	PQclear(aq_db_exec(db, &sql_period_insert, 8, params, &st));
	return st;
}

enum aq_status aq_db_period_write_row(struct aq_db *db, const char *kind, const char *key, bool by_unit,
				      const struct aq_period_stored *s)
{
	char days[128] = "{", conc[256] = "{", aqi_days[16], aqi_mean[32], good[16];
	enum aq_status st;
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		snprintf(days + strlen(days), sizeof days - strlen(days), "%s%d", p ? "," : "", s->valid_days[p]);
		snprintf(conc + strlen(conc), sizeof conc - strlen(conc), "%s%.17g", p ? "," : "", s->conc[p]);
	}
	strcat(days, "}");
	strcat(conc, "}");
	snprintf(aqi_days, sizeof aqi_days, "%d", s->aqi_days);
	snprintf(aqi_mean, sizeof aqi_mean, "%.17g", s->aqi_mean);
	snprintf(good, sizeof good, "%d", s->good_days);
	const char *params[] = {
		kind,	  key, by_unit ? "t" : "f", s->subject, s->name, s->unit, s->members, days, conc, aqi_days,
		aqi_mean, good};
	PQclear(aq_db_exec(db, &sql_period_value, 12, params, &st));
	return st;
}

enum aq_status aq_db_period_late(struct aq_db *db, const char *kind, const char *key, int *late_readings,
				 int *days_refinalized)
{
	enum aq_status st;
	const char *params[] = {kind, key};
	*late_readings = *days_refinalized = 0;
	PGresult *r = aq_db_exec(db, &sql_period_late, 2, params, &st);
	if (st == AQ_OK && PQntuples(r) == 1) {
		*late_readings = atoi(PQgetvalue(r, 0, 0));
		*days_refinalized = atoi(PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return st;
}

static void read_key(const PGresult *r, int row, void *elem)
{
	snprintf(elem, 16, "%s", PQgetvalue(r, row, 0));
}

enum aq_status aq_db_periods_due(struct aq_db *db, const char *kind, int64_t today, size_t max, char (**keys)[16],
				 size_t *n)
{
	char t[24], m[16];
	snprintf(t, sizeof t, "%lld", (long long)today);
	snprintf(m, sizeof m, "%zu", max);
	const char *params[] = {t, kind, m};
	enum aq_status st = aq_db_fold_once(db);
	if (st != AQ_OK)
		return st;
	return aq_db_rows(db, &sql_periods_due, 3, params, sizeof **keys, read_key, (void **)keys, n);
}
