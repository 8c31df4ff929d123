/* aq_finalize.h — finalization: a past day's snapshot and interview list, written once (or
 * again, on an operator's request) under a per-day advisory lock so that several daemons
 * never finalize the same day twice. */
#ifndef AQ_FINALIZE_H
#define AQ_FINALIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "aq_status.h"

struct aq_app;
struct aq_db;

/* Finalizes day in one transaction: snapshot of every station's daily values, the interview
 * list with streaks, the day marked final. With force an already final day is finalized again
 * (entries that stay on the list keep status and note). *done is false when another daemon
 * holds the day or it was already final (without force). */
enum aq_status aq_finalize_day(struct aq_app *app, struct aq_db *db, int64_t day, bool force,
			       bool *done);

/* The periodic job: finalizes every past day that has readings and no snapshot and whose
 * AQRANK_FINALIZE_AFTER has passed, oldest first — but not while a backfill of past days is
 * still arriving (AQRANK_FINALIZE_QUIET). Returns how many days it finalized. */
int aq_finalize_due(struct aq_app *app);

#endif
