/* replica.c — the read replica (aq_replica.h). A monitor thread samples the primary's WAL
 * position and then the replica's replayed one every 500 ms; replag.c turns them into a lag in
 * time. Replies of the routes that may read there (http.c's route table) pin one replica
 * connection for all their reads, inside one read-only REPEATABLE READ snapshot; ingest, the
 * background jobs, the webhook and migrations never come here. */
#include "aq_replica.h"
#include "aq_app.h"
#include "aq_clock.h"
#include "aq_db.h"
#include "aq_log.h"
#include "aq_metrics.h"
#include "aq_replag.h"
#include "aq_time.h"
#include "aq_worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_MS 500
/* A status older than this (a monitor stuck on a hung connection) bypasses the replica. */
#define STALE_US (5 * AQ_US_PER_SEC)

struct aq_replica {
	struct aq_app *app;
	struct aq_db_pool *pool;
	struct aq_worker *worker;
	struct aq_replag lag; /* the monitor's */
	bool logged_not_standby;
	pthread_mutex_t lock; /* guards what follows */
	struct aq_replica_status status;
	int64_t checked_us; /* monotonic time of the last check, 0 before the first */
};

/* One check: the primary's position, then the replica's, then the verdict. */
static bool monitor_step(void *arg)
{
	struct aq_replica *r = arg;
	struct aq_app *app = r->app;
	enum aq_status st;
	struct aq_replica_status next = {.lag_s = -1};
	int64_t now = aq_monotonic_us();
	bool rec = false;
	uint64_t lsn = 0;

	struct aq_db *db = aq_app_db(app, &st);
	if (db) {
		if (aq_db_wal_position(db, &rec, &lsn) == AQ_OK && !rec)
			aq_replag_sample(&r->lag, now, lsn);
		aq_db_release(app->pool, db);
	}
	db = aq_db_acquire(r->pool, &st);
	if (db && (st = aq_db_wal_position(db, &rec, &lsn)) == AQ_OK) {
		next.reachable = true;
		if (!rec && !r->logged_not_standby) {
			aq_log(AQ_LOG_WARN, "AQRANK_READ_DSN is not a standby (not in recovery): read as current");
			r->logged_not_standby = true;
		}
		next.lag_s = rec ? (double)aq_replag_behind(&r->lag, now, lsn) / AQ_US_PER_SEC : 0;
		next.in_use = next.lag_s <= app->cfg->read_max_lag_s;
		if (!next.in_use)
			snprintf(next.reason, sizeof next.reason,
				 "%.1f s behind the primary (AQRANK_READ_MAX_LAG_S=%g)", next.lag_s,
				 app->cfg->read_max_lag_s);
	} else {
		snprintf(next.reason, sizeof next.reason, "unreachable (see the database messages above)");
	}
	if (db)
		aq_db_release(r->pool, db);

	pthread_mutex_lock(&r->lock);
	struct aq_replica_status before = r->status;
	bool first = r->checked_us == 0;
	r->status = next;
	r->checked_us = aq_monotonic_us();
	pthread_mutex_unlock(&r->lock);
	if (next.in_use && (first || !before.in_use))
		aq_log(AQ_LOG_INFO, "read replica in use (%.1f s behind the primary)", next.lag_s);
	else if (!next.in_use && (first || before.in_use || before.reachable != next.reachable))
		aq_log(AQ_LOG_WARN, "read replica bypassed, reads go to the primary: %s", next.reason);
	return false;
}

struct aq_replica *aq_replica_start(struct aq_app *app)
{
	const struct aq_config *cfg = app->cfg;
	if (!cfg->read_dsn || !cfg->read_dsn[0])
		return NULL;
	struct aq_replica *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->app = app;
	aq_replag_init(&r->lag);
	pthread_mutex_init(&r->lock, NULL);
	r->status.lag_s = -1;
	snprintf(r->status.reason, sizeof r->status.reason, "not checked yet");
	/* One connection per HTTP thread (a reply pins one) and the monitor's. */
	if (!(r->pool = aq_db_pool_new(cfg->read_dsn, cfg->timezone, cfg->threads + 1)) ||
	    !(r->worker = aq_worker_start(monitor_step, r, CHECK_MS, CHECK_MS))) {
		aq_log(AQ_LOG_ERROR, "cannot start the read replica's monitor");
		aq_replica_stop(r);
		return NULL;
	}
	return r;
}

void aq_replica_stop(struct aq_replica *r)
{
	if (!r)
		return;
	aq_worker_stop(r->worker);
	aq_db_pool_free(r->pool);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void aq_replica_status(struct aq_replica *r, struct aq_replica_status *out)
{
	pthread_mutex_lock(&r->lock);
	*out = r->status;
	if (out->in_use && aq_monotonic_us() - r->checked_us > STALE_US) {
		out->in_use = false;
		snprintf(out->reason, sizeof out->reason, "its lag was not measured for %lld s",
			 (long long)((aq_monotonic_us() - r->checked_us) / AQ_US_PER_SEC));
	}
	pthread_mutex_unlock(&r->lock);
}

void aq_replica_read_begin(struct aq_app *app, struct aq_replica_read *rd)
{
	struct aq_replica *r = app->replica;
	struct aq_replica_status s;
	enum aq_status st;
	rd->db = NULL;
	rd->lag_s = -1;
	if (!r)
		return;
	aq_replica_status(r, &s);
	rd->lag_s = s.lag_s;
	struct aq_db *db = s.in_use ? aq_db_acquire(r->pool, &st) : NULL;
	if (db && aq_db_read_begin(db) == AQ_OK && aq_db_pool_pin(app->pool, db)) {
		rd->db = db;
		aq_metrics_add(app->metrics, AQ_C_REPLICA_READS, 1);
		return;
	}
	if (db) {
		aq_db_read_end(db);
		aq_db_release(r->pool, db);
	}
	aq_metrics_add(app->metrics, AQ_C_REPLICA_BYPASSED, 1);
}

void aq_replica_read_end(struct aq_app *app, struct aq_replica_read *rd)
{
	if (!rd->db)
		return;
	aq_db_pool_unpin(app->pool);
	aq_db_read_end(rd->db);
	aq_db_release(app->replica->pool, rd->db);
	rd->db = NULL;
}
