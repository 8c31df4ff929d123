/* check_partplan.c — Check suite for partplan.c: month numbers of days and back, and the
 * plan of monthly partitions of readings — months ahead created once, never over the history
 * or another partition, months stranded in the default partition given theirs, the retention
 * archiving whole partitions only (the history once its end is old enough), never the
 * default. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "aq_partplan.h"
#include "aq_time.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define MONTH(y, m) ((y)*12 + (m)-1)

START_TEST(test_month_numbers)
{
	static const struct {
		int y, m, d;
	} days[] = {{1970, 1, 1},  {1999, 12, 31}, {2000, 1, 1},  {2024, 2, 29},
		    {2026, 12, 7}, {2027, 1, 31},  {9999, 12, 31}};
	for (int i = 0; i < N(days); i++) {
		int64_t day = aq_days_from_civil(days[i].y, days[i].m, days[i].d);
		int month = aq_month_of_day(day);
		ck_assert_int_eq(month, MONTH(days[i].y, days[i].m));
		ck_assert_int_eq(aq_month_first_day(month), aq_days_from_civil(days[i].y, days[i].m, 1));
		/* the last day of the month before the first is the month before */
		ck_assert_int_eq(aq_month_of_day(aq_month_first_day(month) - 1), month - 1);
	}
}
END_TEST

static struct aq_partition part(const char *name, bool has_lower, int lower, bool has_upper, int upper)
{
	struct aq_partition p;
	memset(&p, 0, sizeof p);
	strcpy(p.name, name);
	p.has_lower = has_lower;
	p.lower = lower;
	p.has_upper = has_upper;
	p.upper = upper;
	return p;
}

static struct aq_partition dflt(void)
{
	struct aq_partition p = part("readings_default", false, 0, false, 0);
	p.is_default = true;
	return p;
}

/* Right after migration 010 in December 2026: history up to January 2027, the default. */
START_TEST(test_after_migration)
{
	int now = MONTH(2026, 12), create[AQ_PART_MAX_CREATE];
	struct aq_partition parts[] = {dflt(), part("readings_history", false, 0, true, MONTH(2027, 1))};
	bool archive[2];
	size_t k = aq_partition_plan(parts, 2, now, 0, NULL, 0, create, AQ_PART_MAX_CREATE, archive);
	ck_assert_uint_eq(k, 2);
	ck_assert_int_eq(create[0], MONTH(2027, 1));
	ck_assert_int_eq(create[1], MONTH(2027, 2));
	ck_assert(!archive[0] && !archive[1]);
}
END_TEST

/* The months ahead exist: nothing to do, however often the pass runs. */
START_TEST(test_steady)
{
	int now = MONTH(2027, 1), create[AQ_PART_MAX_CREATE];
	struct aq_partition parts[] = {dflt(), part("readings_history", false, 0, true, MONTH(2027, 1)),
				       part("readings_2027_01", true, MONTH(2027, 1), true, MONTH(2027, 2)),
				       part("readings_2027_02", true, MONTH(2027, 2), true, MONTH(2027, 3)),
				       part("readings_2027_03", true, MONTH(2027, 3), true, MONTH(2027, 4))};
	bool archive[5];
	ck_assert_uint_eq(aq_partition_plan(parts, 5, now, 0, NULL, 0, create, AQ_PART_MAX_CREATE, archive), 0);
	for (int i = 0; i < 5; i++)
		ck_assert(!archive[i]);
}
END_TEST

/* A clock in the past of the partitions (a replay of 2017 in a database migrated in 2026):
 * its months lie in the history, nothing is created over them. */
START_TEST(test_clock_in_the_history)
{
	int now = MONTH(2017, 12), create[AQ_PART_MAX_CREATE];
	struct aq_partition parts[] = {dflt(), part("readings_history", false, 0, true, MONTH(2027, 1))};
	bool archive[2];
	ck_assert_uint_eq(aq_partition_plan(parts, 2, now, 3, NULL, 0, create, AQ_PART_MAX_CREATE, archive), 0);
	ck_assert(!archive[0] && !archive[1]); /* the history ends after the first month kept */
}
END_TEST

/* Rows waiting in the default partition get their months (not past the months ahead: a
 * device's clock in 2090 does not make partitions), oldest first, each once. */
START_TEST(test_default_months)
{
	int now = MONTH(2027, 6), create[AQ_PART_MAX_CREATE];
	struct aq_partition parts[] = {dflt(), part("readings_history", false, 0, true, MONTH(2027, 1)),
				       part("readings_2027_03", true, MONTH(2027, 3), true, MONTH(2027, 4))};
	int stranded[] = {MONTH(2027, 2), MONTH(2027, 3), MONTH(2026, 5), MONTH(2090, 1), MONTH(2027, 2)};
	bool archive[3];
	size_t k = aq_partition_plan(parts, 3, now, 0, stranded, N(stranded), create, AQ_PART_MAX_CREATE, archive);
	int want[] = {MONTH(2027, 2), MONTH(2027, 6), MONTH(2027, 7), MONTH(2027, 8)};
	ck_assert_uint_eq(k, N(want));
	for (int i = 0; i < N(want); i++)
		ck_assert_int_eq(create[i], want[i]);
}
END_TEST

/* A gap of years between the partitions and a clock frozen ahead: the months ahead only,
 * and never more than max_create in one pass. */
START_TEST(test_capped)
{
	int now = MONTH(2040, 1), create[3];
	struct aq_partition parts[] = {dflt(), part("readings_history", false, 0, true, MONTH(2027, 1))};
	int stranded[] = {MONTH(2030, 1), MONTH(2031, 1), MONTH(2032, 1), MONTH(2033, 1)};
	bool archive[2];
	size_t k = aq_partition_plan(parts, 2, now, 0, stranded, N(stranded), create, 3, archive);
	ck_assert_uint_eq(k, 3);
	ck_assert_int_eq(create[0], MONTH(2030, 1));
	ck_assert_int_eq(create[2], MONTH(2032, 1));
}
END_TEST

/* Retention: 2 whole months kept besides the current one (April 2027: February and March
 * kept, January archived, the history too); never the default; never a partition that ends
 * after the first month kept. */
START_TEST(test_retention)
{
	int now = MONTH(2027, 4), create[AQ_PART_MAX_CREATE];
	struct aq_partition parts[] = {dflt(), part("readings_history", false, 0, true, MONTH(2027, 1)),
				       part("readings_2027_01", true, MONTH(2027, 1), true, MONTH(2027, 2)),
				       part("readings_2027_02", true, MONTH(2027, 2), true, MONTH(2027, 3)),
				       part("readings_2027_03", true, MONTH(2027, 3), true, MONTH(2027, 4)),
				       part("readings_2027_04", true, MONTH(2027, 4), true, MONTH(2027, 5)),
				       /* a partition made by hand over two months, ending in the kept range */
				       part("readings_odd", true, MONTH(2026, 12), true, MONTH(2027, 3))};
	bool archive[N(parts)];
	bool want[] = {false, true, true, false, false, false, false};
	size_t k = aq_partition_plan(parts, N(parts), now, 2, NULL, 0, create, AQ_PART_MAX_CREATE, archive);
	for (int i = 0; i < N(parts); i++)
		ck_assert_msg(archive[i] == want[i], "%s", parts[i].name);
	ck_assert_uint_eq(k, 2); /* May and June */
	/* retention 0 keeps everything */
	aq_partition_plan(parts, N(parts), now, 0, NULL, 0, create, AQ_PART_MAX_CREATE, archive);
	for (int i = 0; i < N(parts); i++)
		ck_assert(!archive[i]);
}
END_TEST

/* A partition with an open upper bound (made by hand) covers every later month: nothing is
 * created after it, and the retention never takes it. */
START_TEST(test_open_upper)
{
	int now = MONTH(2027, 4), create[AQ_PART_MAX_CREATE];
	struct aq_partition parts[] = {dflt(), part("readings_all", true, MONTH(2020, 1), false, 0)};
	bool archive[2];
	ck_assert_uint_eq(aq_partition_plan(parts, 2, now, 1, NULL, 0, create, AQ_PART_MAX_CREATE, archive), 0);
	ck_assert(!archive[1]);
}
END_TEST

static Suite *partplan_suite(void)
{
	Suite *s = suite_create("partplan");
	TCase *tc = tcase_create("partplan");
	tcase_add_test(tc, test_month_numbers);
	tcase_add_test(tc, test_after_migration);
	tcase_add_test(tc, test_steady);
	tcase_add_test(tc, test_clock_in_the_history);
	tcase_add_test(tc, test_default_months);
	tcase_add_test(tc, test_capped);
	tcase_add_test(tc, test_retention);
	tcase_add_test(tc, test_open_upper);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(partplan_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
