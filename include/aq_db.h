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
#include "aq_interview.h"
#include "aq_reading.h"
#include "aq_station.h"
#include "aq_status.h"

struct aq_db;      /* one connection */
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
enum aq_status aq_db_station_by_token(struct aq_db *db, const unsigned char hash[32],
				      struct aq_station *out);
/* Every station (kind -1 = any), ordered by code, in a malloc'd array the caller frees. */
enum aq_status aq_db_station_list(struct aq_db *db, int kind, struct aq_station **out, size_t *n);
/* Creates station code from u (with token_hash) or updates it with the fields u sets;
 * *created says which. password_hash is the new HJ 212 hash (u sets AQ_SA_PASSWORD) or NULL.
 * now_us (the app clock) is the creation/update time: a network registered under a frozen
 * clock exists from that day on. AQ_ERR_CONFLICT when the mn is taken by another station.
 * Runs in its own transaction. */
enum aq_status aq_db_station_put(struct aq_db *db, int64_t now_us, const char *code,
				 const struct aq_station_update *u, const char *password_hash,
				 const unsigned char token_hash[32], bool *created, struct aq_station *out);
/* Replaces the station's token hash. AQ_ERR_UNKNOWN_STATION when there is none. */
enum aq_status aq_db_station_set_token(struct aq_db *db, const char *code, const unsigned char hash[32]);
/* Marks the station inactive (data kept). */
enum aq_status aq_db_station_deactivate(struct aq_db *db, const char *code, struct aq_station *out);

/* ---- readings (db_readings.c) ---- */

struct aq_ingest_result {
	size_t accepted;   /* new rows stored */
	size_t duplicates; /* resends with the same values */
	size_t conflicts;  /* resends with other values: not applied, kept in reading_conflicts */
	size_t late;       /* new rows on days already finalized */
};

/* Stores readings of known stations (station_ids[i] for readings[i]) in one transaction:
 * raw rows, hourly aggregates and the days they touch; duplicates and conflicts are counted,
 * conflicts recorded for audit. source is "http" or "hj212"; today is the clock's local day
 * (days before it may be finalized concurrently and are locked against that); readings
 * observed before hour_start_us (the start of the clock's current hour) fall in closed hours:
 * a backfill, which finalization and alert evaluation wait out. AQ_OK means committed.
 * A batch entirely in the current hour leaves its aggregate work in pending_hourly: every read
 * of the aggregates below (hourly rows, days, stations' first days) folds it in first, once
 * per borrow of the connection. */
enum aq_status aq_db_readings_ingest(struct aq_db *db, const struct aq_reading *readings,
				     const int *station_ids, size_t n, const char *source, int64_t today,
				     int64_t hour_start_us, struct aq_ingest_result *result);
/* The group commit of live readings (ingest_group.c) in two steps. First one statement for
 * the live readings (every one in the clock's current hour) of several requests, in queue
 * order: it stores the new ones and returns their keys in *keys (malloc'd, *n_keys). */
struct aq_reading_key {
	int station_id;
	int64_t observed_us;
};
enum aq_status aq_db_readings_insert_live(struct aq_db *db, const struct aq_reading *readings, const int *station_ids,
					  size_t n, const char *source, struct aq_reading_key **keys, size_t *n_keys);
/* Then, for a request of which the statement stored only result->accepted of its n readings:
 * sorts the rest into conflicts (audited, like aq_db_readings_ingest) and duplicates. */
enum aq_status aq_db_readings_sort_rest(struct aq_db *db, const struct aq_reading *readings, const int *station_ids,
					size_t n, const char *source, struct aq_ingest_result *result);

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
enum aq_status aq_db_readings_list(struct aq_db *db, int station_id, int64_t from_us, int64_t to_us,
				   int64_t after_us, int limit, struct aq_stored_reading **out, size_t *n);

/* ---- days, snapshots, interviews (db_ranking.c) ---- */

struct aq_day_info {
	bool exists;         /* the day has (or had) readings */
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
enum aq_status aq_db_day_load_snapshot(struct aq_db *db, struct aq_dayview *v,
				       const struct aq_aqi_standard *standard);
/* Newest finalized day; *found false when none. */
enum aq_status aq_db_latest_final_day(struct aq_db *db, int64_t *day, bool *found);
/* Finalized days in [from, to], oldest first, in a malloc'd array. */
enum aq_status aq_db_final_days(struct aq_db *db, int64_t from, int64_t to, int64_t **days, size_t *n);
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
enum aq_status aq_db_interview_streaks(struct aq_db *db, int64_t day, const int *station_ids,
				       size_t n, int *out);
/* Inside a transaction: makes list the interview list of day. Entries that stay keep their
 * status and note; the others are removed. Later days' streaks are recomputed. */
enum aq_status aq_db_interviews_write(struct aq_db *db, int64_t day, const struct aq_interview *list,
				      size_t n);
/* Inside a transaction: records the snapshot's rules and marks the day final (late_readings
 * back to 0: the snapshot now holds every reading). */
enum aq_status aq_db_day_mark_final(struct aq_db *db, const struct aq_dayview *v);

struct aq_interview_filter {
	int64_t from, to;     /* days, inclusive; INT64_MIN / INT64_MAX when open */
	const char *station;  /* code or NULL */
	int status;           /* -1 = any */
	int limit;
};
/* Interview entries matching f, newest day first, list order within a day. */
enum aq_status aq_db_interviews_list(struct aq_db *db, const struct aq_interview_filter *f,
				     struct aq_interview **out, size_t *n);
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

/* The hourly rows of day for every station, raw — the pool's cache plus what was written since
 * (as aq_db_day_load_live reads them; db_ranking.c). out is always safe to clean up. */
enum aq_status aq_db_day_rows(struct aq_db *db, int64_t day, struct aq_day_rows *out);

/* ---- quality control and calibration (db_quality.c) ---- */

/* The calibration of one station and pollutant in force on a day. */
struct aq_calib_in_force {
	int station_id;
	int reference_id;  /* the station it was co-located with */
	enum aq_pollutant pollutant;
	struct aq_calib_use use;
};
/* Per station and pollutant, the approved calibration with the latest valid_from on or before
 * day (the highest version among equals), in a malloc'd array ordered by station id. */
enum aq_status aq_db_calibrations_in_force(struct aq_db *db, int64_t day, struct aq_calib_in_force **out,
					   size_t *n);
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
	int64_t newest_us;            /* newest observed_at; 0 when the station never reported */
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
enum aq_status aq_db_alert_hours(struct aq_db *db, int64_t from, int64_t to,
				 struct aq_alert_hour_row **out, size_t *n);

/* Active (open or acknowledged) alerts, in a malloc'd array. */
enum aq_status aq_db_alerts_active(struct aq_db *db, struct aq_alert **out, size_t *n);
/* Inserts a new open alert from a (station_id, type, severity, times, value, threshold,
 * pollutant, message); sets a->id. */
enum aq_status aq_db_alert_insert(struct aq_db *db, struct aq_alert *a);
/* A repeated trigger: stores a->count, last_seen (never moved back), value, threshold,
 * pollutant and message. */
enum aq_status aq_db_alert_bump(struct aq_db *db, const struct aq_alert *a);
/* The condition cleared at at_us. */
enum aq_status aq_db_alert_resolve(struct aq_db *db, int64_t id, int64_t at_us);
/* Appends an event (kind "alert") with its JSON payload. */
enum aq_status aq_db_event_add(struct aq_db *db, const char *kind, const char *payload);
/* Queues a webhook notification of alert_id. */
enum aq_status aq_db_outbox_add(struct aq_db *db, int64_t alert_id, const char *event);

struct aq_alert_filter {
	int status;           /* enum aq_alert_status, or -1 for all */
	const char *station;  /* code or NULL */
	int type;             /* enum aq_alert_type or -1 */
	int64_t since_us;     /* last_seen_at ≥ since; INT64_MIN for any */
	int limit;
};
/* Alerts matching f, newest first. */
enum aq_status aq_db_alerts_list(struct aq_db *db, const struct aq_alert_filter *f, struct aq_alert **out,
				 size_t *n);
/* Acknowledges alert id (open → acknowledged; an acknowledged one gets the new note).
 * AQ_ERR_NOT_FOUND, or AQ_ERR_CONFLICT when it is resolved. */
enum aq_status aq_db_alert_ack(struct aq_db *db, int64_t id, const char *note, int64_t at_us,
			       struct aq_alert *out);

struct aq_event {
	int64_t id;
	char kind[16];
	char *payload; /* malloc'd JSON text */
};
/* Events after after_id, oldest first, at most limit; free each payload and the array. */
enum aq_status aq_db_events_since(struct aq_db *db, int64_t after_id, int limit, struct aq_event **out,
				  size_t *n);
enum aq_status aq_db_events_last_id(struct aq_db *db, int64_t *id);

struct aq_outbox_item {
	int64_t id;
	int attempts;
	char event[16];
	struct aq_alert alert;
};
/* Inside a transaction: locks the oldest due undelivered notification (skipping ones another
 * daemon holds). *found false when there is none. */
enum aq_status aq_db_outbox_claim(struct aq_db *db, struct aq_outbox_item *item, bool *found);
/* Inside the same transaction: delivered, or failed (retry after delay_s, error kept). */
enum aq_status aq_db_outbox_done(struct aq_db *db, int64_t id, bool delivered, int delay_s,
				 const char *error);
/* Deletes events older than event_days and delivered notifications older than outbox_days:
 * both tables only grow otherwise. */
enum aq_status aq_db_prune_logs(struct aq_db *db, int event_days, int outbox_days);
/* Undelivered notifications (for /metrics and tests). */
enum aq_status aq_db_outbox_pending(struct aq_db *db, int64_t *pending);

/* ---- HJ 212 devices (db_hj212.c) ---- */

/* Station whose HJ 212 MN is mn: sets out's id, code, kind, active and mn, and copies its
 * hj212_password hash into password_hash (hash_size bytes; "" when none is set).
 * AQ_ERR_UNKNOWN_STATION when no station has that MN. */
enum aq_status aq_db_station_by_mn(struct aq_db *db, const char *mn, struct aq_station *out,
				   char *password_hash, size_t hash_size);

#endif
