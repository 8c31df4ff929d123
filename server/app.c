/* app.c — the application context and the lazy "migrated?" gate in front of the pool. */
#include "aq_app.h"
#include "aq_bulletin_pdf.h"
#include "aq_log.h"
#include "aq_metrics.h"
#include "aq_ratelimit.h"
#include "aq_token_cache.h"
#include "aq_events.h"
#include "aq_ingest_group.h"
#include "aq_period_cache.h"

#include <string.h>

void aq_app_init(struct aq_app *app, const struct aq_config *cfg)
{
	memset(app, 0, sizeof *app);
	app->cfg = cfg;
	app->clock.frozen = cfg->now_set;
	app->clock.frozen_us = cfg->now_us;
	if (cfg->admin_token && cfg->admin_token[0]) {
		aq_token_hash(cfg->admin_token, app->admin_hash);
		app->has_admin = true;
	}
	if (cfg->read_token && cfg->read_token[0]) {
		aq_token_hash(cfg->read_token, app->read_hash);
		app->has_read = true;
	}
	if (cfg->metrics_token && cfg->metrics_token[0]) {
		aq_token_hash(cfg->metrics_token, app->metrics_hash);
		app->has_metrics = true;
	}
	atomic_init(&app->schema_ready, false);
	atomic_init(&app->stopping, false);
	atomic_init(&app->data_version, 0);
	pthread_mutex_init(&app->migrate_lock, NULL);
}

void aq_app_cleanup(struct aq_app *app)
{
	if (!app)
		return;
	pthread_mutex_destroy(&app->migrate_lock);
}

enum aq_status aq_app_services_new(struct aq_app *app)
{
	app->events = aq_events_new(app->cfg->events_keepalive);
	app->metrics = aq_metrics_new();
	app->ratelimit = aq_ratelimit_new(app->cfg->rate_limit, app->cfg->rate_burst);
	app->tokens = aq_token_cache_new();
	/* Two groups in flight, up to 1000 live readings or four full batches each (ingest_group.c). */
	app->ingest_group = app->metrics ? aq_ingest_group_new(AQ_GROUP_LIVE, app->pool, app->metrics, 2, 1000) : NULL;
	app->ingest_batches =
		app->metrics ? aq_ingest_group_new(AQ_GROUP_BATCHES, app->pool, app->metrics, 2, 4 * AQ_MAX_BATCH)
			     : NULL;
	app->periods = aq_period_cache_new();
	app->pdf_fonts = aq_pdf_fonts_new();
	return app->events && app->metrics && app->ratelimit && app->tokens && app->ingest_group &&
			       app->ingest_batches && app->periods && app->pdf_fonts
		       ? AQ_OK
		       : AQ_ERR_INTERNAL;
}

void aq_app_services_free(struct aq_app *app)
{
	aq_events_free(app->events);
	app->events = NULL;
	aq_metrics_free(app->metrics);
	app->metrics = NULL;
	aq_ratelimit_free(app->ratelimit);
	app->ratelimit = NULL;
	aq_token_cache_free(app->tokens);
	app->tokens = NULL;
	aq_ingest_group_free(app->ingest_group);
	app->ingest_group = NULL;
	aq_ingest_group_free(app->ingest_batches);
	app->ingest_batches = NULL;
	aq_period_cache_free(app->periods);
	app->periods = NULL;
	aq_pdf_fonts_free(app->pdf_fonts);
	app->pdf_fonts = NULL;
}

struct aq_db *aq_app_db(struct aq_app *app, enum aq_status *st)
{
	struct aq_db *db = aq_db_acquire(app->pool, st);
	if (!db || atomic_load(&app->schema_ready))
		return db;
	pthread_mutex_lock(&app->migrate_lock);
	if (!atomic_load(&app->schema_ready)) {
		char err[512];
		*st = app->cfg->no_migrate ? aq_db_check_ready(db) : aq_db_migrate(db, err, sizeof err);
		if (*st == AQ_OK)
			atomic_store(&app->schema_ready, true);
		else if (app->cfg->no_migrate)
			aq_log(AQ_LOG_WARN, "database is not migrated (run: aqrankd migrate)");
		else
			aq_log(AQ_LOG_ERROR, "migrations failed: %s", err);
	}
	pthread_mutex_unlock(&app->migrate_lock);
	if (!atomic_load(&app->schema_ready)) {
		aq_db_release(app->pool, db);
		*st = AQ_ERR_DB_UNAVAILABLE;
		return NULL;
	}
	return db;
}

int64_t aq_app_today(const struct aq_app *app)
{
	int64_t day;
	aq_local_of(aq_clock_now(&app->clock), &day, NULL, NULL);
	return day;
}

void aq_app_note_write(struct aq_app *app)
{
	atomic_fetch_add(&app->data_version, 1);
	/* Any station change may be a rotated token or a deactivation: forget cached tokens. */
	aq_token_cache_clear(app->tokens);
}
