/* finalize.c — turning a past day into its snapshot and interview list (SPEC §4
 * "Finalization"). The computation is the pure dayview; this file only orders the steps
 * inside one transaction. */
#include "aq_finalize.h"
#include "aq_app.h"
#include "aq_db.h"
#include "aq_dayview.h"
#include "aq_log.h"
#include "aq_metrics.h"
#include "aq_time.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct finalize_args {
	struct aq_app *app;
	int64_t day;
	bool force;
	bool *done;
};

static void prepare_view(const struct aq_config *cfg, int64_t day, struct aq_dayview *v)
{
	int y, m, d;
	memset(v, 0, sizeof *v);
	v->day = day;
	v->hours_elapsed = 24;
	v->min_hours = cfg->min_hours;
	v->composite_mask = cfg->composite_mask;
	v->metric = (enum aq_metric)cfg->metric;
	v->policy = (enum aq_insufficient_policy)cfg->insufficient;
	v->interview_count = cfg->interview_count;
	aq_civil_from_days(day, &y, &m, &d);
	aq_rule_version(aq_aqi_standard_for_date(y, m, d)->name, cfg->min_hours, v->rule_version);
}

static enum aq_status finalize_tx(struct aq_db *db, void *arg)
{
	struct finalize_args *a = arg;
	const struct aq_config *cfg = a->app->cfg;
	struct aq_dayview v;
	struct aq_day_ranking dr;
	struct aq_interview *list = NULL;
	int *ids = NULL, *streaks = NULL;
	bool locked, final;
	int y, m, d;

	*a->done = false;
	enum aq_status st = aq_db_day_lock(db, a->day, &locked, &final);
	if (st != AQ_OK || !locked || (final && !a->force))
		return st;
	prepare_view(cfg, a->day, &v);
	v.finalized_us = aq_clock_now(&a->app->clock); /* the one clock, frozen by AQRANK_NOW */
	memset(&dr, 0, sizeof dr);
	if ((st = aq_db_day_load_live(db, &v)) != AQ_OK)
		goto out;
	aq_civil_from_days(a->day, &y, &m, &d);
	aq_dayview_compute(&v, aq_aqi_standard_for_date(y, m, d));
	if ((st = aq_db_snapshot_write(db, &v)) != AQ_OK)
		goto out;
	if (aq_dayview_rank(&v, v.metric, v.policy, v.interview_count, SIZE_MAX, cfg->radius_km, &dr) != 0) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	size_t n = dr.r.n_interview;
	list = calloc(n ? n : 1, sizeof *list);
	ids = calloc(n ? n : 1, sizeof *ids);
	streaks = calloc(n ? n : 1, sizeof *streaks);
	if (!list || !ids || !streaks) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	aq_dayview_interviews(&v, &dr, list);
	for (size_t i = 0; i < n; i++)
		ids[i] = list[i].station_id;
	if ((st = aq_db_interview_streaks(db, a->day - 1, ids, n, streaks)) != AQ_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		list[i].consecutive_days = streaks[i] + 1;
	if ((st = aq_db_interviews_write(db, a->day, list, n)) != AQ_OK)
		goto out;
	if ((st = aq_db_day_mark_final(db, &v)) != AQ_OK)
		goto out;
	*a->done = true;
out:
	free(streaks);
	free(ids);
	free(list);
	aq_day_ranking_cleanup(&dr);
	aq_dayview_cleanup(&v);
	return st;
}

enum aq_status aq_finalize_day(struct aq_app *app, struct aq_db *db, int64_t day, bool force,
			       bool *done)
{
	struct finalize_args a = {app, day, force, done};
	/* The day's last live readings may still wait to be folded; after midnight no new ones can
	 * join them (later readings of a past day take the locked path). */
	enum aq_status st = aq_db_fold(db, NULL);
	if (st == AQ_OK)
		st = aq_db_tx(db, finalize_tx, &a);
	if (st == AQ_OK && *done) {
		char date[11];
		aq_date_format(day, date);
		aq_log(AQ_LOG_INFO, "finalized %s%s", date, force ? " (again, on request)" : "");
		aq_app_note_write(app);
		aq_metrics_add(app->metrics, AQ_C_FINALIZATIONS, 1);
	}
	return st;
}

int aq_finalize_due(struct aq_app *app)
{
	const struct aq_config *cfg = app->cfg;
	int64_t now = aq_clock_now(&app->clock);
	enum aq_status st;
	double idle;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return 0;
	/* A backfill of past days still arriving (at any daemon) must not be cut in half. */
	if (aq_db_backfill_idle(db, &idle) != AQ_OK || idle < cfg->finalize_quiet) {
		aq_db_release(app->pool, db);
		return 0;
	}
	int64_t days[64];
	size_t n = 0;
	int finalized = 0;
	st = aq_db_fold(db, NULL); /* a day first seen live has its days row after the fold */
	if (st == AQ_OK)
		st = aq_db_days_due(db, aq_app_today(app), days, sizeof days / sizeof days[0], &n);
	for (size_t i = 0; st == AQ_OK && i < n && !atomic_load(&app->stopping); i++) {
		int64_t due = aq_local_midnight(days[i] + 1) + (int64_t)cfg->finalize_after * AQ_US_PER_SEC;
		if (now < due)
			break; /* days are oldest first: the rest are not due either */
		bool done = false;
		st = aq_finalize_day(app, db, days[i], false, &done);
		finalized += done;
	}
	if (st != AQ_OK && st != AQ_ERR_DB_UNAVAILABLE)
		aq_log(AQ_LOG_ERROR, "finalization failed: %s", aq_status_message(st));
	aq_db_release(app->pool, db);
	return finalized;
}
