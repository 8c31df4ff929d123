/* check_bulletin.c — Check suite for the bulletin's document model (bulletin.c) and its two
 * renderers (bulletin_html.c, bulletin_pdf.c): the number, the watermark rule, the summary
 * sentences, the change and capture-rate rules, which alerts count as near the national point,
 * the tables; the HTML escapes what it quotes; the PDF is a PDF, the same bytes twice, and
 * survives any name. Every expected figure is worked out by hand beside it. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_bulletin.h"
#include "aq_bulletin_html.h"
#include "aq_bulletin_pdf.h"
#include "aq_clock.h"
#include "aq_time.h"

#define DAY 17506 /* 2017-12-06 */

struct spot {
	const char *code;
	const char *name;
	int kind;
	double lat, lon;
	double pm25, pm10;
	int hours; /* hours 0 .. hours-1 carry the values */
};

/* GC at 39.9289 N 116.4174 E; A 0.46 km north, B 0.99 km south, C 1.93 km east, D 5.34 km
 * east, E 2.79 km east with 10 hours only. */
static const struct spot network[] = {
	{"A", "东四微站", AQ_KIND_MICRO, 39.9330, 116.4174, 50, 150, 24},
	{"B", "朝阳门微站", AQ_KIND_MICRO, 39.9200, 116.4174, 40, 120, 24},
	{"C", "建国门微站", AQ_KIND_MICRO, 39.9289, 116.4400, 60, 200, 24},
	{"D", "东直门微站", AQ_KIND_MICRO, 39.9289, 116.4800, 30, 90, 24},
	{"E", "和平里微站", AQ_KIND_MICRO, 39.9289, 116.4500, 30, 90, 10},
	{"GC", "东城东四国控点", AQ_KIND_NATIONAL, 39.9289, 116.4174, 55, 160, 24},
};
#define N_NETWORK (sizeof network / sizeof network[0])

struct fixture {
	struct aq_dayview v;
	struct aq_day_ranking dr;
	struct aq_interview iv[4];
	struct aq_bulletin_national nat;
	struct aq_alert alerts[4];
	struct aq_bulletin_day_in in;
};

static void make(struct fixture *f, const struct spot *spots, size_t n, bool final)
{
	memset(f, 0, sizeof *f);
	struct aq_dayview *v = &f->v;
	v->day = DAY;
	v->final = final;
	v->hours_elapsed = 24;
	v->min_hours = 20;
	v->metric = AQ_METRIC_PM10;
	v->policy = AQ_INSUFFICIENT_SEPARATE;
	v->interview_count = 1;
	v->late_readings = 3;
	v->composite_mask = AQ_POLLUTANT_BIT(AQ_PM25) | AQ_POLLUTANT_BIT(AQ_PM10);
	v->standard = aq_day_standard(AQ_STANDARD_AUTO, DAY);
	aq_rule_version(v->standard->name, false, v->min_hours, v->rule_version);
	v->stations = calloc(n, sizeof *v->stations);
	v->n = n;
	for (size_t i = 0; i < n; i++) {
		struct aq_day_station *s = &v->stations[i];
		s->station.id = (int)i + 1;
		snprintf(s->station.code, sizeof s->station.code, "%s", spots[i].code);
		snprintf(s->station.name, sizeof s->station.name, "%s", spots[i].name);
		snprintf(s->station.unit, sizeof s->station.unit, "%s街道", spots[i].code);
		snprintf(s->station.contact_person, sizeof s->station.contact_person, "联系人%s", spots[i].code);
		s->station.kind = spots[i].kind;
		s->station.lat = spots[i].lat;
		s->station.lon = spots[i].lon;
		s->station.interval_s = 3600;
		s->station.active = true;
		s->station.created_day = DAY - 10;
		s->station.first_day = INT64_MAX;
		for (int h = 0; h < spots[i].hours; h++) {
			s->hours[h].sum[AQ_PM25] = spots[i].pm25;
			s->hours[h].count[AQ_PM25] = 1;
			s->hours[h].sum[AQ_PM10] = spots[i].pm10;
			s->hours[h].count[AQ_PM10] = 1;
			s->hour_readings[h] = 1;
			s->readings++;
		}
	}
	aq_dayview_compute(v);
	ck_assert_int_eq(aq_dayview_rank(v, AQ_METRIC_PM10, AQ_INSUFFICIENT_SEPARATE, 1, SIZE_MAX, 3, &f->dr), 0);
	aq_dayview_interviews(v, &f->dr, f->iv);
	for (size_t i = 0; i < f->dr.r.n_interview; i++) {
		f->iv[i].consecutive_days = 2;
		f->iv[i].status = AQ_IV_INTERVIEWED;
	}
	f->nat.station = n - 1;
	for (int h = 0; h < 24; h++)
		f->nat.hourly_aqi[h] = h < 5 ? 120 : h == 5 ? 100 : -1; /* 5 hours above 100 */
	int64_t start = aq_local_midnight(DAY);
	/* A: a spike that day (0.46 km from GC: near); D: one that day but 5.34 km away; A: one
	 * resolved the day before; GC: a divergence alert that day. */
	struct aq_alert *a = f->alerts;
	a[0] = (struct aq_alert){
		.id = 1, .type = AQ_ALERT_SPIKE, .severity = AQ_SEV_WARNING, .opened_us = start + 3600000000LL * 9};
	snprintf(a[0].station, sizeof a[0].station, "A");
	snprintf(a[0].station_name, sizeof a[0].station_name, "东四微站");
	snprintf(a[0].message, sizeof a[0].message, "PM10 突升");
	a[1] = a[0];
	a[1].id = 2;
	snprintf(a[1].station, sizeof a[1].station, "D");
	a[2] = a[0];
	a[2].id = 3;
	a[2].opened_us = start - 3600000000LL * 30;
	a[2].resolved_us = start - 3600000000LL * 2;
	a[2].status = AQ_AS_RESOLVED;
	a[3] = (struct aq_alert){.id = 4,
				 .type = AQ_ALERT_NATIONAL_DIVERGENCE,
				 .severity = AQ_SEV_CRITICAL,
				 .national = true,
				 .opened_us = start + 3600000000LL * 7};
	snprintf(a[3].station, sizeof a[3].station, "GC");
	snprintf(a[3].message, sizeof a[3].message, "国控点高于周边中位数");
	f->in = (struct aq_bulletin_day_in){.district = "东城区",
					    .view = v,
					    .ranking = &f->dr,
					    .interviews = f->iv,
					    .n_interviews = f->dr.r.n_interview,
					    .has_prev = true,
					    .prev_mean = 125,
					    .has_last_year = true,
					    .last_year_mean = 160,
					    .national = &f->nat,
					    .n_national = 1,
					    .alerts = f->alerts,
					    .n_alerts = 4,
					    .radius_km = 3,
					    .generated_us = start + 86400000000LL + 7200000000LL};
}

static void unmake(struct fixture *f)
{
	aq_day_ranking_cleanup(&f->dr);
	aq_dayview_cleanup(&f->v);
}

START_TEST(test_numbering)
{
	int year;
	char buf[64];
	/* 2017-12-06: 334 days of January–November, then the 6th. */
	ck_assert_int_eq(aq_bulletin_day_number(DAY, &year), 340);
	ck_assert_int_eq(year, 2017);
	aq_bulletin_number_text(year, 340, false, buf, sizeof buf);
	ck_assert_str_eq(buf, "〔2017〕第 340 期");
	aq_bulletin_number_text(year, 340, true, buf, sizeof buf);
	ck_assert_str_eq(buf, "No. 340 (2017)");
	ck_assert_int_eq(aq_bulletin_day_number(aq_days_from_civil(2026, 1, 1), &year), 1);
	ck_assert_int_eq(aq_bulletin_day_number(aq_days_from_civil(2024, 12, 31), &year), 366); /* leap year */
	ck_assert_int_eq(aq_bulletin_day_number(aq_days_from_civil(2026, 12, 31), &year), 365);
	ck_assert_int_eq(aq_bulletin_day_number(aq_days_from_civil(2026, 12, 4), &year), 338); /* the example */
	ck_assert_int_eq(aq_bulletin_month_number(aq_days_from_civil(2026, 11, 1), &year), 11);
}
END_TEST

START_TEST(test_watermark_rule)
{
	ck_assert(aq_bulletin_watermarked(false));
	ck_assert(!aq_bulletin_watermarked(true));
	struct fixture f;
	struct aq_bulletin b;
	make(&f, network, N_NETWORK, false);
	ck_assert_int_eq(aq_bulletin_day(&f.in, &b), 0);
	ck_assert(b.watermark);
	ck_assert_str_eq(b.watermark_text, "未定稿");
	ck_assert_ptr_nonnull(strstr(b.footer, "未定稿"));
	aq_bulletin_cleanup(&b);
	f.v.final = true;
	ck_assert_int_eq(aq_bulletin_day(&f.in, &b), 0);
	ck_assert(!b.watermark);
	aq_bulletin_cleanup(&b);
	unmake(&f);
}
END_TEST

START_TEST(test_small_rules)
{
	double pct;
	ck_assert(aq_bulletin_change(140, 125, &pct));
	ck_assert_double_eq_tol(pct, 12.0, 1e-9); /* 15 / 125 */
	ck_assert(aq_bulletin_change(140, 160, &pct));
	ck_assert_double_eq_tol(pct, -12.5, 1e-9); /* −20 / 160 */
	ck_assert(aq_bulletin_change(100, 300, &pct));
	ck_assert_double_eq_tol(pct, -66.7, 1e-9); /* −66.666… */
	ck_assert(!aq_bulletin_change(140, 0, &pct));
	/* 10 readings of an hourly station over 24 hours: 41.666… → 41.7 %; a minute station
	 * with 1440 readings: 100 %; more than expected stays 100. */
	ck_assert_double_eq_tol(aq_bulletin_capture_rate(10, 3600, 24), 41.7, 1e-9);
	ck_assert_double_eq_tol(aq_bulletin_capture_rate(1440, 60, 24), 100, 1e-9);
	ck_assert_double_eq_tol(aq_bulletin_capture_rate(2000, 60, 24), 100, 1e-9);
	ck_assert_double_eq_tol(aq_bulletin_capture_rate(300, 60, 10), 50, 1e-9); /* 600 expected */
	int aqi[24];
	for (int h = 0; h < 24; h++)
		aqi[h] = h % 3 == 0 ? 101 : h % 3 == 1 ? 100 : -1; /* 8 hours above */
	ck_assert_int_eq(aq_bulletin_hours_over(aqi), 8);
}
END_TEST

START_TEST(test_summary_sentences)
{
	struct fixture f;
	struct aq_bulletin b;
	make(&f, network, N_NETWORK, true);
	ck_assert_int_eq(aq_bulletin_day(&f.in, &b), 0);
	ck_assert_str_eq(b.title, "东城区空气质量微型站日排名通报");
	ck_assert_str_eq(b.number, "〔2017〕第 340 期");
	ck_assert_str_eq(b.date_text, "2017年12月6日");
	ck_assert_str_eq(b.issuer, "东城区生态环境局");
	const struct aq_bsection *s = aq_bulletin_section(&b, "summary");
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq((int)s->n_paras, 3);
	/* D 90, B 120, A 150, C 200 are ranked; E (10 hours) is not. Mean (90+120+150+200)/4 =
	 * 140: on 125 +12.0 %, on 160 −12.5 %. The bottom one: C. */
	ck_assert_str_eq(s->paras[0], "2017年12月6日，全区 4 个微型站参与 PM10 排名，1 个站点数据不足，未参与排名。");
	ck_assert_str_eq(s->paras[1],
			 "全区 PM10 日均值为 140 µg/m³，较前一日（125）上升 12.0%，较去年同日（160）下降 12.5%。");
	ck_assert_str_eq(s->paras[2], "排名后 1 位站点列入约谈名单：建国门微站（C街道）。");
	ck_assert_str_eq(b.footer,
			 "规则版本：HJ633-2012/min20h；快照生成时间：2017-12-07T02:00:00+08:00；迟到数据：3 条");
	aq_bulletin_cleanup(&b);

	/* Without the day before or last year, the sentence says only what there is. */
	f.in.has_prev = false;
	f.in.has_last_year = false;
	f.in.english = true;
	ck_assert_int_eq(aq_bulletin_day(&f.in, &b), 0);
	s = aq_bulletin_section(&b, "summary");
	ck_assert_str_eq(s->paras[1], "The district mean of PM10 was 140 µg/m³.");
	ck_assert_str_eq(b.number, "No. 340 (2017)");
	aq_bulletin_cleanup(&b);
	f.in.has_prev = true;
	ck_assert_int_eq(aq_bulletin_day(&f.in, &b), 0);
	ck_assert_str_eq(aq_bulletin_section(&b, "summary")->paras[1],
			 "The district mean of PM10 was 140 µg/m³, up 12.0% on the day before (125).");
	aq_bulletin_cleanup(&b);
	unmake(&f);
}
END_TEST

START_TEST(test_tables)
{
	struct fixture f;
	struct aq_bulletin b;
	make(&f, network, N_NETWORK, true);
	ck_assert_int_eq(aq_bulletin_day(&f.in, &b), 0);
	static const char *const order[] = {"summary",	    "national", "ranking", "interviews",
					    "insufficient", "alerts",	"map"};
	ck_assert_int_eq((int)b.n_sections, 7);
	for (size_t i = 0; i < 7; i++)
		ck_assert_str_eq(b.sections[i].id, order[i]);

	const struct aq_btable *t = aq_bulletin_section(&b, "ranking")->table;
	ck_assert_int_eq((int)t->n_rows, 4);
	ck_assert_str_eq(t->cells[0 * 5 + 1], "东直门微站");
	ck_assert_str_eq(t->cells[0 * 5 + 3], "90");
	ck_assert_str_eq(t->cells[0 * 5 + 4], "−35.7%"); /* (90 − 140) / 140 = −35.71 % */
	ck_assert_str_eq(t->cells[3 * 5 + 1], "建国门微站");
	ck_assert_str_eq(t->cells[3 * 5 + 4], "+42.9%"); /* 60 / 140 = 42.857 % */
	ck_assert(t->row_flags[3] & AQ_BROW_MARK);
	ck_assert(!(t->row_flags[0] & AQ_BROW_MARK));

	t = aq_bulletin_section(&b, "interviews")->table;
	ck_assert_int_eq((int)t->n_rows, 1);
	ck_assert_str_eq(t->cells[0], "4/4");
	ck_assert_str_eq(t->cells[2], "C街道");
	ck_assert_str_eq(t->cells[3], "联系人C");
	ck_assert_str_eq(t->cells[4], "200");
	ck_assert_str_eq(t->cells[5], "2");
	ck_assert_str_eq(t->cells[6], "已约谈");

	t = aq_bulletin_section(&b, "insufficient")->table;
	ck_assert_int_eq((int)t->n_rows, 1);
	ck_assert_str_eq(t->cells[0], "和平里微站");
	ck_assert_str_eq(t->cells[2], "10");
	ck_assert_str_eq(t->cells[4], "41.7%");

	/* The national point: PM2.5 55 → IAQI 75 (35..75 → 50..100), PM10 160 → 105: AQI 105,
	 * 轻度污染, PM10; five hours above 100. */
	t = aq_bulletin_section(&b, "national")->table;
	ck_assert_str_eq(t->cells[0], "东城东四国控点");
	ck_assert_str_eq(t->cells[1], "105");
	ck_assert_str_eq(t->cells[2], "轻度污染");
	ck_assert_str_eq(t->cells[3], "PM10");
	ck_assert_str_eq(t->cells[6], "5");
	const struct aq_bsection *s = aq_bulletin_section(&b, "national");
	ck_assert_int_eq((int)s->n_paras, 1);
	ck_assert_ptr_nonnull(strstr(s->paras[0], "当日国控点数据异常告警 1 条"));

	/* Alerts near GC that day: GC's divergence (07:00) and A's spike (09:00); not D's (5.34
	 * km), not A's of the day before. */
	t = aq_bulletin_section(&b, "alerts")->table;
	ck_assert_int_eq((int)t->n_rows, 2);
	ck_assert_str_eq(t->cells[0 * 6 + 2], "国控点数据异常");
	ck_assert(t->row_flags[0] & AQ_BROW_MARK); /* critical */
	ck_assert_str_eq(t->cells[1 * 6 + 1], "东四微站");
	ck_assert_str_eq(t->cells[1 * 6 + 0], "09:00");

	const struct aq_bmap *m = aq_bulletin_section(&b, "map")->map;
	ck_assert_int_eq((int)m->n_points, 6);
	for (size_t i = 0; i < m->n_points; i++) {
		ck_assert(m->points[i].x > 0 && m->points[i].x < 1);
		ck_assert(m->points[i].y > 0 && m->points[i].y < 1);
	}
	ck_assert(m->points[2].marked); /* C */
	/* The ring must fit: its radius in widths times the width in km is 3 km. */
	ck_assert_double_eq_tol(m->ring / m->km, 3, 1e-9);
	aq_bulletin_cleanup(&b);
	unmake(&f);
}
END_TEST

START_TEST(test_clean_text)
{
	char out[64];
	ck_assert_str_eq(aq_bulletin_clean_text("东四\x01站\n", out, sizeof out), "东四 站 ");
	ck_assert_str_eq(aq_bulletin_clean_text("a\xff"
						"b",
						out, sizeof out),
			 "a\xef\xbf\xbd"
			 "b");
	ck_assert_str_eq(aq_bulletin_clean_text("\xed\xa0\x80", out, sizeof out),
			 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_str_eq(aq_bulletin_clean_text("x\xc2\x85y", out, sizeof out), "x y"); /* C1 NEL */
	/* Cut at a character boundary: 东 is 3 bytes, a 6-byte buffer holds one and a NUL. */
	ck_assert_str_eq(aq_bulletin_clean_text("东四站", out, 6), "东");
}
END_TEST

START_TEST(test_html)
{
	struct fixture f;
	struct aq_bulletin b;
	static struct spot nasty[N_NETWORK];
	memcpy(nasty, network, sizeof nasty);
	nasty[0].name = "<script>alert(1)</script>&\"'";
	make(&f, nasty, N_NETWORK, false);
	ck_assert_int_eq(aq_bulletin_day(&f.in, &b), 0);
	size_t len;
	char *html = aq_bulletin_html(&b, &len);
	ck_assert_ptr_nonnull(html);
	ck_assert_uint_eq(strlen(html), len);
	ck_assert_ptr_null(strstr(html, "<script>"));
	ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;"));
	ck_assert_ptr_nonnull(strstr(html, "id=\"watermark\""));
	ck_assert_ptr_nonnull(strstr(html, "@page{size:A4"));
	/* Sections in order. */
	const char *a = strstr(html, "id=\"summary\""), *r = strstr(html, "id=\"ranking\""),
		   *i = strstr(html, "id=\"interviews\""), *m = strstr(html, "id=\"map\"");
	ck_assert(a && r && i && m && a < r && r < i && i < m);
	free(html);
	aq_bulletin_cleanup(&b);
	unmake(&f);
}
END_TEST

START_TEST(test_pdf_bytes_repeat)
{
	struct fixture f;
	struct aq_bulletin b;
	make(&f, network, N_NETWORK, true);
	ck_assert_int_eq(aq_bulletin_day(&f.in, &b), 0);
	unsigned char *one = NULL, *two = NULL;
	size_t n1, n2;
	int p1, p2;
	ck_assert_int_eq(aq_bulletin_pdf(&b, NULL, &one, &n1, &p1), AQ_OK);
	ck_assert_int_eq(aq_bulletin_pdf(&b, NULL, &two, &n2, &p2), AQ_OK);
	ck_assert(n1 > 1000 && memcmp(one, "%PDF-", 5) == 0);
	ck_assert_int_ge(p1, 1);
	ck_assert_int_eq(p1, p2);
	ck_assert_uint_eq(n1, n2);
	ck_assert(memcmp(one, two, n1) == 0);
	const char *dump = getenv("AQ_BULLETIN_DUMP"); /* a file to look at the PDF */
	FILE *out = dump ? fopen(dump, "wb") : NULL;
	if (out) {
		fwrite(one, 1, n1, out);
		fclose(out);
	}
	/* The creation date is the snapshot's: 2017-12-07 02:00 Beijing time. */
	ck_assert_ptr_nonnull(memmem(one, n1, "20171207020000+08'00", 20));
	free(one);
	free(two);
	aq_bulletin_cleanup(&b);
	unmake(&f);
}
END_TEST

START_TEST(test_pdf_any_name)
{
	static const char *const names[] = {
		"\xd9\x85\xd8\xad\xd8\xb7\xd8\xa9 \xd8\xa7\xd9\x84\xd8\xb1\xd8\xb5\xd8\xaf", /* Arabic, RTL */
		"e\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81", /* stacked combining marks */
		"\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7", /* ZWJ emoji */
		"\xe2\x80\xae\xe5\x8f\x8d\xe5\x90\x91",					    /* RLO override */
		"\xff\xfe\xc0\xaf",							    /* not UTF-8 */
		"",
		"\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80"
		"\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80"
		"\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80"
		"\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80",
	};
	static struct spot spots[N_NETWORK];
	memcpy(spots, network, sizeof spots);
	for (size_t i = 0; i < 5; i++)
		spots[i].name = names[(i + (size_t)_i) % (sizeof names / sizeof names[0])];
	struct fixture f;
	struct aq_bulletin b;
	make(&f, spots, N_NETWORK, _i % 2 == 0);
	ck_assert_int_eq(aq_bulletin_day(&f.in, &b), 0);
	unsigned char *pdf = NULL;
	size_t n;
	int pages;
	ck_assert_int_eq(aq_bulletin_pdf(&b, NULL, &pdf, &n, &pages), AQ_OK);
	ck_assert(n > 1000);
	free(pdf);
	aq_bulletin_cleanup(&b);
	unmake(&f);
}
END_TEST

static Suite *bulletin_suite(void)
{
	Suite *s = suite_create("bulletin");
	TCase *tc = tcase_create("model");
	tcase_add_test(tc, test_numbering);
	tcase_add_test(tc, test_watermark_rule);
	tcase_add_test(tc, test_small_rules);
	tcase_add_test(tc, test_summary_sentences);
	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_clean_text);
	tcase_add_test(tc, test_html);
	suite_add_tcase(s, tc);
	TCase *pdf = tcase_create("pdf");
	tcase_set_timeout(pdf, 120);
	tcase_add_test(pdf, test_pdf_bytes_repeat);
	tcase_add_loop_test(pdf, test_pdf_any_name, 0, 7);
	suite_add_tcase(s, pdf);
	return s;
}

int main(void)
{
	aq_timezone_set("Asia/Shanghai");
	SRunner *sr = srunner_create(bulletin_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
