/* partitions.c — keeps readings' monthly partitions ahead of the clock and moves old ones to
 * readings_archive (aq_partitions.h): the catalog and the default partition's months from
 * db_partitions.c, the plan from the pure partplan.c, carried out by the SQL functions of
 * migration 010, which serialize on an advisory lock and check again, so daemons running this
 * together create and archive each partition once. */
#include "aq_partitions.h"
#include "aq_app.h"
#include "aq_db.h"
#include "aq_log.h"
#include "aq_partplan.h"
#include "aq_time.h"

#include <stdio.h>
#include <stdlib.h>

static void month_text(int month, char buf[8])
{
	char date[11];
	aq_date_format(aq_month_first_day(month), date);
	snprintf(buf, 8, "%.7s", date);
}

void aq_partitions_maintain(struct aq_app *app)
{
	enum aq_status st;
	struct aq_partition *parts = NULL;
	int *stranded = NULL, create[AQ_PART_MAX_CREATE];
	bool *archive = NULL;
	size_t n = 0, n_stranded = 0;
	struct aq_db *db = aq_app_db(app, &st);
	if (!db)
		return;
	if ((st = aq_db_partitions(db, &parts, &n)) != AQ_OK ||
	    (st = aq_db_partition_default_months(db, &stranded, &n_stranded)) != AQ_OK)
		goto out;
	if (!(archive = calloc(n ? n : 1, sizeof *archive)))
		goto out;
	int now = aq_month_of_day(aq_app_today(app));
	size_t k = aq_partition_plan(parts, n, now, app->cfg->retention_months, stranded, n_stranded, create,
				     AQ_PART_MAX_CREATE, archive);
	for (size_t i = 0; i < k; i++) {
		char month[8];
		bool created = false;
		month_text(create[i], month);
		st = aq_db_partition_create(db, aq_month_first_day(create[i]), &created);
		if (st != AQ_OK)
			aq_log(AQ_LOG_WARN, "readings: the partition of %s was not created (tried again later)", month);
		else if (created)
			aq_log(AQ_LOG_INFO, "readings: partition of %s created", month);
	}
	for (size_t i = 0; i < n; i++) {
		bool archived = false;
		if (!archive[i])
			continue;
		st = aq_db_partition_archive(db, parts[i].name, &archived);
		if (st != AQ_OK)
			aq_log(AQ_LOG_WARN, "readings: %s was not moved to readings_archive (tried again later)",
			       parts[i].name);
		else if (archived)
			aq_log(AQ_LOG_INFO, "readings: %s moved to readings_archive (AQRANK_RETENTION_MONTHS=%d)",
			       parts[i].name, app->cfg->retention_months);
	}
out:
	free(archive);
	free(stranded);
	free(parts);
	aq_db_release(app->pool, db);
}
