/* db_sources.c — what the source analysis reads (issue 17): the PM2.5 and PM10 hourly sums of
 * a national point and its ring over a few days, and the hourly wind of one station summed
 * from its raw readings. The hourly table carries no wind: one station's wind over a window is
 * a range scan of the readings' primary key (docs/PERFORMANCE.md, "Sources"), which costs the
 * ingest path nothing. */
#include "db_internal.h"
#include "aq_buf.h"
#include "aq_time.h"

#include <stdio.h>
#include <stdlib.h>

/* PM2.5 and PM10 sums and counts of some stations' hours on the days $1 (days since
 * 1970-01-01) from local hour $3 to $4 (day × 24 + hour: a 24-hour window spans two days, and
 * sending the rows is most of the cost), binary: up to stations × 24 × days rows. The days go in as a list, not a range:
 * with equality on the key's first column PostgreSQL 15 descends the primary key once per
 * (day, station) pair, where `day BETWEEN … AND station_id = ANY …` rescans the whole range
 * once per station (55 ms instead of 4.6 ms for 200 stations over two days). */
static const struct aq_sql sql_pm_hours = {
	"sources_pm_hours",
	"SELECT station_id, (day - date '1970-01-01')::int4, hour, pm25_sum, pm25_n, pm10_sum, pm10_n "
	"FROM hourly WHERE day = ANY (ARRAY(SELECT date '1970-01-01' + d FROM unnest($1::int4[]) d)) "
	"AND station_id = ANY ($2::int4[]) AND (day - date '1970-01-01') * 24 + hour BETWEEN $3 AND $4"};

/* One station's wind per local hour of [$2, $3): speeds, and speed-weighted direction vectors
 * of the readings that also have a direction. Values flagged other than N do not count (flag
 * letters 10 and 11: wind_speed, wind_direction). */
#define WS_OK "(flags IS NULL OR substr(flags, 10, 1) = 'N')"
#define WD_OK WS_OK " AND wind_direction IS NOT NULL AND (flags IS NULL OR substr(flags, 11, 1) = 'N')"
static const struct aq_sql sql_wind_hours = {
	"sources_wind_hours",
	"SELECT observed_at::date - date '1970-01-01', extract(hour FROM observed_at)::int, "
	"count(*) FILTER (WHERE " WS_OK "), coalesce(sum(wind_speed) FILTER (WHERE " WS_OK "), 0), "
	"count(*) FILTER (WHERE " WD_OK "), "
	"coalesce(sum(wind_speed * sind(wind_direction)) FILTER (WHERE " WD_OK "), 0), "
	"coalesce(sum(wind_speed * cosd(wind_direction)) FILTER (WHERE " WD_OK "), 0) "
	"FROM readings WHERE station_id = $1 AND observed_at >= $2::timestamptz AND observed_at < $3::timestamptz "
	"AND wind_speed IS NOT NULL GROUP BY 1, 2"};

/* Growable array of rows. */
struct pm_rows {
	struct aq_pm_hour_row *v;
	size_t n, cap;
};

static bool pm_rows_reserve(struct pm_rows *a, size_t more)
{
	if (a->n + more <= a->cap)
		return true;
	size_t cap = a->cap ? a->cap : 256;
	while (cap < a->n + more)
		cap *= 2;
	struct aq_pm_hour_row *grown = realloc(a->v, cap * sizeof *grown);
	if (!grown)
		return false;
	a->v = grown;
	a->cap = cap;
	return true;
}

/* The wanted stations' rows of a day the pool's cache holds. */
static bool rows_of_cached_day(const struct aq_day_rows *day, int64_t day_no, int64_t first_hour, int64_t last_hour,
			       const int *ids, size_t n_ids, struct pm_rows *out)
{
	for (size_t i = 0; i < n_ids; i++) {
		const struct aq_station_hours *h = aq_day_rows_find(day, ids[i]);
		if (!h)
			continue;
		if (!pm_rows_reserve(out, 24))
			return false;
		for (int hour = 0; hour < 24; hour++) {
			int64_t at = day_no * 24 + hour;
			if (!(h->present & 1u << hour) || at < first_hour || at > last_hour)
				continue;
			out->v[out->n++] =
				(struct aq_pm_hour_row){ids[i],
							day_no,
							hour,
							{h->hours[hour].sum[AQ_PM25], h->hours[hour].sum[AQ_PM10]},
							{h->hours[hour].count[AQ_PM25], h->hours[hour].count[AQ_PM10]}};
		}
	}
	return true;
}

/* "{a,b,c}": an int4[] parameter. */
static char *int_array(const int64_t *v64, const int *v, size_t n)
{
	struct aq_buf b = {0};
	char tmp[24];
	aq_buf_str(&b, "{");
	for (size_t i = 0; i < n; i++) {
		snprintf(tmp, sizeof tmp, "%s%lld", i ? "," : "", v64 ? (long long)v64[i] : (long long)v[i]);
		aq_buf_str(&b, tmp);
	}
	aq_buf_str(&b, "}");
	return aq_buf_take(&b);
}

/* Days the cache holds come from it (today's, whenever a ranking is read); the rest in one
 * statement, and they are not put in the cache: it keeps the days the rankings read. */
enum aq_status aq_db_pm_hours(struct aq_db *db, int64_t first_hour, int64_t last_hour, const int *station_ids,
			      size_t n_ids, struct aq_pm_hour_row **out, size_t *n)
{
	/* Floor division: history before 1970 has negative days. */
	int64_t from_day = first_hour >= 0 ? first_hour / 24 : -((-first_hour + 23) / 24);
	int64_t to_day = last_hour >= 0 ? last_hour / 24 : -((-last_hour + 23) / 24);
	char first[24], last[24];
	struct pm_rows rows = {0};
	int64_t *days = calloc(to_day >= from_day ? (size_t)(to_day - from_day + 1) : 1, sizeof *days);
	size_t n_days = 0;
	char *day_list = NULL, *id_list = NULL;
	PGresult *r = NULL;
	enum aq_status st = AQ_ERR_INTERNAL;
	*out = NULL;
	*n = 0;
	if (!days)
		return AQ_ERR_INTERNAL;
	if ((st = aq_db_fold_once(db)) != AQ_OK)
		goto out;
	for (int64_t d = from_day; d <= to_day; d++) {
		struct aq_day_rows cached;
		bool found;
		if ((st = aq_db_day_rows_if_cached(db, d, &cached, &found)) != AQ_OK)
			goto out;
		if (!found) {
			days[n_days++] = d;
			continue;
		}
		bool ok = rows_of_cached_day(&cached, d, first_hour, last_hour, station_ids, n_ids, &rows);
		aq_daycache_put(db->day_cache, d, &cached);
		if (!ok) {
			st = AQ_ERR_INTERNAL;
			goto out;
		}
	}
	if (n_days > 0) {
		st = AQ_ERR_INTERNAL;
		day_list = int_array(days, NULL, n_days);
		id_list = int_array(NULL, station_ids, n_ids);
		if (!day_list || !id_list)
			goto out;
		snprintf(first, sizeof first, "%lld", (long long)first_hour);
		snprintf(last, sizeof last, "%lld", (long long)last_hour);
		const char *params[] = {day_list, id_list, first, last};
		/* Binary: a month of a 200-station ring is 150,000 rows of 7 numbers. */
		r = aq_db_exec_binary(db, &sql_pm_hours, 4, params, &st);
		if (st != AQ_OK)
			goto out;
		size_t got = (size_t)PQntuples(r);
		st = AQ_ERR_INTERNAL;
		if (!pm_rows_reserve(&rows, got))
			goto out;
		for (size_t i = 0; i < got; i++) {
			int row = (int)i;
			rows.v[rows.n++] = (struct aq_pm_hour_row){
				aq_db_int4(r, row, 0),
				aq_db_int4(r, row, 1),
				aq_db_int2(r, row, 2),
				{aq_db_float8(r, row, 3), aq_db_float8(r, row, 5)},
				{aq_db_int4(r, row, 4), aq_db_int4(r, row, 6)},
			};
		}
	}
	st = AQ_OK;
	*out = rows.v ? rows.v : calloc(1, sizeof **out);
	*n = rows.n;
	rows.v = NULL;
	if (!*out)
		st = AQ_ERR_INTERNAL;
out:
	PQclear(r);
	free(rows.v);
	free(days);
	free(day_list);
	free(id_list);
	return st;
}

static void read_wind_hour(const PGresult *r, int row, void *elem)
{
	struct aq_wind_hour_row *w = elem;
	w->day = strtoll(PQgetvalue(r, row, 0), NULL, 10);
	w->hour = atoi(PQgetvalue(r, row, 1));
	w->sums.n_speed = atoi(PQgetvalue(r, row, 2));
	w->sums.speed_sum = strtod(PQgetvalue(r, row, 3), NULL);
	w->sums.n_vector = atoi(PQgetvalue(r, row, 4));
	w->sums.u_sum = strtod(PQgetvalue(r, row, 5), NULL);
	w->sums.v_sum = strtod(PQgetvalue(r, row, 6), NULL);
}

enum aq_status aq_db_wind_hours(struct aq_db *db, int station_id, int64_t from_us, int64_t to_us,
				struct aq_wind_hour_row **out, size_t *n)
{
	char id[16], from[48], to[48];
	snprintf(id, sizeof id, "%d", station_id);
	aq_time_format(from_us, 0, from, sizeof from);
	aq_time_format(to_us, 0, to, sizeof to);
	const char *params[] = {id, from, to};
	return aq_db_rows(db, &sql_wind_hours, 3, params, sizeof **out, read_wind_hour, (void **)out, n);
}
