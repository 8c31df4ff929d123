/* sources.c — the pollution rose and the upwind ranking of a national point's ring (see
 * aq_sources.h; method and references in docs/domain-rules.md, "Sources"). Pure arithmetic on
 * hourly series: sectors, circular means, percentiles, lagged correlation. */
#include "aq_sources.h"
#include "aq_station.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const double aq_speed_class_edges[AQ_SPEED_CLASSES] = {AQ_CALM_MS, 2.0, 4.0, 6.0};

#define RAD (M_PI / 180.0)

/* x reduced to [0, 360). fmod keeps the sign of x, so negatives come back up once. */
static double wrap360(double x)
{
	double r = fmod(x, 360.0);
	if (r < 0)
		r += 360.0;
	return r >= 360.0 ? 0.0 : r; /* -1e-18 + 360 rounds to 360 */
}

double aq_bearing_deg(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * RAD, p2 = lat2 * RAD, dl = (lon2 - lon1) * RAD;
	double y = sin(dl) * cos(p2);
	double x = cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl);
	if (y == 0 && x == 0)
		return 0;
	return wrap360(atan2(y, x) / RAD);
}

double aq_angle_diff(double a, double b)
{
	double d = fabs(wrap360(a) - wrap360(b));
	return d > 180.0 ? 360.0 - d : d;
}

int aq_sector_of(double deg)
{
	int k = (int)floor(wrap360(deg + 180.0 / AQ_SECTORS) / (360.0 / AQ_SECTORS));
	return k >= AQ_SECTORS ? 0 : k;
}

const char *aq_sector_name(int sector, bool zh)
{
	static const char *const en[AQ_SECTORS] = {"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
						   "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"};
	/* The Chinese 16-point compass (十六方位): 北东北 is NNE, 东东北 ENE, and so on. */
	static const char *const cn[AQ_SECTORS] = {"北", "北东北", "东北", "东东北", "东", "东东南", "东南", "南东南",
						   "南", "南西南", "西南", "西西南", "西", "西西北", "西北", "北西北"};
	if (sector < 0 || sector >= AQ_SECTORS)
		return NULL;
	return zh ? cn[sector] : en[sector];
}

int aq_speed_class_of(double speed)
{
	if (!(speed >= AQ_CALM_MS))
		return -1;
	int k = AQ_SPEED_CLASSES - 1;
	while (k > 0 && speed < aq_speed_class_edges[k])
		k--;
	return k;
}

bool aq_circular_mean(const double *deg, const double *weights, size_t n, double *mean, double *resultant)
{
	double s = 0, c = 0, w_sum = 0;
	for (size_t i = 0; i < n; i++) {
		double w = weights ? weights[i] : 1.0;
		if (!(w > 0) || !isfinite(deg[i]))
			continue;
		s += w * sin(deg[i] * RAD);
		c += w * cos(deg[i] * RAD);
		w_sum += w;
	}
	/* Vectors that cancel to rounding noise have no direction (0° and 180° give c ≈ 1e-16). */
	double len = hypot(s, c);
	if (w_sum <= 0 || len <= 1e-12 * w_sum)
		return false;
	if (mean)
		*mean = wrap360(atan2(s, c) / RAD);
	if (resultant)
		*resultant = len / w_sum;
	return true;
}

void aq_wind_hour_of(const struct aq_wind_sums *s, struct aq_wind_hour *out)
{
	memset(out, 0, sizeof *out);
	if (s->n_speed <= 0)
		return;
	out->speed = s->speed_sum / s->n_speed;
	if (out->speed < AQ_CALM_MS) {
		/* A calm hour needs no direction: sensors often report none in calm air. */
		out->present = out->calm = true;
		return;
	}
	double len = hypot(s->u_sum, s->v_sum);
	if (s->n_vector <= 0 || len <= 1e-12 * s->speed_sum)
		return;
	out->direction = wrap360(atan2(s->u_sum, s->v_sum) / RAD);
	out->present = true;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double aq_percentile(double *v, size_t n, double p)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof *v, by_value);
	double h = (double)(n - 1) * p / 100.0;
	size_t lo = (size_t)floor(h);
	if (lo >= n - 1)
		return v[n - 1];
	return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

double aq_lagged_r(const double *x, const double *y, size_t n, int lag, int *pairs)
{
	double sx = 0, sy = 0;
	int m = 0;
	if (pairs)
		*pairs = 0;
	if (lag < 0 || (size_t)lag >= n)
		return NAN;
	for (size_t t = 0; t + (size_t)lag < n; t++) {
		if (isfinite(x[t]) && isfinite(y[t + lag])) {
			sx += x[t];
			sy += y[t + lag];
			m++;
		}
	}
	if (pairs)
		*pairs = m;
	if (m < AQ_SOURCES_MIN_PAIRS)
		return NAN;
	/* Two passes: the means first, then the centred sums (no cancellation of large squares). */
	double mx = sx / m, my = sy / m, sxy = 0, sxx = 0, syy = 0;
	for (size_t t = 0; t + (size_t)lag < n; t++) {
		if (isfinite(x[t]) && isfinite(y[t + lag])) {
			double dx = x[t] - mx, dy = y[t + lag] - my;
			sxy += dx * dy;
			sxx += dx * dx;
			syy += dy * dy;
		}
	}
	if (!(sxx > 0) || !(syy > 0))
		return NAN;
	double r = sxy / sqrt(sxx * syy);
	return r > 1 ? 1 : r < -1 ? -1 : r;
}

int aq_rose_compute(const double *conc, const struct aq_wind_hour *wind, size_t n, struct aq_rose *out)
{
	memset(out, 0, sizeof *out);
	out->threshold = NAN;
	out->dominant = -1;
	double *values = malloc((n ? n : 1) * sizeof *values);
	if (!values)
		return -1;
	size_t m = 0;
	for (size_t t = 0; t < n; t++) {
		if (!isfinite(conc[t]) || !wind || !wind[t].present)
			continue;
		values[m++] = conc[t];
		out->hours++;
		out->total += conc[t];
		if (wind[t].calm) {
			out->calm_hours++;
			out->calm_sum += conc[t];
			continue;
		}
		int k = aq_sector_of(wind[t].direction), c = aq_speed_class_of(wind[t].speed);
		out->cell_hours[k][c]++;
		out->cell_sum[k][c] += conc[t];
		out->sector_hours[k]++;
		out->sector_sum[k] += conc[t];
	}
	out->threshold = aq_percentile(values, m, AQ_CPF_PERCENTILE);
	free(values);
	for (size_t t = 0; t < n; t++) {
		if (isfinite(conc[t]) && wind && wind[t].present && !wind[t].calm && conc[t] >= out->threshold)
			out->sector_high[aq_sector_of(wind[t].direction)]++;
	}
	for (int k = 0; k < AQ_SECTORS; k++) {
		if (out->sector_hours[k] == 0)
			continue;
		int d = out->dominant;
		if (d < 0 || out->sector_sum[k] > out->sector_sum[d] ||
		    (out->sector_sum[k] == out->sector_sum[d] &&
		     aq_rose_sector_mean(out, k) > aq_rose_sector_mean(out, d)))
			out->dominant = k;
	}
	return 0;
}

double aq_rose_sector_mean(const struct aq_rose *r, int k)
{
	return r->sector_hours[k] ? r->sector_sum[k] / r->sector_hours[k] : NAN;
}

double aq_rose_cpf(const struct aq_rose *r, int k)
{
	return r->sector_hours[k] ? (double)r->sector_high[k] / r->sector_hours[k] : NAN;
}

/* The median of the ring's values at each hour (NAN when none has one), into median[n_hours];
 * scratch holds n_ring doubles. */
static void ring_medians(const struct aq_sources_in *in, double *median, double *scratch)
{
	for (size_t t = 0; t < in->n_hours; t++) {
		size_t m = 0;
		for (size_t s = 0; s < in->n_ring; s++)
			if (isfinite(in->ring[s].series[t]))
				scratch[m++] = in->ring[s].series[t];
		if (m == 0) {
			median[t] = NAN;
			continue;
		}
		qsort(scratch, m, sizeof *scratch, by_value);
		median[t] = m % 2 ? scratch[m / 2] : (scratch[m / 2 - 1] + scratch[m / 2]) / 2;
	}
}

/* An hour with a wind direction (present, not calm). */
static bool directional(const struct aq_sources_in *in, size_t t)
{
	return in->wind && in->wind[t].present && !in->wind[t].calm;
}

static void judge_station(const struct aq_sources_in *in, const struct aq_sources_result *res, const double *median,
			  size_t s, struct aq_upwind *u)
{
	const double *x = in->ring[s].series;
	int directional_hours = res->wind_hours - res->calm_hours;
	double diff = 0, base = 0;
	memset(u, 0, sizeof *u);
	u->bearing = aq_bearing_deg(in->lat, in->lon, in->ring[s].lat, in->ring[s].lon);
	u->distance_km = aq_distance_km(in->lat, in->lon, in->ring[s].lat, in->ring[s].lon);
	u->sector = aq_sector_of(u->bearing);
	for (size_t t = 0; t < in->n_hours; t++) {
		if (!isfinite(x[t]))
			continue;
		u->valid_hours++;
		if (!isfinite(median[t]))
			continue;
		bool upwind =
			directional(in, t) && aq_angle_diff(u->bearing, in->wind[t].direction) <= AQ_UPWIND_HALF_DEG;
		if (res->mode == AQ_SOURCES_UPWIND && !upwind)
			continue;
		u->upwind_hours += upwind;
		u->excess_hours++;
		diff += x[t] - median[t];
		base += median[t];
	}
	u->upwind_share = directional_hours > 0 ? (double)u->upwind_hours / directional_hours : 0;
	u->excess = u->excess_hours ? diff / u->excess_hours : NAN;
	u->excess_pct = u->excess_hours && base > 0 ? diff / base * 100.0 : NAN;
	u->best_lag = -1;
	u->best_r = NAN;
	for (int lag = 0; lag <= AQ_SOURCES_MAX_LAG; lag++) {
		u->r[lag] = aq_lagged_r(x, in->point, in->n_hours, lag, &u->pairs[lag]);
		if (isfinite(u->r[lag]) && (u->best_lag < 0 || u->r[lag] > u->best_r)) {
			u->best_lag = lag;
			u->best_r = u->r[lag];
		}
	}
	double r_pos = isfinite(u->best_r) && u->best_r > 0 ? u->best_r : 0;
	if (res->mode == AQ_SOURCES_CORRELATION)
		u->score = r_pos;
	else
		u->score = r_pos * u->upwind_share * (isfinite(u->excess) && u->excess > 0 ? u->excess : 0);
}

/* The contributors' order: C11 has no qsort_r to pass the stations to a comparator, so the
 * order is built by insertion (a ring holds at most a few hundred stations). */
static bool ranks_before(const struct aq_upwind *a, size_t ia, const struct aq_upwind *b, size_t ib)
{
	if (a->score != b->score)
		return a->score > b->score;
	double ea = isfinite(a->excess) ? a->excess : -INFINITY, eb = isfinite(b->excess) ? b->excess : -INFINITY;
	if (ea != eb)
		return ea > eb;
	return ia < ib;
}

int aq_sources_rank(const struct aq_sources_in *in, struct aq_sources_result *out)
{
	memset(out, 0, sizeof *out);
	out->mean_direction = out->mean_speed = NAN;
	size_t n = in->n_hours, nr = in->n_ring;
	/* scratch: the hours' directions first, then the ring's values of one hour. */
	double *median = calloc(n ? n : 1, sizeof *median);
	double *scratch = calloc(nr > n ? nr : n ? n : 1, sizeof *scratch);
	double *weights = calloc(n ? n : 1, sizeof *weights);
	out->stations = calloc(nr ? nr : 1, sizeof *out->stations);
	out->order = calloc(nr ? nr : 1, sizeof *out->order);
	int rc = -1;
	if (!median || !scratch || !weights || !out->stations || !out->order)
		goto out;
	out->n_stations = nr;

	double speed_sum = 0;
	for (size_t t = 0; t < n; t++) {
		weights[t] = 0;
		scratch[t] = NAN;
		if (!in->wind || !in->wind[t].present)
			continue;
		out->wind_hours++;
		speed_sum += in->wind[t].speed;
		if (in->wind[t].calm) {
			out->calm_hours++;
			continue;
		}
		scratch[t] = in->wind[t].direction;
		weights[t] = in->wind[t].speed;
	}
	if (out->wind_hours > 0)
		out->mean_speed = speed_sum / out->wind_hours;
	if (!aq_circular_mean(scratch, weights, n, &out->mean_direction, NULL))
		out->mean_direction = NAN;
	out->mode = out->wind_hours > out->calm_hours ? AQ_SOURCES_UPWIND : AQ_SOURCES_CORRELATION;

	ring_medians(in, median, scratch);
	for (size_t s = 0; s < nr; s++) {
		judge_station(in, out, median, s, &out->stations[s]);
		if (!(out->stations[s].score > 0))
			continue;
		size_t at = out->n_contributors++;
		while (at > 0 &&
		       ranks_before(&out->stations[s], s, &out->stations[out->order[at - 1]], out->order[at - 1])) {
			out->order[at] = out->order[at - 1];
			at--;
		}
		out->order[at] = s;
	}
	for (size_t k = 0; k < out->n_contributors; k++)
		out->stations[out->order[k]].rank = (int)k + 1;
	rc = 0;
out:
	free(median);
	free(scratch);
	free(weights);
	if (rc != 0)
		aq_sources_result_cleanup(out);
	return rc;
}

void aq_sources_result_cleanup(struct aq_sources_result *out)
{
	if (!out)
		return;
	free(out->stations);
	free(out->order);
	memset(out, 0, sizeof *out);
}
