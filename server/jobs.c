/* jobs.c — the background thread. Each pass runs every periodic task once; passes are a
 * second apart, or sooner when something wakes the thread. */
#include "aq_jobs.h"
#include "aq_app.h"
#include "aq_alert_eval.h"
#include "aq_clock.h"
#include "aq_db.h"
#include "aq_events.h"
#include "aq_day.h"
#include "aq_periods.h"
#include "aq_etag.h"
#include "aq_json_ranking.h"
#include "aq_log.h"
#include "aq_metrics.h"
#include "aq_partitions.h"
#include "aq_time.h"
#include "aq_worker.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/* Passes come no closer than this: every ingest wakes the thread, and under a stream of them
 * a pass (a handful of queries, a fold and a malloc_trim) would otherwise run back to back. */
#define MIN_PASS_GAP_MS 200

/* Another daemon's writes show up as a moved data_version in the database. */
static void watch_version(struct aq_app *app, int64_t *seen)
{
	enum aq_status st;
	int64_t version;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return;
	if (aq_db_data_version(db, &version) == AQ_OK && version != *seen) {
		*seen = version;
		aq_app_note_write(app);
	}
	aq_db_release(app->pool, db);
}

/* What the passes remember between them. */
struct pass_state {
	int64_t seen_version;	 /* data_version in the database */
	int64_t last_event_id;	 /* newest event streamed; -1 before the first look */
	int64_t last_alert_us;	 /* real time of the last alert pass */
	int64_t alert_version;	 /* app data_version the last alert pass saw */
	int64_t last_ranking_us; /* real time of the last ranking event */
	int64_t ranking_version;
	char ranking_etag[AQ_ETAG_LEN];
	int64_t last_prune_us;
	int64_t last_period_us;	    /* real time of the last look for months and years to finalize */
	bool periods_warm;	    /* this year's days read into the period cache */
	int64_t last_drift_us;	    /* real time of the last calibration drift check */
	int64_t last_partitions_us; /* real time of the last look at readings' partitions */
};

/* Streams events other daemons (or this one) logged since the last pass. */
static void stream_events(struct aq_app *app, struct pass_state *ps)
{
	enum aq_status st;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return;
	if (ps->last_event_id < 0) {
		if (aq_db_events_last_id(db, &ps->last_event_id) != AQ_OK)
			ps->last_event_id = -1;
	} else {
		struct aq_event *events = NULL;
		size_t n = 0;
		if (aq_db_events_since(db, ps->last_event_id, 500, &events, &n) == AQ_OK) {
			for (size_t i = 0; i < n; i++) {
				if (events[i].payload)
					aq_events_broadcast(app->events, events[i].kind, events[i].payload);
				ps->last_event_id = events[i].id;
			}
		}
		for (size_t i = 0; i < n; i++)
			free(events[i].payload);
		free(events);
	}
	aq_db_release(app->pool, db);
}

/* "ranking": today's provisional ranking changed (at most one every 10 s). The listener
 * refetches /api/v1/ranking/today; the event says what changed, with the ETag of the JSON. */
static void ranking_event(struct aq_app *app, struct pass_state *ps, int64_t now)
{
	int64_t version = atomic_load(&app->data_version);
	if (version == ps->ranking_version || now - ps->last_ranking_us < 10 * AQ_US_PER_SEC ||
	    aq_events_listeners(app->events) == 0)
		return;
	const struct aq_config *cfg = app->cfg;
	struct aq_day_query q = {aq_app_today(app), (enum aq_metric)cfg->metric, NULL, cfg->radius_km};
	struct aq_day_render how = {false, false, cfg->timezone, aq_clock_now(&app->clock)};
	struct aq_day d;
	const char *problem;
	char *body = NULL, etag[AQ_ETAG_LEN];
	size_t len;
	enum aq_status st = aq_day_build(app, &q, &d, &problem);
	if (st == AQ_OK)
		st = aq_render_day(&d, &how, &body, &len);
	if (st == AQ_OK) {
		ps->ranking_version = version;
		aq_etag_content(body, len, "generated_at", etag); /* as http_today.c tags it */
	}
	if (st == AQ_OK && strcmp(etag, ps->ranking_etag) != 0) {
		json_t *o = aq_json_ranking_event(&d, etag);
		char *text = o ? json_dumps(o, AQ_JSON_DUMP_FLAGS) : NULL;
		if (text)
			aq_events_broadcast(app->events, "ranking", text);
		free(text);
		json_decref(o);
		memcpy(ps->ranking_etag, etag, sizeof etag);
		ps->last_ranking_us = now;
	}
	free(body);
	aq_day_cleanup(&d);
}

/* Live readings wait in pending_hourly; folding them here, right after they arrive (an ingest
 * wakes this thread), keeps the readers' folds small and lets other daemons see the new data
 * (the fold moves data_version). */
static void fold_pending(struct aq_app *app)
{
	enum aq_status st;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return;
	if (aq_db_fold(db, NULL) != AQ_OK)
		aq_log(AQ_LOG_WARN, "folding live readings failed; the next reader retries");
	aq_db_release(app->pool, db);
}

static void run_pass(struct aq_app *app, struct pass_state *ps)
{
	int64_t now = aq_clock_now(NULL);
	fold_pending(app);
	watch_version(app, &ps->seen_version);
	/* Months and years are finalized once their days are: looked for after a day was, and
	 * every minute (a re-finalized day, a daemon that missed it). */
	if (aq_day_finalize_due(app) > 0 || now - ps->last_period_us >= 60 * AQ_US_PER_SEC) {
		aq_period_finalize_due(app);
		ps->last_period_us = now;
	}
	if (!ps->periods_warm) {
		aq_period_warm(app);
		ps->periods_warm = true;
	}
	/* Alerts: on the tick, and within a second of new data (closed hours, offline ends). */
	int64_t version = atomic_load(&app->data_version);
	if (now - ps->last_alert_us >= (int64_t)app->cfg->alert_tick * AQ_US_PER_SEC ||
	    (version != ps->alert_version && now - ps->last_alert_us >= AQ_US_PER_SEC)) {
		ps->alert_version = version;
		ps->last_alert_us = now;
		aq_alerts_run(app);
		aq_metrics_add(app->metrics, AQ_C_ALERT_PASSES, 1);
	}
	/* Drift is a week's trend: once per alert tick is plenty. */
	if (now - ps->last_drift_us >= (int64_t)app->cfg->alert_tick * AQ_US_PER_SEC) {
		ps->last_drift_us = now;
		aq_alerts_drift(app);
	}
	stream_events(app, ps);
	ranking_event(app, ps, now);
	/* Partitions: at start, then every ten minutes — months are created two ahead, so a
	 * month's partition exists long before its first reading. */
	if (now - ps->last_partitions_us >= 600 * AQ_US_PER_SEC) {
		ps->last_partitions_us = now;
		aq_partitions_maintain(app);
	}
	if (now - ps->last_prune_us >= 3600 * AQ_US_PER_SEC) {
		/* Listeners reconnect within seconds and a webhook row is done once delivered: a
		 * week of events and a month of delivered rows are plenty for audit. */
		enum aq_status st;
		struct aq_db *db = aq_app_db(app, &st);
		if (db) {
			aq_db_prune_logs(db, 7, 30);
			aq_db_release(app->pool, db);
		}
		ps->last_prune_us = now;
	}
	/* Give freed memory back: big replies and batches leave free space behind that glibc
	 * keeps otherwise, and the daemon should stay small for years. */
	malloc_trim(0);
}

struct aq_jobs {
	struct aq_app *app;
	struct pass_state ps;
	struct aq_worker *worker;
};

static bool jobs_step(void *arg)
{
	struct aq_jobs *jobs = arg;
	run_pass(jobs->app, &jobs->ps);
	return false;
}

struct aq_jobs *aq_jobs_start(struct aq_app *app)
{
	struct aq_jobs *jobs = calloc(1, sizeof *jobs);
	if (!jobs)
		return NULL;
	jobs->app = app;
	jobs->ps = (struct pass_state){.seen_version = -1, .last_event_id = -1};
	if (!(jobs->worker = aq_worker_start(jobs_step, jobs, 1000, MIN_PASS_GAP_MS))) {
		aq_log(AQ_LOG_ERROR, "cannot start the background thread");
		free(jobs);
		return NULL;
	}
	return jobs;
}

void aq_jobs_wake(struct aq_jobs *jobs)
{
	if (jobs)
		aq_worker_wake(jobs->worker);
}

void aq_jobs_note_change(struct aq_app *app)
{
	atomic_fetch_add(&app->data_version, 1);
	aq_jobs_wake(app->jobs);
}

void aq_jobs_stop(struct aq_jobs *jobs)
{
	if (!jobs)
		return;
	aq_worker_stop(jobs->worker);
	free(jobs);
}
