/* check_log.c — Check suite for log.c's escaping (aq_log_escape): control characters,
 * forged lines, terminal escape sequences, invalid UTF-8 and C1 controls are written as
 * visible escapes; Chinese text passes unchanged; cutting never splits a character. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "aq_log.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

struct escape_case {
	const char *name;
	const char *in;
	const char *want;
};

static const struct escape_case escape_cases[] = {
	{"plain path", "/api/v1/stations/HX-003", "/api/v1/stations/HX-003"},
	{"empty", "", ""},
	{"forged line (LF)", "/x\n2017-12-07T15:00:00+08:00 info GET /admin 200 0 0.1ms",
	 "/x\\x0a2017-12-07T15:00:00+08:00 info GET /admin 200 0 0.1ms"},
	{"CR LF", "/x\r\nforged", "/x\\x0d\\x0aforged"},
	{"terminal colour", "/\x1b[31mred\x1b[0m", "/\\x1b[31mred\\x1b[0m"},
	{"tab and bell", "a\tb\a", "a\\x09b\\x07"},
	{"DEL", "a\x7f", "a\\x7f"},
	{"backslash doubled", "a\\x0a", "a\\\\x0a"},
	{"Chinese kept", "东四北大街微站", "东四北大街微站"},
	{"emoji kept", "\xF0\x9F\x98\xB7", "\xF0\x9F\x98\xB7"},
	{"invalid UTF-8 bytes", "/\xff\xfe", "/\\xff\\xfe"},
	{"truncated UTF-8", "\xe4\xb8", "\\xe4\\xb8"},
	{"overlong slash", "\xc0\xaf", "\\xc0\\xaf"},
	{"UTF-16 surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80"},
	{"C1 CSI (U+009B)",
	 "a\xc2\x9b"
	 "31m",
	 "a\\u{009b}31m"},
	{"line separator",
	 "a\xe2\x80\xa8"
	 "b",
	 "a\\u{2028}b"},
	{"quotes kept", "say \"hi\"", "say \"hi\""},
	{"MN with CR", "88888880000001\rQN=1", "88888880000001\\x0dQN=1"},
};

START_TEST(test_escape)
{
	const struct escape_case *c = &escape_cases[_i];
	char out[256];
	size_t n = aq_log_escape(c->in, out, sizeof out);
	ck_assert_msg(strcmp(out, c->want) == 0, "%s: \"%s\", want \"%s\"", c->name, out, c->want);
	ck_assert_uint_eq(n, strlen(out));
	for (const unsigned char *p = (const unsigned char *)out; *p; p++)
		ck_assert_msg(*p >= 0x20 && *p != 0x7f, "%s: control byte 0x%02x left", c->name, *p);
}
END_TEST

/* A small buffer cuts at a character or escape boundary, never inside one. */
struct cut_case {
	const char *in;
	size_t size;
	const char *want;
};

static const struct cut_case cut_cases[] = {
	{"abcdef", 4, "abc"},	  {"ab\ncd", 5, "ab"}, /* "\x0a" (4 bytes) does not fit after "ab" */
	{"ab\ncd", 7, "ab\\x0a"}, {"东四", 4, "东"},   /* 3 bytes each */
	{"东四", 6, "东"},	  {"东四", 7, "东四"}, {"x", 1, ""},
};

START_TEST(test_escape_cut)
{
	const struct cut_case *c = &cut_cases[_i];
	char out[64];
	memset(out, 'Z', sizeof out);
	size_t n = aq_log_escape(c->in, out, c->size);
	ck_assert_str_eq(out, c->want);
	ck_assert_uint_eq(n, strlen(c->want));
	ck_assert_uint_lt(n, c->size);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("escape");
	tcase_add_loop_test(tc, test_escape, 0, N(escape_cases));
	tcase_add_loop_test(tc, test_escape_cut, 0, N(cut_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
