/* aq_quality_report.h — the views made of quality control (issue 15): one station's hours
 * over a range of days (flags, raw against corrected against its national point, data
 * capture 数据有效率) and the network's quality summary of a day (stations ranked by data
 * capture and flags). A service above the day service: every day is the one its ranking sees
 * (aq_day_view), so these views and the rankings never disagree. */
#ifndef AQ_QUALITY_REPORT_H
#define AQ_QUALITY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_calib.h"
#include "aq_qc.h"
#include "aq_ranking.h"
#include "aq_station.h"
#include "aq_status.h"

struct aq_app;

/* The longest range a station's quality report covers, days. */
#define AQ_QUALITY_MAX_DAYS 31

/* One hour of the station. */
struct aq_quality_hour {
	struct aq_hour_sums raw;	 /* as stored: the counted readings */
	int readings;			 /* every reading of the hour */
	double corrected[AQ_POLLUTANTS]; /* the hourly mean after the calibration applied that day
	                                    * (the raw mean without one); meaningful when raw has a
	                                    * count for the pollutant */
	struct aq_hour_sums national;	 /* the nearest national point's hour */
};

/* One day of the station. */
struct aq_quality_day {
	int64_t day;
	bool final;			/* flags and calibration as the snapshot recorded them */
	int expected_hours;		/* 24; today: the hours begun */
	int valid_hours[AQ_POLLUTANTS]; /* after quality control */
	struct aq_station_quality quality;
	struct aq_quality_hour hours[24];
};

struct aq_quality_report {
	struct aq_station station;
	bool has_national;	    /* an active national point exists … */
	struct aq_station national; /* … the nearest */
	double national_km;
	int64_t from, to;
	struct aq_quality_day *days; /* the days in range the station existed (owned) */
	size_t n_days;
	struct aq_calibration *calibrations; /* those applied on these days (owned) */
	size_t n_calibrations;
};

/* Station code's hours over [from, to] (at most AQ_QUALITY_MAX_DAYS days; days after today are
 * left out). AQ_ERR_UNKNOWN_STATION. out is always safe to clean up. */
enum aq_status aq_quality_station_report(struct aq_app *app, const char *code, int64_t from, int64_t to,
					 struct aq_quality_report *out);
void aq_quality_report_cleanup(struct aq_quality_report *r);

/* One station of the network's summary. */
struct aq_quality_row {
	struct aq_station station;
	int readings;
	int valid_hours; /* of the metric's pollutants, after quality control */
	bool has_capture;
	double capture_pct;		  /* valid_hours / expected hours */
	struct aq_qc_summary qc;	  /* over the metric's pollutants */
	int calib_version[AQ_POLLUTANTS]; /* 0: raw */
	int rank;			  /* competition rank: capture descending, then fewer
	                                    * excluded hours */
};

struct aq_quality_summary {
	int64_t day;
	bool final;
	enum aq_metric metric;
	int expected_hours;
	struct aq_quality_row *rows; /* ranked micro stations, in rank order, then by code */
	size_t n;
};

/* The quality summary of day under metric. AQ_ERR_NO_DATA for a day that has not begun or a
 * past day without readings. out is always safe to clean up. */
enum aq_status aq_quality_network_summary(struct aq_app *app, int64_t day, enum aq_metric metric,
					  struct aq_quality_summary *out);
void aq_quality_summary_cleanup(struct aq_quality_summary *s);

#endif
