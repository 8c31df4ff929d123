/* db_ranking.c — days, their finalized snapshots and the interview list: loading a live day
 * (stations × 24 hourly rows) or a snapshot, writing snapshots and interview lists inside the
 * finalization transaction, and the interview status workflow. */
#include "db_internal.h"
#include "aq_log.h"
#include "aq_time.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Days travel as integers (days since 1970-01-01) so C and SQL agree without parsing. */
#define DAY_PARAM "(date '1970-01-01' + $1::int)"

static const struct aq_sql sql_day_info = {
	"day_info", "SELECT finalized_at IS NOT NULL, coalesce((extract(epoch FROM finalized_at) * 1000000)::int8, 0), "
		    "late_readings, coalesce(rule_version, ''), coalesce(metric, ''), coalesce(min_hours, 0), "
		    "coalesce(insufficient, ''), coalesce(interview_count, 0), coalesce(composite_mask, 0) "
		    "FROM days WHERE day = " DAY_PARAM};
/* A day's hourly rows written by transactions from xid $2 on ($2 < 0: every row; age() compares
 * 32-bit xids across wraparound, a frozen row is older than any), after one header row (station_id NULL) carrying the statement's snapshot xmin and the
 * removal epoch (004_hourly_epoch.sql). One statement, so one snapshot: a row this statement
 * does not return was visible, unchanged, to the snapshot whose xmin is $2 (aq_daycache.h). */
static const struct aq_sql sql_day_hourly = {
	"day_hourly",
	"SELECT NULL::int4, NULL::int2, NULL::int4, NULL::float8, NULL::int4, NULL::float8, NULL::int4, "
	"NULL::float8, NULL::int4, NULL::float8, NULL::int4, NULL::float8, NULL::int4, NULL::float8, NULL::int4, "
	"NULL::float8, NULL::int4, pg_snapshot_xmin(pg_current_snapshot())::text::int8, "
	"(SELECT epoch FROM hourly_epoch) "
	"UNION ALL "
	"SELECT station_id, hour, readings, pm25_sum, pm25_n, pm10_sum, pm10_n, so2_sum, so2_n, "
	"no2_sum, no2_n, co_sum, co_n, o3_sum, o3_n, rh_sum, rh_n, NULL, NULL FROM hourly WHERE day = " DAY_PARAM
	" AND ($2::int8 < 0 OR age(xmin) <= (SELECT age($2::text::xid)))"};
/* The same header row, then every station's hourly rows of the day packed in one bytea
 * (011_hourly_days.sql, kept by triggers in the writers' transactions): the first read of a day
 * fetches stations rows, not stations × 24. What it returns equals what sql_day_hourly with
 * $2 < 0 would in the same snapshot. */
static const struct aq_sql sql_day_packed = {
	"day_packed", "SELECT NULL::int4, NULL::bytea, pg_snapshot_xmin(pg_current_snapshot())::text::int8, "
		      "(SELECT epoch FROM hourly_epoch) "
		      "UNION ALL SELECT station_id, hours, NULL, NULL FROM hourly_days WHERE day = " DAY_PARAM};
static const struct aq_sql sql_day_snapshot = {
	"day_snapshot", "SELECT station_id, kind, active, eligible, code, name, unit, contact_person, lat, lon, "
			"pm25, pm25_hours, pm25_valid, pm10, pm10_hours, pm10_valid, so2, so2_hours, so2_valid, "
			"no2, no2_hours, no2_valid, co, co_hours, co_valid, o3, o3_hours, o3_valid, o3_windows, "
			"o3_1h_valid, o3_1h_max, reported_mask, readings FROM day_values WHERE day = " DAY_PARAM};
static const struct aq_sql sql_latest_final = {
	"latest_final",
	"SELECT day - date '1970-01-01' FROM days WHERE finalized_at IS NOT NULL ORDER BY day DESC LIMIT 1"};
static const struct aq_sql sql_final_days = {
	"final_days", "SELECT day - date '1970-01-01' FROM days WHERE finalized_at IS NOT NULL "
		      "AND day BETWEEN " DAY_PARAM " AND (date '1970-01-01' + $2::int) ORDER BY day"};
static const struct aq_sql sql_day_stamps = {
	"day_stamps", "SELECT day - date '1970-01-01', CASE WHEN finalized_at IS NULL THEN 0 ELSE finalizations END "
		      "FROM days WHERE day BETWEEN " DAY_PARAM " AND (date '1970-01-01' + $2::int)"};
static const struct aq_sql sql_days_due = {
	"days_due", "SELECT day - date '1970-01-01' FROM days WHERE finalized_at IS NULL AND day < " DAY_PARAM
		    " ORDER BY day LIMIT $2"};
/* Key 7305002 plus the day: one lock per day, so days finalize independently. */
static const struct aq_sql sql_day_lock = {
	"day_lock", "SELECT pg_try_advisory_xact_lock(7305002, $1::int), "
		    "(SELECT finalized_at IS NOT NULL FROM days WHERE day = " DAY_PARAM " FOR UPDATE)"};
static const struct aq_sql sql_snapshot_clear = {"snapshot_clear", "DELETE FROM day_values WHERE day = " DAY_PARAM};
static const struct aq_sql sql_snapshot_insert = {
	"snapshot_insert",
	"INSERT INTO day_values (day, station_id, kind, active, eligible, code, name, unit, contact_person, "
	"lat, lon, pm25, pm25_hours, pm25_valid, pm10, pm10_hours, pm10_valid, so2, so2_hours, so2_valid, "
	"no2, no2_hours, no2_valid, co, co_hours, co_valid, o3, o3_hours, o3_valid, o3_windows, "
	"o3_1h_valid, o3_1h_max, reported_mask, readings) VALUES (" DAY_PARAM ", $2, $3, $4, $5, $6, $7, "
	"$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, "
	"$27, $28, $29, $30, $31, $32, $33, $34)"};
static const struct aq_sql sql_streaks = {"interview_streaks",
					  "SELECT station_id, consecutive_days FROM interviews WHERE day = " DAY_PARAM};
static const struct aq_sql sql_interview_upsert = {
	"interview_upsert",
	"INSERT INTO interviews (day, station_id, rank, of_stations, metric, value, district_mean, "
	"pct_above_mean, valid_hours, reason, consecutive_days, position, rule_version, qc_excluded_hours, "
	"qc_reason_hours, calib_ids, calib_versions) VALUES (" DAY_PARAM ", $2, $3, $4, $5, $6, $7, $8, $9, $10, "
	"$11, $12, $13, $14, $15::int4[], $16::int8[], $17::int4[]) "
	"ON CONFLICT (day, station_id) DO UPDATE SET rank = EXCLUDED.rank, "
	"of_stations = EXCLUDED.of_stations, metric = EXCLUDED.metric, value = EXCLUDED.value, "
	"district_mean = EXCLUDED.district_mean, pct_above_mean = EXCLUDED.pct_above_mean, "
	"valid_hours = EXCLUDED.valid_hours, reason = EXCLUDED.reason, "
	"consecutive_days = EXCLUDED.consecutive_days, position = EXCLUDED.position, "
	"rule_version = EXCLUDED.rule_version, qc_excluded_hours = EXCLUDED.qc_excluded_hours, "
	"qc_reason_hours = EXCLUDED.qc_reason_hours, calib_ids = EXCLUDED.calib_ids, "
	"calib_versions = EXCLUDED.calib_versions, updated_at = now()"};
static const struct aq_sql sql_interview_prune = {"interview_prune", "DELETE FROM interviews WHERE day = " DAY_PARAM
								     " AND NOT (station_id = ANY ($2::int[]))"};
static const struct aq_sql sql_later_interview_days = {
	"later_interview_days",
	"SELECT DISTINCT day - date '1970-01-01' FROM interviews WHERE day > " DAY_PARAM " ORDER BY 1"};
static const struct aq_sql sql_restreak = {
	"interview_restreak", "UPDATE interviews i SET consecutive_days = 1 + coalesce((SELECT p.consecutive_days "
			      "FROM interviews p WHERE p.day = i.day - 1 AND p.station_id = i.station_id), 0) "
			      "WHERE i.day = " DAY_PARAM};
static const struct aq_sql sql_mark_final = {
	"day_mark_final",
	"UPDATE days SET finalized_at = $8::timestamptz, late_readings = 0, finalizations = finalizations + 1, rule_version = $2, metric = $3, "
	"min_hours = $4, insufficient = $5, interview_count = $6, composite_mask = $7 "
	"WHERE day = " DAY_PARAM};
#define INTERVIEW_COLUMNS                                                                                            \
	"i.id, i.day - date '1970-01-01', i.station_id, s.code, s.name, s.unit, s.contact_person, i.rank, "          \
	"i.of_stations, i.metric, i.value, i.district_mean, i.pct_above_mean, i.valid_hours, i.reason, "             \
	"i.consecutive_days, i.position, i.status, i.note, i.rule_version, i.qc_excluded_hours, i.qc_reason_hours, " \
	"i.calib_ids, i.calib_versions"
static const struct aq_sql sql_interviews_list = {
	"interviews_list", "SELECT " INTERVIEW_COLUMNS " FROM interviews i JOIN stations s ON s.id = i.station_id "
			   "WHERE i.day BETWEEN " DAY_PARAM " AND (date '1970-01-01' + $2::int) "
			   "AND ($3::text IS NULL OR s.code = $3) AND ($4::text IS NULL OR i.status = $4) "
			   "ORDER BY i.day DESC, i.position LIMIT $5"};
static const struct aq_sql sql_interview_get = {
	"interview_get", "SELECT " INTERVIEW_COLUMNS " FROM interviews i JOIN stations s ON s.id = i.station_id "
			 "WHERE i.id = $1 FOR UPDATE OF i"};
static const struct aq_sql sql_interview_set = {
	"interview_set",
	"UPDATE interviews SET status = $2, note = coalesce($3, note), updated_at = now() WHERE id = $1"};
static const struct aq_sql sql_station_hours = {
	"station_hours",
	"SELECT day - date '1970-01-01', hour, readings, pm25_sum, pm25_n, pm10_sum, pm10_n, so2_sum, "
	"so2_n, no2_sum, no2_n, co_sum, co_n, o3_sum, o3_n, rh_sum, rh_n FROM hourly "
	"WHERE station_id = $1 AND day BETWEEN (date '1970-01-01' + $2::int) AND (date '1970-01-01' + $3::int)"};
static const struct aq_sql sql_backfill_idle = {
	"backfill_idle", "SELECT coalesce(extract(epoch FROM now() - max(at)), 1e12)::float8 FROM backfill_marks"};
static const struct aq_sql sql_backfill_prune = {"backfill_prune",
						 "DELETE FROM backfill_marks WHERE at < now() - interval '1 hour'"};
static const struct aq_sql sql_bump_version = {"bump_version", "SELECT nextval('data_version')"};
static const struct aq_sql sql_data_version = {"data_version", "SELECT last_value FROM data_version"};

static void day_text(int64_t day, char buf[24])
{
	snprintf(buf, 24, "%lld", (long long)day);
}

static int get_int(const PGresult *r, int row, int col)
{
	return atoi(PQgetvalue(r, row, col));
}

static double get_double(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0.0 : strtod(PQgetvalue(r, row, col), NULL);
}

static bool get_bool(const PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col)[0] == 't';
}

static void get_text(const PGresult *r, int row, int col, char *dst, size_t size)
{
	snprintf(dst, size, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

enum aq_status aq_db_day_info(struct aq_db *db, int64_t day, struct aq_day_info *out)
{
	char d[24];
	enum aq_status st;
	day_text(day, d);
	const char *params[] = {d};
	memset(out, 0, sizeof *out);
	if ((st = aq_db_fold_once(db)) != AQ_OK)
		return st;
	PGresult *r = aq_db_exec(db, &sql_day_info, 1, params, &st);
	if (st == AQ_OK && PQntuples(r) == 1) {
		out->exists = true;
		out->final = get_bool(r, 0, 0);
		out->finalized_us = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		out->late_readings = get_int(r, 0, 2);
		get_text(r, 0, 3, out->rule_version, sizeof out->rule_version);
		get_text(r, 0, 4, out->metric, sizeof out->metric);
		out->min_hours = get_int(r, 0, 5);
		get_text(r, 0, 6, out->insufficient, sizeof out->insufficient);
		out->interview_count = get_int(r, 0, 7);
		out->composite_mask = (unsigned)get_int(r, 0, 8);
	}
	PQclear(r);
	return st;
}

static int by_code(const void *a, const void *b)
{
	return strcmp(((const struct aq_day_station *)a)->station.code,
		      ((const struct aq_day_station *)b)->station.code);
}

/* Rows of a day written from xid `from` on, from hourly, into a malloc'd *rows. */
static enum aq_status read_hourly(struct aq_db *db, const char *d, int64_t from, struct aq_hour_row **rows, size_t *got,
				  uint64_t *marker, int64_t *epoch)
{
	char x[24];
	enum aq_status st;
	snprintf(x, sizeof x, "%lld", (long long)from);
	const char *params[] = {d, x};
	/* Binary results spare parsing 13 numbers of text per row. */
	PGresult *r = aq_db_exec_binary(db, &sql_day_hourly, 2, params, &st);
	if (st != AQ_OK)
		return st;
	int n = PQntuples(r);
	*rows = calloc(n ? (size_t)n : 1, sizeof **rows);
	if (!*rows) {
		PQclear(r);
		return AQ_ERR_INTERNAL;
	}
	for (int row = 0; row < n; row++) {
		if (PQgetisnull(r, row, 0)) {
			*marker = (uint64_t)aq_db_int8(r, row, 17);
			*epoch = aq_db_int8(r, row, 18);
			continue;
		}
		struct aq_hour_row *h = &(*rows)[(*got)++];
		h->station_id = aq_db_int4(r, row, 0);
		h->hour = aq_db_int2(r, row, 1);
		h->readings = aq_db_int4(r, row, 2);
		for (int p = 0; p < AQ_POLLUTANTS; p++) {
			h->sums.sum[p] = aq_db_float8(r, row, 3 + 2 * p);
			h->sums.count[p] = aq_db_int4(r, row, 4 + 2 * p);
		}
		h->sums.rh_sum = aq_db_float8(r, row, 15);
		h->sums.rh_count = aq_db_int4(r, row, 16);
	}
	PQclear(r);
	return AQ_OK;
}

struct packed_at {
	int station_id;
	int row;
};

static int by_packed_station(const void *a, const void *b)
{
	int x = ((const struct packed_at *)a)->station_id, y = ((const struct packed_at *)b)->station_id;
	return (x > y) - (x < y);
}

/* Every row of a day, from the packed station-days, into the empty *day with its marker and
 * epoch: decoded straight into its stations in id order (no rows in between, no merge). */
static enum aq_status read_packed(struct aq_db *db, const char *d, struct aq_day_rows *day)
{
	enum aq_status st;
	const char *params[] = {d};
	PGresult *r = aq_db_exec_binary(db, &sql_day_packed, 1, params, &st);
	if (st != AQ_OK)
		return st;
	int n = PQntuples(r), k = 0;
	struct packed_at *order = malloc((n ? (size_t)n : 1) * sizeof *order);
	day->stations = calloc(n ? (size_t)n : 1, sizeof *day->stations);
	if (!order || !day->stations) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	for (int row = 0; row < n; row++) {
		if (PQgetisnull(r, row, 0)) {
			day->marker = (uint64_t)aq_db_int8(r, row, 2);
			day->epoch = aq_db_int8(r, row, 3);
		} else {
			order[k++] = (struct packed_at){aq_db_int4(r, row, 0), row};
		}
	}
	qsort(order, (size_t)k, sizeof *order, by_packed_station);
	for (int i = 0; i < k; i++) {
		int row = order[i].row;
		if (aq_day_rows_add_packed(day, order[i].station_id, (const unsigned char *)PQgetvalue(r, row, 1),
					   (size_t)PQgetlength(r, row, 1)) < 0) {
			aq_log(AQ_LOG_ERROR, "hourly_days: station %d: packed hours of %d bytes", order[i].station_id,
			       PQgetlength(r, row, 1));
			st = AQ_ERR_INTERNAL;
			break;
		}
	}
out:
	free(order);
	PQclear(r);
	return st;
}

/* Reads the rows of a day written from xid `from` on (or all: from < 0, from the packed
 * station-days) into *day, merging them into what it holds. *reload: the removal epoch is not
 * day's (start over). */
static enum aq_status fetch_hours(struct aq_db *db, int64_t day_no, int64_t from, struct aq_day_rows *day, bool *reload)
{
	char d[24];
	struct aq_hour_row *rows = NULL;
	size_t got = 0;
	uint64_t marker = 0;
	int64_t epoch = 0;
	day_text(day_no, d);
	*reload = false;
	if (from < 0) { /* callers pass an empty day for a full read */
		enum aq_status st = read_packed(db, d, day);
		if (st != AQ_OK)
			aq_day_rows_cleanup(day);
		return st;
	}
	enum aq_status st = read_hourly(db, d, from, &rows, &got, &marker, &epoch);
	if (st == AQ_OK) {
		*reload = epoch != day->epoch;
		if (!*reload) {
			if (aq_day_rows_merge(day, rows, got) == 0) {
				day->marker = marker;
				day->epoch = epoch;
			} else {
				st = AQ_ERR_INTERNAL;
			}
		}
	}
	free(rows);
	return st;
}

/* The day's hourly rows: from the pool's cache plus what was written since, or all of them.
 * The cache is used only outside transactions (*cacheable): a statement of its own has a
 * snapshot newer than anything cached, and no row it reads is its own uncommitted write. */
static enum aq_status load_hours(struct aq_db *db, int64_t day_no, struct aq_day_rows *day, bool *cacheable)
{
	bool reload = false;
	enum aq_status st;
	memset(day, 0, sizeof *day);
	*cacheable = db->day_cache && PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	if (*cacheable && aq_daycache_get(db->day_cache, day_no, day) == 1) {
		st = fetch_hours(db, day_no, (int64_t)(day->marker & 0xffffffffu), day, &reload);
		if (st != AQ_OK || !reload)
			return st;
		aq_day_rows_cleanup(day);
	}
	return fetch_hours(db, day_no, -1, day, &reload);
}

enum aq_status aq_db_day_rows_if_cached(struct aq_db *db, int64_t day_no, struct aq_day_rows *day, bool *found)
{
	bool reload = false;
	enum aq_status st = AQ_OK;
	memset(day, 0, sizeof *day);
	*found = db->day_cache && PQtransactionStatus(db->conn) == PQTRANS_IDLE &&
		 aq_daycache_get(db->day_cache, day_no, day) == 1;
	if (*found) {
		st = fetch_hours(db, day_no, (int64_t)(day->marker & 0xffffffffu), day, &reload);
		if (st == AQ_OK && reload) {
			aq_day_rows_cleanup(day);
			st = fetch_hours(db, day_no, -1, day, &reload);
		}
	}
	if (st != AQ_OK) {
		aq_day_rows_cleanup(day);
		*found = false;
	}
	return st;
}

enum aq_status aq_db_day_rows(struct aq_db *db, int64_t day, struct aq_day_rows *out)
{
	bool cacheable;
	enum aq_status st = aq_db_fold_once(db);
	memset(out, 0, sizeof *out);
	if (st == AQ_OK)
		st = load_hours(db, day, out, &cacheable);
	if (st != AQ_OK || !cacheable)
		return st;
	/* The cache takes the rows, the caller keeps a copy. */
	struct aq_day_rows kept = *out;
	kept.stations = malloc((out->n ? out->n : 1) * sizeof *kept.stations);
	if (!kept.stations) {
		aq_day_rows_cleanup(out);
		return AQ_ERR_INTERNAL;
	}
	if (out->n)
		memcpy(kept.stations, out->stations, out->n * sizeof *kept.stations);
	aq_daycache_put(db->day_cache, day, out);
	*out = kept;
	return AQ_OK;
}

enum aq_status aq_db_day_load_live(struct aq_db *db, struct aq_dayview *v)
{
	struct aq_station *stations = NULL;
	size_t n = 0;
	enum aq_status st = aq_db_station_list(db, -1, &stations, &n); /* folds first */
	if (st != AQ_OK)
		return st;
	v->stations = calloc(n ? n : 1, sizeof *v->stations);
	if (!v->stations) {
		free(stations);
		return AQ_ERR_INTERNAL;
	}
	v->n = n;
	for (size_t i = 0; i < n; i++)
		v->stations[i].station = stations[i];
	free(stations);
	qsort(v->stations, v->n, sizeof *v->stations, by_code);

	struct aq_day_rows day;
	bool cacheable;
	if ((st = load_hours(db, v->day, &day, &cacheable)) != AQ_OK) {
		aq_day_rows_cleanup(&day);
		return st;
	}
	for (size_t i = 0; i < v->n; i++) {
		struct aq_day_station *s = &v->stations[i];
		const struct aq_station_hours *h = aq_day_rows_find(&day, s->station.id);
		for (int hour = 0; h && hour < 24; hour++) {
			if (!(h->present & 1u << hour))
				continue;
			s->hours[hour] = h->hours[hour];
			s->hour_readings[hour] = h->readings[hour];
			s->readings += h->readings[hour];
		}
	}
	if (cacheable)
		aq_daycache_put(db->day_cache, v->day, &day);
	aq_day_rows_cleanup(&day);
	return AQ_OK;
}

/* Reads columns col.. of an hourly row (readings, then sum/count per pollutant, then the
 * humidity's). */
static void read_hour(const PGresult *r, int row, int col, struct aq_hour_sums *h, int *readings)
{
	*readings = get_int(r, row, col);
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		h->sum[p] = get_double(r, row, col + 1 + 2 * p);
		h->count[p] = get_int(r, row, col + 2 + 2 * p);
	}
	h->rh_sum = get_double(r, row, col + 1 + 2 * AQ_POLLUTANTS);
	h->rh_count = get_int(r, row, col + 2 + 2 * AQ_POLLUTANTS);
}

enum aq_status aq_db_day_load_snapshot(struct aq_db *db, struct aq_dayview *v, const struct aq_aqi_standard *standard)
{
	char d[24];
	enum aq_status st;
	day_text(v->day, d);
	const char *params[] = {d};
	PGresult *r = aq_db_exec(db, &sql_day_snapshot, 1, params, &st);
	if (st != AQ_OK)
		return st;
	size_t n = (size_t)PQntuples(r);
	v->stations = calloc(n ? n : 1, sizeof *v->stations);
	if (!v->stations) {
		PQclear(r);
		return AQ_ERR_INTERNAL;
	}
	v->n = n;
	for (size_t i = 0; i < n; i++) {
		int row = (int)i;
		struct aq_day_station *s = &v->stations[i];
		struct aq_station *st_ = &s->station;
		st_->id = get_int(r, row, 0);
		st_->kind = strcmp(PQgetvalue(r, row, 1), "national") == 0 ? AQ_KIND_NATIONAL : AQ_KIND_MICRO;
		st_->active = get_bool(r, row, 2);
		s->ranked = get_bool(r, row, 3);
		get_text(r, row, 4, st_->code, sizeof st_->code);
		get_text(r, row, 5, st_->name, sizeof st_->name);
		get_text(r, row, 6, st_->unit, sizeof st_->unit);
		get_text(r, row, 7, st_->contact_person, sizeof st_->contact_person);
		st_->lat = get_double(r, row, 8);
		st_->lon = get_double(r, row, 9);
		struct aq_daily *dl = &s->daily;
		memset(dl, 0, sizeof *dl);
		for (int p = 0; p < AQ_POLLUTANTS; p++) {
			dl->mean[p] = get_double(r, row, 10 + 3 * p);
			dl->valid_hours[p] = get_int(r, row, 11 + 3 * p);
			dl->valid[p] = get_bool(r, row, 12 + 3 * p);
		}
		dl->o3_windows_valid = get_int(r, row, 28);
		dl->o3_1h_valid = get_bool(r, row, 29);
		dl->o3_1h_max = get_double(r, row, 30);
		dl->reported_mask = (unsigned)get_int(r, row, 31);
		dl->composite_mask = v->composite_mask;
		s->readings = get_int(r, row, 32);
		aq_daily_finish(dl, standard);
	}
	PQclear(r);
	qsort(v->stations, v->n, sizeof *v->stations, by_code);
	return AQ_OK;
}

static void read_day(const PGresult *r, int row, void *elem)
{
	*(int64_t *)elem = strtoll(PQgetvalue(r, row, 0), NULL, 10);
}

/* Runs a query whose rows are single day numbers into a malloc'd array. */
static enum aq_status day_list(struct aq_db *db, const struct aq_sql *sql, int n, const char *const *p, int64_t **days,
			       size_t *count)
{
	return aq_db_rows(db, sql, n, p, sizeof **days, read_day, (void **)days, count);
}

enum aq_status aq_db_latest_final_day(struct aq_db *db, int64_t *day, bool *found)
{
	int64_t *days;
	size_t n;
	enum aq_status st = day_list(db, &sql_latest_final, 0, NULL, &days, &n);
	*found = st == AQ_OK && n > 0;
	if (*found)
		*day = days[0];
	free(days);
	return st;
}

enum aq_status aq_db_final_days(struct aq_db *db, int64_t from, int64_t to, int64_t **days, size_t *n)
{
	char a[24], b[24];
	day_text(from, a);
	day_text(to, b);
	const char *params[] = {a, b};
	return day_list(db, &sql_final_days, 2, params, days, n);
}

struct day_stamp {
	int64_t day, stamp;
};

static void read_day_stamp(const PGresult *r, int row, void *elem)
{
	struct day_stamp *d = elem;
	d->day = strtoll(PQgetvalue(r, row, 0), NULL, 10);
	d->stamp = strtoll(PQgetvalue(r, row, 1), NULL, 10);
}

enum aq_status aq_db_day_stamps(struct aq_db *db, int64_t from, int64_t to, int64_t *stamps)
{
	char a[24], b[24];
	struct day_stamp *rows = NULL;
	size_t n = 0;
	for (int64_t d = from; d <= to; d++)
		stamps[d - from] = -1;
	day_text(from, a);
	day_text(to, b);
	const char *params[] = {a, b};
	enum aq_status st = aq_db_fold_once(db);
	if (st == AQ_OK)
		st = aq_db_rows(db, &sql_day_stamps, 2, params, sizeof *rows, read_day_stamp, (void **)&rows, &n);
	for (size_t i = 0; st == AQ_OK && i < n; i++)
		if (rows[i].day >= from && rows[i].day <= to)
			stamps[rows[i].day - from] = rows[i].stamp;
	free(rows);
	return st;
}

enum aq_status aq_db_days_due(struct aq_db *db, int64_t before, int64_t *days, size_t max, size_t *n)
{
	char a[24], b[24];
	int64_t *list;
	size_t count;
	day_text(before, a);
	snprintf(b, sizeof b, "%zu", max);
	const char *params[] = {a, b};
	*n = 0;
	enum aq_status st = aq_db_fold_once(db); /* a day first seen live has its row after the fold */
	if (st != AQ_OK)
		return st;
	st = day_list(db, &sql_days_due, 2, params, &list, &count);
	for (size_t i = 0; st == AQ_OK && i < count && i < max; i++)
		days[(*n)++] = list[i];
	free(list);
	return st;
}

enum aq_status aq_db_day_lock(struct aq_db *db, int64_t day, bool *locked, bool *final)
{
	char d[24];
	enum aq_status st;
	day_text(day, d);
	const char *params[] = {d};
	PGresult *r = aq_db_exec(db, &sql_day_lock, 1, params, &st);
	*locked = *final = false;
	if (st == AQ_OK) {
		*locked = get_bool(r, 0, 0);
		*final = get_bool(r, 0, 1);
	}
	PQclear(r);
	return st;
}

static const char *num(char *buf, size_t size, double v)
{
	snprintf(buf, size, "%.17g", v);
	return buf;
}

enum aq_status aq_db_snapshot_write(struct aq_db *db, const struct aq_dayview *v)
{
	char d[24];
	enum aq_status st;
	day_text(v->day, d);
	const char *day_param[] = {d};
	PQclear(aq_db_exec(db, &sql_snapshot_clear, 1, day_param, &st));
	for (size_t i = 0; st == AQ_OK && i < v->n; i++) {
		const struct aq_day_station *s = &v->stations[i];
		const struct aq_station *t = &s->station;
		const struct aq_daily *dl = &s->daily;
		/* Keep every station that mattered that day: ranked, reporting, or a national point. */
		if (!s->ranked && s->readings == 0 && !(t->kind == AQ_KIND_NATIONAL && t->active))
			continue;
		char id[16], lat[32], lon[32], vals[AQ_POLLUTANTS][32], hours[AQ_POLLUTANTS][16];
		char windows[16], o3max[32], reported[16], readings[16];
		const char *params[34];
		snprintf(id, sizeof id, "%d", t->id);
		params[0] = d;
		params[1] = id;
		params[2] = aq_station_kind_name(t->kind);
		params[3] = t->active ? "t" : "f";
		params[4] = s->ranked ? "t" : "f";
		params[5] = t->code;
		params[6] = t->name;
		params[7] = t->unit;
		params[8] = t->contact_person;
		params[9] = num(lat, sizeof lat, t->lat);
		params[10] = num(lon, sizeof lon, t->lon);
		for (int p = 0; p < AQ_POLLUTANTS; p++) {
			bool has_mean = dl->valid_hours[p] > 0 || (p == AQ_O3 && dl->o3_windows_valid > 0);
			snprintf(hours[p], sizeof hours[p], "%d", dl->valid_hours[p]);
			params[11 + 3 * p] = has_mean ? num(vals[p], sizeof vals[p], dl->mean[p]) : NULL;
			params[12 + 3 * p] = hours[p];
			params[13 + 3 * p] = dl->valid[p] ? "t" : "f";
		}
		snprintf(windows, sizeof windows, "%d", dl->o3_windows_valid);
		snprintf(reported, sizeof reported, "%u", dl->reported_mask);
		snprintf(readings, sizeof readings, "%d", s->readings);
		params[29] = windows;
		params[30] = dl->o3_1h_valid ? "t" : "f";
		params[31] = dl->o3_1h_valid ? num(o3max, sizeof o3max, dl->o3_1h_max) : NULL;
		params[32] = reported;
		params[33] = readings;
		PQclear(aq_db_exec(db, &sql_snapshot_insert, 34, params, &st));
	}
	return st;
}

enum aq_status aq_db_interview_streaks(struct aq_db *db, int64_t day, const int *station_ids, size_t n, int *out)
{
	char d[24];
	enum aq_status st;
	day_text(day, d);
	const char *params[] = {d};
	memset(out, 0, n * sizeof *out);
	PGresult *r = aq_db_exec(db, &sql_streaks, 1, params, &st);
	for (int row = 0; st == AQ_OK && row < PQntuples(r); row++) {
		int id = get_int(r, row, 0);
		for (size_t i = 0; i < n; i++)
			if (station_ids[i] == id)
				out[i] = get_int(r, row, 1);
	}
	PQclear(r);
	return st;
}

static const char *opt_num(char *buf, size_t size, bool has, double v)
{
	return has ? num(buf, size, v) : NULL;
}

/* "{1,2,…}" into n integers (missing ones 0). */
static void parse_list(const char *s, int64_t *v, int n)
{
	memset(v, 0, (size_t)n * sizeof *v);
	s += *s == '{';
	for (int k = 0; k < n && *s && *s != '}'; k++) {
		char *end;
		v[k] = strtoll(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
	}
}

/* "{…}" of the AQ_POLLUTANTS integers of ids or versions. */
static void int_list(char *buf, size_t size, const int64_t *ids, const int *versions)
{
	size_t used = (size_t)snprintf(buf, size, "{");
	for (int p = 0; p < AQ_POLLUTANTS && used < size; p++)
		used += (size_t)snprintf(buf + used, size - used, "%s%lld", p ? "," : "",
					 ids ? (long long)ids[p] : (long long)versions[p]);
	if (used < size)
		snprintf(buf + used, size - used, "}");
}

enum aq_status aq_db_interviews_write(struct aq_db *db, int64_t day, const struct aq_interview *list, size_t n)
{
	char d[24];
	enum aq_status st = AQ_OK;
	day_text(day, d);
	/* The ids that stay, as an int[] literal; every other entry of the day goes. */
	size_t cap = 16 + n * 12;
	char *ids = malloc(cap);
	if (!ids)
		return AQ_ERR_INTERNAL;
	size_t used = (size_t)snprintf(ids, cap, "{");
	for (size_t i = 0; i < n && st == AQ_OK; i++) {
		const struct aq_interview *iv = &list[i];
		char sid[16], rank[16], of[16], value[32], mean[32], pct[32], hours[16], streak[16], pos[16];
		char excluded[16], reasons[16 * AQ_QC_FLAGS], calib_ids[24 * AQ_POLLUTANTS],
			calib_versions[16 * AQ_POLLUTANTS];
		snprintf(sid, sizeof sid, "%d", iv->station_id);
		snprintf(rank, sizeof rank, "%d", iv->rank);
		snprintf(of, sizeof of, "%d", iv->of);
		snprintf(hours, sizeof hours, "%d", iv->valid_hours);
		snprintf(streak, sizeof streak, "%d", iv->consecutive_days);
		snprintf(pos, sizeof pos, "%d", iv->position);
		snprintf(excluded, sizeof excluded, "%d", iv->qc_excluded_hours);
		size_t r_used = (size_t)snprintf(reasons, sizeof reasons, "{");
		for (int f = 0; f < AQ_QC_FLAGS; f++)
			r_used += (size_t)snprintf(reasons + r_used, sizeof reasons - r_used, "%s%d", f ? "," : "",
						   iv->qc_reason_hours[f]);
		snprintf(reasons + r_used, sizeof reasons - r_used, "}");
		int_list(calib_ids, sizeof calib_ids, iv->calib_id, NULL);
		int_list(calib_versions, sizeof calib_versions, NULL, iv->calib_version);
		const char *params[] = {d,
					sid,
					rank,
					of,
					iv->metric,
					opt_num(value, sizeof value, iv->has_value, iv->value),
					opt_num(mean, sizeof mean, iv->has_mean, iv->district_mean),
					opt_num(pct, sizeof pct, iv->has_pct, iv->pct_above_mean),
					hours,
					iv->reason,
					streak,
					pos,
					iv->rule_version,
					excluded,
					reasons,
					calib_ids,
					calib_versions};
		PQclear(aq_db_exec(db, &sql_interview_upsert, 17, params, &st));
		used += (size_t)snprintf(ids + used, cap - used, "%s%d", i ? "," : "", iv->station_id);
	}
	snprintf(ids + used, cap - used, "}");
	if (st == AQ_OK) {
		const char *params[] = {d, ids};
		PQclear(aq_db_exec(db, &sql_interview_prune, 2, params, &st));
	}
	free(ids);
	if (st != AQ_OK)
		return st;
	/* A day re-finalized in the middle of a history changes the streaks after it. */
	int64_t *later;
	size_t n_later;
	const char *params[] = {d};
	st = day_list(db, &sql_later_interview_days, 1, params, &later, &n_later);
	for (size_t i = 0; st == AQ_OK && i < n_later; i++) {
		char ld[24];
		day_text(later[i], ld);
		const char *p2[] = {ld};
		PQclear(aq_db_exec(db, &sql_restreak, 1, p2, &st));
	}
	free(later);
	return st;
}

enum aq_status aq_db_day_mark_final(struct aq_db *db, const struct aq_dayview *v)
{
	char d[24], hours[16], count[16], mask[16], at[48];
	enum aq_status st;
	day_text(v->day, d);
	snprintf(hours, sizeof hours, "%d", v->min_hours);
	snprintf(count, sizeof count, "%d", v->interview_count);
	snprintf(mask, sizeof mask, "%u", v->composite_mask);
	aq_time_format(v->finalized_us, 0, at, sizeof at);
	const char *params[] = {d,
				v->rule_version,
				aq_metric_name(v->metric),
				hours,
				aq_insufficient_policy_name(v->policy),
				count,
				mask,
				at};
	PQclear(aq_db_exec(db, &sql_mark_final, 8, params, &st));
	if (st == AQ_OK)
		PQclear(aq_db_exec(db, &sql_bump_version, 0, NULL, &st));
	return st;
}

static void read_interview(const PGresult *r, int row, struct aq_interview *iv)
{
	memset(iv, 0, sizeof *iv);
	iv->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
	iv->day = strtoll(PQgetvalue(r, row, 1), NULL, 10);
	iv->station_id = get_int(r, row, 2);
	get_text(r, row, 3, iv->station, sizeof iv->station);
	get_text(r, row, 4, iv->name, sizeof iv->name);
	get_text(r, row, 5, iv->unit, sizeof iv->unit);
	get_text(r, row, 6, iv->contact_person, sizeof iv->contact_person);
	iv->rank = get_int(r, row, 7);
	iv->of = get_int(r, row, 8);
	get_text(r, row, 9, iv->metric, sizeof iv->metric);
	iv->has_value = !PQgetisnull(r, row, 10);
	iv->value = get_double(r, row, 10);
	iv->has_mean = !PQgetisnull(r, row, 11);
	iv->district_mean = get_double(r, row, 11);
	iv->has_pct = !PQgetisnull(r, row, 12);
	iv->pct_above_mean = get_double(r, row, 12);
	iv->valid_hours = get_int(r, row, 13);
	get_text(r, row, 14, iv->reason, sizeof iv->reason);
	iv->consecutive_days = get_int(r, row, 15);
	iv->position = get_int(r, row, 16);
	aq_interview_status_from_name(PQgetvalue(r, row, 17), &iv->status);
	get_text(r, row, 18, iv->note, sizeof iv->note);
	get_text(r, row, 19, iv->rule_version, sizeof iv->rule_version);
	iv->expected_hours = 24; /* stored entries are of finalized days */
	iv->qc_excluded_hours = get_int(r, row, 20);
	int64_t v[8]; /* ≥ AQ_QC_FLAGS and AQ_POLLUTANTS */
	parse_list(PQgetvalue(r, row, 21), v, AQ_QC_FLAGS);
	for (int f = 0; f < AQ_QC_FLAGS; f++)
		iv->qc_reason_hours[f] = (int)v[f];
	parse_list(PQgetvalue(r, row, 22), iv->calib_id, AQ_POLLUTANTS);
	parse_list(PQgetvalue(r, row, 23), v, AQ_POLLUTANTS);
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		iv->calib_version[p] = (int)v[p];
}

static void read_interview_row(const PGresult *r, int row, void *elem)
{
	read_interview(r, row, elem);
}

enum aq_status aq_db_interviews_list(struct aq_db *db, const struct aq_interview_filter *f, struct aq_interview **out,
				     size_t *n)
{
	char from[24], to[24], limit[16];
	/* Open ends become the widest dates PostgreSQL's date + int arithmetic accepts. */
	day_text(f->from == INT64_MIN ? -700000 : f->from, from);
	day_text(f->to == INT64_MAX ? 2900000 : f->to, to);
	snprintf(limit, sizeof limit, "%d", f->limit);
	const char *params[] = {from, to, f->station, f->status < 0 ? NULL : aq_interview_status_name(f->status),
				limit};
	return aq_db_rows(db, &sql_interviews_list, 5, params, sizeof **out, read_interview_row, (void **)out, n);
}

struct patch_args {
	int64_t id;
	int status;
	const char *note;
	struct aq_interview *out;
};

static enum aq_status patch_tx(struct aq_db *db, void *arg)
{
	struct patch_args *a = arg;
	char id[24];
	enum aq_status st;
	snprintf(id, sizeof id, "%lld", (long long)a->id);
	const char *params[] = {id};
	PGresult *r = aq_db_exec(db, &sql_interview_get, 1, params, &st);
	if (st != AQ_OK)
		return st;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return AQ_ERR_NOT_FOUND;
	}
	read_interview(r, 0, a->out);
	PQclear(r);
	if (a->status < a->out->status)
		return AQ_ERR_CONFLICT;
	const char *set[] = {id, aq_interview_status_name(a->status), a->note};
	PQclear(aq_db_exec(db, &sql_interview_set, 3, set, &st));
	if (st == AQ_OK)
		PQclear(aq_db_exec(db, &sql_bump_version, 0, NULL, &st));
	if (st == AQ_OK) {
		a->out->status = a->status;
		if (a->note)
			snprintf(a->out->note, sizeof a->out->note, "%s", a->note);
	}
	return st;
}

enum aq_status aq_db_interview_patch(struct aq_db *db, int64_t id, int status, const char *note,
				     struct aq_interview *out)
{
	struct patch_args a = {id, status, note, out};
	return aq_db_tx(db, patch_tx, &a);
}

enum aq_status aq_db_station_hours(struct aq_db *db, int station_id, int64_t from, int64_t to,
				   struct aq_hour_sums *hours, int *readings)
{
	char id[16], a[24], b[24];
	enum aq_status st;
	size_t slots = (size_t)(to - from + 1) * 24;
	snprintf(id, sizeof id, "%d", station_id);
	day_text(from, a);
	day_text(to, b);
	const char *params[] = {id, a, b};
	memset(hours, 0, slots * sizeof *hours);
	if (readings)
		memset(readings, 0, slots * sizeof *readings);
	if ((st = aq_db_fold_once(db)) != AQ_OK)
		return st;
	PGresult *r = aq_db_exec(db, &sql_station_hours, 3, params, &st);
	for (int row = 0; st == AQ_OK && row < PQntuples(r); row++) {
		int64_t day = strtoll(PQgetvalue(r, row, 0), NULL, 10);
		int hour = get_int(r, row, 1), n;
		if (day < from || day > to || hour < 0 || hour > 23)
			continue;
		size_t slot = (size_t)(day - from) * 24 + (size_t)hour;
		read_hour(r, row, 2, &hours[slot], &n);
		if (readings)
			readings[slot] = n;
	}
	PQclear(r);
	return st;
}

enum aq_status aq_db_bump_version(struct aq_db *db, int64_t *version)
{
	return aq_db_scalar(db, &sql_bump_version, 0, NULL, version);
}

enum aq_status aq_db_data_version(struct aq_db *db, int64_t *version)
{
	return aq_db_scalar(db, &sql_data_version, 0, NULL, version);
}

enum aq_status aq_db_backfill_idle(struct aq_db *db, double *seconds)
{
	enum aq_status st;
	PGresult *r = aq_db_exec(db, &sql_backfill_idle, 0, NULL, &st);
	if (st == AQ_OK)
		*seconds = strtod(PQgetvalue(r, 0, 0), NULL);
	PQclear(r);
	if (st == AQ_OK)
		PQclear(aq_db_exec(db, &sql_backfill_prune, 0, NULL, &st));
	return st;
}
