/* etag.c — FNV-1a 64-bit over the body (see aq_etag.h). */
#include "aq_etag.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define FNV_OFFSET 1469598103934665603ULL

static uint64_t fnv(uint64_t h, const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void aq_etag_of(const char *body, size_t len, char buf[24])
{
	snprintf(buf, 24, "\"%016llx\"", (unsigned long long)fnv(FNV_OFFSET, body, len));
}

/* The value of the first `"name":"…"` (or `"name": "…"`) in body: its offset and length,
 * quotes included. False when body has none. The value is one of the daemon's own timestamps,
 * so it holds no escaped quote. */
static bool find_member(const char *body, size_t len, const char *name, size_t *off, size_t *n)
{
	char key[64];
	int k = snprintf(key, sizeof key, "\"%s\":", name);
	if (k <= 0 || (size_t)k >= sizeof key)
		return false;
	const char *end = body + len;
	for (const char *p = body; p && (size_t)(end - p) >= (size_t)k; p = memchr(p + 1, '"', (size_t)(end - p - 1))) {
		if (memcmp(p, key, (size_t)k) != 0)
			continue;
		const char *v = p + k;
		while (v < end && *v == ' ')
			v++;
		if (v >= end || *v != '"')
			return false;
		const char *close = memchr(v + 1, '"', (size_t)(end - v - 1));
		if (!close)
			return false;
		*off = (size_t)(v - body);
		*n = (size_t)(close + 1 - v);
		return true;
	}
	return false;
}

void aq_etag_content(const char *body, size_t len, const char *volatile_member, char buf[AQ_ETAG_LEN])
{
	size_t off = 0, n = 0;
	uint64_t h;
	if (volatile_member && len && find_member(body, len, volatile_member, &off, &n))
		h = fnv(fnv(FNV_OFFSET, body, off), body + off + n, len - off - n);
	else
		h = fnv(FNV_OFFSET, body, len);
	snprintf(buf, AQ_ETAG_LEN, "W/\"%016llx\"", (unsigned long long)h);
}
