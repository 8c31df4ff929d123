/* aq_alerts.h — the anomaly rules of SPEC §5, pure: hourly values of the stations in, one
 * verdict per rule out. Which hours to look at, what is open and what to store is the
 * caller's business (server/alert_eval.c). */
#ifndef AQ_ALERTS_H
#define AQ_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_aqi.h"

enum aq_alert_type {
	AQ_ALERT_OFFLINE,
	AQ_ALERT_EXCEEDANCE,
	AQ_ALERT_SPIKE,
	AQ_ALERT_FLATLINE,
	AQ_ALERT_INVERSION,
	AQ_ALERT_HOTSPOT,
	AQ_ALERT_INTERFERENCE,
	AQ_ALERT_NATIONAL_DIVERGENCE,
	AQ_ALERT_AUTH_FAILURES,	    /* HJ 212 passwords being guessed: the device's MN is locked out */
	AQ_ALERT_CALIBRATION_DRIFT, /* issue 15: a calibrated station's residual drifts */
	AQ_ALERT_TYPES
};

enum aq_severity {
	AQ_SEV_INFO,
	AQ_SEV_WARNING,
	AQ_SEV_CRITICAL
};

/* "offline" "exceedance" "spike" "flatline" "inversion" "hotspot" "interference"
 * "national_divergence" "auth_failures" "calibration_drift"; NULL out of range. */
const char *aq_alert_type_name(enum aq_alert_type t);
bool aq_alert_type_from_name(const char *name, enum aq_alert_type *t);
/* "info" "warning" "critical". */
const char *aq_severity_name(enum aq_severity s);

/* Every threshold of SPEC §5 (AQRANK_* keys). */
struct aq_alert_thresholds {
	int offline_after;	    /* s; the limit is max(this, 2 × interval_s) */
	int alert_iaqi;		    /* exceedance: hourly PM IAQI above this */
	double spike_ratio;	    /* spike: ≥ ratio × previous valid hour … */
	double spike_min;	    /* … and ≥ previous + this, µg/m³ */
	int flatline_hours;	    /* flatline: identical raw values spanning ≥ this many hours … */
	int flatline_readings;	    /* … over ≥ this many readings */
	double inversion_ratio;	    /* inversion: PM2.5 > ratio × PM10 … */
	double inversion_min;	    /* … and PM2.5 − PM10 > this */
	double hotspot_ratio;	    /* hotspot: ring PM > ratio × the national point's … */
	int hotspot_hours;	    /* … this many hours in a row */
	double interference_drop;   /* interference: national PM drops by more than this fraction … */
	double interference_min;    /* … and by ≥ this many µg/m³ in one hour … */
	double interference_stable; /* … while the ring changes by less than this fraction */
	double divergence_ratio;    /* national_divergence: national PM > ratio × ring median … */
	double divergence_rise;	    /* … or rises by more than this fraction in one hour */
	double radius_km;	    /* the ring around a national point */
	int floor_iaqi;		    /* hotspot, interference, national_divergence fire only on a PM
	                             * value above this IAQI's breakpoint … */
	double floor_excess;	    /* … that differs from the one it is compared with by ≥ this */
	int standard_pin;	    /* enum aq_standard_pin (AQRANK_AQI_STANDARD) */
	int auth_budget;	    /* auth_failures: wrong HJ 212 passwords that lock an MN */
	double drift_threshold;	    /* calibration_drift: the residual moved more than this … */
	int drift_days;		    /* … over this many days (threshold 0: off) */
};

/* One station-hour as the rules see it. PM values are the published (rounded) hourly means. */
struct aq_alert_hour {
	bool has_data;	  /* any counted reading this hour */
	bool pm_valid[2]; /* [0] PM2.5, [1] PM10: the hour is valid for it */
	double pm[2];
	int count[AQ_POLLUTANTS];  /* counted raw readings per pollutant */
	double min[AQ_POLLUTANTS]; /* smallest and largest raw value per pollutant */
	double max[AQ_POLLUTANTS];
	int64_t first_us, last_us; /* first and last observed_at of the hour's readings */
	int64_t day;		   /* the local day of the hour: its standards in force */
};

/* A station with its consecutive hours, oldest first; hours[n_hours - 1] is the hour being
 * judged, and every station of a network array covers the same hours. */
struct aq_alert_station {
	bool national;
	double lat, lon;
	const struct aq_alert_hour *hours;
	size_t n_hours;
};

struct aq_alert_verdict {
	bool applicable; /* the rule could be judged (enough data); if not, nothing changes */
	bool fired;	 /* the condition holds this hour (false + applicable: it cleared) */
	enum aq_severity severity;
	double value;	   /* the triggering measurement (IAQI for exceedance, µg/m³ otherwise) */
	double threshold;  /* what it was compared with */
	char pollutant[8]; /* "PM2.5", "PM10", … or "" */
	char detail[160];  /* one English sentence, e.g. "PM10 300 ≥ 2 × 120 and +180" */
};

/* Judges every hour-based rule (all but offline) for station s of network (n stations) at
 * its last hour. out[AQ_ALERT_OFFLINE] is left not applicable. Rules that do not apply to the
 * station's kind (hotspot for national points; interference and national_divergence for micro
 * stations) are not applicable. Any rule that fires on a national point is critical. */
void aq_alerts_judge_hour(const struct aq_alert_thresholds *t, const struct aq_alert_station *network, size_t n,
			  size_t s, struct aq_alert_verdict out[AQ_ALERT_TYPES]);

/* Judges calibration_drift of a micro station: how far its residual against its calibration's
 * reference moved over t->drift_days days (change, µg/m³; mean the mean residual), for the
 * pollutant labelled pollutant. Applicable when it could be measured and the rule is on
 * (drift_threshold > 0); fires when |change| > drift_threshold. value = change. */
void aq_alerts_judge_drift(const struct aq_alert_thresholds *t, bool measured, double change, double mean,
			   const char *pollutant, struct aq_alert_verdict *out);

/* Judges offline: applicable when the station has ever reported (newest_us > 0); fires when
 * now_us − newest_us > max(offline_after, 2 × interval_s) seconds. value = seconds silent,
 * threshold = the limit. */
void aq_alerts_judge_offline(const struct aq_alert_thresholds *t, bool national, int interval_s, int64_t newest_us,
			     int64_t now_us, struct aq_alert_verdict *out);

/* Judges auth_failures for a station whose device's MN has `failures` wrong passwords that
 * still count (aq_hj212_guard_failures) and is `locked` or not: always applicable; fires when
 * failures >= auth_budget or while locked (an operator's lift clears both). value = failures,
 * threshold = the budget. */
void aq_alerts_judge_auth(const struct aq_alert_thresholds *t, bool national, int failures, bool locked,
			  struct aq_alert_verdict *out);

#endif
