/* aq_ingest.h — the one way readings get stored, whatever carried them (POST
 * /api/v1/readings, HJ 212 frames): the ingest transaction, then the metrics and the wake-up
 * of the caches and the alert evaluator. Callers validate first (aq_reading_validate) and
 * resolve station ids; this module only stores and tells the rest of the daemon. */
#ifndef AQ_INGEST_H
#define AQ_INGEST_H

#include <stddef.h>

#include "aq_db.h"

struct aq_app;

/* Stores n validated readings (station_ids[i] for readings[i], active stations) in one
 * transaction on db (borrowed by the caller) with aq_db_readings_ingest, source "http" or
 * "hj212", "today" by the app's clock. On AQ_OK — committed — counts the batch in the metrics
 * and, when rows were added, bumps the data version and wakes the background thread (closed
 * hours to judge). Any other status: nothing stored, nothing noted. */
enum aq_status aq_ingest_store(struct aq_app *app, struct aq_db *db, const struct aq_reading *readings,
			       const int *station_ids, size_t n, const char *source, struct aq_ingest_result *result);

#endif
