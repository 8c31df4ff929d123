/* aq_today.h — rendering a day's ranking, and the cache in front of today's: dashboards poll
 * /api/v1/ranking/today all day, so its body is built only when the data or the clock (the
 * hour) changed, and served from memory (with its ETag) otherwise. */
#ifndef AQ_TODAY_H
#define AQ_TODAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_ranking.h"
#include "aq_status.h"

struct aq_app;
struct aq_request;
struct aq_today_cache;

struct aq_ranking_params {
	enum aq_metric metric;
	const char *near; /* national point code or NULL */
	double radius_km;
	bool csv;
	bool english;
};

/* Where the time of building one ranking went, in milliseconds. */
struct aq_ranking_timing {
	double load_ms;   /* the database: day info, stations, hourly sums or the snapshot */
	double rank_ms;   /* daily values, AQI and the ranking (pure domain code) */
	double render_ms; /* JSON or CSV */
};

/* Builds the ranking body of day (JSON or CSV) into *body (malloc'd, the caller frees).
 * *problem explains 4xx statuses. timing, when not NULL, receives where the time went. */
enum aq_status aq_ranking_render(struct aq_app *app, int64_t day, const struct aq_ranking_params *p,
				 char **body, size_t *len, bool *is_csv, const char **problem,
				 struct aq_ranking_timing *timing);

struct aq_today_cache *aq_today_cache_new(void);
void aq_today_cache_free(struct aq_today_cache *cache);

#endif
