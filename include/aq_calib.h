/* aq_calib.h — co-location calibration of a micro-station (issue 15): the least-squares fit
 * of a reference's hourly values on the station's raw hourly values, `ref = a + b·raw` or,
 * with relative humidity, `ref = a + b·raw + c·RH` (docs/domain-rules.md, "Calibration"), its
 * goodness (n, R², RMSE), applying an approved calibration to an hourly mean, and the drift of
 * residuals over a week. Pure: arrays in, numbers out; nothing here allocates. */
#ifndef AQ_CALIB_H
#define AQ_CALIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_aqi.h"
#include "aq_reading.h"

/* The two forms of the model. */
enum aq_calib_model {
	AQ_CALIB_LINEAR,
	AQ_CALIB_LINEAR_RH
};

/* "linear" "linear_rh"; false / NULL for anything else. */
const char *aq_calib_model_name(enum aq_calib_model m);
bool aq_calib_model_from_name(const char *name, enum aq_calib_model *m);

/* One fitted model: ref = a + b·raw (+ c·RH, c = 0 for the linear form). */
struct aq_calib_fit {
	enum aq_calib_model model;
	int n; /* pairs fitted */
	double a, b, c;
	double r2;   /* 1 − SS_res / SS_tot */
	double rmse; /* √(SS_res / n), in the pollutant's unit */
};

enum aq_fit_result {
	AQ_FIT_OK,
	AQ_FIT_TOO_FEW,	 /* fewer than min_pairs pairs (or fewer than the model's parameters + 1) */
	AQ_FIT_SINGULAR, /* the normal equations have no unique solution: raw (or RH) constant, RH a
	                  * linear function of raw, or the reference constant (R² undefined) */
};

/* Fits ref on raw (and rh when rh is not NULL: the humidity form) over n pairs by ordinary
 * least squares on centred sums, so that large concentrations lose no precision. out is filled
 * on AQ_FIT_OK only (its n is set in every case). min_pairs below the parameter count + 1 is
 * raised to it. */
enum aq_fit_result aq_calib_fit(const double *raw, const double *ref, const double *rh, size_t n, int min_pairs,
				struct aq_calib_fit *out);

/* The calibration of one pollutant of one station in force on a day, as applied: which
 * approved calibration (id, the station's version number) and its coefficients. id 0 = none:
 * the values are raw. */
struct aq_calib_use {
	int64_t id;
	int version;
	struct aq_calib_fit linear; /* always set when id != 0 */
	bool has_rh;		    /* the calibration also has the humidity form … */
	struct aq_calib_fit rh;	    /* … used for hours that carry a humidity */
};

/* The corrected value of an hourly mean raw (with the hour's mean relative humidity when
 * has_rh): the humidity form when u has one and the hour has a humidity, else the linear one;
 * never below 0 (a concentration). raw itself when u is NULL or names no calibration. */
double aq_calib_apply(const struct aq_calib_use *u, double raw, bool has_rh, double rh);

/* A calibration as stored and served: a co-location fit of a station against a reference
 * over a window of local days, pending until approved (then it has a version), in force for
 * each pollutant it fits from valid_from until the next approved calibration of that
 * pollutant begins (valid_to, exclusive; INT64_MAX when none has). Days are local days since
 * 1970-01-01. */
struct aq_calibration {
	int64_t id;
	int station_id;
	char station[AQ_CODE_MAX + 1];
	int reference_id;
	char reference[AQ_CODE_MAX + 1];
	int64_t window_from, window_to;
	bool humidity;
	int64_t valid_from;
	bool approved;
	int version; /* 0 while pending */
	int64_t created_us, approved_us;
	char note[256];
	struct {
		bool has; /* this pollutant was fitted */
		struct aq_calib_fit linear;
		bool has_rh;
		struct aq_calib_fit rh;
		int64_t valid_to; /* approved: the next one's valid_from, or INT64_MAX */
	} fit[AQ_POLLUTANTS];
};

/* Drift of residuals (corrected − reference) over time: the least-squares slope of
 * residual[i] on t_days[i] times span_days — how far the residual moved over the span. False
 * (nothing set) with fewer than min_pairs pairs or when all t are equal. */
bool aq_calib_drift(const double *t_days, const double *residual, size_t n, int min_pairs, double span_days,
		    double *change, double *mean_residual);

#endif
