/* aq_token_cache.h — station tokens recently seen, so a device posting every minute costs one
 * database round trip (its readings) instead of two. An entry lives AQ_TOKEN_CACHE_TTL_US at
 * most; this daemon drops the whole cache whenever a station changes (token rotated, station
 * deactivated or edited), so here a rotated token stops working at once, and another daemon
 * of the same deployment accepts it for at most the TTL. */
#ifndef AQ_TOKEN_CACHE_H
#define AQ_TOKEN_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "aq_station.h"

#define AQ_TOKEN_CACHE_TTL_US (2 * 1000000)

struct aq_token_cache;

struct aq_token_cache *aq_token_cache_new(void);
void aq_token_cache_free(struct aq_token_cache *c);
/* The station of token hash key, if cached and fresh at now_us (monotonic). */
bool aq_token_cache_get(struct aq_token_cache *c, const unsigned char key[32], int64_t now_us, struct aq_station *out);
void aq_token_cache_put(struct aq_token_cache *c, const unsigned char key[32], int64_t now_us,
			const struct aq_station *s);
/* Forgets every entry (a station changed). NULL-safe. */
void aq_token_cache_clear(struct aq_token_cache *c);

#endif
