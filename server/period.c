/* period.c — a period's official assessment of one subject (aq_period.h). */
#include "aq_period.h"
#include "aq_time.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

double aq_percentile_hj663(const double *sorted, size_t n, double p)
{
	if (n == 0)
		return 0;
	double k = 1.0 + (double)(n - 1) * p / 100.0;
	size_t s = (size_t)floor(k);
	if (s >= n)
		return sorted[n - 1];
	return sorted[s - 1] + (sorted[s] - sorted[s - 1]) * (k - (double)s);
}

int aq_period_min_days(int64_t from, int64_t to)
{
	int fy, fm, fd, ty, tm, td, ny, nm, nd;
	int64_t days = to - from + 1;
	aq_civil_from_days(from, &fy, &fm, &fd);
	aq_civil_from_days(to, &ty, &tm, &td);
	aq_civil_from_days(to + 1, &ny, &nm, &nd);
	bool month_end = nd == 1;
	if (fd == 1 && month_end && fy == ty && fm == tm)
		return fm == 2 ? 25 : 27;
	if (fd == 1 && fm == 1 && month_end && tm == 12 && fy == ty)
		return 324;
	return (int)((days * 324 + 364) / 365);
}

bool aq_weights_parse(const char *text, double weights[AQ_POLLUTANTS])
{
	double w[AQ_POLLUTANTS];
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		w[p] = 1;
	const char *s = text ? text : "";
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		const char *name = s;
		while (*s && *s != ':' && *s != ',')
			s++;
		if (*s != ':')
			return false;
		size_t len = (size_t)(s - name);
		while (len && isspace((unsigned char)name[len - 1]))
			len--;
		int found = -1;
		for (int p = 0; p < AQ_POLLUTANTS && found < 0; p++) {
			const char *f = aq_pollutant_field((enum aq_pollutant)p);
			if (strlen(f) == len && strncmp(f, name, len) == 0)
				found = p;
		}
		char *end;
		double v = strtod(s + 1, &end);
		if (found < 0 || end == s + 1 || !(v > 0 && v <= 100))
			return false;
		w[found] = v;
		s = end;
		while (isspace((unsigned char)*s))
			s++;
		if (*s == ',' && s[1] == '\0')
			return false; /* a trailing comma: a pollutant missing */
		if (*s == ',')
			s++;
		else if (*s)
			return false;
	}
	memcpy(weights, w, sizeof w);
	return true;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The period concentration of pollutant p from its valid daily values: the mean, or for CO
 * the 95th and for O3 the 90th percentile (HJ 663-2013 §5.2), published like a daily value. */
static double period_concentration(enum aq_pollutant p, const double *daily, size_t n)
{
	if (n == 0)
		return 0;
	double v;
	if (p == AQ_CO || p == AQ_O3) {
		double *sorted = malloc(n * sizeof *sorted);
		if (!sorted)
			return 0;
		memcpy(sorted, daily, n * sizeof *sorted);
		qsort(sorted, n, sizeof *sorted, cmp_double);
		v = aq_percentile_hj663(sorted, n, p == AQ_CO ? 95 : 90);
		free(sorted);
	} else {
		double sum = 0;
		for (size_t i = 0; i < n; i++)
			sum += daily[i];
		v = sum / (double)n;
	}
	return aq_round_half_even(v, aq_pollutant_decimals(p));
}

void aq_period_derive(struct aq_period_value *v, const struct aq_period_rules *r)
{
	double sum = 0, heaviest = -1;
	bool complete = (r->composite_mask & AQ_POLLUTANT_ALL_MASK) != 0;
	v->largest = -1;
	for (int i = 0; i < AQ_POLLUTANTS; i++) {
		enum aq_pollutant p = (enum aq_pollutant)i;
		v->valid[p] = v->valid_days[p] > 0 && v->valid_days[p] >= r->min_days;
		v->sub_index[p] = v->valid[p] ? v->conc[p] / r->standard->limit_annual[p] : 0;
		if (!(r->composite_mask & AQ_POLLUTANT_BIT(p)))
			continue;
		if (!v->valid[p]) {
			complete = false;
			continue;
		}
		double weighted = r->weights[p] * v->sub_index[p];
		sum += weighted;
		if (weighted > heaviest) {
			heaviest = weighted;
			v->largest = i;
		}
	}
	v->has_composite = complete;
	v->composite = complete ? aq_round_half_even(sum, 2) : 0;
	if (!complete)
		v->largest = -1;
	v->has_aqi = v->aqi_days > 0 && v->aqi_days >= r->min_days;
}

void aq_period_compute(const struct aq_period_series *s, const struct aq_period_rules *r, struct aq_period_value *out)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < AQ_POLLUTANTS; i++) {
		out->valid_days[i] = (int)s->n[i];
		out->conc[i] = period_concentration((enum aq_pollutant)i, s->daily[i], s->n[i]);
	}
	double aqi_sum = 0;
	for (size_t i = 0; i < s->n_aqi; i++) {
		aqi_sum += s->aqi[i];
		out->good_days += s->aqi[i] <= 100;
	}
	out->aqi_days = (int)s->n_aqi;
	out->aqi_mean = s->n_aqi ? aq_round_half_even(aqi_sum / (double)s->n_aqi, 0) : 0;
	aq_period_derive(out, r);
}

bool aq_period_change(double now, double base, double *pct)
{
	if (!(base > 0))
		return false;
	*pct = aq_round_half_even((now - base) / base * 100.0, 1);
	return true;
}
