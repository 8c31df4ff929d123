/* aq_interview.h — an entry of the interview list (约谈名单, SPEC §4) as stored and served. */
#ifndef AQ_INTERVIEW_H
#define AQ_INTERVIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "aq_qc.h"
#include "aq_reading.h"

enum aq_interview_status {
	AQ_IV_PENDING,
	AQ_IV_INTERVIEWED,
	AQ_IV_RECTIFIED
};

struct aq_interview {
	int64_t id; /* 0 for a provisional (not stored) entry */
	int64_t day;
	int station_id;
	char station[AQ_CODE_MAX + 1];
	char name[256];
	char unit[256];
	char contact_person[128];
	int rank;
	int of;
	char metric[16];
	bool has_value;
	double value;
	bool has_mean;
	double district_mean; /* published (rounded like the metric) */
	bool has_pct;
	double pct_above_mean;
	int valid_hours;
	int expected_hours;		  /* hours the day had (today: those begun), for data capture */
	int qc_excluded_hours;		  /* hours of the metric's pollutants quality control excluded … */
	int qc_reason_hours[AQ_QC_FLAGS]; /* … and per flag the hours it was raised on */
	int64_t calib_id[AQ_POLLUTANTS];  /* the calibration the value was produced with (0: raw) */
	int calib_version[AQ_POLLUTANTS];
	char reason[24]; /* "ranking" | "insufficient_data" */
	int consecutive_days;
	int position; /* order on the day's list, worst first */
	int status;   /* enum aq_interview_status */
	char note[1024];
	char rule_version[64];
};

/* "pending" "interviewed" "rectified". */
const char *aq_interview_status_name(int status);
/* Status called name; false when none. */
bool aq_interview_status_from_name(const char *name, int *status);

#endif
