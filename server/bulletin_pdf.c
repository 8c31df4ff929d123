/* bulletin_pdf.c — the bulletin as an A4 PDF (aq_bulletin_pdf.h), drawn with cairo and laid
 * out with pango into memory.
 *
 * Page numbers say "of N", and N is known only once everything is laid out, so the document
 * is walked twice by the same code: the first walk (measuring) lays out every text and counts
 * the pages, the second (drawing) takes the same layouts back in the same order and draws
 * them — text is shaped once. Tables break between rows and repeat their header on the next
 * page; a section heading is never left alone at the foot of a page. */
#include "aq_bulletin_pdf.h"
#include "aq_clock.h"
#include "aq_time.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A4 in points, and the margins. */
#define PAGE_W 595.276
#define PAGE_H 841.890
#define MARGIN_X 42.0
#define MARGIN_TOP 46.0
#define MARGIN_BOTTOM 54.0
#define CONTENT_W (PAGE_W - 2 * MARGIN_X)
#define BOTTOM (PAGE_H - MARGIN_BOTTOM)
#define PAD 3.0

struct bytes {
	unsigned char *data;
	size_t len, cap;
	bool oom;
};

static cairo_status_t write_bytes(void *closure, const unsigned char *data, unsigned int length)
{
	struct bytes *b = closure;
	if (b->len + length > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 65536;
		while (cap < b->len + length)
			cap *= 2;
		unsigned char *grown = realloc(b->data, cap);
		if (!grown) {
			b->oom = true;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, length);
	b->len += length;
	return CAIRO_STATUS_SUCCESS;
}

struct pdf {
	const struct aq_bulletin *b;
	cairo_t *cr;
	PangoContext *ctx;
	PangoFontDescription *body, *small, *bold_small, *head, *title, *issuer, *mark;
	bool drawing; /* the second walk */
	double y;
	int page;  /* 1-based */
	int pages; /* known in the drawing walk */
	PangoLayout **layouts;
	size_t n_layouts, cap_layouts, next_layout;
	bool oom;
};

/* The layout of the next text: made (and kept) while measuring, taken back while drawing. */
static PangoLayout *text(struct pdf *p, const char *s, const PangoFontDescription *font, double width,
			 PangoAlignment align)
{
	if (p->drawing)
		return p->next_layout < p->n_layouts ? p->layouts[p->next_layout++] : NULL;
	if (p->n_layouts == p->cap_layouts) {
		size_t cap = p->cap_layouts ? p->cap_layouts * 2 : 1024;
		PangoLayout **grown = realloc(p->layouts, cap * sizeof *grown);
		if (!grown) {
			p->oom = true;
			return NULL;
		}
		p->layouts = grown;
		p->cap_layouts = cap;
	}
	PangoLayout *l = pango_layout_new(p->ctx);
	pango_layout_set_font_description(l, font);
	if (width > 0) {
		pango_layout_set_width(l, (int)(width * PANGO_SCALE));
		pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	}
	pango_layout_set_alignment(l, align);
	pango_layout_set_text(l, s ? s : "", -1);
	p->layouts[p->n_layouts++] = l;
	return l;
}

static double height_of(PangoLayout *l)
{
	int w, h;
	if (!l)
		return 0;
	pango_layout_get_size(l, &w, &h);
	return (double)h / PANGO_SCALE;
}

static void show(struct pdf *p, PangoLayout *l, double x, double y)
{
	if (!p->drawing || !l)
		return;
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, l);
}

static void color(struct pdf *p, const char *hex, double alpha)
{
	unsigned v = 0xbbbbbb;
	if (hex && hex[0] == '#' && strlen(hex) == 7)
		sscanf(hex + 1, "%6x", &v);
	cairo_set_source_rgba(p->cr, ((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0, alpha);
}

/* Drawn at the start of every page while drawing: the watermark under everything. */
static void page_start(struct pdf *p)
{
	p->y = MARGIN_TOP;
	if (!p->drawing || !p->b->watermark)
		return;
	cairo_save(p->cr);
	PangoLayout *l = pango_cairo_create_layout(p->cr);
	pango_layout_set_font_description(l, p->mark);
	pango_layout_set_text(l, p->b->watermark_text, -1);
	int w, h;
	pango_layout_get_size(l, &w, &h);
	cairo_translate(p->cr, PAGE_W / 2, PAGE_H / 2);
	cairo_rotate(p->cr, -M_PI / 6);
	cairo_set_source_rgba(p->cr, 0.8, 0, 0, 0.13);
	cairo_move_to(p->cr, -(double)w / PANGO_SCALE / 2, -(double)h / PANGO_SCALE / 2);
	pango_cairo_show_layout(p->cr, l);
	g_object_unref(l);
	cairo_restore(p->cr);
}

/* Ends the page: its number at the foot (drawing), then the next page. */
static void page_end(struct pdf *p, bool last)
{
	if (p->drawing) {
		char label[64];
		snprintf(label, sizeof label, p->b->page_format, p->page, p->pages);
		PangoLayout *l = pango_cairo_create_layout(p->cr);
		pango_layout_set_font_description(l, p->small);
		pango_layout_set_width(l, (int)(CONTENT_W * PANGO_SCALE));
		pango_layout_set_alignment(l, PANGO_ALIGN_CENTER);
		pango_layout_set_text(l, label, -1);
		cairo_set_source_rgb(p->cr, 0.3, 0.3, 0.3);
		cairo_move_to(p->cr, MARGIN_X, PAGE_H - MARGIN_BOTTOM + 18);
		pango_cairo_show_layout(p->cr, l);
		g_object_unref(l);
		cairo_show_page(p->cr);
	}
	if (!last) {
		p->page++;
		page_start(p);
	}
}

/* Room for h more points on this page, or a new page. */
static void need(struct pdf *p, double h)
{
	if (p->y + h > BOTTOM && p->y > MARGIN_TOP)
		page_end(p, false);
}

static void header(struct pdf *p)
{
	const struct aq_bulletin *b = p->b;
	PangoLayout *issuer = text(p, b->issuer, p->issuer, CONTENT_W, PANGO_ALIGN_CENTER);
	PangoLayout *title = text(p, b->title, p->title, CONTENT_W, PANGO_ALIGN_CENTER);
	PangoLayout *number = text(p, b->number, p->body, CONTENT_W / 2, PANGO_ALIGN_LEFT);
	PangoLayout *date = text(p, b->date_text, p->body, CONTENT_W / 2, PANGO_ALIGN_RIGHT);
	if (p->drawing)
		cairo_set_source_rgb(p->cr, 0.8, 0, 0);
	show(p, issuer, MARGIN_X, p->y);
	p->y += height_of(issuer) + 6;
	if (p->drawing)
		cairo_set_source_rgb(p->cr, 0, 0, 0);
	show(p, title, MARGIN_X, p->y);
	p->y += height_of(title) + 6;
	show(p, number, MARGIN_X, p->y);
	show(p, date, MARGIN_X + CONTENT_W / 2, p->y);
	p->y += fmax(height_of(number), height_of(date)) + 4;
	if (p->drawing) {
		cairo_set_source_rgb(p->cr, 0.8, 0, 0);
		cairo_set_line_width(p->cr, 1.5);
		cairo_move_to(p->cr, MARGIN_X, p->y);
		cairo_line_to(p->cr, MARGIN_X + CONTENT_W, p->y);
		cairo_stroke(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
	}
	p->y += 12;
}

static void row_frame(struct pdf *p, const double *xs, size_t n, double y, double h, bool fill_head, bool mark)
{
	if (!p->drawing)
		return;
	cairo_t *cr = p->cr;
	if (fill_head || mark) {
		if (fill_head)
			cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
		else
			cairo_set_source_rgb(cr, 0.99, 0.9, 0.9);
		cairo_rectangle(cr, xs[0], y, xs[n] - xs[0], h);
		cairo_fill(cr);
	}
	cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
	cairo_set_line_width(cr, 0.5);
	cairo_rectangle(cr, xs[0], y, xs[n] - xs[0], h);
	for (size_t c = 1; c < n; c++) {
		cairo_move_to(cr, xs[c], y);
		cairo_line_to(cr, xs[c], y + h);
	}
	cairo_stroke(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
}

static void table_pdf(struct pdf *p, const struct aq_btable *t)
{
	size_t n = t->n_cols;
	double xs[16];
	if (n == 0 || n > 15)
		return;
	xs[0] = MARGIN_X;
	for (size_t c = 0; c < n; c++)
		xs[c + 1] = xs[c] + t->widths[c] * CONTENT_W;
	PangoLayout *heads[16];
	double head_h = 0;
	for (size_t c = 0; c < n; c++) {
		heads[c] = text(p, t->heads[c], p->bold_small, xs[c + 1] - xs[c] - 2 * PAD,
				t->col_flags[c] & AQ_BCOL_NUM ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
		head_h = fmax(head_h, height_of(heads[c]));
	}
	head_h += 2 * PAD;
	bool head_drawn = false;
	for (size_t r = 0; r <= t->n_rows; r++) {
		PangoLayout *cells[16];
		double row_h = 0;
		if (r < t->n_rows) {
			for (size_t c = 0; c < n; c++) {
				cells[c] = text(p, t->cells[r * n + c], p->small, xs[c + 1] - xs[c] - 2 * PAD,
						t->col_flags[c] & AQ_BCOL_NUM ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
				row_h = fmax(row_h, height_of(cells[c]));
			}
			row_h += 2 * PAD;
		}
		/* The header with at least one row under it, on this page or the next; again on
		 * every page the table continues on. */
		if (!head_drawn || p->y + row_h > BOTTOM) {
			need(p, head_drawn ? BOTTOM : head_h + row_h);
			row_frame(p, xs, n, p->y, head_h, true, false);
			for (size_t c = 0; c < n; c++)
				show(p, heads[c], xs[c] + PAD, p->y + PAD);
			p->y += head_h;
			head_drawn = true;
		}
		if (r == t->n_rows)
			break;
		bool mark = t->row_flags[r] & AQ_BROW_MARK;
		row_frame(p, xs, n, p->y, row_h, false, mark);
		for (size_t c = 0; c < n; c++)
			show(p, cells[c], xs[c] + PAD, p->y + PAD);
		p->y += row_h;
	}
	p->y += 6;
}

static void map_pdf(struct pdf *p, const struct aq_bmap *m)
{
	double w = CONTENT_W, h = CONTENT_W * m->aspect;
	if (h > BOTTOM - MARGIN_TOP - 60) { /* a tall map is scaled to fit a page */
		h = BOTTOM - MARGIN_TOP - 60;
		w = h / m->aspect;
	}
	PangoLayout **labels = calloc(m->n_points ? m->n_points : 1, sizeof *labels);
	if (!labels) {
		p->oom = true;
		return;
	}
	for (size_t i = 0; i < m->n_points; i++)
		labels[i] = text(p, m->points[i].label, p->small, 0, PANGO_ALIGN_LEFT);
	PangoLayout *caption = text(p, m->caption, p->small, CONTENT_W, PANGO_ALIGN_LEFT);
	need(p, h + height_of(caption) + 8);
	double x0 = MARGIN_X, y0 = p->y;
	cairo_t *cr = p->cr;
	if (p->drawing) {
		cairo_save(cr);
		cairo_rectangle(cr, x0, y0, w, h);
		cairo_set_source_rgb(cr, 0.97, 0.976, 0.984);
		cairo_fill_preserve(cr);
		cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
		cairo_set_line_width(cr, 0.5);
		cairo_stroke_preserve(cr);
		cairo_clip(cr);
		double dash[] = {6, 4};
		for (size_t i = 0; i < m->n_points; i++) {
			if (!m->points[i].national)
				continue;
			cairo_new_path(cr);
			cairo_arc(cr, x0 + m->points[i].x * w, y0 + m->points[i].y * h, m->ring * w, 0, 2 * M_PI);
			cairo_set_source_rgba(cr, 0, 0.35, 0.78, 0.06);
			cairo_fill_preserve(cr);
			cairo_set_source_rgb(cr, 0.1, 0.37, 0.7);
			cairo_set_dash(cr, dash, 2, 0);
			cairo_set_line_width(cr, 0.8);
			cairo_stroke(cr);
			cairo_set_dash(cr, NULL, 0, 0);
		}
		for (size_t i = 0; i < m->n_points; i++) {
			const struct aq_bmap_point *pt = &m->points[i];
			double x = x0 + pt->x * w, y = y0 + pt->y * h;
			cairo_new_path(cr);
			if (pt->national)
				cairo_rectangle(cr, x - 5, y - 5, 10, 10);
			else
				cairo_arc(cr, x, y, 3.8, 0, 2 * M_PI);
			color(p, pt->color, 1);
			cairo_fill_preserve(cr);
			if (pt->marked)
				cairo_set_source_rgb(cr, 0.8, 0, 0), cairo_set_line_width(cr, 1.6);
			else
				cairo_set_source_rgb(cr, 0.2, 0.2, 0.2), cairo_set_line_width(cr, 0.6);
			cairo_stroke(cr);
			cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
			int lw, lh;
			pango_layout_get_size(labels[i], &lw, &lh);
			/* Right of the mark, or left of it near the right edge. */
			double lx = pt->x > 0.7 ? x - 7 - (double)lw / PANGO_SCALE : x + 7;
			show(p, labels[i], lx, y - height_of(labels[i]) / 2);
		}
		/* 1 km */
		double bar = m->km * w, by = y0 + h - 10;
		cairo_set_source_rgb(cr, 0, 0, 0);
		cairo_set_line_width(cr, 0.8);
		cairo_move_to(cr, x0 + 10, by - 4);
		cairo_line_to(cr, x0 + 10, by);
		cairo_line_to(cr, x0 + 10 + bar, by);
		cairo_line_to(cr, x0 + 10 + bar, by - 4);
		cairo_stroke(cr);
		cairo_restore(cr);
		PangoLayout *km = pango_cairo_create_layout(cr);
		pango_layout_set_font_description(km, p->small);
		pango_layout_set_text(km, "1 km", -1);
		cairo_move_to(cr, x0 + 14 + bar, by - 9);
		pango_cairo_show_layout(cr, km);
		g_object_unref(km);
	}
	free(labels);
	p->y += h + 4;
	show(p, caption, MARGIN_X, p->y);
	p->y += height_of(caption) + 6;
}

static void section_pdf(struct pdf *p, const struct aq_bsection *s)
{
	PangoLayout *h = text(p, s->heading, p->head, CONTENT_W, PANGO_ALIGN_LEFT);
	PangoLayout *first = NULL;
	/* A heading keeps its first line of content with it. */
	need(p, height_of(h) + 40);
	if (p->drawing) {
		cairo_set_source_rgb(p->cr, 0.8, 0, 0);
		cairo_rectangle(p->cr, MARGIN_X, p->y + 2, 3, height_of(h) - 4);
		cairo_fill(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
	}
	show(p, h, MARGIN_X + 7, p->y);
	p->y += height_of(h) + 4;
	for (size_t i = 0; i < s->n_paras; i++) {
		PangoLayout *l = text(p, s->paras[i], p->body, CONTENT_W, PANGO_ALIGN_LEFT);
		if (!first)
			first = l;
		need(p, height_of(l));
		show(p, l, MARGIN_X, p->y);
		p->y += height_of(l) + 3;
	}
	if (s->table)
		table_pdf(p, s->table);
	if (s->map)
		map_pdf(p, s->map);
	if (!s->table && !s->map && s->empty) {
		PangoLayout *l = text(p, s->empty, p->body, CONTENT_W, PANGO_ALIGN_LEFT);
		need(p, height_of(l));
		if (p->drawing)
			cairo_set_source_rgb(p->cr, 0.35, 0.35, 0.35);
		show(p, l, MARGIN_X, p->y);
		if (p->drawing)
			cairo_set_source_rgb(p->cr, 0, 0, 0);
		p->y += height_of(l) + 3;
	}
	p->y += 8;
}

static void footer(struct pdf *p)
{
	PangoLayout *l = text(p, p->b->footer, p->small, CONTENT_W, PANGO_ALIGN_LEFT);
	need(p, height_of(l) + 8);
	if (p->drawing) {
		cairo_set_source_rgb(p->cr, 0.55, 0.55, 0.55);
		cairo_set_line_width(p->cr, 0.5);
		cairo_move_to(p->cr, MARGIN_X, p->y);
		cairo_line_to(p->cr, MARGIN_X + CONTENT_W, p->y);
		cairo_stroke(p->cr);
		cairo_set_source_rgb(p->cr, 0.2, 0.2, 0.2);
	}
	p->y += 4;
	show(p, l, MARGIN_X, p->y);
	p->y += height_of(l);
}

/* One walk over the document. */
static void walk(struct pdf *p)
{
	p->page = 1;
	p->next_layout = 0;
	page_start(p);
	header(p);
	for (size_t i = 0; i < p->b->n_sections; i++)
		section_pdf(p, &p->b->sections[i]);
	footer(p);
	page_end(p, true);
}

struct aq_pdf_fonts {
	pthread_mutex_t lock;
	PangoFontMap *map;
};

struct aq_pdf_fonts *aq_pdf_fonts_new(void)
{
	struct aq_pdf_fonts *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	if (!(f->map = pango_cairo_font_map_new())) {
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

void aq_pdf_fonts_free(struct aq_pdf_fonts *f)
{
	if (!f)
		return;
	g_object_unref(f->map);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* The model's creation time as the PDF date cairo takes ("YYYY-MM-DDThh:mm:ss+hh:mm"). */
static void create_date(int64_t us, char *buf, size_t size)
{
	int offset;
	aq_local_of(us, NULL, NULL, &offset);
	aq_time_format(us - (us % 1000000), offset, buf, size);
}

static PangoFontDescription *font(const char *size, bool bold)
{
	char spec[256];
	snprintf(spec, sizeof spec, "%s %s%s", AQ_BULLETIN_FONTS, bold ? "Bold " : "", size);
	return pango_font_description_from_string(spec);
}

static enum aq_status render(const struct aq_bulletin *b, PangoFontMap *map, unsigned char **pdf, size_t *len,
			     int *pages);

enum aq_status aq_bulletin_pdf(const struct aq_bulletin *b, struct aq_pdf_fonts *fonts, unsigned char **pdf,
			       size_t *len, int *pages)
{
	if (!fonts)
		return render(b, NULL, pdf, len, pages);
	pthread_mutex_lock(&fonts->lock);
	enum aq_status st = render(b, fonts->map, pdf, len, pages);
	pthread_mutex_unlock(&fonts->lock);
	return st;
}

static enum aq_status render(const struct aq_bulletin *b, PangoFontMap *map, unsigned char **pdf, size_t *len,
			     int *pages)
{
	struct bytes out = {0};
	struct pdf p = {.b = b};
	enum aq_status st = AQ_ERR_INTERNAL;
	*pdf = NULL;
	*len = 0;
	*pages = 0;
	cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(write_bytes, &out, PAGE_W, PAGE_H);
	if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
		goto out;
	char date[48];
	create_date(b->created_us, date, sizeof date);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, date);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_MOD_DATE, date);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, b->pdf_title ? b->pdf_title : "");
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, b->issuer ? b->issuer : "");
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "aqrankd " AQ_VERSION);
	p.cr = cairo_create(surface);
	if (cairo_status(p.cr) != CAIRO_STATUS_SUCCESS)
		goto out;
	if (map) {
		p.ctx = pango_font_map_create_context(map);
		pango_cairo_update_context(p.cr, p.ctx);
	} else {
		p.ctx = pango_cairo_create_context(p.cr);
	}
	/* Metrics unhinted: the layout is the same whatever the device would hint. */
	cairo_font_options_t *fo = cairo_font_options_create();
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(p.ctx, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_language(p.ctx, pango_language_from_string(b->english ? "en" : "zh-cn"));
	p.body = font("10", false);
	p.small = font("8.5", false);
	p.bold_small = font("8.5", true);
	p.head = font("12", true);
	p.title = font("15", true);
	p.issuer = font("20", true);
	p.mark = font("110", true);

	walk(&p); /* measuring: lays out, counts pages */
	if (p.oom)
		goto out;
	p.pages = p.page;
	p.drawing = true;
	walk(&p);
	cairo_surface_finish(surface);
	if (p.oom || out.oom || cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
		goto out;
	*pdf = out.data;
	*len = out.len;
	*pages = p.pages;
	out.data = NULL;
	st = AQ_OK;
out:
	for (size_t i = 0; i < p.n_layouts; i++)
		g_object_unref(p.layouts[i]);
	free(p.layouts);
	PangoFontDescription *fonts[] = {p.body, p.small, p.bold_small, p.head, p.title, p.issuer, p.mark};
	for (size_t i = 0; i < sizeof fonts / sizeof fonts[0]; i++)
		if (fonts[i])
			pango_font_description_free(fonts[i]);
	if (p.ctx)
		g_object_unref(p.ctx);
	if (p.cr)
		cairo_destroy(p.cr);
	cairo_surface_destroy(surface);
	free(out.data);
	return st;
}
