/* period_cache.c — the finalized days' values the period rankings read (aq_period_cache.h). */
#include "aq_period_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* 800 slots, one per day modulo 800: a year and its baseline year always fit. */
#define CACHE_DAYS 800

struct aq_period_cache {
	pthread_mutex_t lock;
	struct aq_day_block *slots[CACHE_DAYS];
};

struct aq_period_cache *aq_period_cache_new(void)
{
	struct aq_period_cache *c = calloc(1, sizeof *c);
	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void aq_period_cache_free(struct aq_period_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < CACHE_DAYS; i++)
		free(c->slots[i]);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct aq_day_block *aq_day_block_new(int64_t day, size_t n)
{
	struct aq_day_block *b = malloc(sizeof *b + (n ? n : 1) * sizeof b->rows[0]);
	if (b)
		*b = (struct aq_day_block){.refs = 1, .day = day};
	return b;
}

static int by_station_id(const void *a, const void *b)
{
	const struct aq_station_daily *x = a, *y = b;
	return (x->station_id > y->station_id) - (x->station_id < y->station_id);
}

void aq_day_block_sort(struct aq_day_block *b)
{
	qsort(b->rows, b->n, sizeof b->rows[0], by_station_id);
}

static size_t slot_of(int64_t day)
{
	return (size_t)(((day % CACHE_DAYS) + CACHE_DAYS) % CACHE_DAYS);
}

struct aq_day_block *aq_period_cache_get(struct aq_period_cache *c, int64_t day, int64_t stamp)
{
	pthread_mutex_lock(&c->lock);
	struct aq_day_block *hit = c->slots[slot_of(day)];
	if (hit && (hit->day != day || stamp <= 0 || hit->stamp != stamp))
		hit = NULL;
	if (hit)
		hit->refs++;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void aq_period_cache_put(struct aq_period_cache *c, struct aq_day_block *b)
{
	if (b->stamp <= 0)
		return;
	pthread_mutex_lock(&c->lock);
	size_t slot = slot_of(b->day);
	struct aq_day_block *old = c->slots[slot];
	c->slots[slot] = b;
	b->refs++;
	bool free_old = old && --old->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (free_old)
		free(old);
}

void aq_day_block_release(struct aq_period_cache *c, struct aq_day_block *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&c->lock);
	bool last = --b->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (last)
		free(b);
}
