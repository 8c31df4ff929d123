/* aq_etag.h — ETags of reply bodies: a 64-bit FNV-1a hash, quoted. Cheap enough to compute on
 * every rebuilt body, so a poll of unchanged data is answered with 304. */
#ifndef AQ_ETAG_H
#define AQ_ETAG_H

#include <stdbool.h>
#include <stddef.h>

/* W/"<16 hex digits>" and its terminating NUL, with room for a "-gz" suffix. */
#define AQ_ETAG_LEN 28

/* A strong ETag of the bytes: writes "\"<16 hex digits>\"" into buf (24 bytes). */
void aq_etag_of(const char *body, size_t len, char buf[24]);

/* A weak ETag (W/"<16 hex digits>") of what body says, leaving out the string value of its
 * first member called volatile_member (NULL: none) — a "generated_at" that differs between two
 * daemons which built the same ranking from the same data a moment apart. Two such bodies get
 * the same tag, so a client alternating between daemons behind a proxy revalidates with 304;
 * weak, because the bytes differ. The whole body is hashed when the member is absent. */
void aq_etag_content(const char *body, size_t len, const char *volatile_member, char buf[AQ_ETAG_LEN]);

#endif
