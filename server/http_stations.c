/* http_stations.c — /api/v1/stations: list (by kind, or the ring around a station), get,
 * create/update (the token is shown once, at creation), deactivate, rotate the token, lift
 * an HJ 212 lockout. A device's mn, code map and HJ 212 view are the admin's only: the mn is
 * half of what a password guesser needs. */
#include "http_internal.h"
#include "aq_clock.h"
#include "aq_log.h"
#include "aq_jobs.h"
#include "aq_token.h"

#include <time.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct near_station {
	const struct aq_station *s;
	double distance;
};

static int by_distance(const void *a, const void *b)
{
	const struct near_station *x = a, *y = b;
	if (x->distance != y->distance)
		return x->distance < y->distance ? -1 : 1;
	return strcmp(x->s->code, y->s->code);
}

/* Parses a positive number parameter; false when present and invalid. */
static bool query_double(struct aq_request *req, const char *name, double def, double *out)
{
	const char *v = aq_request_query(req, name);
	char *end;
	*out = def;
	if (!v)
		return true;
	*out = strtod(v, &end);
	return end != v && *end == '\0' && isfinite(*out) && *out > 0;
}

/* A station as this caller may see it: without its mn unless the caller is the admin. */
static json_t *station_json(const struct aq_request *req, const struct aq_station *s)
{
	json_t *o = aq_json_station(s);
	if (req->role != AQ_ROLE_ADMIN)
		json_object_del(o, "mn");
	return o;
}

static int64_t wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Adds the admin's HJ 212 view of s to o: the code map, and (for a station with an MN) what
 * the listener last saw and the lockout. */
static enum aq_status add_hj212_view(struct aq_request *req, struct aq_db *db, const struct aq_station *s, json_t *o)
{
	struct aq_hj212_view v;
	enum aq_status st = aq_db_hj212_view(db, s->id, s->mn, &v);
	if (st == AQ_OK) {
		json_t *codes = json_loads(v.codes, 0, NULL);
		json_object_set_new(o, "hj212_codes", codes ? codes : json_object());
		json_object_set_new(o, "hj212", aq_json_hj212_view(&v, req->app->cfg->hj212_auth_budget, wall_now()));
	}
	aq_hj212_view_cleanup(&v);
	return st;
}

enum MHD_Result aq_handle_station_list(struct aq_request *req)
{
	const char *kind_name = aq_request_query(req, "kind");
	const char *near = aq_request_query(req, "near");
	int kind = -1;
	double radius;
	struct aq_station *all = NULL, center;
	size_t n = 0;
	enum MHD_Result result;

	if (kind_name && !aq_station_kind_from_name(kind_name, &kind))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "kind must be micro or national.", NULL);
	if (!query_double(req, "radius_km", req->app->cfg->radius_km, &radius))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "radius_km must be a positive number.", NULL);
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = near ? aq_db_station_get(db, near, &center) : AQ_OK;
	if (st == AQ_OK)
		st = aq_db_station_list(db, kind, &all, &n);
	aq_db_release(req->app->pool, db);
	if (st != AQ_OK)
		return aq_reply_errorf(req, st, st == AQ_ERR_UNKNOWN_STATION ? "No station %s." : "%s",
				       st == AQ_ERR_UNKNOWN_STATION ? near : aq_status_message(st));

	json_t *list = json_array();
	if (near) {
		struct near_station *ring = calloc(n ? n : 1, sizeof *ring);
		size_t m = 0;
		for (size_t i = 0; ring && i < n; i++) {
			double d = aq_distance_km(center.lat, center.lon, all[i].lat, all[i].lon);
			if (strcmp(all[i].code, center.code) != 0 && d <= radius)
				ring[m++] = (struct near_station){&all[i], d};
		}
		if (ring)
			qsort(ring, m, sizeof *ring, by_distance);
		for (size_t i = 0; ring && i < m; i++) {
			json_t *o = station_json(req, ring[i].s);
			json_object_set_new(o, "distance_km", json_real(round(ring[i].distance * 1000) / 1000));
			json_array_append_new(list, o);
		}
		free(ring);
	} else {
		for (size_t i = 0; i < n; i++)
			json_array_append_new(list, station_json(req, &all[i]));
	}
	free(all);
	json_t *body = json_pack("{s:o}", "stations", list);
	if (near) {
		json_object_set_new(body, "near", json_string(center.code));
		json_object_set_new(body, "radius_km", json_real(radius));
	}
	return aq_reply_json(req, MHD_HTTP_OK, body);
}

enum MHD_Result aq_handle_station_get(struct aq_request *req)
{
	struct aq_station s;
	enum MHD_Result result;
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	json_t *body = NULL;
	enum aq_status st = aq_db_station_get(db, req->params[0], &s);
	if (st == AQ_OK) {
		body = station_json(req, &s);
		if (req->role == AQ_ROLE_ADMIN)
			st = add_hj212_view(req, db, &s, body);
	}
	aq_db_release(req->app->pool, db);
	if (st != AQ_OK) {
		json_decref(body);
		return aq_reply_error(req, st, NULL, NULL);
	}
	return aq_reply_json(req, MHD_HTTP_OK, body);
}

enum MHD_Result aq_handle_station_put(struct aq_request *req)
{
	const char *code = req->params[0];
	struct aq_problems problems = {0};
	struct aq_station_update u;
	struct aq_station existing, s;
	char token[AQ_TOKEN_SIZE], pw_hash[AQ_PASSWORD_HASH_SIZE];
	unsigned char token_hash[AQ_TOKEN_HASH_LEN];
	bool created = false;
	json_t *body = NULL;
	enum MHD_Result result;

	if (!aq_station_code_valid(code))
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER,
				      "A station code is 1-32 letters, digits, _ . - starting with a letter or digit.",
				      NULL);
	if (!req->json)
		return aq_reply_error(req, AQ_ERR_INVALID_PARAMETER, "Send the station as a JSON object.", NULL);
	aq_json_station_update_parse(req->json, &u, &problems);
	const char *body_code = json_string_value(json_object_get(req->json, "code"));
	if (body_code && strcmp(body_code, code) != 0)
		aq_problems_add(&problems, -1, "code", "must match the code in the path");
	struct aq_db *db = aq_request_db(req, &result);
	if (!db) {
		aq_problems_cleanup(&problems);
		return result;
	}
	enum aq_status st = aq_db_station_get(db, code, &existing);
	if (st != AQ_OK && st != AQ_ERR_UNKNOWN_STATION)
		goto out;
	aq_station_update_validate(&u, st == AQ_ERR_UNKNOWN_STATION, &problems);
	if (problems.n > 0) {
		st = AQ_ERR_INVALID_PARAMETER;
		goto out;
	}
	if (!aq_token_generate(token) ||
	    ((u.set & (1u << AQ_SA_PASSWORD)) && u.password[0] && !aq_password_hash(u.password, pw_hash))) {
		st = AQ_ERR_INTERNAL;
		goto out;
	}
	aq_token_hash(token, token_hash);
	st = aq_db_station_put(db, aq_clock_now(&req->app->clock), code, &u,
			       (u.set & (1u << AQ_SA_PASSWORD)) && u.password[0] ? pw_hash : "", token_hash, &created,
			       &s);
	if (st == AQ_OK) {
		body = aq_json_station(&s);
		st = add_hj212_view(req, db, &s, body);
	}
out:
	aq_db_release(req->app->pool, db);
	if (st == AQ_ERR_INVALID_PARAMETER) {
		result = aq_reply_error(req, st, "The station is not valid; nothing was changed.",
					aq_json_problems(&problems));
	} else if (st == AQ_ERR_CONFLICT) {
		result = aq_reply_error(req, st, "That mn is already used by another station.", NULL);
	} else if (st != AQ_OK) {
		result = aq_reply_error(req, st, NULL, NULL);
	} else {
		aq_app_note_write(req->app);
		if (created)
			json_object_set_new(body, "token", json_string(token));
		result = aq_reply_json(req, created ? MHD_HTTP_CREATED : MHD_HTTP_OK, body);
		body = NULL;
	}
	json_decref(body);
	aq_problems_cleanup(&problems);
	return result;
}

enum MHD_Result aq_handle_station_delete(struct aq_request *req)
{
	struct aq_station s;
	enum MHD_Result result;
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_station_deactivate(db, req->params[0], &s);
	aq_db_release(req->app->pool, db);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	aq_app_note_write(req->app);
	return aq_reply_json(req, MHD_HTTP_OK, aq_json_station(&s));
}

enum MHD_Result aq_handle_station_token(struct aq_request *req)
{
	char token[AQ_TOKEN_SIZE];
	unsigned char hash[AQ_TOKEN_HASH_LEN];
	enum MHD_Result result;
	if (!aq_token_generate(token))
		return aq_reply_error(req, AQ_ERR_INTERNAL, "The random source failed.", NULL);
	aq_token_hash(token, hash);
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_station_set_token(db, req->params[0], hash);
	aq_db_release(req->app->pool, db);
	if (st != AQ_OK)
		return aq_reply_error(req, st, NULL, NULL);
	aq_app_note_write(req->app); /* the old token must stop working here at once */
	return aq_reply_json(req, MHD_HTTP_OK, json_pack("{s:s, s:s}", "station", req->params[0], "token", token));
}

/* DELETE /api/v1/stations/{code}/hj212-lockout: forgets the wrong passwords counted against
 * the station's MN and against the addresses that last guessed it, so its device is heard at
 * once; the auth_failures alert resolves on the next pass (woken here). Answers the station
 * with its HJ 212 view and "lifted" (whether there was anything to forget). */
enum MHD_Result aq_handle_station_lockout_lift(struct aq_request *req)
{
	struct aq_station s;
	bool lifted = false;
	json_t *body = NULL;
	enum MHD_Result result;
	struct aq_db *db = aq_request_db(req, &result);
	if (!db)
		return result;
	enum aq_status st = aq_db_station_get(db, req->params[0], &s);
	if (st == AQ_OK && s.mn[0] == '\0')
		st = AQ_ERR_CONFLICT;
	if (st == AQ_OK)
		st = aq_db_hj212_lift(db, s.mn, &lifted);
	if (st == AQ_OK) {
		body = aq_json_station(&s);
		st = add_hj212_view(req, db, &s, body);
	}
	aq_db_release(req->app->pool, db);
	if (st == AQ_ERR_CONFLICT)
		return aq_reply_error(req, st, "The station has no HJ 212 mn, so nothing can be locked out.", NULL);
	if (st != AQ_OK) {
		json_decref(body);
		return aq_reply_error(req, st, NULL, NULL);
	}
	if (lifted) {
		aq_log(AQ_LOG_INFO, "hj212: lockout of station %s (MN=%s) lifted by the admin", s.code, s.mn);
		aq_jobs_note_change(req->app); /* the alert pass resolves auth_failures now */
	}
	json_object_set_new(body, "lifted", json_boolean(lifted));
	return aq_reply_json(req, MHD_HTTP_OK, body);
}
