/* aq_db.h — the database interface: a pool of PostgreSQL connections, a transaction helper
 * that retries serialization failures, migrations, and every query the daemon runs (named,
 * prepared statements; no SQL is ever built from text). Nothing outside db*.c sees libpq. */
#ifndef AQ_DB_H
#define AQ_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_alert.h"
#include "aq_calib.h"
#include "aq_daycache.h"
#include "aq_dayview.h"
#include "aq_hj212_guard.h"
#include "aq_interview.h"
#include "aq_partplan.h"
#include "aq_reading.h"
#include "aq_sources.h"
#include "aq_station.h"
#include "aq_status.h"
#include "aq_token.h"

struct aq_db;	   /* one connection */
struct aq_db_pool; /* a fixed set of connections shared by threads */

/* New pool of size connections to url (a libpq URI); every session uses time zone tz.
 * Connections open lazily, so a pool can be made while the database is down. NULL on ENOMEM. */
struct aq_db_pool *aq_db_pool_new(const char *url, const char *tz, int size);
/* Closes every connection. NULL-safe. No connection may be borrowed. */
void aq_db_pool_free(struct aq_db_pool *pool);

/* Borrows a connection, waiting for a free one and (re)connecting it when needed. NULL with
 * *st = AQ_ERR_DB_UNAVAILABLE when the database cannot be reached. Give it back with
 * aq_db_release. */
struct aq_db *aq_db_acquire(struct aq_db_pool *pool, enum aq_status *st);
void aq_db_release(struct aq_db_pool *pool, struct aq_db *db);
/* Pins db (a borrowed connection, of this pool or another) to the calling thread: until
 * aq_db_pool_unpin, every aq_db_acquire of pool by this thread returns db, and aq_db_release
 * of it returns nothing — so all the reads of one reply, however many services borrow, run on
 * one connection (replica.c). False when the thread has a pin already or the table is full. */
bool aq_db_pool_pin(struct aq_db_pool *pool, struct aq_db *db);
void aq_db_pool_unpin(struct aq_db_pool *pool);

/* The WAL position of the server db is connected to: replayed (a standby: *in_recovery) or
 * written (a primary), in bytes. */
enum aq_status aq_db_wal_position(struct aq_db *db, bool *in_recovery, uint64_t *lsn);
/* Opens one read-only REPEATABLE READ snapshot on db for a reply's reads (no fold of pending
 * live readings: a standby cannot); aq_db_read_end closes it. aq_db_tx inside it runs its
 * function in the snapshot. */
enum aq_status aq_db_read_begin(struct aq_db *db);
void aq_db_read_end(struct aq_db *db);

/* Connections in use and in total (for /metrics). */
void aq_db_pool_stats(struct aq_db_pool *pool, int *in_use, int *size);

/* Runs fn inside BEGIN … COMMIT. A serialization failure or deadlock (AQ_ERR_DB_RETRY, from fn
 * or from COMMIT) rolls back and runs fn again, up to 5 times; any other error rolls back and
 * is returned. fn must therefore be safe to repeat. AQ_OK means committed. */
typedef enum aq_status (*aq_db_tx_fn)(struct aq_db *db, void *arg);
enum aq_status aq_db_tx(struct aq_db *db, aq_db_tx_fn fn, void *arg);

/* Applies pending embedded migrations in order, each in its own transaction, recorded in
 * schema_migrations; several daemons starting together serialize on an advisory lock. On
 * failure writes a message into err. */
enum aq_status aq_db_migrate(struct aq_db *db, char *err, size_t errlen);
/* AQ_OK when the database answers and every embedded migration is applied. */
enum aq_status aq_db_check_ready(struct aq_db *db);

/* ---- stations (db_stations.c) ---- */

/* Station by code (active or not). AQ_ERR_UNKNOWN_STATION when there is none. */
enum aq_status aq_db_station_get(struct aq_db *db, const char *code, struct aq_station *out);
/* Station whose token hashes to hash. AQ_ERR_UNAUTHORIZED when none. */
enum aq_status aq_db_station_by_token(struct aq_db *db, const unsigned char hash[32], struct aq_station *out);
/* Every station (kind -1 = any), ordered by code, in a malloc'd array the caller frees. */
enum aq_status aq_db_station_list(struct aq_db *db, int kind, struct aq_station **out, size_t *n);
/* Creates station code from u (with token_hash) or updates it with the fields u sets;
 * *created says which. password_hash is the new HJ 212 hash (u sets AQ_SA_PASSWORD) or NULL.
 * now_us (the app clock) is the creation/update time: a network registered under a frozen
 * clock exists from that day on. AQ_ERR_CONFLICT when the mn is taken by another station.
 * Runs in its own transaction. */
enum aq_status aq_db_station_put(struct aq_db *db, int64_t now_us, const char *code, const struct aq_station_update *u,
				 const char *password_hash, const unsigned char token_hash[32], bool *created,
				 struct aq_station *out);
/* Replaces the station's token hash. AQ_ERR_UNKNOWN_STATION when there is none. */
enum aq_status aq_db_station_set_token(struct aq_db *db, const char *code, const unsigned char hash[32]);
/* Marks the station inactive (data kept). */
enum aq_status aq_db_station_deactivate(struct aq_db *db, const char *code, struct aq_station *out);

/* ---- readings (db_readings.c) ---- */

struct aq_ingest_result {
	size_t accepted;   /* new rows stored */
	size_t duplicates; /* resends with the same values */
	size_t conflicts;  /* resends with other values: not applied, kept in reading_conflicts */
	size_t late;	   /* new rows on days already finalized */
};

/* Stores readings of known stations (station_ids[i] for readings[i]) in one transaction:
 * raw rows, hourly aggregates and the days they touch; duplicates and conflicts are counted,
 * conflicts recorded for audit. source is "http" or "hj212"; today is the clock's local day
 * (days before it may be finalized concurrently and are locked against that); readings
 * observed before hour_start_us (the start of the clock's current hour) fall in closed hours:
 * a backfill, which finalization and alert evaluation wait out. AQ_OK means committed.
 * A batch entirely in the current hour leaves its aggregate work in pending_hourly: every read
 * of the aggregates below (hourly rows, days, stations' first days) folds it in first, once
 * per borrow of the connection. now_us (the daemon's clock, frozen by AQRANK_NOW) is stored as
 * the readings' received_at. */
enum aq_status aq_db_readings_ingest(struct aq_db *db, const struct aq_reading *readings, const int *station_ids,
				     size_t n, const char *source, int64_t today, int64_t hour_start_us, int64_t now_us,
				     struct aq_ingest_result *result);
/* Batches at least this big, not all live, are COPYed by aq_db_readings_ingest (below it,
 * one statement is fewer round trips). */
#define AQ_COPY_MIN_READINGS 64
/* aq_db_readings_ingest's COPY path alone, for readings none of which is stored yet (the
 * group commit of batches, ingest_group.c): AQ_OK, committed, every reading accepted; a
 * reading already stored (or sent twice) makes it AQ_ERR_CONFLICT with nothing stored, and
 * the caller sorts them with aq_db_readings_ingest. */
enum aq_status aq_db_readings_copy(struct aq_db *db, const struct aq_reading *readings, const int *station_ids,
				   size_t n, const char *source, int64_t today, int64_t hour_start_us, int64_t now_us,
				   struct aq_ingest_result *result);
/* The group commit of live readings (ingest_group.c) in two steps. First one statement for
 * the live readings (every one in the clock's current hour) of several requests, in queue
 * order: it stores the new ones and returns their keys in *keys (malloc'd, *n_keys). */
struct aq_reading_key {
	int station_id;
	int64_t observed_us;
};
enum aq_status aq_db_readings_insert_live(struct aq_db *db, const struct aq_reading *readings, const int *station_ids,
					  size_t n, const char *source, int64_t now_us, struct aq_reading_key **keys,
					  size_t *n_keys);
/* Then, for a request of which the statement stored only result->accepted of its n readings:
 * sorts the rest into conflicts (audited, like aq_db_readings_ingest) and duplicates. */
enum aq_status aq_db_readings_sort_rest(struct aq_db *db, const struct aq_reading *readings, const int *station_ids,
					size_t n, const char *source, int64_t now_us, struct aq_ingest_result *result);

/* Folds the readings waiting in pending_hourly into the aggregates (waiting for a concurrent
 * fold to commit first). *moved (may be NULL): how many were folded. The reads fold by
 * themselves; the background thread calls this to fold as soon as readings arrive. */
enum aq_status aq_db_fold(struct aq_db *db, size_t *moved);

/* Station ids for codes (one per reading); unknown codes get id 0, inactive ones -id. */
enum aq_status aq_db_station_ids(struct aq_db *db, const char *const *codes, size_t n, int *ids);

struct aq_stored_reading {
	struct aq_reading r;
	int64_t received_us;
};
/* Raw readings of a station with from_us <= observed_at < to_us and observed_at > after_us,
 * oldest first, at most limit; malloc'd array the caller frees. */
enum aq_status aq_db_readings_list(struct aq_db *db, int station_id, int64_t from_us, int64_t to_us, int64_t after_us,
				   int limit, struct aq_stored_reading **out, size_t *n);

/* ---- days, snapshots, interviews (db_ranking.c) ---- */

struct aq_day_info {
	bool exists; /* the day has (or had) readings */
	bool final;
	int64_t finalized_us;
	int late_readings;
	char rule_version[64];
	char metric[16];
	int min_hours;
	char insufficient[16];
	int interview_count;
	unsigned composite_mask;
};

/* What the days table knows of day. */
enum aq_status aq_db_day_info(struct aq_db *db, int64_t day, struct aq_day_info *out);
/* Fills v->stations with every station and its hourly sums of day (v->day must be set);
 * stations ordered by code. */
enum aq_status aq_db_day_load_live(struct aq_db *db, struct aq_dayview *v);
/* Fills v->stations from the finalized snapshot of v->day (daily values completed with
 * aq_daily_finish; v->composite_mask must be set). */
enum aq_status aq_db_day_load_snapshot(struct aq_db *db, struct aq_dayview *v, const struct aq_aqi_standard *standard);
/* Newest finalized day; *found false when none. */
enum aq_status aq_db_latest_final_day(struct aq_db *db, int64_t *day, bool *found);
/* Finalized days in [from, to], oldest first, in a malloc'd array. */
enum aq_status aq_db_final_days(struct aq_db *db, int64_t from, int64_t to, int64_t **days, size_t *n);
/* For each day of [from, to]: stamps[day - from] is how many times it was finalized (a new
 * number for each new snapshot; times alone cannot tell, a frozen clock stands still), 0 when
 * it has readings and no snapshot yet, -1 when it has no readings. */
enum aq_status aq_db_day_stamps(struct aq_db *db, int64_t from, int64_t to, int64_t *stamps);
/* Days before `before` with readings and no snapshot, oldest first, at most max. */
enum aq_status aq_db_days_due(struct aq_db *db, int64_t before, int64_t *days, size_t max, size_t *n);

/* Inside a transaction: takes the day's advisory lock (other daemons skip the day while it is
 * held) and locks its row; *locked false when another daemon holds it, *final whether the day
 * is already finalized. */
enum aq_status aq_db_day_lock(struct aq_db *db, int64_t day, bool *locked, bool *final);
/* Inside a transaction: replaces the day's snapshot with v's stations. */
enum aq_status aq_db_snapshot_write(struct aq_db *db, const struct aq_dayview *v);
/* consecutive_days of each station on the interview list of day (0 when not on it): looks up
 * station_ids[i] into out[i]. */
enum aq_status aq_db_interview_streaks(struct aq_db *db, int64_t day, const int *station_ids, size_t n, int *out);
/* Inside a transaction: makes list the interview list of day. Entries that stay keep their
 * status and note; the others are removed. Later days' streaks are recomputed. */
enum aq_status aq_db_interviews_write(struct aq_db *db, int64_t day, const struct aq_interview *list, size_t n);
/* Inside a transaction: records the snapshot's rules and marks the day final at
 * v->finalized_us (the daemon's clock) — late_readings back to 0: the snapshot now holds
 * every reading. */
enum aq_status aq_db_day_mark_final(struct aq_db *db, const struct aq_dayview *v);

struct aq_interview_filter {
	int64_t from, to;    /* days, inclusive; INT64_MIN / INT64_MAX when open */
	const char *station; /* code or NULL */
	int status;	     /* -1 = any */
	int limit;
};
/* Interview entries matching f, newest day first, list order within a day. */
enum aq_status aq_db_interviews_list(struct aq_db *db, const struct aq_interview_filter *f, struct aq_interview **out,
				     size_t *n);
/* Moves entry id to status (never backwards: AQ_ERR_CONFLICT) and sets note when not NULL.
 * AQ_ERR_NOT_FOUND when there is no such entry. */
enum aq_status aq_db_interview_patch(struct aq_db *db, int64_t id, int status, const char *note,
				     struct aq_interview *out);

/* Hourly sums of one station over [from, to] days: hours[(day - from) * 24 + hour], plus the
 * readings count per hour when readings is not NULL. hours must hold (to - from + 1) * 24. */
enum aq_status aq_db_station_hours(struct aq_db *db, int station_id, int64_t from, int64_t to,
				   struct aq_hour_sums *hours, int *readings);
/* Seconds since a batch with readings of past days was stored (by any daemon); a large
 * number when none ever was. Also prunes marks older than an hour. */
enum aq_status aq_db_backfill_idle(struct aq_db *db, double *seconds);
/* Bumps the data version (what caches compare against); returns the new value. */
enum aq_status aq_db_bump_version(struct aq_db *db, int64_t *version);
/* Current data version. */
enum aq_status aq_db_data_version(struct aq_db *db, int64_t *version);

/* ---- monthly partitions of readings (db_partitions.c, migration 010) ---- */

/* The partitions of readings, the default among them (*out malloc'd; the caller frees it). */
enum aq_status aq_db_partitions(struct aq_db *db, struct aq_partition **out, size_t *n);
/* The months (aq_partplan.h numbers, ascending, at most 48) that have rows in the default
 * partition (*months malloc'd; the caller frees it). */
enum aq_status aq_db_partition_default_months(struct aq_db *db, int **months, size_t *n);
/* Creates the partition of the local month beginning on first_day, moving that month's rows
 * out of the default partition; *created false when a partition covers it already. A lock
 * wait longer than 2 s fails (the caller tries again later). */
enum aq_status aq_db_partition_create(struct aq_db *db, int64_t first_day, bool *created);
/* Moves partition `name` of readings to readings_archive; *archived false when it is no
 * partition of readings. A lock wait longer than 2 s fails. */
enum aq_status aq_db_partition_archive(struct aq_db *db, const char *name, bool *archived);

/* ---- finalized months and years (db_periods.c) ---- */

struct aq_period_info {
	bool final; /* a snapshot exists */
	int64_t finalized_us;
	char rule_version[128];
	int min_days;
	int days_with_data;
};
/* The snapshot of period kind ("month", "year") key ("2026-11", "2026"); final false if none. */
enum aq_status aq_db_period_info(struct aq_db *db, const char *kind, const char *key, struct aq_period_info *out);

/* One subject's kept period values. */
struct aq_period_stored {
	char subject[256]; /* station code or unit name */
	char name[256];
	char unit[256];
	char members[4096]; /* station codes, comma separated */
	int valid_days[AQ_POLLUTANTS];
	double conc[AQ_POLLUTANTS];
	int aqi_days;
	double aqi_mean;
	int good_days;
};
/* The kept subjects (stations, or units) of a period, by subject, in a malloc'd array. */
enum aq_status aq_db_period_rows(struct aq_db *db, const char *kind, const char *key, bool by_unit,
				 struct aq_period_stored **out, size_t *n);
/* Inside a transaction: the period's advisory lock (false: another daemon holds it). */
enum aq_status aq_db_period_lock(struct aq_db *db, const char *kind, const char *key, bool *locked);
/* Inside a transaction: replaces the period's snapshot header (its rows go with the old one),
 * finalized at finalized_us (the daemon's clock). */
enum aq_status aq_db_period_write_header(struct aq_db *db, const char *kind, const char *key, int64_t first_day,
					 int64_t last_day, const char *rule_version, int min_days, int days_with_data,
					 int64_t finalized_us);
/* Inside the same transaction: one subject's values. */
enum aq_status aq_db_period_write_row(struct aq_db *db, const char *kind, const char *key, bool by_unit,
				      const struct aq_period_stored *s);
/* Late data of a kept period's days: readings counted late on them, and how many times they
 * were finalized again since the period was kept. */
enum aq_status aq_db_period_late(struct aq_db *db, const char *kind, const char *key, int *late_readings,
				 int *days_refinalized);
/* Months or years (kind) whose days with data are all final, that ended before today and have
 * no snapshot, oldest first, at most max: their keys in a malloc'd array. */
enum aq_status aq_db_periods_due(struct aq_db *db, const char *kind, int64_t today, size_t max, char (**keys)[16],
				 size_t *n);
/* The hourly rows of day for every station, raw — the pool's cache plus what was written since
 * (as aq_db_day_load_live reads them; db_ranking.c). out is always safe to clean up. */
enum aq_status aq_db_day_rows(struct aq_db *db, int64_t day, struct aq_day_rows *out);

/* ---- quality control and calibration (db_quality.c) ---- */

/* The calibration of one station and pollutant in force on a day. */
struct aq_calib_in_force {
	int station_id;
	int reference_id; /* the station it was co-located with */
	enum aq_pollutant pollutant;
	struct aq_calib_use use;
};
/* Per station and pollutant, the approved calibration with the latest valid_from on or before
 * day (the highest version among equals), in a malloc'd array ordered by station id. */
enum aq_status aq_db_calibrations_in_force(struct aq_db *db, int64_t day, struct aq_calib_in_force **out, size_t *n);
/* Stores a new pending calibration c (station, reference, window, humidity, valid_from, note
 * and the fits it has) in one transaction; sets c->id and c->created_us. */
enum aq_status aq_db_calibration_insert(struct aq_db *db, struct aq_calibration *c);
/* Calibration id of station_id (any station when station_id is 0). AQ_ERR_NOT_FOUND when
 * there is none. */
enum aq_status aq_db_calibration_get(struct aq_db *db, int64_t id, int station_id, struct aq_calibration *out);
/* Every calibration of a station, oldest first, in a malloc'd array. */
enum aq_status aq_db_calibrations_list(struct aq_db *db, int station_id, struct aq_calibration **out, size_t *n);
/* Approves pending calibration id of station_id, giving it the station's next version, from
 * valid_from (INT64_MIN: the one it was created with). AQ_ERR_NOT_FOUND (no such calibration
 * of that station), AQ_ERR_CONFLICT (already approved). out is the calibration afterwards. */
enum aq_status aq_db_calibration_approve(struct aq_db *db, int64_t id, int station_id, int64_t valid_from,
					 struct aq_calibration *out);

/* Inside the finalization transaction: records what quality control and calibration did to
 * v's stations (those with any flag or calibration). */
enum aq_status aq_db_quality_snapshot_write(struct aq_db *db, const struct aq_dayview *v);
/* Fills the quality of v's stations (a finalized day read from its snapshot). */
enum aq_status aq_db_quality_snapshot_load(struct aq_db *db, struct aq_dayview *v);

/* ---- alerts, events, webhook outbox (db_alerts.c) ---- */

/* Session-level advisory lock of the alert evaluator: one daemon judges at a time. */
enum aq_status aq_db_alert_lock(struct aq_db *db, bool *locked);
enum aq_status aq_db_alert_unlock(struct aq_db *db);

struct aq_alert_watermark {
	int station_id;
	int64_t newest_us;	      /* newest observed_at; 0 when the station never reported */
	int64_t evaluated_through_us; /* INT64_MIN when never evaluated */
};
/* Newest reading and evaluation watermark of every station, in a malloc'd array. */
enum aq_status aq_db_alert_watermarks(struct aq_db *db, struct aq_alert_watermark **out, size_t *n);
enum aq_status aq_db_alert_state_set(struct aq_db *db, int station_id, int64_t through_us);

/* One hourly row with what the alert rules need. */
struct aq_alert_hour_row {
	int station_id;
	int64_t day;
	int hour;
	struct aq_hour_sums sums;
	double min[AQ_POLLUTANTS], max[AQ_POLLUTANTS];
	int64_t first_us, last_us;
};
/* Hourly rows of every station for days [from, to], in a malloc'd array. */
enum aq_status aq_db_alert_hours(struct aq_db *db, int64_t from, int64_t to, struct aq_alert_hour_row **out, size_t *n);

/* Active (open or acknowledged) alerts, in a malloc'd array. */
enum aq_status aq_db_alerts_active(struct aq_db *db, struct aq_alert **out, size_t *n);
/* Inserts a new open alert from a (station_id, type, severity, times, value, threshold,
 * pollutant, message, sources); sets a->id. */
enum aq_status aq_db_alert_insert(struct aq_db *db, struct aq_alert *a);
/* A repeated trigger: stores a->count, last_seen (never moved back), value, threshold,
 * pollutant and message, and sources unless a->sources is "" (the stored ones stay). */
enum aq_status aq_db_alert_bump(struct aq_db *db, const struct aq_alert *a);
/* The condition cleared at at_us. */
enum aq_status aq_db_alert_resolve(struct aq_db *db, int64_t id, int64_t at_us);
/* Appends an event (kind "alert") with its JSON payload. */
enum aq_status aq_db_event_add(struct aq_db *db, const char *kind, const char *payload);
/* Queues a webhook notification of alert_id. */
enum aq_status aq_db_outbox_add(struct aq_db *db, int64_t alert_id, const char *event);

/* Inside the finalization's transaction: the push of day's bulletin (its ready body), unless
 * the day has had one. */
enum aq_status aq_db_outbox_add_bulletin(struct aq_db *db, int64_t day, const char *payload);

struct aq_alert_filter {
	int status;	     /* enum aq_alert_status, or -1 for all */
	const char *station; /* code or NULL */
	int type;	     /* enum aq_alert_type or -1 */
	int64_t since_us;    /* last_seen_at ≥ since; INT64_MIN for any */
	int limit;
};
/* Alerts matching f, newest first. */
enum aq_status aq_db_alerts_list(struct aq_db *db, const struct aq_alert_filter *f, struct aq_alert **out, size_t *n);
/* Acknowledges alert id (open → acknowledged; an acknowledged one gets the new note).
 * AQ_ERR_NOT_FOUND, or AQ_ERR_CONFLICT when it is resolved. */
enum aq_status aq_db_alert_ack(struct aq_db *db, int64_t id, const char *note, int64_t at_us, struct aq_alert *out);

struct aq_event {
	int64_t id;
	char kind[16];
	char *payload; /* malloc'd JSON text */
};
/* Events after after_id, oldest first, at most limit; free each payload and the array. */
enum aq_status aq_db_events_since(struct aq_db *db, int64_t after_id, int limit, struct aq_event **out, size_t *n);
enum aq_status aq_db_events_last_id(struct aq_db *db, int64_t *id);

struct aq_outbox_item {
	int64_t id;
	int attempts;
	char event[16];
	char payload[8192]; /* a bulletin's body as rendered at finalization; "" for an alert */
	struct aq_alert alert;
};
/* Inside a transaction: locks the oldest due undelivered notification (skipping ones another
 * daemon holds). *found false when there is none. */
enum aq_status aq_db_outbox_claim(struct aq_db *db, struct aq_outbox_item *item, bool *found);
/* Inside the same transaction: delivered, or failed (retry after delay_s, error kept). */
enum aq_status aq_db_outbox_done(struct aq_db *db, int64_t id, bool delivered, int delay_s, const char *error);
/* Deletes events older than event_days and delivered notifications older than outbox_days:
 * both tables only grow otherwise. */
enum aq_status aq_db_prune_logs(struct aq_db *db, int event_days, int outbox_days);
/* Undelivered notifications (for /metrics and tests). */
enum aq_status aq_db_outbox_pending(struct aq_db *db, int64_t *pending);

/* ---- where a national point's pollution comes from (db_sources.c) ---- */

/* PM2.5 ([0]) and PM10 ([1]) sums and counts of one station-hour. */
struct aq_pm_hour_row {
	int station_id;
	int64_t day;
	int hour;
	double sum[2];
	int count[2];
};
/* The PM hourly rows of the stations station_ids[0..n_ids) over the local hours first_hour …
 * last_hour, each counted as day × 24 + hour (live readings folded first), in a malloc'd array
 * the caller frees. */
enum aq_status aq_db_pm_hours(struct aq_db *db, int64_t first_hour, int64_t last_hour, const int *station_ids,
			      size_t n_ids, struct aq_pm_hour_row **out, size_t *n);

/* One local hour of a station's wind, summed from its raw readings. */
struct aq_wind_hour_row {
	int64_t day;
	int hour;
	struct aq_wind_sums sums;
};
/* The wind of station_id per local hour over readings from_us <= observed_at < to_us (hours
 * without a counted speed are absent), in a malloc'd array the caller frees. */
enum aq_status aq_db_wind_hours(struct aq_db *db, int station_id, int64_t from_us, int64_t to_us,
				struct aq_wind_hour_row **out, size_t *n);

/* ---- HJ 212 devices (db_hj212.c) ---- */

/* What the listener needs to judge a frame that names an MN, from one sender address. */
struct aq_hj212_device {
	bool found;				    /* a station has this MN */
	struct aq_station station;		    /* id, code, kind, active, mn (when found) */
	char password_hash[AQ_PASSWORD_HASH_SIZE];  /* "" when none is set */
	char codes[1200];			    /* the station's hj212_codes as "CODE=field;…" */
	char last_ok_address[64];		    /* sender of the station's last good password */
	struct aq_hj212_guard mn_guard, addr_guard; /* zero when the key never failed */
};

/* The station behind mn (if any), its password hash and code map, and the failure state of
 * the keys "mn:<mn>" and addr_key. Never AQ_ERR_UNKNOWN_STATION: see out->found. */
enum aq_status aq_db_hj212_device(struct aq_db *db, const char *mn, const char *addr_key, struct aq_hj212_device *out);

/* Inside a transaction: the failure state of key (zero when it has none), its row locked so
 * that two daemons counting the same key do not lose a failure. */
enum aq_status aq_db_hj212_guard_lock(struct aq_db *db, const char *key, struct aq_hj212_guard *out);
/* Inside the same transaction: stores key's new state, and the MN (addr keys) or the address
 * (mn keys) that failed last. */
enum aq_status aq_db_hj212_guard_put(struct aq_db *db, const char *key, const struct aq_hj212_guard *g,
				     const char *last_mn, const char *last_address);
/* Forgets guard rows a day past their last failure that are not locked. */
enum aq_status aq_db_hj212_guard_prune(struct aq_db *db);

/* Lifts the lockout of the device mn: forgets the failures of "mn:<mn>" and of every address
 * whose last wrong password was for mn. *lifted: something was forgotten. */
enum aq_status aq_db_hj212_lift(struct aq_db *db, const char *mn, bool *lifted);

/* The failure state of every MN that has one, with its station (for the auth_failures rule). */
struct aq_hj212_guard_row {
	int station_id;
	struct aq_hj212_guard g;
};
enum aq_status aq_db_hj212_guards(struct aq_db *db, struct aq_hj212_guard_row **out, size_t *n);

/* Notes a frame that named station_id's MN, at now_us (wall clock): stored when reason is
 * NULL, else refused for reason (with detail). unknown_json ("{}" when none) merges into the
 * unknown codes seen (at most 64 are kept); ok_address, when not NULL, is the sender of a good
 * password. */
enum aq_status aq_db_hj212_note(struct aq_db *db, int station_id, int64_t now_us, const char *reason,
				const char *detail, const char *unknown_json, const char *ok_address);

/* Replaces the password hash of station_id when it is still old_hash (an upgrade after a
 * successful check: never over a password the operator changed meanwhile). */
enum aq_status aq_db_hj212_rehash(struct aq_db *db, int station_id, const char *old_hash, const char *new_hash);

/* What the admin's station view shows of an HJ 212 device. */
struct aq_hj212_view {
	bool seen;						/* the listener has noted a frame of it */
	int64_t last_frame_us, last_stored_us, last_refusal_us; /* 0: never */
	char last_refusal_reason[32];
	char last_refusal_detail[200];
	char *refusals;	     /* JSON object text, reason → count (owned) */
	char *unknown_codes; /* JSON object text, code → {"value", "at"} (owned) */
	char *codes;	     /* the station's hj212_codes, JSON object text (owned) */
	struct aq_hj212_guard mn_guard;
	char last_failure_address[64];
	int n_addresses; /* addresses whose last wrong password was for this MN */
	struct {
		char address[64];
		struct aq_hj212_guard g;
	} addresses[8];
};
/* Fills out for station_id (whose MN is mn, "" when none). Free with aq_hj212_view_cleanup. */
enum aq_status aq_db_hj212_view(struct aq_db *db, int station_id, const char *mn, struct aq_hj212_view *out);
void aq_hj212_view_cleanup(struct aq_hj212_view *v);

#endif
