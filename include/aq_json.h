/* aq_json.h — jansson ⇄ model structs: the shape checks of request bodies (types, unknown
 * fields) and the JSON of stations, readings and error details. */
#ifndef AQ_JSON_H
#define AQ_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "aq_reading.h"
#include "aq_station.h"
#include "aq_status.h"

/* Flags for every json_dumps of a reply: compact, UTF-8 as is, reals with 15 significant
 * digits (every value the daemon publishes has far fewer; 15 keeps 87.8 from printing as
 * 87.799999999999997). */
#define AQ_JSON_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* j written with AQ_JSON_DUMP_FLAGS into plain malloc'd text (*len bytes, NUL-terminated) the
 * caller frees — also inside a json arena scope, where json_dumps' text would be arena memory
 * (aq_json_arena.h), so that it may be handed to libmicrohttpd. NULL when out of memory. */
char *aq_json_dump_reply(const json_t *j, size_t *len);

/* Parses a readings body: one object or an array of 1..AQ_MAX_BATCH objects. Every shape
 * problem (not an object, unknown field, wrong type, bad timestamp, bad flag) is added to
 * problems with its index (-1 for a single object). On AQ_OK, *out is a malloc'd array of *n
 * readings the caller frees — also when problems were found, so that meaning checks can add
 * theirs. Returns AQ_ERR_INVALID_READING for an empty batch, AQ_ERR_BODY_TOO_LARGE above
 * AQ_MAX_BATCH, AQ_ERR_INTERNAL when out of memory. */
enum aq_status aq_json_readings_parse(const json_t *root, struct aq_reading **out, size_t *n,
				      struct aq_problems *problems);

/* Parses a station PUT body into u; problems as above (index -1). */
void aq_json_station_update_parse(const json_t *root, struct aq_station_update *u, struct aq_problems *problems);

/* New JSON of problems: [{"index": i, "field": "...", "problem": "..."}] (index omitted when
 * -1, field when empty). NULL when there are none or memory ran out. */
json_t *aq_json_problems(const struct aq_problems *problems);

/* New JSON of a station (SPEC §1 attributes; never the password or token hash). */
json_t *aq_json_station(const struct aq_station *s);

struct aq_hj212_extra;
struct aq_hj212_view;

/* The unknown codes of one frame as hj212_status keeps them, {"CO2": {"value": "405.0",
 * "at": "<local time of at_us>"}}: malloc'd text, "{}" when none; NULL when out of memory. */
char *aq_json_hj212_unknown(const struct aq_hj212_extra *x, int64_t at_us);

/* New JSON of the admin's view of a station's HJ 212 device (docs/openapi.yaml
 * StationHj212): last frame, last refusal, refusals by reason, unknown codes seen, and the
 * lockout of its MN and of the addresses that failed against it, judged at now_us (wall
 * clock) with the failure budget budget. */
json_t *aq_json_hj212_view(const struct aq_hj212_view *v, int budget, int64_t now_us);

/* New JSON of a reading: station, observed_at in local time, values, flags that are not N,
 * received_at (when received_us is non-zero). */
json_t *aq_json_reading(const char *station, const struct aq_reading *r, int64_t received_us);

/* A JSON number for v: an integer when v is whole (61, not 61.0), else a real written with
 * the shortest exact digits. decimals is the precision v was published at (informative: v is
 * expected to be rounded already). */
json_t *aq_json_number(double v, int decimals);

struct aq_csv;
struct aq_stored_reading;
/* A station's readings as CSV: the header (Chinese, or English), then one row per reading with
 * its flagged fields by name and meaning. */
void aq_csv_readings(struct aq_csv *csv, const char *code, const struct aq_stored_reading *rows, size_t n,
		     bool english);

#endif
