/* aq_station.h — a station (SPEC §1 "Stations"): its attributes, the partial update a PUT
 * body carries, and the checks on them. Pure. */
#ifndef AQ_STATION_H
#define AQ_STATION_H

#include <stdbool.h>
#include <stdint.h>

#include "aq_reading.h"

enum aq_station_kind {
	AQ_KIND_MICRO,
	AQ_KIND_NATIONAL
};

/* Fixed-size text fields keep a station a plain value: copy it, no ownership. */
struct aq_station {
	int id;
	char code[AQ_CODE_MAX + 1];
	char name[256];
	char unit[256];
	char contact_person[128];
	char contact_phone[64];
	char mn[64]; /* HJ 212 device number, "" when none */
	int kind;    /* enum aq_station_kind */
	double lat, lon;
	int interval_s;
	bool active;
	bool has_password; /* an HJ 212 password hash is stored */
	int64_t created_us, updated_us;
	int64_t created_day; /* local day of creation (days since the epoch) */
	int64_t first_day;   /* earliest local day with a reading; INT64_MAX when none */
};

/* Attributes a PUT body may set; bit (1u << attr) in aq_station_update.set. */
enum aq_station_attr {
	AQ_SA_NAME,
	AQ_SA_KIND,
	AQ_SA_LAT,
	AQ_SA_LON,
	AQ_SA_UNIT,
	AQ_SA_CONTACT_PERSON,
	AQ_SA_CONTACT_PHONE,
	AQ_SA_INTERVAL,
	AQ_SA_ACTIVE,
	AQ_SA_MN,
	AQ_SA_PASSWORD,
	AQ_SA_HJ212_CODES,
};

struct aq_station_update {
	unsigned set;
	struct aq_station values; /* only the fields named in set are meaningful */
	char password[128];	  /* AQ_SA_PASSWORD: the new HJ 212 password ("" clears it) */
	char hj212_codes[2048];	  /* AQ_SA_HJ212_CODES: the new code map, a checked JSON object */
};

#define AQ_STATION_DEFAULT_INTERVAL 3600

/* True when s takes part in the ranking of day: an active micro station that existed then
 * (registered by that day, or with readings on or before it — backfilled history). */
bool aq_station_ranked_on(const struct aq_station *s, int64_t day);

/* "micro" or "national". */
const char *aq_station_kind_name(int kind);
/* Kind called name; false when none. */
bool aq_station_kind_from_name(const char *name, int *kind);

/* Checks the values of u (ranges, lengths); when creating, also that name, kind, lat and lon
 * are present. Problems go to p (index -1). True when valid. */
bool aq_station_update_validate(const struct aq_station_update *u, bool creating, struct aq_problems *p);

/* Copies the fields u sets into dst (the password is not a station field: see the DB layer). */
void aq_station_apply(struct aq_station *dst, const struct aq_station_update *u);

/* Great-circle (haversine) distance in km on a sphere of radius 6371.0088 km (the IUGG mean
 * Earth radius). */
double aq_distance_km(double lat1, double lon1, double lat2, double lon2);

#endif
