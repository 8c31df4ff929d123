/* sources_service.c — the source analysis of a national point (aq_sources_service.h): which
 * hours, which ring, whose wind; the hourly rows from db_sources.c turned into series; the pure
 * rose and ranking of sources.c; and the cache that serves an unchanged analysis again until
 * the data version moves, like today's ranking. */
#include "aq_sources_service.h"
#include "aq_aggregate.h"
#include "aq_app.h"
#include "aq_clock.h"
#include "aq_db.h"
#include "aq_time.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_HOUR (INT64_C(3600) * AQ_US_PER_SEC)

/* ---- the window ---- */

static int64_t hour_floor(int64_t us)
{
	int64_t day;
	int hour;
	aq_local_of(us, &day, &hour, NULL);
	return aq_local_midnight(day) + hour * US_PER_HOUR;
}

static int64_t hour_ceil(int64_t us)
{
	int64_t f = hour_floor(us);
	return f == us ? us : f + US_PER_HOUR;
}

/* An instant, or a date: its local midnight (end_of_day: the next one). */
static bool parse_bound(const char *text, bool end_of_day, int64_t *us)
{
	int64_t day;
	const char *problem;
	if (aq_date_parse(text, &day)) {
		*us = aq_local_midnight(end_of_day ? day + 1 : day);
		return true;
	}
	return aq_time_parse_rfc3339(text, us, &problem);
}

enum aq_status aq_sources_window(const char *from_text, const char *to_text, int64_t now_us, int64_t *from_us,
				 int64_t *to_us, const char **problem)
{
	int64_t from = 0, to = 0;
	if (from_text && !parse_bound(from_text, false, &from)) {
		*problem = "from must be an RFC 3339 instant (with its offset) or a date YYYY-MM-DD.";
		return AQ_ERR_INVALID_PARAMETER;
	}
	if (to_text && !parse_bound(to_text, true, &to)) {
		*problem = "to must be an RFC 3339 instant (with its offset) or a date YYYY-MM-DD.";
		return AQ_ERR_INVALID_PARAMETER;
	}
	if (from_text)
		from = hour_floor(from);
	if (to_text)
		to = hour_ceil(to);
	if (!to_text)
		to = from_text ? from + AQ_SOURCES_DEFAULT_HOURS * US_PER_HOUR : hour_floor(now_us) + US_PER_HOUR;
	if (!from_text)
		from = to - AQ_SOURCES_DEFAULT_HOURS * US_PER_HOUR;
	if (to <= from) {
		*problem = "The window is reversed or empty: to must be after from.";
		return AQ_ERR_INVALID_WINDOW;
	}
	if (to - from > AQ_SOURCES_MAX_HOURS * US_PER_HOUR) {
		*problem = "The window is longer than 31 days; ask for at most 31 days (744 hours).";
		return AQ_ERR_INVALID_WINDOW;
	}
	*from_us = from;
	*to_us = to;
	return AQ_OK;
}

/* ---- building an analysis ---- */

void aq_sources_report_release(struct aq_sources_report *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	aq_sources_result_cleanup(&r->result);
	free(r->wind);
	free(r->point_series[0]);
	free(r->point_series[1]);
	free(r->ring);
	free(r->ring_series);
	free(r);
}

struct id_slot {
	int id;
	int slot; /* -1: the point, else the ring index */
};

static int by_id(const void *a, const void *b)
{
	int x = ((const struct id_slot *)a)->id, y = ((const struct id_slot *)b)->id;
	return (x > y) - (x < y);
}

/* The hour index of a local (day, hour) in the report's window, or -1 outside it. */
static long hour_index(const struct aq_sources_report *r, int64_t day, int hour)
{
	int64_t at = aq_local_midnight(day) + hour * US_PER_HOUR;
	if (at < r->from_us || at >= r->to_us)
		return -1;
	return (long)((at - r->from_us) / US_PER_HOUR);
}

static double hour_value(double sum, int count, int need)
{
	return count > 0 && count >= need ? sum / count : NAN;
}

/* Fills the point's and the ring's series from their hourly rows. */
static enum aq_status load_series(struct aq_db *db, struct aq_sources_report *r)
{
	size_t n_ids = r->n_ring + 1;
	struct id_slot *ids = calloc(n_ids, sizeof *ids);
	int *id_list = calloc(n_ids, sizeof *id_list);
	struct aq_pm_hour_row *rows = NULL;
	size_t n_rows = 0;
	enum aq_status st = AQ_ERR_INTERNAL;
	if (!ids || !id_list)
		goto out;
	ids[0] = (struct id_slot){r->point.id, -1};
	for (size_t i = 0; i < r->n_ring; i++)
		ids[i + 1] = (struct id_slot){r->ring[i].id, (int)i};
	for (size_t i = 0; i < n_ids; i++)
		id_list[i] = ids[i].id;
	qsort(ids, n_ids, sizeof *ids, by_id);
	int64_t first_day, last_day;
	int first_hour, last_hour;
	aq_local_of(r->from_us, &first_day, &first_hour, NULL);
	aq_local_of(r->to_us - 1, &last_day, &last_hour, NULL);
	if ((st = aq_db_pm_hours(db, first_day * 24 + first_hour, last_day * 24 + last_hour, id_list, n_ids, &rows,
				 &n_rows)) != AQ_OK)
		goto out;
	int point_need = aq_hour_min_readings(r->point.interval_s);
	for (size_t k = 0; k < n_rows; k++) {
		const struct aq_pm_hour_row *h = &rows[k];
		struct id_slot key = {h->station_id, 0};
		const struct id_slot *found = bsearch(&key, ids, n_ids, sizeof *ids, by_id);
		long t = hour_index(r, h->day, h->hour);
		if (!found || t < 0)
			continue;
		if (found->slot < 0) {
			for (int p = 0; p < 2; p++)
				r->point_series[p][t] = hour_value(h->sum[p], h->count[p], point_need);
		} else {
			const struct aq_station *s = &r->ring[found->slot];
			r->ring_series[(size_t)found->slot * r->n_hours + (size_t)t] = hour_value(
				h->sum[r->pollutant], h->count[r->pollutant], aq_hour_min_readings(s->interval_s));
		}
	}
out:
	free(rows);
	free(ids);
	free(id_list);
	return st;
}

/* Fills the wind hours from the wind station's readings (none when it is missing). */
static enum aq_status load_wind(struct aq_db *db, int station_id, struct aq_sources_report *r)
{
	struct aq_wind_hour_row *rows = NULL;
	size_t n = 0;
	if (station_id <= 0)
		return AQ_OK;
	enum aq_status st = aq_db_wind_hours(db, station_id, r->from_us, r->to_us, &rows, &n);
	for (size_t k = 0; st == AQ_OK && k < n; k++) {
		long t = hour_index(r, rows[k].day, rows[k].hour);
		if (t >= 0)
			aq_wind_hour_of(&rows[k].sums, &r->wind[t]);
	}
	free(rows);
	return st;
}

static enum aq_status find_point(struct aq_db *db, const char *code, struct aq_station *point, const char **problem)
{
	enum aq_status st = aq_db_station_get(db, code, point);
	if (st == AQ_ERR_UNKNOWN_STATION)
		*problem = "No station has that code.";
	else if (st == AQ_OK && point->kind != AQ_KIND_NATIONAL) {
		*problem = "That station is a micro station: sources are analysed around a national point.";
		st = AQ_ERR_INVALID_PARAMETER;
	}
	return st;
}

static double ms_since(int64_t start_us)
{
	return (double)(aq_monotonic_us() - start_us) / 1000.0;
}

enum aq_status aq_sources_load(struct aq_db *db, const struct aq_config *cfg, const struct aq_sources_query *q,
			       struct aq_sources_report **out, const char **problem)
{
	int64_t start = aq_monotonic_us();
	struct aq_station *all = NULL;
	size_t n_all = 0;
	struct aq_sources_report *r = calloc(1, sizeof *r);
	enum aq_status st = AQ_ERR_INTERNAL;
	*out = NULL;
	if (!r)
		return AQ_ERR_INTERNAL;
	atomic_init(&r->refs, 1);
	r->from_us = q->from_us;
	r->to_us = q->to_us;
	r->n_hours = (size_t)((q->to_us - q->from_us) / US_PER_HOUR);
	r->pollutant = q->pollutant ? 1 : 0;
	r->radius_km = q->radius_km;
	if ((st = find_point(db, q->code, &r->point, problem)) != AQ_OK ||
	    (st = aq_db_station_list(db, -1, &all, &n_all)) != AQ_OK)
		goto out;
	st = AQ_ERR_INTERNAL;
	/* The ring: active micro stations within the radius, by code (the list's order). */
	r->ring = calloc(n_all ? n_all : 1, sizeof *r->ring);
	if (!r->ring)
		goto out;
	int wind_id = r->point.id;
	snprintf(r->wind_station, sizeof r->wind_station, "%s", r->point.code);
	if (cfg->wind_station && cfg->wind_station[0]) {
		r->wind_origin = AQ_WIND_FROM_STATION;
		snprintf(r->wind_station, sizeof r->wind_station, "%s", cfg->wind_station);
		wind_id = 0;
		r->wind_station_missing = true;
	}
	for (size_t i = 0; i < n_all; i++) {
		const struct aq_station *s = &all[i];
		if (r->wind_origin == AQ_WIND_FROM_STATION && strcmp(s->code, cfg->wind_station) == 0) {
			wind_id = s->id;
			r->wind_station_missing = false;
		}
		if (s->kind == AQ_KIND_MICRO && s->active &&
		    aq_distance_km(r->point.lat, r->point.lon, s->lat, s->lon) <= q->radius_km)
			r->ring[r->n_ring++] = *s;
	}
	size_t n = r->n_hours ? r->n_hours : 1;
	r->wind = calloc(n, sizeof *r->wind);
	r->point_series[0] = malloc(n * sizeof *r->point_series[0]);
	r->point_series[1] = malloc(n * sizeof *r->point_series[1]);
	r->ring_series = malloc((r->n_ring ? r->n_ring : 1) * n * sizeof *r->ring_series);
	if (!r->wind || !r->point_series[0] || !r->point_series[1] || !r->ring_series)
		goto out;
	for (size_t t = 0; t < n; t++)
		r->point_series[0][t] = r->point_series[1][t] = NAN;
	for (size_t k = 0; k < r->n_ring * r->n_hours; k++)
		r->ring_series[k] = NAN;
	if ((st = load_series(db, r)) != AQ_OK || (st = load_wind(db, wind_id, r)) != AQ_OK)
		goto out;
	r->load_ms = ms_since(start);

	start = aq_monotonic_us();
	st = AQ_ERR_INTERNAL;
	struct aq_ring_station *ring = calloc(r->n_ring ? r->n_ring : 1, sizeof *ring);
	if (!ring)
		goto out;
	for (size_t i = 0; i < r->n_ring; i++)
		ring[i] = (struct aq_ring_station){r->ring[i].lat, r->ring[i].lon, &r->ring_series[i * r->n_hours]};
	struct aq_sources_in in = {r->point.lat, r->point.lon, r->point_series[r->pollutant], r->wind, r->n_hours,
				   ring,	 r->n_ring};
	int rc = aq_rose_compute(r->point_series[0], r->wind, r->n_hours, &r->rose[0]);
	rc |= aq_rose_compute(r->point_series[1], r->wind, r->n_hours, &r->rose[1]);
	rc |= aq_sources_rank(&in, &r->result);
	free(ring);
	r->compute_ms = ms_since(start);
	if (rc == 0) {
		st = AQ_OK;
		*out = r;
		r = NULL;
	}
out:
	free(all);
	aq_sources_report_release(r);
	return st;
}

/* ---- the cache ---- */

#define CACHE_SLOTS 8

struct slot {
	char key[96];
	int64_t version;
	uint64_t used; /* tick of the last use: the least recently used slot is replaced */
	struct aq_sources_report *report;
};

struct aq_sources_cache {
	pthread_mutex_t lock;
	uint64_t tick;
	struct slot slots[CACHE_SLOTS];
};

struct aq_sources_cache *aq_sources_cache_new(void)
{
	struct aq_sources_cache *c = calloc(1, sizeof *c);
	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void aq_sources_cache_free(struct aq_sources_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		aq_sources_report_release(c->slots[i].report);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* A hit: a new reference to the cached report. */
static struct aq_sources_report *cache_find(struct aq_sources_cache *c, const char *key, int64_t version)
{
	struct aq_sources_report *r = NULL;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < CACHE_SLOTS && !r; i++) {
		struct slot *s = &c->slots[i];
		if (s->report && s->version == version && strcmp(s->key, key) == 0) {
			s->used = ++c->tick;
			r = s->report;
			atomic_fetch_add(&r->refs, 1);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* Keeps a reference to r under key: the same key's slot, else an empty one, else the least
 * recently used. */
static void cache_store(struct aq_sources_cache *c, const char *key, int64_t version, struct aq_sources_report *r)
{
	pthread_mutex_lock(&c->lock);
	struct slot *pick = NULL;
	for (int i = 0; i < CACHE_SLOTS && !pick; i++)
		if (c->slots[i].report && strcmp(c->slots[i].key, key) == 0)
			pick = &c->slots[i];
	for (int i = 0; i < CACHE_SLOTS && !pick; i++)
		if (!c->slots[i].report)
			pick = &c->slots[i];
	if (!pick) {
		pick = &c->slots[0];
		for (int i = 1; i < CACHE_SLOTS; i++)
			if (c->slots[i].used < pick->used)
				pick = &c->slots[i];
	}
	aq_sources_report_release(pick->report);
	atomic_fetch_add(&r->refs, 1);
	snprintf(pick->key, sizeof pick->key, "%s", key);
	pick->version = version;
	pick->used = ++c->tick;
	pick->report = r;
	pthread_mutex_unlock(&c->lock);
}

enum aq_status aq_sources_get(struct aq_app *app, const struct aq_sources_query *q, struct aq_sources_report **out,
			      const char **problem, bool *cached)
{
	char key[96];
	enum aq_status st;
	*out = NULL;
	*cached = false;
	/* The radius in whole metres: no floating-point formatting in the key. */
	snprintf(key, sizeof key, "%.32s|%lld|%lld|%d|%lld", q->code, (long long)q->from_us, (long long)q->to_us,
		 q->pollutant, (long long)llround(q->radius_km * 1000.0));
	int64_t version = atomic_load(&app->data_version);
	if (app->sources_cache && (*out = cache_find(app->sources_cache, key, version))) {
		*cached = true;
		return AQ_OK;
	}
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	st = aq_sources_load(db, app->cfg, q, out, problem);
	aq_db_release(app->pool, db);
	if (st == AQ_OK && app->sources_cache)
		cache_store(app->sources_cache, key, version, *out);
	return st;
}
