/* db_quality.c — calibrations (stored pending, approved with the station's next version,
 * looked up by the day they are in force on) and what quality control and calibration did to
 * each station of a finalized day (day_quality, written in the finalization transaction). */
#include "db_internal.h"
#include "aq_time.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY(n) "(date '1970-01-01' + $" #n "::int)"
#define DAYS_OF(col) "(" col " - date '1970-01-01')"
#define US_OF(col) "coalesce((extract(epoch FROM " col ") * 1000000)::int8, 0)"

/* Per station and pollutant the approved calibration in force on a day, then its forms. */
static const struct aq_sql sql_in_force = {
	"calibrations_in_force",
	"WITH pick AS (SELECT DISTINCT ON (c.station_id, f.pollutant) c.station_id, f.pollutant, c.id, c.version, "
	"  c.reference_id "
	"  FROM calibrations c JOIN calibration_fits f ON f.calibration_id = c.id AND f.model = 'linear' "
	"  WHERE c.status = 'approved' AND c.valid_from <= " DAY(
		1) "  ORDER BY c.station_id, f.pollutant, c.valid_from DESC, c.version DESC) "
		   "SELECT p.station_id, p.pollutant, p.id, p.version, f.model, f.pairs, f.a, f.b, f.c, f.r2, f.rmse, "
		   "p.reference_id "
		   "FROM pick p JOIN calibration_fits f ON f.calibration_id = p.id AND f.pollutant = p.pollutant "
		   "ORDER BY p.station_id, p.pollutant, f.model"};
static const struct aq_sql sql_insert = {
	"calibration_insert",
	"INSERT INTO calibrations (station_id, reference_id, window_from, window_to, humidity, valid_from, note) "
	"VALUES ($1, $2, " DAY(3) ", " DAY(4) ", $5, " DAY(6) ", $7) RETURNING id, " US_OF("created_at")};
static const struct aq_sql sql_insert_fit = {
	"calibration_fit_insert",
	"INSERT INTO calibration_fits (calibration_id, pollutant, model, pairs, a, b, c, r2, rmse) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"};
/* A calibration's rows, one per form and pollutant; valid_to is the next approved calibration
 * of the same station and pollutant (by valid_from, then version). */
#define CALIBRATION_ROWS(where)                                                                                                                                 \
	"SELECT c.id, c.station_id, s.code, c.reference_id, r.code, " DAYS_OF("c.window_from") ", " DAYS_OF("c.window_to") ", c.humidity, " DAYS_OF(            \
		"c.valid_from") ", c.status = 'approved', "                                                                                                     \
				"coalesce(c.version, 0), " US_OF("c.created_at") ", " US_OF(                                                                    \
					"c.approved_at") ", c.note, "                                                                                           \
							 "f.pollutant, f.model, f.pairs, f.a, f.b, f.c, f.r2, f.rmse, "                                         \
							 "CASE WHEN c.status = 'approved' THEN (SELECT min(c2.valid_from) - date '1970-01-01' "                 \
							 "  FROM calibrations c2 JOIN calibration_fits f2 ON f2.calibration_id = c2.id "                        \
							 "  AND f2.pollutant = f.pollutant AND f2.model = 'linear' "                                            \
							 "  WHERE c2.station_id = c.station_id AND c2.status = 'approved' "                                     \
							 "  AND (c2.valid_from, c2.version) > (c.valid_from, c.version)) END "                                  \
							 "FROM calibrations c JOIN stations s ON s.id = c.station_id JOIN stations r ON r.id = c.reference_id " \
							 "JOIN calibration_fits f ON f.calibration_id = c.id WHERE " where                                      \
							 " ORDER BY c.id, f.pollutant, f.model"
static const struct aq_sql sql_get = {"calibration_get",
				      CALIBRATION_ROWS("c.id = $1 AND ($2::int = 0 OR c.station_id = $2)")};
static const struct aq_sql sql_list = {"calibrations_list", CALIBRATION_ROWS("c.station_id = $1")};
static const struct aq_sql sql_lock = {
	"calibration_lock",
	"SELECT c.status = 'approved', (SELECT coalesce(max(version), 0) + 1 FROM calibrations "
	"  WHERE station_id = c.station_id) FROM calibrations c WHERE c.id = $1 AND c.station_id = $2 FOR UPDATE"};
/* Approvals of one station serialize on its row, so two get distinct versions. */
static const struct aq_sql sql_lock_station = {"calibration_lock_station",
					       "SELECT 1 FROM stations WHERE id = $1 FOR UPDATE"};
static const struct aq_sql sql_approve = {
	"calibration_approve", "UPDATE calibrations SET status = 'approved', version = $2, approved_at = now(), "
			       "valid_from = coalesce(" DAY(3) ", valid_from) WHERE id = $1"};
static const struct aq_sql sql_bump = {"calibration_bump_version", "SELECT nextval('data_version')"};
static const struct aq_sql sql_quality_clear = {"day_quality_clear", "DELETE FROM day_quality WHERE day = " DAY(1)};
static const struct aq_sql sql_quality_insert = {
	"day_quality_insert", "INSERT INTO day_quality (day, station_id, flags, calib_ids, calib_versions) "
			      "VALUES (" DAY(1) ", $2, decode($3, 'hex'), $4::int8[], $5::int4[])"};
static const struct aq_sql sql_quality_load = {
	"day_quality_load",
	"SELECT station_id, encode(flags, 'hex'), calib_ids, calib_versions FROM day_quality WHERE day = " DAY(1)};

static int get_int(const PGresult *r, int row, int col)
{
	return atoi(PQgetvalue(r, row, col));
}

static int64_t get_int8(const PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static double get_double(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0.0 : strtod(PQgetvalue(r, row, col), NULL);
}

static void text_of(int64_t v, char buf[24])
{
	snprintf(buf, 24, "%lld", (long long)v);
}

static const char *num(char *buf, size_t size, double v)
{
	snprintf(buf, size, "%.17g", v);
	return buf;
}

/* Reads the fit columns from col (model, pairs, a, b, c, r2, rmse) into f. */
static void read_fit(const PGresult *r, int row, int col, struct aq_calib_fit *f)
{
	memset(f, 0, sizeof *f);
	aq_calib_model_from_name(PQgetvalue(r, row, col), &f->model);
	f->n = get_int(r, row, col + 1);
	f->a = get_double(r, row, col + 2);
	f->b = get_double(r, row, col + 3);
	f->c = get_double(r, row, col + 4);
	f->r2 = get_double(r, row, col + 5);
	f->rmse = get_double(r, row, col + 6);
}

enum aq_status aq_db_calibrations_in_force(struct aq_db *db, int64_t day, struct aq_calib_in_force **out, size_t *n)
{
	char d[24];
	enum aq_status st;
	text_of(day, d);
	const char *params[] = {d};
	*out = NULL;
	*n = 0;
	PGresult *r = aq_db_exec(db, &sql_in_force, 1, params, &st);
	if (st != AQ_OK)
		return st;
	int rows = PQntuples(r);
	*out = calloc(rows ? (size_t)rows : 1, sizeof **out);
	if (!*out) {
		PQclear(r);
		return AQ_ERR_INTERNAL;
	}
	/* Rows come per (station, pollutant): the linear form, then the humidity form if any. */
	for (int row = 0; row < rows; row++) {
		int station = get_int(r, row, 0);
		enum aq_pollutant p;
		if (!aq_pollutant_from_field(PQgetvalue(r, row, 1), &p))
			continue;
		struct aq_calib_in_force *c = *n ? &(*out)[*n - 1] : NULL;
		if (!c || c->station_id != station || c->pollutant != p) {
			c = &(*out)[(*n)++];
			c->station_id = station;
			c->pollutant = p;
			c->use.id = get_int8(r, row, 2);
			c->use.version = get_int(r, row, 3);
			c->reference_id = get_int(r, row, 11);
		}
		struct aq_calib_fit f;
		read_fit(r, row, 4, &f);
		if (f.model == AQ_CALIB_LINEAR_RH) {
			c->use.has_rh = true;
			c->use.rh = f;
		} else {
			c->use.linear = f;
		}
	}
	PQclear(r);
	return AQ_OK;
}

static enum aq_status insert_tx(struct aq_db *db, void *arg)
{
	struct aq_calibration *c = arg;
	char station[16], reference[16], wf[24], wt[24], vf[24];
	enum aq_status st;
	snprintf(station, sizeof station, "%d", c->station_id);
	snprintf(reference, sizeof reference, "%d", c->reference_id);
	text_of(c->window_from, wf);
	text_of(c->window_to, wt);
	text_of(c->valid_from, vf);
	const char *params[] = {station, reference, wf, wt, c->humidity ? "t" : "f", vf, c->note};
	PGresult *r = aq_db_exec(db, &sql_insert, 7, params, &st);
	if (st != AQ_OK)
		return st;
	c->id = get_int8(r, 0, 0);
	c->created_us = get_int8(r, 0, 1);
	PQclear(r);
	for (int p = 0; st == AQ_OK && p < AQ_POLLUTANTS; p++) {
		for (int form = 0; st == AQ_OK && c->fit[p].has && form < 2; form++) {
			const struct aq_calib_fit *f = form ? &c->fit[p].rh : &c->fit[p].linear;
			if (form && !c->fit[p].has_rh)
				continue;
			char id[24], pairs[16], a[32], b[32], cc[32], r2[32], rmse[32];
			text_of(c->id, id);
			snprintf(pairs, sizeof pairs, "%d", f->n);
			const char *fp[] = {id,
					    aq_pollutant_field((enum aq_pollutant)p),
					    aq_calib_model_name(f->model),
					    pairs,
					    num(a, sizeof a, f->a),
					    num(b, sizeof b, f->b),
					    num(cc, sizeof cc, f->c),
					    num(r2, sizeof r2, f->r2),
					    num(rmse, sizeof rmse, f->rmse)};
			PQclear(aq_db_exec(db, &sql_insert_fit, 9, fp, &st));
		}
	}
	return st;
}

enum aq_status aq_db_calibration_insert(struct aq_db *db, struct aq_calibration *c)
{
	return aq_db_tx(db, insert_tx, c);
}

/* Folds the rows of CALIBRATION_ROWS into calibrations (*out, malloc'd). */
static enum aq_status read_calibrations(PGresult *r, struct aq_calibration **out, size_t *n)
{
	int rows = PQntuples(r);
	*out = calloc(rows ? (size_t)rows : 1, sizeof **out);
	*n = 0;
	if (!*out)
		return AQ_ERR_INTERNAL;
	for (int row = 0; row < rows; row++) {
		int64_t id = get_int8(r, row, 0);
		struct aq_calibration *c = *n ? &(*out)[*n - 1] : NULL;
		if (!c || c->id != id) {
			c = &(*out)[(*n)++];
			c->id = id;
			c->station_id = get_int(r, row, 1);
			snprintf(c->station, sizeof c->station, "%s", PQgetvalue(r, row, 2));
			c->reference_id = get_int(r, row, 3);
			snprintf(c->reference, sizeof c->reference, "%s", PQgetvalue(r, row, 4));
			c->window_from = get_int8(r, row, 5);
			c->window_to = get_int8(r, row, 6);
			c->humidity = PQgetvalue(r, row, 7)[0] == 't';
			c->valid_from = get_int8(r, row, 8);
			c->approved = PQgetvalue(r, row, 9)[0] == 't';
			c->version = get_int(r, row, 10);
			c->created_us = get_int8(r, row, 11);
			c->approved_us = get_int8(r, row, 12);
			snprintf(c->note, sizeof c->note, "%s", PQgetvalue(r, row, 13));
		}
		enum aq_pollutant p;
		if (!aq_pollutant_from_field(PQgetvalue(r, row, 14), &p))
			continue;
		struct aq_calib_fit f;
		read_fit(r, row, 15, &f);
		c->fit[p].has = true;
		c->fit[p].valid_to = PQgetisnull(r, row, 22) ? INT64_MAX : get_int8(r, row, 22);
		if (f.model == AQ_CALIB_LINEAR_RH) {
			c->fit[p].has_rh = true;
			c->fit[p].rh = f;
		} else {
			c->fit[p].linear = f;
		}
	}
	return AQ_OK;
}

enum aq_status aq_db_calibration_get(struct aq_db *db, int64_t id, int station_id, struct aq_calibration *out)
{
	char ids[24], sid[16];
	enum aq_status st;
	struct aq_calibration *list = NULL;
	size_t n = 0;
	text_of(id, ids);
	snprintf(sid, sizeof sid, "%d", station_id);
	const char *params[] = {ids, sid};
	PGresult *r = aq_db_exec(db, &sql_get, 2, params, &st);
	if (st == AQ_OK)
		st = read_calibrations(r, &list, &n);
	PQclear(r);
	if (st == AQ_OK && n == 0)
		st = AQ_ERR_NOT_FOUND;
	if (st == AQ_OK)
		*out = list[0];
	free(list);
	return st;
}

enum aq_status aq_db_calibrations_list(struct aq_db *db, int station_id, struct aq_calibration **out, size_t *n)
{
	char sid[16];
	enum aq_status st;
	snprintf(sid, sizeof sid, "%d", station_id);
	const char *params[] = {sid};
	*out = NULL;
	*n = 0;
	PGresult *r = aq_db_exec(db, &sql_list, 1, params, &st);
	if (st == AQ_OK)
		st = read_calibrations(r, out, n);
	PQclear(r);
	return st;
}

struct approve_args {
	int64_t id;
	int station_id;
	int64_t valid_from;
	struct aq_calibration *out;
};

static enum aq_status approve_tx(struct aq_db *db, void *arg)
{
	struct approve_args *a = arg;
	char id[24], sid[16], version[16], vf[24];
	enum aq_status st;
	text_of(a->id, id);
	snprintf(sid, sizeof sid, "%d", a->station_id);
	const char *lock_station[] = {sid};
	PQclear(aq_db_exec(db, &sql_lock_station, 1, lock_station, &st));
	if (st != AQ_OK)
		return st;
	const char *params[] = {id, sid};
	PGresult *r = aq_db_exec(db, &sql_lock, 2, params, &st);
	if (st != AQ_OK)
		return st;
	bool found = PQntuples(r) == 1, approved = found && PQgetvalue(r, 0, 0)[0] == 't';
	snprintf(version, sizeof version, "%s", found ? PQgetvalue(r, 0, 1) : "0");
	PQclear(r);
	if (!found)
		return AQ_ERR_NOT_FOUND;
	if (approved)
		return AQ_ERR_CONFLICT;
	text_of(a->valid_from, vf);
	const char *set[] = {id, version, a->valid_from == INT64_MIN ? NULL : vf};
	PQclear(aq_db_exec(db, &sql_approve, 3, set, &st));
	if (st == AQ_OK)
		PQclear(aq_db_exec(db, &sql_bump, 0, NULL, &st));
	return st;
}

enum aq_status aq_db_calibration_approve(struct aq_db *db, int64_t id, int station_id, int64_t valid_from,
					 struct aq_calibration *out)
{
	struct approve_args a = {id, station_id, valid_from, out};
	enum aq_status st = aq_db_tx(db, approve_tx, &a);
	/* Read back after commit: on a conflict too, so the caller can say what it is. */
	if (st == AQ_OK || st == AQ_ERR_CONFLICT) {
		enum aq_status got = aq_db_calibration_get(db, id, station_id, out);
		if (got != AQ_OK)
			return got;
	}
	return st;
}

/* "{a,b,…}" of six integers. */
static void int_array(char buf[160], const int64_t v[AQ_POLLUTANTS])
{
	size_t used = (size_t)snprintf(buf, 160, "{");
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		used += (size_t)snprintf(buf + used, 160 - used, "%s%lld", p ? "," : "", (long long)v[p]);
	snprintf(buf + used, 160 - used, "}");
}

/* Parses "{1,2,…}" into up to AQ_POLLUTANTS integers (missing ones 0). */
static void parse_array(const char *text, int64_t v[AQ_POLLUTANTS])
{
	memset(v, 0, AQ_POLLUTANTS * sizeof *v);
	const char *s = text[0] == '{' ? text + 1 : text;
	for (int p = 0; p < AQ_POLLUTANTS && *s && *s != '}'; p++) {
		char *end;
		v[p] = strtoll(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
	}
}

static bool quality_recorded(const struct aq_station_quality *q)
{
	for (int p = 0; p < AQ_POLLUTANTS; p++)
		if (q->calib_id[p])
			return true;
	for (int h = 0; h < 24; h++)
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			if (q->flags[h][p])
				return true;
	return false;
}

enum aq_status aq_db_quality_snapshot_write(struct aq_db *db, const struct aq_dayview *v)
{
	char d[24];
	enum aq_status st;
	text_of(v->day, d);
	const char *day_param[] = {d};
	PQclear(aq_db_exec(db, &sql_quality_clear, 1, day_param, &st));
	for (size_t i = 0; st == AQ_OK && i < v->n; i++) {
		const struct aq_station_quality *q = &v->stations[i].quality;
		if (!quality_recorded(q))
			continue;
		char sid[16], hex[24 * AQ_POLLUTANTS * 2 + 1], ids[160], versions[160];
		int64_t vers[AQ_POLLUTANTS];
		snprintf(sid, sizeof sid, "%d", v->stations[i].station.id);
		for (int h = 0; h < 24; h++)
			for (int p = 0; p < AQ_POLLUTANTS; p++)
				snprintf(hex + 2 * (h * AQ_POLLUTANTS + p), 3, "%02x", q->flags[h][p]);
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			vers[p] = q->calib_version[p];
		int_array(ids, q->calib_id);
		int_array(versions, vers);
		const char *params[] = {d, sid, hex, ids, versions};
		PQclear(aq_db_exec(db, &sql_quality_insert, 5, params, &st));
	}
	return st;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
}

struct by_id {
	int id;
	size_t index;
};

static int cmp_id(const void *a, const void *b)
{
	int x = ((const struct by_id *)a)->id, y = ((const struct by_id *)b)->id;
	return (x > y) - (x < y);
}

enum aq_status aq_db_quality_snapshot_load(struct aq_db *db, struct aq_dayview *v)
{
	char d[24];
	enum aq_status st;
	text_of(v->day, d);
	const char *params[] = {d};
	/* The view's stations are ordered by code; rows name ids. */
	struct by_id *index = malloc((v->n ? v->n : 1) * sizeof *index);
	if (!index)
		return AQ_ERR_INTERNAL;
	for (size_t i = 0; i < v->n; i++)
		index[i] = (struct by_id){v->stations[i].station.id, i};
	qsort(index, v->n, sizeof *index, cmp_id);
	PGresult *r = aq_db_exec(db, &sql_quality_load, 1, params, &st);
	for (int row = 0; st == AQ_OK && row < PQntuples(r); row++) {
		struct by_id key = {get_int(r, row, 0), 0};
		const struct by_id *at = v->n ? bsearch(&key, index, v->n, sizeof *index, cmp_id) : NULL;
		if (!at)
			continue;
		struct aq_station_quality *q = &v->stations[at->index].quality;
		const char *hex = PQgetvalue(r, row, 1);
		size_t len = strlen(hex);
		for (int k = 0; k < 24 * AQ_POLLUTANTS && (size_t)(2 * k + 1) < len; k++)
			q->flags[k / AQ_POLLUTANTS][k % AQ_POLLUTANTS] =
				(uint8_t)(hex_digit(hex[2 * k]) << 4 | hex_digit(hex[2 * k + 1]));
		int64_t vers[AQ_POLLUTANTS];
		parse_array(PQgetvalue(r, row, 2), q->calib_id);
		parse_array(PQgetvalue(r, row, 3), vers);
		for (int p = 0; p < AQ_POLLUTANTS; p++)
			q->calib_version[p] = (int)vers[p];
	}
	PQclear(r);
	free(index);
	return st;
}
