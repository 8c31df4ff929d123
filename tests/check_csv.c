/* check_csv.c — Check suite for csv.c: the byte-order mark, RFC 4180 quoting of commas,
 * quotes, CR and LF, CRLF row ends, empty and NULL cells, UTF-8 (Chinese) text passed through
 * byte for byte, both ways of building a row, and a document large enough to grow the buffer. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aq_csv.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define BOM "\xEF\xBB\xBF"
#define MAX_CELLS 5
#define MAX_ROWS 3

struct csv_case {
	const char *name;
	int rows;
	int cells[MAX_ROWS];
	const char *cell[MAX_ROWS][MAX_CELLS]; /* NULL is an empty cell */
	const char *want;                       /* after the BOM */
};

static const struct csv_case csv_cases[] = {
	{"no rows", 0, {0}, {{NULL}}, ""},
	{"a row of no cells", 1, {0}, {{NULL}}, "\r\n"},
	{"plain", 1, {3}, {{"a", "b", "c"}}, "a,b,c\r\n"},
	{"header and data", 2, {3, 3}, {{"rank", "station", "pm10"}, {"1", "HX-003", "118.5"}},
	 "rank,station,pm10\r\n1,HX-003,118.5\r\n"},
	{"comma", 1, {2}, {{"a,b", "c"}}, "\"a,b\",c\r\n"},
	{"only a comma", 1, {1}, {{","}}, "\",\"\r\n"},
	{"quotes", 1, {1}, {{"say \"hi\""}}, "\"say \"\"hi\"\"\"\r\n"},
	{"only a quote", 1, {1}, {{"\""}}, "\"\"\"\"\r\n"},
	{"two quotes", 1, {1}, {{"\"\""}}, "\"\"\"\"\"\"\r\n"},
	{"newline", 1, {2}, {{"line1\nline2", "x"}}, "\"line1\nline2\",x\r\n"},
	{"carriage return", 1, {1}, {{"a\rb"}}, "\"a\rb\"\r\n"},
	{"CRLF inside", 1, {1}, {{"a\r\nb"}}, "\"a\r\nb\"\r\n"},
	{"everything", 1, {1}, {{"a,\"b\"\r\nc"}}, "\"a,\"\"b\"\"\r\nc\"\r\n"},
	{"empty strings", 1, {3}, {{"", "", ""}}, ",,\r\n"},
	{"NULL cells", 1, {3}, {{NULL, "x", NULL}}, ",x,\r\n"},
	{"NULL only", 1, {2}, {{NULL, NULL}}, ",\r\n"},
	{"mixed empties", 2, {2, 2}, {{"", NULL}, {NULL, ""}}, ",\r\n,\r\n"},
	{"spaces kept, not quoted", 1, {2}, {{" a ", "\tb"}}, " a ,\tb\r\n"},
	{"leading zeros kept", 1, {2}, {{"0061", "-0.5"}}, "0061,-0.5\r\n"},
	{"single quote is not special", 1, {1}, {{"it's"}}, "it's\r\n"},
	{"semicolon is not special", 1, {1}, {{"a;b"}}, "a;b\r\n"},
	{"Chinese", 1, {3}, {{"东四", "东城区环保局", "张三"}}, "东四,东城区环保局,张三\r\n"},
	{"Chinese with comma", 1, {2}, {{"东城区,北京", "“引号”"}}, "\"东城区,北京\",“引号”\r\n"},
	{"Chinese with quote", 1, {1}, {{"朝阳\"区\""}}, "\"朝阳\"\"区\"\"\"\r\n"},
	{"full-width comma is text", 1, {1}, {{"东四，天坛"}}, "东四，天坛\r\n"},
	{"emoji", 1, {1}, {{"\xF0\x9F\x98\xB7"}}, "\xF0\x9F\x98\xB7\r\n"},
	{"five cells", 1, {5}, {{"1", "2", "3", "4", "5"}}, "1,2,3,4,5\r\n"},
	{"three rows", 3, {1, 1, 1}, {{"a"}, {"b,c"}, {NULL}}, "a\r\n\"b,c\"\r\n\r\n"},
};

static void check_text(const char *what, const struct aq_csv *csv, const char *want)
{
	size_t wlen = strlen(want);
	ck_assert_msg(!csv->oom, "%s: out of memory", what);
	ck_assert_ptr_nonnull(csv->text);
	/* messages show at most 200 bytes: Check cannot carry longer ones */
	ck_assert_msg(csv->len == 3 + wlen, "%s: %zu bytes, want %zu: \"%.200s\"", what, csv->len,
		      3 + wlen, csv->text);
	ck_assert_msg(memcmp(csv->text, BOM, 3) == 0, "%s: no BOM", what);
	ck_assert_msg(memcmp(csv->text + 3, want, wlen) == 0, "%s: \"%.200s\", want \"%.200s\"", what,
		      csv->text + 3, want);
	ck_assert_msg(csv->text[csv->len] == '\0', "%s: not NUL-terminated", what);
}

/* Cell by cell, then aq_csv_end_row. */
START_TEST(test_csv_cells)
{
	const struct csv_case *c = &csv_cases[_i];
	struct aq_csv csv;
	aq_csv_init(&csv);
	for (int r = 0; r < c->rows; r++) {
		for (int k = 0; k < c->cells[r]; k++)
			aq_csv_cell(&csv, c->cell[r][k]);
		aq_csv_end_row(&csv);
	}
	check_text(c->name, &csv, c->want);
	aq_csv_cleanup(&csv);
	ck_assert_ptr_null(csv.text);
}
END_TEST

/* The same rows through the variadic aq_csv_row. */
START_TEST(test_csv_rows)
{
	const struct csv_case *c = &csv_cases[_i];
	struct aq_csv csv;
	aq_csv_init(&csv);
	for (int r = 0; r < c->rows; r++) {
		const char *const *v = c->cell[r];
		switch (c->cells[r]) {
		case 0: aq_csv_row(&csv, 0); break;
		case 1: aq_csv_row(&csv, 1, v[0]); break;
		case 2: aq_csv_row(&csv, 2, v[0], v[1]); break;
		case 3: aq_csv_row(&csv, 3, v[0], v[1], v[2]); break;
		case 4: aq_csv_row(&csv, 4, v[0], v[1], v[2], v[3]); break;
		default: aq_csv_row(&csv, 5, v[0], v[1], v[2], v[3], v[4]); break;
		}
	}
	check_text(c->name, &csv, c->want);
	aq_csv_cleanup(&csv);
}
END_TEST

START_TEST(test_csv_bom_only)
{
	struct aq_csv csv;
	aq_csv_init(&csv);
	ck_assert_uint_eq(csv.len, 3);
	ck_assert_str_eq(csv.text, BOM);
	ck_assert(!csv.row_started);
	aq_csv_cleanup(&csv);
	aq_csv_cleanup(&csv); /* twice is harmless */
	aq_csv_cleanup(NULL);
}
END_TEST

/* 20000 rows grow the buffer many times over; every byte must still be where it belongs. */
START_TEST(test_csv_large)
{
	struct aq_csv csv;
	size_t cap = 4 << 20, len = 0;
	char *want = malloc(cap);
	ck_assert_ptr_nonnull(want);
	aq_csv_init(&csv);
	for (int i = 0; i < 20000; i++) {
		char num[16], name[64];
		snprintf(num, sizeof num, "%d", i);
		snprintf(name, sizeof name, "站点,%d", i);
		aq_csv_row(&csv, 3, num, name, i % 7 ? "东城区" : NULL);
		len += (size_t)snprintf(want + len, cap - len, "%d,\"站点,%d\",%s\r\n", i, i,
					i % 7 ? "东城区" : "");
	}
	check_text("20000 rows", &csv, want);
	ck_assert_uint_eq(strlen(csv.text), csv.len); /* no stray NUL inside */
	ck_assert_uint_ge(csv.cap, csv.len + 1);
	aq_csv_cleanup(&csv);
	free(want);
}
END_TEST

/* A long cell (longer than the first buffer) with quotes to double. */
START_TEST(test_csv_long_cell)
{
	struct aq_csv csv;
	enum { LEN = 5000 };
	char *cell = malloc(LEN + 1), *want = malloc(2 * LEN + 8);
	size_t w = 0;
	ck_assert_ptr_nonnull(cell);
	ck_assert_ptr_nonnull(want);
	want[w++] = '"';
	for (int i = 0; i < LEN; i++) {
		cell[i] = i % 10 == 0 ? '"' : (char)('a' + i % 26);
		if (cell[i] == '"')
			want[w++] = '"';
		want[w++] = cell[i];
	}
	cell[LEN] = '\0';
	want[w++] = '"';
	memcpy(want + w, "\r\n", 3);
	aq_csv_init(&csv);
	aq_csv_row(&csv, 1, cell);
	check_text("long cell", &csv, want);
	aq_csv_cleanup(&csv);
	free(cell);
	free(want);
}
END_TEST

static Suite *csv_suite(void)
{
	Suite *s = suite_create("csv");
	TCase *tc = tcase_create("csv");
	tcase_add_loop_test(tc, test_csv_cells, 0, N(csv_cases));
	tcase_add_loop_test(tc, test_csv_rows, 0, N(csv_cases));
	tcase_add_test(tc, test_csv_bom_only);
	tcase_add_test(tc, test_csv_large);
	tcase_add_test(tc, test_csv_long_cell);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(csv_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
