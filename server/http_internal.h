/* http_internal.h — what the http*.c files share: the request context, the route table
 * entry, the reply functions and the handlers. Only http*.c include this (and microhttpd.h). */
#ifndef AQ_HTTP_INTERNAL_H
#define AQ_HTTP_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "aq_app.h"
#include "aq_etag.h"
#include "aq_http.h"
#include "aq_json.h"
#include "aq_status.h"

enum aq_auth {
	AQ_AUTH_OPEN,    /* never needs a token (health, dashboard) */
	AQ_AUTH_READ,    /* open, unless AQRANK_READ_TOKEN is set */
	AQ_AUTH_STATION, /* a station token (for its own station) or the admin token */
	AQ_AUTH_ADMIN,   /* the admin token */
	AQ_AUTH_METRICS, /* AQRANK_METRICS_TOKEN (or admin) when set; else as AQ_AUTH_READ */
};

enum aq_role { AQ_ROLE_NONE, AQ_ROLE_READ, AQ_ROLE_STATION, AQ_ROLE_ADMIN, AQ_ROLE_METRICS };

#define AQ_MAX_PATH_PARAMS 3

struct aq_request;
typedef enum MHD_Result (*aq_handler_fn)(struct aq_request *req);

struct aq_route {
	const char *method;
	const char *pattern; /* "/api/v1/stations/{}/readings": {} matches one path segment */
	aq_handler_fn handler;
	enum aq_auth auth;
	bool json_body; /* the handler takes a JSON body (parsed once by the dispatcher) */
	const char *name; /* metrics label */
	const char *query; /* the query parameters it takes, comma-separated (API routes refuse
			    * any other with 422; NULL: none) */
	bool replica; /* its reads may go to the read replica (AQRANK_READ_DSN), in one snapshot */
	/* The body is parsed in the thread's json arena (aq_json_arena.h): the handler turns it into
	 * structs and calls aq_request_json_drop before it builds any other json value. */
	bool scratch_json;
};

/* One HTTP request, from its request line to the completion callback (http.c owns it). */
struct aq_request {
	struct aq_app *app;
	struct aq_http *http;
	struct aq_today_cache *today; /* the HTTP daemon's */
	struct aq_bulletin_cache *bulletins; /* the HTTP daemon's rendered bulletins */
	struct MHD_Connection *conn;
	const struct aq_route *route;
	const char *method; /* as received ("HEAD" is routed like "GET") */
	char *path;         /* copy of the URL path */
	char *params[AQ_MAX_PATH_PARAMS];
	char *segments;     /* storage for params */
	char allow[64];     /* Allow header for 405 and OPTIONS */
	char server_timing[96]; /* Server-Timing header of a computed reply, or "" */
	char download[96];      /* a CSV's file name (Content-Disposition: attachment), or "" */
	enum aq_status early_error; /* found on the first call, answered on the last */
	enum aq_status uri_error;   /* what the raw request line showed (NUL, length) */
	const char *uri_end;        /* end of the URI string in MHD's buffer, until the first call */
	bool authorized;            /* authorize() passed before the body was read */
	char *body;
	size_t body_len, body_cap;
	bool body_too_large;
	json_t *json; /* parsed body, owned */
	bool json_in_arena; /* req->json lives in the thread's json arena (route->scratch_json) */
	enum aq_role role;
	struct aq_station station; /* the caller's station, for AQ_ROLE_STATION */
	const char *read_from; /* a replica-routed reply: "replica" or "primary"; NULL otherwise */
	double replica_lag_s;  /* the replica's lag then (-1: unknown) */
	unsigned status;
	size_t bytes;
	int64_t start_us;
	int retry_after; /* seconds, for a 429 */
	bool replied;
	/* A parked request (aq_request_park): what answers it once woken, and its state (freed
	 * with parked_free when the request ends). */
	aq_handler_fn resume;
	void *parked;
	void (*parked_free)(void *state);
};

/* ---- http_reply.c: the one place that queues responses ---- */

/* Queues body (consumed) as JSON with status. GET 200 replies carry an ETag, and a matching
 * If-None-Match turns them into 304 without a body. */
enum MHD_Result aq_reply_json(struct aq_request *req, unsigned status, json_t *body);
/* Queues an already-serialized body (consumed, malloc'd) of content_type; etag may be NULL
 * (then it is computed for GET 200). */
enum MHD_Result aq_reply_body(struct aq_request *req, unsigned status, const char *content_type,
			      char *body, size_t len, const char *etag);
/* The same with one more header (header or value NULL/"": none), e.g. Content-Disposition. */
enum MHD_Result aq_reply_body_with(struct aq_request *req, unsigned status, const char *content_type, char *body,
				   size_t len, const char *etag, const char *header, const char *value);
/* Queues a shared response (not consumed) made by aq_reply_make_shared. */
enum MHD_Result aq_reply_shared(struct aq_request *req, struct MHD_Response *resp, unsigned status,
				size_t len, const char *etag);
/* Makes a reusable response of body (copied) with the usual headers. NULL on ENOMEM. */
struct MHD_Response *aq_reply_make_shared(struct aq_app *app, const char *content_type,
					  const char *body, size_t len, const char *etag);
/* The SPEC error shape for status: {"error": {"code", "message", "details"}}; message NULL
 * means the status's default, details (consumed) may be NULL. */
enum MHD_Result aq_reply_error(struct aq_request *req, enum aq_status status, const char *message,
			       json_t *details);
/* printf-style message. */
enum MHD_Result aq_reply_errorf(struct aq_request *req, enum aq_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Queues a CSV document (its text is taken over; csv is left empty). next, when not NULL,
 * is the paging cursor, sent as the X-Next-Cursor header. */
struct aq_csv;
enum MHD_Result aq_reply_csv(struct aq_request *req, struct aq_csv *csv, const char *next);
/* Content-Disposition: attachment; filename="name" (a name of [A-Za-z0-9_.-]). */
void aq_download_header(struct MHD_Response *resp, const char *name);
/* 204 No Content. */
enum MHD_Result aq_reply_empty(struct aq_request *req, unsigned status);

/* ---- http_guard.c: per-address connection limit and the request-head deadline ---- */

struct aq_guard;
struct aq_addr;
struct aq_config;
struct aq_metrics;
/* Starts the watchdog; NULL on failure (logged). Pair with aq_guard_free after the daemon
 * has stopped. */
struct aq_guard *aq_guard_new(const struct aq_config *cfg, struct aq_metrics *metrics);
void aq_guard_free(struct aq_guard *g);
/* libmicrohttpd's accept-policy and connection-notify callbacks (cls: the guard). */
enum MHD_Result aq_guard_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void aq_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		     enum MHD_ConnectionNotificationCode toe);
/* A request's head has arrived (no deadline while it is answered) / its answer is complete
 * (the next head is due after the idle timeout plus the header timeout). */
void aq_guard_request_begun(struct aq_guard *g, struct MHD_Connection *conn);
void aq_guard_request_ended(struct aq_guard *g, struct MHD_Connection *conn);
/* The connection's peer address; false if unknown. */
bool aq_guard_peer(struct MHD_Connection *conn, struct aq_addr *peer);
/* True when peer is one of AQRANK_TRUSTED_PROXIES. */
bool aq_guard_trusted(const struct aq_guard *g, const struct aq_addr *peer);

/* ---- request helpers (http.c) ---- */

/* Query parameter, or NULL. */
const char *aq_request_query(struct aq_request *req, const char *name);
/* Borrows a DB connection; on failure replies 503 itself and returns NULL (*result set). */
struct aq_db *aq_request_db(struct aq_request *req, enum MHD_Result *result);
/* Frees the parsed body now and, when it was parsed in the thread's json arena, closes the
 * arena's scope: every json value made since the parse is gone after this. */
void aq_request_json_drop(struct aq_request *req);

/* Parks req: its connection is suspended (holding no worker thread) until aq_request_wake;
 * then resume(req) answers it. state (consumed: state_free frees it when the request ends,
 * NULL-safe) is req->parked meanwhile. Call from a handler, which then returns MHD_YES; a
 * parked request must be woken (a stop of the daemon waits for it). */
void aq_request_park(struct aq_request *req, aq_handler_fn resume, void *state, void (*state_free)(void *state));
/* Wakes a parked request; any thread may call it, once per park. */
void aq_request_wake(struct aq_request *req);

/* ---- handlers ---- */
enum MHD_Result aq_handle_healthz(struct aq_request *req);
enum MHD_Result aq_handle_readyz(struct aq_request *req);
enum MHD_Result aq_handle_metrics(struct aq_request *req);
enum MHD_Result aq_handle_station_list(struct aq_request *req);
enum MHD_Result aq_handle_station_get(struct aq_request *req);
enum MHD_Result aq_handle_station_put(struct aq_request *req);
enum MHD_Result aq_handle_station_delete(struct aq_request *req);
enum MHD_Result aq_handle_station_token(struct aq_request *req);
enum MHD_Result aq_handle_station_lockout_lift(struct aq_request *req);
enum MHD_Result aq_handle_readings_post(struct aq_request *req);
enum MHD_Result aq_handle_readings_list(struct aq_request *req);
enum MHD_Result aq_handle_ranking_today(struct aq_request *req);
enum MHD_Result aq_handle_ranking_latest(struct aq_request *req);
enum MHD_Result aq_handle_ranking_day(struct aq_request *req);
enum MHD_Result aq_handle_ranking_month(struct aq_request *req);
enum MHD_Result aq_handle_ranking_year(struct aq_request *req);
enum MHD_Result aq_handle_ranking_month_to_date(struct aq_request *req);
enum MHD_Result aq_handle_ranking_year_to_date(struct aq_request *req);
enum MHD_Result aq_handle_ranking_campaign(struct aq_request *req);
enum MHD_Result aq_handle_period_finalize_month(struct aq_request *req);
enum MHD_Result aq_handle_period_finalize_year(struct aq_request *req);
enum MHD_Result aq_handle_ranking_finalize(struct aq_request *req);
enum MHD_Result aq_handle_ranking_summary(struct aq_request *req);
enum MHD_Result aq_handle_interviews_list(struct aq_request *req);
enum MHD_Result aq_handle_interview_patch(struct aq_request *req);
enum MHD_Result aq_handle_station_hourly(struct aq_request *req);
enum MHD_Result aq_handle_station_daily(struct aq_request *req);
enum MHD_Result aq_handle_station_quality(struct aq_request *req);
enum MHD_Result aq_handle_calibrations_list(struct aq_request *req);
enum MHD_Result aq_handle_calibration_create(struct aq_request *req);
enum MHD_Result aq_handle_calibration_approve(struct aq_request *req);
enum MHD_Result aq_handle_quality_summary(struct aq_request *req);
enum MHD_Result aq_handle_alerts_list(struct aq_request *req);
enum MHD_Result aq_handle_alert_ack(struct aq_request *req);
enum MHD_Result aq_handle_events(struct aq_request *req);
enum MHD_Result aq_handle_national_sources(struct aq_request *req);
enum MHD_Result aq_handle_bulletin_day(struct aq_request *req);
enum MHD_Result aq_handle_bulletin_month(struct aq_request *req);
enum MHD_Result aq_handle_dashboard(struct aq_request *req);
enum MHD_Result aq_handle_static(struct aq_request *req);
enum MHD_Result aq_handle_favicon(struct aq_request *req);

/* ---- today's ranking through its cache (http_today.c) ---- */

/* The cache in front of /api/v1/ranking/today: dashboards poll it all day, so its body is
 * built only when the data or the clock's hour changed and served from memory (with its
 * ETag, gzipped for those who accept it) otherwise. One per HTTP daemon. */
struct aq_today_cache;
struct aq_today_cache *aq_today_cache_new(void);
void aq_today_cache_free(struct aq_today_cache *cache);
/* Replies with today's ranking under q (its day is ignored) served as r. */
struct aq_day_query;
struct aq_day_render;
enum MHD_Result aq_today_reply(struct aq_request *req, const struct aq_day_query *q, const struct aq_day_render *r);

/* ---- rendered bulletins (http_bulletins.c) ---- */

/* The bulletins this daemon rendered, kept as ready responses with the snapshot stamp they
 * were built from. One per HTTP daemon. */
struct aq_bulletin_cache;
struct aq_bulletin_cache *aq_bulletin_cache_new(void);
void aq_bulletin_cache_free(struct aq_bulletin_cache *cache);

#endif
