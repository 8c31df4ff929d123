/* http.c — the HTTP daemon: libmicrohttpd with a worker thread pool, the static route table
 * (404 vs 405 with Allow), and the request lifecycle in one place: the first call allocates
 * the request and routes it, body chunks are gathered up to the limit, the last call checks
 * auth, parses JSON once and runs the handler, and the completion callback logs and frees. */
#include "http_internal.h"
#include "aq_log.h"
#include "aq_metrics.h"
#include "aq_ratelimit.h"
#include "aq_station.h"
#include "aq_token.h"
#include "aq_token_cache.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct aq_http {
	struct MHD_Daemon *daemon;
	struct aq_app *app;
	struct aq_today_cache *today;
	int port;
	atomic_int in_flight; /* requests begun and not completed: what a stop waits for */
};

static const struct aq_route routes[] = {
	{"GET", "/", aq_handle_dashboard, AQ_AUTH_OPEN, false, "dashboard"},
	{"GET", "/static/{}", aq_handle_static, AQ_AUTH_OPEN, false, "static"},
	{"GET", "/healthz", aq_handle_healthz, AQ_AUTH_OPEN, false, "healthz"},
	{"GET", "/readyz", aq_handle_readyz, AQ_AUTH_OPEN, false, "readyz"},
	{"GET", "/metrics", aq_handle_metrics, AQ_AUTH_OPEN, false, "metrics"},
	{"GET", "/api/v1/stations", aq_handle_station_list, AQ_AUTH_READ, false, "stations"},
	{"GET", "/api/v1/stations/{}", aq_handle_station_get, AQ_AUTH_READ, false, "station"},
	{"PUT", "/api/v1/stations/{}", aq_handle_station_put, AQ_AUTH_ADMIN, true, "station"},
	{"DELETE", "/api/v1/stations/{}", aq_handle_station_delete, AQ_AUTH_ADMIN, false, "station"},
	{"POST", "/api/v1/stations/{}/token", aq_handle_station_token, AQ_AUTH_ADMIN, false, "station_token"},
	{"GET", "/api/v1/stations/{}/readings", aq_handle_readings_list, AQ_AUTH_READ, false, "station_readings"},
	{"GET", "/api/v1/stations/{}/hourly", aq_handle_station_hourly, AQ_AUTH_READ, false, "station_hourly"},
	{"GET", "/api/v1/stations/{}/daily", aq_handle_station_daily, AQ_AUTH_READ, false, "station_daily"},
	{"GET", "/api/v1/stations/{}/quality", aq_handle_station_quality, AQ_AUTH_READ, false, "station_quality"},
	{"GET", "/api/v1/stations/{}/calibrations", aq_handle_calibrations_list, AQ_AUTH_READ, false, "calibrations"},
	{"POST", "/api/v1/stations/{}/calibrations", aq_handle_calibration_create, AQ_AUTH_ADMIN, true, "calibrations"},
	{"POST", "/api/v1/stations/{}/calibrations/{}/approve", aq_handle_calibration_approve, AQ_AUTH_ADMIN, true,
	 "calibration_approve"},
	{"POST", "/api/v1/readings", aq_handle_readings_post, AQ_AUTH_STATION, true, "readings"},
	{"GET", "/api/v1/ranking/today", aq_handle_ranking_today, AQ_AUTH_READ, false, "ranking_today"},
	{"GET", "/api/v1/ranking/latest", aq_handle_ranking_latest, AQ_AUTH_READ, false, "ranking_latest"},
	{"GET", "/api/v1/ranking/summary", aq_handle_ranking_summary, AQ_AUTH_READ, false, "ranking_summary"},
	{"GET", "/api/v1/ranking/{}", aq_handle_ranking_day, AQ_AUTH_READ, false, "ranking_day"},
	{"POST", "/api/v1/ranking/{}/finalize", aq_handle_ranking_finalize, AQ_AUTH_ADMIN, true, "ranking_finalize"},
	{"GET", "/api/v1/quality/summary", aq_handle_quality_summary, AQ_AUTH_READ, false, "quality_summary"},
	{"GET", "/api/v1/interviews", aq_handle_interviews_list, AQ_AUTH_READ, false, "interviews"},
	{"PATCH", "/api/v1/interviews/{}", aq_handle_interview_patch, AQ_AUTH_ADMIN, true, "interview"},
	{"GET", "/api/v1/alerts", aq_handle_alerts_list, AQ_AUTH_READ, false, "alerts"},
	{"POST", "/api/v1/alerts/{}/ack", aq_handle_alert_ack, AQ_AUTH_ADMIN, true, "alert_ack"},
	{"GET", "/api/v1/events", aq_handle_events, AQ_AUTH_READ, false, "events"},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

/* Matches path against pattern, capturing {} segments into req->params. */
static bool match(const char *pattern, const char *path, struct aq_request *req, bool capture)
{
	int nparam = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (p[0] == '{' && p[1] == '}') {
			size_t n = strcspn(s, "/");
			if (n == 0 || nparam == AQ_MAX_PATH_PARAMS)
				return false;
			if (capture) {
				char *copy = strndup(s, n);
				if (!copy)
					return false;
				free(req->params[nparam]);
				req->params[nparam] = copy;
			}
			nparam++;
			s += n;
			p += 2;
		} else if (*p == *s) {
			p++;
			s++;
		} else {
			return false;
		}
	}
	return *p == '\0' && *s == '\0';
}

/* Finds the route; sets early_error to 404 or 405 (with req->allow) when there is none. */
static void route_request(struct aq_request *req)
{
	const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
	bool path_known = false;
	req->allow[0] = '\0';
	for (size_t i = 0; i < N_ROUTES; i++) {
		if (!match(routes[i].pattern, req->path, req, false))
			continue;
		if (!path_known)
			snprintf(req->allow, sizeof req->allow, "OPTIONS");
		path_known = true;
		size_t used = strlen(req->allow);
		snprintf(req->allow + used, sizeof req->allow - used, ", %s%s", routes[i].method,
			 strcmp(routes[i].method, "GET") == 0 ? ", HEAD" : "");
		if (!req->route && strcmp(routes[i].method, method) == 0) {
			req->route = &routes[i];
			match(routes[i].pattern, req->path, req, true);
		}
	}
	if (!req->route && strcmp(req->method, "OPTIONS") != 0)
		req->early_error = path_known ? AQ_ERR_METHOD_NOT_ALLOWED : AQ_ERR_NOT_FOUND;
	else if (!path_known)
		req->early_error = AQ_ERR_NOT_FOUND;
}

const char *aq_request_query(struct aq_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct aq_db *aq_request_db(struct aq_request *req, enum MHD_Result *result)
{
	enum aq_status st;
	struct aq_db *db = aq_app_db(req->app, &st);
	if (!db)
		*result = aq_reply_error(req, st, NULL, NULL);
	return db;
}

/* Headers larger than this (all names and values) are refused with 431. */
#define MAX_HEADER_BYTES (32 * 1024)
/* Each connection's libmicrohttpd memory pool: headers up to MAX_HEADER_BYTES fit with room
 * to spare, so our JSON 431 answers them (up to ~63 KB; beyond, libmicrohttpd's own 431
 * page). No larger: libmicrohttpd 0.9.75 zeroes the whole pool between keep-alive requests,
 * and at 256 KB that memset was 30% of the daemon's CPU under GET load. */
#define CONNECTION_MEMORY (64 * 1024)

static enum MHD_Result count_header_bytes(void *cls, enum MHD_ValueKind kind, const char *key,
					  const char *value)
{
	size_t *total = cls;
	(void)kind;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* Who is calling: admin, read or station token, or none. A station token costs one query, so
 * it is looked up only where a station token could be accepted or refused meaningfully. */
static enum aq_status authenticate(struct aq_request *req, const unsigned char hash[AQ_TOKEN_HASH_LEN])
{
	struct aq_app *app = req->app;
	if (app->has_admin && aq_token_hash_equal(hash, app->admin_hash)) {
		req->role = AQ_ROLE_ADMIN;
		return AQ_OK;
	}
	if (app->has_read && aq_token_hash_equal(hash, app->read_hash)) {
		req->role = AQ_ROLE_READ;
		return AQ_OK;
	}
	if (req->route->auth == AQ_AUTH_READ || req->route->auth == AQ_AUTH_OPEN)
		return AQ_ERR_UNAUTHORIZED;
	if (aq_token_cache_get(app->tokens, hash, aq_monotonic_us(), &req->station)) {
		req->role = AQ_ROLE_STATION;
		return AQ_OK;
	}
	enum aq_status st;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return st;
	st = aq_db_station_by_token(db, hash, &req->station);
	aq_db_release(app->pool, db);
	if (st == AQ_OK) {
		req->role = AQ_ROLE_STATION;
		aq_token_cache_put(app->tokens, hash, aq_monotonic_us(), &req->station);
	}
	return st;
}

/* Applies the route's auth rule. AQ_OK or the status to answer with. */
static enum aq_status authorize(struct aq_request *req)
{
	const char *header = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization");
	const char *token = NULL;
	enum aq_auth need = req->route->auth;

	if (header && strncasecmp(header, "Bearer ", 7) == 0) {
		token = header + 7;
		while (*token == ' ')
			token++;
	}
	if (need == AQ_AUTH_OPEN || (need == AQ_AUTH_READ && !req->app->has_read))
		return AQ_OK;
	if (need == AQ_AUTH_ADMIN && !req->app->has_admin)
		return AQ_ERR_FORBIDDEN; /* SPEC: without an admin token set, admin endpoints answer 403 */
	if (!token || !*token)
		return AQ_ERR_UNAUTHORIZED;
	unsigned char hash[AQ_TOKEN_HASH_LEN];
	aq_token_hash(token, hash);
	enum aq_status st = authenticate(req, hash);
	if (st != AQ_OK)
		return st;
	if (!aq_ratelimit_take(req->app->ratelimit, hash, aq_monotonic_us(), &req->retry_after)) {
		aq_metrics_add(req->app->metrics, AQ_C_RATE_LIMITED, 1);
		return AQ_ERR_RATE_LIMITED;
	}
	switch (need) {
	case AQ_AUTH_READ: return req->role == AQ_ROLE_READ || req->role == AQ_ROLE_ADMIN ? AQ_OK : AQ_ERR_FORBIDDEN;
	case AQ_AUTH_STATION:
		return req->role == AQ_ROLE_STATION || req->role == AQ_ROLE_ADMIN ? AQ_OK : AQ_ERR_FORBIDDEN;
	case AQ_AUTH_ADMIN: return req->role == AQ_ROLE_ADMIN ? AQ_OK : AQ_ERR_FORBIDDEN;
	default: return AQ_OK;
	}
}

static bool is_json_type(const char *content_type)
{
	if (!content_type)
		return false;
	size_t n = strcspn(content_type, ";");
	while (n && content_type[n - 1] == ' ')
		n--;
	return (n == 16 && strncasecmp(content_type, "application/json", 16) == 0) ||
	       (n > 5 && strncasecmp(content_type + n - 5, "+json", 5) == 0);
}

static enum MHD_Result answer_options(struct aq_request *req)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Allow", req->allow);
	if (req->app->cfg->cors_origin && req->app->cfg->cors_origin[0]) {
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", req->app->cfg->cors_origin);
		MHD_add_response_header(resp, "Access-Control-Allow-Methods", req->allow);
		MHD_add_response_header(resp, "Access-Control-Allow-Headers",
					"Authorization, Content-Type, If-None-Match");
		MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
		MHD_add_response_header(resp, "Vary", "Origin");
	}
	req->status = MHD_HTTP_NO_CONTENT;
	req->replied = true;
	enum MHD_Result ret = MHD_queue_response(req->conn, MHD_HTTP_NO_CONTENT, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The last call: everything is in; answer. */
static enum MHD_Result dispatch(struct aq_request *req)
{
	enum aq_status st;
	if (req->early_error == AQ_ERR_HEADERS_TOO_LARGE)
		return aq_reply_errorf(req, AQ_ERR_HEADERS_TOO_LARGE, "The request headers exceed %d bytes.",
				       MAX_HEADER_BYTES);
	if (req->early_error != AQ_OK) {
		if (req->early_error == AQ_ERR_NOT_FOUND)
			return aq_reply_errorf(req, AQ_ERR_NOT_FOUND, "No resource at %s.", req->path);
		return aq_reply_errorf(req, req->early_error, "%s is not allowed here; allowed: %s.",
				       req->method, req->allow);
	}
	if (!req->route)
		return answer_options(req);
	/* A path that names a station by a code no station can have names no station. */
	if (req->params[0] && strncmp(req->route->pattern, "/api/v1/stations/{}", 19) == 0 &&
	    strcmp(req->method, "PUT") != 0 && !aq_station_code_valid(req->params[0]))
		return aq_reply_error(req, AQ_ERR_UNKNOWN_STATION, NULL, NULL);
	if (req->body_too_large)
		return aq_reply_errorf(req, AQ_ERR_BODY_TOO_LARGE, "The body is larger than %ld bytes.",
				       req->app->cfg->max_body);
	if ((st = authorize(req)) != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	if (req->body_len > 0) {
		if (!req->route->json_body)
			return aq_reply_error(req, AQ_ERR_UNSUPPORTED_MEDIA_TYPE, "This endpoint takes no body.", NULL);
		const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
		if (!is_json_type(ct))
			return aq_reply_error(req, AQ_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
		json_error_t jerr;
		/* JSON_REJECT_DUPLICATES: {"pm25": 1, "pm25": 900} must not silently keep one. */
		req->json = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!req->json)
			return aq_reply_errorf(req, AQ_ERR_INVALID_JSON, "Invalid JSON at line %d, column %d: %s",
					       jerr.line, jerr.column, jerr.text);
	}
	return req->route->handler(req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct aq_http *http = cls;
	struct aq_request *req = *con_cls;
	(void)version;

	if (!req) {
		req = calloc(1, sizeof *req);
		if (!req)
			return MHD_NO;
		req->app = http->app;
		req->today = http->today;
		req->conn = conn;
		req->method = method;
		req->start_us = aq_monotonic_us();
		req->path = strdup(url);
		*con_cls = req;
		atomic_fetch_add(&http->in_flight, 1);
		if (!req->path)
			return MHD_NO;
		route_request(req);
		size_t header_bytes = 0;
		MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header_bytes, &header_bytes);
		if (header_bytes > MAX_HEADER_BYTES) {
			/* Refused here, as JSON; beyond the connection's memory pool libmicrohttpd would
			 * refuse first, with its own page. */
			req->early_error = AQ_ERR_HEADERS_TOO_LARGE;
			return dispatch(req);
		}
		const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		if (length && strtoll(length, NULL, 10) > req->app->cfg->max_body) {
			/* Refuse now rather than read a body we would throw away. MHD closes the
			 * connection after this reply, which is what we want here. */
			req->body_too_large = true;
			return dispatch(req);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->body_too_large || req->replied)
			return MHD_YES;
		if (req->body_len + n > (size_t)req->app->cfg->max_body) {
			req->body_too_large = true;
			free(req->body);
			req->body = NULL;
			req->body_len = req->body_cap = 0;
			return MHD_YES;
		}
		if (req->body_len + n + 1 > req->body_cap) {
			size_t cap = req->body_cap ? req->body_cap * 2 : 4096;
			while (cap < req->body_len + n + 1)
				cap *= 2;
			char *body = realloc(req->body, cap);
			if (!body)
				return MHD_NO;
			req->body = body;
			req->body_cap = cap;
		}
		memcpy(req->body + req->body_len, upload_data, n);
		req->body_len += n;
		req->body[req->body_len] = '\0';
		return MHD_YES;
	}
	if (req->replied)
		return MHD_YES;
	return dispatch(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct aq_http *http = cls;
	struct aq_request *req = *con_cls;
	(void)conn;
	(void)code;
	if (!req)
		return;
	atomic_fetch_sub(&http->in_flight, 1);
	double ms = (double)(aq_monotonic_us() - req->start_us) / 1000.0;
	aq_log_request(req->method, req->path ? req->path : "?", req->status, req->bytes, ms);
	aq_metrics_request(req->app->metrics, req->route ? (int)(req->route - routes) : -1, req->status, ms / 1000);
	for (int i = 0; i < AQ_MAX_PATH_PARAMS; i++)
		free(req->params[i]);
	json_decref(req->json);
	free(req->body);
	free(req->path);
	free(req);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char text[512];
	(void)cls;
	vsnprintf(text, sizeof text, fmt, ap);
	text[strcspn(text, "\n")] = '\0';
	aq_log(AQ_LOG_DEBUG, "http: %s", text);
}

static bool resolve(const char *host, int port, struct sockaddr_storage *addr)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char portbuf[8];
	char h[64];
	snprintf(portbuf, sizeof portbuf, "%d", port);
	snprintf(h, sizeof h, "%s", host);
	if (h[0] == '[') { /* [::1] */
		memmove(h, h + 1, strlen(h));
		h[strcspn(h, "]")] = '\0';
	}
	if (getaddrinfo(h[0] ? h : NULL, portbuf, &hints, &res) != 0 || !res)
		return false;
	memset(addr, 0, sizeof *addr);
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return true;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *data = NULL;
	size_t len = 0, cap = 0;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *grown = realloc(data, cap);
			if (!grown) {
				free(data);
				fclose(f);
				return NULL;
			}
			data = grown;
		}
		memcpy(data + len, chunk, n);
		len += n;
		data[len] = '\0';
	}
	fclose(f);
	return data;
}

struct aq_http *aq_http_start(struct aq_app *app)
{
	const struct aq_config *cfg = app->cfg;
	struct sockaddr_storage addr;
	struct aq_http *http = calloc(1, sizeof *http);
	char *cert = NULL, *key = NULL;
	if (!http)
		return NULL;
	http->app = app;
	if (!(http->today = aq_today_cache_new())) {
		free(http);
		return NULL;
	}
	for (size_t i = 0; i < N_ROUTES && i < AQ_METRICS_ROUTES; i++)
		app->metrics->route_names[i] = routes[i].pattern, app->metrics->route_methods[i] = routes[i].method;
	if (!resolve(cfg->listen_host, cfg->listen_port, &addr)) {
		aq_log(AQ_LOG_ERROR, "AQRANK_LISTEN=%s: not a numeric address", cfg->listen);
		aq_today_cache_free(http->today);
		free(http);
		return NULL;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	bool tls = cfg->tls_cert && cfg->tls_cert[0];
	if (tls) {
		cert = read_file(cfg->tls_cert);
		key = read_file(cfg->tls_key);
		if (!cert || !key) {
			aq_log(AQ_LOG_ERROR, "cannot read AQRANK_TLS_CERT/AQRANK_TLS_KEY");
			free(cert);
			free(key);
			aq_today_cache_free(http->today);
			free(http);
			return NULL;
		}
		flags |= MHD_USE_TLS;
	}
	http->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, http, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)cfg->conn_limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_limit,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->conn_timeout, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, http, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, http,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY, tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		cert, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	free(cert);
	free(key);
	if (!http->daemon) {
		aq_log(AQ_LOG_ERROR, "cannot listen on %s", cfg->listen);
		aq_today_cache_free(http->today);
		free(http);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);
	http->port = info ? info->port : cfg->listen_port;
	return http;
}

int aq_http_port(const struct aq_http *http)
{
	return http->port;
}

void aq_http_stop(struct aq_http *http, int grace_s)
{
	if (!http)
		return;
	MHD_socket listener = MHD_quiesce_daemon(http->daemon);
	if (listener != MHD_INVALID_SOCKET)
		close(listener);
	/* Requests in flight finish (event streams end: the hub was shut down first); idle
	 * keep-alive connections are not waited for, MHD_stop_daemon closes them. */
	for (int i = 0; i < grace_s * 20 && atomic_load(&http->in_flight) > 0; i++) {
		struct timespec pause = {0, 50 * 1000000L};
		nanosleep(&pause, NULL);
	}
	MHD_stop_daemon(http->daemon);
	aq_today_cache_free(http->today); /* after the daemon: its responses were queued */
	free(http);
}

void aq_http_print_routes(FILE *out)
{
	static const char *const auth[] = {"open", "read", "station", "admin"};
	for (size_t i = 0; i < N_ROUTES; i++)
		fprintf(out, "%s %s %s\n", routes[i].method, routes[i].pattern, auth[routes[i].auth]);
}
