/* db_internal.h — what the db*.c files share: the connection struct and the prepared
 * statement helper. Only db*.c include this (and so libpq-fe.h). */
#ifndef AQ_DB_INTERNAL_H
#define AQ_DB_INTERNAL_H

#include <libpq-fe.h>

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
};

/* Runs a prepared statement with text parameters (NULL entries are SQL NULL). Returns the
 * result (the caller PQclears it) with *st = AQ_OK, or NULL with *st = AQ_ERR_DB_RETRY
 * (serialization failure, deadlock), AQ_ERR_CONFLICT (unique violation: db->last_constraint),
 * AQ_ERR_DB_UNAVAILABLE (connection lost, shutting down, disk full, read-only) or
 * AQ_ERR_INTERNAL (logged). */
PGresult *aq_db_exec(struct aq_db *db, const struct aq_sql *sql, int nparams,
		     const char *const *params, enum aq_status *st);

/* Runs a fixed command (BEGIN, COMMIT, ...) that has no parameters. */
enum aq_status aq_db_command(struct aq_db *db, const char *command);

/* Helpers to read a result cell. */
static inline const char *aq_db_text(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

#endif
