/* bulletin.c — the bulletin's document model (aq_bulletin.h): a built day or a period ranking
 * in, sections of sentences, tables and a map out, in Chinese or English. The rules the
 * bulletin adds — its number, the watermark, the summary sentences, which alerts are "near the
 * national point", the capture rate, the map's projection — live here and nowhere else; the
 * renderers only lay out what this module decided to say. Every text lives in one arena owned
 * by the model. */
#include "aq_bulletin.h"
#include "aq_aqi.h"
#include "aq_clock.h"
#include "aq_time.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- numbering, watermark and the small rules ---- */

int aq_bulletin_day_number(int64_t day, int *year)
{
	int y, m, d;
	aq_civil_from_days(day, &y, &m, &d);
	*year = y;
	return (int)(day - aq_days_from_civil(y, 1, 1)) + 1;
}

int aq_bulletin_month_number(int64_t first_day, int *year)
{
	int y, m, d;
	aq_civil_from_days(first_day, &y, &m, &d);
	*year = y;
	return m;
}

void aq_bulletin_number_text(int year, int number, bool english, char *buf, size_t size)
{
	if (english)
		snprintf(buf, size, "No. %d (%d)", number, year);
	else
		snprintf(buf, size, "〔%d〕第 %d 期", year, number);
}

bool aq_bulletin_watermarked(bool final)
{
	return !final;
}

bool aq_bulletin_change(double now, double before, double *pct)
{
	if (!(before > 0))
		return false;
	*pct = aq_round_half_even((now - before) / before * 100.0, 1);
	if (*pct == 0)
		*pct = 0; /* no "-0.0" */
	return true;
}

double aq_bulletin_capture_rate(int readings, int interval_s, int hours_elapsed)
{
	if (interval_s <= 0 || hours_elapsed <= 0)
		return 0;
	double expected = (double)hours_elapsed * 3600.0 / interval_s;
	double rate = readings / expected * 100.0;
	return aq_round_half_even(rate > 100 ? 100 : rate < 0 ? 0 : rate, 1);
}

int aq_bulletin_hours_over(const int aqi[24])
{
	int n = 0;
	for (int h = 0; h < 24; h++)
		n += aqi[h] > 100;
	return n;
}

/* ---- text cleaning ---- */

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, or 0 when invalid. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	unsigned c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t n;
	uint32_t v, min;
	if ((c & 0xe0) == 0xc0)
		n = 2, v = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 3, v = c & 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		n = 4, v = c & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

char *aq_bulletin_clean_text(const char *s, char *out, size_t size)
{
	size_t o = 0;
	if (!size)
		return out;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);
		const char *put = (const char *)p;
		size_t put_n = n;
		if (n == 0) {
			put = "\xef\xbf\xbd"; /* U+FFFD */
			put_n = 3;
			n = 1;
		} else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029) {
			put = " ";
			put_n = 1;
		}
		if (o + put_n + 1 > size)
			break;
		memcpy(out + o, put, put_n);
		o += put_n;
		p += n;
	}
	out[o] = '\0';
	return out;
}

/* ---- the arena ---- */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct aq_bulletin_arena {
	struct chunk *head;
	bool oom;
};

static void *arena_alloc(struct aq_bulletin *b, size_t n)
{
	struct aq_bulletin_arena *a = b->arena;
	if (!a || a->oom)
		return NULL;
	n = (n + 15) & ~(size_t)15;
	if (!a->head || a->head->cap - a->head->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		struct chunk *c = malloc(sizeof *c + cap);
		if (!c) {
			a->oom = true;
			return NULL;
		}
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	void *p = (char *)a->head->data + a->head->used;
	a->head->used += n;
	memset(p, 0, n);
	return p;
}

__attribute__((format(printf, 2, 3))) static const char *str(struct aq_bulletin *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return "";
	char *p = arena_alloc(b, (size_t)n + 1);
	if (!p)
		return "";
	if ((size_t)n < sizeof small) {
		memcpy(p, small, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return p;
}

/* A name as the model may show it (see aq_bulletin_clean_text); "—" when empty. */
static const char *name(struct aq_bulletin *b, const char *s)
{
	char clean[1024];
	aq_bulletin_clean_text(s, clean, sizeof clean);
	return clean[0] ? str(b, "%s", clean) : "—";
}

/* ---- building blocks ---- */

#define MAX_SECTIONS 12
#define MAX_PARAS 8

static struct aq_bsection *section(struct aq_bulletin *b, const char *id, const char *heading)
{
	if (b->n_sections == MAX_SECTIONS || !b->sections)
		return NULL;
	struct aq_bsection *s = &b->sections[b->n_sections++];
	s->id = id;
	s->heading = heading;
	s->paras = arena_alloc(b, MAX_PARAS * sizeof *s->paras);
	return s;
}

static void para(struct aq_bsection *s, const char *text)
{
	if (s && s->paras && s->n_paras < MAX_PARAS && text && *text)
		s->paras[s->n_paras++] = text;
}

/* A table of n_rows rows under heads (NULL-terminated "text|flags|width" is overkill: three
 * parallel arrays). */
static struct aq_btable *table(struct aq_bulletin *b, size_t n_cols, size_t n_rows, const char *const *heads,
			       const double *widths, const unsigned *flags)
{
	struct aq_btable *t = arena_alloc(b, sizeof *t);
	const char **h = arena_alloc(b, n_cols * sizeof *h);
	double *w = arena_alloc(b, n_cols * sizeof *w);
	unsigned *f = arena_alloc(b, n_cols * sizeof *f);
	const char **cells = arena_alloc(b, (n_rows ? n_rows : 1) * n_cols * sizeof *cells);
	unsigned *rf = arena_alloc(b, (n_rows ? n_rows : 1) * sizeof *rf);
	if (!t || !h || !w || !f || !cells || !rf)
		return NULL;
	double sum = 0;
	for (size_t c = 0; c < n_cols; c++)
		sum += widths[c];
	for (size_t c = 0; c < n_cols; c++) {
		h[c] = heads[c];
		w[c] = widths[c] / sum;
		f[c] = flags ? flags[c] : 0;
	}
	for (size_t i = 0; i < n_rows * n_cols; i++)
		cells[i] = "";
	t->n_cols = n_cols;
	t->n_rows = n_rows;
	t->heads = h;
	t->widths = w;
	t->col_flags = f;
	t->cells = cells;
	t->row_flags = rf;
	return t;
}

static void cell(struct aq_btable *t, size_t row, size_t col, const char *text)
{
	if (t && row < t->n_rows && col < t->n_cols)
		t->cells[row * t->n_cols + col] = text ? text : "";
}

#define L(zh, en) (b->english ? (en) : (zh))

static const char *date_text(struct aq_bulletin *b, int64_t day)
{
	int y, m, d;
	aq_civil_from_days(day, &y, &m, &d);
	return b->english ? str(b, "%04d-%02d-%02d", y, m, d) : str(b, "%d年%d月%d日", y, m, d);
}

static const char *time_text(struct aq_bulletin *b, int64_t us)
{
	char buf[40];
	aq_local_format(us, buf, sizeof buf);
	return str(b, "%s", buf);
}

/* An alert's time as the table shows it: "07:00" on the day, "12-05 22:00" before it. */
static const char *alert_time(struct aq_bulletin *b, int64_t us, int64_t day)
{
	int64_t d;
	int hour, offset;
	aq_local_of(us, &d, &hour, &offset);
	int64_t local_s = (us / 1000000) + offset;
	int minute = (int)(((local_s % 3600) + 3600) % 3600 / 60);
	if (d == day)
		return str(b, "%02d:%02d", hour, minute);
	int y, m, dd;
	aq_civil_from_days(d, &y, &m, &dd);
	return str(b, "%02d-%02d %02d:%02d", m, dd, hour, minute);
}

static const char *metric_label(struct aq_bulletin *b, enum aq_metric m)
{
	switch (m) {
	case AQ_METRIC_PM25: return "PM2.5";
	case AQ_METRIC_AQI: return "AQI";
	case AQ_METRIC_COMPOSITE: return L("综合指数", "composite index");
	default: return "PM10";
	}
}

static const char *metric_unit(enum aq_metric m)
{
	return m == AQ_METRIC_PM10 || m == AQ_METRIC_PM25 ? " µg/m³" : "";
}

static const char *number(struct aq_bulletin *b, double v, int decimals)
{
	return str(b, "%.*f", decimals, v);
}

static const char *signed_pct(struct aq_bulletin *b, double pct)
{
	if (pct == 0)
		return "0.0%";
	return str(b, "%s%.1f%%", pct > 0 ? "+" : "−", fabs(pct));
}

/* "上升 12.3%" / "下降 4.0%" / "持平" (English: "up 12.3%", …). */
static const char *change_words(struct aq_bulletin *b, double pct)
{
	if (pct > 0)
		return str(b, "%s %.1f%%", L("上升", "up"), pct);
	if (pct < 0)
		return str(b, "%s %.1f%%", L("下降", "down"), -pct);
	return L("持平", "unchanged");
}

static const char *status_text(struct aq_bulletin *b, int status)
{
	switch (status) {
	case AQ_IV_INTERVIEWED: return L("已约谈", "interviewed");
	case AQ_IV_RECTIFIED: return L("已整改", "rectified");
	default: return L("待约谈", "pending");
	}
}

static const char *alert_type_text(struct aq_bulletin *b, int type)
{
	static const char *const zh[AQ_ALERT_TYPES] = {
		[AQ_ALERT_OFFLINE] = "站点离线",
		[AQ_ALERT_EXCEEDANCE] = "颗粒物超标",
		[AQ_ALERT_SPIKE] = "浓度突升",
		[AQ_ALERT_FLATLINE] = "数据恒值",
		[AQ_ALERT_INVERSION] = "PM2.5/PM10倒挂",
		[AQ_ALERT_HOTSPOT] = "国控点周边高值",
		[AQ_ALERT_INTERFERENCE] = "疑似人为干扰",
		[AQ_ALERT_NATIONAL_DIVERGENCE] = "国控点数据异常",
		[AQ_ALERT_AUTH_FAILURES] = "设备密码疑遭猜测",
	};
	static const char *const en[AQ_ALERT_TYPES] = {
		[AQ_ALERT_OFFLINE] = "offline",
		[AQ_ALERT_EXCEEDANCE] = "exceedance",
		[AQ_ALERT_SPIKE] = "spike",
		[AQ_ALERT_FLATLINE] = "flatline",
		[AQ_ALERT_INVERSION] = "PM2.5/PM10 inversion",
		[AQ_ALERT_HOTSPOT] = "hotspot near the national point",
		[AQ_ALERT_INTERFERENCE] = "suspected interference",
		[AQ_ALERT_NATIONAL_DIVERGENCE] = "national point divergence",
		[AQ_ALERT_AUTH_FAILURES] = "device password guessing",
	};
	if (type < 0 || type >= AQ_ALERT_TYPES)
		return L("告警", "alert");
	return b->english ? en[type] : zh[type];
}

static const char *severity_text(struct aq_bulletin *b, int severity)
{
	if (severity == AQ_SEV_CRITICAL)
		return L("严重", "critical");
	return severity == AQ_SEV_INFO ? L("提示", "info") : L("警告", "warning");
}

static const char *primary_text(struct aq_bulletin *b, unsigned mask)
{
	char buf[64] = "";
	size_t used = 0;
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if (mask & AQ_POLLUTANT_BIT(p))
			used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", used ? "、" : "",
						 aq_pollutant_label((enum aq_pollutant)p));
	return used ? str(b, "%s", buf) : "—";
}

static int begin(struct aq_bulletin *b, bool english)
{
	memset(b, 0, sizeof *b);
	b->english = english;
	if (!(b->arena = calloc(1, sizeof *b->arena)))
		return -1;
	b->sections = arena_alloc(b, MAX_SECTIONS * sizeof *b->sections);
	b->page_format = L("第 %d 页 / 共 %d 页", "Page %d of %d");
	b->watermark_text = L("未定稿", "DRAFT");
	return b->sections ? 0 : -1;
}

static int finish(struct aq_bulletin *b)
{
	if (b->arena->oom) {
		aq_bulletin_cleanup(b);
		return -1;
	}
	return 0;
}

static const char *issuer_of(struct aq_bulletin *b, const char *issuer, const char *district)
{
	if (issuer && *issuer)
		return name(b, issuer);
	return b->english ? str(b, "%s Bureau of Ecology and Environment", district) : str(b, "%s生态环境局", district);
}

/* ---- the map ---- */

#define KM_PER_DEG (6371.0088 * M_PI / 180.0)
#define NO_VALUE_COLOR "#BBBBBB"

/* The dashboard's map, as data: an equirectangular projection around the mean latitude in
 * km (so a ring of r km is a circle), the bounds widened to take in the rings, a margin, and
 * a landscape shape (web/app.js renderMap does the same). */
static struct aq_bmap *day_map(struct aq_bulletin *b, const struct aq_dayview *v, const struct aq_day_ranking *dr,
			       const struct aq_interview *ivs, size_t n_iv, double radius)
{
	size_t n = 0;
	double lat0 = 0;
	for (size_t i = 0; i < v->n; i++)
		if (v->stations[i].station.active && isfinite(v->stations[i].station.lat) &&
		    isfinite(v->stations[i].station.lon)) {
			lat0 += v->stations[i].station.lat;
			n++;
		}
	if (!n)
		return NULL;
	lat0 /= (double)n;
	struct aq_bmap *m = arena_alloc(b, sizeof *m);
	struct aq_bmap_point *pts = arena_alloc(b, n * sizeof *pts);
	double *xs = arena_alloc(b, n * sizeof *xs), *ys = arena_alloc(b, n * sizeof *ys);
	if (!m || !pts || !xs || !ys)
		return NULL;
	double k = cos(lat0 * M_PI / 180.0);
	double min_x = INFINITY, max_x = -INFINITY, min_y = INFINITY, max_y = -INFINITY;
	size_t j = 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct aq_day_station *s = &v->stations[i];
		if (!s->station.active || !isfinite(s->station.lat) || !isfinite(s->station.lon))
			continue;
		bool national = s->station.kind == AQ_KIND_NATIONAL;
		xs[j] = s->station.lon * k * KM_PER_DEG;
		ys[j] = -s->station.lat * KM_PER_DEG;
		double r = national ? radius : 0;
		min_x = fmin(min_x, xs[j] - r);
		max_x = fmax(max_x, xs[j] + r);
		min_y = fmin(min_y, ys[j] - r);
		max_y = fmax(max_y, ys[j] + r);
		pts[j].label = name(b, s->station.name[0] ? s->station.name : s->station.code);
		pts[j].color = s->daily.aqi.valid && s->daily.aqi.color ? s->daily.aqi.color : NO_VALUE_COLOR;
		pts[j].national = national;
		for (size_t q = 0; q < n_iv; q++)
			if (strcmp(ivs[q].station, s->station.code) == 0)
				pts[j].marked = true;
		j++;
	}
	(void)dr;
	double span_x = fmax(max_x - min_x, 0.5), span_y = fmax(max_y - min_y, 0.5);
	double margin = 0.08 * fmax(span_x, span_y) + 0.3;
	min_x -= margin, max_x = min_x + span_x + 2 * margin;
	min_y -= margin, max_y = min_y + span_y + 2 * margin;
	double w = max_x - min_x, h = max_y - min_y;
	if (h < w * 0.7) {
		min_y -= (w * 0.7 - h) / 2;
		h = w * 0.7;
	}
	if (w < h * 1.15) {
		min_x -= (h * 1.15 - w) / 2;
		w = h * 1.15;
	}
	for (size_t i = 0; i < j; i++) {
		pts[i].x = (xs[i] - min_x) / w;
		pts[i].y = (ys[i] - min_y) / h;
	}
	m->aspect = h / w;
	m->ring = radius / w;
	m->km = 1.0 / w;
	m->points = pts;
	m->n_points = j;
	m->caption =
		b->english ? str(b, "Stations coloured by the day's AQI; dashed circles: %g km around national points",
				 radius)
			   : str(b, "站点按当日 AQI 着色，虚线圆为国控点周边 %g 公里范围", radius);
	m->legend[0] = L("国控点", "national point");
	m->legend[1] = L("微型站", "micro station");
	m->legend[2] = b->english ? str(b, "%g km ring", radius) : str(b, "%g 公里范围", radius);
	m->legend[3] = L("无有效数据", "no valid value");
	return m;
}

/* ---- the day ---- */

/* True when station index i of v is a national point or within radius of one. */
static bool near_national(const struct aq_dayview *v, size_t i, double radius)
{
	const struct aq_station *s = &v->stations[i].station;
	if (s->kind == AQ_KIND_NATIONAL)
		return true;
	for (size_t k = 0; k < v->n; k++) {
		const struct aq_station *n = &v->stations[k].station;
		if (n->kind == AQ_KIND_NATIONAL && n->active &&
		    aq_distance_km(s->lat, s->lon, n->lat, n->lon) <= radius)
			return true;
	}
	return false;
}

static size_t station_index(const struct aq_dayview *v, const char *code)
{
	size_t lo = 0, hi = v->n; /* stations are ordered by code */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(v->stations[mid].station.code, code);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = 0; i < v->n; i++) /* not ordered after all (a test's view) */
		if (strcmp(v->stations[i].station.code, code) == 0)
			return i;
	return SIZE_MAX;
}

/* Is alert a among the day's alerts near a national point? Active at some time of the day
 * (opened before it ended, not resolved before it began) at a station of the view that is a
 * national point or within the radius of one. */
static bool alert_of_day(const struct aq_bulletin_day_in *in, const struct aq_alert *a)
{
	int64_t start = aq_local_midnight(in->view->day), end = aq_local_midnight(in->view->day + 1);
	if (a->opened_us >= end || (a->resolved_us && a->resolved_us < start))
		return false;
	size_t i = station_index(in->view, a->station);
	return i != SIZE_MAX && near_national(in->view, i, in->radius_km);
}

static int cmp_alert_ptr(const void *x, const void *y)
{
	const struct aq_alert *a = *(const struct aq_alert *const *)x, *b = *(const struct aq_alert *const *)y;
	if (a->opened_us != b->opened_us)
		return a->opened_us < b->opened_us ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static void day_summary(struct aq_bulletin *b, const struct aq_bulletin_day_in *in)
{
	const struct aq_dayview *v = in->view;
	const struct aq_day_ranking *dr = in->ranking;
	enum aq_metric m = dr->metric;
	int dec = aq_metric_decimals(m);
	struct aq_bsection *s = section(b, "summary", L("一、总体情况", "1. Summary"));
	size_t ranked = dr->r.n_rows, insufficient = dr->n_insufficient;
	size_t valid = 0;
	for (size_t r = 0; r < dr->r.n_rows; r++)
		valid += !dr->r.rows[r].insufficient;
	if (b->english)
		para(s,
		     str(b, "On %s, %zu micro stations were ranked by %s; %zu had insufficient data%s.", b->date_text,
			 valid, metric_label(b, m), insufficient,
			 ranked > valid ? " (ranked last under the insufficient-data rule)" : " and were not ranked"));
	else
		para(s, str(b, "%s，全区 %zu 个微型站参与 %s 排名，%zu 个站点数据不足%s。", b->date_text, valid,
			    metric_label(b, m), insufficient, ranked > valid ? "（按规则排在末位）" : "，未参与排名"));
	if (!dr->r.has_mean) {
		para(s, L("当日无有效排名数据，未能计算全区均值。",
			  "No station had a valid value: there is no district mean."));
	} else {
		double mean = dr->r.district_mean_published, pct;
		const char *unit = metric_unit(m);
		char sentence[768];
		size_t used =
			(size_t)snprintf(sentence, sizeof sentence,
					 b->english ? "The district mean of %s was %.*f%s" : "全区 %s 日均值为 %.*f%s",
					 metric_label(b, m), dec, mean, unit);
		if (in->has_prev && aq_bulletin_change(mean, in->prev_mean, &pct))
			used += b->english ? (size_t)snprintf(sentence + used, sizeof sentence - used,
							      ", %s on the day before (%.*f)", change_words(b, pct),
							      dec, in->prev_mean)
					   : (size_t)snprintf(sentence + used, sizeof sentence - used,
							      "，较前一日（%.*f）%s", dec, in->prev_mean,
							      change_words(b, pct));
		if (used < sizeof sentence && in->has_last_year && aq_bulletin_change(mean, in->last_year_mean, &pct))
			used += b->english ? (size_t)snprintf(sentence + used, sizeof sentence - used,
							      ", %s on the same day last year (%.*f)",
							      change_words(b, pct), dec, in->last_year_mean)
					   : (size_t)snprintf(sentence + used, sizeof sentence - used,
							      "，较去年同日（%.*f）%s", dec, in->last_year_mean,
							      change_words(b, pct));
		if (used < sizeof sentence)
			snprintf(sentence + used, sizeof sentence - used, "%s", L("。", "."));
		para(s, str(b, "%s", sentence));
	}
	if (in->n_interviews) {
		char list[2048];
		size_t used = 0;
		for (size_t i = 0; i < in->n_interviews && used < sizeof list; i++) {
			const struct aq_interview *iv = &in->interviews[i];
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%s（%s）", i ? "、" : "",
						 name(b, iv->name[0] ? iv->name : iv->station), name(b, iv->unit));
		}
		if (b->english)
			para(s, str(b, "Summoned for interview (the bottom %zu): %s.", in->n_interviews, list));
		else
			para(s, str(b, "排名后 %zu 位站点列入约谈名单：%s。", in->n_interviews, list));
	}
	(void)v;
}

static void day_national(struct aq_bulletin *b, const struct aq_bulletin_day_in *in,
			 const struct aq_alert *const *alerts, size_t n_alerts)
{
	const struct aq_dayview *v = in->view;
	struct aq_bsection *s = section(b, "national", L("二、国控点当日情况", "2. The national point"));
	if (!s)
		return;
	static const double w[] = {3, 1, 1.6, 1.6, 1, 1, 1.4};
	static const unsigned f[] = {0, AQ_BCOL_NUM, 0, 0, AQ_BCOL_NUM, AQ_BCOL_NUM, AQ_BCOL_NUM};
	const char *heads[] = {L("国控点", "National point"), "AQI",   L("级别", "Level"),
			       L("首要污染物", "Primary"),    "PM2.5", "PM10",
			       L("超标小时数", "Hours > 100")};
	struct aq_btable *t = table(b, 7, in->n_national, heads, w, f);
	for (size_t i = 0; t && i < in->n_national; i++) {
		if (in->national[i].station >= v->n)
			continue;
		const struct aq_day_station *ds = &v->stations[in->national[i].station];
		const struct aq_daily *d = &ds->daily;
		cell(t, i, 0, name(b, ds->station.name[0] ? ds->station.name : ds->station.code));
		cell(t, i, 1, d->aqi.valid ? str(b, "%d", d->aqi.aqi) : "—");
		cell(t, i, 2, d->aqi.valid ? (b->english ? d->aqi.category_en : d->aqi.category) : "—");
		cell(t, i, 3, d->aqi.valid ? primary_text(b, d->aqi.primary_mask) : "—");
		cell(t, i, 4, d->valid[AQ_PM25] ? number(b, d->published[AQ_PM25], 0) : "—");
		cell(t, i, 5, d->valid[AQ_PM10] ? number(b, d->published[AQ_PM10], 0) : "—");
		cell(t, i, 6, str(b, "%d", aq_bulletin_hours_over(in->national[i].hourly_aqi)));
	}
	s->table = in->n_national ? t : NULL;
	s->empty = L("本区未登记国控点。", "No national point is registered.");
	size_t divergence = 0;
	char list[1536] = "";
	size_t used = 0;
	for (size_t i = 0; i < n_alerts; i++) {
		const struct aq_alert *a = alerts[i];
		if (!a->national || (a->type != AQ_ALERT_NATIONAL_DIVERGENCE && a->type != AQ_ALERT_INTERFERENCE))
			continue;
		divergence++;
		if (used < sizeof list)
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%s %s（%s）", used ? "；" : "",
						 alert_time(b, a->opened_us, v->day), alert_type_text(b, a->type),
						 name(b, a->message));
	}
	if (!in->n_national)
		return;
	if (divergence)
		para(s, b->english ? str(b, "Divergence alerts at the national point that day: %zu — %s.", divergence,
					 list)
				   : str(b, "当日国控点数据异常告警 %zu 条：%s。", divergence, list));
	else
		para(s, L("当日国控点无数据异常（倒挂、干扰）告警。",
			  "No divergence or interference alert at the national point that day."));
}

static void day_ranking(struct aq_bulletin *b, const struct aq_bulletin_day_in *in)
{
	const struct aq_dayview *v = in->view;
	const struct aq_day_ranking *dr = in->ranking;
	enum aq_metric m = dr->metric;
	int dec = aq_metric_decimals(m);
	struct aq_bsection *s = section(b, "ranking", L("三、微型站排名", "3. Ranking of the micro stations"));
	static const double w[] = {0.8, 3, 3, 1.5, 1.3};
	static const unsigned f[] = {AQ_BCOL_NUM, 0, 0, AQ_BCOL_NUM, AQ_BCOL_NUM};
	const char *heads[] = {L("排名", "Rank"), L("站点", "Station"), L("责任单位", "Responsible unit"),
			       str(b, "%s%s", metric_label(b, m), metric_unit(m)), L("较均值", "vs mean")};
	struct aq_btable *t = table(b, 5, dr->r.n_rows, heads, w, f);
	if (!s || !t)
		return;
	for (size_t r = 0; r < dr->r.n_rows; r++) {
		const struct aq_rank_row *row = &dr->r.rows[r];
		const struct aq_day_station *ds = &v->stations[dr->entry_station[row->entry]];
		bool has, has_tie;
		double value, tie;
		int hours;
		aq_metric_value(&ds->daily, m, &has, &value, &tie, &has_tie, &hours);
		cell(t, r, 0, str(b, "%d", row->rank));
		cell(t, r, 1, name(b, ds->station.name[0] ? ds->station.name : ds->station.code));
		cell(t, r, 2, name(b, ds->station.unit));
		cell(t, r, 3, has && !row->insufficient ? number(b, value, dec) : L("数据不足", "insufficient"));
		if (has && !row->insufficient && dr->r.has_mean && dr->r.district_mean != 0) {
			double v2 = aq_round_half_even(value, dec);
			double pct = aq_round_half_even((v2 - dr->r.district_mean) / dr->r.district_mean * 100.0, 1);
			cell(t, r, 4, signed_pct(b, pct));
		} else {
			cell(t, r, 4, "—");
		}
		for (size_t p = 0; p < dr->r.n_interview; p++)
			if (dr->r.interview[p].entry == row->entry)
				t->row_flags[r] |= AQ_BROW_MARK;
	}
	s->table = t;
	s->empty = L("当日无参与排名的站点。", "No station was ranked that day.");
	if (dr->r.n_rows)
		para(s,
		     L("加粗底色行为列入约谈名单的站点；“较均值”为与全区均值之差的百分比。",
		       "Shaded rows are on the interview list; \"vs mean\" is the difference from the district mean in percent."));
}

static void day_interviews(struct aq_bulletin *b, const struct aq_bulletin_day_in *in)
{
	struct aq_bsection *s = section(b, "interviews", L("四、约谈名单", "4. Interview list"));
	static const double w[] = {0.9, 2.6, 2.6, 1.3, 1, 1.1, 1.1};
	static const unsigned f[] = {AQ_BCOL_NUM, 0, 0, 0, AQ_BCOL_NUM, AQ_BCOL_NUM, 0};
	const char *heads[] = {L("排名", "Rank"),      L("站点", "Station"), L("责任单位", "Responsible unit"),
			       L("联系人", "Contact"), L("数值", "Value"),   L("连续天数", "Days in a row"),
			       L("状态", "Status")};
	struct aq_btable *t = table(b, 7, in->n_interviews, heads, w, f);
	if (!s || !t)
		return;
	for (size_t i = 0; i < in->n_interviews; i++) {
		const struct aq_interview *iv = &in->interviews[i];
		enum aq_metric m = AQ_METRIC_PM10;
		aq_metric_from_name(iv->metric, &m);
		bool insufficient = strcmp(iv->reason, "insufficient_data") == 0;
		cell(t, i, 0, insufficient ? L("数据不足", "insufficient") : str(b, "%d/%d", iv->rank, iv->of));
		cell(t, i, 1, name(b, iv->name[0] ? iv->name : iv->station));
		cell(t, i, 2, name(b, iv->unit));
		cell(t, i, 3, name(b, iv->contact_person));
		cell(t, i, 4, iv->has_value ? number(b, iv->value, aq_metric_decimals(m)) : "—");
		cell(t, i, 5, str(b, "%d", iv->consecutive_days));
		cell(t, i, 6, in->view->final ? status_text(b, iv->status) : L("（未定稿）", "(provisional)"));
	}
	s->table = in->n_interviews ? t : NULL;
	s->empty = L("当日无约谈站点。", "Nobody is summoned that day.");
}

static void day_insufficient(struct aq_bulletin *b, const struct aq_bulletin_day_in *in)
{
	const struct aq_dayview *v = in->view;
	const struct aq_day_ranking *dr = in->ranking;
	struct aq_bsection *s = section(b, "insufficient", L("五、数据不足站点", "5. Stations with insufficient data"));
	static const double w[] = {3, 3, 1.3, 1.3, 1.4};
	static const unsigned f[] = {0, 0, AQ_BCOL_NUM, AQ_BCOL_NUM, AQ_BCOL_NUM};
	const char *heads[] = {L("站点", "Station"), L("责任单位", "Responsible unit"), L("有效小时", "Valid hours"),
			       L("数据条数", "Readings"), L("数据捕获率", "Capture rate")};
	struct aq_btable *t = table(b, 5, dr->n_insufficient, heads, w, f);
	if (!s || !t)
		return;
	for (size_t i = 0; i < dr->n_insufficient; i++) {
		size_t e = dr->insufficient[i];
		const struct aq_day_station *ds = &v->stations[dr->entry_station[e]];
		bool has, has_tie;
		double value, tie;
		int hours;
		aq_metric_value(&ds->daily, dr->metric, &has, &value, &tie, &has_tie, &hours);
		cell(t, i, 0, name(b, ds->station.name[0] ? ds->station.name : ds->station.code));
		cell(t, i, 1, name(b, ds->station.unit));
		cell(t, i, 2, str(b, "%d", hours));
		cell(t, i, 3, str(b, "%d", ds->readings));
		cell(t, i, 4,
		     str(b, "%.1f%%",
			 aq_bulletin_capture_rate(ds->readings, ds->station.interval_s, v->hours_elapsed)));
	}
	s->table = dr->n_insufficient ? t : NULL;
	s->empty = L("当日无数据不足站点。", "Every station had enough data.");
	if (dr->n_insufficient)
		para(s, b->english
				? str(b,
				      "Capture rate: readings received over those expected at each station's interval "
				      "(%d hours).",
				      v->hours_elapsed)
				: str(b, "数据捕获率＝实收数据条数÷按上报间隔应收条数（%d 小时）。", v->hours_elapsed));
}

static void day_alerts(struct aq_bulletin *b, const struct aq_bulletin_day_in *in, const struct aq_alert *const *alerts,
		       size_t n)
{
	struct aq_bsection *s =
		section(b, "alerts",
			b->english ? str(b, "6. Alerts within %g km of the national point", in->radius_km)
				   : str(b, "六、国控点周边 %g 公里告警", in->radius_km));
	static const double w[] = {1.3, 2.4, 2, 0.8, 3.8, 1};
	const char *heads[] = {L("发生时间", "Opened"), L("站点", "Station"), L("类型", "Type"),
			       L("级别", "Severity"),	L("说明", "Details"), L("状态", "Status")};
	struct aq_btable *t = table(b, 6, n, heads, w, NULL);
	if (!s || !t)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct aq_alert *a = alerts[i];
		cell(t, i, 0, alert_time(b, a->opened_us, in->view->day));
		cell(t, i, 1, name(b, a->station_name[0] ? a->station_name : a->station));
		cell(t, i, 2, alert_type_text(b, a->type));
		cell(t, i, 3, severity_text(b, a->severity));
		cell(t, i, 4, name(b, a->message));
		cell(t, i, 5,
		     a->status == AQ_AS_RESOLVED       ? L("已解除", "resolved")
		     : a->status == AQ_AS_ACKNOWLEDGED ? L("已确认", "acknowledged")
						       : L("未解除", "open"));
		if (a->severity == AQ_SEV_CRITICAL)
			t->row_flags[i] |= AQ_BROW_MARK;
	}
	s->table = n ? t : NULL;
	s->empty = L("当日国控点周边无告警。", "No alert near the national point that day.");
}

static void day_campaign(struct aq_bulletin *b, const struct aq_bulletin_day_in *in)
{
	const struct aq_summary *sum = in->campaign;
	if (!sum)
		return;
	enum aq_metric m = in->campaign_metric;
	const char *from = date_text(b, in->campaign_from), *to = date_text(b, in->campaign_to);
	struct aq_bsection *s = section(b, "campaign",
					b->english ? str(b, "7. Campaign to date (%s to %s)", from, to)
						   : str(b, "七、攻坚期累计排名（%s至%s）", from, to));
	static const double w[] = {0.8, 3, 3, 1.2, 1, 1, 1};
	static const unsigned f[] = {AQ_BCOL_NUM, 0, 0, AQ_BCOL_NUM, AQ_BCOL_NUM, AQ_BCOL_NUM, AQ_BCOL_NUM};
	const char *heads[] = {L("排名", "Rank"),
			       L("站点", "Station"),
			       L("责任单位", "Responsible unit"),
			       str(b, "%s%s", metric_label(b, m), L("均值", " mean")),
			       L("有效天数", "Valid days"),
			       L("约谈天数", "Interview days"),
			       L("最长连续", "Longest run")};
	struct aq_btable *t = table(b, 7, sum->n_stations, heads, w, f);
	if (!s || !t)
		return;
	for (size_t i = 0; i < sum->n_stations; i++) {
		size_t k = sum->order[i];
		const struct aq_summary_station *ss = &sum->stations[k];
		const struct aq_station *st = &in->campaign_stations[k];
		cell(t, i, 0, ss->rank ? str(b, "%d", ss->rank) : "—");
		cell(t, i, 1, name(b, st->name[0] ? st->name : st->code));
		cell(t, i, 2, name(b, st->unit));
		cell(t, i, 3, ss->has_mean ? number(b, ss->mean_value, aq_metric_decimals(m)) : "—");
		cell(t, i, 4, str(b, "%d", ss->days_valid));
		cell(t, i, 5, str(b, "%d", ss->interview_days));
		cell(t, i, 6, str(b, "%d", ss->longest_streak));
	}
	s->table = sum->n_stations ? t : NULL;
	s->empty = L("窗口内尚无终审日。", "No finalized day in the window yet.");
	para(s, b->english
			? str(b, "Over the %zu finalized days of the window, ranked by the mean of the daily values.",
			      in->campaign_days)
			: str(b, "统计窗口内 %zu 个终审日，按日值均值排名。", in->campaign_days));
}

int aq_bulletin_day(const struct aq_bulletin_day_in *in, struct aq_bulletin *b)
{
	const struct aq_dayview *v = in->view;
	const char *district = in->district && *in->district ? in->district : "本区";
	const struct aq_alert **near = NULL;
	size_t n_near = 0;
	if (begin(b, in->english) != 0) {
		aq_bulletin_cleanup(b);
		return -1;
	}
	int year, num = aq_bulletin_day_number(v->day, &year);
	char number_text[64];
	aq_bulletin_number_text(year, num, b->english, number_text, sizeof number_text);
	const char *d = name(b, district);
	b->title = b->english ? str(b, "%s: daily air-quality ranking of the micro stations", d)
			      : str(b, "%s空气质量微型站日排名通报", d);
	b->date_text = date_text(b, v->day);
	b->issuer = issuer_of(b, in->issuer, d);
	b->number = str(b, "%s", number_text);
	b->watermark = aq_bulletin_watermarked(v->final);
	b->created_us = in->generated_us;
	b->pdf_title = str(b, "%s %s", b->title, b->date_text);

	if (in->n_alerts && !(near = calloc(in->n_alerts, sizeof *near))) {
		aq_bulletin_cleanup(b);
		return -1;
	}
	for (size_t i = 0; i < in->n_alerts; i++)
		if (alert_of_day(in, &in->alerts[i]))
			near[n_near++] = &in->alerts[i];
	if (n_near)
		qsort(near, n_near, sizeof *near, cmp_alert_ptr);

	day_summary(b, in);
	day_national(b, in, near, n_near);
	day_ranking(b, in);
	day_interviews(b, in);
	day_insufficient(b, in);
	day_alerts(b, in, near, n_near);
	day_campaign(b, in);
	struct aq_bsection *s = section(b, "map",
					in->campaign ? L("八、站点分布图", "8. Map of the stations")
						     : L("七、站点分布图", "7. Map of the stations"));
	if (s) {
		s->map = day_map(b, v, in->ranking, in->interviews, in->n_interviews, in->radius_km);
		s->empty = L("无可绘制的站点。", "No station to draw.");
	}
	free(near);

	if (v->final)
		b->footer = b->english ? str(b, "Rule version %s · snapshot generated %s · late readings %d",
					     v->rule_version, time_text(b, in->generated_us), v->late_readings)
				       : str(b, "规则版本：%s；快照生成时间：%s；迟到数据：%d 条", v->rule_version,
					     time_text(b, in->generated_us), v->late_readings);
	else
		b->footer = b->english ? str(b, "Rule version %s · generated %s · provisional: %d hours of the day",
					     v->rule_version, time_text(b, in->generated_us), v->hours_elapsed)
				       : str(b, "规则版本：%s；生成时间：%s；未定稿：当日已过 %d 小时", v->rule_version,
					     time_text(b, in->generated_us), v->hours_elapsed);
	return finish(b);
}

/* ---- the month ---- */

static int period_decimals(enum aq_period_metric m)
{
	switch (m) {
	case AQ_PM_COMPOSITE: return 2;
	case AQ_PM_PM25:
	case AQ_PM_PM10:
	case AQ_PM_AQI: return 0;
	default: return 1; /* the change metrics: percent */
	}
}

static const char *period_metric_label(struct aq_bulletin *b, enum aq_period_metric m)
{
	switch (m) {
	case AQ_PM_COMPOSITE: return L("综合指数", "Composite index");
	case AQ_PM_PM25: return "PM2.5 µg/m³";
	case AQ_PM_PM10: return "PM10 µg/m³";
	case AQ_PM_AQI: return L("AQI 均值", "Mean AQI");
	case AQ_PM_COMPOSITE_CHANGE: return L("综合指数变化率%", "Composite change %");
	case AQ_PM_PM25_CHANGE: return L("PM2.5 变化率%", "PM2.5 change %");
	case AQ_PM_PM10_CHANGE: return L("PM10 变化率%", "PM10 change %");
	default: return L("AQI 变化率%", "AQI change %");
	}
}

static const char *row_name(struct aq_bulletin *b, const struct aq_period_row *row, bool by_unit)
{
	return by_unit ? name(b, row->key) : name(b, row->name[0] ? row->name : row->key);
}

static struct aq_btable *period_table(struct aq_bulletin *b, const struct aq_period_result *r)
{
	bool by_unit = r->query.by_unit;
	enum aq_period_metric m = r->query.metric;
	static const double w[] = {0.8, 3, 3, 1.3, 1, 1, 1.3};
	static const unsigned f[] = {AQ_BCOL_NUM, 0, 0, AQ_BCOL_NUM, AQ_BCOL_NUM, AQ_BCOL_NUM, 0};
	const char *heads[] = {L("排名", "Rank"),
			       by_unit ? L("街道（责任单位）", "Street (unit)") : L("站点", "Station"),
			       by_unit ? L("站点数", "Stations") : L("责任单位", "Responsible unit"),
			       period_metric_label(b, m),
			       "PM2.5",
			       "PM10",
			       L("最大分指数", "Largest")};
	struct aq_btable *t = table(b, 7, r->ranking.n_rows, heads, w, f);
	for (size_t i = 0; t && i < r->ranking.n_rows; i++) {
		const struct aq_rank_row *rr = &r->ranking.rows[i];
		const struct aq_period_row *row = &r->rows[rr->entry];
		cell(t, i, 0, str(b, "%d", rr->rank));
		cell(t, i, 1, row_name(b, row, by_unit));
		cell(t, i, 2, by_unit ? str(b, "%zu", row->n_members) : name(b, row->unit));
		cell(t, i, 3,
		     row->has_metric && !rr->insufficient ? number(b, row->metric_value, period_decimals(m)) : "—");
		cell(t, i, 4, row->value.valid[AQ_PM25] ? number(b, row->value.conc[AQ_PM25], 0) : "—");
		cell(t, i, 5, row->value.valid[AQ_PM10] ? number(b, row->value.conc[AQ_PM10], 0) : "—");
		cell(t, i, 6,
		     row->value.largest >= 0 ? aq_pollutant_label((enum aq_pollutant)row->value.largest) : "—");
		for (size_t p = 0; p < r->ranking.n_interview; p++)
			if (r->ranking.interview[p].entry == rr->entry)
				t->row_flags[i] |= AQ_BROW_MARK;
	}
	return t;
}

int aq_bulletin_month(const struct aq_bulletin_month_in *in, struct aq_bulletin *b)
{
	const struct aq_period_result *r = in->stations;
	const char *district = in->district && *in->district ? in->district : "本区";
	if (begin(b, in->english) != 0) {
		aq_bulletin_cleanup(b);
		return -1;
	}
	int year, num = aq_bulletin_month_number(r->query.from, &year);
	char number_text[64];
	aq_bulletin_number_text(year, num, b->english, number_text, sizeof number_text);
	const char *d = name(b, district);
	int y, mo, dd;
	aq_civil_from_days(r->query.from, &y, &mo, &dd);
	b->title = b->english ? str(b, "%s: monthly air-quality ranking", d) : str(b, "%s空气质量月度排名通报", d);
	b->date_text = b->english ? str(b, "%04d-%02d", y, mo) : str(b, "%d年%d月", y, mo);
	b->issuer = issuer_of(b, in->issuer, d);
	b->number = str(b, "%s", number_text);
	b->watermark = aq_bulletin_watermarked(r->final);
	b->created_us = in->generated_us;
	b->pdf_title = str(b, "%s %s", b->title, b->date_text);
	enum aq_period_metric m = r->query.metric;

	struct aq_bsection *s = section(b, "summary", L("一、总体情况", "1. Summary"));
	size_t valid = 0;
	for (size_t i = 0; i < r->ranking.n_rows; i++)
		valid += !r->ranking.rows[i].insufficient;
	if (b->english)
		para(s,
		     str(b,
			 "In %s (%d days, %d with data), %zu micro stations were ranked by %s; %zu were short of the "
			 "%d valid days a pollutant needs.",
			 b->date_text, r->days, r->days_with_data, valid, period_metric_label(b, m),
			 r->ranking.n_insufficient, r->min_days));
	else
		para(s,
		     str(b,
			 "%s（共 %d 天，有数据 %d 天），全区 %zu 个微型站参与%s排名，%zu 个站点有效天数不足 %d 天未参与排名。",
			 b->date_text, r->days, r->days_with_data, valid, period_metric_label(b, m),
			 r->ranking.n_insufficient, r->min_days));
	if (r->ranking.has_mean)
		para(s, b->english
				? str(b, "The district mean was %.*f.", period_decimals(m),
				      r->ranking.district_mean_published)
				: str(b, "全区均值为 %.*f。", period_decimals(m), r->ranking.district_mean_published));
	if (r->ranking.n_interview) {
		char list[2048];
		size_t used = 0;
		for (size_t i = 0; i < r->ranking.n_interview && used < sizeof list; i++) {
			const struct aq_period_row *row = &r->rows[r->ranking.interview[i].entry];
			used += (size_t)snprintf(list + used, sizeof list - used, "%s%s（%s）", i ? "、" : "",
						 row_name(b, row, r->query.by_unit), name(b, row->unit));
		}
		para(s, b->english ? str(b, "The bottom %zu: %s.", r->ranking.n_interview, list)
				   : str(b, "排名后 %zu 位：%s。", r->ranking.n_interview, list));
	}

	s = section(b, "ranking", L("二、微型站月度排名", "2. Ranking of the micro stations"));
	if (s) {
		s->table = r->ranking.n_rows ? period_table(b, r) : NULL;
		s->empty = L("当月无参与排名的站点。", "No station was ranked that month.");
	}
	if (in->units) {
		s = section(b, "streets", L("三、街道（责任单位）排名", "3. Ranking of the streets"));
		if (s) {
			s->table = in->units->ranking.n_rows ? period_table(b, in->units) : NULL;
			s->empty = L("当月无参与排名的街道。", "No street was ranked that month.");
			para(s, L("街道的日值为其有效站点日值的均值。",
				  "A street's daily value is the mean of its valid stations'."));
		}
	}
	s = section(b, "insufficient",
		    in->units ? L("四、有效天数不足站点", "4. Stations short of valid days")
			      : L("三、有效天数不足站点", "3. Stations short of valid days"));
	static const double w[] = {3, 3, 1.3, 1.3};
	static const unsigned f[] = {0, 0, AQ_BCOL_NUM, AQ_BCOL_NUM};
	const char *heads[] = {L("站点", "Station"), L("责任单位", "Responsible unit"),
			       L("PM2.5 有效天数", "PM2.5 valid days"), L("PM10 有效天数", "PM10 valid days")};
	struct aq_btable *t = table(b, 4, r->ranking.n_insufficient, heads, w, f);
	for (size_t i = 0; s && t && i < r->ranking.n_insufficient; i++) {
		const struct aq_period_row *row = &r->rows[r->ranking.insufficient[i]];
		cell(t, i, 0, row_name(b, row, r->query.by_unit));
		cell(t, i, 1, name(b, row->unit));
		cell(t, i, 2, str(b, "%d", row->value.valid_days[AQ_PM25]));
		cell(t, i, 3, str(b, "%d", row->value.valid_days[AQ_PM10]));
	}
	if (s) {
		s->table = r->ranking.n_insufficient ? t : NULL;
		s->empty = L("无有效天数不足的站点。", "Every station had enough valid days.");
		if (r->ranking.n_insufficient)
			para(s, b->english ? str(b, "A pollutant counts with at least %d valid days (HJ 663).",
						 r->min_days)
					   : str(b, "污染物有效天数须不少于 %d 天（HJ 663）。", r->min_days));
	}
	if (r->from_snapshot)
		b->footer = b->english ? str(b, "Rule version %s · month kept %s · late readings %d", r->rule_version,
					     time_text(b, r->finalized_us), r->late_readings)
				       : str(b, "规则版本：%s；月度快照生成时间：%s；迟到数据：%d 条", r->rule_version,
					     time_text(b, r->finalized_us), r->late_readings);
	else
		b->footer = b->english ? str(b, "Rule version %s · generated %s%s", r->rule_version,
					     time_text(b, in->generated_us), r->final ? "" : " · provisional")
				       : str(b, "规则版本：%s；生成时间：%s%s", r->rule_version,
					     time_text(b, in->generated_us), r->final ? "" : "；未定稿");
	return finish(b);
}

void aq_bulletin_cleanup(struct aq_bulletin *b)
{
	if (!b)
		return;
	if (b->arena) {
		struct chunk *c = b->arena->head;
		while (c) {
			struct chunk *next = c->next;
			free(c);
			c = next;
		}
		free(b->arena);
	}
	memset(b, 0, sizeof *b);
}

const struct aq_bsection *aq_bulletin_section(const struct aq_bulletin *b, const char *id)
{
	for (size_t i = 0; i < b->n_sections; i++)
		if (strcmp(b->sections[i].id, id) == 0)
			return &b->sections[i];
	return NULL;
}
