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

/* A font map shared by the renderings of a daemon: fonts are found and loaded once, not once
 * per HTTP thread (pango's default map is per thread, and loading the CJK face is most of a
 * cold rendering). Renderings that share it run one at a time. */
struct aq_pdf_fonts;
struct aq_pdf_fonts *aq_pdf_fonts_new(void);
void aq_pdf_fonts_free(struct aq_pdf_fonts *fonts);

/* Renders b with fonts (NULL: the calling thread's default font map). *pdf is malloc'd (the caller frees it), *len its size, *pages the page count.
 * AQ_ERR_INTERNAL when cairo fails or memory runs out (nothing is returned then). */
enum aq_status aq_bulletin_pdf(const struct aq_bulletin *b, struct aq_pdf_fonts *fonts, unsigned char **pdf,
			       size_t *len, int *pages);

#endif
