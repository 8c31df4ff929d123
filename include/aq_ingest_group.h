/* aq_ingest_group.h — group commit of readings. Single-reading POSTs arrive concurrently
 * from many devices; each as its own statement and commit would cost PostgreSQL an executor
 * start-up, a transaction and a commit record per reading. Requests whose readings are all in
 * the clock's current hour queue here instead; the queue's own committer threads each take
 * what is queued (same source and hour) and run it as one statement and commit with a
 * connection of the pool, then tell every request of the group. Nobody waits holding a
 * thread: an HTTP request is parked meanwhile (its connection suspended), so a group holds
 * every request that arrived while the one before committed, however few worker threads
 * there are. A request is told it was stored only after the COMMIT of its
 * readings; what each request is told comes from the keys the statement inserted. */
#ifndef AQ_INGEST_GROUP_H
#define AQ_INGEST_GROUP_H

#include <stddef.h>

#include "aq_db.h"

struct aq_ingest_group;
struct aq_metrics;

/* What a queue groups. Live readings: requests whose readings are all in the clock's current
 * hour, one INSERT statement per group (aq_db_readings_insert_live). Batches: requests of
 * AQ_COPY_MIN_READINGS readings or more, not all live, one COPY and one statement for the
 * station-hours per group (aq_db_readings_copy) — concurrent uploads of history share a
 * transaction, whose cost to PostgreSQL is mostly fixed. */
enum aq_group_kind {
	AQ_GROUP_LIVE,
	AQ_GROUP_BATCHES
};

/* One request's readings, waiting in the queue. The caller fills the first fields and
 * keeps the struct, the readings, the ids and the result alive until done is called. */
struct aq_ingest_wait {
	const struct aq_reading *readings;
	const int *station_ids; /* station_ids[i] for readings[i], active stations */
	size_t n;
	const char *source;
	int64_t today, hour_start_us, now_us; /* live: every reading in the hour starting hour_start_us */
	struct aq_ingest_result *result;
	/* Called once from a committer thread, with the counts in *result on AQ_OK (committed)
	 * and nothing stored otherwise; the queue does not touch w once it returned. */
	void (*done)(struct aq_ingest_wait *w, enum aq_status st);
	void *ctx; /* the caller's */
	/* the queue's */
	enum aq_status st;
	struct aq_ingest_wait *next;
};

/* A queue with `committers` threads (groups in flight), at most `max_readings` readings per
 * group, borrowing connections from pool; counts groups in metrics (may be NULL). NULL on
 * failure. */
struct aq_ingest_group *aq_ingest_group_new(enum aq_group_kind kind, struct aq_db_pool *pool,
					    struct aq_metrics *metrics, int committers, size_t max_readings);
/* Runs what is still queued, stops the committers and frees the queue. NULL-safe. */
void aq_ingest_group_free(struct aq_ingest_group *g);

/* Queues w; w->done follows from a committer thread. Counts and statuses as
 * aq_db_readings_ingest, for this request's readings alone: a failing group is redone request
 * by request, so one request's bad value is its own error; no connection: every request of
 * the group gets the pool's status. */
void aq_ingest_group_submit(struct aq_ingest_group *g, struct aq_ingest_wait *w);

#endif
