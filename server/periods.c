/* periods.c — the period rankings (aq_periods.h): every station's daily values over the
 * period (and the baseline), gathered per subject — a station, or a unit whose daily value is
 * the mean of its valid stations' — assessed by period.c and ranked by ranking.c.
 *
 * Why a cache of days: a year of 1000 stations is 365,000 station-days, about 250 ms to fetch
 * from the snapshots each time; a finalized day does not change until it is re-finalized, so
 * each is read once into a compact block (32 bytes a station) and kept, checked against the
 * days' finalization times (one query per request). Days not yet finalized are computed live
 * each time, as today's ranking is. */
#include "aq_periods.h"
#include "aq_app.h"
#include "aq_clock.h"
#include "aq_day.h"
#include "aq_db.h"
#include "aq_time.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {"day", "month", "year", "month-to-date", "year-to-date", "campaign"};
static const char *const metric_names[AQ_PERIOD_METRICS] = {
	"composite", "pm25", "pm10", "aqi", "composite_change", "pm25_change", "pm10_change", "aqi_change"};

const char *aq_period_kind_name(enum aq_period_kind k)
{
	return (int)k >= 0 && (size_t)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : NULL;
}

const char *aq_period_metric_name(enum aq_period_metric m)
{
	return (int)m >= 0 && m < AQ_PERIOD_METRICS ? metric_names[m] : NULL;
}

bool aq_period_metric_from_name(const char *name, enum aq_period_metric *out)
{
	for (int m = 0; name && m < AQ_PERIOD_METRICS; m++) {
		if (strcmp(name, metric_names[m]) == 0) {
			*out = (enum aq_period_metric)m;
			return true;
		}
	}
	return false;
}

static bool is_change(enum aq_period_metric m)
{
	return m >= AQ_PM_COMPOSITE_CHANGE;
}

/* ---- the day blocks and their cache ---- */

/* One station-day as a period needs it. Published daily values have at most one decimal (CO),
 * so they are kept exactly as tenths: a float would be off by 1e-7 and tip a percentile's
 * half-to-even rounding (CO 6.65 → 6.7 instead of 6.6). */
struct station_day {
	int station_id;
	uint8_t valid; /* AQ_POLLUTANT_BIT per valid daily value */
	bool has_aqi;
	int16_t aqi;
	int32_t tenths[AQ_POLLUTANTS];
};

/* Every station's values of one day, sorted by station id; shared by reference count. */
struct day_block {
	int refs;
	int64_t day, stamp;
	size_t n;
	struct station_day rows[];
};

/* 800 slots, one per day modulo 800: a year and its baseline year always fit. */
#define CACHE_DAYS 800

struct aq_period_cache {
	pthread_mutex_t lock;
	struct day_block *slots[CACHE_DAYS];
};

static void block_release(struct aq_period_cache *c, struct day_block *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&c->lock);
	bool last = --b->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (last)
		free(b);
}

struct aq_period_cache *aq_period_cache_new(void)
{
	struct aq_period_cache *c = calloc(1, sizeof *c);
	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void aq_period_cache_free(struct aq_period_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < CACHE_DAYS; i++)
		free(c->slots[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static int by_station_id(const void *a, const void *b)
{
	const struct station_day *x = a, *y = b;
	return (x->station_id > y->station_id) - (x->station_id < y->station_id);
}

/* A block of the day's values (a new reference). */
static enum aq_status block_load(struct aq_app *app, struct aq_db *db, int64_t day, struct day_block **out)
{
	struct aq_dayview v;
	bool final;
	int64_t stamp;
	*out = NULL;
	enum aq_status st = aq_day_values(app, db, day, &v, &final, &stamp);
	struct day_block *b = st == AQ_OK ? malloc(sizeof *b + (v.n ? v.n : 1) * sizeof b->rows[0]) : NULL;
	if (st == AQ_OK && !b)
		st = AQ_ERR_INTERNAL;
	if (b) {
		*b = (struct day_block){.refs = 1, .day = day, .stamp = final ? stamp : 0, .n = 0};
		for (size_t i = 0; i < v.n; i++) {
			const struct aq_day_station *s = &v.stations[i];
			struct station_day *r = &b->rows[b->n++];
			memset(r, 0, sizeof *r);
			r->station_id = s->station.id;
			for (int p = 0; p < AQ_POLLUTANTS; p++) {
				if (s->daily.valid[p]) {
					r->valid |= (uint8_t)AQ_POLLUTANT_BIT(p);
					r->tenths[p] = (int32_t)llround(s->daily.published[p] * 10.0);
				}
			}
			r->has_aqi = s->daily.aqi.valid;
			r->aqi = (int16_t)(s->daily.aqi.valid ? s->daily.aqi.aqi : 0);
		}
		qsort(b->rows, b->n, sizeof b->rows[0], by_station_id);
		*out = b;
	}
	aq_dayview_cleanup(&v);
	return st;
}

/* The blocks of [from, to] (blocks[d - from], NULL for a day without readings). */
static enum aq_status days_load(struct aq_app *app, struct aq_db *db, int64_t from, int64_t to,
				struct day_block **blocks)
{
	struct aq_period_cache *c = app->periods;
	size_t n = (size_t)(to - from + 1);
	int64_t *stamps = calloc(n, sizeof *stamps);
	enum aq_status st = stamps ? aq_db_day_stamps(db, from, to, stamps) : AQ_ERR_INTERNAL;
	for (size_t i = 0; st == AQ_OK && i < n; i++) {
		int64_t day = from + (int64_t)i;
		blocks[i] = NULL;
		if (stamps[i] < 0 && day != aq_app_today(app))
			continue;
		size_t slot = (size_t)(((day % CACHE_DAYS) + CACHE_DAYS) % CACHE_DAYS);
		pthread_mutex_lock(&c->lock);
		struct day_block *hit = c->slots[slot];
		if (hit && hit->day == day && stamps[i] > 0 && hit->stamp == stamps[i]) {
			hit->refs++;
			blocks[i] = hit;
		}
		pthread_mutex_unlock(&c->lock);
		if (blocks[i])
			continue;
		if ((st = block_load(app, db, day, &blocks[i])) != AQ_OK)
			break;
		if (blocks[i]->stamp > 0) { /* final: keep it */
			pthread_mutex_lock(&c->lock);
			struct day_block *old = c->slots[slot];
			c->slots[slot] = blocks[i];
			blocks[i]->refs++;
			bool free_old = old && --old->refs == 0;
			pthread_mutex_unlock(&c->lock);
			if (free_old)
				free(old);
		}
	}
	free(stamps);
	return st;
}

static void days_release(struct aq_app *app, struct day_block **blocks, size_t n)
{
	for (size_t i = 0; blocks && i < n; i++)
		block_release(app->periods, blocks[i]);
}

static const struct station_day *find_row(const struct day_block *b, int station_id)
{
	size_t lo = 0, hi = b ? b->n : 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (b->rows[mid].station_id < station_id)
			lo = mid + 1;
		else if (b->rows[mid].station_id > station_id)
			hi = mid;
		else
			return &b->rows[mid];
	}
	return NULL;
}

/* ---- subjects ---- */

/* Scratch arrays for one subject's series: n_days values per pollutant and for the AQI. */
struct series_buf {
	double *v[AQ_POLLUTANTS];
	double *aqi;
};

static bool series_buf_new(struct series_buf *b, size_t n_days)
{
	memset(b, 0, sizeof *b);
	bool ok = (b->aqi = calloc(n_days ? n_days : 1, sizeof(double))) != NULL;
	for (int p = 0; ok && p < AQ_POLLUTANTS; p++)
		ok = (b->v[p] = calloc(n_days ? n_days : 1, sizeof(double))) != NULL;
	return ok;
}

static void series_buf_free(struct series_buf *b)
{
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		free(b->v[p]);
	free(b->aqi);
}

/* The series of a subject made of `members` stations (one for a station): per day and
 * pollutant the mean of the members' valid values, when any is valid; the AQI likewise. */
static void gather(struct day_block *const *blocks, size_t n_days, const struct aq_station *stations,
		   const size_t *members, size_t n_members, struct series_buf *buf, struct aq_period_series *s)
{
	memset(s, 0, sizeof *s);
	for (size_t d = 0; d < n_days; d++) {
		double sum[AQ_POLLUTANTS] = {0}, aqi_sum = 0;
		int count[AQ_POLLUTANTS] = {0}, aqi_count = 0;
		for (size_t m = 0; blocks[d] && m < n_members; m++) {
			const struct station_day *r = find_row(blocks[d], stations[members[m]].id);
			if (!r)
				continue;
			for (int p = 0; p < AQ_POLLUTANTS; p++) {
				if (r->valid & AQ_POLLUTANT_BIT(p)) {
					sum[p] += r->tenths[p] / 10.0;
					count[p]++;
				}
			}
			if (r->has_aqi) {
				aqi_sum += r->aqi;
				aqi_count++;
			}
		}
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			if (count[p])
				buf->v[p][s->n[p]++] = sum[p] / count[p];
		if (aqi_count)
			buf->aqi[s->n_aqi++] = aqi_sum / aqi_count;
	}
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		s->daily[p] = buf->v[p];
	s->aqi = buf->aqi;
}

static int station_by_code(const void *a, const void *b)
{
	return strcmp(((const struct aq_station *)a)->code, ((const struct aq_station *)b)->code);
}

/* The stations a period ranks: active micro stations that existed by its last day. */
static enum aq_status period_stations(struct aq_db *db, int64_t to, struct aq_period_result *out)
{
	struct aq_station *all = NULL;
	size_t n = 0;
	enum aq_status st = aq_db_station_list(db, AQ_KIND_MICRO, &all, &n);
	if (st != AQ_OK)
		return st;
	out->stations = calloc(n ? n : 1, sizeof *out->stations);
	if (!out->stations) {
		free(all);
		return AQ_ERR_INTERNAL;
	}
	for (size_t i = 0; i < n; i++)
		if (aq_station_ranked_on(&all[i], to))
			out->stations[out->n_stations++] = all[i];
	free(all);
	qsort(out->stations, out->n_stations, sizeof *out->stations, station_by_code);
	return AQ_OK;
}

/* One row per station, or per unit (in the order of the first member met, stations being by
 * code). */
static enum aq_status make_rows(struct aq_period_result *out)
{
	out->rows = calloc(out->n_stations ? out->n_stations : 1, sizeof *out->rows);
	if (!out->rows)
		return AQ_ERR_INTERNAL;
	for (size_t i = 0; i < out->n_stations; i++) {
		const struct aq_station *s = &out->stations[i];
		struct aq_period_row *row = NULL;
		for (size_t k = 0; out->query.by_unit && k < out->n_rows && !row; k++)
			if (strcmp(out->rows[k].key, s->unit) == 0)
				row = &out->rows[k];
		if (!row) {
			row = &out->rows[out->n_rows++];
			snprintf(row->key, sizeof row->key, "%s", out->query.by_unit ? s->unit : s->code);
			snprintf(row->name, sizeof row->name, "%s", out->query.by_unit ? "" : s->name);
			snprintf(row->unit, sizeof row->unit, "%s", s->unit);
			if (!(row->members = calloc(out->n_stations, sizeof *row->members)))
				return AQ_ERR_INTERNAL;
		}
		row->members[row->n_members++] = i;
	}
	return AQ_OK;
}

/* What a row is ranked by, and the tie-break (the other PM, as the day ranking). */
static void metric_of(const struct aq_period_result *r, struct aq_period_row *row, struct aq_rank_entry *e)
{
	const struct aq_period_value *v = &row->value;
	enum aq_period_metric m = r->query.metric;
	e->code = row->key;
	e->has_tie = v->valid[m == AQ_PM_PM10 || m == AQ_PM_PM10_CHANGE ? AQ_PM25 : AQ_PM10];
	e->tie = v->conc[m == AQ_PM_PM10 || m == AQ_PM_PM10_CHANGE ? AQ_PM25 : AQ_PM10];
	e->valid_hours = v->valid_days[AQ_PM25] < v->valid_days[AQ_PM10] ? v->valid_days[AQ_PM25]
									 : v->valid_days[AQ_PM10];
	const struct aq_period_value *b = &row->base;
	switch (m) {
	case AQ_PM_COMPOSITE: row->has_metric = v->has_composite, row->metric_value = v->composite; break;
	case AQ_PM_PM25: row->has_metric = v->valid[AQ_PM25], row->metric_value = v->conc[AQ_PM25]; break;
	case AQ_PM_PM10: row->has_metric = v->valid[AQ_PM10], row->metric_value = v->conc[AQ_PM10]; break;
	case AQ_PM_AQI: row->has_metric = v->has_aqi, row->metric_value = v->aqi_mean; break;
	default: {
		bool now_ok, base_ok;
		double now, base;
		if (m == AQ_PM_COMPOSITE_CHANGE)
			now_ok = v->has_composite, base_ok = b->has_composite, now = v->composite, base = b->composite;
		else if (m == AQ_PM_PM25_CHANGE)
			now_ok = v->valid[AQ_PM25], base_ok = b->valid[AQ_PM25], now = v->conc[AQ_PM25], base = b->conc[AQ_PM25];
		else if (m == AQ_PM_PM10_CHANGE)
			now_ok = v->valid[AQ_PM10], base_ok = b->valid[AQ_PM10], now = v->conc[AQ_PM10], base = b->conc[AQ_PM10];
		else
			now_ok = v->has_aqi, base_ok = b->has_aqi, now = v->aqi_mean, base = b->aqi_mean;
		row->has_change = now_ok && row->has_base && base_ok && aq_period_change(now, base, &row->change);
		row->has_metric = row->has_change;
		row->metric_value = row->change;
		e->valid_hours = now_ok; /* "valid now" tells no baseline from no data */
	}
	}
	e->has_value = row->has_metric;
	e->value = row->metric_value;
}

static enum aq_status assess(struct aq_app *app, struct aq_db *db, struct aq_period_result *out)
{
	const struct aq_period_query *q = &out->query;
	size_t n_days = (size_t)(q->to - q->from + 1), n_base = 0;
	struct day_block **blocks = calloc(n_days, sizeof *blocks), **base = NULL;
	struct series_buf buf;
	enum aq_status st = AQ_ERR_INTERNAL;
	bool buf_ok = series_buf_new(&buf, n_days);
	if (!blocks || !buf_ok)
		goto out;
	if ((st = days_load(app, db, q->from, q->to, blocks)) != AQ_OK)
		goto out;
	for (size_t d = 0; d < n_days; d++) {
		out->days_with_data += blocks[d] && blocks[d]->n > 0;
		out->final = out->final && blocks[d] && blocks[d]->stamp > 0;
	}
	struct aq_period_rules rules = {.min_days = out->min_days, .composite_mask = q->pollutants,
					.standard = out->standard};
	memcpy(rules.weights, out->weights, sizeof rules.weights);
	if (is_change(q->metric)) {
		n_base = (size_t)(out->base_to - out->base_from + 1);
		if (!(base = calloc(n_base, sizeof *base))) {
			st = AQ_ERR_INTERNAL;
			goto out;
		}
		if ((st = days_load(app, db, out->base_from, out->base_to, base)) != AQ_OK)
			goto out;
	}
	for (size_t k = 0; k < out->n_rows; k++) {
		struct aq_period_row *row = &out->rows[k];
		struct aq_period_series s;
		gather(blocks, n_days, out->stations, row->members, row->n_members, &buf, &s);
		aq_period_compute(&s, &rules, &row->value);
		if (base) {
			/* The baseline is judged by the same rules (limits, days needed), so a change says
			 * how the air changed, not how the standard did. */
			struct aq_period_rules base_rules = rules;
			base_rules.min_days = aq_period_min_days(out->base_from, out->base_to);
			gather(base, n_base, out->stations, row->members, row->n_members, &buf, &s);
			aq_period_compute(&s, &base_rules, &row->base);
			row->has_base = true;
		}
	}
	st = AQ_OK;
out:
	days_release(app, blocks, n_days);
	days_release(app, base, n_base);
	free(blocks);
	free(base);
	series_buf_free(&buf);
	return st;
}

static enum aq_status rank(const struct aq_app *app, struct aq_period_result *out)
{
	struct aq_rank_entry *entries = calloc(out->n_rows ? out->n_rows : 1, sizeof *entries);
	if (!entries)
		return AQ_ERR_INTERNAL;
	for (size_t k = 0; k < out->n_rows; k++)
		metric_of(out, &out->rows[k], &entries[k]);
	/* Equal values share a rank at the metric's published decimals: concentrations and AQI
	 * integers, the composite 2 decimals, changes 1 (already rounded, so 2 is the same). */
	enum aq_metric like = out->query.metric == AQ_PM_PM25 || out->query.metric == AQ_PM_PM10 ? AQ_METRIC_PM10
			      : out->query.metric == AQ_PM_AQI					   ? AQ_METRIC_AQI
												   : AQ_METRIC_COMPOSITE;
	int rc = aq_ranking_compute(entries, out->n_rows, like, AQ_INSUFFICIENT_SEPARATE, app->cfg->interview_count,
				    &out->ranking);
	/* A change metric: rows valid now but without a baseline are listed apart from those
	 * without data. */
	if (rc == 0 && is_change(out->query.metric)) {
		out->no_baseline = calloc(out->n_rows ? out->n_rows : 1, sizeof *out->no_baseline);
		if (!out->no_baseline)
			rc = -1;
		size_t kept = 0;
		for (size_t i = 0; rc == 0 && i < out->ranking.n_insufficient; i++) {
			size_t k = out->ranking.insufficient[i];
			if (entries[k].valid_hours)
				out->no_baseline[out->n_no_baseline++] = k;
			else
				out->ranking.insufficient[kept++] = k;
		}
		if (rc == 0)
			out->ranking.n_insufficient = kept;
	}
	free(entries);
	return rc == 0 ? AQ_OK : AQ_ERR_INTERNAL;
}

enum aq_status aq_period_build(struct aq_app *app, const struct aq_period_query *q, struct aq_period_result *out,
			       const char **problem)
{
	const struct aq_config *cfg = app->cfg;
	int y, m, d;
	memset(out, 0, sizeof *out);
	out->query = *q;
	*problem = NULL;
	int64_t today = aq_app_today(app);
	if (q->to < q->from) {
		*problem = "The period ends before it begins.";
		return AQ_ERR_INVALID_PARAMETER;
	}
	if (q->from > today) {
		*problem = "The period has not begun.";
		return AQ_ERR_INVALID_PARAMETER;
	}
	if (q->to - q->from + 1 > 366) {
		*problem = "A period is at most 366 days.";
		return AQ_ERR_INVALID_PARAMETER;
	}
	if (out->query.to > today)
		out->query.to = today; /* a period under way: up to today */
	out->days = (int)(out->query.to - out->query.from + 1);
	/* A period under way needs its share of the days the whole period needs. */
	int whole = (int)(q->to - q->from + 1);
	out->min_days = (aq_period_min_days(q->from, q->to) * out->days + whole - 1) / whole;
	if (out->min_days < 1)
		out->min_days = 1;
	/* A period is judged by the standards in force on its last day, and says when its first
	 * day was under others. */
	out->standard = aq_day_standard((enum aq_standard_pin)cfg->aqi_standard, out->query.to);
	out->straddles = aq_day_standard((enum aq_standard_pin)cfg->aqi_standard, out->query.from) != out->standard;
	memcpy(out->weights, cfg->composite_weights, sizeof out->weights);
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		out->weighted = out->weighted || ((q->pollutants & AQ_POLLUTANT_BIT(p)) && out->weights[p] != 1);
	aq_civil_from_days(out->query.from, &y, &m, &d);
	int shift = is_change(q->metric) ? y - q->baseline_year : 0;
	if (is_change(q->metric)) {
		int by, bm, bd;
		aq_civil_from_days(out->query.from, &by, &bm, &bd);
		out->base_from = aq_days_from_civil(by - shift, bm, bm == 2 && bd == 29 ? 28 : bd);
		aq_civil_from_days(out->query.to, &by, &bm, &bd);
		out->base_to = aq_days_from_civil(by - shift, bm, bm == 2 && bd == 29 ? 28 : bd);
	}
	char pollutants[64] = "";
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if (q->pollutants & AQ_POLLUTANT_BIT(p))
			snprintf(pollutants + strlen(pollutants), sizeof pollutants - strlen(pollutants), "%s%s",
				 pollutants[0] ? "," : "", aq_pollutant_field((enum aq_pollutant)p));
	snprintf(out->rule_version, sizeof out->rule_version, "%s/%s/composite:%s%s/min%dd", out->standard->name,
		 out->standard->limits_name, pollutants, out->weighted ? ":weighted" : "", out->min_days);
	for (char *c = out->rule_version; *c; c++)
		if (*c == ' ')
			*c = '_';
	out->final = true;
	enum aq_status st;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	if ((st = period_stations(db, out->query.to, out)) == AQ_OK && (st = make_rows(out)) == AQ_OK)
		st = assess(app, db, out);
	aq_db_release(app->pool, db);
	if (st == AQ_OK)
		st = rank(app, out);
	out->final = out->final && out->days_with_data > 0;
	return st;
}

void aq_period_cleanup(struct aq_period_result *r)
{
	if (!r)
		return;
	for (size_t k = 0; r->rows && k < r->n_rows; k++)
		free(r->rows[k].members);
	free(r->rows);
	free(r->stations);
	free(r->no_baseline);
	aq_ranking_cleanup(&r->ranking);
	memset(r, 0, sizeof *r);
}
