/* aq_dayview.h — one local day of the whole network: every station with its hourly sums (a
 * live day) or its finalized daily values (a snapshot), the daily values computed from them,
 * and the day's ranking under a metric, optionally restricted to the ring around a national
 * point. Pure: the DB layer fills the view, the HTTP layer turns the result into JSON. */
#ifndef AQ_DAYVIEW_H
#define AQ_DAYVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_aggregate.h"
#include "aq_interview.h"
#include "aq_qc.h"
#include "aq_ranking.h"
#include "aq_station.h"

struct aq_day_station {
	struct aq_station station;     /* as now (live day) or as at finalization (snapshot) */
	bool ranked;		       /* takes part in the ranking (active micro that existed) */
	int readings;		       /* raw readings of the day (today: of the hours begun) */
	struct aq_hour_sums hours[24]; /* live days only */
	int hour_readings[24];	       /* live days only */
	struct aq_daily daily;
	struct aq_station_quality quality; /* hours quality control excluded, calibration applied */
};

struct aq_dayview {
	int64_t day;
	bool final;	      /* read from a finalized snapshot */
	bool is_today;	      /* provisional */
	int hours_elapsed;    /* local hours of the day up to and including now (24 when over) */
	int64_t finalized_us; /* final days */
	int late_readings;    /* final days */
	int min_hours;	      /* full-day AQRANK_MIN_HOURS the day was (or is) judged by */
	unsigned composite_mask;
	enum aq_metric metric; /* the interview metric (final days: the one stored) */
	enum aq_insufficient_policy policy;
	int interview_count;
	char rule_version[64];
	const struct aq_aqi_standard *standard; /* the standards the day is judged by (static) */
	struct aq_qc_rules qc;			/* live days: the quality control their hours get (AQRANK_QC_*) */
	struct aq_day_station *stations;	/* owned, n entries, ordered by code */
	size_t n;
};

/* Frees the stations of v. NULL-safe. */
void aq_dayview_cleanup(struct aq_dayview *v);

/* The standards in force on a local day (days since 1970-01-01), or the pinned one. Never
 * NULL. */
const struct aq_aqi_standard *aq_day_standard(enum aq_standard_pin pin, int64_t day);
/* The standard a rule_version names ("HJ633-2026/min20h": a snapshot's), with the limits of
 * that day; the one in force on the day when the name is unknown. Never NULL. */
const struct aq_aqi_standard *aq_day_standard_of_rule(const char *rule_version, int64_t day);

/* "HJ633-2012/min20h": the AQI standard and the daily validity rule; a pinned standard says
 * so ("HJ633-2012/pinned/min20h"). */
void aq_rule_version(const char *standard_name, bool pinned, int min_hours, char buf[64]);

/* Computes every station's daily values of a live day from its hourly sums, under
 * v->standard. For today (v->is_today) the thresholds are provisional
 * (aq_provisional_threshold with hours_elapsed) and hours that have not begun are ignored.
 * Sets ranked per station. */
void aq_dayview_compute(struct aq_dayview *v);

struct aq_nearest {
	bool has;     /* there is an active national point */
	size_t index; /* into v->stations */
	double distance_km;
	bool within; /* distance ≤ radius */
};

struct aq_day_ranking {
	enum aq_metric metric;
	struct aq_ranking r;   /* entries are ranked stations; entry → station below */
	size_t *entry_station; /* entry index → index in v->stations */
	size_t n_entries;
	size_t *insufficient; /* ranked stations without a value, by code (any policy) */
	size_t n_insufficient;
	struct aq_nearest *nearest; /* per v->stations entry */
	bool ring;		    /* restricted to the ring around ring_center */
	size_t ring_center;
	double radius_km;
};

/* Ranks v under metric m. ring_center is an index into v->stations (a national point) or
 * SIZE_MAX for the whole network; radius_km is also the "within" radius of nearest_national.
 * Returns 0, or -1 (ENOMEM). Release with aq_day_ranking_cleanup, also after a failure. */
int aq_dayview_rank(const struct aq_dayview *v, enum aq_metric m, enum aq_insufficient_policy policy,
		    int interview_count, size_t ring_center, double radius_km, struct aq_day_ranking *out);
void aq_day_ranking_cleanup(struct aq_day_ranking *dr);

/* Fills out[0 .. dr->r.n_interview) with the day's interview entries (worst first): every
 * SPEC §4 field but id, consecutive_days and status, which the caller knows. */
void aq_dayview_interviews(const struct aq_dayview *v, const struct aq_day_ranking *dr, struct aq_interview *out);

/* The station index of a ranking row / interview pick's entry. */
static inline size_t aq_day_ranking_station(const struct aq_day_ranking *dr, size_t entry)
{
	return dr->entry_station[entry];
}

#endif
