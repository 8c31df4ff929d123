/* aq_ranking.h — the daily ranking of micro stations, the interview (约谈) list and the
 * campaign summary (SPEC §3.6, §4, §6 "Ranking").
 *
 * Pure: the caller passes one entry per active micro station (values from aq_metric_value());
 * results refer back to entries by index. Results own heap arrays released with
 * aq_ranking_cleanup() / aq_summary_cleanup(). */
#ifndef AQ_RANKING_H
#define AQ_RANKING_H

#include <stdbool.h>
#include <stddef.h>

#include "aq_aggregate.h"

/* What stations are ranked by. */
enum aq_metric {
	AQ_METRIC_PM10,
	AQ_METRIC_PM25,
	AQ_METRIC_AQI,
	AQ_METRIC_COMPOSITE
};

/* "pm10" "pm25" "aqi" "composite"; NULL for an out-of-range value. */
const char *aq_metric_name(enum aq_metric m);

/* Parses a metric name (exact, case-sensitive); name may be NULL.
 * Returns true and sets *out on success; false (and *out untouched) otherwise. */
bool aq_metric_from_name(const char *name, enum aq_metric *out);

/* Decimals of the metric's published value: 0 for pm10, pm25 and aqi, 2 for composite. */
int aq_metric_decimals(enum aq_metric m);

/* Ranking inputs of one station-day under a metric.
 *   daily        the station's day (not NULL)
 *   has, value   the ranking value: published PM10 / published PM2.5 / daily AQI / composite;
 *                *has false when the day has none (then *value is 0)
 *   has_tie, tie the tie-break value: published PM2.5 for pm10, published PM10 for pm25, aqi
 *                and composite; *has_tie false when that PM is not valid
 *   valid_hours  pm10/pm25: that pollutant's valid hours; composite: the minimum over the
 *                composite pollutants (0 for an empty mask); aqi: the maximum over all six
 * Every out-pointer must be non-NULL. */
void aq_metric_value(const struct aq_daily *daily, enum aq_metric m, bool *has, double *value, double *tie,
		     bool *has_tie, int *valid_hours);

/* What happens to stations without a valid value (AQRANK_INSUFFICIENT). */
enum aq_insufficient_policy {
	AQ_INSUFFICIENT_SEPARATE, /* listed apart, not ranked (default) */
	AQ_INSUFFICIENT_WORST,	  /* ranked after every valid station, sharing one rank */
};

/* "separate" "worst"; NULL for an out-of-range value. */
const char *aq_insufficient_policy_name(enum aq_insufficient_policy p);

/* Parses "separate" / "worst"; name may be NULL.
 * Returns true and sets *out on success; false (and *out untouched) otherwise. */
bool aq_insufficient_policy_from_name(const char *name, enum aq_insufficient_policy *out);

/* One active micro station on one day. Stations without readings come with has_value false
 * and valid_hours 0. */
struct aq_rank_entry {
	const char *code; /* borrowed; not NULL; station codes are unique */
	bool has_value;
	double value; /* published ranking value, compared at the metric's decimals */
	bool has_tie;
	double tie; /* published tie-break value (the other PM) */
	int valid_hours;
};

/* A row of the ranking. */
struct aq_rank_row {
	size_t entry;	   /* index into the entries passed in */
	int rank;	   /* 1 = cleanest; equal values share a rank (1, 2, 2, 4) */
	bool insufficient; /* only with AQ_INSUFFICIENT_WORST: ranked for lack of a value */
};

/* Why a station is on the interview list. */
enum aq_interview_reason {
	AQ_REASON_RANKING,
	AQ_REASON_INSUFFICIENT_DATA
};

/* "ranking" "insufficient_data"; NULL for an out-of-range value. */
const char *aq_interview_reason_name(enum aq_interview_reason r);

/* A station on the interview list. */
struct aq_interview_pick {
	size_t entry; /* index into the entries passed in */
	int rank;
	enum aq_interview_reason reason;
	bool has_pct;	       /* false for insufficient picks and when the district mean is 0 */
	double pct_above_mean; /* (value − mean) / mean × 100, half-to-even 1 decimal */
};

/* A day's ranking. Arrays are owned by the struct (NULL when empty). */
struct aq_ranking {
	struct aq_rank_row *rows; /* rank order; ties by tie value (missing last), then code;
	                              * with WORST the insufficient follow, by valid_hours
	                              * descending then code */
	size_t n_rows;
	size_t of;	      /* stations ranked (= n_rows) */
	size_t *insufficient; /* SEPARATE: entry indices without a value, by code */
	size_t n_insufficient;
	bool has_mean;			     /* at least one valid value */
	double district_mean;		     /* mean of the valid values, unrounded */
	double district_mean_published;	     /* rounded half-to-even to the metric's decimals */
	struct aq_interview_pick *interview; /* worst first */
	size_t n_interview;
};

/* Ranks a day.
 *   entries, n         one per active micro station (entries may be NULL when n == 0)
 *   m                  metric: its decimals decide which values are equal
 *   policy             what to do with entries without a value
 *   interview_count    how many of the worst rows to pick (AQRANK_INTERVIEW_COUNT); a tie
 *                      across the cut brings in the whole tied group; ≤ 0 picks none
 *   out                initialised by the call; release with aq_ranking_cleanup(), also after
 *                      a failure
 * Returns 0, or -1 with errno ENOMEM (out is then empty). */
int aq_ranking_compute(const struct aq_rank_entry *entries, size_t n, enum aq_metric m,
		       enum aq_insufficient_policy policy, int interview_count, struct aq_ranking *out);

/* Frees the arrays of r and empties it. NULL-safe; safe to call twice. */
void aq_ranking_cleanup(struct aq_ranking *r);

/* One station on one finalized day, for the campaign summary. */
struct aq_summary_day {
	size_t station;		  /* 0 .. n_stations-1 */
	int day;		  /* days since 1970-01-01 (local calendar) */
	bool valid;		  /* had a valid ranking value */
	double value;		  /* published ranking value, when valid */
	int rank;		  /* that day's rank, when valid */
	bool insufficient;	  /* listed as insufficient that day */
	bool interviewed;	  /* on that day's interview list */
	bool has_aqi;		  /* the day had a daily AQI … */
	int aqi;		  /* … this one, under that day's standard */
	unsigned over_limit_mask; /* pollutants over the 24 h limit in force that day (AQ_POLLUTANT_BIT) */
};

/* Campaign figures of one station. */
struct aq_summary_station {
	int days_valid;
	int days_insufficient;
	int interview_days;		    /* distinct days interviewed */
	int longest_streak;		    /* longest run of consecutive calendar days interviewed */
	bool has_mean;			    /* at least one valid day */
	double mean_value;		    /* mean of daily published values, half-to-even to the metric */
	int rank;			    /* competition rank by mean_value, lower better; 0 = none */
	int best_rank;			    /* smallest daily rank over valid days; 0 = none */
	int worst_rank;			    /* largest daily rank over valid days; 0 = none */
	int aqi_days;			    /* days with a daily AQI */
	int good_days;			    /* of those, days with AQI ≤ 100 (优良天数) */
	bool has_good_pct;		    /* aqi_days > 0 */
	double good_days_pct;		    /* good_days / aqi_days × 100, half-to-even 1 decimal */
	int over_limit_days[AQ_POLLUTANTS]; /* days over each 24 h limit (超标天数) */
};

/* A campaign summary. Arrays are owned by the struct (NULL when n_stations == 0). */
struct aq_summary {
	struct aq_summary_station *stations; /* indexed like the station numbers */
	size_t n_stations;
	size_t *order; /* station indices by rank, then code; stations without a mean last,
	                 * by code */
};

/* Summarises finalized days.
 *   days, n_days   station-days in any order (days may be NULL when n_days == 0); a repeated
 *                  (station, day) counts once toward interview_days and streaks only
 *   n_stations     number of stations
 *   codes          n_stations borrowed codes, for the order; may be NULL (order by index)
 *   m              metric of the values (for the rounding of mean_value)
 *   out            initialised by the call; release with aq_summary_cleanup(), also after a
 *                  failure
 * Returns 0, or -1 with errno ENOMEM, or EINVAL when a day names a station ≥ n_stations
 * (out is then empty). */
int aq_summary_compute(const struct aq_summary_day *days, size_t n_days, size_t n_stations, const char *const *codes,
		       enum aq_metric m, struct aq_summary *out);

/* Frees the arrays of s and empties it. NULL-safe; safe to call twice. */
void aq_summary_cleanup(struct aq_summary *s);

#endif
