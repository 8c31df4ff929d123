/* check_replag.c — Check suite for replag.c: a replica's lag in time from the primary's WAL
 * positions — caught up is 0 however idle the primary, behind is the age of the oldest
 * position not replayed, an idle primary's repeated position keeps its first time, and a full
 * ring forgets the oldest samples (the lag is then at least the window). */
#include <check.h>
#include <stdlib.h>

#include "aq_replag.h"

#define S(x) ((int64_t)(x)*1000000)

START_TEST(test_empty)
{
	struct aq_replag l;
	aq_replag_init(&l);
	ck_assert_int_eq(aq_replag_behind(&l, S(100), 0), 0);
}
END_TEST

START_TEST(test_caught_up_and_behind)
{
	struct aq_replag l;
	aq_replag_init(&l);
	for (int t = 0; t < 10; t++)
		aq_replag_sample(&l, S(t), 1000 + 100 * (uint64_t)t); /* 1000 at 0 s … 1900 at 9 s */
	ck_assert_int_eq(aq_replag_behind(&l, S(10), 1900), 0);
	ck_assert_int_eq(aq_replag_behind(&l, S(10), 5000), 0);	   /* ahead of the samples */
	ck_assert_int_eq(aq_replag_behind(&l, S(10), 1850), S(1)); /* lacks 1900, seen at 9 s */
	ck_assert_int_eq(aq_replag_behind(&l, S(10), 1500), S(4)); /* lacks 1600, seen at 6 s */
	ck_assert_int_eq(aq_replag_behind(&l, S(10), 0), S(10));
	ck_assert_int_eq(aq_replag_behind(&l, S(5), 0), S(5)); /* a clock before the sample */
	ck_assert_int_eq(aq_replag_behind(&l, 0, 1500), 0);
}
END_TEST

/* An idle primary: the same position for a minute. A replica that has it is not behind; one
 * that lacks it is behind since the position was first seen, not since the last sample. */
START_TEST(test_idle_primary)
{
	struct aq_replag l;
	aq_replag_init(&l);
	aq_replag_sample(&l, S(0), 500);
	for (int t = 1; t <= 60; t++)
		aq_replag_sample(&l, S(t), 700);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(aq_replag_behind(&l, S(61), 700), 0);
	ck_assert_int_eq(aq_replag_behind(&l, S(61), 600), S(60));
}
END_TEST

START_TEST(test_ring_full)
{
	struct aq_replag l;
	aq_replag_init(&l);
	for (int t = 0; t < AQ_REPLAG_SAMPLES + 100; t++)
		aq_replag_sample(&l, S(t), (uint64_t)t + 1);
	ck_assert_uint_eq(l.n, AQ_REPLAG_SAMPLES);
	int64_t now = S(AQ_REPLAG_SAMPLES + 100);
	/* replayed nothing: at least as old as the oldest sample kept (position 101 at 100 s) */
	ck_assert_int_eq(aq_replag_behind(&l, now, 0), now - S(100));
	ck_assert_int_eq(aq_replag_behind(&l, now, (uint64_t)AQ_REPLAG_SAMPLES + 99), S(1));
	ck_assert_int_eq(aq_replag_behind(&l, now, (uint64_t)AQ_REPLAG_SAMPLES + 100), 0);
}
END_TEST

static Suite *replag_suite(void)
{
	Suite *s = suite_create("replag");
	TCase *tc = tcase_create("replag");
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_caught_up_and_behind);
	tcase_add_test(tc, test_idle_primary);
	tcase_add_test(tc, test_ring_full);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(replag_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
