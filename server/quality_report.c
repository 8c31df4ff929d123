/* quality_report.c — a station's quality over days and the network's quality summary of a day
 * (aq_quality_report.h). Each day comes from the day service exactly as its ranking sees it;
 * this file adds what a report needs beside it: the raw hours, the nearest national point's
 * hours, and the coefficients of the calibrations applied, to show corrected values. */
#include "aq_quality_report.h"
#include "aq_app.h"
#include "aq_day.h"
#include "aq_db.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void aq_quality_report_cleanup(struct aq_quality_report *r)
{
	if (!r)
		return;
	free(r->days);
	free(r->calibrations);
	memset(r, 0, sizeof *r);
}

void aq_quality_summary_cleanup(struct aq_quality_summary *s)
{
	if (!s)
		return;
	free(s->rows);
	memset(s, 0, sizeof *s);
}

/* The nearest active national point to s among all, if any. */
static void nearest_national(const struct aq_station *s, const struct aq_station *all, size_t n,
			     struct aq_quality_report *out)
{
	for (size_t i = 0; i < n; i++) {
		if (all[i].kind != AQ_KIND_NATIONAL || !all[i].active || all[i].id == s->id)
			continue;
		double d = aq_distance_km(s->lat, s->lon, all[i].lat, all[i].lon);
		if (!out->has_national || d < out->national_km) {
			out->has_national = true;
			out->national = all[i];
			out->national_km = d;
		}
	}
}

/* The calibration id as applied (its linear and humidity forms for pollutant p), read once. */
static enum aq_status calibration_of(struct aq_db *db, struct aq_quality_report *out, int64_t id,
				     const struct aq_calibration **c)
{
	for (size_t k = 0; k < out->n_calibrations; k++)
		if (out->calibrations[k].id == id) {
			*c = &out->calibrations[k];
			return AQ_OK;
		}
	struct aq_calibration *grown = realloc(out->calibrations, (out->n_calibrations + 1) * sizeof *grown);
	if (!grown)
		return AQ_ERR_INTERNAL;
	out->calibrations = grown;
	enum aq_status st = aq_db_calibration_get(db, id, 0, &grown[out->n_calibrations]);
	if (st == AQ_OK)
		*c = &grown[out->n_calibrations++];
	return st;
}

/* Corrected hourly means of one day by the calibrations its quality names. */
static enum aq_status correct_day(struct aq_db *db, struct aq_quality_report *out, struct aq_quality_day *d)
{
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		struct aq_calib_use use = {0};
		if (d->quality.calib_id[p]) {
			const struct aq_calibration *c;
			enum aq_status st = calibration_of(db, out, d->quality.calib_id[p], &c);
			if (st != AQ_OK)
				return st;
			use.id = c->id;
			use.version = c->version;
			use.linear = c->fit[p].linear;
			use.has_rh = c->fit[p].has_rh;
			use.rh = c->fit[p].rh;
		}
		for (int h = 0; h < 24; h++) {
			const struct aq_hour_sums *raw = &d->hours[h].raw;
			bool has_rh = raw->rh_count > 0;
			d->hours[h].corrected[p] = raw->count[p] > 0
							   ? aq_calib_apply(&use, raw->sum[p] / raw->count[p], has_rh,
									    has_rh ? raw->rh_sum / raw->rh_count : 0)
							   : NAN;
		}
	}
	return AQ_OK;
}

enum aq_status aq_quality_station_report(struct aq_app *app, const char *code, int64_t from, int64_t to,
					 struct aq_quality_report *out)
{
	struct aq_station *all = NULL;
	struct aq_hour_sums *raw = NULL, *nat = NULL;
	int *readings = NULL;
	size_t n_all = 0;
	enum aq_status st;
	int64_t today = aq_app_today(app);
	memset(out, 0, sizeof *out);
	if (to > today)
		to = today;
	out->from = from;
	out->to = to;
	if (to < from)
		return AQ_OK;
	size_t n_days = (size_t)(to - from + 1);
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	raw = calloc(n_days * 24, sizeof *raw);
	nat = calloc(n_days * 24, sizeof *nat);
	readings = calloc(n_days * 24, sizeof *readings);
	out->days = calloc(n_days, sizeof *out->days);
	if (!raw || !nat || !readings || !out->days) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	if ((st = aq_db_station_get(db, code, &out->station)) != AQ_OK ||
	    (st = aq_db_station_list(db, -1, &all, &n_all)) != AQ_OK ||
	    (st = aq_db_station_hours(db, out->station.id, from, to, raw, readings)) != AQ_OK)
		goto out;
	nearest_national(&out->station, all, n_all, out);
	if (out->has_national && (st = aq_db_station_hours(db, out->national.id, from, to, nat, NULL)) != AQ_OK)
		goto out;
	for (int64_t day = from; st == AQ_OK && day <= to; day++) {
		struct aq_dayview v;
		size_t base = (size_t)(day - from) * 24;
		int day_readings = 0;
		for (int h = 0; h < 24; h++)
			day_readings += readings[base + (size_t)h];
		if ((st = aq_day_view(app, db, day, &v)) != AQ_OK) {
			aq_dayview_cleanup(&v);
			break;
		}
		const struct aq_day_station *s = NULL;
		for (size_t i = 0; i < v.n && !s; i++)
			if (v.stations[i].station.id == out->station.id)
				s = &v.stations[i];
		/* Days before the station existed (or while it was inactive) say nothing about its
		 * data capture; days it was ranked on do, with readings or without. */
		if (day_readings > 0 || (s && s->ranked)) {
			struct aq_quality_day *d = &out->days[out->n_days++];
			d->day = day;
			d->final = v.final;
			d->expected_hours = v.is_today ? v.hours_elapsed : 24;
			if (s) {
				d->quality = s->quality;
				memcpy(d->valid_hours, s->daily.valid_hours, sizeof d->valid_hours);
			}
			for (int h = 0; h < 24; h++) {
				d->hours[h].raw = raw[base + (size_t)h];
				d->hours[h].readings = readings[base + (size_t)h];
				d->hours[h].national = nat[base + (size_t)h];
			}
			st = correct_day(db, out, d);
		}
		aq_dayview_cleanup(&v);
	}
out:
	aq_db_release(app->pool, db);
	free(all);
	free(raw);
	free(nat);
	free(readings);
	return st;
}

static int by_capture(const void *a, const void *b)
{
	const struct aq_quality_row *x = a, *y = b;
	if (x->has_capture != y->has_capture)
		return x->has_capture ? -1 : 1;
	if (x->capture_pct != y->capture_pct)
		return x->capture_pct > y->capture_pct ? -1 : 1;
	if (x->qc.excluded_hours != y->qc.excluded_hours)
		return x->qc.excluded_hours < y->qc.excluded_hours ? -1 : 1;
	return strcmp(x->station.code, y->station.code);
}

enum aq_status aq_quality_network_summary(struct aq_app *app, int64_t day, enum aq_metric metric,
					  struct aq_quality_summary *out)
{
	struct aq_dayview v;
	enum aq_status st;
	memset(out, 0, sizeof *out);
	out->day = day;
	out->metric = metric;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	struct aq_day_info info;
	memset(&v, 0, sizeof v);
	if ((st = aq_db_day_info(db, day, &info)) == AQ_OK && !info.exists && day < aq_app_today(app))
		st = AQ_ERR_NO_DATA;
	if (st == AQ_OK)
		st = aq_day_view(app, db, day, &v);
	aq_db_release(app->pool, db);
	out->final = v.final;
	out->expected_hours = v.is_today ? v.hours_elapsed : 24;
	if (st == AQ_OK && !(out->rows = calloc(v.n ? v.n : 1, sizeof *out->rows)))
		st = AQ_ERR_INTERNAL;
	for (size_t i = 0; st == AQ_OK && i < v.n; i++) {
		const struct aq_day_station *s = &v.stations[i];
		if (!s->ranked)
			continue;
		struct aq_quality_row *r = &out->rows[out->n++];
		bool has, has_tie;
		double value, tie;
		r->station = s->station;
		r->readings = s->readings;
		aq_metric_value(&s->daily, metric, &has, &value, &tie, &has_tie, &r->valid_hours);
		r->has_capture = aq_qc_capture_pct(r->valid_hours, out->expected_hours, &r->capture_pct);
		aq_qc_summarize(&s->quality, aq_qc_metric_mask(metric, &s->daily), &r->qc);
		memcpy(r->calib_version, s->quality.calib_version, sizeof r->calib_version);
	}
	aq_dayview_cleanup(&v);
	if (st != AQ_OK)
		return st;
	qsort(out->rows, out->n, sizeof *out->rows, by_capture);
	for (size_t k = 0; k < out->n; k++) {
		const struct aq_quality_row *prev = k ? &out->rows[k - 1] : NULL;
		bool tied = prev && prev->has_capture == out->rows[k].has_capture &&
			    prev->capture_pct == out->rows[k].capture_pct &&
			    prev->qc.excluded_hours == out->rows[k].qc.excluded_hours;
		out->rows[k].rank = tied ? prev->rank : (int)k + 1;
	}
	return AQ_OK;
}
