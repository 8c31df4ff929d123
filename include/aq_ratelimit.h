/* aq_ratelimit.h — a token bucket per bearer token (AQRANK_RATE_LIMIT requests per second,
 * AQRANK_RATE_BURST above it): one misbehaving device or script cannot starve the others. The
 * same buckets, keyed by client address, count failed authentications (AQRANK_AUTH_FAIL_LIMIT).
 * Buckets live in a fixed table keyed by the token's hash; the least recently used bucket is
 * recycled, so memory stays bounded whatever the number of tokens. */
#ifndef AQ_RATELIMIT_H
#define AQ_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct aq_ratelimit;

/* New limiter; rate ≤ 0 means no limit (aq_ratelimit_take always succeeds). */
struct aq_ratelimit *aq_ratelimit_new(double rate, int burst);
void aq_ratelimit_free(struct aq_ratelimit *rl);

/* Takes one request for the token whose hash is key (32 bytes) at now_us (monotonic). False
 * when the bucket is empty; then *retry_after_s says when one request will be allowed. */
bool aq_ratelimit_take(struct aq_ratelimit *rl, const unsigned char key[32], int64_t now_us, int *retry_after_s);
/* True when key's bucket holds a whole request at now_us (a key never seen does), without
 * taking it; otherwise *retry_after_s says when it will. For limits that count failures:
 * peek before the attempt, take when it failed. */
bool aq_ratelimit_peek(struct aq_ratelimit *rl, const unsigned char key[32], int64_t now_us, int *retry_after_s);

#endif
