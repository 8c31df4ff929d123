/* db_hj212.c — what the HJ 212 listener asks of the stations table: the station behind a
 * device's MN, with the password hash its frames are checked against. The hash never leaves
 * the daemon (db_stations.c only says whether one is set). */
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct aq_sql sql_station_by_mn = {
	"station_by_mn",
	"SELECT id, code, kind, active, mn, coalesce(hj212_password_hash, '') FROM stations WHERE mn = $1"};

enum aq_status aq_db_station_by_mn(struct aq_db *db, const char *mn, struct aq_station *out,
				   char *password_hash, size_t hash_size)
{
	enum aq_status st;
	const char *params[] = {mn};
	PGresult *r = aq_db_exec(db, &sql_station_by_mn, 1, params, &st);
	if (st == AQ_OK && PQntuples(r) == 0)
		st = AQ_ERR_UNKNOWN_STATION;
	if (st == AQ_OK) {
		memset(out, 0, sizeof *out);
		out->id = atoi(PQgetvalue(r, 0, 0));
		snprintf(out->code, sizeof out->code, "%s", PQgetvalue(r, 0, 1));
		out->kind = strcmp(PQgetvalue(r, 0, 2), "national") == 0 ? AQ_KIND_NATIONAL : AQ_KIND_MICRO;
		out->active = PQgetvalue(r, 0, 3)[0] == 't';
		snprintf(out->mn, sizeof out->mn, "%s", PQgetvalue(r, 0, 4));
		snprintf(password_hash, hash_size, "%s", PQgetvalue(r, 0, 5));
		out->has_password = password_hash[0] != '\0';
	}
	PQclear(r);
	return st;
}
