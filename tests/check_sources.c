/* check_sources.c — Check suite for sources.c: sector arithmetic (bearings, sectors and angles
 * across north, calm hours, circular means), the pollution rose, percentiles, the lagged
 * correlation on synthetic series with a known lag, and the contributor ranking on a staged day
 * around the Dongsi national point. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aq_sources.h"
#include "aq_station.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define POINT_LAT 39.9289
#define POINT_LON 116.4174

/* The point km away from (lat, lon) at bearing deg on the sphere aq_distance_km uses. */
static void place(double lat, double lon, double deg, double km, double *lat2, double *lon2)
{
	const double r = 6371.0088, rad = M_PI / 180.0;
	double p1 = lat * rad, l1 = lon * rad, b = deg * rad, d = km / r;
	double p2 = asin(sin(p1) * cos(d) + cos(p1) * sin(d) * cos(b));
	double l2 = l1 + atan2(sin(b) * sin(d) * cos(p1), cos(d) - sin(p1) * sin(p2));
	*lat2 = p2 / rad;
	*lon2 = l2 / rad;
}

/* --- bearings --- */

static const double bearings[] = {0, 22.5, 45, 90, 135, 180, 225, 270, 315, 350, 359.5, 1};

START_TEST(test_bearing)
{
	double lat, lon;
	place(POINT_LAT, POINT_LON, bearings[_i], 2.0, &lat, &lon);
	double b = aq_bearing_deg(POINT_LAT, POINT_LON, lat, lon);
	ck_assert_msg(aq_angle_diff(b, bearings[_i]) < 1e-6, "bearing %g came back as %.9g", bearings[_i], b);
	ck_assert_msg(b >= 0 && b < 360, "bearing %g out of [0, 360)", b);
	ck_assert_msg(fabs(aq_distance_km(POINT_LAT, POINT_LON, lat, lon) - 2.0) < 1e-6, "distance");
}
END_TEST

START_TEST(test_bearing_same_point)
{
	ck_assert(aq_bearing_deg(POINT_LAT, POINT_LON, POINT_LAT, POINT_LON) == 0);
}
END_TEST

/* --- angles across north --- */

static const struct {
	double a, b, diff;
} diffs[] = {
	{350, 10, 20}, {10, 350, 20}, {0, 180, 180},	{359.9, 0.1, 0.2}, {-10, 10, 20},
	{370, 0, 10},  {90, 90, 0},   {45, 67.5, 22.5}, {0, 360, 0},	   {200, 10, 170},
};

START_TEST(test_angle_diff)
{
	double d = aq_angle_diff(diffs[_i].a, diffs[_i].b);
	ck_assert_msg(fabs(d - diffs[_i].diff) < 1e-9, "diff(%g, %g) = %.17g, want %g", diffs[_i].a, diffs[_i].b, d,
		      diffs[_i].diff);
}
END_TEST

static const struct {
	double deg;
	int sector;
} sectors[] = {
	{0, 0},	 {11.24, 0}, {11.25, 1}, {348.75, 0}, {348.74, 15}, {359.99, 0}, {360, 0},   {-11, 0},	 {-11.3, 15},
	{45, 2}, {90, 4},    {180, 8},	 {202.5, 9},  {270, 12},    {810, 4},	 {33.74, 1}, {33.75, 2},
};

START_TEST(test_sector_of)
{
	int k = aq_sector_of(sectors[_i].deg);
	ck_assert_msg(k == sectors[_i].sector, "sector of %g: %d, want %d", sectors[_i].deg, k, sectors[_i].sector);
}
END_TEST

START_TEST(test_sector_names)
{
	ck_assert_str_eq(aq_sector_name(0, false), "N");
	ck_assert_str_eq(aq_sector_name(2, false), "NE");
	ck_assert_str_eq(aq_sector_name(2, true), "东北");
	ck_assert_str_eq(aq_sector_name(15, false), "NNW");
	ck_assert_str_eq(aq_sector_name(9, true), "南西南");
	ck_assert_ptr_null(aq_sector_name(16, false));
	ck_assert_ptr_null(aq_sector_name(-1, true));
	/* Every centre falls in its own sector, and the names cycle the compass. */
	for (int k = 0; k < AQ_SECTORS; k++)
		ck_assert_int_eq(aq_sector_of(22.5 * k), k);
}
END_TEST

static const struct {
	double speed;
	int cls;
} speeds[] = {{0, -1}, {0.49, -1}, {0.5, 0}, {1.99, 0}, {2, 1},	  {3.9, 1},
	      {4, 2},  {5.99, 2},  {6, 3},   {30, 3},	{NAN, -1}};

START_TEST(test_speed_class)
{
	ck_assert_int_eq(aq_speed_class_of(speeds[_i].speed), speeds[_i].cls);
}
END_TEST

/* --- circular mean --- */

static const struct {
	double deg[4], w[4];
	size_t n;
	bool ok;
	double mean;
} means[] = {
	{{350, 10}, {1, 1}, 2, true, 0}, /* across north: 0, never the arithmetic 180 */
	{{359, 1, 3}, {1, 1, 1}, 3, true, 1},
	{{90, 180}, {1, 1}, 2, true, 135},
	{{0, 90}, {3, 1}, 2, true, 18.434948822922010}, /* atan2(1, 3) */
	{{0, 180}, {1, 1}, 2, false, 0},		/* opposite: no direction */
	{{270, 90}, {2, 2}, 2, false, 0},
	{{300, 60, 180}, {1, 1, 0}, 3, true, 0}, /* a zero weight does not count */
	{{340, 20, 0}, {1, 1, 1}, 3, true, 0},
	{{200, 220}, {1, 1}, 2, true, 210},
};

START_TEST(test_circular_mean)
{
	double mean = -1, r = -1;
	bool ok = aq_circular_mean(means[_i].deg, means[_i].w, means[_i].n, &mean, &r);
	ck_assert_msg(ok == means[_i].ok, "case %d: ok %d", _i, ok);
	if (ok) {
		ck_assert_msg(aq_angle_diff(mean, means[_i].mean) < 1e-9, "case %d: mean %.17g, want %g", _i, mean,
			      means[_i].mean);
		ck_assert_msg(mean >= 0 && mean < 360 && r > 0 && r <= 1 + 1e-12, "case %d: mean %g r %g", _i, mean, r);
	}
}
END_TEST

START_TEST(test_circular_mean_unweighted)
{
	double deg[] = {10, 350, NAN};
	double mean, r;
	ck_assert(aq_circular_mean(deg, NULL, 3, &mean, &r));
	ck_assert(aq_angle_diff(mean, 0) < 1e-9);
	ck_assert(fabs(r - cos(10 * M_PI / 180)) < 1e-12);
	ck_assert(!aq_circular_mean(deg, NULL, 0, &mean, &r));
}
END_TEST

/* --- an hour of wind from its sums --- */

START_TEST(test_wind_hour)
{
	struct aq_wind_hour h;
	/* Two readings at 2 m/s from 350° and 10°: north at 2 m/s. */
	struct aq_wind_sums s = {2, 4, 2, 2 * sin(350 * M_PI / 180) + 2 * sin(10 * M_PI / 180),
				 2 * cos(350 * M_PI / 180) + 2 * cos(10 * M_PI / 180)};
	aq_wind_hour_of(&s, &h);
	ck_assert(h.present && !h.calm);
	ck_assert(fabs(h.speed - 2) < 1e-12);
	ck_assert_msg(aq_angle_diff(h.direction, 0) < 1e-9, "direction %g", h.direction);
	/* Calm: a mean below 0.5 m/s, with or without a direction. */
	struct aq_wind_sums calm = {3, 1.2, 0, 0, 0};
	aq_wind_hour_of(&calm, &h);
	ck_assert(h.present && h.calm);
	ck_assert(fabs(h.speed - 0.4) < 1e-12);
	/* Exactly 0.5 m/s is not calm; without a direction it is no usable hour. */
	struct aq_wind_sums edge = {1, 0.5, 0, 0, 0};
	aq_wind_hour_of(&edge, &h);
	ck_assert(!h.present);
	struct aq_wind_sums edge_dir = {1, 0.5, 1, 0.5 * sin(M_PI / 2), 0.5 * cos(M_PI / 2)};
	aq_wind_hour_of(&edge_dir, &h);
	ck_assert(h.present && !h.calm && aq_angle_diff(h.direction, 90) < 1e-9);
	/* No speed at all. */
	struct aq_wind_sums none = {0, 0, 0, 0, 0};
	aq_wind_hour_of(&none, &h);
	ck_assert(!h.present);
	/* Opposite winds of equal strength cancel: no direction. */
	struct aq_wind_sums cancel = {2, 6, 2, 0, 3 - 3};
	aq_wind_hour_of(&cancel, &h);
	ck_assert(!h.present);
}
END_TEST

/* --- percentiles --- */

static const struct {
	double v[6];
	size_t n;
	double p, want;
} pcts[] = {
	{{4, 1, 3, 2}, 4, 75, 3.25},	   {{5}, 1, 75, 5},	  {{1, 2}, 2, 0, 1},	   {{1, 2}, 2, 100, 2},
	{{10, 20, 30, 40, 50}, 5, 75, 40}, {{3, 1, 2}, 3, 50, 2}, {{1, 1, 9}, 3, 90, 7.4},
};

START_TEST(test_percentile)
{
	double v[6];
	memcpy(v, pcts[_i].v, sizeof v);
	double got = aq_percentile(v, pcts[_i].n, pcts[_i].p);
	ck_assert_msg(fabs(got - pcts[_i].want) < 1e-12, "case %d: %.17g, want %g", _i, got, pcts[_i].want);
	ck_assert(isnan(aq_percentile(v, 0, 75)));
}
END_TEST

/* --- lagged correlation --- */

/* A deterministic irregular series: no period a wrong lag could lock on to. */
static double noise(unsigned seed, size_t t)
{
	unsigned x = seed * 2654435761u + (unsigned)t * 40503u + 12345u;
	x ^= x >> 13;
	x *= 0x5bd1e995u;
	x ^= x >> 15;
	return (double)(x % 1000) / 10.0;
}

START_TEST(test_lagged_r_known_lag)
{
	/* y is x delayed by _i hours, scaled and shifted: r = 1 at that lag, well below it
	 * elsewhere, and the best lag found is _i. */
	enum {
		T = 48
	};
	double x[T], y[T];
	int lag = _i;
	for (size_t t = 0; t < T; t++)
		x[t] = 50 + noise(7, t);
	for (size_t t = 0; t < T; t++)
		y[t] = t >= (size_t)lag ? 1.5 * x[t - lag] + 10 : NAN;
	int best = -1;
	double best_r = -2;
	for (int l = 0; l <= AQ_SOURCES_MAX_LAG; l++) {
		int pairs;
		double r = aq_lagged_r(x, y, T, l, &pairs);
		ck_assert_msg(isfinite(r), "lag %d: r not finite", l);
		if (l == lag) {
			ck_assert_msg(fabs(r - 1) < 1e-12, "at the true lag r = %.17g", r);
			ck_assert_int_eq(pairs, T - lag);
		} else {
			ck_assert_msg(r < 0.6, "lag %d (true %d): r = %g", l, lag, r);
		}
		if (r > best_r) {
			best_r = r;
			best = l;
		}
	}
	ck_assert_int_eq(best, lag);
}
END_TEST

START_TEST(test_lagged_r_edges)
{
	double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[8] = {2, 4, 6, 8, 10, 12, 14, 16}, flat[8] = {5, 5, 5, 5, 5, 5, 5, 5};
	int pairs;
	ck_assert(fabs(aq_lagged_r(x, y, 8, 0, &pairs) - 1) < 1e-12);
	ck_assert_int_eq(pairs, 8);
	/* Anti-correlated. */
	double z[8] = {8, 7, 6, 5, 4, 3, 2, 1};
	ck_assert(fabs(aq_lagged_r(x, z, 8, 0, NULL) + 1) < 1e-12);
	/* Lag 2 leaves 6 pairs (enough), lag 3 leaves 5 (too few). */
	ck_assert(isfinite(aq_lagged_r(x, y, 8, 2, &pairs)));
	ck_assert_int_eq(pairs, 6);
	ck_assert(isnan(aq_lagged_r(x, y, 8, 3, &pairs)));
	ck_assert_int_eq(pairs, 5);
	/* A constant side has no correlation. */
	ck_assert(isnan(aq_lagged_r(x, flat, 8, 0, NULL)));
	/* Missing hours are skipped pairwise. */
	double gappy[8] = {2, NAN, 6, 8, NAN, 12, 14, 16};
	ck_assert(isfinite(aq_lagged_r(x, gappy, 8, 0, &pairs)));
	ck_assert_int_eq(pairs, 6);
	ck_assert(isnan(aq_lagged_r(x, y, 8, 8, &pairs)) && pairs == 0);
	ck_assert(isnan(aq_lagged_r(x, y, 8, -1, NULL)));
}
END_TEST

/* --- the rose --- */

static struct aq_wind_hour wind(double speed, double dir)
{
	struct aq_wind_hour h = {true, speed < AQ_CALM_MS, speed, dir};
	return h;
}

START_TEST(test_rose)
{
	/* 10 hours: 4 from NE (two speed classes), 2 from N across north (350°, 5°), 2 calm, one
	 * without wind, one without a concentration. */
	struct aq_wind_hour w[10] = {wind(3, 45), wind(3, 40),	 wind(1, 50), wind(7, 44), wind(2, 350),
				     wind(2, 5),  wind(0.2, 90), wind(0, 0),  {0},	   wind(3, 45)};
	double c[10] = {100, 120, 80, 200, 40, 60, 90, 30, 500, NAN};
	struct aq_rose r;
	ck_assert_int_eq(aq_rose_compute(c, w, 10, &r), 0);
	ck_assert_int_eq(r.hours, 8);
	ck_assert(fabs(r.total - 720) < 1e-9);
	ck_assert_int_eq(r.calm_hours, 2);
	ck_assert(fabs(r.calm_sum - 120) < 1e-9);
	ck_assert_int_eq(r.sector_hours[2], 4);
	ck_assert(fabs(r.sector_sum[2] - 500) < 1e-9);
	ck_assert_int_eq(r.cell_hours[2][1], 2); /* 3 m/s */
	ck_assert_int_eq(r.cell_hours[2][0], 1); /* 1 m/s */
	ck_assert_int_eq(r.cell_hours[2][3], 1); /* 7 m/s */
	ck_assert(fabs(r.cell_sum[2][3] - 200) < 1e-9);
	ck_assert_int_eq(r.sector_hours[0], 2); /* 350° and 5° are both N */
	ck_assert(fabs(aq_rose_sector_mean(&r, 0) - 50) < 1e-9);
	ck_assert(fabs(aq_rose_sector_mean(&r, 2) - 125) < 1e-9);
	ck_assert(isnan(aq_rose_sector_mean(&r, 4)));
	ck_assert(isnan(aq_rose_cpf(&r, 4)));
	/* p75 of {30, 40, 60, 80, 90, 100, 120, 200}: h = 7 × 0.75 = 5.25, 100 + 0.25 × 20 = 105;
	 * NE has 120 and 200 above it. */
	ck_assert(fabs(r.threshold - 105) < 1e-9);
	ck_assert_int_eq(r.sector_high[2], 2);
	ck_assert(fabs(aq_rose_cpf(&r, 2) - 0.5) < 1e-12);
	ck_assert(fabs(aq_rose_cpf(&r, 0) - 0) < 1e-12);
	ck_assert_int_eq(r.dominant, 2);
	int cells = 0;
	for (int k = 0; k < AQ_SECTORS; k++)
		for (int s = 0; s < AQ_SPEED_CLASSES; s++)
			cells += r.cell_hours[k][s];
	ck_assert_int_eq(cells + r.calm_hours, r.hours);
}
END_TEST

START_TEST(test_rose_all_calm_or_no_wind)
{
	struct aq_wind_hour w[3] = {wind(0.1, 0), wind(0.3, 0), wind(0.0, 0)};
	double c[3] = {10, 20, 30};
	struct aq_rose r;
	ck_assert_int_eq(aq_rose_compute(c, w, 3, &r), 0);
	ck_assert_int_eq(r.hours, 3);
	ck_assert_int_eq(r.calm_hours, 3);
	ck_assert_int_eq(r.dominant, -1);
	ck_assert_int_eq(aq_rose_compute(c, NULL, 3, &r), 0);
	ck_assert_int_eq(r.hours, 0);
	ck_assert(isnan(r.threshold));
	ck_assert_int_eq(r.dominant, -1);
}
END_TEST

/* --- the staged day: a plume from the north-east --- */

enum {
	HOURS = 24,
	RING = 5
};
enum {
	NE_PLUME,
	SW,
	N_ST,
	E_ST,
	NE_QUIET
};
static const struct {
	double bearing, km;
} ring_at[RING] = {
	[NE_PLUME] = {45, 1.5}, [SW] = {225, 1.2}, [N_ST] = {0, 2.0}, [E_ST] = {90, 0.8}, [NE_QUIET] = {50, 2.5},
};

struct staged {
	double series[RING][HOURS];
	double point[HOURS];
	struct aq_wind_hour wind[HOURS];
	struct aq_ring_station ring[RING];
	struct aq_sources_in in;
};

/* Every station reads about 60 µg/m³ with its own irregular wobble; the north-east station
 * catches a plume of +150 from 08:00 to 12:00, which reaches the point two hours later (+100,
 * 10:00–14:00). The wind is wind_dir at 3 m/s all day (NAN: no wind at all). */
static void stage(struct staged *s, double wind_dir)
{
	memset(s, 0, sizeof *s);
	for (int k = 0; k < RING; k++) {
		place(POINT_LAT, POINT_LON, ring_at[k].bearing, ring_at[k].km, &s->ring[k].lat, &s->ring[k].lon);
		for (int t = 0; t < HOURS; t++)
			s->series[k][t] = 55 + noise(100 + (unsigned)k, (size_t)t) / 10.0;
		s->ring[k].series = s->series[k];
	}
	for (int t = 0; t < HOURS; t++) {
		s->point[t] = 55 + noise(99, (size_t)t) / 10.0;
		s->wind[t] = wind(3, wind_dir);
	}
	for (int t = 8; t <= 12; t++) {
		s->series[NE_PLUME][t] += 150;
		s->point[t + 2] += 100;
	}
	s->in = (struct aq_sources_in){POINT_LAT, POINT_LON, s->point, isnan(wind_dir) ? NULL : s->wind,
				       HOURS,	  s->ring,   RING};
}

START_TEST(test_plume_from_ne_comes_first)
{
	struct staged s;
	struct aq_sources_result res;
	stage(&s, 45);
	ck_assert_int_eq(aq_sources_rank(&s.in, &res), 0);
	ck_assert_int_eq(res.mode, AQ_SOURCES_UPWIND);
	ck_assert_int_eq(res.wind_hours, HOURS);
	ck_assert(aq_angle_diff(res.mean_direction, 45) < 1e-9);
	ck_assert_msg(res.n_contributors >= 1, "no contributor");
	ck_assert_uint_eq(res.order[0], NE_PLUME);
	const struct aq_upwind *u = &res.stations[NE_PLUME];
	ck_assert_int_eq(u->rank, 1);
	ck_assert_int_eq(u->best_lag, 2);
	ck_assert_msg(u->best_r > 0.9, "r at lag 2: %g", u->best_r);
	ck_assert_int_eq(u->sector, 2);
	ck_assert(fabs(u->distance_km - 1.5) < 1e-6);
	ck_assert_int_eq(u->upwind_hours, HOURS);
	ck_assert(fabs(u->upwind_share - 1) < 1e-12);
	ck_assert_msg(u->excess > 25 && u->excess_pct > 40, "excess %g (%g %%)", u->excess, u->excess_pct);
	/* The quiet station 5° off the same direction is upwind too, but brings no excess to speak
	 * of: far behind, if ranked at all. The others are never upwind. */
	ck_assert_int_eq(res.stations[NE_QUIET].upwind_hours, HOURS);
	ck_assert_msg(res.stations[NE_QUIET].score < u->score / 10, "quiet NE scores %g vs %g",
		      res.stations[NE_QUIET].score, u->score);
	for (int k = SW; k <= E_ST; k++) {
		ck_assert_int_eq(res.stations[k].upwind_hours, 0);
		ck_assert(res.stations[k].score == 0 && res.stations[k].rank == 0);
		ck_assert(isnan(res.stations[k].excess));
	}
	/* The score is the product the reply shows. */
	ck_assert(fabs(u->score - u->best_r * u->upwind_share * u->excess) < 1e-9);
	aq_sources_result_cleanup(&res);
}
END_TEST

START_TEST(test_plume_downwind_is_no_contributor)
{
	/* The same day with the wind from the south-west: the north-east station is downwind of
	 * the point, so however well its series leads, it is not a likely contributor. */
	struct staged s;
	struct aq_sources_result res;
	stage(&s, 225);
	ck_assert_int_eq(aq_sources_rank(&s.in, &res), 0);
	ck_assert_int_eq(res.stations[NE_PLUME].upwind_hours, 0);
	ck_assert_int_eq(res.stations[NE_PLUME].rank, 0);
	ck_assert_int_eq(res.stations[NE_PLUME].best_lag, 2); /* the evidence is still shown */
	ck_assert_int_eq(res.stations[SW].upwind_hours, HOURS);
	for (size_t k = 0; k < res.n_contributors; k++)
		ck_assert_uint_ne(res.order[k], NE_PLUME);
	aq_sources_result_cleanup(&res);
}
END_TEST

START_TEST(test_plume_without_wind_by_correlation)
{
	struct staged s;
	struct aq_sources_result res;
	stage(&s, NAN);
	ck_assert_int_eq(aq_sources_rank(&s.in, &res), 0);
	ck_assert_int_eq(res.mode, AQ_SOURCES_CORRELATION);
	ck_assert_int_eq(res.wind_hours, 0);
	ck_assert(isnan(res.mean_direction) && isnan(res.mean_speed));
	ck_assert_uint_eq(res.order[0], NE_PLUME);
	const struct aq_upwind *u = &res.stations[NE_PLUME];
	ck_assert_int_eq(u->best_lag, 2);
	ck_assert(u->score == u->best_r);
	ck_assert_int_eq(u->upwind_hours, 0);
	/* Without wind the excess is over every hour. */
	ck_assert_int_eq(u->excess_hours, HOURS);
	for (size_t k = 1; k < res.n_contributors; k++)
		ck_assert(res.stations[res.order[k - 1]].score >= res.stations[res.order[k]].score);
	aq_sources_result_cleanup(&res);
}
END_TEST

START_TEST(test_all_calm_is_correlation_only)
{
	struct staged s;
	struct aq_sources_result res;
	stage(&s, 45);
	for (int t = 0; t < HOURS; t++)
		s.wind[t] = wind(0.2, 45);
	ck_assert_int_eq(aq_sources_rank(&s.in, &res), 0);
	ck_assert_int_eq(res.mode, AQ_SOURCES_CORRELATION);
	ck_assert_int_eq(res.calm_hours, HOURS);
	ck_assert(isnan(res.mean_direction));
	ck_assert(fabs(res.mean_speed - 0.2) < 1e-12);
	ck_assert_int_eq(res.stations[NE_PLUME].upwind_hours, 0);
	ck_assert_uint_eq(res.order[0], NE_PLUME);
	aq_sources_result_cleanup(&res);
}
END_TEST

START_TEST(test_excess_over_ring_median)
{
	/* Three stations, 6 hours, wind from the east (station B's side) every hour but hour 5
	 * (calm). Medians are the middle value; B's excess is over its upwind hours only. */
	double a[6] = {10, 10, 10, 10, 10, 10}, b[6] = {30, 40, NAN, 20, 30, 90}, c[6] = {20, 20, 20, 20, 20, 20};
	double point[6] = {1, 2, 3, 4, 5, 6};
	struct aq_wind_hour w[6] = {wind(2, 90), wind(2, 90), wind(2, 90), wind(2, 90), wind(2, 90), wind(0.1, 0)};
	struct aq_ring_station ring[3];
	place(POINT_LAT, POINT_LON, 270, 1, &ring[0].lat, &ring[0].lon);
	place(POINT_LAT, POINT_LON, 100, 1, &ring[1].lat, &ring[1].lon); /* 10° off the wind: upwind */
	place(POINT_LAT, POINT_LON, 180, 1, &ring[2].lat, &ring[2].lon);
	ring[0].series = a;
	ring[1].series = b;
	ring[2].series = c;
	struct aq_sources_in in = {POINT_LAT, POINT_LON, point, w, 6, ring, 3};
	struct aq_sources_result res;
	ck_assert_int_eq(aq_sources_rank(&in, &res), 0);
	const struct aq_upwind *u = &res.stations[1];
	/* Upwind hours 0, 1, 3, 4 (hour 2 has no value of B, hour 5 is calm). Medians 20, 20, 20,
	 * 20 (hour 2's median is 15, not used). Excess (10 + 20 + 0 + 10) / 4 = 10, Σ M = 80. */
	ck_assert_int_eq(u->upwind_hours, 4);
	ck_assert_int_eq(u->excess_hours, 4);
	ck_assert(fabs(u->excess - 10) < 1e-12);
	ck_assert(fabs(u->excess_pct - 50) < 1e-12);
	ck_assert(fabs(u->upwind_share - 4.0 / 5.0) < 1e-12);
	ck_assert_int_eq(u->valid_hours, 5);
	ck_assert_int_eq(res.wind_hours, 6);
	ck_assert_int_eq(res.calm_hours, 1);
	ck_assert_int_eq(res.stations[0].upwind_hours, 0);
	/* Too few pairs for any correlation (≤ 5 hours with B): no score, not a contributor. */
	ck_assert_int_eq(u->best_lag, -1);
	ck_assert(u->score == 0 && u->rank == 0);
	aq_sources_result_cleanup(&res);
}
END_TEST

START_TEST(test_empty_ring)
{
	double point[3] = {1, 2, 3};
	struct aq_sources_in in = {POINT_LAT, POINT_LON, point, NULL, 3, NULL, 0};
	struct aq_sources_result res;
	ck_assert_int_eq(aq_sources_rank(&in, &res), 0);
	ck_assert_uint_eq(res.n_stations, 0);
	ck_assert_uint_eq(res.n_contributors, 0);
	aq_sources_result_cleanup(&res);
	aq_sources_result_cleanup(NULL);
}
END_TEST

static Suite *sources_suite(void)
{
	Suite *s = suite_create("sources");
	TCase *tc = tcase_create("sectors");
	tcase_add_loop_test(tc, test_bearing, 0, N(bearings));
	tcase_add_test(tc, test_bearing_same_point);
	tcase_add_loop_test(tc, test_angle_diff, 0, N(diffs));
	tcase_add_loop_test(tc, test_sector_of, 0, N(sectors));
	tcase_add_test(tc, test_sector_names);
	tcase_add_loop_test(tc, test_speed_class, 0, N(speeds));
	tcase_add_loop_test(tc, test_circular_mean, 0, N(means));
	tcase_add_test(tc, test_circular_mean_unweighted);
	tcase_add_test(tc, test_wind_hour);
	suite_add_tcase(s, tc);

	tc = tcase_create("statistics");
	tcase_add_loop_test(tc, test_percentile, 0, N(pcts));
	tcase_add_loop_test(tc, test_lagged_r_known_lag, 0, AQ_SOURCES_MAX_LAG + 1);
	tcase_add_test(tc, test_lagged_r_edges);
	tcase_add_test(tc, test_rose);
	tcase_add_test(tc, test_rose_all_calm_or_no_wind);
	suite_add_tcase(s, tc);

	tc = tcase_create("contributors");
	tcase_add_test(tc, test_plume_from_ne_comes_first);
	tcase_add_test(tc, test_plume_downwind_is_no_contributor);
	tcase_add_test(tc, test_plume_without_wind_by_correlation);
	tcase_add_test(tc, test_all_calm_is_correlation_only);
	tcase_add_test(tc, test_excess_over_ring_median);
	tcase_add_test(tc, test_empty_ring);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sources_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
