/* db_partitions.c — the monthly partitions of readings (migration 010): what the catalog says
 * they are, the months with rows stranded in the default partition, and the two SQL functions
 * that create a month and move a partition to readings_archive. Which ones is decided by the
 * pure partplan.c, in partitions.c. */
#include "db_internal.h"
#include "aq_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct aq_sql sql_partitions = {
	"readings_partitions",
	"SELECT name, is_default, lower_month IS NOT NULL, coalesce(lower_month, 0), upper_month IS NOT NULL, "
	"coalesce(upper_month, 0) FROM aqrank_readings_partitions('readings')"};
/* The default partition should be empty or nearly: it holds only readings of a month that
 * had no partition yet when they came. */
static const struct aq_sql sql_default_months = {
	"readings_default_months",
	"SELECT DISTINCT (extract(year FROM observed_at) * 12 + extract(month FROM observed_at) - 1)::int "
	"FROM readings_default ORDER BY 1 LIMIT 48"};
static const struct aq_sql sql_partition_create = {"readings_partition_create",
						   "SELECT aqrank_readings_partition_create($1::date)"};
static const struct aq_sql sql_partition_archive = {"readings_partition_archive",
						    "SELECT aqrank_readings_partition_archive($1::text)"};

static void read_partition(const PGresult *r, int row, void *elem)
{
	struct aq_partition *p = elem;
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", PQgetvalue(r, row, 0));
	p->is_default = PQgetvalue(r, row, 1)[0] == 't';
	p->has_lower = PQgetvalue(r, row, 2)[0] == 't';
	p->lower = atoi(PQgetvalue(r, row, 3));
	p->has_upper = PQgetvalue(r, row, 4)[0] == 't';
	p->upper = atoi(PQgetvalue(r, row, 5));
}

enum aq_status aq_db_partitions(struct aq_db *db, struct aq_partition **out, size_t *n)
{
	return aq_db_rows(db, &sql_partitions, 0, NULL, sizeof **out, read_partition, (void **)out, n);
}

static void read_month(const PGresult *r, int row, void *elem)
{
	*(int *)elem = atoi(PQgetvalue(r, row, 0));
}

enum aq_status aq_db_partition_default_months(struct aq_db *db, int **months, size_t *n)
{
	return aq_db_rows(db, &sql_default_months, 0, NULL, sizeof **months, read_month, (void **)months, n);
}

enum aq_status aq_db_partition_create(struct aq_db *db, int64_t first_day, bool *created)
{
	char day[11];
	int64_t v = 0;
	aq_date_format(first_day, day);
	const char *params[] = {day};
	enum aq_status st = aq_db_scalar(db, &sql_partition_create, 1, params, &v);
	*created = st == AQ_OK && v == 1;
	return st;
}

enum aq_status aq_db_partition_archive(struct aq_db *db, const char *name, bool *archived)
{
	int64_t v = 0;
	const char *params[] = {name};
	enum aq_status st = aq_db_scalar(db, &sql_partition_archive, 1, params, &v);
	*archived = st == AQ_OK && v == 1;
	return st;
}
