/* webhook.c — delivers alert notifications from webhook_outbox. Each attempt runs inside a
 * transaction that holds the outbox row (FOR UPDATE SKIP LOCKED), so several daemons never
 * deliver the same row, and a crash before COMMIT means the row is delivered again: at least
 * once, never lost. A row is an alert's (its body made now from the alert) or a finalized day's
 * bulletin (its body made at finalization, bulletin_push.c). */
#include "aq_webhook.h"
#include "aq_app.h"
#include "aq_db.h"
#include "aq_json.h"
#include "aq_json_alerts.h"
#include "aq_log.h"
#include "aq_metrics.h"
#include "aq_worker.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

struct aq_webhook {
	struct aq_app *app;
	struct aq_worker *worker; /* NULL without AQRANK_WEBHOOK_URL */
};

int aq_webhook_backoff(int attempts)
{
	int delay = 1;
	for (int i = 1; i < attempts && delay < 3600; i++)
		delay *= 2;
	return delay < 3600 ? delay : 3600;
}

struct reply_buf {
	char text[512];
	size_t len;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply_buf *b = arg;
	size_t n = size * nmemb, room = sizeof b->text - 1 - b->len;
	memcpy(b->text + b->len, data, n < room ? n : room);
	b->len += n < room ? n : room;
	b->text[b->len] = '\0';
	return n;
}

/* POSTs body; true when the receiver took it. The robots answer 200 with {"errcode": 0}. */
static bool post(const struct aq_config *cfg, const char *body, char *error, size_t errlen)
{
	struct reply_buf reply = {.len = 0};
	CURL *curl = curl_easy_init();
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
	bool ok = false;
	if (!curl || !headers) {
		snprintf(error, errlen, "out of memory");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, cfg->webhook_url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)cfg->webhook_timeout);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "aqrankd/" AQ_VERSION);
	CURLcode rc = curl_easy_perform(curl);
	long status = 0;
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		snprintf(error, errlen, "%s", curl_easy_strerror(rc));
	} else if (status < 200 || status > 299) {
		snprintf(error, errlen, "HTTP %ld", status);
	} else if (cfg->webhook_format != AQ_WEBHOOK_JSON && strstr(reply.text, "\"errcode\"") &&
		   !strstr(reply.text, "\"errcode\":0") && !strstr(reply.text, "\"errcode\": 0")) {
		snprintf(error, errlen, "robot refused: %.200s", reply.text);
	} else {
		ok = true;
	}
out:
	curl_slist_free_all(headers);
	if (curl)
		curl_easy_cleanup(curl);
	return ok;
}

struct deliver_args {
	struct aq_app *app;
	bool found;
};

static enum aq_status deliver_tx(struct aq_db *db, void *arg)
{
	struct deliver_args *a = arg;
	const struct aq_config *cfg = a->app->cfg;
	struct aq_outbox_item item;
	char error[256] = "";
	enum aq_status st = aq_db_outbox_claim(db, &item, &a->found);
	if (st != AQ_OK || !a->found)
		return st;
	char *body = NULL;
	if (item.payload[0]) { /* a bulletin: its body was rendered at finalization */
		body = strdup(item.payload);
	} else {
		json_t *o = aq_webhook_body(&item.alert, item.event, cfg->webhook_format);
		body = o ? json_dumps(o, AQ_JSON_DUMP_FLAGS) : NULL;
		json_decref(o);
	}
	if (!body)
		return AQ_ERR_INTERNAL;
	bool ok = post(cfg, body, error, sizeof error);
	free(body);
	aq_metrics_add(a->app->metrics, ok ? AQ_C_WEBHOOK_DELIVERED : AQ_C_WEBHOOK_FAILED, 1);
	const char *what = item.payload[0] ? "bulletin" : "alert";
	long long id = item.payload[0] ? (long long)item.id : (long long)item.alert.id;
	if (!ok)
		aq_log(AQ_LOG_WARN, "webhook: %s %lld attempt %d failed: %s", what, id, item.attempts + 1, error);
	else
		aq_log(AQ_LOG_INFO, "webhook: %s %lld delivered", what, id);
	return aq_db_outbox_done(db, item.id, ok, aq_webhook_backoff(item.attempts + 1), error);
}

/* One delivery attempt; true when there was something to deliver (try the next at once). */
static bool webhook_step(void *arg)
{
	struct aq_webhook *w = arg;
	enum aq_status st;
	struct aq_db *db = aq_app_db(w->app, &st);
	if (!db)
		return false;
	struct deliver_args a = {w->app, false};
	st = aq_db_tx(db, deliver_tx, &a);
	aq_db_release(w->app->pool, db);
	return st == AQ_OK && a.found;
}

struct aq_webhook *aq_webhook_start(struct aq_app *app)
{
	struct aq_webhook *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->app = app;
	/* Without a receiver there is nothing to deliver, and no thread. */
	if (app->cfg->webhook_url && app->cfg->webhook_url[0] &&
	    !(w->worker = aq_worker_start(webhook_step, w, 500, 0))) {
		free(w);
		return NULL;
	}
	return w;
}

void aq_webhook_stop(struct aq_webhook *w)
{
	if (!w)
		return;
	aq_worker_stop(w->worker);
	free(w);
}
