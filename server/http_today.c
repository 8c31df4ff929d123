/* http_today.c — the cache in front of /api/v1/ranking/today. An entry per distinct query
 * (metric, ring, format, language) holds a ready MHD response and its ETag; it is fresh while
 * the app's data_version and the local hour are those it was built at. A poll of an unchanged
 * ranking costs a lookup and, with If-None-Match, a 304. */
#include "http_internal.h"
#include "aq_clock.h"
#include "aq_day.h"
#include "aq_etag.h"
#include "aq_gzip.h"
#include "aq_json_ranking.h"
#include "aq_time.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 16

struct entry {
	char key[96];
	int64_t version;
	int64_t hour;       /* local day × 24 + hour it was built for */
	int64_t until_us;   /* clock time at which that hour ends: no localtime per hit */
	struct MHD_Response *resp;
	struct MHD_Response *gz_resp; /* the same body gzipped (NULL when it did not pay) */
	char etag[AQ_ETAG_LEN];
	char gz_etag[AQ_ETAG_LEN + 4];
	size_t len, gz_len;
	unsigned uses;
};

struct aq_today_cache {
	pthread_mutex_t lock;
	struct entry slots[CACHE_SLOTS];
};

struct aq_today_cache *aq_today_cache_new(void)
{
	struct aq_today_cache *c = calloc(1, sizeof *c);
	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void aq_today_cache_free(struct aq_today_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (c->slots[i].resp)
			MHD_destroy_response(c->slots[i].resp);
		if (c->slots[i].gz_resp)
			MHD_destroy_response(c->slots[i].gz_resp);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Local hour of now (day × 24 + hour) and the clock time at which it ends. */
static int64_t hour_key(int64_t now, int64_t *until)
{
	int64_t day;
	int hour;
	aq_local_of(now, &day, &hour, NULL);
	*until = aq_local_midnight(day) + (int64_t)(hour + 1) * 3600 * AQ_US_PER_SEC;
	return day * 24 + hour;
}

enum MHD_Result aq_today_reply(struct aq_request *req, const struct aq_day_query *q, const struct aq_day_render *r)
{
	struct aq_app *app = req->app;
	struct aq_today_cache *c = req->today;
	char key[96];
	enum MHD_Result ret;
	/* The radius in whole metres: no floating-point formatting on every poll. */
	snprintf(key, sizeof key, "%d|%s|%lld|%d|%d", (int)q->metric, q->near ? q->near : "",
		 (long long)llround(q->radius_km * 1000.0), r->csv, r->english);
	int64_t version = atomic_load(&app->data_version), now = aq_clock_now(&app->clock);
	bool gzip = aq_accepts_gzip(MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Accept-Encoding"));

	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct entry *e = &c->slots[i];
		if (e->resp && e->version == version && now < e->until_us && now >= e->until_us - 3600 * AQ_US_PER_SEC &&
		    strcmp(e->key, key) == 0) {
			e->uses++;
			/* Queued under the lock: a concurrent rebuild cannot destroy it meanwhile. */
			if (gzip && e->gz_resp)
				ret = aq_reply_shared(req, e->gz_resp, MHD_HTTP_OK, e->gz_len, e->gz_etag);
			else
				ret = aq_reply_shared(req, e->resp, MHD_HTTP_OK, e->len, e->etag);
			pthread_mutex_unlock(&c->lock);
			return ret;
		}
	}
	pthread_mutex_unlock(&c->lock);

	char *body = NULL;
	size_t len = 0;
	const char *problem = NULL;
	int64_t until, hour = hour_key(now, &until);
	struct aq_day_query today = *q;
	struct aq_day_render how = *r;
	struct aq_day d;
	today.day = hour / 24;
	how.now_us = now;
	enum aq_status st = aq_day_build(app, &today, &d, &problem);
	if (st == AQ_OK)
		st = aq_render_day(&d, &how, &body, &len);
	aq_day_cleanup(&d);
	if (st != AQ_OK)
		return aq_reply_error(req, st, problem, NULL);
	/* Of the content, not the bytes: every daemon that built this ranking from the same data
	 * gives it the same tag whatever its generated_at, so polls through a proxy that
	 * alternates between daemons keep getting 304. */
	char etag[AQ_ETAG_LEN];
	aq_etag_content(body, len, "generated_at", etag);
	const char *type = r->csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
	struct MHD_Response *resp = aq_reply_make_shared(app, type, body, len, etag);
	/* Compressed once per rebuild, served to every poll that accepts it. */
	struct MHD_Response *gz_resp = NULL;
	char *gz = NULL, gz_etag[AQ_ETAG_LEN + 4];
	size_t gz_len = 0;
	snprintf(gz_etag, sizeof gz_etag, "%.*s-gz\"", (int)strlen(etag) - 1, etag);
	if (len > 1024 && aq_gzip(body, len, &gz, &gz_len) && gz_len < len) {
		gz_resp = aq_reply_make_shared(app, type, gz, gz_len, gz_etag);
		if (gz_resp)
			MHD_add_response_header(gz_resp, "Content-Encoding", "gzip");
	}
	free(gz);
	free(body);
	if (!resp) {
		if (gz_resp)
			MHD_destroy_response(gz_resp);
		return aq_reply_error(req, AQ_ERR_INTERNAL, NULL, NULL);
	}
	MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	if (gz_resp)
		MHD_add_response_header(gz_resp, "Vary", "Accept-Encoding");
	if (r->csv) { /* kept in the cached responses: the name is the day's, as the entry is */
		char date[11], name[32];
		aq_date_format(today.day, date);
		snprintf(name, sizeof name, "ranking-%s.csv", date);
		aq_download_header(resp, name);
		if (gz_resp)
			aq_download_header(gz_resp, name);
	}

	pthread_mutex_lock(&c->lock);
	/* Same key, else an empty slot, else the least used one. */
	struct entry *slot = NULL;
	for (int i = 0; i < CACHE_SLOTS && !slot; i++)
		if (c->slots[i].resp && strcmp(c->slots[i].key, key) == 0)
			slot = &c->slots[i];
	for (int i = 0; i < CACHE_SLOTS && !slot; i++)
		if (!c->slots[i].resp)
			slot = &c->slots[i];
	if (!slot) {
		slot = &c->slots[0];
		for (int i = 1; i < CACHE_SLOTS; i++)
			if (c->slots[i].uses < slot->uses)
				slot = &c->slots[i];
	}
	if (slot->resp)
		MHD_destroy_response(slot->resp);
	if (slot->gz_resp)
		MHD_destroy_response(slot->gz_resp);
	snprintf(slot->key, sizeof slot->key, "%s", key);
	slot->version = version;
	slot->hour = hour;
	slot->until_us = until;
	slot->resp = resp;
	slot->len = len;
	slot->gz_resp = gz_resp;
	slot->gz_len = gz_len;
	slot->uses = 1;
	memcpy(slot->etag, etag, sizeof etag);
	memcpy(slot->gz_etag, gz_etag, sizeof gz_etag);
	if (gzip && gz_resp)
		ret = aq_reply_shared(req, gz_resp, MHD_HTTP_OK, gz_len, gz_etag);
	else
		ret = aq_reply_shared(req, resp, MHD_HTTP_OK, len, etag);
	pthread_mutex_unlock(&c->lock);
	return ret;
}
