/* check_ratelimit.c — Check suite for ratelimit.c: a burst then the rate, one bucket per key,
 * Retry-After, and peek (look without taking, as the failed-authentication limit does). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aq_ratelimit.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define SEC 1000000LL

static void key_of(int k, unsigned char key[32])
{
	memset(key, 0, 32);
	key[0] = (unsigned char)(k * 37 + 11); /* the table probes by the first bytes */
	key[31] = (unsigned char)k;
}

/* Steps on one limiter: at time t (seconds), take (or peek) key k; want the answer and, when
 * refused, the Retry-After. */
struct step {
	double t;
	int k;
	bool peek;
	bool ok;
	int retry_after; /* when !ok */
};

struct rl_case {
	const char *name;
	double rate;
	int burst;
	int n;
	struct step steps[12];
};

static const struct rl_case rl_cases[] = {
	{"burst of 3, then 1 per second",
	 1,
	 3,
	 6,
	 {{0, 1, false, true, 0},
	  {0, 1, false, true, 0},
	  {0, 1, false, true, 0},
	  {0, 1, false, false, 1},
	  {1.0, 1, false, true, 0},
	  {1.0, 1, false, false, 1}}},
	{"keys apart",
	 1,
	 1,
	 4,
	 {{0, 1, false, true, 0}, {0, 1, false, false, 1}, {0, 2, false, true, 0}, {0, 2, false, false, 1}}},
	{"peek takes nothing",
	 1,
	 2,
	 6,
	 {{0, 1, true, true, 0},
	  {0, 1, true, true, 0},
	  {0, 1, false, true, 0},
	  {0, 1, true, true, 0},
	  {0, 1, false, true, 0},
	  {0, 1, true, false, 1}}},
	{"peek of an unknown key", 1, 1, 2, {{0, 9, true, true, 0}, {0, 9, false, true, 0}}},
	{"20 a minute: one every 3 s",
	 20.0 / 60,
	 20,
	 4,
	 {{0, 1, false, true, 0}, {0, 1, false, true, 0}, {0, 1, true, true, 0}, {0, 1, false, true, 0}}},
	{"off", 0, 1, 3, {{0, 1, false, true, 0}, {0, 1, false, true, 0}, {0, 1, true, true, 0}}},
};

START_TEST(test_steps)
{
	const struct rl_case *c = &rl_cases[_i];
	struct aq_ratelimit *rl = aq_ratelimit_new(c->rate, c->burst);
	ck_assert_ptr_nonnull(rl);
	for (int i = 0; i < c->n; i++) {
		const struct step *s = &c->steps[i];
		unsigned char key[32];
		int retry = -1;
		key_of(s->k, key);
		int64_t now = 1000 * SEC + (int64_t)(s->t * SEC);
		bool ok = s->peek ? aq_ratelimit_peek(rl, key, now, &retry) : aq_ratelimit_take(rl, key, now, &retry);
		ck_assert_msg(ok == s->ok, "%s, step %d: %d", c->name, i, ok);
		if (!ok)
			ck_assert_msg(retry == s->retry_after, "%s, step %d: Retry-After %d", c->name, i, retry);
	}
	aq_ratelimit_free(rl);
}
END_TEST

/* The failed-authentication pattern: 20 failures spend the budget; the 21st attempt is
 * refused by peek; about 3 s later one more attempt is allowed. */
START_TEST(test_failure_budget)
{
	struct aq_ratelimit *rl = aq_ratelimit_new(20.0 / 60, 20);
	unsigned char key[32];
	int retry = 0;
	key_of(5, key);
	for (int i = 0; i < 20; i++) {
		ck_assert(aq_ratelimit_peek(rl, key, 0, &retry));
		aq_ratelimit_take(rl, key, 0, NULL);
	}
	ck_assert(!aq_ratelimit_peek(rl, key, 0, &retry));
	ck_assert_int_eq(retry, 3);
	ck_assert(!aq_ratelimit_peek(rl, key, 5 * SEC / 2, &retry));
	ck_assert_int_eq(retry, 1);
	ck_assert(aq_ratelimit_peek(rl, key, 31 * SEC / 10, &retry)); /* 3 s, and a float's margin */
	aq_ratelimit_free(rl);
	aq_ratelimit_free(NULL);
}
END_TEST

static Suite *ratelimit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("ratelimit");
	tcase_add_loop_test(tc, test_steps, 0, N(rl_cases));
	tcase_add_test(tc, test_failure_budget);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ratelimit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
