/* db_alerts.c — alert rows (one active per station and type), the evaluator's watermarks and
 * hourly inputs, the event log and the webhook outbox. */
#include "db_internal.h"
#include "aq_time.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALERT_LOCK_KEY "7305003"
#define US(col) "(extract(epoch FROM " col ") * 1000000)::int8"

static const struct aq_sql sql_alert_lock = {"alert_lock", "SELECT pg_try_advisory_lock(" ALERT_LOCK_KEY ")"};
static const struct aq_sql sql_alert_unlock = {"alert_unlock", "SELECT pg_advisory_unlock(" ALERT_LOCK_KEY ")"};
/* The newest reading per station through the primary key, one index probe each. */
static const struct aq_sql sql_watermarks = {
	"alert_watermarks",
	"SELECT s.id, coalesce((SELECT " US(
		"max(r.observed_at)") " FROM readings r WHERE r.station_id = s.id), 0), "
				      "coalesce(" US(
					      "a.evaluated_through") ", -9223372036854775808) "
								     "FROM stations s LEFT JOIN alert_state a ON a.station_id = s.id"};
static const struct aq_sql sql_state_set = {
	"alert_state_set", "INSERT INTO alert_state (station_id, evaluated_through) VALUES ($1, $2::timestamptz) "
			   "ON CONFLICT (station_id) DO UPDATE SET evaluated_through = EXCLUDED.evaluated_through"};
static const struct aq_sql sql_alert_hours = {
	"alert_hours",
	"SELECT station_id, day - date '1970-01-01', hour, pm25_sum, pm25_n, pm10_sum, pm10_n, so2_sum, "
	"so2_n, no2_sum, no2_n, co_sum, co_n, o3_sum, o3_n, pm25_min, pm25_max, pm10_min, pm10_max, "
	"so2_min, so2_max, no2_min, no2_max, co_min, co_max, o3_min, o3_max, "
	"coalesce(" US("first_obs") ", 0), coalesce(" US(
		"last_obs") ", 0) FROM hourly "
			    "WHERE day BETWEEN (date '1970-01-01' + $1::int) AND (date '1970-01-01' + $2::int)"};

#define ALERT_COLUMNS                                                                                                                                                        \
	"a.id, a.station_id, s.code, s.name, s.unit, s.kind = 'national', a.type, a.severity, a.status, " US("a.opened_at") ", " US(                                         \
		"a.last_seen_at") ", coalesce(" US("a.resolved_at") ", 0), "                                                                                                 \
								    "coalesce(" US(                                                                                          \
									    "a.acknowledged_at") ", 0), a.count, a.value, a.threshold, a.pollutant, a.message, a.ack_note, " \
												 "coalesce(a.sources, '')"
static const struct aq_sql sql_alerts_active = {
	"alerts_active",
	"SELECT " ALERT_COLUMNS " FROM alerts a JOIN stations s ON s.id = a.station_id WHERE a.status <> 'resolved'"};
static const struct aq_sql sql_alert_insert = {
	"alert_insert",
	"INSERT INTO alerts (station_id, type, severity, opened_at, last_seen_at, value, threshold, pollutant, "
	"message, sources) VALUES ($1, $2, $3, $4::timestamptz, $4::timestamptz, $5, $6, $7, $8, $9) RETURNING id"};
static const struct aq_sql sql_alert_bump = {
	"alert_bump",
	"UPDATE alerts SET count = $7, last_seen_at = greatest(last_seen_at, $2::timestamptz), "
	"value = $3, threshold = $4, pollutant = $5, message = $6, sources = coalesce($8, sources) WHERE id = $1"};
static const struct aq_sql sql_alert_resolve = {
	"alert_resolve",
	"UPDATE alerts SET status = 'resolved', resolved_at = $2::timestamptz WHERE id = $1 AND status <> 'resolved'"};
static const struct aq_sql sql_event_add = {"event_add", "INSERT INTO events (kind, payload) VALUES ($1, $2::jsonb)"};
static const struct aq_sql sql_outbox_add = {"outbox_add",
					     "INSERT INTO webhook_outbox (alert_id, event) VALUES ($1, $2)"};
/* A bulletin's push, at most one per day (007_bulletins.sql). */
static const struct aq_sql sql_outbox_bulletin = {
	"outbox_bulletin",
	"INSERT INTO webhook_outbox (event, payload, bulletin_day) VALUES ('bulletin', $2, date '1970-01-01' + $1::int) "
	"ON CONFLICT (bulletin_day) WHERE bulletin_day IS NOT NULL DO NOTHING"};
static const struct aq_sql sql_alerts_list = {
	"alerts_list", "SELECT " ALERT_COLUMNS " FROM alerts a JOIN stations s ON s.id = a.station_id "
		       "WHERE ($1::text IS NULL OR a.status = $1) AND ($2::text IS NULL OR s.code = $2) "
		       "AND ($3::text IS NULL OR a.type = $3) AND a.last_seen_at >= $4::timestamptz "
		       "ORDER BY a.last_seen_at DESC, a.id DESC LIMIT $5"};
static const struct aq_sql sql_alert_get_lock = {
	"alert_get_lock", "SELECT " ALERT_COLUMNS
			  " FROM alerts a JOIN stations s ON s.id = a.station_id WHERE a.id = $1 FOR UPDATE OF a"};
static const struct aq_sql sql_alert_ack = {
	"alert_ack",
	"UPDATE alerts SET status = 'acknowledged', acknowledged_at = coalesce(acknowledged_at, $2::timestamptz), "
	"ack_note = coalesce($3, ack_note) WHERE id = $1"};
static const struct aq_sql sql_events_since = {
	"events_since", "SELECT id, kind, payload::text FROM events WHERE id > $1 ORDER BY id LIMIT $2"};
static const struct aq_sql sql_events_last = {"events_last", "SELECT coalesce(max(id), 0) FROM events"};
static const struct aq_sql sql_outbox_claim = {
	"outbox_claim",
	"SELECT o.id, o.attempts, o.event, coalesce(o.payload, ''), " ALERT_COLUMNS " FROM webhook_outbox o "
	"LEFT JOIN alerts a ON a.id = o.alert_id LEFT JOIN stations s ON s.id = a.station_id "
	"WHERE o.delivered_at IS NULL AND o.next_attempt_at <= now() ORDER BY o.id LIMIT 1 "
	"FOR UPDATE OF o SKIP LOCKED"};
static const struct aq_sql sql_outbox_delivered = {
	"outbox_delivered",
	"UPDATE webhook_outbox SET delivered_at = now(), attempts = attempts + 1, last_error = '' WHERE id = $1"};
static const struct aq_sql sql_outbox_failed = {
	"outbox_failed", "UPDATE webhook_outbox SET attempts = attempts + 1, last_error = $3, "
			 "next_attempt_at = now() + $2::int * interval '1 second' WHERE id = $1"};
static const struct aq_sql sql_prune_events = {
	"prune_events", "DELETE FROM events WHERE created_at < now() - $1::int * interval '1 day'"};
static const struct aq_sql sql_prune_outbox = {
	"prune_outbox", "DELETE FROM webhook_outbox WHERE delivered_at < now() - $1::int * interval '1 day'"};
static const struct aq_sql sql_outbox_pending = {"outbox_pending",
						 "SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL"};

static enum aq_status one_bool(struct aq_db *db, const struct aq_sql *sql, bool *out)
{
	int64_t v = 0;
	enum aq_status st = aq_db_scalar(db, sql, 0, NULL, &v);
	*out = v != 0;
	return st;
}

enum aq_status aq_db_alert_lock(struct aq_db *db, bool *locked)
{
	return one_bool(db, &sql_alert_lock, locked);
}

enum aq_status aq_db_alert_unlock(struct aq_db *db)
{
	bool unlocked;
	return one_bool(db, &sql_alert_unlock, &unlocked);
}

static void us_text(int64_t us, char buf[48])
{
	aq_time_format(us, 0, buf, 48);
}

static void read_watermark(const PGresult *r, int row, void *elem)
{
	struct aq_alert_watermark *w = elem;
	w->station_id = atoi(PQgetvalue(r, row, 0));
	w->newest_us = strtoll(PQgetvalue(r, row, 1), NULL, 10);
	w->evaluated_through_us = strtoll(PQgetvalue(r, row, 2), NULL, 10);
}

enum aq_status aq_db_alert_watermarks(struct aq_db *db, struct aq_alert_watermark **out, size_t *n)
{
	enum aq_status st = aq_db_fold_once(db);
	if (st != AQ_OK)
		return st;
	return aq_db_rows(db, &sql_watermarks, 0, NULL, sizeof **out, read_watermark, (void **)out, n);
}

enum aq_status aq_db_alert_state_set(struct aq_db *db, int station_id, int64_t through_us)
{
	char id[16], t[48];
	enum aq_status st;
	snprintf(id, sizeof id, "%d", station_id);
	us_text(through_us, t);
	const char *params[] = {id, t};
	PQclear(aq_db_exec(db, &sql_state_set, 2, params, &st));
	return st;
}

static double opt_double(const PGresult *r, int row, int col, double none)
{
	return PQgetisnull(r, row, col) ? none : strtod(PQgetvalue(r, row, col), NULL);
}

static void read_alert_hour(const PGresult *r, int row, void *elem)
{
	struct aq_alert_hour_row *h = elem;
	h->station_id = atoi(PQgetvalue(r, row, 0));
	h->day = strtoll(PQgetvalue(r, row, 1), NULL, 10);
	h->hour = atoi(PQgetvalue(r, row, 2));
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		h->sums.sum[p] = opt_double(r, row, 3 + 2 * p, 0);
		h->sums.count[p] = atoi(PQgetvalue(r, row, 4 + 2 * p));
		h->min[p] = opt_double(r, row, 15 + 2 * p, 0);
		h->max[p] = opt_double(r, row, 16 + 2 * p, 0);
	}
	h->first_us = strtoll(PQgetvalue(r, row, 27), NULL, 10);
	h->last_us = strtoll(PQgetvalue(r, row, 28), NULL, 10);
}

enum aq_status aq_db_alert_hours(struct aq_db *db, int64_t from, int64_t to, struct aq_alert_hour_row **out, size_t *n)
{
	char a[24], b[24];
	snprintf(a, sizeof a, "%lld", (long long)from);
	snprintf(b, sizeof b, "%lld", (long long)to);
	const char *params[] = {a, b};
	enum aq_status st = aq_db_fold_once(db);
	if (st != AQ_OK)
		return st;
	return aq_db_rows_streamed(db, &sql_alert_hours, 2, params, sizeof **out, read_alert_hour, (void **)out, n);
}

/* Reads ALERT_COLUMNS starting at column c. */
static void read_alert(const PGresult *r, int row, int c, struct aq_alert *a)
{
	memset(a, 0, sizeof *a);
	a->id = strtoll(PQgetvalue(r, row, c), NULL, 10);
	a->station_id = atoi(PQgetvalue(r, row, c + 1));
	snprintf(a->station, sizeof a->station, "%s", PQgetvalue(r, row, c + 2));
	snprintf(a->station_name, sizeof a->station_name, "%s", PQgetvalue(r, row, c + 3));
	snprintf(a->unit, sizeof a->unit, "%s", PQgetvalue(r, row, c + 4));
	a->national = PQgetvalue(r, row, c + 5)[0] == 't';
	enum aq_alert_type t = AQ_ALERT_OFFLINE;
	aq_alert_type_from_name(PQgetvalue(r, row, c + 6), &t);
	a->type = t;
	const char *sev = PQgetvalue(r, row, c + 7);
	a->severity = strcmp(sev, "critical") == 0 ? AQ_SEV_CRITICAL
		      : strcmp(sev, "info") == 0   ? AQ_SEV_INFO
						   : AQ_SEV_WARNING;
	aq_alert_status_from_name(PQgetvalue(r, row, c + 8), &a->status);
	a->opened_us = strtoll(PQgetvalue(r, row, c + 9), NULL, 10);
	a->last_seen_us = strtoll(PQgetvalue(r, row, c + 10), NULL, 10);
	a->resolved_us = strtoll(PQgetvalue(r, row, c + 11), NULL, 10);
	a->acknowledged_us = strtoll(PQgetvalue(r, row, c + 12), NULL, 10);
	a->count = atoi(PQgetvalue(r, row, c + 13));
	a->has_value = !PQgetisnull(r, row, c + 14);
	a->value = opt_double(r, row, c + 14, 0);
	a->has_threshold = !PQgetisnull(r, row, c + 15);
	a->threshold = opt_double(r, row, c + 15, 0);
	snprintf(a->pollutant, sizeof a->pollutant, "%s", PQgetvalue(r, row, c + 16));
	snprintf(a->message, sizeof a->message, "%s", PQgetvalue(r, row, c + 17));
	snprintf(a->ack_note, sizeof a->ack_note, "%s", PQgetvalue(r, row, c + 18));
	snprintf(a->sources, sizeof a->sources, "%s", PQgetvalue(r, row, c + 19));
}

static void read_alert_row(const PGresult *r, int row, void *elem)
{
	read_alert(r, row, 0, elem);
}

static enum aq_status alert_rows(struct aq_db *db, const struct aq_sql *sql, int n, const char *const *p,
				 struct aq_alert **out, size_t *count)
{
	return aq_db_rows(db, sql, n, p, sizeof **out, read_alert_row, (void **)out, count);
}

enum aq_status aq_db_alerts_active(struct aq_db *db, struct aq_alert **out, size_t *n)
{
	return alert_rows(db, &sql_alerts_active, 0, NULL, out, n);
}

static const char *num(char *buf, size_t size, bool has, double v)
{
	if (!has)
		return NULL;
	snprintf(buf, size, "%.17g", v);
	return buf;
}

enum aq_status aq_db_alert_insert(struct aq_db *db, struct aq_alert *a)
{
	char sid[16], t[48], v[32], th[32];
	enum aq_status st;
	snprintf(sid, sizeof sid, "%d", a->station_id);
	us_text(a->opened_us, t);
	const char *params[] = {sid,
				aq_alert_type_name(a->type),
				aq_severity_name(a->severity),
				t,
				num(v, sizeof v, a->has_value, a->value),
				num(th, sizeof th, a->has_threshold, a->threshold),
				a->pollutant,
				a->message,
				a->sources[0] ? a->sources : NULL};
	PGresult *r = aq_db_exec(db, &sql_alert_insert, 9, params, &st);
	if (st == AQ_OK)
		a->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return st;
}

enum aq_status aq_db_alert_bump(struct aq_db *db, const struct aq_alert *a)
{
	char id[24], t[48], v[32], th[32], count[16];
	enum aq_status st;
	snprintf(id, sizeof id, "%lld", (long long)a->id);
	snprintf(count, sizeof count, "%d", a->count);
	us_text(a->last_seen_us, t);
	const char *params[] = {id,
				t,
				num(v, sizeof v, a->has_value, a->value),
				num(th, sizeof th, a->has_threshold, a->threshold),
				a->pollutant,
				a->message,
				count,
				a->sources[0] ? a->sources : NULL};
	PQclear(aq_db_exec(db, &sql_alert_bump, 8, params, &st));
	return st;
}

enum aq_status aq_db_alert_resolve(struct aq_db *db, int64_t id, int64_t at_us)
{
	char i[24], t[48];
	enum aq_status st;
	snprintf(i, sizeof i, "%lld", (long long)id);
	us_text(at_us, t);
	const char *params[] = {i, t};
	PQclear(aq_db_exec(db, &sql_alert_resolve, 2, params, &st));
	return st;
}

enum aq_status aq_db_event_add(struct aq_db *db, const char *kind, const char *payload)
{
	enum aq_status st;
	const char *params[] = {kind, payload};
	PQclear(aq_db_exec(db, &sql_event_add, 2, params, &st));
	return st;
}

enum aq_status aq_db_outbox_add(struct aq_db *db, int64_t alert_id, const char *event)
{
	char id[24];
	enum aq_status st;
	snprintf(id, sizeof id, "%lld", (long long)alert_id);
	const char *params[] = {id, event};
	PQclear(aq_db_exec(db, &sql_outbox_add, 2, params, &st));
	return st;
}

enum aq_status aq_db_outbox_add_bulletin(struct aq_db *db, int64_t day, const char *payload)
{
	char d[24];
	enum aq_status st;
	snprintf(d, sizeof d, "%lld", (long long)day);
	const char *params[] = {d, payload};
	PQclear(aq_db_exec(db, &sql_outbox_bulletin, 2, params, &st));
	return st;
}

enum aq_status aq_db_alerts_list(struct aq_db *db, const struct aq_alert_filter *f, struct aq_alert **out, size_t *n)
{
	char since[48], limit[16];
	if (f->since_us == INT64_MIN)
		snprintf(since, sizeof since, "-infinity");
	else
		us_text(f->since_us, since);
	snprintf(limit, sizeof limit, "%d", f->limit);
	const char *params[] = {f->status < 0 ? NULL : aq_alert_status_name(f->status), f->station,
				f->type < 0 ? NULL : aq_alert_type_name((enum aq_alert_type)f->type), since, limit};
	return alert_rows(db, &sql_alerts_list, 5, params, out, n);
}

struct ack_args {
	int64_t id;
	const char *note;
	int64_t at_us;
	struct aq_alert *out;
};

static enum aq_status ack_tx(struct aq_db *db, void *arg)
{
	struct ack_args *a = arg;
	char id[24], t[48];
	enum aq_status st;
	snprintf(id, sizeof id, "%lld", (long long)a->id);
	const char *params[] = {id};
	PGresult *r = aq_db_exec(db, &sql_alert_get_lock, 1, params, &st);
	if (st != AQ_OK)
		return st;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return AQ_ERR_NOT_FOUND;
	}
	read_alert(r, 0, 0, a->out);
	PQclear(r);
	if (a->out->status == AQ_AS_RESOLVED)
		return AQ_ERR_CONFLICT;
	us_text(a->at_us, t);
	const char *set[] = {id, t, a->note};
	PQclear(aq_db_exec(db, &sql_alert_ack, 3, set, &st));
	if (st != AQ_OK)
		return st;
	r = aq_db_exec(db, &sql_alert_get_lock, 1, params, &st);
	if (st == AQ_OK && PQntuples(r) == 1)
		read_alert(r, 0, 0, a->out);
	PQclear(r);
	return st;
}

enum aq_status aq_db_alert_ack(struct aq_db *db, int64_t id, const char *note, int64_t at_us, struct aq_alert *out)
{
	struct ack_args a = {id, note, at_us, out};
	return aq_db_tx(db, ack_tx, &a);
}

/* payload is NULL when memory ran out (the event is then skipped, not the stream). */
static void read_event(const PGresult *r, int row, void *elem)
{
	struct aq_event *e = elem;
	e->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
	snprintf(e->kind, sizeof e->kind, "%s", PQgetvalue(r, row, 1));
	e->payload = strdup(PQgetvalue(r, row, 2));
}

enum aq_status aq_db_events_since(struct aq_db *db, int64_t after_id, int limit, struct aq_event **out, size_t *n)
{
	char a[24], l[16];
	snprintf(a, sizeof a, "%lld", (long long)after_id);
	snprintf(l, sizeof l, "%d", limit);
	const char *params[] = {a, l};
	return aq_db_rows(db, &sql_events_since, 2, params, sizeof **out, read_event, (void **)out, n);
}

enum aq_status aq_db_events_last_id(struct aq_db *db, int64_t *id)
{
	return aq_db_scalar(db, &sql_events_last, 0, NULL, id);
}

enum aq_status aq_db_outbox_claim(struct aq_db *db, struct aq_outbox_item *item, bool *found)
{
	enum aq_status st;
	PGresult *r = aq_db_exec(db, &sql_outbox_claim, 0, NULL, &st);
	*found = false;
	if (st == AQ_OK && PQntuples(r) == 1) {
		*found = true;
		item->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		item->attempts = atoi(PQgetvalue(r, 0, 1));
		snprintf(item->event, sizeof item->event, "%s", PQgetvalue(r, 0, 2));
		snprintf(item->payload, sizeof item->payload, "%s", PQgetvalue(r, 0, 3));
		read_alert(r, 0, 4, &item->alert); /* zeros for a bulletin (no alert) */
	}
	PQclear(r);
	return st;
}

enum aq_status aq_db_outbox_done(struct aq_db *db, int64_t id, bool delivered, int delay_s, const char *error)
{
	char i[24], d[16];
	enum aq_status st;
	snprintf(i, sizeof i, "%lld", (long long)id);
	snprintf(d, sizeof d, "%d", delay_s);
	if (delivered) {
		const char *params[] = {i};
		PQclear(aq_db_exec(db, &sql_outbox_delivered, 1, params, &st));
	} else {
		const char *params[] = {i, d, error ? error : ""};
		PQclear(aq_db_exec(db, &sql_outbox_failed, 3, params, &st));
	}
	return st;
}

enum aq_status aq_db_outbox_pending(struct aq_db *db, int64_t *pending)
{
	return aq_db_scalar(db, &sql_outbox_pending, 0, NULL, pending);
}

enum aq_status aq_db_prune_logs(struct aq_db *db, int event_days, int outbox_days)
{
	char e[16], o[16];
	enum aq_status st;
	snprintf(e, sizeof e, "%d", event_days);
	snprintf(o, sizeof o, "%d", outbox_days);
	const char *p1[] = {e}, *p2[] = {o};
	PQclear(aq_db_exec(db, &sql_prune_events, 1, p1, &st));
	if (st == AQ_OK)
		PQclear(aq_db_exec(db, &sql_prune_outbox, 1, p2, &st));
	return st;
}
