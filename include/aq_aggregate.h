/* aq_aggregate.h — readings → hourly means → daily values (SPEC §3): validity rules of
 * GB 3095-2012 §8 and HJ 663-2013, published (rounded) concentrations, the daily AQI and the
 * composite index.
 *
 * Pure: the caller sums the readings of each station-hour (flagged values already left out)
 * and passes the sums; nothing here allocates. */
#ifndef AQ_AGGREGATE_H
#define AQ_AGGREGATE_H

#include <stdbool.h>

#include "aq_aqi.h"

/* Sums of one station's counted readings in one local hour [h:00, h+1:00). */
struct aq_hour_sums {
	double sum[AQ_POLLUTANTS];
	int count[AQ_POLLUTANTS];
	double rh_sum; /* relative humidity (%) of the counted readings that carry one … */
	int rh_count;  /* … and how many did: what quality control and calibration read */
};

/* Readings that make an hour valid: ceil(0.75 × 3600 / interval_s), in integer arithmetic
 * (3600 → 1, 60 → 45, 10 → 270, 7 → 386). interval_s ≤ 0 is treated as 1 s. */
int aq_hour_min_readings(int interval_s);

/* Provisional threshold for a day in progress: ceil(hours_elapsed × full_threshold / 24) in
 * integer arithmetic. hours_elapsed counts the local hours of today up to and including the
 * current one and is clamped to 0..24; full_threshold < 0 is treated as 0. */
int aq_provisional_threshold(int hours_elapsed, int full_threshold);

/* Provisional O3 window threshold: of the 17 windows ending 08:00..24:00, those that have
 * ended or are in progress by the current hour are max(0, hours_elapsed − 7); the threshold is
 * ceil(that × full_threshold / 17). Returns 0 before 08:00 (no window yet: O3 has no daily
 * value then, because a day needs at least one valid window whatever the threshold). */
int aq_provisional_o3_windows(int hours_elapsed, int full_threshold);

/* One station-hour. mean and published are meaningful when count > 0, whether or not the
 * hour is valid (an invalid hour is still shown); only valid hours count toward the day. */
struct aq_hourly {
	int count[AQ_POLLUTANTS];
	bool valid[AQ_POLLUTANTS];	 /* count ≥ aq_hour_min_readings(interval_s) */
	double mean[AQ_POLLUTANTS];	 /* sum / count, unrounded; 0 when count == 0 */
	double published[AQ_POLLUTANTS]; /* mean rounded half-to-even: integer, CO 1 decimal */
	struct aq_aqi aqi;		 /* aq_aqi_hourly() over the valid pollutants */
};

/* Computes one station-hour.
 *   sums        the hour's sums (not NULL)
 *   interval_s  the station's expected reporting interval
 *   std         breakpoint standard for the hourly AQI (not NULL)
 *   out         filled completely */
void aq_hourly_compute(const struct aq_hour_sums *sums, int interval_s, const struct aq_aqi_standard *std,
		       struct aq_hourly *out);

/* Number of 8 h O3 windows in a day (ending 08:00 .. 24:00). */
#define AQ_O3_WINDOWS 17
/* Valid hours a window needs (HJ 663-2013). */
#define AQ_O3_WINDOW_MIN_HOURS 6
/* Composite pollutants by default (AQRANK_COMPOSITE_POLLUTANTS=pm25,pm10). */
#define AQ_COMPOSITE_DEFAULT_MASK (AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10))

/* Rules for one day. */
/* Valid 8 h O3 windows (of the 17 ending 08:00–24:00) a whole day needs (HJ 663-2013). */
#define AQ_O3_MIN_WINDOWS 14

struct aq_day_rules {
	int interval_s;				/* station's expected reporting interval */
	int min_hours;				/* AQRANK_MIN_HOURS (20) or the provisional one */
	int min_o3_windows;			/* 14, or aq_provisional_o3_windows() */
	unsigned composite_mask;		/* AQ_POLLUTANT_BITs; 0 = no composite */
	const struct aq_aqi_standard *standard; /* not NULL */
};

/* One station-day. For pollutants other than O3, mean is the unrounded mean of the valid
 * hourly means; for O3 it is the daily maximum 8 h moving mean. mean and published are 0 when
 * there is nothing to average; published is meaningful only when valid. */
struct aq_daily {
	int valid_hours[AQ_POLLUTANTS]; /* valid hourly means (O3: valid O3 hours) */
	bool valid[AQ_POLLUTANTS];	/* ≥ max(1, min_hours) valid hours; O3: windows */
	double mean[AQ_POLLUTANTS];
	double published[AQ_POLLUTANTS]; /* half-to-even: integer, CO 1 decimal */
	int o3_windows_valid;		 /* windows with ≥ 6 valid hours, 0..17 */
	bool o3_1h_valid;		 /* at least one valid O3 hour */
	double o3_1h_max;		 /* published maximum valid O3 hourly mean */
	struct aq_aqi aqi;		 /* aq_aqi_daily() over the published values */
	unsigned composite_mask;	 /* copy of rules->composite_mask */
	unsigned reported_mask;		 /* pollutants with at least one counted reading */
	bool has_composite;		 /* every masked pollutant valid, mask not empty */
	double composite;		 /* Σ published Cᵢ/Sᵢ, half-to-even 2 decimals, Sᵢ the
	                                   * grade-II annual limits in force */
	unsigned over_limit_mask;	 /* valid pollutants published above the 24 h limit in
	                                   * force (超标: O3 against its 8 h limit) */
};

/* Computes one station-day.
 *   hours  the 24 local hours of the day, index = local hour (not NULL)
 *   rules  not NULL
 *   out    filled completely */
void aq_daily_compute(const struct aq_hour_sums hours[24], const struct aq_day_rules *rules, struct aq_daily *out);

/* Completes a station-day whose valid_hours, valid, mean, o3_windows_valid, o3_1h_valid,
 * o3_1h_max, composite_mask and reported_mask are set (e.g. read back from a finalized
 * snapshot) under a standard: published values, the AQI (a reported pollutant without a valid
 * day: no AQI, except under HJ 633-2026 an AQI above 100), the days over the 24 h limits and
 * the composite index. aq_daily_compute ends with this. */
void aq_daily_finish(struct aq_daily *out, const struct aq_aqi_standard *standard);

/* Parses a comma-separated list of pollutant field names ("pm25,pm10"; spaces around names
 * allowed, no duplicates, not empty) into a mask. list may be NULL.
 * Returns true and sets *mask on success; false (and *mask untouched) otherwise. */
bool aq_pollutant_mask_parse(const char *list, unsigned *mask);

#endif
