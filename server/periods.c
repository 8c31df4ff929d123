/* periods.c — the period rankings (aq_periods.h): every station's daily values over the
 * period (and the baseline), gathered per subject — a station, or a unit whose daily value is
 * the mean of its valid stations' — assessed by period.c and ranked by ranking.c.
 * Finalized days come from the cache of their values (period_cache.c), checked against the
 * days' finalization counts (one query per request); days not yet finalized are computed live
 * each time, as today's ranking is. */
#include "aq_periods.h"
#include "aq_app.h"
#include "aq_period_cache.h"
#include "aq_clock.h"
#include "aq_day.h"
#include "aq_db.h"
#include "aq_log.h"
#include "aq_time.h"

#include <math.h>
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

/* ---- the days' values ---- */

/* A block of the day's values (a new reference; stamp still to be set by the caller). */
static enum aq_status block_load(struct aq_app *app, struct aq_db *db, int64_t day, struct aq_day_block **out)
{
	struct aq_dayview v;
	bool final;
	int64_t stamp;
	*out = NULL;
	enum aq_status st = aq_day_values(app, db, day, &v, &final, &stamp);
	struct aq_day_block *b = st == AQ_OK ? aq_day_block_new(day, v.n) : NULL;
	if (st == AQ_OK && !b)
		st = AQ_ERR_INTERNAL;
	if (b) {
		b->stamp = final ? 1 : 0;
		for (size_t i = 0; i < v.n; i++) {
			const struct aq_day_station *s = &v.stations[i];
			struct aq_station_daily *r = &b->rows[b->n++];
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
		aq_day_block_sort(b);
		*out = b;
	}
	aq_dayview_cleanup(&v);
	return st;
}

/* The blocks of [from, to] (blocks[d - from], NULL for a day without readings): finalized days
 * from the cache (read and kept on a miss), the others computed. */
static enum aq_status days_load(struct aq_app *app, struct aq_db *db, int64_t from, int64_t to,
				struct aq_day_block **blocks)
{
	size_t n = (size_t)(to - from + 1);
	int64_t *stamps = calloc(n, sizeof *stamps);
	int64_t today = aq_app_today(app);
	enum aq_status st = stamps ? aq_db_day_stamps(db, from, to, stamps) : AQ_ERR_INTERNAL;
	for (size_t i = 0; st == AQ_OK && i < n; i++) {
		int64_t day = from + (int64_t)i;
		blocks[i] = NULL;
		if (stamps[i] < 0 && day != today)
			continue;
		if ((blocks[i] = aq_period_cache_get(app->periods, day, stamps[i])))
			continue;
		if ((st = block_load(app, db, day, &blocks[i])) != AQ_OK)
			break;
		/* Keyed by the finalization count read above: a snapshot replaced meanwhile is read
		 * again by the next request, which sees a newer count. */
		blocks[i]->stamp = blocks[i]->stamp > 0 ? stamps[i] : 0;
		aq_period_cache_put(app->periods, blocks[i]);
	}
	free(stamps);
	return st;
}

static void days_release(struct aq_app *app, struct aq_day_block **blocks, size_t n)
{
	for (size_t i = 0; blocks && i < n; i++)
		aq_day_block_release(app->periods, blocks[i]);
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
struct id_index {
	int id;
	size_t i;
};

static int by_station_id(const void *a, const void *b)
{
	int x = ((const struct id_index *)a)->id, y = ((const struct id_index *)b)->id;
	return (x > y) - (x < y);
}

/* Where each station's row is in each day's block: at[d · n_stations + i], NULL for none.
 * One merge per day of the block (sorted by station id) with the stations in id order, so
 * gathering a subject's series is a lookup per day instead of a search. */
static const struct aq_station_daily **day_index(struct aq_day_block *const *blocks, size_t n_days,
						 const struct aq_station *stations, size_t n_stations)
{
	size_t cells = n_days * n_stations;
	const struct aq_station_daily **at = calloc(cells ? cells : 1, sizeof *at);
	struct id_index *order = malloc((n_stations ? n_stations : 1) * sizeof *order);
	if (!at || !order) {
		free(at);
		free(order);
		return NULL;
	}
	for (size_t i = 0; i < n_stations; i++)
		order[i] = (struct id_index){stations[i].id, i};
	qsort(order, n_stations, sizeof *order, by_station_id);
	for (size_t d = 0; d < n_days; d++) {
		const struct aq_day_block *b = blocks[d];
		for (size_t k = 0, r = 0; b && k < n_stations && r < b->n;) {
			if (b->rows[r].station_id < order[k].id)
				r++;
			else if (b->rows[r].station_id > order[k].id)
				k++;
			else
				at[d * n_stations + order[k++].i] = &b->rows[r++];
		}
	}
	free(order);
	return at;
}

/* A subject's daily series from the day index: a station's own values, or per day the mean
 * of its members' valid values. */
static void gather(const struct aq_station_daily *const *at, size_t n_days, size_t n_stations, const size_t *members,
		   size_t n_members, struct series_buf *buf, struct aq_period_series *s)
{
	memset(s, 0, sizeof *s);
	for (size_t d = 0; d < n_days; d++) {
		double sum[AQ_POLLUTANTS] = {0}, aqi_sum = 0;
		int count[AQ_POLLUTANTS] = {0}, aqi_count = 0;
		for (size_t m = 0; m < n_members; m++) {
			const struct aq_station_daily *r = at[d * n_stations + members[m]];
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

/* Appends code to a comma-separated list (grown as needed). False on ENOMEM. */
static bool codes_add(char **list, const char *code)
{
	size_t have = *list ? strlen(*list) : 0, add = strlen(code);
	char *grown = realloc(*list, have + add + 2);
	if (!grown)
		return false;
	if (have)
		grown[have++] = ',';
	memcpy(grown + have, code, add + 1);
	*list = grown;
	return true;
}

/* One row per station, or per unit (in the order of the first member met, stations being by
 * code). */
static enum aq_status make_rows(struct aq_period_result *out, bool by_unit)
{
	out->rows = calloc(out->n_stations ? out->n_stations : 1, sizeof *out->rows);
	out->n_rows = 0;
	if (!out->rows)
		return AQ_ERR_INTERNAL;
	for (size_t i = 0; i < out->n_stations; i++) {
		const struct aq_station *s = &out->stations[i];
		struct aq_period_row *row = NULL;
		for (size_t k = 0; by_unit && k < out->n_rows && !row; k++)
			if (strcmp(out->rows[k].key, s->unit) == 0)
				row = &out->rows[k];
		if (!row) {
			row = &out->rows[out->n_rows++];
			snprintf(row->key, sizeof row->key, "%s", by_unit ? s->unit : s->code);
			snprintf(row->name, sizeof row->name, "%s", by_unit ? "" : s->name);
			snprintf(row->unit, sizeof row->unit, "%s", s->unit);
			if (!(row->members = calloc(out->n_stations, sizeof *row->members)))
				return AQ_ERR_INTERNAL;
		}
		row->members[row->n_members++] = i;
		if (!codes_add(&row->member_codes, s->code))
			return AQ_ERR_INTERNAL;
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
	e->valid_hours =
		v->valid_days[AQ_PM25] < v->valid_days[AQ_PM10] ? v->valid_days[AQ_PM25] : v->valid_days[AQ_PM10];
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
			now_ok = v->valid[AQ_PM25], base_ok = b->valid[AQ_PM25], now = v->conc[AQ_PM25],
			base = b->conc[AQ_PM25];
		else if (m == AQ_PM_PM10_CHANGE)
			now_ok = v->valid[AQ_PM10], base_ok = b->valid[AQ_PM10], now = v->conc[AQ_PM10],
			base = b->conc[AQ_PM10];
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

/* Every row's values over [from, to] from the days (base: into row->base). */
static enum aq_status assess(struct aq_app *app, struct aq_db *db, struct aq_period_result *out, int64_t from,
			     int64_t to, const struct aq_period_rules *rules, bool base)
{
	size_t n_days = (size_t)(to - from + 1);
	struct aq_day_block **blocks = calloc(n_days, sizeof *blocks);
	struct series_buf buf;
	enum aq_status st = AQ_ERR_INTERNAL;
	bool buf_ok = series_buf_new(&buf, n_days);
	const struct aq_station_daily **at = NULL;
	if (blocks && buf_ok && (st = days_load(app, db, from, to, blocks)) == AQ_OK &&
	    !(at = day_index(blocks, n_days, out->stations, out->n_stations)))
		st = AQ_ERR_INTERNAL;
	if (at) {
		for (size_t d = 0; !base && d < n_days; d++) {
			out->days_with_data += blocks[d] && blocks[d]->n > 0;
			out->final = out->final && (!blocks[d] || blocks[d]->n == 0 || blocks[d]->stamp > 0);
		}
		for (size_t k = 0; k < out->n_rows; k++) {
			struct aq_period_row *row = &out->rows[k];
			struct aq_period_series s;
			gather(at, n_days, out->n_stations, row->members, row->n_members, &buf, &s);
			aq_period_compute(&s, rules, base ? &row->base : &row->value);
			row->has_base = row->has_base || base;
		}
	}
	free(at);
	days_release(app, blocks, n_days);
	free(blocks);
	series_buf_free(&buf);
	return st;
}

/* "month" / "year" and "2026-11" / "2026" of a whole calendar month or year; false for any
 * other span. */
static bool snapshot_key(int64_t from, int64_t to, const char **kind, char key[16])
{
	int y, m, d;
	aq_civil_from_days(from, &y, &m, &d);
	if (d != 1)
		return false;
	if (to == aq_period_last_day(AQ_PERIOD_MONTH, from)) {
		*kind = "month";
		snprintf(key, 16, "%04d-%02d", y, m);
		return true;
	}
	if (m == 1 && to == aq_period_last_day(AQ_PERIOD_YEAR, from)) {
		*kind = "year";
		snprintf(key, 16, "%04d", y);
		return true;
	}
	return false;
}

/* The kept values of a finalized period into the rows (base: into row->base, matched by
 * subject; otherwise the rows are made from the snapshot). *found false when there is none. */
static enum aq_status from_snapshot(struct aq_db *db, struct aq_period_result *out, int64_t from, int64_t to,
				    struct aq_period_rules *rules, bool base, bool *found)
{
	const char *kind;
	char key[16];
	struct aq_period_info info;
	struct aq_period_stored *kept = NULL;
	size_t n = 0;
	*found = false;
	if (!snapshot_key(from, to, &kind, key))
		return AQ_OK;
	enum aq_status st = aq_db_period_info(db, kind, key, &info);
	if (st != AQ_OK || !info.final)
		return st;
	if ((st = aq_db_period_rows(db, kind, key, out->query.by_unit, &kept, &n)) != AQ_OK)
		return st;
	*found = true;
	rules->min_days = info.min_days; /* judged by the rules it was finalized with */
	if (!base) {
		out->from_snapshot = true;
		out->final = true;
		out->finalized_us = info.finalized_us;
		out->min_days = info.min_days;
		out->days_with_data = info.days_with_data;
		snprintf(out->rule_version, sizeof out->rule_version, "%s", info.rule_version);
		/* Its standard is the one it was finalized with. */
		out->standard = aq_day_standard_of_rule(info.rule_version, to);
		rules->standard = out->standard;
		st = aq_db_period_late(db, kind, key, &out->late_readings, &out->days_refinalized);
		free(out->rows);
		out->rows = calloc(n ? n : 1, sizeof *out->rows);
		out->n_rows = 0;
		if (!out->rows)
			st = AQ_ERR_INTERNAL;
	}
	for (size_t i = 0; st == AQ_OK && i < n; i++) {
		const struct aq_period_stored *k = &kept[i];
		struct aq_period_row *row = NULL;
		if (base) {
			for (size_t j = 0; j < out->n_rows && !row; j++)
				if (strcmp(out->rows[j].key, k->subject) == 0)
					row = &out->rows[j];
			if (!row)
				continue;
		} else {
			row = &out->rows[out->n_rows++];
			snprintf(row->key, sizeof row->key, "%s", k->subject);
			snprintf(row->name, sizeof row->name, "%s", k->name);
			snprintf(row->unit, sizeof row->unit, "%s", k->unit);
			if (!(row->member_codes = strdup(k->members))) {
				st = AQ_ERR_INTERNAL;
				break;
			}
		}
		struct aq_period_value *v = base ? &row->base : &row->value;
		memset(v, 0, sizeof *v);
		memcpy(v->valid_days, k->valid_days, sizeof v->valid_days);
		memcpy(v->conc, k->conc, sizeof v->conc);
		v->aqi_days = k->aqi_days;
		v->aqi_mean = k->aqi_mean;
		v->good_days = k->good_days;
		aq_period_derive(v, rules);
		row->has_base = row->has_base || base;
	}
	free(kept);
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
			      : out->query.metric == AQ_PM_AQI					 ? AQ_METRIC_AQI
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

int64_t aq_period_last_day(enum aq_period_kind kind, int64_t from)
{
	int y, m, d;
	aq_civil_from_days(from, &y, &m, &d);
	if (kind == AQ_PERIOD_YEAR)
		return aq_days_from_civil(y + 1, 1, 1) - 1;
	return aq_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - 1;
}

/* Everything of q's result that does not need the database: the days, the days needed, the
 * standard, the weights, the baseline period, the rule version. */
static enum aq_status prepare(struct aq_app *app, const struct aq_period_query *q, struct aq_period_result *out,
			      struct aq_period_rules *rules, const char **problem)
{
	const struct aq_config *cfg = app->cfg;
	int64_t today = aq_app_today(app);
	memset(out, 0, sizeof *out);
	out->query = *q;
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
	/* A period is judged by the standards in force on its last day, and says when its first
	 * day was under others. */
	out->standard = aq_day_standard((enum aq_standard_pin)cfg->aqi_standard, out->query.to);
	out->straddles = aq_day_standard((enum aq_standard_pin)cfg->aqi_standard, out->query.from) != out->standard;
	memcpy(out->weights, cfg->composite_weights, sizeof out->weights);
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		out->weighted = out->weighted || ((q->pollutants & AQ_POLLUTANT_BIT(p)) && out->weights[p] != 1);
	if (is_change(q->metric)) {
		int y, m, d, shift;
		aq_civil_from_days(out->query.from, &y, &m, &d);
		shift = y - q->baseline_year;
		out->base_from = aq_days_from_civil(y - shift, m, m == 2 && d == 29 ? 28 : d);
		aq_civil_from_days(out->query.to, &y, &m, &d);
		out->base_to = aq_days_from_civil(y - shift, m, m == 2 && d == 29 ? 28 : d);
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
	*rules = (struct aq_period_rules){
		.min_days = out->min_days, .composite_mask = q->pollutants, .standard = out->standard};
	memcpy(rules->weights, out->weights, sizeof rules->weights);
	return AQ_OK;
}

enum aq_status aq_period_build(struct aq_app *app, const struct aq_period_query *q, struct aq_period_result *out,
			       const char **problem)
{
	struct aq_period_rules rules;
	bool kept = false, base_kept = false;
	*problem = NULL;
	enum aq_status st = prepare(app, q, out, &rules, problem);
	if (st != AQ_OK)
		return st;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	out->final = true;
	/* A month or year over and finalized: its kept values; otherwise from the days. */
	if (out->query.to == q->to)
		st = from_snapshot(db, out, q->from, q->to, &rules, false, &kept);
	if (st == AQ_OK && !kept && (st = period_stations(db, out->query.to, out)) == AQ_OK &&
	    (st = make_rows(out, q->by_unit)) == AQ_OK)
		st = assess(app, db, out, out->query.from, out->query.to, &rules, false);
	if (st == AQ_OK && is_change(q->metric)) {
		/* The baseline is judged by the same rules (limits, weights), so a change says how the
		 * air changed, not how the standard did; with the days its own span needs. */
		struct aq_period_rules base_rules = rules;
		base_rules.min_days = aq_period_min_days(out->base_from, out->base_to);
		st = from_snapshot(db, out, out->base_from, out->base_to, &base_rules, true, &base_kept);
		if (st == AQ_OK && !base_kept && !out->stations &&
		    (st = period_stations(db, out->query.to, out)) == AQ_OK) {
			/* Rows made from a snapshot have no station indices: map their codes. */
			for (size_t k = 0; st == AQ_OK && k < out->n_rows; k++) {
				struct aq_period_row *row = &out->rows[k];
				if (!(row->members =
					      calloc(out->n_stations ? out->n_stations : 1, sizeof *row->members)))
					st = AQ_ERR_INTERNAL;
				for (size_t i = 0; st == AQ_OK && i < out->n_stations; i++) {
					const char *codes = row->member_codes, *code = out->stations[i].code;
					size_t len = strlen(code);
					for (const char *at = strstr(codes, code); at; at = strstr(at + 1, code))
						if ((at == codes || at[-1] == ',') &&
						    (at[len] == ',' || at[len] == '\0')) {
							row->members[row->n_members++] = i;
							break;
						}
				}
			}
		}
		if (st == AQ_OK && !base_kept)
			st = assess(app, db, out, out->base_from, out->base_to, &base_rules, true);
	}
	aq_db_release(app->pool, db);
	if (st == AQ_OK)
		st = rank(app, out);
	out->final = out->final && out->days_with_data > 0 && out->query.to == q->to;
	return st;
}

void aq_period_cleanup(struct aq_period_result *r)
{
	if (!r)
		return;
	for (size_t k = 0; r->rows && k < r->n_rows; k++) {
		free(r->rows[k].members);
		free(r->rows[k].member_codes);
	}
	free(r->rows);
	free(r->stations);
	free(r->no_baseline);
	aq_ranking_cleanup(&r->ranking);
	memset(r, 0, sizeof *r);
}

/* ---- finalization ---- */

struct finalize_args {
	struct aq_app *app;
	enum aq_period_kind kind;
	int64_t from;
	bool force;
	bool *done;
};

/* Keeps the rows of result (station or unit rows) for the period. */
static enum aq_status keep_rows(struct aq_db *db, const char *kind, const char *key, const struct aq_period_result *r,
				bool by_unit)
{
	enum aq_status st = AQ_OK;
	struct aq_period_stored *k = malloc(sizeof *k);
	if (!k)
		return AQ_ERR_INTERNAL;
	for (size_t i = 0; st == AQ_OK && i < r->n_rows; i++) {
		const struct aq_period_row *row = &r->rows[i];
		memset(k, 0, sizeof *k);
		snprintf(k->subject, sizeof k->subject, "%s", row->key);
		snprintf(k->name, sizeof k->name, "%s", row->name);
		snprintf(k->unit, sizeof k->unit, "%s", row->unit);
		snprintf(k->members, sizeof k->members, "%s", row->member_codes ? row->member_codes : "");
		memcpy(k->valid_days, row->value.valid_days, sizeof k->valid_days);
		memcpy(k->conc, row->value.conc, sizeof k->conc);
		k->aqi_days = row->value.aqi_days;
		k->aqi_mean = row->value.aqi_mean;
		k->good_days = row->value.good_days;
		st = aq_db_period_write_row(db, kind, key, by_unit, k);
	}
	free(k);
	return st;
}

static enum aq_status finalize_tx(struct aq_db *db, void *arg)
{
	struct finalize_args *a = arg;
	struct aq_app *app = a->app;
	int64_t to = aq_period_last_day(a->kind, a->from);
	const char *kind, *problem;
	char key[16];
	struct aq_period_info info;
	struct aq_period_result r[2];
	struct aq_period_rules rules;
	bool locked;
	*a->done = false;
	memset(r, 0, sizeof r);
	snapshot_key(a->from, to, &kind, key);
	enum aq_status st = aq_db_period_lock(db, kind, key, &locked);
	if (st != AQ_OK || !locked || (st = aq_db_period_info(db, kind, key, &info)) != AQ_OK ||
	    (info.final && !a->force))
		return st;
	for (int by_unit = 0; st == AQ_OK && by_unit < 2; by_unit++) {
		struct aq_period_query q = {a->kind, a->from, to, AQ_PM_COMPOSITE, by_unit, app->cfg->composite_mask,
					    0};
		if ((st = prepare(app, &q, &r[by_unit], &rules, &problem)) == AQ_OK &&
		    (st = period_stations(db, to, &r[by_unit])) == AQ_OK &&
		    (st = make_rows(&r[by_unit], by_unit)) == AQ_OK)
			st = assess(app, db, &r[by_unit], a->from, to, &rules, false);
	}
	if (st == AQ_OK)
		st = aq_db_period_write_header(db, kind, key, a->from, to, r[0].rule_version, r[0].min_days,
					       r[0].days_with_data, aq_clock_now(&app->clock));
	for (int by_unit = 0; st == AQ_OK && by_unit < 2; by_unit++)
		st = keep_rows(db, kind, key, &r[by_unit], by_unit);
	*a->done = st == AQ_OK;
	aq_period_cleanup(&r[0]);
	aq_period_cleanup(&r[1]);
	return st;
}

enum aq_status aq_period_finalize(struct aq_app *app, enum aq_period_kind kind, int64_t from, bool force, bool *done)
{
	struct finalize_args a = {app, kind, from, force, done};
	*done = false;
	if (aq_period_last_day(kind, from) >= aq_app_today(app))
		return AQ_ERR_CONFLICT;
	enum aq_status st;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	st = aq_db_tx(db, finalize_tx, &a);
	aq_db_release(app->pool, db);
	if (st == AQ_OK && *done) {
		aq_app_note_write(app);
		char first[11];
		aq_date_format(from, first);
		aq_log(AQ_LOG_INFO, "finalized the %s from %s%s", kind == AQ_PERIOD_YEAR ? "year" : "month", first,
		       force ? " (again, on request)" : "");
	}
	return st;
}

int aq_period_finalize_due(struct aq_app *app)
{
	int finalized = 0;
	enum aq_status st;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return 0;
	char(*months)[16] = NULL, (*years)[16] = NULL;
	size_t n_months = 0, n_years = 0;
	st = aq_db_periods_due(db, "month", aq_app_today(app), 24, &months, &n_months);
	if (st == AQ_OK)
		st = aq_db_periods_due(db, "year", aq_app_today(app), 4, &years, &n_years);
	aq_db_release(app->pool, db);
	for (size_t i = 0; st == AQ_OK && i < n_months + n_years && !atomic_load(&app->stopping); i++) {
		bool year = i >= n_months, done = false;
		const char *key = year ? years[i - n_months] : months[i];
		int y = atoi(key), m = year ? 1 : atoi(key + 5);
		st = aq_period_finalize(app, year ? AQ_PERIOD_YEAR : AQ_PERIOD_MONTH, aq_days_from_civil(y, m, 1),
					false, &done);
		finalized += done;
	}
	free(months);
	free(years);
	return finalized;
}

void aq_period_warm(struct aq_app *app)
{
	int64_t today = aq_app_today(app);
	int y, m, d;
	aq_civil_from_days(today, &y, &m, &d);
	int64_t from = aq_days_from_civil(y, 1, 1), to = today - 1;
	if (to < from)
		return;
	size_t n = (size_t)(to - from + 1);
	struct aq_day_block **blocks = calloc(n, sizeof *blocks);
	enum aq_status st = AQ_ERR_INTERNAL;
	struct aq_db *db = blocks ? aq_app_db(app, &st) : NULL;
	int64_t mark = aq_monotonic_us();
	if (db) {
		st = days_load(app, db, from, to, blocks);
		aq_db_release(app->pool, db);
	}
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		kept += blocks && blocks[i] && blocks[i]->stamp > 0;
	days_release(app, blocks, n);
	free(blocks);
	if (st == AQ_OK)
		aq_log(AQ_LOG_INFO, "read %zu finalized days of this year for the period rankings in %.0f ms", kept,
		       (double)(aq_monotonic_us() - mark) / 1000.0);
}
