/* db_readings.c — the ingest transaction (raw rows, hourly aggregates, days, duplicates and
 * conflicts in two statements), the fold of live readings into the aggregates, and the raw
 * readings listing. Batches travel as PostgreSQL array parameters unnested server-side: one
 * round trip for 1 or 5000 readings. */
#include "db_internal.h"
#include "aq_buf.h"
#include "aq_clock.h"
#include "aq_hourgroup.h"
#include "aq_time.h"

#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per pollutant: sum, count, smallest and largest of the values whose flag is N (SPEC §1).
 * Flag k of the readings.flags text is substr(flags, k, 1). */
#define COUNTED(k) " FILTER (WHERE flags IS NULL OR substr(flags, " k ", 1) = 'N')"
#define HOURLY_AGG(col, k)                                    \
	"coalesce(sum(" col ")" COUNTED(k) ", 0), count(" col \
					   ")" COUNTED(k) ", min(" col ")" COUNTED(k) ", max(" col ")" COUNTED(k)
#define HOURLY_COLS(col) col "_sum, " col "_n, " col "_min, " col "_max"
#define HOURLY_ADD(col)                                                                                              \
	col "_sum = h." col "_sum + EXCLUDED." col "_sum, " col "_n = h." col "_n + EXCLUDED." col "_n, " col        \
	    "_min = least(h." col "_min, EXCLUDED." col "_min), " col "_max = greatest(h." col "_max, EXCLUDED." col \
	    "_max)"

#define INPUT_CTE                                                                                    \
	"WITH input AS (SELECT * FROM unnest($1::int4[], $2::timestamptz[], $3::float8[], "          \
	"$4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], "       \
	"$10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::text[]) AS t(station_id, " \
	"observed_at, pm25, pm10, so2, no2, co, o3, temperature, humidity, pressure, wind_speed, "   \
	"wind_direction, flags)) "
#define VALUE_COLUMNS "pm25, pm10, so2, no2, co, o3, temperature, humidity, pressure, wind_speed, wind_direction, flags"

/* New rows go in (ins); each updates its station-hour and marks its day as having data.
 * Past days are share-locked so that the finalizer (which locks the day FOR UPDATE) either
 * sees this batch in its snapshot or, finishing first, has this batch counted as late. */
#define INSERT_NEW                                                                                          \
	", ins AS (INSERT INTO readings (station_id, observed_at, " VALUE_COLUMNS ", source, received_at) " \
	"  SELECT station_id, observed_at, " VALUE_COLUMNS ", $15, $16::timestamptz FROM input "            \
	"  ON CONFLICT (station_id, observed_at) DO NOTHING "                                               \
	"  RETURNING station_id, observed_at, pm25, pm10, so2, no2, co, o3, flags, humidity) "
/* agg_in: one row per station-hour that new readings touch — what they add to its hourly
 * row (readings, first/last instant, then sum, count, min, max per pollutant, then the sum
 * and count of relative humidity: flag 8, what quality control reads). Either grouped
 * here from the rows of ins, or computed by the daemon for a COPYed batch (aq_hourgroup.h). */
#define AGG_IN_FROM_INS                                                                                                                  \
	", agg_in AS (SELECT observed_at::date AS day, station_id, extract(hour FROM observed_at)::int2 AS hour, "                       \
	"  count(*) AS readings, min(observed_at) AS first_obs, max(observed_at) AS last_obs, " HOURLY_AGG("pm25", "1") ", " HOURLY_AGG( \
		"pm10",                                                                                                                  \
		"2") ", " HOURLY_AGG("so2",                                                                                              \
				     "3") ", " HOURLY_AGG("no2",                                                                         \
							  "4") ", " HOURLY_AGG("co",                                                     \
									       "5") ", " HOURLY_AGG("o3",                                \
												    "6") ", coalesce(sum(humidity)" COUNTED("8") ", 0), count(humidity)" COUNTED("8") "  FROM ins GROUP BY 1, 2, 3) "
#define ARRAYS4(a, b, c, d) "$" #a "::float8[], $" #b "::int4[], $" #c "::float8[], $" #d "::float8[]"
#define AGG_IN_FROM_ARRAYS                                                                                                                      \
	"WITH agg_in AS (SELECT * FROM unnest($1::date[], $2::int4[], $3::int2[], $4::int4[], "                                                 \
	"  $5::timestamptz[], $6::timestamptz[], " ARRAYS4(7, 8, 9, 10) ", " ARRAYS4(11, 12, 13, 14) ", " ARRAYS4(15, 16, 17, 18) ", " ARRAYS4( \
		19, 20, 21,                                                                                                                     \
		22) ", " ARRAYS4(23, 24, 25,                                                                                                    \
				 26) ", " ARRAYS4(27, 28, 29,                                                                                   \
						  30) ", $31::float8[], $32::int4[]) AS t(day, station_id, hour, readings, first_obs, "         \
						      "last_obs, " HOURLY_COLS("pm25") ", " HOURLY_COLS("pm10") ", " HOURLY_COLS(               \
							      "so2") ", " HOURLY_COLS("no2") ", " HOURLY_COLS("co") ", " HOURLY_COLS("o3") ", rh_sum, rh_n)) "
/* What agg_in does to the aggregates, the days and the stations' first days. touched_ids: a
 * condition naming the stations agg_in touches by an array parameter, so the stations are
 * read by their primary key (without it the planner hashes every station for each batch). */
#define AGGREGATE(touched_ids)                                                                                                                                                                                                            \
	", agg AS (INSERT INTO hourly AS h (day, station_id, hour, readings, first_obs, last_obs, " HOURLY_COLS("pm25") ", " HOURLY_COLS("pm10") ", " HOURLY_COLS("so2") ", " HOURLY_COLS("no2") ", " HOURLY_COLS("co") ", " HOURLY_COLS( \
		"o3") ", rh_sum, rh_n) "                                                                                                                                                                                                  \
		      "  SELECT * FROM agg_in ORDER BY 1, 2, 3 "                                                                                                                                                                          \
		      "  ON CONFLICT (day, station_id, hour) DO UPDATE SET readings = h.readings + EXCLUDED.readings, "                                                                                                                   \
		      "  first_obs = least(h.first_obs, EXCLUDED.first_obs), last_obs = greatest(h.last_obs, EXCLUDED.last_obs), " HOURLY_ADD("pm25") ", " HOURLY_ADD(                                                                    \
			      "pm10") ", " HOURLY_ADD("so2") ", " HOURLY_ADD("no2") ", " HOURLY_ADD("co") ", " HOURLY_ADD("o3") ", rh_sum = h.rh_sum + EXCLUDED.rh_sum, rh_n = h.rh_n + EXCLUDED.rh_n "                                   \
																"  RETURNING 1) "                                                                                         \
																", touched AS (SELECT day, sum(readings)::int8 AS n FROM agg_in GROUP BY 1) "                             \
																", new_days AS (INSERT INTO days (day) SELECT day FROM touched ORDER BY 1 "                               \
																"  ON CONFLICT (day) DO NOTHING RETURNING 1) "                                                            \
																", first AS (UPDATE stations s SET first_day = f.day FROM (SELECT station_id, min(day) AS day "           \
																"  FROM agg_in GROUP BY 1) f "                                                                            \
																"  WHERE s.id = f.station_id " touched_ids                                                                \
																" AND (s.first_day IS NULL OR s.first_day > f.day) RETURNING 1) "                                         \
																", version AS (SELECT nextval('data_version') AS v) "
/* Past days share-locked, backfill marked, late readings counted (today, hour_start: the
 * parameter numbers of today's date and the current hour's start), then the result row:
 * readings added, late ones, past days, station-hours, first days, data version, backfill. */
#define INGEST_TAIL(today, hour_start)                                                                         \
	", past AS (SELECT d.day FROM days d JOIN touched t USING (day) WHERE d.day < " today "::date "        \
	"  ORDER BY d.day FOR SHARE OF d) "                                                                    \
	", backfill AS (INSERT INTO backfill_marks (at) SELECT now() "                                         \
	"  WHERE EXISTS (SELECT 1 FROM agg_in WHERE first_obs < " hour_start "::timestamptz) "                 \
	"  AND NOT EXISTS (SELECT 1 FROM backfill_marks WHERE at > now() - interval '1 second') RETURNING 1) " \
	", late AS (UPDATE days d SET late_readings = d.late_readings + t.n FROM touched t "                   \
	"  WHERE d.day = t.day AND d.finalized_at IS NOT NULL RETURNING t.n) "                                 \
	"SELECT (SELECT coalesce(sum(n), 0) FROM touched), (SELECT coalesce(sum(n), 0) FROM late), "           \
	"(SELECT count(*) FROM past), (SELECT count(*) FROM agg), (SELECT count(*) FROM first), "              \
	"(SELECT v FROM version), (SELECT count(*) FROM backfill)"

static const struct aq_sql sql_ingest = {"readings_ingest",
					 INPUT_CTE INSERT_NEW AGG_IN_FROM_INS AGGREGATE("AND s.id = ANY ($1::int4[])")
						 INGEST_TAIL("$17", "$18")};

/* The rest of a batch COPYed into readings in the same transaction: its station-hours as
 * arrays (AGG_IN_FROM_ARRAYS, $1 … $32), today ($33) and the current hour's start ($34). */
static const struct aq_sql sql_ingest_groups = {"readings_ingest_groups",
						AGG_IN_FROM_ARRAYS AGGREGATE("AND s.id = ANY ($2::int4[])")
							INGEST_TAIL("$33", "$34")};

/* The new rows of ins also wait in pending_hourly (pend), returning `returning`. */
#define PENDING(returning)                                                                                      \
	", pend AS (INSERT INTO pending_hourly (station_id, observed_at, pm25, pm10, so2, no2, co, o3, flags, " \
	"  humidity) "                                                                                          \
	"  SELECT * FROM ins RETURNING " returning ") "
/* Live readings (every one in the clock's current hour, the common case of a device posting
 * as it measures): no past day to lock or count late, no backfill to mark, and no aggregate
 * row to update — the new rows wait in pending_hourly until a reader or the background thread
 * folds them (sql_fold). One row-insert more than a bare insert, where the full statement
 * cost a single-reading POST 2× pgbench's insert. Same parameters and result columns as
 * sql_ingest. */
static const struct aq_sql sql_ingest_live = {
	"readings_ingest_live", INPUT_CTE INSERT_NEW PENDING("1") "SELECT (SELECT count(*) FROM pend), 0"};

/* sql_ingest_live for a group of requests (ingest_group.c): the keys of the rows it inserted,
 * so that each request is told what became of its own readings. */
static const struct aq_sql sql_ingest_live_keys = {
	"readings_ingest_live_keys",
	INPUT_CTE INSERT_NEW PENDING(
		"station_id, observed_at") "SELECT station_id, (extract(epoch FROM observed_at) * 1000000)::int8 FROM pend"};

/* Folds every waiting live reading into the aggregates, exactly as sql_ingest would have. A
 * concurrent fold's rows are waited for (their DELETE holds them) and then skipped. */
static const struct aq_sql sql_fold = {
	"pending_fold",
	"WITH ins AS (DELETE FROM pending_hourly "
	"  RETURNING station_id, observed_at, pm25, pm10, so2, no2, co, o3, flags, humidity) " AGG_IN_FROM_INS AGGREGATE(
		"") "SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM agg), (SELECT count(*) FROM first), "
		    "(SELECT count(*) FROM new_days), CASE WHEN EXISTS (SELECT 1 FROM ins) THEN (SELECT v FROM version) END"};

/* Readings that were not inserted: a stored row with other values makes a conflict, kept
 * for audit; the rest are duplicates. Runs as a new statement, so it sees rows that a
 * concurrent transaction committed meanwhile. */
static const struct aq_sql sql_conflicts = {
	"readings_conflicts",
	INPUT_CTE "INSERT INTO reading_conflicts (station_id, observed_at, " VALUE_COLUMNS ", source, received_at) "
		  "SELECT i.station_id, i.observed_at, i.pm25, i.pm10, i.so2, i.no2, i.co, i.o3, i.temperature, "
		  "i.humidity, i.pressure, i.wind_speed, i.wind_direction, i.flags, $15, $16::timestamptz "
		  "FROM input i JOIN readings r ON r.station_id = i.station_id AND r.observed_at = i.observed_at "
		  "WHERE (r.pm25, r.pm10, r.so2, r.no2, r.co, r.o3, r.temperature, r.humidity, r.pressure, "
		  "r.wind_speed, r.wind_direction, r.flags) IS DISTINCT FROM (i.pm25, i.pm10, i.so2, i.no2, i.co, "
		  "i.o3, i.temperature, i.humidity, i.pressure, i.wind_speed, i.wind_direction, i.flags) RETURNING 1"};

/* The stations among the codes $1 (distinct, sorted), in no particular order. */
static const struct aq_sql sql_station_ids = {"station_ids",
					      "SELECT code, id, active FROM stations WHERE code = ANY ($1::text[])"};

static const struct aq_sql sql_readings_list = {
	"readings_list", "SELECT (extract(epoch FROM observed_at) * 1000000)::int8, " VALUE_COLUMNS ", "
			 "(extract(epoch FROM received_at) * 1000000)::int8 FROM readings "
			 "WHERE station_id = $1 AND observed_at >= $2::timestamptz AND observed_at < $3::timestamptz "
			 "AND observed_at > $4::timestamptz ORDER BY observed_at LIMIT $5"};

/* sep, then v as an array element or text, or `null` when absent. */
static void put_double(struct aq_buf *b, const char *sep, bool present, double v, const char *null)
{
	char tmp[40];
	aq_buf_str(b, sep);
	if (present) {
		/* %.17g round-trips every double exactly. */
		snprintf(tmp, sizeof tmp, "%.17g", v);
		aq_buf_str(b, tmp);
	} else {
		aq_buf_str(b, null);
	}
}

/* The array parameters of INPUT_CTE ($1 … $14): station ids, instants, the fields, flags. */
#define BATCH_ARRAYS (2 + AQ_FIELDS + 1)
struct batch {
	struct aq_buf arr[BATCH_ARRAYS];
};

static void batch_build(struct batch *b, const struct aq_reading *readings, const int *station_ids, size_t n)
{
	char tmp[48];
	memset(b, 0, sizeof *b);
	for (int a = 0; a < BATCH_ARRAYS; a++)
		aq_buf_str(&b->arr[a], "{");
	for (size_t i = 0; i < n; i++) {
		const struct aq_reading *r = &readings[i];
		const char *sep = i ? "," : "";
		snprintf(tmp, sizeof tmp, "%s%d", sep, station_ids[i]);
		aq_buf_str(&b->arr[0], tmp);
		aq_buf_str(&b->arr[1], sep);
		aq_time_format(r->observed_us, 0, tmp, sizeof tmp);
		aq_buf_str(&b->arr[1], tmp);
		bool flagged = false;
		for (int f = 0; f < AQ_FIELDS; f++) {
			put_double(&b->arr[2 + f], sep, r->present & (1u << f), r->value[f], "NULL");
			flagged |= r->flag[f] != 'N';
		}
		aq_buf_str(&b->arr[BATCH_ARRAYS - 1], sep);
		if (flagged)
			aq_buf_add(&b->arr[BATCH_ARRAYS - 1], r->flag, AQ_FIELDS);
		else
			aq_buf_str(&b->arr[BATCH_ARRAYS - 1], "NULL");
	}
	for (int a = 0; a < BATCH_ARRAYS; a++)
		aq_buf_str(&b->arr[a], "}");
}

static void batch_free(struct batch *b)
{
	for (int a = 0; a < BATCH_ARRAYS; a++)
		aq_buf_free(&b->arr[a]);
}

/* Adds the batch's arrays ($1 … $14), source ($15) and received_at ($16: the daemon's clock,
 * the one AQRANK_NOW freezes) to p; false when building the batch ran out of memory. */
static bool batch_bind(const struct batch *b, const char *source, const char *received, struct aq_db_params *p)
{
	bool oom = false;
	for (int a = 0; a < BATCH_ARRAYS; a++) {
		aq_db_param(p, b->arr[a].s);
		oom |= b->arr[a].oom;
	}
	aq_db_param(p, source);
	aq_db_param(p, received);
	return !oom;
}

/* Sorts the readings of a batch that were not inserted (result->accepted of n were) into
 * conflicts, audited, and duplicates. */
static enum aq_status count_not_inserted(struct aq_db *db, const struct batch *b, const char *source,
					 const char *received, size_t n, struct aq_ingest_result *result)
{
	struct aq_db_params p = {0};
	enum aq_status st;
	if (!batch_bind(b, source, received, &p))
		return AQ_ERR_INTERNAL;
	PGresult *r = aq_db_exec_retrying(db, &sql_conflicts, &p, &st);
	if (st != AQ_OK)
		return st;
	result->conflicts = (size_t)PQntuples(r);
	PQclear(r);
	result->duplicates = n - result->accepted - result->conflicts;
	return AQ_OK;
}

/* The ingest is one statement, so it commits on its own: one round trip instead of BEGIN,
 * statement, COMMIT — the commit is what a single-reading POST waits for. Audit rows of
 * conflicts follow in a second statement only when something was not inserted; should the
 * daemon die between the two, the client got no 2xx, resends, and the conflict is audited
 * then. A live batch (every reading in the current hour) takes the lean statement. */
static enum aq_status ingest(struct aq_db *db, const struct batch *b, size_t n, const char *source,
			     const char *received, const char *today, const char *hour_start, bool live,
			     struct aq_ingest_result *result)
{
	struct aq_db_params p = {0};
	enum aq_status st;

	memset(result, 0, sizeof *result);
	if (!batch_bind(b, source, received, &p))
		return AQ_ERR_INTERNAL;
	if (!live) {
		aq_db_param(&p, today);
		aq_db_param(&p, hour_start);
	}
	PGresult *r = aq_db_exec_retrying(db, live ? &sql_ingest_live : &sql_ingest, &p, &st);
	if (st != AQ_OK)
		return st;
	result->accepted = (size_t)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	result->late = (size_t)strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	return result->accepted < n ? count_not_inserted(db, b, source, received, n, result) : AQ_OK;
}

/* Big-endian stores at a cursor into COPY data (written in place: appending field by field
 * was a tenth of a committer's CPU; htobe* swaps on little-endian hosts only). */
static unsigned char *store16(unsigned char *at, uint16_t v)
{
	v = htobe16(v);
	memcpy(at, &v, 2);
	return at + 2;
}

static unsigned char *store32(unsigned char *at, uint32_t v)
{
	v = htobe32(v);
	memcpy(at, &v, 4);
	return at + 4;
}

static unsigned char *store64(unsigned char *at, uint64_t v)
{
	v = htobe64(v);
	memcpy(at, &v, 8);
	return at + 8;
}

/* A field of COPY's binary format: its length, then its bytes (NULL: length -1). */
static unsigned char *store_field(unsigned char *at, const void *data, int len)
{
	at = store32(at, (uint32_t)len);
	if (len > 0)
		memcpy(at, data, (size_t)len);
	return at + (len > 0 ? len : 0);
}

static unsigned char *store_float8(unsigned char *at, bool present, double v)
{
	uint64_t bits;
	if (!present)
		return store32(at, (uint32_t)-1);
	memcpy(&bits, &v, sizeof bits);
	return store64(store32(at, 8), bits);
}

/* PostgreSQL's timestamps count microseconds from 2000-01-01 00:00 UTC. */
#define PG_EPOCH_US 946684800000000LL

/* The rows of a batch in COPY's binary format: no number is formatted here or parsed there
 * (text formatting with %.17g was a quarter of the daemon's CPU in a backfill). */
static void copy_rows(struct aq_buf *b, const struct aq_reading *readings, const int *station_ids, size_t n,
		      const char *source, int64_t received_us)
{
	static const char header[] = "PGCOPY\n\377\r\n";
	int source_len = (int)strlen(source);
	/* Per row at most: field count, station, instant, the fields, flags, source, received. */
	size_t row_max =
		2 + (4 + 4) + (4 + 8) + AQ_FIELDS * (4 + 8) + (4 + AQ_FIELDS) + (4 + (size_t)source_len) + (4 + 8);
	size_t max = 11 + 4 + 4 + n * row_max + 2;
	unsigned char *start = (unsigned char *)aq_buf_room(b, max), *at = start;
	if (!at)
		return;
	memcpy(at, header, 11);
	at = store32(store32(at + 11, 0), 0); /* flags, header extension length */
	for (size_t i = 0; i < n; i++) {
		const struct aq_reading *r = &readings[i];
		at = store16(at, 2 + AQ_FIELDS + 3);
		at = store32(store32(at, 4), (uint32_t)station_ids[i]);
		at = store64(store32(at, 8), (uint64_t)(r->observed_us - PG_EPOCH_US));
		bool flagged = false;
		for (int f = 0; f < AQ_FIELDS; f++) {
			at = store_float8(at, r->present & (1u << f), r->value[f]);
			flagged |= r->flag[f] != 'N';
		}
		at = flagged ? store_field(at, r->flag, AQ_FIELDS) : store_field(at, NULL, -1);
		at = store_field(at, source, source_len);
		at = store64(store32(at, 8), (uint64_t)(received_us - PG_EPOCH_US));
	}
	at = store16(at, 0xffff); /* trailer */
	aq_buf_wrote(b, (size_t)(at - start));
}

/* The array parameters of AGG_IN_FROM_ARRAYS: day, station, hour, readings, first and last
 * instant, then sum, count, min and max per pollutant, then humidity's sum and count. */
#define GROUP_ARRAYS (6 + 4 * AQ_POLLUTANTS + 2)

static void group_arrays(struct aq_buf arr[GROUP_ARRAYS], const struct aq_hour_group *g, size_t n)
{
	char tmp[48];
	for (int a = 0; a < GROUP_ARRAYS; a++)
		aq_buf_str(&arr[a], "{");
	for (size_t i = 0; i < n; i++) {
		const char *sep = i ? "," : "";
		aq_buf_str(&arr[0], sep);
		aq_date_format(g[i].day, tmp);
		aq_buf_str(&arr[0], tmp);
		snprintf(tmp, sizeof tmp, "%s%d", sep, g[i].station_id);
		aq_buf_str(&arr[1], tmp);
		snprintf(tmp, sizeof tmp, "%s%d", sep, g[i].hour);
		aq_buf_str(&arr[2], tmp);
		snprintf(tmp, sizeof tmp, "%s%d", sep, g[i].readings);
		aq_buf_str(&arr[3], tmp);
		aq_buf_str(&arr[4], sep);
		aq_time_format(g[i].first_us, 0, tmp, sizeof tmp);
		aq_buf_str(&arr[4], tmp);
		aq_buf_str(&arr[5], sep);
		aq_time_format(g[i].last_us, 0, tmp, sizeof tmp);
		aq_buf_str(&arr[5], tmp);
		for (int p = 0; p < AQ_POLLUTANTS; p++) {
			struct aq_buf *col = &arr[6 + 4 * p];
			int count = g[i].sums.count[p];
			put_double(&col[0], sep, true, g[i].sums.sum[p], "");
			snprintf(tmp, sizeof tmp, "%s%d", sep, count);
			aq_buf_str(&col[1], tmp);
			put_double(&col[2], sep, count > 0, g[i].min[p], "NULL");
			put_double(&col[3], sep, count > 0, g[i].max[p], "NULL");
		}
		put_double(&arr[6 + 4 * AQ_POLLUTANTS], sep, true, g[i].sums.rh_sum, "");
		snprintf(tmp, sizeof tmp, "%s%d", sep, g[i].sums.rh_count);
		aq_buf_str(&arr[7 + 4 * AQ_POLLUTANTS], tmp);
	}
	for (int a = 0; a < GROUP_ARRAYS; a++)
		aq_buf_str(&arr[a], "}");
}

/* Readings per COPY statement. PostgreSQL 15 makes a tuple slot per row a COPY buffers and
 * registers each with its resource owner, whose lookups of the one tuple descriptor they
 * share grow with their number: one COPY of 1000 rows cost it about a fifth more CPU per row
 * than four of 250 in the same transaction (bench/ingest_ab.py; docs/PERFORMANCE.md). */
#define COPY_CHUNK 250

struct copy_batch {
	struct aq_buf *rows; /* COPY binary format, one per chunk */
	size_t n_chunks;
	struct aq_buf arr[GROUP_ARRAYS]; /* station-hours */
	const char *today, *hour_start;
	struct aq_ingest_result *result;
};

static enum aq_status copy_batch_tx(struct aq_db *db, void *arg)
{
	struct copy_batch *cb = arg;
	enum aq_status st = AQ_OK;
	for (size_t c = 0; c < cb->n_chunks && st == AQ_OK; c++)
		st = aq_db_copy_in(db,
				   "COPY readings (station_id, observed_at, " VALUE_COLUMNS
				   ", source, received_at) FROM STDIN "
				   "(FORMAT binary)",
				   cb->rows[c].s, cb->rows[c].len);
	if (st != AQ_OK)
		return st;
	struct aq_db_params p = {0};
	for (int a = 0; a < GROUP_ARRAYS; a++)
		aq_db_param(&p, cb->arr[a].s);
	aq_db_param(&p, cb->today);
	aq_db_param(&p, cb->hour_start);
	PGresult *r = aq_db_exec(db, &sql_ingest_groups, p.n, p.v, &st);
	if (st != AQ_OK)
		return st;
	cb->result->accepted = (size_t)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	cb->result->late = (size_t)strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	return AQ_OK;
}

/* A batch of new readings: COPY into readings plus one statement for the station-hours the
 * daemon summed, in one transaction — a third of the database's work of the INSERT … ON
 * CONFLICT statement (docs/PERFORMANCE.md). A reading already stored makes the COPY fail
 * (AQ_ERR_CONFLICT): the caller then takes the statement path, which sorts duplicates from
 * conflicts. */
static enum aq_status ingest_copy(struct aq_db *db, const struct aq_reading *readings, const int *station_ids, size_t n,
				  const char *source, const char *today, const char *hour_start, int64_t received_us,
				  struct aq_ingest_result *result)
{
	int64_t *days = calloc(n ? n : 1, sizeof *days); /* zeroed: gcc cannot see n > 0 */
	int *hours = calloc(n ? n : 1, sizeof *hours);
	struct aq_hour_group *groups = NULL;
	long n_groups = -1;
	enum aq_status st = AQ_ERR_INTERNAL;
	struct copy_batch cb = {.today = today, .hour_start = hour_start, .result = result};

	if (days && hours) {
		for (size_t i = 0; i < n; i++)
			aq_local_of(readings[i].observed_us, &days[i], &hours[i], NULL);
		n_groups = aq_hour_groups(readings, station_ids, days, hours, n, &groups);
	}
	cb.n_chunks = (n + COPY_CHUNK - 1) / COPY_CHUNK;
	cb.rows = calloc(cb.n_chunks, sizeof *cb.rows);
	if (n_groups >= 0 && cb.rows) {
		bool oom = false;
		for (size_t c = 0; c < cb.n_chunks; c++) {
			size_t at = c * COPY_CHUNK, m = n - at < COPY_CHUNK ? n - at : COPY_CHUNK;
			copy_rows(&cb.rows[c], readings + at, station_ids + at, m, source, received_us);
			oom |= cb.rows[c].oom;
		}
		group_arrays(cb.arr, groups, (size_t)n_groups);
		for (int a = 0; a < GROUP_ARRAYS; a++)
			oom |= cb.arr[a].oom;
		memset(result, 0, sizeof *result);
		if (!oom)
			st = aq_db_tx(db, copy_batch_tx, &cb);
	}
	for (size_t c = 0; cb.rows && c < cb.n_chunks; c++)
		aq_buf_free(&cb.rows[c]);
	free(cb.rows);
	for (int a = 0; a < GROUP_ARRAYS; a++)
		aq_buf_free(&cb.arr[a]);
	free(groups);
	free(days);
	free(hours);
	return st;
}

/* Today's date and the current hour's start as the statements take them. */
static void ingest_clock_text(int64_t today, int64_t hour_start_us, char today_text[11], char hour_text[48])
{
	aq_date_format(today, today_text);
	aq_time_format(hour_start_us, 0, hour_text, 48);
}

enum aq_status aq_db_readings_copy(struct aq_db *db, const struct aq_reading *readings, const int *station_ids,
				   size_t n, const char *source, int64_t today, int64_t hour_start_us, int64_t now_us,
				   struct aq_ingest_result *result)
{
	char today_text[11], hour_text[48];
	ingest_clock_text(today, hour_start_us, today_text, hour_text);
	return ingest_copy(db, readings, station_ids, n, source, today_text, hour_text, now_us, result);
}

enum aq_status aq_db_readings_ingest(struct aq_db *db, const struct aq_reading *readings, const int *station_ids,
				     size_t n, const char *source, int64_t today, int64_t hour_start_us, int64_t now_us,
				     struct aq_ingest_result *result)
{
	char today_text[11], hour_text[48], received[48];
	/* Only past days can be finalized, so only they are share-locked: today's ingest never
	 * touches the (hot) days row of today. */
	ingest_clock_text(today, hour_start_us, today_text, hour_text);
	bool live = true;
	for (size_t i = 0; i < n && live; i++)
		live = readings[i].observed_us >= hour_start_us; /* today, and no closed hour */
	enum aq_status st = AQ_ERR_CONFLICT;
	if (!live && n >= AQ_COPY_MIN_READINGS)
		st = ingest_copy(db, readings, station_ids, n, source, today_text, hour_text, now_us, result);
	if (st != AQ_ERR_CONFLICT)
		return st;
	aq_time_format(now_us, 0, received, sizeof received); /* the statement's received_at */
	struct batch b;
	batch_build(&b, readings, station_ids, n);
	st = ingest(db, &b, n, source, received, today_text, hour_text, live, result);
	batch_free(&b);
	return st;
}

static void read_key(const PGresult *r, int row, void *elem)
{
	struct aq_reading_key *k = elem;
	k->station_id = atoi(PQgetvalue(r, row, 0));
	k->observed_us = strtoll(PQgetvalue(r, row, 1), NULL, 10);
}

enum aq_status aq_db_readings_insert_live(struct aq_db *db, const struct aq_reading *readings, const int *station_ids,
					  size_t n, const char *source, int64_t now_us, struct aq_reading_key **keys,
					  size_t *n_keys)
{
	struct batch b;
	struct aq_db_params p = {0};
	enum aq_status st = AQ_ERR_INTERNAL;
	char received[48];
	aq_time_format(now_us, 0, received, sizeof received);
	*keys = NULL;
	*n_keys = 0;
	batch_build(&b, readings, station_ids, n);
	if (batch_bind(&b, source, received, &p)) {
		PGresult *r = aq_db_exec_retrying(db, &sql_ingest_live_keys, &p, &st);
		if (st == AQ_OK) {
			size_t rows = (size_t)PQntuples(r);
			*keys = calloc(rows ? rows : 1, sizeof **keys);
			for (size_t i = 0; *keys && i < rows; i++)
				read_key(r, (int)i, &(*keys)[i]);
			*n_keys = *keys ? rows : 0;
			st = *keys ? AQ_OK : AQ_ERR_INTERNAL;
		}
		PQclear(r);
	}
	batch_free(&b);
	return st;
}

enum aq_status aq_db_readings_sort_rest(struct aq_db *db, const struct aq_reading *readings, const int *station_ids,
					size_t n, const char *source, int64_t now_us, struct aq_ingest_result *result)
{
	struct batch b;
	char received[48];
	aq_time_format(now_us, 0, received, sizeof received);
	batch_build(&b, readings, station_ids, n);
	enum aq_status st = count_not_inserted(db, &b, source, received, n, result);
	batch_free(&b);
	return st;
}

enum aq_status aq_db_fold(struct aq_db *db, size_t *moved)
{
	enum aq_status st;
	struct aq_db_params none = {0};
	PGresult *r = aq_db_exec_retrying(db, &sql_fold, &none, &st);
	if (st == AQ_OK && moved)
		*moved = (size_t)strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (st == AQ_OK)
		db->folded = true;
	return st;
}

enum aq_status aq_db_fold_once(struct aq_db *db)
{
	if (db->folded)
		return AQ_OK;
	enum aq_status st = aq_db_fold(db, NULL);
	/* A read-only database (a standby, default_transaction_read_only) cannot fold, but can
	 * still be read: readers see what was folded, and the readings waiting in pending_hourly
	 * are folded once it is writable again. Outside a transaction the failed statement
	 * leaves the connection usable. */
	if (st == AQ_ERR_DB_UNAVAILABLE && strcmp(db->last_state, "25006") == 0 &&
	    PQtransactionStatus(db->conn) == PQTRANS_IDLE) {
		db->folded = true;
		return AQ_OK;
	}
	return st;
}

/* Orders positions by the code they hold (qsort cannot take a context: the codes travel
 * with the positions). */
struct code_at {
	const char *code;
	size_t at;
};

static int by_code(const void *a, const void *b)
{
	return strcmp(((const struct code_at *)a)->code, ((const struct code_at *)b)->code);
}

static int by_string(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Each distinct code is asked once: a batch is mostly one station's history, and a thousand
 * rows of the same code cost the database a thousand lookups and the wire a thousand rows.
 * Runs of one code are folded before sorting (sorting a thousand equal codes was most of the
 * strcmp in a batch's profile). The query reads stations by its code index: the join it
 * replaced hashed every station for each batch (docs/PERFORMANCE.md, "Batched ingest"). */
enum aq_status aq_db_station_ids(struct aq_db *db, const char *const *codes, size_t n, int *ids)
{
	struct aq_buf b = {0};
	enum aq_status st = AQ_ERR_INTERNAL;
	PGresult *r = NULL;
	char *list = NULL;
	size_t *slot = malloc(n * sizeof *slot); /* reading i's code is distinct code slot[i] */
	struct code_at *sorted = malloc(n * sizeof *sorted);
	const char **distinct_codes = malloc(n * sizeof *distinct_codes); /* sorted */
	int *id_of = calloc(n, sizeof *id_of);				  /* by distinct code; 0: no such station */
	size_t runs = 0, distinct = 0;

	if (n == 0) {
		st = AQ_OK;
		goto out;
	}
	if (!slot || !sorted || !distinct_codes || !id_of)
		goto out;
	for (size_t i = 0; i < n; i++) {
		bool run_start = i == 0 || strcmp(codes[i], codes[i - 1]) != 0;
		if (run_start)
			sorted[runs++] = (struct code_at){codes[i], i};
		slot[i] = run_start ? 0 : SIZE_MAX; /* a run start's slot is set below */
	}
	qsort(sorted, runs, sizeof *sorted, by_code);
	aq_buf_str(&b, "{");
	for (size_t k = 0; k < runs; k++) {
		if (k == 0 || strcmp(sorted[k].code, sorted[k - 1].code) != 0) {
			/* Codes are validated ([A-Za-z0-9_.-]); quoting keeps e.g. "NULL" a string. */
			aq_buf_str(&b, distinct ? ",\"" : "\"");
			aq_buf_str(&b, sorted[k].code);
			aq_buf_str(&b, "\"");
			distinct_codes[distinct++] = sorted[k].code;
		}
		slot[sorted[k].at] = distinct - 1;
	}
	for (size_t i = 1; i < n; i++) /* the rest of each run: its start's code */
		if (slot[i] == SIZE_MAX)
			slot[i] = slot[i - 1];
	aq_buf_str(&b, "}");
	list = aq_buf_take(&b);
	if (!list)
		goto out;
	const char *params[] = {list};
	r = aq_db_exec(db, &sql_station_ids, 1, params, &st);
	if (st != AQ_OK)
		goto out;
	/* A row's code finds its distinct slot; a code without a row is no station (id 0). */
	for (int row = 0; row < PQntuples(r); row++) {
		const char *code = PQgetvalue(r, row, 0);
		const char **hit = bsearch(&code, distinct_codes, distinct, sizeof *distinct_codes, by_string);
		if (hit) {
			int id = atoi(PQgetvalue(r, row, 1));
			id_of[hit - distinct_codes] = PQgetvalue(r, row, 2)[0] == 't' ? id : -id;
		}
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = id_of[slot[i]];
out:
	PQclear(r);
	free(list);
	free(id_of);
	free(distinct_codes);
	free(sorted);
	free(slot);
	return st;
}

/* The bound of a listing: an instant, or an open end. */
static void bound_text(int64_t us, const char *open, char buf[48])
{
	if (us == INT64_MIN || us == INT64_MAX)
		snprintf(buf, 48, "%s", open);
	else
		aq_time_format(us, 0, buf, 48);
}

static void read_stored(const PGresult *r, int row, void *elem)
{
	struct aq_stored_reading *s = elem;
	aq_reading_init(&s->r);
	s->r.observed_us = strtoll(PQgetvalue(r, row, 0), NULL, 10);
	for (int f = 0; f < AQ_FIELDS; f++) {
		const char *v = aq_db_text(r, row, 1 + f);
		if (v) {
			s->r.value[f] = strtod(v, NULL);
			s->r.present |= 1u << f;
		}
	}
	const char *flags = aq_db_text(r, row, 1 + AQ_FIELDS);
	if (flags && strlen(flags) == AQ_FIELDS)
		memcpy(s->r.flag, flags, AQ_FIELDS);
	s->received_us = strtoll(PQgetvalue(r, row, 2 + AQ_FIELDS), NULL, 10);
}

enum aq_status aq_db_readings_list(struct aq_db *db, int station_id, int64_t from_us, int64_t to_us, int64_t after_us,
				   int limit, struct aq_stored_reading **out, size_t *n)
{
	char id[16], from[48], to[48], after[48], lim[16];
	snprintf(id, sizeof id, "%d", station_id);
	snprintf(lim, sizeof lim, "%d", limit);
	bound_text(from_us, "-infinity", from);
	bound_text(to_us, "infinity", to);
	bound_text(after_us, "-infinity", after);
	const char *params[] = {id, from, to, after, lim};
	return aq_db_rows(db, &sql_readings_list, 5, params, sizeof **out, read_stored, (void **)out, n);
}
