/* http_ops.c — operations endpoints: /healthz (the process answers) and /readyz (the database
 * answers and is migrated). */
#include "http_internal.h"
#include "aq_replica.h"
#include "aq_events.h"
#include "aq_hj212.h"
#include "aq_hj212_server.h"
#include "aq_metrics.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum MHD_Result aq_handle_healthz(struct aq_request *req)
{
	return aq_reply_json(req, MHD_HTTP_OK, json_pack("{s:s, s:s}", "status", "ok", "version", AQ_VERSION));
}

enum MHD_Result aq_handle_readyz(struct aq_request *req)
{
	enum MHD_Result result;
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_check_ready(db);
	aq_db_release(req->app->pool, db);
	if (st != AQ_OK)
		return aq_reply_error(req, AQ_ERR_DB_UNAVAILABLE, NULL, NULL);
	return aq_reply_json(req, MHD_HTTP_OK, json_pack("{s:s}", "status", "ready"));
}

/* Gauges read from the database at scrape time; without a database, aqrank_db_up is 0. */
static void write_db_gauges(struct aq_app *app, FILE *out)
{
	enum aq_status st;
	int in_use, size;
	aq_db_pool_stats(app->pool, &in_use, &size);
	fprintf(out,
		"# HELP aqrank_db_pool_connections Database connections of this daemon.\n"
		"# TYPE aqrank_db_pool_connections gauge\n"
		"aqrank_db_pool_connections{state=\"in_use\"} %d\naqrank_db_pool_connections{state=\"size\"} %d\n",
		in_use, size);
	fprintf(out,
		"# HELP aqrank_events_listeners Server-Sent Events listeners connected.\n"
		"# TYPE aqrank_events_listeners gauge\naqrank_events_listeners %zu\n",
		aq_events_listeners(app->events));
	struct aq_db *db = aq_app_db(app, &st);
	fprintf(out,
		"# HELP aqrank_db_up Whether the database answered this scrape.\n# TYPE aqrank_db_up gauge\n"
		"aqrank_db_up %d\n",
		db != NULL);
	if (!db)
		return;
	struct aq_alert_filter f = {AQ_AS_OPEN, NULL, -1, INT64_MIN, 100000};
	struct aq_alert *alerts = NULL;
	size_t n = 0;
	int64_t pending = 0;
	int counts[AQ_ALERT_TYPES] = {0};
	if (aq_db_alerts_list(db, &f, &alerts, &n) == AQ_OK)
		for (size_t i = 0; i < n; i++)
			if (alerts[i].type >= 0 && alerts[i].type < AQ_ALERT_TYPES)
				counts[alerts[i].type]++;
	free(alerts);
	fprintf(out, "# HELP aqrank_alerts_open Open alerts by type.\n# TYPE aqrank_alerts_open gauge\n");
	for (int t = 0; t < AQ_ALERT_TYPES; t++)
		fprintf(out, "aqrank_alerts_open{type=\"%s\"} %d\n", aq_alert_type_name((enum aq_alert_type)t),
			counts[t]);
	if (aq_db_outbox_pending(db, &pending) == AQ_OK)
		fprintf(out,
			"# HELP aqrank_webhook_queue Webhook notifications not yet delivered.\n"
			"# TYPE aqrank_webhook_queue gauge\naqrank_webhook_queue %lld\n",
			(long long)pending);
	aq_db_release(app->pool, db);
}

/* The read replica (only with AQRANK_READ_DSN): up, in use, and its lag. */
static void write_replica(struct aq_app *app, FILE *out)
{
	struct aq_replica_status s;
	if (!app->replica)
		return;
	aq_replica_status(app->replica, &s);
	fprintf(out,
		"# HELP aqrank_replica_up Whether the read replica answered its last check.\n"
		"# TYPE aqrank_replica_up gauge\naqrank_replica_up %d\n"
		"# HELP aqrank_replica_in_use Whether reads go to the replica (0: bypassed, see the log).\n"
		"# TYPE aqrank_replica_in_use gauge\naqrank_replica_in_use %d\n",
		s.reachable, s.in_use);
	if (s.lag_s >= 0)
		fprintf(out,
			"# HELP aqrank_replica_lag_seconds How far the read replica is behind the primary.\n"
			"# TYPE aqrank_replica_lag_seconds gauge\naqrank_replica_lag_seconds %.3f\n",
			s.lag_s);
}

/* Frames of HJ 212 devices (only when the listener runs). */
static void write_hj212(struct aq_app *app, FILE *out)
{
	struct aq_hj212_counters c;
	if (!app->hj212)
		return;
	aq_hj212_stats(app->hj212, &c);
	fprintf(out,
		"# HELP aqrank_hj212_frames_total HJ 212 frames by outcome.\n# TYPE aqrank_hj212_frames_total counter\n"
		"aqrank_hj212_frames_total{result=\"accepted\",reason=\"\"} %llu\n",
		(unsigned long long)c.frames_accepted);
	for (int r = 0; r < AQ_HJ212_REJ_COUNT; r++)
		fprintf(out, "aqrank_hj212_frames_total{result=\"rejected\",reason=\"%s\"} %llu\n",
			aq_hj212_reject_name(r), (unsigned long long)c.rejected[r]);
	fprintf(out,
		"# HELP aqrank_hj212_answers_total CN 9014 answers sent after commit.\n"
		"# TYPE aqrank_hj212_answers_total counter\naqrank_hj212_answers_total %llu\n"
		"# HELP aqrank_hj212_connections Device connections open now.\n"
		"# TYPE aqrank_hj212_connections gauge\naqrank_hj212_connections %llu\n"
		"# HELP aqrank_hj212_connections_accepted_total Device connections accepted.\n"
		"# TYPE aqrank_hj212_connections_accepted_total counter\naqrank_hj212_connections_accepted_total %llu\n"
		"# HELP aqrank_hj212_garbage_bytes_total Bytes skipped while resynchronising on ##.\n"
		"# TYPE aqrank_hj212_garbage_bytes_total counter\naqrank_hj212_garbage_bytes_total %llu\n",
		(unsigned long long)c.answers_sent, (unsigned long long)c.connections_open,
		(unsigned long long)c.connections_accepted, (unsigned long long)c.garbage_bytes);
	fprintf(out,
		"# HELP aqrank_hj212_unknown_codes_total Factor codes in stored or refused frames that no table maps.\n"
		"# TYPE aqrank_hj212_unknown_codes_total counter\naqrank_hj212_unknown_codes_total %llu\n"
		"# HELP aqrank_hj212_auth_failures_total Wrong HJ 212 passwords and unknown MNs.\n"
		"# TYPE aqrank_hj212_auth_failures_total counter\naqrank_hj212_auth_failures_total %llu\n"
		"# HELP aqrank_hj212_lockouts_total MNs or addresses locked out after their failure budget.\n"
		"# TYPE aqrank_hj212_lockouts_total counter\naqrank_hj212_lockouts_total %llu\n",
		(unsigned long long)c.unknown_codes, (unsigned long long)c.auth_failures,
		(unsigned long long)c.lockouts);
}

enum MHD_Result aq_handle_metrics(struct aq_request *req)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return aq_reply_error(req, AQ_ERR_INTERNAL, NULL, NULL);
	aq_metrics_write(req->app->metrics, out);
	write_db_gauges(req->app, out);
	write_replica(req->app, out);
	write_hj212(req->app, out);
	fclose(out);
	return aq_reply_body(req, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len, NULL);
}
