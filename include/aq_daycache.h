/* aq_daycache.h — the hourly rows of recently read live days, kept with the database snapshot
 * they are current as of, so the next read of the same day fetches only the rows written since
 * (a day's ranking is recomputed on every data change; the fetch of stations × 24 rows was
 * three quarters of its cost). Pure data structure plus a mutex: the DB layer decides what a
 * snapshot marker means (docs/PERFORMANCE.md, "One day's ranking"). */
#ifndef AQ_DAYCACHE_H
#define AQ_DAYCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "aq_aggregate.h"

/* One station's hourly rows of a day. */
struct aq_station_hours {
	int station_id;
	uint32_t present; /* bit h: the row of hour h exists */
	int readings[24];
	struct aq_hour_sums hours[24];
};

/* One hourly row as read from the database. */
struct aq_hour_row {
	int station_id;
	int hour; /* 0..23 */
	int readings;
	struct aq_hour_sums sums;
};

/* A day's rows by ascending station id, and the snapshot marker they are current as of. */
struct aq_day_rows {
	struct aq_station_hours *stations; /* owned */
	size_t n;
	uint64_t marker; /* the reader's snapshot xmin (opaque here) */
	int64_t epoch;	 /* bumped by anything that removes rows: a mismatch = reload */
};

/* Applies rows (any order; hours outside 0..23 are ignored) to *day, adding stations it lacks.
 * Returns 0, or -1 when out of memory (then *day is unchanged). */
int aq_day_rows_merge(struct aq_day_rows *day, const struct aq_hour_row *rows, size_t n);

/* Bytes of one hourly row in a station-day's packed hours (011_hourly_days.sql): hour int2,
 * readings int4, then sum float8 and count int4 of each pollutant and of the humidity, all in
 * network byte order. */
#define AQ_PACKED_HOUR_BYTES (2 + 4 + (AQ_POLLUTANTS + 1) * (8 + 4))

/* Decodes the packed hours of station_id's day (len bytes) into rows[0..24): the rows it holds,
 * as the hourly query would return them. Returns how many, or -1 when len is not a whole
 * number of rows, holds more than 24, or an hour outside 0..23 (then nothing is trusted). */
int aq_day_rows_unpack(int station_id, const unsigned char *packed, size_t len, struct aq_hour_row rows[24]);

/* Appends station_id's packed hours to day, as aq_day_rows_merge of their unpacked rows would
 * (a station without hours is not added), without the rows in between: the first read of a
 * day fills an empty day this way, one station after another in increasing id (the caller
 * has room for day->n + 1 stations in day->stations). Returns how many hours, or -1 when the
 * packed bytes are malformed (aq_day_rows_unpack) or station_id does not follow the last. */
int aq_day_rows_add_packed(struct aq_day_rows *day, int station_id, const unsigned char *packed, size_t len);

/* The station's rows, or NULL. */
const struct aq_station_hours *aq_day_rows_find(const struct aq_day_rows *day, int station_id);

/* Frees day's stations and zeroes it. NULL-safe. */
void aq_day_rows_cleanup(struct aq_day_rows *day);

/* A cache of the rows of the `days` most recently stored days. Thread-safe. */
struct aq_daycache;

struct aq_daycache *aq_daycache_new(size_t days);
void aq_daycache_free(struct aq_daycache *cache);

/* Copies the cached rows of day into *out and returns 1; 0 when day is not cached (*out is
 * zeroed); -1 when out of memory. */
int aq_daycache_get(struct aq_daycache *cache, int64_t day, struct aq_day_rows *out);

/* Stores *rows as day's, taking ownership (*rows is zeroed), unless the cache already holds
 * the day as of a later marker (then *rows is freed). Evicts the least recently stored day. */
void aq_daycache_put(struct aq_daycache *cache, int64_t day, struct aq_day_rows *rows);

/* Forgets every day. */
void aq_daycache_clear(struct aq_daycache *cache);

#endif
