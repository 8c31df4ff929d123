/* aq_etag.h — strong ETags of reply bodies: a 64-bit FNV-1a hash, quoted. Cheap enough to
 * compute on every rebuilt body, so a poll of unchanged data is answered with 304. */
#ifndef AQ_ETAG_H
#define AQ_ETAG_H

#include <stddef.h>

/* Writes "\"<16 hex digits>\"" into buf (24 bytes). */
void aq_etag_of(const char *body, size_t len, char buf[24]);

#endif
