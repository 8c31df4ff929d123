/* ingest.c — the shared tail of every ingest path: store, then tell the daemon (see
 * aq_ingest.h). http_readings.c and hj212_server.c both end here, so a reading is aggregated,
 * counted and judged the same way whichever wire it came in on. */
#include "aq_ingest.h"
#include "aq_app.h"
#include "aq_clock.h"
#include "aq_ingest_group.h"
#include "aq_jobs.h"
#include "aq_metrics.h"
#include "aq_time.h"

/* After a COMMIT: count the readings; caches of "today" compare against data_version, and the
 * background thread folds the new readings and judges the hours they fill. */
static void noted(struct aq_app *app, const struct aq_ingest_result *result)
{
	aq_metrics_add(app->metrics, AQ_C_READINGS_ACCEPTED, result->accepted);
	aq_metrics_add(app->metrics, AQ_C_READINGS_DUPLICATE, result->duplicates);
	aq_metrics_add(app->metrics, AQ_C_READINGS_CONFLICT, result->conflicts);
	aq_metrics_add(app->metrics, AQ_C_READINGS_LATE, result->late);
	if (result->accepted > 0)
		aq_jobs_note_change(app);
}

/* The current hour's start by the app's clock (*day: today, *now: the clock). */
static int64_t hour_start_of(struct aq_app *app, int64_t *day, int64_t *now)
{
	int hour;
	*now = aq_clock_now(&app->clock);
	aq_local_of(*now, day, &hour, NULL);
	return aq_local_midnight(*day) + (int64_t)hour * 3600 * AQ_US_PER_SEC;
}

enum aq_status aq_ingest_store(struct aq_app *app, struct aq_db *db, const struct aq_reading *readings,
			       const int *station_ids, size_t n, const char *source, struct aq_ingest_result *result)
{
	int64_t day, now, hour_start = hour_start_of(app, &day, &now);
	enum aq_status st = aq_db_readings_ingest(db, readings, station_ids, n, source, day, hour_start, now, result);
	if (st == AQ_OK)
		noted(app, result);
	return st;
}

/* A group's word on a ticket's readings: noted, then passed on. */
static void ticket_done(struct aq_ingest_wait *w, enum aq_status st)
{
	struct aq_ingest_ticket *t = w->ctx;
	if (st == AQ_OK)
		noted(t->app, w->result);
	t->sink->done(t->ctx, st); /* t may be gone after this */
}

bool aq_ingest_submit(struct aq_app *app, struct aq_db *db, struct aq_ingest_ticket *t,
		      const struct aq_reading *readings, const int *station_ids, size_t n, const char *source,
		      struct aq_ingest_result *result, const struct aq_ingest_sink *sink, void *ctx, enum aq_status *st)
{
	int64_t day, now, hour_start = hour_start_of(app, &day, &now);
	bool live = true;
	for (size_t i = 0; i < n && live; i++)
		live = readings[i].observed_us >= hour_start; /* today, and no closed hour */
	struct aq_ingest_group *queue = live			    ? app->ingest_group
					: n >= AQ_COPY_MIN_READINGS ? app->ingest_batches
								    : NULL;
	if (!queue) {
		*st = aq_db_readings_ingest(db, readings, station_ids, n, source, day, hour_start, now, result);
		if (*st == AQ_OK)
			noted(app, result);
		return false;
	}
	*t = (struct aq_ingest_ticket){app,
				       sink,
				       ctx,
				       {readings, station_ids, n, source, day, hour_start, now, result, ticket_done, t,
					AQ_ERR_INTERNAL, NULL}};
	sink->park(ctx); /* before it is queued: the group may commit at once */
	aq_ingest_group_submit(queue, &t->wait);
	return true;
}
