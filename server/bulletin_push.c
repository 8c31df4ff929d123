/* bulletin_push.c — the push of a finalized day's bulletin (aq_bulletin_push.h): the link to
 * its PDF and HTML under AQRANK_PUBLIC_URL, and for the robots a markdown summary with the
 * bottom three, queued in the webhook outbox by the finalization's transaction. */
#include "aq_bulletin_push.h"
#include "aq_bulletin.h"
#include "aq_clock.h"
#include "aq_db.h"
#include "aq_json.h"
#include "aq_time.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A name fit for a markdown line: clean UTF-8, and the characters markdown would take for
 * markup left out. */
static void md_name(const char *s, char *out, size_t size)
{
	char clean[512];
	aq_bulletin_clean_text(s, clean, sizeof clean);
	size_t o = 0;
	for (const char *p = clean; *p && o + 1 < size; p++)
		if (!strchr("*_`[]()#<>|\\", *p))
			out[o++] = *p;
	out[o] = '\0';
}

char *aq_bulletin_push_body(const struct aq_config *cfg, const struct aq_dayview *v, const struct aq_day_ranking *dr,
			    const struct aq_interview *list, size_t n)
{
	char date[11], number[64], district[256], url[600], html_url[600], title[400];
	int year, num = aq_bulletin_day_number(v->day, &year);
	int y, m, d;
	aq_civil_from_days(v->day, &y, &m, &d);
	aq_date_format(v->day, date);
	aq_bulletin_number_text(year, num, false, number, sizeof number);
	md_name(cfg->district_name && cfg->district_name[0] ? cfg->district_name : "本区", district, sizeof district);
	const char *base = cfg->public_url ? cfg->public_url : "";
	size_t blen = strlen(base);
	while (blen && base[blen - 1] == '/')
		blen--;
	snprintf(url, sizeof url, "%.*s/api/v1/bulletins/%s?format=pdf", (int)(blen > 400 ? 400 : blen), base, date);
	snprintf(html_url, sizeof html_url, "%.*s/api/v1/bulletins/%s?format=html", (int)(blen > 400 ? 400 : blen),
		 base, date);
	snprintf(title, sizeof title, "%s空气质量微型站日排名通报", district);
	enum aq_metric metric = dr->metric;
	int dec = aq_metric_decimals(metric);
	json_t *body = NULL;
	if (cfg->webhook_format == AQ_WEBHOOK_JSON) {
		json_t *iv = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(
				iv, json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:i}", "station", list[i].station, "name",
					      list[i].name, "unit", list[i].unit, "contact_person",
					      list[i].contact_person, "rank", list[i].rank, "value",
					      list[i].has_value ? aq_json_number(list[i].value, dec) : json_null(),
					      "consecutive_days", list[i].consecutive_days));
		body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o}", "event", "bulletin.final",
				 "date", date, "number", number, "title", title, "url", url, "html_url", html_url,
				 "metric", aq_metric_name(metric), "stations_ranked", (int)dr->r.n_rows,
				 "district_mean",
				 dr->r.has_mean ? aq_json_number(dr->r.district_mean_published, dec) : json_null(),
				 "interview", iv);
	} else {
		char text[6144];
		size_t used =
			(size_t)snprintf(text, sizeof text, "### %s\n%s · %d年%d月%d日\n\n全区 %zu 个微型站参与排名",
					 title, number, y, m, d, dr->r.n_rows);
		if (dr->r.has_mean)
			used += (size_t)snprintf(text + used, sizeof text - used, "，%s 均值 %.*f",
						 metric == AQ_METRIC_COMPOSITE ? "综合指数"
						 : metric == AQ_METRIC_AQI     ? "AQI"
						 : metric == AQ_METRIC_PM25    ? "PM2.5"
									       : "PM10",
						 dec, dr->r.district_mean_published);
		if (used < sizeof text)
			used += (size_t)snprintf(text + used, sizeof text - used,
						 "。\n\n**排名后三位（约谈名单）**\n\n");
		for (size_t i = 0; i < n && used < sizeof text; i++) {
			char name[300], unit[300], person[200];
			md_name(list[i].name[0] ? list[i].name : list[i].station, name, sizeof name);
			md_name(list[i].unit, unit, sizeof unit);
			md_name(list[i].contact_person, person, sizeof person);
			used += (size_t)snprintf(text + used, sizeof text - used,
						 "%zu. %s（%s%s%s）：%.*f，连续 %d 天\n", i + 1, name,
						 unit[0] ? unit : "—", person[0] ? "，" : "", person, dec,
						 list[i].has_value ? list[i].value : 0.0, list[i].consecutive_days);
		}
		if (used < sizeof text)
			snprintf(text + used, sizeof text - used, "\n[查看通报（PDF）](%s) · [网页版](%s)", url,
				 html_url);
		if (cfg->webhook_format == AQ_WEBHOOK_DINGTALK)
			body = json_pack("{s:s, s:{s:s, s:s}}", "msgtype", "markdown", "markdown", "title", title,
					 "text", text);
		else
			body = json_pack("{s:s, s:{s:s}}", "msgtype", "markdown", "markdown", "content", text);
	}
	char *out = body ? json_dumps(body, AQ_JSON_DUMP_FLAGS) : NULL;
	json_decref(body);
	return out;
}

enum aq_status aq_bulletin_push_queue(struct aq_db *db, const struct aq_config *cfg, const struct aq_dayview *v,
				      const struct aq_day_ranking *dr, const struct aq_interview *list, size_t n,
				      int64_t now_us)
{
	if (!cfg->webhook_url || !cfg->webhook_url[0])
		return AQ_OK;
	if (now_us - aq_local_midnight(v->day + 1) > (int64_t)cfg->webhook_max_age * AQ_US_PER_SEC)
		return AQ_OK; /* history: nobody is waiting for that bulletin on the group chat */
	char *body = aq_bulletin_push_body(cfg, v, dr, list, n);
	if (!body)
		return AQ_ERR_INTERNAL;
	enum aq_status st = strlen(body) < 8000 ? aq_db_outbox_add_bulletin(db, v->day, body) : AQ_OK;
	free(body);
	return st;
}
