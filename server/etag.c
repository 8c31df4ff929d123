/* etag.c — FNV-1a 64-bit over the body (see aq_etag.h). */
#include "aq_etag.h"

#include <stdint.h>
#include <stdio.h>

void aq_etag_of(const char *body, size_t len, char buf[24])
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)body[i];
		h *= 1099511628211ULL;
	}
	snprintf(buf, 24, "\"%016llx\"", (unsigned long long)h);
}
