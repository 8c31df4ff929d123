/* bulletin_html.c — the bulletin's printable page (aq_bulletin_html.h): the model's sections in
 * order as HTML, with an inline style sheet that prints on A4 (tables keep their header on
 * each page, rows do not split, the watermark repeats on every page) and the map as inline
 * SVG. Everything taken from the model is escaped; the page runs no script. */
#include "aq_bulletin_html.h"
#include "aq_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void aq_html_escape(struct aq_buf *out, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		aq_buf_add(out, run, (size_t)(s - run));
		aq_buf_str(out, rep);
		run = s + 1;
	}
	aq_buf_add(out, run, (size_t)(s - run));
}

__attribute__((format(printf, 2, 3))) static void addf(struct aq_buf *out, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		aq_buf_add(out, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void esc(struct aq_buf *out, const char *s)
{
	aq_html_escape(out, s ? s : "");
}

/* A colour from the model is "#RRGGBB"; anything else is drawn grey. */
static const char *safe_color(const char *c)
{
	if (!c || strlen(c) != 7 || c[0] != '#' || strspn(c + 1, "0123456789abcdefABCDEF") != 6)
		return "#BBBBBB";
	return c;
}

static const char style[] =
	"<style>\n"
	"@page{size:A4;margin:16mm 14mm 18mm 14mm}\n"
	"html{font-family:\"Noto Sans CJK SC\",\"Noto Sans SC\",\"WenQuanYi Micro Hei\",\"Microsoft YaHei\","
	"\"PingFang SC\",sans-serif;font-size:10.5pt;color:#111;background:#fff}\n"
	"body{margin:0 auto;max-width:182mm;padding:8mm 0}\n"
	"header.head{text-align:center;border-bottom:2px solid #c00;padding-bottom:4mm;margin-bottom:5mm}\n"
	"header.head .issuer{color:#c00;font-size:20pt;font-weight:700;letter-spacing:.1em}\n"
	"header.head h1{font-size:16pt;margin:3mm 0 1mm}\n"
	"header.head .meta{display:flex;justify-content:space-between;font-size:10pt}\n"
	"section{margin:0 0 5mm}\n"
	"section h2{font-size:12pt;margin:0 0 2mm;border-left:4px solid #c00;padding-left:2mm}\n"
	"section p{margin:0 0 1.5mm;line-height:1.6;text-align:justify}\n"
	"table{width:100%;border-collapse:collapse;font-size:9pt;margin:1mm 0 2mm}\n"
	"th,td{border:1px solid #999;padding:1mm 1.5mm;vertical-align:top;overflow-wrap:anywhere}\n"
	"th{background:#eee;font-weight:700}\n"
	"td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
	"tr.mark td{background:#fde7e7;font-weight:700}\n"
	"thead{display:table-header-group}\n"
	"tr{break-inside:avoid;page-break-inside:avoid}\n"
	"h2{break-after:avoid;page-break-after:avoid}\n"
	".empty{color:#555}\n"
	"figure{margin:0}figure svg{width:100%;height:auto;border:1px solid #999}\n"
	"figcaption{font-size:9pt;color:#333;margin-top:1mm}\n"
	".legend{display:flex;gap:5mm;font-size:9pt;list-style:none;padding:0;margin:1mm 0}\n"
	"footer.foot{border-top:1px solid #999;margin-top:6mm;padding-top:2mm;font-size:8.5pt;color:#333}\n"
	".watermark{position:fixed;top:40%;left:0;right:0;text-align:center;font-size:96pt;font-weight:700;"
	"color:rgba(204,0,0,.13);transform:rotate(-30deg);pointer-events:none;z-index:10}\n"
	"@media print{body{max-width:none;padding:0}section{break-inside:auto}}\n"
	"</style>\n";

static void table_html(struct aq_buf *out, const struct aq_btable *t, const char *caption)
{
	aq_buf_str(out, "<table><caption hidden>");
	esc(out, caption);
	aq_buf_str(out, "</caption><colgroup>");
	for (size_t c = 0; c < t->n_cols; c++)
		addf(out, "<col style=\"width:%.1f%%\">", t->widths[c] * 100);
	aq_buf_str(out, "</colgroup><thead><tr>");
	for (size_t c = 0; c < t->n_cols; c++) {
		aq_buf_str(out, t->col_flags[c] & AQ_BCOL_NUM ? "<th class=\"num\">" : "<th>");
		esc(out, t->heads[c]);
		aq_buf_str(out, "</th>");
	}
	aq_buf_str(out, "</tr></thead><tbody>\n");
	for (size_t r = 0; r < t->n_rows; r++) {
		aq_buf_str(out, t->row_flags[r] & AQ_BROW_MARK ? "<tr class=\"mark\">" : "<tr>");
		for (size_t c = 0; c < t->n_cols; c++) {
			aq_buf_str(out, t->col_flags[c] & AQ_BCOL_NUM ? "<td class=\"num\">" : "<td>");
			esc(out, t->cells[r * t->n_cols + c]);
			aq_buf_str(out, "</td>");
		}
		aq_buf_str(out, "</tr>\n");
	}
	aq_buf_str(out, "</tbody></table>\n");
}

/* The map as the dashboard draws it: 600 wide, rings under the marks, national points as
 * squares, labels beside the marks, a 1 km scale bar. */
static void map_html(struct aq_buf *out, const struct aq_bmap *m)
{
	const double W = 600, H = 600 * m->aspect;
	addf(out, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" role=\"img\">", W, H);
	addf(out, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#f7f9fb\"/>", W, H);
	for (size_t i = 0; i < m->n_points; i++)
		if (m->points[i].national)
			addf(out,
			     "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"rgba(0,90,200,.06)\" stroke=\"#1a5fb4\" "
			     "stroke-dasharray=\"6 4\"/>",
			     m->points[i].x * W, m->points[i].y * H, m->ring * W);
	for (size_t i = 0; i < m->n_points; i++) {
		const struct aq_bmap_point *p = &m->points[i];
		double x = p->x * W, y = p->y * H;
		if (p->national)
			addf(out,
			     "<rect class=\"national\" x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"16\" fill=\"%s\" stroke=\"#000\"/>",
			     x - 8, y - 8, safe_color(p->color));
		else
			addf(out,
			     "<circle class=\"station\" cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"%s\" stroke=\"%s\" stroke-width=\"%s\"/>",
			     x, y, safe_color(p->color), p->marked ? "#c00" : "#333", p->marked ? "2.5" : "1");
		/* Right of the mark, or left of it near the right edge. */
		addf(out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\"%s>", p->x > 0.7 ? x - 10 : x + 10, y + 4,
		     p->national ? 13 : 11, p->x > 0.7 ? " text-anchor=\"end\"" : "");
		esc(out, p->label);
		aq_buf_str(out, "</text>");
	}
	double bar = m->km * W;
	addf(out,
	     "<path d=\"M14 %.1fv5h%.1fv-5\" fill=\"none\" stroke=\"#000\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">1 km</text>",
	     H - 21, bar, 20 + bar, H - 12);
	aq_buf_str(out, "</svg><figcaption>");
	esc(out, m->caption);
	aq_buf_str(out, "</figcaption><ul class=\"legend\">");
	for (int i = 0; i < 4; i++) {
		aq_buf_str(out, "<li>");
		esc(out, m->legend[i]);
		aq_buf_str(out, "</li>");
	}
	aq_buf_str(out, "</ul></figure>\n");
}

char *aq_bulletin_html(const struct aq_bulletin *b, size_t *len)
{
	struct aq_buf out = {0};
	aq_buf_str(&out, "<!DOCTYPE html>\n<html lang=\"");
	aq_buf_str(&out, b->english ? "en" : "zh-CN");
	aq_buf_str(&out, "\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
			 "<title>");
	esc(&out, b->title);
	aq_buf_str(&out, " ");
	esc(&out, b->date_text);
	aq_buf_str(&out, "</title>\n");
	aq_buf_str(&out, style);
	aq_buf_str(&out, "</head>\n<body");
	if (b->watermark)
		aq_buf_str(&out, " class=\"provisional\"");
	aq_buf_str(&out, ">\n");
	if (b->watermark) {
		aq_buf_str(&out, "<div class=\"watermark\" id=\"watermark\" aria-hidden=\"true\">");
		esc(&out, b->watermark_text);
		aq_buf_str(&out, "</div>\n");
	}
	aq_buf_str(&out, "<header class=\"head\"><div class=\"issuer\" id=\"issuer\">");
	esc(&out, b->issuer);
	aq_buf_str(&out, "</div><h1 id=\"title\">");
	esc(&out, b->title);
	aq_buf_str(&out, "</h1><div class=\"meta\"><span id=\"number\">");
	esc(&out, b->number);
	aq_buf_str(&out, "</span><span id=\"date\">");
	esc(&out, b->date_text);
	aq_buf_str(&out, "</span></div></header>\n");
	for (size_t i = 0; i < b->n_sections; i++) {
		const struct aq_bsection *s = &b->sections[i];
		aq_buf_str(&out, "<section id=\"");
		esc(&out, s->id);
		aq_buf_str(&out, "\"><h2>");
		esc(&out, s->heading);
		aq_buf_str(&out, "</h2>\n");
		for (size_t p = 0; p < s->n_paras; p++) {
			aq_buf_str(&out, "<p>");
			esc(&out, s->paras[p]);
			aq_buf_str(&out, "</p>\n");
		}
		if (s->table)
			table_html(&out, s->table, s->heading);
		if (s->map)
			map_html(&out, s->map);
		if (!s->table && !s->map && s->empty) {
			aq_buf_str(&out, "<p class=\"empty\">");
			esc(&out, s->empty);
			aq_buf_str(&out, "</p>\n");
		}
		aq_buf_str(&out, "</section>\n");
	}
	aq_buf_str(&out, "<footer class=\"foot\" id=\"footer\">");
	esc(&out, b->footer);
	aq_buf_str(&out, "</footer>\n</body></html>\n");
	if (out.oom) {
		aq_buf_free(&out);
		return NULL;
	}
	*len = out.len;
	return aq_buf_take(&out);
}
