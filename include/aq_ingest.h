/* aq_ingest.h — the one way readings get stored, whatever carried them (POST
 * /api/v1/readings, HJ 212 frames): the ingest transaction, then the metrics and the wake-up
 * of the caches and the alert evaluator. Callers validate first (aq_reading_validate) and
 * resolve station ids; this module only stores and tells the rest of the daemon. */
#ifndef AQ_INGEST_H
#define AQ_INGEST_H

#include <stddef.h>

#include "aq_db.h"
#include "aq_ingest_group.h"

struct aq_app;

/* Stores n validated readings (station_ids[i] for readings[i], active stations) in one
 * transaction on db (borrowed by the caller) with aq_db_readings_ingest (live ones too: a
 * caller that waits stores alone; HJ 212's single thread is one), source "http" or
 * "hj212", "today" by the app's clock. On AQ_OK — committed — counts the batch in the metrics
 * and, when rows were added, bumps the data version and wakes the background thread (closed
 * hours to judge). Any other status: nothing stored, nothing noted. */
enum aq_status aq_ingest_store(struct aq_app *app, struct aq_db *db, const struct aq_reading *readings,
			       const int *station_ids, size_t n, const char *source, struct aq_ingest_result *result);

/* How a caller that does not wait hears of its readings: park(ctx) before they are queued
 * (the caller then holds no thread while they wait), done(ctx, st) from another thread once
 * their group committed (AQ_OK, counted and noted as by aq_ingest_store) or failed. */
struct aq_ingest_sink {
	void (*park)(void *ctx);
	void (*done)(void *ctx, enum aq_status st);
};

/* A request that may wait for a group commit: kept by the caller until done is called. */
struct aq_ingest_ticket {
	struct aq_app *app;
	const struct aq_ingest_sink *sink;
	void *ctx;
	struct aq_ingest_wait wait;
};

/* As aq_ingest_store, without waiting for a group commit: when every reading is live (the
 * clock's current hour), or there are AQ_COPY_MIN_READINGS or more, calls sink->park(ctx),
 * queues them for the next group of their kind (aq_ingest_group.h) and returns true;
 * sink->done(ctx, st) follows from a committer thread, and readings, station_ids, result and t
 * must live until then (db is not used). Otherwise stores them at once on db and returns false
 * with the status in *st. */
bool aq_ingest_submit(struct aq_app *app, struct aq_db *db, struct aq_ingest_ticket *t,
		      const struct aq_reading *readings, const int *station_ids, size_t n, const char *source,
		      struct aq_ingest_result *result, const struct aq_ingest_sink *sink, void *ctx,
		      enum aq_status *st);

#endif
