/* check_hj212_guard.c — Check suite for hj212_guard.c: the growing delay after wrong HJ 212
 * passwords, the lockout at the budget (timed and until lifted), the lock running out, and
 * failures forgotten a day after the last one. Times are seconds after an arbitrary start. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_hj212_guard.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define S(x) (INT64_C(1700000000000000) + (int64_t)((x)*1000000.0))

static const struct {
	int failures, delay_s;
} delays[] = {
	{-1, 0}, {0, 0},   {1, 1},   {2, 2},	{3, 4},	   {4, 8},
	{5, 16}, {8, 128}, {9, 256}, {10, 300}, {40, 300}, {100000, 300},
};

START_TEST(test_delay)
{
	ck_assert_int_eq(aq_hj212_guard_delay_s(delays[_i].failures), delays[_i].delay_s);
}
END_TEST

/* A script of events on one key: 'F' a wrong password at `at`, '?' a check at `at` that must
 * give `gate`; `failures` is what aq_hj212_guard_failures says right after the event, and
 * `locked_now` what aq_hj212_guard_fail returned ('F' only). */
struct step {
	char what;
	double at;
	int gate; /* enum aq_hj212_gate ('?') */
	int failures;
	bool locked_now;
};

struct script {
	const char *name;
	int budget, lockout_s;
	struct step steps[16];
};

#define OPEN AQ_HJ212_GATE_OPEN
#define WAIT AQ_HJ212_GATE_WAIT
#define LOCKED AQ_HJ212_GATE_LOCKED
#define END                       \
	{                         \
		0, 0, 0, 0, false \
	}

static const struct script scripts[] = {
	{"a guesser waits 1, 2, 4, 8 s and is locked at the 5th",
	 5,
	 3600,
	 {{'?', 0, OPEN, 0, false},
	  {'F', 0, 0, 1, false},
	  {'?', 0.5, WAIT, 1, false},
	  {'?', 1.0, OPEN, 1, false},
	  {'F', 1.0, 0, 2, false},
	  {'?', 2.9, WAIT, 2, false},
	  {'F', 3.0, 0, 3, false},
	  {'?', 6.9, WAIT, 3, false},
	  {'F', 7.0, 0, 4, false},
	  {'?', 14.9, WAIT, 4, false},
	  {'F', 15.0, 0, 5, true},
	  {'?', 16.0, LOCKED, 5, false},
	  {'?', 3614.9, LOCKED, 5, false},
	  /* the lock ran out; the failures stay, so the next wrong password locks again */
	  {'?', 3615.0 + 16, OPEN, 5, false},
	  {'F', 3700, 0, 6, true},
	  {'?', 3701, LOCKED, 6, false}}},
	{"a wrong password while locked extends nothing and locks nothing new",
	 2,
	 60,
	 {{'F', 0, 0, 1, false},
	  {'F', 1, 0, 2, true},
	  {'F', 30, 0, 3, false},
	  {'?', 60.5, LOCKED, 3, false},
	  {'?', 61.5, OPEN, 3, false},
	  END}},
	{"lockout 0 lasts until lifted, and is not forgotten",
	 3,
	 0,
	 {{'F', 0, 0, 1, false},
	  {'F', 10, 0, 2, false},
	  {'F', 20, 0, 3, true},
	  {'?', 86400 * 30, LOCKED, 3, false},
	  END}},
	{"failures are forgotten a day after the last one",
	 5,
	 3600,
	 {{'F', 0, 0, 1, false},
	  {'F', 100, 0, 2, false},
	  {'?', 100 + 86400, OPEN, 2, false},
	  {'?', 100 + 86400.5, OPEN, 0, false},
	  {'F', 100 + 86401, 0, 1, false},
	  {'?', 100 + 86401.5, WAIT, 1, false},
	  END}},
	{"a lock outlives the day: failures still count after it",
	 2,
	 2 * 86400,
	 {{'F', 0, 0, 1, false},
	  {'F', 1, 0, 2, true},
	  {'?', 86400 + 100, LOCKED, 2, false},
	  {'?', 2 * 86400 + 2, OPEN, 0, false},
	  END}},
	{"a budget of one locks at the first wrong password",
	 1,
	 10,
	 {{'F', 0, 0, 1, true},
	  {'?', 9, LOCKED, 1, false},
	  {'?', 10, OPEN, 1, false},
	  {'F', 11, 0, 2, true},
	  {'?', 12, LOCKED, 2, false},
	  END}},
};

START_TEST(test_script)
{
	const struct script *sc = &scripts[_i];
	struct aq_hj212_guard_policy p = {sc->budget, sc->lockout_s};
	struct aq_hj212_guard g = {0};
	for (int k = 0; k < 16 && sc->steps[k].what; k++) {
		const struct step *st = &sc->steps[k];
		int64_t now = S(st->at), until = -1;
		if (st->what == 'F') {
			bool locked = aq_hj212_guard_fail(&g, now, &p);
			ck_assert_msg(locked == st->locked_now, "%s, step %d: locked_now %d", sc->name, k, locked);
		} else {
			int gate = aq_hj212_guard_check(&g, now, &until);
			ck_assert_msg(gate == st->gate, "%s, step %d (t=%g): gate %d, want %d", sc->name, k, st->at,
				      gate, st->gate);
			ck_assert_msg((gate == OPEN) == (until == 0), "%s, step %d: until %lld", sc->name, k,
				      (long long)until);
			if (gate != OPEN)
				ck_assert_msg(until > now, "%s, step %d: until in the past", sc->name, k);
		}
		ck_assert_msg(aq_hj212_guard_failures(&g, now) == st->failures, "%s, step %d: failures %d, want %d",
			      sc->name, k, aq_hj212_guard_failures(&g, now), st->failures);
	}
}
END_TEST

/* The end of a wait is the last failure plus the delay; a lock until lifted says FOREVER. */
START_TEST(test_until)
{
	struct aq_hj212_guard_policy p = {3, 0};
	struct aq_hj212_guard g = {0};
	int64_t until = 0;
	aq_hj212_guard_fail(&g, S(0), &p);
	aq_hj212_guard_fail(&g, S(5), &p);
	ck_assert_int_eq(aq_hj212_guard_check(&g, S(5.5), &until), WAIT);
	ck_assert(until == S(7));
	aq_hj212_guard_fail(&g, S(7), &p);
	ck_assert_int_eq(aq_hj212_guard_check(&g, S(8), &until), LOCKED);
	ck_assert(until == AQ_HJ212_GUARD_FOREVER);
	ck_assert(aq_hj212_guard_locked(&g, S(1e9)));
	ck_assert_int_eq(aq_hj212_guard_check(&g, S(8), NULL), LOCKED);
	/* an operator's lift is a fresh state */
	memset(&g, 0, sizeof g);
	ck_assert_int_eq(aq_hj212_guard_check(&g, S(8), &until), OPEN);
	ck_assert_int_eq(aq_hj212_guard_failures(&g, S(8)), 0);
}
END_TEST

static Suite *guard_suite(void)
{
	Suite *s = suite_create("hj212_guard");
	TCase *tc = tcase_create("guard");
	tcase_add_loop_test(tc, test_delay, 0, N(delays));
	tcase_add_loop_test(tc, test_script, 0, N(scripts));
	tcase_add_test(tc, test_until);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(guard_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
