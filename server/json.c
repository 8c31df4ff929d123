/* json.c — request bodies to model structs (shape only; meaning is in reading.c and
 * station.c) and model structs to reply JSON. */
#include "aq_json.h"
#include "aq_buf.h"
#include "aq_clock.h"
#include "aq_csv.h"
#include "aq_db.h"
#include "aq_hj212.h"
#include "aq_hj212_guard.h"
#include "aq_time.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static void parse_flags(const json_t *flags, struct aq_reading *r, int index, struct aq_problems *p)
{
	const char *key;
	json_t *value;
	if (!json_is_object(flags)) {
		aq_problems_add(p, index, "flags", "must be an object like {\"pm10\": \"D\"}, not %s",
				json_type_name(flags));
		return;
	}
	json_object_foreach((json_t *)flags, key, value)
	{
		enum aq_field f;
		const char *s = json_string_value(value);
		char field[40];
		snprintf(field, sizeof field, "flags.%.30s", key);
		if (!aq_field_from_name(key, &f))
			aq_problems_add(p, index, field, "is not a reading field");
		else if (!s || strlen(s) != 1 || !aq_flag_valid(s[0]))
			aq_problems_add(p, index, field, "must be one HJ 212 flag letter: N F M S D C T B");
		else
			r->flag[f] = s[0];
	}
}

static void parse_reading(const json_t *obj, struct aq_reading *r, int index, struct aq_problems *p)
{
	const char *key;
	json_t *value;
	bool has_time = false;

	aq_reading_init(r);
	if (!json_is_object(obj)) {
		aq_problems_add(p, index, "", "must be an object, not %s", json_type_name(obj));
		return;
	}
	json_object_foreach((json_t *)obj, key, value)
	{
		enum aq_field f;
		/* The first letter first: most keys are pollutants (a batch has thousands). */
		if (key[0] == 's' && strcmp(key, "station") == 0) {
			const char *s = json_string_value(value);
			if (!s || !aq_station_code_valid(s))
				aq_problems_add(p, index, "station",
						"must be a station code (letters, digits, _ . -; up to 32)");
			else /* a valid code fits */
				memcpy(r->station, s, strlen(s) + 1);
		} else if (key[0] == 'o' && strcmp(key, "observed_at") == 0) {
			const char *s = json_string_value(value), *problem = "must be a string";
			if (!s || !aq_time_parse_rfc3339(s, &r->observed_us, &problem))
				aq_problems_add(p, index, "observed_at", "%s", problem);
			else
				has_time = true;
		} else if (key[0] == 'f' && strcmp(key, "flags") == 0) {
			parse_flags(value, r, index, p);
		} else if (aq_field_from_name(key, &f)) {
			if (json_is_null(value))
				continue;
			if (!json_is_number(value)) {
				aq_problems_add(p, index, key, "must be a number or null, not %s",
						json_type_name(value));
				continue;
			}
			r->value[f] = json_number_value(value);
			r->present |= 1u << f;
		} else {
			char field[32];
			snprintf(field, sizeof field, "%.31s", key);
			aq_problems_add(p, index, field, "is not a reading field");
		}
	}
	if (!has_time && !json_object_get(obj, "observed_at"))
		aq_problems_add(p, index, "observed_at", "is required");
}

enum aq_status aq_json_readings_parse(const json_t *root, struct aq_reading **out, size_t *n,
				      struct aq_problems *problems)
{
	size_t count = json_is_array(root) ? json_array_size(root) : 1;
	*out = NULL;
	*n = 0;
	if (json_is_array(root) && count == 0)
		return AQ_ERR_INVALID_READING;
	if (count > AQ_MAX_BATCH)
		return AQ_ERR_BODY_TOO_LARGE;
	struct aq_reading *readings = calloc(count, sizeof *readings);
	if (!readings)
		return AQ_ERR_INTERNAL;
	if (json_is_array(root)) {
		for (size_t i = 0; i < count; i++)
			parse_reading(json_array_get(root, i), &readings[i], (int)i, problems);
	} else {
		parse_reading(root, &readings[0], 0, problems);
	}
	*out = readings;
	*n = count;
	return problems->oom ? AQ_ERR_INTERNAL : AQ_OK;
}

/* Copies a string attribute, checking type and length; false (with a problem) when bad. */
static bool take_text(const json_t *value, const char *key, char *dst, size_t size, struct aq_problems *p)
{
	const char *s = json_string_value(value);
	if (json_is_null(value)) {
		dst[0] = '\0';
		return true;
	}
	if (!s) {
		aq_problems_add(p, -1, key, "must be a string");
		return false;
	}
	if (strlen(s) >= size) {
		aq_problems_add(p, -1, key, "is longer than %zu bytes", size - 1);
		return false;
	}
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

/* A station's HJ 212 code map, {"PM2_5": "pm25", "TSP": "ignore"}: checked entry by entry
 * (aq_hj212_codes_add), kept as compact JSON text in out. null clears it. */
static bool parse_hj212_codes(const json_t *value, char *out, size_t size, struct aq_problems *p)
{
	struct aq_hj212_codes m = {0};
	const char *code, *why;
	json_t *field;
	size_t before = p->n;
	if (json_is_null(value)) {
		snprintf(out, size, "{}");
		return true;
	}
	if (!json_is_object(value)) {
		aq_problems_add(p, -1, "hj212_codes", "must be an object like {\"PM2_5\": \"pm25\"}");
		return false;
	}
	json_object_foreach((json_t *)value, code, field)
	{
		char name[40];
		snprintf(name, sizeof name, "hj212_codes.%.24s", code);
		if (!json_is_string(field))
			aq_problems_add(p, -1, name, "must be a reading field's name or \"ignore\"");
		else if (!aq_hj212_codes_add(&m, code, json_string_value(field), &why))
			aq_problems_add(p, -1, name, "%s", why);
	}
	if (p->n != before)
		return false;
	char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
	bool ok = text && strlen(text) < size;
	if (ok)
		memcpy(out, text, strlen(text) + 1);
	else
		aq_problems_add(p, -1, "hj212_codes", "is too long");
	free(text);
	return ok;
}

void aq_json_station_update_parse(const json_t *root, struct aq_station_update *u, struct aq_problems *p)
{
	const char *key;
	json_t *value;
	struct aq_station *v = &u->values;

	memset(u, 0, sizeof *u);
	if (!json_is_object(root)) {
		aq_problems_add(p, -1, "", "the body must be a JSON object");
		return;
	}
	json_object_foreach((json_t *)root, key, value)
	{
		if (strcmp(key, "name") == 0) {
			if (take_text(value, key, v->name, sizeof v->name, p))
				u->set |= 1u << AQ_SA_NAME;
		} else if (strcmp(key, "unit") == 0) {
			if (take_text(value, key, v->unit, sizeof v->unit, p))
				u->set |= 1u << AQ_SA_UNIT;
		} else if (strcmp(key, "contact_person") == 0) {
			if (take_text(value, key, v->contact_person, sizeof v->contact_person, p))
				u->set |= 1u << AQ_SA_CONTACT_PERSON;
		} else if (strcmp(key, "contact_phone") == 0) {
			if (take_text(value, key, v->contact_phone, sizeof v->contact_phone, p))
				u->set |= 1u << AQ_SA_CONTACT_PHONE;
		} else if (strcmp(key, "mn") == 0) {
			if (take_text(value, key, v->mn, sizeof v->mn, p))
				u->set |= 1u << AQ_SA_MN;
		} else if (strcmp(key, "hj212_password") == 0) {
			if (take_text(value, key, u->password, sizeof u->password, p))
				u->set |= 1u << AQ_SA_PASSWORD;
		} else if (strcmp(key, "kind") == 0) {
			const char *s = json_string_value(value);
			if (!s || !aq_station_kind_from_name(s, &v->kind))
				aq_problems_add(p, -1, key, "must be \"micro\" or \"national\"");
			else
				u->set |= 1u << AQ_SA_KIND;
		} else if (strcmp(key, "lat") == 0 || strcmp(key, "lon") == 0) {
			if (!json_is_number(value)) {
				aq_problems_add(p, -1, key, "must be a number (WGS-84 degrees)");
				continue;
			}
			if (key[1] == 'a')
				v->lat = json_number_value(value);
			else
				v->lon = json_number_value(value);
			u->set |= 1u << (key[1] == 'a' ? AQ_SA_LAT : AQ_SA_LON);
		} else if (strcmp(key, "interval_s") == 0) {
			if (!json_is_integer(value) || json_integer_value(value) < 10 ||
			    json_integer_value(value) > 3600)
				aq_problems_add(p, -1, key, "must be an integer from 10 to 3600");
			else
				v->interval_s = (int)json_integer_value(value), u->set |= 1u << AQ_SA_INTERVAL;
		} else if (strcmp(key, "active") == 0) {
			if (!json_is_boolean(value))
				aq_problems_add(p, -1, key, "must be true or false");
			else
				v->active = json_is_true(value), u->set |= 1u << AQ_SA_ACTIVE;
		} else if (strcmp(key, "hj212_codes") == 0) {
			if (parse_hj212_codes(value, u->hj212_codes, sizeof u->hj212_codes, p))
				u->set |= 1u << AQ_SA_HJ212_CODES;
		} else if (strcmp(key, "code") == 0) {
			/* Allowed so a GET reply can be PUT back; it must name this station (checked by
			 * the handler, which knows the path). */
			continue;
		} else {
			char field[32];
			snprintf(field, sizeof field, "%.31s", key);
			aq_problems_add(p, -1, field, "is not a station attribute");
		}
	}
}

json_t *aq_json_problems(const struct aq_problems *problems)
{
	if (!problems || problems->n == 0)
		return NULL;
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < problems->n; i++) {
		const struct aq_problem *pr = &problems->items[i];
		json_t *o = json_object();
		if (pr->index >= 0)
			json_object_set_new(o, "index", json_integer(pr->index));
		if (pr->field[0])
			json_object_set_new(o, "field", json_string(pr->field));
		json_object_set_new(o, "problem", json_string(pr->problem));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *text_or_null(const char *s)
{
	return s[0] ? json_string(s) : json_null();
}

json_t *aq_json_station(const struct aq_station *s)
{
	char created[40], updated[40];
	aq_local_format(s->created_us, created, sizeof created);
	aq_local_format(s->updated_us, updated, sizeof updated);
	return json_pack("{s:s, s:s, s:s, s:f, s:f, s:o, s:o, s:o, s:i, s:b, s:o, s:b, s:s, s:s}", "code", s->code,
			 "name", s->name, "kind", aq_station_kind_name(s->kind), "lat", s->lat, "lon", s->lon, "unit",
			 text_or_null(s->unit), "contact_person", text_or_null(s->contact_person), "contact_phone",
			 text_or_null(s->contact_phone), "interval_s", s->interval_s, "active", s->active, "mn",
			 text_or_null(s->mn), "hj212_password_set", s->has_password, "created_at", created,
			 "updated_at", updated);
}

static int dump_to_buf(const char *text, size_t n, void *data)
{
	struct aq_buf *b = data;
	aq_buf_add(b, text, n);
	return b->oom ? -1 : 0;
}

char *aq_json_dump_reply(const json_t *j, size_t *len)
{
	struct aq_buf b = {0};
	*len = 0;
	if (json_dump_callback(j, dump_to_buf, &b, AQ_JSON_DUMP_FLAGS) != 0) {
		aq_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return aq_buf_take(&b);
}

json_t *aq_json_number(double v, int decimals)
{
	/* Whole numbers are written as integers (61, not 61.0), whatever the precision. */
	if (fabs(v) < 9e15 && v == floor(v))
		return json_integer((json_int_t)v);
	(void)decimals;
	return json_real(v);
}

json_t *aq_json_reading(const char *station, const struct aq_reading *r, int64_t received_us)
{
	char when[40];
	json_t *o = json_object(), *flags = NULL;
	aq_local_format(r->observed_us, when, sizeof when);
	json_object_set_new(o, "station", json_string(station));
	json_object_set_new(o, "observed_at", json_string(when));
	for (int f = 0; f < AQ_FIELDS; f++) {
		const char *name = aq_field_name((enum aq_field)f);
		json_object_set_new(o, name, (r->present & (1u << f)) ? aq_json_number(r->value[f], 1) : json_null());
		if (r->flag[f] != 'N' && r->flag[f] != '\0') {
			char letter[2] = {r->flag[f], '\0'};
			if (!flags)
				flags = json_object();
			json_object_set_new(flags, name, json_string(letter));
		}
	}
	if (flags)
		json_object_set_new(o, "flags", flags);
	if (received_us) {
		aq_local_format(received_us, when, sizeof when);
		json_object_set_new(o, "received_at", json_string(when));
	}
	return o;
}

char *aq_json_hj212_unknown(const struct aq_hj212_extra *x, int64_t at_us)
{
	char at[40];
	json_t *o = json_object();
	aq_local_format(at_us, at, sizeof at);
	for (int i = 0; o && i < x->n; i++)
		json_object_set_new(o, x->item[i].code, json_pack("{s:s, s:s}", "value", x->item[i].value, "at", at));
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return text;
}

static json_t *wall_time(int64_t us)
{
	char buf[40];
	if (us == 0 || us == AQ_HJ212_GUARD_FOREVER)
		return json_null();
	aq_local_format(us, buf, sizeof buf);
	return json_string(buf);
}

/* The lockout of one key: failures that still count, and the lock. */
static json_t *guard_json(const struct aq_hj212_guard *g, int64_t now_us)
{
	bool locked = aq_hj212_guard_locked(g, now_us);
	return json_pack("{s:i, s:b, s:o, s:b, s:o}", "failures", aq_hj212_guard_failures(g, now_us), "locked", locked,
			 "locked_until", locked ? wall_time(g->locked_until_us) : json_null(), "until_lifted",
			 locked && g->locked_until_us == AQ_HJ212_GUARD_FOREVER, "last_failure_at",
			 wall_time(g->last_failure_us));
}

json_t *aq_json_hj212_view(const struct aq_hj212_view *v, int budget, int64_t now_us)
{
	json_t *refusals = json_loads(v->refusals ? v->refusals : "{}", 0, NULL);
	json_t *stored = json_loads(v->unknown_codes ? v->unknown_codes : "{}", 0, NULL);
	json_t *unknown = json_array(), *addresses = json_array();
	const char *code;
	json_t *item;

	/* As a list in code order, so an operator reads it like the code map to write. */
	const char **keys = calloc(json_object_size(stored) + 1, sizeof *keys);
	size_t n = 0;
	json_object_foreach(stored, code, item) if (keys) keys[n++] = code;
	for (size_t i = 1; keys && i < n; i++)
		for (size_t k = i; k > 0 && strcasecmp(keys[k - 1], keys[k]) > 0; k--) {
			const char *t = keys[k];
			keys[k] = keys[k - 1];
			keys[k - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		item = json_object_get(stored, keys[i]);
		json_array_append_new(unknown, json_pack("{s:s, s:O, s:O}", "code", keys[i], "value",
							 json_object_get(item, "value"), "last_seen_at",
							 json_object_get(item, "at")));
	}
	free(keys);
	for (int i = 0; i < v->n_addresses; i++) {
		json_t *a = guard_json(&v->addresses[i].g, now_us);
		json_object_set_new(a, "address", json_string(v->addresses[i].address));
		json_array_append_new(addresses, a);
	}
	json_t *lockout = guard_json(&v->mn_guard, now_us);
	json_object_set_new(lockout, "budget", json_integer(budget));
	json_object_set_new(lockout, "last_failure_address",
			    v->last_failure_address[0] ? json_string(v->last_failure_address) : json_null());
	json_object_set_new(lockout, "addresses", addresses);
	json_t *refusal = v->last_refusal_us
				  ? json_pack("{s:o, s:s, s:s}", "at", wall_time(v->last_refusal_us), "reason",
					      v->last_refusal_reason, "detail", v->last_refusal_detail)
				  : json_null();
	json_decref(stored);
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "last_frame_at", wall_time(v->last_frame_us),
			 "last_stored_at", wall_time(v->last_stored_us), "last_refusal", refusal, "refusals",
			 refusals ? refusals : json_object(), "unknown_codes", unknown, "lockout", lockout);
}

/* ---- readings as CSV ---- */

static const struct aq_csv_column reading_columns[] = {
	{"station", "站点编号"},	 {"observed_at", "监测时间"}, {"pm25", "PM2.5（µg/m³）"},
	{"pm10", "PM10（µg/m³）"},	 {"so2", "SO2（µg/m³）"},     {"no2", "NO2（µg/m³）"},
	{"co", "CO（mg/m³）"},		 {"o3", "O3（µg/m³）"},	      {"temperature", "温度（℃）"},
	{"humidity", "湿度（%）"},	 {"pressure", "气压（hPa）"}, {"wind_speed", "风速（m/s）"},
	{"wind_direction", "风向（°）"}, {"flags", "数据标记"},
};

/* The fields flagged other than N, by name and meaning: "PM10 故障（D）；湿度 通讯异常（B）" or
 * "pm10 fault (D); humidity communication fault (B)"; "" when all are normal. */
static void flags_text(const struct aq_reading *r, bool english, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (int f = 0; f < AQ_FIELDS && used < size; f++) {
		const char *meaning = aq_flag_meaning(r->flag[f], english);
		if (!meaning)
			continue;
		static const char *const zh[AQ_FIELDS] = {"PM2.5", "PM10", "SO2",  "NO2",  "CO",  "O3",
							  "温度",  "湿度", "气压", "风速", "风向"};
		const char *name = english ? aq_field_name((enum aq_field)f) : zh[f];
		int n = snprintf(out + used, size - used, english ? "%s%s %s (%c)" : "%s%s %s（%c）",
				 used ? (english ? "; " : "；") : "", name, meaning, r->flag[f]);
		used += n > 0 ? (size_t)n : 0;
	}
}

void aq_csv_readings(struct aq_csv *csv, const char *code, const struct aq_stored_reading *rows, size_t n, bool english)
{
	aq_csv_header(csv, english, reading_columns, sizeof reading_columns / sizeof reading_columns[0]);
	for (size_t i = 0; i < n; i++) {
		char when[40], value[32], flags[512];
		aq_local_format(rows[i].r.observed_us, when, sizeof when);
		aq_csv_cell(csv, code);
		aq_csv_cell(csv, when);
		for (int f = 0; f < AQ_FIELDS; f++) {
			value[0] = '\0';
			if (rows[i].r.present & (1u << f))
				snprintf(value, sizeof value, "%.15g", rows[i].r.value[f]);
			aq_csv_number(csv, value);
		}
		flags_text(&rows[i].r, english, flags, sizeof flags);
		aq_csv_cell(csv, flags);
		aq_csv_end_row(csv);
	}
}
