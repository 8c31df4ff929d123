/* aq_hourgroup.h — what a batch of new readings adds to the hourly aggregates, computed in the
 * daemon so that a batch can be COPYed into readings and its station-hours upserted as a few
 * rows (db_readings.c). The same sums, counts, extremes and first/last instants as the SQL
 * aggregate over inserted rows (AGG_IN_FROM_INS) — values flagged other than N not counted.
 * Pure: no I/O; the caller says which local day and hour each reading falls in. */
#ifndef AQ_HOURGROUP_H
#define AQ_HOURGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "aq_aggregate.h"
#include "aq_reading.h"

/* One station-hour of a batch. */
struct aq_hour_group {
	int station_id;
	int64_t day;				       /* local day, days since 1970-01-01 */
	int hour;				       /* local hour 0..23 */
	int readings;				       /* every reading, counted or not */
	int64_t first_us, last_us;		       /* earliest and latest observed_at */
	struct aq_hour_sums sums;		       /* counted values per pollutant, and humidity */
	double min[AQ_POLLUTANTS], max[AQ_POLLUTANTS]; /* of the counted values; 0 when none */
};

/* Groups n readings by (station_ids[i], days[i], hours[i]) into *out (malloc'd, ordered by
 * station, day, hour; the caller frees it). Values are summed in input order. Returns the
 * number of groups, or -1 when out of memory (*out NULL). n == 0 gives 0 and a freeable
 * *out. */
long aq_hour_groups(const struct aq_reading *readings, const int *station_ids, const int64_t *days, const int *hours,
		    size_t n, struct aq_hour_group **out);

#endif
