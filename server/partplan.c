/* partplan.c — the monthly partitions of readings to create and to archive (aq_partplan.h). */
#include "aq_partplan.h"

#include "aq_time.h"

int aq_month_of_day(int64_t day)
{
	int y, m, d;
	aq_civil_from_days(day, &y, &m, &d);
	return y * 12 + m - 1;
}

int64_t aq_month_first_day(int month)
{
	int y = month >= 0 ? month / 12 : -((-month + 11) / 12);
	return aq_days_from_civil(y, month - y * 12 + 1, 1);
}

/* True when a partition other than the default covers any of month m. */
static bool covered(const struct aq_partition *parts, size_t n, int m)
{
	for (size_t i = 0; i < n; i++) {
		const struct aq_partition *p = &parts[i];
		if (p->is_default)
			continue;
		if ((!p->has_lower || p->lower < m + 1) && (!p->has_upper || p->upper > m))
			return true;
	}
	return false;
}

/* Adds m to the ascending set create[0..*k) unless it is there or the set is full. */
static void add_month(int *create, size_t *k, size_t max, int m)
{
	size_t i = 0;
	while (i < *k && create[i] < m)
		i++;
	if ((i < *k && create[i] == m) || *k >= max)
		return;
	for (size_t j = *k; j > i; j--)
		create[j] = create[j - 1];
	create[i] = m;
	(*k)++;
}

size_t aq_partition_plan(const struct aq_partition *parts, size_t n, int now, int retention, const int *default_months,
			 size_t n_default, int *create, size_t max_create, bool *archive)
{
	size_t k = 0;
	int first_kept = now - retention; /* meaningful when retention > 0 */
	/* Months stranded in the default partition first (oldest first), then the months ahead:
	 * what already holds rows matters more than what will. */
	for (size_t i = 0; i < n_default; i++) {
		int m = default_months[i];
		if (m > now + AQ_PART_AHEAD || covered(parts, n, m))
			continue;
		add_month(create, &k, max_create, m);
	}
	for (int m = now; m <= now + AQ_PART_AHEAD; m++)
		if (!covered(parts, n, m))
			add_month(create, &k, max_create, m);
	for (size_t i = 0; i < n; i++) {
		const struct aq_partition *p = &parts[i];
		archive[i] = retention > 0 && !p->is_default && p->has_upper && p->upper <= first_kept;
	}
	return k;
}
