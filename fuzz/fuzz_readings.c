/* fuzz_readings.c — POST /api/v1/readings bodies: raw bytes → json_loadb with
 * JSON_REJECT_DUPLICATES (as http.c does) → aq_json_readings_parse → aq_reading_validate for
 * each reading. Invariants: a reading that passes both checks has a valid station code (or
 * none), a timestamp in the accepted window and finite in-range values; and its reply JSON
 * (aq_json_reading) parses back to the same reading. */
#include "fuzz.h"

#include "aq_clock.h"
#include "aq_json.h"
#include "aq_reading.h"
#include "aq_status.h"
#include "aq_time.h"

#include <math.h>

/* A fixed "now" keeps runs reproducible: 2024-06-01T00:00:00Z. */
#define NOW_US (aq_days_from_civil(2024, 6, 1) * AQ_US_PER_DAY)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	aq_timezone_set("Asia/Shanghai"); /* the daemon's default AQRANK_TIMEZONE */
	return 0;
}

static bool has_problem_at(const struct aq_problems *p, size_t from, int index)
{
	for (size_t i = from; i < p->n; i++)
		if (p->items[i].index == index)
			return true;
	return false;
}

/* The reply JSON of a valid reading, read back by the same parser, is the same reading. */
static void check_round_trip(const struct aq_reading *r)
{
	struct aq_problems problems = {0};
	struct aq_reading *back = NULL;
	size_t n = 0;
	/* A reading posted to /stations/{code}/readings names no station: the reply does. */
	const char *code = r->station[0] ? r->station : "S1";
	json_t *o = aq_json_reading(code, r, 0);
	FUZZ_CHECK(o != NULL);
	char *text = json_dumps(o, AQ_JSON_DUMP_FLAGS);
	FUZZ_CHECK(text != NULL);
	json_t *again = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(again != NULL);
	FUZZ_CHECK(aq_json_readings_parse(again, &back, &n, &problems) == AQ_OK);
	FUZZ_CHECK(n == 1 && problems.n == 0);
	FUZZ_CHECK(back[0].observed_us == r->observed_us);
	FUZZ_CHECK(strcmp(back[0].station, code) == 0);
	FUZZ_CHECK(back[0].present == r->present);
	for (int f = 0; f < AQ_FIELDS; f++) {
		FUZZ_CHECK(back[0].flag[f] == r->flag[f]);
		if (!(r->present & (1u << f)))
			continue;
		/* Reals are written with 15 significant digits (AQ_JSON_DUMP_FLAGS). */
		double a = r->value[f], b = back[0].value[f];
		FUZZ_CHECK(fabs(a - b) <= 1e-13 * fmax(1.0, fabs(a)));
	}
	free(back);
	json_decref(again);
	free(text);
	json_decref(o);
	aq_problems_cleanup(&problems);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aq_problems problems = {0};
	struct aq_reading *readings = NULL;
	size_t n = 0;
	json_error_t error;
	json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &error);
	if (!root)
		return 0;
	enum aq_status st = aq_json_readings_parse(root, &readings, &n, &problems);
	if (st != AQ_OK) {
		FUZZ_CHECK(readings == NULL && n == 0);
		goto out;
	}
	FUZZ_CHECK(readings != NULL && n >= 1 && n <= AQ_MAX_BATCH);
	FUZZ_CHECK(n == (json_is_array(root) ? json_array_size(root) : 1));
	for (size_t i = 0; i < n; i++) {
		int index = json_is_array(root) ? (int)i : -1;
		const struct aq_reading *r = &readings[i];
		size_t before = problems.n;
		bool valid = aq_reading_validate(r, index, NOW_US, &problems);
		FUZZ_CHECK(valid == (problems.n == before));
		if (!valid || has_problem_at(&problems, 0, index))
			continue;
		FUZZ_CHECK(r->station[0] == '\0' || aq_station_code_valid(r->station));
		FUZZ_CHECK(r->observed_us >= aq_days_from_civil(2000, 1, 1) * AQ_US_PER_DAY);
		FUZZ_CHECK(r->observed_us <= NOW_US + AQ_MAX_FUTURE_SKEW_S * AQ_US_PER_SEC);
		FUZZ_CHECK(r->present & ((1u << AQ_N_POLLUTANT_FIELDS) - 1));
		for (int f = 0; f < AQ_FIELDS; f++) {
			double lo, hi;
			aq_field_range((enum aq_field)f, &lo, &hi);
			FUZZ_CHECK(aq_flag_valid(r->flag[f]));
			if (r->present & (1u << f))
				FUZZ_CHECK(isfinite(r->value[f]) && r->value[f] >= lo && r->value[f] <= hi);
		}
		check_round_trip(r);
	}
	/* The problem list is what the 422 reply carries: every problem, with its field. */
	json_t *details = aq_json_problems(&problems);
	FUZZ_CHECK((details != NULL) == (problems.n > 0));
	for (size_t i = 0; details && i < problems.n; i++) {
		json_t *d = json_array_get(details, i);
		FUZZ_CHECK(json_is_string(json_object_get(d, "problem")));
		if (problems.items[i].field[0])
			FUZZ_CHECK(json_is_string(json_object_get(d, "field")));
	}
	json_decref(details);
out:
	free(readings);
	aq_problems_cleanup(&problems);
	json_decref(root);
	return 0;
}
