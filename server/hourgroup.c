/* hourgroup.c — a batch's readings grouped by station-hour (see aq_hourgroup.h). */
#include "aq_hourgroup.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct key {
	int station_id;
	int hour;
	int64_t day;
	size_t at; /* position in the batch: ties keep input order */
};

static int by_key(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	if (x->station_id != y->station_id)
		return (x->station_id > y->station_id) - (x->station_id < y->station_id);
	if (x->day != y->day)
		return (x->day > y->day) - (x->day < y->day);
	if (x->hour != y->hour)
		return (x->hour > y->hour) - (x->hour < y->hour);
	return (x->at > y->at) - (x->at < y->at);
}

static bool same_group(const struct key *a, const struct key *b)
{
	return a->station_id == b->station_id && a->day == b->day && a->hour == b->hour;
}

static void add(struct aq_hour_group *g, const struct aq_reading *r)
{
	if (g->readings == 0 || r->observed_us < g->first_us)
		g->first_us = r->observed_us;
	if (g->readings == 0 || r->observed_us > g->last_us)
		g->last_us = r->observed_us;
	g->readings++;
	for (int p = 0; p < AQ_POLLUTANTS; p++) {
		if (!(r->present & (1u << p)) || r->flag[p] != 'N')
			continue;
		double v = r->value[p];
		if (g->sums.count[p] == 0 || v < g->min[p])
			g->min[p] = v;
		if (g->sums.count[p] == 0 || v > g->max[p])
			g->max[p] = v;
		g->sums.sum[p] += v;
		g->sums.count[p]++;
	}
	if ((r->present & (1u << AQ_F_HUMIDITY)) && r->flag[AQ_F_HUMIDITY] == 'N') {
		g->sums.rh_sum += r->value[AQ_F_HUMIDITY];
		g->sums.rh_count++;
	}
}

long aq_hour_groups(const struct aq_reading *readings, const int *station_ids, const int64_t *days, const int *hours,
		    size_t n, struct aq_hour_group **out)
{
	struct key *keys = malloc((n ? n : 1) * sizeof *keys);
	*out = NULL;
	if (!keys)
		return -1;
	for (size_t i = 0; i < n; i++)
		keys[i] = (struct key){station_ids[i], hours[i], days[i], i};
	/* A batch is mostly one station's readings in time order: already sorted, and checking
	 * costs one pass where qsort's merge sort cost a copy and n log n comparisons. */
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = by_key(&keys[i - 1], &keys[i]) < 0;
	if (!sorted)
		qsort(keys, n, sizeof *keys, by_key);
	size_t groups = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || !same_group(&keys[i - 1], &keys[i]))
			groups++;
	struct aq_hour_group *g = calloc(groups ? groups : 1, sizeof *g);
	if (!g) {
		free(keys);
		return -1;
	}
	long at = -1;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || !same_group(&keys[i - 1], &keys[i])) {
			at++;
			g[at].station_id = keys[i].station_id;
			g[at].day = keys[i].day;
			g[at].hour = keys[i].hour;
		}
		add(&g[at], &readings[keys[i].at]);
	}
	free(keys);
	*out = g;
	return (long)groups;
}
