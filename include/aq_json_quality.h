/* aq_json_quality.h — JSON of quality control and calibration (issue 15): the quality block of
 * a ranking row and an interview entry, a calibration and why a window was refused, a
 * station's quality report and the network's quality summary. Writers: structs in, JSON out. */
#ifndef AQ_JSON_QUALITY_H
#define AQ_JSON_QUALITY_H

#include <jansson.h>
#include <stdbool.h>

#include "aq_calib.h"
#include "aq_interview.h"
#include "aq_qc.h"
#include "aq_quality.h"
#include "aq_quality_report.h"

/* {"excluded_hours": n, "reasons": {"stuck": 2, …}, "data_capture_pct": 91.7}: the hours of
 * the pollutants in mask quality control excluded, per flag (only those raised), and valid
 * hours over expected ones (null when none were expected). */
json_t *aq_json_quality_block(const struct aq_station_quality *q, unsigned mask, int valid_hours, int expected_hours);
/* The same from an interview entry's stored fields. */
json_t *aq_json_interview_quality(const struct aq_interview *iv);
/* {"pm10": {"id": 4, "version": 1}, …}: the calibration each value was produced with; a
 * pollutant not named is raw. */
json_t *aq_json_calibration_versions(const struct aq_station_quality *q);
/* The same from per-pollutant ids and versions (an interview entry's). */
json_t *aq_json_calibration_ids(const int64_t ids[AQ_POLLUTANTS], const int versions[AQ_POLLUTANTS]);
/* "pm10:v1 pm25:v1", "" when raw: the same for CSV. Writes into buf. */
void aq_quality_versions_text(const struct aq_station_quality *q, char *buf, size_t size);

/* A calibration (its fits, the formula, status, version and validity). */
json_t *aq_json_calibration(const struct aq_calibration *c);
/* [{"pollutant", "problem", "pairs", "needed"}] for each pollutant the window failed. */
json_t *aq_json_fit_problems(const struct aq_fit_outcome outcome[AQ_POLLUTANTS], int min_pairs);

/* GET /api/v1/stations/{code}/quality. */
json_t *aq_json_quality_report(const struct aq_quality_report *r);
/* GET /api/v1/quality/summary. */
json_t *aq_json_quality_summary(const struct aq_quality_summary *s);

#endif
