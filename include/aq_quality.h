/* aq_quality.h — the quality service (issue 15): where a live day of the network gets its
 * quality control and the calibrations in force (the one point between loading a day's hourly
 * sums and computing its daily values; day.c calls it), and the calibration use cases — fit a
 * co-location window, approve a fit, list a station's calibrations, measure drift. It calls
 * the database and the pure qc/calib modules, never day.c or HTTP. */
#ifndef AQ_QUALITY_H
#define AQ_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_calib.h"
#include "aq_dayview.h"
#include "aq_qc.h"
#include "aq_station.h"
#include "aq_status.h"

struct aq_app;
struct aq_config;
struct aq_db;

/* The quality-control rules of the configuration (AQRANK_QC_*, AQRANK_RADIUS_KM). */
void aq_quality_rules(const struct aq_config *cfg, struct aq_qc_rules *out);

/* Corrects a live day just loaded (v->stations' hours raw, v->qc its rules): quality control
 * and the calibrations in force on v->day, each station's record in its quality. prev holds
 * the day before's 24 hours of each of v's stations (v->n × 24, in v's order) or is NULL:
 * then they are read (the whole network's, through the pool's day cache). */
enum aq_status aq_quality_apply(struct aq_db *db, struct aq_dayview *v, const struct aq_hour_sums *prev);

/* A co-location window to fit. */
struct aq_calibration_request {
	const char *reference; /* the reference station's code (a national point or any station) */
	int64_t from, to;      /* the window, local days, inclusive */
	unsigned pollutants;   /* AQ_POLLUTANT_BITs; 0: PM2.5 and PM10, those with pairs */
	bool humidity;	       /* also fit the humidity form */
	bool has_valid_from;
	int64_t valid_from; /* default: the window's first day */
	const char *note;   /* may be NULL */
};

/* Per pollutant, what the window gave. */
struct aq_fit_outcome {
	bool tried;
	enum aq_fit_result result;
	enum aq_fit_result rh_result; /* the humidity form's, when asked for */
	int pairs, rh_pairs;	      /* co-located hours, and those of them with a humidity */
};

/* Fits station code against the request's reference and stores the fit, pending. Pairs are
 * the hours both stations have a valid hourly mean, the station's raw and not out of range,
 * stuck, inverted or humid (its own quality flags). Errors: AQ_ERR_UNKNOWN_STATION (station
 * or reference), AQ_ERR_INVALID_PARAMETER (*problem says why: a national point, the station
 * itself as reference), AQ_ERR_INSUFFICIENT_PAIRS / AQ_ERR_SINGULAR_FIT (outcome[] says for
 * which pollutant) — nothing stored then. */
enum aq_status aq_quality_calibrate(struct aq_app *app, const char *code, const struct aq_calibration_request *req,
				    struct aq_calibration *out, struct aq_fit_outcome outcome[AQ_POLLUTANTS],
				    const char **problem);

/* Approves calibration id of station code (from valid_from when has_valid_from): it applies
 * to live days and to days finalized from now on. AQ_ERR_UNKNOWN_STATION, AQ_ERR_NOT_FOUND,
 * AQ_ERR_CONFLICT (approved already; out is the calibration). */
enum aq_status aq_quality_approve(struct aq_app *app, const char *code, int64_t id, bool has_valid_from,
				  int64_t valid_from, struct aq_calibration *out);

/* Station code and its calibrations, oldest first (*list malloc'd). */
enum aq_status aq_quality_calibrations(struct aq_app *app, const char *code, struct aq_station *station,
				       struct aq_calibration **list, size_t *n);

/* The drift of one calibrated station and pollutant over the last days. */
struct aq_drift {
	int station_id;
	enum aq_pollutant pollutant;
	int64_t calibration_id;
	int version;
	int pairs;     /* hours with both the corrected value and the reference's */
	bool measured; /* enough pairs to say */
	double change; /* how far the residual moved over the days, µg/m³ */
	double mean_residual;
};

/* For every calibration in force at now_us: the residual (corrected − reference) of the
 * station's hours over the AQRANK_CALIBRATION_DRIFT_DAYS days up to now, and its drift
 * (aq_calib_drift). *out malloc'd. */
enum aq_status aq_quality_drift(struct aq_db *db, const struct aq_config *cfg, int64_t now_us, struct aq_drift **out,
				size_t *n);

#endif
