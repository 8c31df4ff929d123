/* check_json_arena.c — Check suite for json_arena.c: outside a scope jansson's memory is
 * malloc's; inside one it is carved from the thread's chunks, the latest allocation can be
 * taken back, memory from before the scope is freed to malloc, big allocations stay malloc's,
 * and the rewind keeps at most one chunk. A 1000-reading body parsed in a scope converts as
 * it does with malloc, and (wholly in the arena) may be dropped by the rewind alone. Under ASan: the bytes past an allocation and a rewound chunk are
 * poisoned (ASan cannot see inside a chunk unless the arena tells it). */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_json.h"
#include "aq_json_arena.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

static void setup(void)
{
	aq_json_arena_install();
}

START_TEST(test_outside_scope_is_malloc)
{
	ck_assert(!aq_json_arena_active());
	void *p = aq_json_arena_malloc(100);
	ck_assert_ptr_nonnull(p);
	memset(p, 1, 100);
	ck_assert_uint_eq(aq_json_arena_held(), 0);
	aq_json_arena_free(p); /* a leak here would fail the ASan build (LSan) */
	json_t *v = json_pack("{s:i}", "a", 1);
	ck_assert_uint_eq(aq_json_arena_held(), 0);
	json_decref(v);
}
END_TEST

START_TEST(test_scope_bumps_and_takes_back)
{
	aq_json_arena_begin();
	ck_assert(aq_json_arena_active());
	unsigned char *a = aq_json_arena_malloc(24), *b = aq_json_arena_malloc(1);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_gt(aq_json_arena_held(), 0);
	ck_assert_uint_eq((uintptr_t)a % 16, 0);
	ck_assert_uint_eq((uintptr_t)b % 16, 0);
	ck_assert(b >= a + 24);
	memset(a, 0xaa, 24);
	memset(b, 0xbb, 1);
	ck_assert_uint_eq(a[23], 0xaa); /* b did not land on a */
	aq_json_arena_free(b);		/* the latest: taken back */
	unsigned char *c = aq_json_arena_malloc(8);
	ck_assert_ptr_eq(c, b);
	aq_json_arena_free(a); /* not the latest: kept until the rewind */
	unsigned char *d = aq_json_arena_malloc(8);
	ck_assert_ptr_ne(d, a);
	aq_json_arena_end();
	ck_assert(!aq_json_arena_active());
}
END_TEST

/* Memory from before the scope (and big allocations in it) are malloc's, freed to malloc
 * inside the scope; under LSan a free that went astray would show as a leak. */
START_TEST(test_foreign_and_big_go_to_malloc)
{
	json_t *before = json_string("made before the scope");
	char *text = aq_json_arena_malloc(64);
	aq_json_arena_begin();
	size_t held = aq_json_arena_held();
	json_decref(before);
	aq_json_arena_free(text);
	ck_assert(aq_json_arena_holds_all());
	unsigned char *big = aq_json_arena_malloc(2 * 1024 * 1024);
	ck_assert_ptr_nonnull(big);
	ck_assert(!aq_json_arena_holds_all()); /* so a tree holding it is freed value by value */
	memset(big, 0, 2 * 1024 * 1024);
	ck_assert_uint_eq(aq_json_arena_held(), held);
	aq_json_arena_free(big);
	aq_json_arena_end();
}
END_TEST

/* Chunks grow past the first, the rewind keeps one of at most 256 KB, and a second scope
 * reuses it. */
START_TEST(test_rewind_keeps_one_chunk)
{
	aq_json_arena_begin();
	for (int i = 0; i < 40000; i++) {
		unsigned char *p = aq_json_arena_malloc(48);
		ck_assert_ptr_nonnull(p);
		memset(p, i & 0xff, 48);
	}
	ck_assert_uint_ge(aq_json_arena_held(), 40000 * 48);
	aq_json_arena_end();
	size_t kept = aq_json_arena_held();
	ck_assert_uint_gt(kept, 0);
	ck_assert_uint_le(kept, 256 * 1024);
	aq_json_arena_begin();
	void *p = aq_json_arena_malloc(48);
	ck_assert_uint_eq(aq_json_arena_held(), kept);
	aq_json_arena_free(p);
	aq_json_arena_end();
}
END_TEST

/* The walk POST /api/v1/readings takes: parse the body in a scope, convert, decref, end. */
START_TEST(test_batch_parse_in_scope)
{
	size_t cap = 1000 * 120 + 16, len = 0;
	char *body = malloc(cap);
	ck_assert_ptr_nonnull(body);
	body[len++] = '[';
	for (int i = 0; i < 1000; i++)
		len += (size_t)snprintf(body + len, cap - len,
					"%s{\"station\":\"S%05d\",\"observed_at\":\"2026-06-14T%02d:%02d:00+08:00\","
					"\"pm25\":%d,\"pm10\":%d.5}",
					i ? "," : "", i % 7, (i / 60) % 24, i % 60, 35 + i % 50, 70 + i % 90);
	body[len++] = ']';
	struct aq_reading *readings = NULL;
	size_t n = 0;
	struct aq_problems problems = {0};
	for (int round = 0; round < 3; round++) {
		aq_json_arena_begin();
		json_error_t err;
		json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
		ck_assert_msg(root != NULL, "%s", err.text);
		ck_assert_uint_gt(aq_json_arena_held(), 0);
		ck_assert_int_eq(aq_json_readings_parse(root, &readings, &n, &problems), AQ_OK);
		ck_assert(aq_json_arena_holds_all());
		if (round == 0) /* after that, as POST /readings does: the rewind alone drops it */
			json_decref(root);
		aq_json_arena_end();
		ck_assert_uint_eq(n, 1000);
		ck_assert_uint_eq(problems.n, 0);
		ck_assert_str_eq(readings[999].station, "S00005");
		ck_assert(readings[999].value[AQ_F_PM25] == 35 + 999 % 50);
		ck_assert(readings[999].value[AQ_F_PM10] == 70 + 999 % 90 + 0.5);
		free(readings);
	}
	/* A body jansson refuses half-way frees what it built before the scope ends. */
	aq_json_arena_begin();
	json_error_t err;
	ck_assert_ptr_null(json_loadb(body, len - 1, JSON_REJECT_DUPLICATES, &err));
	aq_json_arena_end();
	aq_problems_cleanup(&problems);
	free(body);
}
END_TEST

#ifdef __SANITIZE_ADDRESS__
/* What makes ASan able to see an overflow or a use after the scope inside a chunk. */
START_TEST(test_asan_sees_the_chunks)
{
	aq_json_arena_begin();
	unsigned char *p = aq_json_arena_malloc(20);
	ck_assert(!__asan_address_is_poisoned(p + 19));
	ck_assert(__asan_address_is_poisoned(p + 20));
	aq_json_arena_free(p);
	ck_assert(__asan_address_is_poisoned(p)); /* taken back */
	unsigned char *q = aq_json_arena_malloc(20);
	aq_json_arena_end();
	ck_assert(__asan_address_is_poisoned(q));
}
END_TEST
#endif

static Suite *json_arena_suite(void)
{
	Suite *s = suite_create("json_arena");
	TCase *tc = tcase_create("json_arena");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_outside_scope_is_malloc);
	tcase_add_test(tc, test_scope_bumps_and_takes_back);
	tcase_add_test(tc, test_foreign_and_big_go_to_malloc);
	tcase_add_test(tc, test_rewind_keeps_one_chunk);
	tcase_add_test(tc, test_batch_parse_in_scope);
#ifdef __SANITIZE_ADDRESS__
	tcase_add_test(tc, test_asan_sees_the_chunks);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_arena_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
