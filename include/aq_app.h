/* aq_app.h — the application context: the configuration, clock, database pool and the shared
 * state of the running daemon. main builds one and hands it to every component; there are no
 * other globals. */
#ifndef AQ_APP_H
#define AQ_APP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "aq_clock.h"
#include "aq_config.h"
#include "aq_db.h"
#include "aq_token.h"

struct aq_metrics;
struct aq_events;
struct aq_jobs;
struct aq_ratelimit;
struct aq_hj212_server;
struct aq_token_cache;
struct aq_ingest_group;
struct aq_period_cache;
struct aq_sources_cache;
struct aq_pdf_fonts;
struct aq_replica;

struct aq_app {
	const struct aq_config *cfg;
	struct aq_clock clock;
	struct aq_db_pool *pool;
	bool has_admin, has_read, has_metrics;
	unsigned char admin_hash[AQ_TOKEN_HASH_LEN]; /* hashes only: tokens are compared hashed */
	unsigned char read_hash[AQ_TOKEN_HASH_LEN];
	unsigned char metrics_hash[AQ_TOKEN_HASH_LEN];
	atomic_bool schema_ready; /* migrations applied (or checked) */
	pthread_mutex_t migrate_lock;
	struct aq_metrics *metrics;
	struct aq_events *events;
	struct aq_jobs *jobs; /* woken by ingest so that closed hours are judged at once */
	struct aq_ratelimit *ratelimit;
	struct aq_token_cache *tokens;
	struct aq_ingest_group *ingest_group;	/* group commit of live readings */
	struct aq_ingest_group *ingest_batches; /* group commit of batches */
	struct aq_period_cache *periods;	/* finalized days' values for the period rankings */
	struct aq_pdf_fonts *pdf_fonts;		/* the bulletins' font map, shared by the threads */
	struct aq_hj212_server *hj212;		/* NULL when AQRANK_HJ212_LISTEN is unset */
	struct aq_replica *replica;		/* NULL when AQRANK_READ_DSN is unset (replica.c) */
	struct aq_sources_cache *sources_cache; /* recent source analyses (sources_service.c; main's) */
	atomic_bool stopping;
	/* Bumped on every local write and whenever the database's data_version moved (another
	 * daemon wrote): caches of "today" compare against it. */
	_Atomic int64_t data_version;
};

/* Prepares app from cfg (hashes the tokens, sets the clock). The pool and the rest are
 * attached by main. */
void aq_app_init(struct aq_app *app, const struct aq_config *cfg);
void aq_app_cleanup(struct aq_app *app);

/* Creates the shared services of a serving daemon (metrics, event hub, rate limits, token
 * cache). */
enum aq_status aq_app_services_new(struct aq_app *app);
/* Frees them; NULL-safe per service. */
void aq_app_services_free(struct aq_app *app);

/* Borrows a database connection for one request or job, applying pending migrations first
 * if this daemon has not done so yet. NULL with *st = AQ_ERR_DB_UNAVAILABLE when the database
 * cannot be reached or is not migrated. Give it back with aq_db_release(app->pool, db). */
struct aq_db *aq_app_db(struct aq_app *app, enum aq_status *st);

/* Notes any other write that changes what the API shows. */
void aq_app_note_write(struct aq_app *app);

/* Current local day (days since the epoch) by the app's clock. */
int64_t aq_app_today(const struct aq_app *app);

#endif
