/* http_ranking.c — /api/v1/ranking/{today,latest,YYYY-MM-DD}, re-finalization, the campaign
 * summary, the interview list, and a station's hourly and daily views. Handlers parse, ask the
 * day service (day.c) for the day, and reply through the JSON and CSV writers. */
#include "http_internal.h"
#include "aq_clock.h"
#include "aq_csv.h"
#include "aq_day.h"
#include "aq_json_ranking.h"
#include "aq_time.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A ranking request's parameters: the day half (metric, ring) and how to serve it. */
static enum aq_status parse_ranking_query(struct aq_request *req, struct aq_day_query *q, struct aq_day_render *r,
					  const char **problem)
{
	const struct aq_config *cfg = req->app->cfg;
	const char *metric = aq_request_query(req, "metric");
	const char *radius = aq_request_query(req, "radius_km");
	const char *format = aq_request_query(req, "format");
	const char *lang = aq_request_query(req, "lang");
	q->metric = (enum aq_metric)cfg->metric;
	q->near = aq_request_query(req, "near");
	q->radius_km = cfg->radius_km;
	r->csv = format && strcmp(format, "csv") == 0;
	r->english = lang && strcmp(lang, "en") == 0;
	r->timezone = cfg->timezone;
	if (metric && !aq_metric_from_name(metric, &q->metric)) {
		*problem = "metric must be pm10, pm25, aqi or composite.";
		return AQ_ERR_INVALID_PARAMETER;
	}
	if (radius) {
		char *end;
		q->radius_km = strtod(radius, &end);
		if (end == radius || *end || !(q->radius_km > 0 && q->radius_km <= 1000)) {
			*problem = "radius_km must be a number above 0 and at most 1000.";
			return AQ_ERR_INVALID_PARAMETER;
		}
	}
	if (format && !r->csv && strcmp(format, "json") != 0) {
		*problem = "format must be json or csv.";
		return AQ_ERR_INVALID_PARAMETER;
	}
	return AQ_OK;
}

static enum MHD_Result reply_day(struct aq_request *req, int64_t day)
{
	struct aq_day_query q;
	struct aq_day_render r;
	struct aq_day d;
	const char *problem = NULL;
	char *body = NULL;
	size_t len = 0;
	enum aq_status st = parse_ranking_query(req, &q, &r, &problem);
	if (st != AQ_OK)
		return aq_reply_error(req, st, problem, NULL);
	q.day = day;
	if (day == aq_app_today(req->app))
		return aq_today_reply(req, &q, &r);
	st = aq_day_build(req->app, &q, &d, &problem);
	int64_t mark = aq_monotonic_us();
	r.now_us = aq_clock_now(&req->app->clock);
	if (st == AQ_OK)
		st = aq_render_day(&d, &r, &body, &len);
	double render_ms = (double)(aq_monotonic_us() - mark) / 1000.0;
	/* Where a computed ranking's time went, for browsers' developer tools and the bench. */
	snprintf(req->server_timing, sizeof req->server_timing, "load;dur=%.1f, rank;dur=%.1f, render;dur=%.1f",
		 d.timing.load_ms, d.timing.rank_ms, render_ms);
	aq_day_cleanup(&d);
	if (st != AQ_OK)
		return aq_reply_error(req, st, problem, NULL);
	return aq_reply_body(req, MHD_HTTP_OK, r.csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
			     body, len, NULL);
}

enum MHD_Result aq_handle_ranking_today(struct aq_request *req)
{
	return reply_day(req, aq_app_today(req->app));
}

enum MHD_Result aq_handle_ranking_latest(struct aq_request *req)
{
	enum MHD_Result result;
	int64_t day;
	bool found;
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_latest_final_day(db, &day, &found);
	aq_db_release(req->app->pool, db);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	if (!found)
		return aq_reply_error(req, AQ_ERR_NO_DATA, "No day has been finalized yet.", NULL);
	return reply_day(req, day);
}

static bool parse_day_param(struct aq_request *req, int64_t *day)
{
	return aq_date_parse(req->params[0], day);
}

enum MHD_Result aq_handle_ranking_day(struct aq_request *req)
{
	int64_t day;
	if (!parse_day_param(req, &day))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "The date must be YYYY-MM-DD.", NULL);
	return reply_day(req, day);
}

enum MHD_Result aq_handle_ranking_finalize(struct aq_request *req)
{
	int64_t day;
	bool done = false;
	if (!parse_day_param(req, &day))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "The date must be YYYY-MM-DD.", NULL);
	if (day >= aq_app_today(req->app))
		return aq_reply_error(req, AQ_ERR_CONFLICT, "A day can be finalized once it is over.", NULL);
	enum aq_status st = aq_day_finalize(req->app, day, true, &done);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	if (!done)
		return aq_reply_error(req, AQ_ERR_CONFLICT, "Another daemon is finalizing that day; retry.", NULL);
	return reply_day(req, day);
}

/* Parses from/to dates; both required, to ≥ from, at most max_days days. */
static bool parse_range(struct aq_request *req, int64_t *from, int64_t *to, int max_days, bool required,
			int64_t default_to, const char **problem)
{
	const char *f = aq_request_query(req, "from"), *t = aq_request_query(req, "to");
	if (required && (!f || !t)) {
		*problem = "from and to (YYYY-MM-DD) are required.";
		return false;
	}
	*to = default_to;
	*from = default_to - 29;
	if ((f && !aq_date_parse(f, from)) || (t && !aq_date_parse(t, to))) {
		*problem = "from and to must be dates YYYY-MM-DD.";
		return false;
	}
	if (f && !t)
		*to = *from + 29 < default_to ? *from + 29 : default_to;
	if (t && !f)
		*from = *to - 29;
	if (*to < *from || *to - *from + 1 > max_days) {
		*problem = max_days == 366 ? "to must not be before from, and the range at most 366 days."
					   : "to must not be before from, and the range not too long.";
		return false;
	}
	return true;
}

enum MHD_Result aq_handle_ranking_summary(struct aq_request *req)
{
	const char *problem = NULL, *metric_s = aq_request_query(req, "metric");
	enum aq_metric metric = (enum aq_metric)req->app->cfg->metric;
	struct aq_day_summary sum;
	int64_t from, to;

	if (!parse_range(req, &from, &to, 366, true, 0, &problem))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, problem, NULL);
	if (metric_s && !aq_metric_from_name(metric_s, &metric))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "metric must be pm10, pm25, aqi or composite.", NULL);
	enum aq_status st = aq_day_summary(req->app, from, to, metric, &sum);
	enum MHD_Result result = st == AQ_OK ? aq_reply_json(req, MHD_HTTP_OK, aq_json_day_summary(&sum))
					     : aq_reply_error(req, st, NULL, NULL);
	aq_day_summary_cleanup(&sum);
	return result;
}

enum MHD_Result aq_handle_interviews_list(struct aq_request *req)
{
	struct aq_interview_filter f = {INT64_MIN, INT64_MAX, NULL, -1, 10000};
	const char *date = aq_request_query(req, "date"), *from = aq_request_query(req, "from");
	const char *to = aq_request_query(req, "to"), *status = aq_request_query(req, "status");
	const char *format = aq_request_query(req, "format");
	struct aq_interview *list = NULL;
	size_t n = 0;
	enum MHD_Result result;

	if (date && !aq_date_parse(date, &f.from))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "date must be YYYY-MM-DD.", NULL);
	if (date)
		f.to = f.from;
	if ((from && !aq_date_parse(from, &f.from)) || (to && !aq_date_parse(to, &f.to)))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "from and to must be YYYY-MM-DD.", NULL);
	if (status && !aq_interview_status_from_name(status, &f.status))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER,
				      "status must be pending, interviewed or rectified.", NULL);
	if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "format must be json or csv.", NULL);
	f.station = aq_request_query(req, "station");
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_interviews_list(db, &f, &list, &n);
	aq_db_release(req->app->pool, db);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	if (format && strcmp(format, "csv") == 0) {
		struct aq_csv csv;
		aq_csv_init(&csv);
		aq_csv_interviews(&csv, list, n);
		free(list);
		return aq_reply_csv(req, &csv, NULL);
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, aq_json_interview(&list[i], true));
	free(list);
	return aq_reply_json(req, MHD_HTTP_OK, json_pack("{s:o}", "interviews", arr));
}

enum MHD_Result aq_handle_interview_patch(struct aq_request *req)
{
	char *end;
	long long id = strtoll(req->params[0], &end, 10);
	struct aq_interview iv;
	enum MHD_Result result;
	int status;
	if (*end || id <= 0)
		return aq_reply_error(req, AQ_ERR_NOT_FOUND, "No such interview entry.", NULL);
	if (!json_is_object(req->json))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "Send {\"status\": …, \"note\": …}.", NULL);
	const char *status_s = json_string_value(json_object_get(req->json, "status"));
	json_t *note_j = json_object_get(req->json, "note");
	const char *key;
	json_t *value;
	json_object_foreach(req->json, key, value) {
		if (strcmp(key, "status") != 0 && strcmp(key, "note") != 0)
			return aq_reply_errorf(req, AQ_ERR_INVALID_PARAMETER, "%.40s is not a field of an interview update.", key);
	}
	if (!status_s || !aq_interview_status_from_name(status_s, &status))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER,
				      "status must be pending, interviewed or rectified.", NULL);
	if (note_j && !json_is_string(note_j))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "note must be a string.", NULL);
	if (note_j && strlen(json_string_value(note_j)) >= sizeof iv.note)
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "note is too long.", NULL);
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_interview_patch(db, id, status, note_j ? json_string_value(note_j) : NULL, &iv);
	aq_db_release(req->app->pool, db);
	if (st == AQ_ERR_CONFLICT)
		return aq_reply_errorf(req, st, "The status is %s; it moves only forward (pending → interviewed → rectified).",
				       aq_interview_status_name(iv.status));
	if (st != AQ_OK)
		return aq_reply_error(req, st, st == AQ_ERR_NOT_FOUND ? "No such interview entry." : NULL, NULL);
	aq_app_note_write(req->app);
	return aq_reply_json(req, MHD_HTTP_OK, aq_json_interview(&iv, true));
}

enum MHD_Result aq_handle_station_hourly(struct aq_request *req)
{
	const char *date = aq_request_query(req, "date");
	const char *lang = aq_request_query(req, "lang");
	int64_t day = aq_app_today(req->app);
	struct aq_station s;
	struct aq_hourly hours[24];
	int readings[24];
	const struct aq_aqi_standard *standard;
	if (date && !aq_date_parse(date, &day))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "date must be YYYY-MM-DD.", NULL);
	enum aq_status st = aq_day_station_hours(req->app, req->params[0], day, &s, hours, readings, &standard);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	return aq_reply_json(req, MHD_HTTP_OK,
			     aq_json_station_hours(&s, day, hours, readings, standard, lang && strcmp(lang, "en") == 0));
}

enum MHD_Result aq_handle_station_daily(struct aq_request *req)
{
	const char *problem = NULL, *lang = aq_request_query(req, "lang");
	int64_t today = aq_app_today(req->app), from, to;
	struct aq_station s;
	struct aq_station_day *days = NULL;
	size_t n = 0;
	if (!parse_range(req, &from, &to, 366, false, today, &problem))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, problem, NULL);
	if (to > today)
		to = today;
	if (from > to)
		from = to;
	enum aq_status st = aq_day_station_series(req->app, req->params[0], from, to, &s, &days, &n);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	json_t *body = aq_json_station_series(&s, from, to, days, n, lang && strcmp(lang, "en") == 0);
	free(days);
	return aq_reply_json(req, MHD_HTTP_OK, body);
}
