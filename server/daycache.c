/* daycache.c — hourly rows of recently read days (see aq_daycache.h). */
#include "aq_daycache.h"

#include <endian.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int by_station_id(const void *a, const void *b)
{
	int x = ((const struct aq_station_hours *)a)->station_id;
	int y = ((const struct aq_station_hours *)b)->station_id;
	return (x > y) - (x < y);
}

static struct aq_station_hours *find(const struct aq_day_rows *day, int station_id)
{
	struct aq_station_hours key = {.station_id = station_id};
	return bsearch(&key, day->stations, day->n, sizeof key, by_station_id);
}

const struct aq_station_hours *aq_day_rows_find(const struct aq_day_rows *day, int station_id)
{
	return day->n ? find(day, station_id) : NULL;
}

static bool valid_hour(const struct aq_hour_row *row)
{
	return row->hour >= 0 && row->hour < 24;
}

static int by_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Grows day by the stations of rows it lacks (sorted, once each). 0, or -1 (ENOMEM). */
static int add_stations(struct aq_day_rows *day, const struct aq_hour_row *rows, size_t n)
{
	size_t missing = 0;
	for (size_t i = 0; i < n; i++)
		if (valid_hour(&rows[i]) && !aq_day_rows_find(day, rows[i].station_id))
			missing++;
	if (missing == 0)
		return 0;
	int *ids = malloc(missing * sizeof *ids);
	if (!ids)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (valid_hour(&rows[i]) && !aq_day_rows_find(day, rows[i].station_id))
			ids[k++] = rows[i].station_id;
	qsort(ids, k, sizeof *ids, by_int);
	size_t unique = 0;
	for (size_t i = 0; i < k; i++)
		if (unique == 0 || ids[unique - 1] != ids[i])
			ids[unique++] = ids[i];
	struct aq_station_hours *grown = calloc(day->n + unique, sizeof *grown);
	if (!grown) {
		free(ids);
		return -1;
	}
	if (day->n)
		memcpy(grown, day->stations, day->n * sizeof *grown);
	for (size_t i = 0; i < unique; i++)
		grown[day->n + i].station_id = ids[i];
	free(ids);
	free(day->stations);
	day->stations = grown;
	day->n += unique;
	qsort(day->stations, day->n, sizeof *day->stations, by_station_id);
	return 0;
}

/* One row into its station's hours (a later row of the same hour wins). */
static void put_row(struct aq_station_hours *s, const struct aq_hour_row *row)
{
	s->present |= 1u << row->hour;
	s->readings[row->hour] = row->readings;
	s->hours[row->hour] = row->sums;
}

int aq_day_rows_merge(struct aq_day_rows *day, const struct aq_hour_row *rows, size_t n)
{
	if (add_stations(day, rows, n) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!valid_hour(&rows[i]))
			continue;
		put_row(find(day, rows[i].station_id), &rows[i]);
	}
	return 0;
}

/* Network-order fields of the packed hours, converted on a copy (a byte loop was a tenth of a
 * first read; be*toh is a byte swap on little-endian hosts and nothing on big-endian ones). */
static uint16_t be_uint2(const unsigned char *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof v);
	return be16toh(v);
}

static int32_t be_int4(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return (int32_t)be32toh(v);
}

static double be_float8(const unsigned char *p)
{
	uint64_t bits;
	double d;
	memcpy(&bits, p, sizeof bits);
	bits = be64toh(bits);
	memcpy(&d, &bits, sizeof d); /* the stored IEEE 754 bits, not a conversion */
	return d;
}

int aq_day_rows_unpack(int station_id, const unsigned char *packed, size_t len, struct aq_hour_row rows[24])
{
	if (len % AQ_PACKED_HOUR_BYTES != 0 || len / AQ_PACKED_HOUR_BYTES > 24)
		return -1;
	int n = (int)(len / AQ_PACKED_HOUR_BYTES);
	for (int i = 0; i < n; i++) {
		const unsigned char *p = packed + (size_t)i * AQ_PACKED_HOUR_BYTES;
		struct aq_hour_row *r = &rows[i];
		memset(r, 0, sizeof *r);
		r->station_id = station_id;
		r->hour = (int16_t)be_uint2(p);
		if (r->hour < 0 || r->hour > 23)
			return -1;
		r->readings = be_int4(p + 2);
		p += 6;
		for (int k = 0; k < AQ_POLLUTANTS; k++, p += 12) {
			r->sums.sum[k] = be_float8(p);
			r->sums.count[k] = be_int4(p + 8);
		}
		r->sums.rh_sum = be_float8(p);
		r->sums.rh_count = be_int4(p + 8);
	}
	return n;
}

int aq_day_rows_add_packed(struct aq_day_rows *day, int station_id, const unsigned char *packed, size_t len)
{
	struct aq_hour_row rows[24];
	int n = aq_day_rows_unpack(station_id, packed, len, rows);
	if (n <= 0)
		return n;
	if (day->n && day->stations[day->n - 1].station_id >= station_id)
		return -1;
	struct aq_station_hours *s = &day->stations[day->n++];
	memset(s, 0, sizeof *s);
	s->station_id = station_id;
	for (int i = 0; i < n; i++)
		put_row(s, &rows[i]);
	return n;
}

void aq_day_rows_cleanup(struct aq_day_rows *day)
{
	if (!day)
		return;
	free(day->stations);
	memset(day, 0, sizeof *day);
}

struct slot {
	bool used;
	int64_t day;
	uint64_t stored; /* order of storing, for eviction */
	struct aq_day_rows rows;
};

struct aq_daycache {
	pthread_mutex_t lock;
	size_t n_slots;
	uint64_t clock;
	struct slot slots[];
};

struct aq_daycache *aq_daycache_new(size_t days)
{
	if (days == 0)
		days = 1;
	struct aq_daycache *c = calloc(1, sizeof *c + days * sizeof c->slots[0]);
	if (!c)
		return NULL;
	c->n_slots = days;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void aq_daycache_free(struct aq_daycache *c)
{
	if (!c)
		return;
	aq_daycache_clear(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static struct slot *slot_of(struct aq_daycache *c, int64_t day)
{
	for (size_t i = 0; i < c->n_slots; i++)
		if (c->slots[i].used && c->slots[i].day == day)
			return &c->slots[i];
	return NULL;
}

int aq_daycache_get(struct aq_daycache *c, int64_t day, struct aq_day_rows *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&c->lock);
	struct slot *s = slot_of(c, day);
	int found = s != NULL;
	if (s) {
		*out = s->rows;
		out->stations = malloc((s->rows.n ? s->rows.n : 1) * sizeof *out->stations);
		if (out->stations && s->rows.n)
			memcpy(out->stations, s->rows.stations, s->rows.n * sizeof *out->stations);
	}
	pthread_mutex_unlock(&c->lock);
	if (found && !out->stations) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	return found;
}

void aq_daycache_put(struct aq_daycache *c, int64_t day, struct aq_day_rows *rows)
{
	struct aq_day_rows dropped = {0};
	pthread_mutex_lock(&c->lock);
	struct slot *s = slot_of(c, day);
	if (s && (s->rows.epoch > rows->epoch || (s->rows.epoch == rows->epoch && s->rows.marker > rows->marker))) {
		dropped = *rows; /* a concurrent reader stored a later state */
	} else {
		if (!s) {
			s = &c->slots[0];
			for (size_t i = 0; i < c->n_slots; i++) {
				if (!c->slots[i].used) {
					s = &c->slots[i];
					break;
				}
				if (c->slots[i].stored < s->stored)
					s = &c->slots[i];
			}
		}
		dropped = s->rows;
		s->used = true;
		s->day = day;
		s->stored = ++c->clock;
		s->rows = *rows;
	}
	memset(rows, 0, sizeof *rows);
	pthread_mutex_unlock(&c->lock);
	aq_day_rows_cleanup(&dropped);
}

void aq_daycache_clear(struct aq_daycache *c)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n_slots; i++) {
		aq_day_rows_cleanup(&c->slots[i].rows);
		c->slots[i].used = false;
	}
	pthread_mutex_unlock(&c->lock);
}
