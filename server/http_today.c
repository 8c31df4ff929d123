/* http_today.c — the cache in front of /api/v1/ranking/today. An entry per distinct query
 * (metric, ring, format, language) holds a ready MHD response and its ETag; it is fresh while
 * the app's data_version and the local hour are those it was built at. A poll of an unchanged
 * ranking costs a lookup and, with If-None-Match, a 304.
 *
 * Rebuilds are single-flight: while one thread builds a key, the others wait for it instead of
 * building the same ranking beside it. And under a stream of data changes (every ingest and
 * alert commit moves data_version) a ranking that is slow to build (SLOW_BUILD_US or more: a
 * network of about a thousand stations and up) is rebuilt at most once per
 * AQRANK_TODAY_DEBOUNCE_MS, or per REBUILD_SHARE build times if that is longer; meanwhile
 * polls get the entry built before the change — within the same hour, at most that old. So
 * rebuilding takes a bounded share of the CPU and polls are never starved (issue 18: 7 req/s
 * at 10,000 stations while alerts committed, against 484 alone). A ranking cheaper than that is
 * rebuilt on the first poll after any change, as before: a client that posted a reading sees it
 * in its next poll of this daemon. */
#include "http_internal.h"
#include "aq_clock.h"
#include "aq_day.h"
#include "aq_etag.h"
#include "aq_gzip.h"
#include "aq_json_ranking.h"
#include "aq_metrics.h"
#include "aq_time.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 16
/* A build at least this long makes the entry's polls wait out the debounce. */
#define SLOW_BUILD_US (20 * 1000)
/* And a rebuild waits at least this many times its last build time (≤ 1/REBUILD_SHARE of a
 * core on rebuilding). */
#define REBUILD_SHARE 4

struct entry {
	char key[96];
	int64_t version;
	int64_t hour;	  /* local day × 24 + hour it was built for */
	int64_t until_us; /* clock time at which that hour ends: no localtime per hit */
	int64_t built_us; /* monotonic time the build ended */
	int64_t build_us; /* how long it took */
	struct MHD_Response *resp;
	struct MHD_Response *gz_resp; /* the same body gzipped (NULL when it did not pay) */
	char etag[AQ_ETAG_LEN];
	char gz_etag[AQ_ETAG_LEN + 4];
	size_t len, gz_len;
	unsigned uses;
};

struct aq_today_cache {
	pthread_mutex_t lock;
	pthread_cond_t built; /* a build ended: waiters look again */
	struct entry slots[CACHE_SLOTS];
	char flights[CACHE_SLOTS][96]; /* keys being built now ("" = free) */
};

struct aq_today_cache *aq_today_cache_new(void)
{
	struct aq_today_cache *c = calloc(1, sizeof *c);
	if (c) {
		pthread_mutex_init(&c->lock, NULL);
		pthread_cond_init(&c->built, NULL);
	}
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
	pthread_cond_destroy(&c->built);
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

/* A build that ended without an entry: its key is free to build again. */
static void end_flight(struct aq_today_cache *c, int flight)
{
	pthread_mutex_lock(&c->lock);
	if (flight >= 0)
		c->flights[flight][0] = '\0';
	pthread_cond_broadcast(&c->built);
	pthread_mutex_unlock(&c->lock);
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

	int64_t debounce = (int64_t)app->cfg->today_debounce_ms * 1000;
	int flight = -1;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		struct entry *e = NULL;
		for (int i = 0; i < CACHE_SLOTS && !e; i++)
			if (c->slots[i].resp && strcmp(c->slots[i].key, key) == 0)
				e = &c->slots[i];
		bool this_hour = e && now < e->until_us && now >= e->until_us - 3600 * AQ_US_PER_SEC;
		bool flying = false;
		for (int i = 0; i < CACHE_SLOTS && !flying; i++)
			flying = strcmp(c->flights[i], key) == 0;
		bool fresh = this_hour && e->version == version;
		/* Stale but recent enough: a slow entry within its debounce, or being rebuilt. */
		if (!fresh && this_hour && debounce > 0 && e->build_us >= SLOW_BUILD_US) {
			int64_t wait = e->build_us * REBUILD_SHARE > debounce ? e->build_us * REBUILD_SHARE : debounce;
			fresh = flying || aq_monotonic_us() - e->built_us < wait;
			if (fresh)
				aq_metrics_add(app->metrics, AQ_C_TODAY_STALE, 1);
		}
		if (fresh) {
			e->uses++;
			/* Queued under the lock: a concurrent rebuild cannot destroy it meanwhile. */
			if (gzip && e->gz_resp)
				ret = aq_reply_shared(req, e->gz_resp, MHD_HTTP_OK, e->gz_len, e->gz_etag);
			else
				ret = aq_reply_shared(req, e->resp, MHD_HTTP_OK, e->len, e->etag);
			pthread_mutex_unlock(&c->lock);
			return ret;
		}
		if (!flying) {
			for (int i = 0; i < CACHE_SLOTS && flight < 0; i++)
				if (!c->flights[i][0])
					flight = i;
			if (flight >= 0) /* (all 16 flying: build beside them, as before) */
				snprintf(c->flights[flight], sizeof c->flights[flight], "%s", key);
			break;
		}
		pthread_cond_wait(&c->built, &c->lock); /* someone builds it: look again after */
		version = atomic_load(&app->data_version);
	}
	pthread_mutex_unlock(&c->lock);
	aq_metrics_add(app->metrics, AQ_C_TODAY_BUILDS, 1);
	int64_t build_start = aq_monotonic_us();

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
	if (st != AQ_OK) {
		end_flight(c, flight);
		return aq_reply_error(req, st, problem, NULL);
	}
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
		end_flight(c, flight);
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
	slot->built_us = aq_monotonic_us();
	slot->build_us = slot->built_us - build_start;
	memcpy(slot->etag, etag, sizeof etag);
	memcpy(slot->gz_etag, gz_etag, sizeof gz_etag);
	if (gzip && gz_resp)
		ret = aq_reply_shared(req, gz_resp, MHD_HTTP_OK, gz_len, gz_etag);
	else
		ret = aq_reply_shared(req, resp, MHD_HTTP_OK, len, etag);
	if (flight >= 0)
		c->flights[flight][0] = '\0';
	pthread_cond_broadcast(&c->built);
	pthread_mutex_unlock(&c->lock);
	return ret;
}
