/* http_readings.c — POST /api/v1/readings (validate the whole batch, then one transaction)
 * and GET /api/v1/stations/{code}/readings (raw readings, paged by an opaque cursor). */
#include "http_internal.h"
#include "aq_clock.h"
#include "aq_csv.h"
#include "aq_ingest.h"
#include "aq_metrics.h"
#include "aq_time.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Marks readings that already have a shape problem, so that meaning checks do not pile
 * follow-up complaints on them (a missing time is not also "before 2000"). */
static void mark_bad(const struct aq_problems *p, bool *bad, size_t n)
{
	for (size_t i = 0; i < p->n; i++) {
		int idx = p->items[i].index;
		if (idx >= 0 && (size_t)idx < n)
			bad[idx] = true;
	}
}

/* A POST whose live readings wait for their group commit (ingest_group.c), its connection
 * parked meanwhile: what the reply needs once the group has told it. */
struct waiting_post {
	struct aq_request *req;
	struct aq_reading *readings;
	int *ids;
	struct aq_ingest_result res;
	enum aq_status st;
	struct aq_ingest_ticket ticket;
};

static void waiting_post_free(void *state)
{
	struct waiting_post *w = state;
	if (!w)
		return;
	free(w->readings);
	free(w->ids);
	free(w);
}

/* The reply to a stored batch (st AQ_OK: committed), or its error. */
static enum MHD_Result reply_stored(struct aq_request *req, enum aq_status st, const struct aq_ingest_result *res)
{
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	return aq_reply_json(req, MHD_HTTP_OK,
			     json_pack("{s:I, s:I, s:I}", "accepted", (json_int_t)res->accepted, "duplicates",
				       (json_int_t)res->duplicates, "conflicts", (json_int_t)res->conflicts));
}

static enum MHD_Result reply_waited(struct aq_request *req)
{
	struct waiting_post *w = req->parked;
	return reply_stored(req, w->st, &w->res);
}

static void park_post(void *ctx)
{
	struct waiting_post *w = ctx;
	aq_request_park(w->req, reply_waited, w, waiting_post_free);
}

static void post_told(void *ctx, enum aq_status st)
{
	struct waiting_post *w = ctx;
	w->st = st;
	aq_request_wake(w->req);
}

static const struct aq_ingest_sink post_sink = {park_post, post_told};

enum MHD_Result aq_handle_readings_post(struct aq_request *req)
{
	struct aq_problems problems = {0};
	struct aq_reading *readings = NULL;
	int *ids = NULL;
	bool *bad = NULL;
	const char **codes = NULL;
	size_t n = 0;
	enum MHD_Result result;
	struct aq_db *db = NULL;
	enum aq_status st;

	if (!req->json)
		return aq_reply_error(req, AQ_ERR_INVALID_JSON,
				      "The body is empty: send a reading object or an array of them.", NULL);
	st = aq_json_readings_parse(req->json, &readings, &n, &problems);
	/* The body was parsed in the thread's json arena (route scratch_json): its values go
	 * before any reply is built, and nothing below reads them (problems are copied text). */
	aq_request_json_drop(req);
	if (st == AQ_ERR_INVALID_READING) {
		result = aq_reply_error(req, st, "The batch is empty: send 1 to 5000 readings.", NULL);
		goto out;
	}
	if (st == AQ_ERR_BODY_TOO_LARGE) {
		result = aq_reply_errorf(req, st, "A batch holds at most %d readings.", AQ_MAX_BATCH);
		goto out;
	}
	if (st != AQ_OK)
		goto fail;
	bad = calloc(n, sizeof *bad);
	ids = calloc(n, sizeof *ids);
	codes = calloc(n, sizeof *codes);
	if (!bad || !ids || !codes) {
		st = AQ_ERR_INTERNAL;
		goto fail;
	}
	mark_bad(&problems, bad, n);
	int64_t now = aq_clock_now(&req->app->clock);
	bool foreign = false;
	for (size_t i = 0; i < n; i++) {
		int index = (int)i; /* a single object is the reading at index 0, as in a batch of one */
		if (!bad[i])
			aq_reading_validate(&readings[i], index, now, &problems);
		if (req->role == AQ_ROLE_STATION) {
			if (readings[i].station[0] && strcmp(readings[i].station, req->station.code) != 0) {
				aq_problems_add(&problems, index, "station",
						"a station token may only post for its own station (%s)",
						req->station.code);
				foreign = true;
			}
			snprintf(readings[i].station, sizeof readings[i].station, "%s", req->station.code);
			ids[i] = req->station.active ? req->station.id : -req->station.id;
		} else if (!readings[i].station[0] && !bad[i]) {
			aq_problems_add(&problems, index, "station", "is required with the admin token");
		}
		codes[i] = readings[i].station;
	}
	if (problems.n > 0) {
		aq_metrics_add(req->app->metrics, AQ_C_READINGS_REJECTED, n);
		result = aq_reply_error(req, foreign ? AQ_ERR_FORBIDDEN : AQ_ERR_INVALID_READING,
					foreign ? "This token may not post for another station; nothing was stored."
						: NULL,
					aq_json_problems(&problems));
		goto out;
	}
	db = aq_request_db(req, &result);
	if (!db)
		goto out;
	if (req->role != AQ_ROLE_STATION && (st = aq_db_station_ids(db, codes, n, ids)) != AQ_OK)
		goto fail;
	bool unknown = false;
	for (size_t i = 0; i < n; i++) {
		int index = (int)i; /* a single object is the reading at index 0, as in a batch of one */
		if (ids[i] == 0) {
			aq_problems_add(&problems, index, "station", "no station %s", readings[i].station);
			unknown = true;
		} else if (ids[i] < 0) {
			aq_problems_add(&problems, index, "station", "station %s is deactivated", readings[i].station);
		}
	}
	if (problems.n > 0) {
		result = aq_reply_error(req, unknown ? AQ_ERR_UNKNOWN_STATION : AQ_ERR_FORBIDDEN,
					unknown ? "Unknown station; nothing was stored."
						: "A deactivated station posts nothing; nothing was stored.",
					aq_json_problems(&problems));
		goto out;
	}
	/* Live readings wait for their group's COMMIT with the connection parked: the reply (2xx
	 * only once committed) is written when the group tells it (reply_waited). */
	struct waiting_post *w = calloc(1, sizeof *w);
	if (!w) {
		st = AQ_ERR_INTERNAL;
		goto fail;
	}
	*w = (struct waiting_post){.req = req, .readings = readings, .ids = ids, .st = AQ_ERR_INTERNAL};
	if (aq_ingest_submit(req->app, db, &w->ticket, readings, ids, n, "http", &w->res, &post_sink, w, &st)) {
		readings = NULL; /* the request's now, freed with it */
		ids = NULL;
		result = MHD_YES;
		goto out;
	}
	result = reply_stored(req, st, &w->res);
	free(w);
	goto out;
fail:
	result = aq_reply_error(req, st, NULL, NULL);
out:
	if (db)
		aq_db_release(req->app->pool, db);
	free(codes);
	free(ids);
	free(bad);
	free(readings);
	aq_problems_cleanup(&problems);
	return result;
}

/* from/to: an RFC 3339 instant, or a local date (from = its midnight, to = the end of it). */
static bool parse_bound(const char *s, bool is_to, int64_t *us)
{
	int64_t day;
	const char *problem;
	if (aq_date_parse(s, &day)) {
		*us = aq_local_midnight(day + (is_to ? 1 : 0));
		return true;
	}
	return aq_time_parse_rfc3339(s, us, &problem);
}

static json_t *readings_json(const char *code, const struct aq_stored_reading *rows, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, aq_json_reading(code, &rows[i].r, rows[i].received_us));
	return arr;
}

enum MHD_Result aq_handle_readings_list(struct aq_request *req)
{
	const char *from_s = aq_request_query(req, "from"), *to_s = aq_request_query(req, "to");
	const char *limit_s = aq_request_query(req, "limit"), *cursor = aq_request_query(req, "cursor");
	const char *format = aq_request_query(req, "format");
	int64_t from = INT64_MIN, to = INT64_MAX, after = INT64_MIN;
	long limit = 1000;
	struct aq_station s;
	struct aq_stored_reading *rows = NULL;
	size_t n = 0;
	enum MHD_Result result;
	char *end;

	if (from_s && !parse_bound(from_s, false, &from))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "from must be a date or an RFC 3339 timestamp.",
				      NULL);
	if (to_s && !parse_bound(to_s, true, &to))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "to must be a date or an RFC 3339 timestamp.",
				      NULL);
	if (limit_s && ((limit = strtol(limit_s, &end, 10)) < 1 || limit > 10000 || *end))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "limit must be an integer from 1 to 10000.", NULL);
	if (cursor && (cursor[0] != 'c' || (after = strtoll(cursor + 1, &end, 10), *end != '\0' || end == cursor + 1)))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "cursor is not one this server gave.", NULL);
	if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "format must be json or csv.", NULL);
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_station_get(db, req->params[0], &s);
	if (st == AQ_OK)
		st = aq_db_readings_list(db, s.id, from, to, after, (int)limit + 1, &rows, &n);
	aq_db_release(req->app->pool, db);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);

	char next[32] = "";
	if (n > (size_t)limit) {
		n = (size_t)limit;
		snprintf(next, sizeof next, "c%" PRId64, rows[n - 1].r.observed_us);
	}
	if (format && strcmp(format, "csv") == 0) {
		struct aq_csv csv;
		aq_csv_init(&csv);
		const char *lang = aq_request_query(req, "lang");
		aq_csv_readings(&csv, s.code, rows, n, lang && strcmp(lang, "en") == 0);
		free(rows);
		snprintf(req->download, sizeof req->download, "readings-%s.csv", s.code);
		return aq_reply_csv(req, &csv, next[0] ? next : NULL);
	}
	json_t *body = json_pack("{s:s, s:o, s:o}", "station", s.code, "readings", readings_json(s.code, rows, n),
				 "next", next[0] ? json_string(next) : json_null());
	free(rows);
	return aq_reply_json(req, MHD_HTTP_OK, body);
}
