/* http.c — the HTTP daemon: libmicrohttpd with a worker thread pool, the static route table
 * (404 vs 405 with Allow), and the request lifecycle in one place: the request line allocates
 * the request (on_uri), the first call routes it — and, when a body follows, checks
 * everything that does not need the body (route, method, size, token) before a byte of it is
 * read —, body chunks are gathered up to the limit, the last call parses JSON once and runs
 * the handler, and the completion callback logs and frees. */
#include "http_internal.h"
#include "aq_addr.h"
#include "aq_file.h"
#include "aq_json_arena.h"
#include "aq_log.h"
#include "aq_metrics.h"
#include "aq_ratelimit.h"
#include "aq_replica.h"
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
	struct aq_bulletin_cache *bulletins;
	struct aq_guard *guard;		    /* per-address connections, request-head deadline */
	struct aq_ratelimit *auth_failures; /* failed token checks per client address */
	int port;
	atomic_int in_flight; /* requests begun and not completed: what a stop waits for */
	atomic_int parked;    /* requests parked and not yet woken (aq_request_park) */
};

/* The query parameters of the rankings of a day, and of a period. */
#define DAY_QUERY "metric,near,radius_km,format,lang"
#define PERIOD_QUERY "metric,by,pollutants,baseline,format,lang"

static const struct aq_route routes[] = {
	{"GET", "/", aq_handle_dashboard, AQ_AUTH_OPEN, false, "dashboard", NULL, false, false},
	{"GET", "/static/{}", aq_handle_static, AQ_AUTH_OPEN, false, "static", NULL, false, false},
	{"GET", "/favicon.ico", aq_handle_favicon, AQ_AUTH_OPEN, false, "favicon", NULL, false, false},
	{"GET", "/healthz", aq_handle_healthz, AQ_AUTH_OPEN, false, "healthz", NULL, false, false},
	{"GET", "/readyz", aq_handle_readyz, AQ_AUTH_OPEN, false, "readyz", NULL, false, false},
	{"GET", "/metrics", aq_handle_metrics, AQ_AUTH_METRICS, false, "metrics", NULL, false, false},
	{"GET", "/api/v1/stations", aq_handle_station_list, AQ_AUTH_READ, false, "stations", "kind,near,radius_km",
	 false, false},
	{"GET", "/api/v1/stations/{}", aq_handle_station_get, AQ_AUTH_READ, false, "station", NULL, false, false},
	{"PUT", "/api/v1/stations/{}", aq_handle_station_put, AQ_AUTH_ADMIN, true, "station", NULL, false, false},
	{"DELETE", "/api/v1/stations/{}", aq_handle_station_delete, AQ_AUTH_ADMIN, false, "station", NULL, false,
	 false},
	{"POST", "/api/v1/stations/{}/token", aq_handle_station_token, AQ_AUTH_ADMIN, false, "station_token", NULL,
	 false, false},
	{"DELETE", "/api/v1/stations/{}/hj212-lockout", aq_handle_station_lockout_lift, AQ_AUTH_ADMIN, false,
	 "station_hj212_lockout", NULL, false, false},
	{"GET", "/api/v1/stations/{}/readings", aq_handle_readings_list, AQ_AUTH_READ, false, "station_readings",
	 "from,to,limit,cursor,format,lang", true, false},
	{"GET", "/api/v1/stations/{}/hourly", aq_handle_station_hourly, AQ_AUTH_READ, false, "station_hourly",
	 "date,lang", true, false},
	{"GET", "/api/v1/stations/{}/daily", aq_handle_station_daily, AQ_AUTH_READ, false, "station_daily",
	 "from,to,lang", true, false},
	{"GET", "/api/v1/stations/{}/quality", aq_handle_station_quality, AQ_AUTH_READ, false, "station_quality",
	 "from,to", false, false},
	{"GET", "/api/v1/stations/{}/calibrations", aq_handle_calibrations_list, AQ_AUTH_READ, false, "calibrations",
	 NULL, false, false},
	{"POST", "/api/v1/stations/{}/calibrations", aq_handle_calibration_create, AQ_AUTH_ADMIN, true, "calibrations",
	 NULL, false, false},
	{"POST", "/api/v1/stations/{}/calibrations/{}/approve", aq_handle_calibration_approve, AQ_AUTH_ADMIN, true,
	 "calibration_approve", NULL, false, false},
	{"POST", "/api/v1/readings", aq_handle_readings_post, AQ_AUTH_STATION, true, "readings", NULL, false, true},
	{"GET", "/api/v1/ranking/today", aq_handle_ranking_today, AQ_AUTH_READ, false, "ranking_today", DAY_QUERY,
	 false, false},
	{"GET", "/api/v1/ranking/latest", aq_handle_ranking_latest, AQ_AUTH_READ, false, "ranking_latest", DAY_QUERY,
	 true, false},
	{"GET", "/api/v1/ranking/summary", aq_handle_ranking_summary, AQ_AUTH_READ, false, "ranking_summary",
	 "from,to,metric", true, false},
	{"GET", "/api/v1/ranking/month-to-date", aq_handle_ranking_month_to_date, AQ_AUTH_READ, false, "ranking_mtd",
	 PERIOD_QUERY, true, false},
	{"GET", "/api/v1/ranking/year-to-date", aq_handle_ranking_year_to_date, AQ_AUTH_READ, false, "ranking_ytd",
	 PERIOD_QUERY, true, false},
	{"GET", "/api/v1/ranking/campaign", aq_handle_ranking_campaign, AQ_AUTH_READ, false, "ranking_campaign",
	 "from,to," PERIOD_QUERY, true, false},
	{"GET", "/api/v1/ranking/month/{}", aq_handle_ranking_month, AQ_AUTH_READ, false, "ranking_month", PERIOD_QUERY,
	 true, false},
	{"GET", "/api/v1/ranking/year/{}", aq_handle_ranking_year, AQ_AUTH_READ, false, "ranking_year", PERIOD_QUERY,
	 true, false},
	{"POST", "/api/v1/ranking/month/{}/finalize", aq_handle_period_finalize_month, AQ_AUTH_ADMIN, true,
	 "ranking_month_finalize", "metric,by,pollutants,format", false, false},
	{"POST", "/api/v1/ranking/year/{}/finalize", aq_handle_period_finalize_year, AQ_AUTH_ADMIN, true,
	 "ranking_year_finalize", "metric,by,pollutants,format", false, false},
	{"GET", "/api/v1/ranking/{}", aq_handle_ranking_day, AQ_AUTH_READ, false, "ranking_day",
	 "by,pollutants,baseline," DAY_QUERY, true, false},
	{"POST", "/api/v1/ranking/{}/finalize", aq_handle_ranking_finalize, AQ_AUTH_ADMIN, true, "ranking_finalize",
	 DAY_QUERY, false, false},
	{"GET", "/api/v1/quality/summary", aq_handle_quality_summary, AQ_AUTH_READ, false, "quality_summary",
	 "date,metric", false, false},
	{"GET", "/api/v1/bulletins/month/{}", aq_handle_bulletin_month, AQ_AUTH_READ, false, "bulletin_month",
	 "format,lang", false, false},
	{"GET", "/api/v1/bulletins/{}", aq_handle_bulletin_day, AQ_AUTH_READ, false, "bulletin_day",
	 "format,lang,campaign_days", false, false},
	{"GET", "/api/v1/interviews", aq_handle_interviews_list, AQ_AUTH_READ, false, "interviews",
	 "date,from,to,station,status,format,lang", true, false},
	{"PATCH", "/api/v1/interviews/{}", aq_handle_interview_patch, AQ_AUTH_ADMIN, true, "interview", NULL, false,
	 false},
	{"GET", "/api/v1/alerts", aq_handle_alerts_list, AQ_AUTH_READ, false, "alerts",
	 "status,station,type,since,limit", false, false},
	{"POST", "/api/v1/alerts/{}/ack", aq_handle_alert_ack, AQ_AUTH_ADMIN, true, "alert_ack", NULL, false, false},
	{"GET", "/api/v1/events", aq_handle_events, AQ_AUTH_READ, false, "events", NULL, false, false},
	{"GET", "/api/v1/national/{}/sources", aq_handle_national_sources, AQ_AUTH_READ, false, "national_sources",
	 "from,to,pollutant,radius_km", false, false},
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
		/* A path several patterns match (/ranking/today and /ranking/{}) names each method once. */
		char entry[24];
		snprintf(entry, sizeof entry, ", %s", routes[i].method);
		size_t used = strlen(req->allow), len = strlen(entry);
		bool listed = false;
		for (const char *at = strstr(req->allow, entry); at && !listed; at = strstr(at + 1, entry))
			listed = at[len] == '\0' || at[len] == ',';
		if (!listed)
			snprintf(req->allow + used, sizeof req->allow - used, "%s%s", entry,
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

void aq_request_json_drop(struct aq_request *req)
{
	/* A body wholly in the arena goes with its rewind; walking it to free each value would
	 * only find memory the rewind takes back anyway. */
	if (!req->json_in_arena || !aq_json_arena_holds_all())
		json_decref(req->json);
	req->json = NULL;
	if (req->json_in_arena) {
		aq_json_arena_end();
		req->json_in_arena = false;
	}
}

struct aq_db *aq_request_db(struct aq_request *req, enum MHD_Result *result)
{
	enum aq_status st;
	struct aq_db *db = aq_app_db(req->app, &st);
	if (!db)
		*result = aq_reply_error(req, st, NULL, NULL);
	return db;
}

void aq_request_park(struct aq_request *req, aq_handler_fn resume, void *state, void (*state_free)(void *state))
{
	req->resume = resume;
	req->parked = state;
	req->parked_free = state_free;
	atomic_fetch_add(&req->http->parked, 1);
	MHD_suspend_connection(req->conn);
}

void aq_request_wake(struct aq_request *req)
{
	/* libmicrohttpd calls on_request again, from the connection's own thread — or, when the
	 * client left meanwhile, only on_completed: req may be gone as soon as this returns. */
	struct aq_http *http = req->http;
	MHD_resume_connection(req->conn);
	atomic_fetch_sub(&http->parked, 1);
}

/* Headers larger than this (all names and values) are refused with 431. */
#define MAX_HEADER_BYTES (32 * 1024)
/* Request URIs (path and query, as sent) longer than this are refused with 414: nginx's
 * default limit of a request line, far above what any client of ours sends. */
#define MAX_URI_BYTES (8 * 1024)
/* Each connection's libmicrohttpd memory pool: headers up to MAX_HEADER_BYTES fit with room
 * to spare, so our JSON 431 answers them (up to ~63 KB; beyond, libmicrohttpd's own 431
 * page). No larger: libmicrohttpd 0.9.75 zeroes the whole pool between keep-alive requests,
 * and at 256 KB that memset was 30% of the daemon's CPU under GET load. */
#define CONNECTION_MEMORY (64 * 1024)

static enum MHD_Result count_header_bytes(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	size_t *total = cls;
	(void)kind;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

/* Who is calling: admin, read or station token, or none. A station token costs one query, so
 * it is looked up only where a station token could be accepted or refused meaningfully. */
static enum aq_status authenticate(struct aq_request *req, const unsigned char hash[AQ_TOKEN_HASH_LEN], bool stations)
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
	if (app->has_metrics && aq_token_hash_equal(hash, app->metrics_hash)) {
		req->role = AQ_ROLE_METRICS;
		return AQ_OK;
	}
	if (!stations)
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

/* The client address failed authentications are counted by: the peer, or — when the peer is
 * a trusted proxy (AQRANK_TRUSTED_PROXIES) that names the client in X-Real-IP — that client;
 * IPv6 by /64. */
static void failure_key(struct aq_request *req, unsigned char key[32])
{
	struct aq_addr peer;
	memset(&peer, 0, sizeof peer);
	aq_guard_peer(req->conn, &peer);
	if (aq_guard_trusted(req->http->guard, &peer)) {
		const char *real = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "X-Real-IP");
		struct aq_addr client;
		if (real && aq_addr_parse(real, &client))
			peer = client;
	}
	struct aq_addr k = aq_addr_client_key(&peer);
	aq_addr_key_bytes(&k, key);
}

/* Applies the route's auth rule. AQ_OK or the status to answer with. A token that matches
 * nothing counts against the client's address; once AQRANK_AUTH_FAIL_LIMIT failures are
 * spent, any token from there is refused (429) before it is checked, so that guessing gets
 * nowhere and costs the database nothing. */
static enum aq_status authorize(struct aq_request *req)
{
	const char *header = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization");
	const char *token = NULL;
	struct aq_app *app = req->app;
	enum aq_auth need = req->route->auth;

	if (need == AQ_AUTH_METRICS) /* its own token if set, else as any GET */
		need = app->has_metrics ? AQ_AUTH_METRICS : AQ_AUTH_READ;
	if (header && strncasecmp(header, "Bearer ", 7) == 0) {
		token = header + 7;
		while (*token == ' ')
			token++;
	}
	if (need == AQ_AUTH_OPEN)
		return AQ_OK; /* the page, its files, health: a token there is nobody's business */
	bool open = need == AQ_AUTH_READ && !app->has_read;
	if (open && (!token || !*token))
		return AQ_OK;
	/* Open reads still check a token that is sent: the admin sees more (a station's mn and
	 * device view), and a wrong token is a mistake worth telling (401), not one to hide. */
	if (need == AQ_AUTH_ADMIN && !app->has_admin)
		return AQ_ERR_FORBIDDEN; /* SPEC: without an admin token set, admin endpoints answer 403 */
	if (!token || !*token)
		return AQ_ERR_UNAUTHORIZED;
	unsigned char hash[AQ_TOKEN_HASH_LEN], client[32];
	failure_key(req, client);
	if (!aq_ratelimit_peek(req->http->auth_failures, client, aq_monotonic_us(), &req->retry_after)) {
		aq_metrics_add(app->metrics, AQ_C_AUTH_LIMITED, 1);
		return AQ_ERR_RATE_LIMITED;
	}
	aq_token_hash(token, hash);
	enum aq_status st = authenticate(req, hash, open || need == AQ_AUTH_STATION || need == AQ_AUTH_ADMIN);
	if (open && st == AQ_OK)
		return AQ_OK;
	if (st == AQ_ERR_UNAUTHORIZED) {
		aq_metrics_add(app->metrics, AQ_C_AUTH_FAILURES, 1);
		aq_ratelimit_take(req->http->auth_failures, client, aq_monotonic_us(), NULL);
	}
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
	case AQ_AUTH_METRICS:
		return req->role == AQ_ROLE_METRICS || req->role == AQ_ROLE_ADMIN ? AQ_OK : AQ_ERR_FORBIDDEN;
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

/* What can be answered before the body is read: the route, the method, the size and the
 * token. AQ_OK, or the status to answer with (reply_head_error). */
static enum aq_status check_head(struct aq_request *req)
{
	enum aq_status st;
	if (req->early_error != AQ_OK)
		return req->early_error;
	if (!req->route)
		return AQ_OK; /* OPTIONS */
	/* A path that names a station by a code no station can have names no station. */
	if (req->params[0] && strncmp(req->route->pattern, "/api/v1/stations/{}", 19) == 0 &&
	    strcmp(req->method, "PUT") != 0 && !aq_station_code_valid(req->params[0]))
		return AQ_ERR_UNKNOWN_STATION;
	if (req->body_too_large)
		return AQ_ERR_BODY_TOO_LARGE;
	if (!req->authorized) {
		if ((st = authorize(req)) != AQ_OK)
			return st;
		req->authorized = true;
	}
	return AQ_OK;
}

/* The first query parameter of an API request that its route does not take, or NULL. */
struct unknown_query {
	const char *allowed;
	char name[64];
	bool found;
};

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *at = list; at && *at; at += strcspn(at, ",") + (at[strcspn(at, ",")] == ',')) {
		if (strcspn(at, ",") == n && strncmp(at, name, n) == 0)
			return true;
	}
	return false;
}

static enum MHD_Result find_unknown(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	(void)value;
	struct unknown_query *u = cls;
	if (listed(u->allowed, key))
		return MHD_YES;
	snprintf(u->name, sizeof u->name, "%s", key);
	u->found = true;
	return MHD_NO;
}

/* A misspelt parameter (?metirc=pm25) silently ignored gives an answer to another question:
 * API routes name the parameter they do not take, and those they do. */
static enum MHD_Result check_query(struct aq_request *req, bool *refused)
{
	struct unknown_query u = {.allowed = req->route->query};
	*refused = false;
	if (strncmp(req->route->pattern, "/api/", 5) != 0)
		return MHD_YES;
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, find_unknown, &u);
	if (!u.found)
		return MHD_YES;
	*refused = true;
	char problem[320];
	if (u.allowed && *u.allowed)
		snprintf(problem, sizeof problem, "unknown parameter; this endpoint takes %s", u.allowed);
	else
		snprintf(problem, sizeof problem, "unknown parameter; this endpoint takes none");
	json_t *details = json_array();
	json_array_append_new(details, json_pack("{s:s, s:s}", "field", u.name, "problem", problem));
	char message[160];
	snprintf(message, sizeof message, "Unknown query parameter %s.", u.name);
	return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, message, details);
}

/* The answer to a failed check_head. */
static enum MHD_Result reply_head_error(struct aq_request *req, enum aq_status st)
{
	switch (st) {
	case AQ_ERR_HEADERS_TOO_LARGE:
		return aq_reply_errorf(req, st, "The request headers exceed %d bytes.", MAX_HEADER_BYTES);
	case AQ_ERR_NOT_FOUND: return aq_reply_errorf(req, st, "No resource at %s.", req->path);
	case AQ_ERR_METHOD_NOT_ALLOWED:
		return aq_reply_errorf(req, st, "%s is not allowed here; allowed: %s.", req->method, req->allow);
	case AQ_ERR_BODY_TOO_LARGE:
		return aq_reply_errorf(req, st, "The body is larger than %ld bytes.", req->app->cfg->max_body);
	default: return aq_reply_error(req, st, NULL, NULL);
	}
}

/* The last call: everything is in; answer. */
static enum MHD_Result dispatch(struct aq_request *req)
{
	enum aq_status st = check_head(req);
	if (st != AQ_OK)
		return reply_head_error(req, st);
	if (!req->route)
		return answer_options(req);
	bool refused;
	enum MHD_Result answered = check_query(req, &refused);
	if (refused)
		return answered;
	if (req->body_len > 0) {
		if (!req->route->json_body)
			return aq_reply_error(req, AQ_ERR_UNSUPPORTED_MEDIA_TYPE, "This endpoint takes no body.", NULL);
		const char *ct = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type");
		if (!is_json_type(ct))
			return aq_reply_error(req, AQ_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
		json_error_t jerr;
		if (req->route->scratch_json) {
			aq_json_arena_begin();
			req->json_in_arena = true;
		}
		/* JSON_REJECT_DUPLICATES: {"pm25": 1, "pm25": 900} must not silently keep one. */
		req->json = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (!req->json) {
			aq_request_json_drop(req); /* jerr is a struct of its own, not json values */
			return aq_reply_errorf(req, AQ_ERR_INVALID_JSON, "Invalid JSON at line %d, column %d: %s",
					       jerr.line, jerr.column, jerr.text);
		}
	}
	if (!req->route->replica || !req->app->replica) {
		enum MHD_Result ret = req->route->handler(req);
		if (req->json_in_arena) /* a handler that forgot: the scope must not outlive the call */
			aq_request_json_drop(req);
		return ret;
	}
	/* Every read of this reply on one connection in one snapshot: the replica's, or the
	 * primary's when it is bypassed — never some of each. */
	struct aq_replica_read rd;
	aq_replica_read_begin(req->app, &rd);
	req->read_from = rd.db ? "replica" : "primary";
	req->replica_lag_s = rd.lag_s;
	enum MHD_Result ret = req->route->handler(req);
	aq_replica_read_end(req->app, &rd);
	return ret;
}

/* Called by libmicrohttpd as soon as a request line is parsed, with the URI as the client sent
 * it (before %-decoding, which would cut a path at a %00): the request is allocated here, and
 * what only the raw URI shows is noted for the first call to answer. (libmicrohttpd answers a
 * request line larger than the connection's memory pool itself, before this is called.) */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct aq_http *http = cls;
	struct aq_request *req = calloc(1, sizeof *req);
	if (!req)
		return NULL;
	req->app = http->app;
	req->http = http;
	req->today = http->today;
	req->bulletins = http->bulletins;
	req->conn = conn;
	req->start_us = aq_monotonic_us();
	size_t n = strlen(uri);
	req->uri_end = uri + n;
	if (n > MAX_URI_BYTES)
		req->uri_error = AQ_ERR_URI_TOO_LONG;
	else if (strstr(uri, "%00"))
		req->uri_error = AQ_ERR_BAD_REQUEST;
	return req;
}

/* True when the request line held a raw NUL byte in its URI. libmicrohttpd 0.9.75 parses the
 * line in place: the URI is followed by the (terminated) space and the version, so a URI
 * whose string ends before that space was cut by a NUL of its own. Only pointers are compared
 * (nothing is read past the string); any other layout counts as no NUL. test_hardening checks
 * that this still catches one. */
static bool raw_nul_in_uri(const struct aq_request *req, const char *version)
{
	return req->uri_end && version && version > req->uri_end + 1 &&
	       (size_t)(version - req->uri_end) <= MAX_URI_BYTES;
}

/* The first call: the head is complete. Returns MHD_YES to go on (body, then the last call),
 * or what answering now returned. An answer queued now makes libmicrohttpd close the
 * connection after it, unread body and all — what a refused request deserves. */
static enum MHD_Result on_head(struct aq_request *req, const char *url, const char *method, const char *version)
{
	struct MHD_Connection *conn = req->conn;
	req->method = method; /* from now on the request is in flight (what a stop waits for) */
	atomic_fetch_add(&req->http->in_flight, 1);
	if (raw_nul_in_uri(req, version))
		req->uri_error = AQ_ERR_BAD_REQUEST;
	req->path = strdup(url);
	if (!req->path)
		return MHD_NO;
	aq_guard_request_begun(req->http->guard, conn);
	route_request(req);
	if (req->uri_error == AQ_ERR_URI_TOO_LONG)
		return aq_reply_errorf(req, AQ_ERR_URI_TOO_LONG, "The request URI is longer than %d bytes.",
				       MAX_URI_BYTES);
	if (req->uri_error == AQ_ERR_BAD_REQUEST)
		return aq_reply_error(req, AQ_ERR_BAD_REQUEST, "The path or a parameter holds a NUL byte (%00).", NULL);
	req->uri_end = NULL; /* MHD's line buffer is not ours to point into any longer */
	size_t header_bytes = 0;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header_bytes, &header_bytes);
	if (header_bytes > MAX_HEADER_BYTES) {
		/* Refused here, as JSON; beyond the connection's memory pool libmicrohttpd would
		 * refuse first, with its own page. */
		req->early_error = AQ_ERR_HEADERS_TOO_LARGE;
		return dispatch(req);
	}
	const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	const char *chunked = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
	if (length && chunked) /* RFC 9112 §6.3: ambiguous framing, the way to request smuggling */
		return aq_reply_error(req, AQ_ERR_BAD_REQUEST,
				      "Content-Length and Transfer-Encoding together are not accepted.", NULL);
	if (length && strtoll(length, NULL, 10) > req->app->cfg->max_body)
		req->body_too_large = true;
	if ((!length || strtoll(length, NULL, 10) <= 0) && !chunked)
		return MHD_YES; /* no body: answered on the next call, keeping the connection */
	/* A body follows: refuse before reading it whatever can be refused without it. */
	enum aq_status st = check_head(req);
	if (st != AQ_OK)
		return reply_head_error(req, st);
	if (req->route && !req->route->json_body)
		return aq_reply_error(req, AQ_ERR_UNSUPPORTED_MEDIA_TYPE, "This endpoint takes no body.", NULL);
	if (req->route && !is_json_type(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type")))
		return aq_reply_error(req, AQ_ERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct aq_request *req = *con_cls;
	(void)cls;
	(void)conn;

	if (!req) /* on_uri could not allocate */
		return MHD_NO;
	if (!req->method)
		return on_head(req, url, method, version);
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
	if (req->resume) { /* woken: answer now */
		aq_handler_fn resume = req->resume;
		req->resume = NULL;
		return resume(req);
	}
	if (req->replied)
		return MHD_YES;
	return dispatch(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode code)
{
	struct aq_http *http = cls;
	struct aq_request *req = *con_cls;
	(void)code;
	if (!req)
		return;
	aq_guard_request_ended(http->guard, conn);
	/* A request whose head never completed (libmicrohttpd refused it, or the client left)
	 * reached no handler: nothing to log or count, and it was never in flight. */
	if (req->method) {
		atomic_fetch_sub(&http->in_flight, 1);
		double ms = (double)(aq_monotonic_us() - req->start_us) / 1000.0;
		aq_log_request(req->method, req->path ? req->path : "?", req->status, req->bytes, ms);
		aq_metrics_request(req->app->metrics, req->route ? (int)(req->route - routes) : -1, req->status,
				   ms / 1000);
	}
	for (int i = 0; i < AQ_MAX_PATH_PARAMS; i++)
		free(req->params[i]);
	if (req->parked_free)
		req->parked_free(req->parked);
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

struct aq_http *aq_http_start(struct aq_app *app)
{
	const struct aq_config *cfg = app->cfg;
	struct sockaddr_storage addr;
	struct aq_http *http = calloc(1, sizeof *http);
	char *cert = NULL, *key = NULL;
	if (!http)
		return NULL;
	http->app = app;
	if (!(http->today = aq_today_cache_new()) || !(http->bulletins = aq_bulletin_cache_new())) {
		aq_today_cache_free(http->today);
		free(http);
		return NULL;
	}
	for (size_t i = 0; i < N_ROUTES && i < AQ_METRICS_ROUTES; i++)
		app->metrics->route_names[i] = routes[i].pattern, app->metrics->route_methods[i] = routes[i].method;
	socklen_t addrlen;
	if (!aq_addr_listen(cfg->listen_host, cfg->listen_port, &addr, &addrlen)) {
		aq_log(AQ_LOG_ERROR, "AQRANK_LISTEN=%s: not a numeric address", cfg->listen);
		goto fail;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	bool tls = cfg->tls_cert && cfg->tls_cert[0];
	if (tls) {
		cert = aq_file_read(cfg->tls_cert);
		key = aq_file_read(cfg->tls_key);
		if (!cert || !key) {
			aq_log(AQ_LOG_ERROR, "cannot read AQRANK_TLS_CERT/AQRANK_TLS_KEY");
			free(cert);
			free(key);
			goto fail;
		}
		flags |= MHD_USE_TLS;
	}
	http->guard = aq_guard_new(cfg, app->metrics);
	/* Failed token checks: AQRANK_AUTH_FAIL_LIMIT per minute per client address, all at once
	 * at most (0: no limit). */
	http->auth_failures = aq_ratelimit_new(cfg->auth_fail_limit / 60.0, cfg->auth_fail_limit);
	if (!http->guard || !http->auth_failures) {
		free(cert);
		free(key);
		goto fail;
	}
	/* The per-address limit is the guard's (accept policy), not MHD_OPTION_PER_IP_CONNECTION_
	 * LIMIT, which cannot exempt a reverse proxy. */
	http->daemon = MHD_start_daemon(
		flags, 0, aq_guard_accept, http->guard, on_request, http, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->conn_limit, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)cfg->conn_timeout, MHD_OPTION_NOTIFY_COMPLETED, on_completed, http,
		MHD_OPTION_NOTIFY_CONNECTION, aq_guard_notify, http->guard, MHD_OPTION_URI_LOG_CALLBACK, on_uri, http,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, http, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	free(cert);
	free(key);
	if (!http->daemon) {
		aq_log(AQ_LOG_ERROR, "cannot listen on %s", cfg->listen);
		goto fail;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);
	http->port = info ? info->port : cfg->listen_port;
	return http;
fail:
	aq_guard_free(http->guard);
	aq_ratelimit_free(http->auth_failures);
	aq_today_cache_free(http->today);
	aq_bulletin_cache_free(http->bulletins);
	free(http);
	return NULL;
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
	/* A parked request is always woken (its group commits or fails; the committers outlive
	 * the daemon), and libmicrohttpd must not close a connection whose wake-up is to come.
	 * Woken ones are libmicrohttpd's again: answered, or ended if their client left. */
	for (int i = 0; atomic_load(&http->parked) > 0; i++) {
		struct timespec pause = {0, 50 * 1000000L};
		if (i % 200 == 199)
			aq_log(AQ_LOG_WARN, "stop: %d requests still wait for their readings' commit",
			       atomic_load(&http->parked));
		nanosleep(&pause, NULL);
	}
	MHD_stop_daemon(http->daemon);
	aq_today_cache_free(http->today); /* after the daemon: its responses were queued */
	aq_bulletin_cache_free(http->bulletins);
	aq_guard_free(http->guard);
	aq_ratelimit_free(http->auth_failures);
	free(http);
}

void aq_http_print_routes(FILE *out)
{
	static const char *const auth[] = {"open", "read", "station", "admin", "metrics"};
	for (size_t i = 0; i < N_ROUTES; i++)
		fprintf(out, "%s %s %s%s%s\n", routes[i].method, routes[i].pattern, auth[routes[i].auth],
			routes[i].query ? " " : "", routes[i].query ? routes[i].query : "");
}
