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

/* PM2.5 and PM10 sums and counts of some stations' hours over days [$1, $2] (days since
 * 1970-01-01), binary: up to stations × 24 × days rows. */
static const struct aq_sql sql_pm_hours = {
	"sources_pm_hours",
	"SELECT station_id, (day - date '1970-01-01')::int4, hour, pm25_sum, pm25_n, pm10_sum, pm10_n "
	"FROM hourly WHERE day BETWEEN (date '1970-01-01' + $1::int) AND (date '1970-01-01' + $2::int) "
	"AND station_id = ANY ($3::int4[])"};

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

enum aq_status aq_db_pm_hours(struct aq_db *db, int64_t from_day, int64_t to_day, const int *station_ids,
			      size_t n_ids, struct aq_pm_hour_row **out, size_t *n)
{
	char a[24], b[24], tmp[16];
	struct aq_buf ids = {0};
	enum aq_status st;
	*out = NULL;
	*n = 0;
	if ((st = aq_db_fold_once(db)) != AQ_OK)
		return st;
	snprintf(a, sizeof a, "%lld", (long long)from_day);
	snprintf(b, sizeof b, "%lld", (long long)to_day);
	aq_buf_str(&ids, "{");
	for (size_t i = 0; i < n_ids; i++) {
		snprintf(tmp, sizeof tmp, "%s%d", i ? "," : "", station_ids[i]);
		aq_buf_str(&ids, tmp);
	}
	aq_buf_str(&ids, "}");
	char *list = aq_buf_take(&ids);
	if (!list)
		return AQ_ERR_INTERNAL;
	const char *params[] = {a, b, list};
	/* Binary: a month of a 200-station ring is 150,000 rows of 7 numbers. */
	PGresult *r = aq_db_exec_binary(db, &sql_pm_hours, 3, params, &st);
	free(list);
	if (st != AQ_OK)
		return st;
	size_t rows = (size_t)PQntuples(r);
	struct aq_pm_hour_row *h = calloc(rows ? rows : 1, sizeof *h);
	if (!h) {
		PQclear(r);
		return AQ_ERR_INTERNAL;
	}
	for (size_t i = 0; i < rows; i++) {
		int row = (int)i;
		h[i].station_id = aq_db_int4(r, row, 0);
		h[i].day = aq_db_int4(r, row, 1);
		h[i].hour = aq_db_int2(r, row, 2);
		h[i].sum[0] = aq_db_float8(r, row, 3);
		h[i].count[0] = aq_db_int4(r, row, 4);
		h[i].sum[1] = aq_db_float8(r, row, 5);
		h[i].count[1] = aq_db_int4(r, row, 6);
	}
	PQclear(r);
	*out = h;
	*n = rows;
	return AQ_OK;
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
