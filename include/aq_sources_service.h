/* aq_sources_service.h — the source analysis of a national point as a use case (issue 17): the
 * window rules, loading the hours (db_sources.c), the pure computation (aq_sources.h), and a
 * cache per data version for the API. The HTTP handler and the alert evaluator both come here;
 * this module calls the database and the pure domain, never HTTP. */
#ifndef AQ_SOURCES_SERVICE_H
#define AQ_SOURCES_SERVICE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_config.h"
#include "aq_sources.h"
#include "aq_station.h"
#include "aq_status.h"

struct aq_app;
struct aq_db;

#define AQ_SOURCES_MAX_HOURS (31 * 24) /* the longest window: 31 days */
#define AQ_SOURCES_DEFAULT_HOURS 24

/* The window [from, to) of a request, in whole local hours. from_text and to_text (either may
 * be NULL) are RFC 3339 instants or dates YYYY-MM-DD (from: that day's local midnight; to: the
 * end of that day). from is floored and to ceiled to local hours. Defaults: to = the end of the
 * clock's current hour, from = to − 24 h; only from given: to = from + 24 h; only to given:
 * from = to − 24 h. Errors, with *problem a sentence for the reply: AQ_ERR_INVALID_PARAMETER (a
 * value that is neither), AQ_ERR_INVALID_WINDOW (to not after from, or longer than 31 days). */
enum aq_status aq_sources_window(const char *from_text, const char *to_text, int64_t now_us, int64_t *from_us,
				 int64_t *to_us, const char **problem);

/* What to analyse. */
struct aq_sources_query {
	const char *code;	/* the national point */
	int64_t from_us, to_us; /* from aq_sources_window */
	int pollutant;		/* the contributors' pollutant: 0 PM2.5, 1 PM10 */
	double radius_km;	/* the ring */
};

enum aq_wind_origin {
	AQ_WIND_FROM_POINT,   /* the point's own readings */
	AQ_WIND_FROM_STATION, /* AQRANK_WIND_STATION */
};

/* An analysis, immutable once built and shared by reference (the cache hands the same one to
 * several requests): release it with aq_sources_report_release. */
struct aq_sources_report {
	atomic_int refs;
	struct aq_station point;
	int64_t from_us, to_us;
	size_t n_hours;
	int pollutant;
	double radius_km;
	enum aq_wind_origin wind_origin;
	char wind_station[AQ_CODE_MAX + 1]; /* the station whose wind was used */
	bool wind_station_missing;	    /* AQRANK_WIND_STATION names no station */
	struct aq_wind_hour *wind;	    /* n_hours */
	double *point_series[2];	    /* the point's PM2.5 and PM10, n_hours each */
	struct aq_rose rose[2];		    /* PM2.5, PM10 */
	struct aq_station *ring;	    /* the ring, by code; result.stations[i] is ring[i] */
	size_t n_ring;
	double *ring_series; /* n_ring × n_hours of the pollutant */
	struct aq_sources_result result;
	double load_ms, compute_ms; /* where building it went */
};

/* Builds the analysis of q with db (a transaction may be open: the alert evaluator's). Errors:
 * AQ_ERR_UNKNOWN_STATION (no such code), AQ_ERR_INVALID_PARAMETER (not a national point), with
 * *problem a sentence; database statuses; AQ_ERR_INTERNAL when out of memory. *out holds a
 * reference on AQ_OK. */
enum aq_status aq_sources_load(struct aq_db *db, const struct aq_config *cfg, const struct aq_sources_query *q,
			       struct aq_sources_report **out, const char **problem);

/* The same through the app's cache: an analysis of the same query built at the current
 * data_version is served again. Borrows its own connection. */
enum aq_status aq_sources_get(struct aq_app *app, const struct aq_sources_query *q, struct aq_sources_report **out,
			      const char **problem, bool *cached);

/* Drops a reference; the last one frees the report. NULL-safe. */
void aq_sources_report_release(struct aq_sources_report *r);

/* The cache of recent analyses (one per app). */
struct aq_sources_cache;
struct aq_sources_cache *aq_sources_cache_new(void);
void aq_sources_cache_free(struct aq_sources_cache *c);

#endif
