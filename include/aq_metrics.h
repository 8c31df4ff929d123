/* aq_metrics.h — counters for /metrics (Prometheus text format): requests by route and
 * status, a latency histogram, readings accepted/duplicate/conflict/late, finalizations, HJ 212
 * frames. Lock-free (relaxed atomics): recording costs a few increments per request. */
#ifndef AQ_METRICS_H
#define AQ_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AQ_METRICS_ROUTES 64
#define AQ_METRICS_STATUSES 20
#define AQ_METRICS_BUCKETS 13

enum aq_counter {
	AQ_C_READINGS_ACCEPTED,
	AQ_C_READINGS_DUPLICATE,
	AQ_C_READINGS_CONFLICT,
	AQ_C_READINGS_LATE,
	AQ_C_READINGS_REJECTED, /* readings in batches refused as invalid */
	AQ_C_FINALIZATIONS,
	AQ_C_ALERT_PASSES,
	AQ_C_WEBHOOK_DELIVERED,
	AQ_C_WEBHOOK_FAILED,
	AQ_C_RATE_LIMITED,
	AQ_C_CONN_REFUSED,		  /* connections closed at accept: their address was at AQRANK_PER_IP_LIMIT */
	AQ_C_HEADER_TIMEOUTS,		  /* connections cut: no complete request head within the deadline */
	AQ_C_AUTH_FAILURES,		  /* requests whose bearer token matched nothing */
	AQ_C_AUTH_LIMITED,		  /* requests refused: their address failed authentication too often */
	AQ_C_REPLICA_READS,		  /* replies read from the replica (AQRANK_READ_DSN) */
	AQ_C_REPLICA_BYPASSED,		  /* replies that would have, read from the primary: replica bypassed */
	AQ_C_TODAY_BUILDS,		  /* today's ranking built (a cache miss) */
	AQ_C_TODAY_STALE,		  /* polls of today answered with the entry from before a change (debounce) */
	AQ_C_INGEST_GROUPS,		  /* group commits of live readings run (ingest_group.c) */
	AQ_C_INGEST_GROUP_REQUESTS,	  /* requests stored by them */
	AQ_C_INGEST_BATCH_GROUPS,	  /* group commits of batches (ingest_group.c) */
	AQ_C_INGEST_BATCH_GROUP_REQUESTS, /* requests stored by them */
	AQ_COUNTERS
};

struct aq_metrics {
	/* Set once before serving (NULL = unused): the route pattern and its method label. */
	const char *route_names[AQ_METRICS_ROUTES];
	const char *route_methods[AQ_METRICS_ROUTES];
	_Atomic uint64_t requests[AQ_METRICS_ROUTES + 1][AQ_METRICS_STATUSES];
	_Atomic uint64_t latency[AQ_METRICS_ROUTES + 1][AQ_METRICS_BUCKETS + 1]; /* last = +Inf */
	_Atomic uint64_t latency_sum_us[AQ_METRICS_ROUTES + 1];
	_Atomic uint64_t counters[AQ_COUNTERS];
};

/* Upper bounds of the latency buckets, seconds. */
extern const double aq_metrics_buckets[AQ_METRICS_BUCKETS];

struct aq_metrics *aq_metrics_new(void);
void aq_metrics_free(struct aq_metrics *m);
/* route: index into route_names, or -1 for requests that matched no route. */
void aq_metrics_request(struct aq_metrics *m, int route, unsigned status, double seconds);
void aq_metrics_add(struct aq_metrics *m, enum aq_counter c, uint64_t n);
/* Writes the request and counter series (Prometheus text format 0.0.4). */
void aq_metrics_write(const struct aq_metrics *m, FILE *out);

#endif
