/* token_cache.c — a small direct-mapped cache of token hash → station. */
#include "aq_token_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 2048

struct entry {
	unsigned char key[32];
	int64_t at_us;
	bool used;
	struct aq_station station;
};

struct aq_token_cache {
	pthread_mutex_t lock;
	uint64_t generation; /* bumped by clear: entries of older generations are stale */
	struct entry slots[SLOTS];
	uint64_t slot_generation[SLOTS];
};

struct aq_token_cache *aq_token_cache_new(void)
{
	struct aq_token_cache *c = calloc(1, sizeof *c);
	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void aq_token_cache_free(struct aq_token_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static size_t slot_of(const unsigned char key[32])
{
	uint32_t h;
	memcpy(&h, key, sizeof h); /* a SHA-256: its first bytes are a good hash already */
	return h % SLOTS;
}

bool aq_token_cache_get(struct aq_token_cache *c, const unsigned char key[32], int64_t now_us, struct aq_station *out)
{
	if (!c)
		return false;
	size_t i = slot_of(key);
	bool hit = false;
	pthread_mutex_lock(&c->lock);
	struct entry *e = &c->slots[i];
	if (e->used && c->slot_generation[i] == c->generation && now_us - e->at_us < AQ_TOKEN_CACHE_TTL_US &&
	    memcmp(e->key, key, 32) == 0) {
		*out = e->station;
		hit = true;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void aq_token_cache_put(struct aq_token_cache *c, const unsigned char key[32], int64_t now_us,
			const struct aq_station *s)
{
	if (!c)
		return;
	size_t i = slot_of(key);
	pthread_mutex_lock(&c->lock);
	struct entry *e = &c->slots[i];
	memcpy(e->key, key, 32);
	e->at_us = now_us;
	e->used = true;
	e->station = *s;
	c->slot_generation[i] = c->generation;
	pthread_mutex_unlock(&c->lock);
}

void aq_token_cache_clear(struct aq_token_cache *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->generation++;
	pthread_mutex_unlock(&c->lock);
}
