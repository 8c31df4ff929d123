/* aq_day.h — the day service: the one place where a local day of the network is built
 * (live from the hourly aggregates, or from its finalized snapshot) with its ranking,
 * interview list and streaks; where a day is finalized; and where the views made of days
 * (the campaign summary, a station's daily series and hours) are assembled. The ranking
 * handlers, today's cache, the background jobs and finalization all come here; this module
 * calls the database and the pure domain (dayview, ranking, aggregate), never HTTP.
 *
 * Every function borrows its own database connection from the app and gives it back. */
#ifndef AQ_DAY_H
#define AQ_DAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_dayview.h"
#include "aq_interview.h"
#include "aq_ranking.h"
#include "aq_station.h"
#include "aq_status.h"

struct aq_app;
struct aq_db;

/* Which day and how to rank it. */
struct aq_day_query {
	int64_t day; /* local day (days since 1970-01-01) */
	enum aq_metric metric;
	const char *near; /* a national point's code: rank only its ring; NULL for all */
	double radius_km; /* the ring, and the "within" radius of nearest_national */
};

/* Where building a day went, in milliseconds. */
struct aq_day_timing {
	double load_ms; /* the database: day info, stations, hourly sums or the snapshot */
	double rank_ms; /* daily values, AQI and the ranking (pure domain code) */
};

/* A built day. Owns everything; release with aq_day_cleanup. */
struct aq_day {
	struct aq_dayview view;
	struct aq_day_ranking ranking;
	struct aq_interview *interview; /* worst first, n_interview entries, streaks filled in */
	size_t n_interview;
	bool interview_stored; /* the stored list (ids, status, notes), not the rule's */
	struct aq_day_timing timing;
};

/* Builds q's day by the app's clock: today provisionally, a past day live until it is
 * finalized and from its snapshot afterwards (judged by the rules it was finalized with).
 * The interview list is the stored one when q asks for a final day's interview metric over
 * the whole network, otherwise what the rule gives, with consecutive_days from the day
 * before's stored list. Errors: AQ_ERR_NO_DATA (a future day, or a past day without
 * readings), AQ_ERR_UNKNOWN_STATION / AQ_ERR_INVALID_PARAMETER (near), with *problem a
 * sentence for the reply; database statuses. out is always safe to aq_day_cleanup. */
enum aq_status aq_day_build(struct aq_app *app, const struct aq_day_query *q, struct aq_day *out, const char **problem);
/* Frees what out holds. NULL-safe; out may be reused afterwards. */
void aq_day_cleanup(struct aq_day *d);

/* The daily values of every station on day (no ranking): the snapshot's for a final day
 * (*final true, *stamp its finalization time), else computed live by the rules in force (today
 * provisionally). db is the caller's connection. An empty view (v->n 0) for a day without
 * readings. v is always safe to aq_dayview_cleanup. */
enum aq_status aq_day_values(struct aq_app *app, struct aq_db *db, int64_t day, struct aq_dayview *v, bool *final,
			     int64_t *stamp);

/* Finalizes a past day in one transaction: snapshot of every station's daily values, the
 * interview list with streaks, the day marked final with the rules in force. With force an
 * already final day is finalized again (entries that stay on the list keep status and note).
 * *done is false when another daemon holds the day, or it was final already (without force).
 * AQ_ERR_NO_DATA when the day never had readings. */
enum aq_status aq_day_finalize(struct aq_app *app, int64_t day, bool force, bool *done);

/* The periodic job: finalizes every past day that has readings, no snapshot and whose
 * AQRANK_FINALIZE_AFTER has passed, oldest first — but not while a backfill of past days is
 * still arriving (AQRANK_FINALIZE_QUIET). Returns how many days it finalized. */
int aq_day_finalize_due(struct aq_app *app);

/* The campaign summary (SPEC §6 "summary") over the finalized days in [from, to]. */
struct aq_day_summary {
	int64_t from, to;
	enum aq_metric metric;
	size_t days_finalized;
	struct aq_station *stations; /* every station ranked on some day, n_stations */
	size_t n_stations;
	struct aq_summary sum;			    /* sum.stations[k] is stations[k]; sum.order the ranking */
	const struct aq_aqi_standard *standards[4]; /* the standards the days were judged by */
	size_t n_standards;
};
enum aq_status aq_day_summary(struct aq_app *app, int64_t from, int64_t to, enum aq_metric metric,
			      struct aq_day_summary *out);
void aq_day_summary_cleanup(struct aq_day_summary *s);

/* One day of a station's daily series. */
struct aq_station_day {
	int64_t day;
	bool final; /* the values of the finalized snapshot */
	int readings;
	struct aq_daily daily;
	const struct aq_aqi_standard *standard; /* the standards it was judged by */
};
/* A station's daily values over [from, to] (to ≤ today; today provisional): the snapshot's
 * values on final days, computed from the hourly sums on the others; days without readings
 * (and not final) are left out. *days is malloc'd (the caller frees it). *station is the
 * station (AQ_ERR_UNKNOWN_STATION when code names none). */
enum aq_status aq_day_station_series(struct aq_app *app, const char *code, int64_t from, int64_t to,
				     struct aq_station *station, struct aq_station_day **days, size_t *n);

/* A station's 24 hours of day: hourly values (validity, published means, hourly AQI under
 * *standard, the standards in force that day) and raw readings per hour. */
enum aq_status aq_day_station_hours(struct aq_app *app, const char *code, int64_t day, struct aq_station *station,
				    struct aq_hourly hours[24], int readings[24],
				    const struct aq_aqi_standard **standard);

/* The day of the network as its ranking sees it, unranked: a live day quality-controlled and
 * calibrated (each station's quality says how), a final day from its snapshot with the
 * quality it was finalized with. On db (borrowed by the caller). AQ_ERR_NO_DATA for a day that
 * has not begun. v is always safe to aq_dayview_cleanup. */
struct aq_db;
enum aq_status aq_day_view(struct aq_app *app, struct aq_db *db, int64_t day, struct aq_dayview *v);

#endif
