/* aq_db.h — the database interface: a pool of PostgreSQL connections, a transaction helper
 * that retries serialization failures, migrations, and every query the daemon runs (named,
 * prepared statements; no SQL is ever built from text). Nothing outside db*.c sees libpq. */
#ifndef AQ_DB_H
#define AQ_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * AQ_ERR_CONFLICT when the mn is taken by another station. Runs in its own transaction. */
enum aq_status aq_db_station_put(struct aq_db *db, const char *code, const struct aq_station_update *u,
				 const char *password_hash, const unsigned char token_hash[32],
				 bool *created, struct aq_station *out);
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
 * (days before it may be finalized concurrently and are locked against that). AQ_OK means
 * committed. */
enum aq_status aq_db_readings_ingest(struct aq_db *db, const struct aq_reading *readings,
				     const int *station_ids, size_t n, const char *source, int64_t today,
				     struct aq_ingest_result *result);

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

#endif
