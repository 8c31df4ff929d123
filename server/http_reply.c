/* http_reply.c — the one place that queues responses: JSON bodies with ETag and 304
 * revalidation, the SPEC error shape, and the headers every reply carries (CORS,
 * Retry-After, WWW-Authenticate, Allow). */
#include "http_internal.h"
#include "aq_csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* True when If-None-Match names etag (or is "*"). */
static bool etag_matches(struct aq_request *req, const char *etag)
{
	const char *inm = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "If-None-Match");
	if (!inm)
		return false;
	if (strcmp(inm, "*") == 0)
		return true;
	/* A list of tags, possibly weak (W/"…", ours or a proxy's): compare the quoted opaque
	 * parts (the weak comparison of RFC 9110 8.8.3.2, which If-None-Match uses). */
	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	return strstr(inm, etag) != NULL;
}

static void add_common_headers(struct aq_app *app, struct MHD_Response *resp)
{
	if (app->cfg->cors_origin && app->cfg->cors_origin[0]) {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", app->cfg->cors_origin);
		MHD_add_response_header(resp, "Access-Control-Expose-Headers", "ETag, Retry-After");
		MHD_add_response_header(resp, "Vary", "Origin");
	}
}

/* Where a replica-routed reply was read (issue 18): X-Aqrank-Read-From replica or primary
 * (bypassed), and the replica's lag in seconds when it was measured. */
static void add_read_headers(const struct aq_request *req, struct MHD_Response *resp)
{
	if (!req->read_from)
		return;
	MHD_add_response_header(resp, "X-Aqrank-Read-From", req->read_from);
	if (req->replica_lag_s >= 0) {
		char lag[32];
		snprintf(lag, sizeof lag, "%.3f", req->replica_lag_s);
		MHD_add_response_header(resp, "X-Aqrank-Replica-Lag", lag);
	}
}

static enum MHD_Result queue(struct aq_request *req, unsigned status, struct MHD_Response *resp, size_t len)
{
	req->status = status;
	req->bytes = len;
	req->replied = true;
	enum MHD_Result ret = MHD_queue_response(req->conn, status, resp);
	return ret;
}

static enum MHD_Result not_modified(struct aq_request *req, const char *etag)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	add_common_headers(req->app, resp);
	add_read_headers(req, resp);
	enum MHD_Result ret = queue(req, MHD_HTTP_NOT_MODIFIED, resp, 0);
	MHD_destroy_response(resp);
	return ret;
}

void aq_download_header(struct MHD_Response *resp, const char *name)
{
	/* Names are made by the handlers from dates and station codes ([A-Za-z0-9_.-]), so they
	 * need no quoting beyond the quotes. */
	char value[160];
	snprintf(value, sizeof value, "attachment; filename=\"%s\"", name);
	MHD_add_response_header(resp, "Content-Disposition", value);
}

/* A CSV is a file to keep: a spreadsheet user's browser saves it under a name that says what
 * it holds (ranking-2026-11-27.csv) instead of showing it or naming it "2026-11-27". */
static void add_download(const struct aq_request *req, struct MHD_Response *resp)
{
	if (req->download[0])
		aq_download_header(resp, req->download);
}

static bool is_get(const struct aq_request *req)
{
	return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

enum MHD_Result aq_reply_body(struct aq_request *req, unsigned status, const char *content_type, char *body, size_t len,
			      const char *etag)
{
	return aq_reply_body_with(req, status, content_type, body, len, etag, NULL, NULL);
}

enum MHD_Result aq_reply_body_with(struct aq_request *req, unsigned status, const char *content_type, char *body,
				   size_t len, const char *etag, const char *header, const char *value)
{
	char tag[24];
	bool cacheable = status == MHD_HTTP_OK && is_get(req);
	if (cacheable && !etag) {
		aq_etag_of(body, len, tag);
		etag = tag;
	}
	if (cacheable && etag_matches(req, etag)) {
		free(body);
		return not_modified(req, etag);
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", content_type);
	add_download(req, resp);
	if (header && value && value[0])
		MHD_add_response_header(resp, header, value);
	if (cacheable) {
		MHD_add_response_header(resp, "ETag", etag);
		MHD_add_response_header(resp, "Cache-Control", "no-cache");
	}
	add_common_headers(req->app, resp);
	add_read_headers(req, resp);
	if (req->server_timing[0])
		MHD_add_response_header(resp, "Server-Timing", req->server_timing);
	if (status == MHD_HTTP_CREATED) /* a PUT that created its target: this path names it */
		MHD_add_response_header(resp, "Location", req->path);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"aqrank\"");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, "Allow", req->allow);
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, "Retry-After", "5");
	if (status == MHD_HTTP_TOO_MANY_REQUESTS) {
		char seconds[16];
		snprintf(seconds, sizeof seconds, "%d", req->retry_after > 0 ? req->retry_after : 1);
		MHD_add_response_header(resp, "Retry-After", seconds);
	}
	enum MHD_Result ret = queue(req, status, resp, len);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result aq_reply_json(struct aq_request *req, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, AQ_JSON_DUMP_FLAGS) : NULL;
	json_decref(body);
	if (!text)
		return aq_reply_error(req, AQ_ERR_INTERNAL, "Out of memory.", NULL);
	return aq_reply_body(req, status, "application/json; charset=utf-8", text, strlen(text), NULL);
}

struct MHD_Response *aq_reply_make_shared(struct aq_app *app, const char *content_type, const char *body, size_t len,
					  const char *etag)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return NULL;
	MHD_add_response_header(resp, "Content-Type", content_type);
	MHD_add_response_header(resp, "ETag", etag);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	add_common_headers(app, resp);
	return resp;
}

enum MHD_Result aq_reply_shared(struct aq_request *req, struct MHD_Response *resp, unsigned status, size_t len,
				const char *etag)
{
	if (status == MHD_HTTP_OK && is_get(req) && etag && etag_matches(req, etag))
		return not_modified(req, etag);
	return queue(req, status, resp, len);
}

enum MHD_Result aq_reply_error(struct aq_request *req, enum aq_status status, const char *message, json_t *details)
{
	json_t *err = json_pack("{s:s, s:s}", "code", aq_status_code(status), "message",
				message ? message : aq_status_message(status));
	if (!err && message) /* not UTF-8 (a message quoting a path of %ff bytes): the default */
		err = json_pack("{s:s, s:s}", "code", aq_status_code(status), "message", aq_status_message(status));
	/* One shape for every error (SPEC §2): details is always there, empty when the message
	 * says it all. */
	if (err)
		json_object_set_new(err, "details", details ? details : json_array());
	else
		json_decref(details);
	json_t *body = json_pack("{s:o}", "error", err);
	char *text = body ? json_dumps(body, AQ_JSON_DUMP_FLAGS) : NULL;
	json_decref(body);
	if (!text)
		return MHD_NO;
	return aq_reply_body(req, aq_status_http(status), "application/json; charset=utf-8", text, strlen(text), NULL);
}

enum MHD_Result aq_reply_errorf(struct aq_request *req, enum aq_status status, const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	return aq_reply_error(req, status, message, NULL);
}

enum MHD_Result aq_reply_empty(struct aq_request *req, unsigned status)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	add_common_headers(req->app, resp);
	enum MHD_Result ret = queue(req, status, resp, 0);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result aq_reply_csv(struct aq_request *req, struct aq_csv *csv, const char *next)
{
	if (csv->oom) {
		aq_csv_cleanup(csv);
		return aq_reply_error(req, AQ_ERR_INTERNAL, "Out of memory.", NULL);
	}
	char tag[24];
	aq_etag_of(csv->text, csv->len, tag);
	if (strcmp(req->method, "GET") == 0 && etag_matches(req, tag)) {
		aq_csv_cleanup(csv);
		return not_modified(req, tag);
	}
	size_t len = csv->len;
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, csv->text, MHD_RESPMEM_MUST_FREE);
	csv->text = NULL;
	aq_csv_cleanup(csv);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "text/csv; charset=utf-8");
	add_download(req, resp);
	MHD_add_response_header(resp, "ETag", tag);
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	if (next)
		MHD_add_response_header(resp, "X-Next-Cursor", next);
	add_common_headers(req->app, resp);
	add_read_headers(req, resp);
	enum MHD_Result ret = queue(req, MHD_HTTP_OK, resp, len);
	MHD_destroy_response(resp);
	return ret;
}
