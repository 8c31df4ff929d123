/* check_etag.c — Check suite for etag.c: the strong tag of the bytes (FNV-1a known answers),
 * and the content tag of today's ranking, which two daemons must agree on when their bodies
 * differ only in generated_at (issue 18) and must disagree on when anything else differs. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "aq_etag.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* FNV-1a 64 of "" and "a". The offset basis is 1469598103934665603, one digit short of the
 * published 14695981039346656037: kept as it is, since tags only need to be stable and
 * changing it would turn every client's cached tag stale at an upgrade. */
START_TEST(test_strong_known)
{
	char tag[24];
	aq_etag_of("", 0, tag);
	ck_assert_str_eq(tag, "\"14650fb0739d0383\"");
	aq_etag_of("a", 1, tag);
	ck_assert_str_eq(tag, "\"44bd8ad473cd9906\"");
}
END_TEST

/* Pairs that must get the same content tag. */
static const char *same[][2] = {
	{"{\"date\":\"2026-12-07\",\"generated_at\":\"2026-12-07T15:00:02+08:00\",\"ranking\":[1]}",
	 "{\"date\":\"2026-12-07\",\"generated_at\":\"2026-12-07T15:00:03+08:00\",\"ranking\":[1]}"},
	{"{\"generated_at\": \"a\",\"x\":1}", "{\"generated_at\": \"bcdef\",\"x\":1}"},
	/* only the first such member is volatile: the one at the top of the reply */
	{"{\"generated_at\":\"1\",\"n\":{\"generated_at\":\"z\"}}",
	 "{\"generated_at\":\"2\",\"n\":{\"generated_at\":\"z\"}}"},
	/* no such member: the bytes */
	{"{\"ranking\":[]}", "{\"ranking\":[]}"},
};

START_TEST(test_content_same)
{
	char a[AQ_ETAG_LEN], b[AQ_ETAG_LEN];
	aq_etag_content(same[_i][0], strlen(same[_i][0]), "generated_at", a);
	aq_etag_content(same[_i][1], strlen(same[_i][1]), "generated_at", b);
	ck_assert_str_eq(a, b);
	ck_assert_uint_eq(strlen(a), 20);
	ck_assert_msg(strncmp(a, "W/\"", 3) == 0 && a[19] == '"', "not a weak tag: %s", a);
}
END_TEST

/* Pairs that must not. */
static const char *differ[][2] = {
	{"{\"generated_at\":\"1\",\"ranking\":[1]}", "{\"generated_at\":\"1\",\"ranking\":[2]}"},
	{"{\"generated_at\":\"1\",\"hours_elapsed\":15}", "{\"generated_at\":\"1\",\"hours_elapsed\":16}"},
	/* the member's name is kept: moving the value to another key is a change */
	{"{\"generated_at\":\"1\",\"x\":\"1\"}", "{\"generated_atx\":\"1\",\"x\":\"1\"}"},
	/* a second member of the name is content */
	{"{\"generated_at\":\"1\",\"n\":{\"generated_at\":\"y\"}}",
	 "{\"generated_at\":\"1\",\"n\":{\"generated_at\":\"z\"}}"},
	/* a body without the member: every byte counts */
	{"ranking,1", "ranking,2"},
};

START_TEST(test_content_differ)
{
	char a[AQ_ETAG_LEN], b[AQ_ETAG_LEN];
	aq_etag_content(differ[_i][0], strlen(differ[_i][0]), "generated_at", a);
	aq_etag_content(differ[_i][1], strlen(differ[_i][1]), "generated_at", b);
	ck_assert_str_ne(a, b);
}
END_TEST

/* Malformed or cut bodies hash whole, never read past the end. */
START_TEST(test_content_edges)
{
	static const char *cases[] = {"",
				      "\"",
				      "\"generated_at\":",
				      "\"generated_at\":\"",
				      "\"generated_at\": ",
				      "\"generated_at\":1",
				      "x\"generated_at\":\"abc"};
	for (int i = 0; i < N(cases); i++) {
		size_t n = strlen(cases[i]);
		char *copy = malloc(n ? n : 1); /* exact size: ASan catches a read past it */
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, cases[i], n);
		char a[AQ_ETAG_LEN], strong[24];
		aq_etag_content(copy, n, "generated_at", a);
		aq_etag_of(copy, n, strong);
		ck_assert_msg(strcmp(a + 2, strong) == 0, "case %d: %s vs %s", i, a, strong);
		free(copy);
	}
}
END_TEST

static Suite *etag_suite(void)
{
	Suite *s = suite_create("etag");
	TCase *tc = tcase_create("etag");
	tcase_add_test(tc, test_strong_known);
	tcase_add_loop_test(tc, test_content_same, 0, N(same));
	tcase_add_loop_test(tc, test_content_differ, 0, N(differ));
	tcase_add_test(tc, test_content_edges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(etag_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
