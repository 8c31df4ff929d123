/* http_bulletins.c — GET /api/v1/bulletins/{date} and /api/v1/bulletins/month/{YYYY-MM}: the
 * bulletin as printable HTML or PDF (format=, or Accept: application/pdf), and the cache of
 * rendered bulletins. A finalized day's bulletin is immutable until the day is finalized
 * again (or takes late readings, which its footer counts), so its bytes are kept with the
 * snapshot's stamp: a request while nothing was written since costs a lookup; after a write
 * anywhere, one small query confirms the stamp. A kept month is valid while nothing is
 * written. Provisional bulletins are built for each request. */
#include "http_internal.h"
#include "aq_bulletins.h"
#include "aq_time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 32

struct slot {
	char key[64];
	int64_t version; /* app->data_version when last confirmed */
	bool month;
	struct aq_bulletin_stamp stamp;
	struct MHD_Response *resp;
	char etag[24];
	size_t len;
	unsigned uses;
};

struct aq_bulletin_cache {
	pthread_mutex_t lock;
	struct slot slots[SLOTS];
};

struct aq_bulletin_cache *aq_bulletin_cache_new(void)
{
	struct aq_bulletin_cache *c = calloc(1, sizeof *c);
	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void aq_bulletin_cache_free(struct aq_bulletin_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < SLOTS; i++)
		if (c->slots[i].resp)
			MHD_destroy_response(c->slots[i].resp);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static bool same_stamp(const struct aq_bulletin_stamp *a, const struct aq_bulletin_stamp *b)
{
	return a->final && b->final && a->finalizations == b->finalizations && a->late_readings == b->late_readings;
}

/* Serves the kept rendering of key when still valid: unchanged data_version, or (a day) the
 * same snapshot stamp now. Returns true when it replied (*ret set). */
static bool serve_kept(struct aq_request *req, const struct aq_bulletin_request *q, const char *key,
		       enum MHD_Result *ret)
{
	struct aq_bulletin_cache *c = req->bulletins;
	int64_t version = atomic_load(&req->app->data_version);
	struct aq_bulletin_stamp kept = {0};
	bool found = false;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &c->slots[i];
		if (!s->resp || strcmp(s->key, key) != 0)
			continue;
		found = true;
		if (s->version == version) {
			s->uses++;
			*ret = aq_reply_shared(req, s->resp, MHD_HTTP_OK, s->len, s->etag);
			pthread_mutex_unlock(&c->lock);
			return true;
		}
		kept = s->stamp;
	}
	pthread_mutex_unlock(&c->lock);
	if (!found || q->month)
		return false;
	struct aq_bulletin_stamp now;
	if (aq_bulletin_stamp(req->app, q, &now) != AQ_OK || !same_stamp(&kept, &now))
		return false;
	bool served = false;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < SLOTS && !served; i++) {
		struct slot *s = &c->slots[i];
		if (s->resp && strcmp(s->key, key) == 0 && same_stamp(&s->stamp, &now)) {
			s->version = version;
			s->uses++;
			*ret = aq_reply_shared(req, s->resp, MHD_HTTP_OK, s->len, s->etag);
			served = true;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return served;
}

/* Keeps resp (taken over) under key. */
static void keep(struct aq_request *req, const char *key, int64_t version, bool month,
		 const struct aq_bulletin_stamp *stamp, struct MHD_Response *resp, size_t len, const char *etag)
{
	struct aq_bulletin_cache *c = req->bulletins;
	pthread_mutex_lock(&c->lock);
	struct slot *slot = NULL;
	for (int i = 0; i < SLOTS && !slot; i++)
		if (c->slots[i].resp && strcmp(c->slots[i].key, key) == 0)
			slot = &c->slots[i];
	for (int i = 0; i < SLOTS && !slot; i++)
		if (!c->slots[i].resp)
			slot = &c->slots[i];
	if (!slot) {
		slot = &c->slots[0];
		for (int i = 1; i < SLOTS; i++)
			if (c->slots[i].uses < slot->uses)
				slot = &c->slots[i];
	}
	if (slot->resp)
		MHD_destroy_response(slot->resp);
	snprintf(slot->key, sizeof slot->key, "%s", key);
	slot->version = version;
	slot->month = month;
	slot->stamp = *stamp;
	slot->resp = resp;
	slot->len = len;
	slot->uses = 1;
	memcpy(slot->etag, etag, sizeof slot->etag);
	pthread_mutex_unlock(&c->lock);
}

/* A query parameter (read here, not through http.c, which calls this file's cache functions:
 * no circle between the two). */
static const char *query(struct aq_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* format=html|pdf, else the Accept header (application/pdf), else HTML; lang=en;
 * campaign_days=0..366. */
static enum aq_status parse_query(struct aq_request *req, struct aq_bulletin_request *q, const char **problem)
{
	const char *format = query(req, "format"), *lang = query(req, "lang");
	const char *days = query(req, "campaign_days");
	const char *accept = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Accept");
	q->english = lang && strcmp(lang, "en") == 0;
	q->campaign_days = AQ_BULLETIN_CAMPAIGN_DAYS;
	if (format && strcmp(format, "pdf") == 0)
		q->format = AQ_BULLETIN_PDF;
	else if (format && strcmp(format, "html") == 0)
		q->format = AQ_BULLETIN_HTML;
	else if (format) {
		*problem = "A bulletin is served as format=html or format=pdf.";
		return AQ_ERR_NOT_ACCEPTABLE;
	} else
		q->format = accept && strstr(accept, "application/pdf") ? AQ_BULLETIN_PDF : AQ_BULLETIN_HTML;
	if (days) {
		char *end;
		long n = strtol(days, &end, 10);
		if (end == days || *end || n < 0 || n > 366) {
			*problem = "campaign_days must be a whole number from 0 to 366.";
			return AQ_ERR_INVALID_PARAMETER;
		}
		q->campaign_days = (int)n;
	}
	return AQ_OK;
}

static enum MHD_Result reply_bulletin(struct aq_request *req, struct aq_bulletin_request *q)
{
	const char *problem = NULL;
	enum MHD_Result ret;
	char key[64];
	snprintf(key, sizeof key, "%c|%lld|%d|%d|%d", q->month ? 'm' : 'd', (long long)q->day, (int)q->format,
		 q->english, q->campaign_days);
	if (serve_kept(req, q, key, &ret))
		return ret;
	int64_t version = atomic_load(&req->app->data_version);
	struct aq_bulletin_output out;
	enum aq_status st = aq_bulletin_build(req->app, q, &out, &problem);
	snprintf(req->server_timing, sizeof req->server_timing, "gather;dur=%.1f, model;dur=%.1f, render;dur=%.1f",
		 out.gather_ms, out.model_ms, out.render_ms);
	if (st != AQ_OK) {
		aq_bulletin_output_free(&out);
		return aq_reply_error(req, st, problem, NULL);
	}
	bool pdf = q->format == AQ_BULLETIN_PDF;
	const char *type = pdf ? "application/pdf" : "text/html; charset=utf-8";
	/* A provisional bulletin changes with every reading: built for each request. */
	bool kept = q->month ? out.final : out.stamp.final && out.final;
	if (!kept) {
		char *body = out.body;
		out.body = NULL;
		return aq_reply_body(req, MHD_HTTP_OK, type, body, out.len, NULL);
	}
	char etag[24], date[16], disposition[96] = "";
	aq_etag_of(out.body, out.len, etag);
	struct MHD_Response *resp = aq_reply_make_shared(req->app, type, out.body, out.len, etag);
	if (!resp) {
		aq_bulletin_output_free(&out);
		return aq_reply_error(req, AQ_ERR_INTERNAL, "Out of memory.", NULL);
	}
	if (pdf) {
		int y, m, d;
		aq_civil_from_days(q->day, &y, &m, &d);
		if (q->month)
			snprintf(date, sizeof date, "%04d-%02d", y, m);
		else
			snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
		snprintf(disposition, sizeof disposition, "inline; filename=\"aqrank-bulletin-%s.pdf\"", date);
		MHD_add_response_header(resp, "Content-Disposition", disposition);
	}
	/* Kept for the next requests; this one is answered with its own copy, which carries the
	 * Server-Timing of the rendering. */
	keep(req, key, version, q->month, &out.stamp, resp, out.len, etag);
	char *body = out.body;
	size_t len = out.len;
	out.body = NULL;
	return aq_reply_body_with(req, MHD_HTTP_OK, type, body, len, etag, pdf ? "Content-Disposition" : NULL,
				  disposition);
}

enum MHD_Result aq_handle_bulletin_day(struct aq_request *req)
{
	struct aq_bulletin_request q = {0};
	const char *problem = NULL;
	if (!aq_date_parse(req->params[0], &q.day))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "The date must be YYYY-MM-DD.", NULL);
	enum aq_status st = parse_query(req, &q, &problem);
	if (st != AQ_OK)
		return aq_reply_error(req, st, problem, NULL);
	return reply_bulletin(req, &q);
}

enum MHD_Result aq_handle_bulletin_month(struct aq_request *req)
{
	struct aq_bulletin_request q = {.month = true};
	const char *problem = NULL, *p = req->params[0];
	int y, m, n = 0;
	if (strlen(p) != 7 || sscanf(p, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 || m < 1 || m > 12 || y < 2000)
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "The month must be YYYY-MM.", NULL);
	q.day = aq_days_from_civil(y, m, 1);
	enum aq_status st = parse_query(req, &q, &problem);
	if (st != AQ_OK)
		return aq_reply_error(req, st, problem, NULL);
	return reply_bulletin(req, &q);
}
