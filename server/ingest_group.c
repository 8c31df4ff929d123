/* ingest_group.c — group commit of readings (aq_ingest_group.h): the queue, its committer
 * threads, and telling each request what became of its readings. The statements are the
 * database layer's (aq_db_readings_insert_live and aq_db_readings_sort_rest for live
 * readings, aq_db_readings_copy for batches). Two groups in
 * flight measured ~6% more requests per second than one (when the worker threads led the
 * groups themselves; with 8 threads, one was better: most groups of two held a single
 * request). */
#include "aq_ingest_group.h"
#include "aq_log.h"
#include "aq_metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COMMITTERS 8

struct aq_ingest_group {
	pthread_mutex_t lock;
	pthread_cond_t queued; /* something to commit, or stopping: the committers wait on it */
	struct aq_ingest_wait *head, *tail;
	struct aq_db_pool *pool;
	struct aq_metrics *metrics;
	size_t max_readings;
	enum aq_group_kind kind;
	bool stopping;
	int n_threads;
	pthread_t threads[MAX_COMMITTERS];
};

static void *commit_loop(void *arg);

struct aq_ingest_group *aq_ingest_group_new(enum aq_group_kind kind, struct aq_db_pool *pool,
					    struct aq_metrics *metrics, int committers, size_t max_readings)
{
	struct aq_ingest_group *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->queued, NULL);
	g->pool = pool;
	g->metrics = metrics;
	g->max_readings = max_readings;
	g->kind = kind;
	if (committers < 1)
		committers = 1;
	if (committers > MAX_COMMITTERS)
		committers = MAX_COMMITTERS;
	for (; g->n_threads < committers; g->n_threads++) {
		if (pthread_create(&g->threads[g->n_threads], NULL, commit_loop, g) != 0) {
			aq_log(AQ_LOG_ERROR, "ingest: cannot start a committer thread");
			aq_ingest_group_free(g);
			return NULL;
		}
	}
	return g;
}

void aq_ingest_group_free(struct aq_ingest_group *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = true;
	pthread_cond_broadcast(&g->queued);
	pthread_mutex_unlock(&g->lock);
	for (int i = 0; i < g->n_threads; i++)
		pthread_join(g->threads[i], NULL);
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->queued);
	free(g);
}

/* Takes from the queue (lock held) the requests that can share a statement with the first:
 * same source and hour, at most max_readings readings (the first always). */
static struct aq_ingest_wait *take_group(struct aq_ingest_group *g)
{
	struct aq_ingest_wait *first = g->head, *taken = NULL, **link = &taken, *keep = NULL, **keep_link = &keep;
	size_t readings = 0;
	for (struct aq_ingest_wait *r = g->head, *next; r; r = next) {
		next = r->next;
		r->next = NULL;
		if (r == first || (strcmp(r->source, first->source) == 0 && r->hour_start_us == first->hour_start_us &&
				   readings + r->n <= g->max_readings)) {
			readings += r->n;
			*link = r;
			link = &r->next;
		} else {
			*keep_link = r;
			keep_link = &r->next;
		}
	}
	g->head = keep;
	g->tail = NULL;
	for (struct aq_ingest_wait *r = keep; r; r = r->next)
		g->tail = r;
	return taken;
}

struct claimed_key {
	struct aq_reading_key key;
	bool claimed;
};

static int by_key(const void *a, const void *b)
{
	const struct aq_reading_key *x = a, *y = b;
	if (x->station_id != y->station_id)
		return (x->station_id > y->station_id) - (x->station_id < y->station_id);
	return (x->observed_us > y->observed_us) - (x->observed_us < y->observed_us);
}

/* Runs one request alone, as without grouping. */
static enum aq_status store_alone(struct aq_db *db, struct aq_ingest_wait *q)
{
	return aq_db_readings_ingest(db, q->readings, q->station_ids, q->n, q->source, q->today, q->hour_start_us,
				     q->now_us, q->result);
}

/* The readings of a group, its requests' one after the other (malloc'd; false: out of memory). */
static bool group_readings(const struct aq_ingest_wait *group, struct aq_reading **readings, int **ids, size_t *n)
{
	size_t at = 0;
	*n = 0;
	for (const struct aq_ingest_wait *q = group; q; q = q->next)
		*n += q->n;
	*readings = malloc(*n * sizeof **readings);
	*ids = malloc(*n * sizeof **ids);
	if (!*readings || !*ids)
		return false;
	for (const struct aq_ingest_wait *q = group; q; q = q->next) {
		memcpy(*readings + at, q->readings, q->n * sizeof **readings);
		memcpy(*ids + at, q->station_ids, q->n * sizeof **ids);
		at += q->n;
	}
	return true;
}

/* A group of two or more batches COPYed in one transaction: each request had every reading
 * accepted (the group's late ones are counted on the first, they only feed a counter). A
 * reading already stored, or sent by two of them, fails the COPY: every request is then run
 * alone, which sorts duplicates from conflicts. Per transaction PostgreSQL's cost is mostly
 * fixed (the statement for the station-hours, its triggers, the commit): four batches of 1000
 * in one cost it half as much per reading as four transactions (docs/PERFORMANCE.md). */
static void store_batches(struct aq_db *db, struct aq_ingest_wait *group)
{
	struct aq_reading *readings = NULL;
	int *ids = NULL;
	size_t n;
	struct aq_ingest_result total;
	enum aq_status st = AQ_ERR_INTERNAL;
	if (group_readings(group, &readings, &ids, &n))
		st = aq_db_readings_copy(db, readings, ids, n, group->source, group->today, group->hour_start_us,
					 group->now_us, &total);
	for (struct aq_ingest_wait *q = group; q; q = q->next) {
		if (st == AQ_OK) {
			*q->result = (struct aq_ingest_result){.accepted = q->n, .late = q == group ? total.late : 0};
			q->st = AQ_OK;
		} else {
			q->st = store_alone(db, q);
		}
	}
	free(readings);
	free(ids);
}

/* Runs a group of two or more live requests as one statement and tells each what became of
 * its readings; when the statement fails, every request is run alone. */
static void store_live(struct aq_db *db, struct aq_ingest_wait *group)
{
	size_t n = 0, n_keys = 0;
	struct aq_reading *readings = NULL;
	int *ids = NULL;
	struct aq_reading_key *inserted = NULL;
	struct claimed_key *keys = NULL;
	enum aq_status st = AQ_ERR_INTERNAL;
	/* One statement, one received_at: the first request's (they commit together). */
	if (group_readings(group, &readings, &ids, &n))
		st = aq_db_readings_insert_live(db, readings, ids, n, group->source, group->now_us, &inserted, &n_keys);
	if (st == AQ_OK && !(keys = calloc(n_keys ? n_keys : 1, sizeof *keys)))
		st = AQ_ERR_INTERNAL;
	if (st != AQ_OK) {
		for (struct aq_ingest_wait *q = group; q; q = q->next)
			q->st = store_alone(db, q);
		goto out;
	}
	for (size_t k = 0; k < n_keys; k++)
		keys[k].key = inserted[k];
	qsort(keys, n_keys, sizeof *keys, by_key);
	/* A key two requests sent was inserted from the first of them (unnest keeps the order). */
	for (struct aq_ingest_wait *q = group; q; q = q->next) {
		memset(q->result, 0, sizeof *q->result);
		for (size_t i = 0; i < q->n; i++) {
			struct claimed_key probe = {{q->station_ids[i], q->readings[i].observed_us}, false};
			struct claimed_key *hit = bsearch(&probe, keys, n_keys, sizeof *keys, by_key);
			if (hit && !hit->claimed) {
				hit->claimed = true;
				q->result->accepted++;
			}
		}
		q->st = q->result->accepted < q->n ? aq_db_readings_sort_rest(db, q->readings, q->station_ids, q->n,
									      q->source, q->now_us, q->result)
						   : AQ_OK;
	}
out:
	free(keys);
	free(inserted);
	free(readings);
	free(ids);
}

/* Runs a group taken from the queue on a connection of the pool, then tells each request. */
static void run_group(struct aq_ingest_group *g, struct aq_ingest_wait *group)
{
	enum aq_status st;
	uint64_t requests = 0;
	struct aq_db *db = aq_db_acquire(g->pool, &st);
	for (struct aq_ingest_wait *q = group; q; q = q->next) {
		q->st = st;
		requests++;
	}
	if (db) {
		if (group->next && g->kind == AQ_GROUP_BATCHES)
			store_batches(db, group);
		else if (group->next)
			store_live(db, group);
		else
			group->st = store_alone(db, group);
		aq_db_release(g->pool, db);
	}
	bool batches = g->kind == AQ_GROUP_BATCHES;
	aq_metrics_add(g->metrics, batches ? AQ_C_INGEST_BATCH_GROUPS : AQ_C_INGEST_GROUPS, 1);
	aq_metrics_add(g->metrics, batches ? AQ_C_INGEST_BATCH_GROUP_REQUESTS : AQ_C_INGEST_GROUP_REQUESTS, requests);
	for (struct aq_ingest_wait *q = group, *next; q; q = next) {
		next = q->next; /* q may be gone once told */
		q->done(q, q->st);
	}
}

static void *commit_loop(void *arg)
{
	struct aq_ingest_group *g = arg;
	pthread_mutex_lock(&g->lock);
	for (;;) {
		while (!g->head && !g->stopping)
			pthread_cond_wait(&g->queued, &g->lock);
		if (!g->head)
			break; /* stopping, and nothing left to commit */
		struct aq_ingest_wait *group = take_group(g);
		pthread_mutex_unlock(&g->lock);
		run_group(g, group);
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

void aq_ingest_group_submit(struct aq_ingest_group *g, struct aq_ingest_wait *w)
{
	w->st = AQ_ERR_INTERNAL;
	w->next = NULL;
	pthread_mutex_lock(&g->lock);
	if (g->tail)
		g->tail->next = w;
	else
		g->head = w;
	g->tail = w;
	pthread_cond_signal(&g->queued);
	pthread_mutex_unlock(&g->lock);
}
