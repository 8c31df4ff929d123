/* aggregate.c — hourly and daily aggregation (SPEC §3). Takes per-hour sums prepared by the
 * database layer and produces valid/mean/published values, the daily max 8 h O3, the AQI and
 * the composite index. ranking.c consumes the resulting struct aq_daily. */
#include "aq_aggregate.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

int aq_hour_min_readings(int interval_s)
{
	if (interval_s <= 0)
		interval_s = 1;
	/* 0.75 × 3600 = 2700 exactly; integer ceil avoids 0.75*3600/7 landing a hair off. */
	return (2700 + interval_s - 1) / interval_s;
}

int aq_provisional_threshold(int hours_elapsed, int full_threshold)
{
	if (hours_elapsed < 0)
		hours_elapsed = 0;
	if (hours_elapsed > 24)
		hours_elapsed = 24;
	if (full_threshold < 0)
		full_threshold = 0;
	return (int)(((long long)hours_elapsed * full_threshold + 23) / 24);
}

int aq_provisional_o3_windows(int hours_elapsed, int full_threshold)
{
	if (hours_elapsed > 24)
		hours_elapsed = 24;
	int windows = hours_elapsed - (8 - 1);
	if (windows <= 0)
		return 0;
	if (full_threshold < 0)
		full_threshold = 0;
	return (int)(((long long)windows * full_threshold + AQ_O3_WINDOWS - 1) / AQ_O3_WINDOWS);
}

static double publish(enum aq_pollutant p, double mean)
{
	return aq_round_half_even(mean, aq_pollutant_decimals(p));
}

/* Valid hourly mean of one pollutant, or false. The single rule both the hourly view and the
 * daily aggregation use, so the two can never disagree about which hours count. */
static bool hour_mean(const struct aq_hour_sums *h, enum aq_pollutant p, int min_readings, double *mean)
{
	int n = h->count[p];
	if (n <= 0 || n < min_readings)
		return false;
	*mean = h->sum[p] / n;
	return true;
}

void aq_hourly_compute(const struct aq_hour_sums *sums, int interval_s, const struct aq_aqi_standard *std,
		       struct aq_hourly *out)
{
	memset(out, 0, sizeof(*out));
	int min = aq_hour_min_readings(interval_s);
	for (int i = 0; i < AQ_POLLUTANTS; i++) {
		enum aq_pollutant p = (enum aq_pollutant)i;
		int n = sums->count[p];
		out->count[p] = n > 0 ? n : 0;
		if (n <= 0)
			continue;
		out->mean[p] = sums->sum[p] / n;
		out->published[p] = publish(p, out->mean[p]);
		out->valid[p] = n >= min;
	}
	aq_aqi_hourly(std, out->valid, out->published, &out->aqi);
}

/* Daily maximum 8 h moving mean of O3 (HJ 663-2013 §4): windows end at 08:00 … 24:00, i.e.
 * cover hours [k, k+8) for k = 0..16; a window needs AQ_O3_WINDOW_MIN_HOURS valid hours and
 * its value is the mean of those. Returns the number of valid windows; *max is set when > 0. */
static int o3_max_8h(const bool valid[24], const double mean[24], double *max)
{
	int windows = 0;
	for (int k = 0; k < AQ_O3_WINDOWS; k++) {
		double sum = 0.0;
		int n = 0;
		for (int h = k; h < k + 8; h++) {
			if (valid[h]) {
				sum += mean[h];
				n++;
			}
		}
		if (n < AQ_O3_WINDOW_MIN_HOURS)
			continue;
		double v = sum / n;
		if (windows == 0 || v > *max)
			*max = v;
		windows++;
	}
	return windows;
}

static void daily_o3(const struct aq_hour_sums hours[24], int min_readings, const struct aq_day_rules *rules,
		     struct aq_daily *out)
{
	bool valid[24];
	double mean[24];
	for (int h = 0; h < 24; h++) {
		valid[h] = hour_mean(&hours[h], AQ_O3, min_readings, &mean[h]);
		if (!valid[h])
			continue;
		out->valid_hours[AQ_O3]++;
		if (!out->o3_1h_valid || mean[h] > out->o3_1h_max)
			out->o3_1h_max = mean[h];
		out->o3_1h_valid = true;
	}
	if (out->o3_1h_valid)
		out->o3_1h_max = publish(AQ_O3, out->o3_1h_max);

	double max = 0.0;
	out->o3_windows_valid = o3_max_8h(valid, mean, &max);
	if (out->o3_windows_valid == 0)
		return;
	out->mean[AQ_O3] = max;
	out->published[AQ_O3] = publish(AQ_O3, max);
	int need = rules->min_o3_windows > 1 ? rules->min_o3_windows : 1;
	out->valid[AQ_O3] = out->o3_windows_valid >= need;
}

/* Σ Cᵢ/Sᵢ with Sᵢ the grade-II annual limits of the standard in force (SPEC §3.5). */
static void composite(struct aq_daily *out, const struct aq_aqi_standard *standard)
{
	unsigned mask = out->composite_mask & AQ_POLLUTANT_ALL_MASK;
	if (mask == 0)
		return;
	double sum = 0.0;
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		if (!(mask & AQ_POLLUTANT_BIT(p)))
			continue;
		if (!out->valid[p])
			return;
		sum += out->published[p] / standard->limit_annual[p];
	}
	out->has_composite = true;
	out->composite = aq_round_half_even(sum, 2);
}

void aq_daily_compute(const struct aq_hour_sums hours[24], const struct aq_day_rules *rules, struct aq_daily *out)
{
	memset(out, 0, sizeof(*out));
	out->composite_mask = rules->composite_mask;
	int min_readings = aq_hour_min_readings(rules->interval_s);
	int need = rules->min_hours > 1 ? rules->min_hours : 1;

	for (int i = 0; i < AQ_POLLUTANTS; i++) {
		enum aq_pollutant p = (enum aq_pollutant)i;
		if (p == AQ_O3)
			continue;
		double sum = 0.0;
		int n = 0;
		for (int h = 0; h < 24; h++) {
			double m;
			if (hour_mean(&hours[h], p, min_readings, &m)) {
				sum += m;
				n++;
			}
		}
		out->valid_hours[p] = n;
		if (n == 0)
			continue;
		out->mean[p] = sum / n;
		out->published[p] = publish(p, out->mean[p]);
		out->valid[p] = n >= need;
	}
	daily_o3(hours, min_readings, rules, out);

	for (int p = 0; p < AQ_POLLUTANTS; p++)
		for (int h = 0; h < 24; h++)
			if (hours[h].count[p] > 0)
				out->reported_mask |= AQ_POLLUTANT_BIT(p);
	/* Early in a provisional day no 8-hour window can be complete: O3 cannot be required. */
	if (rules->min_o3_windows <= 0)
		out->reported_mask &= ~AQ_POLLUTANT_BIT(AQ_O3);
	aq_daily_finish(out, rules->standard);
}

void aq_daily_finish(struct aq_daily *out, const struct aq_aqi_standard *standard)
{
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		out->published[p] = out->valid_hours[p] > 0 || (p == AQ_O3 && out->o3_windows_valid > 0)
					    ? publish((enum aq_pollutant)p, out->mean[p])
					    : 0.0;
	aq_aqi_daily(standard, out->valid, out->published, out->o3_1h_valid, out->o3_1h_max, &out->aqi);
	/* A pollutant the station reported but without a valid day: before 2026 the day has no
	 * AQI (otherwise a day of broken PM data with a few O3 hours would rank "excellent");
	 * under HJ 633-2026 §5.3.1 an AQI above 100 from the others is published — the day was at
	 * least that bad — and one of 100 or less is not. */
	bool missing = false;
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if ((out->reported_mask & AQ_POLLUTANT_BIT(p)) && !out->valid[p])
			missing = true;
	if (missing && !(standard->missing_publishes_over_100 && out->aqi.valid && out->aqi.aqi > 100))
		aq_aqi_invalidate(&out->aqi);
	out->over_limit_mask = 0;
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if (out->valid[p] && out->published[p] > standard->limit_24h[p])
			out->over_limit_mask |= AQ_POLLUTANT_BIT(p);
	out->has_composite = false;
	out->composite = 0.0;
	composite(out, standard);
}

bool aq_pollutant_mask_parse(const char *list, unsigned *mask)
{
	if (list == NULL)
		return false;
	unsigned m = 0;
	const char *s = list;
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		const char *start = s;
		while (*s != '\0' && *s != ',' && !isspace((unsigned char)*s))
			s++;
		size_t len = (size_t)(s - start);
		while (isspace((unsigned char)*s))
			s++;
		if (len == 0 || (*s != ',' && *s != '\0'))
			return false;
		bool found = false;
		for (int p = 0; p < AQ_POLLUTANTS && !found; p++) {
			const char *f = aq_pollutant_field((enum aq_pollutant)p);
			if (strlen(f) == len && memcmp(f, start, len) == 0) {
				if (m & AQ_POLLUTANT_BIT(p))
					return false;
				m |= AQ_POLLUTANT_BIT(p);
				found = true;
			}
		}
		if (!found)
			return false;
		if (*s == '\0')
			break;
		s++; /* the comma */
	}
	*mask = m;
	return true;
}
