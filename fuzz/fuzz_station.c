/* fuzz_station.c — PUT/POST station bodies: raw bytes → json_loadb with JSON_REJECT_DUPLICATES
 * → aq_json_station_update_parse → aq_station_update_validate (update and create). Invariants:
 * an accepted update has NUL-terminated texts within their fields and in-range numbers, and
 * the station it produces (aq_station_apply) serialises with aq_json_station. */
#include "fuzz.h"

#include "aq_clock.h"
#include "aq_json.h"
#include "aq_station.h"

#include <math.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	aq_timezone_set("Asia/Shanghai");
	return 0;
}

static void check_problems_json(const struct aq_problems *p)
{
	json_t *details = aq_json_problems(p);
	FUZZ_CHECK((details != NULL) == (p->n > 0));
	for (size_t i = 0; details && i < p->n; i++) {
		json_t *d = json_array_get(details, i);
		FUZZ_CHECK(json_is_string(json_object_get(d, "problem")));
		if (p->items[i].field[0])
			FUZZ_CHECK(json_is_string(json_object_get(d, "field")));
	}
	json_decref(details);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t error;
	json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &error);
	if (!root)
		return 0;
	for (int creating = 0; creating <= 1; creating++) {
		struct aq_problems p = {0};
		struct aq_station_update u;
		aq_json_station_update_parse(root, &u, &p);
		bool shape_ok = p.n == 0;
		bool valid = aq_station_update_validate(&u, creating, &p);
		check_problems_json(&p);
		if (shape_ok && valid) {
			const struct aq_station *v = &u.values;
			FUZZ_CHECK(memchr(v->name, '\0', sizeof v->name) && memchr(v->unit, '\0', sizeof v->unit));
			FUZZ_CHECK(memchr(v->contact_person, '\0', sizeof v->contact_person));
			FUZZ_CHECK(memchr(v->contact_phone, '\0', sizeof v->contact_phone));
			FUZZ_CHECK(memchr(v->mn, '\0', sizeof v->mn) && memchr(u.password, '\0', sizeof u.password));
			if (u.set & (1u << AQ_SA_LAT))
				FUZZ_CHECK(v->lat >= -90 && v->lat <= 90);
			if (u.set & (1u << AQ_SA_LON))
				FUZZ_CHECK(v->lon >= -180 && v->lon <= 180);
			if (u.set & (1u << AQ_SA_INTERVAL))
				FUZZ_CHECK(v->interval_s >= 10 && v->interval_s <= 3600);
			if (u.set & (1u << AQ_SA_NAME))
				FUZZ_CHECK(v->name[0] != '\0');
			if (creating)
				FUZZ_CHECK((u.set & 0xfu) == 0xfu); /* name, kind, lat, lon */

			struct aq_station s = {.kind = AQ_KIND_MICRO, .interval_s = AQ_STATION_DEFAULT_INTERVAL};
			snprintf(s.code, sizeof s.code, "S1");
			aq_station_apply(&s, &u);
			json_t *o = aq_json_station(&s);
			FUZZ_CHECK(o != NULL);
			FUZZ_CHECK(strcmp(json_string_value(json_object_get(o, "name")), s.name) == 0);
			json_decref(o);
			double d = aq_distance_km(s.lat, s.lon, 39.9, 116.4);
			FUZZ_CHECK(isfinite(d) && d >= 0 && d <= 20016);
		}
		aq_problems_cleanup(&p);
	}
	json_decref(root);
	return 0;
}
