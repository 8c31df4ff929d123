/* qc.c — quality-control flags of micro-stations' hourly PM values and the correction of a
 * day's hours (aq_qc.h). The rules and their sources are in docs/domain-rules.md, "Quality
 * control"; the order of the steps (own flags on raw values, calibration, divergence on
 * corrected values, exclusion) is explained there too. */
#include "aq_qc.h"
#include "aq_station.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Hours of the day before and of the day: index 24 + h is hour h of the day. */
#define SPAN 48
/* The PM pollutants judged, as indexes into per-pollutant arrays. */
static const enum aq_pollutant pm[2] = {AQ_PM25, AQ_PM10};
/* SPEC §5's MAD-to-σ factor for normal data: 1 / Φ⁻¹(3/4). */
#define MAD_SCALE 1.4826

static const char *const names[AQ_QC_FLAGS] = {"range", "stuck", "step", "inversion", "humidity", "divergence"};
static const char *const reasons[AQ_QC_FLAGS] = {
	"The hourly mean is above the sensor's range.",
	"The same hourly value repeated for too many hours: the sensor is stuck.",
	"A jump against the station's own last hours that its area did not make.",
	"PM2.5 above PM10 beyond the tolerance: one of them is wrong.",
	"Relative humidity above the level at which light-scattering sensors over-read.",
	"Too far from the median of the ring's stations (k·MAD).",
};

const char *aq_qc_flag_name(enum aq_qc_flag f)
{
	return (unsigned)f < AQ_QC_FLAGS ? names[f] : NULL;
}

const char *aq_qc_flag_reason(enum aq_qc_flag f)
{
	return (unsigned)f < AQ_QC_FLAGS ? reasons[f] : NULL;
}

/* Equal within 1e-9, relative above 1: hourly means of identical readings summed in another
 * order differ in the last bits. */
static bool same(double a, double b)
{
	double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
	return fabs(a - b) <= 1e-9 * (m > 1.0 ? m : 1.0);
}

/* The valid mean of pollutant p in hour h, or false. */
static bool valid_mean(const struct aq_hour_sums *h, enum aq_pollutant p, int min_readings, double *v)
{
	int n = h->count[p];
	if (n <= 0 || n < min_readings)
		return false;
	*v = h->sum[p] / n;
	return true;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of v[0..n) (sorted in place); n > 0. The step rule asks it of a few hours per
 * station-hour: insertion sort there (qsort's call per comparison was a tenth of a first
 * read), qsort for a group's hundreds of stations. */
static double median(double *v, size_t n)
{
	if (n <= 16) {
		for (size_t i = 1; i < n; i++) {
			double x = v[i];
			size_t j = i;
			for (; j > 0 && v[j - 1] > x; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
	} else {
		qsort(v, n, sizeof *v, by_value);
	}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* One station's two PM series over the day before and the day, raw. */
struct series {
	bool valid[2][SPAN];
	double value[2][SPAN];
	uint8_t flags[2][SPAN]; /* own flags, also on the day before (for step's reference) */
};

/* A comparison group: a national point's ring, or (last) every micro station of the network. */
struct group {
	size_t center;	 /* index of the national point, SIZE_MAX for the network */
	size_t *members; /* active micro stations in it */
	size_t n_members;
	/* Per PM and hour, computed when first asked (a step candidate is rare, and the network
	 * of 10,000 stations would cost 96 sorts per day built): NAN when too few values. */
	double raw_median[2][SPAN];
	bool known[2][SPAN];
};

struct work {
	const struct aq_qc_rules *r;
	struct aq_qc_station *st;
	size_t n;
	int n_hours;
	struct series *s; /* per station */
	struct group *groups;
	size_t n_groups;
	size_t *ring;	 /* per station: its ring's group index, SIZE_MAX when in none */
	size_t *area;	 /* per station: the group step corroborates with */
	double *scratch; /* n doubles */
};

static bool judged(const struct aq_qc_station *s)
{
	return s->micro && s->active;
}

static void fill_series(const struct aq_qc_station *st, struct series *s)
{
	int min = aq_hour_min_readings(st->interval_s);
	memset(s, 0, sizeof *s);
	for (int k = 0; k < 2; k++)
		for (int t = 0; t < SPAN; t++) {
			const struct aq_hour_sums *h = t < 24 ? (st->prev ? &st->prev[t] : NULL) : &st->hours[t - 24];
			s->valid[k][t] = h && valid_mean(h, pm[k], min, &s->value[k][t]);
		}
}

/* range and stuck, over both days (step's reference must skip such hours of the day before). */
static void flag_range_stuck(const struct aq_qc_rules *r, struct series *s, int end)
{
	for (int k = 0; k < 2; k++) {
		double max = r->range_max[pm[k]];
		for (int t = 0; t < end; t++)
			if (max > 0 && s->valid[k][t] && s->value[k][t] > max)
				s->flags[k][t] |= AQ_QC_BIT(AQ_QC_RANGE);
		if (r->stuck_hours <= 0)
			continue;
		int start = 0;
		for (int t = 0; t <= end; t++) {
			bool extends = t < end && s->valid[k][t] && t > start && s->valid[k][start] &&
				       same(s->value[k][t], s->value[k][start]);
			if (extends)
				continue;
			/* The run [start, t) ends here. */
			if (start < end && s->valid[k][start] && t - start >= r->stuck_hours)
				for (int u = start; u < t; u++)
					s->flags[k][u] |= AQ_QC_BIT(AQ_QC_STUCK);
			start = t;
		}
	}
}

/* inversion and humidity: hours of the day only (index 24 .. end). */
static void flag_pair_humidity(const struct aq_qc_rules *r, const struct aq_qc_station *st, struct series *s, int end)
{
	for (int t = 24; t < end; t++) {
		if (r->inversion_ratio > 0 && s->valid[0][t] && s->valid[1][t]) {
			double p25 = s->value[0][t], p10 = s->value[1][t];
			if (p25 > r->inversion_ratio * p10 && !same(p25, r->inversion_ratio * p10) &&
			    p25 - p10 > r->inversion_min && !same(p25 - p10, r->inversion_min)) {
				s->flags[0][t] |= AQ_QC_BIT(AQ_QC_INVERSION);
				s->flags[1][t] |= AQ_QC_BIT(AQ_QC_INVERSION);
			}
		}
		const struct aq_hour_sums *h = &st->hours[t - 24];
		if (r->humidity_max > 0 && h->rh_count > 0) {
			double rh = h->rh_sum / h->rh_count;
			if (rh > r->humidity_max && !same(rh, r->humidity_max))
				for (int k = 0; k < 2; k++)
					if (s->valid[k][t])
						s->flags[k][t] |= AQ_QC_BIT(AQ_QC_HUMIDITY);
		}
	}
}

/* The median of the station's valid values in the step_hours hours before t that are not
 * out of range or stuck. */
static bool own_reference(const struct aq_qc_rules *r, const struct series *s, int k, int t, double *out)
{
	double buf[SPAN];
	size_t n = 0;
	uint8_t bad = AQ_QC_BIT(AQ_QC_RANGE) | AQ_QC_BIT(AQ_QC_STUCK);
	for (int u = t - r->step_hours; u < t; u++)
		if (u >= 0 && s->valid[k][u] && !(s->flags[k][u] & bad))
			buf[n++] = s->value[k][u];
	if (n == 0)
		return false;
	*out = median(buf, n);
	return true;
}

/* The group's median of the raw values of PM k in hour t (NAN: fewer than mad_min_stations). */
static double group_median(struct work *w, struct group *g, int k, int t)
{
	if (g->known[k][t])
		return g->raw_median[k][t];
	size_t n = 0, min = (size_t)(w->r->mad_min_stations > 1 ? w->r->mad_min_stations : 1);
	for (size_t m = 0; m < g->n_members; m++)
		if (w->s[g->members[m]].valid[k][t])
			w->scratch[n++] = w->s[g->members[m]].value[k][t];
	g->known[k][t] = true;
	return g->raw_median[k][t] = n >= min ? median(w->scratch, n) : NAN;
}

/* The median of the group's medians in the step_hours hours before t. */
static bool group_reference(struct work *w, struct group *g, int k, int t, double *out)
{
	double buf[SPAN];
	size_t n = 0;
	for (int u = t - w->r->step_hours; u < t; u++) {
		double v = u >= 0 ? group_median(w, g, k, u) : NAN;
		if (!isnan(v))
			buf[n++] = v;
	}
	if (n == 0)
		return false;
	*out = median(buf, n);
	return true;
}

/* step: a jump by step_ratio and step_min from the median of the station's last hours, unless
 * its area's median moved at least half as far the same way in the same hour. */
static void flag_step(struct work *w, size_t i, int end)
{
	const struct aq_qc_rules *r = w->r;
	struct series *s = &w->s[i];
	struct group *g = &w->groups[w->area[i]];
	if (r->step_ratio <= 0 || r->step_hours <= 0)
		return;
	for (int k = 0; k < 2; k++)
		for (int t = 24; t < end; t++) {
			double x = s->value[k][t], ref, gref;
			if (!s->valid[k][t] || s->flags[k][t] || !own_reference(r, s, k, t, &ref))
				continue;
			bool up = x > r->step_ratio * ref && x - ref > r->step_min;
			bool down = ref > r->step_ratio * x && ref - x > r->step_min;
			if (!up && !down)
				continue;
			double gnow = group_median(w, g, k, t);
			if (!isnan(gnow) && group_reference(w, g, k, t, &gref)) {
				bool shared = up ? gnow - gref >= 0.5 * (x - ref) : gref - gnow >= 0.5 * (ref - x);
				if (shared)
					continue;
			}
			s->flags[k][t] |= AQ_QC_BIT(AQ_QC_STEP);
		}
}

/* divergence: each ring's median and MAD of the corrected values not flagged already; a
 * station is judged in the ring of its nearest national point. */
static void flag_divergence(struct work *w)
{
	const struct aq_qc_rules *r = w->r;
	size_t min = (size_t)(r->mad_min_stations > 1 ? r->mad_min_stations : 1);
	if (r->mad_k <= 0)
		return;
	for (size_t gi = 0; gi < w->n_groups; gi++) {
		const struct group *g = &w->groups[gi];
		if (g->center == SIZE_MAX)
			continue;
		for (int k = 0; k < 2; k++)
			for (int h = 0; h < w->n_hours; h++) {
				size_t n = 0;
				for (size_t m = 0; m < g->n_members; m++) {
					size_t i = g->members[m];
					const struct aq_hour_sums *hs = &w->st[i].hours[h];
					if (w->s[i].valid[k][24 + h] && !w->s[i].flags[k][24 + h])
						w->scratch[n++] = hs->sum[pm[k]] / hs->count[pm[k]];
				}
				if (n < min)
					continue;
				double med = median(w->scratch, n);
				for (size_t j = 0; j < n; j++)
					w->scratch[j] = fabs(w->scratch[j] - med);
				double mad = median(w->scratch, n);
				double limit = r->mad_k * MAD_SCALE * mad;
				if (limit < r->mad_floor)
					limit = r->mad_floor;
				for (size_t m = 0; m < g->n_members; m++) {
					size_t i = g->members[m];
					const struct aq_hour_sums *hs = &w->st[i].hours[h];
					if (w->ring[i] != gi || !w->s[i].valid[k][24 + h] || w->s[i].flags[k][24 + h])
						continue;
					double d = fabs(hs->sum[pm[k]] / hs->count[pm[k]] - med);
					if (d > limit && !same(d, limit))
						w->s[i].flags[k][24 + h] |= AQ_QC_BIT(AQ_QC_DIVERGENCE);
				}
			}
	}
}

/* The rings of the active national points and the network, and each station's ring and area. */
static int make_groups(struct work *w)
{
	size_t n_national = 0;
	for (size_t i = 0; i < w->n; i++)
		n_national += !w->st[i].micro && w->st[i].active;
	w->groups = calloc(n_national + 1, sizeof *w->groups);
	if (!w->groups)
		return -1;
	for (size_t i = 0; i < w->n; i++) {
		w->ring[i] = w->area[i] = SIZE_MAX;
		if (!w->st[i].micro && w->st[i].active)
			w->groups[w->n_groups++].center = i;
	}
	struct group *network = &w->groups[w->n_groups++];
	network->center = SIZE_MAX;
	for (size_t gi = 0; gi < w->n_groups; gi++)
		if (!(w->groups[gi].members = calloc(w->n ? w->n : 1, sizeof *w->groups[gi].members)))
			return -1;
	for (size_t i = 0; i < w->n; i++) {
		const struct aq_qc_station *s = &w->st[i];
		if (!judged(s))
			continue;
		double nearest = INFINITY;
		network->members[network->n_members++] = i;
		for (size_t gi = 0; gi + 1 < w->n_groups; gi++) {
			struct group *g = &w->groups[gi];
			const struct aq_qc_station *c = &w->st[g->center];
			double d = aq_distance_km(c->lat, c->lon, s->lat, s->lon);
			if (d > w->r->radius_km)
				continue;
			g->members[g->n_members++] = i;
			if (d < nearest) {
				nearest = d;
				w->ring[i] = gi;
			}
		}
		w->area[i] = w->ring[i] != SIZE_MAX ? w->ring[i] : w->n_groups - 1;
	}
	return 0;
}

static void free_work(struct work *w)
{
	for (size_t gi = 0; w->groups && gi < w->n_groups; gi++)
		free(w->groups[gi].members);
	free(w->groups);
	free(w->s);
	free(w->ring);
	free(w->area);
	free(w->scratch);
}

/* Every hour of a micro station corrected by its calibration in force. */
static void calibrate(struct aq_qc_station *st)
{
	if (!st->micro || !st->calib)
		return;
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		const struct aq_calib_use *u = &st->calib[p];
		if (u->id == 0)
			continue;
		for (int h = 0; h < 24; h++) {
			struct aq_hour_sums *hs = &st->hours[h];
			if (hs->count[p] <= 0)
				continue;
			bool has_rh = hs->rh_count > 0;
			double v = aq_calib_apply(u, hs->sum[p] / hs->count[p], has_rh,
						  has_rh ? hs->rh_sum / hs->rh_count : 0);
			hs->sum[p] = v * hs->count[p];
		}
	}
}

int aq_qc_day(const struct aq_qc_rules *rules, struct aq_qc_station *stations, size_t n, int n_hours)
{
	struct work w = {.r = rules, .st = stations, .n = n};
	w.n_hours = n_hours < 0 ? 0 : n_hours > 24 ? 24 : n_hours;
	int end = 24 + w.n_hours;
	size_t cap = n ? n : 1;
	w.s = calloc(cap, sizeof *w.s);
	w.ring = calloc(cap, sizeof *w.ring);
	w.area = calloc(cap, sizeof *w.area);
	w.scratch = calloc(cap, sizeof *w.scratch);
	if (!w.s || !w.ring || !w.area || !w.scratch || (rules->enabled && make_groups(&w) != 0)) {
		free_work(&w);
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct aq_qc_station *st = &stations[i];
		memset(st->quality, 0, sizeof *st->quality);
		for (int p = 0; st->micro && st->calib && p < AQ_POLLUTANTS; p++) {
			st->quality->calib_id[p] = st->calib[p].id;
			st->quality->calib_version[p] = st->calib[p].version;
		}
		if (rules->enabled && judged(st)) {
			fill_series(st, &w.s[i]);
			flag_range_stuck(rules, &w.s[i], end);
			flag_pair_humidity(rules, st, &w.s[i], end);
		}
	}
	for (size_t i = 0; rules->enabled && i < n; i++)
		if (judged(&stations[i]))
			flag_step(&w, i, end);
	for (size_t i = 0; i < n; i++)
		calibrate(&stations[i]);
	if (rules->enabled)
		flag_divergence(&w);
	for (size_t i = 0; rules->enabled && i < n; i++) {
		struct aq_qc_station *st = &stations[i];
		if (!judged(st))
			continue;
		for (int k = 0; k < 2; k++)
			for (int h = 0; h < w.n_hours; h++) {
				uint8_t f = w.s[i].flags[k][24 + h];
				if (!f)
					continue;
				st->quality->flags[h][pm[k]] = f;
				st->hours[h].sum[pm[k]] = 0.0;
				st->hours[h].count[pm[k]] = 0;
			}
	}
	free_work(&w);
	return 0;
}

void aq_qc_summarize(const struct aq_station_quality *q, unsigned mask, struct aq_qc_summary *out)
{
	memset(out, 0, sizeof *out);
	for (int h = 0; h < 24; h++) {
		uint8_t any = 0;
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			if (mask & AQ_POLLUTANT_BIT(p))
				any |= q->flags[h][p];
		if (!any)
			continue;
		out->excluded_hours++;
		for (int f = 0; f < AQ_QC_FLAGS; f++)
			if (any & AQ_QC_BIT(f))
				out->reason_hours[f]++;
	}
}

unsigned aq_qc_metric_mask(enum aq_metric m, const struct aq_daily *d)
{
	switch (m) {
	case AQ_METRIC_PM10: return AQ_POLLUTANT_BIT(AQ_PM10);
	case AQ_METRIC_PM25: return AQ_POLLUTANT_BIT(AQ_PM25);
	case AQ_METRIC_COMPOSITE: return d->composite_mask & AQ_POLLUTANT_ALL_MASK;
	case AQ_METRIC_AQI: return d->reported_mask;
	}
	return 0;
}

bool aq_qc_capture_pct(int valid_hours, int expected_hours, double *pct)
{
	if (expected_hours <= 0)
		return false;
	*pct = aq_round_half_even(100.0 * valid_hours / expected_hours, 1);
	return true;
}
