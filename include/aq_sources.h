/* aq_sources.h — where a national point's pollution comes from (issue 17), pure: hourly series
 * and hourly wind in, a pollution rose and ranked upwind stations out. No I/O, no globals; the
 * service (aq_sources_service.h) loads the hours, the JSON writer (aq_json_sources.h) shows them.
 * The method and its sources are in docs/domain-rules.md, "Sources (sources.c)".
 *
 * Conventions: directions are meteorological — degrees clockwise from north, the direction the
 * wind blows FROM; bearings are from the national point to a station, same scale. A series is an
 * array of n hourly values, oldest first, with NAN for an hour without a valid value. */
#ifndef AQ_SOURCES_H
#define AQ_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

/* Bumped whenever a number this module produces would change for the same input. */
#define AQ_SOURCES_METHOD "sources/1"

#define AQ_SECTORS 16		/* 22.5° each, sector 0 (N) centred on 0° */
#define AQ_SPEED_CLASSES 4	/* above calm: [0.5, 2), [2, 4), [4, 6), ≥ 6 m/s */
#define AQ_CALM_MS 0.5		/* an hour whose mean speed is below this is calm */
#define AQ_UPWIND_HALF_DEG 22.5 /* a station is upwind when its bearing is this close to the wind */
#define AQ_SOURCES_MAX_LAG 3	/* lagged correlation: lag 0 … this many hours */
#define AQ_SOURCES_MIN_PAIRS 6	/* a correlation needs at least this many pairs of hours */
#define AQ_CPF_PERCENTILE 75.0	/* CPF threshold: this percentile of the window's hours */

/* Lower edges of the speed classes, m/s (class k covers [edge[k], edge[k + 1]), the last is
 * open). */
extern const double aq_speed_class_edges[AQ_SPEED_CLASSES];

/* ---- angles and sectors ---- */

/* Initial great-circle bearing from (lat1, lon1) to (lat2, lon2), degrees in [0, 360); 0 when
 * the points coincide. */
double aq_bearing_deg(double lat1, double lon1, double lat2, double lon2);
/* Smallest angle between two directions, in [0, 180]; works across north (350 vs 10 → 20). */
double aq_angle_diff(double a, double b);
/* Sector 0..15 of a direction: sector k covers [22.5k − 11.25, 22.5k + 11.25), so 348.75 and
 * 11.24 are N, 11.25 is NNE. Any finite angle (negative, ≥ 360) is reduced first. */
int aq_sector_of(double deg);
/* "N" "NNE" … "NNW" (zh: "北" "北东北" … "北西北"); NULL out of range. */
const char *aq_sector_name(int sector, bool zh);
/* Speed class 0..3 of an hourly mean speed, or -1 when calm (< AQ_CALM_MS). */
int aq_speed_class_of(double speed);

/* Weighted circular mean of n directions (weights NULL: all 1; non-positive weights and
 * non-finite directions are skipped): the direction of Σ w·(sin θ, cos θ). *mean in [0, 360),
 * *resultant the length of the mean vector over Σ w (1: all equal, 0: they cancel). False when
 * nothing counts or the vectors cancel exactly (no direction). Either out pointer may be NULL. */
bool aq_circular_mean(const double *deg, const double *weights, size_t n, double *mean, double *resultant);

/* ---- hourly wind ---- */

/* What an hour's raw readings of the wind station add up to (db_sources.c sums them). */
struct aq_wind_sums {
	int n_speed;	  /* readings with a counted wind speed */
	double speed_sum; /* Σ speed */
	int n_vector;	  /* readings with both a counted speed and a counted direction */
	double u_sum;	  /* Σ speed · sin θ  (θ the direction the wind comes from) */
	double v_sum;	  /* Σ speed · cos θ */
};

/* An hour of wind as the analysis uses it. */
struct aq_wind_hour {
	bool present;	  /* a speed, and a direction unless calm */
	bool calm;	  /* mean speed < AQ_CALM_MS: no direction is used */
	double speed;	  /* scalar mean speed, m/s */
	double direction; /* speed-weighted vector mean, [0, 360); meaningless when calm */
};

/* The hour's wind from its sums: scalar mean speed, vector-mean direction. An hour with no speed,
 * or not calm and without a direction whose vectors do not cancel, is not present. */
void aq_wind_hour_of(const struct aq_wind_sums *s, struct aq_wind_hour *out);

/* ---- statistics ---- */

/* Percentile p (0–100) of the n values by linear interpolation between order statistics
 * (Hyndman & Fan type 7, numpy's and R's default). Sorts v in place. NAN when n == 0. */
double aq_percentile(double *v, size_t n, double p);
/* Pearson correlation of x[t] with y[t + lag] over the t where both are finite (x leads y by
 * lag hours). *pairs (may be NULL) gets the pairs used. NAN with fewer than
 * AQ_SOURCES_MIN_PAIRS pairs, or when either side is constant. lag may be 0..n. */
double aq_lagged_r(const double *x, const double *y, size_t n, int lag, int *pairs);

/* ---- the pollution rose ---- */

/* A concentration-weighted rose of one pollutant at the point. Hours count when both the
 * concentration and the wind are present. */
struct aq_rose {
	int hours;    /* counted hours */
	double total; /* Σ C over them */
	int calm_hours;
	double calm_sum;
	int cell_hours[AQ_SECTORS][AQ_SPEED_CLASSES];
	double cell_sum[AQ_SECTORS][AQ_SPEED_CLASSES];
	int sector_hours[AQ_SECTORS];
	double sector_sum[AQ_SECTORS];
	int sector_high[AQ_SECTORS]; /* hours of the sector with C ≥ threshold (CPF numerator) */
	double threshold;	     /* AQ_CPF_PERCENTILE of the counted hours' C (calm included); NAN: none */
	int dominant;		     /* the sector with the largest Σ C (ties: higher mean, then lower index);
			   * -1 when no hour had a direction */
};

/* Fills out from n hours of conc and wind. Returns 0, or -1 when out of memory. */
int aq_rose_compute(const double *conc, const struct aq_wind_hour *wind, size_t n, struct aq_rose *out);
/* Conditional mean of sector k (Σ C / hours), NAN without hours; the CPF of sector k
 * (high / hours), NAN without hours. */
double aq_rose_sector_mean(const struct aq_rose *r, int k);
double aq_rose_cpf(const struct aq_rose *r, int k);

/* ---- upwind stations and likely contributors ---- */

struct aq_ring_station {
	double lat, lon;
	const double *series; /* n_hours values of the pollutant */
};

struct aq_sources_in {
	double lat, lon;		 /* the national point */
	const double *point;		 /* its series of the pollutant */
	const struct aq_wind_hour *wind; /* n_hours, or NULL when there is no wind at all */
	size_t n_hours;
	const struct aq_ring_station *ring;
	size_t n_ring;
};

/* One ring station's evidence. */
struct aq_upwind {
	double bearing; /* from the point, degrees */
	double distance_km;
	int sector;
	int valid_hours;     /* hours with a value */
	int upwind_hours;    /* non-calm hours with the wind from its bearing ± 22.5°, in which it
			      * and the ring median have a value */
	double upwind_share; /* upwind_hours / the non-calm wind hours; 0 without any */
	/* Its excess over the ring median, over the upwind hours (correlation-only: over every
	 * hour it and the median have a value): the mean difference in µg/m³ and Σ(x − M)/Σ M in
	 * per cent. NAN when there is no such hour (or Σ M = 0 for the per cent). */
	int excess_hours;
	double excess;
	double excess_pct;
	double r[AQ_SOURCES_MAX_LAG + 1]; /* its series leading the point's by 0…3 h; NAN: too few pairs */
	int pairs[AQ_SOURCES_MAX_LAG + 1];
	int best_lag;  /* the lag of the highest r; -1 when no r */
	double best_r; /* NAN when none */
	double score;  /* upwind: max(best_r, 0) · upwind_share · max(excess, 0);
			      * correlation only: max(best_r, 0). 0: not a contributor */
	int rank;      /* 1… among the contributors (score > 0), 0 when not one */
};

enum aq_sources_mode {
	AQ_SOURCES_UPWIND,	/* at least one hour with a wind direction */
	AQ_SOURCES_CORRELATION, /* no wind, or only calm hours: ranked by correlation only */
};

struct aq_sources_result {
	enum aq_sources_mode mode;
	int wind_hours; /* hours with wind present (calm included) */
	int calm_hours;
	double mean_direction;	    /* speed-weighted circular mean of the non-calm hours; NAN: none */
	double mean_speed;	    /* scalar mean over the present hours; NAN: none */
	struct aq_upwind *stations; /* n_ring, in ring order (malloc'd) */
	size_t n_stations;
	size_t *order; /* ring indices of the contributors, best first (malloc'd) */
	size_t n_contributors;
};

/* Judges every ring station of in. Ties in score go to the larger excess, then to ring order
 * (the caller orders the ring by code). Returns 0, or -1 when out of memory (out is then safe
 * to clean up). */
int aq_sources_rank(const struct aq_sources_in *in, struct aq_sources_result *out);
/* Frees what out holds and zeroes it. NULL-safe. */
void aq_sources_result_cleanup(struct aq_sources_result *out);

#endif
