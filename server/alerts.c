/* alerts.c — the anomaly rules of SPEC §5 as pure functions: the hourly values of a station
 * and its neighbours in, one verdict per rule out. Which hours to load, which alerts are open
 * and what to store is alert_eval.c's business. Where the SPEC left a choice, the choice is
 * written down in docs/domain-rules.md "Alert rules (alerts.c)". */
#include "aq_alerts.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_station.h"
#include "aq_time.h"

static const char *const type_names[AQ_ALERT_TYPES] = {
	[AQ_ALERT_OFFLINE] = "offline",
	[AQ_ALERT_EXCEEDANCE] = "exceedance",
	[AQ_ALERT_SPIKE] = "spike",
	[AQ_ALERT_FLATLINE] = "flatline",
	[AQ_ALERT_INVERSION] = "inversion",
	[AQ_ALERT_HOTSPOT] = "hotspot",
	[AQ_ALERT_INTERFERENCE] = "interference",
	[AQ_ALERT_NATIONAL_DIVERGENCE] = "national_divergence",
	[AQ_ALERT_AUTH_FAILURES] = "auth_failures",
	[AQ_ALERT_CALIBRATION_DRIFT] = "calibration_drift",
};

/* The severity column of SPEC §5, before the national-point override. */
static const enum aq_severity base_severity[AQ_ALERT_TYPES] = {
	[AQ_ALERT_OFFLINE] = AQ_SEV_WARNING,	   [AQ_ALERT_EXCEEDANCE] = AQ_SEV_WARNING,
	[AQ_ALERT_SPIKE] = AQ_SEV_WARNING,	   [AQ_ALERT_FLATLINE] = AQ_SEV_WARNING,
	[AQ_ALERT_INVERSION] = AQ_SEV_INFO,	   [AQ_ALERT_HOTSPOT] = AQ_SEV_WARNING,
	[AQ_ALERT_INTERFERENCE] = AQ_SEV_CRITICAL, [AQ_ALERT_NATIONAL_DIVERGENCE] = AQ_SEV_CRITICAL,
	[AQ_ALERT_AUTH_FAILURES] = AQ_SEV_WARNING, [AQ_ALERT_CALIBRATION_DRIFT] = AQ_SEV_WARNING,
};

static const char *const severity_names[] = {
	[AQ_SEV_INFO] = "info",
	[AQ_SEV_WARNING] = "warning",
	[AQ_SEV_CRITICAL] = "critical",
};

#define SEVERITIES ((int)(sizeof(severity_names) / sizeof(severity_names[0])))
#define PM_COUNT 2 /* aq_alert_hour.pm[] holds PM2.5 and PM10, in enum aq_pollutant order */
#define US_PER_HOUR (INT64_C(3600) * AQ_US_PER_SEC)

const char *aq_alert_type_name(enum aq_alert_type t)
{
	return (int)t >= 0 && (int)t < AQ_ALERT_TYPES ? type_names[t] : NULL;
}

bool aq_alert_type_from_name(const char *name, enum aq_alert_type *t)
{
	if (name == NULL)
		return false;
	for (int i = 0; i < AQ_ALERT_TYPES; i++) {
		if (strcmp(name, type_names[i]) == 0) {
			*t = (enum aq_alert_type)i;
			return true;
		}
	}
	return false;
}

const char *aq_severity_name(enum aq_severity s)
{
	return (int)s >= 0 && (int)s < SEVERITIES ? severity_names[s] : NULL;
}

/* Thresholds are decimal fractions (1.1, 1.4) that doubles only approximate: 1.1 × 100 comes
 * out as 110.00000000000001, so a published 110 would miss a "≥" it meets exactly, and
 * 1.4 × 90 as 125.99999999999999, which 126 would pass as ">" though it only equals it.
 * Within 1e-9 (relative above 1) two values are therefore equal, as aqi.c does for IAQIs. */
static double slack(double b)
{
	return 1e-9 * fmax(1.0, fabs(b));
}

static bool above(double a, double b)
{
	return a > b + slack(b);
}

static bool at_least(double a, double b)
{
	return a >= b - slack(b);
}

static bool below(double a, double b)
{
	return a < b - slack(b);
}

static const char *unit_of(int p)
{
	return p == AQ_CO ? "mg/m³" : "µg/m³";
}

/* A verdict that has judged nothing yet. The severity is filled in even for verdicts that do
 * not fire, so the caller can store it unchanged whichever way the rule goes. */
static void verdict_reset(struct aq_alert_verdict *v, enum aq_alert_type type, bool national)
{
	memset(v, 0, sizeof(*v));
	v->severity = national ? AQ_SEV_CRITICAL : base_severity[type];
}

static void verdict_fire(struct aq_alert_verdict *v, int p, double value, double threshold)
{
	v->fired = true;
	v->value = value;
	v->threshold = threshold;
	snprintf(v->pollutant, sizeof(v->pollutant), "%s", p >= 0 ? aq_pollutant_label((enum aq_pollutant)p) : "");
}

/* A detail too long for the verdict is cut short rather than refused: every number in it is
 * also in value and threshold. */
static void set_detail(struct aq_alert_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_detail(struct aq_alert_verdict *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
}

/* Hour k before the judged one (k = 0: the judged hour), NULL past the start. Every station of
 * a network covers the same hours, so counting from the end lines the stations up even if
 * one array were shorter. */
static const struct aq_alert_hour *hour_back(const struct aq_alert_station *st, size_t k)
{
	return k < st->n_hours ? &st->hours[st->n_hours - 1 - k] : NULL;
}

/* The standards in force on the hour's local day (or the pinned one). */
static const struct aq_aqi_standard *standard_of(const struct aq_alert_thresholds *t, const struct aq_alert_hour *h)
{
	int y, m, d;
	aq_civil_from_days(h->day, &y, &m, &d);
	return aq_standard_in_force((enum aq_standard_pin)t->standard_pin, y, m, d);
}

/* The ratio rules (hotspot, interference, national_divergence) fire on clean air too — a
 * hotspot of PM2.5 27 against 16.5 µg/m³, both 优 — unless an absolute floor holds as well:
 * the value above the breakpoint of the floor IAQI in the hour's standard (24 h PM tables, as
 * the hourly AQI reads PM) and at least floor_excess µg/m³ from what it is compared with. */
static bool above_floor(const struct aq_alert_thresholds *t, const struct aq_alert_hour *h, int p, double value,
			double reference)
{
	double breakpoint = aq_iaqi_concentration(standard_of(t, h), (enum aq_pollutant)p, AQ_24H, t->floor_iaqi);
	return above(value, breakpoint) && at_least(value - reference, t->floor_excess);
}

static double distance(const struct aq_alert_station *a, const struct aq_alert_station *b)
{
	return aq_distance_km(a->lat, a->lon, b->lat, b->lon);
}

/* The ring of a national point: the micro stations within the radius, edge included. */
static bool in_ring(const struct aq_alert_thresholds *t, const struct aq_alert_station *centre,
		    const struct aq_alert_station *o)
{
	return !o->national && o->n_hours > 0 && distance(centre, o) <= t->radius_km;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of v[0..m), m ≥ 1; sorts v. An even count takes the mean of the middle two. */
static double median(double *v, size_t m)
{
	qsort(v, m, sizeof(*v), cmp_double);
	return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}

/* --- rules on the station's own hours --- */

/* The worse of the two PM IAQIs is reported, so the alert names the pollutant that matters;
 * equal IAQIs name PM2.5. */
static void judge_exceedance(const struct aq_alert_thresholds *t, const struct aq_alert_station *st,
			     struct aq_alert_verdict *v)
{
	const struct aq_alert_hour *h = hour_back(st, 0);
	const struct aq_aqi_standard *std = standard_of(t, h);
	int worst = -1, wp = -1;

	for (int p = 0; p < PM_COUNT; p++) {
		if (!h->pm_valid[p])
			continue;
		v->applicable = true;
		int iaqi = aq_iaqi(std, (enum aq_pollutant)p, AQ_24H, h->pm[p], NULL);
		if (iaqi > worst) {
			worst = iaqi;
			wp = p;
		}
	}
	if (wp < 0 || worst <= t->alert_iaqi)
		return;
	verdict_fire(v, wp, worst, t->alert_iaqi);
	set_detail(v, "Hourly %s of %g µg/m³ gives an IAQI of %d, above %d.", v->pollutant, h->pm[wp], worst,
		   t->alert_iaqi);
}

/* The previous valid hour may lie any distance back: a station that comes back after an
 * outage with a jump is still a spike. */
static void judge_spike(const struct aq_alert_thresholds *t, const struct aq_alert_station *st,
			struct aq_alert_verdict *v)
{
	const struct aq_alert_hour *h = hour_back(st, 0);

	for (int p = 0; p < PM_COUNT && !v->fired; p++) {
		const struct aq_alert_hour *prev = NULL;
		if (!h->pm_valid[p])
			continue;
		for (size_t k = 1; k < st->n_hours && prev == NULL; k++) {
			if (hour_back(st, k)->pm_valid[p])
				prev = hour_back(st, k);
		}
		if (prev == NULL)
			continue;
		v->applicable = true;
		double cur = h->pm[p], before = prev->pm[p];
		double by_ratio = t->spike_ratio * before, by_step = before + t->spike_min;
		if (!at_least(cur, by_ratio) || !at_least(cur, by_step))
			continue;
		verdict_fire(v, p, cur, fmax(by_ratio, by_step));
		set_detail(v,
			   "%s jumped to %g µg/m³ from %g µg/m³ in the previous valid hour, "
			   "at least %g × and +%g µg/m³.",
			   v->pollutant, cur, before, t->spike_ratio, t->spike_min);
	}
}

/* The run is made of whole hours, whose only times are the first and last observation over
 * all pollutants: the span can come out a little long when another pollutant was read
 * earlier in the run's first hour (or later in the judged one). */
static void judge_flatline(const struct aq_alert_thresholds *t, const struct aq_alert_station *st,
			   struct aq_alert_verdict *v)
{
	const struct aq_alert_hour *h = hour_back(st, 0);

	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		if (h->count[p] <= 0)
			continue;
		v->applicable = true;
		if (v->fired)
			continue;
		double value = h->min[p];
		int64_t first_us = h->first_us;
		long readings = 0;
		for (size_t k = 0; k < st->n_hours; k++) {
			const struct aq_alert_hour *o = hour_back(st, k);
			if (o->count[p] <= 0 || o->min[p] != value || o->max[p] != value)
				break;
			readings += o->count[p];
			first_us = o->first_us;
		}
		/* An empty run (the judged hour not flat) never fires, whatever the thresholds. */
		int64_t span_us = h->last_us - first_us;
		if (readings == 0 || readings < t->flatline_readings ||
		    span_us < (int64_t)t->flatline_hours * US_PER_HOUR)
			continue;
		verdict_fire(v, p, value, t->flatline_hours);
		set_detail(v, "%s has read exactly %g %s in %ld readings over %.1f h.", v->pollutant, value, unit_of(p),
			   readings, (double)span_us / (double)US_PER_HOUR);
	}
}

static void judge_inversion(const struct aq_alert_thresholds *t, const struct aq_alert_station *st,
			    struct aq_alert_verdict *v)
{
	const struct aq_alert_hour *h = hour_back(st, 0);

	if (!h->pm_valid[AQ_PM25] || !h->pm_valid[AQ_PM10])
		return;
	v->applicable = true;
	double pm25 = h->pm[AQ_PM25], pm10 = h->pm[AQ_PM10], limit = t->inversion_ratio * pm10;
	if (!above(pm25, limit) || !above(pm25 - pm10, t->inversion_min))
		return;
	verdict_fire(v, AQ_PM25, pm25, limit);
	set_detail(v,
		   "PM2.5 of %g µg/m³ is above %g × PM10 (%g µg/m³) and more than %g µg/m³ "
		   "above it.",
		   pm25, t->inversion_ratio, pm10, t->inversion_min);
}

/* --- rules between a station and its neighbours --- */

enum outcome {
	HOLDS,
	FAILS,
	UNKNOWN
};

/* Hotspot against one national point: every one of the last H hours must hold for PM2.5 or
 * PM10. One hour shown to fail decides it even if another hour is missing (the alert can
 * resolve); a missing hour with no failure leaves it unknown (an open alert stays open). */
static enum outcome hotspot_against(const struct aq_alert_thresholds *t, const struct aq_alert_station *st,
				    const struct aq_alert_station *nat, size_t hours)
{
	enum outcome r = HOLDS;

	for (size_t k = 0; k < hours; k++) {
		const struct aq_alert_hour *a = hour_back(st, k), *b = hour_back(nat, k);
		bool comparable = false, holds = false;
		for (int p = 0; p < PM_COUNT && b != NULL; p++) {
			if (!a->pm_valid[p] || !b->pm_valid[p])
				continue;
			comparable = true;
			holds = holds || (above(a->pm[p], t->hotspot_ratio * b->pm[p]) &&
					  above_floor(t, a, p, a->pm[p], b->pm[p]));
		}
		if (comparable && !holds)
			return FAILS;
		if (!comparable)
			r = UNKNOWN;
	}
	return r;
}

/* A micro station near several national points: it fires if it holds against any of them,
 * and reports the nearest such point. */
static void judge_hotspot(const struct aq_alert_thresholds *t, const struct aq_alert_station *network, size_t n,
			  size_t s, struct aq_alert_verdict *v)
{
	const struct aq_alert_station *st = &network[s], *hit = NULL;
	size_t hours = t->hotspot_hours < 1 ? 1 : (size_t)t->hotspot_hours;
	bool unknown = false, fails = false;
	double hit_km = 0;

	if (st->national || st->n_hours < hours)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct aq_alert_station *nat = &network[i];
		if (i == s || !nat->national)
			continue;
		double km = distance(st, nat);
		if (km > t->radius_km)
			continue;
		switch (hotspot_against(t, st, nat, hours)) {
		case HOLDS:
			if (hit == NULL || km < hit_km) {
				hit = nat;
				hit_km = km;
			}
			break;
		case FAILS: fails = true; break;
		case UNKNOWN: unknown = true; break;
		}
	}
	if (hit == NULL) {
		v->applicable = fails && !unknown;
		return;
	}
	v->applicable = true;
	/* Report the pollutant that holds in the judged hour (PM2.5 when both do). */
	const struct aq_alert_hour *a = hour_back(st, 0), *b = hour_back(hit, 0);
	int p = AQ_PM25;
	if (!a->pm_valid[p] || !b->pm_valid[p] || !above(a->pm[p], t->hotspot_ratio * b->pm[p]) ||
	    !above_floor(t, a, p, a->pm[p], b->pm[p]))
		p = AQ_PM10;
	verdict_fire(v, p, a->pm[p], t->hotspot_ratio * b->pm[p]);
	set_detail(v,
		   "%s of %g µg/m³ is above %g × the %g µg/m³ of the national point %.1f km away, "
		   "%zu hours in a row.",
		   v->pollutant, a->pm[p], t->hotspot_ratio, b->pm[p], hit_km, hours);
}

/* Relative hourly changes |cur − prev| / prev of the ring stations with pollutant p valid in
 * both hours into ring[]; a station at 0 has no relative change and is left out. */
static size_t ring_changes(const struct aq_alert_thresholds *t, const struct aq_alert_station *network, size_t n,
			   const struct aq_alert_station *centre, int p, double *ring)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct aq_alert_station *o = &network[i];
		if (!in_ring(t, centre, o) || o->n_hours < 2)
			continue;
		const struct aq_alert_hour *cur = hour_back(o, 0), *prev = hour_back(o, 1);
		if (!cur->pm_valid[p] || !prev->pm_valid[p] || prev->pm[p] <= 0)
			continue;
		ring[m++] = fabs(cur->pm[p] - prev->pm[p]) / prev->pm[p];
	}
	return m;
}

/* Judged-hour values of pollutant p at the ring stations into ring[]. */
static size_t ring_values(const struct aq_alert_thresholds *t, const struct aq_alert_station *network, size_t n,
			  const struct aq_alert_station *centre, int p, double *ring)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const struct aq_alert_station *o = &network[i];
		if (in_ring(t, centre, o) && hour_back(o, 0)->pm_valid[p])
			ring[m++] = hour_back(o, 0)->pm[p];
	}
	return m;
}

/* A national point falls sharply while its ring does not: something was done at the inlet.
 * The ring's median change decides, so one ring station with its own trouble does not. */
static void judge_interference(const struct aq_alert_thresholds *t, const struct aq_alert_station *network, size_t n,
			       size_t s, double *ring, struct aq_alert_verdict *v)
{
	const struct aq_alert_station *st = &network[s];

	if (!st->national || st->n_hours < 2)
		return;
	const struct aq_alert_hour *h = hour_back(st, 0), *prev = hour_back(st, 1);
	for (int p = 0; p < PM_COUNT && !v->fired; p++) {
		if (!h->pm_valid[p] || !prev->pm_valid[p])
			continue;
		size_t m = ring_changes(t, network, n, st, p, ring);
		if (m == 0)
			continue;
		v->applicable = true;
		double cur = h->pm[p], before = prev->pm[p], drop = before - cur;
		if (!above(drop, t->interference_drop * before) || !at_least(drop, t->interference_min) ||
		    !above_floor(t, prev, p, before, cur))
			continue;
		double change = median(ring, m);
		if (!below(change, t->interference_stable))
			continue;
		verdict_fire(v, p, cur, before);
		set_detail(v,
			   "%s fell from %g to %g µg/m³ in one hour while the %zu micro stations "
			   "within %g km changed by a median %.1f %%.",
			   v->pollutant, before, cur, m, t->radius_km, change * 100);
	}
}

/* Either test is enough; the comparison with the ring is reported first because it is the
 * stronger sign that the national point, not the air, is off. */
static void judge_divergence(const struct aq_alert_thresholds *t, const struct aq_alert_station *network, size_t n,
			     size_t s, double *ring, struct aq_alert_verdict *v)
{
	const struct aq_alert_station *st = &network[s];

	if (!st->national)
		return;
	const struct aq_alert_hour *h = hour_back(st, 0), *prev = hour_back(st, 1);
	for (int p = 0; p < PM_COUNT && !v->fired; p++) {
		if (!h->pm_valid[p])
			continue;
		size_t m = ring_values(t, network, n, st, p, ring);
		bool has_prev = prev != NULL && prev->pm_valid[p] && prev->pm[p] > 0;
		if (m == 0 && !has_prev)
			continue;
		v->applicable = true;
		double cur = h->pm[p];
		if (m > 0) {
			double mid = median(ring, m), limit = t->divergence_ratio * mid;
			if (above(cur, limit) && above_floor(t, h, p, cur, mid)) {
				verdict_fire(v, p, cur, limit);
				set_detail(v,
					   "%s of %g µg/m³ is above %g × the median %g µg/m³ of "
					   "the %zu micro stations within %g km.",
					   v->pollutant, cur, t->divergence_ratio, mid, m, t->radius_km);
				continue;
			}
		}
		if (has_prev) {
			double limit = (1 + t->divergence_rise) * prev->pm[p];
			if (above(cur, limit) && above_floor(t, h, p, cur, prev->pm[p])) {
				verdict_fire(v, p, cur, limit);
				set_detail(v, "%s rose from %g to %g µg/m³ in one hour, more than %g %%.", v->pollutant,
					   prev->pm[p], cur, t->divergence_rise * 100);
			}
		}
	}
}

void aq_alerts_judge_hour(const struct aq_alert_thresholds *t, const struct aq_alert_station *network, size_t n,
			  size_t s, struct aq_alert_verdict out[AQ_ALERT_TYPES])
{
	bool national = network != NULL && s < n && network[s].national;

	for (int r = 0; r < AQ_ALERT_TYPES; r++)
		verdict_reset(&out[r], (enum aq_alert_type)r, national);
	if (network == NULL || s >= n || network[s].hours == NULL || network[s].n_hours == 0)
		return;

	const struct aq_alert_station *st = &network[s];
	judge_exceedance(t, st, &out[AQ_ALERT_EXCEEDANCE]);
	judge_spike(t, st, &out[AQ_ALERT_SPIKE]);
	judge_flatline(t, st, &out[AQ_ALERT_FLATLINE]);
	judge_inversion(t, st, &out[AQ_ALERT_INVERSION]);
	if (!national) {
		judge_hotspot(t, network, n, s, &out[AQ_ALERT_HOTSPOT]);
		return;
	}
	/* The medians need room for the ring; without it the two ring rules cannot be judged,
	 * which leaves their alerts as they are rather than resolving them. */
	double *ring = calloc(n, sizeof(*ring));
	if (ring == NULL)
		return;
	judge_interference(t, network, n, s, ring, &out[AQ_ALERT_INTERFERENCE]);
	judge_divergence(t, network, n, s, ring, &out[AQ_ALERT_NATIONAL_DIVERGENCE]);
	free(ring);
}

void aq_alerts_judge_offline(const struct aq_alert_thresholds *t, bool national, int interval_s, int64_t newest_us,
			     int64_t now_us, struct aq_alert_verdict *out)
{
	verdict_reset(out, AQ_ALERT_OFFLINE, national);
	if (newest_us <= 0)
		return;
	out->applicable = true;
	int64_t limit_s = t->offline_after;
	if (2 * (int64_t)interval_s > limit_s)
		limit_s = 2 * (int64_t)interval_s;
	int64_t silent_us = now_us - newest_us;
	if (silent_us <= limit_s * AQ_US_PER_SEC)
		return;
	verdict_fire(out, -1, (double)silent_us / (double)AQ_US_PER_SEC, (double)limit_s);
	set_detail(out, "No reading for %.0f s (%.1f h), longer than the %lld s allowed.", out->value,
		   out->value / 3600, (long long)limit_s);
}

void aq_alerts_judge_auth(const struct aq_alert_thresholds *t, bool national, int failures, bool locked,
			  struct aq_alert_verdict *out)
{
	verdict_reset(out, AQ_ALERT_AUTH_FAILURES, national);
	out->applicable = true;
	if (failures < t->auth_budget && !locked)
		return;
	verdict_fire(out, -1, (double)failures, (double)t->auth_budget);
	set_detail(out, "%d wrong HJ 212 passwords for its MN (budget %d)%s.", failures, t->auth_budget,
		   locked ? "; new connections are locked out until an operator lifts it or the lockout ends" : "");
}

void aq_alerts_judge_drift(const struct aq_alert_thresholds *t, bool measured, double change, double mean,
			   const char *pollutant, struct aq_alert_verdict *out)
{
	verdict_reset(out, AQ_ALERT_CALIBRATION_DRIFT, false);
	if (!measured || t->drift_threshold <= 0)
		return;
	out->applicable = true;
	if (!above(fabs(change), t->drift_threshold))
		return;
	out->fired = true;
	out->value = change;
	out->threshold = t->drift_threshold;
	snprintf(out->pollutant, sizeof(out->pollutant), "%s", pollutant);
	set_detail(out, "%s residual against the reference moved %+.1f over %d days (mean %+.1f); limit %.1f.",
		   pollutant, change, t->drift_days, mean, t->drift_threshold);
}
