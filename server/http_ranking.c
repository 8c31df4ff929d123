/* http_ranking.c — /api/v1/ranking/{today,latest,YYYY-MM-DD}, re-finalization, the campaign
 * summary, the interview list, and a station's hourly and daily views. Handlers parse, ask the
 * DB layer for a day view, let the pure dayview rank it, and reply. */
#include "http_internal.h"
#include "aq_clock.h"
#include "aq_csv.h"
#include "aq_dayview.h"
#include "aq_finalize.h"
#include "aq_json_ranking.h"
#include "aq_time.h"
#include "aq_today.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The query parameters of a ranking request. */
struct ranking_query {
	enum aq_metric metric;
	const char *near;
	double radius_km;
	bool csv;
	bool english;
};

static enum aq_status parse_ranking_query(struct aq_request *req, struct ranking_query *q,
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
	q->csv = format && strcmp(format, "csv") == 0;
	q->english = lang && strcmp(lang, "en") == 0;
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
	if (format && !q->csv && strcmp(format, "json") != 0) {
		*problem = "format must be json or csv.";
		return AQ_ERR_INVALID_PARAMETER;
	}
	return AQ_OK;
}

/* Everything needed to answer for one day; released by day_cleanup. */
struct day_answer {
	struct aq_dayview view;
	struct aq_day_ranking ranking;
	struct aq_interview *interview;
	size_t n_interview;
	bool interview_stored;
};

static void day_cleanup(struct day_answer *a)
{
	aq_day_ranking_cleanup(&a->ranking);
	aq_dayview_cleanup(&a->view);
	free(a->interview);
}

static const struct aq_aqi_standard *standard_of(int64_t day)
{
	int y, m, d;
	aq_civil_from_days(day, &y, &m, &d);
	return aq_aqi_standard_for_date(y, m, d);
}

static double ms_since(int64_t start_us)
{
	return (double)(aq_monotonic_us() - start_us) / 1000.0;
}

/* Loads and ranks day (live or from its snapshot). *problem explains a 4xx. */
static enum aq_status build_day(struct aq_app *app, struct aq_db *db, int64_t day,
				const struct ranking_query *q, struct day_answer *a, const char **problem,
				struct aq_ranking_timing *timing)
{
	int64_t mark;
	const struct aq_config *cfg = app->cfg;
	struct aq_dayview *v = &a->view;
	struct aq_day_info info;
	int64_t now = aq_clock_now(&app->clock), today;
	int hour;
	enum aq_status st;

	memset(a, 0, sizeof *a);
	aq_local_of(now, &today, &hour, NULL);
	if (day > today) {
		*problem = "That day has not begun.";
		return AQ_ERR_NO_DATA;
	}
	if ((st = aq_db_day_info(db, day, &info)) != AQ_OK)
		return st;
	if (day < today && !info.exists) {
		*problem = "There are no readings for that day.";
		return AQ_ERR_NO_DATA;
	}
	v->day = day;
	v->is_today = day == today;
	v->hours_elapsed = v->is_today ? hour + 1 : 24;
	v->metric = (enum aq_metric)cfg->metric;
	v->policy = (enum aq_insufficient_policy)cfg->insufficient;
	v->interview_count = cfg->interview_count;
	v->min_hours = cfg->min_hours;
	v->composite_mask = cfg->composite_mask;
	if (info.final) {
		/* A finalized day is judged by the rules it was finalized with. */
		v->final = true;
		v->finalized_us = info.finalized_us;
		v->late_readings = info.late_readings;
		v->min_hours = info.min_hours;
		v->composite_mask = info.composite_mask;
		v->interview_count = info.interview_count;
		aq_metric_from_name(info.metric, &v->metric);
		aq_insufficient_policy_from_name(info.insufficient, &v->policy);
		snprintf(v->rule_version, sizeof v->rule_version, "%s", info.rule_version);
		st = aq_db_day_load_snapshot(db, v, standard_of(day));
	} else {
		aq_rule_version(standard_of(day)->name, v->min_hours, v->rule_version);
		st = aq_db_day_load_live(db, v);
		mark = aq_monotonic_us();
		if (st == AQ_OK)
			aq_dayview_compute(v, standard_of(day));
		timing->rank_ms += ms_since(mark);
	}
	if (st != AQ_OK)
		return st;

	size_t center = SIZE_MAX;
	if (q->near) {
		for (size_t i = 0; i < v->n; i++)
			if (strcmp(v->stations[i].station.code, q->near) == 0)
				center = i;
		if (center == SIZE_MAX) {
			*problem = "near names no station of that day.";
			return AQ_ERR_UNKNOWN_STATION;
		}
		if (v->stations[center].station.kind != AQ_KIND_NATIONAL) {
			*problem = "near must name a national point.";
			return AQ_ERR_INVALID_PARAMETER;
		}
	}
	mark = aq_monotonic_us();
	int ranked = aq_dayview_rank(v, q->metric, v->policy, v->interview_count, center, q->radius_km, &a->ranking);
	timing->rank_ms += ms_since(mark);
	if (ranked != 0)
		return AQ_ERR_INTERNAL;

	/* The stored list is the one officials act on; any other view shows what the rule gives. */
	if (v->final && q->metric == v->metric && !q->near) {
		struct aq_interview_filter f = {day, day, NULL, -1, 10000};
		a->interview_stored = true;
		return aq_db_interviews_list(db, &f, &a->interview, &a->n_interview);
	}
	size_t n = a->ranking.r.n_interview;
	a->interview = calloc(n ? n : 1, sizeof *a->interview);
	int *ids = calloc(n ? n : 1, sizeof *ids), *streaks = calloc(n ? n : 1, sizeof *streaks);
	if (!a->interview || !ids || !streaks) {
		free(ids);
		free(streaks);
		return AQ_ERR_INTERNAL;
	}
	aq_dayview_interviews(v, &a->ranking, a->interview);
	a->n_interview = n;
	for (size_t i = 0; i < n; i++)
		ids[i] = a->interview[i].station_id;
	st = aq_db_interview_streaks(db, day - 1, ids, n, streaks);
	for (size_t i = 0; i < n; i++)
		a->interview[i].consecutive_days = streaks[i] + 1;
	free(ids);
	free(streaks);
	return st;
}

/* Serializes a day answer as JSON or CSV into *body (malloc'd). */
static enum aq_status render_day(struct aq_app *app, const struct day_answer *a,
				 const struct ranking_query *q, char **body, size_t *len, bool *is_csv)
{
	*is_csv = q->csv;
	if (q->csv) {
		struct aq_csv csv;
		aq_csv_init(&csv);
		aq_csv_day_ranking(&csv, &a->view, &a->ranking);
		if (csv.oom) {
			aq_csv_cleanup(&csv);
			return AQ_ERR_INTERNAL;
		}
		*body = csv.text;
		*len = csv.len;
		return AQ_OK;
	}
	struct aq_ranking_meta meta = {
		.timezone = app->cfg->timezone,
		/* A final day's reply is the same until it is re-finalized: stamping it with its
		 * finalization keeps the body (and so the ETag) stable, and polls get 304. */
		.generated_us = a->view.final ? a->view.finalized_us : aq_clock_now(&app->clock),
		.policy = a->view.policy,
		.english = q->english,
		.interview = a->interview,
		.n_interview = a->n_interview,
		.interview_stored = a->interview_stored,
	};
	json_t *o = aq_json_day_ranking(&a->view, &a->ranking, &meta);
	*body = o ? json_dumps(o, AQ_JSON_DUMP_FLAGS) : NULL;
	json_decref(o);
	if (!*body)
		return AQ_ERR_INTERNAL;
	*len = strlen(*body);
	return AQ_OK;
}

enum aq_status aq_ranking_render(struct aq_app *app, int64_t day, const struct aq_ranking_params *p,
				 char **body, size_t *len, bool *is_csv, const char **problem,
				 struct aq_ranking_timing *timing)
{
	struct aq_ranking_timing unused;
	struct day_answer a;
	struct ranking_query q = {p->metric, p->near, p->radius_km, p->csv, p->english};
	enum aq_status st;
	struct aq_db *db = aq_app_db(app, &st);
	*problem = NULL;
	if (!db)
		return st;
	if (!timing)
		timing = &unused;
	*timing = (struct aq_ranking_timing){0};
	int64_t start = aq_monotonic_us();
	/* Live readings still waiting to be folded belong in the day. */
	st = aq_db_fold(db, NULL);
	if (st != AQ_OK) {
		aq_db_release(app->pool, db);
		return st;
	}
	st = build_day(app, db, day, &q, &a, problem, timing);
	aq_db_release(app->pool, db);
	/* Everything in build_day that is not ranking is the database's. */
	timing->load_ms = ms_since(start) - timing->rank_ms;
	start = aq_monotonic_us();
	if (st == AQ_OK)
		st = render_day(app, &a, &q, body, len, is_csv);
	timing->render_ms = ms_since(start);
	day_cleanup(&a);
	return st;
}

static enum MHD_Result reply_day(struct aq_request *req, int64_t day)
{
	struct ranking_query q;
	const char *problem = NULL;
	char *body = NULL;
	size_t len = 0;
	bool is_csv;
	enum aq_status st = parse_ranking_query(req, &q, &problem);
	if (st != AQ_OK)
		return aq_reply_error(req, st, problem, NULL);
	struct aq_ranking_params p = {q.metric, q.near, q.radius_km, q.csv, q.english};
	if (day == aq_app_today(req->app))
		return aq_today_reply(req, &p);
	struct aq_ranking_timing t;
	st = aq_ranking_render(req->app, day, &p, &body, &len, &is_csv, &problem, &t);
	if (st != AQ_OK)
		return aq_reply_error(req, st, problem, NULL);
	/* Where a computed ranking's time went, for browsers' developer tools and the bench. */
	snprintf(req->server_timing, sizeof req->server_timing, "load;dur=%.1f, rank;dur=%.1f, render;dur=%.1f",
		 t.load_ms, t.rank_ms, t.render_ms);
	return aq_reply_body(req, MHD_HTTP_OK, is_csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
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
	enum MHD_Result result;
	struct aq_day_info info;
	bool done = false;
	if (!parse_day_param(req, &day))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "The date must be YYYY-MM-DD.", NULL);
	if (day >= aq_app_today(req->app))
		return aq_reply_error(req, AQ_ERR_CONFLICT, "A day can be finalized once it is over.", NULL);
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_day_info(db, day, &info);
	if (st == AQ_OK && !info.exists)
		st = AQ_ERR_NO_DATA;
	if (st == AQ_OK)
		st = aq_finalize_day(req->app, db, day, true, &done);
	aq_db_release(req->app->pool, db);
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

struct summary_station {
	int id;
	char code[AQ_CODE_MAX + 1];
	char name[256];
	char unit[256];
};

enum MHD_Result aq_handle_ranking_summary(struct aq_request *req)
{
	const char *problem = NULL, *metric_s = aq_request_query(req, "metric");
	enum aq_metric metric = (enum aq_metric)req->app->cfg->metric;
	int64_t from, to, *days = NULL;
	size_t n_days = 0, n_st = 0, n_rec = 0, cap_rec = 0, n_iv = 0;
	struct summary_station *sts = NULL;
	struct aq_summary_day *rec = NULL;
	struct aq_interview *ivs = NULL;
	struct aq_summary sum = {0};
	enum MHD_Result result;
	enum aq_status st = AQ_OK;

	if (!parse_range(req, &from, &to, 366, true, 0, &problem))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, problem, NULL);
	if (metric_s && !aq_metric_from_name(metric_s, &metric))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "metric must be pm10, pm25, aqi or composite.", NULL);
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	struct aq_interview_filter f = {from, to, NULL, -1, 1000000};
	st = aq_db_final_days(db, from, to, &days, &n_days);
	if (st == AQ_OK)
		st = aq_db_interviews_list(db, &f, &ivs, &n_iv);
	for (size_t d = 0; st == AQ_OK && d < n_days; d++) {
		struct aq_day_info info;
		struct aq_dayview v = {0};
		struct aq_day_ranking dr;
		memset(&dr, 0, sizeof dr);
		if ((st = aq_db_day_info(db, days[d], &info)) != AQ_OK)
			break;
		v.day = days[d];
		v.composite_mask = info.composite_mask;
		enum aq_insufficient_policy policy = AQ_INSUFFICIENT_SEPARATE;
		aq_insufficient_policy_from_name(info.insufficient, &policy);
		st = aq_db_day_load_snapshot(db, &v, standard_of(days[d]));
		if (st == AQ_OK && aq_dayview_rank(&v, metric, policy, info.interview_count, SIZE_MAX,
						   req->app->cfg->radius_km, &dr) != 0)
			st = AQ_ERR_INTERNAL;
		/* One record per ranked station-day. */
		for (size_t e = 0; st == AQ_OK && e < dr.n_entries; e++) {
			const struct aq_day_station *s = &v.stations[dr.entry_station[e]];
			size_t k;
			for (k = 0; k < n_st && sts[k].id != s->station.id; k++)
				;
			if (k == n_st) {
				struct summary_station *grown = realloc(sts, (n_st + 1) * sizeof *sts);
				if (!grown) {
					st = AQ_ERR_INTERNAL;
					break;
				}
				sts = grown;
				sts[n_st].id = s->station.id;
				snprintf(sts[n_st].code, sizeof sts[n_st].code, "%s", s->station.code);
				snprintf(sts[n_st].name, sizeof sts[n_st].name, "%s", s->station.name);
				snprintf(sts[n_st].unit, sizeof sts[n_st].unit, "%s", s->station.unit);
				n_st++;
			}
			if (n_rec == cap_rec) {
				cap_rec = cap_rec ? cap_rec * 2 : 256;
				struct aq_summary_day *grown = realloc(rec, cap_rec * sizeof *rec);
				if (!grown) {
					st = AQ_ERR_INTERNAL;
					break;
				}
				rec = grown;
			}
			struct aq_summary_day *r = &rec[n_rec++];
			memset(r, 0, sizeof *r);
			r->station = k;
			r->day = (int)days[d];
			bool has_tie;
			double tie;
			int hours;
			aq_metric_value(&s->daily, metric, &r->valid, &r->value, &tie, &has_tie, &hours);
			r->insufficient = !r->valid;
			for (size_t row = 0; row < dr.r.n_rows; row++)
				if (dr.r.rows[row].entry == e && !dr.r.rows[row].insufficient)
					r->rank = dr.r.rows[row].rank;
			/* Interview days are the summons that happened: the stored lists. */
			for (size_t i = 0; i < n_iv; i++)
				if (ivs[i].day == days[d] && ivs[i].station_id == s->station.id)
					r->interviewed = true;
		}
		aq_day_ranking_cleanup(&dr);
		aq_dayview_cleanup(&v);
	}
	aq_db_release(req->app->pool, db);
	const char **codes = calloc(n_st ? n_st : 1, sizeof *codes);
	if (st == AQ_OK && !codes)
		st = AQ_ERR_INTERNAL;
	for (size_t k = 0; codes && k < n_st; k++)
		codes[k] = sts[k].code;
	if (st == AQ_OK && aq_summary_compute(rec, n_rec, n_st, codes, metric, &sum) != 0)
		st = AQ_ERR_INTERNAL;
	if (st != AQ_OK) {
		result = aq_reply_error(req, st, NULL, NULL);
		goto out;
	}
	char a[11], b[11];
	aq_date_format(from, a);
	aq_date_format(to, b);
	int decimals = aq_metric_decimals(metric);
	json_t *list = json_array();
	for (size_t i = 0; i < sum.n_stations; i++) {
		size_t k = sum.order[i];
		const struct aq_summary_station *s = &sum.stations[k];
		json_t *o = json_object();
		json_object_set_new(o, "station", json_string(sts[k].code));
		json_object_set_new(o, "name", json_string(sts[k].name));
		json_object_set_new(o, "unit", json_string(sts[k].unit));
		json_object_set_new(o, "days_valid", json_integer(s->days_valid));
		json_object_set_new(o, "days_insufficient", json_integer(s->days_insufficient));
		json_object_set_new(o, "mean_value", s->has_mean ? aq_json_number(s->mean_value, decimals) : json_null());
		json_object_set_new(o, "rank", s->rank ? json_integer(s->rank) : json_null());
		json_object_set_new(o, "best_rank", s->best_rank ? json_integer(s->best_rank) : json_null());
		json_object_set_new(o, "worst_rank", s->worst_rank ? json_integer(s->worst_rank) : json_null());
		json_object_set_new(o, "interview_days", json_integer(s->interview_days));
		json_object_set_new(o, "longest_streak", json_integer(s->longest_streak));
		json_array_append_new(list, o);
	}
	result = aq_reply_json(req, MHD_HTTP_OK,
			       json_pack("{s:s, s:s, s:s, s:I, s:o}", "from", a, "to", b, "metric",
					 aq_metric_name(metric), "days_finalized", (json_int_t)n_days, "stations", list));
out:
	aq_summary_cleanup(&sum);
	free(codes);
	free(ivs);
	free(rec);
	free(sts);
	free(days);
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
	bool english = lang && strcmp(lang, "en") == 0;
	int64_t day = aq_app_today(req->app);
	struct aq_station s;
	struct aq_hour_sums hours[24];
	int readings[24];
	enum MHD_Result result;
	if (date && !aq_date_parse(date, &day))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "date must be YYYY-MM-DD.", NULL);
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	/* Live readings still waiting to be folded belong in these hours. */
	enum aq_status st = aq_db_fold(db, NULL);
	if (st == AQ_OK)
		st = aq_db_station_get(db, req->params[0], &s);
	if (st == AQ_OK)
		st = aq_db_station_hours(db, s.id, day, day, hours, readings);
	aq_db_release(req->app->pool, db);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	json_t *arr = json_array();
	int64_t midnight = aq_local_midnight(day);
	for (int h = 0; h < 24; h++) {
		struct aq_hourly hv;
		char start[40];
		aq_hourly_compute(&hours[h], s.interval_s, standard_of(day), &hv);
		json_t *o = aq_json_hourly_values(&hv, english);
		aq_local_format(midnight + (int64_t)h * 3600 * AQ_US_PER_SEC, start, sizeof start);
		json_object_set_new(o, "hour", json_integer(h));
		json_object_set_new(o, "start", json_string(start));
		json_object_set_new(o, "readings", json_integer(readings[h]));
		json_array_append_new(arr, o);
	}
	char d[11];
	aq_date_format(day, d);
	return aq_reply_json(req, MHD_HTTP_OK,
			     json_pack("{s:s, s:s, s:i, s:i, s:o}", "station", s.code, "date", d, "interval_s",
				       s.interval_s, "min_readings_per_hour", aq_hour_min_readings(s.interval_s),
				       "hours", arr));
}

enum MHD_Result aq_handle_station_daily(struct aq_request *req)
{
	const char *problem = NULL, *lang = aq_request_query(req, "lang");
	bool english = lang && strcmp(lang, "en") == 0;
	struct aq_app *app = req->app;
	int64_t today = aq_app_today(app), from, to;
	struct aq_station s;
	enum MHD_Result result;
	if (!parse_range(req, &from, &to, 366, false, today, &problem))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, problem, NULL);
	if (to > today)
		to = today;
	if (from > to)
		from = to;
	size_t n_days = (size_t)(to - from + 1);
	struct aq_hour_sums *hours = calloc(n_days * 24, sizeof *hours);
	int *readings = calloc(n_days * 24, sizeof *readings);
	if (!hours || !readings) {
		free(hours);
		free(readings);
		return aq_reply_error(req, AQ_ERR_INTERNAL, NULL, NULL);
	}
	struct aq_db *db = aq_request_db(req, &result);
	if (!db) {
		free(hours);
		free(readings);
		return result;
	}
	json_t *arr = json_array();
	enum aq_status st = aq_db_fold(db, NULL);
	if (st == AQ_OK)
		st = aq_db_station_get(db, req->params[0], &s);
	if (st == AQ_OK)
		st = aq_db_station_hours(db, s.id, from, to, hours, readings);
	for (int64_t day = from; st == AQ_OK && day <= to; day++) {
		struct aq_day_info info;
		struct aq_dayview v;
		memset(&v, 0, sizeof v);
		if ((st = aq_db_day_info(db, day, &info)) != AQ_OK)
			break;
		const struct aq_daily *daily = NULL;
		struct aq_daily live;
		int n_readings = 0;
		size_t base = (size_t)(day - from) * 24;
		for (int h = 0; h < 24; h++)
			n_readings += readings[base + (size_t)h];
		if (info.final) {
			/* The values officials saw: the snapshot. */
			v.day = day;
			v.composite_mask = info.composite_mask;
			st = aq_db_day_load_snapshot(db, &v, standard_of(day));
			for (size_t i = 0; st == AQ_OK && i < v.n; i++)
				if (v.stations[i].station.id == s.id)
					daily = &v.stations[i].daily;
		}
		if (st == AQ_OK && !daily && (info.exists || day == today)) {
			int hour = 23;
			struct aq_day_rules rules = {s.interval_s, app->cfg->min_hours, 14, app->cfg->composite_mask,
						     standard_of(day)};
			if (day == today) {
				aq_local_of(aq_clock_now(&app->clock), NULL, &hour, NULL);
				rules.min_hours = aq_provisional_threshold(hour + 1, app->cfg->min_hours);
				rules.min_o3_windows = aq_provisional_o3_windows(hour + 1, 14);
				for (int h = hour + 1; h < 24; h++) {
					memset(&hours[base + (size_t)h], 0, sizeof hours[0]);
					n_readings -= readings[base + (size_t)h];
				}
			}
			aq_daily_compute(&hours[base], &rules, &live);
			daily = &live;
		}
		if (daily && (n_readings > 0 || info.final)) {
			char d[11];
			aq_date_format(day, d);
			json_t *o = aq_json_daily_values(daily, english);
			json_object_set_new(o, "date", json_string(d));
			json_object_set_new(o, "final", json_boolean(info.final));
			json_object_set_new(o, "readings", json_integer(n_readings));
			json_array_append_new(arr, o);
		}
		aq_dayview_cleanup(&v);
	}
	aq_db_release(app->pool, db);
	free(hours);
	free(readings);
	if (st != AQ_OK) {
		json_decref(arr);
		return aq_reply_error(req, st, NULL, NULL);
	}
	char a[11], b[11];
	aq_date_format(from, a);
	aq_date_format(to, b);
	return aq_reply_json(req, MHD_HTTP_OK,
			     json_pack("{s:s, s:s, s:s, s:o}", "station", s.code, "from", a, "to", b, "days", arr));
}
