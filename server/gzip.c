/* gzip.c — one-shot gzip with zlib, and Accept-Encoding parsing. */
#include "aq_gzip.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

bool aq_gzip(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	*out = NULL;
	/* 16 + MAX_WBITS: a gzip header rather than a raw zlib stream. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	size_t cap = deflateBound(&z, (uLong)len) + 32;
	char *buf = malloc(cap);
	if (!buf) {
		deflateEnd(&z);
		return false;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(buf);
		return false;
	}
	*out = buf;
	*out_len = cap - z.avail_out;
	return true;
}

bool aq_accepts_gzip(const char *value)
{
	if (!value)
		return false;
	for (const char *p = value; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",");
		if (n >= 4 && strncasecmp(p, "gzip", 4) == 0 && (n == 4 || p[4] == ';' || p[4] == ' ')) {
			const char *q = memchr(p, 'q', n);
			/* "gzip;q=0" (or 0.0…) refuses it */
			if (q && q[1] == '=' && strtod(q + 2, NULL) == 0.0)
				return false;
			return true;
		}
		p += n;
	}
	return false;
}
