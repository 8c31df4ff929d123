/* day.c — the day service (aq_day.h): a local day of the network built live or from its
 * snapshot, ranked, with its interview list and streaks; finalization; and the views made of
 * days. The steps every day shares — which rules judge it, loading it, the provisional
 * interview list with its streaks — are written once here and used by building, finalizing
 * and the series alike; the computation itself is the pure dayview (dayview.c). */
#include "aq_day.h"
#include "aq_app.h"
#include "aq_bulletin_push.h"
#include "aq_clock.h"
#include "aq_db.h"
#include "aq_log.h"
#include "aq_metrics.h"
#include "aq_quality.h"
#include "aq_time.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static double ms_since(int64_t start_us)
{
	return (double)(aq_monotonic_us() - start_us) / 1000.0;
}

/* The clock's local day and the hours of it begun (the current one included). */
static int64_t clock_today(struct aq_app *app, int *hours_elapsed)
{
	int64_t today;
	int hour;
	aq_local_of(aq_clock_now(&app->clock), &today, &hour, NULL);
	if (hours_elapsed)
		*hours_elapsed = hour + 1;
	return today;
}

/* A live day judged by the rules in force now (AQRANK_*): today provisionally after
 * hours_elapsed hours, any other day whole. */
static void rules_in_force(const struct aq_config *cfg, int64_t day, bool today, int hours_elapsed,
			   struct aq_dayview *v)
{
	memset(v, 0, sizeof *v);
	v->day = day;
	v->is_today = today;
	v->hours_elapsed = today ? hours_elapsed : 24;
	v->metric = (enum aq_metric)cfg->metric;
	v->policy = (enum aq_insufficient_policy)cfg->insufficient;
	v->interview_count = cfg->interview_count;
	v->min_hours = cfg->min_hours;
	v->composite_mask = cfg->composite_mask;
	v->standard = aq_day_standard((enum aq_standard_pin)cfg->aqi_standard, day);
	aq_rule_version(v->standard->name, cfg->aqi_standard != AQ_STANDARD_AUTO, v->min_hours, v->rule_version);
	aq_quality_rules(cfg, &v->qc);
}

/* A finalized day judged by the rules it was finalized with. */
static void rules_of_snapshot(const struct aq_day_info *info, int64_t day, struct aq_dayview *v)
{
	memset(v, 0, sizeof *v);
	v->day = day;
	v->hours_elapsed = 24;
	v->final = true;
	v->finalized_us = info->finalized_us;
	v->late_readings = info->late_readings;
	v->min_hours = info->min_hours;
	v->composite_mask = info->composite_mask;
	v->interview_count = info->interview_count;
	v->metric = AQ_METRIC_PM10;
	v->policy = AQ_INSUFFICIENT_SEPARATE;
	aq_metric_from_name(info->metric, &v->metric);
	aq_insufficient_policy_from_name(info->insufficient, &v->policy);
	snprintf(v->rule_version, sizeof v->rule_version, "%s", info->rule_version);
	v->standard = aq_day_standard_of_rule(info->rule_version, day); /* as finalized */
}

/* Fills v (its rules set) with its stations' values: the snapshot's for a final day, else
 * computed from the hourly sums after quality control and calibration (aq_quality.h: the one
 * point where a day's hours are corrected). */
static enum aq_status load_view(struct aq_db *db, struct aq_dayview *v, struct aq_day_timing *timing)
{
	if (v->final) {
		enum aq_status st = aq_db_day_load_snapshot(db, v, v->standard);
		return st == AQ_OK ? aq_db_quality_snapshot_load(db, v) : st;
	}
	enum aq_status st = aq_db_day_load_live(db, v);
	if (st == AQ_OK)
		st = aq_quality_apply(db, v, NULL);
	int64_t mark = aq_monotonic_us();
	if (st == AQ_OK)
		aq_dayview_compute(v);
	if (timing)
		timing->rank_ms += ms_since(mark);
	return st;
}

/* The interview entries the rule gives for a ranked day, with consecutive_days counted from
 * the day before's stored list: what today shows, what finalization stores. */
static enum aq_status rule_interviews(struct aq_db *db, const struct aq_dayview *v, const struct aq_day_ranking *dr,
				      struct aq_interview **out, size_t *n_out)
{
	size_t n = dr->r.n_interview;
	struct aq_interview *list = calloc(n ? n : 1, sizeof *list);
	int *ids = calloc(n ? n : 1, sizeof *ids), *streaks = calloc(n ? n : 1, sizeof *streaks);
	enum aq_status st = AQ_ERR_INTERNAL;
	if (!list || !ids || !streaks)
		goto out;
	aq_dayview_interviews(v, dr, list);
	for (size_t i = 0; i < n; i++)
		ids[i] = list[i].station_id;
	if ((st = aq_db_interview_streaks(db, v->day - 1, ids, n, streaks)) != AQ_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		list[i].consecutive_days = streaks[i] + 1;
	*out = list;
	*n_out = n;
	list = NULL;
out:
	free(list);
	free(ids);
	free(streaks);
	return st;
}

/* The index of the national point a ring is asked around. */
static enum aq_status ring_center(const struct aq_dayview *v, const char *near, size_t *center, const char **problem)
{
	*center = SIZE_MAX;
	if (!near)
		return AQ_OK;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->stations[i].station.code, near) == 0)
			*center = i;
	if (*center == SIZE_MAX) {
		*problem = "near names no station of that day.";
		return AQ_ERR_UNKNOWN_STATION;
	}
	if (v->stations[*center].station.kind != AQ_KIND_NATIONAL) {
		*problem = "near must name a national point.";
		return AQ_ERR_INVALID_PARAMETER;
	}
	return AQ_OK;
}

static enum aq_status build(struct aq_app *app, struct aq_db *db, const struct aq_day_query *q, struct aq_day *d,
			    const char **problem)
{
	struct aq_dayview *v = &d->view;
	struct aq_day_info info;
	int hours_elapsed;
	int64_t today = clock_today(app, &hours_elapsed);
	size_t center;
	enum aq_status st;

	if (q->day > today) {
		*problem = "That day has not begun.";
		return AQ_ERR_NO_DATA;
	}
	if ((st = aq_db_day_info(db, q->day, &info)) != AQ_OK)
		return st;
	if (q->day < today && !info.exists) {
		*problem = "There are no readings for that day.";
		return AQ_ERR_NO_DATA;
	}
	if (info.final)
		rules_of_snapshot(&info, q->day, v);
	else
		rules_in_force(app->cfg, q->day, q->day == today, hours_elapsed, v);
	if ((st = load_view(db, v, &d->timing)) != AQ_OK || (st = ring_center(v, q->near, &center, problem)) != AQ_OK)
		return st;
	int64_t mark = aq_monotonic_us();
	int ranked = aq_dayview_rank(v, q->metric, v->policy, v->interview_count, center, q->radius_km, &d->ranking);
	d->timing.rank_ms += ms_since(mark);
	if (ranked != 0)
		return AQ_ERR_INTERNAL;
	/* The stored list is the one officials act on; any other view shows what the rule gives. */
	if (v->final && q->metric == v->metric && !q->near) {
		struct aq_interview_filter f = {q->day, q->day, NULL, -1, 10000};
		d->interview_stored = true;
		return aq_db_interviews_list(db, &f, &d->interview, &d->n_interview);
	}
	return rule_interviews(db, v, &d->ranking, &d->interview, &d->n_interview);
}

enum aq_status aq_day_build(struct aq_app *app, const struct aq_day_query *q, struct aq_day *out, const char **problem)
{
	enum aq_status st;
	memset(out, 0, sizeof *out);
	*problem = NULL;
	int64_t start = aq_monotonic_us();
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	st = build(app, db, q, out, problem);
	aq_db_release(app->pool, db);
	/* Everything that is not ranking is the database's. */
	out->timing.load_ms = ms_since(start) - out->timing.rank_ms;
	return st;
}

enum aq_status aq_day_values(struct aq_app *app, struct aq_db *db, int64_t day, struct aq_dayview *v, bool *final,
			     int64_t *stamp)
{
	struct aq_day_info info;
	int hours_elapsed;
	int64_t today = clock_today(app, &hours_elapsed);
	memset(v, 0, sizeof *v);
	*final = false;
	*stamp = 0;
	enum aq_status st = aq_db_day_info(db, day, &info);
	if (st != AQ_OK || day > today || (!info.exists && day < today))
		return st;
	if (info.final) {
		rules_of_snapshot(&info, day, v);
		*final = true;
		*stamp = info.finalized_us;
	} else {
		rules_in_force(app->cfg, day, day == today, hours_elapsed, v);
	}
	return load_view(db, v, NULL);
}

void aq_day_cleanup(struct aq_day *d)
{
	if (!d)
		return;
	aq_day_ranking_cleanup(&d->ranking);
	aq_dayview_cleanup(&d->view);
	free(d->interview);
	memset(d, 0, sizeof *d);
}

/* ---- finalization ---- */

struct finalize_args {
	struct aq_app *app;
	int64_t day;
	bool force;
	bool *done;
};

static enum aq_status finalize_tx(struct aq_db *db, void *arg)
{
	struct finalize_args *a = arg;
	struct aq_dayview v;
	struct aq_day_ranking dr;
	struct aq_interview *list = NULL;
	size_t n = 0;
	bool locked, final;

	*a->done = false;
	memset(&v, 0, sizeof v);
	memset(&dr, 0, sizeof dr);
	enum aq_status st = aq_db_day_lock(db, a->day, &locked, &final);
	if (st != AQ_OK || !locked || (final && !a->force))
		return st;
	rules_in_force(a->app->cfg, a->day, false, 24, &v);
	v.finalized_us = aq_clock_now(&a->app->clock); /* the one clock, frozen by AQRANK_NOW */
	if ((st = load_view(db, &v, NULL)) != AQ_OK || (st = aq_db_snapshot_write(db, &v)) != AQ_OK ||
	    (st = aq_db_quality_snapshot_write(db, &v)) != AQ_OK)
		goto out;
	if (aq_dayview_rank(&v, v.metric, v.policy, v.interview_count, SIZE_MAX, a->app->cfg->radius_km, &dr) != 0) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	if ((st = rule_interviews(db, &v, &dr, &list, &n)) != AQ_OK ||
	    (st = aq_db_interviews_write(db, a->day, list, n)) != AQ_OK || (st = aq_db_day_mark_final(db, &v)) != AQ_OK)
		goto out;
	/* The day's bulletin goes out with its snapshot, in the same transaction: once, at the
	 * first finalization. */
	if (!final && (st = aq_bulletin_push_queue(db, a->app->cfg, &v, &dr, list, n, v.finalized_us)) != AQ_OK)
		goto out;
	*a->done = true;
out:
	free(list);
	aq_day_ranking_cleanup(&dr);
	aq_dayview_cleanup(&v);
	return st;
}

/* Finalizes day on db (see aq_day_finalize). */
static enum aq_status finalize_on(struct aq_app *app, struct aq_db *db, int64_t day, bool force, bool *done)
{
	struct finalize_args a = {app, day, force, done};
	enum aq_status st = aq_db_tx(db, finalize_tx, &a);
	if (st == AQ_OK && *done) {
		char date[11];
		aq_date_format(day, date);
		aq_log(AQ_LOG_INFO, "finalized %s%s", date, force ? " (again, on request)" : "");
		aq_app_note_write(app);
		aq_metrics_add(app->metrics, AQ_C_FINALIZATIONS, 1);
	}
	return st;
}

enum aq_status aq_day_finalize(struct aq_app *app, int64_t day, bool force, bool *done)
{
	struct aq_day_info info;
	enum aq_status st;
	*done = false;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	st = aq_db_day_info(db, day, &info);
	if (st == AQ_OK && !info.exists)
		st = AQ_ERR_NO_DATA;
	if (st == AQ_OK)
		st = finalize_on(app, db, day, force, done);
	aq_db_release(app->pool, db);
	return st;
}

int aq_day_finalize_due(struct aq_app *app)
{
	const struct aq_config *cfg = app->cfg;
	int64_t now = aq_clock_now(&app->clock);
	enum aq_status st;
	double idle;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return 0;
	int64_t days[64];
	size_t n = 0;
	int finalized = 0;
	/* A backfill of past days still arriving (at any daemon) must not be cut in half. */
	if ((st = aq_db_backfill_idle(db, &idle)) != AQ_OK || idle < cfg->finalize_quiet) {
		aq_db_release(app->pool, db);
		return 0;
	}
	st = aq_db_days_due(db, clock_today(app, NULL), days, sizeof days / sizeof days[0], &n);
	for (size_t i = 0; st == AQ_OK && i < n && !atomic_load(&app->stopping); i++) {
		int64_t due = aq_local_midnight(days[i] + 1) + (int64_t)cfg->finalize_after * AQ_US_PER_SEC;
		if (now < due)
			break; /* days are oldest first: the rest are not due either */
		bool done = false;
		st = finalize_on(app, db, days[i], false, &done);
		finalized += done;
	}
	if (st != AQ_OK && st != AQ_ERR_DB_UNAVAILABLE)
		aq_log(AQ_LOG_ERROR, "finalization failed: %s", aq_status_message(st));
	aq_db_release(app->pool, db);
	return finalized;
}

/* ---- the campaign summary ---- */

/* Station ids seen so far, sorted, each with its index into the summary's stations. */
struct id_index {
	int id;
	size_t k;
};

/* The summary index of station s, adding it when new. SIZE_MAX on ENOMEM. */
static size_t summary_station(struct aq_day_summary *out, struct id_index **index, const struct aq_station *s)
{
	size_t lo = 0, hi = out->n_stations;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if ((*index)[mid].id < s->id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < out->n_stations && (*index)[lo].id == s->id)
		return (*index)[lo].k;
	struct id_index *grown_index = realloc(*index, (out->n_stations + 1) * sizeof **index);
	if (grown_index)
		*index = grown_index;
	struct aq_station *grown = realloc(out->stations, (out->n_stations + 1) * sizeof *grown);
	if (grown)
		out->stations = grown;
	if (!grown_index || !grown)
		return SIZE_MAX;
	memmove(&(*index)[lo + 1], &(*index)[lo], (out->n_stations - lo) * sizeof **index);
	(*index)[lo] = (struct id_index){s->id, out->n_stations};
	out->stations[out->n_stations] = *s;
	return out->n_stations++;
}

/* Room for one more record in *rec. */
static bool records_grow(struct aq_summary_day **rec, size_t n, size_t *cap)
{
	if (n < *cap)
		return true;
	size_t want = *cap ? *cap * 2 : 256;
	struct aq_summary_day *grown = realloc(*rec, want * sizeof *grown);
	if (!grown)
		return false;
	*rec = grown;
	*cap = want;
	return true;
}

/* Appends to *rec one record per ranked station of a finalized day. */
static enum aq_status summarize_day(struct aq_db *db, struct aq_day_summary *out, int64_t day,
				    const struct aq_interview *ivs, size_t n_iv, double radius_km,
				    struct id_index **index, struct aq_summary_day **rec, size_t *n_rec,
				    size_t *cap_rec)
{
	struct aq_day_info info;
	struct aq_dayview v;
	struct aq_day_ranking dr;
	memset(&v, 0, sizeof v);
	memset(&dr, 0, sizeof dr);
	enum aq_status st = aq_db_day_info(db, day, &info);
	if (st != AQ_OK)
		return st;
	rules_of_snapshot(&info, day, &v);
	if ((st = load_view(db, &v, NULL)) == AQ_OK &&
	    aq_dayview_rank(&v, out->metric, v.policy, v.interview_count, SIZE_MAX, radius_km, &dr) != 0)
		st = AQ_ERR_INTERNAL;
	/* The standards the period was judged by, each named once, in the order first met. */
	size_t known = 0;
	while (known < out->n_standards && out->standards[known] != v.standard)
		known++;
	if (known == out->n_standards && known < sizeof out->standards / sizeof out->standards[0])
		out->standards[out->n_standards++] = v.standard;
	for (size_t e = 0; st == AQ_OK && e < dr.n_entries; e++) {
		const struct aq_day_station *s = &v.stations[dr.entry_station[e]];
		size_t k = summary_station(out, index, &s->station);
		if (k == SIZE_MAX || !records_grow(rec, *n_rec, cap_rec)) {
			st = AQ_ERR_INTERNAL;
			break;
		}
		struct aq_summary_day *r = &(*rec)[(*n_rec)++];
		bool has_tie;
		double tie;
		int hours;
		memset(r, 0, sizeof *r);
		r->station = k;
		r->day = (int)day;
		aq_metric_value(&s->daily, out->metric, &r->valid, &r->value, &tie, &has_tie, &hours);
		r->insufficient = !r->valid;
		r->has_aqi = s->daily.aqi.valid;
		r->aqi = s->daily.aqi.aqi;
		r->over_limit_mask = s->daily.over_limit_mask;
		for (size_t row = 0; row < dr.r.n_rows; row++)
			if (dr.r.rows[row].entry == e && !dr.r.rows[row].insufficient)
				r->rank = dr.r.rows[row].rank;
		/* Interview days are the summons that happened: the stored lists. */
		for (size_t i = 0; i < n_iv; i++)
			if (ivs[i].day == day && ivs[i].station_id == s->station.id)
				r->interviewed = true;
	}
	aq_day_ranking_cleanup(&dr);
	aq_dayview_cleanup(&v);
	return st;
}

enum aq_status aq_day_summary(struct aq_app *app, int64_t from, int64_t to, enum aq_metric metric,
			      struct aq_day_summary *out)
{
	int64_t *days = NULL;
	size_t n_days = 0, n_iv = 0, n_rec = 0, cap_rec = 0;
	struct aq_interview *ivs = NULL;
	struct aq_summary_day *rec = NULL;
	struct id_index *index = NULL;
	const char **codes = NULL;
	enum aq_status st;

	memset(out, 0, sizeof *out);
	out->from = from;
	out->to = to;
	out->metric = metric;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	struct aq_interview_filter f = {from, to, NULL, -1, 1000000};
	if ((st = aq_db_final_days(db, from, to, &days, &n_days)) == AQ_OK)
		st = aq_db_interviews_list(db, &f, &ivs, &n_iv);
	for (size_t d = 0; st == AQ_OK && d < n_days; d++)
		st = summarize_day(db, out, days[d], ivs, n_iv, app->cfg->radius_km, &index, &rec, &n_rec, &cap_rec);
	aq_db_release(app->pool, db);
	out->days_finalized = n_days;
	codes = calloc(out->n_stations ? out->n_stations : 1, sizeof *codes);
	if (st == AQ_OK && !codes)
		st = AQ_ERR_INTERNAL;
	for (size_t k = 0; codes && k < out->n_stations; k++)
		codes[k] = out->stations[k].code;
	if (st == AQ_OK && aq_summary_compute(rec, n_rec, out->n_stations, codes, metric, &out->sum) != 0)
		st = AQ_ERR_INTERNAL;
	free(codes);
	free(index);
	free(rec);
	free(ivs);
	free(days);
	return st;
}

void aq_day_summary_cleanup(struct aq_day_summary *s)
{
	if (!s)
		return;
	aq_summary_cleanup(&s->sum);
	free(s->stations);
	memset(s, 0, sizeof *s);
}

/* ---- one station ---- */

enum aq_status aq_day_station_series(struct aq_app *app, const char *code, int64_t from, int64_t to,
				     struct aq_station *station, struct aq_station_day **days, size_t *n)
{
	int hours_elapsed;
	int64_t today = clock_today(app, &hours_elapsed);
	size_t n_days = (size_t)(to - from + 1);
	/* From the day before `from`: quality control reads a day's predecessor. */
	struct aq_hour_sums *hours = calloc((n_days + 1) * 24, sizeof *hours);
	int *readings = calloc((n_days + 1) * 24, sizeof *readings);
	struct aq_station_day *list = calloc(n_days, sizeof *list);
	enum aq_status st = AQ_ERR_INTERNAL;
	struct aq_db *db = NULL;

	*days = NULL;
	*n = 0;
	if (!hours || !readings || !list || !(db = aq_app_db(app, &st)))
		goto out;
	if ((st = aq_db_station_get(db, code, station)) != AQ_OK ||
	    (st = aq_db_station_hours(db, station->id, from - 1, to, hours, readings)) != AQ_OK)
		goto out;
	for (int64_t day = from; st == AQ_OK && day <= to; day++) {
		struct aq_day_info info;
		struct aq_dayview v;
		const struct aq_daily *daily = NULL;
		size_t base = (size_t)(day - from + 1) * 24;
		int n_readings = 0;
		memset(&v, 0, sizeof v);
		for (int h = 0; h < 24; h++)
			n_readings += readings[base + (size_t)h];
		if ((st = aq_db_day_info(db, day, &info)) != AQ_OK)
			break;
		/* Final days show the values officials saw (the snapshot); other days, the station's
		 * hours judged by the same dayview as the day's ranking. */
		if (info.final) {
			rules_of_snapshot(&info, day, &v);
			st = load_view(db, &v, NULL);
			for (size_t i = 0; st == AQ_OK && i < v.n; i++)
				if (v.stations[i].station.id == station->id)
					daily = &v.stations[i].daily;
		}
		if (st == AQ_OK && !daily && (info.exists || day == today)) {
			aq_dayview_cleanup(&v);
			rules_in_force(app->cfg, day, day == today, hours_elapsed, &v);
			if (!(v.stations = calloc(1, sizeof *v.stations))) {
				st = AQ_ERR_INTERNAL;
				break;
			}
			v.n = 1;
			v.stations[0].station = *station;
			v.stations[0].readings = n_readings;
			memcpy(v.stations[0].hours, &hours[base], sizeof v.stations[0].hours);
			memcpy(v.stations[0].hour_readings, &readings[base], sizeof v.stations[0].hour_readings);
			/* The station's own flags and calibration; divergence needs the ring's day. */
			if ((st = aq_quality_apply(db, &v, &hours[base - 24])) == AQ_OK) {
				aq_dayview_compute(&v);
				n_readings = v.stations[0].readings; /* today: the hours begun */
				daily = &v.stations[0].daily;
			}
		}
		if (st == AQ_OK && daily && (n_readings > 0 || info.final))
			list[(*n)++] = (struct aq_station_day){day, info.final, n_readings, *daily, v.standard};
		aq_dayview_cleanup(&v);
	}
out:
	if (db)
		aq_db_release(app->pool, db);
	if (st == AQ_OK) {
		*days = list;
		list = NULL;
	} else {
		*n = 0;
	}
	free(list);
	free(hours);
	free(readings);
	return st;
}

enum aq_status aq_day_station_hours(struct aq_app *app, const char *code, int64_t day, struct aq_station *station,
				    struct aq_hourly hours[24], int readings[24],
				    const struct aq_aqi_standard **standard)
{
	struct aq_hour_sums sums[24];
	enum aq_status st;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	if ((st = aq_db_station_get(db, code, station)) == AQ_OK)
		st = aq_db_station_hours(db, station->id, day, day, sums, readings);
	aq_db_release(app->pool, db);
	*standard = aq_day_standard((enum aq_standard_pin)app->cfg->aqi_standard, day);
	for (int h = 0; st == AQ_OK && h < 24; h++)
		aq_hourly_compute(&sums[h], station->interval_s, *standard, &hours[h]);
	return st;
}

enum aq_status aq_day_view(struct aq_app *app, struct aq_db *db, int64_t day, struct aq_dayview *v)
{
	struct aq_day_info info;
	int hours_elapsed;
	int64_t today = clock_today(app, &hours_elapsed);
	memset(v, 0, sizeof *v);
	if (day > today)
		return AQ_ERR_NO_DATA;
	enum aq_status st = aq_db_day_info(db, day, &info);
	if (st != AQ_OK)
		return st;
	if (info.final)
		rules_of_snapshot(&info, day, v);
	else
		rules_in_force(app->cfg, day, day == today, hours_elapsed, v);
	return load_view(db, v, NULL);
}
