/* ingest.c — the shared tail of every ingest path: store, then tell the daemon (see
 * aq_ingest.h). http_readings.c and hj212_server.c both end here, so a reading is aggregated,
 * counted and judged the same way whichever wire it came in on. */
#include "aq_ingest.h"
#include "aq_app.h"
#include "aq_clock.h"
#include "aq_time.h"

enum aq_status aq_ingest_store(struct aq_app *app, struct aq_db *db, const struct aq_reading *readings,
			       const int *station_ids, size_t n, const char *source,
			       struct aq_ingest_result *result)
{
	int64_t day, now = aq_clock_now(&app->clock);
	int hour;
	aq_local_of(now, &day, &hour, NULL);
	int64_t hour_start = aq_local_midnight(day) + (int64_t)hour * 3600 * AQ_US_PER_SEC;
	enum aq_status st =
		aq_db_readings_ingest(db, readings, station_ids, n, source, day, hour_start, now, result);
	if (st != AQ_OK)
		return st;
	aq_app_count_ingest(app, result);
	if (result->accepted > 0)
		aq_app_note_ingest(app);
	return AQ_OK;
}
