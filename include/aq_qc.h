/* aq_qc.h — quality control of micro-stations' hourly PM values and the one place where a
 * day's hours are corrected (issue 15; docs/domain-rules.md, "Quality control"): the flags an
 * hour can earn, the rules that give them, the calibration in force applied in between, and
 * what a day's flags add up to (hours excluded, and why; data capture, 数据有效率).
 *
 * Pure: the day service hands in a day of the network (every station's hourly sums, the day
 * before's, the calibrations in force) and gets the hours back corrected, with flagged
 * pollutant-hours removed, and each station's record of what was done. Raw readings are never
 * touched: this works on the hourly sums the day is computed from. */
#ifndef AQ_QC_H
#define AQ_QC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_aggregate.h"
#include "aq_calib.h"
#include "aq_ranking.h"

/* The flags, in the order of every per-flag array and of the bits below. */
enum aq_qc_flag {
	AQ_QC_RANGE,	  /* hourly mean above the sensor's range */
	AQ_QC_STUCK,	  /* the same hourly value for ≥ N hours in a row */
	AQ_QC_STEP,	  /* a jump against the station's own last hours that its area did not make */
	AQ_QC_INVERSION,  /* PM2.5 above PM10 beyond the tolerance (both are flagged) */
	AQ_QC_HUMIDITY,	  /* relative humidity above the level: light scattering over-reads */
	AQ_QC_DIVERGENCE, /* beyond k·MAD from the median of the station's ring */
	AQ_QC_FLAGS
};
#define AQ_QC_BIT(f) ((uint8_t)(1u << (unsigned)(f)))

/* "range" "stuck" "step" "inversion" "humidity" "divergence"; NULL out of range. */
const char *aq_qc_flag_name(enum aq_qc_flag f);
/* One English sentence saying why such an hour is excluded. */
const char *aq_qc_flag_reason(enum aq_qc_flag f);

/* The pollutants quality control judges: the PM of light-scattering sensors. Gases are left
 * to the SPEC §1 ranges (docs/domain-rules.md says why). */
#define AQ_QC_POLLUTANTS (AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10))

/* The thresholds (AQRANK_QC_* keys). A flag whose first threshold is 0 is off. */
struct aq_qc_rules {
	bool enabled;			 /* AQRANK_QC: off judges nothing (calibration still applies) */
	double range_max[AQ_POLLUTANTS]; /* range: hourly mean above this; 0 = no limit */
	int stuck_hours;		 /* stuck: identical hourly values this many hours in a row */
	double step_ratio;		 /* step: ≥ ratio × (or ≤ 1/ratio ×) the median of … */
	int step_hours;			 /* … the station's last this many valid hours, … */
	double step_min;		 /* … and at least this far from it, µg/m³ */
	double inversion_ratio;		 /* inversion: PM2.5 > ratio × PM10 … */
	double inversion_min;		 /* … and PM2.5 − PM10 > this, µg/m³ */
	double humidity_max;		 /* humidity: hourly mean RH above this, %; 0 = off */
	double mad_k;			 /* divergence: |x − median| > k × 1.4826 × MAD … */
	double mad_floor;		 /* … and > this, µg/m³ */
	int mad_min_stations;		 /* a ring (or area) needs this many values in the hour */
	double radius_km;		 /* the ring around a national point (AQRANK_RADIUS_KM) */
};

/* What quality control and calibration did to one station's day: kept with the day, shown
 * with its ranking row and interview entry, stored with its snapshot. */
struct aq_station_quality {
	uint8_t flags[24][AQ_POLLUTANTS]; /* AQ_QC_BITs of each excluded pollutant-hour */
	int64_t calib_id[AQ_POLLUTANTS];  /* the approved calibration applied; 0: raw values */
	int calib_version[AQ_POLLUTANTS]; /* its version number at the station */
};

/* One station of the day, as quality control sees it. */
struct aq_qc_station {
	bool micro; /* only micro stations are judged and corrected */
	bool active;
	double lat, lon;
	int interval_s;			    /* what makes an hour valid */
	const struct aq_hour_sums *prev;    /* the day before's 24 hours, raw; NULL when none */
	struct aq_hour_sums *hours;	    /* the day's 24: raw in; corrected, flagged removed out */
	const struct aq_calib_use *calib;   /* [AQ_POLLUTANTS] in force that day, or NULL */
	struct aq_station_quality *quality; /* out: filled completely */
};

/* Judges and corrects a day of the network in place, in this order: the station's own flags
 * on its raw values (range, stuck, step, inversion, humidity; stuck and step also read the
 * day before), the calibration in force on every hour, divergence from the ring on the
 * corrected values, and last the flagged pollutant-hours taken out of the sums (their count
 * set to 0: an excluded hour is not valid). Only hours 0 .. n_hours−1 are judged (today:
 * those begun). Returns 0, or -1 with errno ENOMEM (then nothing was changed). */
int aq_qc_day(const struct aq_qc_rules *rules, struct aq_qc_station *stations, size_t n, int n_hours);

/* What a station's flags add up to over the pollutants in mask: hours with any pollutant of
 * the mask excluded, and per flag the hours it was raised on. */
struct aq_qc_summary {
	int excluded_hours;
	int reason_hours[AQ_QC_FLAGS];
};
void aq_qc_summarize(const struct aq_station_quality *q, unsigned mask, struct aq_qc_summary *out);

/* The pollutants behind a station-day's value under metric m: pm10 → PM10, pm25 → PM2.5,
 * composite → its pollutants, aqi → those the station reported that day. */
unsigned aq_qc_metric_mask(enum aq_metric m, const struct aq_daily *d);

/* Data capture (数据有效率): valid hours / expected hours × 100, half-to-even to 1 decimal;
 * false when no hour was expected. */
bool aq_qc_capture_pct(int valid_hours, int expected_hours, double *pct);

#endif
