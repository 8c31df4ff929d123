/* aq_aqi.h — HJ 633 individual and overall air-quality indices (IAQI, AQI), the GB 3095
 * limits that go with them, and the GB/T 8170 half-to-even rounding that turns concentrations
 * into published values.
 *
 * Pure: no I/O, no allocation. The standards are static data, one record per period in force
 * (HJ 633-2012 / GB 3095-2012; HJ 633-2026 / GB 3095-2026), chosen by the local date of the
 * data. Every pointer returned here points at static storage. */
#ifndef AQ_AQI_H
#define AQ_AQI_H

#include <stdbool.h>
#include <stddef.h>

/* The six criteria pollutants, in the order used by every per-pollutant array. */
enum aq_pollutant {
	AQ_PM25,
	AQ_PM10,
	AQ_SO2,
	AQ_NO2,
	AQ_CO,
	AQ_O3,
	AQ_POLLUTANTS
};

/* Bit of a pollutant in a pollutant mask (primary_mask, composite masks). */
#define AQ_POLLUTANT_BIT(p) (1u << (unsigned)(p))
#define AQ_POLLUTANT_ALL_MASK ((1u << AQ_POLLUTANTS) - 1u)

/* Averaging periods of the breakpoint tables. */
enum aq_period {
	AQ_1H,
	AQ_8H,
	AQ_24H,
	AQ_PERIODS
};

/* JSON field name: "pm25" "pm10" "so2" "no2" "co" "o3". NULL for an out-of-range value. */
const char *aq_pollutant_field(enum aq_pollutant p);

/* Display label used in primary_pollutants: "PM2.5" "PM10" "SO2" "NO2" "CO" "O3".
 * NULL for an out-of-range value. */
const char *aq_pollutant_label(enum aq_pollutant p);

/* Parses a JSON field name (exact, case-sensitive). field may be NULL.
 * Returns true and sets *out on success; false (and *out untouched) otherwise. */
bool aq_pollutant_from_field(const char *field, enum aq_pollutant *out);

/* Decimals of a published concentration: 1 for CO (mg/m³), 0 for the others (µg/m³). */
int aq_pollutant_decimals(enum aq_pollutant p);

/* GB/T 8170 rounding of x to `decimals` (0..9) decimal places, ties to even.
 *
 * Hourly and daily means are floating sums of decimal data: (87.8 + 100.2 + 95.5)/3 is
 * mathematically 94.5 but may come out as 94.49999999999999 or 94.50000000000001. So when
 * x·10^decimals lies within max(1e-9, 8·DBL_EPSILON·|x·10^decimals|) of k + 0.5 it is treated
 * as exactly half (the relative term only matters above 10^6, where 1e-9 is below one ulp);
 * otherwise the nearest value is taken. Ties go to the even neighbour, symmetrically for
 * negative x (−2.5 → −2). NaN and infinities are returned unchanged. */
double aq_round_half_even(double x, int decimals);

/* What a table does with a concentration above its top breakpoint. */
enum aq_overflow {
	AQ_OVERFLOW_ABOVE_SCALE, /* IAQI 500 and the above_scale flag */
	AQ_OVERFLOW_USE_24H,	 /* HJ 633-2012, SO2 1 h > 800: read the same value on the 24 h table */
	AQ_OVERFLOW_USE_O3_1H,	 /* HJ 633-2012, O3 8 h > 800: the IAQI of the day's O3 1 h value */
	AQ_OVERFLOW_FIXED,	 /* HJ 633-2026: a fixed IAQI (SO2 1 h > 800 → 200, O3 8 h > 800 → 300) */
};

#define AQ_BREAKPOINTS_MAX 8

/* One column of the breakpoint table. n == 0: the standard has no such table ("—"). */
struct aq_breakpoint_table {
	int n;				 /* breakpoints used, ascending */
	double conc[AQ_BREAKPOINTS_MAX]; /* concentration, µg/m³ (CO mg/m³) */
	int iaqi[AQ_BREAKPOINTS_MAX];	 /* IAQI at conc[i] */
	enum aq_overflow overflow;
	int overflow_iaqi; /* AQ_OVERFLOW_FIXED: the IAQI above the last row */
};

/* The standards in force together: an HJ 633 breakpoint table and the GB 3095 grade-II
 * limits of the same period. Static data, one record per period; chosen by the local date of
 * the data (aq_standard_in_force). */
struct aq_aqi_standard {
	const char *name;		     /* the AQI standard: "HJ633-2012", "HJ633-2026" */
	const char *limits_name;	     /* the limits: "GB3095-2012", "GB3095-2026 transition", "GB3095-2026" */
	int from_year, from_month, from_day; /* first day in force */
	struct aq_breakpoint_table table[AQ_POLLUTANTS][AQ_PERIODS];
	double limit_24h[AQ_POLLUTANTS];    /* grade-II 24 h limits (O3: the 8 h limit), for
	                                     * "days over the limit" */
	double limit_annual[AQ_POLLUTANTS]; /* grade-II annual limits, the composite index's Sᵢ
	                                     * (CO and O3 have none: their 24 h / 8 h limits) */
	bool reports_exceeding;		    /* HJ 633-2012 §5: the report lists the pollutants
	                                     * over IAQI 100 (超标污染物); 2026 does not */
	bool missing_publishes_over_100;    /* HJ 633-2026 §5.3.1: with a measured pollutant
	                                     * missing, an AQI > 100 of the others is published */
};

/* Which standard applies (AQRANK_AQI_STANDARD): the one in force on the data's date, or one
 * pinned for comparison. */
enum aq_standard_pin {
	AQ_STANDARD_AUTO,
	AQ_STANDARD_HJ633_2012,
	AQ_STANDARD_HJ633_2026
};

/* The standards in force on a local calendar date (pin AUTO): HJ 633-2012 / GB 3095-2012
 * before 2026-03-01, HJ 633-2026 with the GB 3095-2026 transition limits until 2030-12-31 and
 * with its final limits from 2031-01-01. A pin chooses the AQI standard whatever the date
 * (with the limits that go with it on that date). Never NULL; static storage. */
const struct aq_aqi_standard *aq_standard_in_force(enum aq_standard_pin pin, int year, int month, int day);
/* The same with pin AUTO. */
const struct aq_aqi_standard *aq_aqi_standard_for_date(int year, int month, int day);
/* The standard called name (its first len bytes, e.g. the start of a rule_version
 * "HJ633-2026/min20h") with the limits that went with it on that date; NULL when no standard
 * has that name. */
const struct aq_aqi_standard *aq_standard_named(const char *name, size_t len, int year, int month, int day);
/* "auto" "HJ633-2012" "HJ633-2026"; false for anything else. */
bool aq_standard_pin_from_name(const char *name, enum aq_standard_pin *out);

/* Returned by aq_iaqi() for O3 8 h > 800 under HJ 633-2012: it stops computing on the 8 h
 * table and the caller must supply the day's maximum 1 h value on the 1 h table instead. */
#define AQ_IAQI_USE_O3_1H (-2)

/* IAQI of one published concentration by linear interpolation between breakpoints, rounded up
 * to an integer (a result within 1e-9 of an integer is snapped to it first, so PM2.5 75 gives
 * exactly 100, not 101).
 *   std          the standard (not NULL)
 *   p, period    which column; above its last row a column does what its overflow says (2012:
 *                SO2 1 h > 800 is read on the 24 h table; 2026: a fixed IAQI)
 *   conc         the published concentration
 *   above_scale  may be NULL; set to true when conc exceeds the table's top breakpoint (the
 *                result is then 500), false otherwise
 * Returns 0..500; -1 when the standard has no table for (p, period), conc is negative or NaN;
 * AQ_IAQI_USE_O3_1H for O3 8 h above 800. */
int aq_iaqi(const struct aq_aqi_standard *std, enum aq_pollutant p, enum aq_period period, double conc,
	    bool *above_scale);

/* The concentration at which a column reaches iaqi (the inverse of aq_iaqi, by linear
 * interpolation between breakpoints; iaqi ≤ 0 → 0, above the column's last row → its last
 * concentration). -1 when the standard has no such column. */
double aq_iaqi_concentration(const struct aq_aqi_standard *std, enum aq_pollutant p, enum aq_period period, int iaqi);

/* Overall index: AQI and the per-pollutant IAQIs it came from. */
struct aq_aqi {
	bool valid;	      /* false when no pollutant had a usable value */
	int aqi;	      /* max IAQI, 0..500 */
	int level;	      /* 1..6 */
	const char *category; /* 优 良 轻度污染 中度污染 重度污染 严重污染 (static; NULL if !valid) */
	const char *category_en; /* Excellent … Severely polluted (static; NULL if !valid) */
	const char *color;	 /* "#00E400" … "#7E0023" (static; NULL if !valid) */
	unsigned primary_mask;	 /* AQ_POLLUTANT_BIT of each pollutant with IAQI == AQI, only
	                           * when AQI > 50; ties: all of them */
	bool above_scale;	 /* some IAQI was capped at 500 */
	bool reports_exceeding;	 /* the standard reports the pollutants over IAQI 100 (2012) … */
	unsigned exceeding_mask; /* … these (AQ_POLLUTANT_BIT each); 0 otherwise */
	int iaqi[AQ_POLLUTANTS]; /* -1 = not computed */
};

/* Daily AQI from published daily concentrations (HJ 633 §5): 24 h tables for SO2, NO2, PM10,
 * PM2.5 and CO, the 8 h table for O3 (published[AQ_O3] = daily maximum 8 h mean). When O3 8 h
 * is above 800 the O3 IAQI is read on the 1 h table from o3_1h_max_published (if
 * !o3_1h_valid, from the 8 h value itself, a lower bound of the 1 h maximum).
 *   valid, published  arrays of AQ_POLLUTANTS; pollutants with valid[p] false are skipped
 *   out               filled completely; out->valid false when no pollutant is valid */
/* Marks aqi as having no value (valid false, labels NULL, every IAQI -1). */
void aq_aqi_invalidate(struct aq_aqi *aqi);

void aq_aqi_daily(const struct aq_aqi_standard *std, const bool valid[AQ_POLLUTANTS],
		  const double published[AQ_POLLUTANTS], bool o3_1h_valid, double o3_1h_max_published,
		  struct aq_aqi *out);

/* Hourly AQI from published hourly concentrations: 1 h tables for SO2, NO2, CO and O3, the
 * 24 h tables for PM2.5 and PM10 (HJ 633 has no 1 h PM breakpoints); SO2 above 800 on the
 * 24 h table. Arguments as for aq_aqi_daily(). */
void aq_aqi_hourly(const struct aq_aqi_standard *std, const bool valid[AQ_POLLUTANTS],
		   const double published[AQ_POLLUTANTS], struct aq_aqi *out);

/* Level 1..6 of an AQI (0–50 → 1, 51–100 → 2, 101–150 → 3, 151–200 → 4, 201–300 → 5,
 * > 300 → 6). Returns 0 for a negative aqi. */
int aq_aqi_level(int aqi);

/* Category (Chinese), category (English) and colour ("#RRGGBB") of a level 1..6; static
 * strings, NULL for any other level. */
const char *aq_level_category(int level);
const char *aq_level_category_en(int level);
const char *aq_level_color(int level);

#endif
