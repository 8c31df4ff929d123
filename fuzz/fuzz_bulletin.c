/* fuzz_bulletin.c — the bulletin's document model (bulletin.c) and its HTML (bulletin_html.c)
 * with arbitrary station names, units, contact persons and alert messages. The input is split
 * at 0x1f into texts, given in turn to up to eight stations (name, unit, contact person) of a
 * ranked day, to its interview list and to an alert. Invariants: the model is built; every
 * text of it, and the whole page, is valid UTF-8 without control characters but newlines; no
 * text taken from the input opens a tag in the page. (The PDF renderer draws the same model:
 * check_bulletin feeds it the hostile names.) */
#include "fuzz.h"

#include "aq_bulletin.h"
#include "aq_bulletin_html.h"
#include "aq_clock.h"
#include "aq_time.h"

#include <stdbool.h>

#define DAY 17506

static bool utf8_clean(const char *s, bool newlines)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (!n)
			return false;
		if (n == 1 && (c < 0x20 || c == 0x7f) && !(newlines && c == '\n'))
			return false;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	aq_timezone_set("Asia/Shanghai");
	return 0;
}

static const char *next_text(char **cursor)
{
	char *s = *cursor;
	if (!s)
		return "";
	char *sep = strchr(s, 0x1f);
	if (sep) {
		*sep = '\0';
		*cursor = sep + 1;
	} else {
		*cursor = NULL;
	}
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input = fuzz_cstring(data, size), *cursor = input;
	struct aq_dayview v;
	struct aq_day_ranking dr;
	struct aq_interview iv[8];
	struct aq_alert alert;
	memset(&v, 0, sizeof v);
	memset(&dr, 0, sizeof dr);
	memset(&alert, 0, sizeof alert);
	size_t n = 2 + (size % 7);
	v.day = DAY;
	v.final = size % 2;
	v.hours_elapsed = 24;
	v.min_hours = 20;
	v.interview_count = 3;
	v.composite_mask = 3;
	v.standard = aq_day_standard(AQ_STANDARD_AUTO, DAY);
	aq_rule_version(v.standard->name, false, 20, v.rule_version);
	v.stations = calloc(n, sizeof *v.stations);
	FUZZ_CHECK(v.stations);
	v.n = n;
	for (size_t i = 0; i < n; i++) {
		struct aq_day_station *s = &v.stations[i];
		s->station.id = (int)i + 1;
		snprintf(s->station.code, sizeof s->station.code, "S%zu", i);
		snprintf(s->station.name, sizeof s->station.name, "%s", next_text(&cursor));
		snprintf(s->station.unit, sizeof s->station.unit, "%s", next_text(&cursor));
		snprintf(s->station.contact_person, sizeof s->station.contact_person, "%s", next_text(&cursor));
		s->station.kind = i == 0 ? AQ_KIND_NATIONAL : AQ_KIND_MICRO;
		s->station.lat = 39.9 + 0.001 * (double)(data[i % (size ? size : 1)] % 50);
		s->station.lon = 116.4 + 0.001 * (double)i;
		s->station.interval_s = 3600;
		s->station.active = true;
		s->station.created_day = DAY - 1;
		s->station.first_day = INT64_MAX;
		int hours = i == n - 1 ? 5 : 24;
		for (int h = 0; h < hours; h++) {
			s->hours[h].sum[AQ_PM25] = 20 + (double)((i * 7) % 60);
			s->hours[h].count[AQ_PM25] = 1;
			s->hours[h].sum[AQ_PM10] = 50 + (double)((i * 13) % 90);
			s->hours[h].count[AQ_PM10] = 1;
			s->readings++;
		}
	}
	aq_dayview_compute(&v);
	FUZZ_CHECK(aq_dayview_rank(&v, AQ_METRIC_PM10, AQ_INSUFFICIENT_SEPARATE, 3, SIZE_MAX, 3, &dr) == 0);
	size_t n_iv = dr.r.n_interview < 8 ? dr.r.n_interview : 8;
	aq_dayview_interviews(&v, &dr, iv);
	snprintf(alert.station, sizeof alert.station, "S1");
	snprintf(alert.station_name, sizeof alert.station_name, "%s", next_text(&cursor));
	snprintf(alert.message, sizeof alert.message, "%s", next_text(&cursor));
	alert.opened_us = aq_local_midnight(DAY) + 3600000000LL;
	struct aq_bulletin_national nat = {.station = 0};
	for (int h = 0; h < 24; h++)
		nat.hourly_aqi[h] = h * 9;
	for (int english = 0; english < 2; english++) {
		struct aq_bulletin_day_in in = {.district = next_text(&cursor), .issuer = next_text(&cursor),
						.english = english, .view = &v, .ranking = &dr, .interviews = iv,
						.n_interviews = n_iv, .has_prev = true, .prev_mean = 3,
						.national = &nat, .n_national = 1, .alerts = &alert, .n_alerts = 1,
						.radius_km = 3, .generated_us = aq_local_midnight(DAY + 1)};
		struct aq_bulletin b;
		FUZZ_CHECK(aq_bulletin_day(&in, &b) == 0);
		FUZZ_CHECK(utf8_clean(b.title, false) && utf8_clean(b.issuer, false) && utf8_clean(b.footer, false));
		for (size_t s = 0; s < b.n_sections; s++) {
			const struct aq_bsection *sec = &b.sections[s];
			for (size_t p = 0; p < sec->n_paras; p++)
				FUZZ_CHECK(utf8_clean(sec->paras[p], false));
			for (size_t c = 0; sec->table && c < sec->table->n_rows * sec->table->n_cols; c++)
				FUZZ_CHECK(utf8_clean(sec->table->cells[c], false));
			for (size_t p = 0; sec->map && p < sec->map->n_points; p++)
				FUZZ_CHECK(utf8_clean(sec->map->points[p].label, false));
		}
		size_t len;
		char *html = aq_bulletin_html(&b, &len);
		FUZZ_CHECK(html && strlen(html) == len);
		FUZZ_CHECK(utf8_clean(html, true));
		/* The page's own tags only: none of the input's. */
		FUZZ_CHECK(!strstr(html, "<scr") && !strstr(html, "<img") && !strstr(html, "<iframe"));
		free(html);
		aq_bulletin_cleanup(&b);
	}
	aq_day_ranking_cleanup(&dr);
	aq_dayview_cleanup(&v);
	free(input);
	return 0;
}
