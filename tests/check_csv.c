/* check_csv.c — Check suite for csv.c: the byte-order mark, RFC 4180 quoting of commas,
 * quotes, CR and LF, CRLF row ends, empty and NULL cells, UTF-8 (Chinese) text passed through
 * byte for byte, both ways of building a row, a document large enough to grow the buffer, and
 * formula neutralization (OWASP CSV injection) of text cells but not of numbers. */
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
	const char *want;		       /* after the BOM */
};

static const struct csv_case csv_cases[] = {
	{"no rows", 0, {0}, {{NULL}}, ""},
	{"a row of no cells", 1, {0}, {{NULL}}, "\r\n"},
	{"plain", 1, {3}, {{"a", "b", "c"}}, "a,b,c\r\n"},
	{"header and data",
	 2,
	 {3, 3},
	 {{"rank", "station", "pm10"}, {"1", "HX-003", "118.5"}},
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
	{"spaces kept, not quoted", 1, {2}, {{" a ", "b\t"}}, " a ,b\t\r\n"},
	{"leading zeros kept", 1, {2}, {{"0061", "0.5"}}, "0061,0.5\r\n"},
	{"formulas neutralized",
	 2,
	 {4, 2},
	 {{"=1+1", "+cmd", "-2+3", "@SUM(A1)"}, {"\tx", "a=b"}},
	 "'=1+1,'+cmd,'-2+3,'@SUM(A1)\r\n'\tx,a=b\r\n"},
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

/* One cell written as text (aq_csv_cell) and as a number (aq_csv_number): the OWASP rule
 * (a leading = + - @ TAB CR gets a ') for text, numbers as they are. */
struct neutral_case {
	const char *in;
	const char *as_text;   /* the row written by aq_csv_cell, after the BOM */
	const char *as_number; /* by aq_csv_number */
};

static const struct neutral_case neutral_cases[] = {
	{"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n",
	 "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n"},
	{"=1+1", "'=1+1\r\n", "'=1+1\r\n"},
	{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0\r\n", "'+cmd|' /C calc'!A0\r\n"},
	{"-2+3", "'-2+3\r\n", "'-2+3\r\n"},
	{"@SUM(1,2)", "\"'@SUM(1,2)\"\r\n", "\"'@SUM(1,2)\"\r\n"},
	{"\t=1", "'\t=1\r\n", "'\t=1\r\n"},
	{"\r=1", "\"'\r=1\"\r\n", "\"'\r=1\"\r\n"},
	{"\n=1", "\"\n=1\"\r\n", "\"\n=1\"\r\n"}, /* a line feed is not a formula start */
	{"-", "'-\r\n", "'-\r\n"},
	{"-3.5", "'-3.5\r\n", "-3.5\r\n"},
	{"-40", "'-40\r\n", "-40\r\n"},
	{"-0.25e-3", "'-0.25e-3\r\n", "-0.25e-3\r\n"},
	{"1e+20", "1e+20\r\n", "1e+20\r\n"},
	{"118.5", "118.5\r\n", "118.5\r\n"},
	{"0", "0\r\n", "0\r\n"},
	{"-.5", "'-.5\r\n", "'-.5\r\n"},
	{"-5.", "'-5.\r\n", "'-5.\r\n"},
	{"-1e", "'-1e\r\n", "'-1e\r\n"},
	{"-1-1", "'-1-1\r\n", "'-1-1\r\n"},
	{"-A1", "'-A1\r\n", "'-A1\r\n"},
	{"-inf", "'-inf\r\n", "'-inf\r\n"},
	{"+5", "'+5\r\n", "'+5\r\n"},
	{"'=already", "'=already\r\n", "'=already\r\n"},
	{"a=1", "a=1\r\n", "a=1\r\n"},
	{" =1", " =1\r\n", " =1\r\n"},
	{"＝1", "＝1\r\n", "＝1\r\n"}, /* full-width: text in every spreadsheet */
	{"东四-2", "东四-2\r\n", "东四-2\r\n"},
	{"-东四", "'-东四\r\n", "'-东四\r\n"},
	{"", "\r\n", "\r\n"},
};

static void check_text(const char *what, const struct aq_csv *csv, const char *want)
{
	size_t wlen = strlen(want);
	ck_assert_msg(!csv->oom, "%s: out of memory", what);
	ck_assert_ptr_nonnull(csv->text);
	/* messages show at most 200 bytes: Check cannot carry longer ones */
	ck_assert_msg(csv->len == 3 + wlen, "%s: %zu bytes, want %zu: \"%.200s\"", what, csv->len, 3 + wlen, csv->text);
	ck_assert_msg(memcmp(csv->text, BOM, 3) == 0, "%s: no BOM", what);
	ck_assert_msg(memcmp(csv->text + 3, want, wlen) == 0, "%s: \"%.200s\", want \"%.200s\"", what, csv->text + 3,
		      want);
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

START_TEST(test_csv_neutral_text)
{
	const struct neutral_case *c = &neutral_cases[_i];
	struct aq_csv csv;
	aq_csv_init(&csv);
	aq_csv_cell(&csv, c->in);
	aq_csv_end_row(&csv);
	check_text(c->in, &csv, c->as_text);
	aq_csv_cleanup(&csv);
}
END_TEST

START_TEST(test_csv_neutral_number)
{
	const struct neutral_case *c = &neutral_cases[_i];
	struct aq_csv csv;
	aq_csv_init(&csv);
	aq_csv_number(&csv, c->in);
	aq_csv_end_row(&csv);
	check_text(c->in, &csv, c->as_number);
	aq_csv_cleanup(&csv);
}
END_TEST

/* Numbers and text side by side in one row, NULL number = empty cell. */
START_TEST(test_csv_mixed_row)
{
	struct aq_csv csv;
	aq_csv_init(&csv);
	aq_csv_cell(&csv, "-HX");
	aq_csv_number(&csv, "-3.5");
	aq_csv_number(&csv, NULL);
	aq_csv_cell(&csv, "=x,y");
	aq_csv_number(&csv, "7");
	aq_csv_end_row(&csv);
	check_text("mixed", &csv, "'-HX,-3.5,,\"'=x,y\",7\r\n");
	ck_assert(aq_csv_is_formula("=1"));
	ck_assert(!aq_csv_is_formula(""));
	ck_assert(!aq_csv_is_formula(NULL));
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
		len += (size_t)snprintf(want + len, cap - len, "%d,\"站点,%d\",%s\r\n", i, i, i % 7 ? "东城区" : "");
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
	enum {
		LEN = 5000
	};
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
	tcase_add_loop_test(tc, test_csv_neutral_text, 0, N(neutral_cases));
	tcase_add_loop_test(tc, test_csv_neutral_number, 0, N(neutral_cases));
	tcase_add_test(tc, test_csv_mixed_row);
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
