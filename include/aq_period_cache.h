/* aq_period_cache.h — every station's daily values of a finalized day, kept in memory for the
 * period rankings (periods.c): a year of 1000 stations is 365,000 station-days, about 250 ms to
 * fetch from the snapshots each time; a finalized day does not change until it is finalized
 * again, so each is read once into a compact block and kept, keyed by its finalization count.
 * Pure (no I/O); thread-safe; blocks are shared by reference count. */
#ifndef AQ_PERIOD_CACHE_H
#define AQ_PERIOD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_aqi.h"

/* One station-day as a period needs it. Published daily values have at most one decimal (CO),
 * so they are kept exactly as tenths: a float would be off by 1e-7 and tip a percentile's
 * half-to-even rounding (CO 6.65 → 6.7 instead of 6.6). */
struct aq_station_daily {
	int station_id;
	uint8_t valid; /* AQ_POLLUTANT_BIT per valid daily value */
	bool has_aqi;
	int16_t aqi;
	int32_t tenths[AQ_POLLUTANTS];
};

/* Every station's values of one day, sorted by station id. */
struct aq_day_block {
	int refs; /* the cache's lock guards it */
	int64_t day;
	int64_t stamp; /* its finalization count; 0: a live day, never kept */
	size_t n;
	struct aq_station_daily rows[];
};

struct aq_period_cache;
struct aq_period_cache *aq_period_cache_new(void);
void aq_period_cache_free(struct aq_period_cache *c);

/* A new block for n stations (refs 1). NULL on ENOMEM. */
struct aq_day_block *aq_day_block_new(int64_t day, size_t n);
/* Sorts the block's rows by station id (after filling them). */
void aq_day_block_sort(struct aq_day_block *b);

/* The kept block of day when its stamp is stamp (a new reference), else NULL. */
struct aq_day_block *aq_period_cache_get(struct aq_period_cache *c, int64_t day, int64_t stamp);
/* Keeps b (a final day's: stamp > 0) in place of what the cache held for its day; the caller
 * keeps its own reference. */
void aq_period_cache_put(struct aq_period_cache *c, struct aq_day_block *b);
/* Gives a reference back. NULL-safe. */
void aq_day_block_release(struct aq_period_cache *c, struct aq_day_block *b);

#endif
