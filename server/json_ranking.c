/* json_ranking.c — the JSON and CSV of a day's ranking (SPEC §6 "Ranking"), of interview
 * entries (SPEC §4) and of a station's daily and hourly values. */
#include "aq_json_ranking.h"
#include "aq_clock.h"
#include "aq_json.h"
#include "aq_json_arena.h"
#include "aq_json_quality.h"
#include "aq_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Published value of pollutant p, or null when its day (or hour) is not valid. */
static json_t *pollutant_value(const bool *valid, const double *published, int p)
{
	return valid[p] ? aq_json_number(published[p], aq_pollutant_decimals((enum aq_pollutant)p)) : json_null();
}

/* The labels ("PM2.5", …) of the pollutants in mask. */
static json_t *label_list(unsigned mask)
{
	json_t *arr = json_array();
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if (mask & AQ_POLLUTANT_BIT(p))
			json_array_append_new(arr, json_string(aq_pollutant_label((enum aq_pollutant)p)));
	return arr;
}

/* AQI, level, category, colour and primary pollutants into o. */
static void put_aqi(json_t *o, const struct aq_aqi *aqi, bool english)
{
	json_object_set_new(o, "aqi", aqi->valid ? json_integer(aqi->aqi) : json_null());
	json_object_set_new(o, "level", aqi->valid ? json_integer(aqi->level) : json_null());
	json_object_set_new(o, "category",
			    aqi->valid ? json_string(english ? aqi->category_en : aqi->category) : json_null());
	json_object_set_new(o, "color", aqi->valid ? json_string(aqi->color) : json_null());
	json_object_set_new(o, "primary_pollutants", label_list(aqi->valid ? aqi->primary_mask : 0));
	if (aqi->valid && aqi->above_scale)
		json_object_set_new(o, "above_scale", json_true());
	/* HJ 633-2012 reports the pollutants over IAQI 100 (超标污染物); HJ 633-2026 does not. */
	if (aqi->reports_exceeding)
		json_object_set_new(o, "exceeding_pollutants", label_list(aqi->valid ? aqi->exceeding_mask : 0));
}

/* The standards a value was judged by. */
static void put_standard(json_t *o, const struct aq_aqi_standard *standard)
{
	if (!standard)
		return;
	json_object_set_new(o, "standard", json_string(standard->name));
	json_object_set_new(o, "limits", json_string(standard->limits_name));
}

json_t *aq_json_daily_values(const struct aq_daily *d, bool english)
{
	json_t *o = json_object();
	json_t *hours = json_object();
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		const char *field = aq_pollutant_field((enum aq_pollutant)p);
		json_object_set_new(o, field, pollutant_value(d->valid, d->published, p));
		json_object_set_new(hours, field, json_integer(d->valid_hours[p]));
	}
	put_aqi(o, &d->aqi, english);
	json_object_set_new(o, "composite", d->has_composite ? json_real(d->composite) : json_null());
	json_object_set_new(o, "valid_hours", hours);
	json_object_set_new(o, "o3_8h_windows", json_integer(d->o3_windows_valid));
	return o;
}

json_t *aq_json_hourly_values(const struct aq_hourly *h, bool english)
{
	json_t *o = json_object();
	json_t *counts = json_object();
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		const char *field = aq_pollutant_field((enum aq_pollutant)p);
		json_object_set_new(o, field, pollutant_value(h->valid, h->published, p));
		json_object_set_new(counts, field, json_integer(h->count[p]));
	}
	put_aqi(o, &h->aqi, english);
	json_object_set_new(o, "counts", counts);
	return o;
}

json_t *aq_json_interview(const struct aq_interview *iv, bool stored)
{
	char date[11];
	aq_date_format(iv->day, date);
	json_t *o = json_object();
	if (stored)
		json_object_set_new(o, "id", json_integer((json_int_t)iv->id));
	json_object_set_new(o, "date", json_string(date));
	json_object_set_new(o, "station", json_string(iv->station));
	json_object_set_new(o, "name", json_string(iv->name));
	json_object_set_new(o, "unit", json_string(iv->unit));
	json_object_set_new(o, "contact_person", json_string(iv->contact_person));
	json_object_set_new(o, "rank", json_integer(iv->rank));
	json_object_set_new(o, "of", json_integer(iv->of));
	json_object_set_new(o, "metric", json_string(iv->metric));
	json_object_set_new(o, "value", iv->has_value ? aq_json_number(iv->value, 2) : json_null());
	json_object_set_new(o, "district_mean", iv->has_mean ? aq_json_number(iv->district_mean, 2) : json_null());
	json_object_set_new(o, "pct_above_mean", iv->has_pct ? aq_json_number(iv->pct_above_mean, 1) : json_null());
	json_object_set_new(o, "valid_hours", json_integer(iv->valid_hours));
	json_object_set_new(o, "reason", json_string(iv->reason));
	json_object_set_new(o, "consecutive_days", json_integer(iv->consecutive_days));
	json_object_set_new(o, "status", json_string(aq_interview_status_name(iv->status)));
	json_object_set_new(o, "note", json_string(iv->note));
	json_object_set_new(o, "rule_version", json_string(iv->rule_version));
	json_object_set_new(o, "quality", aq_json_interview_quality(iv));
	json_object_set_new(o, "calibration", aq_json_calibration_ids(iv->calib_id, iv->calib_version));
	if (!stored)
		json_object_set_new(o, "provisional", json_true());
	return o;
}

static json_t *nearest_json(const struct aq_dayview *v, const struct aq_nearest *n)
{
	if (!n->has)
		return json_null();
	return json_pack("{s:s, s:f, s:b}", "station", v->stations[n->index].station.code, "distance_km",
			 aq_round_half_even(n->distance_km, 2), "within_radius", n->within);
}

/* True when station index i is on the day's interview picks. */
static bool picked(const struct aq_day_ranking *dr, size_t i)
{
	for (size_t k = 0; k < dr->r.n_interview; k++)
		if (dr->entry_station[dr->r.interview[k].entry] == i)
			return true;
	return false;
}

json_t *aq_json_day_ranking(const struct aq_dayview *v, const struct aq_day_ranking *dr,
			    const struct aq_ranking_meta *meta)
{
	char date[11], generated[40];
	int decimals = aq_metric_decimals(dr->metric);
	aq_date_format(v->day, date);
	aq_local_format(meta->generated_us, generated, sizeof generated);

	json_t *o = json_object();
	json_object_set_new(o, "date", json_string(date));
	json_object_set_new(o, "timezone", json_string(meta->timezone));
	json_object_set_new(o, "metric", json_string(aq_metric_name(dr->metric)));
	json_object_set_new(o, "final", json_boolean(v->final));
	json_object_set_new(o, "generated_at", json_string(generated));
	json_object_set_new(o, "hours_elapsed", json_integer(v->hours_elapsed));
	json_object_set_new(o, "rule_version", json_string(v->rule_version));
	put_standard(o, v->standard);
	json_object_set_new(o, "insufficient_policy", json_string(aq_insufficient_policy_name(meta->policy)));
	if (v->final) {
		char when[40];
		aq_local_format(v->finalized_us, when, sizeof when);
		json_object_set_new(o, "finalized_at", json_string(when));
		json_object_set_new(o, "late_readings", json_integer(v->late_readings));
	}
	if (dr->ring) {
		json_object_set_new(o, "near", json_string(v->stations[dr->ring_center].station.code));
		json_object_set_new(o, "radius_km", json_real(dr->radius_km));
	}
	json_object_set_new(o, "stations_ranked", json_integer((json_int_t)dr->r.of));
	json_object_set_new(o, "district_mean",
			    dr->r.has_mean ? aq_json_number(dr->r.district_mean_published, decimals) : json_null());

	json_t *rows = json_array();
	for (size_t k = 0; k < dr->r.n_rows; k++) {
		const struct aq_rank_row *row = &dr->r.rows[k];
		size_t i = dr->entry_station[row->entry];
		const struct aq_day_station *s = &v->stations[i];
		bool has, has_tie;
		double value, tie;
		int hours;
		aq_metric_value(&s->daily, dr->metric, &has, &value, &tie, &has_tie, &hours);
		json_t *r = json_object();
		json_object_set_new(r, "rank", json_integer(row->rank));
		json_object_set_new(r, "station", json_string(s->station.code));
		json_object_set_new(r, "name", json_string(s->station.name));
		json_object_set_new(r, "unit", json_string(s->station.unit));
		json_object_set_new(r, "value",
				    has ? aq_json_number(aq_round_half_even(value, decimals), decimals) : json_null());
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			json_object_set_new(r, aq_pollutant_field((enum aq_pollutant)p),
					    pollutant_value(s->daily.valid, s->daily.published, p));
		put_aqi(r, &s->daily.aqi, meta->english);
		json_object_set_new(r, "composite",
				    s->daily.has_composite ? json_real(s->daily.composite) : json_null());
		json_object_set_new(r, "valid_hours", json_integer(hours));
		json_object_set_new(r, "quality",
				    aq_json_quality_block(&s->quality, aq_qc_metric_mask(dr->metric, &s->daily), hours,
							  v->hours_elapsed));
		json_object_set_new(r, "calibration", aq_json_calibration_versions(&s->quality));
		if (row->insufficient)
			json_object_set_new(r, "insufficient", json_true());
		json_object_set_new(r, "interview", json_boolean(picked(dr, i)));
		json_object_set_new(r, "nearest_national", nearest_json(v, &dr->nearest[i]));
		json_array_append_new(rows, r);
	}
	json_object_set_new(o, "ranking", rows);

	json_t *insufficient = json_array();
	for (size_t k = 0; k < dr->n_insufficient; k++) {
		const struct aq_day_station *s = &v->stations[dr->insufficient[k]];
		bool has, has_tie;
		double value, tie;
		int hours;
		aq_metric_value(&s->daily, dr->metric, &has, &value, &tie, &has_tie, &hours);
		json_array_append_new(
			insufficient,
			json_pack("{s:s, s:s, s:s, s:i, s:i, s:o, s:o}", "station", s->station.code, "name",
				  s->station.name, "unit", s->station.unit, "valid_hours", hours, "readings",
				  s->readings, "nearest_national", nearest_json(v, &dr->nearest[dr->insufficient[k]]),
				  "quality",
				  aq_json_quality_block(&s->quality, aq_qc_metric_mask(dr->metric, &s->daily), hours,
							v->hours_elapsed)));
	}
	json_object_set_new(o, "insufficient", insufficient);

	json_t *interview = json_array();
	for (size_t k = 0; k < meta->n_interview; k++)
		json_array_append_new(interview, aq_json_interview(&meta->interview[k], meta->interview_stored));
	json_object_set_new(o, "interview", interview);

	json_t *national = json_array();
	for (size_t i = 0; i < v->n; i++) {
		const struct aq_day_station *s = &v->stations[i];
		if (s->station.kind != AQ_KIND_NATIONAL || !s->station.active)
			continue;
		if (dr->ring && i != dr->ring_center)
			continue;
		bool has, has_tie;
		double value, tie;
		int hours;
		aq_metric_value(&s->daily, dr->metric, &has, &value, &tie, &has_tie, &hours);
		json_t *n = json_object();
		json_object_set_new(n, "station", json_string(s->station.code));
		json_object_set_new(n, "name", json_string(s->station.name));
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			json_object_set_new(n, aq_pollutant_field((enum aq_pollutant)p),
					    pollutant_value(s->daily.valid, s->daily.published, p));
		put_aqi(n, &s->daily.aqi, meta->english);
		json_object_set_new(n, "valid_hours", json_integer(hours));
		json_object_set_new(n, "lat", json_real(s->station.lat));
		json_object_set_new(n, "lon", json_real(s->station.lon));
		json_array_append_new(national, n);
	}
	json_object_set_new(o, "national", national);
	return o;
}

static void cell_number(struct aq_csv *csv, bool has, double v, int decimals)
{
	char buf[32];
	if (!has) {
		aq_csv_cell(csv, "");
		return;
	}
	snprintf(buf, sizeof buf, "%.*f", decimals, v);
	aq_csv_number(csv, buf);
}

static const struct aq_csv_column day_columns[] = {
	{"date", "日期"},
	{"rank", "排名"},
	{"status", "状态"},
	{"station", "站点编号"},
	{"name", "站点名称"},
	{"unit", "责任单位"},
	{"metric", "排名指标"},
	{"value", "排名值"},
	{"pm25", "PM2.5（µg/m³）"},
	{"pm10", "PM10（µg/m³）"},
	{"aqi", "AQI"},
	{"level", "AQI级别"},
	{"category", "空气质量类别"},
	{"valid_hours", "有效小时数"},
	{"interview", "约谈"},
	{"nearest_national", "最近国控点"},
	{"distance_km", "距离（公里）"},
	{"final", "已定稿"},
	{"standard", "评价标准"},
	{"data_capture_pct", "数据有效率（%）"},
	{"qc_excluded_hours", "质控剔除小时数"},
	{"calibration", "校准版本"},
};

static const char *metric_label(enum aq_metric m, bool english)
{
	if (english)
		return aq_metric_name(m);
	switch (m) {
	case AQ_METRIC_PM25: return "PM2.5";
	case AQ_METRIC_PM10: return "PM10";
	case AQ_METRIC_AQI: return "AQI";
	default: return "综合指数";
	}
}

/* One station's CSV row: ranked (rank > 0) or, without a value, listed as insufficient. */
static void csv_day_row(struct aq_csv *csv, const struct aq_dayview *v, const struct aq_day_ranking *dr, size_t i,
			int rank, bool insufficient, bool english)
{
	const struct aq_day_station *s = &v->stations[i];
	bool has, has_tie;
	double value, tie;
	int hours;
	char date[11], rank_text[16], vh[16];
	aq_date_format(v->day, date);
	aq_metric_value(&s->daily, dr->metric, &has, &value, &tie, &has_tie, &hours);
	snprintf(rank_text, sizeof rank_text, "%d", rank);
	snprintf(vh, sizeof vh, "%d", hours);
	aq_csv_cell(csv, date);
	if (rank > 0)
		aq_csv_number(csv, rank_text);
	else
		aq_csv_cell(csv, "");
	aq_csv_cell(csv, insufficient ? (english ? "insufficient_data" : "数据不足") : (english ? "ranked" : "已排名"));
	aq_csv_cell(csv, s->station.code);
	aq_csv_cell(csv, s->station.name);
	aq_csv_cell(csv, s->station.unit);
	aq_csv_cell(csv, metric_label(dr->metric, english));
	cell_number(csv, has, value, aq_metric_decimals(dr->metric));
	cell_number(csv, s->daily.valid[AQ_PM25], s->daily.published[AQ_PM25], 0);
	cell_number(csv, s->daily.valid[AQ_PM10], s->daily.published[AQ_PM10], 0);
	cell_number(csv, s->daily.aqi.valid, s->daily.aqi.aqi, 0);
	cell_number(csv, s->daily.aqi.valid, s->daily.aqi.level, 0);
	aq_csv_cell(csv, s->daily.aqi.valid ? (english ? s->daily.aqi.category_en : s->daily.aqi.category) : "");
	aq_csv_number(csv, vh);
	aq_csv_yes_no(csv, english, picked(dr, i));
	const struct aq_nearest *n = &dr->nearest[i];
	aq_csv_cell(csv, n->has ? v->stations[n->index].station.code : "");
	cell_number(csv, n->has, n->distance_km, 2);
	aq_csv_yes_no(csv, english, v->final);
	aq_csv_cell(csv, v->standard ? v->standard->name : "");
	struct aq_qc_summary qs;
	double capture;
	char excluded[16], versions[96];
	aq_qc_summarize(&s->quality, aq_qc_metric_mask(dr->metric, &s->daily), &qs);
	bool has_capture = aq_qc_capture_pct(hours, v->hours_elapsed, &capture);
	cell_number(csv, has_capture, capture, 1);
	snprintf(excluded, sizeof excluded, "%d", qs.excluded_hours);
	aq_csv_number(csv, excluded);
	aq_quality_versions_text(&s->quality, versions, sizeof versions);
	aq_csv_cell(csv, versions);
	aq_csv_end_row(csv);
}

void aq_csv_day_ranking(struct aq_csv *csv, const struct aq_dayview *v, const struct aq_day_ranking *dr, bool english)
{
	aq_csv_header(csv, english, day_columns, sizeof day_columns / sizeof day_columns[0]);
	for (size_t k = 0; k < dr->r.n_rows; k++) {
		const struct aq_rank_row *row = &dr->r.rows[k];
		csv_day_row(csv, v, dr, dr->entry_station[row->entry], row->rank, row->insufficient, english);
	}
	/* Stations without a value are listed too (with the separate policy they are not rows):
	 * a spreadsheet of the day names every station, ranked or not. */
	for (size_t k = 0; k < dr->n_insufficient; k++) {
		size_t i = dr->insufficient[k];
		bool listed = false;
		for (size_t r = 0; r < dr->r.n_rows && !listed; r++)
			listed = dr->entry_station[dr->r.rows[r].entry] == i;
		if (!listed)
			csv_day_row(csv, v, dr, i, 0, true, english);
	}
}

static const struct aq_csv_column interview_columns[] = {
	{"id", "编号"},
	{"date", "日期"},
	{"station", "站点编号"},
	{"name", "站点名称"},
	{"unit", "责任单位"},
	{"contact_person", "联系人"},
	{"rank", "排名"},
	{"of", "参评站数"},
	{"metric", "排名指标"},
	{"value", "排名值"},
	{"district_mean", "区均值"},
	{"pct_above_mean", "高于均值（%）"},
	{"valid_hours", "有效小时数"},
	{"reason", "约谈原因"},
	{"consecutive_days", "连续上榜天数"},
	{"status", "状态"},
	{"note", "备注"},
};

static const char *reason_label(const char *reason, bool english)
{
	if (english)
		return reason;
	return strcmp(reason, "insufficient_data") == 0 ? "数据不足" : "排名末位";
}

static const char *status_label(int status, bool english)
{
	static const char *const zh[] = {"待约谈", "已约谈", "已整改"};
	if (english || status < 0 || status > 2)
		return aq_interview_status_name(status);
	return zh[status];
}

void aq_csv_interviews(struct aq_csv *csv, const struct aq_interview *list, size_t n, bool english)
{
	aq_csv_header(csv, english, interview_columns, sizeof interview_columns / sizeof interview_columns[0]);
	for (size_t i = 0; i < n; i++) {
		const struct aq_interview *iv = &list[i];
		char id[24], date[11], rank[16], of[16], hours[16], streak[16];
		snprintf(id, sizeof id, "%lld", (long long)iv->id);
		aq_date_format(iv->day, date);
		snprintf(rank, sizeof rank, "%d", iv->rank);
		snprintf(of, sizeof of, "%d", iv->of);
		snprintf(hours, sizeof hours, "%d", iv->valid_hours);
		snprintf(streak, sizeof streak, "%d", iv->consecutive_days);
		int decimals = strcmp(iv->metric, "composite") == 0 ? 2 : 0;
		aq_csv_number(csv, id);
		aq_csv_cell(csv, date);
		aq_csv_cell(csv, iv->station);
		aq_csv_cell(csv, iv->name);
		aq_csv_cell(csv, iv->unit);
		aq_csv_cell(csv, iv->contact_person);
		aq_csv_number(csv, rank);
		aq_csv_number(csv, of);
		aq_csv_cell(csv, iv->metric);
		cell_number(csv, iv->has_value, iv->value, decimals);
		cell_number(csv, iv->has_mean, iv->district_mean, decimals);
		cell_number(csv, iv->has_pct, iv->pct_above_mean, 1);
		aq_csv_number(csv, hours);
		aq_csv_cell(csv, reason_label(iv->reason, english));
		aq_csv_number(csv, streak);
		aq_csv_cell(csv, status_label(iv->status, english));
		aq_csv_cell(csv, iv->note);
		aq_csv_end_row(csv);
	}
}

enum aq_status aq_render_day(const struct aq_day *d, const struct aq_day_render *o, char **body, size_t *len)
{
	*body = NULL;
	*len = 0;
	if (o->csv) {
		struct aq_csv csv;
		aq_csv_init(&csv);
		aq_csv_day_ranking(&csv, &d->view, &d->ranking, o->english);
		if (csv.oom) {
			aq_csv_cleanup(&csv);
			return AQ_ERR_INTERNAL;
		}
		*body = csv.text;
		*len = csv.len;
		return AQ_OK;
	}
	struct aq_ranking_meta meta = {
		.timezone = o->timezone,
		/* A final day's reply is the same until it is re-finalized: stamping it with its
		 * finalization keeps the body (and so the ETag) stable, and polls get 304. */
		.generated_us = d->view.final ? d->view.finalized_us : o->now_us,
		.policy = d->view.policy,
		.english = o->english,
		.interview = d->interview,
		.n_interview = d->n_interview,
		.interview_stored = d->interview_stored,
	};
	/* The tree of a big day (tens of thousands of values at 1000 stations) is built, written
	 * and dropped in the thread's json arena: one by one, its mallocs and frees took half of
	 * the render. The text itself is plain malloc memory (aq_json_dump_reply). */
	bool scoped = !aq_json_arena_active();
	if (scoped)
		aq_json_arena_begin();
	json_t *j = aq_json_day_ranking(&d->view, &d->ranking, &meta);
	*body = j ? aq_json_dump_reply(j, len) : NULL;
	if (!scoped || !aq_json_arena_holds_all())
		json_decref(j);
	if (scoped)
		aq_json_arena_end();
	return *body ? AQ_OK : AQ_ERR_INTERNAL;
}

json_t *aq_json_ranking_event(const struct aq_day *d, const char *etag)
{
	char date[11];
	const struct aq_ranking *r = &d->ranking.r;
	aq_date_format(d->view.day, date);
	json_t *interview = json_array();
	for (size_t k = 0; k < d->n_interview; k++)
		json_array_append_new(interview, aq_json_interview(&d->interview[k], d->interview_stored));
	return json_pack("{s:s, s:s, s:I, s:o, s:o}", "date", date, "etag", etag, "stations_ranked", (json_int_t)r->of,
			 "district_mean",
			 r->has_mean ? aq_json_number(r->district_mean_published, aq_metric_decimals(d->ranking.metric))
				     : json_null(),
			 "interview", interview);
}

/* 优良天数 with its share, and 超标天数 per pollutant, each day under its own standard. */
static void put_good_days(json_t *o, int aqi_days, int good_days, bool has_pct, double pct,
			  const int over_limit_days[AQ_POLLUTANTS])
{
	json_t *over = json_object();
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		json_object_set_new(over, aq_pollutant_field((enum aq_pollutant)p), json_integer(over_limit_days[p]));
	json_object_set_new(o, "aqi_days", json_integer(aqi_days));
	json_object_set_new(o, "good_days", json_integer(good_days));
	json_object_set_new(o, "good_days_pct", has_pct ? aq_json_number(pct, 1) : json_null());
	json_object_set_new(o, "over_limit_days", over);
}

json_t *aq_json_day_summary(const struct aq_day_summary *s)
{
	char a[11], b[11];
	int decimals = aq_metric_decimals(s->metric);
	aq_date_format(s->from, a);
	aq_date_format(s->to, b);
	json_t *list = json_array();
	for (size_t i = 0; i < s->sum.n_stations; i++) {
		size_t k = s->sum.order[i];
		const struct aq_summary_station *t = &s->sum.stations[k];
		const struct aq_station *st = &s->stations[k];
		json_t *o = json_object();
		json_object_set_new(o, "station", json_string(st->code));
		json_object_set_new(o, "name", json_string(st->name));
		json_object_set_new(o, "unit", json_string(st->unit));
		json_object_set_new(o, "days_valid", json_integer(t->days_valid));
		json_object_set_new(o, "days_insufficient", json_integer(t->days_insufficient));
		json_object_set_new(o, "mean_value",
				    t->has_mean ? aq_json_number(t->mean_value, decimals) : json_null());
		json_object_set_new(o, "rank", t->rank ? json_integer(t->rank) : json_null());
		json_object_set_new(o, "best_rank", t->best_rank ? json_integer(t->best_rank) : json_null());
		json_object_set_new(o, "worst_rank", t->worst_rank ? json_integer(t->worst_rank) : json_null());
		json_object_set_new(o, "interview_days", json_integer(t->interview_days));
		json_object_set_new(o, "longest_streak", json_integer(t->longest_streak));
		put_good_days(o, t->aqi_days, t->good_days, t->has_good_pct, t->good_days_pct, t->over_limit_days);
		json_array_append_new(list, o);
	}
	json_t *standards = json_array();
	for (size_t k = 0; k < s->n_standards; k++)
		json_array_append_new(standards, json_string(s->standards[k]->name));
	return json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}", "from", a, "to", b, "metric", aq_metric_name(s->metric),
			 "days_finalized", (json_int_t)s->days_finalized, "standards", standards, "stations", list);
}

json_t *aq_json_station_series(const struct aq_station *station, int64_t from, int64_t to,
			       const struct aq_station_day *days, size_t n, bool english)
{
	char a[11], b[11];
	aq_date_format(from, a);
	aq_date_format(to, b);
	json_t *arr = json_array();
	int aqi_days = 0, good_days = 0, over[AQ_POLLUTANTS] = {0};
	for (size_t i = 0; i < n; i++) {
		char d[11];
		const struct aq_daily *daily = &days[i].daily;
		aq_date_format(days[i].day, d);
		json_t *o = aq_json_daily_values(daily, english);
		json_object_set_new(o, "date", json_string(d));
		json_object_set_new(o, "final", json_boolean(days[i].final));
		json_object_set_new(o, "readings", json_integer(days[i].readings));
		put_standard(o, days[i].standard);
		json_object_set_new(o, "good", daily->aqi.valid ? json_boolean(daily->aqi.aqi <= 100) : json_null());
		json_object_set_new(o, "over_limit", label_list(daily->over_limit_mask));
		json_array_append_new(arr, o);
		aqi_days += daily->aqi.valid;
		good_days += daily->aqi.valid && daily->aqi.aqi <= 100;
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			over[p] += (daily->over_limit_mask & AQ_POLLUTANT_BIT(p)) != 0;
	}
	json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "station", station->code, "from", a, "to", b, "days", arr);
	put_good_days(o, aqi_days, good_days, aqi_days > 0,
		      aqi_days > 0 ? aq_round_half_even(100.0 * good_days / aqi_days, 1) : 0, over);
	return o;
}

json_t *aq_json_station_hours(const struct aq_station *station, int64_t day, const struct aq_hourly hours[24],
			      const int readings[24], const struct aq_aqi_standard *standard, bool english)
{
	char d[11];
	int64_t midnight = aq_local_midnight(day);
	json_t *arr = json_array();
	for (int h = 0; h < 24; h++) {
		char start[40];
		json_t *o = aq_json_hourly_values(&hours[h], english);
		aq_local_format(midnight + (int64_t)h * 3600 * AQ_US_PER_SEC, start, sizeof start);
		json_object_set_new(o, "hour", json_integer(h));
		json_object_set_new(o, "start", json_string(start));
		json_object_set_new(o, "readings", json_integer(readings[h]));
		json_array_append_new(arr, o);
	}
	aq_date_format(day, d);
	json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:o}", "station", station->code, "date", d, "interval_s",
			      station->interval_s, "min_readings_per_hour", aq_hour_min_readings(station->interval_s),
			      "hours", arr);
	put_standard(o, standard);
	return o;
}

/* ---- period rankings ---- */

static json_t *pollutant_map(const struct aq_period_value *v, const double *values, int decimals_or_pub, unsigned mask)
{
	json_t *o = json_object();
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		if (!(mask & AQ_POLLUTANT_BIT(p)))
			continue;
		int decimals = decimals_or_pub < 0 ? aq_pollutant_decimals((enum aq_pollutant)p) : decimals_or_pub;
		json_object_set_new(o, aq_pollutant_field((enum aq_pollutant)p),
				    v->valid[p] ? aq_json_number(aq_round_half_even(values[p], decimals), decimals)
						: json_null());
	}
	return o;
}

static unsigned reported_mask(const struct aq_period_value *v)
{
	unsigned mask = 0;
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if (v->valid_days[p] > 0)
			mask |= AQ_POLLUTANT_BIT(p);
	return mask;
}

static int period_decimals(enum aq_period_metric m)
{
	return m == AQ_PM_COMPOSITE ? 2 : m >= AQ_PM_COMPOSITE_CHANGE ? 1 : 0;
}

/* The subject's own fields: a station, or a unit with its stations. */
static void put_subject(json_t *o, const struct aq_period_result *r, const struct aq_period_row *row)
{
	if (r->query.by_unit) {
		json_t *members = json_array();
		for (const char *c = row->member_codes; c && *c;) {
			size_t n = strcspn(c, ",");
			json_array_append_new(members, json_stringn(c, n));
			c += n + (c[n] == ',');
		}
		json_object_set_new(o, "unit", json_string(row->key));
		json_object_set_new(o, "stations", members);
	} else {
		json_object_set_new(o, "station", json_string(row->key));
		json_object_set_new(o, "name", json_string(row->name));
		json_object_set_new(o, "unit", json_string(row->unit));
	}
}

static json_t *period_row(const struct aq_period_result *r, const struct aq_period_row *row)
{
	const struct aq_period_value *v = &row->value;
	int decimals = period_decimals(r->query.metric);
	unsigned measured = reported_mask(v) | r->query.pollutants;
	json_t *o = json_object();
	put_subject(o, r, row);
	json_object_set_new(o, "value", row->has_metric ? aq_json_number(row->metric_value, decimals) : json_null());
	json_object_set_new(o, "composite", v->has_composite ? aq_json_number(v->composite, 2) : json_null());
	json_object_set_new(o, "largest",
			    v->largest >= 0 ? json_string(aq_pollutant_label((enum aq_pollutant)v->largest))
					    : json_null());
	json_object_set_new(o, "sub_indices", pollutant_map(v, v->sub_index, 2, measured));
	json_object_set_new(o, "concentrations", pollutant_map(v, v->conc, -1, measured));
	json_t *days = json_object();
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if (measured & AQ_POLLUTANT_BIT(p))
			json_object_set_new(days, aq_pollutant_field((enum aq_pollutant)p),
					    json_integer(v->valid_days[p]));
	json_object_set_new(o, "valid_days", days);
	json_object_set_new(o, "aqi_mean", v->has_aqi ? json_integer((json_int_t)v->aqi_mean) : json_null());
	json_object_set_new(o, "aqi_days", json_integer(v->aqi_days));
	json_object_set_new(o, "good_days", json_integer(v->good_days));
	if (r->query.metric >= AQ_PM_COMPOSITE_CHANGE) {
		const struct aq_period_value *b = &row->base;
		double base_value = 0;
		bool has_base = false;
		switch (r->query.metric) {
		case AQ_PM_COMPOSITE_CHANGE: has_base = b->has_composite, base_value = b->composite; break;
		case AQ_PM_PM25_CHANGE: has_base = b->valid[AQ_PM25], base_value = b->conc[AQ_PM25]; break;
		case AQ_PM_PM10_CHANGE: has_base = b->valid[AQ_PM10], base_value = b->conc[AQ_PM10]; break;
		default: has_base = b->has_aqi, base_value = b->aqi_mean; break;
		}
		int bd = r->query.metric == AQ_PM_COMPOSITE_CHANGE ? 2 : 0;
		json_object_set_new(o, "baseline_value", has_base ? aq_json_number(base_value, bd) : json_null());
		json_object_set_new(o, "change_pct", row->has_change ? aq_json_number(row->change, 1) : json_null());
	}
	return o;
}

static bool period_picked(const struct aq_period_result *r, size_t k)
{
	for (size_t i = 0; i < r->ranking.n_interview; i++)
		if (r->ranking.interview[i].entry == k)
			return true;
	return false;
}

json_t *aq_json_period(const struct aq_period_result *r)
{
	char from[11], to[11];
	const struct aq_period_query *q = &r->query;
	int decimals = period_decimals(q->metric);
	aq_date_format(q->from, from);
	aq_date_format(q->to, to);
	json_t *o = json_object();
	json_object_set_new(o, "period", json_string(aq_period_kind_name(q->kind)));
	json_object_set_new(o, "from", json_string(from));
	json_object_set_new(o, "to", json_string(to));
	json_object_set_new(o, "days", json_integer(r->days));
	json_object_set_new(o, "days_with_data", json_integer(r->days_with_data));
	json_object_set_new(o, "min_valid_days", json_integer(r->min_days));
	json_object_set_new(o, "by", json_string(q->by_unit ? "unit" : "station"));
	json_object_set_new(o, "metric", json_string(aq_period_metric_name(q->metric)));
	json_t *pollutants = json_array();
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if (q->pollutants & AQ_POLLUTANT_BIT(p))
			json_array_append_new(pollutants, json_string(aq_pollutant_field((enum aq_pollutant)p)));
	json_object_set_new(o, "pollutants", pollutants);
	if (r->weighted) {
		json_t *w = json_object();
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			if (q->pollutants & AQ_POLLUTANT_BIT(p))
				json_object_set_new(w, aq_pollutant_field((enum aq_pollutant)p),
						    json_real(r->weights[p]));
		json_object_set_new(o, "weights", w);
	}
	put_standard(o, r->standard);
	if (r->straddles)
		json_object_set_new(o, "standard_note",
				    json_string("The period straddles a change of standard: it is judged by the "
						"standards in force on its last day."));
	json_object_set_new(o, "rule_version", json_string(r->rule_version));
	json_object_set_new(o, "final", json_boolean(r->final));
	if (r->from_snapshot) {
		char when[40];
		aq_local_format(r->finalized_us, when, sizeof when);
		json_object_set_new(o, "finalized_at", json_string(when));
		json_object_set_new(o, "late_readings", json_integer(r->late_readings));
		json_object_set_new(o, "days_refinalized", json_integer(r->days_refinalized));
	}
	if (q->metric >= AQ_PM_COMPOSITE_CHANGE) {
		char bf[11], bt[11];
		aq_date_format(r->base_from, bf);
		aq_date_format(r->base_to, bt);
		json_object_set_new(o, "baseline",
				    json_pack("{s:s, s:s, s:i}", "from", bf, "to", bt, "year", q->baseline_year));
	}
	if (r->days_with_data == 0)
		json_object_set_new(o, "reason", json_string("There are no readings in this period."));
	json_object_set_new(o, "subjects_ranked", json_integer((json_int_t)r->ranking.of));
	json_object_set_new(o, "mean",
			    r->ranking.has_mean
				    ? aq_json_number(aq_round_half_even(r->ranking.district_mean, decimals), decimals)
				    : json_null());
	json_t *rows = json_array();
	for (size_t i = 0; i < r->ranking.n_rows; i++) {
		const struct aq_rank_row *rr = &r->ranking.rows[i];
		json_t *row = period_row(r, &r->rows[rr->entry]);
		json_object_set_new(row, "rank", json_integer(rr->rank));
		json_object_set_new(row, "interview", json_boolean(period_picked(r, rr->entry)));
		json_array_append_new(rows, row);
	}
	json_object_set_new(o, "ranking", rows);
	json_t *insufficient = json_array();
	for (size_t i = 0; i < r->ranking.n_insufficient; i++)
		json_array_append_new(insufficient, period_row(r, &r->rows[r->ranking.insufficient[i]]));
	json_object_set_new(o, "insufficient", insufficient);
	if (q->metric >= AQ_PM_COMPOSITE_CHANGE) {
		json_t *none = json_array();
		for (size_t i = 0; i < r->n_no_baseline; i++)
			json_array_append_new(none, period_row(r, &r->rows[r->no_baseline[i]]));
		json_object_set_new(o, "no_baseline", none);
	}
	json_t *interview = json_array();
	for (size_t i = 0; i < r->ranking.n_interview; i++) {
		const struct aq_interview_pick *pick = &r->ranking.interview[i];
		const struct aq_period_row *row = &r->rows[pick->entry];
		json_t *e = json_object();
		put_subject(e, r, row);
		json_object_set_new(e, "rank", json_integer(pick->rank));
		json_object_set_new(e, "value",
				    row->has_metric ? aq_json_number(row->metric_value, decimals) : json_null());
		json_object_set_new(e, "reason", json_string(aq_interview_reason_name(pick->reason)));
		json_array_append_new(interview, e);
	}
	json_object_set_new(o, "interview", interview);
	return o;
}

/* The second column names the subject: station or street (unit). */
static const struct aq_csv_column period_columns[] = {
	{"from", "起始日期"},
	{"to", "截止日期"},
	{"rank", "排名"},
	{"status", "状态"},
	{"station", "站点编号"},
	{"name", "名称"},
	{"unit", "责任单位（街道）"},
	{"metric", "排名指标"},
	{"value", "排名值"},
	{"composite", "综合指数"},
	{"largest", "首要贡献"},
	{"pm25", "PM2.5（µg/m³）"},
	{"pm10", "PM10（µg/m³）"},
	{"valid_days_pm25", "PM2.5有效天数"},
	{"valid_days_pm10", "PM10有效天数"},
	{"interview", "末位"},
	{"standard", "评价标准"},
};

static void csv_period_row(struct aq_csv *csv, const struct aq_period_result *r, size_t k, int rank, const char *status,
			   bool english)
{
	const struct aq_period_row *row = &r->rows[k];
	const struct aq_period_value *v = &row->value;
	char from[11], to[11], rank_text[16], d25[16], d10[16];
	aq_date_format(r->query.from, from);
	aq_date_format(r->query.to, to);
	snprintf(rank_text, sizeof rank_text, "%d", rank);
	snprintf(d25, sizeof d25, "%d", v->valid_days[AQ_PM25]);
	snprintf(d10, sizeof d10, "%d", v->valid_days[AQ_PM10]);
	aq_csv_cell(csv, from);
	aq_csv_cell(csv, to);
	if (rank > 0)
		aq_csv_number(csv, rank_text);
	else
		aq_csv_cell(csv, "");
	aq_csv_cell(csv, status);
	aq_csv_cell(csv, row->key);
	aq_csv_cell(csv, row->name);
	aq_csv_cell(csv, row->unit);
	aq_csv_cell(csv, aq_period_metric_name(r->query.metric));
	cell_number(csv, rank > 0 && row->has_metric, row->metric_value, period_decimals(r->query.metric));
	cell_number(csv, v->has_composite, v->composite, 2);
	aq_csv_cell(csv, v->largest >= 0 ? aq_pollutant_label((enum aq_pollutant)v->largest) : "");
	cell_number(csv, v->valid[AQ_PM25], v->conc[AQ_PM25], 0);
	cell_number(csv, v->valid[AQ_PM10], v->conc[AQ_PM10], 0);
	aq_csv_number(csv, d25);
	aq_csv_number(csv, d10);
	aq_csv_yes_no(csv, english, rank > 0 && period_picked(r, k));
	aq_csv_cell(csv, r->standard ? r->standard->name : "");
	aq_csv_end_row(csv);
}

void aq_csv_period(struct aq_csv *csv, const struct aq_period_result *r, bool english)
{
	struct aq_csv_column cols[sizeof period_columns / sizeof period_columns[0]];
	memcpy(cols, period_columns, sizeof cols);
	if (r->query.by_unit)
		cols[4] = (struct aq_csv_column){"unit", "街道（乡镇）"};
	aq_csv_header(csv, english, cols, sizeof cols / sizeof cols[0]);
	for (size_t i = 0; i < r->ranking.n_rows; i++) {
		const struct aq_rank_row *rr = &r->ranking.rows[i];
		csv_period_row(csv, r, rr->entry, rr->rank, english ? "ranked" : "已排名", english);
	}
	for (size_t i = 0; i < r->ranking.n_insufficient; i++)
		csv_period_row(csv, r, r->ranking.insufficient[i], 0, english ? "insufficient_data" : "有效天数不足",
			       english);
	for (size_t i = 0; i < r->n_no_baseline; i++)
		csv_period_row(csv, r, r->no_baseline[i], 0, english ? "no_baseline" : "无同期数据", english);
}
