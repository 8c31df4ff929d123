/* aq_partitions.h — the monthly partitions of readings kept ahead of the clock, and old ones
 * moved to readings_archive under AQRANK_RETENTION_MONTHS (issue 18). */
#ifndef AQ_PARTITIONS_H
#define AQ_PARTITIONS_H

struct aq_app;

/* One pass: creates the partitions of this month and the AQ_PART_AHEAD next ones and of the
 * months stranded in the default partition, then archives the partitions older than the
 * retention. Each action is logged; a failure is logged and left to the next pass. Run by the
 * background thread (jobs.c); several daemons may run it at once. */
void aq_partitions_maintain(struct aq_app *app);

#endif
