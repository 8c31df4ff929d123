/* quality.c — the quality service (aq_quality.h): quality control and calibration applied to a
 * live day, and the calibration use cases. The rules themselves are pure (qc.c, calib.c);
 * this file gathers their inputs — the day before's hours, the calibrations in force, the
 * co-located pairs of a window — and stores their outputs. */
#include "aq_quality.h"
#include "aq_app.h"
#include "aq_db.h"
#include "aq_time.h"

#include <stdlib.h>
#include <string.h>

void aq_quality_rules(const struct aq_config *cfg, struct aq_qc_rules *out)
{
	memset(out, 0, sizeof *out);
	out->enabled = cfg->qc != 0;
	out->range_max[AQ_PM25] = cfg->qc_max_pm25;
	out->range_max[AQ_PM10] = cfg->qc_max_pm10;
	out->stuck_hours = cfg->qc_stuck_hours;
	out->step_ratio = cfg->qc_step_ratio;
	out->step_hours = cfg->qc_step_hours;
	out->step_min = cfg->qc_step_min;
	out->inversion_ratio = cfg->qc_inversion_ratio;
	out->inversion_min = cfg->qc_inversion_min;
	out->humidity_max = cfg->qc_humidity;
	out->mad_k = cfg->qc_mad_k;
	out->mad_floor = cfg->qc_mad_floor;
	out->mad_min_stations = cfg->qc_mad_min_stations;
	out->radius_km = cfg->radius_km;
}

/* The calibrations of in-force list cal (ordered by station) as uses per station: *uses gets
 * AQ_POLLUTANTS entries per distinct station, *ids the station of each block. */
static enum aq_status group_uses(const struct aq_calib_in_force *cal, size_t n, struct aq_calib_use **uses, int **ids,
				 size_t *n_stations)
{
	*n_stations = 0;
	*uses = calloc(n ? n * AQ_POLLUTANTS : 1, sizeof **uses);
	*ids = calloc(n ? n : 1, sizeof **ids);
	if (!*uses || !*ids)
		return AQ_ERR_INTERNAL;
	for (size_t k = 0; k < n; k++) {
		if (*n_stations == 0 || (*ids)[*n_stations - 1] != cal[k].station_id)
			(*ids)[(*n_stations)++] = cal[k].station_id;
		(*uses)[(*n_stations - 1) * AQ_POLLUTANTS + cal[k].pollutant] = cal[k].use;
	}
	return AQ_OK;
}

static const struct aq_calib_use *uses_of(const struct aq_calib_use *uses, const int *ids, size_t n, int station_id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ids[mid] < station_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo] == station_id ? &uses[lo * AQ_POLLUTANTS] : NULL;
}

enum aq_status aq_quality_apply(struct aq_db *db, struct aq_dayview *v, const struct aq_hour_sums *prev)
{
	struct aq_day_rows rows;
	struct aq_calib_in_force *cal = NULL;
	struct aq_calib_use *uses = NULL;
	struct aq_qc_station *qs = NULL;
	int *ids = NULL;
	size_t n_cal = 0, n_ids = 0;
	memset(&rows, 0, sizeof rows);
	enum aq_status st = aq_db_calibrations_in_force(db, v->day, &cal, &n_cal);
	if (st != AQ_OK || (!v->qc.enabled && n_cal == 0))
		goto out; /* nothing to do: the hours stay as they are */
	bool needs_prev = v->qc.enabled && (v->qc.stuck_hours > 0 || v->qc.step_ratio > 0);
	if (needs_prev && !prev && (st = aq_db_day_rows(db, v->day - 1, &rows)) != AQ_OK)
		goto out;
	if ((st = group_uses(cal, n_cal, &uses, &ids, &n_ids)) != AQ_OK)
		goto out;
	if (!(qs = calloc(v->n ? v->n : 1, sizeof *qs))) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	for (size_t i = 0; i < v->n; i++) {
		struct aq_day_station *s = &v->stations[i];
		const struct aq_hour_sums *before = NULL;
		if (needs_prev && prev) {
			before = &prev[i * 24];
		} else if (needs_prev) {
			const struct aq_station_hours *h = aq_day_rows_find(&rows, s->station.id);
			before = h ? h->hours : NULL;
		}
		qs[i] = (struct aq_qc_station){
			.micro = s->station.kind == AQ_KIND_MICRO,
			.active = s->station.active,
			.lat = s->station.lat,
			.lon = s->station.lon,
			.interval_s = s->station.interval_s,
			.prev = before,
			.hours = s->hours,
			.calib = uses_of(uses, ids, n_ids, s->station.id),
			.quality = &s->quality,
		};
	}
	if (aq_qc_day(&v->qc, qs, v->n, v->is_today ? v->hours_elapsed : 24) != 0)
		st = AQ_ERR_INTERNAL;
out:
	free(qs);
	free(ids);
	free(uses);
	free(cal);
	aq_day_rows_cleanup(&rows);
	return st;
}

/* ---- calibrations ---- */

/* The co-located pairs of one pollutant. */
struct pairs {
	double *raw, *ref, *rh;	 /* rh: of the pairs whose station hour has a humidity … */
	double *raw_rh, *ref_rh; /* … with their raw and reference values */
	size_t n, n_rh;
};

static void pairs_free(struct pairs *p)
{
	free(p->raw);
	free(p->ref);
	free(p->rh);
	free(p->raw_rh);
	free(p->ref_rh);
}

static bool pairs_alloc(struct pairs *p, size_t cap)
{
	memset(p, 0, sizeof *p);
	p->raw = malloc(cap * sizeof *p->raw);
	p->ref = malloc(cap * sizeof *p->ref);
	p->rh = malloc(cap * sizeof *p->rh);
	p->raw_rh = malloc(cap * sizeof *p->raw_rh);
	p->ref_rh = malloc(cap * sizeof *p->ref_rh);
	return p->raw && p->ref && p->rh && p->raw_rh && p->ref_rh;
}

/* Collects the pairs of every pollutant in mask: station hours (from−1 .. to) judged by its own
 * flags day by day, reference hours (from .. to). */
static enum aq_status collect_pairs(const struct aq_config *cfg, const struct aq_station *station,
				    const struct aq_station *reference, struct aq_hour_sums *sh,
				    const struct aq_hour_sums *rh_, size_t days, unsigned mask,
				    struct pairs pp[AQ_POLLUTANTS])
{
	struct aq_qc_rules rules;
	aq_quality_rules(cfg, &rules);
	/* A co-located pair is judged by the station's own flags: there is no ring to compare with
	 * beside a reference, and a step the reference shares is no fault. */
	rules.step_ratio = 0;
	rules.mad_k = 0;
	int min_st = aq_hour_min_readings(station->interval_s), min_ref = aq_hour_min_readings(reference->interval_s);
	for (size_t d = 0; d < days; d++) {
		struct aq_station_quality q;
		struct aq_hour_sums *hours = &sh[(d + 1) * 24];
		struct aq_qc_station qs = {.micro = true,
					   .active = true,
					   .lat = station->lat,
					   .lon = station->lon,
					   .interval_s = station->interval_s,
					   .prev = &sh[d * 24],
					   .hours = hours,
					   .quality = &q};
		if (aq_qc_day(&rules, &qs, 1, 24) != 0)
			return AQ_ERR_INTERNAL;
		for (int h = 0; h < 24; h++) {
			const struct aq_hour_sums *a = &hours[h], *b = &rh_[d * 24 + (size_t)h];
			for (int p = 0; p < AQ_POLLUTANTS; p++) {
				if (!(mask & AQ_POLLUTANT_BIT(p)) || a->count[p] <= 0 || a->count[p] < min_st ||
				    b->count[p] <= 0 || b->count[p] < min_ref)
					continue;
				struct pairs *x = &pp[p];
				double raw = a->sum[p] / a->count[p], ref = b->sum[p] / b->count[p];
				x->raw[x->n] = raw;
				x->ref[x->n++] = ref;
				if (a->rh_count > 0) {
					x->raw_rh[x->n_rh] = raw;
					x->ref_rh[x->n_rh] = ref;
					x->rh[x->n_rh++] = a->rh_sum / a->rh_count;
				}
			}
		}
	}
	return AQ_OK;
}

/* Fits every pollutant of mask; the first failure decides the status (too few pairs before a
 * singular fit). */
static enum aq_status fit_all(const struct aq_config *cfg, const struct aq_calibration_request *req, unsigned mask,
			      bool explicit_mask, struct pairs pp[AQ_POLLUTANTS], struct aq_calibration *out,
			      struct aq_fit_outcome outcome[AQ_POLLUTANTS])
{
	enum aq_status st = AQ_OK;
	bool any = false;
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		if (!(mask & AQ_POLLUTANT_BIT(p)) || (!explicit_mask && pp[p].n == 0))
			continue;
		struct aq_fit_outcome *o = &outcome[p];
		any = true;
		o->tried = true;
		o->pairs = (int)pp[p].n;
		o->rh_pairs = (int)pp[p].n_rh;
		o->result = aq_calib_fit(pp[p].raw, pp[p].ref, NULL, pp[p].n, cfg->calibration_min_pairs,
					 &out->fit[p].linear);
		o->rh_result = AQ_FIT_OK;
		if (req->humidity)
			o->rh_result = aq_calib_fit(pp[p].raw_rh, pp[p].ref_rh, pp[p].rh, pp[p].n_rh,
						    cfg->calibration_min_pairs, &out->fit[p].rh);
		out->fit[p].has = o->result == AQ_FIT_OK && o->rh_result == AQ_FIT_OK;
		out->fit[p].has_rh = req->humidity && out->fit[p].has;
		if (o->result == AQ_FIT_TOO_FEW || o->rh_result == AQ_FIT_TOO_FEW)
			st = AQ_ERR_INSUFFICIENT_PAIRS;
		else if (st == AQ_OK && (o->result != AQ_FIT_OK || o->rh_result != AQ_FIT_OK))
			st = AQ_ERR_SINGULAR_FIT;
	}
	if (!any) { /* nothing co-located at all: say so for the PMs asked by default */
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			if (mask & AQ_POLLUTANT_BIT(p))
				outcome[p] = (struct aq_fit_outcome){.tried = true, .result = AQ_FIT_TOO_FEW};
		st = AQ_ERR_INSUFFICIENT_PAIRS;
	}
	return st;
}

enum aq_status aq_quality_calibrate(struct aq_app *app, const char *code, const struct aq_calibration_request *req,
				    struct aq_calibration *out, struct aq_fit_outcome outcome[AQ_POLLUTANTS],
				    const char **problem)
{
	struct aq_station station, reference;
	struct pairs pp[AQ_POLLUTANTS];
	struct aq_hour_sums *sh = NULL, *rh_ = NULL;
	enum aq_status st;
	size_t days = (size_t)(req->to - req->from + 1);
	bool explicit_mask = req->pollutants != 0;
	unsigned mask = explicit_mask ? req->pollutants : AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10);

	memset(out, 0, sizeof *out);
	memset(outcome, 0, AQ_POLLUTANTS * sizeof *outcome);
	memset(pp, 0, sizeof pp);
	*problem = NULL;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	if ((st = aq_db_station_get(db, code, &station)) != AQ_OK)
		goto out;
	if ((st = aq_db_station_get(db, req->reference, &reference)) != AQ_OK) {
		*problem = "reference names no station.";
		goto out;
	}
	if (station.kind == AQ_KIND_NATIONAL) {
		*problem = "A national point is a reference; it is not calibrated.";
		st = AQ_ERR_INVALID_PARAMETER;
		goto out;
	}
	if (reference.id == station.id) {
		*problem = "reference must be another station than the one calibrated.";
		st = AQ_ERR_INVALID_PARAMETER;
		goto out;
	}
	sh = calloc((days + 1) * 24, sizeof *sh);
	rh_ = calloc(days * 24, sizeof *rh_);
	bool ok = sh && rh_;
	for (int p = 0; ok && p < AQ_POLLUTANTS; p++)
		ok = pairs_alloc(&pp[p], days * 24);
	if (!ok) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	if ((st = aq_db_station_hours(db, station.id, req->from - 1, req->to, sh, NULL)) != AQ_OK ||
	    (st = aq_db_station_hours(db, reference.id, req->from, req->to, rh_, NULL)) != AQ_OK ||
	    (st = collect_pairs(app->cfg, &station, &reference, sh, rh_, days, mask, pp)) != AQ_OK)
		goto out;
	if ((st = fit_all(app->cfg, req, mask, explicit_mask, pp, out, outcome)) != AQ_OK)
		goto out;
	out->station_id = station.id;
	snprintf(out->station, sizeof out->station, "%s", station.code);
	out->reference_id = reference.id;
	snprintf(out->reference, sizeof out->reference, "%s", reference.code);
	out->window_from = req->from;
	out->window_to = req->to;
	out->humidity = req->humidity;
	out->valid_from = req->has_valid_from ? req->valid_from : req->from;
	snprintf(out->note, sizeof out->note, "%s", req->note ? req->note : "");
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		out->fit[p].valid_to = INT64_MAX;
	st = aq_db_calibration_insert(db, out);
out:
	aq_db_release(app->pool, db);
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		pairs_free(&pp[p]);
	free(sh);
	free(rh_);
	return st;
}

enum aq_status aq_quality_approve(struct aq_app *app, const char *code, int64_t id, bool has_valid_from,
				  int64_t valid_from, struct aq_calibration *out)
{
	struct aq_station station;
	enum aq_status st;
	memset(out, 0, sizeof *out);
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	if ((st = aq_db_station_get(db, code, &station)) == AQ_OK)
		st = aq_db_calibration_approve(db, id, station.id, has_valid_from ? valid_from : INT64_MIN, out);
	aq_db_release(app->pool, db);
	if (st == AQ_OK)
		aq_app_note_write(app); /* live days and today's cached ranking change */
	return st;
}

enum aq_status aq_quality_calibrations(struct aq_app *app, const char *code, struct aq_station *station,
				       struct aq_calibration **list, size_t *n)
{
	enum aq_status st;
	*list = NULL;
	*n = 0;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	if ((st = aq_db_station_get(db, code, station)) == AQ_OK)
		st = aq_db_calibrations_list(db, station->id, list, n);
	aq_db_release(app->pool, db);
	return st;
}

/* ---- drift ---- */

/* A station's hours of the drift window, read once per pass however many of its pollutants
 * (or stations it is the reference of) ask. */
struct window_hours {
	int station_id;
	int interval_s;
	struct aq_hour_sums *hours;
};

static const struct aq_hour_sums *hours_of(struct aq_db *db, struct window_hours *cache, size_t *n_cache, int id,
					   const struct aq_station *all, size_t n_all, int64_t from, int64_t to,
					   int *interval_s, enum aq_status *st)
{
	for (size_t k = 0; k < *n_cache; k++)
		if (cache[k].station_id == id) {
			*interval_s = cache[k].interval_s;
			return cache[k].hours;
		}
	struct window_hours *w = &cache[(*n_cache)++];
	w->station_id = id;
	w->interval_s = AQ_STATION_DEFAULT_INTERVAL;
	for (size_t i = 0; i < n_all; i++)
		if (all[i].id == id)
			w->interval_s = all[i].interval_s;
	*interval_s = w->interval_s;
	if (!(w->hours = calloc((size_t)(to - from + 1) * 24, sizeof *w->hours))) {
		*st = AQ_ERR_INTERNAL;
		return NULL;
	}
	if ((*st = aq_db_station_hours(db, id, from, to, w->hours, NULL)) != AQ_OK)
		return NULL;
	return w->hours;
}

enum aq_status aq_quality_drift(struct aq_db *db, const struct aq_config *cfg, int64_t now_us, struct aq_drift **out,
				size_t *n)
{
	struct aq_calib_in_force *cal = NULL;
	struct window_hours *cache = NULL;
	struct aq_station *all = NULL;
	size_t n_cal = 0, n_cache = 0, n_all = 0;
	double *t = NULL, *res = NULL;
	int64_t today;
	int hour;
	int span = cfg->calibration_drift_days;
	aq_local_of(now_us, &today, &hour, NULL);
	int64_t from = today - span;
	size_t slots = (size_t)(span + 1) * 24;
	*out = NULL;
	*n = 0;
	enum aq_status st = aq_db_calibrations_in_force(db, today, &cal, &n_cal);
	if (st != AQ_OK || n_cal == 0 || (st = aq_db_station_list(db, -1, &all, &n_all)) != AQ_OK)
		goto out;
	*out = calloc(n_cal ? n_cal : 1, sizeof **out);
	cache = calloc(2 * n_cal + 1, sizeof *cache);
	t = malloc(slots * sizeof *t);
	res = malloc(slots * sizeof *res);
	if (!*out || !cache || !t || !res) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	for (size_t k = 0; st == AQ_OK && k < n_cal; k++) {
		const struct aq_calib_in_force *c = &cal[k];
		int iv_s, iv_r;
		const struct aq_hour_sums *s =
			hours_of(db, cache, &n_cache, c->station_id, all, n_all, from, today, &iv_s, &st);
		const struct aq_hour_sums *r =
			s ? hours_of(db, cache, &n_cache, c->reference_id, all, n_all, from, today, &iv_r, &st) : NULL;
		if (!s || !r)
			break;
		int min_s = aq_hour_min_readings(iv_s), min_r = aq_hour_min_readings(iv_r);
		enum aq_pollutant p = c->pollutant;
		size_t m = 0;
		/* The span × 24 closed hours before the current one. */
		for (size_t slot = (size_t)hour; slot < (size_t)span * 24 + (size_t)hour; slot++) {
			const struct aq_hour_sums *a = &s[slot], *b = &r[slot];
			if (a->count[p] <= 0 || a->count[p] < min_s || b->count[p] <= 0 || b->count[p] < min_r)
				continue;
			bool has_rh = a->rh_count > 0;
			double corrected = aq_calib_apply(&c->use, a->sum[p] / a->count[p], has_rh,
							  has_rh ? a->rh_sum / a->rh_count : 0);
			t[m] = (double)(slot - (size_t)hour) / 24.0;
			res[m++] = corrected - b->sum[p] / b->count[p];
		}
		struct aq_drift *d = &(*out)[(*n)++];
		d->station_id = c->station_id;
		d->pollutant = p;
		d->calibration_id = c->use.id;
		d->version = c->use.version;
		d->pairs = (int)m;
		d->measured =
			aq_calib_drift(t, res, m, cfg->calibration_min_pairs, span, &d->change, &d->mean_residual);
	}
out:
	for (size_t k = 0; cache && k < n_cache; k++)
		free(cache[k].hours);
	free(cache);
	free(all);
	free(t);
	free(res);
	free(cal);
	if (st != AQ_OK) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return st;
}
