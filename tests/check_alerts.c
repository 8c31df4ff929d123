/* check_alerts.c — Check suite for alerts.c: every rule of SPEC §5 just past its threshold
 * and just short of it, when it is not applicable, the national-point severity, offline, and
 * the type and severity names. Stations sit around the Dongsi national point in Beijing. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aq_alerts.h"
#include "aq_station.h"
#include "aq_time.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NV (-1.0)	  /* a PM hour that is not valid (and reads 0) */
#define INV(v) (-(v)-1.0) /* a PM hour that reads v but is not valid */
#define H_US (INT64_C(3600) * AQ_US_PER_SEC)
#define MAXH 5

static const struct aq_alert_thresholds defaults = {
	.offline_after = 3600,
	.alert_iaqi = 150,
	.spike_ratio = 2,
	.spike_min = 100,
	.flatline_hours = 3,
	.flatline_readings = 3,
	.inversion_ratio = 1.1,
	.inversion_min = 5,
	.hotspot_ratio = 1.5,
	.hotspot_hours = 3,
	.interference_drop = 0.5,
	.interference_min = 50,
	.interference_stable = 0.15,
	.divergence_ratio = 1.5,
	.divergence_rise = 0.5,
	.radius_km = 3,
};

/* 2017-12-07 00:00 Beijing time: the first hour of every case. */
static int64_t t0(void)
{
	return aq_days_from_civil(2017, 12, 6) * AQ_US_PER_DAY + 16 * H_US;
}

/* Where a station stands. Dongsi (东四) is the national point; 0.3 km north, 2 km east, 1 km
 * west and 5 km north of it are micro stations; 2 km south is another national point. */
enum place {
	NAT,
	NEAR,
	EAST,
	WEST,
	FAR,
	NAT_SOUTH,
	PLACES
};

static const struct {
	bool national;
	double lat, lon;
} places[PLACES] = {
	[NAT] = {true, 39.9289, 116.4174},    [NEAR] = {false, 39.931598, 116.4174},
	[EAST] = {false, 39.9289, 116.44085}, [WEST] = {false, 39.9289, 116.405674},
	[FAR] = {false, 39.973866, 116.4174}, [NAT_SOUTH] = {true, 39.910914, 116.4174},
};

static const struct {
	enum place a, b;
	double km;
} distances[] = {
	{NAT, NEAR, 0.3}, {NAT, EAST, 2.0},	 {NAT, WEST, 1.0},
	{NAT, FAR, 5.0},  {NAT, NAT_SOUTH, 2.0}, {NEAR, NAT_SOUTH, 2.3},
};

START_TEST(test_places)
{
	double km = aq_distance_km(places[distances[_i].a].lat, places[distances[_i].a].lon,
				   places[distances[_i].b].lat, places[distances[_i].b].lon);
	ck_assert_msg(fabs(km - distances[_i].km) < 0.01, "distance %d-%d: %g km", distances[_i].a, distances[_i].b,
		      km);
}
END_TEST

/* Hour k with one reading of each valid PM at the top of the hour. NV makes a PM hour invalid,
 * INV(v) invalid but still reading v. */
static struct aq_alert_hour pm_hour(size_t k, double pm25, double pm10)
{
	struct aq_alert_hour h;
	double v[2] = {pm25, pm10};

	memset(&h, 0, sizeof(h));
	h.first_us = h.last_us = t0() + (int64_t)k * H_US;
	for (int p = 0; p < 2; p++) {
		if (v[p] < 0) {
			h.pm[p] = -v[p] - 1.0;
			continue;
		}
		h.has_data = true;
		h.pm_valid[p] = true;
		h.pm[p] = v[p];
		h.count[p] = 1;
		h.min[p] = h.max[p] = v[p];
	}
	return h;
}

/* The checks every verdict goes through: what applies, what fires, and for a fired verdict
 * every field it must fill. */
static void check_verdict(const char *name, const struct aq_alert_verdict *v, bool applicable, bool fired,
			  const char *pollutant, double value, double threshold, enum aq_severity severity)
{
	ck_assert_msg(v->applicable == applicable, "%s: applicable %d", name, v->applicable);
	ck_assert_msg(v->fired == fired, "%s: fired %d (%s)", name, v->fired, v->detail);
	if (!fired) {
		ck_assert_msg(v->detail[0] == '\0', "%s: detail on a quiet verdict", name);
		return;
	}
	ck_assert_msg(strcmp(v->pollutant, pollutant) == 0, "%s: pollutant \"%s\"", name, v->pollutant);
	ck_assert_msg(fabs(v->value - value) < 1e-9, "%s: value %.17g, want %g", name, v->value, value);
	ck_assert_msg(fabs(v->threshold - threshold) < 1e-9, "%s: threshold %.17g, want %g", name, v->threshold,
		      threshold);
	ck_assert_msg(v->severity == severity, "%s: severity %s", name, aq_severity_name(v->severity));
	size_t len = strlen(v->detail);
	ck_assert_msg(len > 10 && len < sizeof(v->detail) - 1 && v->detail[len - 1] == '.', "%s: detail \"%s\"", name,
		      v->detail);
}

/* --- rules on one station's PM hours: exceedance, spike, inversion --- */

struct pm_case {
	const char *name;
	enum aq_alert_type type;
	bool national;
	size_t n_hours;
	double pm25[MAXH], pm10[MAXH]; /* oldest first; NV = not valid */
	bool applicable, fired;
	const char *pollutant;
	double value, threshold;
	double ratio, minimum; /* the rule's ratio and minimum when not 0 (spike, inversion) */
};

#define Q false, NULL, 0, 0, 0, 0 /* quiet, default thresholds */

static const struct pm_case pm_cases[] = {
	/* exceedance: IAQI of the judged hour on the 24 h table, > 150 */
	{"exceedance PM2.5 115 = IAQI 150", AQ_ALERT_EXCEEDANCE, false, 1, {115}, {100}, true, Q},
	{"exceedance PM2.5 116 = IAQI 152",
	 AQ_ALERT_EXCEEDANCE,
	 false,
	 1,
	 {116},
	 {100},
	 true,
	 true,
	 "PM2.5",
	 152,
	 150,
	 0,
	 0},
	{"exceedance PM10 250 = IAQI 150", AQ_ALERT_EXCEEDANCE, false, 1, {50}, {250}, true, Q},
	{"exceedance PM10 251 = IAQI 151",
	 AQ_ALERT_EXCEEDANCE,
	 false,
	 1,
	 {50},
	 {251},
	 true,
	 true,
	 "PM10",
	 151,
	 150,
	 0,
	 0},
	{"exceedance only PM10 valid", AQ_ALERT_EXCEEDANCE, false, 1, {NV}, {251}, true, true, "PM10", 151, 150, 0, 0},
	{"exceedance the worse PM is named",
	 AQ_ALERT_EXCEEDANCE,
	 false,
	 1,
	 {116},
	 {420},
	 true,
	 true,
	 "PM10",
	 300,
	 150,
	 0,
	 0},
	{"exceedance on a national point",
	 AQ_ALERT_EXCEEDANCE,
	 true,
	 1,
	 {116},
	 {100},
	 true,
	 true,
	 "PM2.5",
	 152,
	 150,
	 0,
	 0},
	{"exceedance an earlier hour does not count", AQ_ALERT_EXCEEDANCE, false, 2, {300, 60}, {300, 80}, true, Q},
	{"exceedance no valid PM", AQ_ALERT_EXCEEDANCE, false, 2, {300, NV}, {300, NV}, false, Q},

	/* spike: ≥ 2 × and ≥ +100 against the previous valid hour */
	{"spike exactly 2x and +100",
	 AQ_ALERT_SPIKE,
	 false,
	 2,
	 {100, 200},
	 {NV, NV},
	 true,
	 true,
	 "PM2.5",
	 200,
	 200,
	 0,
	 0},
	{"spike 2x but +99", AQ_ALERT_SPIKE, false, 2, {99, 198}, {NV, NV}, true, Q},
	{"spike 1.99x", AQ_ALERT_SPIKE, false, 2, {200, 398}, {NV, NV}, true, Q},
	{"spike +100 binds: 50 to 150",
	 AQ_ALERT_SPIKE,
	 false,
	 2,
	 {NV, NV},
	 {50, 150},
	 true,
	 true,
	 "PM10",
	 150,
	 150,
	 0,
	 0},
	{"spike +100 binds: 50 to 149", AQ_ALERT_SPIKE, false, 2, {NV, NV}, {50, 149}, true, Q},
	{"spike ratio binds: 120 to 300",
	 AQ_ALERT_SPIKE,
	 false,
	 2,
	 {40, 40},
	 {120, 300},
	 true,
	 true,
	 "PM10",
	 300,
	 240,
	 0,
	 0},
	{"spike skips an invalid hour",
	 AQ_ALERT_SPIKE,
	 false,
	 3,
	 {100, INV(500), 200},
	 {NV, NV, NV},
	 true,
	 true,
	 "PM2.5",
	 200,
	 200,
	 0,
	 0},
	{"spike skips two invalid hours",
	 AQ_ALERT_SPIKE,
	 false,
	 4,
	 {100, NV, NV, 200},
	 {NV, NV, NV, NV},
	 true,
	 true,
	 "PM2.5",
	 200,
	 200,
	 0,
	 0},
	{"spike an invalid hour is not the previous one",
	 AQ_ALERT_SPIKE,
	 false,
	 3,
	 {150, INV(10), 200},
	 {NV, NV, NV},
	 true,
	 Q},
	{"spike a fall is no spike", AQ_ALERT_SPIKE, false, 2, {400, 100}, {400, 100}, true, Q},
	{"spike no previous valid hour", AQ_ALERT_SPIKE, false, 3, {NV, NV, 500}, {NV, NV, 500}, false, Q},
	{"spike a single hour", AQ_ALERT_SPIKE, false, 1, {500}, {500}, false, Q},
	{"spike judged hour invalid", AQ_ALERT_SPIKE, false, 2, {100, NV}, {100, NV}, false, Q},
	{"spike on a national point",
	 AQ_ALERT_SPIKE,
	 true,
	 2,
	 {100, 200},
	 {NV, NV},
	 true,
	 true,
	 "PM2.5",
	 200,
	 200,
	 0,
	 0},
	/* 1.1 × 100 is 110.00000000000001 in binary: "≥" must still hold for 110 */
	{"spike 1.1x exactly, +10",
	 AQ_ALERT_SPIKE,
	 false,
	 2,
	 {100, 110},
	 {NV, NV},
	 true,
	 true,
	 "PM2.5",
	 110,
	 110,
	 1.1,
	 10},

	/* inversion: PM2.5 > 1.1 × PM10 and PM2.5 − PM10 > 5 */
	{"inversion exactly 1.1x", AQ_ALERT_INVERSION, false, 1, {110}, {100}, true, Q},
	{"inversion above 1.1x", AQ_ALERT_INVERSION, false, 1, {111}, {100}, true, true, "PM2.5", 111, 110, 0, 0},
	{"inversion exactly +5", AQ_ALERT_INVERSION, false, 1, {45}, {40}, true, Q},
	{"inversion above +5", AQ_ALERT_INVERSION, false, 1, {46}, {40}, true, true, "PM2.5", 46, 44, 0, 0},
	{"inversion 1.1x of 50 = 55", AQ_ALERT_INVERSION, false, 1, {55}, {50}, true, Q},
	{"inversion 1.1x of 50 < 56", AQ_ALERT_INVERSION, false, 1, {56}, {50}, true, true, "PM2.5", 56, 55, 0, 0},
	/* 1.4 × 90 is 125.99999999999999 in binary: 126 is not above it */
	{"inversion 1.4x of 90 = 126", AQ_ALERT_INVERSION, false, 1, {126}, {90}, true, false, NULL, 0, 0, 1.4, 0},
	{"inversion 1.4x of 90 < 127",
	 AQ_ALERT_INVERSION,
	 false,
	 1,
	 {127},
	 {90},
	 true,
	 true,
	 "PM2.5",
	 127,
	 126,
	 1.4,
	 0},
	{"inversion PM10 invalid", AQ_ALERT_INVERSION, false, 1, {200}, {NV}, false, Q},
	{"inversion on a national point",
	 AQ_ALERT_INVERSION,
	 true,
	 1,
	 {111},
	 {100},
	 true,
	 true,
	 "PM2.5",
	 111,
	 110,
	 0,
	 0},
};

static void judge_single(bool national, const struct aq_alert_hour *hours, size_t n_hours,
			 const struct aq_alert_thresholds *t, struct aq_alert_verdict out[AQ_ALERT_TYPES])
{
	struct aq_alert_station st = {national, places[NAT].lat, places[NAT].lon, hours, n_hours};
	aq_alerts_judge_hour(t, &st, 1, 0, out);
}

START_TEST(test_pm_rules)
{
	const struct pm_case *c = &pm_cases[_i];
	struct aq_alert_hour hours[MAXH];
	struct aq_alert_verdict out[AQ_ALERT_TYPES];

	struct aq_alert_thresholds t = defaults;

	if (c->type == AQ_ALERT_SPIKE && c->ratio > 0) {
		t.spike_ratio = c->ratio;
		t.spike_min = c->minimum;
	}
	if (c->type == AQ_ALERT_INVERSION && c->ratio > 0)
		t.inversion_ratio = c->ratio;
	for (size_t k = 0; k < c->n_hours; k++)
		hours[k] = pm_hour(k, c->pm25[k], c->pm10[k]);
	judge_single(c->national, hours, c->n_hours, &t, out);
	enum aq_severity sev = c->national		       ? AQ_SEV_CRITICAL
			       : c->type == AQ_ALERT_INVERSION ? AQ_SEV_INFO
							       : AQ_SEV_WARNING;
	check_verdict(c->name, &out[c->type], c->applicable, c->fired, c->pollutant, c->value, c->threshold, sev);
}
END_TEST

/* --- flatline --- */

struct fl_hour {
	int count; /* readings of the pollutant; 0 = none */
	double min, max;
	int first_s, last_s; /* seconds into the hour of the first and last reading */
};

struct fl_case {
	const char *name;
	int pollutant;
	bool national;
	int readings; /* flatline_readings; 0 = the default, -1 = 0 readings over 0 h */
	bool bare;    /* no PM readings besides the pollutant's */
	size_t n_hours;
	struct fl_hour h[MAXH];
	bool applicable, fired;
	const char *label;
	double value;
};

#define R41(s)                  \
	{                       \
		1, 41, 41, s, s \
	} /* one NO2 reading of 41 at s seconds into the hour */

static const struct fl_case fl_cases[] = {
	{"flatline 4 hourly readings over exactly 3 h",
	 AQ_NO2,
	 false,
	 0,
	 false,
	 4,
	 {R41(0), R41(0), R41(0), R41(0)},
	 true,
	 true,
	 "NO2",
	 41},
	{"flatline 2 h 59 min", AQ_NO2, false, 0, false, 4, {R41(60), R41(0), R41(0), R41(0)}, true, false, "", 0},
	{"flatline 3 h 0 min 1 s", AQ_NO2, false, 0, false, 4, {R41(0), R41(0), R41(0), R41(1)}, true, true, "NO2", 41},
	{"flatline 3 readings in 2 hours are under 3 h",
	 AQ_NO2,
	 false,
	 0,
	 false,
	 2,
	 {{2, 41, 41, 0, 3599}, {1, 41, 41, 3599, 3599}},
	 true,
	 false,
	 "",
	 0},
	{"flatline 20-min station, 10 readings over 3 h",
	 AQ_NO2,
	 false,
	 0,
	 false,
	 4,
	 {{3, 41, 41, 0, 2400}, {3, 41, 41, 0, 2400}, {3, 41, 41, 0, 2400}, {1, 41, 41, 0, 0}},
	 true,
	 true,
	 "NO2",
	 41},
	{"flatline readings bound: 4 of 5",
	 AQ_NO2,
	 false,
	 5,
	 false,
	 4,
	 {R41(0), R41(0), R41(0), R41(0)},
	 true,
	 false,
	 "",
	 0},
	{"flatline readings bound: 4 of 4",
	 AQ_NO2,
	 false,
	 4,
	 false,
	 4,
	 {R41(0), R41(0), R41(0), R41(0)},
	 true,
	 true,
	 "NO2",
	 41},
	{"flatline a gap breaks the run",
	 AQ_NO2,
	 false,
	 0,
	 false,
	 5,
	 {R41(0), R41(0), {0, 0, 0, 0, 0}, R41(0), R41(0)},
	 true,
	 false,
	 "",
	 0},
	{"flatline run after a gap",
	 AQ_NO2,
	 false,
	 0,
	 false,
	 5,
	 {{0, 0, 0, 0, 0}, R41(0), R41(0), R41(0), R41(0)},
	 true,
	 true,
	 "NO2",
	 41},
	{"flatline a gap with stale min/max still breaks the run",
	 AQ_NO2,
	 false,
	 0,
	 false,
	 5,
	 {R41(0), R41(0), {0, 41, 41, 0, 0}, R41(0), R41(0)},
	 true,
	 false,
	 "",
	 0},
	{"flatline a different value breaks the run",
	 AQ_NO2,
	 false,
	 0,
	 false,
	 5,
	 {R41(0), {1, 40, 40, 0, 0}, R41(0), R41(0), R41(0)},
	 true,
	 false,
	 "",
	 0},
	{"flatline min != max in the judged hour",
	 AQ_NO2,
	 false,
	 0,
	 false,
	 4,
	 {R41(0), R41(0), R41(0), {3, 41, 42, 0, 2400}},
	 true,
	 false,
	 "",
	 0},
	{"flatline zero thresholds still need a flat hour",
	 AQ_NO2,
	 false,
	 -1,
	 true,
	 1,
	 {{3, 41, 42, 0, 2400}},
	 true,
	 false,
	 "",
	 0},
	{"flatline zero thresholds, one flat reading", AQ_NO2, false, -1, true, 1, {R41(0)}, true, true, "NO2", 41},
	{"flatline min != max earlier",
	 AQ_NO2,
	 false,
	 0,
	 false,
	 4,
	 {{3, 40, 41, 0, 2400}, R41(0), R41(0), R41(0)},
	 true,
	 false,
	 "",
	 0},
	{"flatline no NO2 reading in the judged hour",
	 AQ_NO2,
	 false,
	 0,
	 false,
	 5,
	 {R41(0), R41(0), R41(0), R41(0), {0, 0, 0, 0, 0}},
	 true,
	 false,
	 "",
	 0},
	{"flatline no reading at all in the judged hour",
	 AQ_NO2,
	 false,
	 0,
	 true,
	 5,
	 {R41(0), R41(0), R41(0), R41(0), {0, 0, 0, 0, 0}},
	 false,
	 false,
	 "",
	 0},
	{"flatline PM10 stuck, judged alone",
	 AQ_PM10,
	 false,
	 0,
	 true,
	 4,
	 {{2, 41, 41, 0, 1800}, {2, 41, 41, 0, 1800}, {2, 41, 41, 0, 1800}, {1, 41, 41, 0, 0}},
	 true,
	 true,
	 "PM10",
	 41},
	{"flatline CO in mg/m3",
	 AQ_CO,
	 false,
	 0,
	 false,
	 4,
	 {{1, 0.8, 0.8, 0, 0}, {1, 0.8, 0.8, 0, 0}, {1, 0.8, 0.8, 0, 0}, {1, 0.8, 0.8, 0, 0}},
	 true,
	 true,
	 "CO",
	 0.8},
	{"flatline on a national point",
	 AQ_O3,
	 true,
	 0,
	 false,
	 4,
	 {R41(0), R41(0), R41(0), R41(0)},
	 true,
	 true,
	 "O3",
	 41},
};

START_TEST(test_flatline)
{
	const struct fl_case *c = &fl_cases[_i];
	struct aq_alert_hour hours[MAXH];
	struct aq_alert_verdict out[AQ_ALERT_TYPES];
	struct aq_alert_thresholds t = defaults;

	if (c->readings > 0)
		t.flatline_readings = c->readings;
	if (c->readings < 0) {
		t.flatline_readings = 0;
		t.flatline_hours = 0;
	}
	for (size_t k = 0; k < c->n_hours; k++) {
		const struct fl_hour *f = &c->h[k];
		/* PM readings that vary every hour, as a working sensor's do, share the hours. */
		hours[k] = c->bare ? pm_hour(k, NV, NV) : pm_hour(k, 30.0 + (double)k, 60.0 + (double)k);
		hours[k].count[c->pollutant] = f->count;
		hours[k].min[c->pollutant] = f->min;
		hours[k].max[c->pollutant] = f->max;
		hours[k].first_us = t0() + (int64_t)k * H_US + f->first_s * AQ_US_PER_SEC;
		hours[k].last_us = t0() + (int64_t)k * H_US + f->last_s * AQ_US_PER_SEC;
	}
	judge_single(c->national, hours, c->n_hours, &t, out);
	check_verdict(c->name, &out[AQ_ALERT_FLATLINE], c->applicable, c->fired, c->label, c->value, t.flatline_hours,
		      c->national ? AQ_SEV_CRITICAL : AQ_SEV_WARNING);
}
END_TEST

/* --- rules between stations: hotspot, interference, national_divergence --- */

struct net_station {
	enum place where;
	double pm25[MAXH], pm10[MAXH];
};

struct net_case {
	const char *name;
	enum aq_alert_type type;
	size_t judged, n_stations, n_hours;
	struct net_station st[5];
	bool applicable, fired;
	const char *pollutant;
	double value, threshold;
};

#define NVS                        \
	{                          \
		NV, NV, NV, NV, NV \
	}
#define DQ false, NULL, 0, 0

static const struct net_case net_cases[] = {
	/* hotspot: a micro station near a national point above 1.5 × it, 3 hours in a row */
	{"hotspot 3 hours in a row",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 3,
	 {{NAT, {100, 100, 100}, NVS}, {NEAR, {151, 151, 151}, NVS}},
	 true,
	 true,
	 "PM2.5",
	 151,
	 150},
	{"hotspot exactly 1.5x",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 3,
	 {{NAT, {100, 100, 100}, NVS}, {NEAR, {150, 150, 150}, NVS}},
	 true,
	 DQ},
	{"hotspot PM10 one hour, PM2.5 the others",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 3,
	 {{NAT, {50, 50, 50}, {100, 100, 100}}, {NEAR, {60, 80, 80}, {200, 120, 120}}},
	 true,
	 true,
	 "PM2.5",
	 80,
	 75},
	{"hotspot PM10 in the judged hour",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 3,
	 {{NAT, {50, 50, 50}, {100, 100, 100}}, {NEAR, {80, 80, 60}, {120, 120, 200}}},
	 true,
	 true,
	 "PM10",
	 200,
	 150},
	{"hotspot 2 of 3 (the oldest fails)",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 3,
	 {{NAT, {100, 100, 100}, NVS}, {NEAR, {140, 200, 200}, NVS}},
	 true,
	 DQ},
	{"hotspot 2 of 3 (the judged hour fails)",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 3,
	 {{NAT, {100, 100, 100}, NVS}, {NEAR, {200, 200, 140}, NVS}},
	 true,
	 DQ},
	{"hotspot only the last 3 of 4 hours count",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 4,
	 {{NAT, {100, 100, 100, 100}, NVS}, {NEAR, {100, 200, 200, 200}, NVS}},
	 true,
	 true,
	 "PM2.5",
	 200,
	 150},
	{"hotspot station outside the radius",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 3,
	 {{NAT, {100, 100, 100}, NVS}, {FAR, {300, 300, 300}, NVS}},
	 false,
	 DQ},
	{"hotspot on a national station",
	 AQ_ALERT_HOTSPOT,
	 0,
	 2,
	 3,
	 {{NAT, {300, 300, 300}, NVS}, {NEAR, {100, 100, 100}, NVS}},
	 false,
	 DQ},
	{"hotspot gap at the micro station",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 3,
	 {{NAT, {100, 100, 100}, NVS}, {NEAR, {200, NV, 200}, NVS}},
	 false,
	 DQ},
	{"hotspot gap at the national point",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 3,
	 {{NAT, {100, 100, NV}, NVS}, {NEAR, {200, 200, 200}, NVS}},
	 false,
	 DQ},
	{"hotspot pollutants valid at one station each",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 3,
	 {{NAT, {100, 100, 100}, {NV, NV, NV}}, {NEAR, {200, 200, NV}, {300, 300, 300}}},
	 false,
	 DQ},
	{"hotspot a gap and a failing hour",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 3,
	 {{NAT, {100, 100, 100}, NVS}, {NEAR, {200, NV, 120}, NVS}},
	 true,
	 DQ},
	{"hotspot a micro neighbour is no national point",
	 AQ_ALERT_HOTSPOT,
	 1,
	 3,
	 3,
	 {{NAT, {200, 200, 200}, NVS}, {NEAR, {200, 200, 200}, NVS}, {EAST, {10, 10, 10}, NVS}},
	 true,
	 DQ},
	{"hotspot fewer hours than 3",
	 AQ_ALERT_HOTSPOT,
	 1,
	 2,
	 2,
	 {{NAT, {100, 100}, NVS}, {NEAR, {200, 200}, NVS}},
	 false,
	 DQ},
	{"hotspot any national point in the radius",
	 AQ_ALERT_HOTSPOT,
	 1,
	 3,
	 3,
	 {{NAT, {200, 200, 200}, NVS}, {NEAR, {200, 200, 200}, NVS}, {NAT_SOUTH, {100, 100, 100}, NVS}},
	 true,
	 true,
	 "PM2.5",
	 200,
	 150},
	{"hotspot the nearest of two national points is reported",
	 AQ_ALERT_HOTSPOT,
	 1,
	 3,
	 3,
	 {{NAT, {100, 100, 100}, NVS}, {NEAR, {200, 200, 200}, NVS}, {NAT_SOUTH, {120, 120, 120}, NVS}},
	 true,
	 true,
	 "PM2.5",
	 200,
	 150},
	{"hotspot one point quiet, the other unknown",
	 AQ_ALERT_HOTSPOT,
	 1,
	 3,
	 3,
	 {{NAT, {200, 200, 200}, NVS}, {NEAR, {200, 200, 200}, NVS}, {NAT_SOUTH, {100, NV, 100}, NVS}},
	 false,
	 DQ},

	/* interference: the national point drops > 50 % and ≥ 50 while the ring stays within 15 % */
	{"interference drop exactly 50 %",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 2,
	 2,
	 {{NAT, {200, 100}, NVS}, {NEAR, {100, 100}, NVS}},
	 true,
	 DQ},
	{"interference drop 50.01 %",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 2,
	 2,
	 {{NAT, {200, 99.98}, NVS}, {NEAR, {100, 100}, NVS}},
	 true,
	 true,
	 "PM2.5",
	 99.98,
	 200},
	{"interference drop of 49",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 2,
	 2,
	 {{NAT, NVS, {90, 41}}, {NEAR, NVS, {100, 100}}},
	 true,
	 DQ},
	{"interference drop of 50",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 2,
	 2,
	 {{NAT, NVS, {90, 40}}, {NEAR, NVS, {100, 100}}},
	 true,
	 true,
	 "PM10",
	 40,
	 90},
	{"interference ring changes 15 %",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 2,
	 2,
	 {{NAT, {300, 100}, NVS}, {NEAR, {100, 115}, NVS}},
	 true,
	 DQ},
	{"interference ring changes 14.9 %",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 2,
	 2,
	 {{NAT, {300, 100}, NVS}, {NEAR, {100, 114.9}, NVS}},
	 true,
	 true,
	 "PM2.5",
	 100,
	 300},
	{"interference ring falls 14.9 %",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 2,
	 2,
	 {{NAT, {300, 100}, NVS}, {NEAR, {100, 85.1}, NVS}},
	 true,
	 true,
	 "PM2.5",
	 100,
	 300},
	/* NAT_SOUTH is no ring station: counted, the median would be 50 % */
	{"interference ring median of 3 (10 %, 90 %, 1 %)",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 5,
	 2,
	 {{NAT, {300, 100}, NVS},
	  {NEAR, {100, 110}, NVS},
	  {EAST, {100, 190}, NVS},
	  {WEST, {100, 101}, NVS},
	  {NAT_SOUTH, {100, 190}, NVS}},
	 true,
	 true,
	 "PM2.5",
	 100,
	 300},
	{"interference ring median of 2 (10 %, 30 %)",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 3,
	 2,
	 {{NAT, {300, 100}, NVS}, {NEAR, {100, 110}, NVS}, {EAST, {100, 70}, NVS}},
	 true,
	 DQ},
	{"interference no ring station",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 2,
	 2,
	 {{NAT, {300, 100}, NVS}, {FAR, {100, 100}, NVS}},
	 false,
	 DQ},
	{"interference ring station invalid before",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 2,
	 2,
	 {{NAT, {300, 100}, NVS}, {NEAR, {NV, 100}, NVS}},
	 false,
	 DQ},
	{"interference ring station at 0 before",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 2,
	 2,
	 {{NAT, {300, 100}, NVS}, {NEAR, {0, 10}, NVS}},
	 false,
	 DQ},
	{"interference national invalid before",
	 AQ_ALERT_INTERFERENCE,
	 0,
	 2,
	 3,
	 {{NAT, {300, NV, 100}, NVS}, {NEAR, {100, 100, 100}, NVS}},
	 false,
	 DQ},
	{"interference on a micro station",
	 AQ_ALERT_INTERFERENCE,
	 1,
	 2,
	 2,
	 {{NAT, {100, 100}, NVS}, {NEAR, {300, 100}, NVS}},
	 false,
	 DQ},

	/* national_divergence: > 1.5 × the ring median, or > +50 % in one hour */
	{"divergence 1.5x the median",
	 AQ_ALERT_NATIONAL_DIVERGENCE,
	 0,
	 3,
	 2,
	 {{NAT, {160, 165}, NVS}, {NEAR, {100, 100}, NVS}, {EAST, {120, 120}, NVS}},
	 true,
	 DQ},
	{"divergence above 1.5x the median",
	 AQ_ALERT_NATIONAL_DIVERGENCE,
	 0,
	 3,
	 2,
	 {{NAT, {160, 166}, NVS}, {NEAR, {100, 100}, NVS}, {EAST, {120, 120}, NVS}},
	 true,
	 true,
	 "PM2.5",
	 166,
	 165},
	{"divergence ring station outside the radius ignored",
	 AQ_ALERT_NATIONAL_DIVERGENCE,
	 0,
	 3,
	 2,
	 {{NAT, NVS, {160, 165}}, {NEAR, NVS, {110, 110}}, {FAR, NVS, {10, 10}}},
	 true,
	 DQ},
	{"divergence rise exactly 50 %",
	 AQ_ALERT_NATIONAL_DIVERGENCE,
	 0,
	 2,
	 2,
	 {{NAT, NVS, {100, 150}}, {FAR, NVS, {10, 10}}},
	 true,
	 DQ},
	{"divergence rise above 50 %",
	 AQ_ALERT_NATIONAL_DIVERGENCE,
	 0,
	 2,
	 2,
	 {{NAT, NVS, {100, 151}}, {FAR, NVS, {10, 10}}},
	 true,
	 true,
	 "PM10",
	 151,
	 150},
	{"divergence rise with a ring that agrees",
	 AQ_ALERT_NATIONAL_DIVERGENCE,
	 0,
	 2,
	 2,
	 {{NAT, {100, 151}, NVS}, {NEAR, {140, 140}, NVS}},
	 true,
	 true,
	 "PM2.5",
	 151,
	 150},
	{"divergence no ring and no previous hour",
	 AQ_ALERT_NATIONAL_DIVERGENCE,
	 0,
	 2,
	 2,
	 {{NAT, {NV, 300}, NVS}, {FAR, {10, 10}, NVS}},
	 false,
	 DQ},
	{"divergence no ring and previous 0",
	 AQ_ALERT_NATIONAL_DIVERGENCE,
	 0,
	 2,
	 2,
	 {{NAT, {0, 300}, NVS}, {FAR, {10, 10}, NVS}},
	 false,
	 DQ},
	{"divergence ring only, single hour",
	 AQ_ALERT_NATIONAL_DIVERGENCE,
	 0,
	 2,
	 1,
	 {{NAT, {300}, NVS}, {NEAR, {100}, NVS}},
	 true,
	 true,
	 "PM2.5",
	 300,
	 150},
	{"divergence on a micro station",
	 AQ_ALERT_NATIONAL_DIVERGENCE,
	 1,
	 2,
	 2,
	 {{NAT, {100, 100}, NVS}, {NEAR, {100, 300}, NVS}},
	 false,
	 DQ},
};

START_TEST(test_network_rules)
{
	const struct net_case *c = &net_cases[_i];
	struct aq_alert_hour hours[5][MAXH];
	struct aq_alert_station net[5];
	struct aq_alert_verdict out[AQ_ALERT_TYPES];

	for (size_t i = 0; i < c->n_stations; i++) {
		const struct net_station *ns = &c->st[i];
		for (size_t k = 0; k < c->n_hours; k++)
			hours[i][k] = pm_hour(k, ns->pm25[k], ns->pm10[k]);
		net[i] = (struct aq_alert_station){places[ns->where].national, places[ns->where].lat,
						   places[ns->where].lon, hours[i], c->n_hours};
	}
	aq_alerts_judge_hour(&defaults, net, c->n_stations, c->judged, out);
	bool critical = net[c->judged].national || c->type != AQ_ALERT_HOTSPOT;
	enum aq_severity sev = critical ? AQ_SEV_CRITICAL : AQ_SEV_WARNING;
	check_verdict(c->name, &out[c->type], c->applicable, c->fired, c->pollutant, c->value, c->threshold, sev);
}
END_TEST

/* The absolute floor of the ratio rules (AQRANK_ALERT_FLOOR_IAQI 50, _EXCESS 15 µg/m³): the
 * value must be above the IAQI-50 breakpoint (PM2.5 35, PM10 50) and 15 µg/m³ or more from
 * what it is compared with. Returns whether rule `type` fired for station `judged` of a
 * national point (NAT) and a ring station (NEAR) over n hours on local day `day`. */
static bool floored(enum aq_alert_type type, size_t judged, size_t n, const double *nat, const double *near, bool pm10,
		    int floor_iaqi, int64_t day)
{
	struct aq_alert_thresholds t = defaults;
	struct aq_alert_hour h[2][MAXH];
	struct aq_alert_verdict out[AQ_ALERT_TYPES];
	t.floor_iaqi = floor_iaqi;
	t.floor_excess = floor_iaqi > 0 ? 15 : 0;
	t.interference_min = 10;
	for (size_t k = 0; k < n; k++) {
		h[0][k] = pm_hour(k, pm10 ? NV : nat[k], pm10 ? nat[k] : NV);
		h[1][k] = pm_hour(k, pm10 ? NV : near[k], pm10 ? near[k] : NV);
		h[0][k].day = h[1][k].day = day;
	}
	struct aq_alert_station net[2] = {
		{true, places[NAT].lat, places[NAT].lon, h[0], n},
		{false, places[NEAR].lat, places[NEAR].lon, h[1], n},
	};
	aq_alerts_judge_hour(&t, net, 2, judged, out);
	return out[type].fired;
}

START_TEST(test_absolute_floors)
{
	int64_t d2017 = aq_days_from_civil(2017, 12, 7), d2026 = aq_days_from_civil(2026, 6, 1);
	/* hotspot: PM2.5 27 against 16.5 (both 优) is 1.64 ×, but below 35: quiet; 36 against 22 is
	 * above 35 and 1.5 ×, but only 14 more: quiet; 38 against 22: 16 more, fires. */
	ck_assert(!floored(AQ_ALERT_HOTSPOT, 1, 3, (double[]){16.5, 16.5, 16.5}, (double[]){27, 27, 27}, false, 50,
			   d2017));
	ck_assert(!floored(AQ_ALERT_HOTSPOT, 1, 3, (double[]){22, 22, 22}, (double[]){36, 36, 36}, false, 50, d2017));
	ck_assert(floored(AQ_ALERT_HOTSPOT, 1, 3, (double[]){22, 22, 22}, (double[]){38, 38, 38}, false, 50, d2017));
	ck_assert(!floored(AQ_ALERT_HOTSPOT, 1, 3, (double[]){20, 20, 20}, (double[]){35, 35, 35}, false, 50, d2017));
	/* Without a floor (0) the clean-air hotspot fires, as the ratio alone says. */
	ck_assert(
		floored(AQ_ALERT_HOTSPOT, 1, 3, (double[]){16.5, 16.5, 16.5}, (double[]){27, 27, 27}, false, 0, d2017));
	/* national_divergence against the ring median: PM2.5 36 vs 20 fires, 34 vs 20 does not
	 * (below 35); the one-hour rise: PM10 40 → 61 fires, 30 → 46 does not (below 50). */
	ck_assert(floored(AQ_ALERT_NATIONAL_DIVERGENCE, 0, 1, (double[]){36}, (double[]){20}, false, 50, d2017));
	ck_assert(!floored(AQ_ALERT_NATIONAL_DIVERGENCE, 0, 1, (double[]){34}, (double[]){20}, false, 50, d2017));
	ck_assert(floored(AQ_ALERT_NATIONAL_DIVERGENCE, 0, 2, (double[]){40, 61}, (double[]){60, 60}, true, 50, d2017));
	ck_assert(
		!floored(AQ_ALERT_NATIONAL_DIVERGENCE, 0, 2, (double[]){30, 46}, (double[]){45, 45}, true, 50, d2017));
	/* interference: a drop from 36 (above 35) fires, from 34 does not. */
	ck_assert(floored(AQ_ALERT_INTERFERENCE, 0, 2, (double[]){36, 10}, (double[]){30, 30}, false, 50, d2017));
	ck_assert(!floored(AQ_ALERT_INTERFERENCE, 0, 2, (double[]){34, 10}, (double[]){30, 30}, false, 50, d2017));
	/* The floor follows the standard of the hour's day: at IAQI 100, PM2.5 70 against 40 is
	 * below 75 under HJ 633-2012 and above 60 under HJ 633-2026. */
	ck_assert(!floored(AQ_ALERT_HOTSPOT, 1, 3, (double[]){40, 40, 40}, (double[]){70, 70, 70}, false, 100, d2017));
	ck_assert(floored(AQ_ALERT_HOTSPOT, 1, 3, (double[]){40, 40, 40}, (double[]){70, 70, 70}, false, 100, d2026));
}
END_TEST

/* Exceedance reads the hour's standard: PM2.5 100 is IAQI 100 + 25/40 × 50 = 131.25 → 132 under
 * 2012 and 100 + 40/55 × 50 = 136.4 → 137 under 2026; with the threshold at 135 only the day of
 * 2026-03-01 fires, not the day before. */
START_TEST(test_exceedance_by_standard)
{
	struct aq_alert_thresholds t = defaults;
	struct aq_alert_verdict out[AQ_ALERT_TYPES];
	t.alert_iaqi = 135;
	for (int y = 0; y < 2; y++) {
		struct aq_alert_hour h = pm_hour(0, 100, NV);
		h.day = y == 0 ? aq_days_from_civil(2026, 2, 28) : aq_days_from_civil(2026, 3, 1);
		struct aq_alert_station st = {false, places[NEAR].lat, places[NEAR].lon, &h, 1};
		aq_alerts_judge_hour(&t, &st, 1, 0, out);
		ck_assert_int_eq(out[AQ_ALERT_EXCEEDANCE].fired, y == 1);
		if (y == 1)
			ck_assert_double_eq(out[AQ_ALERT_EXCEEDANCE].value, 137);
	}
	/* A pinned standard wins over the date. */
	t.standard_pin = AQ_STANDARD_HJ633_2012;
	struct aq_alert_hour h = pm_hour(0, 100, NV);
	h.day = aq_days_from_civil(2026, 3, 1);
	struct aq_alert_station st = {false, places[NEAR].lat, places[NEAR].lon, &h, 1};
	aq_alerts_judge_hour(&t, &st, 1, 0, out);
	ck_assert(!out[AQ_ALERT_EXCEEDANCE].fired);
}
END_TEST

/* What does not apply to a kind of station, and what judge_hour leaves to judge_offline. */
START_TEST(test_kind_rules)
{
	struct aq_alert_hour h[2] = {pm_hour(0, 100, 100), pm_hour(1, 300, 300)};
	struct aq_alert_station net[2] = {
		{true, places[NAT].lat, places[NAT].lon, h, 2},
		{false, places[NEAR].lat, places[NEAR].lon, h, 2},
	};
	struct aq_alert_verdict out[AQ_ALERT_TYPES];

	aq_alerts_judge_hour(&defaults, net, 2, 1, out);
	ck_assert(!out[AQ_ALERT_OFFLINE].applicable);
	ck_assert(!out[AQ_ALERT_INTERFERENCE].applicable);
	ck_assert(!out[AQ_ALERT_NATIONAL_DIVERGENCE].applicable);
	ck_assert(out[AQ_ALERT_EXCEEDANCE].fired && out[AQ_ALERT_SPIKE].fired);
	ck_assert_int_eq(out[AQ_ALERT_EXCEEDANCE].severity, AQ_SEV_WARNING);

	aq_alerts_judge_hour(&defaults, net, 2, 0, out);
	ck_assert(!out[AQ_ALERT_OFFLINE].applicable);
	ck_assert(!out[AQ_ALERT_HOTSPOT].applicable);
	for (int r = 0; r < AQ_ALERT_TYPES; r++)
		ck_assert_int_eq(out[r].severity, AQ_SEV_CRITICAL);

	/* no hours at all, or s out of range: nothing applies */
	net[1].n_hours = 0;
	aq_alerts_judge_hour(&defaults, net, 2, 1, out);
	for (int r = 0; r < AQ_ALERT_TYPES; r++)
		ck_assert(!out[r].applicable && !out[r].fired);
	aq_alerts_judge_hour(&defaults, net, 2, 2, out);
	for (int r = 0; r < AQ_ALERT_TYPES; r++)
		ck_assert(!out[r].applicable && !out[r].fired);
}
END_TEST

/* --- offline --- */

struct offline_case {
	const char *name;
	bool national;
	int interval_s;
	int64_t newest_s; /* seconds after t0; -1 = never reported */
	int64_t silent_s;
	bool applicable, fired;
	double threshold;
};

static const struct offline_case offline_cases[] = {
	{"offline hourly station at 2 x 3600", false, 3600, 0, 7200, true, false, 7200},
	{"offline hourly station at 2 x 3600 + 1 s", false, 3600, 0, 7201, true, true, 7200},
	{"offline 1-min station at 3600", false, 60, 0, 3600, true, false, 3600},
	{"offline 1-min station at 3601", false, 60, 0, 3601, true, true, 3600},
	{"offline 2 x interval = offline_after", false, 1800, 0, 3601, true, true, 3600},
	{"offline 2 x interval larger: 6000", false, 3000, 0, 6000, true, false, 6000},
	{"offline 2 x interval larger: 6001", false, 3000, 0, 6001, true, true, 6000},
	{"offline clock behind the newest reading", false, 60, 0, -30, true, false, 3600},
	{"offline never reported", false, 60, -1, 100000, false, false, 0},
	{"offline national point", true, 60, 0, 3601, true, true, 3600},
};

START_TEST(test_offline)
{
	const struct offline_case *c = &offline_cases[_i];
	struct aq_alert_verdict v;
	int64_t newest = c->newest_s < 0 ? 0 : t0() + c->newest_s * AQ_US_PER_SEC;
	int64_t now = t0() + (c->newest_s < 0 ? 0 : c->newest_s) * AQ_US_PER_SEC + c->silent_s * AQ_US_PER_SEC;

	memset(&v, 0xa5, sizeof(v)); /* every field must be written */
	aq_alerts_judge_offline(&defaults, c->national, c->interval_s, newest, now, &v);
	check_verdict(c->name, &v, c->applicable, c->fired, "", (double)c->silent_s, c->threshold,
		      c->national ? AQ_SEV_CRITICAL : AQ_SEV_WARNING);
	ck_assert_int_eq(v.severity, c->national ? AQ_SEV_CRITICAL : AQ_SEV_WARNING);
}
END_TEST

/* --- auth_failures --- */

static const struct {
	const char *name;
	bool national;
	int failures;
	bool locked;
	bool fired;
} auth_cases[] = {
	{"auth no failures", false, 0, false, false},
	{"auth one short of the budget", false, 4, false, false},
	{"auth at the budget", false, 5, false, true},
	{"auth over the budget", false, 9, false, true},
	{"auth locked by an operator's rule below the budget", false, 1, true, true},
	{"auth on a national point", true, 5, true, true},
};

START_TEST(test_auth)
{
	struct aq_alert_verdict v;
	struct aq_alert_thresholds t = defaults;
	t.auth_budget = 5;
	memset(&v, 0xa5, sizeof(v)); /* every field must be written */
	aq_alerts_judge_auth(&t, auth_cases[_i].national, auth_cases[_i].failures, auth_cases[_i].locked, &v);
	check_verdict(auth_cases[_i].name, &v, true, auth_cases[_i].fired, "", auth_cases[_i].failures, 5,
		      auth_cases[_i].national ? AQ_SEV_CRITICAL : AQ_SEV_WARNING);
	ck_assert_int_eq(v.severity, auth_cases[_i].national ? AQ_SEV_CRITICAL : AQ_SEV_WARNING);
	if (v.fired)
		ck_assert_msg(strstr(v.detail, "wrong HJ 212 passwords") != NULL, "%s", v.detail);
}
END_TEST

/* --- names --- */

START_TEST(test_type_names)
{
	enum aq_alert_type t = (enum aq_alert_type)_i, back = AQ_ALERT_TYPES;
	const char *name = aq_alert_type_name(t);

	ck_assert_ptr_nonnull(name);
	ck_assert(aq_alert_type_from_name(name, &back));
	ck_assert_int_eq(back, t);
}
END_TEST

START_TEST(test_names_misc)
{
	static const char *const want[AQ_ALERT_TYPES] = {
		"offline",	"exceedance",	       "spike",		"flatline",	    "inversion", "hotspot",
		"interference", "national_divergence", "auth_failures", "calibration_drift"};
	enum aq_alert_type t = AQ_ALERT_SPIKE;

	for (int i = 0; i < AQ_ALERT_TYPES; i++)
		ck_assert_str_eq(aq_alert_type_name((enum aq_alert_type)i), want[i]);
	ck_assert_ptr_null(aq_alert_type_name(AQ_ALERT_TYPES));
	ck_assert_ptr_null(aq_alert_type_name((enum aq_alert_type) - 1));
	ck_assert(!aq_alert_type_from_name(NULL, &t));
	ck_assert(!aq_alert_type_from_name("Offline", &t));
	ck_assert(!aq_alert_type_from_name("divergence", &t));
	ck_assert(!aq_alert_type_from_name("", &t));
	ck_assert_int_eq(t, AQ_ALERT_SPIKE);
	ck_assert_str_eq(aq_severity_name(AQ_SEV_INFO), "info");
	ck_assert_str_eq(aq_severity_name(AQ_SEV_WARNING), "warning");
	ck_assert_str_eq(aq_severity_name(AQ_SEV_CRITICAL), "critical");
	ck_assert_ptr_null(aq_severity_name((enum aq_severity)3));
	ck_assert_ptr_null(aq_severity_name((enum aq_severity) - 1));
}
END_TEST

/* --- calibration_drift (issue 15) --- */

static const struct {
	const char *name;
	double threshold, change;
	bool measured, applicable, fired;
} drift_cases[] = {
	{"moved exactly the limit", 10, 10, true, true, false},
	{"moved beyond it", 10, 10.5, true, true, true},
	{"moved beyond it, downwards", 10, -12, true, true, true},
	{"a hair above the limit is equal (1e-12)", 10, 10 + 1e-12, true, true, false},
	{"too few hours to say", 10, 50, false, false, false},
	{"the rule off (threshold 0)", 0, 50, true, false, false},
};

START_TEST(test_drift)
{
	struct aq_alert_thresholds t = {.drift_threshold = drift_cases[_i].threshold, .drift_days = 7};
	struct aq_alert_verdict v;
	aq_alerts_judge_drift(&t, drift_cases[_i].measured, drift_cases[_i].change, 4.5, "PM10", &v);
	ck_assert_msg(v.applicable == drift_cases[_i].applicable, "%s: applicable", drift_cases[_i].name);
	ck_assert_msg(v.fired == drift_cases[_i].fired, "%s: fired", drift_cases[_i].name);
	ck_assert_int_eq(v.severity, AQ_SEV_WARNING);
	if (v.fired) {
		ck_assert_double_eq(v.value, drift_cases[_i].change);
		ck_assert_double_eq(v.threshold, drift_cases[_i].threshold);
		ck_assert_str_eq(v.pollutant, "PM10");
		ck_assert_ptr_nonnull(strstr(v.detail, "7 days"));
	}
}
END_TEST

static Suite *alerts_suite(void)
{
	Suite *s = suite_create("alerts");
	TCase *tc;

	tc = tcase_create("places");
	tcase_add_loop_test(tc, test_places, 0, N(distances));
	suite_add_tcase(s, tc);

	tc = tcase_create("station");
	tcase_add_loop_test(tc, test_pm_rules, 0, N(pm_cases));
	tcase_add_loop_test(tc, test_flatline, 0, N(fl_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("network");
	tcase_add_loop_test(tc, test_network_rules, 0, N(net_cases));
	tcase_add_test(tc, test_kind_rules);
	tcase_add_test(tc, test_absolute_floors);
	tcase_add_test(tc, test_exceedance_by_standard);
	suite_add_tcase(s, tc);

	tc = tcase_create("offline");
	tcase_add_loop_test(tc, test_offline, 0, N(offline_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_add_loop_test(tc, test_auth, 0, N(auth_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("drift");
	tcase_add_loop_test(tc, test_drift, 0, N(drift_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_type_names, 0, AQ_ALERT_TYPES);
	tcase_add_test(tc, test_names_misc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(alerts_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
