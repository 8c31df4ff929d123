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

enum aq_status aq_ingest_store(struct aq_app *app, struct aq_db *db, const struct aq_reading *readings,
			       const int *station_ids, size_t n, const char *source, struct aq_ingest_result *result)
{
	int64_t day, now = aq_clock_now(&app->clock);
	int hour;
	aq_local_of(now, &day, &hour, NULL);
	int64_t hour_start = aq_local_midnight(day) + (int64_t)hour * 3600 * AQ_US_PER_SEC;
	bool live = app->ingest_group != NULL;
	for (size_t i = 0; i < n && live; i++)
		live = readings[i].observed_us >= hour_start; /* today, and no closed hour */
	enum aq_status st =
		live ? aq_ingest_group_store(app->ingest_group, db, readings, station_ids, n, source, day, hour_start,
					     now, result)
		     : aq_db_readings_ingest(db, readings, station_ids, n, source, day, hour_start, now, result);
	if (st != AQ_OK)
		return st;
	aq_metrics_add(app->metrics, AQ_C_READINGS_ACCEPTED, result->accepted);
	aq_metrics_add(app->metrics, AQ_C_READINGS_DUPLICATE, result->duplicates);
	aq_metrics_add(app->metrics, AQ_C_READINGS_CONFLICT, result->conflicts);
	aq_metrics_add(app->metrics, AQ_C_READINGS_LATE, result->late);
	/* Caches of "today" compare against data_version; the background thread folds the new
	 * readings and judges the hours they fill. */
	if (result->accepted > 0)
		aq_jobs_note_change(app);
	return AQ_OK;
}
