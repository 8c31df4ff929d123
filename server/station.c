/* station.c — station attributes: validation, partial updates and distances. */
#include "aq_station.h"

#include <math.h>
#include <string.h>

bool aq_station_ranked_on(const struct aq_station *s, int64_t day)
{
	return s->active && s->kind == AQ_KIND_MICRO && (s->created_day <= day || s->first_day <= day);
}

const char *aq_station_kind_name(int kind)
{
	return kind == AQ_KIND_NATIONAL ? "national" : "micro";
}

bool aq_station_kind_from_name(const char *name, int *kind)
{
	if (strcmp(name, "micro") == 0)
		*kind = AQ_KIND_MICRO;
	else if (strcmp(name, "national") == 0)
		*kind = AQ_KIND_NATIONAL;
	else
		return false;
	return true;
}

/* True when the shape check already complained about field (no second complaint). */
static bool has_problem(const struct aq_problems *p, const char *field)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->items[i].field, field) == 0)
			return true;
	return false;
}

bool aq_station_update_validate(const struct aq_station_update *u, bool creating, struct aq_problems *p)
{
	size_t before = p->n;
	const struct aq_station *v = &u->values;
	static const struct {
		enum aq_station_attr attr;
		const char *name;
	} required[] = {{AQ_SA_NAME, "name"}, {AQ_SA_KIND, "kind"}, {AQ_SA_LAT, "lat"}, {AQ_SA_LON, "lon"}};

	if (creating) {
		for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
			if (!(u->set & (1u << required[i].attr)) && !has_problem(p, required[i].name))
				aq_problems_add(p, -1, required[i].name, "is required to create a station");
	}
	if ((u->set & (1u << AQ_SA_NAME)) && v->name[0] == '\0')
		aq_problems_add(p, -1, "name", "must not be empty");
	if ((u->set & (1u << AQ_SA_LAT)) && !(v->lat >= -90 && v->lat <= 90))
		aq_problems_add(p, -1, "lat", "must be between -90 and 90");
	if ((u->set & (1u << AQ_SA_LON)) && !(v->lon >= -180 && v->lon <= 180))
		aq_problems_add(p, -1, "lon", "must be between -180 and 180");
	if ((u->set & (1u << AQ_SA_INTERVAL)) && (v->interval_s < 10 || v->interval_s > 3600))
		aq_problems_add(p, -1, "interval_s", "must be an integer from 10 to 3600");
	return p->n == before;
}

void aq_station_apply(struct aq_station *dst, const struct aq_station_update *u)
{
	const struct aq_station *v = &u->values;
#define COPY_IF(attr, field)                                               \
	do {                                                               \
		if (u->set & (1u << (attr)))                               \
			memcpy(&dst->field, &v->field, sizeof dst->field); \
	} while (0)
	COPY_IF(AQ_SA_NAME, name);
	COPY_IF(AQ_SA_KIND, kind);
	COPY_IF(AQ_SA_LAT, lat);
	COPY_IF(AQ_SA_LON, lon);
	COPY_IF(AQ_SA_UNIT, unit);
	COPY_IF(AQ_SA_CONTACT_PERSON, contact_person);
	COPY_IF(AQ_SA_CONTACT_PHONE, contact_phone);
	COPY_IF(AQ_SA_INTERVAL, interval_s);
	COPY_IF(AQ_SA_ACTIVE, active);
	COPY_IF(AQ_SA_MN, mn);
#undef COPY_IF
	if (u->set & (1u << AQ_SA_PASSWORD))
		dst->has_password = u->password[0] != '\0';
}

double aq_distance_km(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371.0088, rad = M_PI / 180.0;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	if (a > 1)
		a = 1;
	return 2 * r * asin(sqrt(a));
}
