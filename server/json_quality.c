/* json_quality.c — quality control and calibration as JSON (aq_json_quality.h). */
#include "aq_json_quality.h"
#include "aq_clock.h"
#include "aq_json.h"
#include "aq_time.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A mean shown to one decimal more than it is published at (µg/m³: 0.1; CO: 0.01 mg/m³). */
static json_t *mean_json(enum aq_pollutant p, double v)
{
	int d = aq_pollutant_decimals(p) + 1;
	return aq_json_number(aq_round_half_even(v, d), d);
}

static json_t *reasons_json(const int hours[AQ_QC_FLAGS], bool all)
{
	json_t *o = json_object();
	for (int f = 0; f < AQ_QC_FLAGS; f++)
		if (all || hours[f])
			json_object_set_new(o, aq_qc_flag_name((enum aq_qc_flag)f), json_integer(hours[f]));
	return o;
}

static json_t *capture_json(int valid, int expected)
{
	double pct;
	return aq_qc_capture_pct(valid, expected, &pct) ? aq_json_number(pct, 1) : json_null();
}

json_t *aq_json_quality_block(const struct aq_station_quality *q, unsigned mask, int valid_hours, int expected_hours)
{
	struct aq_qc_summary s;
	aq_qc_summarize(q, mask, &s);
	return json_pack("{s:i, s:o, s:o}", "excluded_hours", s.excluded_hours, "reasons",
			 reasons_json(s.reason_hours, false), "data_capture_pct",
			 capture_json(valid_hours, expected_hours));
}

json_t *aq_json_interview_quality(const struct aq_interview *iv)
{
	return json_pack("{s:i, s:o, s:o}", "excluded_hours", iv->qc_excluded_hours, "reasons",
			 reasons_json(iv->qc_reason_hours, false), "data_capture_pct",
			 capture_json(iv->valid_hours, iv->expected_hours));
}

json_t *aq_json_calibration_ids(const int64_t ids[AQ_POLLUTANTS], const int versions[AQ_POLLUTANTS])
{
	json_t *o = json_object();
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if (ids[p])
			json_object_set_new(o, aq_pollutant_field((enum aq_pollutant)p),
					    json_pack("{s:I, s:i}", "id", (json_int_t)ids[p], "version", versions[p]));
	return o;
}

json_t *aq_json_calibration_versions(const struct aq_station_quality *q)
{
	return aq_json_calibration_ids(q->calib_id, q->calib_version);
}

void aq_quality_versions_text(const struct aq_station_quality *q, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int p = 0; p < AQ_POLLUTANTS && used < size; p++)
		if (q->calib_id[p])
			used += (size_t)snprintf(buf + used, size - used, "%s%s:v%d", used ? " " : "",
						 aq_pollutant_field((enum aq_pollutant)p), q->calib_version[p]);
}

static json_t *date_json(int64_t day)
{
	char d[11];
	if (day == INT64_MAX)
		return json_null();
	aq_date_format(day, d);
	return json_string(d);
}

static json_t *time_json(int64_t us)
{
	char t[40];
	if (!us)
		return json_null();
	aq_local_format(us, t, sizeof t);
	return json_string(t);
}

static json_t *fit_json(const struct aq_calib_fit *f)
{
	json_t *o = json_pack("{s:s, s:i, s:f, s:f}", "model", aq_calib_model_name(f->model), "pairs", f->n, "a", f->a,
			      "b", f->b);
	if (f->model == AQ_CALIB_LINEAR_RH)
		json_object_set_new(o, "c", json_real(f->c));
	json_object_set_new(o, "r2", aq_json_number(aq_round_half_even(f->r2, 4), 4));
	json_object_set_new(o, "rmse", aq_json_number(aq_round_half_even(f->rmse, 2), 2));
	return o;
}

json_t *aq_json_calibration(const struct aq_calibration *c)
{
	json_t *fits = json_object();
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		if (!c->fit[p].has)
			continue;
		json_t *f = fit_json(&c->fit[p].linear);
		if (c->fit[p].has_rh)
			json_object_set_new(f, "humidity_form", fit_json(&c->fit[p].rh));
		json_object_set_new(f, "valid_to", c->approved ? date_json(c->fit[p].valid_to) : json_null());
		json_object_set_new(fits, aq_pollutant_field((enum aq_pollutant)p), f);
	}
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer((json_int_t)c->id));
	json_object_set_new(o, "station", json_string(c->station));
	json_object_set_new(o, "reference", json_string(c->reference));
	json_object_set_new(o, "window",
			    json_pack("{s:o, s:o}", "from", date_json(c->window_from), "to", date_json(c->window_to)));
	json_object_set_new(o, "formula",
			    json_string(c->humidity ? "ref = a + b·raw + c·RH (RH in %); "
						      "ref = a + b·raw for hours without humidity"
						    : "ref = a + b·raw"));
	json_object_set_new(o, "humidity", json_boolean(c->humidity));
	json_object_set_new(o, "status", json_string(c->approved ? "approved" : "pending"));
	json_object_set_new(o, "version", c->approved ? json_integer(c->version) : json_null());
	json_object_set_new(o, "valid_from", date_json(c->valid_from));
	json_object_set_new(o, "created_at", time_json(c->created_us));
	json_object_set_new(o, "approved_at", time_json(c->approved_us));
	json_object_set_new(o, "note", json_string(c->note));
	json_object_set_new(o, "fits", fits);
	return o;
}

json_t *aq_json_fit_problems(const struct aq_fit_outcome outcome[AQ_POLLUTANTS], int min_pairs)
{
	json_t *arr = json_array();
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		const struct aq_fit_outcome *o = &outcome[p];
		if (!o->tried || (o->result == AQ_FIT_OK && o->rh_result == AQ_FIT_OK))
			continue;
		bool rh = o->result == AQ_FIT_OK;
		enum aq_fit_result r = rh ? o->rh_result : o->result;
		int pairs = rh ? o->rh_pairs : o->pairs;
		char problem[200];
		if (r == AQ_FIT_TOO_FEW)
			snprintf(problem, sizeof problem, "%d co-located hours%s; at least %d are needed.", pairs,
				 rh ? " with a humidity" : "", min_pairs);
		else
			snprintf(
				problem, sizeof problem, "%s",
				rh ? "The humidity form has no unique fit: humidity is constant or moves with the raw values."
				   : "No unique fit: the station's or the reference's values are constant over the window.");
		json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:i}", "pollutant",
						     aq_pollutant_field((enum aq_pollutant)p), "problem", problem,
						     "pairs", pairs, "needed", min_pairs));
	}
	return arr;
}

/* {"pm25": v, …} of the pollutants that have a value this hour. */
static json_t *hour_values(const struct aq_hour_sums *h, const double *corrected)
{
	json_t *o = json_object();
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if (h->count[p] > 0)
			json_object_set_new(
				o, aq_pollutant_field((enum aq_pollutant)p),
				mean_json((enum aq_pollutant)p, corrected ? corrected[p] : h->sum[p] / h->count[p]));
	return o;
}

static json_t *hour_flags(const uint8_t flags[AQ_POLLUTANTS])
{
	json_t *o = json_object();
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		if (!flags[p])
			continue;
		json_t *names = json_array();
		for (int f = 0; f < AQ_QC_FLAGS; f++)
			if (flags[p] & AQ_QC_BIT(f))
				json_array_append_new(names, json_string(aq_qc_flag_name((enum aq_qc_flag)f)));
		json_object_set_new(o, aq_pollutant_field((enum aq_pollutant)p), names);
	}
	return o;
}

json_t *aq_json_quality_report(const struct aq_quality_report *r)
{
	int valid[AQ_POLLUTANTS] = {0}, expected = 0, reasons[AQ_QC_FLAGS] = {0}, excluded = 0;
	unsigned reported = 0;
	json_t *days = json_array();
	for (size_t k = 0; k < r->n_days; k++) {
		const struct aq_quality_day *d = &r->days[k];
		int64_t midnight = aq_local_midnight(d->day);
		struct aq_qc_summary s;
		unsigned day_reported = 0;
		json_t *hours = json_array();
		for (int h = 0; h < 24 && h < d->expected_hours; h++) {
			const struct aq_quality_hour *qh = &d->hours[h];
			char start[40];
			aq_local_format(midnight + (int64_t)h * 3600 * AQ_US_PER_SEC, start, sizeof start);
			json_t *o = json_object();
			json_object_set_new(o, "hour", json_integer(h));
			json_object_set_new(o, "start", json_string(start));
			json_object_set_new(o, "readings", json_integer(qh->readings));
			json_object_set_new(o, "raw", hour_values(&qh->raw, NULL));
			json_object_set_new(o, "corrected", hour_values(&qh->raw, qh->corrected));
			json_object_set_new(
				o, "humidity",
				qh->raw.rh_count > 0
					? aq_json_number(aq_round_half_even(qh->raw.rh_sum / qh->raw.rh_count, 1), 1)
					: json_null());
			json_object_set_new(o, "flags", hour_flags(d->quality.flags[h]));
			json_object_set_new(o, "national", hour_values(&qh->national, NULL));
			json_array_append_new(hours, o);
			for (int p = 0; p < AQ_POLLUTANTS; p++)
				if (qh->raw.count[p] > 0)
					day_reported |= AQ_POLLUTANT_BIT(p);
		}
		aq_qc_summarize(&d->quality, AQ_POLLUTANT_ALL_MASK, &s);
		json_t *vh = json_object(), *cap = json_object();
		for (int p = 0; p < AQ_POLLUTANTS; p++) {
			if (!(day_reported & AQ_POLLUTANT_BIT(p)) && !d->quality.calib_id[p])
				continue;
			const char *field = aq_pollutant_field((enum aq_pollutant)p);
			json_object_set_new(vh, field, json_integer(d->valid_hours[p]));
			json_object_set_new(cap, field, capture_json(d->valid_hours[p], d->expected_hours));
		}
		char date[11];
		aq_date_format(d->day, date);
		json_t *o = json_object();
		json_object_set_new(o, "date", json_string(date));
		json_object_set_new(o, "final", json_boolean(d->final));
		json_object_set_new(o, "expected_hours", json_integer(d->expected_hours));
		json_object_set_new(o, "valid_hours", vh);
		json_object_set_new(o, "data_capture_pct", cap);
		json_object_set_new(o, "excluded_hours", json_integer(s.excluded_hours));
		json_object_set_new(o, "counts", reasons_json(s.reason_hours, true));
		json_object_set_new(o, "calibration", aq_json_calibration_versions(&d->quality));
		json_object_set_new(o, "hours", hours);
		json_array_append_new(days, o);
		reported |= day_reported;
		expected += d->expected_hours;
		excluded += s.excluded_hours;
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			valid[p] += d->valid_hours[p];
		for (int f = 0; f < AQ_QC_FLAGS; f++)
			reasons[f] += s.reason_hours[f];
	}
	json_t *vh = json_object(), *cap = json_object();
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		if (!(reported & AQ_POLLUTANT_BIT(p)))
			continue;
		const char *field = aq_pollutant_field((enum aq_pollutant)p);
		json_object_set_new(vh, field, json_integer(valid[p]));
		json_object_set_new(cap, field, capture_json(valid[p], expected));
	}
	json_t *cals = json_array();
	for (size_t k = 0; k < r->n_calibrations; k++)
		json_array_append_new(cals, aq_json_calibration(&r->calibrations[k]));
	json_t *o = json_object();
	json_object_set_new(o, "station", json_string(r->station.code));
	json_object_set_new(o, "name", json_string(r->station.name));
	json_object_set_new(o, "kind", json_string(aq_station_kind_name(r->station.kind)));
	json_object_set_new(o, "from", date_json(r->from));
	json_object_set_new(o, "to", date_json(r->to));
	json_object_set_new(o, "national",
			    r->has_national ? json_pack("{s:s, s:s, s:o}", "station", r->national.code, "name",
							r->national.name, "distance_km",
							aq_json_number(aq_round_half_even(r->national_km, 2), 2))
					    : json_null());
	json_object_set_new(o, "expected_hours", json_integer(expected));
	json_object_set_new(o, "valid_hours", vh);
	json_object_set_new(o, "data_capture_pct", cap);
	json_object_set_new(o, "excluded_hours", json_integer(excluded));
	json_object_set_new(o, "counts", reasons_json(reasons, true));
	json_object_set_new(o, "calibrations", cals);
	json_object_set_new(o, "days", days);
	return o;
}

json_t *aq_json_quality_summary(const struct aq_quality_summary *s)
{
	json_t *rows = json_array();
	for (size_t k = 0; k < s->n; k++) {
		const struct aq_quality_row *r = &s->rows[k];
		json_t *cal = json_object();
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			if (r->calib_version[p])
				json_object_set_new(cal, aq_pollutant_field((enum aq_pollutant)p),
						    json_integer(r->calib_version[p]));
		json_t *o = json_object();
		json_object_set_new(o, "rank", json_integer(r->rank));
		json_object_set_new(o, "station", json_string(r->station.code));
		json_object_set_new(o, "name", json_string(r->station.name));
		json_object_set_new(o, "unit", json_string(r->station.unit));
		json_object_set_new(o, "readings", json_integer(r->readings));
		json_object_set_new(o, "valid_hours", json_integer(r->valid_hours));
		json_object_set_new(o, "data_capture_pct",
				    r->has_capture ? aq_json_number(r->capture_pct, 1) : json_null());
		json_object_set_new(o, "excluded_hours", json_integer(r->qc.excluded_hours));
		json_object_set_new(o, "reasons", reasons_json(r->qc.reason_hours, false));
		json_object_set_new(o, "calibration", cal);
		json_array_append_new(rows, o);
	}
	char date[11];
	aq_date_format(s->day, date);
	return json_pack("{s:s, s:b, s:s, s:i, s:o}", "date", date, "final", s->final, "metric",
			 aq_metric_name(s->metric), "expected_hours", s->expected_hours, "stations", rows);
}
