/* aq_gzip.h — gzip of reply bodies (zlib). Dashboards poll the same ranking all day; a cached
 * body compressed once is a tenth of the bytes on every poll. */
#ifndef AQ_GZIP_H
#define AQ_GZIP_H

#include <stdbool.h>
#include <stddef.h>

/* Compresses in into a malloc'd gzip stream *out of *out_len bytes. False on failure. */
bool aq_gzip(const char *in, size_t len, char **out, size_t *out_len);
/* True when an Accept-Encoding header value accepts gzip (not "gzip;q=0"). NULL-safe. */
bool aq_accepts_gzip(const char *accept_encoding);

#endif
