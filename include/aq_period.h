/* aq_period.h — the official assessment of a period (a month, a year, a campaign) for one
 * subject — a station, or a street / township (the stations' responsible unit) — from its
 * daily values: the period concentrations (means; CO the 95th and O3 the 90th percentile of
 * the daily values, HJ 663-2013), their validity by the HJ 663 minimum days, the sub-indices
 * Iᵢ = Cᵢ / Sᵢ and the composite index Σ wᵢ·Iᵢ of the city-ranking rule (环办监测〔2018〕19号),
 * and the change against a baseline. Pure: plain values in, results out; docs/domain-rules.md
 * ("Periods") works the examples by hand. */
#ifndef AQ_PERIOD_H
#define AQ_PERIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_aqi.h"

/* The HJ 663-2013 percentile of sorted[0 .. n) (ascending, n ≥ 1): k = 1 + (n − 1)·p / 100,
 * s = ⌊k⌋, X_s + (X_{s+1} − X_s)·(k − s), positions counted from 1. */
double aq_percentile_hj663(const double *sorted, size_t n, double p);

/* Valid days a pollutant needs in [from, to] (local days): a whole calendar month 27 (February
 * 25), a whole calendar year 324 (HJ 663-2013 table 2), any other span its share of the year's
 * requirement, ceil(days × 324 / 365). */
int aq_period_min_days(int64_t from, int64_t to);

/* Parses AQRANK_COMPOSITE_WEIGHTS, "pm25:3,no2:2,o3:2" (pollutant:weight, weights > 0 and
 * ≤ 100; pollutants not named weigh 1; "" all 1) into weights[AQ_POLLUTANTS]. False (weights
 * untouched) on anything else. */
bool aq_weights_parse(const char *text, double weights[AQ_POLLUTANTS]);

/* The daily values of one subject over a period: per pollutant the valid published daily
 * values (any order; the caller owns the arrays), and the daily AQIs. */
struct aq_period_series {
	const double *daily[AQ_POLLUTANTS];
	size_t n[AQ_POLLUTANTS];
	const double *aqi; /* daily AQIs of the days that had one */
	size_t n_aqi;
};

struct aq_period_rules {
	int min_days;				/* aq_period_min_days */
	unsigned composite_mask;		/* pollutants of the composite index (AQ_POLLUTANT_BIT) */
	double weights[AQ_POLLUTANTS];		/* wᵢ (1 unless AQRANK_COMPOSITE_WEIGHTS says) */
	const struct aq_aqi_standard *standard; /* Sᵢ: its grade-II annual limits */
};

struct aq_period_value {
	int valid_days[AQ_POLLUTANTS];
	bool valid[AQ_POLLUTANTS];	 /* valid_days ≥ min_days */
	double conc[AQ_POLLUTANTS];	 /* period concentration, published like a daily value
	                                     * (integer µg/m³, CO 1 decimal); 0 when no day */
	double sub_index[AQ_POLLUTANTS]; /* Cᵢ / Sᵢ, unrounded (valid pollutants) */
	bool has_composite;		 /* every pollutant of the mask valid, mask not empty */
	double composite;		 /* Σ wᵢ·Iᵢ over the mask, half-to-even 2 decimals */
	int largest;			 /* the pollutant whose wᵢ·Iᵢ weighs most; -1 none */
	int aqi_days;
	bool has_aqi;	 /* aqi_days ≥ min_days */
	double aqi_mean; /* mean daily AQI, half-to-even integer */
	int good_days;	 /* days with AQI ≤ 100 */
};

/* Assesses one subject's period: its concentrations and day counts from the series, then
 * aq_period_derive. */
void aq_period_compute(const struct aq_period_series *s, const struct aq_period_rules *r, struct aq_period_value *out);
/* Derives everything else of v from its valid_days, conc, aqi_days, aqi_mean and good_days
 * (as kept in a finalized period) under the rules: validity, sub-indices, composite, the
 * largest, has_aqi. */
void aq_period_derive(struct aq_period_value *v, const struct aq_period_rules *r);

/* The change of a period value against its baseline in percent, (now − base) / base × 100,
 * half-to-even to one decimal; false when base ≤ 0 (no change can be stated). */
bool aq_period_change(double now, double base, double *pct);

#endif
