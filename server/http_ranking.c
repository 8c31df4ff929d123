/* http_ranking.c — /api/v1/ranking/{today,latest,YYYY-MM-DD}, re-finalization, the campaign
 * summary, the interview list, and a station's hourly and daily views. Handlers parse, ask the
 * day service (day.c) for the day, and reply through the JSON and CSV writers. */
#include "http_internal.h"
#include "aq_clock.h"
#include "aq_csv.h"
#include "aq_day.h"
#include "aq_json_ranking.h"
#include "aq_periods.h"
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
	if (r.csv) {
		char date[11];
		aq_date_format(day, date);
		snprintf(req->download, sizeof req->download, "ranking-%s.csv", date);
	}
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

static bool parse_range(struct aq_request *req, int64_t *from, int64_t *to, int max_days, bool required,
			int64_t default_to, const char **problem);
static bool parse_month(struct aq_request *req, int64_t *from);
static bool parse_year(struct aq_request *req, int64_t *from);

/* ---- period rankings: month, year, to date, campaign; a day by unit ---- */

/* metric, by, pollutants, baseline of a period request into q (its kind and days set). */
static enum aq_status parse_period_query(struct aq_request *req, struct aq_period_query *q, const char **problem)
{
	const struct aq_config *cfg = req->app->cfg;
	const char *metric = aq_request_query(req, "metric"), *by = aq_request_query(req, "by");
	const char *pollutants = aq_request_query(req, "pollutants"), *baseline = aq_request_query(req, "baseline");
	int y, m, d;
	/* Periods rank by the composite index, as the provincial notices do; a day keeps its metric. */
	q->metric = AQ_PM_COMPOSITE;
	if (q->kind == AQ_PERIOD_DAY)
		aq_period_metric_from_name(aq_metric_name((enum aq_metric)cfg->metric), &q->metric);
	q->by_unit = cfg->interview_by == 1;
	q->pollutants = cfg->composite_mask;
	aq_civil_from_days(q->from, &y, &m, &d);
	q->baseline_year = y - 1;
	if (metric && !aq_period_metric_from_name(metric, &q->metric)) {
		*problem = "metric must be one of " AQ_PERIOD_METRIC_NAMES ".";
		return AQ_ERR_INVALID_PARAMETER;
	}
	if (by && strcmp(by, "station") != 0 && strcmp(by, "unit") != 0) {
		*problem = "by must be station or unit.";
		return AQ_ERR_INVALID_PARAMETER;
	}
	if (by)
		q->by_unit = strcmp(by, "unit") == 0;
	if (pollutants && (!aq_pollutant_mask_parse(pollutants, &q->pollutants) || !q->pollutants)) {
		*problem = "pollutants must be a comma list of pm25, pm10, so2, no2, co, o3.";
		return AQ_ERR_INVALID_PARAMETER;
	}
	if (baseline) {
		char *end;
		long year = strtol(baseline, &end, 10);
		if (end == baseline || *end || year < 2000 || year >= y) {
			*problem = "baseline must be a year before the period's (e.g. 2025).";
			return AQ_ERR_INVALID_PARAMETER;
		}
		q->baseline_year = (int)year;
	}
	return AQ_OK;
}

/* CSV headers and words in English with ?lang=en, Chinese otherwise (as the dashboard). */
static bool english_csv(struct aq_request *req)
{
	const char *lang = aq_request_query(req, "lang");
	return lang && strcmp(lang, "en") == 0;
}

/* ranking-2026-11-27-unit.csv, ranking-2026-11.csv, ranking-2026.csv, ranking-2026-11-01-to-2026-11-30.csv:
 * the period, and the subject when it is the streets. */
static void period_file_name(const struct aq_period_query *q, char *out, size_t size)
{
	char from[11], to[11], span[32];
	aq_date_format(q->from, from);
	aq_date_format(q->to, to);
	if (q->kind == AQ_PERIOD_DAY)
		snprintf(span, sizeof span, "%s", from);
	else if (q->kind == AQ_PERIOD_MONTH)
		snprintf(span, sizeof span, "%.7s", from);
	else if (q->kind == AQ_PERIOD_YEAR)
		snprintf(span, sizeof span, "%.4s", from);
	else
		snprintf(span, sizeof span, "%s-to-%s", from, to);
	snprintf(out, size, "ranking-%s%s.csv", span, q->by_unit ? "-unit" : "");
}

static enum MHD_Result reply_period(struct aq_request *req, struct aq_period_query *q)
{
	const char *problem = NULL, *format = aq_request_query(req, "format");
	struct aq_period_result r;
	if (format && strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "format must be json or csv.", NULL);
	enum aq_status st = parse_period_query(req, q, &problem);
	int64_t mark = aq_monotonic_us();
	if (st == AQ_OK)
		st = aq_period_build(req->app, q, &r, &problem);
	else
		memset(&r, 0, sizeof r);
	snprintf(req->server_timing, sizeof req->server_timing, "compute;dur=%.1f",
		 (double)(aq_monotonic_us() - mark) / 1000.0);
	enum MHD_Result result;
	if (st != AQ_OK) {
		result = aq_reply_error(req, st, problem, NULL);
	} else if (format && strcmp(format, "csv") == 0) {
		struct aq_csv csv;
		aq_csv_init(&csv);
		aq_csv_period(&csv, &r, english_csv(req));
		period_file_name(q, req->download, sizeof req->download);
		result = aq_reply_csv(req, &csv, NULL);
	} else {
		result = aq_reply_json(req, MHD_HTTP_OK, aq_json_period(&r));
	}
	aq_period_cleanup(&r);
	return result;
}

enum MHD_Result aq_handle_ranking_month(struct aq_request *req)
{
	struct aq_period_query q = {.kind = AQ_PERIOD_MONTH};
	if (!parse_month(req, &q.from))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "The month must be YYYY-MM.", NULL);
	q.to = aq_period_last_day(AQ_PERIOD_MONTH, q.from);
	return reply_period(req, &q);
}

enum MHD_Result aq_handle_ranking_year(struct aq_request *req)
{
	struct aq_period_query q = {.kind = AQ_PERIOD_YEAR};
	if (!parse_year(req, &q.from))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "The year must be YYYY.", NULL);
	q.to = aq_period_last_day(AQ_PERIOD_YEAR, q.from);
	return reply_period(req, &q);
}

/* POST /api/v1/ranking/month/{m}/finalize and …/year/{y}/finalize (admin): keep the period's
 * values from its days now, or again. */
static enum MHD_Result finalize_period(struct aq_request *req, enum aq_period_kind kind, int64_t from)
{
	bool done = false;
	enum aq_status st = aq_period_finalize(req->app, kind, from, true, &done);
	if (st == AQ_ERR_CONFLICT)
		return aq_reply_error(req, st, "A period can be finalized once it is over.", NULL);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	if (!done)
		return aq_reply_error(req, AQ_ERR_CONFLICT, "Another daemon is finalizing that period; retry.", NULL);
	struct aq_period_query q = {.kind = kind, .from = from, .to = aq_period_last_day(kind, from)};
	return reply_period(req, &q);
}

static bool parse_month(struct aq_request *req, int64_t *from)
{
	int y, m, n = 0;
	const char *p = req->params[0];
	if (strlen(p) != 7 || sscanf(p, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 || m < 1 || m > 12 || y < 2000)
		return false;
	*from = aq_days_from_civil(y, m, 1);
	return true;
}

static bool parse_year(struct aq_request *req, int64_t *from)
{
	int y, n = 0;
	const char *p = req->params[0];
	if (strlen(p) != 4 || sscanf(p, "%4d%n", &y, &n) != 1 || n != 4 || y < 2000)
		return false;
	*from = aq_days_from_civil(y, 1, 1);
	return true;
}

enum MHD_Result aq_handle_period_finalize_month(struct aq_request *req)
{
	int64_t from;
	if (!parse_month(req, &from))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "The month must be YYYY-MM.", NULL);
	return finalize_period(req, AQ_PERIOD_MONTH, from);
}

enum MHD_Result aq_handle_period_finalize_year(struct aq_request *req)
{
	int64_t from;
	if (!parse_year(req, &from))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "The year must be YYYY.", NULL);
	return finalize_period(req, AQ_PERIOD_YEAR, from);
}

enum MHD_Result aq_handle_ranking_month_to_date(struct aq_request *req)
{
	int y, m, d;
	int64_t today = aq_app_today(req->app);
	aq_civil_from_days(today, &y, &m, &d);
	struct aq_period_query q = {.kind = AQ_PERIOD_MONTH_TO_DATE, .from = aq_days_from_civil(y, m, 1), .to = today};
	return reply_period(req, &q);
}

enum MHD_Result aq_handle_ranking_year_to_date(struct aq_request *req)
{
	int y, m, d;
	int64_t today = aq_app_today(req->app);
	aq_civil_from_days(today, &y, &m, &d);
	struct aq_period_query q = {.kind = AQ_PERIOD_YEAR_TO_DATE, .from = aq_days_from_civil(y, 1, 1), .to = today};
	return reply_period(req, &q);
}

enum MHD_Result aq_handle_ranking_campaign(struct aq_request *req)
{
	const char *problem = NULL;
	struct aq_period_query q = {.kind = AQ_PERIOD_CAMPAIGN};
	if (!parse_range(req, &q.from, &q.to, 366, true, 0, &problem))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, problem, NULL);
	return reply_period(req, &q);
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
	const char *by = aq_request_query(req, "by");
	if (!parse_day_param(req, &day))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "The date must be YYYY-MM-DD.", NULL);
	if (by) {
		/* by=unit (streets and townships) or by=station: the assessment ranking of a period of
		 * one day; without by, the day's ranking of the contract. */
		struct aq_period_query q = {.kind = AQ_PERIOD_DAY, .from = day, .to = day};
		return reply_period(req, &q);
	}
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
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "metric must be pm10, pm25, aqi or composite.",
				      NULL);
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
		char a[11], b[11];
		aq_csv_init(&csv);
		aq_csv_interviews(&csv, list, n, english_csv(req));
		free(list);
		if (f.from != INT64_MIN)
			aq_date_format(f.from, a);
		if (f.to != INT64_MAX)
			aq_date_format(f.to, b);
		if (date)
			snprintf(req->download, sizeof req->download, "interviews-%s.csv", a);
		else if (f.from != INT64_MIN || f.to != INT64_MAX)
			snprintf(req->download, sizeof req->download, "interviews-%s-to-%s.csv",
				 f.from != INT64_MIN ? a : "start", f.to != INT64_MAX ? b : "now");
		else
			snprintf(req->download, sizeof req->download, "interviews.csv");
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
	json_object_foreach(req->json, key, value)
	{
		if (strcmp(key, "status") != 0 && strcmp(key, "note") != 0)
			return aq_reply_errorf(req, AQ_ERR_INVALID_PARAMETER,
					       "%.40s is not a field of an interview update.", key);
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
		return aq_reply_errorf(req, st,
				       "The status is %s; it moves only forward (pending → interviewed → rectified).",
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
	return aq_reply_json(
		req, MHD_HTTP_OK,
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
