/* db_stations.c — station rows: lookup by code or token hash, list, create/update,
 * token rotation, deactivation. */
#include "db_internal.h"
#include "aq_time.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATION_COLUMNS                                                                             \
	"id, code, name, kind, lat, lon, unit, contact_person, contact_phone, interval_s, active, " \
	"coalesce(mn, ''), hj212_password_hash IS NOT NULL, "                                       \
	"(extract(epoch FROM created_at) * 1000000)::int8, "                                        \
	"(extract(epoch FROM updated_at) * 1000000)::int8, "                                        \
	"(created_at::date - date '1970-01-01'), coalesce(first_day - date '1970-01-01', -1)"

static const struct aq_sql sql_station_by_code = {"station_by_code",
						  "SELECT " STATION_COLUMNS " FROM stations WHERE code = $1"};
static const struct aq_sql sql_station_by_code_lock = {
	"station_by_code_lock", "SELECT " STATION_COLUMNS " FROM stations WHERE code = $1 FOR UPDATE"};
static const struct aq_sql sql_station_by_token = {"station_by_token", "SELECT " STATION_COLUMNS
								       " FROM stations WHERE token_hash = $1::bytea"};
static const struct aq_sql sql_station_list = {"station_list", "SELECT " STATION_COLUMNS
							       " FROM stations WHERE $1::text IS NULL OR kind = $1 "
							       "ORDER BY code"};
static const struct aq_sql sql_station_insert = {
	"station_insert",
	"INSERT INTO stations (code, name, kind, lat, lon, unit, contact_person, contact_phone, "
	"interval_s, active, mn, hj212_password_hash, token_hash, created_at, updated_at, hj212_codes) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, nullif($11, ''), $12, $13::bytea, "
	"$14::timestamptz, $14::timestamptz, CASE WHEN $15::bool THEN $16::jsonb ELSE '{}' END) "
	"RETURNING " STATION_COLUMNS};
static const struct aq_sql sql_station_update = {
	"station_update",
	"UPDATE stations SET name = $2, kind = $3, lat = $4, lon = $5, unit = $6, contact_person = $7, "
	"contact_phone = $8, interval_s = $9, active = $10, mn = nullif($11, ''), "
	"hj212_password_hash = CASE WHEN $13::bool THEN nullif($12, '') ELSE hj212_password_hash END, "
	"hj212_codes = CASE WHEN $15::bool THEN $16::jsonb ELSE hj212_codes END, "
	"updated_at = $14::timestamptz WHERE code = $1 RETURNING " STATION_COLUMNS};
static const struct aq_sql sql_station_set_token = {
	"station_set_token", "UPDATE stations SET token_hash = $2::bytea, updated_at = now() WHERE code = $1"};
static const struct aq_sql sql_station_version = {"station_version", "SELECT nextval('data_version')"};
static const struct aq_sql sql_station_deactivate = {
	"station_deactivate",
	"UPDATE stations SET active = false, updated_at = now() WHERE code = $1 RETURNING " STATION_COLUMNS};

static void copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static void read_station(const PGresult *r, int row, struct aq_station *s)
{
	memset(s, 0, sizeof *s);
	s->id = atoi(PQgetvalue(r, row, 0));
	copy_text(s->code, sizeof s->code, PQgetvalue(r, row, 1));
	copy_text(s->name, sizeof s->name, PQgetvalue(r, row, 2));
	s->kind = strcmp(PQgetvalue(r, row, 3), "national") == 0 ? AQ_KIND_NATIONAL : AQ_KIND_MICRO;
	s->lat = strtod(PQgetvalue(r, row, 4), NULL);
	s->lon = strtod(PQgetvalue(r, row, 5), NULL);
	copy_text(s->unit, sizeof s->unit, PQgetvalue(r, row, 6));
	copy_text(s->contact_person, sizeof s->contact_person, PQgetvalue(r, row, 7));
	copy_text(s->contact_phone, sizeof s->contact_phone, PQgetvalue(r, row, 8));
	s->interval_s = atoi(PQgetvalue(r, row, 9));
	s->active = PQgetvalue(r, row, 10)[0] == 't';
	copy_text(s->mn, sizeof s->mn, PQgetvalue(r, row, 11));
	s->has_password = PQgetvalue(r, row, 12)[0] == 't';
	s->created_us = strtoll(PQgetvalue(r, row, 13), NULL, 10);
	s->updated_us = strtoll(PQgetvalue(r, row, 14), NULL, 10);
	s->created_day = strtoll(PQgetvalue(r, row, 15), NULL, 10);
	long long first = strtoll(PQgetvalue(r, row, 16), NULL, 10);
	s->first_day = first < 0 ? INT64_MAX : first;
}

/* bytea hex input form of a hash: "\\x…". */
static void hash_param(const unsigned char hash[32], char out[67])
{
	static const char digits[] = "0123456789abcdef";
	out[0] = '\\';
	out[1] = 'x';
	for (int i = 0; i < 32; i++) {
		out[2 + 2 * i] = digits[hash[i] >> 4];
		out[3 + 2 * i] = digits[hash[i] & 15];
	}
	out[66] = '\0';
}

static enum aq_status get_one(struct aq_db *db, const struct aq_sql *sql, const char *param, enum aq_status missing,
			      struct aq_station *out)
{
	enum aq_status st;
	const char *params[] = {param};
	PGresult *r = aq_db_exec(db, sql, 1, params, &st);
	if (st == AQ_OK) {
		if (PQntuples(r) == 0)
			st = missing;
		else
			read_station(r, 0, out);
	}
	PQclear(r);
	return st;
}

enum aq_status aq_db_station_get(struct aq_db *db, const char *code, struct aq_station *out)
{
	return get_one(db, &sql_station_by_code, code, AQ_ERR_UNKNOWN_STATION, out);
}

enum aq_status aq_db_station_by_token(struct aq_db *db, const unsigned char hash[32], struct aq_station *out)
{
	char h[67];
	hash_param(hash, h);
	return get_one(db, &sql_station_by_token, h, AQ_ERR_UNAUTHORIZED, out);
}

static void read_station_row(const PGresult *r, int row, void *elem)
{
	read_station(r, row, elem);
}

enum aq_status aq_db_station_list(struct aq_db *db, int kind, struct aq_station **out, size_t *n)
{
	const char *params[] = {kind < 0 ? NULL : aq_station_kind_name(kind)};
	enum aq_status st = aq_db_fold_once(db); /* first_day follows the readings folded */
	if (st != AQ_OK)
		return st;
	return aq_db_rows(db, &sql_station_list, 1, params, sizeof **out, read_station_row, (void **)out, n);
}

struct put_args {
	int64_t now_us;
	const char *code;
	const struct aq_station_update *u;
	const char *password_hash;
	const unsigned char *token_hash;
	bool *created;
	struct aq_station *out;
};

static enum aq_status put_tx(struct aq_db *db, void *arg)
{
	struct put_args *a = arg;
	struct aq_station s;
	enum aq_status st = get_one(db, &sql_station_by_code_lock, a->code, AQ_ERR_UNKNOWN_STATION, &s);
	bool creating = st == AQ_ERR_UNKNOWN_STATION;
	if (st != AQ_OK && !creating)
		return st;
	if (creating) {
		memset(&s, 0, sizeof s);
		snprintf(s.code, sizeof s.code, "%s", a->code);
		s.interval_s = AQ_STATION_DEFAULT_INTERVAL;
		s.active = true;
	}
	aq_station_apply(&s, a->u);

	char lat[32], lon[32], interval[16], token[67], now[48];
	aq_time_format(a->now_us, 0, now, sizeof now);
	snprintf(lat, sizeof lat, "%.10g", s.lat);
	snprintf(lon, sizeof lon, "%.10g", s.lon);
	snprintf(interval, sizeof interval, "%d", s.interval_s);
	bool set_password = (a->u->set & (1u << AQ_SA_PASSWORD)) != 0;
	const char *pw = set_password && a->password_hash ? a->password_hash : "";
	if (creating)
		hash_param(a->token_hash, token);
	const char *params[] = {s.code,
				s.name,
				aq_station_kind_name(s.kind),
				lat,
				lon,
				s.unit,
				s.contact_person,
				s.contact_phone,
				interval,
				s.active ? "t" : "f",
				s.mn,
				creating ? (pw[0] ? pw : NULL) : pw,
				creating ? token : (set_password ? "t" : "f"),
				now,
				(a->u->set & (1u << AQ_SA_HJ212_CODES)) ? "t" : "f",
				(a->u->set & (1u << AQ_SA_HJ212_CODES)) ? a->u->hj212_codes : "{}"};
	PGresult *r = aq_db_exec(db, creating ? &sql_station_insert : &sql_station_update, 16, params, &st);
	if (st == AQ_OK)
		read_station(r, 0, a->out);
	PQclear(r);
	if (st == AQ_OK)
		PQclear(aq_db_exec(db, &sql_station_version, 0, NULL, &st));
	if (st == AQ_ERR_CONFLICT && strstr(db->last_constraint, "code"))
		return AQ_ERR_DB_RETRY; /* created concurrently: run again as an update */
	*a->created = creating;
	return st;
}

enum aq_status aq_db_station_put(struct aq_db *db, int64_t now_us, const char *code, const struct aq_station_update *u,
				 const char *password_hash, const unsigned char token_hash[32], bool *created,
				 struct aq_station *out)
{
	struct put_args a = {now_us, code, u, password_hash, token_hash, created, out};
	return aq_db_tx(db, put_tx, &a);
}

enum aq_status aq_db_station_set_token(struct aq_db *db, const char *code, const unsigned char hash[32])
{
	enum aq_status st;
	char h[67];
	hash_param(hash, h);
	const char *params[] = {code, h};
	PGresult *r = aq_db_exec(db, &sql_station_set_token, 2, params, &st);
	if (st == AQ_OK && atoi(PQcmdTuples(r)) == 0)
		st = AQ_ERR_UNKNOWN_STATION;
	PQclear(r);
	return st;
}

enum aq_status aq_db_station_deactivate(struct aq_db *db, const char *code, struct aq_station *out)
{
	enum aq_status st = get_one(db, &sql_station_deactivate, code, AQ_ERR_UNKNOWN_STATION, out);
	if (st == AQ_OK)
		PQclear(aq_db_exec(db, &sql_station_version, 0, NULL, &st));
	return st;
}
