/* aq_partplan.h — which monthly partitions of readings to create and which to move to the
 * archive (issue 18). Pure: the partitions as they are (from the catalog), the month of the
 * clock, AQRANK_RETENTION_MONTHS and the months that have rows in the default partition in;
 * the plan out. server/partitions.c carries it out.
 *
 * Months are numbered year × 12 + month − 1 (local months: a partition holds whole local
 * days). A partition covers [lower, upper); an open lower bound (MINVALUE: the history that
 * migration 010 attached) or an open upper one has has_lower / has_upper false. */
#ifndef AQ_PARTPLAN_H
#define AQ_PARTPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AQ_PART_NAME_LEN 64
/* Months created ahead of the clock's: a month's partition exists before its first reading. */
#define AQ_PART_AHEAD 2
/* At most this many partitions created in one pass (a clock frozen far from the partitions,
 * or a backfill spread over years, is caught up over several passes). */
#define AQ_PART_MAX_CREATE 12

struct aq_partition {
	char name[AQ_PART_NAME_LEN];
	bool is_default;
	bool has_lower, has_upper;
	int lower, upper; /* month numbers, [lower, upper) */
};

/* The month number of a local day (days since 1970-01-01), and the first day of a month. */
int aq_month_of_day(int64_t day);
int64_t aq_month_first_day(int month);

/* The plan for partitions parts[0..n) when the clock is in month now:
 *  - create (ascending, at most max_create): each month of now … now + AQ_PART_AHEAD, and each
 *    month of default_months (months with rows in the default partition) up to that, that no
 *    partition other than the default overlaps (a month older than the retention too: it is
 *    archived on the next pass, so its rows do not linger in the default partition);
 *  - archive[i] true: with retention > 0, partition i (not the default) ends at or before the
 *    first month kept, now − retention; the history partition goes whole once its end does.
 * Returns the number of months written to create. */
size_t aq_partition_plan(const struct aq_partition *parts, size_t n, int now, int retention, const int *default_months,
			 size_t n_default, int *create, size_t max_create, bool *archive);

#endif
