/* jobs.c — the background thread. Each pass runs every periodic task once; passes are a
 * second apart, or sooner when something wakes the thread. */
#include "aq_jobs.h"
#include "aq_app.h"
#include "aq_alert_eval.h"
#include "aq_clock.h"
#include "aq_db.h"
#include "aq_events.h"
#include "aq_json.h"
#include "aq_metrics.h"
#include "aq_time.h"
#include "aq_today.h"
#include "aq_etag.h"
#include "aq_finalize.h"
#include "aq_log.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct aq_jobs {
	struct aq_app *app;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	bool woken;
};

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
	int64_t seen_version;      /* data_version in the database */
	int64_t last_event_id;     /* newest event streamed; -1 before the first look */
	int64_t last_alert_us;     /* real time of the last alert pass */
	int64_t alert_version;     /* app data_version the last alert pass saw */
	int64_t last_ranking_us;   /* real time of the last ranking event */
	int64_t ranking_version;
	char ranking_etag[24];
	int64_t last_prune_us;
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

/* "ranking": today's provisional ranking changed (at most one every 10 s). */
static void ranking_event(struct aq_app *app, struct pass_state *ps, int64_t now)
{
	int64_t version = atomic_load(&app->data_version);
	if (version == ps->ranking_version || now - ps->last_ranking_us < 10 * AQ_US_PER_SEC ||
	    aq_events_listeners(app->events) == 0)
		return;
	struct aq_ranking_params p = {(enum aq_metric)app->cfg->metric, NULL, app->cfg->radius_km, false, false};
	char *body = NULL, etag[24];
	size_t len;
	bool is_csv;
	const char *problem;
	int64_t today = aq_app_today(app);
	if (aq_ranking_render(app, today, &p, &body, &len, &is_csv, &problem, NULL) != AQ_OK)
		return;
	ps->ranking_version = version;
	aq_etag_of(body, len, etag);
	if (strcmp(etag, ps->ranking_etag) != 0) {
		/* The listener refetches /api/v1/ranking/today; the event says what changed. */
		json_t *full = json_loads(body, 0, NULL);
		json_t *o = json_pack("{s:s, s:s, s:O?, s:O?, s:O?}", "date", json_string_value(json_object_get(full, "date")),
				      "etag", etag, "stations_ranked", json_object_get(full, "stations_ranked"),
				      "district_mean", json_object_get(full, "district_mean"), "interview",
				      json_object_get(full, "interview"));
		char *text = o ? json_dumps(o, AQ_JSON_DUMP_FLAGS) : NULL;
		if (text)
			aq_events_broadcast(app->events, "ranking", text);
		free(text);
		json_decref(o);
		json_decref(full);
		memcpy(ps->ranking_etag, etag, sizeof etag);
		ps->last_ranking_us = now;
	}
	free(body);
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
	aq_finalize_due(app);
	/* Alerts: on the tick, and within a second of new data (closed hours, offline ends). */
	int64_t version = atomic_load(&app->data_version);
	if (now - ps->last_alert_us >= (int64_t)app->cfg->alert_tick * AQ_US_PER_SEC ||
	    (version != ps->alert_version && now - ps->last_alert_us >= AQ_US_PER_SEC)) {
		ps->alert_version = version;
		ps->last_alert_us = now;
		aq_alerts_run(app);
		aq_metrics_add(app->metrics, AQ_C_ALERT_PASSES, 1);
	}
	stream_events(app, ps);
	ranking_event(app, ps, now);
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

static void *jobs_main(void *arg)
{
	struct aq_jobs *jobs = arg;
	struct pass_state ps = {.seen_version = -1, .last_event_id = -1};
	pthread_mutex_lock(&jobs->lock);
	while (!jobs->stop) {
		pthread_mutex_unlock(&jobs->lock);
		run_pass(jobs->app, &ps);
		pthread_mutex_lock(&jobs->lock);
		if (jobs->stop)
			break;
		struct timespec soonest, until;
		clock_gettime(CLOCK_REALTIME, &until);
		soonest = until;
		soonest.tv_nsec += MIN_PASS_GAP_MS * 1000000L;
		soonest.tv_sec += soonest.tv_nsec / 1000000000L;
		soonest.tv_nsec %= 1000000000L;
		until.tv_sec += 1;
		/* Every ingest wakes this thread; under a stream of them, passes (each a handful of
		 * queries, a fold and a malloc_trim) come no closer than MIN_PASS_GAP_MS. */
		while (!jobs->stop && pthread_cond_timedwait(&jobs->wake, &jobs->lock, &soonest) != ETIMEDOUT)
			;
		while (!jobs->stop && !jobs->woken)
			if (pthread_cond_timedwait(&jobs->wake, &jobs->lock, &until) == ETIMEDOUT)
				break;
		jobs->woken = false;
	}
	pthread_mutex_unlock(&jobs->lock);
	return NULL;
}

struct aq_jobs *aq_jobs_start(struct aq_app *app)
{
	struct aq_jobs *jobs = calloc(1, sizeof *jobs);
	if (!jobs)
		return NULL;
	jobs->app = app;
	pthread_mutex_init(&jobs->lock, NULL);
	pthread_cond_init(&jobs->wake, NULL);
	if (pthread_create(&jobs->thread, NULL, jobs_main, jobs) != 0) {
		aq_log(AQ_LOG_ERROR, "cannot start the background thread");
		pthread_mutex_destroy(&jobs->lock);
		pthread_cond_destroy(&jobs->wake);
		free(jobs);
		return NULL;
	}
	return jobs;
}

void aq_jobs_wake(struct aq_jobs *jobs)
{
	if (!jobs)
		return;
	pthread_mutex_lock(&jobs->lock);
	jobs->woken = true;
	pthread_cond_signal(&jobs->wake);
	pthread_mutex_unlock(&jobs->lock);
}

void aq_jobs_stop(struct aq_jobs *jobs)
{
	if (!jobs)
		return;
	pthread_mutex_lock(&jobs->lock);
	jobs->stop = true;
	pthread_cond_signal(&jobs->wake);
	pthread_mutex_unlock(&jobs->lock);
	pthread_join(jobs->thread, NULL);
	pthread_mutex_destroy(&jobs->lock);
	pthread_cond_destroy(&jobs->wake);
	free(jobs);
}
