/* aq_bulletin.h — the bulletin (通报) as a document model: a day's or a month's ranking turned
 * into what a bureau circulates — title, issuing body and number, summary sentences, the
 * national point's day, the ranking, the interview list, the stations short of data, the
 * alerts near the national point, the campaign's cumulative table, a map and a footer — in
 * Chinese or English. One model, two renderers (bulletin_html.c, bulletin_pdf.c), so the page
 * and the PDF never say different things.
 *
 * Pure: plain structs in (a built day, its neighbours' district means, the alerts, a campaign
 * summary; or a period ranking), a model out. No I/O, no clock (the caller passes the times).
 * Every text of the model is valid UTF-8 without control characters, whatever the station
 * names held (invalid bytes become U+FFFD), so the renderers can trust it. */
#ifndef AQ_BULLETIN_H
#define AQ_BULLETIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aq_alert.h"
#include "aq_dayview.h"
#include "aq_interview.h"
#include "aq_periods.h"
#include "aq_ranking.h"
#include "aq_station.h"

/* ---- numbering and the watermark rule ---- */

/* The number of a day's bulletin: its day of the year (1 Jan = 1), so the number is known
 * from the date alone, is the same on every daemon and never changes on re-finalization, and
 * the numbers of a year are 1..365 (366). *year is the date's year. */
int aq_bulletin_day_number(int64_t day, int *year);
/* The number of a month's bulletin: the month (1..12); *year its year. */
int aq_bulletin_month_number(int64_t first_day, int *year);
/* "〔2026〕第 338 期" (Chinese) or "No. 338 (2026)" (English) into buf. */
void aq_bulletin_number_text(int year, int number, bool english, char *buf, size_t size);
/* A bulletin is watermarked 未定稿 (DRAFT) unless it is built from a finalized snapshot. */
bool aq_bulletin_watermarked(bool final);
/* The change of now on before in percent, half-to-even to one decimal; false when before ≤ 0
 * (no change can be stated). */
bool aq_bulletin_change(double now, double before, double *pct);
/* A station's capture rate in percent (1 decimal, at most 100): readings over those its
 * interval_s gives in hours_elapsed hours. 0 when interval_s ≤ 0. */
double aq_bulletin_capture_rate(int readings, int interval_s, int hours_elapsed);
/* Hours with an hourly AQI above 100 (超标小时): aqi[h] < 0 means the hour had none. */
int aq_bulletin_hours_over(const int aqi[24]);

/* ---- inputs ---- */

/* A national point of the day: its index in the view and its hourly AQI (-1: none). */
struct aq_bulletin_national {
	size_t station;
	int hourly_aqi[24];
};

/* Everything a day's bulletin says. Borrowed; NULL/0 where there is nothing. */
struct aq_bulletin_day_in {
	const char *district; /* AQRANK_DISTRICT_NAME */
	const char *issuer;   /* the issuing body ("" or NULL: "<district>生态环境局") */
	bool english;
	const struct aq_dayview *view;	       /* the day (final: its snapshot) */
	const struct aq_day_ranking *ranking;  /* the whole network, the day's interview metric */
	const struct aq_interview *interviews; /* worst first */
	size_t n_interviews;
	bool has_prev;	    /* the day before had a district mean (same metric) … */
	double prev_mean;   /* … this one, published */
	bool has_last_year; /* the same day a year before … */
	double last_year_mean;
	const struct aq_bulletin_national *national; /* the national points of the view */
	size_t n_national;
	const struct aq_alert *alerts; /* candidates: those active on the day at a national
	                                * point or within the radius of one are shown */
	size_t n_alerts;
	double radius_km;
	/* The campaign window (its cumulative table); campaign NULL for none. */
	const struct aq_summary *campaign;
	const struct aq_station *campaign_stations; /* campaign->n_stations */
	int64_t campaign_from, campaign_to;
	size_t campaign_days; /* finalized days in the window */
	enum aq_metric campaign_metric;
	int64_t generated_us; /* final: the snapshot's finalization time; else the clock */
};

/* A month's bulletin: the period ranking by station and, when given, by street. */
struct aq_bulletin_month_in {
	const char *district;
	const char *issuer;
	bool english;
	const struct aq_period_result *stations; /* by station (not NULL) */
	const struct aq_period_result *units;	 /* by unit, or NULL */
	int64_t generated_us;			 /* kept month: its finalization; else the clock */
};

/* ---- the model ---- */

enum aq_bcol_flags {
	AQ_BCOL_NUM = 1u
}; /* right-aligned (numbers) */
enum aq_brow_flags {
	AQ_BROW_MARK = 1u
}; /* a row to stand out (on the interview list) */

struct aq_btable {
	size_t n_cols, n_rows;
	const char **heads;	   /* n_cols */
	const unsigned *col_flags; /* n_cols */
	const double *widths;	   /* n_cols relative widths, summing to 1 */
	const char **cells;	   /* n_rows × n_cols, row-major */
	unsigned *row_flags;	   /* n_rows */
};

struct aq_bmap_point {
	double x, y; /* 0..1 of the map's width and height, y downwards */
	const char *label;
	const char *color; /* "#RRGGBB": the station's AQI level, grey without */
	bool national;
	bool marked; /* on the interview list */
};

struct aq_bmap {
	double aspect; /* height / width */
	double ring;   /* the radius around national points, in widths */
	double km;     /* one kilometre, in widths */
	const char *caption;
	const char *legend[4]; /* national, micro, ring, no value */
	struct aq_bmap_point *points;
	size_t n_points;
};

struct aq_bsection {
	const char *id; /* "summary", "national", "ranking", … (HTML ids, test hooks) */
	const char *heading;
	const char **paras;
	size_t n_paras;
	const struct aq_btable *table; /* or NULL */
	const struct aq_bmap *map;     /* or NULL */
	const char *empty;	       /* shown when there is neither a table nor paragraphs */
};

struct aq_bulletin_arena;

struct aq_bulletin {
	bool english;
	const char *title;     /* "东城区空气质量日排名通报" */
	const char *date_text; /* "2026年11月27日" */
	const char *issuer;
	const char *number; /* "〔2026〕第 331 期" */
	bool watermark;	    /* provisional: 未定稿 across every page */
	const char *watermark_text;
	struct aq_bsection *sections;
	size_t n_sections;
	const char *footer;
	const char *page_format;	 /* "第 %d 页 / 共 %d 页" or "Page %d of %d" */
	int64_t created_us;		 /* the PDF's creation date: the snapshot's, so bytes repeat */
	const char *pdf_title;		 /* document metadata */
	struct aq_bulletin_arena *arena; /* owns every text and array above */
};

/* Builds the model of a day's bulletin. Returns 0, or -1 (ENOMEM; b is then empty). Release
 * with aq_bulletin_cleanup, also after a failure. */
int aq_bulletin_day(const struct aq_bulletin_day_in *in, struct aq_bulletin *b);
/* Builds the model of a month's bulletin. Same contract. */
int aq_bulletin_month(const struct aq_bulletin_month_in *in, struct aq_bulletin *b);
/* Frees what b holds; NULL-safe, b may be reused. */
void aq_bulletin_cleanup(struct aq_bulletin *b);

/* The section called id, or NULL. */
const struct aq_bsection *aq_bulletin_section(const struct aq_bulletin *b, const char *id);

/* Copies s into out (size bytes, NUL-terminated) as valid UTF-8 without control characters:
 * invalid bytes become U+FFFD, C0/C1 controls, DEL and line/paragraph separators a space; cut
 * at a character boundary. Returns out. (What the model does to every name.) */
char *aq_bulletin_clean_text(const char *s, char *out, size_t size);

#endif
