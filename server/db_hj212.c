/* db_hj212.c — what the HJ 212 listener asks of the database: the station behind a device's
 * MN with its password hash and code map, the failure budget of MNs and sender addresses
 * (hj212_guard), what the listener last saw of each device (hj212_status), and the admin's
 * view and lift of it. The hash never leaves the daemon (db_stations.c only says whether one
 * is set). Guard and status times are wall-clock microseconds, whatever AQRANK_NOW says. */
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* timestamptz → int8 microseconds: 0 for NULL, INT64_MAX for 'infinity' (a lock until lifted). */
#define US(x)                                                             \
	"coalesce(CASE WHEN " x " = 'infinity' THEN 9223372036854775807 " \
	"ELSE (extract(epoch FROM " x ") * 1000000)::int8 END, 0)"
/* int8 microseconds → timestamptz, the other way round. */
#define TS(p)                                                                                         \
	"CASE WHEN " p "::int8 = 0 THEN NULL WHEN " p "::int8 = 9223372036854775807 THEN 'infinity' " \
	"ELSE 'epoch'::timestamptz + " p "::int8 * interval '1 microsecond' END"

static const struct aq_sql sql_device = {
	"hj212_device",
	"SELECT s.id, coalesce(s.code, ''), coalesce(s.kind, 'micro'), coalesce(s.active, false), "
	"coalesce(s.hj212_password_hash, ''), "
	"coalesce((SELECT string_agg(key || '=' || value, ';') FROM jsonb_each_text(s.hj212_codes)), ''), "
	"coalesce(st.last_ok_address, ''), "
	"coalesce(g.failures, 0), " US("g.last_failure_at") ", " US(
		"g.locked_until") ", "
				  "coalesce(a.failures, 0), " US("a.last_failure_at") ", " US(
					  "a.locked_until") " "
							    "FROM (SELECT $1::text AS mn) x LEFT JOIN stations s ON s.mn = x.mn "
							    "LEFT JOIN hj212_status st ON st.station_id = s.id "
							    "LEFT JOIN hj212_guard g ON g.key = 'mn:' || x.mn LEFT JOIN hj212_guard a ON a.key = $2::text"};
static const struct aq_sql sql_guard_touch = {"hj212_guard_touch",
					      "INSERT INTO hj212_guard (key) VALUES ($1) ON CONFLICT (key) DO NOTHING"};
static const struct aq_sql sql_guard_lock = {"hj212_guard_lock",
					     "SELECT failures, " US("last_failure_at") ", " US(
						     "locked_until") " FROM hj212_guard WHERE key = $1 FOR UPDATE"};
static const struct aq_sql sql_guard_put = {
	"hj212_guard_put",
	"UPDATE hj212_guard SET failures = $2::int, last_failure_at = " TS("$3") ", locked_until = " TS(
		"$4") ", "
		      "last_mn = CASE WHEN $5::text = '' THEN last_mn ELSE $5 END, "
		      "last_address = CASE WHEN $6::text = '' THEN last_address ELSE $6 END WHERE key = $1"};
static const struct aq_sql sql_guard_prune = {
	"hj212_guard_prune", "DELETE FROM hj212_guard WHERE (locked_until IS NULL OR locked_until < clock_timestamp()) "
			     "AND (last_failure_at IS NULL OR last_failure_at < clock_timestamp() - interval '1 day')"};
static const struct aq_sql sql_lift = {
	"hj212_lift",
	"DELETE FROM hj212_guard WHERE key = 'mn:' || $1::text OR (key LIKE 'addr:%' AND last_mn = $1::text)"};
static const struct aq_sql sql_guards = {
	"hj212_guards", "SELECT s.id, g.failures, " US("g.last_failure_at") ", " US(
				"g.locked_until") " "
						  "FROM hj212_guard g JOIN stations s ON g.key = 'mn:' || s.mn"};
static const struct aq_sql sql_note = {
	"hj212_note",
	"INSERT INTO hj212_status AS h (station_id, last_frame_at, last_stored_at, last_refusal_at, "
	"last_refusal_reason, last_refusal_detail, refusals, unknown_codes, last_ok_address) "
	"VALUES ($1::int, " TS("$2") ", CASE WHEN $3::text = '' THEN " TS(
		"$2") " END, "
		      "CASE WHEN $3::text <> '' THEN " TS(
			      "$2") " END, $3::text, $4::text, "
				    "CASE WHEN $3::text <> '' THEN jsonb_build_object($3::text, 1) ELSE '{}' END, $5::jsonb, "
				    "coalesce($6::text, '')) "
				    "ON CONFLICT (station_id) DO UPDATE SET last_frame_at = excluded.last_frame_at, "
				    "last_stored_at = coalesce(excluded.last_stored_at, h.last_stored_at), "
				    "last_refusal_at = coalesce(excluded.last_refusal_at, h.last_refusal_at), "
				    "last_refusal_reason = CASE WHEN $3::text <> '' THEN $3::text ELSE h.last_refusal_reason END, "
				    "last_refusal_detail = CASE WHEN $3::text <> '' THEN $4::text ELSE h.last_refusal_detail END, "
				    "refusals = CASE WHEN $3::text <> '' THEN h.refusals || "
				    "jsonb_build_object($3::text, coalesce((h.refusals ->> $3::text)::int, 0) + 1) ELSE h.refusals END, "
				    /* Unknown codes come only from frames with a good password, but a device could still
	 * invent a new one per frame: 64 are plenty to write a code map from. */
				    "unknown_codes = CASE WHEN (SELECT count(*) FROM jsonb_object_keys(h.unknown_codes || $5::jsonb)) <= 64 "
				    "THEN h.unknown_codes || $5::jsonb ELSE h.unknown_codes END, "
				    "last_ok_address = coalesce($6::text, h.last_ok_address)"};
static const struct aq_sql sql_rehash = {
	"hj212_rehash", "UPDATE stations SET hj212_password_hash = $3 WHERE id = $1::int AND hj212_password_hash = $2"};
static const struct aq_sql sql_view = {
	"hj212_view",
	"SELECT st.station_id IS NOT NULL, " US("st.last_frame_at") ", " US("st.last_stored_at") ", " US(
		"st.last_refusal_at") ", coalesce(st.last_refusal_reason, ''), coalesce(st.last_refusal_detail, ''), "
				      "coalesce(st.refusals, '{}')::text, coalesce(st.unknown_codes, '{}')::text, s.hj212_codes::text, "
				      "coalesce(g.failures, 0), " US("g.last_failure_at") ", " US(
					      "g.locked_until") ", "
								"coalesce(g.last_address, '') "
								"FROM stations s LEFT JOIN hj212_status st ON st.station_id = s.id "
								"LEFT JOIN hj212_guard g ON g.key = 'mn:' || $2::text AND $2::text <> '' WHERE s.id = $1::int"};
static const struct aq_sql sql_view_addresses = {
	"hj212_view_addresses",
	"SELECT substr(key, 6), failures, " US("last_failure_at") ", " US(
		"locked_until") " FROM hj212_guard "
				"WHERE key LIKE 'addr:%' AND last_mn = $1 AND $1 <> '' ORDER BY last_failure_at DESC LIMIT 8"};

static int64_t us_at(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void read_guard(const PGresult *r, int row, int col, struct aq_hj212_guard *g)
{
	g->failures = atoi(PQgetvalue(r, row, col));
	g->last_failure_us = us_at(r, row, col + 1);
	g->locked_until_us = us_at(r, row, col + 2);
}

enum aq_status aq_db_hj212_device(struct aq_db *db, const char *mn, const char *addr_key, struct aq_hj212_device *out)
{
	enum aq_status st;
	const char *params[] = {mn, addr_key};
	PGresult *r = aq_db_exec(db, &sql_device, 2, params, &st);
	memset(out, 0, sizeof *out);
	if (st == AQ_OK && PQntuples(r) == 1) {
		out->found = !PQgetisnull(r, 0, 0);
		if (out->found) {
			out->station.id = atoi(PQgetvalue(r, 0, 0));
			snprintf(out->station.code, sizeof out->station.code, "%s", PQgetvalue(r, 0, 1));
			out->station.kind =
				strcmp(PQgetvalue(r, 0, 2), "national") == 0 ? AQ_KIND_NATIONAL : AQ_KIND_MICRO;
			out->station.active = PQgetvalue(r, 0, 3)[0] == 't';
			snprintf(out->station.mn, sizeof out->station.mn, "%s", mn);
			snprintf(out->password_hash, sizeof out->password_hash, "%s", PQgetvalue(r, 0, 4));
			out->station.has_password = out->password_hash[0] != '\0';
			snprintf(out->codes, sizeof out->codes, "%s", PQgetvalue(r, 0, 5));
			snprintf(out->last_ok_address, sizeof out->last_ok_address, "%s", PQgetvalue(r, 0, 6));
		}
		read_guard(r, 0, 7, &out->mn_guard);
		read_guard(r, 0, 10, &out->addr_guard);
	} else if (st == AQ_OK) {
		st = AQ_ERR_INTERNAL;
	}
	PQclear(r);
	return st;
}

enum aq_status aq_db_hj212_guard_lock(struct aq_db *db, const char *key, struct aq_hj212_guard *out)
{
	enum aq_status st;
	const char *params[] = {key};
	memset(out, 0, sizeof *out);
	PQclear(aq_db_exec(db, &sql_guard_touch, 1, params, &st));
	if (st != AQ_OK)
		return st;
	PGresult *r = aq_db_exec(db, &sql_guard_lock, 1, params, &st);
	if (st == AQ_OK && PQntuples(r) == 1)
		read_guard(r, 0, 0, out);
	PQclear(r);
	return st;
}

enum aq_status aq_db_hj212_guard_put(struct aq_db *db, const char *key, const struct aq_hj212_guard *g,
				     const char *last_mn, const char *last_address)
{
	enum aq_status st;
	char failures[16], last[24], until[24];
	snprintf(failures, sizeof failures, "%d", g->failures);
	snprintf(last, sizeof last, "%lld", (long long)g->last_failure_us);
	snprintf(until, sizeof until, "%lld", (long long)g->locked_until_us);
	const char *params[] = {key, failures, last, until, last_mn ? last_mn : "", last_address ? last_address : ""};
	PQclear(aq_db_exec(db, &sql_guard_put, 6, params, &st));
	return st;
}

enum aq_status aq_db_hj212_guard_prune(struct aq_db *db)
{
	enum aq_status st;
	PQclear(aq_db_exec(db, &sql_guard_prune, 0, NULL, &st));
	return st;
}

enum aq_status aq_db_hj212_lift(struct aq_db *db, const char *mn, bool *lifted)
{
	enum aq_status st;
	const char *params[] = {mn};
	PGresult *r = aq_db_exec(db, &sql_lift, 1, params, &st);
	*lifted = st == AQ_OK && atoi(PQcmdTuples(r)) > 0;
	PQclear(r);
	return st;
}

static void read_guard_row(const PGresult *r, int row, void *elem)
{
	struct aq_hj212_guard_row *g = elem;
	g->station_id = atoi(PQgetvalue(r, row, 0));
	read_guard(r, row, 1, &g->g);
}

enum aq_status aq_db_hj212_guards(struct aq_db *db, struct aq_hj212_guard_row **out, size_t *n)
{
	return aq_db_rows(db, &sql_guards, 0, NULL, sizeof **out, read_guard_row, (void **)out, n);
}

enum aq_status aq_db_hj212_note(struct aq_db *db, int station_id, int64_t now_us, const char *reason,
				const char *detail, const char *unknown_json, const char *ok_address)
{
	enum aq_status st;
	char id[16], now[24];
	snprintf(id, sizeof id, "%d", station_id);
	snprintf(now, sizeof now, "%lld", (long long)now_us);
	const char *params[] = {id,
				now,
				reason ? reason : "",
				reason && detail ? detail : "",
				unknown_json ? unknown_json : "{}",
				ok_address};
	PQclear(aq_db_exec(db, &sql_note, 6, params, &st));
	return st;
}

enum aq_status aq_db_hj212_rehash(struct aq_db *db, int station_id, const char *old_hash, const char *new_hash)
{
	enum aq_status st;
	char id[16];
	snprintf(id, sizeof id, "%d", station_id);
	const char *params[] = {id, old_hash, new_hash};
	PQclear(aq_db_exec(db, &sql_rehash, 3, params, &st));
	return st;
}

enum aq_status aq_db_hj212_view(struct aq_db *db, int station_id, const char *mn, struct aq_hj212_view *out)
{
	enum aq_status st;
	char id[16];
	snprintf(id, sizeof id, "%d", station_id);
	const char *params[] = {id, mn};
	memset(out, 0, sizeof *out);
	PGresult *r = aq_db_exec(db, &sql_view, 2, params, &st);
	if (st == AQ_OK && PQntuples(r) != 1)
		st = AQ_ERR_UNKNOWN_STATION;
	if (st == AQ_OK) {
		out->seen = PQgetvalue(r, 0, 0)[0] == 't';
		out->last_frame_us = us_at(r, 0, 1);
		out->last_stored_us = us_at(r, 0, 2);
		out->last_refusal_us = us_at(r, 0, 3);
		snprintf(out->last_refusal_reason, sizeof out->last_refusal_reason, "%s", PQgetvalue(r, 0, 4));
		snprintf(out->last_refusal_detail, sizeof out->last_refusal_detail, "%s", PQgetvalue(r, 0, 5));
		out->refusals = strdup(PQgetvalue(r, 0, 6));
		out->unknown_codes = strdup(PQgetvalue(r, 0, 7));
		out->codes = strdup(PQgetvalue(r, 0, 8));
		read_guard(r, 0, 9, &out->mn_guard);
		snprintf(out->last_failure_address, sizeof out->last_failure_address, "%s", PQgetvalue(r, 0, 12));
		if (!out->refusals || !out->unknown_codes || !out->codes)
			st = AQ_ERR_INTERNAL;
	}
	PQclear(r);
	if (st != AQ_OK)
		return st;
	const char *aparams[] = {mn};
	r = aq_db_exec(db, &sql_view_addresses, 1, aparams, &st);
	for (int i = 0; st == AQ_OK && i < PQntuples(r) && i < 8; i++) {
		snprintf(out->addresses[i].address, sizeof out->addresses[i].address, "%s", PQgetvalue(r, i, 0));
		read_guard(r, i, 1, &out->addresses[i].g);
		out->n_addresses = i + 1;
	}
	PQclear(r);
	return st;
}

void aq_hj212_view_cleanup(struct aq_hj212_view *v)
{
	if (!v)
		return;
	free(v->refusals);
	free(v->unknown_codes);
	free(v->codes);
	v->refusals = v->unknown_codes = v->codes = NULL;
}
