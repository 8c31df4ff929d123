/* db_internal.h — what the db*.c files share: the connection struct and the prepared
 * statement helper. Only db*.c include this (and so libpq-fe.h). */
#ifndef AQ_DB_INTERNAL_H
#define AQ_DB_INTERNAL_H

#include <libpq-fe.h>
#include <stdint.h>
#include <string.h>

#include "aq_daycache.h"
#include "aq_db.h"

/* A named SQL statement, prepared lazily once per connection. Always static const. */
struct aq_sql {
	const char *name;
	const char *text;
};

#define AQ_DB_MAX_PREPARED 96

struct aq_db {
	PGconn *conn;
	const struct aq_sql *prepared[AQ_DB_MAX_PREPARED];
	size_t n_prepared;
	bool broken;                 /* the connection failed: reconnect on next acquire */
	char last_constraint[64];    /* constraint named by the last unique violation */
	char last_error[256];
	char last_state[6];          /* SQLSTATE of the last error ("" for none) */
	struct aq_daycache *day_cache; /* the pool's, shared by its connections */
	bool folded;                 /* pending live readings folded since this borrow began */
	bool in_read;                /* inside a reply's read snapshot (aq_db_read_begin) */
};

/* Folds the live readings waiting in pending_hourly into the aggregates, once per borrow of
 * the connection: every read of the aggregates (hourly rows, days, stations' first days)
 * calls it first, so that no caller has to remember it (db_readings.c). */
enum aq_status aq_db_fold_once(struct aq_db *db);

/* A day's hourly rows from the pool's day cache, brought up to date with the rows written since
 * it was cached (db_ranking.c): for readers that want a recent day cheaply but must not fill the
 * cache with days of their own. *found false (*day zeroed) when the day is not cached or a
 * transaction is open; otherwise the caller owns *day and gives it back with aq_daycache_put. */
enum aq_status aq_db_day_rows_if_cached(struct aq_db *db, int64_t day_no, struct aq_day_rows *day, bool *found);

/* The parameters of one statement, added in order ($1, $2, …) so that none is counted by
 * hand. Values are borrowed: they must outlive the statement's execution. */
#define AQ_DB_MAX_PARAMS 48
struct aq_db_params {
	const char *v[AQ_DB_MAX_PARAMS];
	int n;
	bool overflow; /* more than AQ_DB_MAX_PARAMS were added: a bug, refused at execution */
};

static inline void aq_db_param(struct aq_db_params *p, const char *value)
{
	if (p->n < AQ_DB_MAX_PARAMS)
		p->v[p->n++] = value;
	else
		p->overflow = true;
}

/* Runs a prepared statement on its own (PostgreSQL's implicit transaction), and again after
 * a serialization failure or deadlock — the retry policy of aq_db_tx. Result and statuses as
 * aq_db_exec. */
PGresult *aq_db_exec_retrying(struct aq_db *db, const struct aq_sql *sql, const struct aq_db_params *params,
			      enum aq_status *st);

/* Runs a prepared statement with text parameters (NULL entries are SQL NULL). Returns the
 * result (the caller PQclears it) with *st = AQ_OK, or NULL with *st = AQ_ERR_DB_RETRY
 * (serialization failure, deadlock), AQ_ERR_CONFLICT (unique violation: db->last_constraint),
 * AQ_ERR_DB_UNAVAILABLE (connection lost, shutting down, disk full, read-only) or
 * AQ_ERR_INTERNAL (logged). */
PGresult *aq_db_exec(struct aq_db *db, const struct aq_sql *sql, int nparams,
		     const char *const *params, enum aq_status *st);

/* The same with binary results (network byte order; see aq_db_int4/aq_db_float8): for the
 * big reads, where parsing text costs more than the query. */
PGresult *aq_db_exec_binary(struct aq_db *db, const struct aq_sql *sql, int nparams,
			    const char *const *params, enum aq_status *st);

/* Reads row `row` of r into *elem (an element of the array aq_db_rows builds). */
typedef void (*aq_db_row_reader)(const PGresult *r, int row, void *elem);

/* Runs sql and reads every row with read into a malloc'd array of elem_size-byte elements
 * (*out, *count; the caller frees *out, which is never NULL on AQ_OK). The one place that
 * turns a result into an array, so every list query allocates and cleans up the same way. */
enum aq_status aq_db_rows(struct aq_db *db, const struct aq_sql *sql, int nparams, const char *const *params,
			  size_t elem_size, aq_db_row_reader read, void **out, size_t *count);

/* The same, reading the rows one at a time as they arrive (libpq's single-row mode): never
 * the whole result and the array at once. For results of tens of thousands of rows (a day of
 * a network's hourly rows for the alert rules: 48,000 rows were a 45 MB result). */
enum aq_status aq_db_rows_streamed(struct aq_db *db, const struct aq_sql *sql, int nparams,
				   const char *const *params, size_t elem_size, aq_db_row_reader read, void **out,
				   size_t *count);

/* Runs sql and returns the first column of its first row as an integer (or a boolean: 't' is
 * 1). AQ_ERR_INTERNAL when there is no row. */
enum aq_status aq_db_scalar(struct aq_db *db, const struct aq_sql *sql, int nparams, const char *const *params,
			    int64_t *value);

/* Runs command (a COPY … FROM STDIN) and sends it len bytes of data in its text format.
 * Statuses as aq_db_exec (a duplicate key is AQ_ERR_CONFLICT). */
enum aq_status aq_db_copy_in(struct aq_db *db, const char *command, const char *data, size_t len);

/* Runs a fixed command (BEGIN, COMMIT, ...) that has no parameters. */
enum aq_status aq_db_command(struct aq_db *db, const char *command);

/* Binary result cells (big-endian on the wire). */
static inline int32_t aq_db_int4(const PGresult *r, int row, int col)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
	return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

static inline int16_t aq_db_int2(const PGresult *r, int row, int col)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
	return (int16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline int64_t aq_db_int8(const PGresult *r, int row, int col)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static inline double aq_db_float8(const PGresult *r, int row, int col)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
	uint64_t bits = 0;
	double d;
	for (int i = 0; i < 8; i++)
		bits = bits << 8 | p[i];
	memcpy(&d, &bits, sizeof d);
	return d;
}

/* Helpers to read a result cell. */
static inline const char *aq_db_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

#endif
