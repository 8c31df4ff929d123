/* ratelimit.c — token buckets in a fixed, mutex-guarded table, keyed by 32 bytes (a token's
 * hash, or a client address). */
#include "aq_ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096

struct bucket {
	unsigned char key[32];
	bool used;
	double tokens;
	int64_t last_us;
};

struct aq_ratelimit {
	double rate;
	double burst;
	pthread_mutex_t lock;
	struct bucket slots[SLOTS];
};

struct aq_ratelimit *aq_ratelimit_new(double rate, int burst)
{
	struct aq_ratelimit *rl = calloc(1, sizeof *rl);
	if (!rl)
		return NULL;
	rl->rate = rate;
	rl->burst = burst > 0 ? burst : 1;
	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void aq_ratelimit_free(struct aq_ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* Under lock: key's bucket, or NULL when it has none and !create. */
static struct bucket *find(struct aq_ratelimit *rl, const unsigned char key[32], int64_t now_us, bool create)
{
	/* The key's first bytes are already a good hash (a SHA-256, or aq_addr_key_bytes). Probe
	 * 8 slots; reuse the stalest when none matches. */
	uint32_t h;
	memcpy(&h, key, sizeof h);
	struct bucket *b = NULL, *empty = NULL, *stalest = NULL;
	for (int i = 0; i < 8 && !b; i++) {
		struct bucket *s = &rl->slots[(h + (uint32_t)i) % SLOTS];
		if (s->used && memcmp(s->key, key, 32) == 0)
			b = s;
		else if (!s->used && !empty)
			empty = s;
		else if (s->used && (!stalest || s->last_us < stalest->last_us))
			stalest = s;
	}
	if (!b && create) {
		b = empty ? empty : stalest;
		memcpy(b->key, key, 32);
		b->used = true;
		b->tokens = rl->burst;
		b->last_us = now_us;
	}
	if (b) {
		double elapsed = (double)(now_us - b->last_us) / 1e6;
		if (elapsed > 0)
			b->tokens = fmin(rl->burst, b->tokens + elapsed * rl->rate);
		b->last_us = now_us;
	}
	return b;
}

bool aq_ratelimit_peek(struct aq_ratelimit *rl, const unsigned char key[32], int64_t now_us, int *retry_after_s)
{
	if (!rl || rl->rate <= 0)
		return true;
	pthread_mutex_lock(&rl->lock);
	struct bucket *b = find(rl, key, now_us, false);
	bool ok = !b || b->tokens >= 1.0;
	if (!ok && retry_after_s)
		*retry_after_s = (int)ceil((1.0 - b->tokens) / rl->rate);
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

bool aq_ratelimit_take(struct aq_ratelimit *rl, const unsigned char key[32], int64_t now_us, int *retry_after_s)
{
	if (!rl || rl->rate <= 0)
		return true;
	pthread_mutex_lock(&rl->lock);
	struct bucket *b = find(rl, key, now_us, true);
	bool ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	else if (retry_after_s)
		*retry_after_s = (int)ceil((1.0 - b->tokens) / rl->rate);
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
