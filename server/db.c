/* db.c — the connection pool, prepared-statement execution, the transaction helper and the
 * migration runner. Callers borrow a connection per request or job and give it back. */
#include "db_internal.h"
#include "aq_assets.h"
#include "aq_log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A thread's pinned connection (aq_db_pool_pin): every acquire of the pool by that thread
 * gets it back, so a reply's reads run on one connection, in one snapshot. */
#define MAX_PINS 256 /* AQRANK_THREADS at most, plus the background threads */
struct pin {
	pthread_t thread;
	struct aq_db *db;
	int depth; /* acquires not yet released */
};

struct aq_db_pool {
	char *url;
	char *tz;
	int size;
	struct aq_db *conns;
	bool *busy;
	struct aq_daycache *day_cache;
	int in_use;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct pin pins[MAX_PINS];
	int n_pins;
};

/* This thread's pin, or NULL. Called with pool->lock held. */
static struct pin *find_pin(struct aq_db_pool *pool)
{
	pthread_t self = pthread_self();
	for (int i = 0; i < pool->n_pins; i++)
		if (pthread_equal(pool->pins[i].thread, self))
			return &pool->pins[i];
	return NULL;
}

bool aq_db_pool_pin(struct aq_db_pool *pool, struct aq_db *db)
{
	pthread_mutex_lock(&pool->lock);
	bool ok = !find_pin(pool) && pool->n_pins < MAX_PINS;
	if (ok)
		pool->pins[pool->n_pins++] = (struct pin){pthread_self(), db, 0};
	pthread_mutex_unlock(&pool->lock);
	return ok;
}

void aq_db_pool_unpin(struct aq_db_pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	struct pin *p = find_pin(pool);
	if (p)
		*p = pool->pins[--pool->n_pins];
	pthread_mutex_unlock(&pool->lock);
}

/* Key of the advisory lock that serializes migrations across daemons. */
#define MIGRATION_LOCK_KEY "7305001"

struct aq_db_pool *aq_db_pool_new(const char *url, const char *tz, int size)
{
	struct aq_db_pool *pool = calloc(1, sizeof *pool);
	if (!pool)
		return NULL;
	pool->url = strdup(url);
	pool->tz = strdup(tz);
	pool->size = size;
	pool->conns = calloc((size_t)size, sizeof *pool->conns);
	pool->busy = calloc((size_t)size, sizeof *pool->busy);
	/* Two days: today, recomputed on every change, and the past day read last. */
	pool->day_cache = aq_daycache_new(2);
	if (!pool->url || !pool->tz || !pool->conns || !pool->busy || !pool->day_cache) {
		aq_db_pool_free(pool);
		return NULL;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->freed, NULL);
	for (int i = 0; i < size; i++)
		pool->conns[i].day_cache = pool->day_cache;
	return pool;
}

static void disconnect(struct aq_db *db)
{
	if (db->conn)
		PQfinish(db->conn);
	db->conn = NULL;
	db->n_prepared = 0;
	db->broken = false;
}

void aq_db_pool_free(struct aq_db_pool *pool)
{
	if (!pool)
		return;
	if (pool->conns) {
		for (int i = 0; i < pool->size; i++)
			disconnect(&pool->conns[i]);
		pthread_mutex_destroy(&pool->lock);
		pthread_cond_destroy(&pool->freed);
	}
	free(pool->conns);
	free(pool->busy);
	aq_daycache_free(pool->day_cache);
	free(pool->url);
	free(pool->tz);
	free(pool);
}

/* The session's time zone is the daemon's (local days in SQL), and prepared statements keep
 * their generic plan: every statement here is keyed lookups or a batch through unnest, whose
 * plan does not depend on the values, so re-planning per execution is pure cost. */
static const struct aq_sql sql_set_timezone = {
	"set_timezone",
	"SELECT set_config('TimeZone', $1, false), set_config('plan_cache_mode', 'force_generic_plan', false)"};

/* Server notices (e.g. "already exists, skipping") are not errors: log them quietly instead
 * of letting libpq print them on stderr. */
static void on_notice(void *arg, const char *message)
{
	(void)arg;
	aq_log(AQ_LOG_DEBUG, "database notice: %.*s", (int)strcspn(message, "\n"), message);
}

static enum aq_status connect_db(struct aq_db_pool *pool, struct aq_db *db)
{
	const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *values[] = {pool->url, "5", "aqrankd", NULL};
	enum aq_status st;

	disconnect(db);
	db->conn = PQconnectdbParams(keys, values, 1);
	if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
		aq_log(AQ_LOG_WARN, "database: cannot connect: %s",
		       db->conn ? strtok(PQerrorMessage(db->conn), "\n") : "out of memory");
		disconnect(db);
		return AQ_ERR_DB_UNAVAILABLE;
	}
	PQsetNoticeProcessor(db->conn, on_notice, NULL);
	const char *params[] = {pool->tz};
	PGresult *r = aq_db_exec(db, &sql_set_timezone, 1, params, &st);
	PQclear(r);
	if (st != AQ_OK)
		disconnect(db);
	return st == AQ_OK ? AQ_OK : AQ_ERR_DB_UNAVAILABLE;
}

struct aq_db *aq_db_acquire(struct aq_db_pool *pool, enum aq_status *st)
{
	struct aq_db *db = NULL;
	int slot = -1;

	pthread_mutex_lock(&pool->lock);
	struct pin *pin = pool->n_pins ? find_pin(pool) : NULL;
	if (pin) {
		pin->depth++;
		pthread_mutex_unlock(&pool->lock);
		*st = AQ_OK;
		return pin->db;
	}
	while (pool->in_use == pool->size)
		pthread_cond_wait(&pool->freed, &pool->lock);
	/* Prefer a slot that is already connected. */
	for (int i = 0; i < pool->size; i++) {
		if (!pool->busy[i] && (slot < 0 || (pool->conns[i].conn && !pool->conns[slot].conn)))
			slot = i;
	}
	pool->busy[slot] = true;
	pool->in_use++;
	pthread_mutex_unlock(&pool->lock);

	db = &pool->conns[slot];
	if (db->broken || !db->conn || PQstatus(db->conn) != CONNECTION_OK) {
		*st = connect_db(pool, db);
		if (*st != AQ_OK) {
			aq_db_release(pool, db);
			return NULL;
		}
	}
	*st = AQ_OK;
	db->folded = false;
	return db;
}

void aq_db_release(struct aq_db_pool *pool, struct aq_db *db)
{
	if (!db)
		return;
	pthread_mutex_lock(&pool->lock);
	struct pin *pin = pool->n_pins ? find_pin(pool) : NULL;
	if (pin && pin->db == db) { /* the pinned connection stays with its thread */
		pin->depth--;
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	/* A connection left inside a transaction (a bug or a lost COMMIT) is not reused. */
	if (db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		db->broken = true;
	pool->busy[db - pool->conns] = false;
	pool->in_use--;
	pthread_cond_signal(&pool->freed);
	pthread_mutex_unlock(&pool->lock);
}

void aq_db_pool_stats(struct aq_db_pool *pool, int *in_use, int *size)
{
	pthread_mutex_lock(&pool->lock);
	*in_use = pool->in_use;
	*size = pool->size;
	pthread_mutex_unlock(&pool->lock);
}

/* Maps a failed result to a status, remembering what the caller may need. */
static enum aq_status classify(struct aq_db *db, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn);
	snprintf(db->last_state, sizeof db->last_state, "%s", state ? state : "");
	snprintf(db->last_error, sizeof db->last_error, "%s", msg ? msg : "");
	char *nl = strchr(db->last_error, '\n');
	if (nl)
		*nl = '\0';
	if (PQstatus(db->conn) != CONNECTION_OK || !state) {
		db->broken = true;
		return AQ_ERR_DB_UNAVAILABLE;
	}
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return AQ_ERR_DB_RETRY;
	/* 22: data exception (a value the client sent that PostgreSQL cannot take, e.g. invalid
	 * UTF-8 in a parameter): the client's problem, not an internal error. */
	if (strncmp(state, "22", 2) == 0) {
		aq_log(AQ_LOG_INFO, "database refused a value: %s (%s)", db->last_error, state);
		return AQ_ERR_INVALID_PARAMETER;
	}
	if (strcmp(state, "23505") == 0) {
		const char *c = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
		snprintf(db->last_constraint, sizeof db->last_constraint, "%s", c ? c : "");
		return AQ_ERR_CONFLICT;
	}
	/* 08: connection exception; 57P0x: shutdown; 53: insufficient resources (disk full);
	 * 25006: read-only transaction (a standby or default_transaction_read_only). */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0 || strncmp(state, "53", 2) == 0 ||
	    strcmp(state, "25006") == 0 || strncmp(state, "58", 2) == 0) {
		aq_log(AQ_LOG_WARN, "database unavailable: %s (%s)", db->last_error, state);
		if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
			db->broken = true;
		return AQ_ERR_DB_UNAVAILABLE;
	}
	aq_log(AQ_LOG_ERROR, "database error %s: %s", state, db->last_error);
	return AQ_ERR_INTERNAL;
}

static bool is_prepared(const struct aq_db *db, const struct aq_sql *sql)
{
	for (size_t i = 0; i < db->n_prepared; i++)
		if (db->prepared[i] == sql)
			return true;
	return false;
}

static PGresult *exec_format(struct aq_db *db, const struct aq_sql *sql, int nparams, const char *const *params,
			     int result_format, enum aq_status *st);

PGresult *aq_db_exec(struct aq_db *db, const struct aq_sql *sql, int nparams, const char *const *params,
		     enum aq_status *st)
{
	return exec_format(db, sql, nparams, params, 0, st);
}

PGresult *aq_db_exec_binary(struct aq_db *db, const struct aq_sql *sql, int nparams, const char *const *params,
			    enum aq_status *st)
{
	return exec_format(db, sql, nparams, params, 1, st);
}

/* Prepares sql on db's connection unless it already is. */
static enum aq_status prepare(struct aq_db *db, const struct aq_sql *sql)
{
	if (!db->conn)
		return AQ_ERR_DB_UNAVAILABLE;
	if (is_prepared(db, sql))
		return AQ_OK;
	PGresult *r = PQprepare(db->conn, sql->name, sql->text, 0, NULL);
	enum aq_status st = PQresultStatus(r) == PGRES_COMMAND_OK ? AQ_OK : classify(db, r);
	PQclear(r);
	if (st == AQ_OK && db->n_prepared < AQ_DB_MAX_PREPARED)
		db->prepared[db->n_prepared++] = sql;
	return st;
}

static PGresult *exec_format(struct aq_db *db, const struct aq_sql *sql, int nparams, const char *const *params,
			     int result_format, enum aq_status *st)
{
	PGresult *r;
	if ((*st = prepare(db, sql)) != AQ_OK)
		return NULL;
	r = PQexecPrepared(db->conn, sql->name, nparams, params, NULL, NULL, result_format);
	ExecStatusType s = PQresultStatus(r);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		*st = AQ_OK;
		return r;
	}
	*st = classify(db, r);
	PQclear(r);
	return NULL;
}

enum aq_status aq_db_rows(struct aq_db *db, const struct aq_sql *sql, int nparams, const char *const *params,
			  size_t elem_size, aq_db_row_reader read, void **out, size_t *count)
{
	enum aq_status st;
	PGresult *r = aq_db_exec(db, sql, nparams, params, &st);
	*out = NULL;
	*count = 0;
	if (st != AQ_OK)
		return st;
	size_t rows = (size_t)PQntuples(r);
	unsigned char *array = calloc(rows ? rows : 1, elem_size);
	if (!array) {
		PQclear(r);
		return AQ_ERR_INTERNAL;
	}
	for (size_t i = 0; i < rows; i++)
		read(r, (int)i, array + i * elem_size);
	PQclear(r);
	*out = array;
	*count = rows;
	return AQ_OK;
}

enum aq_status aq_db_rows_streamed(struct aq_db *db, const struct aq_sql *sql, int nparams, const char *const *params,
				   size_t elem_size, aq_db_row_reader read, void **out, size_t *count)
{
	*out = NULL;
	*count = 0;
	enum aq_status st = prepare(db, sql);
	if (st != AQ_OK)
		return st;
	if (!PQsendQueryPrepared(db->conn, sql->name, nparams, params, NULL, NULL, 0))
		return classify(db, NULL);
	PQsetSingleRowMode(db->conn);
	unsigned char *array = NULL;
	size_t rows = 0, cap = 0;
	PGresult *r;
	/* Every result is read, also after an error, so the connection is ready again. */
	while ((r = PQgetResult(db->conn))) {
		ExecStatusType s = PQresultStatus(r);
		if (s == PGRES_SINGLE_TUPLE && st == AQ_OK) {
			if (rows == cap) {
				size_t grown_cap = cap ? cap * 2 : 256;
				unsigned char *grown = realloc(array, grown_cap * elem_size);
				if (!grown) {
					st = AQ_ERR_INTERNAL;
					PQclear(r);
					continue;
				}
				array = grown;
				cap = grown_cap;
			}
			memset(array + rows * elem_size, 0, elem_size);
			read(r, 0, array + rows * elem_size);
			rows++;
		} else if (s != PGRES_SINGLE_TUPLE && s != PGRES_TUPLES_OK && st == AQ_OK) {
			st = classify(db, r);
		}
		PQclear(r);
	}
	if (st != AQ_OK) {
		free(array);
		return st;
	}
	*out = array ? array : calloc(1, elem_size);
	*count = rows;
	return *out ? AQ_OK : AQ_ERR_INTERNAL;
}

enum aq_status aq_db_scalar(struct aq_db *db, const struct aq_sql *sql, int nparams, const char *const *params,
			    int64_t *value)
{
	enum aq_status st;
	PGresult *r = aq_db_exec(db, sql, nparams, params, &st);
	if (st == AQ_OK && PQntuples(r) > 0) {
		const char *v = PQgetvalue(r, 0, 0);
		*value = v[0] == 't' ? 1 : v[0] == 'f' ? 0 : strtoll(v, NULL, 10);
	} else if (st == AQ_OK) {
		st = AQ_ERR_INTERNAL;
	}
	PQclear(r);
	return st;
}

enum aq_status aq_db_command(struct aq_db *db, const char *command)
{
	if (!db->conn)
		return AQ_ERR_DB_UNAVAILABLE;
	PGresult *r = PQexec(db->conn, command);
	enum aq_status st =
		PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ? AQ_OK : classify(db, r);
	PQclear(r);
	return st;
}

enum aq_status aq_db_copy_in(struct aq_db *db, const char *command, const char *data, size_t len)
{
	if (!db->conn)
		return AQ_ERR_DB_UNAVAILABLE;
	PGresult *r = PQexec(db->conn, command);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		enum aq_status st = classify(db, r);
		PQclear(r);
		return st;
	}
	PQclear(r);
	/* libpq takes int lengths: send in chunks (a batch is at most a few MB). */
	int sent = 1;
	for (size_t at = 0; sent == 1 && at < len; at += 1u << 20) {
		size_t chunk = len - at < (1u << 20) ? len - at : (1u << 20);
		sent = PQputCopyData(db->conn, data + at, (int)chunk);
	}
	if (sent != 1 || PQputCopyEnd(db->conn, NULL) != 1) {
		db->broken = true;
		return AQ_ERR_DB_UNAVAILABLE;
	}
	enum aq_status st = AQ_OK;
	while ((r = PQgetResult(db->conn))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && st == AQ_OK)
			st = classify(db, r);
		PQclear(r);
	}
	return st;
}

/* Runs fn — inside BEGIN … COMMIT when tx, else as it stands (a single statement commits
 * itself) — and again after a serialization failure or deadlock, up to 5 attempts with a
 * short back-off: the one retry policy of the database layer. */
static enum aq_status run_retrying(struct aq_db *db, bool tx, aq_db_tx_fn fn, void *arg)
{
	enum aq_status st = AQ_ERR_DB_RETRY;
	for (int attempt = 0; attempt < 5 && st == AQ_ERR_DB_RETRY; attempt++) {
		if (attempt > 0) {
			/* Back off a little so the competing transaction can finish. */
			struct timespec pause = {0, (long)(attempt * 2 + rand() % 5) * 1000000L};
			nanosleep(&pause, NULL);
		}
		if (tx && (st = aq_db_command(db, "BEGIN")) != AQ_OK)
			break;
		st = fn(db, arg);
		if (tx && st == AQ_OK)
			st = aq_db_command(db, "COMMIT");
		else if (tx && !db->broken)
			aq_db_command(db, "ROLLBACK");
	}
	if (tx && st != AQ_OK && db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE && !db->broken)
		aq_db_command(db, "ROLLBACK");
	return st;
}

enum aq_status aq_db_tx(struct aq_db *db, aq_db_tx_fn fn, void *arg)
{
	/* Inside a reply's read snapshot (aq_db_read_begin) there is no transaction to open or
	 * commit: fn runs in it (and a write fails there, read-only). */
	if (db->conn && PQtransactionStatus(db->conn) == PQTRANS_INTRANS && db->in_read)
		return fn(db, arg);
	return run_retrying(db, true, fn, arg);
}

static const struct aq_sql sql_wal_position = {
	"wal_position",
	"SELECT pg_is_in_recovery(), (CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_replay_lsn(), '0/0') "
	"ELSE pg_current_wal_lsn() END - '0/0'::pg_lsn)::int8"};

enum aq_status aq_db_wal_position(struct aq_db *db, bool *in_recovery, uint64_t *lsn)
{
	enum aq_status st;
	PGresult *r = aq_db_exec(db, &sql_wal_position, 0, NULL, &st);
	if (st == AQ_OK) {
		*in_recovery = PQgetvalue(r, 0, 0)[0] == 't';
		*lsn = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	}
	PQclear(r);
	return st;
}

static const struct aq_sql sql_read_snapshot = {"read_snapshot",
						"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"};

enum aq_status aq_db_read_begin(struct aq_db *db)
{
	enum aq_status st = aq_db_command(db, "BEGIN");
	if (st == AQ_OK) {
		PQclear(aq_db_exec(db, &sql_read_snapshot, 0, NULL, &st));
		if (st != AQ_OK)
			aq_db_command(db, "ROLLBACK");
	}
	db->in_read = st == AQ_OK;
	/* No fold in here: a standby cannot write, and the failed statement would abort the
	 * snapshot. Live readings waiting to be folded (200 ms at most: the primary's background
	 * thread folds them) show once folded there and replayed here. */
	db->folded = true;
	return st;
}

void aq_db_read_end(struct aq_db *db)
{
	if (db->in_read && db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		aq_db_command(db, "ROLLBACK"); /* nothing was written: ending it is all */
	db->in_read = false;
}

struct exec_call {
	const struct aq_sql *sql;
	const struct aq_db_params *params;
	PGresult *result;
};

static enum aq_status exec_once(struct aq_db *db, void *arg)
{
	struct exec_call *c = arg;
	enum aq_status st;
	PQclear(c->result);
	c->result = aq_db_exec(db, c->sql, c->params->n, c->params->v, &st);
	return st;
}

PGresult *aq_db_exec_retrying(struct aq_db *db, const struct aq_sql *sql, const struct aq_db_params *params,
			      enum aq_status *st)
{
	struct exec_call c = {sql, params, NULL};
	if (params->overflow) {
		*st = AQ_ERR_INTERNAL;
		return NULL;
	}
	*st = run_retrying(db, false, exec_once, &c);
	if (*st != AQ_OK) {
		PQclear(c.result);
		return NULL;
	}
	return c.result;
}

static const struct aq_sql sql_migrations_table = {
	"migrations_table", "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, "
			    "applied_at timestamptz NOT NULL DEFAULT now())"};
static const struct aq_sql sql_migration_lock = {"migration_lock", "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")"};
static const struct aq_sql sql_migration_unlock = {"migration_unlock",
						   "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")"};
static const struct aq_sql sql_migration_applied = {"migration_applied",
						    "SELECT 1 FROM schema_migrations WHERE version = $1"};
static const struct aq_sql sql_migration_record = {"migration_record",
						   "INSERT INTO schema_migrations (version) VALUES ($1)"};
static const struct aq_sql sql_migration_count = {"migration_count", "SELECT count(*) FROM schema_migrations"};

/* Runs one statement and drops its result. */
static enum aq_status run(struct aq_db *db, const struct aq_sql *sql, int n, const char *const *p)
{
	enum aq_status st;
	PQclear(aq_db_exec(db, sql, n, p, &st));
	return st;
}

enum aq_status aq_db_migrate(struct aq_db *db, char *err, size_t errlen)
{
	enum aq_status st;
	err[0] = '\0';
	if ((st = run(db, &sql_migration_lock, 0, NULL)) != AQ_OK ||
	    (st = run(db, &sql_migrations_table, 0, NULL)) != AQ_OK) {
		snprintf(err, errlen, "%s", db->last_error);
		return st;
	}
	for (const struct aq_asset *m = aq_migrations; m->name; m++) {
		const char *params[] = {m->name};
		PGresult *r = aq_db_exec(db, &sql_migration_applied, 1, params, &st);
		bool applied = r && PQntuples(r) > 0;
		PQclear(r);
		if (st != AQ_OK)
			break;
		if (applied)
			continue;
		/* The migration text is a trusted file of the build, run as a script. */
		if ((st = aq_db_command(db, "BEGIN")) != AQ_OK)
			break;
		PGresult *mr = PQexec(db->conn, (const char *)m->data);
		if (PQresultStatus(mr) != PGRES_COMMAND_OK && PQresultStatus(mr) != PGRES_TUPLES_OK) {
			st = classify(db, mr);
			snprintf(err, errlen, "migration %s failed: %s", m->name, db->last_error);
			PQclear(mr);
			aq_db_command(db, "ROLLBACK");
			break;
		}
		PQclear(mr);
		if ((st = run(db, &sql_migration_record, 1, params)) != AQ_OK ||
		    (st = aq_db_command(db, "COMMIT")) != AQ_OK) {
			aq_db_command(db, "ROLLBACK");
			break;
		}
		aq_log(AQ_LOG_INFO, "migration %s applied", m->name);
	}
	if (st != AQ_OK && !err[0])
		snprintf(err, errlen, "%s", db->last_error);
	run(db, &sql_migration_unlock, 0, NULL);
	return st;
}

enum aq_status aq_db_check_ready(struct aq_db *db)
{
	enum aq_status st;
	size_t expected = 0;
	for (const struct aq_asset *m = aq_migrations; m->name; m++)
		expected++;
	PGresult *r = aq_db_exec(db, &sql_migration_count, 0, NULL, &st);
	if (st == AQ_OK && (size_t)atol(PQgetvalue(r, 0, 0)) < expected)
		st = AQ_ERR_DB_UNAVAILABLE;
	PQclear(r);
	return st == AQ_ERR_INTERNAL ? AQ_ERR_DB_UNAVAILABLE : st;
}
