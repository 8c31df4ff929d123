/* aq_ingest_group.h — group commit of live readings. Single-reading POSTs arrive concurrently
 * from many devices; each as its own statement and commit would cost PostgreSQL an executor
 * start-up, a transaction and a commit record per reading. Requests whose readings are all in
 * the clock's current hour queue here instead; up to `leaders` waiting threads at a time each
 * take what is queued (same source and hour) and run it as one statement and commit with
 * their own connection, then wake the others, while the next group queues. A request's 2xx
 * still follows the COMMIT of its readings; what each request is told comes from the keys the
 * statement inserted. */
#ifndef AQ_INGEST_GROUP_H
#define AQ_INGEST_GROUP_H

#include <stddef.h>

#include "aq_db.h"

struct aq_ingest_group;

/* A queue with at most `leaders` groups in flight and `max_readings` readings per group.
 * NULL on ENOMEM. */
struct aq_ingest_group *aq_ingest_group_new(int leaders, size_t max_readings);
/* Frees the queue; no request may be waiting. NULL-safe. */
void aq_ingest_group_free(struct aq_ingest_group *g);

/* Stores n live readings of one request (station_ids[i] for readings[i]; every reading in the
 * hour starting hour_start_us, of today; received at now_us) as part of a group, waiting until that group
 * committed; db is the caller's connection, used if this thread leads a group. Counts and
 * statuses as aq_db_readings_ingest, for this request's readings alone: a failing group is
 * redone request by request, so one request's bad value is its own error. */
enum aq_status aq_ingest_group_store(struct aq_ingest_group *g, struct aq_db *db, const struct aq_reading *readings,
				     const int *station_ids, size_t n, const char *source, int64_t today,
				     int64_t hour_start_us, int64_t now_us, struct aq_ingest_result *result);

#endif
