/* aq_bulletin_html.h — the bulletin's printable page: the document model (aq_bulletin.h) as one
 * self-contained HTML document (inline CSS with print rules for A4, the map as inline SVG, no
 * script, no external asset), so that the browser's "print" gives the same bulletin as the
 * PDF. Pure: model in, text out. */
#ifndef AQ_BULLETIN_HTML_H
#define AQ_BULLETIN_HTML_H

#include <stddef.h>

#include "aq_bulletin.h"

/* The page of b, malloc'd and NUL-terminated (the caller frees it), *len its length; NULL when
 * memory ran out. */
char *aq_bulletin_html(const struct aq_bulletin *b, size_t *len);

/* Appends s to out HTML-escaped (& < > " '); out remembers a failed allocation (oom). */
struct aq_buf;
void aq_html_escape(struct aq_buf *out, const char *s);

#endif
