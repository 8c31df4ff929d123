/* aqi.c — HJ 633 IAQI/AQI (2012 and 2026), the GB 3095 limits that go with them, and GB/T 8170
 * rounding. Pure functions over static tables; aggregate.c turns readings into the published
 * concentrations these functions take. */
#include "aq_aqi.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

static const char *const pollutant_fields[AQ_POLLUTANTS] = {
	[AQ_PM25] = "pm25", [AQ_PM10] = "pm10", [AQ_SO2] = "so2", [AQ_NO2] = "no2", [AQ_CO] = "co", [AQ_O3] = "o3",
};

static const char *const pollutant_labels[AQ_POLLUTANTS] = {
	[AQ_PM25] = "PM2.5", [AQ_PM10] = "PM10", [AQ_SO2] = "SO2", [AQ_NO2] = "NO2", [AQ_CO] = "CO", [AQ_O3] = "O3",
};

static bool pollutant_ok(enum aq_pollutant p)
{
	return (int)p >= 0 && (int)p < AQ_POLLUTANTS;
}

const char *aq_pollutant_field(enum aq_pollutant p)
{
	return pollutant_ok(p) ? pollutant_fields[p] : NULL;
}

const char *aq_pollutant_label(enum aq_pollutant p)
{
	return pollutant_ok(p) ? pollutant_labels[p] : NULL;
}

bool aq_pollutant_from_field(const char *field, enum aq_pollutant *out)
{
	if (field == NULL)
		return false;
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		if (strcmp(field, pollutant_fields[p]) == 0) {
			*out = (enum aq_pollutant)p;
			return true;
		}
	}
	return false;
}

int aq_pollutant_decimals(enum aq_pollutant p)
{
	return p == AQ_CO ? 1 : 0;
}

static const double pow10_table[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

/* Distance from an exact tie (or integer) that still counts as exact: 1e-9 absolutely, widened
 * to a few ulps for magnitudes where 1e-9 is finer than the double grid. */
static double snap_tolerance(double scaled)
{
	double rel = 8.0 * DBL_EPSILON * fabs(scaled);
	return rel > 1e-9 ? rel : 1e-9;
}

double aq_round_half_even(double x, int decimals)
{
	if (!isfinite(x))
		return x;
	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	double scale = pow10_table[decimals];
	double s = x * scale;
	double fl = floor(s);
	double frac = s - fl;
	double r;
	if (fabs(frac - 0.5) <= snap_tolerance(s))
		r = fmod(fl, 2.0) == 0.0 ? fl : fl + 1.0;
	else
		r = frac < 0.5 ? fl : fl + 1.0;
	if (r == 0.0)
		r = 0.0; /* no "-0" in published values */
	/* Dividing the integer by the power of ten gives the double nearest the decimal value,
	 * the same double strtod() would give for its text. */
	return r / scale;
}

/* HJ 633 table 1 (SPEC §9). Rows are the IAQI steps; "—" cells end a column early. The
 * columns HJ 633-2026 left as they were are shared; PM2.5 and PM10 moved their IAQI-100 row
 * (75 → 60, 150 → 120), and above a column's last value SO2 1 h and O3 8 h give a fixed IAQI. */
#define BP(...)             \
	{                   \
		__VA_ARGS__ \
	}
#define STEPS8 BP(0, 50, 100, 150, 200, 300, 400, 500)
#define SO2_24H                                                                                   \
	{                                                                                         \
		8, BP(0, 50, 150, 475, 800, 1600, 2100, 2620), STEPS8, AQ_OVERFLOW_ABOVE_SCALE, 0 \
	}
#define NO2_24H                                                                               \
	{                                                                                     \
		8, BP(0, 40, 80, 180, 280, 565, 750, 940), STEPS8, AQ_OVERFLOW_ABOVE_SCALE, 0 \
	}
#define NO2_1H                                                                                      \
	{                                                                                           \
		8, BP(0, 100, 200, 700, 1200, 2340, 3090, 3840), STEPS8, AQ_OVERFLOW_ABOVE_SCALE, 0 \
	}
#define CO_24H                                                                         \
	{                                                                              \
		8, BP(0, 2, 4, 14, 24, 36, 48, 60), STEPS8, AQ_OVERFLOW_ABOVE_SCALE, 0 \
	}
#define CO_1H                                                                             \
	{                                                                                 \
		8, BP(0, 5, 10, 35, 60, 90, 120, 150), STEPS8, AQ_OVERFLOW_ABOVE_SCALE, 0 \
	}
#define O3_1H                                                                                     \
	{                                                                                         \
		8, BP(0, 160, 200, 300, 400, 800, 1000, 1200), STEPS8, AQ_OVERFLOW_ABOVE_SCALE, 0 \
	}
#define O3_8H_ROWS 6, BP(0, 100, 160, 215, 265, 800), BP(0, 50, 100, 150, 200, 300)
#define SO2_1H_ROWS 5, BP(0, 150, 500, 650, 800), BP(0, 50, 100, 150, 200)

#define TABLES_2012                                                                                                   \
	{                                                                                                             \
		[AQ_SO2] = {[AQ_24H] = SO2_24H, [AQ_1H] = {SO2_1H_ROWS, AQ_OVERFLOW_USE_24H, 0}},                     \
		[AQ_NO2] = {[AQ_24H] = NO2_24H, [AQ_1H] = NO2_1H},                                                    \
		[AQ_PM10] = {[AQ_24H] = {8, BP(0, 50, 150, 250, 350, 420, 500, 600), STEPS8, AQ_OVERFLOW_ABOVE_SCALE, \
					 0}},                                                                         \
		[AQ_CO] = {[AQ_24H] = CO_24H, [AQ_1H] = CO_1H},                                                       \
		[AQ_O3] = {[AQ_1H] = O3_1H, [AQ_8H] = {O3_8H_ROWS, AQ_OVERFLOW_USE_O3_1H, 0}},                        \
		[AQ_PM25] = {                                                                                         \
			[AQ_24H] = {8, BP(0, 35, 75, 115, 150, 250, 350, 500), STEPS8, AQ_OVERFLOW_ABOVE_SCALE, 0}},  \
	}
#define TABLES_2026                                                                                                   \
	{                                                                                                             \
		[AQ_SO2] = {[AQ_24H] = SO2_24H, [AQ_1H] = {SO2_1H_ROWS, AQ_OVERFLOW_FIXED, 200}},                     \
		[AQ_NO2] = {[AQ_24H] = NO2_24H, [AQ_1H] = NO2_1H},                                                    \
		[AQ_PM10] = {[AQ_24H] = {8, BP(0, 50, 120, 250, 350, 420, 500, 600), STEPS8, AQ_OVERFLOW_ABOVE_SCALE, \
					 0}},                                                                         \
		[AQ_CO] = {[AQ_24H] = CO_24H, [AQ_1H] = CO_1H},                                                       \
		[AQ_O3] = {[AQ_1H] = O3_1H, [AQ_8H] = {O3_8H_ROWS, AQ_OVERFLOW_FIXED, 300}},                          \
		[AQ_PM25] = {                                                                                         \
			[AQ_24H] = {8, BP(0, 35, 60, 115, 150, 250, 350, 500), STEPS8, AQ_OVERFLOW_ABOVE_SCALE, 0}},  \
	}
/* GB 3095 grade-II limits per pollutant (pm25, pm10, so2, no2, co, o3). */
#define LIMITS(pm25, pm10, so2, no2, co, o3) \
	{                                    \
		pm25, pm10, so2, no2, co, o3 \
	}

static const struct aq_aqi_standard standards[] = {
	{
		.name = "HJ633-2012",
		.limits_name = "GB3095-2012",
		.from_year = 1,
		.from_month = 1,
		.from_day = 1,
		.table = TABLES_2012,
		.limit_24h = LIMITS(75, 150, 150, 80, 4, 160),
		.limit_annual = LIMITS(35, 70, 60, 40, 4, 160),
		.reports_exceeding = true,
		.missing_publishes_over_100 = false,
	},
	{
		.name = "HJ633-2026",
		.limits_name = "GB3095-2026 transition",
		.from_year = 2026,
		.from_month = 3,
		.from_day = 1,
		.table = TABLES_2026,
		.limit_24h = LIMITS(60, 120, 150, 80, 4, 160),
		.limit_annual = LIMITS(30, 60, 60, 40, 4, 160),
		.reports_exceeding = false,
		.missing_publishes_over_100 = true,
	},
	{
		/* The final limits of GB 3095-2026 for PM; SO2, NO2, CO and O3 are taken as in the
		 * transition phase (docs/domain-rules.md: the text of table 1 was not at hand). */
		.name = "HJ633-2026",
		.limits_name = "GB3095-2026",
		.from_year = 2031,
		.from_month = 1,
		.from_day = 1,
		.table = TABLES_2026,
		.limit_24h = LIMITS(50, 100, 150, 80, 4, 160),
		.limit_annual = LIMITS(25, 50, 60, 40, 4, 160),
		.reports_exceeding = false,
		.missing_publishes_over_100 = true,
	},
};
#define N_STANDARDS (sizeof standards / sizeof standards[0])
#undef BP

static bool in_force_on(const struct aq_aqi_standard *s, int year, int month, int day)
{
	long date = (long)year * 10000 + month * 100 + day;
	return date >= (long)s->from_year * 10000 + s->from_month * 100 + s->from_day;
}

/* The last record named `name` (any name: NULL) in force on the date; records are by date. */
static const struct aq_aqi_standard *latest(const char *name, size_t len, int year, int month, int day)
{
	const struct aq_aqi_standard *found = NULL, *first_named = NULL;
	for (size_t i = 0; i < N_STANDARDS; i++) {
		const struct aq_aqi_standard *s = &standards[i];
		if (name && (strlen(s->name) != len || strncmp(s->name, name, len) != 0))
			continue;
		if (!first_named)
			first_named = s;
		if (in_force_on(s, year, month, day))
			found = s;
	}
	/* A standard asked for before its date: its first period's limits. */
	return found ? found : first_named;
}

const struct aq_aqi_standard *aq_standard_in_force(enum aq_standard_pin pin, int year, int month, int day)
{
	switch (pin) {
	case AQ_STANDARD_HJ633_2012: return latest("HJ633-2012", 10, year, month, day);
	case AQ_STANDARD_HJ633_2026: return latest("HJ633-2026", 10, year, month, day);
	default: return latest(NULL, 0, year, month, day);
	}
}

const struct aq_aqi_standard *aq_aqi_standard_for_date(int year, int month, int day)
{
	return aq_standard_in_force(AQ_STANDARD_AUTO, year, month, day);
}

const struct aq_aqi_standard *aq_standard_named(const char *name, size_t len, int year, int month, int day)
{
	return name ? latest(name, len, year, month, day) : NULL;
}

bool aq_standard_pin_from_name(const char *name, enum aq_standard_pin *out)
{
	static const char *const names[] = {"auto", "HJ633-2012", "HJ633-2026"};
	for (int i = 0; name && i < 3; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum aq_standard_pin)i;
			return true;
		}
	}
	return false;
}

/* Rounds an IAQI up, except that a value within tolerance of an integer is that integer:
 * interpolation of a concentration on a breakpoint must not turn 100 into 101. */
static int ceil_snapped(double v)
{
	double n = nearbyint(v);
	if (fabs(v - n) <= snap_tolerance(v))
		return (int)n;
	return (int)ceil(v);
}

static int interpolate(const struct aq_breakpoint_table *t, double conc)
{
	for (int i = 1; i < t->n; i++) {
		if (conc <= t->conc[i]) {
			double span = t->conc[i] - t->conc[i - 1];
			double v =
				t->iaqi[i - 1] + (double)(t->iaqi[i] - t->iaqi[i - 1]) * (conc - t->conc[i - 1]) / span;
			return ceil_snapped(v);
		}
	}
	return t->iaqi[t->n - 1];
}

int aq_iaqi(const struct aq_aqi_standard *std, enum aq_pollutant p, enum aq_period period, double conc,
	    bool *above_scale)
{
	if (above_scale != NULL)
		*above_scale = false;
	if (std == NULL || !pollutant_ok(p) || (int)period < 0 || (int)period >= AQ_PERIODS)
		return -1;
	if (!(conc >= 0.0)) /* also rejects NaN */
		return -1;
	const struct aq_breakpoint_table *t = &std->table[p][period];
	if (t->n < 2)
		return -1;
	if (conc <= t->conc[t->n - 1])
		return interpolate(t, conc);
	switch (t->overflow) {
	case AQ_OVERFLOW_FIXED: return t->overflow_iaqi;
	case AQ_OVERFLOW_USE_24H:
		if (period == AQ_24H)
			break; /* a malformed table must not recurse forever */
		return aq_iaqi(std, p, AQ_24H, conc, above_scale);
	case AQ_OVERFLOW_USE_O3_1H: return AQ_IAQI_USE_O3_1H;
	case AQ_OVERFLOW_ABOVE_SCALE: break;
	}
	if (above_scale != NULL)
		*above_scale = true;
	return 500;
}

double aq_iaqi_concentration(const struct aq_aqi_standard *std, enum aq_pollutant p, enum aq_period period, int iaqi)
{
	if (std == NULL || !pollutant_ok(p) || (int)period < 0 || (int)period >= AQ_PERIODS)
		return -1;
	const struct aq_breakpoint_table *t = &std->table[p][period];
	if (t->n < 2)
		return -1;
	if (iaqi <= 0)
		return 0;
	for (int i = 1; i < t->n; i++)
		if (iaqi <= t->iaqi[i])
			return t->conc[i - 1] + (t->conc[i] - t->conc[i - 1]) * (double)(iaqi - t->iaqi[i - 1]) /
							(double)(t->iaqi[i] - t->iaqi[i - 1]);
	return t->conc[t->n - 1];
}

static const char *const level_category[7] = {
	NULL, "优", "良", "轻度污染", "中度污染", "重度污染", "严重污染",
};
static const char *const level_category_en[7] = {
	NULL, "Excellent", "Good", "Lightly polluted", "Moderately polluted", "Heavily polluted", "Severely polluted",
};
static const char *const level_color[7] = {
	NULL, "#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023",
};

int aq_aqi_level(int aqi)
{
	if (aqi < 0)
		return 0;
	if (aqi <= 50)
		return 1;
	if (aqi <= 100)
		return 2;
	if (aqi <= 150)
		return 3;
	if (aqi <= 200)
		return 4;
	if (aqi <= 300)
		return 5;
	return 6;
}

const char *aq_level_category(int level)
{
	return level >= 1 && level <= 6 ? level_category[level] : NULL;
}

const char *aq_level_category_en(int level)
{
	return level >= 1 && level <= 6 ? level_category_en[level] : NULL;
}

const char *aq_level_color(int level)
{
	return level >= 1 && level <= 6 ? level_color[level] : NULL;
}

static void aqi_reset(struct aq_aqi *out)
{
	memset(out, 0, sizeof(*out));
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		out->iaqi[p] = -1;
}

/* Fills AQI, level, labels, primary and (when std reports them) exceeding pollutants from
 * out->iaqi[]. */
static void aqi_finish(const struct aq_aqi_standard *std, struct aq_aqi *out)
{
	int max = -1;
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if (out->iaqi[p] > max)
			max = out->iaqi[p];
	if (max < 0) {
		out->valid = false;
		return;
	}
	out->valid = true;
	out->aqi = max;
	out->level = aq_aqi_level(max);
	out->category = level_category[out->level];
	out->category_en = level_category_en[out->level];
	out->color = level_color[out->level];
	out->primary_mask = 0;
	if (max > 50)
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			if (out->iaqi[p] == max)
				out->primary_mask |= AQ_POLLUTANT_BIT(p);
	out->exceeding_mask = 0;
	out->reports_exceeding = std && std->reports_exceeding;
	for (int p = 0; out->reports_exceeding && p < AQ_POLLUTANTS; p++)
		if (out->iaqi[p] > 100)
			out->exceeding_mask |= AQ_POLLUTANT_BIT(p);
}

void aq_aqi_invalidate(struct aq_aqi *aqi)
{
	aqi_reset(aqi);
}

static void set_iaqi(struct aq_aqi *out, enum aq_pollutant p, int iaqi, bool above)
{
	out->iaqi[p] = iaqi < 0 ? -1 : iaqi;
	if (iaqi >= 0 && above)
		out->above_scale = true;
}

void aq_aqi_daily(const struct aq_aqi_standard *std, const bool valid[AQ_POLLUTANTS],
		  const double published[AQ_POLLUTANTS], bool o3_1h_valid, double o3_1h_max_published,
		  struct aq_aqi *out)
{
	aqi_reset(out);
	for (int i = 0; i < AQ_POLLUTANTS; i++) {
		enum aq_pollutant p = (enum aq_pollutant)i;
		if (!valid[p])
			continue;
		bool above = false;
		int v = aq_iaqi(std, p, p == AQ_O3 ? AQ_8H : AQ_24H, published[p], &above);
		if (v == AQ_IAQI_USE_O3_1H) {
			/* The day's highest hour is never below its highest 8 h mean, so without a
			 * 1 h maximum the 8 h value is the best lower bound for the 1 h table. */
			double c = published[p];
			if (o3_1h_valid && o3_1h_max_published > c)
				c = o3_1h_max_published;
			v = aq_iaqi(std, AQ_O3, AQ_1H, c, &above);
		}
		set_iaqi(out, p, v, above);
	}
	aqi_finish(std, out);
}

void aq_aqi_hourly(const struct aq_aqi_standard *std, const bool valid[AQ_POLLUTANTS],
		   const double published[AQ_POLLUTANTS], struct aq_aqi *out)
{
	aqi_reset(out);
	for (int i = 0; i < AQ_POLLUTANTS; i++) {
		enum aq_pollutant p = (enum aq_pollutant)i;
		if (!valid[p])
			continue;
		bool above = false;
		enum aq_period period = (p == AQ_PM25 || p == AQ_PM10) ? AQ_24H : AQ_1H;
		int v = aq_iaqi(std, p, period, published[p], &above);
		set_iaqi(out, p, v, above);
	}
	aqi_finish(std, out);
}
