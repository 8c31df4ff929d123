/* metrics.c — the counters behind /metrics and their Prometheus text. */
#include "aq_metrics.h"

#include <stdlib.h>
#include <string.h>

const double aq_metrics_buckets[AQ_METRICS_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
						       0.1,    0.25,  0.5,    1,     2.5,  10};

/* The statuses the daemon answers with; anything else is counted as the last slot. */
static const unsigned statuses[AQ_METRICS_STATUSES] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 406,
						       409, 413, 414, 415, 422, 429, 431, 500, 503, 0};

static const struct {
	const char *name, *help;
} counter_info[AQ_COUNTERS] = {
	[AQ_C_READINGS_ACCEPTED] = {"aqrank_readings_accepted_total", "Readings stored."},
	[AQ_C_READINGS_DUPLICATE] = {"aqrank_readings_duplicate_total", "Resent readings with the same values."},
	[AQ_C_READINGS_CONFLICT] = {"aqrank_readings_conflict_total",
				    "Resent readings with other values (not applied, kept for audit)."},
	[AQ_C_READINGS_LATE] = {"aqrank_readings_late_total", "Readings stored for days already finalized."},
	[AQ_C_READINGS_REJECTED] = {"aqrank_readings_rejected_total", "Readings in batches refused as invalid."},
	[AQ_C_FINALIZATIONS] = {"aqrank_finalizations_total", "Days finalized (or re-finalized) by this daemon."},
	[AQ_C_ALERT_PASSES] = {"aqrank_alert_passes_total", "Alert evaluation passes run by this daemon."},
	[AQ_C_WEBHOOK_DELIVERED] = {"aqrank_webhook_delivered_total", "Webhook notifications delivered."},
	[AQ_C_WEBHOOK_FAILED] = {"aqrank_webhook_failed_attempts_total", "Webhook attempts that failed (retried)."},
	[AQ_C_RATE_LIMITED] = {"aqrank_rate_limited_total", "Requests refused by the per-token rate limit."},
	[AQ_C_CONN_REFUSED] = {"aqrank_connections_refused_total",
			       "Connections closed at once: their address already had AQRANK_PER_IP_LIMIT open."},
	[AQ_C_HEADER_TIMEOUTS] = {"aqrank_header_timeouts_total",
				  "Connections cut for not sending a whole request head within AQRANK_HEADER_TIMEOUT."},
	[AQ_C_AUTH_FAILURES] = {"aqrank_auth_failures_total", "Requests whose bearer token matched no token."},
	[AQ_C_AUTH_LIMITED] = {"aqrank_auth_limited_total",
			       "Requests refused (429) because their address failed authentication too often."},
	[AQ_C_REPLICA_READS] = {"aqrank_replica_reads_total", "Replies read from the replica (AQRANK_READ_DSN)."},
	[AQ_C_REPLICA_BYPASSED] = {"aqrank_replica_bypassed_total",
				   "Replies read from the primary instead: the replica was behind or unreachable."},
	[AQ_C_TODAY_BUILDS] = {"aqrank_today_builds_total", "Builds of today's ranking (cache misses)."},
	[AQ_C_TODAY_STALE] = {"aqrank_today_debounced_total",
			      "Polls of today's ranking answered from before the last data change, within "
			      "AQRANK_TODAY_DEBOUNCE_MS (a ranking slow to build)."},
	[AQ_C_INGEST_GROUPS] = {"aqrank_ingest_groups_total",
				"Group commits of live readings (one statement and one COMMIT each)."},
	[AQ_C_INGEST_GROUP_REQUESTS] = {"aqrank_ingest_group_requests_total",
					"Requests whose live readings went in a group commit (divided by the "
					"groups: the mean group)."},
	[AQ_C_INGEST_BATCH_GROUPS] = {"aqrank_ingest_batch_groups_total",
				      "Group commits of batches (one COPY and one COMMIT each)."},
	[AQ_C_INGEST_BATCH_GROUP_REQUESTS] = {"aqrank_ingest_batch_group_requests_total",
					      "Requests whose batch went in a group commit (divided by the "
					      "groups: the mean group)."},
};

struct aq_metrics *aq_metrics_new(void)
{
	return calloc(1, sizeof(struct aq_metrics));
}

void aq_metrics_free(struct aq_metrics *m)
{
	free(m);
}

static int status_slot(unsigned status)
{
	for (int i = 0; i < AQ_METRICS_STATUSES && statuses[i]; i++)
		if (statuses[i] == status)
			return i;
	return AQ_METRICS_STATUSES - 1;
}

void aq_metrics_request(struct aq_metrics *m, int route, unsigned status, double seconds)
{
	if (!m)
		return;
	int r = route >= 0 && route < AQ_METRICS_ROUTES ? route : AQ_METRICS_ROUTES;
	atomic_fetch_add_explicit(&m->requests[r][status_slot(status)], 1, memory_order_relaxed);
	int b = 0;
	while (b < AQ_METRICS_BUCKETS && seconds > aq_metrics_buckets[b])
		b++;
	atomic_fetch_add_explicit(&m->latency[r][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->latency_sum_us[r], (uint64_t)(seconds * 1e6), memory_order_relaxed);
}

void aq_metrics_add(struct aq_metrics *m, enum aq_counter c, uint64_t n)
{
	if (m && n)
		atomic_fetch_add_explicit(&m->counters[c], n, memory_order_relaxed);
}

/* route="…",method="…" of route r. */
static const char *route_label(const struct aq_metrics *m, int r, char *buf, size_t size)
{
	if (r < AQ_METRICS_ROUTES && m->route_names[r])
		snprintf(buf, size, "route=\"%s\",method=\"%s\"", m->route_names[r], m->route_methods[r]);
	else
		snprintf(buf, size, "route=\"unmatched\",method=\"\"");
	return buf;
}

static uint64_t route_total(const struct aq_metrics *m, int r)
{
	uint64_t n = 0;
	for (int b = 0; b <= AQ_METRICS_BUCKETS; b++)
		n += atomic_load_explicit(&m->latency[r][b], memory_order_relaxed);
	return n;
}

void aq_metrics_write(const struct aq_metrics *m, FILE *out)
{
	char label[160];
	fprintf(out, "# HELP aqrank_http_requests_total HTTP requests by route and status.\n"
		     "# TYPE aqrank_http_requests_total counter\n");
	for (int r = 0; r <= AQ_METRICS_ROUTES; r++) {
		if ((r < AQ_METRICS_ROUTES && !m->route_names[r]) || route_total(m, r) == 0)
			continue;
		for (int s = 0; s < AQ_METRICS_STATUSES; s++) {
			uint64_t n = atomic_load_explicit(&m->requests[r][s], memory_order_relaxed);
			char code[8] = "other";
			if (statuses[s])
				snprintf(code, sizeof code, "%u", statuses[s] % 1000u);
			if (n)
				fprintf(out, "aqrank_http_requests_total{%s,status=\"%s\"} %llu\n",
					route_label(m, r, label, sizeof label), code, (unsigned long long)n);
		}
	}
	fprintf(out, "# HELP aqrank_http_request_duration_seconds Time from the first byte of a request to its reply.\n"
		     "# TYPE aqrank_http_request_duration_seconds histogram\n");
	for (int r = 0; r <= AQ_METRICS_ROUTES; r++) {
		if ((r < AQ_METRICS_ROUTES && !m->route_names[r]) || route_total(m, r) == 0)
			continue;
		route_label(m, r, label, sizeof label);
		uint64_t cumulative = 0;
		for (int b = 0; b <= AQ_METRICS_BUCKETS; b++) {
			cumulative += atomic_load_explicit(&m->latency[r][b], memory_order_relaxed);
			if (b < AQ_METRICS_BUCKETS)
				fprintf(out, "aqrank_http_request_duration_seconds_bucket{%s,le=\"%g\"} %llu\n", label,
					aq_metrics_buckets[b], (unsigned long long)cumulative);
			else
				fprintf(out, "aqrank_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %llu\n",
					label, (unsigned long long)cumulative);
		}
		fprintf(out, "aqrank_http_request_duration_seconds_sum{%s} %.6f\n", label,
			(double)atomic_load_explicit(&m->latency_sum_us[r], memory_order_relaxed) / 1e6);
		fprintf(out, "aqrank_http_request_duration_seconds_count{%s} %llu\n", label,
			(unsigned long long)cumulative);
	}
	for (int c = 0; c < AQ_COUNTERS; c++)
		fprintf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counter_info[c].name, counter_info[c].help,
			counter_info[c].name, counter_info[c].name,
			(unsigned long long)atomic_load_explicit(&m->counters[c], memory_order_relaxed));
}
