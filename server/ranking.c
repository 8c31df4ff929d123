/* ranking.c — daily ranking, interview list and campaign summary (SPEC §4, §6). Orders
 * what the caller hands in; which stations are active, and their values, come from the
 * database layer via aggregate.c. */
#include "aq_ranking.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const metric_names[] = {
	[AQ_METRIC_PM10] = "pm10",
	[AQ_METRIC_PM25] = "pm25",
	[AQ_METRIC_AQI] = "aqi",
	[AQ_METRIC_COMPOSITE] = "composite",
};
#define METRICS ((int)(sizeof(metric_names) / sizeof(metric_names[0])))

const char *aq_metric_name(enum aq_metric m)
{
	return (int)m >= 0 && (int)m < METRICS ? metric_names[m] : NULL;
}

bool aq_metric_from_name(const char *name, enum aq_metric *out)
{
	if (name == NULL)
		return false;
	for (int i = 0; i < METRICS; i++) {
		if (strcmp(name, metric_names[i]) == 0) {
			*out = (enum aq_metric)i;
			return true;
		}
	}
	return false;
}

int aq_metric_decimals(enum aq_metric m)
{
	return m == AQ_METRIC_COMPOSITE ? 2 : 0;
}

static const char *const policy_names[] = {
	[AQ_INSUFFICIENT_SEPARATE] = "separate",
	[AQ_INSUFFICIENT_WORST] = "worst",
};

const char *aq_insufficient_policy_name(enum aq_insufficient_policy p)
{
	return (int)p >= 0 && (int)p < 2 ? policy_names[p] : NULL;
}

bool aq_insufficient_policy_from_name(const char *name, enum aq_insufficient_policy *out)
{
	if (name == NULL)
		return false;
	for (int i = 0; i < 2; i++) {
		if (strcmp(name, policy_names[i]) == 0) {
			*out = (enum aq_insufficient_policy)i;
			return true;
		}
	}
	return false;
}

static const char *const reason_names[] = {
	[AQ_REASON_RANKING] = "ranking",
	[AQ_REASON_INSUFFICIENT_DATA] = "insufficient_data",
};

const char *aq_interview_reason_name(enum aq_interview_reason r)
{
	return (int)r >= 0 && (int)r < 2 ? reason_names[r] : NULL;
}

void aq_metric_value(const struct aq_daily *daily, enum aq_metric m, bool *has, double *value, double *tie,
		     bool *has_tie, int *valid_hours)
{
	enum aq_pollutant tie_p = m == AQ_METRIC_PM10 ? AQ_PM25 : AQ_PM10;
	*has = false;
	*value = 0.0;
	*has_tie = daily->valid[tie_p];
	*tie = *has_tie ? daily->published[tie_p] : 0.0;
	*valid_hours = 0;

	switch (m) {
	case AQ_METRIC_PM10:
	case AQ_METRIC_PM25: {
		enum aq_pollutant p = m == AQ_METRIC_PM10 ? AQ_PM10 : AQ_PM25;
		*has = daily->valid[p];
		*value = *has ? daily->published[p] : 0.0;
		*valid_hours = daily->valid_hours[p];
		break;
	}
	case AQ_METRIC_AQI: {
		*has = daily->aqi.valid;
		*value = *has ? daily->aqi.aqi : 0.0;
		/* The AQI needs every reported pollutant valid, so its completeness is the least
		 * complete reported one's. */
		bool first = true;
		for (int p = 0; p < AQ_POLLUTANTS; p++) {
			if (!(daily->reported_mask & AQ_POLLUTANT_BIT(p)))
				continue;
			if (first || daily->valid_hours[p] < *valid_hours)
				*valid_hours = daily->valid_hours[p];
			first = false;
		}
		break;
	}
	case AQ_METRIC_COMPOSITE: {
		/* The composite needs every masked pollutant, so its completeness is the worst's. */
		bool first = true;
		for (int p = 0; p < AQ_POLLUTANTS; p++) {
			if (!(daily->composite_mask & AQ_POLLUTANT_BIT(p)))
				continue;
			if (first || daily->valid_hours[p] < *valid_hours)
				*valid_hours = daily->valid_hours[p];
			first = false;
		}
		*has = daily->has_composite;
		*value = *has ? daily->composite : 0.0;
		break;
	}
	}
}

/* An entry being sorted. key is the value at the metric's published precision, so values
 * that print the same rank the same even if the caller's doubles differ in the last bit. */
struct item {
	const struct aq_rank_entry *e;
	size_t idx;
	double key;
	double tie;
};

static int cmp_code(const struct item *a, const struct item *b)
{
	int c = strcmp(a->e->code, b->e->code);
	if (c != 0)
		return c;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

static int cmp_valid(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->e->has_tie != b->e->has_tie)
		return a->e->has_tie ? -1 : 1;
	if (a->e->has_tie && a->tie != b->tie)
		return a->tie < b->tie ? -1 : 1;
	return cmp_code(a, b);
}

static int cmp_insufficient_worst(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	if (a->e->valid_hours != b->e->valid_hours)
		return a->e->valid_hours > b->e->valid_hours ? -1 : 1;
	return cmp_code(a, b);
}

static int cmp_by_code(const void *pa, const void *pb)
{
	return cmp_code(pa, pb);
}

static void interview_pick(const struct aq_rank_entry *entries, struct aq_ranking *out, int interview_count,
			   int decimals)
{
	if (interview_count <= 0 || out->n_rows == 0)
		return;
	size_t k = (size_t)interview_count < out->n_rows ? (size_t)interview_count : out->n_rows;
	size_t first = out->n_rows - k;
	int cut_rank = out->rows[first].rank;
	while (first > 0 && out->rows[first - 1].rank == cut_rank)
		first--;
	size_t n = 0;
	for (size_t i = out->n_rows; i-- > first;) {
		const struct aq_rank_row *row = &out->rows[i];
		struct aq_interview_pick *pick = &out->interview[n++];
		pick->entry = row->entry;
		pick->rank = row->rank;
		pick->reason = row->insufficient ? AQ_REASON_INSUFFICIENT_DATA : AQ_REASON_RANKING;
		pick->has_pct = false;
		pick->pct_above_mean = 0.0;
		if (!row->insufficient && out->has_mean && out->district_mean != 0.0) {
			double v = aq_round_half_even(entries[row->entry].value, decimals);
			double pct = (v - out->district_mean) / out->district_mean * 100.0;
			pick->has_pct = true;
			pick->pct_above_mean = aq_round_half_even(pct, 1);
		}
	}
	out->n_interview = n;
}

int aq_ranking_compute(const struct aq_rank_entry *entries, size_t n, enum aq_metric m,
		       enum aq_insufficient_policy policy, int interview_count, struct aq_ranking *out)
{
	struct item *valid = NULL, *insuff = NULL;
	size_t n_valid = 0, n_insuff = 0;
	int decimals = aq_metric_decimals(m);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	valid = calloc(n, sizeof(*valid));
	insuff = calloc(n, sizeof(*insuff));
	out->rows = calloc(n, sizeof(*out->rows));
	out->interview = calloc(n, sizeof(*out->interview));
	if (valid == NULL || insuff == NULL || out->rows == NULL || out->interview == NULL)
		goto out;

	for (size_t i = 0; i < n; i++) {
		const struct aq_rank_entry *e = &entries[i];
		if (e->has_value)
			valid[n_valid++] = (struct item){e, i, aq_round_half_even(e->value, decimals),
							 aq_round_half_even(e->tie, 0)};
		else
			insuff[n_insuff++] = (struct item){e, i, 0.0, 0.0};
	}
	qsort(valid, n_valid, sizeof(*valid), cmp_valid);

	double sum = 0.0;
	for (size_t i = 0; i < n_valid; i++) {
		struct aq_rank_row *row = &out->rows[i];
		row->entry = valid[i].idx;
		row->rank = (i > 0 && valid[i].key == valid[i - 1].key) ? out->rows[i - 1].rank : (int)(i + 1);
		sum += valid[i].key;
	}
	out->n_rows = n_valid;
	if (n_valid > 0) {
		out->has_mean = true;
		out->district_mean = sum / (double)n_valid;
		out->district_mean_published = aq_round_half_even(out->district_mean, decimals);
	}

	if (policy == AQ_INSUFFICIENT_WORST) {
		/* Going offline must never help: the insufficient share the rank after the last
		 * valid station, the more complete ones first. */
		qsort(insuff, n_insuff, sizeof(*insuff), cmp_insufficient_worst);
		for (size_t i = 0; i < n_insuff; i++) {
			struct aq_rank_row *row = &out->rows[out->n_rows++];
			row->entry = insuff[i].idx;
			row->rank = (int)n_valid + 1;
			row->insufficient = true;
		}
	} else if (n_insuff > 0) {
		qsort(insuff, n_insuff, sizeof(*insuff), cmp_by_code);
		out->insufficient = calloc(n_insuff, sizeof(*out->insufficient));
		if (out->insufficient == NULL)
			goto out;
		for (size_t i = 0; i < n_insuff; i++)
			out->insufficient[i] = insuff[i].idx;
		out->n_insufficient = n_insuff;
	}
	out->of = out->n_rows;

	interview_pick(entries, out, interview_count, decimals);
	rc = 0;
out:
	free(insuff);
	free(valid);
	if (rc != 0) {
		aq_ranking_cleanup(out);
		errno = ENOMEM;
	}
	return rc;
}

void aq_ranking_cleanup(struct aq_ranking *r)
{
	if (r == NULL)
		return;
	free(r->interview);
	free(r->insufficient);
	free(r->rows);
	memset(r, 0, sizeof(*r));
}

/* --- campaign summary --- */

struct station_item {
	const struct aq_summary_station *s;
	const char *code; /* NULL when the caller gave no codes */
	size_t idx;
};

static int cmp_station(const void *pa, const void *pb)
{
	const struct station_item *a = pa, *b = pb;
	if (a->s->has_mean != b->s->has_mean)
		return a->s->has_mean ? -1 : 1;
	if (a->s->has_mean && a->s->mean_value != b->s->mean_value)
		return a->s->mean_value < b->s->mean_value ? -1 : 1;
	if (a->code != NULL && b->code != NULL) {
		int c = strcmp(a->code, b->code);
		if (c != 0)
			return c;
	}
	return (a->idx > b->idx) - (a->idx < b->idx);
}

struct interviewed_day {
	size_t station;
	int day;
};

static int cmp_interviewed(const void *pa, const void *pb)
{
	const struct interviewed_day *a = pa, *b = pb;
	if (a->station != b->station)
		return a->station < b->station ? -1 : 1;
	return (a->day > b->day) - (a->day < b->day);
}

/* interview_days and longest_streak from the interviewed station-days, sorted so that each
 * station's days are consecutive and ascending. */
static void streaks(struct interviewed_day *iv, size_t n, struct aq_summary_station *st)
{
	qsort(iv, n, sizeof(*iv), cmp_interviewed);
	int run = 0;
	for (size_t i = 0; i < n; i++) {
		struct aq_summary_station *s = &st[iv[i].station];
		bool same_station = i > 0 && iv[i - 1].station == iv[i].station;
		if (same_station && iv[i - 1].day == iv[i].day)
			continue; /* the same day recorded twice */
		/* (int64) because a gap can be anything two ints apart. */
		if (same_station && (int64_t)iv[i].day - iv[i - 1].day == 1)
			run++;
		else
			run = 1;
		s->interview_days++;
		if (run > s->longest_streak)
			s->longest_streak = run;
	}
}

int aq_summary_compute(const struct aq_summary_day *days, size_t n_days, size_t n_stations, const char *const *codes,
		       enum aq_metric m, struct aq_summary *out)
{
	double *sum = NULL;
	struct interviewed_day *iv = NULL;
	struct station_item *items = NULL;
	size_t n_iv = 0;
	int err = ENOMEM;
	int decimals = aq_metric_decimals(m);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n_days; i++) {
		if (days[i].station >= n_stations) {
			err = EINVAL;
			goto out;
		}
	}
	if (n_stations == 0) {
		rc = 0;
		goto out;
	}

	out->stations = calloc(n_stations, sizeof(*out->stations));
	out->order = calloc(n_stations, sizeof(*out->order));
	sum = calloc(n_stations, sizeof(*sum));
	items = calloc(n_stations, sizeof(*items));
	iv = calloc(n_days > 0 ? n_days : 1, sizeof(*iv));
	if (out->stations == NULL || out->order == NULL || sum == NULL || items == NULL || iv == NULL)
		goto out;
	out->n_stations = n_stations;

	for (size_t i = 0; i < n_days; i++) {
		const struct aq_summary_day *d = &days[i];
		struct aq_summary_station *s = &out->stations[d->station];
		if (d->insufficient)
			s->days_insufficient++;
		if (d->interviewed)
			iv[n_iv++] = (struct interviewed_day){d->station, d->day};
		if (d->has_aqi) {
			s->aqi_days++;
			s->good_days += d->aqi <= 100;
		}
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			s->over_limit_days[p] += (d->over_limit_mask & AQ_POLLUTANT_BIT(p)) != 0;
		if (!d->valid)
			continue;
		s->days_valid++;
		sum[d->station] += d->value;
		if (d->rank > 0) {
			if (s->best_rank == 0 || d->rank < s->best_rank)
				s->best_rank = d->rank;
			if (d->rank > s->worst_rank)
				s->worst_rank = d->rank;
		}
	}
	streaks(iv, n_iv, out->stations);

	for (size_t i = 0; i < n_stations; i++) {
		struct aq_summary_station *s = &out->stations[i];
		if (s->days_valid > 0) {
			s->has_mean = true;
			s->mean_value = aq_round_half_even(sum[i] / s->days_valid, decimals);
		}
		if (s->aqi_days > 0) {
			s->has_good_pct = true;
			s->good_days_pct = aq_round_half_even(100.0 * s->good_days / s->aqi_days, 1);
		}
		items[i] = (struct station_item){s, codes != NULL ? codes[i] : NULL, i};
	}
	qsort(items, n_stations, sizeof(*items), cmp_station);
	for (size_t i = 0; i < n_stations; i++) {
		struct aq_summary_station *s = &out->stations[items[i].idx];
		out->order[i] = items[i].idx;
		if (!s->has_mean)
			continue;
		const struct aq_summary_station *prev = i > 0 ? items[i - 1].s : NULL;
		s->rank = (prev != NULL && prev->has_mean && prev->mean_value == s->mean_value) ? prev->rank
												: (int)(i + 1);
	}

	rc = 0;
out:
	free(items);
	free(iv);
	free(sum);
	if (rc != 0) {
		aq_summary_cleanup(out);
		errno = err;
	}
	return rc;
}

void aq_summary_cleanup(struct aq_summary *s)
{
	if (s == NULL)
		return;
	free(s->order);
	free(s->stations);
	memset(s, 0, sizeof(*s));
}
