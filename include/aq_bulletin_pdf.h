/* aq_bulletin_pdf.h — the bulletin as an A4 PDF drawn with cairo and pango from the document
 * model (aq_bulletin.h): tables that break across pages with their header repeated, page
 * numbers, the 未定稿 watermark on a provisional bulletin, the map drawn as vectors. No I/O but
 * the cairo surface, which writes into memory.
 *
 * The same model gives the same bytes: the PDF's creation date is the model's created_us (the
 * snapshot's finalization time), and nothing else in cairo's output depends on the clock. */
#ifndef AQ_BULLETIN_PDF_H
#define AQ_BULLETIN_PDF_H

#include <stddef.h>

#include "aq_bulletin.h"
#include "aq_status.h"

/* The font family list the PDF asks fontconfig for (a CJK face first). */
#define AQ_BULLETIN_FONTS "Noto Sans CJK SC, Noto Sans SC, WenQuanYi Micro Hei, Droid Sans Fallback, sans-serif"

/* Renders b. *pdf is malloc'd (the caller frees it), *len its size, *pages the page count.
 * AQ_ERR_INTERNAL when cairo fails or memory runs out (nothing is returned then). */
enum aq_status aq_bulletin_pdf(const struct aq_bulletin *b, unsigned char **pdf, size_t *len, int *pages);

#endif
