/* json_ranking.c — the JSON and CSV of a day's ranking (SPEC §6 "Ranking"), of interview
 * entries (SPEC §4) and of a station's daily and hourly values. */
#include "aq_json_ranking.h"
#include "aq_clock.h"
#include "aq_time.h"

#include <stdio.h>
#include <string.h>

/* Published value of pollutant p, or null when its day (or hour) is not valid. */
static json_t *pollutant_value(const bool *valid, const double *published, int p)
{
	return valid[p] ? aq_json_number(published[p], aq_pollutant_decimals((enum aq_pollutant)p))
			: json_null();
}

static json_t *primary_list(const struct aq_aqi *aqi)
{
	json_t *arr = json_array();
	for (int p = 0; aqi->valid && p < AQ_POLLUTANTS; p++)
		if (aqi->primary_mask & AQ_POLLUTANT_BIT(p))
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
	json_object_set_new(o, "primary_pollutants", primary_list(aqi));
	if (aqi->valid && aqi->above_scale)
		json_object_set_new(o, "above_scale", json_true());
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
		json_object_set_new(r, "value", has ? aq_json_number(aq_round_half_even(value, decimals), decimals)
						    : json_null());
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			json_object_set_new(r, aq_pollutant_field((enum aq_pollutant)p),
					    pollutant_value(s->daily.valid, s->daily.published, p));
		put_aqi(r, &s->daily.aqi, meta->english);
		json_object_set_new(r, "composite", s->daily.has_composite ? json_real(s->daily.composite) : json_null());
		json_object_set_new(r, "valid_hours", json_integer(hours));
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
		json_array_append_new(insufficient,
				      json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "station", s->station.code, "name",
						s->station.name, "unit", s->station.unit, "valid_hours", hours,
						"readings", s->readings, "nearest_national",
						nearest_json(v, &dr->nearest[dr->insufficient[k]])));
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

void aq_csv_day_ranking(struct aq_csv *csv, const struct aq_dayview *v, const struct aq_day_ranking *dr)
{
	int decimals = aq_metric_decimals(dr->metric);
	char date[11];
	aq_date_format(v->day, date);
	aq_csv_row(csv, 17, "date", "rank", "station", "name", "unit", "metric", "value", "pm25", "pm10",
		   "aqi", "level", "category", "valid_hours", "interview", "nearest_national", "distance_km",
		   "final");
	for (size_t k = 0; k < dr->r.n_rows; k++) {
		const struct aq_rank_row *row = &dr->r.rows[k];
		size_t i = dr->entry_station[row->entry];
		const struct aq_day_station *s = &v->stations[i];
		bool has, has_tie;
		double value, tie;
		int hours;
		char rank[16], vh[16];
		aq_metric_value(&s->daily, dr->metric, &has, &value, &tie, &has_tie, &hours);
		snprintf(rank, sizeof rank, "%d", row->rank);
		snprintf(vh, sizeof vh, "%d", hours);
		aq_csv_cell(csv, date);
		aq_csv_number(csv, rank);
		aq_csv_cell(csv, s->station.code);
		aq_csv_cell(csv, s->station.name);
		aq_csv_cell(csv, s->station.unit);
		aq_csv_cell(csv, aq_metric_name(dr->metric));
		cell_number(csv, has, value, decimals);
		cell_number(csv, s->daily.valid[AQ_PM25], s->daily.published[AQ_PM25], 0);
		cell_number(csv, s->daily.valid[AQ_PM10], s->daily.published[AQ_PM10], 0);
		cell_number(csv, s->daily.aqi.valid, s->daily.aqi.aqi, 0);
		cell_number(csv, s->daily.aqi.valid, s->daily.aqi.level, 0);
		aq_csv_cell(csv, s->daily.aqi.valid ? s->daily.aqi.category : "");
		aq_csv_number(csv, vh);
		aq_csv_cell(csv, picked(dr, i) ? "yes" : "no");
		const struct aq_nearest *n = &dr->nearest[i];
		aq_csv_cell(csv, n->has ? v->stations[n->index].station.code : "");
		cell_number(csv, n->has, n->distance_km, 2);
		aq_csv_cell(csv, v->final ? "yes" : "no");
		aq_csv_end_row(csv);
	}
}

void aq_csv_interviews(struct aq_csv *csv, const struct aq_interview *list, size_t n)
{
	aq_csv_row(csv, 17, "id", "date", "station", "name", "unit", "contact_person", "rank", "of", "metric",
		   "value", "district_mean", "pct_above_mean", "valid_hours", "reason", "consecutive_days",
		   "status", "note");
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
		aq_csv_cell(csv, iv->reason);
		aq_csv_number(csv, streak);
		aq_csv_cell(csv, aq_interview_status_name(iv->status));
		aq_csv_cell(csv, iv->note);
		aq_csv_end_row(csv);
	}
}
