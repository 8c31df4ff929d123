/* aq_periods.h — the period rankings of the provincial notices (排名通报): stations or streets /
 * townships (their responsible unit) ranked over a month, a year, the month or year to date,
 * or a campaign, by the composite index, a concentration, the mean AQI, or the change of one
 * of them against the same period of a baseline year. Built from every station's daily values
 * (day.c: the finalized snapshots, kept in memory per day until re-finalized, and the live days),
 * never from raw readings; the assessment itself is the pure period.c. */
#ifndef AQ_PERIODS_H
#define AQ_PERIODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_period.h"
#include "aq_ranking.h"
#include "aq_station.h"
#include "aq_status.h"

struct aq_app;

enum aq_period_kind {
	AQ_PERIOD_DAY,
	AQ_PERIOD_MONTH,
	AQ_PERIOD_YEAR,
	AQ_PERIOD_MONTH_TO_DATE,
	AQ_PERIOD_YEAR_TO_DATE,
	AQ_PERIOD_CAMPAIGN
};
/* "day" "month" "year" "month-to-date" "year-to-date" "campaign" */
const char *aq_period_kind_name(enum aq_period_kind k);

/* What a period is ranked by. The change metrics compare with the baseline period. */
enum aq_period_metric {
	AQ_PM_COMPOSITE,
	AQ_PM_PM25,
	AQ_PM_PM10,
	AQ_PM_AQI,
	AQ_PM_COMPOSITE_CHANGE,
	AQ_PM_PM25_CHANGE,
	AQ_PM_PM10_CHANGE,
	AQ_PM_AQI_CHANGE,
	AQ_PERIOD_METRICS
};
/* "composite" "pm25" "pm10" "aqi" "composite_change" "pm25_change" "pm10_change" "aqi_change" */
const char *aq_period_metric_name(enum aq_period_metric m);
bool aq_period_metric_from_name(const char *name, enum aq_period_metric *out);
/* The allowed names, comma separated (for an error message). */
#define AQ_PERIOD_METRIC_NAMES "composite, pm25, pm10, aqi, composite_change, pm25_change, pm10_change, aqi_change"

struct aq_period_query {
	enum aq_period_kind kind;
	int64_t from, to; /* local days, inclusive */
	enum aq_period_metric metric;
	bool by_unit;	     /* rank streets / townships instead of stations */
	unsigned pollutants; /* the composite's pollutants (AQ_POLLUTANT_BIT) */
	int baseline_year;   /* the change metrics: the year of the baseline period */
};

/* One ranked subject: a station, or a unit with its member stations. */
struct aq_period_row {
	char key[256];	/* station code, or the unit's name */
	char name[256]; /* station name ("" for a unit) */
	char unit[256];
	size_t *members; /* indices into the result's stations (owned; computed rows) */
	size_t n_members;
	char *member_codes; /* its stations' codes, comma separated (owned) */
	struct aq_period_value value;
	bool has_base;
	struct aq_period_value base;
	bool has_change;
	double change; /* percent, 1 decimal */
	bool has_metric;
	double metric_value; /* what it is ranked by */
};

struct aq_period_result {
	struct aq_period_query query;
	int days; /* days in the period */
	int days_with_data;
	int min_days;				/* valid days a pollutant needs */
	int64_t base_from, base_to;		/* the baseline period (change metrics) */
	const struct aq_aqi_standard *standard; /* in force on the period's last day */
	bool straddles;				/* the first day was under another standard */
	bool weighted;				/* AQRANK_COMPOSITE_WEIGHTS is not all 1 */
	double weights[AQ_POLLUTANTS];
	char rule_version[128];
	bool final;		     /* a finalized month or year (its kept snapshot), or every day
	                             * of the period is finalized */
	bool from_snapshot;	     /* served from the period's snapshot */
	int64_t finalized_us;	     /* from_snapshot: when */
	int late_readings;	     /* from_snapshot: readings its days took after they were final */
	int days_refinalized;	     /* from_snapshot: its days finalized again since */
	struct aq_station *stations; /* the stations of the period, by code (owned) */
	size_t n_stations;
	struct aq_period_row *rows; /* one per subject (owned), in no particular order */
	size_t n_rows;
	struct aq_ranking ranking; /* entries are rows; the interview picks are the worst */
	size_t *no_baseline;	   /* change metrics: rows valid now but without a baseline */
	size_t n_no_baseline;
};

/* Builds and ranks q's period. Errors: AQ_ERR_INVALID_PARAMETER (a period not yet begun, a
 * reversed or too long range, with *problem a sentence); database statuses. A period without
 * data is an empty ranking (days_with_data 0). out is always safe to aq_period_cleanup. */
enum aq_status aq_period_build(struct aq_app *app, const struct aq_period_query *q, struct aq_period_result *out,
			       const char **problem);
void aq_period_cleanup(struct aq_period_result *r);

/* Finalizes a calendar month (kind AQ_PERIOD_MONTH, from its first day) or year from its days'
 * values: keeps every station's and every unit's period values, under the rules in force, in
 * one transaction. With force an existing snapshot is replaced. *done false when another daemon
 * holds it or it exists (without force). AQ_ERR_CONFLICT when the period has not ended. */
enum aq_status aq_period_finalize(struct aq_app *app, enum aq_period_kind kind, int64_t from, bool force, bool *done);
/* The periodic job: finalizes every month and year whose days are all finalized. Returns how
 * many. */
int aq_period_finalize_due(struct aq_app *app);
/* Reads this year's finalized days into the period cache, so the first year-to-date ranking
 * after a start does not wait for a year of day_values (seconds for 1000 stations). */
void aq_period_warm(struct aq_app *app);
/* The first and last day of the month or year that starts at from. */
int64_t aq_period_last_day(enum aq_period_kind kind, int64_t from);

#endif
